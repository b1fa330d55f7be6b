"""One v2 API request of a golden file, sent and recorded the same way for upstream and for us.

A response is recorded as {"status", "content_type", "allow", "body"}: the body parsed as JSON when
it is JSON, else its text. Dropped as environment, not behaviour: Date, Host, Connection,
X-Powered-By, Set-Cookie and the session cache headers PHP's session_start() adds (connect.php
starts a session on every request; the emulator has no sessions), and Content-Length.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx

Record = dict[str, object]


def send(client: httpx.Client, base: str, request: Mapping[str, object]) -> Record:
    """Send one golden request; the base URL in a body (Slim's 404 page links home) reads {base}."""
    url = f"{base}{request['path']}"
    if request.get("qs"):
        url += f"?{request['qs']}"
    headers = {"Accept": str(request["accept"])} if request.get("accept") else {}
    body = request.get("body")
    if body is not None:
        headers["Content-Type"] = "application/json"
    resp = client.request(str(request["method"]), url, headers=headers,
                          content=None if body is None else str(body).encode())
    return record(resp, base)


def record(resp: httpx.Response, base: str = "") -> Record:
    text = resp.text.replace(base, "{base}") if base else resp.text
    body: object
    try:
        body = json.loads(text) if text else ""
    except ValueError:
        body = text
    return {"status": resp.status_code, "content_type": resp.headers.get("content-type"),
            "allow": resp.headers.get("allow"), "body": body}


def canonical(value: object) -> object:
    """JSON with ints, floats and bools kept apart (1, 1.0 and true are different answers)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    return value


def same(a: Record, b: Record) -> bool:
    return canonical(a) == canonical(b)


PHP_WARNING = ("deliberate: PHP prints 'Array to string conversion' into the body when a "
               "parameter arrives as an array (apikey[]=, name: [..]); the emulator does not "
               "reproduce PHP warnings (nor PHP's parse_str array syntax)")


def explained(upstream: Record) -> str | None:
    """Why an answer of ours may differ from upstream's `upstream`, or None: the one deliberate
    difference (the harness and tests/functional/test_golden_api.py judge alike)."""
    body = upstream["body"]
    if isinstance(body, str) and "<b>Warning</b>" in body:
        return PHP_WARNING
    return None
