"""The incident report: every console action, checks before/after, audit rows, no secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from attribtui import checks
from attribtui.checks import store
from attribtui.cli.main import main
from attribtui.infra import actionlog
from attribtui.infra.config import load_profile
from attribtui.infra.db import Database
from attribtui.sandbox.seed import seed
from attribtui.services import purge, report
from tests.support import NOW

SECRET = "k3y-s3cret-abcdef0123456789"


@pytest.fixture
def env_profile(fresh_db, monkeypatch: pytest.MonkeyPatch, frozen_clock):
    url = fresh_db()
    seed(url, conversions=150, now=NOW, defects="none")
    monkeypatch.setenv("ATTRIBTUI_DB_URL", url)
    monkeypatch.setenv("ATTRIBTUI_API_BASE_URL", "http://127.0.0.1:9/p202")
    monkeypatch.setenv("ATTRIBTUI_API_KEY", SECRET)
    return load_profile()


def test_report_contains_every_action_and_no_secret(env_profile) -> None:
    profile = env_profile
    db = Database.from_profile(profile)
    ctx = checks.CheckContext(db=db, now=NOW)
    store.save(checks.report(checks.run_checks(ctx, checks.select(["cron"])), profile=profile.name,
                             now=NOW))
    actionlog.record("model.deactivate", profile=profile, target="model 3",
                     params={"url": f"http://127.0.0.1:9/p202/api/v2/attribution/models/3?apikey={SECRET}"},
                     result={"status": 200})
    conv = db.read("SELECT conv_id FROM `202_conversion_touchpoints` ORDER BY conv_id LIMIT 1")[0][0]
    result = purge.execute(db, profile, purge.plan(db, purge.Selection(conv_ids=[conv])))
    doc = report.build(profile, db, NOW - 86400, NOW)
    md, js = report.write(doc, profile)
    text, raw = md.read_text(), js.read_text()
    assert SECRET not in text and SECRET not in raw
    assert [e["action"] for e in doc["timeline"]] == ["model.deactivate", "purge"]
    assert "model.deactivate" in text and result.backup in text
    assert doc["checks"]["runs"] == 1 and doc["checks"]["before"]["summary"]
    # The seeded audit trail of the last day is there, read by audit_id.
    assert doc["audit"] and all(NOW - 86400 <= a["created_at"] <= NOW for a in doc["audit"])
    assert "snapshot_rebuild" in text
    assert json.loads(raw)["profile"] == "env"
    assert oct(md.stat().st_mode & 0o777) == "0o600"
    db.close()


def test_report_command_writes_both_files(env_profile, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--since", "6h", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert Path(out["markdown"]).exists() and Path(out["json"]).exists()
    assert out["report"]["since"] == NOW - 6 * 3600
    assert SECRET not in json.dumps(out)
    assert main(["report", "--since", "later"]) == 64
    assert main(["report", "--since", "1h", "--until", "2h"]) == 64


def test_report_names_the_configured_operator_when_user_is_unset(
        env_profile, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under cron or `env -i` $USER is unset: the report says who wrote it, never "unknown"."""
    import dataclasses
    import pwd

    monkeypatch.delenv("USER", raising=False)
    monkeypatch.delenv("SUDO_USER", raising=False)
    named = dataclasses.replace(env_profile, operator="jane.doe")
    md, _ = report.write(report.build(named, None, NOW - 3600, NOW), named)
    assert " by jane.doe on " in md.read_text()
    # nothing configured either: the login name of the process, not "unknown"
    doc = report.build(env_profile, None, NOW - 3600, NOW)
    assert doc["operator"] == pwd.getpwuid(__import__("os").getuid()).pw_name != "unknown"
