"""SVG snapshots of the health screen: frozen clock, fixed header status, fixed db.* outcomes."""

from __future__ import annotations

import pytest

from attribtui.services.status import Component, HeaderStatus
from screens.noconfig import no_config_app
from tests.ui.conftest import FIXED_STATUS, make_app, make_profile, settle

pytestmark = pytest.mark.mariadb

WARNED = HeaderStatus(
    Component("DB", "warn", "2 ms"),
    Component("API", "fail", "down", "cannot reach http://127.0.0.1:9/api/v2/health"),
    Component("memcached", "ok", ""),
    replica_lag_s=4,
    clock_skew_s=75,
    warnings=("DB clock 75 s ahead of this machine: every age shown is off by that much",),
)


def _app(url: str, **kw):
    status = kw.pop("status", FIXED_STATUS)
    app = make_app(make_profile(url, **kw), status_provider=lambda: status)
    app.db_label = "mysql 127.0.0.1:3306/prosper202"  # the test database name changes per run
    return app


def test_health_80x24_production(snap_compare, seeded_url, deterministic_db_checks) -> None:
    app = _app(seeded_url, name="prod-eu", environment="production", read_only=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


def test_health_120x40_with_warnings(snap_compare, seeded_url, deterministic_db_checks) -> None:
    app = _app(seeded_url, status=WARNED,
               overrides=["ATTRIBTUI_DB_URL=mysql+pymysql://root@127.0.0.1:3306/prosper202 (db.url)"])

    async def select_indexes(pilot) -> None:
        await settle(pilot)
        await pilot.press("home", "down", "down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=select_indexes)


def test_health_120x40_journey_evidence(snap_compare, seeded_url, deterministic_db_checks) -> None:
    """The integrity groups, the coverage line, and a journey finding's evidence table."""
    app = _app(seeded_url)

    async def select_journeys(pilot) -> None:
        await settle(pilot)
        pilot.app.screen.highlight("journeys.sample")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=select_journeys)


def test_no_config_80x24(snap_compare, monkeypatch) -> None:
    monkeypatch.setattr("screens.noconfig.default_config_path",
                        lambda: __import__("pathlib").Path("/home/op/.config/attribtui/config.toml"))
    assert snap_compare(no_config_app(), terminal_size=(80, 24))


def test_health_80x24_empty_install(snap_compare, empty_url, deterministic_db_checks) -> None:
    """Installed but unused: most checks had nothing to examine, and the header says so."""
    app = _app(empty_url)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle)


def _open_row(check_id: str, *keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.screen.highlight(check_id)
        await pilot.pause()
        await pilot.press("tab", *keys)
        await settle(pilot)

    return run_before


def test_health_80x24_nocolor_evidence_cards_focused(snap_compare, seeded_url, monkeypatch,
                                                     deterministic_db_checks) -> None:
    """NO_COLOR: the focused pane has a heavy border, not only a shade; the evidence is too wide
    for the pane, so each row is a card of `column value` lines, nothing cut."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app(seeded_url)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_row("journeys.sample"))


def test_health_120x40_evidence_row_in_full(snap_compare, seeded_url,
                                            deterministic_db_checks) -> None:
    """Enter on an evidence row: every column in full, and where its fix is made."""
    app = _app(seeded_url)
    assert snap_compare(app, terminal_size=(120, 40),
                        run_before=_open_row("snapshots.missing", "enter"))


def test_health_80x24_nocolor_evidence_row_in_full(snap_compare, seeded_url, monkeypatch,
                                                   deterministic_db_checks) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app(seeded_url)
    assert snap_compare(app, terminal_size=(80, 24),
                        run_before=_open_row("journeys.sample", "end", "enter"))


def _briefing(progress) -> str:
    from attribtui.sandbox.drills import DRILLS

    d = DRILLS["bad-default"]
    return f"Drill {d.name}: {d.title}\n\n{d.briefing}"


async def _until_briefing(pilot) -> None:
    from screens.components.briefing import BriefingScreen

    for _ in range(200):
        if isinstance(pilot.app.screen, BriefingScreen):
            break
        await pilot.pause(0.05)
    await settle(pilot)


def test_drill_briefing_80x24_no_color(snap_compare, clean_url, deterministic_db_checks,
                                       monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(make_profile(clean_url, name="demo", environment="dev"),
                   status_provider=lambda: FIXED_STATUS, prepare=_briefing)
    app.db_label = "sqlite ~/.local/share/attribtui/demo/demo.sqlite"
    assert snap_compare(app, terminal_size=(80, 24), run_before=_until_briefing)


def test_drill_briefing_120x40(snap_compare, clean_url, deterministic_db_checks) -> None:
    app = make_app(make_profile(clean_url, name="demo", environment="dev"),
                   status_provider=lambda: FIXED_STATUS, prepare=_briefing)
    app.db_label = "sqlite ~/.local/share/attribtui/demo/demo.sqlite"
    assert snap_compare(app, terminal_size=(120, 40), run_before=_until_briefing)


def test_fleet_120x40(snap_compare, tmp_path, clean_url, seeded_url, monkeypatch) -> None:
    """Three deployments: a clean one (the console's), production with the planted defects,
    and one that cannot be reached; the highlighted row's findings below."""
    from tests.support import NOW
    from tests.ui.test_fleet import fleet_app, fleet_config

    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))  # the refresh's child process
    app = fleet_app(fleet_config(tmp_path, clean_url, seeded_url))
    app.status_provider = lambda: FIXED_STATUS

    async def beta(pilot) -> None:
        await settle(pilot)
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=beta)


def test_fleet_80x24_no_color(snap_compare, tmp_path, clean_url, seeded_url,
                              monkeypatch) -> None:
    from tests.support import NOW
    from tests.ui.test_fleet import fleet_app, fleet_config

    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))
    app = fleet_app(fleet_config(tmp_path, clean_url, seeded_url))
    app.status_provider = lambda: FIXED_STATUS

    async def gamma(pilot) -> None:
        await settle(pilot)
        await pilot.press("end")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=gamma)
