"""Profiles, TOML config, environment overrides, on-disk paths and secret redaction.

Precedence for every key: command-line flag > environment (`ATTRIBTUI_<SECTION>_<KEY>`) >
config file > default. Every value remembers where it came from (`Profile.sources`) and every
active environment override is listed (`Profile.overrides`), so a stray `export` can never
silently retarget a profile. Unknown keys and unknown `ATTRIBTUI_*` variables are errors: a typo
must not silently do nothing. Nothing here imports Textual.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import platformdirs

APP_NAME = "attribtui"
ENV_PREFIX = "ATTRIBTUI_"
IMPLICIT_PROFILE = "env"
ENVIRONMENTS = ("production", "staging", "dev")
CAUTIOUS_ENVIRONMENTS = ("production", "unknown")
RUNNERS = ("php", "sandbox")

#: ATTRIBTUI_* variables that are not key overrides. Other modules read these themselves.
RESERVED_ENV = frozenset(
    {"ATTRIBTUI_CONFIG", "ATTRIBTUI_PROFILE", "ATTRIBTUI_DATA_DIR", "ATTRIBTUI_NOW", "ATTRIBTUI_DEBUG"}
)

#: Prefixes of ATTRIBTUI_* variables owned by something else (the test harness).
RESERVED_ENV_PREFIXES = ("ATTRIBTUI_TEST_",)

REDACTED = "***"


class ConfigError(Exception):
    """A config problem, as one line naming the file (or variable/flag), the key and the fix."""


# --------------------------------------------------------------------------------------------
# The typed result


def _redacted_env(env: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if _secretish_name(k) and v else v) for k, v in env.items()}


@dataclass(frozen=True, repr=False)
class DbConfig:
    """Primary and optional read-replica URLs (SQLAlchemy form) and the query bounds."""

    url: str | None = None
    read_url: str | None = None
    statement_timeout_ms: int = 5000
    connect_timeout_s: float = 5.0

    def __repr__(self) -> str:
        # URLs may carry a password; a repr ends up in tracebacks and debug output.
        return (
            f"DbConfig(url={_redacted_or_none(self.url)}, "
            f"read_url={_redacted_or_none(self.read_url)}, "
            f"statement_timeout_ms={self.statement_timeout_ms}, "
            f"connect_timeout_s={self.connect_timeout_s})"
        )


@dataclass(frozen=True, repr=False)
class ApiConfig:
    """The /api/v2 endpoint. The key travels in the URL, so it is never part of a repr."""

    base_url: str | None = None
    key_env: str | None = None
    key: str | None = field(default=None, repr=False)
    timeout_s: float = 10.0
    user_id: int | None = None
    # The environment the profile was loaded from, so key_env resolves against the same one.
    environ: Mapping[str, str] | None = field(default=None, repr=False, compare=False)

    def resolved_key(self) -> str | None:
        """The API key: `key` if set, else the value of the variable named by `key_env`."""
        if self.key:
            return self.key
        if self.key_env:
            source = self.environ if self.environ is not None else os.environ
            return source.get(self.key_env) or None
        return None

    def __repr__(self) -> str:
        return (
            f"ApiConfig(base_url={_redacted_or_none(self.base_url)}, key_env={self.key_env!r}, "
            f"key={'<set>' if self.key else None}, timeout_s={self.timeout_s}, "
            f"user_id={self.user_id!r})"
        )


@dataclass(frozen=True)
class MemcacheConfig:
    """Memcached servers and the HTTP_HOST/SERVER_ADDR the web server mixes into cache keys."""

    servers: list[str] = field(default_factory=list)
    http_host: str = ""
    server_addr: str = ""


@dataclass(frozen=True, repr=False)
class JobsConfig:
    """How cron-script jobs are started: real PHP on a Prosper202 checkout, or the sandbox."""

    runner: str = "php"
    php: str = "php"
    prosper_root: Path | None = None
    command_prefix: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        # env may carry P202_DB_PASS and the like.
        return (
            f"JobsConfig(runner={self.runner!r}, php={self.php!r}, "
            f"prosper_root={self.prosper_root!r}, command_prefix={self.command_prefix!r}, "
            f"env={_redacted_env(self.env)!r})"
        )


@dataclass(frozen=True)
class Profile:
    """One resolved profile: every key typed, with where each value came from."""

    name: str
    environment: str
    read_only: bool = False
    db: DbConfig = field(default_factory=DbConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    memcache: MemcacheConfig = field(default_factory=MemcacheConfig)
    jobs: JobsConfig = field(default_factory=JobsConfig)
    operator: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
    config_path: Path | None = None
    implicit: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def cautious(self) -> bool:
        """Production, and the implicit profile whose target we cannot vouch for."""
        return self.environment in CAUTIOUS_ENVIRONMENTS

    @property
    def display_env(self) -> str:
        """The environment as the header shows it; `unknown` says it is handled as production."""
        if self.environment == "unknown":
            return "unknown (treated as production)"
        return self.environment

    def secrets(self) -> list[str]:
        """Every secret value this profile holds, for `redact_text` on anything we print."""
        found: list[str] = []
        key = self.api.resolved_key()
        if key:
            found.append(key)
        for url in (self.db.url, self.db.read_url, self.api.base_url):
            password = _url_password(url)
            if password:
                found.append(password)
                if unquote(password) != password:
                    found.append(unquote(password))
            found.extend(_query_secrets(url))
        found.extend(v for k, v in self.jobs.env.items() if v and _secretish_name(k))
        return list(dict.fromkeys(found))


# --------------------------------------------------------------------------------------------
# The schema: one row per key drives parsing, env names, sources and `config show`


@dataclass(frozen=True)
class _Key:
    dotted: str
    kind: str  # str, optstr, optpath, bool, posint, optint, posfloat, strlist, hostports, strmap, choice
    default: Any
    choices: tuple[str, ...] = ()
    secret: bool = False

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.dotted.replace(".", "_").upper()

    @property
    def flag(self) -> str:
        return "--" + self.dotted.replace(".", "-").replace("_", "-")

    @property
    def section(self) -> str | None:
        return self.dotted.split(".", 1)[0] if "." in self.dotted else None

    @property
    def name(self) -> str:
        return self.dotted.rsplit(".", 1)[-1]


_KEYS: tuple[_Key, ...] = (
    _Key("environment", "choice", None, choices=ENVIRONMENTS),
    _Key("read_only", "bool", False),
    _Key("operator", "optstr", None),
    _Key("db.url", "optstr", None),
    _Key("db.read_url", "optstr", None),
    _Key("db.statement_timeout_ms", "posint", 5000),
    _Key("db.connect_timeout_s", "posfloat", 5.0),
    _Key("api.base_url", "optstr", None),
    _Key("api.key_env", "optstr", None),
    _Key("api.key", "optstr", None, secret=True),
    _Key("api.timeout_s", "posfloat", 10.0),
    _Key("api.user_id", "optint", None),
    _Key("memcache.servers", "hostports", ()),
    _Key("memcache.http_host", "str", ""),
    _Key("memcache.server_addr", "str", ""),
    _Key("jobs.runner", "choice", "php", choices=RUNNERS),
    _Key("jobs.php", "str", "php"),
    _Key("jobs.prosper_root", "optpath", None),
    _Key("jobs.command_prefix", "strlist", ()),
    _Key("jobs.env", "strmap", None),
)
_BY_DOTTED = {k.dotted: k for k in _KEYS}
_BY_ENV = {k.env_var: k for k in _KEYS}
_SECTIONS = ("db", "api", "memcache", "jobs")
# Keys a [profiles.NAME] table may hold directly (operator is top-level only).
_PROFILE_KEYS = ("environment", "read_only", *_SECTIONS)
_TOP_KEYS = ("default_profile", "operator", "profiles")

_DESCRIPTIONS = {
    "str": "a string",
    "optstr": "a string",
    "optpath": "a path string",
    "bool": "true or false",
    "posint": "a positive integer",
    "optint": "a positive integer",
    "posfloat": "a positive number",
    "strlist": "a list of strings",
    "hostports": 'a list of "host:port" strings',
    "strmap": 'a table of NAME = "value" strings',
}

_SECRET_QUERY_PARAMS = frozenset(
    {"apikey", "api_key", "key", "token", "password", "secret", "access_token", "passwd"}
)
_SECRET_NAME = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _default(key: _Key) -> Any:
    """A fresh default (lists and dicts are never shared between profiles)."""
    if key.kind in ("strlist", "hostports"):
        return []
    if key.kind == "strmap":
        return {}
    return key.default


def _describe(key: _Key) -> str:
    if key.kind == "choice":
        return "one of " + ", ".join(key.choices)
    return _DESCRIPTIONS[key.kind]


def _got(key: _Key, value: object) -> str:
    """The offending value for an error message: never a secret, always one short line."""
    if key.secret:
        return f"a {type(value).__name__}" if not isinstance(value, str) else "a hidden value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Invalid(ValueError):
    """A value of the wrong type or range; the caller adds where it came from."""


def _check(key: _Key, value: object) -> Any:
    """Validate a typed value (from TOML or a typed flag) and return it in canonical form."""
    kind = key.kind
    if kind == "optpath" and isinstance(value, os.PathLike):
        return Path(value).expanduser()
    if kind in ("str", "optstr", "optpath", "choice"):
        if not isinstance(value, str):
            raise _Invalid
        if kind == "choice" and value not in key.choices:
            raise _Invalid
        if kind == "optpath":
            return Path(value).expanduser()
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _Invalid
        return value
    if kind in ("posint", "optint"):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise _Invalid
        return value
    if kind == "posfloat":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid
        if not math.isfinite(value) or value <= 0:
            raise _Invalid
        return float(value)
    if kind in ("strlist", "hostports"):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise _Invalid
        if kind == "hostports" and not all(_is_hostport(v) for v in value):
            raise _Invalid
        return list(value)
    if kind == "strmap":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and _ENV_NAME.match(k) and isinstance(v, str)
            for k, v in value.items()
        ):
            raise _Invalid
        return dict(value)
    raise AssertionError(f"unhandled kind {kind}")


def _parse_text(key: _Key, text: str) -> Any:
    """Parse an environment variable (or string flag) into the key's type."""
    kind = key.kind
    stripped = text.strip()
    if kind in ("optstr", "optpath", "optint") and stripped == "":
        return None  # an empty export switches an optional key off
    if kind == "bool":
        lowered = stripped.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise _Invalid
    if kind in ("posint", "optint"):
        try:
            return _check(key, int(stripped))
        except ValueError:
            raise _Invalid from None
    if kind == "posfloat":
        try:
            return _check(key, float(stripped))
        except ValueError:
            raise _Invalid from None
    if kind in ("strlist", "hostports", "strmap"):
        try:
            return _check(key, json.loads(text))
        except json.JSONDecodeError:
            raise _Invalid from None
    return _check(key, text)


