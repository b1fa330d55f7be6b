"""The profile's settings: each field below is one config key, declared once.

A field's `setting(...)` gives its default, its doc and how it is parsed; its dotted name
(`db.url`) gives the file key, the environment variable (ATTRIBTUI_DB_URL) and the flag. The
loader, `attribtui config show`, config.example.toml and the README's config table all read these
declarations (docs.py writes the last two; a test keeps them in sync).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from attribtui.infra.redact import query_secrets, redact_env, redact_url, secret_name, url_password

ENVIRONMENTS = ("production", "staging", "dev")
CAUTIOUS_ENVIRONMENTS = ("production", "unknown")
RUNNERS = ("php", "sandbox")
REQUIRED = dataclasses.MISSING


def setting(default: object, doc: str, *, kind: str | None = None, choices: tuple[str, ...] = (),
            secret: bool = False, example: object = None, commented: bool = False,
            shown_default: str | None = None, top_level: bool = False,
            maximum: float | None = None) -> Any:
    """A config key: its default, one line of doc (more lines after a newline go only to the
    example file), and what the example file shows (`commented` shows it as a comment).
    `maximum` bounds a number: a typo like 5000000000 is refused at load, stating the limit."""
    meta = {"setting": True, "doc": doc, "kind": kind, "choices": choices, "secret": secret,
            "example": example, "commented": commented, "shown_default": shown_default,
            "top_level": top_level, "maximum": maximum}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    if default is REQUIRED:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def section(cls: type, doc: str) -> Any:
    """A [profiles.NAME.<section>] table of settings."""
    return field(default_factory=cls, metadata={"section": True, "doc": doc, "cls": cls})


def _shown(url: str | None) -> str:
    return repr(redact_url(url)) if url else "None"


@dataclass(frozen=True, repr=False)
class DbConfig:
    url: str | None = setting(
        None, "primary, mysql+pymysql://user:pass@host:3306/db",
        example="mysql+pymysql://attribtui@db-primary.internal:3306/prosper202",
        shown_default="none (database screens degrade)")
    read_url: str | None = setting(
        None, "read replica for heavy reads\nVerification after an action always reads the "
        "primary; the header shows the replica's lag.",
        example="mysql+pymysql://attribtui_ro@db-replica.internal:3306/prosper202",
        commented=True, shown_default="none (everything reads the primary)")
    statement_timeout_ms: int = setting(5000, "server-side limit per query, in milliseconds",
                                        example=5000, maximum=600_000)
    connect_timeout_s: float = setting(5.0, "connect and handshake limit, in seconds", example=5.0,
                                       maximum=300)

    def __repr__(self) -> str:
        # URLs may carry a password; a repr ends up in tracebacks and debug output.
        return (f"DbConfig(url={_shown(self.url)}, read_url={_shown(self.read_url)}, "
                f"statement_timeout_ms={self.statement_timeout_ms}, "
                f"connect_timeout_s={self.connect_timeout_s})")


@dataclass(frozen=True, repr=False)
class ApiConfig:
    base_url: str | None = setting(
        None, "Prosper202 URL (the v2 API lives under /api/v2)",
        example="https://prosper.example.com", shown_default="none (API screens degrade)")
    key_env: str | None = setting(
        None, "name of the variable holding the v2 API key (prefer it to api.key)\n"
        "The key travels in the URL; attribtui redacts it everywhere.", example="P202_API_KEY")
    key: str | None = setting(None, "the v2 API key itself (wins over key_env; never shown)",
                              secret=True, example="...", commented=True)
    timeout_s: float = setting(10.0, "seconds per API request", example=10.0, maximum=600)
    user_id: int | None = setting(None, "whose models to show", example=1,
                                  shown_default="the key's user", maximum=16_777_215)
    user_keys: dict[str, str] = setting(
        {}, "other users' v2 keys: user id = name of the variable holding that user's key\n"
        "The Models screen lists every user's models; those of a user without a key here are "
        "read-only (the fix is shown as a command to run, key redacted).", kind="userkeys",
        example={"4": "P202_API_KEY_USER4"}, shown_default="{} (other users read-only)")
    # The environment the profile was loaded from, so key_env resolves against the same one.
    environ: Mapping[str, str] | None = field(default=None, repr=False, compare=False)
    # Why the API may not answer and what to do, said when it does not (the embedded demo's
    # emulator runs only while its console is open); not a setting.
    down_hint: str | None = field(default=None, repr=False, compare=False)

    def resolved_key(self) -> str | None:
        """The API key: `key` if set, else the value of the variable named by `key_env`."""
        if self.key:
            return self.key
        if self.key_env:
            source = self.environ if self.environ is not None else os.environ
            return source.get(self.key_env) or None
        return None

    def for_user(self, user_id: int) -> ApiConfig | None:
        """The API settings that act as user_id: its own key from user_keys, or this profile's
        key when it is that user's (api.user_id); None when no key is configured for it."""
        env_name = self.user_keys.get(str(user_id))
        if env_name:
            return dataclasses.replace(self, key=None, key_env=env_name, user_id=user_id)
        return self if self.user_id == user_id else None

    def user_key_values(self) -> list[str]:
        """The other users' keys, for redaction."""
        source = self.environ if self.environ is not None else os.environ
        return [v for name in self.user_keys.values() if (v := source.get(name))]

    def __repr__(self) -> str:
        return (f"ApiConfig(base_url={_shown(self.base_url)}, key_env={self.key_env!r}, "
                f"key={'<set>' if self.key else None}, timeout_s={self.timeout_s}, "
                f"user_id={self.user_id!r}, user_keys={self.user_keys!r})")


