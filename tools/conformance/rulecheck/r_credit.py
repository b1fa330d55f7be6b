"""The credit strategies (every type, through the runner's own strategy choice), the journey the
strategies credit (getJourney), and how MariaDB stores the resulting doubles."""

from __future__ import annotations

import math
from decimal import Decimal
from random import Random

from attribtui.prosper import credit as cr
from attribtui.prosper.hours import hour
from attribtui.prosper.journey import Touch, journey_for_credit
from attribtui.prosper.models import ModelRow

from . import gen_models as g
from .core import Answer, Context, Json, Rule, default_compare, error, output

CREDIT_FILES = (
    "202-config/Attribution/AttributionJobRunner.php (resolveStrategy)",
    "202-config/Attribution/Calculation/LastTouchStrategy.php",
    "202-config/Attribution/Calculation/TimeDecayStrategy.php",
    "202-config/Attribution/Calculation/PositionBasedStrategy.php",
    "202-config/Attribution/Calculation/AssistedStrategy.php",
    "202-config/Attribution/Calculation/ConversionRecord.php (getJourney)",
    "202-config/Attribution/ModelDefinition.php",
)


# --- strategies ----------------------------------------------------------------------------------

def ours_credit(_ctx: Context, case: Json) -> Answer:
    model = ModelRow.from_mapping(case["model"])
    failure = model.failure
    if failure is not None:
        return error(failure.php_class, failure.message)
    hours: dict[int, dict[str, Json]] = {}
    for c in case["conversions"]:
        converting = Touch(c["click_id"], c["click_time"])
        journey = journey_for_credit([Touch(i, t) for i, t in c["journey"]], converting)
        credits = cr.assign_credits(model.type, model.config, journey, converting, c["conv_time"])
        part = cr.contribution(credits, Decimal(c["payout"]), Decimal(c["cost"]))
        bucket = hours.setdefault(hour(c["conv_time"]), {
            "date_hour": hour(c["conv_time"]), "clicks": 0, "conversions": 0, "parts": [],
            "touchpoints": []})
        bucket["clicks"] += part.clicks
        bucket["conversions"] += 1
        bucket["parts"].append(part)
        bucket["touchpoints"] += [[c["conv_id"], x.position, x.click_id, x.credit, x.credit]
                                  for x in credits]
    out = []
    for b in hours.values():
        revenue, cost = cr.hour_totals(b.pop("parts"))
        out.append({"date_hour": b["date_hour"], "clicks": b["clicks"],
                    "conversions": b["conversions"], "revenue": revenue, "cost": cost,
                    "touchpoints": b["touchpoints"]})
    return output({"hours": out})


def compare_credit(case: Json, upstream: Answer, ours: Answer,
                _ctx: Context | None = None) -> tuple[str, str] | None:
    if "output" in upstream:
        upstream = {"output": {"hours": upstream["output"]["hours"]}}
    if "output" in upstream and "output" in ours:
        up_hours, our_hours = upstream["output"]["hours"], ours["output"]["hours"]
        if len(up_hours) == len(our_hours):
            for u, o in zip(up_hours, our_hours, strict=True):
                if [t[:3] for t in u["touchpoints"]] != [t[:3] for t in o["touchpoints"]]:
                    return ("touches", f"upstream {u['touchpoints']} / ours {o['touchpoints']}")
                for ut, ot in zip(u["touchpoints"], o["touchpoints"], strict=True):
                    if ut[3] != ot[3] or ut[4] != ot[4]:
                        kind = "credit_last_bit" if math.isclose(ut[3], ot[3], rel_tol=1e-12) \
                            else "credit"
                        return (kind, f"position {ut[1]}: upstream {ut[3]!r} / ours {ot[3]!r}")
                for key in ("clicks", "conversions"):
                    if u[key] != o[key]:
                        return (key, f"upstream {u[key]} / ours {o[key]}")
                for key in ("revenue", "cost"):
                    if u[key] != o[key]:
                        return (f"{key}_float", f"upstream {u[key]!r} / ours {o[key]!r}")
    return default_compare(case, upstream, ours)


def _payout(rng: Random) -> str:
    return rng.choice(["0.00000", "1.00000", "12.50000", "0.33333", "99999.99999", "2.00000",
                       f"{rng.uniform(0, 500):.5f}", f"{rng.uniform(0, 5):.5f}"])


