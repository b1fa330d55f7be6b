"""The config keys, derived from the schema's declarations, and how a value of each is checked.

A value comes typed from TOML or a typed flag (`check`), or as text from an environment
variable or a string flag (`parse_text`); either way it is validated against its key's kind.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attribtui.infra.config.schema import Profile

ENV_PREFIX = "ATTRIBTUI_"
# A setting's value once checked: what the Profile dataclasses hold.
Value = str | int | float | bool | Path | list[str] | dict[str, str] | None

# A field's annotation -> how its values are parsed, unless the setting names a kind.
_KINDS = {"str": "str", "str | None": "optstr", "Path | None": "optpath", "bool": "bool",
          "int": "posint", "int | None": "optint", "float": "posfloat", "list[str]": "strlist",
          "dict[str, str]": "strmap"}
_DESCRIPTIONS = {
    "str": "a string", "optstr": "a string", "optpath": "a path string", "bool": "true or false",
    "posint": "a positive integer", "optint": "a positive integer",
    "posfloat": "a positive number", "strlist": "a list of strings",
    "groups": "a list of non-empty strings",
    "hostports": 'a list of "host:port" strings', "strmap": 'a table of NAME = "value" strings',
    "userkeys": 'a table of "USER_ID" = "ENV_VAR_NAME" strings',
}
JSON_KINDS = ("strlist", "groups", "hostports", "strmap", "userkeys")  # given as JSON in the environment
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class Key:
    """One config key, as the schema declares it."""

    dotted: str
    kind: str
    default: object
    doc: str
    choices: tuple[str, ...] = ()
    secret: bool = False
    example: object = None
    commented: bool = False
    shown_default: str | None = None
    top_level: bool = False
    maximum: float | None = None

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

    @property
    def summary(self) -> str:
        return self.doc.split("\n", 1)[0]

    def fresh_default(self) -> object:
        """The default, never shared between profiles (lists and dicts are copied)."""
        return type(self.default)(self.default) if isinstance(self.default, list | dict) \
            else self.default

    def describe(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        return _DESCRIPTIONS[self.kind]

    @property
    def url_kind(self) -> str | None:
        """"db" or "http" for the keys holding a URL, checked at load (loader.url_error)."""
        return {"db.url": "db", "db.read_url": "db", "api.base_url": "http"}.get(self.dotted)


def _key(dotted: str, f: dataclasses.Field[Any]) -> Key:
    meta = f.metadata
    if f.default is not dataclasses.MISSING:
        default = f.default
    elif f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    else:
        default = None
    kind = "choice" if meta["choices"] else meta["kind"] or _KINDS[str(f.type)]
    return Key(dotted, kind, default, meta["doc"], meta["choices"], meta["secret"],
               meta["example"], meta["commented"], meta["shown_default"], meta["top_level"],
               meta["maximum"])


def _keys() -> tuple[Key, ...]:
    out: list[Key] = []
    for f in dataclasses.fields(Profile):
        if f.metadata.get("setting"):
            out.append(_key(f.name, f))
        elif f.metadata.get("section"):
            section_cls: type = f.metadata["cls"]
            out += [_key(f"{f.name}.{sf.name}", sf) for sf in dataclasses.fields(section_cls)
                    if sf.metadata.get("setting")]
    return tuple(out)


KEYS = _keys()
BY_DOTTED = {k.dotted: k for k in KEYS}
BY_ENV = {k.env_var: k for k in KEYS}
SECTIONS = tuple(f.name for f in dataclasses.fields(Profile) if f.metadata.get("section"))
# What a [profiles.NAME] table may hold directly (top-level keys such as operator may not).
PROFILE_KEYS = (*(k.dotted for k in KEYS if k.section is None and not k.top_level), *SECTIONS)
# The file's own top-level keys.
TOP_KEYS = ("default_profile", *(k.dotted for k in KEYS if k.top_level), "profiles")


class BadValue(ValueError):
    """A value of the wrong type or range; the caller adds where it came from."""


class TooLarge(BadValue):
    """A number above its key's maximum."""


def expected(key: Key, error: BadValue) -> str:
    """What the key takes, for "must be ...": with its limit when the value was above it."""
    if isinstance(error, TooLarge) and key.maximum is not None:
        limit = key.maximum
        return f"{key.describe()} up to {int(limit) if limit == int(limit) else limit}"
    return key.describe()


def got(key: Key, value: object) -> str:
    """The offending value for an error message: never a secret, always one short line."""
    if key.secret or key.url_kind:  # a URL may hold a password: never quoted
        return f"a {type(value).__name__}" if not isinstance(value, str) else "a hidden value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_hostport(value: str) -> bool:
    host, sep, port = value.rpartition(":")
    return bool(sep and host and port.isdigit() and 0 < int(port) < 65536)


def check(key: Key, value: object) -> Value:
    """Validate a typed value (from TOML or a typed flag) and return it in canonical form."""
    kind = key.kind
    if kind == "optpath" and isinstance(value, os.PathLike):
        return Path(value).expanduser()
    if kind in ("str", "optstr", "optpath", "choice"):
        if not isinstance(value, str) or (kind == "choice" and value not in key.choices):
            raise BadValue
        return Path(value).expanduser() if kind == "optpath" else value
    if kind == "bool":
        if not isinstance(value, bool):
            raise BadValue
        return value
    if kind in ("posint", "optint"):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise BadValue
        if key.maximum is not None and value > key.maximum:
            raise TooLarge
        return value
    if kind == "posfloat":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadValue
        if not math.isfinite(value) or value <= 0:
            raise BadValue
        if key.maximum is not None and value > key.maximum:
            raise TooLarge
        return float(value)
    if kind in ("strlist", "groups", "hostports"):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise BadValue
        if kind == "hostports" and not all(_is_hostport(v) for v in value):
            raise BadValue
        if kind == "groups":  # `--group NAME` must be able to name each one
            if not all(v.strip() for v in value):
                raise BadValue
            return list(dict.fromkeys(v.strip() for v in value))
        return list(value)
    if kind == "strmap":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and _ENV_NAME.match(k) and isinstance(v, str)
                for k, v in value.items()):
            raise BadValue
        return dict(value)
    if kind == "userkeys":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and k.isascii() and k.isdigit() and 0 < int(k) < 2**32
                and isinstance(v, str) and _ENV_NAME.match(v) for k, v in value.items()):
            raise BadValue
        return {str(int(k)): v for k, v in value.items()}
    raise AssertionError(f"unhandled kind {kind}")


def parse_text(key: Key, text: str) -> Value:
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
        raise BadValue
    if kind in ("posint", "optint"):
        try:
            number: int | float = int(stripped)
        except ValueError:
            raise BadValue from None
        return check(key, number)
    if kind == "posfloat":
        try:
            number = float(stripped)
        except ValueError:
            raise BadValue from None
        return check(key, number)
    if kind in JSON_KINDS:
        try:
            return check(key, json.loads(text))
        except json.JSONDecodeError:
            raise BadValue from None
    return check(key, text)
