"""v2 model validation and ModelDefinition's rules (docs/prosper202.md, "Models: object, list,
validation", "Slugs" and "How unparseable model rows fail").

One copy of the rules and their exact messages, shared by the model lint checks, the model editor,
the v2 API emulator and the rebuild stand-in. The casts come from prosper/php.py, because
``(bool)"false"``, ``is_numeric(" 1")`` and ``(int) 1e19`` decide what Prosper202 accepts.
tools/conformance checks all of it against upstream (golden files tests/golden/model_hydrate.json,
v2_create.json, v2_update.json, v2_slugify.json).
"""

from __future__ import annotations

import json
import re
from collections.abc import Container
from dataclasses import dataclass

from attribtui.prosper.php import (
    JsonError,
    array_get,
    json_decode,
    php_bool,
    php_empty,
    php_float,
    php_int,
    php_is_numeric,
    php_string,
)

__all__ = [
    "MODEL_TYPES",
    "Failure",
    "decode_weighting_config",
    "php_bool",
    "php_float",
    "php_int",
    "php_is_numeric",
    "php_string",
    "slugify",
    "unique_slug",
    "validate_model_payload",
    "validate_weighting",
    "weighting_rule",
]

MODEL_TYPES = ("last_touch", "time_decay", "position_based", "algorithmic", "assisted")
REQUIRES_WEIGHTING = ("time_decay", "position_based", "algorithmic")
NO_WEIGHTING = ("last_touch", "assisted")

# AttributionService::createModel / updateModel
MSG_NAME_REQUIRED = "Model name is required."
MSG_INVALID_TYPE = "Invalid model type supplied."
MSG_CONFIG_NOT_OBJECT = "Weighting configuration must be an object."
MSG_NOT_FOUND = "Attribution model not found."
# ModelDefinition
MSG_NAME_EMPTY = "Model name cannot be empty."
MSG_SLUG_EMPTY = "Model slug cannot be empty."
MSG_PAYLOAD = "Invalid weighting configuration payload."
MSG_CONFIG_REQUIRED = "Weighting configuration required for the selected model type."
MSG_HALF_LIFE = 'Time decay models require a positive integer "half_life_hours" value.'
MSG_POSITION_NUMERIC = (
    'Position based models require numeric "first_touch_weight" and "last_touch_weight" values.'
)
MSG_POSITION_RANGE = "Position based weights must be between 0 and 1."
MSG_POSITION_SUM = "The sum of first and last touch weights must not exceed 1."
MSG_ALGORITHMIC = "Algorithmic models must include configuration details."  # unreachable upstream
MSG_NO_WEIGHTING = "This attribution model does not accept weighting parameters."

SLUG_MAX = 191
SLUG_SUFFIX_BASE = 180

_PHP_TRIM = " \t\n\r\x00\x0b"  # what trim() strips
ENUM = "Prosper202\\Attribution\\ModelType"
INVALID_ARGUMENT = "InvalidArgumentException"


@dataclass(frozen=True)
class Failure:
    """Why upstream refuses a row or a request: the PHP exception class and its message.

    ``InvalidArgumentException`` is a 400 with the message on the v2 model-id routes; a
    ``ValueError`` (type outside the enum) or ``JsonException`` (config not JSON) is a 500.
    """

    php_class: str
    message: str

    @property
    def is_invalid_argument(self) -> bool:
        return self.php_class == INVALID_ARGUMENT


def enum_failure(model_type: str) -> Failure:
    """ModelType::from's ValueError (PHP's "%s" stops at a NUL byte)."""
    shown = model_type.split("\x00", 1)[0]
    return Failure("ValueError", f'"{shown}" is not a valid backing value for enum {ENUM}')


def decode_weighting_config(text: str | None) -> tuple[object, Failure | None]:
    """ModelDefinition::decodeConfig on a stored column: (PHP array, None) or (None, failure).

    NULL and '' are the empty array; any other text must be JSON (PHP's json_decode, depth 512)
    and decode to an array: ``null``, ``5`` or ``"x"`` fail with ``Invalid weighting
    configuration payload.``. A JSON list is an array too.
    """
    if text is None or text == "":
        return [], None
    try:
        value = json_decode(text)
    except JsonError as exc:
        return None, Failure("JsonException", str(exc))
    if not isinstance(value, list | dict):
        return None, Failure(INVALID_ARGUMENT, MSG_PAYLOAD)
    return value, None


