"""The shell without a database: header badges, status, overrides, size notice, notices, registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Label, Static

from attribtui.services.status import Component, HeaderStatus
from screens.components.toosmall import TooSmallScreen
from screens.health import HealthScreen
from screens.noconfig import config_error_app, no_config_app
from screens.registry import ScreenSpec, discover
from tests.ui.conftest import FIXED_STATUS, make_app, make_profile, settle

pytestmark = pytest.mark.anyio
NO_DB = None  # the health screen degrades with a banner; the shell is what is under test


def label(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


def test_registry_discovers_the_health_screen() -> None:
    specs = discover()
    assert [(s.key, s.name) for s in specs][:1] == [("1", "health")]
    assert specs[0].factory is HealthScreen
    titles = [c.title for c in specs[0].commands]
    assert "Run checks" in titles and "Export report (Markdown)" in titles


def test_registry_loads_one_screen_first() -> None:
    """The screen the console opens on is imported alone, so it paints while the others load."""
    assert [s.name for s in discover(only="health")] == ["health"]
    assert [s.name for s in discover(only="rollback")] == ["rollback"]
    assert discover(only="components") == [] and discover(only="nosuch") == []


async def test_production_badge_and_read_only() -> None:
    profile = make_profile(NO_DB, name="prod-eu", environment="production", read_only=True)
    app = make_app(profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert label(app, "#hdr-profile") == "profile prod-eu"
        env = app.screen.query_one("#hdr-env", Label)
        assert str(env.render()) == "PRODUCTION" and env.has_class("-loud")
        assert label(app, "#hdr-ro") == "READ-ONLY"


async def test_unknown_environment_is_loud_and_staging_is_quiet() -> None:
    app = make_app(make_profile(NO_DB, name="env", environment="unknown"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        env = app.screen.query_one("#hdr-env", Label)
        assert "treated as production" in str(env.render()) and env.has_class("-loud")
        assert not app.screen.query("#hdr-ro")
    app = make_app(make_profile(NO_DB))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        env = app.screen.query_one("#hdr-env", Label)
        assert str(env.render()) == "env staging" and not env.has_class("-loud")


async def test_status_symbols_words_warnings_and_overrides() -> None:
    status = HeaderStatus(
        Component("DB", "warn", "4 ms"),
        Component("API", "fail", "down", "cannot reach http://x/api/v2/health"),
        Component("memcached", "off", "not configured"),
        replica_lag_s=95,
        clock_skew_s=75,
        warnings=("replica 95 s behind the primary: screens read stale data",
                  "DB clock 75 s ahead of this machine: every age shown is off by that much"),
    )
    profile = make_profile(NO_DB, overrides=["ATTRIBTUI_DB_URL=mysql+pymysql://u:***@h/db (db.url)"])
    app = make_app(profile, status_provider=lambda: status)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert label(app, "#hdr-b-db") == "DB ▲ WARN 4 ms"
        assert label(app, "#hdr-b-api") == "API ✖ FAIL down"
        assert label(app, "#hdr-b-cache") == "memcached – not configured"
        assert label(app, "#hdr-lag") == "replica lag 95 s"
        alerts = str(app.screen.query_one("#hdr-alerts", Static).render())
        assert "▲ replica 95 s behind" in alerts and "▲ DB clock 75 s ahead" in alerts
        assert "▲ override ATTRIBTUI_DB_URL=mysql+pymysql://u:***@h/db (db.url)" in alerts


async def test_status_is_polled_and_updates_the_header() -> None:
    states = iter(["ok", "fail"])

    def provider() -> HeaderStatus:
        st = next(states, "fail")
        return HeaderStatus(Component("DB", st, ""), FIXED_STATUS.api, FIXED_STATUS.cache)

    app = make_app(make_profile(NO_DB), status_provider=provider, status_interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.pause(0.5)
        await settle(pilot)
        assert label(app, "#hdr-b-db") == "DB ✖ FAIL"


async def test_too_small_notice_and_back() -> None:
    app = make_app(make_profile(NO_DB))
    async with app.run_test(size=(70, 20)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TooSmallScreen)
        text = str(app.screen.query_one("#too-small", Static).render())
        assert "Terminal too small: 70x20" in text and "at least 80x24" in text
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)


async def test_no_config_screen() -> None:
    app = no_config_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        body = str(app.screen.query_one("#notice-body", Static).render())
        assert "config.toml" in body and "[profiles.staging]" in body
        assert "ATTRIBTUI_DB_URL=" in body and "attribtui demo" in body
        await pilot.press("q")
    assert app.return_value == 0


async def test_config_error_screen_is_one_line_and_exits_3() -> None:
    app = config_error_app("/x/config.toml: invalid TOML: Expected '=' (at line 3); fix the syntax there")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Config error" in str(app.screen.query_one("#notice-title", Label).render())
        body = str(app.screen.query_one("#notice-body", Static).render())
        assert body.splitlines()[0].startswith("/x/config.toml: invalid TOML")
        await pilot.press("q")
    assert app.return_value == 3


async def test_a_new_screen_registers_without_editing_the_shell() -> None:
    from textual.screen import Screen
    from textual.widgets import Label as L

    class Extra(Screen):
        def compose(self):
            yield L("extra here", id="extra")

    specs = [*discover(), ScreenSpec("9", "extra", "Extra", Extra)]
    app = make_app(make_profile(NO_DB), screens=specs)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await pilot.pause()
        assert app.current_mode == "extra" and app.screen.query_one("#extra")
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, HealthScreen)


async def test_the_console_opens_on_its_first_screen_then_loads_the_others() -> None:
    """Without given screens the shell imports the start screen alone, opens it, and loads the
    others once it has shown its findings (here: the checks refused, no database)."""
    app = make_app(make_profile(NO_DB))
    sheets = {Path(p).name for p in app.css_path}
    assert sheets == {"app.tcss", "health.tcss"}  # the others are read with their screens
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            if len(app.screen_specs) == 6:
                break
            await pilot.pause(0.05)
        assert [s.key for s in app.screen_specs] == ["1", "2", "3", "4", "5", "6"]
        assert isinstance(app.screen, HealthScreen)
        assert "Checks not run" in str(app.screen.query_one("#summary").render())
        await pilot.press("3")
        await pilot.pause()
        assert app.current_mode == "models"
        # models.tcss, read when the screen joined, styles it: a bold summary of at most 2 rows
        summary = app.screen.query_one("#models-summary")
        assert summary.styles.max_height is not None and summary.styles.max_height.value == 2
        assert summary.styles.text_style.bold


async def test_after_paint_waits_for_a_frame_or_its_deadline() -> None:
    """after_paint runs its callback once a frame has gone out (call_after_refresh may run before
    the first one, inside the start-up batch); by AFTER_PAINT_MAX_S when no frame comes;
    after_first_paint at once when one has."""
    app = make_app(make_profile(NO_DB))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ran: list[str] = []
        app.after_paint(lambda: ran.append("painted"))
        assert ran == []
        app.screen.query_one("#summary", Static).update("something new")  # a frame follows
        await until(pilot, lambda: ran == ["painted"])
        app.AFTER_PAINT_MAX_S = 0.05
        app.after_paint(lambda: ran.append("deadline"))  # nothing changes: no frame
        await until(pilot, lambda: len(ran) == 2)
        assert ran == ["painted", "deadline"]
        assert app.painted
        app.after_first_paint(lambda: ran.append("at once"))  # a frame has gone out already
        assert ran[-1] == "at once"


async def until(pilot, done, tries: int = 100) -> None:
    """Let the app run until done() holds (at most tries short pauses)."""
    for _ in range(tries):
        if done():
            return
        await pilot.pause(0.02)
    assert done()


async def test_a_status_answer_about_the_profile_before_a_switch_is_dropped() -> None:
    """A probe still out when the console switches profile answers for the old one: dropped."""
    from screens.app import StatusProbed

    old = HeaderStatus(Component("DB", "fail", "down"), Component("API", "ok", ""),
                       Component("memcached", "ok", ""))
    app = make_app(make_profile(NO_DB))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = app.status
        app.post_message(StatusProbed(old, lambda: old))  # another prober than the app's
        await pilot.pause()
        assert app.status is shown
        app.post_message(StatusProbed(old, app.status_provider))
        await pilot.pause()
        assert app.status is old
