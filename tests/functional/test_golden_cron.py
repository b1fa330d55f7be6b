"""The cron stand-ins against upstream's own scripts (tests/golden/cron/*.json, runner/*.json).

Each golden file was written by tools/conformance/engine/cron.py from Prosper202 at the commit it
names (Debian's PHP 8.2 CLI with its default php.ini, MariaDB): a database as fixture rows, the
script's argv (and whether the database was down), and upstream's exit code, stdout and stderr
(normalised as tests/golden_cron.py says) and the tables it wrote. Here the same database is
built, `python -m attribtui.sandbox.cron` runs with the clock at the same NOW, and everything must
match: exit code, output and every table, the audit metadata's floats to the last digit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import golden_cron, golden_db
from tests.support import MARIADB_HOST, MARIADB_PORT, new_database_name

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((golden_db.GOLDEN / "cron").glob("*.json")) + sorted(
    (golden_db.GOLDEN / "runner").glob("*.json"))
DOWN_PORT = 1

def _run(golden: dict[str, Any], database: str) -> dict[str, object]:
    port = DOWN_PORT if golden["db_down"] else MARIADB_PORT
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ATTRIBTUI_") and k not in ("HTTP_HOST", "SERVER_ADDR",
                                                           "SERVER_NAME", "REMOTE_ADDR")}
    env.update({"P202_SANDBOX_DB_URL": f"mysql+pymysql://root@{MARIADB_HOST}:{port}/{database}",
                "ATTRIBTUI_NOW": str(golden["now"]), "PYTHONPATH": str(ROOT)})
    proc = subprocess.run([sys.executable, "-m", "attribtui.sandbox.cron", golden["script"],
                           *golden["argv"]], cwd=ROOT, env=env, capture_output=True, timeout=120)
    return {"exit": proc.returncode, "stdout": golden_cron.normalise(proc.stdout.decode()),
            "stderr": golden_cron.normalise(proc.stderr.decode()),
            "state": golden_db.dump(database, list(golden["expected"]["state"]))}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_stand_in_matches_upstream(path: Path) -> None:
    golden = json.loads(path.read_text())
    assert golden["upstream"]["commit"] == "ceec1ee"
    name = new_database_name()
    golden_db.build(name, golden["fixture"])
    try:
        ours = _run(golden, name)
    finally:
        golden_db.drop(name)
    theirs = golden["expected"]
    for key in ("exit", "stdout", "stderr"):
        assert ours[key] == theirs[key], f"{path.stem} {key}"
    for table, rows in theirs["state"].items():
        # Audit metadata holds the unrounded PHP doubles: compared to the last binary digit.
        assert ours["state"][table] == rows, f"{path.stem} {table}"  # type: ignore[index]


def test_corpus_covers_the_named_edges() -> None:
    names = {p.stem for p in FILES}
    for wanted in ("backfill_one_fails", "backfill_db_down_bad_args", "backfill_user_zero",
                   "backfill_settings_1956", "backfill_settings_collation",
                   "backfill_settings_1956_collation", "rebuild_duplicate_click_row",
                   "rebuild_missing_click_row", "rebuild_conversion_click_time",
                   "rebuild_db_down", "rebuild_duplicate_snapshots"):
        assert wanted in names
