"""Schema Health's fixes as actions: what `c` copies, where a row's fix is, how columns fit."""

from __future__ import annotations

from attribtui.checks.results import CheckResult
from attribtui.prosper.hours import HOUR
from attribtui.vocab import Status
from screens.components.table import fit
from screens.health.fixes import check_fixes, row_fixes, runnable

NOW = 1796270000  # 2026-12-03T03:13:20Z


def result(check_id: str, columns: list[str], rows: list[list[object]], fix: str = "") -> CheckResult:
    return CheckResult(check_id, check_id.split(".")[0], "t", Status.FAIL, "d",
                       {"columns": columns, "rows": rows, "truncated": False}, fix, 1.0)


def test_copy_keeps_statements_and_commands_and_drops_the_prose() -> None:
    text, left_out = runnable(
        "Inspect: SELECT * FROM 202_clicks WHERE click_id IN (6155); Back them up: mysqldump "
        "--where='click_id IN (6155)' prosper202 202_clicks > clicks-backup.sql, then delete the "
        "extra row, e.g. DELETE FROM 202_clicks WHERE setting_id = <older>; then rebuild: php "
        "/p/202-cronjobs/attribution-rebuild.php --user=2 --start=0 --end=3599. Or "
        "`attribtui journey 2000` for the diff.")
    assert text.splitlines() == [
        "SELECT * FROM 202_clicks WHERE click_id IN (6155);",
        "mysqldump --where='click_id IN (6155)' prosper202 202_clicks > clicks-backup.sql",
        "php /p/202-cronjobs/attribution-rebuild.php --user=2 --start=0 --end=3599",
        "attribtui journey 2000"]
    assert left_out == 1  # the DELETE with a <placeholder> is not pasted as if it ran
    assert runnable("Run Prosper202's upgrade; take a backup first.") == ("", 0)


def test_a_snapshot_row_is_a_rebuild_of_its_hour_and_a_model() -> None:
    r = result("snapshots.missing", ["model", "date_hour", "live conversions", "problem"],
               [["2 time-decay-48h (user 1 demo)", "2026-12-01T20:00:00Z", 13, "none"]])
    fixes = row_fixes(r, 0, NOW)
    assert [f.screen for f in fixes] == ["models", "jobs"]
    assert (fixes[0].model_id, fixes[0].user_id) == (2, 1)
    req = fixes[1].request
    assert req is not None and (req.kind, req.user) == ("rebuild", 1)
    assert req.start % HOUR == 0 and req.end - req.start == HOUR - 1  # --end=H1-1


def test_a_rebuild_fix_ends_at_the_last_full_hour_and_is_chunked() -> None:
    r = result("snapshots.freshness", ["model", "newest snapshot hour"],
               [["1 last-touch (user 1 demo)", "2026-12-01T21:00:00Z"]])
    req = row_fixes(r, 0, NOW)[1].request
    assert req is not None
    assert req.end == NOW - NOW % HOUR - 1  # never inside the current hour
    assert req.chunk == 24 * HOUR


def test_a_finding_opens_all_its_conversions_at_once() -> None:
    r = result("journeys.sample", ["conv_id", "user_id", "conv_time"],
               [[2000, 1, "2026-12-03T01:29:28Z"], [1999, 2, "2026-12-03T01:29:28Z"]])
    first = check_fixes(r, NOW)[0]
    assert first.screen == "journeys" and first.conv_ids == (2000, 1999)
    guard = result("cron.rebuild_guard", ["cronjob_time"], [[1796158800]])
    assert row_fixes(guard, 0, NOW)[0].hour == 1796158800


def test_columns_shrink_widest_first_and_never_below_their_floor() -> None:
    assert fit([5, 40, 10], [5, 8, 10], 80) == [5, 40, 10]  # fits: natural widths
    widths = fit([5, 40, 30], [5, 8, 10], 50)
    assert sum(widths) + 2 * 3 <= 50 and widths[0] == 5
    assert fit([30, 30], [25, 25], 20) == [25, 25]  # cannot: the floors stay (cards then)
