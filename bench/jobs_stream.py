"""Job output streaming: a job printing 200k lines, as fast as it can and at 50k lines/s.

Measures lines/s through the runner (tail -> line events), lines/s onto the Jobs screen, key
press latency while a 50k lines/s flood streams (a key every 50 ms from the job's start: to
the key's action, and to the next frame after it; the first key, which waits for the switch to
the Live tab and the footer's new keys, apart), lines skipped on screen (the newest lines received but not in the view), the longest
garbage collection, peak memory (tracemalloc, for 50k vs 200k lines: it does not grow with the
output), and that every line is in the log files.
Targets: >= 50k lines/s, every line logged, key presses within 100 ms (max), no line skipped,
memory flat.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["ATTRIBTUI_DATA_DIR"] = tempfile.mkdtemp(prefix="attribtui-bench-")

from common import row  # noqa: E402

from attribtui.infra.config import DbConfig, JobsConfig, Profile  # noqa: E402
from attribtui.services.jobs import runner, store  # noqa: E402
from attribtui.services.jobs.command import Command, JobRequest  # noqa: E402

FLOOD = """\
import sys, time
n, rate = int(sys.argv[1]), int(sys.argv[2])  # rate 0: as fast as it can
step = max(1, rate // 100) if rate else n  # lines per 10 ms
t0 = time.monotonic()
for first in range(0, n, step):
    out, err = [], []
    for i in range(first, min(n, first + step)):
        (err if i % 10 == 9 else out).append(
            f"Processed {i} conversions... line {i} of {n} padding padding padding\\n")
    sys.stdout.write("".join(out))
    sys.stderr.write("".join(err))
    if rate:
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(max(0.0, t0 + (first + step) / rate - time.monotonic()))
"""
RATE = 50_000  # lines/s of the flood the keys are timed against
PROFILE = Profile(name="bench", environment="dev", db=DbConfig(url=None),
                  jobs=JobsConfig(runner="sandbox"))


def start(n: int, rate: int = 0) -> store.JobRecord:
    cmd = Command([sys.executable, "-c", FLOOD, str(n), str(rate)], display=f"flood {n}")
    return runner.start(PROFILE, JobRequest("backfill", 0, 1), commands=[cmd], lock=False)


def runner_rate(n: int, traced: bool = False) -> tuple[float, float, int]:
    """(lines/s live while the job writes, lines/s re-reading the finished logs, peak bytes).

    tracemalloc slows Python several times over, so memory is measured in a separate run.
    """
    count = [0]
    if traced:
        tracemalloc.start()
    t0 = time.perf_counter()
    rec = start(n)
    f = runner.Follower(rec, lambda b, s: count.__setitem__(0, count[0] + len(b))).start()
    f.finished.wait()
    live = n / (time.perf_counter() - t0)
    peak = 0
    if traced:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert count[0] == n, (count[0], n)
    lines = sum(len(p.read_bytes().splitlines()) for p in (rec.stdout_log, rec.stderr_log))
    assert lines == n, f"log files hold {lines} of {n} lines"
    count[0] = 0
    t0 = time.perf_counter()
    g = runner.Follower(store.load(rec.id), lambda b, s: count.__setitem__(0, count[0] + len(b)))
    g.start().finished.wait()
    reread = n / (time.perf_counter() - t0)
    return live, reread, peak


@dataclass
class ScreenRun:
    rate: float  # lines/s onto the screen, start to done
    keys_ms: list[float] = field(default_factory=list)  # key to its action
    frames_ms: list[float] = field(default_factory=list)  # key to the next frame after it
    skipped: int = 0  # newest lines received but missing from the view, over every sample
    markers: int = 0  # lines in the view standing for lines not shown
    kept: int = 0
    gc_max_ms: float = 0.0
    peak: int = 0


async def screen_run(n: int, rate: int = 0, traced: bool = False) -> ScreenRun:
    """Stream into the Jobs screen while pressing a key every 50 ms."""
    from textual import events

    from attribtui.services.status import Component, HeaderStatus
    from screens.app import ConsoleApp
    from screens.components.tail_log import GAP, TailLog
    from screens.jobs import SCREEN
    from screens.jobs.live import MAX_LINES

    status = HeaderStatus(Component("DB", "off", ""), Component("API", "off", ""),
                          Component("memcached", "off", ""))
    app = ConsoleApp(PROFILE, screens=[SCREEN], status_provider=lambda: status,
                     status_interval=3600)
    out = ScreenRun(0.0)
    gc_t0 = [0.0]

    def gc_timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_t0[0] = time.perf_counter()
        else:
            out.gc_max_ms = max(out.gc_max_ms, (time.perf_counter() - gc_t0[0]) * 1000)

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        view = screen.query_one("#job-log", TailLog)

        def skipped() -> int:
            """The newest lines received (at most a view's worth) missing from the view."""
            newest = list(screen.ring)[-MAX_LINES:]
            shown = set(map(id, view.events))
            return sum(1 for ev in newest if id(ev) not in shown)

        if traced:
            tracemalloc.start()
        gc.callbacks.append(gc_timer)
        t0 = time.perf_counter()
        rec = start(n, rate)
        screen.attach(rec, from_start=True)
        follower = screen.follower
        done = asyncio.ensure_future(asyncio.to_thread(follower.finished.wait))
        handled, painted = asyncio.Event(), asyncio.Event()
        original = screen.action_tab

        def tab(name: str) -> None:  # the real binding's action ("v": the Live tab), timed
            handled.set()
            original(name)
            app.call_after_refresh(painted.set)

        screen.action_tab = tab
        while not done.done():
            handled.clear()
            painted.clear()
            k0 = time.perf_counter()
            app.post_message(events.Key("v", "v"))  # as the terminal driver delivers a key
            await handled.wait()
            out.keys_ms.append((time.perf_counter() - k0) * 1000)
            await painted.wait()
            out.frames_ms.append((time.perf_counter() - k0) * 1000)
            out.skipped += skipped()
            await asyncio.sleep(0.05)
        await done

        await pilot.pause()
        elapsed = time.perf_counter() - t0
        gc.callbacks.remove(gc_timer)
        if traced:
            _, out.peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        out.rate = n / elapsed
        out.skipped += skipped()
        out.markers = sum(1 for ev in view.events if ev.kind == GAP)
        out.kept = len(view.events)
        assert len(screen.ring) <= 5000
        assert screen.lines_seen == n, (screen.lines_seen, n)
    return out


def spread(ms: list[float]) -> str:
    p95 = sorted(ms)[max(0, int(len(ms) * 0.95) - 1)]
    return (f"max {max(ms):.0f} ms, p95 {p95:.0f} ms, median {statistics.median(ms):.0f} ms, "
            f"{sum(x < 100 for x in ms)}/{len(ms)} under 100 ms")


def main() -> None:
    n = 200_000
    live, reread, _ = runner_rate(n)
    row(f"runner: {n:,} lines, live (start to last line event)", f"{live:,.0f} lines/s")
    row(f"runner: {n:,} lines, tail of the finished logs", f"{reread:,.0f} lines/s")
    for m in (50_000, 200_000):
        peak = runner_rate(m, traced=True)[2]
        row(f"runner: peak traced memory following {m:,} lines", f"{peak / 1e6:.1f} MB")
    fast = asyncio.run(screen_run(n))
    row(f"screen: {n:,} lines as fast as they come (start to done)", f"{fast.rate:,.0f} lines/s")
    row("screen: key to its action, as fast as they come (after the first)",
        spread(fast.keys_ms[1:]))
    paced = asyncio.run(screen_run(n, RATE))
    row(f"screen: {n:,} lines at {RATE:,} lines/s (start to done)", f"{paced.rate:,.0f} lines/s")
    row("screen: the first key, pressed as the job starts",
        f"{paced.keys_ms[0]:.0f} ms to its action, {paced.frames_ms[0]:.0f} ms to the frame")
    row(f"screen: key to its action at {RATE:,} lines/s (after the first)",
        spread(paced.keys_ms[1:]))
    row(f"screen: key to the next frame at {RATE:,} lines/s (after the first)",
        spread(paced.frames_ms[1:]))
    row("screen: longest garbage collection while streaming",
        f"{max(fast.gc_max_ms, paced.gc_max_ms):.0f} ms")
    row("screen: lines skipped on screen (both runs, every sample)",
        f"{fast.skipped + paced.skipped:,}, markers {fast.markers + paced.markers}")
    row("screen: lines kept in the view", f"{paced.kept:,}")
    for m in (50_000, 200_000):
        peak = asyncio.run(screen_run(m, RATE, traced=True)).peak
        row(f"screen: peak traced memory streaming {m:,} lines", f"{peak / 1e6:.1f} MB")
    row("every line in the log files", "yes (asserted)")
    row("load average (1 min) at the end, for context", f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
