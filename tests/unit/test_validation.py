"""v2 model validation, PHP casts, slugs and stored JSON (docs/prosper202.md, "V2 API")."""

from __future__ import annotations

import pytest

from attribtui.prosper import validation as v
from attribtui.prosper.validation import (
    parse_weighting_json,
    php_bool,
    php_float,
    php_int,
    php_is_numeric,
    php_string,
    slugify,
    unique_slug,
    validate_model_payload,
    validate_weighting,
)


def test_messages_are_verbatim() -> None:
    assert v.MSG_NAME_REQUIRED == "Model name is required."
    assert v.MSG_INVALID_TYPE == "Invalid model type supplied."
    assert v.MSG_CONFIG_NOT_OBJECT == "Weighting configuration must be an object."
    assert v.MSG_CONFIG_REQUIRED == "Weighting configuration required for the selected model type."
    assert v.MSG_HALF_LIFE == (
        'Time decay models require a positive integer "half_life_hours" value.'
    )
    assert v.MSG_POSITION_NUMERIC == (
        'Position based models require numeric "first_touch_weight" and "last_touch_weight" values.'
    )
    assert v.MSG_POSITION_RANGE == "Position based weights must be between 0 and 1."
    assert v.MSG_POSITION_SUM == "The sum of first and last touch weights must not exceed 1."
    assert v.MSG_NO_WEIGHTING == "This attribution model does not accept weighting parameters."


@pytest.mark.parametrize(
    ("name", "model_type", "config", "message"),
    [
        ("  \t", "last_touch", None, v.MSG_NAME_REQUIRED),
        (None, "last_touch", None, v.MSG_NAME_REQUIRED),
        ("M", "linear", None, v.MSG_INVALID_TYPE),
        ("M", None, None, v.MSG_INVALID_TYPE),
        ("M", "time_decay", "48", v.MSG_CONFIG_NOT_OBJECT),
        # A JSON list is a PHP array: it passes rule 3 and fails on the type's own rule.
        ("M", "time_decay", [48], v.MSG_HALF_LIFE),
        ("M", "last_touch", [1], v.MSG_NO_WEIGHTING),
        ("M", "last_touch", 5, v.MSG_CONFIG_NOT_OBJECT),
        ("M", "time_decay", None, v.MSG_CONFIG_REQUIRED),
        ("M", "position_based", {}, v.MSG_CONFIG_REQUIRED),
        ("M", "algorithmic", [], v.MSG_CONFIG_REQUIRED),
        ("M", "time_decay", {"half_life_hours": 0}, v.MSG_HALF_LIFE),
        ("M", "time_decay", {"half_life_hours": "0.9"}, v.MSG_HALF_LIFE),
        ("M", "time_decay", {"half_life_hours": "abc"}, v.MSG_HALF_LIFE),
        ("M", "time_decay", {"half_life_hours": True}, v.MSG_HALF_LIFE),
        ("M", "time_decay", {"other": 1}, v.MSG_HALF_LIFE),
        ("M", "position_based", {"first_touch_weight": 0.4}, v.MSG_POSITION_NUMERIC),
        (
            "M",
            "position_based",
            {"first_touch_weight": "x", "last_touch_weight": 0.4},
            v.MSG_POSITION_NUMERIC,
        ),
        (
            "M",
            "position_based",
            {"first_touch_weight": -0.1, "last_touch_weight": 0.4},
            v.MSG_POSITION_RANGE,
        ),
        (
            "M",
            "position_based",
            {"first_touch_weight": 0.4, "last_touch_weight": 1.5},
            v.MSG_POSITION_RANGE,
        ),
        (
            "M",
            "position_based",
            {"first_touch_weight": 0.6, "last_touch_weight": "0.5"},
            v.MSG_POSITION_SUM,
        ),
        ("M", "last_touch", {"half_life_hours": 48}, v.MSG_NO_WEIGHTING),
        ("M", "assisted", {"x": None}, v.MSG_NO_WEIGHTING),
    ],
)
def test_each_rule_fires(name, model_type, config, message) -> None:
    assert validate_model_payload(name, model_type, config) == message


@pytest.mark.parametrize(
    ("model_type", "config"),
    [
        ("last_touch", None),
        ("last_touch", {}),
        ("Assisted", []),
        ("TIME_DECAY", {"half_life_hours": "48"}),
        ("time_decay", {"half_life_hours": 1.5}),
        ("time_decay", {"half_life_hours": " 12 "}),
        ("position_based", {"first_touch_weight": 0.4, "last_touch_weight": 0.4}),
        ("position_based", {"first_touch_weight": "1", "last_touch_weight": 0}),
        ("algorithmic", {"anything": True}),
        ("algorithmic", [1]),  # is_array() passes a list
        ("time_decay", {"half_life_hours": "1e19"}),  # (int) of a numeric string saturates
    ],
)
def test_valid_payloads(model_type, config) -> None:
    assert validate_model_payload("My model", model_type, config) is None


