"""Reading cron-script output (docs/prosper202.md, "Cron scripts"), job windows and the stand-ins'
getopt."""

from __future__ import annotations

import pytest

from attribtui.prosper.hours import aligned
from attribtui.sandbox.cron import getopt
from attribtui.services.jobs import parse
from attribtui.services.jobs.command import JobRequest, RequestError, last_hours, parse_time
from attribtui.services.jobs.preflight import check_window

H = 3600
NOW = 1795696496


def ev(stream: str, text: str) -> parse.LineEvent:
    return parse.LineEvent(stream, text, 0.0, parse.kind_of(stream, text))


@pytest.mark.parametrize(("stream", "text", "kind"), [
    ("stdout", "Processed 500 conversions...", parse.PROGRESS),
    ("stdout", "Journey backfill complete. 48 conversions processed between "
               "2026-11-25T12:00:00+00:00 and 2026-11-26T11:59:59+00:00 for user 1.", parse.DONE),
    ("stdout", "Attribution recalculation complete for 2 user(s) covering "
               "2026-11-25T12:00:00+00:00 to 2026-11-26T11:59:59+00:00.", parse.DONE),
    ("stdout", "No users found for attribution processing.", parse.DONE),
    ("stdout", "Attribution cron already processed this window; skipping.", parse.SKIP),
    ("stderr", "Attribution recalculation completed with errors:", parse.ERROR_HEADER),
    ("stderr", "Encountered errors while persisting journeys:", parse.ERROR_HEADER),
    ("stderr", 'User 3: "linear" is not a valid backing value for enum X', parse.ITEM_ERROR),
    ("stderr", "Conversion 12 failed: Deadlock found", parse.ITEM_ERROR),
    ("stderr", "Start timestamp must be earlier than end timestamp.", parse.FATAL),
    ("stderr", "Unable to obtain MySQL connection.", parse.FATAL),
    ("stderr", "PHP Fatal error:  Uncaught PDOException: x", parse.FATAL),
    ("stderr", "[Prosper202][attribution_job] model_id=1 user_id=2 batches=1 hours=3 clicks=4 "
               "conversions=4 revenue=1.0000 cost=0.1000 window=1-2", parse.MODEL),
    ("stdout", 'Warning: Undefined array key "REMOTE_ADDR" in /x/connect.php on line 186',
     parse.NOISE),
    ("stderr", 'PHP Warning:  Undefined array key "SERVER_NAME" in /x on line 187', parse.NOISE),
    ("stdout", "", parse.NOISE),
    ("stdout", "<html><head><title>Prosper202</title></head>", parse.HTML),
    ("stdout", "[attribtui] chunk 2/3 --start=1 --end=2", parse.META),
    ("stdout", "something else entirely", parse.OTHER),
    ("stdout", "User 3: looks like an error but is on stdout", parse.OTHER),
])
def test_line_kinds(stream: str, text: str, kind: str) -> None:
    assert parse.kind_of(stream, text) == kind


def feed(kind: str, lines: list[tuple[str, str]], **kw) -> parse.Progress:
    p = parse.Progress(kind, **kw)
    for stream, text in lines:
        p.feed(ev(stream, text))
    return p


def test_backfill_progress_and_success() -> None:
    p = feed("backfill", [("stdout", "Warning: x"), ("stdout", "Processed 500 conversions..."),
                          ("stdout", "Processed 1000 conversions...")], total=2000)
    assert p.done_units == 1000 and p.fraction() == 0.5 and p.current.noise == 1
    p.feed(ev("stdout", "Journey backfill complete. 1200 conversions processed between a and b."))
    v = parse.verdict("backfill", [0], p)
    assert (v.outcome, v.exit_code) == ("succeeded", 0) and "1200" in v.reason


def test_rebuild_progress_counts_users_from_model_lines() -> None:
    line = ("[Prosper202][attribution_job] model_id={m} user_id={u} batches=1 hours=1 clicks=1 "
            "conversions=1 revenue=1.0000 cost=0.0000 window=1-2")
    p = feed("rebuild", [("stderr", line.format(m=1, u=1)), ("stderr", line.format(m=2, u=1)),
                         ("stderr", line.format(m=5, u=2))], total=4)
    assert p.done_units == 2 and p.fraction() == 0.5


@pytest.mark.parametrize(("code", "lines", "outcome", "why"), [
    (0, [("stdout", "Attribution cron already processed this window; skipping.")], "skipped",
     "guard"),
    (0, [("stdout", "<html><body><h2>Could not connect</h2></body></html>")], "suspicious",
     "HTML"),
    (0, [("stdout", "Warning: noise only")], "suspicious", "without the completion line"),
    (1, [("stderr", "Attribution recalculation completed with errors:"),
         ("stderr", "User 3: boom")], "failed", "1 user(s) failed, e.g. User 3: boom"),
    (1, [("stderr", "Start timestamp must be earlier than end timestamp.")], "failed",
     "Start timestamp"),
    (255, [("stderr", "PHP Fatal error:  Uncaught Exception")], "failed", "uncaught"),
    (-15, [], "failed", "signal 15"),
    (None, [], "suspicious", "without recording an exit code"),
    (0, [("stdout", "No users found for attribution processing.")], "succeeded", "no users"),
])
def test_honest_outcomes(code, lines, outcome, why) -> None:
    v = parse.verdict("rebuild", [code], feed("rebuild", lines))
    assert v.outcome == outcome and why in v.reason