def _is_hostport(value: str) -> bool:
    host, sep, port = value.rpartition(":")
    return bool(sep and host and port.isdigit() and 0 < int(port) < 65536)


def _secretish_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


# --------------------------------------------------------------------------------------------
# Finding and reading the file


def default_config_path() -> Path:
    """Where the config file lives when neither --config nor $ATTRIBTUI_CONFIG says otherwise."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def find_config(
    config_path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path | None:
    """The config file to read, or None when the default one does not exist.

    A path given explicitly (flag or $ATTRIBTUI_CONFIG) must exist: silently falling back to
    another file would load a different target than the operator asked for.
    """
    env = os.environ if env is None else env
    if config_path:
        path = Path(config_path).expanduser().absolute()
        if not path.is_file():
            raise ConfigError(f"{path}: config file given by --config does not exist; fix the path")
        return path
    if env.get("ATTRIBTUI_CONFIG"):
        path = Path(env["ATTRIBTUI_CONFIG"]).expanduser().absolute()
        if not path.is_file():
            raise ConfigError(
                f"{path}: config file named by ATTRIBTUI_CONFIG does not exist; "
                "fix or unset ATTRIBTUI_CONFIG"
            )
        return path
    path = default_config_path()
    return path if path.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(f"{path}: invalid TOML: {detail}; fix the syntax there") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror}); check it") from None


def _suggest(name: str, known: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _unknown_key(path: Path, dotted: str, name: str, known: Iterable[str], hint: str = "") -> str:
    known = list(known)
    return (
        f"{path}: unknown key {dotted}{_suggest(name, known)}; known here: {', '.join(known)}"
        f"{hint}; remove it or fix the name"
    )


def _parse_file(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Validate the whole file (every profile, so a typo anywhere shows up at once).

    Returns (top-level values, {profile name: {dotted key: value}}).
    """
    data = _read_toml(path)
    top: dict[str, Any] = {}
    for name, value in data.items():
        if name not in _TOP_KEYS:
            hint = ""
            if name in _PROFILE_KEYS:
                hint = f"; profile keys belong under [profiles.NAME] (e.g. [profiles.NAME.{name}])"
            raise ConfigError(_unknown_key(path, name, name, _TOP_KEYS, hint))
        if name in ("default_profile", "operator") and not isinstance(value, str):
            raise ConfigError(f"{path}: {name} must be a string (got {value!r}); fix the value")
        if name == "profiles" and not isinstance(value, dict):
            raise ConfigError(
                f"{path}: profiles must be a table of [profiles.NAME] tables; fix the value"
            )
        top[name] = value

    profiles: dict[str, dict[str, Any]] = {}
    for pname, table in top.get("profiles", {}).items():
        prefix = f"profiles.{pname}"
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {prefix} must be a table ([{prefix}]); fix the value")
        values: dict[str, Any] = {}
        for name, value in table.items():
            if name not in _PROFILE_KEYS:
                hint = "; operator is a top-level key" if name == "operator" else ""
                raise ConfigError(_unknown_key(path, f"{prefix}.{name}", name, _PROFILE_KEYS, hint))
            if name in _SECTIONS:
                if not isinstance(value, dict):
                    raise ConfigError(
                        f"{path}: {prefix}.{name} must be a table ([{prefix}.{name}]); fix the value"
                    )
                known = [k.name for k in _KEYS if k.section == name]
                for sub, subvalue in value.items():
                    if sub not in known:
                        raise ConfigError(_unknown_key(path, f"{prefix}.{name}.{sub}", sub, known))
                    values[f"{name}.{sub}"] = subvalue
            else:
                values[name] = value
        for dotted, value in values.items():
            key = _BY_DOTTED[dotted]
            try:
                values[dotted] = _check(key, value)
            except _Invalid:
                raise ConfigError(
                    f"{path}: {prefix}.{dotted} must be {_describe(key)} "
                    f"(got {_got(key, value)}); fix the value"
                ) from None
        if "environment" not in values:
            raise ConfigError(
                f"{path}: {prefix}.environment is required (one of {', '.join(ENVIRONMENTS)}); "
                f'add environment = "production" (or staging, dev) to [{prefix}]'
            )
        profiles[str(pname)] = values
    return top, profiles


