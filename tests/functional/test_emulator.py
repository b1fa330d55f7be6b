"""v2 emulator conformance: one test per documented behaviour (docs/prosper202.md, "V2 API").

The emulator is served over real HTTP on loopback against a MariaDB seeded once for the module;
tests that change models create their own, so they do not depend on each other's order.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from attribtui.infra import clock
from attribtui.prosper import validation as v
from attribtui.sandbox import emulator
from tests.support import NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb

KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()  # both permissions
KEY2 = hashlib.sha256(b"attribtui-sandbox-api-key-2").hexdigest()  # view only
KEY4 = "4" * 64  # user 4 of this module: a v3-only model row
_names = itertools.count()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, Any]]:
    from attribtui.sandbox.seed import seed

    clock.freeze(NOW)
    name, url = create_database()
    seed(url, conversions=200, now=NOW, defects="none")
    engine = create_engine(url)
    with engine.begin() as conn:  # user 4: a row written through v3 (docs/prosper202.md, "Operator gotchas")
        conn.execute(text("INSERT INTO 202_api_keys (user_id, api_key, scope, created_at) VALUES "
                          "(4, :k, :s, 0)"),
                     {"k": KEY4, "s": json.dumps([emulator.VIEW, emulator.MANAGE])})
        conn.execute(text("INSERT INTO 202_attribution_models (user_id, model_name, model_slug, "
                          "model_type, is_active, is_default, created_at, updated_at) VALUES "
                          "(4, 'Linear v3', 'linear-v3', 'linear', 1, 0, 1, 1)"))
    server, _thread = emulator.serve(url)
    yield {"url": url, "base": emulator.base_url(server), "engine": engine}
    server.shutdown()
    server.server_close()
    engine.dispose()
    drop_database(name)
    clock.freeze(None)


@pytest.fixture
def http(sandbox: dict[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox["base"] + "/api/v2", timeout=10) as client:
        yield client


def call(http: httpx.Client, method: str, path: str, key: str | None = KEY1,
         body: Any = None, **params: Any) -> httpx.Response:
    if key is not None:
        params["apikey"] = key
    content = body if isinstance(body, str | bytes) else (json.dumps(body) if body is not None else None)
    return http.request(method, "/attribution" + path, params=params, content=content,
                        headers={"Content-Type": "application/json", "Accept": "application/json"})


def new_model(http: httpx.Client, **body: Any) -> dict[str, Any]:
    body.setdefault("name", f"Conformance {next(_names)}")
    body.setdefault("type", "last_touch")
    r = call(http, "POST", "/models", body=body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def row(sandbox: dict[str, Any], sql: str, **params: Any) -> Any:
    with sandbox["engine"].connect() as conn:
        return conn.execute(text(sql), params).first()


def listed(http: httpx.Client, key: str = KEY1) -> list[dict[str, Any]]:
    r = call(http, "GET", "/models", key=key)
    assert r.status_code == 200
    return r.json()["data"]


# -- health, auth ------------------------------------------------------------------------------


def test_health_needs_no_key(http: httpx.Client) -> None:
    r = http.get("/health")
    assert (r.status_code, r.json()) == (200, {"error": False, "message": "Attribution API ready"})


def test_missing_key_is_401_required(http: httpx.Client) -> None:
    r = call(http, "GET", "/models", key=None)
    assert r.status_code == 401
    assert r.json() == {"error": True, "message": "API key required or user session must be active."}


def test_unknown_key_is_401_invalid(http: httpx.Client) -> None:
    r = call(http, "GET", "/models", key="nope")
    assert (r.status_code, r.json()["message"]) == (401, "Invalid API key.")


def test_key_in_the_body_does_not_count(http: httpx.Client) -> None:
    r = call(http, "POST", "/models", key=None, body={"apikey": KEY1, "name": "x", "type": "last_touch"})
    assert r.status_code == 401


def test_view_only_key_reads_but_cannot_manage(http: httpx.Client) -> None:
    assert call(http, "GET", "/models", key=KEY2).status_code == 200
    for method, path in (("POST", "/models"), ("PATCH", "/models/1"), ("DELETE", "/models/1")):
        r = call(http, method, path, key=KEY2, body={"name": "x", "type": "last_touch"})
        assert r.status_code == 403
        assert r.json()["message"] == "Insufficient permissions to access attribution resources."


def test_authenticated_user_overrides_user_id_in_the_body(http: httpx.Client) -> None:
    made = new_model(http, user_id=2)
    assert made["user_id"] == 1


# -- GET /models -------------------------------------------------------------------------------


def test_list_shows_active_models_only_newest_first(http: httpx.Client,
                                                    sandbox: dict[str, Any]) -> None:
    hidden = new_model(http, is_active=False)
    models = listed(http)
    assert hidden["model_id"] not in [m["model_id"] for m in models]
    assert all(m["is_active"] for m in models)
    assert [m["created_at"] for m in models] == sorted((m["created_at"] for m in models), reverse=True)
    assert set(models[0]) == {"model_id", "user_id", "name", "slug", "type", "is_active",
                              "is_default", "created_at", "updated_at", "weighting_config"}


def test_empty_weighting_is_returned_as_a_list(http: httpx.Client) -> None:
    assert new_model(http, type="assisted")["weighting_config"] == []


def test_type_filter_is_case_sensitive(http: httpx.Client) -> None:
    assert all(m["type"] == "time_decay" for m in call(http, "GET", "/models", type="time_decay").json()["data"])
    r = call(http, "GET", "/models", type="Time_Decay")
    assert (r.status_code, r.json()["message"]) == (400, "Unknown model type filter provided.")


def test_unparseable_row_makes_the_list_500_outside_the_envelope(http: httpx.Client) -> None:
    r = call(http, "GET", "/models", key=KEY4)
    assert r.status_code == 500 and r.json() == {"message": "Slim Application Error"}
    html = http.get("/attribution/models", params={"apikey": KEY4}, headers={"Accept": "text/html"})
    assert html.status_code == 500 and html.text.startswith("<html>")


# -- POST /models ------------------------------------------------------------------------------

VALIDATION = [
    ({"name": "  ", "type": "last_touch"}, v.MSG_NAME_REQUIRED),
    ({"model_name": "Old keys", "model_type": "last_touch"}, v.MSG_NAME_REQUIRED),
    ({"name": "x", "type": "linear"}, v.MSG_INVALID_TYPE),
    ({"name": "x", "type": "time_decay", "weighting_config": "48"}, v.MSG_CONFIG_NOT_OBJECT),
    ({"name": "x", "type": "time_decay", "weighting_config": {}}, v.MSG_CONFIG_REQUIRED),
    ({"name": "x", "type": "time_decay", "weighting_config": {"half_life_hours": 0}}, v.MSG_HALF_LIFE),
    ({"name": "x", "type": "position_based", "weighting_config": {"first_touch_weight": "a",
                                                                   "last_touch_weight": 0.4}},
     v.MSG_POSITION_NUMERIC),
    ({"name": "x", "type": "position_based", "weighting_config": {"first_touch_weight": 1.5,
                                                                   "last_touch_weight": 0}},
     v.MSG_POSITION_RANGE),
    ({"name": "x", "type": "position_based", "weighting_config": {"first_touch_weight": 0.6,
                                                                   "last_touch_weight": 0.6}},
     v.MSG_POSITION_SUM),
    ({"name": "x", "type": "assisted", "weighting_config": {"a": 1}}, v.MSG_NO_WEIGHTING),
]


@pytest.mark.parametrize(("body", "message"), VALIDATION)
def test_create_validation_messages_in_order(http: httpx.Client, body: dict, message: str) -> None:
    r = call(http, "POST", "/models", body=body)
    assert r.status_code == 400
    assert r.json() == {"error": True, "message": message}


def test_create_defaults_and_php_bool_cast(http: httpx.Client) -> None:
    made = new_model(http)
    assert (made["is_active"], made["is_default"]) == (True, False)
    stringly = new_model(http, is_active="false")  # (bool)"false" is true
    assert stringly["is_active"] is True


def test_create_answers_201_and_audits(http: httpx.Client, sandbox: dict[str, Any]) -> None:
    r = call(http, "POST", "/models", body={"name": "Audit Me", "type": "time_decay",
                                           "weighting_config": {"half_life_hours": 12}})
    assert r.status_code == 201
    made = r.json()["data"]
    audit = row(sandbox, "SELECT action, metadata FROM 202_attribution_audit WHERE model_id=:m "
                "ORDER BY audit_id DESC LIMIT 1", m=made["model_id"])
    assert audit.action == "model_create"
    assert json.loads(audit.metadata) == {"name": "Audit Me", "slug": made["slug"], "type": "time_decay"}


def test_slug_rules(http: httpx.Client) -> None:
    assert new_model(http, name="  Summer SALE -- 2026!! ")["slug"] == "summer-sale-2026"
    assert new_model(http, name="Other", slug="My Slug")["slug"] == "my-slug"
    assert new_model(http, name="Dup", slug="my-slug")["slug"] == "my-slug-1"
    assert new_model(http, name="Dup", slug="my-slug")["slug"] == "my-slug-2"
    assert new_model(http, name="¡¡¡")["slug"] == f"model-{NOW}"


def test_invalid_json_becomes_empty_payload(http: httpx.Client) -> None:
    r = call(http, "POST", "/models", body="{not json")
    assert (r.status_code, r.json()["message"]) == (400, v.MSG_NAME_REQUIRED)


def test_payload_is_query_merged_with_body_body_wins(http: httpx.Client) -> None:
    r = call(http, "POST", "/models", body={"name": "From Body"}, type="assisted", name="From Query")
    assert r.status_code == 201
    assert (r.json()["data"]["name"], r.json()["data"]["type"]) == ("From Body", "assisted")


def test_default_demotes_every_other_model_and_forces_active(http: httpx.Client) -> None:
    made = new_model(http, is_active=False, is_default=True)
    assert (made["is_active"], made["is_default"]) == (True, True)
    assert [m["model_id"] for m in listed(http) if m["is_default"]] == [made["model_id"]]


# -- PATCH /models/{id} -------------------------------------------------------------------------


def test_patch_always_recomputes_the_slug(http: httpx.Client, sandbox: dict[str, Any]) -> None:
    made = new_model(http, name="Keep Name", slug="hand-made")
    r = call(http, "PATCH", f"/models/{made['model_id']}", body={"is_active": True})
    assert r.status_code == 200 and r.json()["data"]["slug"] == "keep-name"
    audit = row(sandbox, "SELECT action, metadata FROM 202_attribution_audit WHERE model_id=:m "
                "ORDER BY audit_id DESC LIMIT 1", m=made["model_id"])
    assert audit.action == "model_update"
    assert json.loads(audit.metadata) == {"name": "Keep Name", "slug": "keep-name",
                                          "type": "last_touch", "is_active": True, "is_default": False}


def test_deactivating_the_default_is_undone(http: httpx.Client) -> None:
    made = new_model(http, is_default=True)
    r = call(http, "PATCH", f"/models/{made['model_id']}", body={"is_active": False})
    assert (r.json()["data"]["is_active"], r.json()["data"]["is_default"]) == (True, True)
    r = call(http, "PATCH", f"/models/{made['model_id']}", body={"is_active": False, "is_default": False})
    assert (r.json()["data"]["is_active"], r.json()["data"]["is_default"]) == (False, False)
    assert not [m for m in listed(http) if m["is_default"]]  # the user has no default now


def test_type_change_validates_the_old_config(http: httpx.Client) -> None:
    made = new_model(http, type="time_decay", weighting_config={"half_life_hours": 5})
    r = call(http, "PATCH", f"/models/{made['model_id']}", body={"type": "last_touch"})
    assert (r.status_code, r.json()["message"]) == (400, v.MSG_NO_WEIGHTING)
    r = call(http, "PATCH", f"/models/{made['model_id']}", body={"type": "last_touch",
                                                                 "weighting_config": None})
    assert r.status_code == 200 and r.json()["data"]["type"] == "last_touch"


def test_missing_or_foreign_model_is_400_never_404(http: httpx.Client) -> None:
    for model_id in (999999, 5):  # 5 belongs to user 2
        r = call(http, "PATCH", f"/models/{model_id}", body={"name": "x"})
        assert (r.status_code, r.json()) == (400, {"error": True, "message": "Attribution model not found."})


# -- DELETE /models/{id} ------------------------------------------------------------------------


def test_delete_is_204_and_takes_snapshots_touchpoints_settings(http: httpx.Client,
                                                                 sandbox: dict[str, Any]) -> None:
    made = new_model(http, name="Doomed")
    mid = made["model_id"]
    with sandbox["engine"].begin() as conn:
        conn.execute(text("INSERT INTO 202_attribution_snapshots (model_id, user_id, scope_type, "
                          "date_hour, lookback_start, lookback_end, created_at) VALUES "
                          "(:m, 1, 'global', 3600, 0, 3600, 1)"), {"m": mid})
        sid = conn.execute(text("SELECT MAX(snapshot_id) FROM 202_attribution_snapshots")).scalar()
        conn.execute(text("INSERT INTO 202_attribution_touchpoints (snapshot_id, conv_id, click_id, "
                          "created_at) VALUES (:s, 1, 1, 1)"), {"s": sid})
        conn.execute(text("INSERT INTO 202_attribution_settings (user_id, scope_type, scope_id, "
                          "model_id, multi_touch_enabled, effective_at, created_at, updated_at) "
                          "VALUES (1, 'campaign', 777, :m, 0, 1, 1, 1)"), {"m": mid})
    r = call(http, "DELETE", f"/models/{mid}")
    assert r.status_code == 204 and r.content == b""
    for table in ("202_attribution_models", "202_attribution_snapshots",
                  "202_attribution_settings"):
        assert row(sandbox, f"SELECT COUNT(*) FROM {table} WHERE model_id=:m", m=mid)[0] == 0
    assert row(sandbox, "SELECT COUNT(*) FROM 202_attribution_touchpoints WHERE snapshot_id=:s",
               s=sid)[0] == 0
    audit = row(sandbox, "SELECT action, metadata FROM 202_attribution_audit WHERE model_id=:m "
                "ORDER BY audit_id DESC LIMIT 1", m=mid)
    assert audit.action == "model_delete"
    assert json.loads(audit.metadata) == {"name": "Doomed", "slug": made["slug"]}


# -- routes outside the envelope --------------------------------------------------------------


def test_unknown_route_404_and_wrong_method_405_outside_the_envelope(http: httpx.Client) -> None:
    r = call(http, "GET", "/nothing-here")
    assert r.status_code == 404 and "error" not in r.json()
    r = call(http, "PUT", "/models/1", body={"name": "x"})  # there is no PUT in v2
    assert r.status_code == 405 and "error" not in r.json()
    r = call(http, "PUT", "/models/1", body={"name": "x"})
    assert r.headers["allow"] == "PATCH, DELETE"  # Slim's 405 names the allowed methods
    # {modelId} matches any segment and is cast with (int): "abc" is model 0, not a 404 (upstream).
    r = call(http, "PATCH", "/models/abc", body={})
    assert (r.status_code, r.json()["message"]) == (400, "Attribution model not found.")


# -- snapshots, metrics ------------------------------------------------------------------------


def test_snapshots_window_pagination_and_defaults(http: httpx.Client) -> None:
    start, end = clock.hour(NOW) - 86400, clock.hour(NOW)
    r = call(http, "GET", "/models/2/snapshots", start_hour=start, end_hour=end, limit=5, offset=2)
    body = r.json()
    assert r.status_code == 200 and body["pagination"] == {"limit": 5, "offset": 2}
    hours = [s["date_hour"] for s in body["data"]]
    assert hours == sorted(hours) and all(start <= h <= end for h in hours) and len(hours) == 5
    assert set(body["data"][0]) == {"snapshot_id", "date_hour", "attributed_clicks",
                                    "attributed_conversions", "attributed_revenue", "attributed_cost"}
    # start_hour and end_hour both default to now: an empty window unless now is a whole hour
    assert call(http, "GET", "/models/2/snapshots").json()["data"] == []
    r = call(http, "GET", "/models/2/snapshots", scope="planet")
    assert (r.status_code, r.json()["message"]) == (400, "Invalid scope value.")


def test_metrics_needs_a_model_id_and_reports_totals(http: httpx.Client) -> None:
    r = call(http, "GET", "/metrics")
    assert (r.status_code, r.json()["message"]) == (400, "A valid model_id parameter is required.")
    data = call(http, "GET", "/metrics", model_id=2).json()["data"]
    assert set(data) == {"totals", "snapshots", "touchpoint_mix", "anomalies"}
    assert data["totals"]["conversions"] == sum(s["attributed_conversions"] for s in data["snapshots"])
    # upstream's bucket order (AttributionService::buildTouchpointMix); [] with no snapshot shown
    assert [b["label"] for b in data["touchpoint_mix"]] in ([], ["First Touch", "Assist",
                                                                 "Last Touch"])
