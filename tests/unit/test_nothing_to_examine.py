"""`info` for a check that had nothing to examine: the result, the run, and how a cause is read."""

from __future__ import annotations

from attribtui.checks.credit_causes import CLICKLESS, DUPLICATE, PARTIAL, UNFILLED, cause_of
from attribtui.checks.framework import nothing_to_examine
from attribtui.checks.prometheus import render
from attribtui.checks.results import CheckResult, empty_text, exit_code, mostly_empty, report
from attribtui.vocab import ExitCode, Status, label


def result(cid: str, status: Status, empty: bool = False) -> CheckResult:
    return CheckResult(cid, cid.split(".")[0], cid, status, "details", None, "", 1.0, empty)


def test_the_outcome_is_info_and_says_what_was_empty() -> None:
    out = nothing_to_examine("No snapshots in the last 48 h to examine.")
    assert out.status == Status.INFO and out.nothing_to_examine
    assert out.details == "No snapshots in the last 48 h to examine."


def test_info_sorts_below_warn_reads_with_a_symbol_and_keeps_exit_0() -> None:
    assert label(Status.INFO) == "ℹ info"
    assert exit_code([result("a.b", Status.INFO, True), result("a.c", Status.OK)]) == ExitCode.OK
    assert exit_code([result("a.b", Status.INFO, True), result("a.c", Status.WARN)]) == ExitCode.WARN


def test_the_run_lists_them_and_says_when_they_are_most() -> None:
    few = [result("a.x", Status.INFO, True), result("a.y", Status.OK), result("a.z", Status.OK)]
    doc = report(few, profile="p", now=0)
    assert doc["nothing_to_examine"] == ["a.x"] and not mostly_empty(doc)
    assert empty_text(doc) == "1 of 3 checks had nothing to examine"
    most = [result("a.x", Status.INFO, True), result("a.y", Status.INFO, True),
            result("a.z", Status.OK)]
    assert mostly_empty(report(most, profile="p", now=0))
    assert empty_text(report([result("a.y", Status.OK)], profile="p", now=0)) == ""


def test_json_round_trip_and_saved_runs_from_before_the_key() -> None:
    r = result("credits.conservation", Status.INFO, True)
    assert CheckResult.from_json(r.to_json()) == r
    old = r.to_json()
    del old["nothing_to_examine"]
    assert CheckResult.from_json(old).nothing_to_examine is False


def test_prometheus_has_a_gauge_per_check_and_a_count() -> None:
    doc = report([result("credits.conservation", Status.INFO, True),
                  result("db.connection", Status.OK)], profile="p", now=5)
    lines = render(doc).splitlines()
    assert ('attribtui_check_nothing_to_examine{profile="p",check="credits.conservation",'
            'group="credits"} 1') in lines
    assert 'attribtui_check_nothing_to_examine{profile="p",check="db.connection",group="db"} 0' \
        in lines
    assert 'attribtui_checks_nothing_to_examine{profile="p"} 1' in lines
    assert "# TYPE attribtui_check_nothing_to_examine gauge" in lines


def test_a_credit_anomaly_is_read_with_its_click_rows() -> None:
    # the rebuild joins 202_clicks on click_id: n rows credit a conversion n times, none never
    assert cause_of(2.0, 2) == DUPLICATE
    assert cause_of(2.99998, 3) == DUPLICATE
    assert cause_of(0.0, 0) == CLICKLESS
    assert cause_of(0.0, 1) == UNFILLED
    assert cause_of(1.25, 1) == PARTIAL
    assert cause_of(1.25, 2) == PARTIAL  # a duplicate row, but the sum is not explained by it
    assert cause_of(1.25, None) == PARTIAL  # rows not counted (no KEY click_id)
    assert cause_of(0.0, None) == UNFILLED
