"""The console's memory with 20 profiles on the Fleet screen, refreshing in the background.

Twenty profiles (two seeded sandbox databases, ten profiles on each) are checked every 5 s (the
shortest checks.fleet_refresh_s the screen honours) for 60 s, in tmux 120x40. Sampled every
second: the console's RSS, and its sum with the refresh's child process (`attribtui check
--all-profiles --format jsonl`, which takes the twenty runs' memory away when it exits). Goal
(issue "Fleet"): the console under 120 MB.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from common import BIN, row, seeded_database
from first_paint import tmux

PROFILES = 20


def rss_mb(pid: int) -> tuple[float, float]:
    """(the console's RSS, the sum over it and its children: the refresh's child process)."""
    def one(p: int) -> float:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            return 0.0
        return next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS")) / 1024

    kids = []  # started from a worker thread: listed under that thread's task
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids += (task / "children").read_text().split()
        except OSError:
            continue
    return one(pid), one(pid) + sum(one(int(k)) for k in kids)
WATCH_S = 60


def main() -> None:
    urls = [seeded_database(f"attribtui_bench_fleet_console_{i}", 2000) for i in range(2)]
    folder = Path(tempfile.mkdtemp(prefix="attribtui-bench-"))
    lines = []
    for i in range(PROFILES):
        lines += [f"[profiles.p{i:02}]", 'environment = "staging"', "read_only = true",
                  f'db = {{ url = "{urls[i % 2]}" }}', "checks = { fleet_refresh_s = 5 }"]
    config = folder / "config.toml"
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)
    env = f"ATTRIBTUI_CONFIG={config} ATTRIBTUI_DATA_DIR={folder / 'data'} TERM=xterm-256color"
    env += " " + os.environ.get("BENCH_ENV", "")
    session = f"benchfleet{os.getpid()}"
    tmux("new-session", "-d", "-s", "bench-keeper", "sleep 3600")
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40",
         f"env {env} {BIN / 'attribtui'}")
    samples, trees = [], []
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < WATCH_S:
            time.sleep(1)
            pid = tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip()
            console, tree = rss_mb(int(pid))
            samples.append(console)
            trees.append(tree)
        pane = tmux("capture-pane", "-p", "-t", session)
    finally:
        tmux("kill-session", "-t", session)
        tmux("kill-session", "-t", "bench-keeper")
    shown = sum(1 for line in pane.splitlines() if line[:5].strip().lstrip("▶").startswith("p"))
    print(f"console on the Fleet screen, {PROFILES} profiles refreshed every 5 s for {WATCH_S} s")
    row("profile rows on screen", f"{shown}")
    row("RSS after 10 s / at the end", f"{samples[9]:6.1f} MB / {samples[-1]:6.1f} MB")
    row("console RSS max (goal < 120 MB)", f"{max(samples):6.1f} MB")
    row("console + refresh child, max of the sum", f"{max(trees):6.1f} MB")


if __name__ == "__main__":
    main()
