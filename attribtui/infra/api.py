"""The Prosper202 v2 API client: the unauthenticated health probe and `V2Client`.

The v2 API key travels in the URL (query string), so: httpx's own request logging is silenced,
every URL we show is redacted, and status polling uses only `/api/v2/health`, which needs no key
(docs/architecture.md, promise 4).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import httpx

from attribtui import vocab
from attribtui.infra.config import Profile
from attribtui.infra.redact import (
    REDACTED,
    http_url_problem,
    redact_text,
    redact_url,
    redact_urls_in,
)
from attribtui.vocab import AttribtuiError, JsonDict, Refused

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


def bad_base_url(url: str, error: Exception | None = None) -> str:
    """One line on an unusable api.base_url that quotes no part of it (a password may hide in
    it: docs/architecture.md, "Secrets")."""
    why = http_url_problem(url)
    if why is None:
        why = f"not usable ({type(error).__name__ if error else 'rejected by the HTTP client'})"
        why += "; set it to the Prosper202 root, e.g. https://p202.example.com"
    return f"api.base_url is {why}"


def shown_url(url: str) -> str:
    """The URL as it may be shown: redacted, and a user part redact_url could not read hidden.

    redact_url stops an http(s) password at "/?#"; a raw password holding one of them (a
    hand-written api.base_url) would show in part. Hiding everything before the last "@" also
    covers that (docs/architecture.md, "Promise 4").
    """
    shown = redact_url(url)
    scheme, sep, rest = shown.partition("://")
    head = rest[:rest.rindex("@")] if "@" in rest else ""
    if any(c in head for c in "/?#@") or (":" in head and not head.endswith(":" + REDACTED)):
        rest = REDACTED + rest[rest.rindex("@"):]  # user:*** and a bare user stay as they are
    return scheme + sep + rest


def _userinfo(url: str | None) -> str:
    """Whatever precedes the last "@" after "://" (user and password), for redact_text."""
    rest = (url or "").partition("://")[2]
    return rest[:rest.rindex("@")] if "@" in rest else ""


def health_url(base_url: str) -> str:
    return base_url.rstrip("/") + HEALTH_PATH


def health(base_url: str, timeout_s: float = 5.0) -> HealthResult:
    """Probe the health route without any API key; never raises for network trouble."""
    url = health_url(base_url)
    shown = shown_url(url)
    t0 = time.perf_counter()
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client:
            resp = client.get(url, headers={"Accept": "application/json"})
    except httpx.TimeoutException:
        return HealthResult(False, f"no answer from {shown} within {timeout_s:g} s")
    except httpx.HTTPError as e:
        reason = type(e).__name__
        detail = str(e).split("\n")[0][:120]
        detail = redact_text(redact_urls_in(detail), [_userinfo(base_url)])
        return HealthResult(False, f"cannot reach {shown} ({reason}: {detail})")
    except (httpx.InvalidURL, ValueError):
        return HealthResult(False, bad_base_url(base_url))
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


# ---------------------------------------------------------------------------------------------
# The v2 attribution client
#
# Every error is an ApiError subclass whose str() is one sentence naming what failed and the
# likely fix; the server's own message (a 400's validation text) is kept in `server_message`.
# No error is chained to the httpx exception (its request carries the URL, and so the key).

log = logging.getLogger("attribtui.api")

ATTRIBUTION_PATH = "/api/v2/attribution"
GET_RETRIES = 2  # extra attempts for a GET whose connection failed
RETRY_DELAYS_S = (0.2, 0.5)


class ApiError(AttribtuiError):
    """A v2 API call that did not succeed: one sentence with the likely fix (exit 3 by default:
    unreachable, auth, server error)."""

    def __init__(self, message: str, *, status: int | None = None,
                 server_message: str | None = None, request: str = "") -> None:
        super().__init__(message)
        self.status, self.server_message, self.request = status, server_message, request
        self.unconfirmed = False  # only ApiUnreachable for a write sent without an answer


class ApiNotConfigured(ApiError):
    """No api.base_url or no key in the profile."""


class Unauthorized(ApiError):
    """401: no key, or a key Prosper202 does not know."""


class Forbidden(ApiError):
    """403: the key's user lacks the attribution permission."""


