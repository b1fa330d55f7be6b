"""The Models screen (key 3) against the v2 emulator on a seeded MariaDB: Pilot tests and snapshots."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from sqlalchemy import create_engine, text
from textual.widgets import DataTable, Static

from attribtui.infra.config import ApiConfig, DbConfig, Profile
from attribtui.prosper.validation import MSG_HALF_LIFE
from attribtui.sandbox import emulator
from screens.app import ConsoleApp
from screens.components.confirm import ActionConfirmScreen
from screens.components.table import RowTable
from screens.components.toggle import Toggle
from screens.models import SCREEN, ModelsScreen
from screens.models.dialogs import (
    CommandScreen,
    DefaultChoiceScreen,
    ModelFormScreen,
)
from tests.support import NOW, create_database, drop_database
from tests.ui.conftest import fixed_status, settle

pytestmark = pytest.mark.mariadb

KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()
KEY2 = hashlib.sha256(b"attribtui-sandbox-api-key-2").hexdigest()


@pytest.fixture
def sandbox() -> Iterator[dict[str, Any]]:
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    seed(url, conversions=200, now=NOW, defects="none")
    server, _thread = emulator.serve(url)
    yield {"url": url, "base": emulator.base_url(server)}
    server.shutdown()
    server.server_close()
    drop_database(name)


def make(sandbox: dict[str, Any], *, read_only: bool = False,
         user_keys: dict[str, str] | None = None, environ: dict[str, str] | None = None
         ) -> ConsoleApp:
    profile = Profile(name="staging", environment="staging", read_only=read_only,
                      db=DbConfig(url=sandbox["url"], connect_timeout_s=2.0),
                      api=ApiConfig(base_url=sandbox["base"], key=KEY1, user_id=1,
                                    user_keys=user_keys or {}, environ=environ))
    app = ConsoleApp(profile, status_provider=fixed_status, status_interval=3600,
                     screens=[SCREEN])
    app.db_label = "mysql 127.0.0.1:3306/prosper202"  # the test database name changes per run
    return app


def screen_text(app: ConsoleApp) -> str:
    parts = [str(w.render()) for w in app.screen.query(Static) if w.display]
    for table in app.screen.query(DataTable):
        parts += [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
    return "\n".join(parts)


def table_rows(app: ConsoleApp) -> list[list[str]]:
    table = app.screen.query_one("#models-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.anyio
async def test_lists_merged_models_and_panels(sandbox: dict[str, Any]) -> None:
    app = make(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen)
        rows = table_rows(app)
        assert [r[0] for r in rows] == ["4", "3", "2", "1", "6", "5"]  # user 1's, then user 2's
        assert rows[0][3:6] == ["no", "no", "hidden"]
        assert rows[3][4] == "★ yes"
        assert rows[4][1] == "2 ro" and rows[4][5] == "read-only"  # no key for user 2
        summary = str(app.screen.query_one("#models-summary", Static).render())
        assert "4 model(s), 1 hidden by the API" in summary and "default: 1" in summary
        assert "also users 2 · ro = no API key for 2" in summary
        await pilot.press("down", "down")  # model 2: its audit rows and snapshots
        await settle(pilot)
        audit = app.screen.query_one("#audit-table", DataTable)
        rows = [[str(c) for c in audit.get_row_at(i)] for i in range(audit.row_count)]
        assert rows and {r[2] for r in rows} == {"2"}  # the selected model's rows only
        assert [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)  # newest first
        assert "lookback_start=" in rows[0][3]  # metadata as key=value
        chart = str(app.screen.query_one("#snap-chart", Static).render())
        assert chart.startswith("Last 24 h") and "hour(s) with no snapshot" in chart
        await pilot.press("w")
        await settle(pilot)
        assert app.screen.query_one("#snap-table", DataTable).row_count == 168
        await pilot.press("f")
        await settle(pilot)
        assert "model_create" in str(app.screen.query_one("#audit-filter", Static).render())


@pytest.mark.anyio
async def test_deactivate_default_promote_other_then_audit(sandbox: dict[str, Any]) -> None:
    app = make(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down")  # model 1, the default
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DefaultChoiceScreen)
        await pilot.press("down", "down", "enter")  # "Make 2 … the default first"
        await pilot.pause()
        assert isinstance(app.screen, ActionConfirmScreen)
        body = screen_text(app)
        assert "last-touch-attribution" in body and KEY1 not in body
        assert KEY1 not in app.export_screenshot()
        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ModelsScreen)
        assert screen.listing.default.model_id == 2 and not screen.listing.get(1).is_active
        change = str(screen.query_one("#last-change", Static).render())
        assert "is now inactive, slug last-touch-attribution" in change
        assert "No rebuild needed" in change
        await pilot.press("up", "up", "up", "down", "down")  # model 2, now the default: its audit row
        await settle(pilot)
        audit = screen.query_one("#audit-table", DataTable)
        newest = [str(c) for c in audit.get_row_at(0)]
        assert newest[1] == "model_update" and "is_default=true" in newest[3]
        assert KEY1 not in screen_text(app)


@pytest.mark.anyio
async def test_bad_half_life_shows_the_server_message_before_sending(sandbox: dict[str, Any]) -> None:
    app = make(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ModelFormScreen)
        await pilot.press(*"Decay")
        form.query_one("#f-type").value = "time_decay"
        await pilot.pause()
        form.query_one("#f-half").focus()
        await pilot.press("0", "enter")
        await pilot.pause()
        assert app.screen is form  # not dismissed: nothing is sent
        assert MSG_HALF_LIFE in str(form.query_one("#form-error", Static).render())
        await pilot.press("backspace", "1", "2")
        await pilot.pause()
        assert "Valid" in str(form.query_one("#form-error", Static).render())
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ActionConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert [r[2] for r in table_rows(app)][0] == "Decay"
        change = str(app.screen.query_one("#last-change", Static).render())
        assert "--start=" in change and "attribution-rebuild.php --user=1" in change


@pytest.mark.anyio
async def test_another_users_model_without_a_key_offers_the_command(
        sandbox: dict[str, Any]) -> None:
    app = make(sandbox)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]  # OSC 52 goes to the terminal
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "down")  # model 5, user 2's default
        await settle(pilot)
        assert "read-only: no API key for user 2" in str(
            app.screen.query_one("#model-detail", Static).render())
        await pilot.press("d")  # the default: pick the new default first
        await pilot.pause()
        assert isinstance(app.screen, DefaultChoiceScreen)
        await pilot.press("enter")  # model 6, user 2's other model
        await pilot.pause()
        assert isinstance(app.screen, CommandScreen)
        body = screen_text(app)
        assert "model 5 “Last Touch Attribution” stops being the default" not in body
        assert "model 6 “Time Decay 24h” becomes the default of user 2" in body
        assert "slug changes from last-touch-default to last-touch-attribution" in body
        assert len(copied) == 1 and copied[0].count("curl -sS -X PATCH") == 2  # copied at once
        assert "${P202_API_KEY_USER2:?" in copied[0] and KEY1 not in copied[0]
        assert '/models/6?apikey=' in copied[0] and '{"is_default": true}' in copied[0]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ModelsScreen)
        assert app.screen.listing.get(5).is_default  # nothing was sent


@pytest.mark.anyio
async def test_a_user_key_lets_the_console_act_for_that_user(sandbox: dict[str, Any]) -> None:
    engine = create_engine(sandbox["url"])
    with engine.begin() as conn:  # user 2's key may manage models in this test
        conn.execute(text("UPDATE 202_api_keys SET scope = :s WHERE user_id = 2"),
                     {"s": '["view_attribution_reports", "manage_attribution_models"]'})
    engine.dispose()
    app = make(sandbox, user_keys={"2": "T_KEY2"}, environ={"T_KEY2": KEY2})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert table_rows(app)[4][1] == "2"  # not read-only
        await pilot.press("down", "down", "down", "down")  # model 6, user 2's
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ActionConfirmScreen)
        assert "model 6 “Time Decay 24h” becomes INACTIVE" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert not app.screen.listing.get(6).is_active
        assert KEY2 not in app.export_screenshot()


@pytest.mark.anyio
async def test_a_mistyped_delete_name_says_it_does_not_match(sandbox: dict[str, Any]) -> None:
    app = make(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down")  # model 3 “Position 40/40”
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ActionConfirmScreen)
        await pilot.press(*"Position 40/41", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ActionConfirmScreen)  # still asking
        hint = str(app.screen.query_one("#typed-hint", Static).render())
        assert "“Position 40/41” does not match 'Position 40/40'" in hint
        await pilot.press("escape")


@pytest.mark.anyio
async def test_read_only_offers_no_actions(sandbox: dict[str, Any]) -> None:
    app = make(sandbox, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        for action in ("activate", "deactivate", "make_default", "edit", "new", "delete"):
            assert screen.check_action(action, ()) is False
        await pilot.press("d", "n", "x")
        await pilot.pause()
        assert app.screen is screen


@pytest.mark.anyio
async def test_headless_list_agrees_with_the_screen(sandbox: dict[str, Any], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.sbx]\nenvironment = "staging"\ndb = {{ url = "{sandbox["url"]}" }}\n'
        f'api = {{ base_url = "{sandbox["base"]}", key_env = "T_KEY", user_id = 1 }}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTRIBTUI_") or k == "ATTRIBTUI_DATA_DIR"}
    env.update(ATTRIBTUI_CONFIG=str(config), T_KEY=KEY1, ATTRIBTUI_NOW=str(NOW))
    r = subprocess.run([sys.executable, "-m", "attribtui.cli", "models", "list", "--json"],
                       env=env, text=True, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    headless = [[str(m["model_id"]), str(m["user_id"]), m["name"],
                 "yes" if m["is_active"] else "no", "★ yes" if m["is_default"] else "no",
                 m["slug"], bool(m["read_only"])] for m in json.loads(r.stdout)["models"]]
    app = make(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = [[r[0], r[1].split()[0], r[2], r[3], r[4], r[6], r[5] == "read-only"]
                 for r in table_rows(app)]
    assert shown == headless


def test_models_80x24(snap_compare, sandbox: dict[str, Any]) -> None:
    assert snap_compare(make(sandbox), terminal_size=(80, 24), run_before=settle)


@pytest.mark.anyio
async def test_models_table_at_80x24_keeps_its_columns_whole_and_end_goes_down(
        sandbox: dict[str, Any]) -> None:
    """Read like Health's evidence: the narrow columns fit, a long name wraps (never cut), End and
    Home go to the last and first model (not sideways), and the cursor follows the selection."""
    app = make(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#models-table", RowTable)
        labels = [str(c.label) for c in table.ordered_columns]
        assert labels == ["ID", "User", "Name", "Act", "Def", "Slug", "Updated"]
        assert table.virtual_size.width <= table.scrollable_content_region.width  # no sideways
        names = [x.name for x in screen.listing.models]
        assert "Last Touch Attribution" in names
        assert [row[2] for row in table_rows(app)] == names  # whole, wrapped in the cell
        assert max(row.height for row in table.ordered_rows) == 2
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_row == table.row_count - 1
        assert screen.selected == screen.listing.models[-1].model_id
        assert table.scroll_x == 0
        await pilot.press("home")
        await settle(pilot)
        assert table.cursor_row == 0 and screen.selected == screen.listing.models[0].model_id


@pytest.mark.anyio
async def test_models_table_fits_again_when_the_terminal_resizes(sandbox: dict[str, Any]) -> None:
    """Wide to narrow and back: the columns this width keeps, fitted to it, the model kept."""
    app = make(sandbox)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#models-table", RowTable)
        await pilot.press("down")
        await settle(pilot)
        chosen = app.screen.selected
        for width, kept in ((80, 7), (110, 8), (160, 10)):
            await pilot.resize_terminal(width, 40)
            await settle(pilot)
            assert len(table.ordered_columns) == kept
            assert table.virtual_size.width <= table.scrollable_content_region.width
            assert table.cursor_row == 1 and app.screen.selected == chosen


def test_models_120x40_audit(snap_compare, sandbox: dict[str, Any]) -> None:
    async def audit_tab(pilot) -> None:
        await settle(pilot)
        await pilot.press("down", "down")
        await settle(pilot)
        pilot.app.screen.query_one("#models-tabs").active = "tab-audit"
        await settle(pilot)

    assert snap_compare(make(sandbox), terminal_size=(120, 40), run_before=audit_tab)


def test_models_120x40_snapshots(snap_compare, sandbox: dict[str, Any]) -> None:
    async def snapshots_tab(pilot) -> None:
        await settle(pilot)
        await pilot.press("down", "down")
        await settle(pilot)
        pilot.app.screen.query_one("#models-tabs").active = "tab-snapshots"
        await settle(pilot)

    assert snap_compare(make(sandbox), terminal_size=(120, 40), run_before=snapshots_tab)


@pytest.mark.anyio
async def test_form_marks_the_default_box_and_says_what_upstream_makes_of_1_5(
        sandbox: dict[str, Any]) -> None:
    app = make(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ModelFormScreen)
        box = form.query_one("#f-default", Toggle)
        assert box.render().plain.startswith("[ ] ")  # off: no mark, whatever the colours
        box.value = True
        await pilot.pause()
        assert box.render().plain.startswith("[X] ")
        await pilot.press(*"Decay")
        form.query_one("#f-type").value = "time_decay"
        form.query_one("#f-half").focus()
        await pilot.press(*"1.5")
        await pilot.pause()
        said = str(form.query_one("#form-error", Static).render())
        assert said.startswith("✔ Valid") and "credits with 1 h" in said


async def _form(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("n")
    await pilot.pause()
    form = pilot.app.screen
    await pilot.press(*"Decay")
    form.query_one("#f-type").value = "time_decay"
    form.query_one("#f-default").value = True
    form.query_one("#f-half").focus()
    await pilot.press(*"1.5")
    await pilot.pause()


def test_models_80x24_form_no_color(snap_compare, sandbox: dict[str, Any],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make(sandbox), terminal_size=(80, 24), run_before=_form)


async def mask(pilot: Any, sandbox: dict[str, Any]) -> None:
    """The emulator's port and the database name change per run: fixed stand-ins on screen."""
    port = sandbox["base"].rsplit(":", 1)[1]
    name = sandbox["url"].rsplit("/", 1)[1]
    for w in pilot.app.screen.query(Static):
        content = w.content
        if isinstance(content, Text | str):
            plain = str(content)
            if port in plain or name in plain:
                w.update(Text(plain.replace(port, "8202").replace(name, "prosper202")))
    await pilot.pause()


