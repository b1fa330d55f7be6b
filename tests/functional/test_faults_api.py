"""The fault suite, v2 API: `attribtui models list` (a read) and `models activate/deactivate --yes`
(writes) as real subprocesses, through FaultHttp in front of the emulator on a seeded MariaDB.

Each scenario asserts the exit code, the one line on stderr, and that 202_attribution_models
holds exactly what that line says: a refused or failed write changed nothing; a write whose reply
was lost is reported as "may or may not have happened", was sent once (never retried), and
`attribtui models list` settles it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymysql
import pytest

from attribtui.sandbox import emulator
from tests.faults import FaultHttp
from tests.support import MARIADB_HOST, MARIADB_PORT, NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb

KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()
UNCONFIRMED = ("the PATCH may or may not have happened (not retried); check with "
               "`attribtui models list` (r on the Models screen) before trying again")


@dataclass
class Api:
    """The seeded database, the emulator behind FaultHttp, and the model rows as seeded."""

    name: str
    url: str
    fault: FaultHttp
    seeded: list[tuple[Any, ...]]

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.fault.port}"


def model_rows(name: str) -> list[tuple[Any, ...]]:
    """(id, name, slug, active, default, updated_at) of user 1's models, read from the primary."""
    with pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", database=name) as c, \
            c.cursor() as cur:
        cur.execute("SELECT model_id, model_name, model_slug, is_active, is_default, updated_at "
                    "FROM 202_attribution_models WHERE user_id = 1 ORDER BY model_id")
        return list(cur.fetchall())


def restore_rows(name: str, rows: list[tuple[Any, ...]]) -> None:
    with pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", database=name,
                         autocommit=True) as c, c.cursor() as cur:
        for model_id, model_name, slug, active, default, updated in rows:
            cur.execute("UPDATE 202_attribution_models SET model_name=%s, model_slug=%s, "
                        "is_active=%s, is_default=%s, updated_at=%s WHERE model_id=%s",
                        (model_name, slug, active, default, updated, model_id))


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    try:
        seed(url, conversions=100, now=NOW, defects="none")
        server, _ = emulator.serve(url)
        fault = FaultHttp(emulator.base_url(server))
        yield Api(name, url, fault, model_rows(name))
        fault.close()
        server.shutdown()
        server.server_close()
    finally:
        drop_database(name)


@pytest.fixture(autouse=True)
def _fresh(api: Api) -> Iterator[None]:
    """Every scenario starts with the API passing and the models as seeded."""
    api.fault.mode, api.fault.methods = "pass", None
    api.fault.requests.clear()
    yield
    api.fault.mode, api.fault.methods = "pass", None
    if model_rows(api.name) != api.seeded:
        restore_rows(api.name, api.seeded)