def test_rules_run_in_order() -> None:
    assert validate_model_payload("", "bogus", "x") == v.MSG_NAME_REQUIRED
    assert validate_model_payload("M", "bogus", "x") == v.MSG_INVALID_TYPE
    assert validate_model_payload("M", "time_decay", "x") == v.MSG_CONFIG_NOT_OBJECT


def test_validate_weighting_skips_name_and_type() -> None:
    assert validate_weighting("time_decay", {"half_life_hours": 24}) is None
    assert validate_weighting("time_decay", {}) == v.MSG_CONFIG_REQUIRED
    # PATCH changing the type validates the old config against the new type.
    assert validate_weighting("last_touch", {"half_life_hours": 24}) == v.MSG_NO_WEIGHTING


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("false", True),
        ("0", False),
        ("", False),
        ("0.0", True),
        (0, False),
        (0.0, False),
        (2, True),
        (None, False),
        ([], False),
        ({}, False),
        ([0], True),
        (True, True),
        (False, False),
    ],
)
def test_php_bool(value, expected) -> None:
    assert php_bool(value) is expected


def test_php_numeric_casts() -> None:
    assert php_is_numeric(" 1") and php_is_numeric("1 ") and php_is_numeric(".5")
    assert php_is_numeric("-1e3") and php_is_numeric(2.5) and php_is_numeric(0)
    assert not php_is_numeric("") and not php_is_numeric("0x1A") and not php_is_numeric("1a")
    assert not php_is_numeric(True) and not php_is_numeric(None) and not php_is_numeric([1])
    assert php_int("1.9") == 1 and php_int("1e3") == 1000 and php_int(" 12") == 12
    assert php_int("12abc") == 12 and php_int("abc") == 0 and php_int(-2.7) == -2
    assert php_float("0.5x") == 0.5 and php_float("x") == 0.0 and php_float(True) == 1.0
    # Floats wrap modulo 2**64 (zend_dval_to_lval); numeric strings saturate, except INF.
    assert php_int(1e19) == -8446744073709551616 and php_int(-1e19) == 8446744073709551616
    assert php_int(2.0**63) == -(2**63) and php_int(float("inf")) == 0
    assert php_int("1e19") == 2**63 - 1 and php_int("1e309") == 0
    assert validate_model_payload("M", "time_decay", {"half_life_hours": 1e19}) == v.MSG_HALF_LIFE


def test_php_string_of_floats_is_precision_14() -> None:
    assert [php_string(x) for x in (1.0, 0.1 + 0.2, 1e15, 1e14, 1e13, 1e-5, 0.0001, -0.0)] == [
        "1", "0.3", "1.0E+15", "1.0E+14", "10000000000000", "1.0E-5", "0.0001", "-0"]
    assert php_string(123456789012345.0) == "1.2345678901234E+14"  # ties to even
    assert (php_string(True), php_string(None), php_string([1])) == ("1", "", "Array")


def test_slugify() -> None:
    assert slugify("Last Touch Attribution", 0) == "last-touch-attribution"
    assert slugify("  --Time__Decay (48h)!! ", 0) == "time-decay-48h"
    assert slugify("Café Ünïcode", 0) == "caf-n-code"
    assert slugify("\u212a", 7) == "model-7"  # Kelvin sign is not an ASCII K for PHP
    assert slugify("!!!", 1700000000) == "model-1700000000"
    assert slugify("a" * 300, 0) == "a" * 191


def test_unique_slug() -> None:
    assert unique_slug("model", set()) == "model"
    assert unique_slug("model", {"model"}) == "model-1"
    assert unique_slug("model", {"model", "model-1"}) == "model-2"
    long = "b" * 191
    assert unique_slug(long, {long}) == "b" * 180 + "-1"
    assert unique_slug("model", {"model"}, current="model") == "model"


def test_parse_weighting_json() -> None:
    assert parse_weighting_json(None) == (None, None)
    assert parse_weighting_json("") == (None, None)
    assert parse_weighting_json('{"half_life_hours": 48}') == ({"half_life_hours": 48}, None)
    assert parse_weighting_json("[]") == ([], None)
    value, error = parse_weighting_json("{bad")
    assert value is None and error and "not valid JSON" in error
    assert parse_weighting_json("NaN")[1] is not None
