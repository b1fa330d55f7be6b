"""The Journeys screen (key 2) with Pilot and SVG snapshots, on a real MariaDB with planted defects."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
from pymemcache.client.base import Client
from rich.console import Console
from textual.widgets import Input, OptionList, Static

from attribtui.infra import actionlog
from attribtui.prosper.cachekey import journey_cache_key, system_hash
from screens.app import Start
from screens.components.confirm import ActionConfirmScreen
from screens.journeys import SCREEN, JourneysScreen
from tests.functional.test_journeys import plant_journey_defects
from tests.support import NOW, create_database, drop_database
from tests.ui.conftest import make_app, make_profile, settle

pytestmark = [pytest.mark.mariadb]


@pytest.fixture(scope="module")
def planted() -> Iterator[tuple[str, dict[str, int]]]:
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    seed(url, conversions=300, now=NOW, defects="none")
    yield url, plant_journey_defects(url)
    drop_database(name)


def _app(url: str, **kw):
    app = make_app(make_profile(url, **kw), screens=[SCREEN])
    app.db_label = "mysql 127.0.0.1:3306/prosper202"  # the test database name changes per run
    return app


def _text(app, selector: str) -> str:
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen.query_one(selector, Static).content)
    return console.export_text()


def _options(app) -> list[str]:
    ol = app.screen.query_one("#conv-list", OptionList)
    return [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]


async def _look_up(pilot, text: str) -> None:
    ids = pilot.app.screen.query_one("#ids", Input)
    ids.value = text
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.anyio
async def test_lookup_names_defects_and_keeps_running(planted) -> None:
    url, ids = planted
    app = _app(url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, JourneysScreen)
        assert app.screen.query_one("#ids", Input).has_focus
        await _look_up(pilot, f"{ids['clean']}, {ids['position_gap']}\n{ids['soft_deleted']}")
        options = _options(app)
        assert options[0].startswith("✔ ok") and options[1].startswith("✖ FAIL")
        assert options[2].startswith("▲ WARN") and options[2].endswith("DEL")
        assert "1 ✖ FAIL, 1 ▲ WARN, 1 ✔ ok" in _text(app, "#summary")
        detail = _text(app, "#detail-text")
        assert "✔ none: every rule holds" in detail
        assert "would change nothing" in detail
        assert "▶" in detail and "◀ converting" in detail
        assert "before conv." in detail and "Credits (hour" in detail
        await pilot.press("down")
        await pilot.pause()
        assert "✖ FAIL positions: Positions should be 0.." in _text(app, "#detail-text")
        await pilot.press("down")
        await pilot.pause()
        assert "!! DELETED (deleted=1)" in _text(app, "#detail-text")
        # bad input: one clear line, the previous results stay
        await pilot.press("slash")
        await _look_up(pilot, "12, abc")
        assert "'abc' is not a conv_id" in _text(app, "#summary")
        assert len(_options(app)) == 3
        await _look_up(pilot, "4294967296")
        assert "at most 4294967295" in _text(app, "#summary")


@pytest.mark.anyio
async def test_digits_typed_on_the_results_start_the_next_lookup(planted) -> None:
    from screens.health import SCREEN as HEALTH

    url, ids = planted
    app = make_app(make_profile(url), screens=[HEALTH, SCREEN])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await settle(pilot)
        await _look_up(pilot, str(ids["clean"]))
        field = app.screen.query_one("#ids", Input)
        assert app.screen.query_one("#conv-list", OptionList).has_focus
        await pilot.press("1", "2")  # "1" is the Health screen's key elsewhere
        assert isinstance(app.screen, JourneysScreen)
        assert field.has_focus and field.value == "12"
        assert "Leave input" in footer_keys(app)
        await pilot.press("escape")
        assert not field.has_focus and "Leave input" not in footer_keys(app)


@pytest.mark.anyio
async def test_keyboard_alone_leaves_journeys(planted) -> None:
    """Health, 2 to Journeys, an id typed and looked up, then out by keys only: digits there start
    the next conv_id, so ctrl+g (in the footer and help) picks the screen by its number."""
    from screens.components.help import HelpScreen, binding_rows
    from screens.components.switcher import ScreenSwitcher
    from screens.health import SCREEN as HEALTH
    from screens.health import HealthScreen

    url, ids = planted
    app = make_app(make_profile(url), screens=[HEALTH, SCREEN])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, JourneysScreen)
        await pilot.press(*str(ids["clean"]), "enter")
        await settle(pilot)
        assert app.screen.query_one("#conv-list", OptionList).has_focus
        assert footer_keys(app).startswith("Go to screen ")  # first: the last to drop off
        assert ("^g", "Go to screen") in binding_rows(app.screen)["screen"]
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, ScreenSwitcher)
        await pilot.press("escape")  # Esc stays
        assert isinstance(app.screen, JourneysScreen)
        await pilot.press("ctrl+g", "1")
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)
        # and from inside the id input, where every digit is typed
        await pilot.press("2", "slash")
        assert app.screen.query_one("#ids", Input).has_focus
        await pilot.press("ctrl+g", "up", "enter")  # or by the list, from Journeys' entry
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("^g", "Go to screen") in binding_rows(app.screen.under)["shell"]


def footer_keys(app) -> str:
    from textual.widgets import Footer

    return " ".join(str(k.description) for k in app.screen.query_one(Footer).query("FooterKey"))


@pytest.mark.anyio
async def test_reverse_lookup_from_converting_click(planted) -> None:
    url, ids = planted
    app = _app(url)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _look_up(pilot, str(ids["clean"]))
        await pilot.press("c")
        field = app.screen.query_one("#ids", Input)
        assert field.has_focus and field.value.startswith("click:")
        await pilot.press("enter")
        await settle(pilot)
        assert [o.split()[-1] for o in _options(app)] == [str(ids["clean"])]
        assert "converted 1, in 1 journey(s)" in _text(app, "#summary")


@pytest.mark.anyio
@pytest.mark.memcached
async def test_cache_present_then_evicted_with_confirmation(planted) -> None:
    url, ids = planted
    host = f"journeys-ui-{os.getpid()}.invalid"
    profile = make_profile(url, memcache=["127.0.0.1:11211"])
    profile = profile.__class__(**{**profile.__dict__, "memcache": profile.memcache.__class__(
        servers=["127.0.0.1:11211"], http_host=host, server_addr="10.1.1.1")})
    key = journey_cache_key(ids["clean"], system_hash(host, "10.1.1.1"))
    client = Client(("127.0.0.1", 11211))
    client.set(key, b"stale", expire=600, noreply=False)
    app = make_app(profile, screens=[SCREEN])
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await _look_up(pilot, str(ids["clean"]))
            app.screen.query_one("#detail").scroll_end(animate=False)
            assert "PRESENT (web key on 127.0.0.1:11211)" in _text(app, "#detail-text")
            assert "never sets this key" in _text(app, "#detail-text")
            await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, ActionConfirmScreen)
            await pilot.press("y")
            await settle(pilot)
            assert client.get(key) is None
            assert "absent under every seed" in _text(app, "#detail-text")
            assert [e["action"] for e in actionlog.entries()][-1] == "journey.cache_evict"
    finally:
        client.delete(key)
        client.close()


@pytest.mark.anyio
async def test_read_only_has_no_eviction(planted) -> None:
    url, ids = planted
    app = _app(url, read_only=True, memcache=["127.0.0.1:11211"])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _look_up(pilot, str(ids["clean"]))
        assert app.screen.check_action("evict", ()) is False
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, JourneysScreen)


def test_journeys_80x24(snap_compare, planted) -> None:
    url, ids = planted

    async def run_before(pilot) -> None:
        await settle(pilot)
        await _look_up(pilot, f"{ids['converting_missing']} {ids['clean']} 4000000000")

    assert snap_compare(_app(url, name="prod-eu", environment="production", read_only=True),
                        terminal_size=(80, 24), run_before=run_before)


def test_go_to_screen_80x24_no_color(snap_compare, planted, monkeypatch) -> None:
    """ctrl+g over Journeys: the screens by number, the current one highlighted."""
    from screens.health import SCREEN as HEALTH

    url, ids = planted
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(make_profile(url), screens=[HEALTH, SCREEN], start=Start("journeys"))
    app.db_label = "mysql 127.0.0.1:3306/prosper202"  # the test database name changes per run

    async def go_to(pilot) -> None:
        await settle(pilot)
        await _look_up(pilot, str(ids["clean"]))
        await pilot.press("ctrl+g")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=go_to)


def test_journeys_120x40(snap_compare, planted) -> None:
    url, ids = planted

    async def run_before(pilot) -> None:
        await settle(pilot)
        await _look_up(pilot, " ".join(str(ids[k]) for k in (
            "clean", "duplicate_click", "outside_lookback", "credits_not_one", "differs")))
        await pilot.press("down", "down", "down")
        await pilot.pause()

    assert snap_compare(_app(url), terminal_size=(120, 40), run_before=run_before)


@pytest.mark.anyio
async def test_a_pasted_column_is_inserted_once() -> None:
    from textual import events
    from textual.app import App

    from screens.components.ids_input import IdsInput

    class One(App):
        def compose(self):
            yield IdsInput(id="ids")

    app = One()
    async with app.run_test() as pilot:
        box = app.query_one(IdsInput)
        box.focus()
        box.post_message(events.Paste("1999\n1998\n1234"))
        await pilot.pause()
        assert box.value == "1999 1998 1234"
