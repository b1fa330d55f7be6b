"""The v2 attribution API emulator: Prosper202's `/api/v2` routes (facts section 2) on a sandbox DB.

A small WSGI app over SQLAlchemy Core, so the demo's model screen, the tests and operators in
training talk HTTP to something that behaves like the real Slim app, traps included:

- envelopes `{"error":false,"data":…}` / `{"error":true,"message":…}`; 400 for every validation
  error (a missing or foreign model too: never a 404); 404/405 for unknown routes and methods and
  500 for unhandled errors, all *outside* the envelope (facts section 8); DELETE answers 204 empty;
- the apikey is read from the query string only; payload = query merged with the JSON body (body
  wins); invalid JSON becomes `{}`; booleans are PHP `(bool)` casts, so `"false"` is true;
- slugs are recomputed on every PATCH; setting is_default demotes every other model of the user and
  forces this one active, so `{"is_active": false}` on the default is undone;
- a model row the engine cannot parse (a v3-only type such as `linear`, or an empty config on a
  type that needs one) makes the model routes for that user answer 500.

Sandbox permission model: 202_api_keys.scope holds a JSON list of permission names
(view_attribution_reports, manage_attribution_models) and stands in for the user's roles.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from attribtui.infra import clock, engines
from attribtui.prosper import tables as pt
from attribtui.prosper.models import ModelRow
from attribtui.prosper.settings import SCOPE_TYPES
from attribtui.prosper.validation import (
    MODEL_TYPES,
    parse_weighting_json,
    php_bool,
    php_int,
    slugify,
    unique_slug,
    validate_model_payload,
)

VIEW = "view_attribution_reports"
MANAGE = "manage_attribution_models"

MSG_KEY_REQUIRED = "API key required or user session must be active."
MSG_KEY_INVALID = "Invalid API key."
MSG_FORBIDDEN = "Insufficient permissions to access attribution resources."
MSG_NOT_FOUND = "Attribution model not found."
MSG_TYPE_FILTER = "Unknown model type filter provided."
MSG_SCOPE = "Invalid scope value."
MSG_MODEL_ID = "A valid model_id parameter is required."
MSG_EXPORT_SCOPE = "Invalid scope value supplied."
MSG_EXPORT_SCOPE_ID = "Scope identifier required for the selected scope."
MSG_EXPORT_WINDOW = "Start hour must be before end hour for exports."
MSG_EXPORT_FORMAT = "Unsupported export format requested."
MSG_WEBHOOK_URL = "Webhook URL is required when webhook settings are provided."
MSG_WEBHOOK_HEADERS = "Webhook headers must be an associative array of strings."
HEALTH_BODY = {"error": False, "message": "Attribution API ready"}
SLIM_ERROR = {"message": "Slim Application Error"}
SLIM_HTML = ("<html><head><title>Slim Application Error</title></head><body><h1>Slim "
             "Application Error</h1><p>A website error has occurred. Sorry for the temporary "
             "inconvenience.</p></body></html>")

m, s, tp, au, ex, keys = (pt.attribution_models, pt.attribution_snapshots,
                          pt.attribution_touchpoints, pt.attribution_audit,
                          pt.attribution_exports, pt.api_keys)


class Invalid(Exception):
    """An InvalidArgumentException: 400 with the message in the error envelope."""


class Unparseable(Exception):
    """A stored model row the engine cannot hydrate: Slim's 500 outside the envelope."""


class _Response:
    def __init__(self, status: int, body: Any = None, *, raw: bytes | None = None,
                 content_type: str = "application/json") -> None:
        self.status, self.content_type = status, content_type
        self.raw = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())


def ok(data: Any, status: int = 200, **extra: Any) -> _Response:
    return _Response(status, {"error": False, "data": data, **extra})


def fail(status: int, message: str) -> _Response:
    return _Response(status, {"error": True, "message": message})


REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error"}


# -- model rows --------------------------------------------------------------------------------