def _cost(rng: Random) -> str:
    return rng.choice(["0.00000", "0.10000", "1.00000", "0.33333", "99.99999",
                       f"{rng.uniform(0, 3):.5f}"])


def _conversion(rng: Random, conv_id: int, conv_time: int) -> Json:
    click_id = rng.randint(1, 60)
    n = rng.choice([0, 0, 1, 2, 3, 4, 5, 8, 12, 25, 26, rng.randint(0, 30)])
    spread = rng.choice([3600, 86400, 2592000, 10 ** 7, 60])
    journey = []
    for _ in range(n):
        t = conv_time - rng.randint(-120, spread)
        journey.append([rng.randint(1, 60), max(0, t)])
    if journey and rng.random() < 0.3:
        journey.append(list(rng.choice(journey)))  # a stored duplicate
    if rng.random() < 0.4 and journey:
        journey[rng.randrange(len(journey))][0] = click_id  # the converting click is stored
    journey.sort(key=lambda t: (t[1], t[0]))
    click_time = conv_time - rng.choice([0, 1, 60, 3600, 86400, -60, -7200, 2592000, 3000000,
                                         rng.randint(0, spread)])
    return {"conv_id": conv_id, "click_id": click_id, "conv_time": conv_time,
            "click_time": max(0, click_time), "payout": _payout(rng), "cost": _cost(rng),
            "journey": journey}


def credit_random(rng: Random, i: int) -> Json:
    kind = rng.choice(g.TYPES)
    model = g.model_row(rng, i + 1, 7, valid_bias=1.0)
    model["model_type"] = kind
    model["weighting_config"] = g.valid_config_text(rng, kind)
    base = 1700000000 + rng.randint(0, 10 ** 6)
    conversions = [_conversion(rng, k + 1, base + rng.choice([0, 60, 3599, 3600, 7300]))
                   for k in range(rng.choice([1, 1, 1, 2, 3]))]
    return {"model": model, "conversions": conversions}


def credit_edges() -> list[Json]:
    cases: list[Json] = []
    configs = {
        "last_touch": [None], "assisted": [None], "algorithmic": ["{\"a\":1}"],
        "time_decay": ["{\"half_life_hours\":1}", "{\"half_life_hours\":48}",
                       "{\"half_life_hours\":\"24.9\"}", "{\"half_life_hours\":100000}"],
        "position_based": [
            "{\"first_touch_weight\":0.4,\"last_touch_weight\":0.4}",
            "{\"first_touch_weight\":0,\"last_touch_weight\":0}",
            "{\"first_touch_weight\":0.3,\"last_touch_weight\":0.3}",
            "{\"first_touch_weight\":0.1,\"last_touch_weight\":0.2}",
            "{\"first_touch_weight\":0.5,\"last_touch_weight\":0.5}",
            "{\"first_touch_weight\":1,\"last_touch_weight\":0}",
            "{\"first_touch_weight\":0,\"last_touch_weight\":1}",
            "{\"first_touch_weight\":\"0.2\",\"last_touch_weight\":\"0.7\"}",
            "{\"first_touch_weight\":0.33,\"last_touch_weight\":0.33}"],
    }
    t0 = 1700003600
    for kind, cfgs in configs.items():
        for cfg in cfgs:
            model = {"model_id": 1, "user_id": 7, "model_name": "M", "model_slug": "m",
                     "model_type": kind, "weighting_config": cfg, "is_active": 1,
                     "is_default": 0, "created_at": 1, "updated_at": 1}
            for n in (0, 1, 2, 3, 4, 5, 8, 25, 26, 27):
                journey = [[100 + k, t0 - 3600 * (n - k)] for k in range(n)]
                for converting in (100 + n - 1 if n else 99, 99):
                    conv = {"conv_id": 1, "click_id": converting, "conv_time": t0 + 10,
                            "click_time": t0 - 50, "payout": "10.00000", "cost": "0.33333",
                            "journey": journey}
                    cases.append({"model": model, "conversions": [conv]})
            # every touch underflows (time decay's equal split and its fallback)
            far = [[1, 0], [2, 1], [3, 2]]
            cases.append({"model": model, "conversions": [
                {"conv_id": 1, "click_id": 2, "conv_time": 1700000000, "click_time": 1,
                 "payout": "3.00000", "cost": "1.00000", "journey": far}]})
            # a converting click stamped after the conversion, and one stored with another time
            cases.append({"model": model, "conversions": [
                {"conv_id": 1, "click_id": 5, "conv_time": t0, "click_time": t0 + 500,
                 "payout": "1.00000", "cost": "0.10000", "journey": [[4, t0 - 10], [6, t0 - 5]]},
                {"conv_id": 2, "click_id": 4, "conv_time": t0 + 1, "click_time": t0 - 99999,
                 "payout": "1.00000", "cost": "0.10000", "journey": [[4, t0 - 10], [6, t0 - 5]]}]})
    return cases


