"""Time to the first findings on screen, beside a bare Textual app's first paint (issue "Speed").

The console opens on the seeded demo database through `ATTRIBTUI_DB_URL` (no seeding, no emulator
to start), in tmux 120x40; the clock stops when a check row ("tables") is on screen. Measured
with no saved run (the checks stream in as each ends) and with one (Health paints it at once,
marked ·saved). Goals: with a saved run <= 2.0x the bare app; fresh findings <= 3.0x.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from common import BIN, ROOT, row
from first_paint import paint_time, tmux

RUNS = 7
MARKER = "ok      tables"  # the first row of the check list


def main() -> None:
    tmux("new-session", "-d", "-s", "bench-keeper", "sleep 3600")
    data = tempfile.mkdtemp(prefix="attribtui-bench-")
    os.environ["ATTRIBTUI_DATA_DIR"] = data
    from attribtui.services import demo

    demo.reseed(demo.db_path())
    url = demo.url_for(demo.db_path())
    env = {"ATTRIBTUI_DATA_DIR": data, "TERM": "xterm-256color", "ATTRIBTUI_DB_URL": url}
    checks = Path(data) / "checks"
    bare, fresh, saved = [], [], []
    console = f"{BIN / 'attribtui'}"
    for _ in range(RUNS):  # interleaved, so machine noise hits all three alike
        bare.append(paint_time(f"{sys.executable} {ROOT / 'bench' / 'bare_textual.py'}",
                               "BARE READY", env)[0])
        shutil.rmtree(checks, ignore_errors=True)  # no saved run: findings stream in
        fresh.append(paint_time(console, MARKER, env)[0])
        saved.append(paint_time(console, MARKER, env)[0])  # the run just saved is shown at once
    b, f, s = (statistics.median(x) for x in (bare, fresh, saved))
    print(f"first findings in tmux 120x40, median of {RUNS}")
    row("bare Textual app, first paint", f"{b * 1000:7.0f} ms")
    row("first findings, saved run     (goal <= 2.0x bare)", f"{s * 1000:7.0f} ms  ({s / b:.2f}x)")
    row("first findings, no saved run  (goal <= 3.0x bare)", f"{f * 1000:7.0f} ms  ({f / b:.2f}x)")
    tmux("kill-session", "-t", "bench-keeper")


if __name__ == "__main__":
    main()
