"""Secrets never leak: one rule for what counts as a secret, and the redactions built on it.

The v2 API key travels in the URL and database URLs may carry a password, so every URL shown or
logged goes through `redact_url`; free text (an error, a traceback) through `redact_urls_in` and
`redact_text` with the profile's secret values; JSON-like values (action-log parameters, audit
metadata) through `redact_value`, which also hides values of secret-looking names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, urlsplit

REDACTED = "***"

# A name is secret when one of its words is one of these, unless its last word says it only
# names or points at the secret: `api_key`, `P202_DB_PASS`, `webhook_secret`, `access_token` are
# secret; `key_env` (a variable's name), `password_file`, `cache_keys` are not.
_SECRET_WORDS = frozenset({"pass", "passwd", "password", "pwd", "secret", "token", "key", "apikey",
                           "credential", "credentials", "auth", "authorization"})
_NAMING_TAILS = frozenset({"env", "name", "file", "path", "id", "ids", "type"})
_WORD = re.compile(r"[A-Za-z0-9]+")


def secret_name(name: str) -> bool:
    """Whether a key, variable or parameter of this name holds a secret value."""
    words = [w.lower() for w in _WORD.findall(name)]
    return bool(words) and words[-1] not in _NAMING_TAILS and any(w in _SECRET_WORDS for w in words)


# scheme://user:PASSWORD@host. Database URLs follow SQLAlchemy's own parser: the password runs
# to the "@" and may hold "/", "?" or "#" (generated and base64 passwords often do). For http(s)
# URLs the password stops at "/?#", so a port and a path with an "@" are not taken for one.
_USERINFO = re.compile(
    r"^(?P<head>(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://[^/?#@:]*:)(?P<pw>.*)(?=@[^@]*$)")
_HTTP_USERINFO = re.compile(r"^(?P<head>https?://[^/?#@:]*:)(?P<pw>[^/?#@]*)(?=@)", re.I)
_QUERY_PARAM = re.compile(r"(?P<head>[?&;](?P<name>[^=&;#]+)=)(?P<value>[^&;#]*)")
# SQLAlchemy's URL shape: backend[+driver]://[user[:password]@][host][:port][/database][?query]
_DB_HOST = re.compile(
    r"^(?:\[(?P<ipv6>[^/?]+)\]|(?P<host>[^/:?]*))?(?::(?P<port>[^/?]*))?"
    r"(?:/(?P<database>[^?]*))?(?:\?.*)?$")


def _userinfo(url: str) -> re.Match[str] | None:
    if url.lower().startswith(("http://", "https://")):
        return _HTTP_USERINFO.match(url)
    return _USERINFO.match(url)


def url_password(url: str | None) -> str | None:
    if not url:
        return None
    match = _userinfo(url)
    return (match.group("pw") or None) if match else None


def query_secrets(url: str | None) -> list[str]:
    """The values of secret-named query parameters (apikey, token, ...)."""
    if not url:
        return []
    return [m.group("value") for m in _QUERY_PARAM.finditer(url)
            if secret_name(m.group("name")) and m.group("value")]


def redact_url(url: str | None) -> str:
    """The URL with its password and secret query parameters (apikey, token, ...) as ***.

    Works on SQLAlchemy URLs (mysql+pymysql://u:p@h:3306/db) and http(s) URLs alike.
    """
    if not url:
        return ""
    match = _userinfo(url)
    redacted = url
    if match and match.group("pw"):
        redacted = match.group("head") + REDACTED + url[match.end():]

    def param(m: re.Match[str]) -> str:
        if secret_name(m.group("name")) and m.group("value"):
            return m.group("head") + REDACTED
        return m[0]

    return _QUERY_PARAM.sub(param, redacted)


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each non-empty secret (and its URL-encoded form) with ***."""
    variants: set[str] = set()
    for secret in secrets:
        if secret:
            variants.add(secret)
            variants.add(quote(secret, safe=""))
    # Longest first, so a secret containing another is replaced whole.
    for secret in sorted(variants, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def redact_urls_in(text: str) -> str:
    """Every URL inside free text (an error, a traceback) with its password and keys as ***."""
    return re.sub(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+", lambda m: redact_url(m[0]), text)


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    """An environment mapping with the values of secret-named variables as ***."""
    return {k: (REDACTED if secret_name(k) and v else v) for k, v in env.items()}


def redact_value(value: object, secrets: Sequence[str] = ()) -> object:
    """A JSON-like value with secret-named keys as *** and secrets/URL credentials removed."""
    if isinstance(value, Mapping):
        return {k: REDACTED if secret_name(str(k)) and v else redact_value(v, secrets)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v, secrets) for v in value]
    if isinstance(value, str):
        text = redact_url(value) if "://" in value else value
        return redact_text(text, secrets)
    return value


def describe_db_url(url: str) -> str:
    """'mysql 127.0.0.1:3306/p202' or 'sqlite /path/demo.sqlite': never the password.

    Parsed with the standard library, so the header can show it before SQLAlchemy is loaded.
    """
    backend = url.split("://", 1)[0].split("+", 1)[0] or "unknown"
    if backend == "sqlite":
        path = url.split(":///", 1)[1] if ":///" in url else ""
        return f"sqlite {path or ':memory:'}"
    after_scheme = url.split("://", 1)[1] if "://" in url else url
    m = _DB_HOST.match(after_scheme.rsplit("@", 1)[-1])  # the host part follows the last "@"
    if not m:
        return f"{backend} (unparseable URL)"
    host = m.group("ipv6") or m.group("host") or "localhost"
    port = f":{m.group('port')}" if m.group("port") else ""
    return f"{backend} {host}{port}/{m.group('database') or ''}"


# -- URLs that cannot be parsed ----------------------------------------------------------------------
# A parser's own error quotes the offending part (Python's int() the "port" after a password's
# unencoded "@"), so URLs are checked here first and the reason is given in words that quote no
# part of the URL: a fragment of a password must never reach a terminal or a log (promise 4).

# SQLAlchemy's own URL pattern (sqlalchemy.engine.url._parse_url), so both agree on the parts.
_SQLA_URL = re.compile(
    r"(?P<name>[\w+]+)://(?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?"
    r"(?:(?:\[(?P<ipv6host>[^/?]+)\]|(?P<ipv4host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?"
    r"(?:/(?P<database>[^?]*))?(?:\?(?P<query>.*))?")
DB_URL_FIX = ("use e.g. mysql+pymysql://user:pass@host:3306/prosper202 or sqlite:///path, with "
              "@ : / ? # % in the user name or password percent-encoded (@ as %40)")
HTTP_URL_FIX = "use the Prosper202 root, e.g. https://p202.example.com"


def _port_problem(port: str | None) -> str | None:
    if not port:
        return None
    if not (port.isascii() and port.isdigit()):
        return "the part after the host's colon is not a port number"
    if not 0 < int(port) < 65536:
        return "the port is not between 1 and 65535"
    return None


def db_url_problem(url: str) -> str | None:
    """Why url is not a database URL SQLAlchemy can parse, quoting no part of it; None if it is.

    The text reads after a name: "db.url is " + db_url_problem(url).
    """
    m = _SQLA_URL.match(url) if isinstance(url, str) else None
    if m is None:
        return f"not a database URL (no driver:// at the start); {DB_URL_FIX}"
    if not url.isprintable():
        return f"not a database URL (it holds a non-printing character); {DB_URL_FIX}"
    problem = _port_problem(m.group("port"))
    return f"not a database URL ({problem}); {DB_URL_FIX}" if problem else None


def http_url_problem(url: str) -> str | None:
    """Why url is not an http(s) URL an HTTP client can use, quoting no part of it; None if it is.

    The text reads after a name: "api.base_url is " + http_url_problem(url).
    """
    def bad(why: str) -> str:
        return f"not a web URL ({why}); {HTTP_URL_FIX}"

    if not isinstance(url, str) or not url.isprintable():
        return bad("it holds a non-printing character")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return bad("the host or port cannot be read; percent-encode @ : / ? # in a password")
    if parts.scheme.lower() not in ("http", "https"):
        return bad("it does not start with http:// or https://")
    if not parts.hostname:
        return bad("it names no host")
    if port is not None and port == 0:
        return bad("the port is not between 1 and 65535")
    return None
