"""The console with the Schema Health screen, driven by keys and the palette (Pilot, real MariaDB)."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, OptionList, Static

from attribtui import checks
from attribtui.checks import store
from attribtui.checks.framework import CheckSpec, Outcome
from attribtui.infra import clock
from attribtui.services.jobs import store as job_store
from screens.components.confirm import ActionConfirmScreen, ConfirmScreen
from screens.components.help import HelpScreen
from screens.components.table import RowTable
from screens.health import HealthScreen
from screens.health.fixes import runnable
from screens.health.messages import CheckStep
from screens.health.row import RowScreen
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
        # 80 columns leave the pane too narrow for five columns: each row is a card of
        # `column value` lines instead, nothing cut
        assert [str(c.label) for c in table.columns.values()] == ["1 row(s), one column a line"]
        card = str(table.get_cell_at(Coordinate(0, 0)))
        assert all(c in card for c in screen.current().evidence["columns"])


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
        wanted, _ = runnable(current.remediation)  # the crontab line, without the prose
        assert wanted.startswith("# crontab -e: 15 * * * * ") and "Check that" not in wanted
        assert app._clipboard == wanted + "\n"
        files = list(Path(store.runs_dir().parent, "reports").glob("remediation-*.txt"))
        assert [f.read_text().strip() for f in files] == [wanted]


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

        # screens are discovered in a worker, and the preparation starts after the first frame:
        # wait for it, and for its progress message to reach the dialog
        for _ in range(200):
            if isinstance(app.screen, PrepareScreen) and seen \
                    and "seeding clicks" in screen_text(app):
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


async def test_a_drill_briefing_shows_once_prepared_and_enter_begins(clean_url: str) -> None:
    from screens.components.briefing import BriefingScreen

    app = make_app(make_profile(clean_url),
                   prepare=lambda progress: "Drill x: a title\n\nPAGE — what the pager said.")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            if isinstance(app.screen, BriefingScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, BriefingScreen)
        text = screen_text(app)
        assert "Drill x: a title" in text and "what the pager said" in text
        assert "Enter: begin" in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen) and app.ready


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


# -- evidence tables and fixes as actions (issue 14, items 5 and 8) ------------------------------


async def _show(pilot, check_id: str) -> None:
    await settle(pilot)
    pilot.app.screen.highlight(check_id)
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_evidence_fits_the_pane_without_cutting_a_value(seeded_url: str, size) -> None:
    """Every evidence table fits its pane (no sideways scroll, no clipped column): long cells
    wrap, and a pane too narrow for the columns shows each row as `column value` lines."""
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = app.screen
        shown = 0
        for r in screen.results:
            if not (r.evidence and r.evidence.get("rows")):
                continue
            screen.highlight(r.id)
            await pilot.pause()
            table = screen.query_one("#evidence", RowTable)
            assert table.virtual_size.width <= table.size.width, r.id
            cells = [str(table.get_cell_at(Coordinate(i, j)))
                     for i in range(table.row_count) for j in range(len(table.columns))]
            text = "\n".join(cells)
            for row in r.evidence["rows"]:  # every value is there in full
                for v in row:
                    assert ("" if v is None else str(v)) in text, (r.id, v)
            shown += 1
        assert shown >= 10


async def test_end_goes_to_the_last_row_and_enter_opens_it_in_full(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await _show(pilot, "snapshots.freshness")
        screen = app.screen
        table = screen.query_one("#evidence", RowTable)
        await pilot.press("tab")
        assert app.focused is table
        await pilot.press("end")
        await pilot.pause()
        rows = screen.current().evidence["rows"]
        assert table.cursor_row == len(rows) - 1 and table.scroll_x == 0
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("end", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RowScreen)
        text = screen_text(app)
        assert f"row {len(rows)} of {len(rows)}" in text
        for col, value in zip(screen.current().evidence["columns"], rows[-1], strict=True):
            assert col in text and str(value) in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HealthScreen)


async def test_enter_on_a_journey_finding_opens_its_conversions_in_journeys(
        seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await _show(pilot, "journeys.sample")
        ids = [str(row[0]) for row in app.screen.current().evidence["rows"]]
        app.screen.query_one("#check-list").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "journeys"
        journeys = app.screen
        assert journeys.query_one("#ids", Input).value == ", ".join(ids)
        assert sorted(str(r.conv_id) for r in journeys.reports) == sorted(ids)


async def test_a_snapshot_row_prefills_jobs_with_an_aligned_rebuild_and_its_preflight(
        seeded_url: str) -> None:
    """The row's fix is a rebuild of its hour for its user: the Jobs form gets it, the
    pre-flight runs, nothing is launched."""
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await _show(pilot, "snapshots.missing")
        row = app.screen.current().evidence["rows"][0]
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RowScreen)
        labels = [f.label for f in app.screen.fixes]
        choice = next(i for i, label in enumerate(labels) if label.startswith("Rebuild user"))
        await pilot.press(*["down"] * choice, "enter")
        await settle(pilot)
        assert app.current_mode == "jobs"
        jobs = app.screen
        hour = clock.parse_when(str(row[1]))
        assert jobs.query_one("#start", Input).value == str(hour)
        assert jobs.query_one("#end", Input).value == str(hour + 3599)  # --end=H1-1
        assert jobs.req is not None and jobs.req.kind == "rebuild"
        assert jobs.req.user == int(str(row[0]).split("(user ")[1].split()[0])
        assert jobs.pf is not None and jobs.pf.request == jobs.req  # the pre-flight ran
        assert "Pre-flight:" in str(jobs.query_one("#preflight", Static).render())
        assert not job_store.history(limit=5)  # and nothing was launched


async def test_a_model_finding_opens_the_model_in_models(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await _show(pilot, "models.types")
        model = app.screen.current().evidence["rows"][0][2]
        app.screen.query_one("#check-list").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "models"
        notes = [str(n.message) for n in app._notifications]
        assert f"Open model {model} of user 4 in Models" in notes
        # (without an API key for user 4 the listing cannot hold the model yet: the models
        # screen selects it once it lists every user's models)


async def test_a_guard_row_offers_its_delete_behind_a_confirmation(seeded_url: str) -> None:
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(120, 40)) as pilot:
        await _show(pilot, "cron.rebuild_guard")
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RowScreen)
        assert app.screen.fixes[0].label.startswith("Delete the guard row of ")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ActionConfirmScreen)
        assert "202_cronjobs" in screen_text(app)
        await pilot.press("escape")  # cancelled: nothing deleted, back on Health
        await settle(pilot)
        assert isinstance(app.screen, HealthScreen)


async def test_copy_takes_only_statements_and_commands(seeded_url: str) -> None:
    """`c` copies what can be pasted and run, one a line; never the prose around it."""
    app = make_app(make_profile(seeded_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await _show(pilot, "journeys.sample")
        await pilot.press("c")
        await pilot.pause()
        lines = app._clipboard.strip().splitlines()
        assert lines and all(ln.startswith(("SELECT ", "php ", "attribtui ")) for ln in lines)
        assert all(ln.endswith(";") for ln in lines if ln.startswith("SELECT"))
        assert "Inspect" not in app._clipboard and "attribtui journey" in app._clipboard


async def test_the_saved_run_shows_at_once_then_the_fresh_run_replaces_it(clean_url: str) -> None:
    """Findings at first paint: the last saved run (marked, with its age) until the fresh run
    has rechecked each check; the fresh run's results then replace it."""
    from attribtui.checks.catalog import select
    from attribtui.checks.framework import CheckContext
    from attribtui.checks.runner import run_checks_and_save
    from attribtui.infra.db import Database

    profile = make_profile(clean_url)
    db = Database(clean_url)
    try:
        saved = run_checks_and_save(CheckContext(db=db, now=clock.now() - 600, profile=profile),
                                    select(None))
    finally:
        db.close()
    gate = threading.Event()
    app = make_app(profile, prepare=lambda progress: gate.wait(10) and None)
    async with app.run_test(size=(120, 40)) as pilot:
        health = None
        for _ in range(200):
            try:  # the screens are discovered in a worker
                health = app.get_screen_stack("health")[0]
            except (KeyError, IndexError):
                health = None
            if isinstance(health, HealthScreen) and health.saved:
                break
            await pilot.pause(0.05)
        assert isinstance(health, HealthScreen) and health.report is None  # not run yet
        assert {r.id for r in health.shown_results()} == {c["id"] for c in saved.report["checks"]}
        summary_line = str(health.query_one("#summary").render())
        assert "Saved run of" in summary_line and "10 min ago" in summary_line
        assert "·saved" in str(health.query_one("#check-list").get_option_at_index(1).prompt)
        gate.set()
        await settle(pilot)
        assert health.report is not None and not health.saved
        assert "Saved run" not in str(health.query_one("#summary").render())
        assert "·saved" not in str(health.query_one("#check-list").get_option_at_index(1).prompt)


