"""TailLog, the followed job output of the Jobs and Rollback screens, in an app of its own."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from attribtui.services.jobs import parse
from attribtui.services.jobs.runner import Snapshot
from screens.components.job_output import JobOutputPoster
from screens.components.tail_log import GAP, LOG_WIDTH, TailLog, shown_text
from screens.rollback.detail import LOG_LINES, StepDetail
from screens.rollback.messages import FollowStarted

pytestmark = pytest.mark.anyio

KEEP = 500


def events(first: int, count: int) -> list[parse.LineEvent]:
    """Numbered lines as the follower hands them over; every 10th on stderr."""
    out = []
    for i in range(first, first + count):
        stream = "stderr" if i % 10 == 9 else "stdout"
        text = f"line {i}"
        out.append(parse.LineEvent(stream, text, 0.0, parse.kind_of(stream, text)))
    return out


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield TailLog(KEEP, id="log")


def row(log: TailLog, y: int) -> str:
    """Row y of the view as painted."""
    return log.render_line(y).text


async def test_a_flood_keeps_every_newest_line_and_shows_the_last() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(TailLog)
        for first in range(0, 20_000, 2_500):  # batches bigger than the view keeps
            log.extend(events(first, 2_500))
        await pilot.pause()
        assert [ev.text for ev in log.events] == [f"line {i}" for i in range(19_500, 20_000)]
        assert not any(ev.kind == GAP for ev in log.events)  # nothing skipped, no marker
        height = log.scrollable_content_region.height
        assert log.scroll_offset.y == log.max_scroll_y  # following: the newest on screen
        assert row(log, height - 1).strip() == "!  line 19999"  # stderr marked
        assert row(log, height - 2).strip() == "line 19998"
        await pilot.press("home")  # back through every line kept
        assert log.scroll_offset.y == 0 and row(log, 0).strip() == "line 19500"
        await pilot.press("pagedown")
        assert row(log, 0).strip() == f"line {19_500 + height}"
        await pilot.press("end")
        assert row(log, height - 1).strip() == "!  line 19999"


async def test_lines_being_read_stay_in_view_while_new_ones_arrive() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(TailLog)
        log.extend(events(0, KEEP))
        log.focus()
        await pilot.press("home", "down", "down")
        assert row(log, 0).strip() == "line 2"
        log.extend(events(KEEP, 2))  # two lines fall off the front
        await pilot.pause()
        assert row(log, 0).strip() == "line 2"  # still the line the operator reads
        log.extend(events(KEEP + 2, 100))
        assert row(log, 0).strip() == "line 102"  # its own line is gone: the oldest kept
        await pilot.press("end")
        log.extend(events(KEEP + 102, 1))
        assert log.scroll_offset.y == log.max_scroll_y  # at the end again: following
        assert row(log, log.scrollable_content_region.height - 1).strip() == f"line {KEEP + 102}"


async def test_a_gap_is_said_only_where_older_lines_stay() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 12)):
        log = app.query_one(TailLog)
        log.extend(events(0, 10))
        log.extend(events(900, 5), gap=890)
        texts = [ev.text for ev in log.events]
        assert texts[10].startswith("… 890 lines not received here")
        assert texts[-5:] == [f"line {i}" for i in range(900, 905)]
        log.extend(events(2000, KEEP), gap=1000)  # a full view: no older line stays
        assert not any(ev.kind == GAP for ev in log.events)
        log.clear()
        log.extend(events(0, 3), gap=7)  # nothing kept before it: nothing to say
        assert [ev.text for ev in log.events] == ["line 0", "line 1", "line 2"]


async def test_lines_are_cut_cleaned_and_never_wrapped() -> None:
    app = LogApp()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(TailLog)
        long = parse.LineEvent("stdout", "x" * 1000, 0.0, parse.OTHER)
        escape = parse.LineEvent("stdout", "a\x1b[2Jb\tc", 0.0, parse.OTHER)
        log.extend([long, escape])
        await pilot.pause()
        assert len(shown_text(long)) == LOG_WIDTH + 3
        assert log.virtual_size == (LOG_WIDTH + 3, 2)  # one row per line, scrolled sideways
        assert "\x1b" not in shown_text(escape) and "\t" not in shown_text(escape)
        assert shown_text(escape).startswith("   a\ufffd[2Jb")


class RollbackApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StepDetail()


async def test_the_rollback_step_follows_its_job_in_the_same_view() -> None:
    """The Rollback screen's step detail: a flood's newest lines, every one, known noise folded
    into the border's counted line (the Jobs screen shows it with N)."""
    app = RollbackApp()
    async with app.run_test(size=(100, 30)) as pilot:
        detail = app.query_one(StepDetail)
        detail.step_id = "backfill"
        detail.post_message(FollowStarted("backfill", "job-1"))
        await pilot.pause()
        poster = JobOutputPoster(detail, 10 * LOG_LINES)
        noise = parse.LineEvent("stderr", 'PHP Warning:  Undefined array key "HTTP_HOST" in /x on '
                                "line 3", 0.0, parse.NOISE)
        seen = 0
        for first in range(0, 6_000, 1_500):
            batch = events(first, 1_500) + [noise]
            seen += len(batch)
            poster(batch, Snapshot(seen, 0, None, None, 1.0, 0.0, "lines/s", None, 1, 1, False))
            await pilot.pause()
        log = detail.query_one("#rb-log", TailLog)
        assert log.display and [ev.text for ev in log.events] == [
            f"line {i}" for i in range(6_000 - LOG_LINES, 6_000)]
        assert str(log.border_subtitle).startswith("… 4 lines of known PHP noise folded")
        assert log.texts[-1] == "!  line 5999"
