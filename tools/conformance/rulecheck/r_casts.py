"""PHP's casts and is_numeric, which decide what the runner and v2 validation accept."""

from __future__ import annotations

import math

from attribtui.prosper import php as v

from .core import Answer, Context, Json, Rule, default_compare, output
from .values import NUMBERS, WHITESPACE, random_value


def _float(x: float) -> Json:
    if math.isfinite(x):
        return x
    return {"__float__": "NAN" if math.isnan(x) else ("INF" if x > 0 else "-INF")}


def ours(_ctx: Context, case: Json) -> Answer:
    value = case["value"]
    out = {
        "is_numeric": v.php_is_numeric(value),
        "int": v.php_int(value),
        "float": _float(v.php_float(value)),
        "bool": v.php_bool(value),
        "is_array": isinstance(value, list | dict),
        "empty": not v.php_bool(value),
    }
    if not isinstance(value, list | dict):
        out["string"] = v.php_string(value)
    return output(out)


def edges() -> list[Json]:
    values: list[Json] = [*NUMBERS, None, True, False, [], {}, [0], {"a": 1}, [[]], 0, -0.0, 0.0,
                          2 ** 63 - 1, -(2 ** 63), 1e19, -1e19, 9.2233720368547758e18, 1e15,
                          1e14, 99999999999999.0, 0.1 + 0.2, 1e-5, 1e-4, 0.0001, 5e-324, 1e308,
                          123456789012345.0, 1234567890123456.0, -1.5, 0.5, 1.0, 2.5, 1e22]
    for ws in WHITESPACE:
        values += [ws + "1", "1" + ws, ws + "1.5" + ws, ws]
    return [{"value": x} for x in values]


RULE = Rule(
    name="php_casts",
    php_rule="casts",
    upstream_files=("PHP 8.2 itself: is_numeric, (int), (float), (bool), (string), empty()",),
    edges=edges,
    random=lambda rng, _i: {"value": random_value(rng)},
    ours=ours,
    compare=default_compare,
    golden_random=1200,
)
