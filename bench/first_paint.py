"""Time to first paint of `attribtui demo` beside a bare Textual app, and idle RSS.

Both run in tmux (120x40); the clock starts when tmux launches the command and stops when the
marker shows up in the captured pane. The demo database is seeded beforehand, so this measures
painting, not seeding. Targets (issue "Console shell"): first paint at most 1.7x the bare app;
idle RSS at most 80 MB.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BIN, ROOT, row

RUNS = 7
IDLE_S = 10  # idle: the checks and the first status probes are done


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def paint_time(command: str, marker: str, env: dict[str, str],
               idle_s: float = IDLE_S) -> tuple[float, int]:
    """(seconds until marker is on screen, RSS in kB of the app after idle_s of idle; 0 kB and
    no wait when idle_s is 0)."""
    session = f"bench{os.getpid()}"
    envs = " ".join(f"{k}={v}" for k, v in env.items())
    t0 = time.perf_counter()
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", f"env {envs} {command}")
    try:
        while marker not in tmux("capture-pane", "-p", "-t", session):
            if time.perf_counter() - t0 > 30:
                raise RuntimeError(f"{marker!r} never appeared")
            time.sleep(0.005)
        elapsed = time.perf_counter() - t0
        if not idle_s:
            return elapsed, 0
        time.sleep(idle_s)
        pane_pid = tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip()
        rss = _rss_of_tree(int(pane_pid))
        return elapsed, rss
    finally:
        tmux("kill-session", "-t", session)


def _rss_of_tree(pid: int) -> int:
    """The largest VmRSS among pid and its descendants (the Python process under the shell)."""
    best = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            best = max(best, kb)
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
            pids += [int(c) for c in children]
        except (OSError, StopIteration):
            continue
    return best


def main() -> None:
    # A session that keeps one tmux server up for the whole run (restarting it is flaky).
    tmux("new-session", "-d", "-s", "bench-keeper", "sleep 3600")
    data = tempfile.mkdtemp(prefix="attribtui-bench-")
    env = {"ATTRIBTUI_DATA_DIR": data, "TERM": "xterm-256color", **({"MALLOC_ARENA_MAX": os.environ["MALLOC_ARENA_MAX"]} if "MALLOC_ARENA_MAX" in os.environ else {})}
    # Seed the demo once, headless, so every run below reuses it.
    from attribtui.services import demo

    os.environ["ATTRIBTUI_DATA_DIR"] = data
    demo.reseed(demo.db_path())
    bare, ours = [], []
    for _ in range(RUNS):  # interleaved, so machine noise hits both alike
        bare.append(paint_time(f"{sys.executable} {ROOT / 'bench' / 'bare_textual.py'}",
                               "BARE READY", env))
        ours.append(paint_time(f"{BIN / 'attribtui'} demo", "profile demo", env))
    b = statistics.median(t for t, _ in bare)
    o = statistics.median(t for t, _ in ours)
    print(f"first paint in tmux 120x40, median of {RUNS}")
    row("bare Textual app", f"{b * 1000:7.0f} ms")
    row("attribtui demo (seeded)            (target <= 1.7x bare)", f"{o * 1000:7.0f} ms  ({o / b:.2f}x)")
    row("idle RSS bare Textual app", f"{statistics.median(r for _, r in bare) / 1024:7.1f} MB")
    row("idle RSS attribtui demo            (target <= 80 MB)",
        f"{statistics.median(r for _, r in ours) / 1024:7.1f} MB")
    tmux("kill-session", "-t", "bench-keeper")


if __name__ == "__main__":
    main()
