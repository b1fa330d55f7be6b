"""`attribtui paths`, `config show`, `prune` and the action log, end to end."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from attribtui.cli.main import main
from attribtui.infra import actionlog
from attribtui.infra.config import load_profile
from attribtui.infra.paths import data_dir


def test_paths_lists_every_location_with_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    (data_dir() / "checks").mkdir(parents=True)
    (data_dir() / "checks" / "run.json").write_text("x" * 2048)
    assert main(["paths", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {"config", "data", "checks", "actions", "jobs", "backups", "demo", "reports"} <= set(rows)
    assert rows["checks"]["bytes"] == 2048 and rows["checks"]["exists"]
    assert not rows["config"]["exists"]
    assert main(["paths"]) == 0
    assert "2.0 KiB" in capsys.readouterr().out


def test_config_show_redacts_secrets_and_names_sources(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[profiles.prod]\nenvironment = "production"\n'
        '[profiles.prod.db]\nurl = "mysql+pymysql://ro:dbpw-s3cret@db:3306/p202"\n'
        '[profiles.prod.api]\nbase_url = "https://p202.example"\nkey_env = "P202_KEY"\n')
    cfg.chmod(0o600)
    monkeypatch.setenv("P202_KEY", "apikey-s3cret")
    monkeypatch.setenv("ATTRIBTUI_DB_STATEMENT_TIMEOUT_MS", "2500")
    assert main(["config", "show", "--config", str(cfg), "--json"]) == 0
    out = capsys.readouterr().out
    assert "dbpw-s3cret" not in out and "apikey-s3cret" not in out
    doc = json.loads(out)
    values = {v["key"]: v for v in doc["values"]}
    assert values["db.statement_timeout_ms"]["source"] == "env:ATTRIBTUI_DB_STATEMENT_TIMEOUT_MS"
    assert values["environment"]["source"].startswith("file:")
    assert values["db.connect_timeout_s"]["source"] == "default"
    assert any("ATTRIBTUI_DB_STATEMENT_TIMEOUT_MS" in o for o in doc["overrides"])


def test_a_bad_config_file_is_one_line_naming_file_and_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[profiles.x]\nenvironment = "dev"\n[profiles.x.db]\nurll = "x"\n')
    assert main(["check", "--config", str(cfg)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(cfg) in err[0] and "profiles.x.db.urll" in err[0]


def test_prune_removes_old_runs_and_keeps_backups(capsys: pytest.CaptureFixture[str]) -> None:
    old = time.time() - 40 * 86400
    paths = {}
    for folder in ("checks", "backups"):
        (data_dir() / folder).mkdir(parents=True)
        for name in ("old", "new"):
            p = data_dir() / folder / f"{name}.json"
            p.write_text("{}")
            if name == "old":
                os.utime(p, (old, old))
            paths[(folder, name)] = p
    partial = data_dir() / "backups" / ".purge-x.partial"  # a purge killed mid-backup left it
    partial.write_text("{}")
    os.utime(partial, (old, old))
    assert main(["prune", "--older-than", "30d", "--dry-run"]) == 0
    assert paths[("checks", "old")].exists()
    assert "would remove" in capsys.readouterr().out
    assert main(["prune", "--older-than", "30d"]) == 0
    assert not paths[("checks", "old")].exists() and paths[("checks", "new")].exists()
    assert paths[("backups", "old")].exists() and not partial.exists()
    assert main(["prune", "--older-than", "30d", "--include-backups"]) == 0
    assert not paths[("backups", "old")].exists() and paths[("backups", "new")].exists()
    assert main(["prune", "--older-than", "soon"]) == 64


def test_action_log_appends_redacted_entries(monkeypatch: pytest.MonkeyPatch, frozen_clock: int) -> None:
    monkeypatch.setenv("ATTRIBTUI_DB_URL", "mysql+pymysql://u:dbpw-s3cret@h:3306/p")
    monkeypatch.setenv("ATTRIBTUI_API_KEY", "k-s3cret-123")
    monkeypatch.setenv("SUDO_USER", "alice")
    profile = load_profile()
    actionlog.record("model.deactivate", profile=profile, target="model 12",
                     params={"url": "https://p/api/v2/attribution/models/12?apikey=k-s3cret-123",
                             "apikey": "k-s3cret-123", "note": "dbpw-s3cret"}, result={"status": 200})
    actionlog.record("check.run", profile=profile, result="ok")
    text = actionlog.log_path().read_text()
    assert "s3cret" not in text
    entries = list(actionlog.entries())
    assert [e["action"] for e in entries] == ["model.deactivate", "check.run"]
    assert entries[0]["operator"] == "alice" and entries[0]["profile"] == "env"
    assert entries[0]["environment"] == "unknown" and entries[0]["ts"] == frozen_clock
    assert oct(actionlog.log_path().stat().st_mode & 0o777) == "0o600"
