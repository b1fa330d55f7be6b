"""PHP 8.2's casts and json_decode, as upstream's rules depend on them.

Upstream decides with ``(int)``, ``(float)``, ``(string)``, ``(bool)``, ``is_numeric`` and
``json_decode(..., true, flags: JSON_THROW_ON_ERROR)``; where these disagree with Python's own
conversions, attribtui would accept a row upstream refuses or the reverse. Every function here was
checked against PHP 8.2 by tools/conformance (rules php_casts and weighting_json; golden files
tests/golden/php_casts.json and weighting_json.json).

A decoded PHP array is a Python ``list`` when PHP's ``array_is_list`` holds (JSON ``{"0": 1}``
decodes to the list ``[1]``), else a ``dict`` with string keys.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
TRIM = " \t\n\r\x00\x0b"  # what trim() strips
_WS = " \t\n\r\x0b\x0c"  # what is_numeric() and (int) skip around a number
_NUMERIC = re.compile(
    r"[ \t\n\r\x0b\x0c]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\x0b\x0c]*"
)
_LEADING_NUMBER = re.compile(r"[ \t\n\r\x0b\x0c]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_INT_KEY = re.compile(r"0|-?[1-9][0-9]*")
_TWO_63, _TWO_64 = 2.0**63, 2.0**64


def php_bool(value: object) -> bool:
    """``(bool)``: only "", "0", 0, 0.0, null and empty arrays are false (so "false" is true)."""
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value not in ("", "0")
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, list | tuple | dict):
        return len(value) > 0
    return True


def php_empty(value: object) -> bool:
    """``empty()`` on a value that is set."""
    return not php_bool(value)


def php_is_numeric(value: object) -> bool:
    """``is_numeric``: ints, floats and numeric strings (whitespace allowed around the number)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and _NUMERIC.fullmatch(value) is not None


def float_to_int(d: float) -> int:
    """``(int)`` of a float: truncation, wrapping modulo 2**64 out of range (zend_dval_to_lval),
    0 for INF and NAN. So ``(int) 1e19`` is -8446744073709551616, not a clamp."""
    if not math.isfinite(d):
        return 0
    if -_TWO_63 <= d < _TWO_63:
        return int(d)
    dmod = math.fmod(d, _TWO_64)
    if dmod < 0:
        dmod += _TWO_64
    if dmod > _TWO_63:
        dmod -= _TWO_64
    n = int(dmod)
    return n - 2**64 if n > INT64_MAX else n


def _capped(d: float) -> int:
    # zend_dval_to_lval_cap, used for numeric strings: saturates, but INF and NAN give 0.
    if not math.isfinite(d):
        return 0
    if d >= _TWO_63:
        return INT64_MAX
    if d < -_TWO_63:
        return INT64_MIN
    return int(d)


def php_int(value: object) -> int:
    """``(int)`` of a decoded JSON value. Numeric strings use their leading number ("12abc" is
    12) and saturate; floats wrap (``float_to_int``); arrays are 0 or 1."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return float_to_int(value)
    if isinstance(value, str):
        match = _LEADING_NUMBER.match(value)
        if match is None:
            return 0
        text = match.group(0).strip(_WS)
        if _INTEGER.fullmatch(text):
            n = int(text)
            if INT64_MIN <= n <= INT64_MAX:
                return n
        return _capped(float(text))
    if isinstance(value, list | tuple | dict):
        return 1 if value else 0
    return 0


def php_float(value: object) -> float:
    """``(float)``: the leading number of a string (0.0 when none); arrays are 0.0 or 1.0."""
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        match = _LEADING_NUMBER.match(value)
        return float(match.group(0).strip(_WS)) if match else 0.0
    if isinstance(value, list | tuple | dict):
        return 1.0 if value else 0.0
    return 0.0


def float_to_string(x: float, precision: int = 14) -> str:
    """``(string)`` of a float: ``%.14G`` as PHP writes it ("1.0E+25", "0.3", "-0", "INF")."""
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INF" if x > 0 else "-INF"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    sign = "-" if x < 0 else ""
    mantissa, exponent = f"{abs(x):.{precision - 1}e}".split("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    point = int(exponent) + 1  # the decimal point's position in ``digits``
    if point < -3 or point > precision:
        head = digits[0] + "." + (digits[1:] or "0")
        power = point - 1
        return f"{sign}{head}E{'+' if power >= 0 else '-'}{abs(power)}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def php_string(value: object) -> str:
    """``(string)`` of a decoded JSON scalar (an array gives "Array", as PHP does with a
    warning)."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float):
        return float_to_string(value)
    if isinstance(value, list | tuple | dict):
        return "Array"
    return value if isinstance(value, str) else str(value)


def php_trim(text: str) -> str:
    return text.strip(TRIM)


# --- json_decode($text, true, 512, JSON_THROW_ON_ERROR) -------------------------------------------

MSG_SYNTAX = "Syntax error"
MSG_CTRL = "Control character error, possibly incorrectly encoded"
MSG_MISMATCH = "State mismatch (invalid or malformed JSON)"
MSG_DEPTH = "Maximum stack depth exceeded"
MSG_UTF16 = "Single unpaired UTF-16 surrogate in unicode escape"
MAX_DEPTH = 512

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_ESCAPES = frozenset('"\\/bfnrt')


class JsonError(ValueError):
    """json_decode's JsonException; ``str()`` is PHP's message."""


