"""Model rows and v2 model validation: weighting_config decoding, ModelDefinition hydration, the
order a user's rows are hydrated in, POST/PATCH /models validation and slugs."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from random import Random

from sqlalchemy import text

from attribtui.prosper import v2models as v2
from attribtui.prosper import validation as v
from attribtui.prosper.models import ModelRow
from attribtui.queries.models import user_models

from . import gen_models as g
from .core import Answer, Context, Json, Rule, default_compare, error, output
from .values import json_text, mutate_json, random_text, random_value

MODEL_FILES = ("202-config/Attribution/ModelDefinition.php", "202-config/Attribution/ModelType.php")
SERVICE_FILES = (*MODEL_FILES, "202-config/Attribution/AttributionService.php")


# --- weighting_config JSON ---------------------------------------------------------------------

def shape(value: Json) -> Json:
    """Our decoded PHP array as the driver writes upstream's (see conformance_shape): a dict with
    a key starting with NUL becomes ``{"__pairs__": ...}``, a non-finite float a tagged string.
    The JSON round trip keeps it iterative (PHP allows 511 levels)."""
    def fix(obj: Json) -> Json:
        if any(k.startswith("\x00") for k in obj):
            return {"__pairs__": [[k, x] for k, x in obj.items()]}
        return obj

    def special(token: str) -> Json:
        return {"__float__": {"NaN": "NAN", "Infinity": "INF", "-Infinity": "-INF"}[token]}

    return json.loads(json.dumps(value), object_hook=fix, parse_constant=special)


def ours_json(_ctx: Context, case: Json) -> Answer:
    value, failure = v.decode_weighting_config(case["text"])
    if failure is not None:
        return error(failure.php_class, failure.message)
    return output({"value": shape(value)})


def json_edges() -> list[Json]:
    texts = ["null", "[]", "{}", "0", "1", "-0", "-0.0", "1.0", "1e400", "-1e400", "\"x\"", "true",
             "false", " {} ", "\t[]\n", "\r\n{}", "\x0b{}", "\x0c{}", "\u00a0{}", "\ufeff{}", "{}\x00",
             "NaN", "Infinity", "-Infinity", "01", "1.", ".5", "+1", "0x10", "[1,]", "{\"a\":1,}",
             "{'a':1}", "{a:1}", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud83d\\ude00\"]",
             "[\"\\u0000\"]", "{\"\\u0000\":1}", "{\"\":1}", "{\"_empty_\":1}", "[\"\x01\"]",
             "[\"\x1f\"]", "[\"\x7f\"]", "[\"\t\"]", "[\"\\x41\"]", "[\"\\'\"]", "[\"\\/\"]",
             "{\"a\":1,\"a\":2}", "{\"0\":1,\"1\":2}", "{\"1\":1,\"0\":2}", "{\"0\":1}",
             "{\"00\":1}", "{\"-0\":1}", "{\"-1\":1}", "{\"1.0\":1}", "{\" 1\":1}",
             "{\"9223372036854775807\":1}", "{\"9223372036854775808\":1}", "12345678901234567890",
             "-12345678901234567890", "9223372036854775807", "9223372036854775808",
             "[9223372036854775808]", "1e-400", "[1e309]", "0.1", "1E2", "1e+2", "[-]", "[--1]",
             "[1 2]", "{\"a\" 1}", "{\"a\":}", "", " ", "\"\"", "[[[]]]", "{\"a\":{\"b\":[1,{}]}}",
             "[" * 511 + "]" * 511, "[" * 512 + "]" * 512, "[" * 513 + "]" * 513,
             "{\"a\":" * 512 + "1" + "}" * 512, "{\"a\":" * 513 + "1" + "}" * 513,
             "[" * 1100 + "]" * 1100, "[" * 5000, "\"\\u00e9\"", "\"é\"", "[\"\\uD800\\uDC00\"]",
             "[\"\\ud800x\"]", "[\"\\ud800\\u0041\"]", "\"\\u12\"", "\"\\uZZZZ\"", "[true,false,null]",
             "tru", "nul", "[nul]", "{\"half_life_hours\": 48}", "{\"half_life_hours\": \"48\"}"]
    return [{"text": t} for t in texts]


def json_random(rng: Random, _i: int) -> Json:
    value = random_value(rng)
    text_ = json_text(rng, value)
    if rng.random() < 0.5:
        text_ = mutate_json(rng, text_)
    return {"text": text_}


JSON_RULE = Rule(
    name="weighting_json",
    php_rule="json",
    upstream_files=("202-config/Attribution/ModelDefinition.php (decodeConfig: json_decode with "
                    "JSON_THROW_ON_ERROR)", "PHP 8.2 ext/json"),
    edges=json_edges,
    random=json_random,
    ours=ours_json,
    compare=default_compare,
    golden_random=1200,
)


# --- ModelDefinition::fromDatabaseRow ------------------------------------------------------------

def summary(row: ModelRow) -> Json:
    return {"model_id": row.model_id, "user_id": row.user_id, "name": row.name, "slug": row.slug,
            "type": row.type, "weighting_config": shape(row.config),
            "is_active": row.is_active, "is_default": row.is_default,
            "created_at": row.created_at, "updated_at": row.updated_at}


def ours_hydrate(_ctx: Context, case: Json) -> Answer:
    row = ModelRow.from_mapping(case["row"])
    failure = row.failure
    if failure is not None:
        return error(failure.php_class, failure.message)
    return output(summary(row))


def hydrate_edges() -> list[Json]:
    base = {"model_id": 1, "user_id": 7, "model_name": "M", "model_slug": "m",
            "model_type": "last_touch", "weighting_config": None, "is_active": 1,
            "is_default": 0, "created_at": 1, "updated_at": 2}
    rows: list[dict[str, Json]] = []
    for kind in (*g.TYPES, *g.ODD_TYPES):
        for cfg in (None, "", "null", "{}", "[]", "[1]", "{\"a\":1}", "5", "\"x\"", "true",
                    "{\"half_life_hours\":48}", "{\"half_life_hours\":\"48\"}",
                    "{\"half_life_hours\":0}", "{\"half_life_hours\":\"0.5\"}",
                    "{\"half_life_hours\":\" 48\"}", "{\"half_life_hours\":\"48 \"}",
                    "{\"half_life_hours\":true}", "{\"half_life_hours\":[48]}",
                    "{\"half_life_hours\":1e19}", "{\"half_life_hours\":\"1e19\"}",
                    "{\"half_life_hours\":-1e19}", "{\"half_life_hours\":9223372036854775808}",
                    "{\"first_touch_weight\":0.4,\"last_touch_weight\":0.4}",
                    "{\"first_touch_weight\":\"0.4\",\"last_touch_weight\":\".6\"}",
                    "{\"first_touch_weight\":0.6,\"last_touch_weight\":0.4}",
                    "{\"first_touch_weight\":0.7,\"last_touch_weight\":0.30000000000000004}",
                    "{\"first_touch_weight\":0.1,\"last_touch_weight\":0.9}",
                    "{\"first_touch_weight\":1,\"last_touch_weight\":0}",
                    "{\"first_touch_weight\":-0.0,\"last_touch_weight\":1}",
                    "{\"first_touch_weight\":\"x\",\"last_touch_weight\":0}",
                    "{\"first_touch_weight\":null,\"last_touch_weight\":0}",
                    "{\"first_touch_weight\":0.5}", "[0.4,0.4]", "{\"0\":0.4}", "{bad", "NaN"):
            rows.append({**base, "model_type": kind, "weighting_config": cfg})
    for name_, slug in (("", "m"), ("M", ""), ("", ""), (" ", " "), ("0", "0"), ("\x00", "m")):
        for cfg in (None, "null", "{bad"):
            rows.append({**base, "model_name": name_, "model_slug": slug,
                         "weighting_config": cfg})
            rows.append({**base, "model_type": "linear", "model_name": name_,
                         "model_slug": slug, "weighting_config": cfg})
            rows.append({**base, "model_type": "time_decay", "model_name": name_,
                         "model_slug": slug, "weighting_config": cfg})
    return [{"row": r} for r in rows]


HYDRATE_RULE = Rule(
    name="model_hydrate",
    php_rule="hydrate",
    upstream_files=MODEL_FILES,
    edges=hydrate_edges,
    random=lambda rng, i: {"row": g.model_row(rng, i + 1, 7)},
    ours=ours_hydrate,
    compare=default_compare,
    golden_random=1000,
)


# --- the order a user's active rows are hydrated in (findForUser, created_at DESC) ----------------

def order_prepare(ctx: Context, cases: Sequence[tuple[int, Json]]) -> None:
    cols = ("model_id", "user_id", "model_name", "model_slug", "model_type", "weighting_config",
            "is_active", "is_default", "created_at", "updated_at")
    rows = [r for _, case in cases for r in case["rows"]]
    if rows:
        ctx.conn.execute(text(
            f"INSERT IGNORE INTO 202_attribution_models ({', '.join(cols)}) VALUES "
            f"({', '.join(':' + c for c in cols)})"), rows)
    ctx.conn.commit()


def ours_order(ctx: Context, case: Json) -> Answer:
    rows = user_models(ctx.read, case["user_id"], 1000, active_only=True)
    for row in rows:
        failure = row.failure
        if failure is not None:
            return error(failure.php_class, failure.message)
    return output({"model_ids": [r.model_id for r in rows]})


def compare_order(case: Json, upstream: Answer, ours: Answer,
                _ctx: Context | None = None) -> tuple[str, str] | None:
    """Equal, or upstream's answer is what some order of the rows tied on created_at gives
    (MariaDB's filesort is not stable: upstream's ORDER BY created_at DESC leaves ties open)."""
    diff = default_compare(case, upstream, ours)
    if diff is None:
        return None
    active = [ModelRow.from_mapping(r) for r in case["rows"]
              if r["user_id"] == case["user_id"] and int(r["is_active"]) == 1]
    groups: dict[int, list[ModelRow]] = {}
    for row in sorted(active, key=lambda r: -r.created_at):
        groups.setdefault(row.created_at, []).append(row)
    if all(len(g) == 1 for g in groups.values()):
        return diff
    if "output" in upstream:
        ids = upstream["output"]["model_ids"]
        ok = (sorted(ids) == sorted(r.model_id for r in active)
              and all(r.failure is None for r in active)
              and [next(r.created_at for r in active if r.model_id == i) for i in ids]
              == sorted((r.created_at for r in active), reverse=True))
    else:
        ok = False
        for group in groups.values():  # newest first: the first group with a failing row
            failing = [r.failure for r in group if r.failure is not None]
            if failing:
                ok = any(f.php_class == upstream["error"]["class"]
                         and f.message == upstream["error"]["message"] for f in failing)
                break
    return ("created_at_tie", diff[1]) if ok else diff


def order_random(rng: Random, i: int) -> Json:
    user = i + 1
    n = rng.randint(1, 6)
    rows = [g.model_row(rng, user * 10 + k, user, valid_bias=0.5) for k in range(n)]
    for k, row in enumerate(rows):
        row["model_slug"] = f"{row['model_slug']}-{k}"  # the UNIQUE (user_id, model_slug)
    return {"user_id": user, "rows": rows}


ORDER_RULE = Rule(
    name="model_order",
    php_rule="model_order",
    upstream_files=(*MODEL_FILES,
                    "202-config/Attribution/Repository/Mysql/MysqlModelRepository.php (findForUser)"),
    edges=lambda: [],
    random=order_random,
    ours=ours_order,
    compare=compare_order,
    deliberate={"created_at_tie": (
        "Rows tied on created_at: upstream's ORDER BY created_at DESC has no tie-break and "
        "MariaDB's filesort is not stable, so upstream's order among ties is undefined (mostly "
        "model_id ascending, which ours uses). Upstream's answer is one valid order of the ties.")},
    needs_db=True,
    prepare=order_prepare,
    golden_random=300,
)


# --- POST and PATCH /models ------------------------------------------------------------------------

def payload_value(rng: Random, key: str, kind: str) -> Json:
    pick = rng.random()
    if key == "name":
        return g.name(rng) if pick < 0.8 else random_value(rng)
    if key == "type":
        if pick < 0.6:
            return rng.choice(g.TYPES)
        if pick < 0.8:
            return rng.choice(g.ODD_TYPES + ("TIME_DECAY", "Position_Based", " assisted"))
        return random_value(rng)
    if key == "slug":
        if pick < 0.5:
            return g.slug_of(rng)
        if pick < 0.7:
            return random_text(rng, 30)
        return rng.choice([None, "", 0, "0", False, True, 1.5, [], ["a"], "Ünïcödé Slug", "x" * 250,
                           " My  Model ", "--", "a" * 185 + "-b", "ǅ", "model-1"])
    if key == "weighting_config":
        return g.config_value(rng, kind) if pick < 0.85 else random_value(rng)
    return rng.choice([True, False, "false", "0", 0, 1, "", "1", None, [], [0], "no", 0.0, "0.0"]) \
        if pick < 0.8 else random_value(rng)


KEYS = ("name", "type", "slug", "weighting_config", "is_active", "is_default")


def payload(rng: Random, required: bool) -> dict[str, Json]:
    kind = rng.choice(g.TYPES)
    out: dict[str, Json] = {}
    for key in KEYS:
        wanted = rng.random() < (0.9 if required and key in ("name", "type") else 0.4)
        if wanted:
            out[key] = payload_value(rng, key, kind)
    if "type" in out and isinstance(out["type"], str) and rng.random() < 0.7:
        out["weighting_config"] = g.config_value(rng, out["type"])
    return out


def user_rows(rng: Random, user: int, first_id: int, n: int) -> list[dict[str, Json]]:
    rows = []
    for k in range(n):
        row = g.model_row(rng, first_id + k, user, valid_bias=0.7)
        row["model_slug"] = rng.choice(["model", "model-1", "model-2", "time-decay-48h",
                                        "last-touch-default", "q3-test", row["model_slug"]])
        rows.append(row)
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row["model_slug"] not in seen:
            seen.add(row["model_slug"])
            unique.append(row)
    return unique


def create_random(rng: Random, _i: int) -> Json:
    p = payload(rng, required=True)
    if rng.random() < 0.3 and isinstance(p.get("name"), str):
        p["name"] = rng.choice(["Model", "model", "Time Decay 48h", "Q3 Test", "q3 test"])
    return {"user_id": 7, "rows": user_rows(rng, 7, 100, rng.randint(0, 4)), "next_id": 200,
            "payload": p}


def update_random(rng: Random, _i: int) -> Json:
    rows = user_rows(rng, 7, 100, rng.randint(1, 4))
    target = rng.choice(rows)["model_id"] if rng.random() < 0.95 else rng.choice([99, 150])
    if rng.random() < 0.05:
        rows.append({**g.model_row(rng, 150, 8, valid_bias=1.0), "model_slug": "other"})
    return {"user_id": 7, "rows": rows, "next_id": 200, "model_id": target,
            "payload": payload(rng, required=False)}


def create_edges() -> list[Json]:
    cases = []
    for p in ({"name": "Model", "type": "last_touch"}, {"name": " ", "type": "last_touch"},
              {"type": "last_touch"}, {"name": "M"}, {"name": "M", "type": "LAST_TOUCH"},
              {"name": "M", "type": "time_decay"}, {"name": "M", "type": "time_decay",
                                                     "weighting_config": {"half_life_hours": 0}},
              {"name": "M", "type": "algorithmic", "weighting_config": [1]},
              {"name": "M", "type": "algorithmic", "weighting_config": "x"},
              {"name": "M", "type": "last_touch", "weighting_config": [1]},
              {"name": "M", "type": "last_touch", "weighting_config": None},
              {"name": "M", "type": "last_touch", "weighting_config": []},
              {"name": 0, "type": "last_touch"}, {"name": 1.0, "type": "last_touch"},
              {"name": 1e25, "type": "last_touch"}, {"name": 0.1, "type": "last_touch"},
              {"name": True, "type": "last_touch"}, {"name": False, "type": "last_touch"},
              {"name": ["a"], "type": "last_touch"}, {"name": "M", "type": ["last_touch"]},
              {"name": "M", "type": "last_touch", "slug": 0},
              {"name": "M", "type": "last_touch", "slug": "0"},
              {"name": "M", "type": "last_touch", "slug": False},
              {"name": "M", "type": "last_touch", "slug": "---"},
              {"name": "---", "type": "last_touch"},
              {"name": "M", "type": "last_touch", "is_active": "false"},
              {"name": "M", "type": "last_touch", "is_active": False, "is_default": True},
              {"name": "M", "type": "last_touch", "is_active": None},
              {"name": "Model", "type": "last_touch", "slug": "Model"},
              {"name": "a" * 200, "type": "last_touch"},
              {"name": "M", "type": "position_based",
               "weighting_config": {"first_touch_weight": "0.3", "last_touch_weight": 0.3}},
              {"name": "M", "type": "position_based",
               "weighting_config": {"first_touch_weight": 0.4, "last_touch_weight": 0.4, "x": 1}},
              {"name": "M", "type": "position_based",
               "weighting_config": {"0": 0.4, "1": 0.4}},
              {"name": "M", "type": "algorithmic", "weighting_config": {"0": 1, "1": 2}},
              {"name": "M", "type": "time_decay", "weighting_config": {"half_life_hours": 48.0}}):
        cases.append({"user_id": 7, "rows": [], "next_id": 200, "payload": p})
    taken = [{"model_id": 100 + k, "user_id": 7, "model_name": "Model", "model_slug": s,
              "model_type": t, "weighting_config": c, "is_active": 1, "is_default": 0,
              "created_at": 1, "updated_at": 1}
             for k, (s, t, c) in enumerate((("model", "last_touch", None),
                                           ("model-1", "linear", None),
                                           ("m" * 180 + "-1", "last_touch", None),
                                           ("time-decay", "time_decay", "{}")))]
    for p in ({"name": "Model", "type": "last_touch"}, {"name": "m" * 191, "type": "last_touch"},
              {"name": "Time Decay", "type": "last_touch"},
              {"name": "x", "slug": "model", "type": "time_decay", "weighting_config": {}}):
        cases.append({"user_id": 7, "rows": taken, "next_id": 200, "payload": p})
    return cases


def update_edges() -> list[Json]:
    row = {"model_id": 100, "user_id": 7, "model_name": "Last Touch Attribution",
           "model_slug": "last-touch-default", "model_type": "last_touch",
           "weighting_config": None, "is_active": 1, "is_default": 1, "created_at": 1,
           "updated_at": 1}
    td = {**row, "model_id": 101, "model_slug": "td", "model_type": "time_decay",
          "weighting_config": "{\"half_life_hours\":48}", "is_default": 0}
    bad = {**row, "model_id": 102, "model_slug": "bad", "model_type": "linear", "is_default": 0}
    rows = [row, td, bad]
    cases = []
    for target, p in ((100, {}), (100, {"is_active": False}),
                      (100, {"is_active": False, "is_default": False}), (100, {"name": None}),
                      (100, {"name": ""}), (100, {"type": None}), (100, {"type": "time_decay"}),
                      (100, {"slug": None}), (100, {"slug": ""}), (100, {"slug": "td"}),
                      (101, {"weighting_config": None}), (101, {"weighting_config": {}}),
                      (101, {"type": "last_touch"}), (101, {"type": "assisted",
                                                            "weighting_config": None}),
                      (101, {"name": "Last Touch Attribution"}), (102, {}), (103, {}),
                      (101, {"slug": "bad"}), (101, {"weighting_config": "x"})):
        cases.append({"user_id": 7, "rows": rows, "next_id": 200, "model_id": target,
                      "payload": p})
    return cases


_MODEL_SLUG_TIME = re.compile(r"^model-(\d+)((?:-\d+)?)$")
_NOW = 1700000000  # ours runs at a fixed time; upstream reports the time() window it ran in


def _norm_model(answer: Answer) -> Answer:
    """Equal up to the clock: created_at/updated_at are dropped, and a ``model-<time()>`` slug
    becomes ``model-<time>`` when its time lies in the window the answer reports."""
    if "output" not in answer:
        return {"error": answer.get("error")}
    model = dict(answer["output"]["model"])
    model.pop("created_at", None)
    model.pop("updated_at", None)
    lo, hi = answer["output"]["time"]
    match = _MODEL_SLUG_TIME.match(str(model.get("slug")))
    if match and lo <= int(match.group(1)) <= hi:
        model["slug"] = f"model-<time>{match.group(2)}"
    return {"output": model}


def compare_model(case: Json, upstream: Answer, ours: Answer,
                _ctx: Context | None = None) -> tuple[str, str] | None:
    return default_compare(case, _norm_model(upstream), _norm_model(ours))


def _rows(case: Json) -> list[ModelRow]:
    return [ModelRow.from_mapping(r) for r in case["rows"]]


def ours_create(_ctx: Context, case: Json) -> Answer:
    try:
        model = v2.v2_create(case["user_id"], case["payload"], _rows(case), now=_NOW,
                            next_id=case["next_id"])
    except v2.V2Error as exc:
        return error(exc.php_class, exc.message)
    return output({"model": {**model, "weighting_config": shape(model["weighting_config"])},
                   "time": [_NOW, _NOW]})


def ours_update(_ctx: Context, case: Json) -> Answer:
    try:
        model = v2.v2_update(case["user_id"], case["model_id"], case["payload"], _rows(case),
                            now=_NOW)
    except v2.V2Error as exc:
        return error(exc.php_class, exc.message)
    return output({"model": {**model, "weighting_config": shape(model["weighting_config"])},
                   "time": [_NOW, _NOW]})


CREATE_RULE = Rule(
    name="v2_create",
    php_rule="create",
    upstream_files=SERVICE_FILES,
    edges=create_edges,
    random=create_random,
    ours=ours_create,
    compare=compare_model,
    golden_random=700,
)

UPDATE_RULE = Rule(
    name="v2_update",
    php_rule="update",
    upstream_files=SERVICE_FILES,
    edges=update_edges,
    random=update_random,
    ours=ours_update,
    compare=compare_model,
    golden_random=600,
)


# --- slugify -------------------------------------------------------------------------------------

def ours_slugify(_ctx: Context, case: Json) -> Answer:
    return output({"slug": v.slugify(case["value"], _NOW), "time": [_NOW, _NOW]})


def compare_slug(case: Json, upstream: Answer, ours: Answer,
                _ctx: Context | None = None) -> tuple[str, str] | None:
    def norm(answer: Answer) -> Answer:
        if "output" not in answer:
            return answer
        lo, hi = answer["output"]["time"]
        slug = answer["output"]["slug"]
        match = _MODEL_SLUG_TIME.match(slug)
        if match and not match.group(2) and lo <= int(match.group(1)) <= hi:
            slug = "model-<time>"
        return {"output": slug}

    return default_compare(case, norm(upstream), norm(ours))


def slug_random(rng: Random, _i: int) -> Json:
    if rng.random() < 0.2:
        return {"value": g.name(rng)}
    return {"value": random_text(rng, rng.choice([5, 20, 60, 250]))}


SLUGIFY_RULE = Rule(
    name="v2_slugify",
    php_rule="slugify",
    upstream_files=("202-config/Attribution/AttributionService.php (slugify)",),
    edges=lambda: [{"value": s} for s in ("", " ", "-", "Hello World", "  Trim Me  ", "\x00x\x00",
                                          "\x0bx", "\x0cx", "\u00a0x", "ÄÖÜ äöü", "K", "İstanbul",
                                          "ǅ", "a" * 200, "a-" * 100, "x" * 190 + "-y",
                                          "---a---", "A_B.C", "12 34", "\t\n", "😀",
                                          "straße", "ﬁ", "Ⅻ")],
    random=slug_random,
    ours=ours_slugify,
    compare=compare_slug,
    golden_random=1000,
)

RULES = [JSON_RULE, HYDRATE_RULE, ORDER_RULE, CREATE_RULE, UPDATE_RULE, SLUGIFY_RULE]
