"""Random values shaped like what reaches upstream's casts: JSON scalars, numeric-looking strings,
arrays, and texts that are almost JSON."""

from __future__ import annotations

import json
from random import Random

from .core import Json

WHITESPACE = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x00", "\xa0"]
NUMBERS = [
    "0", "1", "-1", "+1", "00", "01", "1.", ".5", "-.5", "+.5", "1.5", "1e3", "1E3", "1e+3", "1e-3",
    "1.5e3", ".e1", "e1", "1e", "1e+", "0x1A", "0b11", "0o7", "1_000", "1,5", "inf", "INF", "NAN",
    "nan", "Infinity", "-0", "-0.0", "0.0", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "1e19", "-1e19", "1e308", "1e309", "-1e309",
    "4.9e-324", "2.5e-324", "0.49999999999999994", "1.9999999999999999", "48", "48.0", "48.9",
    "0.4", "0.6", "1.0000001", "0.9999999", "", " ", "-", "+", ".", "1 2", "12abc", "abc12",
    "1e1000", "123456789012345678901234567890", "0.1", "0.30000000000000004", "1e-5", "1e-4",
    "100000000000000", "99999999999999", "1e15", "-1e-7", "1.5E-7", "2", "3", "25",
]


def numeric_string(rng: Random) -> str:
    """A string that may or may not be numeric to PHP, with the whitespace PHP cares about."""
    core = rng.choice(NUMBERS) if rng.random() < 0.7 else random_number_text(rng)
    pre = "".join(rng.choice(WHITESPACE) for _ in range(rng.choice([0, 0, 0, 1, 2])))
    post = "".join(rng.choice(WHITESPACE) for _ in range(rng.choice([0, 0, 0, 1, 2])))
    return pre + core + post


def random_number_text(rng: Random) -> str:
    sign = rng.choice(["", "", "-", "+"])
    whole = str(rng.randint(0, 10 ** rng.randint(0, 20)))
    frac = "." + str(rng.randint(0, 10 ** rng.randint(0, 6))) if rng.random() < 0.5 else ""
    exp = f"e{rng.choice(['', '-', '+'])}{rng.randint(0, 400)}" if rng.random() < 0.2 else ""
    return sign + whole + frac + exp


def random_float(rng: Random) -> float:
    pick = rng.random()
    if pick < 0.3:
        return rng.uniform(-2, 2)
    if pick < 0.5:
        return rng.choice([0.0, -0.0, 0.5, 1.0, 1.5, 0.1, 0.2, 0.4, 0.6, 1e19, -1e19, 9.2e18,
                           9.3e18, 1e15, 1e14, 1e-5, 1e-4, 1e300, 5e-324, 48.0, 2.0 ** 63,
                           -(2.0 ** 63), 2.0 ** 64, 123456789.123456789])
    if pick < 0.8:
        return rng.uniform(-1e6, 1e6)
    return float(f"{rng.uniform(1, 10)}e{rng.randint(-320, 307)}")


def random_int(rng: Random) -> int:
    pick = rng.random()
    if pick < 0.5:
        return rng.randint(-5, 100)
    if pick < 0.7:
        return rng.choice([2 ** 63 - 1, -(2 ** 63), 2 ** 31, 2 ** 53 + 1, 0, 1, -1])
    return rng.randint(-(2 ** 63), 2 ** 63 - 1)


def random_scalar(rng: Random) -> Json:
    pick = rng.random()
    if pick < 0.35:
        return numeric_string(rng)
    if pick < 0.55:
        return random_int(rng)
    if pick < 0.75:
        return random_float(rng)
    if pick < 0.85:
        return rng.choice([True, False, None])
    return random_text(rng)


def random_text(rng: Random, max_len: int = 12) -> str:
    alphabet = ("abcxyzABCXYZ019 -_./\\\t\n'\"é€𝄞İıſKß\u00a0\u200b\x7f" + "".join(WHITESPACE))
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len)))


def random_value(rng: Random, depth: int = 0) -> Json:
    """A decoded JSON value: scalars mostly, sometimes arrays and objects."""
    pick = rng.random()
    if depth < 2 and pick < 0.1:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if depth < 2 and pick < 0.18:
        keys = ["a", "0", "1", "half_life_hours", "first_touch_weight", "", "x"]
        return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return random_scalar(rng)


def mutate_json(rng: Random, text: str) -> str:
    """A near miss of a JSON text: a cut, an inserted or removed character, odd whitespace."""
    if not text:
        return rng.choice(["{", "[", "\"", " "])
    pick = rng.random()
    i = rng.randrange(len(text) + 1)
    if pick < 0.25:
        return text[:i]
    if pick < 0.5:
        insert = rng.choice([",", "}", "]", "\"", ":", " ", "\x00", "\x01", "\x1f", "\\", "'",
                             "\u00a0", "\ufeff", "\x0b", "\x0c", "NaN", "-", "0", "e"])
        return text[:i] + insert + text[i:]
    if pick < 0.7 and i < len(text):
        return text[:i] + text[i + 1:]
    if pick < 0.85:
        return rng.choice(["\ufeff", " ", "\t", "\n", "\x0b"]) + text + rng.choice(["", " ", "\x00"])
    return text.replace(":", ": ", 1).replace(",", " ,\n", 1)


def json_text(rng: Random, value: Json) -> str:
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.3:
        text = json.dumps(value, indent=rng.choice([None, 1, "\t"]))
    return text
