"""The Prosper202 v2 API client. For now only the unauthenticated health route.

The v2 API key travels in the URL (query string), so: httpx's own request logging is silenced,
every URL we show is redacted, and status polling uses only `/api/v2/health`, which needs no key
(DESIGN, production safety 4).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx

from attribtui.config import redact_url

HEALTH_PATH = "/api/v2/health"
HEALTH_EXPECTED = {"error": False, "message": "Attribution API ready"}

# httpx logs every request URL at INFO; a URL may carry the API key.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


@dataclass(frozen=True)
class HealthResult:
    """The answer of GET {base_url}/api/v2/health. `status` is "ok" or "fail"."""

    ok: bool
    message: str
    http_status: int | None = None
    ms: float | None = None

    @property
    def status(self) -> str:
        return "ok" if self.ok else "fail"


def health_url(base_url: str) -> str:
    return base_url.rstrip("/") + HEALTH_PATH


def health(base_url: str, timeout_s: float = 5.0) -> HealthResult:
    """Probe the health route without any API key; never raises for network trouble."""
    url = health_url(base_url)
    shown = redact_url(url)
    t0 = time.perf_counter()
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
            resp = client.get(url, headers={"Accept": "application/json"})
    except httpx.TimeoutException:
        return HealthResult(False, f"no answer from {shown} within {timeout_s:g} s")
    except httpx.HTTPError as e:
        reason = type(e).__name__
        detail = str(e).split("\n")[0][:120]
        return HealthResult(False, f"cannot reach {shown} ({reason}: {redact_url(detail)})")
    ms = (time.perf_counter() - t0) * 1000
    code = resp.status_code
    try:
        body = resp.json()
    except ValueError:
        body = None
    if code == 200 and body == HEALTH_EXPECTED:
        return HealthResult(True, f"{HEALTH_EXPECTED['message']} ({ms:.0f} ms)", code, ms)
    if code != 200:
        return HealthResult(False, f"{shown} answered HTTP {code}; expected 200", code, ms)
    if not isinstance(body, dict):
        return HealthResult(
            False, f"{shown} did not answer JSON (is api.base_url the Prosper202 root?)", code, ms
        )
    message = str(body.get("message", ""))[:120]
    return HealthResult(False, f"{shown} answered unexpectedly: {message or body!r}", code, ms)
