"""The five credit strategies of the attribution runner (docs/prosper202.md, "Credit strategies").

Pure, so the sandbox runner, the credit verifier and the credit checks compute the same numbers.
Floats on purpose: Prosper202 computes in PHP floats and rounds only when MariaDB stores them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from attribtui.prosper.journey import Touch
from attribtui.prosper.php import php_float, php_int, php_is_numeric
from attribtui.prosper.validation import MODEL_TYPES

__all__ = [
    "MODEL_TYPES",
    "Contribution",
    "Credit",
    "assign_credits",
    "contribution",
    "hour_totals",
    "money",
    "php_sum",
    "round_credit",
    "store_money",
]

DEFAULT_HALF_LIFE_HOURS = 48
DEFAULT_FIRST_TOUCH_WEIGHT = 0.4
DEFAULT_LAST_TOUCH_WEIGHT = 0.4
# MysqlConversionRepository::fetchForUser reads a user's conversions this many at a time.
RUNNER_BATCH = 5000
_CENT4 = Decimal("0.0001")
_TOLERANCE = 1e-4
_CREDIT_STEP = Decimal("0.00001")


@dataclass(frozen=True)
class Credit:
    """One credited touch as 202_attribution_touchpoints stores it (weight = credit)."""

    position: int
    click_id: int
    credit: float


@dataclass
class Contribution:
    """What one conversion adds to its hour's snapshot (conversions +1 besides these)."""

    clicks: int
    revenue: Decimal
    cost: Decimal


def _config(weighting_config: object) -> Mapping[str, object]:
    # A decoded JSON list has no string keys in PHP either, so it behaves like an empty config.
    return weighting_config if isinstance(weighting_config, Mapping) else {}


def _last_touch(converting: Touch) -> list[Credit]:
    return [Credit(0, converting.click_id, 1.0)]


def php_sum(values: Iterable[float]) -> float:
    """array_sum: left to right in plain doubles (Python 3.12's sum() compensates, PHP never)."""
    total = 0.0
    for v in values:
        total += v
    return total


def _time_decay_shares(weights: list[float]) -> list[float]:
    """TimeDecayStrategy: w / total, then the last touch absorbs an error above 1e-4."""
    total = php_sum(weights)
    shares = [max(0.0, w / total) for w in weights]
    normalised = php_sum(shares)
    if abs(normalised - 1.0) > _TOLERANCE:
        shares[-1] = max(0.0, shares[-1] + (1.0 - normalised))
    return shares


def _half_life(config: Mapping[str, object]) -> int:
    value = config.get("half_life_hours")
    if value is not None and php_is_numeric(value):
        return max(1, php_int(value))
    return DEFAULT_HALF_LIFE_HOURS


def _time_decay(config: Mapping[str, object], journey: Sequence[Touch], conv_time: int) -> list[float]:
    decay = math.log(2) / _half_life(config)
    weights = [math.exp(-decay * max(0.0, (conv_time - t.click_time) / 3600)) for t in journey]
    if php_sum(weights) <= 0.0:  # every weight underflowed: equal split
        return [1.0 / len(journey)] * len(journey)
    return _time_decay_shares(weights)


def _position_weights(config: Mapping[str, object]) -> tuple[float, float, float]:
    first = config.get("first_touch_weight")
    last = config.get("last_touch_weight")
    # PHP: isset() then a (float) cast, so a non-numeric string counts as 0.0.
    f = DEFAULT_FIRST_TOUCH_WEIGHT if first is None else php_float(first)
    l = DEFAULT_LAST_TOUCH_WEIGHT if last is None else php_float(last)  # noqa: E741
    if f < 0.0 or l < 0.0:
        # Either one negative reverts *both* to the defaults (PositionBasedStrategy).
        f, l = DEFAULT_FIRST_TOUCH_WEIGHT, DEFAULT_LAST_TOUCH_WEIGHT  # noqa: E741
    return f, max(0.0, 1.0 - (f + l)), l