def test_noise_never_fails_a_run() -> None:
    lines = [("stderr", "PHP Warning:  Undefined array key")] * 50 + [
        ("stdout", "Attribution recalculation complete for 1 user(s) covering a to b.")]
    assert parse.verdict("rebuild", [0], feed("rebuild", lines)).outcome == "succeeded"


def test_chunks_follow_markers_per_stream_and_report_the_worst() -> None:
    done = "Attribution recalculation complete for 1 user(s) covering a to b."
    p = feed("rebuild", [
        ("stdout", "[attribtui] chunk 1/3 x"), ("stderr", "[attribtui] chunk 1/3 x"),
        ("stdout", done),
        ("stderr", "[attribtui] chunk 2/3 x"),  # stderr moves on before stdout is read
        ("stdout", "[attribtui] chunk 2/3 x"),
        ("stdout", "Attribution cron already processed this window; skipping."),
        ("stdout", "[attribtui] chunk 3/3 x"), ("stdout", done)], chunks=3)
    assert [bool(s.completion) for s in p.states] == [True, False, True]
    v = parse.verdict("rebuild", [0, 0, 0], p, chunks=3)
    assert v.outcome == "skipped" and v.reason.startswith("chunk 2/3")
    assert parse.verdict("rebuild", [0], feed("rebuild", [("stdout", done)]), chunks=3
                         ).outcome == "suspicious"


def test_cancel_and_not_started_win() -> None:
    p = feed("rebuild", [])
    assert parse.verdict("rebuild", [-15], p, cancelled=True).exit_code == 2
    assert parse.verdict("rebuild", [], p, not_started="refused: lock").exit_code == 3


def test_getopt_has_php_double_colon_semantics() -> None:
    assert getopt(["--start=123", "--end=456"], ("start", "end")) == {"start": "123", "end": "456"}
    # --start 123: a bare option (False, i.e. 0) and parsing stops at "123"
    assert getopt(["--start", "123", "--end=9"], ("start", "end")) == {"start": False}
    assert getopt(["--user=2", "--user=3"], ("user",)) == {"user": ["2", "3"]}
    from attribtui.sandbox.cron import _int

    assert _int(False) == 0 and _int(["2", "3"]) == 1 and _int("12abc") == 12


def test_windows_are_hour_aligned_chunks() -> None:
    h0 = 1795608000
    req = JobRequest("rebuild", h0, h0 + 3 * 86400 - 1, chunk=86400)
    w = req.windows()
    assert w == [(h0, h0 + 86400 - 1), (h0 + 86400, h0 + 2 * 86400 - 1),
                 (h0 + 2 * 86400, h0 + 3 * 86400 - 1)]
    assert JobRequest("rebuild", h0 + 10, h0 + 86400 + 5, chunk=86400).windows() == [
        (h0 + 10, h0 + 86400 + 5)]  # shorter than a chunk: one run
    assert JobRequest("rebuild", h0 + 10, h0 + 2 * 86400, chunk=86400).windows() == [
        (h0 + 10, h0 + 86400 - 1), (h0 + 86400, h0 + 2 * 86400)]  # no 1-second tail run
    assert last_hours(86400, NOW) == (NOW - NOW % H - 86400, NOW - NOW % H - 1)
    assert aligned(h0 + 10, h0 + 7200 + 5) == (h0, h0 + 3 * H - 1)


def test_parse_time_accepts_instants_now_and_ages() -> None:
    assert parse_time("now", "End", NOW) == NOW
    assert parse_time("24h", "Start", NOW) == NOW - 86400
    assert parse_time("-90m", "Start", NOW) == NOW - 5400
    assert parse_time("2026-11-26T12:00:00Z", "Start", NOW) == 1795694400
    with pytest.raises(ValueError, match="Start"):
        parse_time("yesterday", "Start", NOW)


def test_check_window_findings() -> None:
    codes = {f.code for f in check_window(JobRequest("rebuild", NOW, NOW - 10), NOW)}
    assert "window.order" in codes
    codes = {f.code for f in check_window(JobRequest("rebuild", NOW - 100, NOW + 3600), NOW)}
    assert {"window.future", "window.start_unaligned", "window.end_unaligned"} <= codes
    codes = {f.code for f in check_window(JobRequest("rebuild", NOW - 7200, NOW), NOW)}
    assert "guard.current_hour" in codes
    h1 = NOW - NOW % H
    assert check_window(JobRequest("rebuild", h1 - 86400, h1 - 1), NOW) == []
    codes = {f.code for f in check_window(JobRequest("backfill", h1 - 86400, h1 - 1,
                                                     batch_size=0), NOW)}
    assert codes == {"batch_size"}
    big = check_window(JobRequest("rebuild", h1 - 3 * 86400, h1 - 1), NOW)
    assert [f.code for f in big] == ["window.large"] and "3 hour-aligned chunks" in big[0].text


