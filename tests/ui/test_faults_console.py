"""The fault suite, console: the Models screen (key 3) with the v2 API behind FaultHttp failing
(401, 500, a hang, a dropped connection). One clear line, the screen keeps the DB rows and keeps
working, a failed write changed nothing in 202_attribution_models, an unanswered one says it may or
may not have happened, and a reload after the API heals shows the truth.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymysql
import pytest
from textual.widgets import DataTable, Static

from attribtui.infra.config import ApiConfig, DbConfig, Profile
from attribtui.sandbox import emulator
from screens.app import ConsoleApp
from screens.components.confirm import ActionConfirmScreen
from screens.models import SCREEN, ModelsScreen
from tests.faults import FaultHttp
from tests.support import MARIADB_HOST, MARIADB_PORT, NOW, create_database, drop_database
from tests.ui.conftest import fixed_status, settle

pytestmark = pytest.mark.mariadb

KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()
MAYBE = "may or may not have happened"


@dataclass
class Sandbox:
    name: str
    url: str
    fault: FaultHttp
    seeded: list[tuple[Any, ...]]


def model_rows(name: str) -> list[tuple[Any, ...]]:
    with pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", database=name) as c, \
            c.cursor() as cur:
        cur.execute("SELECT model_id, model_slug, is_active, is_default, updated_at "
                    "FROM 202_attribution_models WHERE user_id = 1 ORDER BY model_id")
        return list(cur.fetchall())


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    try:
        seed(url, conversions=100, now=NOW, defects="none")
        server, _ = emulator.serve(url)
        fault = FaultHttp(emulator.base_url(server))
        yield Sandbox(name, url, fault, model_rows(name))
        fault.close()
        server.shutdown()
        server.server_close()
    finally:
        drop_database(name)


@pytest.fixture(autouse=True)
def _passing(sandbox: Sandbox) -> Iterator[None]:
    sandbox.fault.mode, sandbox.fault.methods = "pass", None
    sandbox.fault.requests.clear()
    yield
    sandbox.fault.mode, sandbox.fault.methods = "pass", None
    assert model_rows(sandbox.name) == sandbox.seeded  # no scenario here lets a write through


def make(sandbox: Sandbox) -> ConsoleApp:
    profile = Profile(name="staging", environment="staging",
                      db=DbConfig(url=sandbox.url, connect_timeout_s=2.0),
                      api=ApiConfig(base_url=sandbox.fault.base_url, key=KEY1, user_id=1,
                                    timeout_s=0.5))
    app = ConsoleApp(profile, status_provider=fixed_status, status_interval=3600,
                     screens=[SCREEN])
    app.db_label = "mysql 127.0.0.1:3306/prosper202"
    return app


def banner(app: ConsoleApp) -> list[str]:
    widget = app.screen.query_one("#models-banner", Static)
    return str(widget.render()).splitlines() if widget.display else []


def table_ids(app: ConsoleApp) -> list[str]:
    table = app.screen.query_one("#models-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def notes(app: ConsoleApp) -> list[tuple[str, str]]:
    return [(str(n.title), str(n.message)) for n in app._notifications]


@pytest.mark.anyio
@pytest.mark.parametrize(("mode", "says"), [
    (401, "the v2 API refused the key (401 fault 401)"),
    (500, "failed with HTTP 500 (fault 500)"),
    ("hang", "no answer from the v2 API at"),
    ("refuse", "closed the connection without an answer"),
])
async def test_a_failing_api_is_one_line_and_the_screen_recovers(sandbox: Sandbox,
                                                                 mode: str | int,
                                                                 says: str) -> None:
    sandbox.fault.mode = mode
    app = make(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen) and app.return_code is None
        (line,) = banner(app)
        assert line.startswith("‼ ") and says in line and KEY1 not in line
        assert table_ids(app) == ["4", "3", "2", "1", "6", "5"]  # the DB rows still show
        sandbox.fault.mode = "pass"
        await pilot.press("r")
        await settle(pilot)
        assert banner(app) == [] and table_ids(app) == ["4", "3", "2", "1", "6", "5"]
        assert app.screen.listing is not None and app.screen.listing.get(3).api_visible


@pytest.mark.anyio
@pytest.mark.parametrize(("mode", "outcome", "says"), [
    (401, "failed", "the v2 API refused the key (401 fault 401)"),
    (500, "failed", "the v2 API at"),
    ("hang", "unconfirmed", MAYBE),
    ("refuse", "unconfirmed", MAYBE),
])
async def test_a_failing_write_changes_nothing_and_the_console_goes_on(sandbox: Sandbox,
                                                                       mode: str | int,
                                                                       outcome: str,
                                                                       says: str) -> None:
    sandbox.fault.mode, sandbox.fault.methods = mode, {"PATCH"}
    app = make(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down")  # model 3, active and not the default
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ActionConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ModelsScreen) and app.return_code is None
        (title, message), = [n for n in notes(app) if n[0] == outcome.capitalize()]
        assert says in message and "\n" not in message and KEY1 not in message
        change = str(screen.query_one("#last-change", Static).render())
        assert change.startswith(f"‼ PATCH {outcome}: ") and says in change
        assert [m for m, _ in sandbox.fault.requests].count("PATCH") == 1  # never retried
        assert model_rows(sandbox.name) == sandbox.seeded
        assert screen.listing is not None and screen.listing.get(3).is_active  # as the DB says
        assert not screen.busy  # ready for the next action
        sandbox.fault.mode, sandbox.fault.methods = "pass", None
        await pilot.press("r")
        await settle(pilot)
        assert banner(app) == [] and table_ids(app) == ["4", "3", "2", "1", "6", "5"]
