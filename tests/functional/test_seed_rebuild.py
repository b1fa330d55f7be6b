"""The seeded sandbox is what the rebuild cron leaves: rerunning the rebuild stand-in (which
matches upstream's runner, tests/functional/test_golden_cron.py) at the last heartbeat rewrites
the window's snapshots with the same numbers and logs the audit rows the seed wrote.

The seed tells a healthy story, without upstream's finalise reference bug (docs/prosper202.md
§Rebuild runner): a real run hands the last model's snapshots to the model before it and repeats
that model's audit numbers. So rows are compared without their model_id, and each audit row of
the rerun must be one the seed wrote for the same user at that hour.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from attribtui.prosper.hours import DAY
from attribtui.sandbox.seed import seed
from tests.support import NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = ("SELECT date_hour, attributed_clicks, attributed_conversions, "
             "attributed_revenue, attributed_cost FROM `202_attribution_snapshots` "
             "WHERE date_hour >= :h ORDER BY date_hour, attributed_revenue, attributed_cost")
AUDIT = ("SELECT user_id, metadata FROM `202_attribution_audit` WHERE action = "
         "'snapshot_rebuild' AND created_at = :t ORDER BY user_id")


def test_rerunning_the_rebuild_at_the_heartbeat_changes_nothing() -> None:
    name, url = create_database()
    engine = create_engine(url)
    try:
        hb = seed(url, conversions=400, now=NOW, defects=[]).hb
        with engine.begin() as conn:
            before = conn.execute(text(SNAPSHOTS), {"h": hb - DAY}).all()
            audit = conn.execute(text(AUDIT), {"t": hb}).all()
            # The run at hb already happened: forget its guard row so the stand-in runs again.
            conn.execute(text("DELETE FROM `202_cronjobs`"))
            conn.execute(text("DELETE FROM `202_attribution_audit` WHERE created_at = :t"),
                         {"t": hb})
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIBTUI_")}
        env.update({"P202_SANDBOX_DB_URL": url, "ATTRIBTUI_NOW": str(hb),
                    "PYTHONPATH": str(ROOT)})
        proc = subprocess.run([sys.executable, "-m", "attribtui.sandbox.cron",
                               "rebuild"], cwd=ROOT, env=env,
                              capture_output=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stderr.decode()
        with engine.begin() as conn:
            after = conn.execute(text(SNAPSHOTS), {"h": hb - DAY}).all()
            rerun = conn.execute(text(AUDIT), {"t": hb}).all()
        assert len(before) > 20
        assert after == before
        seeded = [(u, json.loads(meta)) for u, meta in audit]
        assert len(rerun) == len(seeded) == 5
        for user, meta in rerun:
            assert (user, json.loads(meta)) in seeded
    finally:
        engine.dispose()
        drop_database(name)
