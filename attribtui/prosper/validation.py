"""v2 model validation (docs/prosper202.md, "Models: object, list, validation" and "PATCH and
DELETE").

One copy of the rules and their exact messages, shared by the model lint check, the model editor
and the v2 API emulator. The small PHP helpers copy the casts the PHP relies on, because
``(bool)"false"`` and ``is_numeric(" 1")`` decide what Prosper202 accepts.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container, Mapping

MODEL_TYPES = ("last_touch", "time_decay", "position_based", "algorithmic", "assisted")
REQUIRES_WEIGHTING = ("time_decay", "position_based", "algorithmic")
NO_WEIGHTING = ("last_touch", "assisted")

MSG_NAME_REQUIRED = "Model name is required."
MSG_INVALID_TYPE = "Invalid model type supplied."
MSG_CONFIG_NOT_OBJECT = "Weighting configuration must be an object."
MSG_CONFIG_REQUIRED = "Weighting configuration required for the selected model type."
MSG_HALF_LIFE = 'Time decay models require a positive integer "half_life_hours" value.'
MSG_POSITION_NUMERIC = (
    'Position based models require numeric "first_touch_weight" and "last_touch_weight" values.'
)
MSG_POSITION_RANGE = "Position based weights must be between 0 and 1."
MSG_POSITION_SUM = "The sum of first and last touch weights must not exceed 1."
MSG_NO_WEIGHTING = "This attribution model does not accept weighting parameters."

SLUG_MAX = 191
SLUG_SUFFIX_BASE = 180

_WS = " \t\n\r\x0b\x0c"  # what is_numeric() skips around a number
_PHP_TRIM = " \t\n\r\x00\x0b"  # what trim() strips
_NUMERIC = re.compile(
    r"[ \t\n\r\x0b\x0c]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\x0b\x0c]*"
)
_LEADING_NUMBER = re.compile(r"[ \t\n\r\x0b\x0c]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INT64 = (-(2**63), 2**63 - 1)


def php_bool(value: object) -> bool:
    """PHP's ``(bool)`` cast: only "", "0", 0, 0.0, null and empty arrays are false."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value not in ("", "0")
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, list | tuple | dict):
        return len(value) > 0
    return True


def php_is_numeric(value: object) -> bool:
    """PHP 8 ``is_numeric``: ints, floats and numeric strings (surrounding whitespace allowed)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and _NUMERIC.fullmatch(value) is not None


def _clamp(n: int) -> int:
    return max(_INT64[0], min(_INT64[1], n))


def php_int(value: object) -> int:
    """PHP 8 ``(int)`` for JSON values (numeric strings saturate; non-finite floats give 0)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and abs(value) < 2**63 else 0
    if isinstance(value, str):
        match = _LEADING_NUMBER.match(value)
        if match is None:
            return 0
        text = match.group(0).strip(_WS)
        if re.fullmatch(r"[+-]?\d+", text):
            return _clamp(int(text))
        number = float(text)  # "1.9" -> 1, "1e3" -> 1000 since PHP 7.1
        if math.isinf(number):
            return _INT64[1] if number > 0 else _INT64[0]
        return _clamp(int(number))
    if isinstance(value, list | tuple | dict):
        return 1 if value else 0
    return 0


def php_float(value: object) -> float:
    """PHP ``(float)``: leading numeric prefix of a string, 0.0 when there is none."""
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        match = _LEADING_NUMBER.match(value)
        return float(match.group(0).strip(_WS)) if match else 0.0
    if isinstance(value, list | tuple | dict):
        return 1.0 if value else 0.0
    return 0.0


def _php_string(value: object) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    return value if isinstance(value, str) else str(value)


def _as_config(weighting_config: object) -> tuple[Mapping[str, object] | None, bool]:
    """(config as a mapping, ok). PHP json_decode(..., true) turns `{}` and `[]` alike into an
    empty array, so an empty list is an empty object. A non-empty list is an array in PHP too
    (is_array() would pass it), but it is not the object the contract asks for, so we refuse it.
    """
    if weighting_config is None:
        return {}, True
    if isinstance(weighting_config, Mapping):
        return weighting_config, True
    if isinstance(weighting_config, list) and not weighting_config:
        return {}, True
    return None, False


