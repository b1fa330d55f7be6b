"""Property tests of the conv_id parser and the journey validator (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attribtui.prosper.journey import (
    LOOKBACK_SECONDS,
    StoredTouch,
    Touch,
    build_journey,
    select_candidates,
    validate_journey,
)
from attribtui.services.journeys import (
    MAX_CONV_ID,
    MAX_IDS,
    IdError,
    parse_click_id,
    parse_conv_ids,
)

valid_ids = st.integers(min_value=1, max_value=MAX_CONV_ID)
separators = st.sampled_from([" ", ",", ", ", "\n", "\r\n", "\t", ";", " ,\n "])


@given(st.lists(valid_ids, min_size=1, max_size=60), st.data())
def test_valid_ids_round_trip(ids: list[int], data: st.DataObject) -> None:
    text = ""
    for i in ids:
        text += str(i) + data.draw(separators)
    assert parse_conv_ids(data.draw(separators) + text) == list(dict.fromkeys(ids))


@given(st.integers(min_value=MAX_CONV_ID + 1))
def test_too_large(n: int) -> None:
    with pytest.raises(IdError, match="at most 4294967295"):
        parse_conv_ids(str(n))


@given(st.integers(max_value=-1))
def test_negative(n: int) -> None:
    with pytest.raises(IdError, match="negative"):
        parse_conv_ids(f"1 {n}")


@given(st.text(min_size=1).filter(lambda s: s.strip(" \t\n\r\x0b\x0c,;") != ""))
def test_anything_else_parses_or_fails_in_one_line(text: str) -> None:
    try:
        ids = parse_conv_ids(text)
    except IdError as e:
        assert "\n" not in str(e) and len(str(e)) < 200
    else:
        assert ids and all(1 <= i <= MAX_CONV_ID for i in ids)


@pytest.mark.parametrize(("text", "message"), [
    ("", "no conv_id given"), (" ,\n", "no conv_id given"), ("0", "conv_id 0 does not exist"),
    ("00", "conv_id 0 does not exist"), ("12a", "'12a' is not a conv_id"),
    ("1.5", "is not a conv_id"), ("١٢", "is not a conv_id"), ("9" * 5000, "too large"),
    ("-0", "conv_id 0 does not exist"),
])
def test_bad_input_messages(text: str, message: str) -> None:
    with pytest.raises(IdError, match=message):
        parse_conv_ids(text)


def test_limit_counts_distinct_ids() -> None:
    assert len(parse_conv_ids(" ".join(["7"] * 600))) == 1
    assert len(parse_conv_ids(" ".join(map(str, range(1, MAX_IDS + 1))))) == MAX_IDS
    with pytest.raises(IdError, match=f"look up at most {MAX_IDS}"):
        parse_conv_ids(" ".join(map(str, range(1, MAX_IDS + 2))))


def test_click_id_is_bigint() -> None:
    assert parse_click_id(" 18446744073709551615 ") == 18446744073709551615
    with pytest.raises(IdError, match="exactly one click_id"):
        parse_click_id("1 2")


# -- the validator ---------------------------------------------------------------------------------

CONV_TIME = 1_795_696_496
clicks = st.lists(
    st.builds(Touch, st.integers(1, 10_000),
              st.integers(CONV_TIME - LOOKBACK_SECONDS - 5 * 86400, CONV_TIME + 3600)),
    max_size=60)


def _persisted(candidates: list[Touch], converting: Touch) -> list[StoredTouch]:
    journey = build_journey(select_candidates(candidates, CONV_TIME), converting)
    return [StoredTouch(i, t.click_id, t.click_time) for i, t in enumerate(journey)]


converting_clicks = st.builds(Touch, st.integers(10_001, 20_000),
                              st.integers(CONV_TIME - 7 * 86400, CONV_TIME))


@given(clicks, converting_clicks)
def test_what_the_rule_writes_is_valid(candidates: list[Touch], converting: Touch) -> None:
    stored = _persisted(candidates, converting)
    assert validate_journey(stored, converting.click_id, CONV_TIME) == []


@given(clicks, converting_clicks, st.data())
def test_a_gap_is_named(candidates: list[Touch], converting: Touch, data: st.DataObject) -> None:
    stored = _persisted(candidates, converting)
    cut = data.draw(st.integers(0, len(stored) - 1))
    gapped = [StoredTouch(t.position + (t.position >= cut), t.click_id, t.click_time)
              for t in stored]
    codes = {v.code for v in validate_journey(gapped, converting.click_id, CONV_TIME)}
    assert "positions" in codes


@given(clicks, converting_clicks, st.data())
def test_dropping_the_converting_click_is_named(candidates: list[Touch], converting: Touch,
                                                data: st.DataObject) -> None:
    stored = [t for t in _persisted(candidates, converting) if t.click_id != converting.click_id]
    stored = [StoredTouch(i, t.click_id, t.click_time) for i, t in enumerate(stored)]
    codes = {v.code for v in validate_journey(stored, converting.click_id, CONV_TIME)}
    assert codes == ({"converting_missing"} if stored else set())


@given(clicks, converting_clicks, st.data())
def test_a_duplicate_is_named(candidates: list[Touch], converting: Touch,
                              data: st.DataObject) -> None:
    stored = _persisted(candidates, converting)
    others = [t for t in stored if t.click_id != converting.click_id]
    if not others:
        return
    copy = data.draw(st.sampled_from(others))
    stored.append(StoredTouch(len(stored), copy.click_id, copy.click_time))
    codes = {v.code for v in validate_journey(stored, converting.click_id, CONV_TIME)}
    assert "duplicate_click" in codes
