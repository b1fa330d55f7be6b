"""The profiles of a config file as lists show them (`attribtui profiles`, the palette's "Switch
to profile"), and a profile that cannot be loaded as a row instead of a crash.

Light on purpose (config only, no database layer): the console's palette reads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from attribtui.infra.config import (
    ConfigError,
    Profile,
    default_profile_name,
    load_profile,
    profile_names,
)
from attribtui.vocab import JsonDict

ConfigPath = str | os.PathLike[str] | None


@dataclass(frozen=True)
class BrokenProfile:
    """A selected profile whose config could not be loaded: a row with its error, not a crash."""

    name: str
    error: str


Selected = Profile | BrokenProfile


@dataclass(frozen=True)
class ProfileInfo:
    """A profile as `attribtui profiles` lists it: what it targets, never a secret."""

    name: str
    environment: str
    groups: tuple[str, ...]
    read_only: bool
    db_configured: bool
    api_configured: bool
    default: bool
    error: str | None = None  # its config could not be loaded

    def to_json(self) -> JsonDict:
        """One entry of `attribtui profiles --json`."""
        return {"name": self.name, "environment": self.environment, "groups": list(self.groups),
                "read_only": self.read_only, "db_configured": self.db_configured,
                "api_configured": self.api_configured, "default": self.default,
                "error": self.error}


def load_selected(name: str, config_path: ConfigPath) -> Selected:
    """The profile, or a BrokenProfile saying why it could not be loaded."""
    try:
        return load_profile(name, config_path=config_path)
    except ConfigError as e:
        return BrokenProfile(name, str(e))


def describe_profiles(config_path: ConfigPath = None) -> list[ProfileInfo]:
    """Every profile of the config (or the implicit one) for `attribtui profiles`."""
    default = default_profile_name(config_path)
    out: list[ProfileInfo] = []
    for name in profile_names(config_path):
        p = load_selected(name, config_path)
        if isinstance(p, BrokenProfile):
            out.append(ProfileInfo(name, "?", (), False, False, False, name == default, p.error))
        else:
            out.append(ProfileInfo(name, p.environment, tuple(p.groups), p.read_only,
                                   bool(p.db.url), bool(p.api.base_url), name == default))
    return out