@dataclass(frozen=True)
class MemcacheConfig:
    servers: list[str] = setting(
        [], "memcached holding journey cache keys, \"host:port\"", kind="hostports",
        example=["cache1.internal:11211"], shown_default="[] (cache tools off)")
    http_host: str = setting(
        "", "the web server's HTTP_HOST: seeds the journey cache key\nProsper202 mixes "
        "HTTP_HOST and SERVER_ADDR into every journey cache key (systemHash); \"\" is the CLI's "
        "value.", example="prosper.example.com")
    server_addr: str = setting("", "the web server's SERVER_ADDR: seeds the journey cache key",
                               example="10.0.0.10")


@dataclass(frozen=True, repr=False)
class JobsConfig:
    runner: str = setting("php", "php (the real cron scripts) or sandbox (the stand-ins)",
                          choices=RUNNERS, example="php")
    php: str = setting("php", "the PHP binary", example="/usr/bin/php")
    prosper_root: Path | None = setting(None, "the Prosper202 checkout holding 202-cronjobs/",
                                        example="/var/www/prosper202")
    command_prefix: list[str] = setting(
        [], "words before the command, e.g. [\"ssh\", \"app1\"] or sudo -u www-data",
        example=["sudo", "-u", "www-data"])
    env: dict[str, str] = setting(
        {}, "extra environment for jobs\nSetting the web server's values silences the CLI "
        "warnings and makes cache keys match; secret-looking names are shown as ***.",
        example={"HTTP_HOST": "prosper.example.com", "SERVER_ADDR": "10.0.0.10",
                 "SERVER_NAME": "prosper.example.com", "REMOTE_ADDR": "127.0.0.1"})

    def __repr__(self) -> str:
        # env may carry P202_DB_PASS and the like.
        return (f"JobsConfig(runner={self.runner!r}, php={self.php!r}, "
                f"prosper_root={self.prosper_root!r}, command_prefix={self.command_prefix!r}, "
                f"env={redact_env(self.env)!r})")


@dataclass(frozen=True)
class ChecksConfig:
    deadline_s: float = setting(
        30.0, "seconds a whole check run may take; the checks left are skipped\nOn a database "
        "that answers slowly the run stops here, reporting the checks it did not reach as "
        "skipped; `attribtui check --deadline` overrides it.", example=30.0, maximum=3600)
    fleet_refresh_s: float = setting(
        120.0, "seconds between the Fleet screen's background checks of every profile\nThe "
        "refresh only reads (as `attribtui check --all-profiles`, without saving the runs); "
        "r on the Fleet screen refreshes now.", example=120.0, maximum=86400)


@dataclass(frozen=True)
class JourneysConfig:
    recompute_workers: int = setting(
        2, "candidate-click reads run at once when recomputing many journeys\nThe Journeys "
        "screen, `attribtui journey` and the rollback's verify read each group's "
        "clicks once (a user's, or a (user, campaign)'s: as the server's plan reads them), this "
        "many groups at a time, on the read replica when there is one "
        "(verify reads the primary). At most 8, the read pool's size.", example=2, maximum=8)


@dataclass(frozen=True)
class Profile:
    """One resolved profile: every key typed, with where each value came from."""

    name: str
    environment: str = setting(
        REQUIRED, "production, staging or dev\nproduction (and the implicit profile's "
        "\"unknown\") asks for the typed profile name before any write.",
        choices=ENVIRONMENTS, example="production", shown_default="(required)")
    read_only: bool = setting(
        False, "remove every mutating action (enforced in the core)\nWrite functions raise, "
        "the DB session is READ ONLY and the API client sends GETs only.", example=False)
    groups: list[str] = setting(
        [], "fleet groups of this profile, for `attribtui check --group NAME`\n"
        "`attribtui profiles` lists them; a fleet check only reads, never mutates.",
        kind="groups", example=["eu", "agency-x"], shown_default="[] (in no group)")
    operator: str | None = setting(
        None, "name in the action log", top_level=True, example="jane.doe", commented=True,
        shown_default="$SUDO_USER, $USER")
    db: DbConfig = section(DbConfig, "the Prosper202 database")
    api: ApiConfig = section(ApiConfig, "the v2 API")
    memcache: MemcacheConfig = section(MemcacheConfig, "memcached")
    jobs: JobsConfig = section(JobsConfig, "how rebuild and backfill jobs run")
    checks: ChecksConfig = section(ChecksConfig, "the check runs (attribtui check, Health)")
    journeys: JourneysConfig = section(JourneysConfig, "journey recomputation (Journeys, "
                                       "attribtui journey, rollback verify)")
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
        found += self.api.user_key_values()
        for url in (self.db.url, self.db.read_url, self.api.base_url):
            password = url_password(url)
            if password:
                found.append(password)
                if unquote(password) != password:
                    found.append(unquote(password))
            found.extend(query_secrets(url))
        found.extend(v for k, v in self.jobs.env.items() if v and secret_name(k))
        return list(dict.fromkeys(found))
