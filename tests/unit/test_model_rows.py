"""Whether upstream's ModelDefinition loads a 202_attribution_models row, and with which message
(docs/prosper202.md, "How unparseable model rows fail"; the full comparison is
tests/golden/model_hydrate.json)."""

from __future__ import annotations

import pytest

from attribtui.prosper import validation as v
from attribtui.prosper.models import ModelRow


def row(**over: object) -> ModelRow:
    base: dict[str, object] = {
        "model_id": 1, "user_id": 7, "model_name": "M", "model_slug": "m",
        "model_type": "last_touch", "weighting_config": None, "is_active": 1, "is_default": 0,
        "created_at": 1, "updated_at": 1}
    return ModelRow.from_mapping({**base, **over})


@pytest.mark.parametrize(("over", "php_class", "message"), [
    ({"model_name": ""}, "InvalidArgumentException", v.MSG_NAME_EMPTY),
    ({"model_slug": ""}, "InvalidArgumentException", v.MSG_SLUG_EMPTY),
    ({"weighting_config": "null"}, "InvalidArgumentException", v.MSG_PAYLOAD),
    ({"weighting_config": "5"}, "InvalidArgumentException", v.MSG_PAYLOAD),
    ({"weighting_config": "{bad"}, "JsonException", "Syntax error"),
    ({"weighting_config": "\u000b{}"}, "JsonException",
     "Control character error, possibly incorrectly encoded"),
    ({"model_type": "linear"}, "ValueError",
     '"linear" is not a valid backing value for enum Prosper202\\Attribution\\ModelType'),
    # the enum check comes first, then the config, then name and slug
    ({"model_type": "linear", "model_name": "", "weighting_config": "{bad"}, "ValueError",
     '"linear" is not a valid backing value for enum Prosper202\\Attribution\\ModelType'),
    ({"model_name": "", "weighting_config": "null"}, "InvalidArgumentException", v.MSG_PAYLOAD),
    ({"model_type": "time_decay", "weighting_config": "{}"}, "InvalidArgumentException",
     v.MSG_CONFIG_REQUIRED),
])
def test_rows_upstream_refuses(over: dict[str, object], php_class: str, message: str) -> None:
    failure = row(**over).failure
    assert failure is not None and (failure.php_class, failure.message) == (php_class, message)


@pytest.mark.parametrize("over", [
    {"model_name": " "},  # only the v2 API trims; hydration checks === ''
    {"weighting_config": "[]"},
    {"weighting_config": ""},
    {"model_type": "algorithmic", "weighting_config": "[1]"},  # a JSON list is an array
    {"model_type": "time_decay", "weighting_config": '{"half_life_hours": "1e19"}'},
])
def test_rows_upstream_loads(over: dict[str, object]) -> None:
    assert row(**over).failure is None


def test_config_is_a_php_array() -> None:
    assert row(weighting_config=None).config == []
    assert row(weighting_config="{}").config == []
    assert row(model_type="algorithmic", weighting_config='{"0": 1, "1": 2}').config == [1, 2]
