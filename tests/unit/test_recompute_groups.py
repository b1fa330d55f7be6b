"""groups.py, pure: spans cover every conversion within their spread, and what a prefix of the
candidate order settles is exactly select_candidates over all the clicks.

The same rule against the real databases is tests/functional/test_journey_groups.py.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from attribtui.prosper.journey import LOOKBACK_SECONDS as LB
from attribtui.prosper.journey import MAX_TOUCHES, Touch, select_candidates
from attribtui.services.journeys.groups import Span, plan, settle, window

DAY = 86400
T = 100 * DAY


def test_plan_cuts_a_group_where_conv_times_spread_beyond_the_limit() -> None:
    keys = [(1, 7, T + 3 * DAY), (2, 7, T), (1, 7, T), (1, 7, T + DAY), (1, 7, T)]
    assert plan(keys, max_spread=DAY) == [
        Span(1, 7, (T + 3 * DAY,)),  # the first key's span comes first
        Span(2, 7, (T,)),
        Span(1, 7, (T, T + DAY)),  # T repeated: one conv_time
    ]


def test_window_is_the_union_of_the_conversions_windows() -> None:
    assert window([T, T + 5]) == (T - LB, T + 5)
    assert window([3 * DAY]) == (0, 3 * DAY)  # clamped at 0, as upstream does


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3 * LB)),
                min_size=1, max_size=30),
       st.sampled_from([0, DAY, LB]))
def test_plan_covers_every_key_once_within_the_spread(keys: list[tuple[int, int, int]],
                                                      spread: int) -> None:
    spans = plan(keys, spread)
    members = [k for s in spans for k in s.members()]
    assert sorted(members) == sorted(set(keys))
    assert all(s.conv_times[-1] - s.conv_times[0] <= spread for s in spans)


def _order(clicks: list[Touch]) -> list[Touch]:
    return sorted(clicks, key=lambda t: (t.click_time, t.click_id), reverse=True)


@given(st.lists(st.builds(Touch, st.integers(1, 30), st.sampled_from(
           [T - LB - 1, T - LB, T - LB + 1, T - 60, T - 1, T, T + 1, T + LB, T + LB + 1])),
           max_size=80),
       st.lists(st.sampled_from([T, T + 1, T + 60, T + LB - 1, T + LB, T + LB + 1]),
                min_size=1, max_size=6, unique=True),
       st.integers(MAX_TOUCHES, 70))
@settings(max_examples=300)
def test_what_a_prefix_settles_is_the_query_over_all_clicks(
        clicks: list[Touch], conv_times: list[int], cap: int) -> None:
    conv_times.sort()
    start, end = window(conv_times)
    rows = _order([c for c in clicks if start <= c.click_time <= end])
    prefix = rows[:cap]
    settled = settle(prefix, len(prefix) < cap, conv_times)
    for conv_time, candidates in settled.items():
        assert candidates == select_candidates(clicks, conv_time)
    assert conv_times[-1] in settled  # the newest always settles: the reads end
