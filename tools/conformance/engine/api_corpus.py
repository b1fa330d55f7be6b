"""The v2 API corpus: hand-picked requests for every route and every edge the issue names, then
seeded random requests. A request is {"method", "path", "qs", "body", "accept"}: `qs` is the raw
query string (so `apikey=%20key-one%20` stays as sent), `body` the raw request body or None."""

from __future__ import annotations

import json
import random
from urllib.parse import urlencode

from api_fixture import H

V2 = "/api/v2"
A = f"{V2}/attribution"
KEY = "apikey=key-one"
Request = dict[str, object]


def req(method: str, path: str, qs: str = KEY, body: object = None, *, raw: str | None = None,
        accept: str | None = None) -> Request:
    text = raw if raw is not None else (None if body is None else json.dumps(body))
    return {"method": method, "path": path, "qs": qs, "body": text, "accept": accept}


def q(key: str = "key-one", **params: object) -> str:
    return urlencode({"apikey": key, **params}) if key else urlencode(params)


WINDOW = {"start_hour": H - 86400, "end_hour": H}


def hand_picked() -> list[Request]:
    r: list[Request] = []
    # health, auth
    r += [req("GET", f"{V2}/health", ""), req("POST", f"{V2}/health", ""),
          req("GET", f"{V2}/health", "apikey=nope"), req("GET", f"{V2}/health/", "")]
    r += [req("GET", f"{A}/models", ""), req("GET", f"{A}/models", "apikey="),
          req("GET", f"{A}/models", "apikey=%20%20"), req("GET", f"{A}/models", "apikey=bad"),
          req("GET", f"{A}/models", "apikey=%20key-one%20"),
          req("GET", f"{A}/models", "apikey=key-one%0A"),
          req("GET", f"{A}/models", q("key-none")), req("GET", f"{A}/models", q("key-manage")),
          req("GET", f"{A}/models", q("key-ghost")), req("GET", f"{A}/models", q("key-view")),
          req("POST", f"{A}/models", q("key-view"), {"name": "x", "type": "last_touch"}),
          req("POST", f"{A}/models", "", {"apikey": "key-one", "name": "x",
                                          "type": "last_touch"}),
          req("GET", f"{A}/models", "apikey[]=key-one"),
          req("GET", f"{A}/models", "", accept="text/html")]
    # model list
    for t in ("time_decay", "TIME_DECAY", "bogus", "", "linear", "last_touch"):
        r.append(req("GET", f"{A}/models", q(type=t)))
    r += [req("GET", f"{A}/models", q("key-five")),
          req("GET", f"{A}/models", q("key-five", type="last_touch")),
          req("GET", f"{A}/models", q("key-five", type="time_decay")),
          req("GET", f"{A}/models", q("key-six")),
          req("GET", f"{A}/models", q("key-six"), accept="text/html"),
          req("GET", f"{A}/models", q("key-five"), accept="text/html,application/xhtml+xml"),
          req("GET", f"{A}/models", q("key-five"), accept="application/json")]
    # snapshots
    snap = f"{A}/models/1/snapshots"
    for params in ({}, WINDOW, {**WINDOW, "limit": 0}, {**WINDOW, "limit": "abc"},
                   {**WINDOW, "limit": 2, "offset": 1}, {**WINDOW, "offset": -3},
                   {**WINDOW, "limit": 5000}, {**WINDOW, "scope": "campaign"},
                   {**WINDOW, "scope": "campaign", "scope_id": 7},
                   {**WINDOW, "scope": "campaign", "scope_id": ""},
                   {**WINDOW, "scope": "campaign", "scope_id": "abc"},
                   {**WINDOW, "scope": "campaign", "scope_id": " 7"},
                   {**WINDOW, "scope_id": 7}, {**WINDOW, "scope": ""},
                   {**WINDOW, "scope": "bogus"}, {**WINDOW, "scope": "GLOBAL"},
                   {"start_hour": "", "end_hour": H}, {"start_hour": H - 7200},
                   {"start_hour": "1e9", "end_hour": "1.9e9"}, {"end_hour": H, "limit": -1},
                   {"start_hour": H, "end_hour": H - 86400}):
        r.append(req("GET", snap, q(**params)))
    for mid in (3, 40, 999, 7, 5, 6, 11, 9, 10, 0):
        r.append(req("GET", f"{A}/models/{mid}/snapshots", q(**WINDOW)))
    r += [req("GET", f"{A}/models/5/snapshots", q(**WINDOW), accept="text/html"),
          req("GET", f"{A}/models/abc/snapshots", q(**WINDOW)),
          req("GET", f"{A}/models/-1/snapshots", q(**WINDOW)),
          req("GET", f"{A}/models/01/snapshots", q(**WINDOW))]
    # metrics and anomalies
    for route in ("metrics", "anomalies"):
        for params in ({}, {"model_id": 0}, {"model_id": "abc"}, {"model_id": 1},
                       {"model_id": 1, **WINDOW}, {"model_id": 1, **WINDOW, "limit": 2},
                       {"model_id": 1, **WINDOW, "limit": 0},
                       {"model_id": 3, **WINDOW}, {"model_id": 1, **WINDOW, "scope": "campaign",
                                                   "scope_id": 7},
                       {"model_id": 1, **WINDOW, "scope": "account", "scope_id": 2},
                       {"model_id": 1, **WINDOW, "scope": "landing_page", "scope_id": 3},
                       {"model_id": 1, **WINDOW, "scope": "campaign"},
                       {"model_id": 1, **WINDOW, "scope": "bogus"},
                       {"model_id": 1, "start_hour": H - 3 * 3600, "end_hour": H},
                       {"model_id": 1, "start_hour": H - 5 * 3600, "end_hour": H - 3600},
                       {"model_id": 7, **WINDOW}, {"model_id": 5, **WINDOW},
                       {"model_id": 40, **WINDOW}, {"model_id": 2, **WINDOW}):
            r.append(req("GET", f"{A}/{route}", q(**params)))
    # sandbox
    for params in ({}, {"models": "decay,position"}, {"models": "old-linear,algo"},
                   {"models": ""}, {"scope": "bogus"}, {"scope": "campaign", "models": "decay"},
                   {"models": "decay,decay"}, {"models": " decay"}):
        r.append(req("GET", f"{A}/sandbox", q(**params)))
    r += [req("GET", f"{A}/sandbox", q("key-five")),
          req("GET", f"{A}/sandbox", q("key-five", models="good")),
          req("GET", f"{A}/sandbox", q("key-view")), req("POST", f"{A}/sandbox", q())]
    # exports
    ex = f"{A}/models/1/exports"
    r += [req("GET", ex, q()), req("GET", ex, q(limit=0)), req("GET", f"{A}/models/7/exports", q()),
          req("GET", f"{A}/models/40/exports", q()), req("GET", ex, q("key-view"))]
    for body in ({}, {"scope": "campaign"}, {"scope": "campaign", "scope_id": 0},
                 {"scope": "campaign", "scope_id": "abc"}, {"scope": "global", "scope_id": "abc"},
                 {"scope": "bogus"}, {"start_hour": H, "end_hour": H},
                 {"start_hour": H, "end_hour": H - 1}, {"format": "XLS"}, {"format": "pdf"},
                 {"format": ""}, {"webhook": "http://x"}, {"webhook": {}},
                 {"webhook": {"url": ""}}, {"webhook": {"url": None, "secret": ""}},
                 {"webhook": {"secret": "s"}},
                 {"webhook": {"url": "http://hook.invalid/x", "secret": "s3",
                              "headers": {"A": "1", "B": 2}}},
                 {"webhook": {"url": "http://hook.invalid/y", "headers": ["a"]}},
                 {"webhook": {"url": "http://hook.invalid/z", "headers": "h"}},
                 {"scope": "advertiser", "scope_id": 5, "start_hour": H - 7200, "end_hour": H,
                  "format": "csv"}):
        r.append(req("POST", ex, q(), body))
    r += [req("POST", ex, q(scope="campaign", scope_id=7), {}),
          req("POST", ex, q(format="xls"), {"format": "csv"}),
          req("POST", f"{A}/models/7/exports", q(), {}),
          req("POST", f"{A}/models/5/exports", q(), {}),
          req("GET", ex, q(limit=3))]
    # create
    M = f"{A}/models"
    for body in ({}, {"name": "  ", "type": "last_touch"}, {"name": "A", "type": "bogus"},
                 {"name": "A", "type": "TIME_DECAY", "weighting_config": {"half_life_hours": 5}},
                 {"name": "A", "type": "last_touch", "weighting_config": "x"},
                 {"name": "A", "type": "last_touch", "weighting_config": []},
                 {"name": "A", "type": "last_touch", "weighting_config": [1]},
                 {"name": "A", "type": "time_decay"},
                 {"name": "A", "type": "time_decay", "weighting_config": {"half_life_hours": "abc"}},
                 {"name": "A", "type": "time_decay", "weighting_config": {"half_life_hours": 0}},
                 {"name": "A", "type": "time_decay", "weighting_config": {"half_life_hours": "12"}},
                 {"name": "A", "type": "time_decay", "weighting_config": {"half_life_hours": 1.5}},
                 {"name": "P", "type": "position_based",
                  "weighting_config": {"first_touch_weight": 0.5, "last_touch_weight": 0.6}},
                 {"name": "P", "type": "position_based",
                  "weighting_config": {"first_touch_weight": "0.3", "last_touch_weight": 0.3}},
                 {"name": "P", "type": "position_based",
                  "weighting_config": {"first_touch_weight": -1, "last_touch_weight": 0.3}},
                 {"name": "P", "type": "position_based", "weighting_config": [0.4, 0.4]},
                 {"name": "S", "type": "assisted", "weighting_config": {"a": 1}},
                 {"name": "G", "type": "algorithmic", "weighting_config": {}},
                 {"name": "G", "type": "algorithmic", "weighting_config": {"k": "v"}},
                 {"name": "Decay", "type": "last_touch"},
                 {"name": "x", "slug": "My Slug!!", "type": "last_touch"},
                 {"name": "!!!", "type": "last_touch"},
                 {"name": "Inactive", "type": "last_touch", "is_active": "false"},
                 {"name": "Off", "type": "last_touch", "is_active": "0"},
                 {"name": "Promoted", "type": "last_touch", "is_default": True,
                  "is_active": False},
                 {"name": "Ünïcode Ñame", "type": "last_touch"},
                 {"name": "L" * 300, "type": "last_touch"},
                 {"name": 123, "type": "last_touch"},
                 {"name": ["x"], "type": "last_touch"},
                 {"name": "T", "type": ["last_touch"]}):
        r.append(req("POST", M, q(), body))
    r += [req("POST", M, q(), raw="not json"), req("POST", M, q(), raw='["a"]'),
          req("POST", M, q(name="FromQuery", type="last_touch")),
          req("POST", M, q(name="QueryName", type="last_touch"), {"name": "BodyName"}),
          req("POST", M, q("key-five"), {"name": "Bad", "type": "last_touch", "slug": "bad-active"}),
          req("POST", M, q(), {"name": "Null config", "type": "last_touch"})]
    # update
    for mid, body in ((1, {"name": None}), (1, {}), (1, {"is_active": False}),
                      (2, {"type": "last_touch"}), (2, {"type": "last_touch",
                                                         "weighting_config": None}),
                      (3, {"weighting_config": {"first_touch_weight": 0.2,
                                                "last_touch_weight": 0.2}}),
                      (1, {"is_active": False, "is_default": False}),
                      (8, {"slug": "decay"}), (8, {"slug": "Algo Renamed"}),
                      (40, {"name": "x"}), (999, {}), (7, {"name": "y"}), (5, {}), (11, {}),
                      (6, {"name": "Named"}), (10, {"is_active": True}),
                      (3, {"name": ""}), (3, {"type": "bogus"}), (3, {"is_default": "1"})):
        r.append(req("PATCH", f"{M}/{mid}", q(), body))
    r += [req("PATCH", f"{M}/2", q(name="Q"), {"weighting_config": {"half_life_hours": 6}}),
          req("PATCH", f"{M}/2", q(), raw="{bad")]
    # delete
    for mid in (4, 4, 40, 999, 7, 5, 1):
        r.append(req("DELETE", f"{M}/{mid}", q()))
    r.append(req("DELETE", f"{M}/2", q(), {"ignored": True}))
    # routing
    r += [req("PUT", M, q()), req("GET", f"{M}/1", q()), req("POST", f"{A}/metrics", q()),
          req("DELETE", M, q()), req("GET", f"{A}/unknown", q()), req("GET", f"{V2}/other", q()),
          req("PUT", f"{M}/3", q(), accept="text/html"), req("GET", f"{A}/unknown", q(),
                                                          accept="text/html"),
          req("GET", f"{M}/3/snapshots/", q()), req("GET", f"{A}/models/", q()),
          req("OPTIONS", M, q()), req("HEAD", f"{A}/models", q()),
          req("GET", f"{A}/unknown", q(), accept="application/json"),
          req("PUT", f"{M}/3", q(), accept="application/json"),
          req("GET", f"{A}/unknown", q(), accept="application/vnd.api+json"),
          req("GET", f"{A}/unknown", q(), accept="text/plain, application/json")]
    return r