CREDIT_RULE = Rule(
    name="credit",
    php_rule="credit",
    upstream_files=CREDIT_FILES,
    edges=credit_edges,
    random=credit_random,
    ours=ours_credit,
    compare=compare_credit,
    golden_random=400,
)


# --- getJourney ------------------------------------------------------------------------------------

def ours_getjourney(_ctx: Context, case: Json) -> Answer:
    journey = journey_for_credit([Touch(i, t) for i, t in case["stored"]],
                                 Touch(case["click_id"], case["click_time"]))
    return output([[t.click_id, t.click_time] for t in journey])


def getjourney_random(rng: Random, _i: int) -> Json:
    n = rng.randint(0, 30)
    stored = [[rng.randint(1, 12), rng.randint(0, 20)] for _ in range(n)]
    if rng.random() < 0.5:
        stored.sort(key=lambda t: (t[1], t[0]))
    return {"stored": stored, "click_id": rng.randint(1, 12), "click_time": rng.randint(0, 25)}


GETJOURNEY_RULE = Rule(
    name="journey_for_credit",
    php_rule="journey_for_credit",
    upstream_files=("202-config/Attribution/Calculation/ConversionRecord.php (getJourney)",),
    edges=lambda: [{"stored": [], "click_id": 1, "click_time": 5},
                   {"stored": [[1, 5]], "click_id": 1, "click_time": 9},
                   {"stored": [[2, 5], [1, 5]], "click_id": 3, "click_time": 5},
                   {"stored": [[1, 5], [1, 5]], "click_id": 1, "click_time": 0},
                   {"stored": [[3, 9], [1, 1]], "click_id": 2, "click_time": 100}],
    random=getjourney_random,
    ours=ours_getjourney,
    compare=default_compare,
    golden_random=600,
)


# --- how MariaDB stores a double bound into decimal(10,5) and decimal(12,4) -----------------------

def ours_decimal(_ctx: Context, case: Json) -> Answer:
    return output({"stored": [[f"{cr.round_credit(x)}", f"{cr.store_money(x)}"]
                              for x in case["values"]]})


def decimal_random(rng: Random, i: int) -> Json:
    values: list[float] = []
    for _ in range(20):
        pick = rng.random()
        if pick < 0.3:
            values.append(rng.randint(0, 200000) / 200000)  # halfway points of the 5th decimal
        elif pick < 0.5:
            values.append(1 / rng.randint(1, 30))
        elif pick < 0.7:
            values.append(rng.randint(0, 2 * 10 ** 9) / 2 * 1e-4)  # money halfway points
        elif pick < 0.85:
            values.append(rng.uniform(0, 1))
        else:
            values.append(rng.uniform(0, 9999) * rng.choice([1, 1 / 3, 1 / 7, 0.1]))
    return {"base": (i + 1) * 100, "values": values}


DECIMAL_RULE = Rule(
    name="decimal_storage",
    php_rule="decimal",
    upstream_files=("MariaDB itself: a PHP double bound with mysqli 'd' into decimal(10,5) "
                    "(credit, weight) and decimal(12,4) (snapshot revenue, cost)",),
    edges=lambda: [{"base": 1, "values": [0.123455, 0.000005, 0.000015, 0.5, 1 / 3, 2 / 3,
                                          0.1 + 0.2, 0.12345499999999999, 1e-300, 0.0, 1.0,
                                          0.99999999, 0.00000499999, 12.34565, 0.00005,
                                          0.00015, 1.00005, 2.5e-05, 7.5e-06, 0.6666650000000001]}],
    random=decimal_random,
    ours=ours_decimal,
    compare=default_compare,
    needs_db=True,
    golden_random=100,
)


RULES = [CREDIT_RULE, GETJOURNEY_RULE, DECIMAL_RULE]
