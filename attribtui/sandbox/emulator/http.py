"""The HTTP side of Slim as the v2 API shows it: responses, envelopes, errors, requests.

Envelopes `{"error":false,"data":…}` / `{"error":true,"message":…}`; 400 for every validation
error; 404/405 for unknown routes and methods and 500 for unhandled errors, all *outside* the
envelope, as JSON or as HTML for a browser; DELETE answers 204 empty. The payload is the query
string merged with the JSON body (body wins); invalid JSON becomes `{}` (docs/prosper202.md
§Envelope and status codes, §Routes and auth).
"""

from __future__ import annotations

import json
from typing import TypeAlias
from wsgiref.types import WSGIEnvironment

from attribtui.vocab import JsonDict

# The request's parameters as a JSON document: the query merged with the JSON body (body wins).
Payload: TypeAlias = JsonDict
# The ids a route pattern captured ("{id}" -> "id").
Ids: TypeAlias = dict[str, str]

HEALTH_BODY = {"error": False, "message": "Attribution API ready"}
SLIM_ERROR = {"message": "Slim Application Error"}
SLIM_HTML = ("<html><head><title>Slim Application Error</title></head><body><h1>Slim "
             "Application Error</h1><p>A website error has occurred. Sorry for the temporary "
             "inconvenience.</p></body></html>")
REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error"}


class BadRequest(Exception):
    """An InvalidArgumentException: 400 with the message in the error envelope."""


class Unparseable(Exception):
    """A stored model row the engine cannot hydrate: Slim's 500 outside the envelope."""


class Response:
    def __init__(self, status: int, body: object = None, *, raw: bytes | None = None,
                 content_type: str = "application/json") -> None:
        self.status, self.content_type = status, content_type
        self.raw = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())


def ok(data: object, status: int = 200, **extra: object) -> Response:
    return Response(status, {"error": False, "data": data, **extra})


def fail(status: int, message: str) -> Response:
    return Response(status, {"error": True, "message": message})


def not_found(html: bool) -> Response:
    if html:
        return Response(404, raw=b"<html><body><h1>404 Page Not Found</h1></body></html>",
                        content_type="text/html")
    return Response(404, {"message": "Not found"})


def not_allowed(html: bool) -> Response:
    if html:
        return Response(405, raw=b"<html><body><h1>405 Method not allowed</h1></body></html>",
                        content_type="text/html")
    return Response(405, {"message": "Method not allowed"})


def slim_error(html: bool) -> Response:
    if html:
        return Response(500, raw=SLIM_HTML.encode(), content_type="text/html")
    return Response(500, SLIM_ERROR)


def wants_html(environ: WSGIEnvironment) -> bool:
    return "text/html" in environ.get("HTTP_ACCEPT", "")


def match(pattern: tuple[str, ...], parts: tuple[str, ...]) -> Ids | None:
    """The ids a route pattern captures from the path's parts; "{id}" matches digits only."""
    if len(pattern) != len(parts):
        return None
    ids: Ids = {}
    for want, got in zip(pattern, parts, strict=True):
        if want == "{id}":
            if not got.isdigit():
                return None
            ids["id"] = got
        elif want != got:
            return None
    return ids


def json_body(environ: WSGIEnvironment) -> Payload:
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
