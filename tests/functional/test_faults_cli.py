"""Outages and hostile input at the command line: each fault gives its exit code and one line.

The CLI runs as a real subprocess against a seeded MariaDB behind a FaultProxy and the v2
emulator behind a FaultHttp (tests/faults.py). Every scenario asserts the exit code, the exact
line on stderr (ports and database names vary, so those are filled in) and that no traceback
reached stderr.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from attribtui.sandbox import emulator
from attribtui.sandbox.seed import seed
from tests.faults import FaultHttp, FaultProxy
from tests.support import NOW, create_database, drop_database, new_database_name

pytestmark = pytest.mark.mariadb

ATTRIBTUI = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "attribtui")
KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()
LOST = "Lost connection to MySQL server during query"


@dataclass
class Target:
    name: str  # the seeded database
    proxy: FaultProxy
    http: FaultHttp

    @property
    def shown(self) -> str:
        """The database as messages name it."""
        return f"mysql 127.0.0.1:{self.proxy.port}/{self.name}"


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[str, str]]:
    """One seeded database and its emulator for the module: no scenario here changes it (each
    asserts that nothing was sent)."""
    name, url = create_database()
    seed(url, conversions=200, now=NOW, defects="none")
    server, _thread = emulator.serve(url)
    yield name, emulator.base_url(server)
    server.shutdown()
    server.server_close()
    drop_database(name)


@pytest.fixture
def target(seeded: tuple[str, str]) -> Iterator[Target]:
    name, base = seeded
    proxy, http = FaultProxy(), FaultHttp(base)
    yield Target(name, proxy, http)
    http.close()
    proxy.close()


def run(args: list[str], tmp_path: Path, *, db_url: str | None = None, api_base: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`attribtui ARGS` on a staging profile pointing at db_url and api_base."""
    config = tmp_path / "config.toml"
    lines = ['[profiles.sbx]', 'environment = "staging"']
    if db_url:
        lines.append(f'db = {{ url = "{db_url}", connect_timeout_s = 2 }}')
    if api_base:
        lines.append(f'api = {{ base_url = "{api_base}", key_env = "T_KEY", user_id = 1 }}')
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)
    child = {k: v for k, v in os.environ.items()
             if not k.startswith("ATTRIBTUI_") or k == "ATTRIBTUI_DATA_DIR"}
    child.update(ATTRIBTUI_CONFIG=str(config), T_KEY=KEY1, ATTRIBTUI_NOW=str(NOW), **(env or {}))
    return subprocess.run([ATTRIBTUI, *args], env=child, text=True, capture_output=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def one_line(r: subprocess.CompletedProcess[str], code: int) -> str:
    """The one stderr line of a run that exited with code (no traceback, nothing else)."""
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- outages while planning a model change ---------------------------------------------------------


def test_database_down_during_activate_cannot_tell(target: Target, tmp_path: Path) -> None:
    # Model 4 is inactive: GET /models does not list it, only the database knows it exists.
    target.proxy.cut()
    r = run(["models", "activate", "4", "--yes"], tmp_path, db_url=target.proxy.url(target.name),
            api_base=target.http.base_url)
    line = one_line(r, 3)
    assert line == (
        "attribtui: cannot tell whether model 4 is a model of user 1: the API lists only active "
        f"models and the database could not be read (lost the connection to the database at "
        f"{target.shown} ({LOST}); check db.url and that the server is running (connect timeout "
        "2 s)); nothing was sent")
    assert {m for m, _ in target.http.requests} == {"GET"}


def test_database_cut_while_planning_a_delete_sends_nothing(target: Target, tmp_path: Path) -> None:
    fired = target.proxy.cut_on(b"202_attribution_settings")  # counting what the delete takes
    r = run(["models", "delete", "2", "--yes", "--confirm=Time Decay 48h"], tmp_path,
            db_url=target.proxy.url(target.name), api_base=target.http.base_url)
    assert fired.is_set()
    assert one_line(r, 3) == (
        "attribtui: models delete: the database could not be read to plan it, nothing was sent: "
        f"lost the connection to the database at {target.shown} ({LOST}); check db.url and that "
        "the server is running (connect timeout 2 s)")
    assert {m for m, _ in target.http.requests} == {"GET"}


@pytest.mark.parametrize("nth", [1, 2, 3])
def test_a_connection_dying_on_rollback_or_pool_reset_prints_no_traceback(
        target: Target, tmp_path: Path, nth: int) -> None:
    # The third ROLLBACK is the pool's reset on return: SQLAlchemy logged its traceback (19 lines)
    # on stderr; the earlier ones fail the read itself, which `models list` reports as a warning.
    fired = target.proxy.cut_on(b"ROLLBACK", nth)
    r = run(["models", "list"], tmp_path, db_url=target.proxy.url(target.name),
            api_base=target.http.base_url)
    assert fired.is_set()
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    if nth == 3:
        assert r.stderr == ""
    else:
        assert one_line(r, 0) == (
            f"attribtui: warning: lost the connection to the database at {target.shown} ({LOST}); "
            "check db.url and that the server is running (connect timeout 2 s)")


# -- the sandbox seeder against a database that goes away ---------------------------------------


def seed_line(port: int, name: str, reason: str) -> str:
    return (f"attribtui: seeding the sandbox at mysql 127.0.0.1:{port}/{name} stopped: {reason}; "
            "it may be incomplete: rerun with --reset once the database answers")


def test_seed_against_a_refused_port(tmp_path: Path) -> None:
    port, name = unused_port(), new_database_name()
    r = run(["sandbox", "seed", "--url", f"mysql+pymysql://root@127.0.0.1:{port}/{name}",
             "--conversions", "20"], tmp_path)
    assert one_line(r, 3) == seed_line(
        port, name, "Can't connect to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)")


@pytest.mark.parametrize(
    "fault", ["down", "cut-create", "cut-insert", "commit-reply-lost"])
def test_seed_when_the_database_goes_away(tmp_path: Path, fault: str) -> None:
    name = new_database_name()
    proxy = FaultProxy()
    try:
        if fault == "down":
            proxy.cut()
        elif fault == "cut-create":
            proxy.cut_on(b"CREATE TABLE", 3)
        elif fault == "cut-insert":
            proxy.cut_on(b"INSERT INTO", 3)
        else:
            proxy.drop_commit_reply(2)
        r = run(["sandbox", "seed", "--url", proxy.url(name), "--conversions", "20"], tmp_path)
        assert one_line(r, 3) == seed_line(proxy.port, name, LOST)
    finally:
        proxy.close()
        drop_database(name)


# -- input that must never be echoed, or is out of bounds ---------------------------------------


def test_a_url_with_an_unencoded_password_is_never_quoted(tmp_path: Path) -> None:
    leaky = "mysql+pymysql://u:Pa/ss?#@:9zQ@host/db"
    r = run(["sandbox", "seed", "--url", leaky], tmp_path)
    fix = ("use e.g. mysql+pymysql://user:pass@host:3306/prosper202 or sqlite:///path, with "
           "@ : / ? # % in the user name or password percent-encoded (@ as %40)")
    assert one_line(r, 64) == (
        "attribtui sandbox seed: error: argument --url: not a database URL (the part after the "
        f"host's colon is not a port number); {fix}; see `attribtui sandbox seed --help`")
    r = run(["check", "--no-save"], tmp_path, env={"ATTRIBTUI_DB_URL": leaky})
    assert one_line(r, 3) == (
        "attribtui: config error: environment variable ATTRIBTUI_DB_URL: db.url is not a "
        f"database URL (the part after the host's colon is not a port number); {fix}")
    r = run(["models", "list"], tmp_path, env={"ATTRIBTUI_API_BASE_URL": "http://u:se[cret@h:9zQ/"})
    assert one_line(r, 3) == (
        "attribtui: config error: environment variable ATTRIBTUI_API_BASE_URL: api.base_url is "
        "not a web URL (the host or port cannot be read; percent-encode @ : / ? # in a password); "
        "use the Prosper202 root, e.g. https://p202.example.com")
    for out in (r.stdout, r.stderr):
        assert "Pa/ss" not in out and "9zQ" not in out and "se[cret" not in out


def test_a_config_file_that_is_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('[profiles.p]\nenvironment = "dev"\n# café\n'.encode("latin-1"))
    r = run(["check", "--config", str(bad), "--no-save"], tmp_path)
    assert one_line(r, 3) == (f"attribtui: config error: {bad}: not UTF-8 text (byte 38 cannot be "
                              "decoded); save the file as UTF-8")


def test_an_absurd_window_is_refused_while_parsing(tmp_path: Path) -> None:
    r = run(["check", "--window", "99999999999d"], tmp_path)
    assert one_line(r, 64) == ("attribtui check: error: argument --window: '99999999999d' is too "
                               "long; use at most 90d; see `attribtui check --help`")


def test_an_abbreviated_flag_is_refused_with_the_nearest(tmp_path: Path) -> None:
    r = run(["models", "delete", "2", "--y"], tmp_path)
    assert one_line(r, 64) == ("attribtui models delete: error: unrecognized arguments: --y (did "
                               "you mean --yes?); see `attribtui models delete --help`")


# -- a database that answers, slowly ------------------------------------------------------------


def test_a_slow_database_stops_the_check_run_at_its_deadline(target: Target, tmp_path: Path) -> None:
    target.proxy.slow(0.3)  # every packet, both ways: a check run took 134 s like this
    started = time.monotonic()
    r = run(["check", "--json", "--no-save", "--deadline", "3s"], tmp_path,
            db_url=target.proxy.url(target.name))
    took = time.monotonic() - started
    assert one_line(r, 1) == ("attribtui: warning: the run reached its deadline of 3 s; the "
                              "checks it did not finish are skipped (raise --deadline or "
                              "checks.deadline_s)")
    assert took < 20, took  # the deadline, plus one read in flight and the start-up
    checks = json.loads(r.stdout)["checks"]
    not_run = [c for c in checks if c["details"].startswith("not run: the check run reached its "
                                                            "deadline of 3 s")]
    assert not_run and checks[-1] in not_run
    assert all(c["status"] == "skipped" for c in not_run)
    assert all(c["details"] == "not run: the check run reached its deadline of 3 s (check "
               "--deadline, checks.deadline_s)" for c in not_run)
