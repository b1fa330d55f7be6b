"""`attribtui check --all-profiles` on five sandbox deployments at once: two healthy (each its
own seeded database), one with the planted demo defects, one unreachable (a closed port), one
stalled (a FaultProxy in front of a real database that forwards nothing). The stalled one costs its own deadline and no more; the rest report as usual.

The CLI runs as a real subprocess, so the test also proves that a worker still stuck on the
stalled socket does not keep the process from exiting.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from attribtui.checks import select
from attribtui.infra.config import load_profile
from attribtui.sandbox.seed import seed
from attribtui.services import fleet
from attribtui.services.profiles import BrokenProfile
from tests.faults import FaultProxy
from tests.support import NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb

ATTRIBTUI = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "attribtui")
STALL_DEADLINE_S = 3  # the stalled profile's own checks.deadline_s
STALL_CONNECT_S = 60  # its handshake would wait this long: the fleet must not
MARGIN_S = 6.0  # process start-up, the healthy profiles' own runs, a busy 2-core machine
PROFILES = ("healthy1", "healthy2", "defects", "unreachable", "stalled")


def closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def second_clean_url() -> Iterator[str]:
    """A second healthy deployment: its own database, seeded without defects."""
    name, url = create_database()
    seed(url, conversions=200, now=NOW, defects="none")
    yield url
    drop_database(name)


@pytest.fixture
def stalled() -> Iterator[FaultProxy]:
    proxy = FaultProxy()
    proxy.stall()  # accepts the TCP connection, then forwards nothing: a hung server
    yield proxy
    proxy.close()


@pytest.fixture
def config(tmp_path: Path, clean_url: str, second_clean_url: str, seeded_url: str,
           stalled: FaultProxy) -> Path:
    stalled_url = stalled.url(second_clean_url.rsplit("/", 1)[1])
    rows = {
        "healthy1": ("staging", ["eu"], clean_url, ""),
        "healthy2": ("production", ["us"], second_clean_url, ""),
        "defects": ("staging", ["eu", "agency-x"], seeded_url, ""),
        "unreachable": ("dev", ["eu"], f"mysql+pymysql://root@127.0.0.1:{closed_port()}/p202",
                        "connect_timeout_s = 2"),
        "stalled": ("dev", ["agency-x"], stalled_url, f"connect_timeout_s = {STALL_CONNECT_S}"),
    }
    lines = ['default_profile = "healthy1"']
    for name, (env, groups, url, extra) in rows.items():
        lines += [f"[profiles.{name}]", f'environment = "{env}"', f"groups = {json.dumps(groups)}",
                  "read_only = true", f"[profiles.{name}.db]", f'url = "{url}"', extra]
        if name == "stalled":
            lines += [f"[profiles.{name}.checks]", f"deadline_s = {STALL_DEADLINE_S}"]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def attribtui(*args: str, config: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "ATTRIBTUI_CONFIG": str(config), "ATTRIBTUI_NOW": str(NOW),
           "NO_COLOR": "1"}
    t0 = time.monotonic()
    out = subprocess.run([ATTRIBTUI, *args], capture_output=True, text=True, env=env,
                         timeout=STALL_CONNECT_S)
    return out, time.monotonic() - t0


def saved_runs() -> dict[str, int]:
    folder = Path(os.environ["ATTRIBTUI_DATA_DIR"]) / "checks"
    counts: dict[str, int] = {}
    for path in folder.glob("*.json"):
        name = json.loads(path.read_text())["profile"]
        counts[name] = counts.get(name, 0) + 1
    return counts


def bound_s() -> float:
    return STALL_DEADLINE_S + fleet.GRACE_S + MARGIN_S


def test_fleet_json_exit_code_rows_saved_runs_and_wall_time(config: Path) -> None:
    out, elapsed = attribtui("check", "--all-profiles", "--json", config=config)
    # fail (the planted defects) wins over could-not-tell (unreachable, stalled): exit 2
    assert out.returncode == 2, out.stderr
    assert elapsed < bound_s() < STALL_CONNECT_S, f"fleet took {elapsed:.1f} s"
    assert "Traceback" not in out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"fleet", "profiles"}
    rows = {p["profile"]: p for p in doc["profiles"]}
    assert list(rows) == sorted(PROFILES)  # config order: the file's profiles, sorted
    for row in rows.values():
        assert set(row) == {"profile", "environment", "groups", "read_only", "status",
                            "exit_code", "counts", "worst_check", "elapsed_s", "error", "saved",
                            "report"}
        assert row["read_only"] is True
    for name in ("healthy1", "healthy2"):
        assert (rows[name]["status"], rows[name]["exit_code"], rows[name]["error"]) == \
            ("info", 0, None), rows[name]  # ok and info (nothing to examine): exit 0
        assert rows[name]["report"]["profile"] == name
    d = rows["defects"]
    assert (d["status"], d["exit_code"], d["error"]) == ("fail", 2, None)
    assert d["counts"]["fail"] > 0 and d["worst_check"] is not None
    assert d["report"]["checks"] and d["groups"] == ["eu", "agency-x"]
    u = rows["unreachable"]
    assert (u["status"], u["exit_code"]) == ("error", 3)
    assert u["error"].startswith("cannot reach the database at mysql 127.0.0.1:")
    assert "Connection refused" in u["error"] and "check db.url" in u["error"]
    s = rows["stalled"]
    assert (s["status"], s["exit_code"], s["report"], s["saved"]) == ("error", 3, None, None)
    waited = STALL_DEADLINE_S + fleet.GRACE_S
    assert s["error"].startswith(f"no answer within {waited:g} s: mysql 127.0.0.1:"), s["error"]
    assert f"deadline of {STALL_DEADLINE_S} s" in s["error"]
    assert s["elapsed_s"] < waited + 1.0
    summary = doc["fleet"]
    assert summary["profiles"] == 5 and summary["exit_code"] == 2
    assert summary["status"] == "fail"
    assert summary["by_status"] == {"ok": 0, "info": 2, "warn": 0, "skipped": 0, "fail": 1,
                                    "error": 2}
    assert summary["could_not_tell"] == ["stalled", "unreachable"]
    # Each profile's run saved as `attribtui check` saves it; the stalled one has none.
    assert saved_runs() == {"defects": 1, "healthy1": 1, "healthy2": 1, "unreachable": 1}
    for name in ("defects", "healthy1", "healthy2", "unreachable"):
        assert Path(rows[name]["saved"]).is_file()


def test_fleet_table_one_row_per_profile_then_the_failing_checks(config: Path) -> None:
    out, elapsed = attribtui("check", "--all-profiles", "--parallel", "5", "--no-save",
                             config=config)
    assert out.returncode == 2, out.stderr
    assert elapsed < bound_s()
    lines = out.stdout.splitlines()
    assert lines[0].startswith("attribtui check · fleet of 5 profiles · ")
    head = lines.index(next(x for x in lines if x.startswith("profile ")))
    table = lines[head + 1:lines.index("", head)]
    row = {x.split()[0]: x for x in table if not x.startswith(" ")}
    assert list(row) == sorted(PROFILES)
    assert "ℹ info" in row["healthy1"] and "✖ FAIL" in row["defects"]
    assert "‼ ERROR" in row["unreachable"] and "‼ ERROR" in row["stalled"]
    text = out.stdout
    assert "    error: no answer within" in text and "    error: cannot reach the database" in text
    assert re.search(r"^defects \(staging\): \d+ not ok$", text, re.M) and "  ✖ FAIL     models.defaults  " in text
    assert lines[-1] == "Fleet: 2 info, 1 fail, 2 error (exit 2)"
    assert "healthy1 (staging)" not in text  # nothing failing: no section
    assert not Path(os.environ["ATTRIBTUI_DATA_DIR"], "checks").exists() or saved_runs() == {}


def test_fleet_prometheus_labels_every_series_with_its_profile(config: Path) -> None:
    out, _ = attribtui("check", "--group", "agency-x", "--format", "prometheus", "--no-save",
                       config=config)
    assert out.returncode == 2, out.stderr  # defects (fail) and stalled (could not tell)
    samples = [x for x in out.stdout.splitlines() if x and not x.startswith("#")]
    assert samples and all('{profile="' in x for x in samples)
    assert {x.split('"')[1] for x in samples} == {"defects", "stalled"}
    assert 'attribtui_check_exit_code{profile="defects"} 2' in samples
    assert 'attribtui_check_exit_code{profile="stalled"} 3' in samples
    helps = [x for x in out.stdout.splitlines() if x.startswith("# HELP ")]
    assert len(helps) == len(set(helps))  # each family once, not once per profile
    assert not any('profile="stalled",check=' in x for x in samples)


def test_select_by_names_keeps_their_order_and_a_broken_row_is_not_a_crash(
        config: Path, clean_url: str) -> None:
    picked = fleet.select_profiles(names=["healthy2", "healthy1"], config_path=config)
    assert [p.name for p in picked] == ["healthy2", "healthy1"]
    broken = BrokenProfile("gone", "config error: profiles.gone: example")
    seen: list[str] = []
    runs = fleet.check_fleet([*picked, broken], parallel=2, window_s=48 * 3600,
                             specs=select(["db.connection"]), save=False,
                             on_result=lambda r: seen.append(r.name))
    assert sorted(seen) == ["gone", "healthy1", "healthy2"]
    assert [r.name for r in runs] == ["healthy2", "healthy1", "gone"]
    assert [r.exit_code for r in runs] == [0, 0, 3]
    assert runs[2].error == "config error: profiles.gone: example" and runs[2].report is None
    assert fleet.fleet_exit_code(runs) == 3
    one = fleet.check_profile(load_profile("healthy1", config_path=config),
                              specs=select(["db.connection"]), save=False)
    assert (one.status, one.counts["ok"], one.worst_check) == ("ok", 1, "db.connection")


def test_cancel_before_start_gives_skipped_rows(config: Path) -> None:
    import threading

    cancel = threading.Event()
    cancel.set()
    picked = fleet.select_profiles(group="eu", config_path=config)
    runs = fleet.check_fleet(picked, cancel=cancel, save=False)
    assert [(r.name, r.status, r.exit_code) for r in runs] == [
        ("defects", "skipped", 1), ("healthy1", "skipped", 1), ("unreachable", "skipped", 1)]
    assert all(r.error == "cancelled by the operator before it ran" for r in runs)


def test_profiles_lists_groups_and_configured_backends_without_secrets(
        config: Path, tmp_path: Path) -> None:
    out, _ = attribtui("profiles", "--json", config=config)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["healthy1"] == {"name": "healthy1", "environment": "staging", "groups": ["eu"],
                                "read_only": True, "db_configured": True,
                                "api_configured": False, "default": True, "error": None}
    assert [r["default"] for r in rows.values()].count(True) == 1
    table, _ = attribtui("profiles", config=config)
    assert table.stdout.splitlines()[0].split() == ["profile", "environment", "groups",
                                                    "read-only", "db", "api"]
    assert "mysql" not in table.stdout and "127.0.0.1" not in table.stdout
    first = next(x for x in table.stdout.splitlines() if "healthy1" in x)
    assert first.split() == ["*", "healthy1", "staging", "eu", "yes", "yes", "no"]


def test_a_run_that_stalls_midway_is_given_up_at_its_deadline(config: Path) -> None:
    """The server hangs after the connection is made, on the first check's query: the fleet
    reports it at its deadline plus the grace, and the healthy profile is reported first."""
    proxy = FaultProxy()
    try:
        healthy = load_profile("healthy1", config_path=config)
        url = proxy.url(str(healthy.db.url).rsplit("/", 1)[1])
        hung = replace(healthy, name="hung", db=replace(healthy.db, url=url))
        fired = proxy.stall_on(b"202_")  # the first query on a Prosper202 table
        order: list[str] = []
        t0 = time.monotonic()
        runs = fleet.check_fleet([hung, healthy], deadline_s=2, save=False,
                                 on_result=lambda r: order.append(r.name))
        elapsed = time.monotonic() - t0
    finally:
        proxy.close()  # the hung worker's socket ends here, not at its read timeout
    assert fired.is_set()
    assert order == ["healthy1", "hung"]
    assert elapsed < 2 + fleet.GRACE_S + 2.0, elapsed
    row = runs[0]
    assert (row.name, row.status, row.exit_code, row.report) == ("hung", "error", 3, None)
    assert row.error is not None and row.error.startswith(
        f"no answer within {2 + fleet.GRACE_S:g} s: mysql 127.0.0.1:{proxy.port}/")
    assert "stalled within the run's deadline of 2 s" in row.error


def test_an_override_that_retargets_every_profile_is_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from attribtui.cli.main import main

    path = tmp_path / "fleet.toml"
    path.write_text('[profiles.a]\nenvironment = "dev"\n[profiles.b]\nenvironment = "dev"\n')
    path.chmod(0o600)
    monkeypatch.setenv("ATTRIBTUI_DB_URL",
                       f"mysql+pymysql://root:pw-NOT-SHOWN@127.0.0.1:{closed_port()}/p202")
    assert main(["check", "--all-profiles", "--config", str(path), "--no-save"]) == 3
    out = capsys.readouterr()
    assert "attribtui: warning: ATTRIBTUI_DB_URL=mysql+pymysql://root:***@127.0.0.1:" in out.err
    assert "applies to every profile of this fleet" in out.err
    assert out.err.count("applies to every profile") == 1
    assert "pw-NOT-SHOWN" not in out.err + out.out


def test_jsonl_streams_a_line_per_profile_then_the_fleet(config: Path) -> None:
    out, _ = attribtui("check", "--all-profiles", "--format", "jsonl", "--no-save",
                       config=config)
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 2 and len(lines) == len(PROFILES) + 1
    assert sorted(d["profile"] for d in lines[:-1]) == sorted(PROFILES)
    assert lines[-1]["fleet"]["exit_code"] == 2 and saved_runs() == {}
    rows = {d["profile"]: fleet.ProfileRun.from_json(d) for d in lines[:-1]}
    assert rows["defects"].to_json() == next(d for d in lines if d.get("profile") == "defects")


def test_the_console_refresh_runs_apart_and_streams_rows(config: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The Fleet screen's refresh: a child `attribtui check --format jsonl`, rows as they come;
    the stalled deployment's row arrives last, at its deadline, and cancel kills the child."""
    import threading

    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))
    rows: list[fleet.ProfileRun] = []
    t0 = time.monotonic()
    error = fleet.check_fleet_apart(config, on_result=rows.append, cancel=threading.Event())
    assert error is None and time.monotonic() - t0 < bound_s()
    assert sorted(r.name for r in rows) == sorted(PROFILES) and rows[-1].name == "stalled"
    assert {r.name: r.exit_code for r in rows}["defects"] == 2
    cancel = threading.Event()
    cancel.set()  # the child is killed at once: no rows, no error
    assert fleet.check_fleet_apart(config, on_result=rows.append, cancel=cancel) is None
    bad = config.with_name("bad.toml")
    bad.write_text("[profiles.x]\nenvironment = 3\n")
    bad.chmod(0o600)
    error = fleet.check_fleet_apart(bad, on_result=rows.append, cancel=threading.Event())
    assert error is not None and "environment" in error