def test_models_80x24_read_only_command(snap_compare, sandbox: dict[str, Any]) -> None:
    async def command(pilot: Any) -> None:
        pilot.app.copy_to_clipboard = lambda text: None  # OSC 52 would go to the terminal
        await settle(pilot)
        await pilot.press("down", "down", "down", "down")  # model 6, user 2's, no key
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await mask(pilot, sandbox)

    assert snap_compare(make(sandbox), terminal_size=(80, 24), run_before=command)


@pytest.fixture
def trap_sandbox() -> Iterator[dict[str, Any]]:
    """Model 2 the default, model 4 inactive and flagged default too (two planted defects)."""
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    seed(url, conversions=60, now=NOW,
         defects=["models_two_defaults", "models_default_inactive"])
    server, _thread = emulator.serve(url)
    yield {"url": url, "base": emulator.base_url(server)}
    server.shutdown()
    server.server_close()
    drop_database(name)


@pytest.mark.anyio
async def test_activating_the_flagged_default_confirms_the_demotion_and_audits_it(
        trap_sandbox: dict[str, Any]) -> None:
    app = make(trap_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")  # model 4, inactive, flagged default
        await pilot.pause()
        assert isinstance(app.screen, ActionConfirmScreen)
        body = screen_text(app)
        assert "model 2 “Time Decay 48h” stops being the default when model 4" in body
        assert "becomes ACTIVE (forced active" not in body  # is_active true was sent
        assert "Rebuild needed" in body
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("down", "down")  # model 2
        await settle(pilot)
        audit = app.screen.query_one("#audit-table", DataTable)
        newest = [str(c) for c in audit.get_row_at(0)]
        assert newest[1] == "default → 4" and "model 2 included" in newest[3]


def test_models_120x40_trap_confirmation(snap_compare, trap_sandbox: dict[str, Any]) -> None:
    async def confirm(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await mask(pilot, trap_sandbox)

    assert snap_compare(make(trap_sandbox), terminal_size=(120, 40), run_before=confirm)