@pytest.mark.parametrize(("start", "end", "chunk"), [
    (0, 1, None), (1795608000, 1795608000 + 3 * 86400 - 1, 86400),
    (1795608010, 1795608000 + 2 * 86400, 86400), (1795608010, 1795608000 + 2 * 86400 + 1, 86400),
    (1795608123, 1795608000 + 40 * 86400 - 7, 3600), (1795608000, 1795608000 + 366 * 86400, 86400),
    (1795608000, 1795608000 + 5 * 86400, 5400), (1795608000, 1795608000 + 86400, 86400),
])
def test_run_count_is_computed_and_never_below_the_runs(start, end, chunk) -> None:
    req = JobRequest("rebuild", start, end, chunk=chunk)
    assert len(req.windows()) <= req.run_count() <= len(req.windows()) + 1


@pytest.mark.parametrize(("kw", "needle"), [
    ({"start": NOW - 30_000_000 * 86400, "end": NOW}, "the window is 30,000,000 d long; a job "
     "covers at most 366 d"),
    ({"start": NOW - 99_999_999_999 * 86400, "end": NOW}, "at most 366 d"),
    ({"start": NOW - 100 * 86400, "end": NOW, "chunk": 3600}, "makes 2,401 runs; at most 1,000"),
    ({"start": NOW - 86400, "end": NOW, "chunk": 60}, "between 1h and 366 d"),
    ({"start": NOW - 86400, "end": NOW, "chunk": 10**15}, "between 1h and 366 d"),
    ({"start": -5, "end": 10}, "before 1970-01-01"),
    ({"start": NOW - 86400, "end": NOW, "batch_size": 10**12}, "above 100,000 rows"),
    ({"start": NOW - 86400, "end": NOW, "user": 2**40}, "at most 4294967295"),
])
def test_hostile_requests_cannot_be_made(kw, needle) -> None:
    with pytest.raises(RequestError, match=needle.replace("(", r"\(")):
        JobRequest("backfill", **kw)


def test_a_year_in_daily_chunks_is_the_largest_request() -> None:
    h1 = NOW - NOW % H
    req = JobRequest("rebuild", h1 - 366 * 86400, h1 - 1, chunk=86400)
    assert len(req.windows()) == req.run_count() == 366
    big = check_window(JobRequest("rebuild", h1 - 366 * 86400, h1 - 1), NOW)
    assert [f.code for f in big] == ["window.large"] and "366 hour-aligned chunks" in big[0].text


def test_a_lost_lock_names_the_cause_in_the_outcome() -> None:
    done = "Attribution recalculation complete for 1 user(s) covering a to b."
    cause = "the attribtui:p lock's connection 7 is gone (OperationalError 2013): killed"
    p = feed("rebuild", [("stdout", "[attribtui] chunk 1/3 x"), ("stdout", done),
                         ("stderr", f"[attribtui] LOCK LOST during chunk 1/3: {cause}. ...")],
             chunks=3)
    assert p.alert and p.alert.startswith("LOCK LOST during chunk 1/3")
    v = parse.verdict("rebuild", [0], p, chunks=3, lock_lost=cause)
    assert (v.outcome, v.exit_code) == ("failed", 2)
    assert v.reason == (f"the job's lock was lost: {cause}; stopped before chunk 2/3 so that no "
                        "other job runs over it: chunks 2..3 not run; start them again as a new "
                        "job")
    v = parse.verdict("rebuild", [0], feed("rebuild", [("stdout", done)]), lock_lost=cause)
    assert (v.outcome, v.exit_code) == ("suspicious", 1)
    assert v.reason.startswith(done + ", but the job's lock was lost: ")
    v = parse.verdict("rebuild", [1], feed("rebuild", [("stderr", "Unable to obtain database "
                                                       "connection.")]), lock_lost=cause)
    assert v.outcome == "failed" and v.reason.endswith(f"; the job's lock was lost: {cause}")
    assert parse.verdict("rebuild", [-15], p, cancelled=True, lock_lost=cause).outcome == \
        "cancelled"


def test_the_stderr_copy_of_a_chunk_marker_is_an_echo() -> None:
    assert parse.is_chunk_echo(ev("stderr", "[attribtui] chunk 2/3 --start=1 --end=2"))
    assert not parse.is_chunk_echo(ev("stdout", "[attribtui] chunk 2/3 --start=1 --end=2"))
    assert not parse.is_chunk_echo(ev("stderr", "[attribtui] refused: the lock is held"))
