"""The standalone purge (Rollback, key 5, `u`) on a seeded MariaDB: dry run, confirmed purge with
backup, bad input as one line, and no purge on a read-only profile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static

from attribtui.infra.db import Database
from screens.components.confirm import ActionConfirmScreen
from screens.rollback import RollbackScreen
from screens.rollback.purge import PurgeScreen
from tests.support import NOW
from tests.ui.conftest import make_app, make_profile, settle

pytestmark = pytest.mark.mariadb


@pytest.fixture
def seeded(fresh_db: Callable[[], str]) -> str:
    from attribtui.sandbox.seed import seed

    url = fresh_db()
    seed(url, conversions=150, now=NOW, defects="none")
    return url


def read(url: str, sql: str) -> list[Any]:
    db = Database.from_profile(make_profile(url))
    try:
        return list(db.read(sql))
    finally:
        db.close()


def text_of(screen: Any, wid: str) -> str:
    return str(screen.query_one(wid, Static).render())


async def open_dialog(pilot: Any) -> PurgeScreen:
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, RollbackScreen)
    await pilot.press("u")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PurgeScreen)
    return pilot.app.screen


@pytest.mark.anyio
async def test_dry_run_then_purge_with_backup(seeded: str) -> None:
    ids = [int(r[0]) for r in read(seeded, "SELECT DISTINCT conv_id FROM "
                                   "202_conversion_touchpoints ORDER BY conv_id LIMIT 2")]
    assert len(ids) == 2
    app = make_app(make_profile(seeded))
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        purge_button = dialog.query_one("#purge", Button)
        assert purge_button.disabled
        dialog.query_one("#p-convs", Input).value = f"{ids[0]}, {ids[1]}"
        await pilot.press("f5")
        await settle(pilot)
        plan_text = text_of(dialog, "#purge-plan")
        assert "Dry run: 2 conversion(s), 2 with a journey" in plan_text
        assert not purge_button.disabled
        await pilot.click("#purge")
        await settle(pilot)
        assert isinstance(app.screen, ActionConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is dialog
        result = text_of(dialog, "#purge-result")
        assert "Purged." in result
        backup = next(ln for ln in result.splitlines() if ln.startswith("Backup: "))
        assert Path(backup.removeprefix("Backup: ").rsplit(" (", 1)[0]).is_file()
        assert "attribtui run backfill --user=" in result and "key 4" in result
        assert purge_button.disabled  # a new dry run is needed before another purge
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RollbackScreen)
    left = read(seeded, "SELECT COUNT(*) FROM 202_conversion_touchpoints WHERE conv_id IN "
                f"({ids[0]}, {ids[1]})")
    assert left[0][0] == 0


@pytest.mark.anyio
async def test_bad_input_is_one_line(seeded: str) -> None:
    app = make_app(make_profile(seeded))
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        dialog.query_one("#p-convs", Input).value = "abc"
        await pilot.press("enter")  # the focused conv_ids field submits a dry run
        await settle(pilot)
        error = text_of(dialog, "#purge-error")
        assert error.startswith("✘ ") and "\n" not in error and "abc" in error
        assert dialog.query_one("#purge", Button).disabled
        dialog.query_one("#p-convs", Input).value = ""
        await pilot.press("f5")
        await settle(pilot)
        assert "empty selection" in text_of(dialog, "#purge-error")
        dialog.query_one("#p-user", Input).value = "1"
        dialog.query_one("#p-start", Input).value = str(NOW)
        dialog.query_one("#p-end", Input).value = str(NOW - 3600)
        await pilot.press("f5")
        await settle(pilot)
        assert "must be before end" in text_of(dialog, "#purge-error")
        assert app.screen is dialog


@pytest.mark.anyio
async def test_read_only_profile_cannot_purge(seeded: str) -> None:
    ids = [int(r[0]) for r in read(seeded, "SELECT DISTINCT conv_id FROM "
                                   "202_conversion_touchpoints ORDER BY conv_id LIMIT 2")]
    app = make_app(make_profile(seeded, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        dialog = await open_dialog(pilot)
        assert "read-only" in text_of(dialog, "#purge-readonly")
        dialog.query_one("#p-convs", Input).value = ", ".join(map(str, ids))
        await pilot.press("f5")
        await settle(pilot)
        assert "2 with a journey" in text_of(dialog, "#purge-plan")
        assert dialog.query_one("#purge", Button).disabled
        dialog.action_purge()
        await settle(pilot)
        assert app.screen is dialog
        assert "read-only" in text_of(dialog, "#purge-error")
    left = read(seeded, "SELECT COUNT(*) FROM 202_conversion_touchpoints WHERE conv_id IN "
                f"({ids[0]}, {ids[1]})")
    assert left[0][0] > 0
