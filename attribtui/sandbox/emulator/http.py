"""The HTTP side of Slim 3 as the v2 API shows it: responses, envelopes, errors, requests.

Envelopes `{"error":false,"data":…}` / `{"error":true,"message":…}` as `application/json`; 400 for
every InvalidArgumentException. Slim's own pages for what the handlers never see: 404 for an
unknown path, 405 with an `Allow` header for a wrong method (200 "Allowed methods" for OPTIONS),
500 for an uncaught exception, each as HTML unless the `Accept` header names JSON first (Slim's
`determineContentType`; HTML is Slim's default). DELETE answers 204 empty. Bodies are encoded like
PHP's json_encode: a float with no fraction is written as an integer. The payload is the query
merged with the JSON body (body wins); a body that is not a JSON object or array becomes `{}`
(docs/prosper202.md §Envelope and status codes, §Routes and auth; checked against upstream by
tests/functional/test_golden_api.py).
"""

from __future__ import annotations

import json
import math
from typing import TypeAlias
from wsgiref.types import WSGIEnvironment

from attribtui.vocab import JsonDict

# The request's parameters as a JSON document: the query merged with the JSON body (body wins).
Payload: TypeAlias = JsonDict
# The ids a route pattern captured ("{id}" -> "id").
Ids: TypeAlias = dict[str, str]

HEALTH_BODY = {"error": False, "message": "Attribution API ready"}
JSON = "application/json"
SLIM_HTML_TYPE = "text/html;charset=UTF-8"
SLIM_JSON_TYPE = "application/json"
REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error"}
_KNOWN_TYPES = ("application/json", "application/xml", "text/xml", "text/html")
_STYLE = """        <style>
            body{
                margin:0;
                padding:30px;
                font:12px/1.5 Helvetica,Arial,Verdana,sans-serif;
            }
            h1{
                margin:0;
                font-size:48px;
                font-weight:normal;
                line-height:48px;
            }
"""
NOT_FOUND_HTML = ("<html>\n    <head>\n        <title>Page Not Found</title>\n" + _STYLE +
                  "            strong{\n                display:inline-block;\n"
                  "                width:65px;\n            }\n        </style>\n    </head>\n"
                  "    <body>\n        <h1>Page Not Found</h1>\n        <p>\n"
                  "            The page you are looking for could not be found. Check the address"
                  " bar\n            to ensure your URL is spelled correctly. If all else fails, "
                  "you can\n            visit our home page at the link below.\n        </p>\n"
                  "        <a href='{home}'>Visit the Home Page</a>\n    </body>\n</html>")
NOT_ALLOWED_HTML = ("<html>\n    <head>\n        <title>Method not allowed</title>\n" + _STYLE +
                    "        </style>\n    </head>\n    <body>\n        <h1>Method not allowed"
                    "</h1>\n        <p>Method not allowed. Must be one of: <strong>{allow}</strong>"
                    "</p>\n    </body>\n</html>")
ERROR_HTML = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=utf-8'>"
              "<title>Slim Application Error</title><style>body{margin:0;padding:30px;font:12px/"
              "1.5 Helvetica,Arial,Verdana,sans-serif;}h1{margin:0;font-size:48px;font-weight:"
              "normal;line-height:48px;}strong{display:inline-block;width:65px;}</style></head>"
              "<body><h1>Slim Application Error</h1><p>A website error has occurred. Sorry for "
              "the temporary inconvenience.</p></body></html>")


class BadRequest(Exception):
    """An InvalidArgumentException: 400 with the message in the error envelope."""


class Unparseable(Exception):
    """An uncaught exception in a handler (a ValueError or JsonException while hydrating a model
    row): Slim's 500 page, outside the envelope."""


def php_json(value: object) -> object:
    """What PHP's json_encode writes for a value: floats without a fraction become integers."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [php_json(v) for v in value]
    if isinstance(value, dict):
        return {k: php_json(v) for k, v in value.items()}
    return value


class Response:
    def __init__(self, status: int, body: object = None, *, raw: bytes | None = None,
                 content_type: str = JSON, allow: str | None = None) -> None:
        self.status, self.content_type, self.allow = status, content_type, allow
        self.raw = raw if raw is not None else (
            b"" if body is None else json.dumps(php_json(body), separators=(",", ":"),
                                                ensure_ascii=False).encode())


def ok(data: object, status: int = 200, **extra: object) -> Response:
    return Response(status, {"error": False, "data": data, **extra})


def fail(status: int, message: str) -> Response:
    return Response(status, {"error": True, "message": message})


def wanted_type(environ: WSGIEnvironment) -> str:
    """Slim 3's determineContentType: the first known type listed in Accept, else text/html."""
    accept = str(environ.get("HTTP_ACCEPT", ""))
    for part in accept.split(","):
        if part in _KNOWN_TYPES:
            return part
    for suffix in ("json", "xml"):
        if f"+{suffix}" in accept:
            return f"application/{suffix}"
    return "text/html"


def _is_json(environ: WSGIEnvironment) -> bool:
    return wanted_type(environ) == "application/json"


def not_found(environ: WSGIEnvironment, home: str) -> Response:
    if _is_json(environ):
        return Response(404, raw=b'{"message":"Not found"}', content_type=SLIM_JSON_TYPE)
    return Response(404, raw=NOT_FOUND_HTML.replace("{home}", home).encode(),
                    content_type=SLIM_HTML_TYPE)


def not_allowed(environ: WSGIEnvironment, methods: list[str]) -> Response:
    allow = ", ".join(methods)
    if environ["REQUEST_METHOD"].upper() == "OPTIONS":
        return Response(200, raw=f"Allowed methods: {allow}".encode(),
                        content_type="text/plain;charset=UTF-8", allow=allow)
    if _is_json(environ):
        raw = ('{"message":"Method not allowed. Must be one of: ' + allow + '"}').encode()
        return Response(405, raw=raw, content_type=SLIM_JSON_TYPE, allow=allow)
    return Response(405, raw=NOT_ALLOWED_HTML.replace("{allow}", allow).encode(),
                    content_type=SLIM_HTML_TYPE, allow=allow)


def slim_error(environ: WSGIEnvironment) -> Response:
    if _is_json(environ):
        return Response(500, raw=b'{"message":"Slim Application Error"}',
                        content_type=SLIM_JSON_TYPE)
    return Response(500, raw=ERROR_HTML.encode(), content_type=SLIM_HTML_TYPE)


def match(pattern: tuple[str, ...], parts: tuple[str, ...]) -> Ids | None:
    """The ids a route pattern captures from the path's parts; "{id}" matches any one segment
    (FastRoute's `[^/]+`), which the handler then casts with PHP's (int)."""
    if len(pattern) != len(parts):
        return None
    ids: Ids = {}
    for want, got in zip(pattern, parts, strict=True):
        if want == "{id}":
            if not got:
                return None
            ids["id"] = got
        elif want != got:
            return None
    return ids


def json_body(environ: WSGIEnvironment) -> Payload:
    """The JSON body (an object, or a list as PHP's array with keys 0..n-1); anything else
    silently becomes {} (decode_json_body in api/v2/app.php)."""
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
    if isinstance(body, list):
        return {str(i): v for i, v in enumerate(body)}
    return body if isinstance(body, dict) else {}
