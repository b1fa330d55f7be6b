"""The Fleet screen and switching the console's profile (Pilot, real MariaDB, a config file)."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

import pytest
from textual.widgets import Label

from attribtui.cli.console import _fleet_default, _fleet_first
from attribtui.infra.config import load_profile
from attribtui.vocab import Status
from screens.app import Start
from screens.components.confirm import ConfirmScreen
from screens.fleet import FleetScreen
from screens.fleet.render import change_text, columns_for, counts_text
from screens.health import HealthScreen
from screens.registry import discover
from tests.support import NOW
from tests.ui.conftest import make_app, settle

pytestmark = pytest.mark.anyio
UNREACHABLE = "mysql+pymysql://root@127.0.0.1:1/p202"


@pytest.fixture(autouse=True)
def child_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fleet refresh runs `attribtui check` in a child: it reads the frozen time here."""
    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))


def fleet_config(tmp_path: Path, clean_url: str, seeded_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
default_profile = "alpha"

[profiles.alpha]
environment = "staging"
[profiles.alpha.db]
url = "{clean_url}"

[profiles.beta]
environment = "production"
read_only = true
groups = ["eu"]
[profiles.beta.db]
url = "{seeded_url}"

[profiles.gamma]
environment = "dev"
[profiles.gamma.db]
url = "{UNREACHABLE}"
connect_timeout_s = 2
""")
    path.chmod(0o600)
    return path


def fleet_app(path: Path):
    app = make_app(load_profile("alpha", config_path=path), screens=discover(),
                   start=Start("fleet"))
    app.db_label = "mysql 127.0.0.1:3306/prosper202"
    return app


def header(app) -> str:
    return " ".join(str(lbl.render()) for lbl in app.screen.query("#hdr-identity Label")
                    if isinstance(lbl, Label))


async def test_fleet_rows_then_enter_switches_the_console(tmp_path: Path, clean_url: str,
                                                          seeded_url: str) -> None:
    app = fleet_app(fleet_config(tmp_path, clean_url, seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        fleet = app.screen
        assert isinstance(fleet, FleetScreen) and not fleet.refreshing
        assert set(fleet.rows) == {"alpha", "beta", "gamma"}  # in the order they finished
        assert fleet.rows["beta"].status == Status.FAIL  # the planted defects
        gamma = fleet.rows["gamma"]
        assert gamma.status == Status.ERROR and gamma.report is not None
        assert gamma.error is not None and "127.0.0.1:1" in gamma.error
        table = fleet.query_one("#fleet-table")
        cells = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert cells[0][0] == "▶alpha" and cells[1][1] == "PRODUCTION RO"
        assert cells[2][6] == "✖ no" and cells[0][6] == "✔ yes"
        summary = str(fleet.query_one("#fleet-summary").render())
        assert summary.startswith("3 profile(s) ·") and "‼ ERROR" in summary
        # Enter on beta: the console acts on beta from now on, and says so everywhere
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.profile.name == "beta" and isinstance(app.screen, HealthScreen)
        assert app.screen.profile.name == "beta" and app.screen.report is not None
        assert "profile beta" in header(app) and "PRODUCTION" in header(app)
        assert "READ-ONLY" in header(app)
        await pilot.press("6")
        await pilot.pause()
        assert app.screen is fleet and "profile beta" in header(app)  # the fleet stayed
        table = fleet.query_one("#fleet-table")
        assert str(table.get_row_at(1)[0]) == "▶beta"


async def test_a_switch_with_work_running_asks_first(tmp_path: Path, clean_url: str,
                                                     seeded_url: str) -> None:
    app = fleet_app(fleet_config(tmp_path, clean_url, seeded_url))
    release = threading.Event()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.run_worker(lambda: release.wait(30), thread=True, group="jobs", name="a rebuild")
        app.switch_profile("beta")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "a rebuild" in app.screen.body and "beta" in app.screen.body
        await pilot.press("n")
        await pilot.pause()
        assert app.profile.name == "alpha"
        release.set()
        await settle(pilot)
        app.switch_profile("nosuch")  # a name the config lacks: one line, nothing moves
        await pilot.pause()
        assert app.profile.name == "alpha"


async def test_the_palette_switches_profile(tmp_path: Path, clean_url: str,
                                            seeded_url: str) -> None:
    app = fleet_app(fleet_config(tmp_path, clean_url, seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.profile_choices() == [("beta", "production"), ("gamma", "dev")]
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Switch to profile gamma")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.profile.name == "gamma" and isinstance(app.screen, HealthScreen)
        assert "env dev" in header(app)


def test_rows_say_how_a_status_moved() -> None:
    assert change_text(None, Status.FAIL) == "" and change_text(Status.OK, Status.OK) == ""
    assert change_text(Status.OK, Status.FAIL) == "worse, was ✔ ok"
    assert change_text(Status.FAIL, Status.WARN) == "better, was ✖ FAIL"
    assert counts_text({"fail": 3, "warn": 0, "ok": 17, "info": 5}) == "✖3 ℹ5 ✔17"
    assert "Checks" in columns_for(120) and "Checks" not in columns_for(80)


def test_the_console_opens_on_the_fleet_with_several_profiles(tmp_path: Path, clean_url: str,
                                                              seeded_url: str,
                                                              monkeypatch) -> None:
    path = fleet_config(tmp_path, clean_url, seeded_url)
    monkeypatch.delenv("ATTRIBTUI_PROFILE", raising=False)
    profile = load_profile(None, config_path=path)
    assert _fleet_first(argparse.Namespace(profile=None), profile)
    assert not _fleet_first(argparse.Namespace(profile="alpha"), profile)
    assert _fleet_default(str(path)) is None  # default_profile names alpha
    nodefault = tmp_path / "nodefault.toml"
    nodefault.write_text(path.read_text().replace('default_profile = "alpha"', ""))
    nodefault.chmod(0o600)
    assert _fleet_default(str(nodefault)) == "alpha"  # the first: the console still opens
    single = tmp_path / "one.toml"
    single.write_text(f'[profiles.alpha]\nenvironment = "dev"\n[profiles.alpha.db]\n'
                      f'url = "{clean_url}"\n')
    single.chmod(0o600)
    assert not _fleet_first(argparse.Namespace(profile=None),
                            load_profile(None, config_path=single))
