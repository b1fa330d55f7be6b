"""The ids an operator types: conv_ids for a lookup, one click_id for a reverse lookup.

Bad input is one line naming the token and the fix (an IdError, exit 64 headless).
"""

from __future__ import annotations

import re

from attribtui.vocab import UsageError

MAX_IDS = 500
MAX_CONV_ID = 4294967295  # conv_id is int(11) unsigned
MAX_CLICK_ID = 18446744073709551615  # click_id is bigint(20) unsigned

_SPLIT = re.compile(r"[\s,;]+")
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)


class IdError(UsageError):
    """Ids that cannot be used, as one line naming the bad token and the fix."""


# -- parsing ---------------------------------------------------------------------------------------


def _shown(token: str) -> str:
    return repr(token if len(token) <= 24 else token[:21] + "...")


def _parse_id(token: str, what: str, maximum: int) -> int:
    if not _INTEGER.fullmatch(token):
        raise IdError(f"{_shown(token)} is not a {what}: use whole numbers like 1234")
    digits = token.lstrip("+-").lstrip("0") or "0"
    if token.startswith("-") and digits != "0":
        raise IdError(f"{_shown(token)} is negative: a {what} is a positive whole number")
    if digits == "0":
        raise IdError(f"{_shown(token)}: {what} 0 does not exist; ids start at 1")
    if len(digits) > len(str(maximum)) or int(digits) > maximum:
        raise IdError(f"{_shown(token)} is too large: a {what} is at most {maximum}")
    return int(digits)


def parse_conv_ids(text: str, *, limit: int | None = MAX_IDS) -> list[int]:
    """conv_ids separated by spaces, commas, semicolons or newlines; duplicates dropped, order kept.

    Raises IdError for an empty list, a non-numeric, negative, zero or too large (> int unsigned)
    id, or more than `limit` distinct ids (None: the caller enforces its own cap).
    """
    tokens = [t for t in _SPLIT.split(text or "") if t]
    if not tokens:
        raise IdError("no conv_id given: enter one or more conv_ids separated by spaces, commas "
                      "or newlines")
    ids = list(dict.fromkeys(_parse_id(t, "conv_id", MAX_CONV_ID) for t in tokens))
    if limit is not None and len(ids) > limit:
        raise IdError(f"{len(ids)} conv_ids given: look up at most {limit} at once "
                      "(split the list)")
    return ids


def parse_click_id(text: str) -> int:
    """One click_id (bigint unsigned) for the reverse lookup."""
    tokens = [t for t in _SPLIT.split(text or "") if t]
    if len(tokens) != 1:
        raise IdError("give exactly one click_id for a reverse lookup, e.g. click:123456")
    return _parse_id(tokens[0], "click_id", MAX_CLICK_ID)
