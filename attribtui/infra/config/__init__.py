"""Profiles: the schema of config keys, the loader, and the docs generated from the schema.

schema.py  the typed profile; each setting declared once (default, doc, example)
keys.py    the keys derived from it and how each value is checked
loader.py  file + environment + flags -> Profile, with sources and overrides
docs.py    config.example.toml and the README's config table, generated from the schema
"""

from attribtui.infra.config.loader import (
    IMPLICIT_PROFILE,
    ConfigError,
    default_profile_name,
    effective_config,
    find_config,
    load_profile,
    profile_groups,
    profile_names,
)
from attribtui.infra.config.schema import (
    CAUTIOUS_ENVIRONMENTS,
    ENVIRONMENTS,
    ApiConfig,
    ChecksConfig,
    DbConfig,
    JobsConfig,
    JourneysConfig,
    MemcacheConfig,
    Profile,
)

__all__ = [
    "CAUTIOUS_ENVIRONMENTS", "ENVIRONMENTS", "IMPLICIT_PROFILE", "ApiConfig", "ChecksConfig",
    "ConfigError", "default_profile_name",
    "DbConfig", "JobsConfig", "JourneysConfig", "MemcacheConfig", "Profile", "effective_config", "find_config",
    "load_profile", "profile_groups", "profile_names",
]
