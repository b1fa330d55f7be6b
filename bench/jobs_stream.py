"""Job output streaming: a job printing 200k lines as fast as it can.

Measures lines/s through the runner (tail -> line events), lines/s onto the Jobs screen, key
press latency while it streams, peak memory (tracemalloc, and for 50k vs 200k lines to show it
does not grow with the output), and that every line is in the log files.
Targets: >= 50k lines/s, every line logged, key presses within 100 ms, memory bounded.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["ATTRIBTUI_DATA_DIR"] = tempfile.mkdtemp(prefix="attribtui-bench-")

from common import row  # noqa: E402

from attribtui.infra.config import DbConfig, JobsConfig, Profile  # noqa: E402
from attribtui.services.jobs import runner, store  # noqa: E402
from attribtui.services.jobs.command import Command, JobRequest  # noqa: E402

FLOOD = ("import sys\nn = int(sys.argv[1])\nw = sys.stdout.write\ne = sys.stderr.write\n"
         "for i in range(n):\n"
         "    (e if i % 10 == 9 else w)(f'Processed {i} conversions... line {i} of {n} padding "
         "padding padding\\n')\n")
PROFILE = Profile(name="bench", environment="dev", db=DbConfig(url=None),
                  jobs=JobsConfig(runner="sandbox"))


def start(n: int) -> store.JobRecord:
    cmd = Command([sys.executable, "-c", FLOOD, str(n)], display=f"flood {n}")
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


async def screen_run(n: int, traced: bool = False) -> tuple[float, list[float], int, int]:
    """Stream into the Jobs screen; (lines/s, key latencies ms, lines shown, peak bytes)."""
    from textual.widgets import RichLog

    from attribtui.services.status import Component, HeaderStatus
    from screens.app import ConsoleApp
    from screens.jobs import SCREEN

    status = HeaderStatus(Component("DB", "off", ""), Component("API", "off", ""),
                    Component("memcached", "off", ""))
    app = ConsoleApp(PROFILE, screens=[SCREEN], status_provider=lambda: status,
                     status_interval=3600)
    latencies: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        if traced:
            tracemalloc.start()
        t0 = time.perf_counter()
        rec = start(n)
        screen.attach(rec, from_start=True)
        follower = screen.follower
        done = asyncio.ensure_future(asyncio.to_thread(follower.finished.wait))
        handled = asyncio.Event()
        original = screen.action_tab

        def tab(name: str) -> None:  # the real binding's action ("v": the Live tab), timed
            handled.set()
            original(name)

        screen.action_tab = tab
        from textual import events

        while not done.done():
            handled.clear()
            k0 = time.perf_counter()
            app.post_message(events.Key("v", "v"))  # as the terminal driver delivers a key
            await handled.wait()
            latencies.append((time.perf_counter() - k0) * 1000)
            await asyncio.sleep(0.1)
        await done

        await pilot.pause()
        elapsed = time.perf_counter() - t0
        peak = 0
        if traced:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        shown = len(screen.query_one("#job-log", RichLog).lines)
        assert len(screen.ring) <= 5000
        assert screen.lines_seen == n, (screen.lines_seen, n)
    return n / elapsed, latencies, shown, peak


def main() -> None:

    n = 200_000
    live, reread, _ = runner_rate(n)
    row(f"runner: {n:,} lines, live (start to last line event)", f"{live:,.0f} lines/s")
    row(f"runner: {n:,} lines, tail of the finished logs", f"{reread:,.0f} lines/s")
    for m in (50_000, 200_000):
        peak = runner_rate(m, traced=True)[2]
        row(f"runner: peak traced memory following {m:,} lines", f"{peak / 1e6:.1f} MB")
    rate, lat, shown, _ = asyncio.run(screen_run(n))
    row(f"screen: {n:,} lines onto the Jobs screen (start to done)", f"{rate:,.0f} lines/s")
    row(f"screen: key press latency while streaming (n={len(lat)})",
        f"median {statistics.median(lat):.0f} ms, p95 "
        f"{sorted(lat)[int(len(lat) * 0.95) - 1]:.0f} ms, max {max(lat):.0f} ms, "
        f"{sum(x <= 100 for x in lat)}/{len(lat)} within 100 ms")
    row("screen: lines kept on screen", f"{shown:,}")
    for m in (50_000, 200_000):
        peak = asyncio.run(screen_run(m, traced=True))[3]
        row(f"screen: peak traced memory streaming {m:,} lines", f"{peak / 1e6:.1f} MB")
    row("every line in the log files", "yes (asserted)")


if __name__ == "__main__":
    main()