def validate_weighting(model_type: str, weighting_config: object) -> str | None:
    """Rules 3..7 for an already-valid type: the first failing message, or None."""
    config, ok = _as_config(weighting_config)
    if not ok or config is None:
        return MSG_CONFIG_NOT_OBJECT
    kind = _php_string(model_type).lower()
    if kind in REQUIRES_WEIGHTING and not config:
        return MSG_CONFIG_REQUIRED
    if kind == "time_decay":
        half_life = config.get("half_life_hours")
        if not php_is_numeric(half_life) or php_int(half_life) <= 0:
            return MSG_HALF_LIFE
    elif kind == "position_based":
        first = config.get("first_touch_weight")
        last = config.get("last_touch_weight")
        if not (php_is_numeric(first) and php_is_numeric(last)):
            return MSG_POSITION_NUMERIC
        f, l = php_float(first), php_float(last)  # noqa: E741
        if not (0.0 <= f <= 1.0 and 0.0 <= l <= 1.0):
            return MSG_POSITION_RANGE
        if f + l > 1.0:
            return MSG_POSITION_SUM
    elif kind in NO_WEIGHTING and config:
        return MSG_NO_WEIGHTING
    return None


def validate_model_payload(
    name: object, model_type: object, weighting_config: object
) -> str | None:
    """POST /models validation rules 1..7 in order: the first failing message, or None."""
    if _php_string(name).strip(_PHP_TRIM) == "":
        return MSG_NAME_REQUIRED
    if _php_string(model_type).lower() not in MODEL_TYPES:
        return MSG_INVALID_TYPE
    return validate_weighting(_php_string(model_type), weighting_config)


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
    """Decode a stored weighting_config column: (value, None) or (None, error message).

    NULL and '' mean "no config" (the PHP decodes them to an empty array).
    """
    if text is None or text == "":
        return None, None
    try:
        return json.loads(text, parse_constant=_refuse_constant), None
    except ValueError as exc:
        return None, f"weighting_config is not valid JSON: {exc}"


# --- baseline wrappers (the console's current behaviour, for the conformance harness) ---------

php_string = _php_string


class Decoded:
    def __init__(self, value: object, error: str | None) -> None:
        self.value, self.error = value, error


def decode_weighting_json(text: str | None) -> Decoded:
    value, err = parse_weighting_json(text)
    return Decoded(value, err)


class V2Error(Exception):
    def __init__(self, php_class: str, message: str) -> None:
        super().__init__(message)
        self.php_class, self.message = php_class, message


def _v2_model(model_id: int, user_id: int, name: str, slug: str, kind: str, config: object,
              is_active: bool, is_default: bool) -> dict[str, object]:
    return {"model_id": model_id, "user_id": user_id, "name": name, "slug": slug, "type": kind,
            "is_active": is_active or is_default, "is_default": is_default,
            "weighting_config": config if config else []}


def v2_create(user_id: int, p: Mapping[str, object], rows: list, now: int,  # type: ignore[type-arg]
              next_id: int) -> dict[str, object]:
    name, kind, config = p.get("name"), p.get("type"), p.get("weighting_config")
    err = validate_model_payload(name, kind, config)
    if err:
        raise V2Error("InvalidArgumentException", err)
    name, kind = str(name).strip(), str(kind).lower()
    taken = {x.slug for x in rows}
    slug = unique_slug(slugify(str(p.get("slug") or "") or name, now), taken)
    return _v2_model(next_id, user_id, name, slug, kind, config,
                     php_bool(p.get("is_active", True)), php_bool(p.get("is_default", False)))


def v2_update(user_id: int, model_id: int, p: Mapping[str, object], rows: list,  # type: ignore[type-arg]
              now: int) -> dict[str, object]:
    row = next((r for r in rows if r.model_id == model_id), None)
    if row is None or row.user_id != user_id:
        raise V2Error("InvalidArgumentException", "Attribution model not found.")
    if row.problem:
        raise V2Error("InvalidArgumentException", row.problem)
    current, _ = parse_weighting_json(row.weighting_config)
    name = p.get("name", row.name)
    kind = p.get("type", row.type)
    config = p.get("weighting_config", current)
    err = validate_model_payload(name, kind, config)
    if err:
        raise V2Error("InvalidArgumentException", err)
    name, kind = str(name).strip(), str(kind).lower()
    taken = {x.slug for x in rows}
    slug = unique_slug(slugify(str(p.get("slug") or "") or name, now), taken, current=row.slug)
    is_active = php_bool(p["is_active"]) if "is_active" in p else row.is_active
    is_default = php_bool(p["is_default"]) if "is_default" in p else row.is_default
    return _v2_model(row.model_id, user_id, name, slug, kind, config, is_active, is_default)