def hydrate(row: Any) -> dict[str, Any]:
    """The v2 model object; raises Unparseable where upstream's hydration fails."""
    model = ModelRow.from_mapping(row._mapping)
    if model.problem:
        raise Unparseable(model.problem)
    return {
        "model_id": model.model_id, "user_id": model.user_id, "name": model.name,
        "slug": model.slug, "type": model.type, "is_active": model.is_active,
        "is_default": model.is_default, "created_at": model.created_at,
        "updated_at": model.updated_at, "weighting_config": model.config if model.config else [],
    }


def _config_column(config: Any) -> str | None:
    return json.dumps(config) if config else None


# -- the app -----------------------------------------------------------------------------------


Handler = Callable[[Connection, int, dict[str, Any], dict[str, str]], _Response]


class Emulator:
    """The WSGI app. `url` is the sandbox database (MariaDB or the demo's SQLite file)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)
        # (method, path parts pattern, permission, handler); "{id}" matches digits only.
        self.routes: list[tuple[str, tuple[str, ...], str, Handler]] = [
            ("GET", ("models",), VIEW, self.list_models),
            ("POST", ("models",), MANAGE, self.create_model),
            ("PATCH", ("models", "{id}"), MANAGE, self.update_model),
            ("DELETE", ("models", "{id}"), MANAGE, self.delete_model),
            ("GET", ("models", "{id}", "snapshots"), VIEW, self.snapshots),
            ("GET", ("models", "{id}", "exports"), MANAGE, self.list_exports),
            ("POST", ("models", "{id}", "exports"), MANAGE, self.create_export),
            ("GET", ("sandbox",), MANAGE, self.sandbox),
            ("GET", ("metrics",), VIEW, self.metrics),
            ("GET", ("anomalies",), VIEW, self.anomalies),
        ]

    def close(self) -> None:
        self.engine.dispose()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        html = "text/html" in environ.get("HTTP_ACCEPT", "")
        try:
            resp = self.dispatch(environ)
        except Exception:  # Slim's default error handler: a 500 outside the envelope
            resp = _slim_error(html)
        headers = [("Content-Type", resp.content_type), ("Content-Length", str(len(resp.raw)))]
        if resp.status == 204:
            headers = []
        start_response(f"{resp.status} {REASONS.get(resp.status, '')}", headers)
        return [resp.raw]

    def dispatch(self, environ: dict[str, Any]) -> _Response:
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO", "")
        html = "text/html" in environ.get("HTTP_ACCEPT", "")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if path.rstrip("/") == "/api/v2/health":
            return (_Response(200, HEALTH_BODY) if method == "GET"
                    else _not_allowed(html))
        prefix = "/api/v2/attribution/"
        if not path.startswith(prefix):
            return _not_found(html)
        parts = tuple(p for p in path[len(prefix):].split("/") if p)
        matched = [(r, ids) for r in self.routes if (ids := _match(r[1], parts)) is not None]
        if not matched:
            return _not_found(html)
        route = next((r for r in matched if r[0][0] == method), None)
        if route is None:
            return _not_allowed(html)
        (_, _, permission, handler), ids = route
        payload = {**query, **_json_body(environ)}
        try:
            with self.engine.begin() as conn:
                user_id, denied = self.authenticate(conn, query.get("apikey"), permission)
                if denied:
                    return denied
                return handler(conn, user_id, payload, ids)
        except Invalid as e:  # the transaction was rolled back on the way out
            return fail(400, str(e))
        except Unparseable:
            return _slim_error(html)

    def authenticate(self, conn: Connection, apikey: str | None,
                     permission: str) -> tuple[int, _Response | None]:
        """The key from the query string only; the sandbox's scope JSON stands in for roles."""
        if not apikey:
            return 0, fail(401, MSG_KEY_REQUIRED)
        row = conn.execute(select(keys.c.user_id, keys.c.scope)
                           .where(keys.c.api_key == apikey).limit(1)).first()
        if row is None:
            return 0, fail(401, MSG_KEY_INVALID)
        try:
            granted = json.loads(row.scope or "[]")
        except ValueError:
            granted = []
        if not isinstance(granted, list) or permission not in granted:
            return 0, fail(403, MSG_FORBIDDEN)
        return int(row.user_id), None

    # -- models --------------------------------------------------------------------------------

    def _user_rows(self, conn: Connection, user_id: int) -> list[Any]:
        return list(conn.execute(select(m).where(m.c.user_id == user_id)
                                 .order_by(m.c.created_at.desc(), m.c.model_id.desc())))

    def _find(self, conn: Connection, user_id: int, model_id: int) -> Any:
        row = conn.execute(select(m).where(m.c.model_id == model_id)).first()
        if row is None or int(row.user_id) != user_id:
            raise Invalid(MSG_NOT_FOUND)
        hydrate(row)
        return row

    def list_models(self, conn: Connection, user_id: int, p: dict[str, Any],
                    ids: dict[str, str]) -> _Response:
        kind = p.get("type")
        if kind not in (None, "") and kind not in MODEL_TYPES:
            raise Invalid(MSG_TYPE_FILTER)
        models = [hydrate(r) for r in self._user_rows(conn, user_id)]  # one bad row fails all
        models = [x for x in models if x["is_active"] and (not kind or x["type"] == kind)]
        return ok(models)

    def create_model(self, conn: Connection, user_id: int, p: dict[str, Any],
                     ids: dict[str, str]) -> _Response:
        name, kind, config = p.get("name"), p.get("type"), p.get("weighting_config")
        error = validate_model_payload(name, kind, config)
        if error:
            raise Invalid(error)
        now = clock.now()
        name, kind = str(name).strip(), str(kind).lower()
        taken = {r.model_slug for r in self._user_rows(conn, user_id)}
        slug = unique_slug(slugify(str(p.get("slug") or "") or name, now), taken)
        is_active = php_bool(p.get("is_active", True))
        is_default = php_bool(p.get("is_default", False))
        model_id = conn.execute(insert(m).values(
            user_id=user_id, model_name=name, model_slug=slug, model_type=kind,
            weighting_config=_config_column(config), is_active=int(is_active),
            is_default=0, created_at=now, updated_at=now)).inserted_primary_key[0]
        if is_default:
            self._promote(conn, user_id, model_id, now)
        self._audit(conn, user_id, model_id, "model_create",
                    {"name": name, "slug": slug, "type": kind}, now)
        return ok(self._object(conn, model_id), 201)

    def update_model(self, conn: Connection, user_id: int, p: dict[str, Any],
                     ids: dict[str, str]) -> _Response:
        row = self._find(conn, user_id, int(ids["id"]))
        current, _ = parse_weighting_json(row.weighting_config)
        name = p.get("name", row.model_name)
        kind = p.get("type", row.model_type)
        config = p.get("weighting_config", current)
        error = validate_model_payload(name, kind, config)
        if error:
            raise Invalid(error)
        now = clock.now()
        name, kind = str(name).strip(), str(kind).lower()
        taken = {r.model_slug for r in self._user_rows(conn, user_id)}
        slug = unique_slug(slugify(str(p.get("slug") or "") or name, now), taken,
                           current=row.model_slug)
        is_active = php_bool(p["is_active"]) if "is_active" in p else bool(row.is_active)
        is_default = php_bool(p["is_default"]) if "is_default" in p else bool(row.is_default)
        conn.execute(update(m).where(m.c.model_id == row.model_id).values(
            model_name=name, model_slug=slug, model_type=kind,
            weighting_config=_config_column(config), is_active=int(is_active),
            is_default=int(is_default), updated_at=now))
        if is_default:
            self._promote(conn, user_id, row.model_id, now)
        after = self._object(conn, row.model_id)
        self._audit(conn, user_id, row.model_id, "model_update", {
            "name": after["name"], "slug": after["slug"], "type": after["type"],
            "is_active": after["is_active"], "is_default": after["is_default"]}, now)
        return ok(after)

    def delete_model(self, conn: Connection, user_id: int, p: dict[str, Any],
                     ids: dict[str, str]) -> _Response:
        row = self._find(conn, user_id, int(ids["id"]))
        snapshot_ids = select(s.c.snapshot_id).where(s.c.model_id == row.model_id)
        conn.execute(delete(tp).where(tp.c.snapshot_id.in_(snapshot_ids)))
        conn.execute(delete(s).where(s.c.model_id == row.model_id))
        conn.execute(delete(pt.attribution_settings)
                     .where(pt.attribution_settings.c.model_id == row.model_id))
        conn.execute(delete(m).where(m.c.model_id == row.model_id))
        self._audit(conn, user_id, row.model_id, "model_delete",
                    {"name": row.model_name, "slug": row.model_slug}, clock.now())
        return _Response(204)

    def _promote(self, conn: Connection, user_id: int, model_id: int, now: int) -> None:
        """set is_default: demote every model of the user, then promote this one, forced active."""
        conn.execute(update(m).where(m.c.user_id == user_id).values(is_default=0))
        conn.execute(update(m).where(m.c.model_id == model_id)
                     .values(is_default=1, is_active=1, updated_at=now))

    def _object(self, conn: Connection, model_id: int) -> dict[str, Any]:
        return hydrate(conn.execute(select(m).where(m.c.model_id == model_id)).one())

    def _audit(self, conn: Connection, user_id: int, model_id: int | None, action: str,
               meta: dict[str, Any], now: int) -> None:
        conn.execute(insert(au).values(user_id=user_id, model_id=model_id, action=action,
                                       metadata=json.dumps(meta), created_at=now))

    # -- snapshots, metrics -----------------------------------------------------------------------

    def snapshots(self, conn: Connection, user_id: int, p: dict[str, Any],
                  ids: dict[str, str]) -> _Response:
        row = self._find(conn, user_id, int(ids["id"]))
        scope_id = _scope(p, MSG_SCOPE)
        now = clock.now()
        start = php_int(p.get("start_hour", now)) if p.get("start_hour", "") != "" else now
        end = php_int(p.get("end_hour", now)) if p.get("end_hour", "") != "" else now
        limit = min(1000, max(1, php_int(p.get("limit", 500)) or 500))
        offset = max(0, php_int(p.get("offset", 0)))
        query = (select(s).where(s.c.model_id == row.model_id,
                                 s.c.date_hour.between(start, end), _scope_filter(scope_id))
                 .order_by(s.c.date_hour, s.c.snapshot_id).limit(limit).offset(offset))
        items = [_snapshot(r) for r in conn.execute(query)]
        return ok(items, pagination={"limit": limit, "offset": offset})

    def _window(self, conn: Connection, user_id: int, p: dict[str, Any]) -> tuple[Any, ...]:
        model_id = php_int(p.get("model_id", 0))
        if model_id <= 0:
            raise Invalid(MSG_MODEL_ID)
        row = self._find(conn, user_id, model_id)
        scope_id = _scope(p, MSG_SCOPE)
        now = clock.now()
        start = php_int(p["start_hour"]) if p.get("start_hour", "") != "" else now - 86400
        end = php_int(p["end_hour"]) if p.get("end_hour", "") != "" else now
        limit = min(500, max(1, php_int(p.get("limit", 168)) or 168))
        return row, scope_id, start, end, limit

    def metrics(self, conn: Connection, user_id: int, p: dict[str, Any],
                ids: dict[str, str]) -> _Response:
        row, scope_id, start, end, limit = self._window(conn, user_id, p)
        where = and_(s.c.model_id == row.model_id, s.c.date_hour.between(start, end),
                     _scope_filter(scope_id))
        t = conn.execute(select(func.coalesce(func.sum(s.c.attributed_revenue), 0),
                                func.coalesce(func.sum(s.c.attributed_conversions), 0),
                                func.coalesce(func.sum(s.c.attributed_cost), 0)).where(where)).one()
        revenue, conversions, cost = float(t[0]), int(t[1]), float(t[2])
        clicks = conn.execute(select(func.count()).select_from(pt.clicks).where(
            pt.clicks.c.user_id == user_id, pt.clicks.c.click_time.between(start, end),
            *_click_scope(p.get("scope") or "global", scope_id))).scalar_one()
        shown = [_snapshot(r) for r in conn.execute(
            select(s).where(where).order_by(s.c.date_hour, s.c.snapshot_id).limit(limit))]
        totals = {"revenue": round(revenue, 4), "conversions": conversions, "clicks": int(clicks),
                  "cost": round(cost, 4),
                  "roi": round((revenue - cost) / cost * 100, 2) if cost > 0 else None}
        return ok({"totals": totals, "snapshots": shown,
                   "touchpoint_mix": self._mix(conn, [x["snapshot_id"] for x in shown]),
                   "anomalies": _anomalies(shown)})

    def anomalies(self, conn: Connection, user_id: int, p: dict[str, Any],
                  ids: dict[str, str]) -> _Response:
        row, scope_id, start, end, limit = self._window(conn, user_id, p)
        shown = [_snapshot(r) for r in conn.execute(
            select(s).where(s.c.model_id == row.model_id, s.c.date_hour.between(start, end),
                            _scope_filter(scope_id))
            .order_by(s.c.date_hour, s.c.snapshot_id).limit(limit))]
        return ok({"anomalies": _anomalies(shown)})

    def _mix(self, conn: Connection, snapshot_ids: list[int]) -> list[dict[str, Any]]:
        buckets = {"first_touch": [0.0, 0], "last_touch": [0.0, 0], "assist_touch": [0.0, 0]}
        for i in range(0, len(snapshot_ids), 500):
            chunk = snapshot_ids[i:i + 500]
            top = dict(conn.execute(select(tp.c.snapshot_id, func.max(tp.c.position))
                                    .where(tp.c.snapshot_id.in_(chunk))
                                    .group_by(tp.c.snapshot_id)).all())
            for r in conn.execute(select(tp.c.snapshot_id, tp.c.position, tp.c.credit)
                                  .where(tp.c.snapshot_id.in_(chunk))):
                key = ("first_touch" if r.position == 0 else
                       "last_touch" if r.position == top[r.snapshot_id] else "assist_touch")
                buckets[key][0] += float(r.credit)
                buckets[key][1] += 1
        total = sum(b[0] for b in buckets.values())
        labels = {"first_touch": "First Touch", "last_touch": "Last Touch",
                  "assist_touch": "Assist"}
        return [{"bucket": k, "label": labels[k], "total_credit": round(v[0], 5),
                 "touch_count": v[1], "share": round(v[0] / total * 100, 2) if total else 0.0}
                for k, v in buckets.items()]

    # -- exports, sandbox -------------------------------------------------------------------------

    def list_exports(self, conn: Connection, user_id: int, p: dict[str, Any],
                     ids: dict[str, str]) -> _Response:
        row = self._find(conn, user_id, int(ids["id"]))
        limit = min(100, max(1, php_int(p.get("limit", 20)) or 20))
        rows = conn.execute(select(ex).where(ex.c.model_id == row.model_id,
                                             ex.c.user_id == user_id)
                            .order_by(ex.c.queued_at.desc()).limit(limit))
        return ok([_export(r) for r in rows])

    def create_export(self, conn: Connection, user_id: int, p: dict[str, Any],
                      ids: dict[str, str]) -> _Response:
        row = self._find(conn, user_id, int(ids["id"]))
        scope = p.get("scope") or "global"
        if scope not in SCOPE_TYPES:
            raise Invalid(MSG_EXPORT_SCOPE)
        raw_id = p.get("scope_id")
        scope_id = php_int(raw_id) if raw_id not in (None, "") else None
        if scope != "global" and not scope_id:
            raise Invalid(MSG_EXPORT_SCOPE_ID)
        now = clock.now()
        start = php_int(p["start_hour"]) if p.get("start_hour", "") != "" else now - 86400
        end = php_int(p["end_hour"]) if p.get("end_hour", "") != "" else now
        if start >= end:
            raise Invalid(MSG_EXPORT_WINDOW)
        fmt = str(p.get("format") or "csv").lower()
        if fmt not in ("csv", "xls"):
            raise Invalid(MSG_EXPORT_FORMAT)
        webhook = p.get("webhook")
        if webhook:
            if not isinstance(webhook, dict) or not webhook.get("url"):
                raise Invalid(MSG_WEBHOOK_URL)
            headers = webhook.get("headers") or {}
            if not isinstance(headers, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
                raise Invalid(MSG_WEBHOOK_HEADERS)
        export_id = conn.execute(insert(ex).values(
            user_id=user_id, model_id=row.model_id, scope_type=scope, scope_id=scope_id,
            start_hour=start, end_hour=end, requested_format=fmt, status="pending",
            webhook_url=webhook.get("url") if webhook else None,
            webhook_secret=webhook.get("secret") if webhook else None,
            webhook_headers=json.dumps(webhook.get("headers")) if webhook else None,
            queued_at=now, created_at=now, updated_at=now)).inserted_primary_key[0]
        self._audit(conn, user_id, row.model_id, "export_scheduled", {
            "export_id": export_id, "scope": scope, "scope_id": scope_id, "start_hour": start,
            "end_hour": end, "format": fmt,
            "webhook": {"url": webhook.get("url")} if webhook else None}, now)
        created = conn.execute(select(ex).where(ex.c.export_id == export_id)).one()
        return ok(_export(created), 201)

    def sandbox(self, conn: Connection, user_id: int, p: dict[str, Any],
                ids: dict[str, str]) -> _Response:
        wanted = [x for x in str(p.get("models") or "").split(",") if x]
        models = [hydrate(r) for r in self._user_rows(conn, user_id)]
        chosen = [x for x in models if x["is_active"] and (not wanted or x["slug"] in wanted)]
        return ok({"models": chosen, "summary": {"message": "Sandbox comparison is a stub.",
                                                 "models": len(chosen)}, "comparisons": []})


# -- helpers -----------------------------------------------------------------------------------


def _engine(url: str) -> Engine:
    # NullPool on SQLite: the demo swaps its database file on reseed; each request opens the
    # current one.
    return engines.create(url, null_pool=engines.is_sqlite(url))


def _match(pattern: tuple[str, ...], parts: tuple[str, ...]) -> dict[str, str] | None:
    if len(pattern) != len(parts):
        return None
    ids: dict[str, str] = {}
    for want, got in zip(pattern, parts, strict=True):
        if want == "{id}":
            if not got.isdigit():
                return None
            ids["id"] = got
        elif want != got:
            return None
    return ids


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    """The JSON body as an object; anything else (invalid JSON, a list) silently becomes {}."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return {}
    try:
        body = json.loads(environ["wsgi.input"].read(length))
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _not_found(html: bool) -> _Response:
    if html:
        return _Response(404, raw=b"<html><body><h1>404 Page Not Found</h1></body></html>",
                         content_type="text/html")
    return _Response(404, {"message": "Not found"})


def _not_allowed(html: bool) -> _Response:
    if html:
        return _Response(405, raw=b"<html><body><h1>405 Method not allowed</h1></body></html>",
                         content_type="text/html")
    return _Response(405, {"message": "Method not allowed"})


def _slim_error(html: bool) -> _Response:
    if html:
        return _Response(500, raw=SLIM_HTML.encode(), content_type="text/html")
    return _Response(500, SLIM_ERROR)


def _scope(p: dict[str, Any], message: str) -> int | None:
    scope = p.get("scope") or "global"
    if scope not in SCOPE_TYPES:
        raise Invalid(message)
    raw = p.get("scope_id")
    return php_int(raw) if raw not in (None, "") else None


def _scope_filter(scope_id: int | None) -> Any:
    return s.c.scope_id.is_(None) if scope_id is None else s.c.scope_id == scope_id


def _click_scope(scope: str, scope_id: int | None) -> list[Any]:
    column = {"campaign": pt.clicks.c.aff_campaign_id, "account": pt.clicks.c.ppc_account_id,
              "landing_page": pt.clicks.c.landing_page_id}.get(scope)
    return [column == scope_id] if column is not None and scope_id else []


def _snapshot(r: Any) -> dict[str, Any]:
    return {"snapshot_id": int(r.snapshot_id), "date_hour": int(r.date_hour),
            "attributed_clicks": int(r.attributed_clicks),
            "attributed_conversions": int(r.attributed_conversions),
            "attributed_revenue": round(float(r.attributed_revenue), 4),
            "attributed_cost": round(float(r.attributed_cost), 4)}


def _export(r: Any) -> dict[str, Any]:
    return {"export_id": int(r.export_id), "model_id": int(r.model_id), "scope": r.scope_type,
            "scope_id": r.scope_id, "start_hour": r.start_hour, "end_hour": r.end_hour,
            "format": r.requested_format, "status": r.status, "queued_at": r.queued_at,
            "completed_at": r.completed_at, "rows_exported": r.rows_exported}


def _anomalies(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last displayed hour against the mean of the earlier ones (facts section 2)."""
    found = []
    if len(shown) < 2:
        return found
    for metric, key in (("conversions", "attributed_conversions"),
                        ("revenue", "attributed_revenue")):
        earlier = [x[key] for x in shown[:-1]]
        mean = sum(earlier) / len(earlier)
        if mean <= 0:
            continue
        delta = (shown[-1][key] - mean) / mean * 100
        if abs(delta) < 25:
            continue
        found.append({"metric": metric, "severity": "critical" if abs(delta) >= 50 else "warning",
                      "direction": "up" if delta > 0 else "down",
                      "delta_percent": round(delta, 2),
                      "message": f"Latest {metric} changed by {delta:.2f}% compared to the "
                                 "trailing average."})
    return found


# -- serving -----------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """wsgiref logs every request line to stderr, URL (and so the apikey) included: never."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


class _ThreadingServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        # One thread per request, so a slow client cannot block the demo's console.
        t = threading.Thread(target=self._serve_one, args=(request, client_address), daemon=True)
        t.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - a broken client connection must not kill the server
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # the default prints a traceback to stderr, over the console


def serve(url: str, host: str = "127.0.0.1", port: int = 0) -> tuple[WSGIServer, threading.Thread]:
    """Serve the emulator for `url` on host:port (0 = a free port) in a daemon thread.

    The base URL is f"http://{host}:{server.server_port}"; stop with server.shutdown().
    """
    app = Emulator(url)
    server = make_server(host, port, app, server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="v2 API emulator", daemon=True)
    thread.start()
    return server, thread


def base_url(server: WSGIServer) -> str:
    host = server.server_address[0]
    return f"http://{host}:{server.server_port}"


def show_keys(url: str, limit: int = 20) -> list[str]:
    """The sandbox's API keys and their permissions (sandbox keys only: training logins)."""
    engine = engines.create(url, null_pool=True)
    try:
        with engine.connect() as conn:
            return [f"user {r.user_id}: apikey={r.api_key} permissions={r.scope}"
                    for r in conn.execute(select(keys).limit(limit))]
    finally:
        engine.dispose()