class Invalid(ApiError, Refused):
    """400: Prosper202 refused the request as invalid; nothing changed."""

    prefix = ""


class ServerError(ApiError):
    """5xx, or an answer that is not the v2 envelope (HTML page, Slim error, wrong route)."""


class ApiUnreachable(ApiError, vocab.Unreachable):
    """Connection refused, timeout, TLS failure: the request may not have arrived.

    `unconfirmed` is True when a write was sent and no answer came: it may or may not have taken
    effect (docs/architecture.md, "Statuses"), and the message says how to find out.
    """



class ReadOnlyRefused(ApiError, Refused):
    """A read-only profile never sends a non-GET request."""

    prefix = ""


class _RedactingFilter(logging.Filter):
    """Belt and braces: if someone turns httpx logging back on, the key still never shows."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "?" in text:
            record.msg, record.args = redact_urls_in(text), None
        return True


for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_RedactingFilter())


@dataclass
class ApiResponse:
    """A successful call: the envelope's data (None for 204) and its pagination if any."""

    status: int
    data: object
    pagination: JsonDict | None = None
    ms: float = 0.0

    def obj(self) -> JsonDict:
        """data as one object; any other shape means the URL does not reach the v2 API."""
        if isinstance(self.data, dict):
            return self.data
        raise ServerError(_shape_error("an object", self.data), status=self.status)

    def objs(self) -> list[JsonDict]:
        """data as a list of objects (GET /models, GET .../snapshots)."""
        if isinstance(self.data, list) and all(isinstance(d, dict) for d in self.data):
            return self.data
        raise ServerError(_shape_error("a list of objects", self.data), status=self.status)


def _shape_error(wanted: str, data: object) -> str:
    return (f"the v2 API answered with {type(data).__name__} where {wanted} was expected; check "
            "that api.base_url points at Prosper202's /api/v2/attribution")