def _file_has_secret(profiles: Mapping[str, Mapping[str, Any]]) -> bool:
    for values in profiles.values():
        if values.get("api.key"):
            return True
        if any(_url_password(values.get(k)) for k in ("db.url", "db.read_url")):
            return True
    return False


def _loose_permissions(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# Building a profile


def _check_env_names(env: Mapping[str, str]) -> None:
    """Refuse unknown ATTRIBTUI_* variables: a typo must not silently do nothing."""
    known = sorted({*_BY_ENV, *RESERVED_ENV})
    for var in sorted(env):
        if (
            var.startswith(ENV_PREFIX)
            and var not in _BY_ENV
            and var not in RESERVED_ENV
            and not var.startswith(RESERVED_ENV_PREFIXES)
        ):
            raise ConfigError(
                f"environment variable {var} is not an attribtui setting"
                f"{_suggest(var, known)}; unset it or fix the name "
                f"(settings: ATTRIBTUI_<SECTION>_<KEY>, see config.example.toml)"
            )


def _select_name(
    name: str | None,
    env: Mapping[str, str],
    top: Mapping[str, Any],
    profiles: Mapping[str, Any],
) -> tuple[str | None, str]:
    """Which profile to load and why (for the error message when it does not exist)."""
    if name:
        return name, "requested"
    if env.get("ATTRIBTUI_PROFILE"):
        return env["ATTRIBTUI_PROFILE"], "from ATTRIBTUI_PROFILE"
    if "default_profile" in top:
        return top["default_profile"], "from default_profile"
    if len(profiles) == 1:
        return next(iter(profiles)), "the only profile"
    return None, ""


def _override_note(key: _Key, var: str, raw: str, value: Any) -> str:
    if key.secret:
        shown = REDACTED
    elif isinstance(value, str) and key.dotted.endswith("url"):
        shown = redact_url(value)
    elif key.kind == "strmap":
        shown = json.dumps(_redacted_env(value))
    else:
        shown = raw
    return f"{var}={shown} ({key.dotted})"


def load_profile(
    name: str | None = None,
    *,
    config_path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, object] | None = None,
) -> Profile:
    """Resolve one profile: flag > environment > config file > default, for every key.

    `flags` maps dotted keys (e.g. "read_only", "db.url") to command-line values; None values
    are ignored so argparse defaults can be passed straight through.
    """
    env = os.environ if env is None else env
    _check_env_names(env)
    path = find_config(config_path, env)
    looked_at = path or default_config_path()

    top: dict[str, Any] = {}
    file_profiles: dict[str, dict[str, Any]] = {}
    if path is not None:
        top, file_profiles = _parse_file(path)
        if not file_profiles:
            raise ConfigError(
                f"{path}: no profiles defined; add a [profiles.NAME] table with an environment "
                "(see config.example.toml)"
            )

    chosen, why = _select_name(name, env, top, file_profiles)
    warnings: list[str] = []
    values: dict[str, Any] = {k.dotted: _default(k) for k in _KEYS}
    sources: dict[str, str] = {k.dotted: "default" for k in _KEYS}

    if path is None:
        chosen = chosen or IMPLICIT_PROFILE
        if chosen != IMPLICIT_PROFILE:
            raise ConfigError(
                f"{looked_at}: no config file, so profile {chosen!r} ({why}) does not exist; "
                f"create the file (see config.example.toml), pass --config, or use the implicit "
                f"profile '{IMPLICIT_PROFILE}' built from ATTRIBTUI_* variables"
            )
        implicit = True
        values["environment"] = "unknown"
    else:
        known = ", ".join(sorted(file_profiles))
        if chosen is None:
            raise ConfigError(
                f"{path}: several profiles ({known}) and no default_profile; pass --profile NAME, "
                f'set ATTRIBTUI_PROFILE or add default_profile = "NAME"'
            )
        if chosen not in file_profiles:
            hint = (
                f"; the implicit profile '{IMPLICIT_PROFILE}' exists only without a config file"
                if chosen == IMPLICIT_PROFILE
                else ""
            )
            raise ConfigError(
                f"{path}: unknown profile {chosen!r} ({why}); known profiles: {known}"
                f"{_suggest(chosen, file_profiles)}{hint}; pick one of them or add "
                f"[profiles.{chosen}]"
            )
        implicit = False
        source = f"file:{path}"
        if "operator" in top:
            values["operator"], sources["operator"] = top["operator"], source
        for dotted, value in file_profiles[chosen].items():
            values[dotted], sources[dotted] = value, source
        if _file_has_secret(file_profiles) and _loose_permissions(path):
            warnings.append(
                f"{path} holds a secret and is readable by group/others; run chmod 600 {path}"
            )

    overrides: list[str] = []
    for var, key in _BY_ENV.items():
        if var not in env:
            continue
        raw = env[var]
        try:
            value = _parse_text(key, raw)
        except _Invalid:
            shown = "a hidden value" if key.secret else _got(key, raw)
            raise ConfigError(
                f"environment variable {var}: {key.dotted} must be {_describe(key)}"
                f"{' (JSON)' if key.kind in ('strlist', 'hostports', 'strmap') else ''} "
                f"(got {shown}); fix or unset {var}"
            ) from None
        if (
            key.dotted in ("environment", "read_only")
            and sources[key.dotted].startswith("file:")
            and values[key.dotted] != value
        ):
            warnings.append(
                f"{var} overrides {key.dotted} of profile {chosen!r} "
                f"({values[key.dotted]!r} in the file, now {value!r})"
            )
        values[key.dotted], sources[key.dotted] = value, f"env:{var}"
        overrides.append(_override_note(key, var, raw, value))

    for dotted, value in (flags or {}).items():
        if value is None:
            continue
        key = _BY_DOTTED.get(dotted)
        if key is None:
            raise ConfigError(
                f"flag {dotted!r} is not a config key{_suggest(dotted, _BY_DOTTED)}; "
                "fix the flag mapping"
            )
        try:
            parsed = _parse_text(key, value) if isinstance(value, str) else _check(key, value)
        except _Invalid:
            raise ConfigError(
                f"{key.flag}: {key.dotted} must be {_describe(key)} "
                f"(got {_got(key, value)}); fix the flag value"
            ) from None
        values[dotted], sources[dotted] = parsed, f"flag:{key.flag}"

    if values["api.key"] and values["api.key_env"]:
        warnings.append(
            f"api.key and api.key_env are both set for profile {chosen!r}; api.key wins"
        )
    elif values["api.key_env"] and not env.get(values["api.key_env"]):
        warnings.append(
            f"api.key_env names {values['api.key_env']}, which is not set; the API will be "
            f"called without a key (export {values['api.key_env']})"
        )

    def section(sec: str) -> dict[str, Any]:
        return {k.name: values[k.dotted] for k in _KEYS if k.section == sec}

    return Profile(
        name=chosen,
        environment=values["environment"],
        read_only=values["read_only"],
        db=DbConfig(**section("db")),
        api=ApiConfig(**section("api"), environ=env),
        memcache=MemcacheConfig(**section("memcache")),
        jobs=JobsConfig(**section("jobs")),
        operator=values["operator"],
        sources=sources,
        overrides=overrides,
        config_path=path,
        implicit=implicit,
        warnings=warnings,
    )