def cli(api: Api, *args: str, user_id: bool = True, base: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # isolated_env: this test's own data dir
    env.update(ATTRIBTUI_DB_URL=api.url, ATTRIBTUI_API_BASE_URL=base or api.fault.base_url,
               ATTRIBTUI_API_KEY_ENV="T_FAULT_KEY", T_FAULT_KEY=KEY1, ATTRIBTUI_NOW=str(NOW),
               ATTRIBTUI_API_TIMEOUT_S="1", ATTRIBTUI_ENVIRONMENT="staging")
    if user_id:
        env["ATTRIBTUI_API_USER_ID"] = "1"
    return subprocess.run([sys.executable, "-m", "attribtui.cli", *args], env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=60)


def one_line(r: subprocess.CompletedProcess[str]) -> str:
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def methods(api: Api) -> list[str]:
    return [m for m, _ in api.fault.requests]


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def read_lines(host: str) -> dict[str | int, str]:
    """The one line `models list` prints for each fault."""
    return {
        401: "attribtui: the v2 API refused the key (401 fault 401); check the key named by "
             "api.key_env (it goes in the query string as apikey)",
        403: "attribtui: the key's user lacks permission (403 fault 403); grant "
             "view_attribution_reports / manage_attribution_models to the user's role",
        500: f"attribtui: the v2 API at {host} failed with HTTP 500 (fault 500); check the "
             "Prosper202 error log (a model row it cannot parse, e.g. a v3-only type, does this: "
             "see `attribtui check --only models`)",
        "html": f"attribtui: the v2 API at {host} answered HTTP 200 with text/html that is not "
                "the v2 envelope; check api.base_url points at Prosper202",
        "garbage": f"attribtui: the v2 API at {host} answered HTTP 200 with application/json "
                   "that is not the v2 envelope; check api.base_url points at Prosper202",
        "hang": f"attribtui: no answer from the v2 API at {host} within 1 s (ReadTimeout); check "
                "the server, or raise api.timeout_s",
        "refuse": f"attribtui: the v2 API at {host} closed the connection without an answer "
                  "(Server disconnected without sending a response.); check the server and "
                  "api.base_url",
    }


# -- the read ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [401, 403, 500, "html", "garbage", "hang", "refuse"])
def test_list_under_a_fault_says_one_line_and_still_shows_the_db_rows(api: Api,
                                                                      mode: str | int) -> None:
    api.fault.mode = mode
    r = cli(api, "models", "list")
    assert r.returncode == 3
    assert one_line(r) == read_lines(api.host)[mode]
    assert methods(api) == ["GET"]  # sent once: only a refused connection is retried
    ids = [line.split()[0] for line in r.stdout.splitlines()[1:]]
    assert ids == ["4", "3", "2", "1", "6", "5"]  # user 2's rows too, read-only
    assert r.stdout.count("from the DB (the API failed)") == 4
    assert r.stdout.count("read-only: no API key for user 2") == 2


def test_list_refused_as_invalid_exits_1(api: Api) -> None:
    api.fault.mode = 400
    r = cli(api, "models", "list")
    assert one_line(r) == "attribtui: Prosper202 refused the request (400): fault 400. Nothing changed."
    assert r.returncode == 1


def test_list_with_the_api_down_retries_then_says_one_line(api: Api) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    r = cli(api, "models", "list", base=base)
    assert r.returncode == 3
    assert one_line(r) == (f"attribtui: cannot reach the v2 API at {base} ([Errno 111] Connection "
                           "refused); check api.base_url and that Prosper202 is running")


def test_list_without_api_user_id_is_still_one_line(api: Api) -> None:
    api.fault.mode = 500
    r = cli(api, "models", "list", user_id=False)
    assert r.returncode == 3
    assert one_line(r) == read_lines(api.host)[500]


# -- the writes ----------------------------------------------------------------------------------


def write_line(api: Api, mode: str | int) -> str:
    host = api.host
    lines = read_lines(host)
    if mode == 400:
        return "attribtui: PATCH failed: Prosper202 refused the request (400): fault 400. Nothing changed."
    if mode in ("hang", "lose"):
        return (f"attribtui: PATCH unconfirmed: no answer from the v2 API at {host} within 1 s "
                f"(ReadTimeout): {UNCONFIRMED}; check the server, or raise api.timeout_s")
    if mode == "refuse":
        return (f"attribtui: PATCH unconfirmed: the v2 API at {host} closed the connection without an "
                "answer (Server disconnected without sending a response.): "
                f"{UNCONFIRMED}; check the server and api.base_url")
    return "attribtui: PATCH failed: " + lines[mode].removeprefix("attribtui: ")


@pytest.mark.parametrize(("mode", "code"), [(401, 3), (403, 3), (400, 1), (500, 3), ("html", 3),
                                            ("garbage", 3), ("hang", 3), ("refuse", 3)])
@pytest.mark.parametrize(("action", "model_id"), [("deactivate", "3"), ("activate", "4")])
def test_a_failed_write_changed_nothing_and_says_so(api: Api, mode: str | int, code: int,
                                                   action: str, model_id: str) -> None:
    api.fault.mode, api.fault.methods = mode, {"PATCH"}
    r = cli(api, "models", action, model_id, "--yes")
    assert r.returncode == code
    assert one_line(r) == write_line(api, mode)
    assert r.stdout == ""  # no "now active", no rebuild to run
    assert methods(api) == ["GET", "PATCH"]  # the write was sent once, never retried
    assert model_rows(api.name) == api.seeded  # the emulator never saw it: nothing changed


def test_a_lost_reply_is_unknown_not_retried_and_models_list_settles_it(api: Api) -> None:
    api.fault.mode, api.fault.methods = "lose", {"PATCH"}
    r = cli(api, "models", "deactivate", "3", "--yes")
    assert r.returncode == 3 and one_line(r) == write_line(api, "lose")
    assert methods(api) == ["GET", "PATCH"]
    after = {row[0]: row for row in model_rows(api.name)}
    assert after[3][3] == 0  # it did happen: the output said it may have
    api.fault.mode = "pass"
    settle = cli(api, "models", "list", "--json")
    assert settle.returncode == 0, settle.stderr
    shown = {m["model_id"]: m for m in json.loads(settle.stdout)["models"]}
    assert shown[3]["is_active"] is False and "hidden by the API" in shown[3]["note"]


def test_the_action_log_records_an_unknown_outcome_as_unknown(api: Api) -> None:
    from attribtui.infra import actionlog

    api.fault.mode, api.fault.methods = "hang", {"PATCH"}
    r = cli(api, "models", "deactivate", "3", "--yes", "--json")
    assert r.returncode == 3 and one_line(r) == write_line(api, "hang")
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["outcome"] == "unconfirmed" and UNCONFIRMED in doc["message"]
    (entry,) = list(actionlog.entries())
    assert entry["action"] == "models.deactivate" and entry["result"]["ok"] is False
    assert entry["result"]["outcome"] == "unconfirmed"
    assert UNCONFIRMED in entry["result"]["message"] and KEY1 not in json.dumps(entry)
    assert model_rows(api.name) == api.seeded


def test_a_write_to_an_api_that_is_down_was_not_sent(api: Api) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    r = cli(api, "models", "deactivate", "3", "--yes", base=base)
    assert r.returncode == 3
    # The GET failed (retried), the plan came from the DB rows, the PATCH could not connect.
    assert one_line(r) == (
        f"attribtui: PATCH failed: cannot reach the v2 API at {base} ([Errno 111] Connection "
        "refused); the PATCH was not sent; check api.base_url and that Prosper202 is running")
    assert model_rows(api.name) == api.seeded