_PARAM_POOL: dict[str, list[object]] = {
    "scope": ["global", "campaign", "advertiser", "account", "bogus", "", "Campaign"],
    "scope_id": [7, 0, "", "abc", "7", -1, "1e2"],
    "start_hour": [H - 86400, H - 3 * 3600, "", "x", 0, H],
    "end_hour": [H, H - 3600, "", H + 3600],
    "limit": [0, 1, 2, "abc", 3, 1001, -5],
    "offset": [0, 1, -1, "z", 4],
    "model_id": [1, 3, 0, 7, 40, "abc", 2, 8],
    "type": ["last_touch", "time_decay", "", "bogus", "ASSISTED"],
    "models": ["decay", "decay,position", "", "algo,nope"],
}
_KEYS = ["key-one", "key-one", "key-one", "key-view", "key-manage", "", " key-one", "key-five"]
_BODIES: list[object] = [
    {"name": "R", "type": "last_touch"}, {"name": "R", "type": "time_decay",
                                          "weighting_config": {"half_life_hours": 3}},
    {"name": None}, {"is_active": "false"}, {"is_default": 1}, {"type": "position_based"},
    {"weighting_config": None}, {"scope": "campaign", "scope_id": 7}, {"format": "xls"},
    {"webhook": {"url": "http://hook.invalid/r"}}, {}, {"slug": "decay"},
]


