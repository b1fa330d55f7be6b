"""Secrets never leak: one rule for what counts as a secret, and the redactions built on it.

The v2 API key travels in the URL and database URLs may carry a password, so every URL shown or
logged goes through `redact_url`; free text (an error, a traceback) through `redact_urls_in` and
`redact_text` with the profile's secret values; JSON-like values (action-log parameters, audit
metadata) through `redact_value`, which also hides values of secret-looking names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote

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
