"""Random 202_attribution_models rows and v2 payloads: mostly what v2 and v3 write, plus the
rows hand-written SQL leaves behind."""

from __future__ import annotations

import json
from random import Random

from .core import Json
from .values import mutate_json, numeric_string, random_text, random_value

TYPES = ("last_touch", "time_decay", "position_based", "algorithmic", "assisted")
ODD_TYPES = ("Last_Touch", "LAST_TOUCH", "first_touch", "linear", "", " last_touch", "time_decay ",
             "position_based\n", "algorithmic\x00", "assisted\t", "lastTouch", "0", "null")


def weight(rng: Random) -> Json:
    pick = rng.random()
    if pick < 0.4:
        return round(rng.uniform(0, 1), rng.choice([1, 2, 3, 6]))
    if pick < 0.55:
        return rng.choice([0, 1, 0.0, 1.0, 0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.1, 0.9, 0.25, 0.75,
                           -0.1, 1.1, 2, -1, 0.45, 0.55, 1e-9, 0.30000000000000004])
    if pick < 0.8:
        return numeric_string(rng)
    return random_value(rng)


def config_value(rng: Random, model_type: str) -> Json:
    """A decoded weighting_config, valid for the type most of the time."""
    kind = model_type.strip().lower()
    pick = rng.random()
    if pick < 0.12:
        return rng.choice([None, {}, [], [1], {"a": 1}, "x", 5, True, {"0": 1}, [[]], {"": 0}])
    if pick < 0.2:
        return random_value(rng)
    if kind == "time_decay" or (pick < 0.3 and kind not in TYPES):
        h = rng.choice([48, 1, 24, 72, 0, -1, "48", "24.5", 0.5, 1.9, "1e3", 168, 1e19, None])
        if rng.random() < 0.4:
            h = weight(rng) if rng.random() < 0.5 else numeric_string(rng)
        cfg: dict[str, Json] = {} if h is None and rng.random() < 0.5 else {"half_life_hours": h}
    elif kind == "position_based":
        cfg = {"first_touch_weight": weight(rng), "last_touch_weight": weight(rng)}
        if rng.random() < 0.1:
            cfg.pop(rng.choice(list(cfg)))
    elif kind == "algorithmic":
        cfg = rng.choice([{"a": 1}, {"model": "x"}, {"half_life_hours": 1}, {}])
    else:
        cfg = {} if rng.random() < 0.7 else {"half_life_hours": 48}
    if rng.random() < 0.15:
        cfg[rng.choice(["extra", "half_life_hours", "first_touch_weight", "0"])] = random_value(rng)
    return cfg


def config_text(rng: Random, model_type: str) -> str | None:
    """A stored weighting_config column: NULL, '', JSON text, or a near miss."""
    pick = rng.random()
    if pick < 0.08:
        return rng.choice([None, "", "null", "[]", "{}", " ", "0", "\"x\"", "true", "[1]",
                           "{\"a\":1}", "NaN", "{'a': 1}", "{}x", "\ufeff{}", "[1,]"])
    value = config_value(rng, model_type)
    if value is None and rng.random() < 0.5:
        return None
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.08:
        text = mutate_json(rng, text)
    return text


def model_type(rng: Random) -> str:
    return rng.choice(TYPES) if rng.random() < 0.85 else rng.choice(ODD_TYPES)


def name(rng: Random) -> str:
    pick = rng.random()
    if pick < 0.06:
        return rng.choice(["", " ", "0", "\t", "\x00", "Last Touch", "a" * 300])
    return rng.choice(["Model", "Time Decay 48h", "Position 40/40", "Assisted", "Q3 test"]) \
        if pick < 0.5 else random_text(rng, 20)


def slug_of(rng: Random) -> str:
    pick = rng.random()
    if pick < 0.06:
        return rng.choice(["", " ", "0", "-", "a--b", "UPPER", "x" * 191])
    return rng.choice(["model", "time-decay-48h", "position-40-40", "last-touch-default",
                       "last-touch-attribution", "model-1", "q3-test"]) \
        if pick < 0.6 else "-".join(random_text(rng, 6).lower().split())


def model_row(rng: Random, model_id: int, user_id: int, valid_bias: float = 0.0) -> dict[str, Json]:
    kind = rng.choice(TYPES) if rng.random() < valid_bias else model_type(rng)
    config = config_text(rng, kind)
    if rng.random() < valid_bias:
        config = valid_config_text(rng, kind)
    return {
        "model_id": model_id,
        "user_id": user_id,
        "model_name": name(rng) if rng.random() >= valid_bias else "Model",
        "model_slug": slug_of(rng) if rng.random() >= valid_bias else f"model-{model_id}",
        "model_type": kind,
        "weighting_config": config,
        "is_active": rng.choice([0, 1, 1, 1]),
        "is_default": rng.choice([0, 0, 0, 1]),
        "created_at": rng.choice([1700000000, 1700000000, 1700003600, 1700007200])
        + rng.choice([0, 0, 1, 2]),
        "updated_at": 1700000000,
    }


def valid_config_text(rng: Random, model_type: str) -> str | None:
    """A config upstream accepts for the type (for the strategy comparisons)."""
    if model_type == "time_decay":
        h = rng.choice([1, 2, 6, 12, 24, 48, 72, 168, 720, "48", 24.9, "1e2", 100000])
        return json.dumps({"half_life_hours": h})
    if model_type == "position_based":
        f = rng.choice([0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 1, round(rng.uniform(0, 1), 4)])
        rest = round(1 - f, 10)
        l = rng.choice([0, rest, rest / 2, round(rng.uniform(0, rest), 5), min(rest, 0.4)])  # noqa: E741
        if rng.random() < 0.2:
            f, l = str(f), str(l)  # noqa: E741
        return json.dumps({"first_touch_weight": f, "last_touch_weight": l})
    if model_type == "algorithmic":
        return json.dumps(rng.choice([{"a": 1}, [1], {"weights": [0.5, 0.5]}]))
    return rng.choice([None, "", "{}", "[]", "null" if False else "{}"])