def random_cases(seed: int, n: int) -> list[Request]:
    """Random requests over every route: parameters from pools of edge values."""
    rnd = random.Random(seed)
    routes = [("GET", "models"), ("POST", "models"), ("PATCH", "models/{m}"),
              ("GET", "models/{m}/snapshots"), ("GET", "models/{m}/exports"),
              ("POST", "models/{m}/exports"), ("GET", "metrics"), ("GET", "anomalies"),
              ("GET", "sandbox"), ("DELETE", "models/{m}"), ("PUT", "models/{m}")]
    weights = [3, 2, 2, 3, 1, 1, 3, 2, 1, 0.3, 0.3]
    out: list[Request] = []
    for _ in range(n):
        method, path = rnd.choices(routes, weights)[0]
        path = path.replace("{m}", str(rnd.choice([1, 2, 3, 8, 7, 40, 999, 5])))
        params = {k: rnd.choice(v) for k, v in _PARAM_POOL.items() if rnd.random() < 0.35}
        key = rnd.choice(_KEYS)
        qs = urlencode({"apikey": key, **params}) if key else urlencode(params)
        body = rnd.choice(_BODIES) if method in ("POST", "PATCH") else None
        accept = rnd.choice([None, None, None, "text/html"])
        out.append(req(method, f"{A}/{path}", qs, body, accept=accept))
    return out
