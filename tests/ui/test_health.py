"""The console with the Schema Health screen, driven by keys and the palette (Pilot, real MariaDB)."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual.widgets import DataTable, OptionList, Static

from attribtui import checks
from attribtui.checks import CheckSpec, Outcome, store
from screens.components.confirm import ConfirmScreen
from screens.components.help import HelpScreen
from screens.health import HealthScreen
from screens.health.messages import CheckStep
from tests.ui.conftest import make_app, make_profile, settle

pytestmark = [pytest.mark.mariadb, pytest.mark.anyio]


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def screen_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static) if w.display)


async def test_runs_checks_groups_and_selects_worst(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HealthScreen)
        assert screen.report is not None and not screen.running
        ids = [r.id for r in screen.results]
        assert ids == [s.id for s in checks.select(None)]
        # grouped: headings are disabled options, in the catalog's group order
        ol = screen.query_one("#check-list", OptionList)
        headings = [ol.get_option_at_index(i).id for i in range(ol.option_count)
                    if ol.get_option_at_index(i).disabled]
        assert headings == [f"group:{g}" for g in (
            "schema", "cron", "models", "snapshots", "credits", "journeys", "settings", "exports",
            "coverage", "db")]
        # the coverage summary heads the screen
        coverage = text_of(app, "#coverage")
        assert coverage.startswith("Window 48h · ") and " conversions · " in coverage
        # the first run opens on the first failure, with its evidence and remediation
        current = screen.current()
        assert current is not None and current.status == "fail"
        assert current.id in text_of(app, "#detail-head")
        table = screen.query_one("#evidence", DataTable)
        assert table.display and table.row_count == len(current.evidence["rows"])
        assert current.remediation in text_of(app, "#remedy")
        summary = text_of(app, "#summary")
        assert "✖ FAIL" in summary and "exit 2" in summary
        # each run is saved under the data dir
        runs = store.load_runs("staging")
        assert len(runs) == 1 and runs[0]["summary"] == screen.report["summary"]


async def test_select_another_check_by_keys(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("home")
        await pilot.pause()
        assert screen.selected == "schema.tables"  # headings are skipped
        await pilot.press("down", "down")
        await pilot.pause()
        assert screen.selected == "schema.indexes"
        assert "schema.indexes" in text_of(app, "#detail-head")
        table = screen.query_one("#evidence", DataTable)
        assert table.display and table.row_count >= 1
        labels = [str(c.label) for c in table.columns.values()]
        assert labels == screen.current().evidence["columns"]


async def test_rerun_keeps_selection_and_saves_again(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("home", "down")
        await pilot.pause()
        chosen = screen.selected
        first = screen.report
        await pilot.press("r")
        await pilot.pause()
        await settle(pilot)
        assert screen.report is not first and screen.report is not None
        assert screen.selected == chosen
        # saved again (same frozen second and pid, so the same file name)
        assert store.load_runs("staging")[-1]["checks"] == screen.report["checks"]


async def test_export_markdown_and_json(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        md = sorted(Path(store.runs_dir().parent, "reports").glob("checks-staging-*.md"))
        assert len(md) == 1
        text = md[0].read_text()
        assert "# attribtui checks: staging" in text and "`cron.attribution_heartbeat`" in text
        assert app._clipboard == text  # and via OSC 52
        await pilot.press("j")
        await pilot.pause()
        js = sorted(md[0].parent.glob("checks-staging-*.json"))
        assert len(js) == 1
        doc = json.loads(js[0].read_text())
        assert doc["profile"] == "staging" and len(doc["checks"]) == len(app.screen.results)
        assert oct(js[0].stat().st_mode & 0o777) == "0o600"
        notes = [str(n.message) for n in app._notifications]
        assert any(str(js[0]) in n for n in notes)


async def test_copy_remediation_to_clipboard_and_file(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        current = app.screen.current()
        assert current.remediation
        await pilot.press("c")
        await pilot.pause()
        assert app._clipboard == current.remediation
        files = list(Path(store.runs_dir().parent, "reports").glob("remediation-*.txt"))
        assert [f.read_text().strip() for f in files] == [current.remediation]


async def test_palette_runs_checks_and_navigates(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first = app.screen.report
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Run checks")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)
        assert app.screen.report is not None and app.screen.report is not first
        # "Go to Schema Health" and the number key land on the same screen
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Go to Schema")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.current_mode == "health"
        await pilot.press("1")
        await pilot.pause()
        assert app.current_mode == "health"


async def test_help_lists_bindings(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for desc in ("Rerun", "Copy fix", "Export MD", "Export JSON", "Schema Health", "Quit"):
            assert desc in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


@dataclass
class SlowCheck:
    started: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)  # the query returned


@pytest.fixture
def slow_check(monkeypatch: pytest.MonkeyPatch) -> SlowCheck:
    """The first check runs SLEEP(30) on the server until cancelled (KILL QUERY)."""
    slow_check = SlowCheck()

    def slow(ctx):
        slow_check.started.set()
        try:
            ctx.db.read("SELECT SLEEP(30)", timeout_ms=60_000)
        finally:
            slow_check.ended.set()
        return Outcome("ok", "slept")

    registry = checks.load_checks()
    first = next(iter(registry))
    monkeypatch.setitem(registry, first, CheckSpec(first, registry[first].title, slow))
    return slow_check


async def test_cancel_stops_the_running_query(seeded_url: str, slow_check: SlowCheck) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        assert await asyncio.to_thread(slow_check.started.wait, 10)  # without blocking the loop
        await pilot.pause()
        screen = app.screen
        assert screen.running and screen.query_one("#runbar").display
        first = next(iter(checks.load_checks()))
        assert f"Running {first}" in str(screen.query_one("#run-label").render())
        await pilot.press("x")
        await settle(pilot)
        assert not screen.running
        assert {r.status for r in screen.results} == {"skipped"}
        assert "cancelled by the operator" in screen.results[0].details
        assert "Cancelled." in text_of(app, "#summary")


async def test_quit_asks_while_checks_run(seeded_url: str, slow_check: SlowCheck) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        assert await asyncio.to_thread(slow_check.started.wait, 10)  # without blocking the loop
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "schema health checks" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, HealthScreen) and app.screen.running
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert app.return_code == 0
        assert app.return_value == 0  # quit asked for, not a crash
    # Quitting killed the running query: it returned long before its SLEEP(30) would have.
    assert await asyncio.to_thread(slow_check.ended.wait, 10)


async def test_quit_without_work_does_not_ask(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0


async def test_unreachable_database_is_one_clear_line() -> None:
    app = make_app(make_profile("mysql+pymysql://root@127.0.0.1:1/prosper202"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        banner = text_of(app, "#banner")
        assert screen.query_one("#banner").display
        assert banner.startswith("‼ Database unreachable: cannot reach the database at "
                                 "mysql 127.0.0.1:1/prosper202")
        assert "\n" not in banner
        assert {r.status for r in screen.results} == {"error"}
        # the console stays usable: help opens, rerun runs again
        first = screen.report
        await pilot.press("r")
        await settle(pilot)
        assert screen.report is not first and {r.status for r in screen.results} == {"error"}
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_no_database_configured_degrades() -> None:
    app = make_app(make_profile(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "no database configured" in text_of(app, "#banner")
        assert app.screen.report is None


async def test_prepare_runs_first_with_progress(clean_url: str) -> None:
    seen: list[tuple[str, float]] = []
    gate = threading.Event()

    def prepare(progress) -> None:
        progress("seeding clicks", 0.5)
        seen.append(("seeding clicks", 0.5))
        gate.wait(10)

    app = make_app(make_profile(clean_url), prepare=prepare)
    async with app.run_test(size=(80, 24)) as pilot:
        from screens.components.prepare import PrepareScreen

        # screens are discovered in a worker: wait for it (and the prepare step) to show up
        for _ in range(200):
            if isinstance(app.screen, PrepareScreen) and seen:
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, PrepareScreen)
        assert "seeding clicks" in screen_text(app)
        health = app.get_screen_stack("health")[0]  # under the prepare screen, waiting
        assert isinstance(health, HealthScreen) and health.report is None
        assert app.ready is False
        gate.set()
        await settle(pilot)
        assert app.ready and isinstance(app.screen, HealthScreen)
        assert app.screen.report is not None
        assert health is app.screen


async def test_window_key_reruns_the_integrity_checks_over_another_window(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        first = screen.report
        await pilot.press("w")  # 48h -> 7d
        await settle(pilot)
        assert screen.window == "7d" and screen.report is not first
        assert text_of(app, "#coverage").startswith("Window 7d · ")
        coverage = next(r for r in screen.results if r.id == "coverage.summary")
        assert "2026-11-19T12:34:56Z .. 2026-11-26T12:34:56Z" in coverage.details
        await pilot.press("w")  # 7d wraps to 6h
        await settle(pilot)
        assert screen.window == "6h" and text_of(app, "#coverage").startswith("Window 6h · ")


async def test_long_checks_report_progress_in_the_run_bar(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.running = True  # what the worker's progress callback shows while a check runs
        screen.post_message(CheckStep("journeys: 100 of 200 conversions"))
        await pilot.pause()
        assert "journeys: 100 of 200 conversions" in str(screen.query_one("#run-label").render())
        screen.running = False


async def test_most_checks_with_nothing_to_examine_are_called_out(empty_url: str) -> None:
    """An installed but unused tracker: the list reads `info`, not `ok`, and the header says how
    many checks had nothing to look at, so a quiet board is not taken for a healthy one."""
    app = make_app(make_profile(empty_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HealthScreen) and screen.report is not None
        empty = screen.report["nothing_to_examine"]
        total = len(screen.results)
        assert 2 * len(empty) > total
        notice = text_of(app, "#emptiness")
        assert notice == (f"ℹ {len(empty)} of {total} checks had nothing to examine in the "
                          "last 48h: not proof of health")
        ol = screen.query_one("#check-list", OptionList)
        options = [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]
        assert " ℹ info    conservation" in options
        screen.highlight("credits.conservation")
        await pilot.pause()
        assert text_of(app, "#detail-head") == ("ℹ info  credits.conservation  · nothing to "
                                                "examine")
        assert "nothing has been credited to check" in text_of(app, "#detail-text")


async def test_a_busy_install_shows_no_emptiness_notice(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.report is not None
        assert not app.screen.query_one("#emptiness", Static).display