async def test_the_first_frame_shows_the_run_starting_so_its_start_changes_nothing(
        clean_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the first run starts (here: held by a preparation) the screen already shows it
    running: x to cancel, r and w dimmed. Its start then redraws nothing: no second
    _show_starting (a relayout) and no footer rebuild; the run's end rebuilds the footer once."""
    from screens.base import ShellFooter
    from screens.textual_private import FooterKey

    gate = threading.Event()
    app = make_app(make_profile(clean_url), prepare=lambda progress: gate.wait(10) and None)
    calls = {"starting": 0, "footer": 0}
    show_starting, compose = HealthScreen._show_starting, ShellFooter.compose

    def counted_starting(self: HealthScreen) -> None:
        calls["starting"] += 1
        show_starting(self)

    def counted_compose(self: ShellFooter):  # noqa: ANN202
        calls["footer"] += 1
        return compose(self)

    async with app.run_test(size=(120, 40)) as pilot:
        health = None
        for _ in range(200):
            try:
                health = app.get_screen_stack("health")[0]
            except (KeyError, IndexError):
                health = None
            if isinstance(health, HealthScreen) and health.query(FooterKey):
                break
            await pilot.pause(0.05)
        assert isinstance(health, HealthScreen) and not health.running and health.report is None
        keys = {k.description: k for k in health.query(FooterKey)}
        assert "Cancel run" in keys
        assert keys["Rerun"].has_class("-disabled")
        monkeypatch.setattr(HealthScreen, "_show_starting", counted_starting)
        monkeypatch.setattr(ShellFooter, "compose", counted_compose)
        gate.set()
        await settle(pilot)
        assert health.report is not None and not health.running
        assert calls == {"starting": 0, "footer": 1}
        assert "Cancel run" not in [k.description for k in health.query(FooterKey)]
