"""`attribtui check` wall time on a demo-sized MariaDB, beside the bare driver import.

Targets (issue "Core"): the whole check run under 1 s; `attribtui check --help` under 0.3 s.
"""

from __future__ import annotations

import sys

from common import BIN, row, seeded_database, time_command


def main() -> None:
    url = seeded_database("attribtui_bench_demo", 2000)
    env = {"ATTRIBTUI_DB_URL": url}
    py = sys.executable
    imports = time_command([py, "-c", "import sqlalchemy, pymysql"])
    helptime = time_command([str(BIN / "attribtui"), "check", "--help"])
    check = time_command([str(BIN / "attribtui"), "check", "--no-save"], env=env)
    check_json = time_command([str(BIN / "attribtui"), "check", "--json", "--no-save"], env=env)
    print("attribtui check (demo-sized MariaDB, 2000 conversions), median of 7 runs")
    row("python -c 'import sqlalchemy, pymysql'", f"{imports * 1000:7.0f} ms")
    row("attribtui check --help            (target < 300 ms)", f"{helptime * 1000:7.0f} ms")
    row("attribtui check                   (target < 1000 ms)", f"{check * 1000:7.0f} ms")
    row("attribtui check --json", f"{check_json * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
