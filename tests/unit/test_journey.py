"""The journey rule and its validator (docs/prosper202.md, "Journeys")."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attribtui.prosper.journey import (
    LOOKBACK_SECONDS,
    MAX_TOUCHES,
    StoredTouch,
    Touch,
    build_journey,
    candidate_window,
    diff_journeys,
    journey_for_credit,
    select_candidates,
    validate_journey,
)

CONV = 10_000_000


def stored(touches: list[Touch]) -> list[StoredTouch]:
    return [StoredTouch(i, t.click_id, t.click_time) for i, t in enumerate(touches)]


def codes(violations) -> list[str]:
    return [v.code for v in violations]


def test_candidate_window_is_clamped_at_zero() -> None:
    assert candidate_window(CONV) == (CONV - LOOKBACK_SECONDS, CONV)
    assert candidate_window(100) == (0, 100)


def test_select_candidates_inclusive_window_order_and_limit() -> None:
    start = CONV - LOOKBACK_SECONDS
    clicks = [Touch(1, start - 1), Touch(2, start), Touch(3, CONV), Touch(4, CONV + 1)]
    assert select_candidates(clicks, CONV) == [Touch(3, CONV), Touch(2, start)]
    many = [Touch(i, CONV - 60 * (i % 7)) for i in range(1, 41)]
    picked = select_candidates(many, CONV)
    assert len(picked) == MAX_TOUCHES
    assert picked == sorted(many, key=lambda t: (t.click_time, t.click_id), reverse=True)[:25]


def test_build_journey_appends_converting_click_up_to_26() -> None:
    clicks = [Touch(i, CONV - 100 * i) for i in range(1, 31)]
    converting = Touch(999, CONV - 10**6)  # older than every candidate
    journey = build_journey(select_candidates(clicks, CONV), converting)
    assert len(journey) == MAX_TOUCHES + 1
    assert journey[0] == converting
    assert journey == sorted(journey, key=lambda t: (t.click_time, t.click_id))


def test_build_journey_dedupes_keeping_the_later_candidate_row() -> None:
    # 202_clicks.click_id is not unique; PHP's keyed array keeps the last row (older time).
    candidates = [Touch(5, 300), Touch(7, 200), Touch(5, 100)]
    assert build_journey(candidates, Touch(7, 999)) == [Touch(5, 100), Touch(7, 200)]


def test_build_journey_ties_sorted_by_click_id() -> None:
    journey = build_journey([Touch(9, 50), Touch(3, 50)], Touch(4, 50))
    assert [t.click_id for t in journey] == [3, 4, 9]


def test_journey_for_credit() -> None:
    converting = Touch(2, 150)
    assert journey_for_credit([], converting) == [converting]
    assert journey_for_credit([Touch(3, 200), Touch(1, 100)], converting) == [
        Touch(1, 100),
        converting,
        Touch(3, 200),
    ]
    assert journey_for_credit([Touch(2, 150)], converting) == [converting]


def test_validate_empty_and_valid() -> None:
    assert validate_journey([], 1, CONV) == []
    rows = stored([Touch(1, CONV - 100), Touch(2, CONV)])
    assert validate_journey(rows, 2, CONV) == []


def test_validate_positions() -> None:
    rows = [StoredTouch(0, 1, CONV - 9), StoredTouch(2, 2, CONV)]
    (v,) = validate_journey(rows, 2, CONV)
    assert v.code == "positions" and "missing [1]" in v.message and "[2]" in v.message
    rows = [StoredTouch(0, 1, CONV - 9), StoredTouch(0, 2, CONV)]
    assert "repeated [0]" in validate_journey(rows, 2, CONV)[0].message


def test_validate_converting_missing_and_repeated() -> None:
    rows = stored([Touch(1, CONV - 9)])
    (v,) = validate_journey(rows, 2, CONV)
    assert v.code == "converting_missing" and "2" in v.message
    rows = stored([Touch(2, CONV - 9), Touch(2, CONV)])
    assert codes(validate_journey(rows, 2, CONV)) == ["converting_repeated"]


def test_validate_order() -> None:
    rows = stored([Touch(1, CONV), Touch(2, CONV - 9)])
    (v,) = validate_journey(rows, 1, CONV)
    assert v.code == "order" and "click 1" in v.message and "click 2" in v.message
    rows = stored([Touch(5, CONV), Touch(4, CONV)])  # same time: click_id decides
    assert codes(validate_journey(rows, 5, CONV)) == ["order"]


def test_validate_duplicate_click() -> None:
    rows = stored([Touch(1, CONV - 9), Touch(1, CONV - 9), Touch(2, CONV)])
    (v,) = validate_journey(rows, 2, CONV)
    assert v.code == "duplicate_click" and "[1]" in v.message


def test_validate_lookback() -> None:
    old = CONV - LOOKBACK_SECONDS - 1
    rows = stored([Touch(1, old), Touch(2, CONV)])
    (v,) = validate_journey(rows, 2, CONV)
    assert v.code == "lookback" and "clicks 1 " in v.message
    # The converting click itself may be older than the window ...
    assert validate_journey(stored([Touch(2, old)]), 2, CONV) == []
    # ... or after the conversion: persistJourney appends it with the time it was given,
    # whatever that time (upstream's own journeys: tests/golden/journey.json).
    assert validate_journey(stored([Touch(2, CONV + 1)]), 2, CONV) == []
    # Any other touch after the conversion is a violation.
    (v,) = validate_journey(stored([Touch(2, CONV), Touch(1, CONV + 1)]), 2, CONV)
    assert v.code == "lookback" and "clicks 1 are after the conversion" in v.message


def test_validate_too_many() -> None:
    rows = stored([Touch(i, CONV - 1000 + i) for i in range(1, 28)])
    assert codes(validate_journey(rows, 27, CONV)) == ["too_many"]
    rows = stored([Touch(i, CONV - 1000 + i) for i in range(1, 27)])  # 25 + converting
    assert validate_journey(rows, 26, CONV) == []
    assert codes(validate_journey(rows, 999, CONV)) == ["converting_missing", "too_many"]


def test_diff_journeys() -> None:
    expected = [Touch(1, 10), Touch(2, 20), Touch(3, 30)]
    assert not diff_journeys(stored(expected), expected).changed
    rows = [StoredTouch(0, 2, 20), StoredTouch(1, 3, 30), StoredTouch(2, 9, 90)]
    diff = diff_journeys(rows, expected)
    assert diff.changed
    assert diff.missing == [Touch(1, 10)]
    assert diff.extra == [StoredTouch(2, 9, 90)]
    assert diff.moved == [(2, 0, 1), (3, 1, 2)]


clicks_strategy = st.lists(
    st.builds(
        Touch,
        click_id=st.integers(1, 60),
        click_time=st.integers(CONV - LOOKBACK_SECONDS - 5000, CONV + 5000),
    ),
    max_size=60,
)


@given(
    clicks=clicks_strategy,
    converting_id=st.integers(1, 80),
    converting_time=st.integers(0, CONV),
)
def test_validator_accepts_build_journey_output(clicks, converting_id, converting_time) -> None:
    converting = Touch(converting_id, converting_time)
    journey = build_journey(select_candidates(clicks, CONV), converting)
    assert len(journey) <= MAX_TOUCHES + 1
    assert validate_journey(stored(journey), converting_id, CONV) == []
    assert not diff_journeys(stored(journey), journey).changed
