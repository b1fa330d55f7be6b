"""The Jobs screen (key 4) with Pilot and SVG snapshots, against the real MariaDB and real jobs."""

from __future__ import annotations

import ast
import asyncio
import os
import sys
from pathlib import Path

import pymysql
import pytest
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    Select,
    Static,
    TabbedContent,
)

from attribtui.infra import locks, paths
from attribtui.infra.config import DbConfig, JobsConfig, Profile
from attribtui.services.jobs import runner, store
from attribtui.services.jobs.command import Command, JobRequest, build_commands, last_hours
from screens.components.confirm import ActionConfirmScreen
from screens.components.help import binding_rows
from screens.components.table import RowTable
from screens.components.tail_log import TailLog
from screens.components.toggle import Toggle
from screens.jobs import SCREEN, JobsScreen
from screens.jobs.live import MAX_LINES
from screens.textual_private import FooterKey
from tests.support import MARIADB_HOST, MARIADB_PORT, NOW
from tests.ui.conftest import make_app, settle

pytestmark = [pytest.mark.mariadb, pytest.mark.anyio]

DAY_START, DAY_END = last_hours(86400, NOW)


@pytest.fixture
def seeded(fresh_db, monkeypatch) -> str:
    from attribtui.sandbox.seed import seed

    url = fresh_db()
    seed(url, conversions=300, now=NOW, defects="none")
    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))
    return url


def sandbox_profile(url: str, **kw) -> Profile:
    return Profile(name=kw.pop("name", "demo"), environment=kw.pop("environment", "dev"),
                   db=DbConfig(url=url, connect_timeout_s=2.0),
                   jobs=kw.pop("jobs", JobsConfig(runner="sandbox")), **kw)


def ssh_profile(url: str) -> Profile:
    return Profile(name="prod-eu", environment="production", db=DbConfig(url=url),
                   jobs=JobsConfig(runner="php", php="/usr/bin/php",
                                   prosper_root=Path("/var/www/prosper202"),
                                   command_prefix=["ssh", "app1"]))


def jobs_app(profile: Profile):
    app = make_app(profile, screens=[SCREEN])
    app.db_label = "mysql 127.0.0.1:3306/prosper202"  # the test database name changes per run
    return app


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def wait_job(pilot) -> None:
    """Until the followed job has ended and every batch reached the screen."""
    screen = pilot.app.screen
    assert screen.follower is not None
    await asyncio.to_thread(screen.follower.finished.wait, 120)
    await settle(pilot)