def profile_names(
    config_path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> list[str]:
    """The profiles a picker can offer: those in the file, or just the implicit one."""
    path = find_config(config_path, env)
    if path is None:
        return [IMPLICIT_PROFILE]
    return sorted(_parse_file(path)[1])


def effective_config(profile: Profile) -> list[tuple[str, str, str]]:
    """(dotted key, redacted display value, source) for every key, for `attribtui config show`."""
    rows = []
    for key in _KEYS:
        if key.dotted == "operator":
            value: Any = profile.operator
        elif key.section is None:
            value = getattr(profile, key.dotted)
        else:
            value = getattr(getattr(profile, key.section), key.name)
        rows.append((key.dotted, _display(key, value), profile.sources.get(key.dotted, "default")))
    return rows


def _display(key: _Key, value: Any) -> str:
    if value is None:
        return "(not set)"
    if key.secret:
        return REDACTED
    if isinstance(value, bool):
        return "true" if value else "false"
    if key.kind == "strmap":
        return json.dumps(_redacted_env(value))
    if isinstance(value, list):
        return json.dumps(value)
    if key.dotted.endswith("url"):
        return redact_url(value)
    if value == "":
        return '""'
    return str(value)


# --------------------------------------------------------------------------------------------
# Redaction

# scheme://user:PASSWORD@host. Database URLs follow SQLAlchemy's own parser: the password runs
# to the "@" and may hold "/", "?" or "#" (generated and base64 passwords often do). For http(s)
# URLs the password stops at "/?#", so a port and a path with an "@" are not taken for one.
_USERINFO = re.compile(
    r"^(?P<head>(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://[^/?#@:]*:)(?P<pw>.*)(?=@[^@]*$)")
_HTTP_USERINFO = re.compile(r"^(?P<head>https?://[^/?#@:]*:)(?P<pw>[^/?#@]*)(?=@)", re.I)
# SQLAlchemy's URL shape: backend[+driver]://[user[:password]@][host][:port][/database][?query]
_DB_HOST = re.compile(
    r"^(?:\[(?P<ipv6>[^/?]+)\]|(?P<host>[^/:?]*))?(?::(?P<port>[^/?]*))?"
    r"(?:/(?P<database>[^?]*))?(?:\?.*)?$")


def _userinfo(url: str) -> re.Match[str] | None:
    if url.lower().startswith(("http://", "https://")):
        return _HTTP_USERINFO.match(url)
    return _USERINFO.match(url)
_QUERY_PARAM = re.compile(r"(?P<head>[?&;](?P<name>[^=&;#]+)=)(?P<value>[^&;#]*)")


def _url_password(url: str | None) -> str | None:
    if not url:
        return None
    match = _userinfo(url)
    return (match.group("pw") or None) if match else None


def _query_secrets(url: str | None) -> list[str]:
    if not url:
        return []
    return [
        m.group("value")
        for m in _QUERY_PARAM.finditer(url)
        if m.group("name").lower() in _SECRET_QUERY_PARAMS and m.group("value")
    ]


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
        if m.group("name").lower() in _SECRET_QUERY_PARAMS and m.group("value"):
            return m.group("head") + REDACTED
        return m[0]

    return _QUERY_PARAM.sub(param, redacted)


def _redacted_or_none(url: str | None) -> str:
    return repr(redact_url(url)) if url else "None"


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


# --------------------------------------------------------------------------------------------
# Paths on disk


def _make_private_dirs(path: Path) -> None:
    """Create missing folders with 0700; folders that already exist are left alone."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """$ATTRIBTUI_DATA_DIR or the platform data dir, created 0700 (it holds backups and logs)."""
    env = os.environ if env is None else env
    configured = env.get("ATTRIBTUI_DATA_DIR")
    path = (
        Path(configured).expanduser() if configured else Path(platformdirs.user_data_dir(APP_NAME))
    )
    _make_private_dirs(path)
    return path


def app_paths(
    config_path: Path | None = None, env: Mapping[str, str] | None = None
) -> list[tuple[str, Path]]:
    """Every path the tool uses, for `attribtui paths` (the config file even if absent)."""
    data = data_dir(env)
    return [
        ("config", Path(config_path) if config_path else default_config_path()),
        ("data", data),
        ("checks", data / "checks"),
        ("actions", data / "actions.jsonl"),
        ("jobs", data / "jobs"),
        ("backups", data / "backups"),
        ("rollbacks", data / "rollbacks"),
        ("demo", data / "demo" / "demo.sqlite"),
        ("reports", data / "reports"),
    ]


def path_size(p: str | os.PathLike[str]) -> int:
    """Size in bytes of a file, or of everything under a folder; 0 if absent."""
    path = Path(p)
    try:
        if path.is_file():
            return path.stat().st_size
        if not path.is_dir():
            return 0
    except OSError:
        return 0
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue  # removed while we walked
    return total


def private_file(path: str | os.PathLike[str]) -> Path:
    """Ensure `path` exists as a 0600 file in 0700 folders, for any file the tool writes."""
    path = Path(path)
    _make_private_dirs(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    os.close(fd)
    path.chmod(0o600)
    return path


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


def redact_urls_in(text: str) -> str:
    """Every URL inside free text (an error, a traceback) with its password and keys as ***."""
    return re.sub(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+", lambda m: redact_url(m[0]), text)
