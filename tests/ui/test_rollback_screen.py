"""The Rollback screen (key 5) on a seeded MariaDB and the v2 emulator: start a walkthrough, run a
step through the confirmation, skip one with a reason, quit, resume in a new app; snapshots."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from textual.widgets import Input, Select, Static

from attribtui.infra import api, clock
from attribtui.infra.config import ApiConfig, DbConfig, JobsConfig, Profile
from attribtui.sandbox import emulator
from attribtui.services import rollback as rb
from screens.app import ConsoleApp
from screens.components.confirm import ActionConfirmScreen, ConfirmScreen
from screens.rollback import SCREEN, RollbackScreen
from screens.rollback.dialogs import NewWalkthroughScreen, SkipScreen
from tests.support import NOW, create_database, drop_database
from tests.ui.conftest import fixed_status, settle

pytestmark = pytest.mark.mariadb

KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()


@pytest.fixture
def sandbox() -> Iterator[dict[str, Any]]:
    from attribtui.sandbox.seed import seed

    clock.freeze(NOW)
    name, url = create_database()
    seed(url, conversions=200, now=NOW, defects="none")
    server, _thread = emulator.serve(url)
    base = emulator.base_url(server)
    prof = Profile(name="staging", environment="staging",
                   db=DbConfig(url=url, connect_timeout_s=2.0),
                   api=ApiConfig(base_url=base, key=KEY1, user_id=1),
                   jobs=JobsConfig(runner="sandbox"))
    with api.V2Client(prof) as c:
        bad = c.create_model({"name": "Decay 1h (bad)", "type": "time_decay",
                              "weighting_config": {"half_life_hours": 1}, "is_default": True})
    eng = create_engine(url)
    with eng.connect() as conn:
        convs = [int(r[0]) for r in conn.execute(text(
            "SELECT DISTINCT t.conv_id FROM `202_conversion_touchpoints` t JOIN "
            "`202_conversion_logs` c ON c.conv_id = t.conv_id WHERE c.user_id = 1 "
            "ORDER BY t.conv_id DESC LIMIT 3"))]
    eng.dispose()
    yield {"profile": prof, "bad": bad["model_id"], "convs": sorted(convs)}
    server.shutdown()
    server.server_close()
    drop_database(name)


def make(profile: Profile) -> ConsoleApp:
    app = ConsoleApp(profile, status_provider=fixed_status, status_interval=3600, screens=[SCREEN])
    app.db_label = "mysql 127.0.0.1:3306/prosper202"  # the test database name changes per run
    return app


def text_of(app: ConsoleApp) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static) if w.display)


@pytest.mark.anyio
async def test_start_run_skip_quit_and_resume(sandbox: dict[str, Any]) -> None:
    prof = sandbox["profile"]
    app = make(prof)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, RollbackScreen)
        assert "No active walkthrough" in text_of(app)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewWalkthroughScreen)
        assert form.query_one("#f-user", Input).value == "1"
        # conv_ids or a window: one at a time, never both pre-filled
        assert form.query_one("#f-affected", Select).value == "window"
        assert not form.query_one("#row-convs").display and form.query_one("#row-start").display
        assert all(i.placeholder.startswith("(") for i in form.query(Input))  # not like values
        form.query_one("#f-affected", Select).value = "convs"
        await pilot.pause()
        assert form.query_one("#row-convs").display and not form.query_one("#row-start").display
        form.query_one("#f-model", Input).value = "x7"
        form.query_one("#f-convs", Input).value = ", ".join(map(str, sandbox["convs"]))
        await pilot.click("#start")
        await settle(pilot)
        assert "not an id" in str(form.query_one("#new-error", Static).render())  # stays open
        form.query_one("#f-model", Input).value = str(sandbox["bad"])
        form.query_one("#f-safe", Input).value = "1"
        await pilot.click("#start")
        await settle(pilot)
        assert isinstance(app.screen, RollbackScreen)
        shown = text_of(app)
        assert "Deactivate model" in shown and "makes model 1" in shown
        assert app.active_rollback.incident.conv_ids == sandbox["convs"]
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, ActionConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        state = rb.latest_active("staging")
        assert state.step("mitigate").status == "done"
        assert app.screen.selected == "purge"
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SkipScreen)
        await pilot.press("enter")  # no reason: refused, stays open
        assert "required" in str(app.screen.query_one("#skip-error", Static).render())
        await pilot.press(*"purged by hand")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.selected == "backfill"
        await pilot.press("q")  # mid-walkthrough: says how to resume before quitting
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        shown = text_of(app)
        assert f"attribtui rollback --resume {state.id}" in shown and "step 2b backfill" in shown
        await pilot.press("y")
        await settle(pilot)
    assert rb.latest_active("staging").step("purge").reason == "purged by hand"

    app = make(prof)  # a new console: the walkthrough is picked up where it was
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RollbackScreen) and screen.selected == "backfill"
        assert screen.state.id == state.id
        await pilot.press("up")
        await settle(pilot)
        shown = text_of(app)
        assert "↷ skipped" in shown and "Reason: purged by hand" in shown


@pytest.mark.anyio
async def test_read_only_can_view_but_not_run(sandbox: dict[str, Any]) -> None:
    from dataclasses import replace

    prof = replace(sandbox["profile"], read_only=True)
    rb.new(prof, rb.Incident(user_id=1, model_id=sandbox["bad"], safe_model_id=1,
                             conv_ids=sandbox["convs"]))
    app = make(prof)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = text_of(app)
        assert "READ-ONLY" in shown and "Cannot run" in shown and "read-only" in shown
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, RollbackScreen)  # no confirmation was offered
        assert rb.latest_active("staging").step("mitigate").status == "pending"


def test_rollback_80x24(snap_compare, sandbox: dict[str, Any]) -> None:
    rb.new(sandbox["profile"], rb.Incident(user_id=1, model_id=sandbox["bad"], safe_model_id=1,
                                           conv_ids=sandbox["convs"], note="snapshot"))
    assert snap_compare(make(sandbox["profile"]), terminal_size=(80, 24), run_before=settle)


def test_rollback_120x40_new_form(snap_compare, sandbox: dict[str, Any]) -> None:
    async def form(pilot) -> None:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)

    assert snap_compare(make(sandbox["profile"]), terminal_size=(120, 40), run_before=form)


def test_rollback_80x24_nocolor_new_form(snap_compare, sandbox: dict[str, Any],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR: placeholders in parentheses do not read like values; conv_ids or a window."""
    monkeypatch.setenv("NO_COLOR", "1")

    async def form(pilot) -> None:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)

    assert snap_compare(make(sandbox["profile"]), terminal_size=(80, 24), run_before=form)


def test_rollback_80x24_quit_mid_walkthrough(snap_compare, sandbox: dict[str, Any]) -> None:
    rb.new(sandbox["profile"], rb.Incident(user_id=1, model_id=sandbox["bad"], safe_model_id=1,
                                           conv_ids=sandbox["convs"], note="snapshot"))

    async def quit_(pilot) -> None:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)

    assert snap_compare(make(sandbox["profile"]), terminal_size=(80, 24), run_before=quit_)
