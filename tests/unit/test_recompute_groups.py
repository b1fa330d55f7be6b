"""groups.py, pure: spans cover every conversion within their spread, and what a prefix of the
candidate order settles is exactly select_candidates over all the clicks.

The same rule against the real databases is tests/functional/test_journey_groups.py.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from attribtui.prosper.journey import LOOKBACK_SECONDS as LB
from attribtui.prosper.journey import MAX_TOUCHES, Touch, select_candidates
from attribtui.services.journeys.groups import (
    GroupBy,
    Span,
    plan,
    settle,
    split,
    sweep_page,
    window,
)

DAY = 86400
T = 100 * DAY


def test_plan_cuts_a_group_where_conv_times_spread_beyond_the_limit() -> None:
    keys = [(1, 7, T + 3 * DAY), (2, 7, T), (1, 7, T), (1, 7, T + DAY), (1, 7, T)]
    assert plan(keys, max_spread=DAY) == [
        Span(1, ((7, T + 3 * DAY),)),  # the first key's span comes first
        Span(2, ((7, T),)),
        Span(1, ((7, T), (7, T + DAY))),  # T repeated: one conv_time
    ]


def test_plan_by_user_puts_a_users_campaigns_in_one_span() -> None:
    keys = [(1, 8, T + DAY), (2, 7, T), (1, 7, T), (1, 9, T + 3 * DAY), (1, 7, T)]
    spans = plan(keys, max_spread=DAY, by="user")
    assert spans == [
        Span(1, ((7, T), (8, T + DAY)), "user"),
        Span(2, ((7, T),), "user"),
        Span(1, ((9, T + 3 * DAY),), "user"),  # beyond the spread: a span of its own
    ]
    assert spans[0].campaigns == [7, 8]


def test_window_is_the_union_of_the_conversions_windows() -> None:
    assert window([T, T + 5]) == (T - LB, T + 5)
    assert window([3 * DAY]) == (0, 3 * DAY)  # clamped at 0, as upstream does


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3 * LB)),
                min_size=1, max_size=30),
       st.sampled_from([0, DAY, LB]), st.sampled_from(["campaign", "user"]))
def test_plan_covers_every_key_once_within_the_spread(keys: list[tuple[int, int, int]],
                                                      spread: int, by: GroupBy) -> None:
    spans = plan(keys, spread, by)
    members = [k for s in spans for k in s.members()]
    assert sorted(members) == sorted(set(keys))
    for s in spans:
        times = [t for _, t in s.conversions]
        assert times == sorted(times) and times[-1] - times[0] <= spread
        assert by == "user" or len(s.campaigns) == 1


@given(st.lists(st.tuples(st.integers(1, 3), st.builds(Touch, st.integers(1, 30), st.sampled_from(
           [T - LB - 1, T - LB, T - LB + 1, T - 60, T - 1, T, T + 1, T + LB, T + LB + 1]))),
           max_size=80),
       st.lists(st.tuples(st.integers(1, 3),
                          st.sampled_from([T, T + 1, T + 60, T + LB - 1, T + LB, T + LB + 1])),
                min_size=1, max_size=6, unique=True),
       st.integers(MAX_TOUCHES, 70), st.booleans())
@settings(max_examples=300)
def test_what_a_prefix_settles_is_the_query_over_all_clicks(
        clicks: list[tuple[int, Touch]], members: list[tuple[int, int]], cap: int,
        one_campaign: bool) -> None:
    """Rows of several campaigns in one order (ties between campaigns in any order): what a
    prefix settles is, per campaign, the candidate query over that campaign's clicks."""
    if one_campaign:
        clicks = [(1, t) for _, t in clicks]
        members = sorted({(1, t) for _, t in members})
    start, end = window(t for _, t in members)
    campaigns = {c for c, _ in members}
    rows = sorted([(c, t) for c, t in clicks if c in campaigns and start <= t.click_time <= end],
                  key=lambda r: (r[1].click_time, r[1].click_id, r[0]), reverse=True)
    prefix = rows[:cap]
    settled = settle(split(prefix), len(prefix) < cap,
                     prefix[-1][1].click_time if prefix else None, members)
    for (campaign, conv_time), candidates in settled.items():
        assert candidates == select_candidates([t for c, t in clicks if c == campaign],
                                               conv_time)
    if one_campaign:  # the newest always settles: the reads end
        assert max(members, key=lambda m: m[1]) in settled


@given(st.lists(st.tuples(st.integers(1, 3), st.builds(Touch, st.integers(1, 30), st.sampled_from(
           [T - LB - 1, T - LB, T - LB + 1, T - 60, T - 1, T, T + 1, T + 59, T + 60, T + LB,
            T + LB + 1]))),
           max_size=80),
       st.lists(st.tuples(st.integers(1, 3),
                          st.sampled_from([T, T + 1, T + 60, T + LB - 1, T + LB, T + LB + 1])),
                min_size=1, max_size=6, unique=True),
       st.lists(st.sampled_from([1, 2, 59, 60, 3600, DAY, LB - 1, LB, 2 * LB]), min_size=1,
                max_size=8))
@settings(max_examples=300, deadline=None)
def test_pages_of_a_sweep_settle_as_the_query_over_all_clicks(
        clicks: list[tuple[int, Touch]], members: list[tuple[int, int]], widths: list[int]
) -> None:
    """Pages of any widths, newest first and never overlapping, down to the oldest window start:
    every member settles, with the candidate query's rows over its campaign's clicks."""
    start, hi = window(t for _, t in members)
    runs: dict[tuple[int, int], list[Touch]] = {}
    settled: dict[tuple[int, int], list[Touch]] = {}
    i = 0
    while hi >= start and len(settled) < len(members):
        lo = max(start, hi - widths[i % len(widths)] + 1)
        i += 1
        if i > 50:  # thin pages on empty seconds: jump to the next click, as the sweep would
            lo = start
        page = sorted([(c, t) for c, t in clicks if lo <= t.click_time <= hi],
                      key=lambda r: (r[1].click_time, r[1].click_id, r[0]), reverse=True)
        settled.update(sweep_page(split(page), lo, hi, runs,
                                  [m for m in members if m not in settled]))
        hi = lo - 1
    assert set(settled) == set(members)
    for (campaign, conv_time), candidates in settled.items():
        assert candidates == select_candidates([t for c, t in clicks if c == campaign],
                                               conv_time)
