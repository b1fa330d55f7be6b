"""The WSGI app: routing, authentication, one transaction per request, Slim's error handling.

The apikey is read from the query string only; the sandbox's 202_api_keys.scope holds a JSON
list of permission names (view_attribution_reports, manage_attribution_models) and stands in for
the user's roles (docs/prosper202.md §Routes and auth).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl
from wsgiref.types import StartResponse, WSGIEnvironment

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from attribtui.infra import engines
from attribtui.prosper import tables as pt
from attribtui.prosper.php import php_trim
from attribtui.sandbox.emulator import exports, models, reports
from attribtui.sandbox.emulator.http import (
    HEALTH_BODY,
    REASONS,
    BadRequest,
    Ids,
    Payload,
    Response,
    Unparseable,
    fail,
    json_body,
    match,
    not_allowed,
    not_found,
    slim_error,
)

VIEW = "view_attribution_reports"
MANAGE = "manage_attribution_models"

MSG_KEY_REQUIRED = "API key required or user session must be active."
MSG_KEY_INVALID = "Invalid API key."
MSG_FORBIDDEN = "Insufficient permissions to access attribution resources."

BASE_PATH = "/api/v2"
HEALTH_PATH = "/api/v2/health"
PREFIX = "/api/v2/attribution/"

Handler = Callable[[Connection, int, Payload, Ids], Response]
# (method, path parts pattern, permission, handler); "{id}" matches digits only.
Route = tuple[str, tuple[str, ...], str, Handler]

ROUTES: list[Route] = [
    ("GET", ("models",), VIEW, models.list_models),
    ("POST", ("models",), MANAGE, models.create_model),
    ("PATCH", ("models", "{id}"), MANAGE, models.update_model),
    ("DELETE", ("models", "{id}"), MANAGE, models.delete_model),
    ("GET", ("models", "{id}", "snapshots"), VIEW, reports.snapshots),
    ("GET", ("models", "{id}", "exports"), MANAGE, exports.list_exports),
    ("POST", ("models", "{id}", "exports"), MANAGE, exports.create_export),
    ("GET", ("sandbox",), MANAGE, models.sandbox),
    ("GET", ("metrics",), VIEW, reports.metrics),
    ("GET", ("anomalies",), VIEW, reports.anomalies),
]


def _engine(url: str) -> Engine:
    # NullPool on SQLite: the demo swaps its database file on reseed; each request opens the
    # current one.
    return engines.create(url, null_pool=engines.is_sqlite(url))


class Emulator:
    """The WSGI app. `url` is the sandbox database (MariaDB or the demo's SQLite file)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)
        self.routes = list(ROUTES)

    def close(self) -> None:
        self.engine.dispose()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            resp = self.dispatch(environ)
        except Exception:  # Slim's default error handler: a 500 outside the envelope
            resp = slim_error(environ)
        headers = [("Content-Type", resp.content_type), ("Content-Length", str(len(resp.raw)))]
        if resp.allow is not None:
            headers.append(("Allow", resp.allow))
        if resp.status == 204:
            headers = []
        body = b"" if environ["REQUEST_METHOD"].upper() == "HEAD" else resp.raw
        start_response(f"{resp.status} {REASONS.get(resp.status, '')}", headers)
        return [body]

    def dispatch(self, environ: WSGIEnvironment) -> Response:
        """Slim's routing: exact paths (a trailing slash is another path), 404 before 405, HEAD
        served by the GET route, OPTIONS answered with the allowed methods; then the route's
        authorization middleware, then the handler."""
        method = environ["REQUEST_METHOD"].upper()
        method = "GET" if method == "HEAD" else method
        path = environ.get("PATH_INFO", "")
        home = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}{BASE_PATH}/"
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if path == HEALTH_PATH:
            return Response(200, HEALTH_BODY) if method == "GET" else not_allowed(environ,
                                                                                    ["GET"])
        if not path.startswith(PREFIX):
            return not_found(environ, home)
        parts = tuple(path[len(PREFIX):].split("/"))
        matched = [(r, ids) for r in self.routes if (ids := match(r[1], parts)) is not None]
        if not matched:
            return not_found(environ, home)
        route = next((r for r in matched if r[0][0] == method), None)
        if route is None:
            return not_allowed(environ, [r[0] for r, _ in matched])
        (_, _, permission, handler), ids = route
        payload = {**query, **json_body(environ)} if method in ("POST", "PATCH") else query
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "mysql":  # connect.php: SET session sql_mode = ''
                    conn.exec_driver_sql("SET SESSION sql_mode = ''")
                user_id, denied = self.authenticate(conn, query.get("apikey"), permission)
                if denied:
                    return denied
                return handler(conn, user_id, payload, ids)
        except BadRequest as e:  # the transaction was rolled back on the way out
            return fail(400, str(e))
        except Unparseable:
            return slim_error(environ)

    def authenticate(self, conn: Connection, apikey: str | None,
                     permission: str) -> tuple[int, Response | None]:
        """The key from the query string only; the sandbox's scope JSON stands in for roles."""
        apikey = php_trim(apikey or "")
        if not apikey:
            return 0, fail(401, MSG_KEY_REQUIRED)
        keys = pt.api_keys
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
