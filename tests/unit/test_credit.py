"""The five credit strategies (docs/prosper202.md, "Credit strategies")."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attribtui.prosper.credit import (
    MODEL_TYPES,
    Credit,
    assign_credits,
    contribution,
    hour_totals,
    round_credit,
    store_money,
)
from attribtui.prosper.journey import LOOKBACK_SECONDS, Touch, journey_for_credit

CONV = 10_000_000
H = 3600


def shares(credits: list[Credit]) -> list[float]:
    return [c.credit for c in credits]


def journey(*hours_before: float) -> list[Touch]:
    """Touches ``hours_before`` the conversion, click ids 1..n; the last is the converting click."""
    return [Touch(i + 1, int(CONV - h * H)) for i, h in enumerate(hours_before)]


def test_model_types_are_the_v2_enum() -> None:
    assert MODEL_TYPES == ("last_touch", "time_decay", "position_based", "algorithmic", "assisted")


@pytest.mark.parametrize("model_type", ["last_touch", "algorithmic", "first_touch", "linear"])
def test_last_touch_algorithmic_and_unknown(model_type: str) -> None:
    touches = journey(5, 3, 1)
    converting = touches[1]
    assert assign_credits(model_type, None, touches, converting, CONV) == [
        Credit(0, converting.click_id, 1.0)
    ]


def test_time_decay_worked_example() -> None:
    # Half life 48 h: a touch 48 h old weighs half of one at conversion time.
    touches = journey(48, 0)
    credits = assign_credits("time_decay", {"half_life_hours": 48}, touches, touches[-1], CONV)
    assert shares(credits) == pytest.approx([1 / 3, 2 / 3])
    assert [c.position for c in credits] == [0, 1]


def test_time_decay_half_life_default_cast_and_minimum() -> None:
    touches = journey(48, 0)
    default = assign_credits("time_decay", None, touches, touches[-1], CONV)
    assert shares(default) == pytest.approx([1 / 3, 2 / 3])
    as_string = assign_credits(
        "time_decay", {"half_life_hours": "48.9"}, touches, touches[-1], CONV
    )
    assert shares(as_string) == pytest.approx([1 / 3, 2 / 3])  # (int) 48.9 = 48
    touches = journey(1, 0)
    minimum = assign_credits("time_decay", {"half_life_hours": 0}, touches, touches[-1], CONV)
    assert shares(minimum) == pytest.approx([1 / 3, 2 / 3])  # max(1, 0) = 1 h


def test_time_decay_clicks_after_conversion_weigh_one() -> None:
    touches = [Touch(1, CONV), Touch(2, CONV + 500)]
    credits = assign_credits("time_decay", {"half_life_hours": 1}, touches, touches[0], CONV)
    assert shares(credits) == pytest.approx([0.5, 0.5])


def test_time_decay_underflow_gives_equal_split() -> None:
    touches = [Touch(1, 0), Touch(2, 1)]  # ~2778 h old with a 1 h half life: exp underflows
    credits = assign_credits("time_decay", {"half_life_hours": 1}, touches, touches[1], CONV)
    assert shares(credits) == [0.5, 0.5]


def test_position_based_worked_examples() -> None:
    config = {"first_touch_weight": 0.4, "last_touch_weight": 0.4}
    one = journey(1)
    assert shares(assign_credits("position_based", config, one, one[0], CONV)) == [1.0]
    two = journey(2, 1)
    assert shares(assign_credits("position_based", config, two, two[1], CONV)) == [0.5, 0.5]
    five = journey(5, 4, 3, 2, 1)
    credits = assign_credits("position_based", config, five, five[-1], CONV)
    assert shares(credits) == pytest.approx([0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4])


def test_position_based_two_touches_uneven_and_zero() -> None:
    two = journey(2, 1)
    uneven = {"first_touch_weight": 0.3, "last_touch_weight": 0.1}
    assert shares(assign_credits("position_based", uneven, two, two[1], CONV)) == pytest.approx(
        [0.75, 0.25]
    )
    zero = {"first_touch_weight": 0, "last_touch_weight": 0}
    assert shares(assign_credits("position_based", zero, two, two[1], CONV)) == [0.5, 0.5]


def test_position_based_zero_credit_touches_are_omitted() -> None:
    three = journey(3, 2, 1)
    config = {"first_touch_weight": 0.5, "last_touch_weight": 0.5}  # middle = 0
    credits = assign_credits("position_based", config, three, three[-1], CONV)
    assert [(c.position, c.click_id) for c in credits] == [(0, 1), (2, 3)]
    assert shares(credits) == pytest.approx([0.5, 0.5])
    first_only = {"first_touch_weight": 1, "last_touch_weight": 0}
    credits = assign_credits("position_based", first_only, three, three[-1], CONV)
    assert credits == [Credit(0, 1, 1.0)]


def test_position_based_defaults_and_negative_inputs() -> None:
    three = journey(3, 2, 1)
    expected = pytest.approx([0.4, 0.2, 0.4])
    assert shares(assign_credits("position_based", None, three, three[-1], CONV)) == expected
    negative = {"first_touch_weight": -1, "last_touch_weight": 0.1}
    assert shares(assign_credits("position_based", negative, three, three[-1], CONV)) == expected


def test_assisted() -> None:
    one = journey(1)
    assert assign_credits("assisted", None, one, one[0], CONV) == [Credit(0, 1, 1.0)]
    four = journey(4, 3, 2, 1)
    credits = assign_credits("assisted", None, four, four[-1], CONV)
    assert [c.position for c in credits] == [0, 1, 2]
    assert shares(credits) == pytest.approx([1 / 3] * 3)


def test_credit_uses_the_journey_used_for_credit() -> None:
    converting = Touch(50, CONV - 10)
    touches = journey_for_credit([], converting)
    assert assign_credits("assisted", None, touches, converting, CONV) == [Credit(0, 50, 1.0)]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (1.0, "1.00000"),
        (1 / 3, "0.33333"),
        (2 / 3, "0.66667"),
        (0.123455, "0.12346"),  # shortest repr is 0.123455: half up, like MariaDB
        (0.000004, "0.00000"),
        (0.000005, "0.00001"),
    ],
)
def test_round_credit(value: float, stored: str) -> None:
    assert round_credit(value) == Decimal(stored)


def test_contribution_uses_converting_cpc() -> None:
    credits = [Credit(0, 1, 0.25), Credit(2, 3, 0.75)]
    result = contribution(credits, Decimal("10.00000"), Decimal("0.40000"))
    assert result.clicks == 2
    assert result.revenue == Decimal("10")
    # PHP doubles, exactly: 0.4 * 0.25 + 0.4 * 0.75 is the double nearest 0.4.
    assert result.cost == Decimal(0.4) and store_money(float(result.cost)) == Decimal("0.4000")
    last = contribution([Credit(0, 9, 1.0)], Decimal("2.5"), Decimal("0.1"))
    assert (last.clicks, last.revenue, last.cost) == (1, Decimal("2.5"), Decimal(0.1))


def test_hour_totals_add_doubles_in_order() -> None:
    """The snapshot adds each conversion's double to a running double (PHP), so three thirds
    of 1.0 store as 1.0000 where exact decimals would keep 0.99999...99 (then 1.0000 too)."""
    parts = [contribution([Credit(0, 1, 1 / 3)], Decimal("1"), Decimal("0.3")) for _ in range(3)]
    revenue, cost = hour_totals(parts)
    assert revenue == (1 / 3 + 1 / 3) + 1 / 3
    assert store_money(revenue) == Decimal("1.0000") and store_money(cost) == Decimal("0.3000")


def test_store_money_rounds_the_shortest_repr_half_up() -> None:
    # MariaDB's double -> decimal(12,4): 1.00005 is 1.0000499999... in binary, yet stores 1.0001.
    assert store_money(1.00005) == Decimal("1.0001")
    assert store_money(12.34565) == Decimal("12.3457")


touch_lists = st.lists(
    st.builds(Touch, click_id=st.integers(1, 10**6), click_time=st.integers(0, CONV + 10 * H)),
    min_size=0,
    max_size=26,
    unique_by=lambda t: t.click_id,
)
configs = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "half_life_hours": st.one_of(
                st.integers(-5, 1000), st.sampled_from(["48", "1.5", " 12", "abc", "", "1e3"])
            )
        }
    ),
    st.fixed_dictionaries(
        {
            "first_touch_weight": st.floats(-1, 2, allow_nan=False),
            "last_touch_weight": st.floats(-1, 2, allow_nan=False),
        }
    ),
)


@given(
    model_type=st.sampled_from(MODEL_TYPES),
    config=configs,
    stored=touch_lists,
    converting_time=st.integers(CONV - LOOKBACK_SECONDS, CONV),
)
def test_credits_sum_to_one(model_type, config, stored, converting_time) -> None:
    converting = Touch(10**6 + 1, converting_time)
    touches = journey_for_credit(stored, converting)
    credits = assign_credits(model_type, config, touches, converting, CONV)
    assert credits
    assert math.isclose(sum(c.credit for c in credits), 1.0, abs_tol=1e-4)
    assert all(c.credit > 0 for c in credits)
    assert all(0 <= c.position < len(touches) for c in credits)
    assert len({c.position for c in credits}) == len(credits)
    for c in credits:
        if model_type in ("time_decay", "position_based", "assisted"):
            assert touches[c.position].click_id == c.click_id
