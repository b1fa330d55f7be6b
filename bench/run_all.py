"""Run every bench script in this folder and print their numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    scripts = sorted(p for p in HERE.glob("*.py")
               if p.name not in ("run_all.py", "common.py", "bare_textual.py"))
    for script in scripts:
        print(f"== {script.name}")
        subprocess.run([sys.executable, str(script)], cwd=HERE, check=False)