def _position_based(config: Mapping[str, object], journey: Sequence[Touch]) -> list[float]:
    """PositionBasedStrategy::calculateJourneyCredits, to the last bit.

    PHP fills its credits array as [0 => first, n-1 => last, 1 => share, ...], so array_sum adds
    first, last, then the middles; each credit is then multiplied by ``1 / sum`` (not divided by
    the sum), and the last touch absorbs an error above 1e-4.
    """
    n = len(journey)
    first, middle, last = _position_weights(config)
    if n == 1:
        return [1.0]
    first, last, middle = max(0.0, first), max(0.0, last), max(0.0, middle)
    if n == 2:
        total = first + last
        return [0.5, 0.5] if total <= 0.0 else [first / total, last / total]
    share = middle / (n - 2)
    in_php_order = [first, last, *([share] * (n - 2))]
    total = php_sum(in_php_order)
    if total <= 0.0:
        return [1.0 / n] * n
    scale = 1.0 / total
    credits = [max(0.0, c * scale) for c in [first, *([share] * (n - 2)), last]]
    checked = php_sum([credits[0], credits[-1], *credits[1:-1]])
    if abs(checked - 1.0) > _TOLERANCE:
        credits[-1] = max(0.0, credits[-1] + (1.0 - checked))
    return credits


def _assisted(journey: Sequence[Touch]) -> list[float]:
    n = len(journey)
    if n == 1:
        return [1.0]
    return [1.0 / (n - 1)] * (n - 1) + [0.0]


def assign_credits(
    model_type: str,
    weighting_config: object,
    journey: Sequence[Touch],
    converting: Touch,
    conv_time: int,
) -> list[Credit]:
    """Credits the runner writes for one conversion; zero-credit touches are omitted.

    ``journey`` is the journey used for credit (``journey_for_credit``); positions are its indexes.
    algorithmic and any unknown type run as last touch.
    """
    if model_type not in ("time_decay", "position_based", "assisted"):
        return _last_touch(converting)
    touches = list(journey) or [converting]
    config = _config(weighting_config)
    if model_type == "time_decay":
        shares = _time_decay(config, touches, conv_time)
    elif model_type == "position_based":
        shares = _position_based(config, touches)
    else:
        shares = _assisted(touches)
    credits = [
        Credit(position, touch.click_id, share)
        for position, (touch, share) in enumerate(zip(touches, shares, strict=True))
        if share > 0.0
    ]
    if credits or model_type == "position_based":
        return credits
    if model_type == "time_decay":
        # TimeDecayStrategy's guard: the converting click gets 1 at the last position (n-1),
        # even when it sits elsewhere in the journey.
        return [Credit(len(touches) - 1, converting.click_id, 1.0)]
    # AssistedStrategy's guard (unreachable: assisted always credits someone): the last touch.
    return [Credit(len(touches) - 1, touches[-1].click_id, 1.0)]


def round_credit(x: float) -> Decimal:
    """A credit as decimal(10,5) stores it.

    MariaDB turns a double into its shortest round-trip decimal string before rounding half up,
    hence ``repr`` rather than the exact binary value (0.123455 rounds to 0.12346).
    """
    return Decimal(repr(float(x))).quantize(_CREDIT_STEP, rounding=ROUND_HALF_UP)


def contribution(
    credits: Iterable[Credit], payout: Decimal, converting_cpc: Decimal
) -> Contribution:
    """Clicks, revenue and cost one conversion adds to its snapshot hour, in PHP doubles.

    The strategies add ``clickPayout * credit`` (and ``clickCost * credit``: every touch is costed
    at the converting click's CPC) to 0.0, touch by touch. Revenue and cost are the exact values
    of those doubles; ``hour_totals`` adds conversions up the way the snapshot does.
    """
    items = list(credits)
    p, c = float(payout), float(converting_cpc)
    revenue = cost = 0.0
    for item in items:
        revenue += p * item.credit
        cost += c * item.credit
    return Contribution(clicks=len(items), revenue=Decimal(revenue), cost=Decimal(cost))


def hour_totals(parts: Iterable[Contribution]) -> tuple[float, float]:
    """A snapshot hour's revenue and cost as the runner binds them: doubles added conversion by
    conversion, in the order the conversions were read (conv_id)."""
    revenue = cost = 0.0
    for part in parts:
        revenue += float(part.revenue)
        cost += float(part.cost)
    return revenue, cost


def store_money(x: float) -> Decimal:
    """What decimal(12,4) keeps of a bound double (MariaDB rounds its shortest repr half up)."""
    return money(Decimal(repr(float(x))))


def money(v: Decimal) -> Decimal:
    """A revenue or cost as decimal(12,4) stores it."""
    return v.quantize(_CENT4, rounding=ROUND_HALF_UP)

