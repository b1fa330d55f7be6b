"""Loading a profile: the file, the environment and flags, each value with its source.

Precedence for every key: command-line flag > environment (`ATTRIBTUI_<SECTION>_<KEY>`) >
config file > default. Every value remembers where it came from (`Profile.sources`) and every
active environment override is listed (`Profile.overrides`), so a stray `export` can never
silently retarget a profile. Unknown keys and unknown `ATTRIBTUI_*` variables are errors: a typo
must not silently do nothing. The keys themselves are declared in schema.py.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from attribtui.infra import paths
from attribtui.infra.config.keys import (
    BY_DOTTED,
    BY_ENV,
    JSON_KINDS,
    KEYS,
    PROFILE_KEYS,
    SECTIONS,
    TOP_KEYS,
    BadValue,
    Key,
    check,
    expected,
    got,
    parse_text,
)
from attribtui.infra.config.schema import (
    ENVIRONMENTS,
    ApiConfig,
    ChecksConfig,
    DbConfig,
    JobsConfig,
    JourneysConfig,
    MemcacheConfig,
    Profile,
)
from attribtui.infra.redact import (
    REDACTED,
    db_url_problem,
    http_url_problem,
    redact_env,
    redact_url,
    url_password,
)
from attribtui.vocab import AttribtuiError, JsonDict

IMPLICIT_PROFILE = "env"

#: ATTRIBTUI_* variables that are not key overrides. Other modules read these themselves.
RESERVED_ENV = frozenset(
    {"ATTRIBTUI_CONFIG", "ATTRIBTUI_PROFILE", "ATTRIBTUI_DATA_DIR", "ATTRIBTUI_NOW", "ATTRIBTUI_DEBUG"}
)

#: Prefixes of ATTRIBTUI_* variables owned by something else (the test harness).
RESERVED_ENV_PREFIXES = ("ATTRIBTUI_TEST_",)


class ConfigError(AttribtuiError):
    """A config problem, as one line naming the file (or variable/flag), the key and the fix."""

    prefix = "config error: "


# --------------------------------------------------------------------------------------------
# Finding and reading the file


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
    path = paths.config_file()
    return path if path.is_file() else None


def _read_toml(path: Path) -> JsonDict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(f"{path}: invalid TOML: {detail}; fix the syntax there") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start} cannot be decoded); save "
                          "the file as UTF-8") from None
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


def _parse_file(path: Path) -> tuple[JsonDict, dict[str, JsonDict]]:
    """Validate the whole file (every profile, so a typo anywhere shows up at once).

    Returns (top-level values, {profile name: {dotted key: value}}).
    """
    data = _read_toml(path)
    top: JsonDict = {}
    for name, value in data.items():
        if name not in TOP_KEYS:
            hint = ""
            if name in PROFILE_KEYS:
                hint = f"; profile keys belong under [profiles.NAME] (e.g. [profiles.NAME.{name}])"
            raise ConfigError(_unknown_key(path, name, name, TOP_KEYS, hint))
        if name in ("default_profile", "operator") and not isinstance(value, str):
            raise ConfigError(f"{path}: {name} must be a string (got {value!r}); fix the value")
        if name == "profiles" and not isinstance(value, dict):
            raise ConfigError(
                f"{path}: profiles must be a table of [profiles.NAME] tables; fix the value"
            )
        top[name] = value

    profiles: dict[str, JsonDict] = {}
    for pname, table in top.get("profiles", {}).items():
        prefix = f"profiles.{pname}"
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {prefix} must be a table ([{prefix}]); fix the value")
        values: JsonDict = {}
        for name, value in table.items():
            if name not in PROFILE_KEYS:
                hint = "; operator is a top-level key" if name == "operator" else ""
                raise ConfigError(_unknown_key(path, f"{prefix}.{name}", name, PROFILE_KEYS, hint))
            if name in SECTIONS:
                if not isinstance(value, dict):
                    raise ConfigError(
                        f"{path}: {prefix}.{name} must be a table ([{prefix}.{name}]); fix the value"
                    )
                known = [k.name for k in KEYS if k.section == name]
                for sub, subvalue in value.items():
                    if sub not in known:
                        raise ConfigError(_unknown_key(path, f"{prefix}.{name}.{sub}", sub, known))
                    values[f"{name}.{sub}"] = subvalue
            else:
                values[name] = value
        for dotted, value in values.items():
            key = BY_DOTTED[dotted]
            try:
                values[dotted] = check(key, value)
            except BadValue as e:
                raise ConfigError(
                    f"{path}: {prefix}.{dotted} must be {expected(key, e)} "
                    f"(got {got(key, value)}); fix the value"
                ) from None
            if problem := url_problem(key, values[dotted]):
                raise ConfigError(f"{path}: {prefix}.{dotted} is {problem}")
        if "environment" not in values:
            raise ConfigError(
                f"{path}: {prefix}.environment is required (one of {', '.join(ENVIRONMENTS)}); "
                f'add environment = "production" (or staging, dev) to [{prefix}]'
            )
        profiles[str(pname)] = values
    return top, profiles


def url_problem(key: Key, value: object) -> str | None:
    """Why a URL key's value cannot be parsed, quoting no part of it (promise 4: a password's
    unencoded "@" would put its tail in a parser's own error); None when it can, or not a URL."""
    if not isinstance(value, str) or not value or key.url_kind is None:
        return None
    return db_url_problem(value) if key.url_kind == "db" else http_url_problem(value)