async def test_launch_watch_and_the_second_run_is_flagged(seeded: str) -> None:
    app = jobs_app(sandbox_profile(seeded))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        users = screen.query_one("#user", Select)
        offered = [str(v) for _, v in users._options]
        assert offered == ["all", "1", "2"]  # user 3 is deleted: not offered
        assert users.value == "1"  # the demo defaults to the demo user
        assert f"--user=1 --start={DAY_START} --end={DAY_END}" in text(app, "#command")
        assert "not run for this form yet" in text(app, "#preflight")
        await pilot.press("p")
        await settle(pilot)
        assert "ready to launch" in text(app, "#preflight")
        assert "45 conversions in the window for user 1" in text(app, "#preflight")
        await pilot.press("L")  # a fresh pre-flight, then the confirmation
        await settle(pilot)
        assert isinstance(app.screen, ActionConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        await wait_job(pilot)
        assert app.focused is screen.query_one("#job-log")  # keys belong to the job now
        assert "not run for this form yet" in text(app, "#preflight")  # that check is spent
        status = text(app, "#job-status")
        assert "✔ succeeded: Attribution recalculation complete for 1 user(s)" in status
        log = screen.query_one("#job-log", TailLog)
        shown = "\n".join(log.texts)
        assert "[Prosper202][attribution_job] model_id=1 user_id=1" in shown
        assert "Undefined array key" not in shown  # known noise is folded into one counted line
        assert str(log.border_subtitle) == "… 4 lines of known PHP noise folded · N shows them"
        assert "Heartbeat (202_cronjob_logs id 2)" in text(app, "#job-effect")
        assert "✔ written by this run" in text(app, "#job-effect")
        # noise toggle and filter re-render from memory
        await pilot.press("N")
        await pilot.pause()
        shown = "\n".join(log.texts)
        assert 'PHP Warning:  Undefined array key "SERVER_NAME"' in shown
        assert "attribution_job" in shown and not log.border_subtitle
        await pilot.press("N")
        await pilot.pause()
        screen.query_one("#filter").value = "model_id=2"
        await pilot.pause()
        kept = [t.strip() for t in log.texts if t.strip()]
        assert len(kept) == 1 and "[attribution_job] model_id=2" in kept[0]
        # the same window again: flagged before it is wasted, with upstream's ways past the guard
        await pilot.press("n", "L")
        await settle(pilot)
        pre = text(app, "#preflight")
        assert "cannot launch" in pre and "already has ('attr'" in pre
        assert isinstance(app.screen, JobsScreen)  # L said why in one line, nothing to confirm
        assert any(n.startswith("Cannot launch: ") and "already has ('attr'" in n
                   for n in notes(app))
        assert screen.query_one("#btn-guard", Button).display
        # history lists the job and opens its log
        await pilot.press("h")
        await settle(pilot)
        table = screen.query_one("#history-table", DataTable)
        assert table.row_count == 1


def finished_jobs(profile: Profile, reasons: list[str]) -> None:
    """Job records as a finished run leaves them (job.json and exit.json), without running one."""
    for i, reason in enumerate(reasons):
        folder = store.create_folder("rebuild")
        paths.write_json(folder / store.JOB_FILE, {
            "id": folder.name, "kind": "rebuild", "profile": profile.name, "user": 1,
            "window": {"start": DAY_START, "end": DAY_END}, "started_at": NOW - 60 * i,
            "pid": None})
        paths.write_json(folder / store.EXIT_FILE, {"outcome": "succeeded", "reason": reason,
                                                    "ended_at": NOW})


async def test_history_reads_like_the_evidence_tables(clean_url: str) -> None:
    """Columns fit 80 columns (a long reason wraps, an id stays whole); End and Home go to the last
    and first job, not sideways; Enter opens the job under the cursor."""
    prof = sandbox_profile(clean_url, name="hist")
    long_reason = "Attribution recalculation complete for 1 user(s) covering a window of 24 hours"
    finished_jobs(prof, [long_reason, "second", "third"])  # the newest (last made) first
    app = jobs_app(prof)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        table = app.screen.query_one("#history-table", RowTable)
        assert table.has_focus and table.row_count == 3
        assert table.virtual_size.width <= table.scrollable_content_region.width  # no sideways
        cells = [[str(c) for c in table.get_row_at(i)] for i in range(3)]
        ids = [r.id for r in store.history(10, "hist")]
        assert [row[0] for row in cells] == ids  # newest first, every id whole
        assert cells[0][1] == "11-25 12:00\n11-26 11:59"  # the window's start over its end
        assert table.ordered_columns[1].width >= len("11-25 12:00")
        assert cells[2][3] == f"✔ succeeded: {long_reason}" and table.ordered_rows[2].height > 2
        await pilot.press("end")
        assert table.cursor_row == 2 and table.scroll_x == 0
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("end", "enter")
        await settle(pilot)
        assert app.screen.query_one("#jobs-tabs", TabbedContent).active == "live"
        assert app.screen.job is not None and app.screen.job.id == ids[2]


async def test_every_checkbox_reads_without_colour(clean_url: str, monkeypatch) -> None:
    """NO_COLOR: on is [X], off is [ ], on every checkbox (they are all the one Toggle)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = jobs_app(sandbox_profile(clean_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        boxes = list(app.screen.query(Checkbox))
        assert len(boxes) == 5 and all(isinstance(b, Toggle) for b in boxes)
        chunks = app.screen.query_one("#chunks", Toggle)
        assert chunks.render().plain.startswith("[ ] Split into")  # 24 h: one run
        await pilot.press("k")
        await pilot.pause()
        assert chunks.render().plain.startswith("[X] Split into")
        shown = {b.id: b.render().plain.split()[0:2] for b in boxes if b.id != "chunks"}
        assert shown == {"follow": ["[X]", "follow"], "show-stdout": ["[X]", "stdout"],
                         "show-stderr": ["[X]", "stderr"], "show-noise": ["[", "]"]}


def test_no_plain_checkbox_in_the_console() -> None:
    """Every checkbox is screens.components.toggle.Toggle, so every one reads without colour."""
    plain = []
    for path in Path("screens").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "Checkbox", "RadioButton", "Switch"):
                plain.append(f"{path}:{node.lineno}")
    assert plain == []


async def test_read_only_profiles_cannot_launch(clean_url: str) -> None:
    prof = sandbox_profile(clean_url, name="ro", read_only=True)
    app = jobs_app(prof)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "read-only profile 'ro'" in text(app, "#jobs-banner")
        await pilot.press("p")
        await settle(pilot)
        assert "read-only" in text(app, "#preflight")
        assert app.screen.query_one("#btn-launch", Button).disabled
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, JobsScreen)  # nothing to confirm: launch is refused
        assert store.history() == []


async def test_bad_input_is_one_line_and_the_console_keeps_running(clean_url: str) -> None:
    app = jobs_app(sandbox_profile(clean_url))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.query_one("#start").value = "yesterday"
        await pilot.pause()
        assert "Start: 'yesterday' is not a time" in text(app, "#command")
        screen.query_one("#start").value = str(DAY_END)
        screen.query_one("#end").value = str(DAY_START)
        await pilot.press("p")
        await settle(pilot)
        assert "is not before end" in text(app, "#preflight")
        assert "ready" not in text(app, "#preflight")


async def test_launch_always_answers_and_never_reads_ready_for_a_bad_form(seeded: str) -> None:
    app = jobs_app(sandbox_profile(seeded))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("p")
        await settle(pilot)
        assert "ready to launch (L)" in text(app, "#preflight")
        rows = dict((d, k) for k, d in binding_rows(screen)["screen"])
        assert rows.get("Launch") == "L"  # help and panel agree: never "(not now)"
        screen.query_one("#start").focus()
        await pilot.press("ctrl+u", "v", "q")  # q is typed into the box, not a quit
        await pilot.pause()
        assert screen.query_one("#start").value == "vq"
        assert "ready" not in text(app, "#preflight")
        assert "the form has an error" in text(app, "#preflight")
        footer = [k.description for k in app.screen.query(FooterKey)]
        assert "Leave input" in footer and "Quit" in footer  # how out of the box, and ctrl+q
        await pilot.press("escape")  # Esc leaves the box: letters are keys again
        assert not isinstance(app.focused, Input)
        assert "Leave input" not in [k.description for k in app.screen.query(FooterKey)]
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(app.screen, JobsScreen)
        assert notes(app)[-1].startswith("Cannot launch: Start: 'vq' is not a time")
        await pilot.press("v")
        assert screen.query_one("#jobs-tabs", TabbedContent).active == "live"
        assert screen.query_one("#start").value == "vq"


async def test_after_a_launch_x_cancels_and_q_quits(seeded: str) -> None:
    # A paced stand-in (5 s per user): the job is still running when the keys come.
    prof = sandbox_profile(seeded, jobs=JobsConfig(runner="sandbox",
                                                   env={"P202_SANDBOX_PACE": "5"}))
    app = jobs_app(prof)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.query_one("#start").focus()  # where the keys went before
        await pilot.press("escape", "L")
        await settle(pilot)
        await pilot.press("y")
        await until(pilot, lambda: screen.job is not None)
        assert app.focused is screen.query_one("#job-log")
        assert screen.query_one("#jobs-tabs", TabbedContent).active == "live"
        footer = " ".join(k.description for k in app.screen.query(FooterKey))
        assert "Cancel job" in footer and "Help" in footer and "Quit" in footer
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ActionConfirmScreen)
        await pilot.press("y")
        await wait_job(pilot)
        assert "✖ cancelled" in text(app, "#job-status")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code is not None  # q quit the console


async def test_reattaches_to_a_job_left_running(clean_url: str) -> None:
    prof = sandbox_profile(clean_url, name="scripts")
    script = Path(__file__).parents[1] / "functional" / "jobscripts" / "hang.py"
    rec = runner.start(prof, JobRequest("rebuild", DAY_START, DAY_END), lock=False,
                       commands=[Command([sys.executable, str(script)], display="hang.py")])
    try:
        app = jobs_app(prof)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert screen.job is not None and screen.job.id == rec.id
            assert "… running" in text(app, "#job-status")
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, ActionConfirmScreen)
            await pilot.press("y")
            await pilot.pause()
            await wait_job(pilot)
            assert "✖ cancelled" in text(app, "#job-status")
    finally:
        if store.load(rec.id).running:
            runner.cancel(rec, grace_s=1)


def hanging(prof: Profile) -> store.JobRecord:
    script = Path(__file__).parents[1] / "functional" / "jobscripts" / "hang.py"
    return runner.start(prof, JobRequest("rebuild", DAY_START, DAY_END), lock=False,
                        commands=[Command([sys.executable, str(script)], display="hang.py")])


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_read_only_console_does_not_cancel(clean_url: str) -> None:
    rec = hanging(sandbox_profile(clean_url, name="scripts"))
    try:
        # the same profile with read_only = true (e.g. ATTRIBTUI_READ_ONLY=1) sees the job ...
        app = jobs_app(sandbox_profile(clean_url, name="scripts", read_only=True))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.screen.job is not None and app.screen.job.id == rec.id
            await pilot.press("x")  # ... and is refused: nothing to confirm, the job goes on
            await pilot.pause()
            assert isinstance(app.screen, JobsScreen)
            assert f"Profile 'scripts' is read-only: job {rec.id} was not cancelled." in notes(app)
            assert store.load(rec.id).running
    finally:
        runner.cancel(rec, grace_s=1)


async def test_cancelling_a_production_job_needs_the_typed_profile_name(clean_url: str) -> None:
    prof = sandbox_profile(clean_url, name="prod-eu", environment="production")
    rec = hanging(prof)
    try:
        app = jobs_app(prof)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("x")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, ActionConfirmScreen) and dialog.needed == "prod-eu"
            await pilot.press("y", "enter")  # not enough on production
            await pilot.pause()
            assert app.screen is dialog and store.load(rec.id).running
            await pilot.press("backspace", *"prod-eu", "enter")
            await pilot.pause()
            await wait_job(pilot)
            assert "✖ cancelled" in text(app, "#job-status")
    finally:
        if store.load(rec.id).running:
            runner.cancel(rec, grace_s=1)


async def test_a_lost_lock_is_shown_loudly_while_the_job_runs(fresh_db, tmp_path) -> None:
    url = fresh_db()
    prof = sandbox_profile(url, name="scripts")
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    script = Path(__file__).parents[1] / "functional" / "jobscripts" / "gate.py"
    rec = runner.start(prof, JobRequest("script", DAY_START, DAY_END), lock=True,
                       commands=[Command([sys.executable, str(script), str(gate)],
                                         display="gate.py")])
    try:
        app = jobs_app(prof)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert screen.job is not None and screen.job.id == rec.id
            held = locks.holder(url)
            with pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root") as conn, \
                    conn.cursor() as cur:
                cur.execute(f"KILL {int(held.connection_id)}")
            await until(pilot, lambda: any("LOCK LOST" in ev.text for ev in screen.ring))
            status = text(app, "#job-status")
            assert "… running" in status and "‼ LOCK LOST during the run: the attribtui:" in status
            with open(gate, "w"):
                pass
            await wait_job(pilot)
            status = text(app, "#job-status")
            assert "▲ SUSPICIOUS: exit 0, but the job's lock was lost" in status
            assert "‼ LOCK LOST" not in status.splitlines()[1]
    finally:
        if store.load(rec.id).running:
            runner.cancel(rec, grace_s=1)


SCRIPTS = Path(__file__).parents[1] / "functional" / "jobscripts"


def flood_numbers(log: TailLog, stream: str) -> list[int]:
    """The flood's line numbers in the view, of one stream."""
    return [int(ev.text.split()[1]) for ev in log.events if ev.stream == stream]


def assert_newest_every_one(screen: JobsScreen, log: TailLog, upto: int) -> None:
    """The view holds the newest MAX_LINES lines received, every one (no marker; in either
    stream a run without a gap, stdout's up to its last line), the newest on the bottom row."""
    assert screen.lines_seen == upto
    assert list(log.events) == list(screen.ring)[-MAX_LINES:]
    assert not any("not received" in t or "not drawn" in t for t in log.texts)
    for stream, ours in (("stdout", lambda i: i % 10 != 9), ("stderr", lambda i: i % 10 == 9)):
        shown, sequence = flood_numbers(log, stream), [i for i in range(upto) if ours(i)]
        if shown:
            start = sequence.index(shown[0])
            assert shown == sequence[start:start + len(shown)]
    assert flood_numbers(log, "stdout")[-1] == max(i for i in range(upto) if i % 10 != 9)
    assert log.scroll_offset.y == log.max_scroll_y  # following: scrolled to the newest
    bottom = log.scrollable_content_region.height - 1
    assert log.render_line(bottom).text.rstrip() == log.texts[-1]


async def test_a_flood_is_followed_without_a_skipped_line(clean_url: str, tmp_path) -> None:
    """30k lines at full speed: every one of the newest MAX_LINES is in the view (no marker),
    the newest on screen; f pauses (the view stays put), following again shows the newest."""
    prof = sandbox_profile(clean_url, name="scripts")
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    n, m = 30_000, 5_000
    rec = runner.start(prof, JobRequest("script", DAY_START, DAY_END), lock=False,
                       commands=[Command([sys.executable, str(SCRIPTS / "gated_flood.py"),
                                          str(gate), str(n), str(m)], display="flood")])
    try:
        app = jobs_app(prof)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = app.screen
            assert screen.job is not None and screen.job.id == rec.id  # re-attached
            await until(pilot, lambda: screen.lines_seen == n)
            await pilot.pause()
            log = screen.query_one("#job-log", TailLog)
            assert_newest_every_one(screen, log, n)
            await pilot.press("f")  # pause: the view stays on what it shows
            await pilot.pause()
            assert not screen.query_one("#follow", Toggle).value
            paused = log.texts
            with open(gate, "w"):
                pass
            await wait_job(pilot)
            assert screen.lines_seen == n + m and log.texts == paused
            await pilot.press("f")  # following again: the newest lines, none skipped
            await pilot.pause()
            assert_newest_every_one(screen, log, n + m)
            await pilot.press("home")  # back through every line kept
            assert log.scroll_offset.y == 0  # the oldest line kept on the first row
            assert log.render_line(0).text.rstrip() == log.texts[0]
    finally:
        if store.load(rec.id).running:
            runner.cancel(rec, grace_s=1)


async def test_known_noise_folds_into_one_counted_line(clean_url: str) -> None:
    prof = sandbox_profile(clean_url, name="scripts")
    rec = runner.start(prof, JobRequest("script", DAY_START, DAY_END), lock=False,
                       commands=[Command([sys.executable, str(SCRIPTS / "noise.py")],
                                         display="noise.py")])
    app = jobs_app(prof)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.attach(store.load(rec.id), from_start=True)
        await wait_job(pilot)
        log = screen.query_one("#job-log", TailLog)
        shown = "\n".join(log.texts)
        assert "Undefined array key" not in shown and "   Processed 30 conversions..." in shown
        assert "✔ Journey backfill complete." in shown
        assert str(log.border_subtitle) == "… 9 lines of known PHP noise folded · N shows them"
        await pilot.press("N")
        await pilot.pause()
        shown = "\n".join(log.texts)
        assert '!  PHP Warning:  Undefined array key "SERVER_NAME"' in shown  # stderr marked
        assert '   Warning: Undefined array key "REMOTE_ADDR"' in shown
        assert not log.border_subtitle and len(log.texts) == 9 + 4


async def until(pilot, condition, timeout: float = 30) -> None:
    """Process messages until condition() holds (the follower delivers within a second)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await pilot.pause(0.05)


def test_launcher_80x24_production_over_ssh(snap_compare, clean_url: str) -> None:
    app = jobs_app(ssh_profile(clean_url))

    async def preflight(pilot) -> None:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=preflight)


def finished_rebuild(prof) -> None:
    """A rebuild of user 1 over the seeded day, run to its end (its command shown stable)."""
    req = JobRequest("rebuild", DAY_START, DAY_END, user=1)
    real = build_commands(prof, req)[0]
    real.display = f"python -m attribtui.sandbox.cron rebuild --user=1 --start={DAY_START} " \
                   f"--end={DAY_END}"
    rec = runner.run_attached(runner.start(prof, req, users_total=1, commands=[real]),
                              lambda b, s: None)
    assert rec.outcome == "succeeded"


def test_finished_job_120x40(snap_compare, seeded: str) -> None:
    prof = sandbox_profile(seeded)
    finished_rebuild(prof)
    app = jobs_app(prof)

    async def open_it(pilot) -> None:
        await settle(pilot)
        await pilot.press("h")  # focus goes with the tab
        await settle(pilot)
        await pilot.press("enter")
        await wait_job(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=open_it)


def test_bad_form_in_a_text_box_80x24_no_color(snap_compare, clean_url: str, monkeypatch) -> None:
    """Start 'vq': the panel says it cannot launch; the footer says how to leave the box."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = jobs_app(sandbox_profile(clean_url))

    async def type_vq(pilot) -> None:
        await settle(pilot)
        app.screen.query_one("#start").focus()
        await pilot.press("ctrl+u", "v", "q")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=type_vq)


def test_finished_job_80x24_no_color(snap_compare, seeded: str, monkeypatch) -> None:
    """The log without its known noise (one counted line on its border); focus on the log."""
    prof = sandbox_profile(seeded)
    finished_rebuild(prof)
    monkeypatch.setenv("NO_COLOR", "1")
    app = jobs_app(prof)

    async def open_it(pilot) -> None:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("enter")
        await wait_job(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_it)


def test_history_80x24_no_color(snap_compare, clean_url: str, monkeypatch) -> None:
    """The history at 80 columns: ids whole, the window's start over its end, the reason wrapped
    beside them; End on the oldest job (the cursor shows while the table has focus)."""
    prof = sandbox_profile(clean_url)
    finished_jobs(prof, ["Attribution recalculation complete for 1 user(s) covering 24 hours",
                         "the guard row for 2026-11-26T11:00:00Z exists: skipped", "cancelled"])
    monkeypatch.setenv("NO_COLOR", "1")

    async def history_end(pilot) -> None:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("end")
        await pilot.pause()

    assert snap_compare(jobs_app(prof), terminal_size=(80, 24), run_before=history_end)