def _string_end(text: str, i: int) -> int:
    """Index after the string literal starting at text[i] == '"' (PHP's scanner errors)."""
    j, n = i + 1, len(text)
    while True:
        if j >= n:
            raise JsonError(MSG_CTRL)  # the scanner reads the terminating NUL
        c = text[j]
        if c == '"':
            return j + 1
        if c < " ":
            raise JsonError(MSG_CTRL)
        if c != "\\":
            j += 1
            continue
        nxt = text[j + 1] if j + 1 < n else ""
        if nxt in _ESCAPES and nxt:
            j += 2
            continue
        if nxt != "u" or not _HEX4.fullmatch(text, j + 2, j + 6):
            raise JsonError(MSG_SYNTAX)
        code = int(text[j + 2:j + 6], 16)
        if 0xD800 <= code <= 0xDBFF:
            low = text[j + 6:j + 12]
            if (len(low) == 6 and low[:2] == "\\u" and _HEX4.fullmatch(low, 2)
                    and 0xDC00 <= int(low[2:], 16) <= 0xDFFF):
                j += 12
                continue
            raise JsonError(MSG_UTF16)
        if 0xDC00 <= code <= 0xDFFF:
            raise JsonError(MSG_UTF16)
        j += 6


def _tokens(text: str) -> Iterator[str]:
    """PHP's JSON scanner: one character per token kind ('{', '[', ':', ',', 's' string,
    'v' other scalar, '$' end); lexical errors raise where the scanner meets them."""
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\n\r":
            i += 1
        if i >= n:
            yield "$"
            return
        c = text[i]
        if c in "{}[]:,":
            i += 1
            yield c
        elif c == '"':
            i = _string_end(text, i)
            yield "s"
        elif text.startswith(("true", "null"), i):
            i += 4
            yield "v"
        elif text.startswith("false", i):
            i += 5
            yield "v"
        elif (m := _NUMBER.match(text, i)) is not None:
            i = m.end()
            yield "v"
        elif c < " ":
            raise JsonError(MSG_CTRL)
        else:
            raise JsonError(MSG_SYNTAX)


def _check_grammar(text: str) -> None:
    """PHP's JSON parser over the scanner: the first error in reading order wins."""
    tokens = _tokens(text)
    stack: list[str] = []  # '[' or '{' per open container
    expect = "value"  # value | first_value | key | first_key | colon | after
    for tok in tokens:
        if expect in ("value", "first_value"):
            if tok in "[{":
                if len(stack) >= MAX_DEPTH - 1:  # PHP counts the document as a level
                    raise JsonError(MSG_DEPTH)
                stack.append(tok)
                expect = "first_value" if tok == "[" else "first_key"
                continue
            if tok in "sv":
                expect = "after"
                continue
            if expect == "first_value" and tok in "]}":
                if tok == "}":
                    raise JsonError(MSG_MISMATCH)
                stack.pop()
                expect = "after"
                continue
            raise JsonError(MSG_SYNTAX)
        if expect in ("key", "first_key"):
            if tok == "s":
                expect = "colon"
                continue
            if expect == "first_key" and tok in "]}":
                if tok == "]":
                    raise JsonError(MSG_MISMATCH)
                stack.pop()
                expect = "after"
                continue
            raise JsonError(MSG_SYNTAX)
        if expect == "colon":
            if tok != ":":
                raise JsonError(MSG_SYNTAX)
            expect = "value"
            continue
        # after a value
        if not stack:
            if tok != "$":
                raise JsonError(MSG_SYNTAX)
            return
        if tok == ",":
            expect = "value" if stack[-1] == "[" else "key"
            continue
        if tok in "]}":
            if (tok == "]") != (stack[-1] == "["):
                raise JsonError(MSG_MISMATCH)
            stack.pop()
            continue
        raise JsonError(MSG_SYNTAX)


def _parse_int(text: str) -> int | float:
    # A JSON integer beyond int64 becomes a float in PHP (no JSON_BIGINT_AS_STRING).
    n = int(text)
    return n if INT64_MIN <= n <= INT64_MAX else float(text)


def _refuse(token: str) -> object:
    raise JsonError(MSG_SYNTAX)


def php_array(value: object) -> object:
    """A decoded JSON value with PHP's array semantics: an object whose keys are PHP's integer
    keys 0..n-1 in order is a list (array_is_list), as json_encode would write it back.

    Iterative, since PHP allows 511 levels and Python's recursion limit is not far above.
    """
    if not isinstance(value, list | dict):
        return value
    # Post-order over containers: each is rebuilt after its children.
    done: dict[int, object] = {}
    stack: list[tuple[list[object] | dict[str, object], bool]] = [(value, False)]
    while stack:
        node, ready = stack.pop()
        children = list(node.values()) if isinstance(node, dict) else node
        if not ready:
            stack.append((node, True))
            stack.extend((c, False) for c in children if isinstance(c, list | dict))
            continue
        if isinstance(node, list):
            done[id(node)] = [done.get(id(c), c) if isinstance(c, list | dict) else c
                              for c in node]
            continue
        assert isinstance(node, dict)
        items = [(k, done[id(c)] if isinstance(c, list | dict) else c) for k, c in node.items()]
        if all(_INT_KEY.fullmatch(k) and int(k) == i for i, (k, _) in enumerate(items)):
            done[id(node)] = [c for _, c in items]
        else:
            done[id(node)] = dict(items)
    return done[id(value)]


def json_decode(text: str) -> object:
    """``json_decode($text, true, 512, JSON_THROW_ON_ERROR)``; raises JsonError with PHP's
    message. Objects and arrays come back as PHP arrays (``php_array``)."""
    _check_grammar(text)
    return php_array(json.loads(text, parse_int=_parse_int, parse_constant=_refuse))


def array_get(array: object, key: str) -> object:
    """``$array[$key] ?? null`` on a decoded PHP array (a list has no string keys)."""
    return array.get(key) if isinstance(array, dict) else None