def _file_has_secret(profiles: Mapping[str, JsonDict]) -> bool:
    for values in profiles.values():
        if values.get("api.key"):
            return True
        if any(url_password(values.get(k)) for k in ("db.url", "db.read_url")):
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
    known = sorted({*BY_ENV, *RESERVED_ENV})
    for var in sorted(env):
        if (
            var.startswith("ATTRIBTUI_")
            and var not in BY_ENV
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
    top: JsonDict,
    profiles: JsonDict,
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


def _override_note(key: Key, var: str, raw: str, value: Any) -> str:
    if key.secret:
        shown = REDACTED
    elif isinstance(value, str) and key.dotted.endswith("url"):
        shown = redact_url(value)
    elif key.kind == "strmap":
        shown = json.dumps(redact_env(value))
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
    looked_at = path or paths.config_file()

    top: JsonDict = {}
    file_profiles: dict[str, JsonDict] = {}
    if path is not None:
        top, file_profiles = _parse_file(path)
        if not file_profiles:
            raise ConfigError(
                f"{path}: no profiles defined; add a [profiles.NAME] table with an environment "
                "(see config.example.toml)"
            )

    chosen, why = _select_name(name, env, top, file_profiles)
    warnings: list[str] = []
    values: JsonDict = {k.dotted: k.fresh_default() for k in KEYS}
    sources: dict[str, str] = {k.dotted: "default" for k in KEYS}

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
    for var, key in BY_ENV.items():
        if var not in env:
            continue
        raw = env[var]
        try:
            value = parse_text(key, raw)
        except BadValue as e:
            shown = "a hidden value" if key.secret else got(key, raw)
            raise ConfigError(
                f"environment variable {var}: {key.dotted} must be {expected(key, e)}"
                f"{' (JSON)' if key.kind in JSON_KINDS else ''} "
                f"(got {shown}); fix or unset {var}"
            ) from None
        if problem := url_problem(key, value):
            raise ConfigError(f"environment variable {var}: {key.dotted} is {problem}")
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
        flag_key = BY_DOTTED.get(dotted)
        if flag_key is None:
            raise ConfigError(
                f"flag {dotted!r} is not a config key{_suggest(dotted, BY_DOTTED)}; "
                "fix the flag mapping"
            )
        try:
            parsed = parse_text(flag_key, value) if isinstance(value, str) else check(flag_key, value)
        except BadValue as e:
            raise ConfigError(
                f"{flag_key.flag}: {flag_key.dotted} must be {expected(flag_key, e)} "
                f"(got {got(flag_key, value)}); fix the flag value"
            ) from None
        if problem := url_problem(flag_key, parsed):
            raise ConfigError(f"{flag_key.flag}: {flag_key.dotted} is {problem}")
        values[dotted], sources[dotted] = parsed, f"flag:{flag_key.flag}"

    if values["api.key"] and values["api.key_env"]:
        warnings.append(
            f"api.key and api.key_env are both set for profile {chosen!r}; api.key wins"
        )
    elif values["api.key_env"] and not env.get(values["api.key_env"]):
        warnings.append(
            f"api.key_env names {values['api.key_env']}, which is not set; the API will be "
            f"called without a key (export {values['api.key_env']})"
        )

    def section(sec: str) -> JsonDict:
        return {k.name: values[k.dotted] for k in KEYS if k.section == sec}

    return Profile(
        name=chosen,
        environment=values["environment"],
        read_only=values["read_only"],
        groups=values["groups"],
        db=DbConfig(**section("db")),
        api=ApiConfig(**section("api"), environ=env),
        memcache=MemcacheConfig(**section("memcache")),
        jobs=JobsConfig(**section("jobs")),
        checks=ChecksConfig(**section("checks")),
        journeys=JourneysConfig(**section("journeys")),
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


def profile_groups(
    config_path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Each profile's groups as the file declares them ({} without a file), read without
    loading the profiles: a fleet is selected by group before any profile is resolved."""
    path = find_config(config_path, env)
    if path is None:
        return {}
    return {name: list(values.get("groups", [])) for name, values in
            sorted(_parse_file(path)[1].items())}


def default_profile_name(
    config_path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """The profile a command without --profile loads ($ATTRIBTUI_PROFILE, default_profile, the
    only one), or None when it would have to ask."""
    env = os.environ if env is None else env
    path = find_config(config_path, env)
    if path is None:
        return env.get("ATTRIBTUI_PROFILE") or IMPLICIT_PROFILE
    top, profiles = _parse_file(path)
    return _select_name(None, env, top, profiles)[0]


def effective_config(profile: Profile) -> list[tuple[str, str, str]]:
    """(dotted key, redacted display value, source) for every key, for `attribtui config show`."""
    rows = []
    for key in KEYS:
        if key.dotted == "operator":
            value: Any = profile.operator
        elif key.section is None:
            value = getattr(profile, key.dotted)
        else:
            value = getattr(getattr(profile, key.section), key.name)
        rows.append((key.dotted, _display(key, value), profile.sources.get(key.dotted, "default")))
    return rows


def _display(key: Key, value: Any) -> str:
    if value is None:
        return "(not set)"
    if key.secret:
        return REDACTED
    if isinstance(value, bool):
        return "true" if value else "false"
    if key.kind == "strmap":
        return json.dumps(redact_env(value))
    if isinstance(value, list | dict):
        return json.dumps(value)
    if key.dotted.endswith("url"):
        return redact_url(value)
    if value == "":
        return '""'
    return str(value)