class V2Client:
    """httpx client for /api/v2/attribution with the profile's base URL, key and timeout.

    The key goes in the query string only (docs/prosper202.md, "V2 API") and is redacted from
    everything we log, raise or return. GETs retry briefly on connection errors; PATCH/POST/DELETE
    never retry. A read-only profile refuses every non-GET request before anything is sent.
    """

    def __init__(self, profile: Profile, *, timeout_s: float | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.profile = profile
        self.base_url = (profile.api.base_url or "").rstrip("/")
        self.key = profile.api.resolved_key()
        self.timeout_s = timeout_s if timeout_s is not None else profile.api.timeout_s
        self.read_only = bool(profile.read_only)
        self._secrets = [s for s in [self.key, *profile.secrets()] if s]
        self._http = httpx.Client(timeout=self.timeout_s, follow_redirects=False,
                                  headers={"Accept": "application/json"}, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> V2Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the routes ------------------------------------------------------------------------------

    def health(self) -> HealthResult:
        return health(self.base_url, self.timeout_s) if self.base_url else HealthResult(
            False, "api.base_url is not set")

    def list_models(self, type: str | None = None) -> list[JsonDict]:  # noqa: A002
        """GET /models: the ACTIVE models of the key's user only (docs/prosper202.md, "V2 API")."""
        return self.call("GET", "/models", params={"type": type} if type else None).objs()

    def create_model(self, body: JsonDict) -> JsonDict:
        return self.call("POST", "/models", json_body=body).obj()

    def update_model(self, model_id: int, body: JsonDict) -> JsonDict:
        """PATCH /models/{id}: note the slug is recomputed on every PATCH."""
        return self.call("PATCH", f"/models/{int(model_id)}", json_body=body).obj()

    def delete_model(self, model_id: int) -> None:
        self.call("DELETE", f"/models/{int(model_id)}")

    def snapshots(self, model_id: int, start_hour: int, end_hour: int, scope: str = "global",
                  limit: int = 500, offset: int = 0) -> ApiResponse:
        """Both hours explicit: the server defaults them to now (docs/prosper202.md, "V2 API")."""
        params = {"start_hour": start_hour, "end_hour": end_hour, "scope": scope,
                  "limit": limit, "offset": offset}
        return self.call("GET", f"/models/{int(model_id)}/snapshots", params=params)

    def metrics(self, model_id: int, start_hour: int, end_hour: int, scope: str = "global",
                limit: int = 168) -> JsonDict:
        params = {"model_id": model_id, "start_hour": start_hour, "end_hour": end_hour,
                  "scope": scope, "limit": limit}
        return self.call("GET", "/metrics", params=params).obj()

    # -- the machinery ---------------------------------------------------------------------------

    def describe(self, method: str, path: str, params: JsonDict | None = None,
                 json_body: object = None) -> str:
        """The exact request as shown to an operator (--dry-run, confirmations): key redacted."""
        shown = shown_url(str(self._url(path, params)))
        body = f" {json.dumps(json_body, sort_keys=True)}" if json_body is not None else ""
        return f"{method} {shown}{body}"

    def _url(self, path: str, params: JsonDict | None) -> httpx.URL:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        query["apikey"] = self.key or ""
        try:
            return httpx.URL(self.base_url + ATTRIBUTION_PATH + path, params=query)
        except (httpx.InvalidURL, ValueError, TypeError):
            # Never chained: the exception's locals hold the key.
            raise ApiNotConfigured(bad_base_url(self.base_url)) from None

    def call(self, method: str, path: str, *, params: JsonDict | None = None,
             json_body: object = None) -> ApiResponse:
        shown = self.describe(method, path, params, json_body)
        if not self.base_url:
            raise ApiNotConfigured("api.base_url is not set for this profile; set it to the "
                                "Prosper202 root (e.g. https://p202.example.com)", request=shown)
        if not self.key:
            raise ApiNotConfigured("no v2 API key for this profile; set api.key_env to the name of a "
                                "variable holding it (or api.key)", request=shown)
        if method != "GET" and self.read_only:
            raise ReadOnlyRefused(f"profile '{self.profile.name}' is read-only: {method} was not "
                                  "sent; use a profile without read_only = true", request=shown)
        url = self._url(path, params)
        attempts = 1 + (GET_RETRIES if method == "GET" else 0)
        t0 = time.perf_counter()
        for attempt in range(attempts):
            try:
                resp = self._http.request(method, url, json=json_body)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                if attempt + 1 < attempts and not _is_tls(e):
                    time.sleep(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
                    continue
                raise self._unreachable(e, shown) from None
            except httpx.HTTPError as e:
                raise self._unreachable(e, shown) from None
            except (httpx.InvalidURL, ValueError) as e:  # e.g. a non-numeric port
                raise ApiNotConfigured(bad_base_url(self.base_url, e), request=shown) from None
        ms = (time.perf_counter() - t0) * 1000
        log.debug("%s -> HTTP %s (%.0f ms)", shown, resp.status_code, ms)
        return self._parse(resp, shown, ms)

    def _clean(self, text: str) -> str:
        return redact_text(redact_urls_in(text), [*self._secrets, _userinfo(self.base_url)])

    def _unreachable(self, e: httpx.HTTPError, shown: str) -> ApiError:
        host = shown_url(self.base_url)
        method = shown.split(" ", 1)[0]
        detail = self._clean(str(e).split("\n")[0])[:100] or type(e).__name__
        sent = not isinstance(e, (httpx.ConnectError, httpx.ConnectTimeout))
        if isinstance(e, httpx.ConnectTimeout):
            what = f"cannot connect to the v2 API at {host} within {self.timeout_s:g} s"
            fix = "check api.base_url, the network and that Prosper202 is running"
        elif isinstance(e, httpx.TimeoutException):
            what = (f"no answer from the v2 API at {host} within {self.timeout_s:g} s "
                    f"({type(e).__name__})")
            fix = "check the server, or raise api.timeout_s"
        elif _is_tls(e):
            sent = False
            what = f"TLS handshake with {host} failed ({detail})"
            fix = "check the certificate and that api.base_url uses the right scheme"
        elif sent:
            what = f"the v2 API at {host} closed the connection without an answer ({detail})"
            fix = "check the server and api.base_url"
        else:
            what = f"cannot reach the v2 API at {host} ({detail})"
            fix = "check api.base_url and that Prosper202 is running"
        if self.profile.api.down_hint and isinstance(e, httpx.ConnectError):
            fix = self.profile.api.down_hint
        if method == "GET":
            return ApiUnreachable(f"{what}; {fix}", request=shown)
        if not sent:
            return ApiUnreachable(f"{what}; the {method} was not sent; {fix}", request=shown)
        error = ApiUnreachable(
            f"{what}: the {method} may or may not have happened (not retried); check with "
            f"`attribtui models list` (r on the Models screen) before trying again; {fix}",
            request=shown)
        error.unconfirmed = True
        return error

    def _parse(self, resp: httpx.Response, shown: str, ms: float) -> ApiResponse:
        code = resp.status_code
        host = shown_url(self.base_url)
        if code == 204:
            return ApiResponse(code, None, ms=ms)
        try:
            body = resp.json()
        except ValueError:
            body = None
        envelope = isinstance(body, dict) and isinstance(body.get("error"), bool)
        message = self._clean(str(body.get("message", ""))) if envelope else ""
        if 200 <= code < 300 and envelope and body["error"] is False:
            return ApiResponse(code, body.get("data"), body.get("pagination"), ms)
        if code == 401:
            raise Unauthorized(
                f"the v2 API refused the key (401 {message or 'Unauthorized'}); check the key "
                "named by api.key_env (it goes in the query string as apikey)",
                status=code, server_message=message or None, request=shown)
        if code == 403:
            raise Forbidden(
                f"the key's user lacks permission (403 {message or 'Forbidden'}); grant "
                "view_attribution_reports / manage_attribution_models to the user's role",
                status=code, server_message=message or None, request=shown)
        if code == 400 and envelope:
            said = message if message.endswith((".", "!", "?")) else f"{message}."
            raise Invalid(f"Prosper202 refused the request (400): {said} Nothing changed.",
                          status=code, server_message=message, request=shown)
        kind = resp.headers.get("content-type", "").split(";")[0] or "no content type"
        if code >= 500:
            detail = f"{message}" if envelope else (
                "Slim Application Error" if isinstance(body, dict) and body.get("message") ==
                "Slim Application Error" else f"a {kind} body, not the v2 envelope")
            raise ServerError(
                f"the v2 API at {host} failed with HTTP {code} ({detail}); check the Prosper202 "
                "error log (a model row it cannot parse, e.g. a v3-only type, does this: see "
                "`attribtui check --only models`)", status=code, request=shown)
        if code in (404, 405):
            raise ServerError(
                f"{host} answered HTTP {code} for {shown.split(' ')[0]} {ATTRIBUTION_PATH}: is "
                "api.base_url the Prosper202 root, and is /api/v2 routed (nginx needs try_files "
                "… /api/v2/index.php)?", status=code, request=shown)
        raise ServerError(
            f"the v2 API at {host} answered HTTP {code} with {kind} that is not the v2 envelope; "
            "check api.base_url points at Prosper202", status=code, request=shown)


def _is_tls(e: Exception) -> bool:
    return "SSL" in str(e) or "TLS" in str(e) or "CERTIFICATE" in str(e).upper()