def weighting_rule(model_type: str, config: object) -> str | None:
    """ModelDefinition's config rules for an enum type and a PHP array (dict or list): the
    requiresWeighting check, then assertValidWeightingConfig. The first failing message."""
    if model_type in REQUIRES_WEIGHTING and php_empty(config):
        return MSG_CONFIG_REQUIRED
    if model_type == "time_decay":
        half_life = array_get(config, "half_life_hours")
        if not php_is_numeric(half_life) or php_int(half_life) <= 0:
            return MSG_HALF_LIFE
    elif model_type == "position_based":
        first = array_get(config, "first_touch_weight")
        last = array_get(config, "last_touch_weight")
        if not (php_is_numeric(first) and php_is_numeric(last)):
            return MSG_POSITION_NUMERIC
        f, l = php_float(first), php_float(last)  # noqa: E741
        if f < 0 or l < 0 or f > 1 or l > 1:
            return MSG_POSITION_RANGE
        if f + l > 1.0:
            return MSG_POSITION_SUM
    elif model_type == "algorithmic":
        if php_empty(config):
            return MSG_ALGORITHMIC
    elif model_type in NO_WEIGHTING and not php_empty(config):
        return MSG_NO_WEIGHTING
    return None


def validate_weighting(model_type: str, weighting_config: object) -> str | None:
    """v2 rules 3..7 for a request's ``weighting_config`` (a decoded JSON value; None is the
    empty array): the first failing message, or None. Any array passes rule 3, a JSON list
    included (PHP's is_array)."""
    if weighting_config is not None and not isinstance(weighting_config, list | dict):
        return MSG_CONFIG_NOT_OBJECT
    config = [] if weighting_config is None else weighting_config
    return weighting_rule(php_string(model_type).lower(), config)


def validate_model_payload(
    name: object, model_type: object, weighting_config: object
) -> str | None:
    """POST /models validation rules 1..7 in order: the first failing message, or None."""
    if php_string(name).strip(_PHP_TRIM) == "":
        return MSG_NAME_REQUIRED
    if php_string(model_type).lower() not in MODEL_TYPES:
        return MSG_INVALID_TYPE
    return validate_weighting(php_string(model_type), weighting_config)


def slugify(source: str, now: int) -> str:
    """The v2 slug: lowercase, runs of [^a-z0-9] to '-', edge dashes trimmed, cut to 191.

    Lowercasing is ASCII-only like PHP 8's strtolower, so e.g. the Kelvin sign is not a 'k'.
    """
    text = source.strip(_PHP_TRIM)
    text = text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return (slug or f"model-{now}")[:SLUG_MAX]


def unique_slug(base: str, taken: Container[str], current: str | None = None) -> str:
    """First free slug: ``base`` (cut to 191), else its first 180 chars plus -1, -2, ...

    ``current`` is the model's own slug on PATCH: reaching it counts as free, as in the PHP.
    """
    base = base[:SLUG_MAX]
    candidate, suffix = base, 1
    while candidate in taken and candidate != current:
        candidate = f"{base[:SLUG_SUFFIX_BASE]}-{suffix}"
        suffix += 1
    return candidate


def _refuse_constant(token: str) -> object:
    raise ValueError(f"{token} is not JSON")


def parse_weighting_json(text: str | None) -> tuple[object | None, str | None]:
    """A tolerant JSON decode for display (audit metadata): (value, None) or (None, error).

    NULL and '' mean "nothing". Model rows are decoded by ``decode_weighting_config``, which
    follows upstream.
    """
    if text is None or text == "":
        return None, None
    try:
        return json.loads(text, parse_constant=_refuse_constant), None
    except (ValueError, RecursionError) as exc:
        return None, f"weighting_config is not valid JSON: {exc}"
