"""Time to the first findings on screen, beside a bare Textual app's first paint (issue "Speed").

The console opens on the seeded demo database through `ATTRIBTUI_DB_URL` (no seeding, no emulator
to start), in tmux 120x40; the clock stops when a check row ("tables") is on screen. Measured
with no saved run (the checks stream in as each ends) and with one saved by `attribtui check`
beforehand (Health paints it at once, marked ·saved). Goals: with a saved run <= 2.0x the bare app; fresh findings <= 3.0x.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import BIN, ROOT, row
from first_paint import paint_time, tmux

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
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
    aside = Path(data) / "checks.saved"
    # The saved run: a whole headless run (a console killed at its first findings saves none).
    subprocess.run([str(BIN / "attribtui"), "check"], env={**os.environ, **env},
                   capture_output=True, check=False)
    if not any(checks.glob("*.json")):
        raise SystemExit("attribtui check saved no run")
    bare, fresh, saved = [], [], []
    console = f"{BIN / 'attribtui'}"
    for _ in range(RUNS):  # interleaved, so machine noise hits all three alike
        bare.append(paint_time(f"{sys.executable} {ROOT / 'bench' / 'bare_textual.py'}",
                               "BARE READY", env, idle_s=0)[0])
        checks.rename(aside)  # no saved run: findings stream in
        fresh.append(paint_time(console, MARKER, env, idle_s=0)[0])
        shutil.rmtree(checks, ignore_errors=True)
        aside.rename(checks)
        saved.append(paint_time(console, MARKER, env, idle_s=0)[0])  # shown at once, marked
    b, f, s = (statistics.median(x) for x in (bare, fresh, saved))
    print(f"first findings in tmux 120x40, median of {RUNS}")
    row("bare Textual app, first paint", f"{b * 1000:7.0f} ms")
    row("first findings, saved run     (goal <= 2.0x bare)", f"{s * 1000:7.0f} ms  ({s / b:.2f}x)")
    row("first findings, no saved run  (goal <= 3.0x bare)", f"{f * 1000:7.0f} ms  ({f / b:.2f}x)")
    tmux("kill-session", "-t", "bench-keeper")


if __name__ == "__main__":
    main()
