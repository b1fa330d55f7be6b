"""Config: precedence with sources, env overrides, the implicit profile, errors, redaction, paths.

Every test passes its env dict explicitly and writes its files under tmp_path, so the operator's
real config is never read.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from attribtui.infra import config, paths
from attribtui.infra.config import ConfigError, effective_config, load_profile
from attribtui.infra.redact import redact_text, redact_url

REPO = Path(__file__).resolve().parents[2]
SECRET_KEY = "k3y-SUPER-secret-value"


@pytest.fixture(autouse=True)
def no_default_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default config location is an empty temp dir on every platform."""
    where = tmp_path / "default-config" / "config.toml"
    monkeypatch.setattr(paths, "config_file", lambda: where)
    return where


def write(tmp_path: Path, text: str, name: str = "config.toml", mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_text(text)
    path.chmod(mode)
    return path


BASIC = """
default_profile = "prod"
operator = "alice"

[profiles.prod]
environment = "production"

[profiles.prod.db]
url = "mysql+pymysql://app@db1:3306/p202"
statement_timeout_ms = 3000

[profiles.stage]
environment = "staging"
read_only = true
"""


def load(path: Path, name: str | None = None, env: dict[str, str] | None = None, **kw):
    return load_profile(name, config_path=str(path), env=env or {}, **kw)


# --- precedence and sources ------------------------------------------------------------------


def test_file_values_and_defaults_with_sources(tmp_path: Path) -> None:
    path = write(tmp_path, BASIC)
    p = load(path)
    assert p.name == "prod" and p.environment == "production" and p.cautious
    assert p.operator == "alice"
    assert p.db.url == "mysql+pymysql://app@db1:3306/p202"
    assert p.db.statement_timeout_ms == 3000
    assert p.db.connect_timeout_s == 5.0
    assert p.sources["db.statement_timeout_ms"] == f"file:{path}"
    assert p.sources["db.connect_timeout_s"] == "default"
    assert p.sources["operator"] == f"file:{path}"
    assert p.config_path == path and not p.implicit
    assert p.overrides == [] and p.warnings == []
    # every key has a source
    assert set(p.sources) == {row[0] for row in effective_config(p)}


def test_flag_beats_env_beats_file_beats_default(tmp_path: Path) -> None:
    path = write(tmp_path, BASIC)
    env = {"ATTRIBTUI_DB_STATEMENT_TIMEOUT_MS": "7000", "ATTRIBTUI_READ_ONLY": "yes"}
    p = load(path, env=env)
    assert p.db.statement_timeout_ms == 7000
    assert p.sources["db.statement_timeout_ms"] == "env:ATTRIBTUI_DB_STATEMENT_TIMEOUT_MS"
    assert p.read_only is True
    assert p.sources["read_only"] == "env:ATTRIBTUI_READ_ONLY"

    p = load(path, env=env, flags={"db.statement_timeout_ms": 9000, "read_only": False})
    assert p.db.statement_timeout_ms == 9000
    assert p.sources["db.statement_timeout_ms"] == "flag:--db-statement-timeout-ms"
    assert p.read_only is False
    assert p.sources["read_only"] == "flag:--read-only"


def test_flags_none_are_ignored_and_strings_are_parsed(tmp_path: Path) -> None:
    path = write(tmp_path, BASIC)
    p = load(path, flags={"db.url": None, "db.connect_timeout_s": "2.5"})
    assert p.sources["db.url"] == f"file:{path}"
    assert p.db.connect_timeout_s == 2.5


def test_profile_selection_order(tmp_path: Path) -> None:
    path = write(tmp_path, BASIC)
    assert load(path).name == "prod"  # default_profile
    assert load(path, env={"ATTRIBTUI_PROFILE": "stage"}).name == "stage"
    assert load(path, "prod", env={"ATTRIBTUI_PROFILE": "stage"}).name == "prod"
    only = write(tmp_path, '[profiles.solo]\nenvironment = "dev"\n', name="solo.toml")
    assert load(only).name == "solo"


def test_several_profiles_without_default_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.a]\nenvironment = "dev"\n[profiles.b]\nenvironment = "dev"\n')
    with pytest.raises(ConfigError, match=r"several profiles \(a, b\)") as exc:
        load(path)
    assert str(path) in str(exc.value) and "default_profile" in str(exc.value)


def test_env_overrides_are_listed_with_secrets_redacted(tmp_path: Path) -> None:
    path = write(tmp_path, BASIC)
    env = {
        "ATTRIBTUI_DB_URL": "mysql+pymysql://u:hunter2@db9/p",
        "ATTRIBTUI_API_KEY": SECRET_KEY,
        "ATTRIBTUI_MEMCACHE_SERVERS": '["c1:11211", "c2:11211"]',
        "ATTRIBTUI_JOBS_COMMAND_PREFIX": '["sudo", "-u", "www-data"]',
        "ATTRIBTUI_JOBS_ENV": '{"HTTP_HOST": "x", "P202_DB_PASS": "pw9"}',
        "ATTRIBTUI_NOW": "123",  # reserved, not an override
        "P202_OTHER": "ignored",
    }
    p = load(path, env=env)
    assert p.memcache.servers == ["c1:11211", "c2:11211"]
    assert p.jobs.command_prefix == ["sudo", "-u", "www-data"]
    assert p.jobs.env == {"HTTP_HOST": "x", "P202_DB_PASS": "pw9"}
    assert p.api.resolved_key() == SECRET_KEY
    assert len(p.overrides) == 5
    notes = "\n".join(p.overrides)
    assert "ATTRIBTUI_DB_URL=mysql+pymysql://u:***@db9/p (db.url)" in notes
    assert "ATTRIBTUI_API_KEY=*** (api.key)" in notes
    assert "(memcache.servers)" in notes
    assert SECRET_KEY not in notes and "hunter2" not in notes and "pw9" not in notes


def test_env_override_of_environment_warns(tmp_path: Path) -> None:
    p = load(write(tmp_path, BASIC), env={"ATTRIBTUI_ENVIRONMENT": "dev"})
    assert p.environment == "dev"
    assert any("ATTRIBTUI_ENVIRONMENT" in w for w in p.warnings)


def test_empty_env_value_unsets_an_optional_key(tmp_path: Path) -> None:
    p = load(write(tmp_path, BASIC), env={"ATTRIBTUI_DB_URL": ""})
    assert p.db.url is None and p.sources["db.url"] == "env:ATTRIBTUI_DB_URL"


# --- the implicit profile --------------------------------------------------------------------


def test_implicit_profile_from_db_url_alone() -> None:
    p = load_profile(env={"ATTRIBTUI_DB_URL": "mysql+pymysql://root@127.0.0.1/p202"})
    assert p.name == "env" and p.implicit and p.config_path is None
    assert p.environment == "unknown" and p.cautious
    assert "production" in p.display_env
    assert p.db.url == "mysql+pymysql://root@127.0.0.1/p202"
    assert p.sources["db.url"] == "env:ATTRIBTUI_DB_URL"
    assert p.sources["environment"] == "default"
    assert p.overrides == ["ATTRIBTUI_DB_URL=mysql+pymysql://root@127.0.0.1/p202 (db.url)"]


def test_implicit_profile_environment_from_env() -> None:
    p = load_profile("env", env={"ATTRIBTUI_ENVIRONMENT": "staging"})
    assert p.environment == "staging" and not p.cautious


def test_named_profile_without_config_file(no_default_config: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_profile("prod", env={})
    msg = str(exc.value)
    assert "no config file" in msg and str(no_default_config) in msg and "'prod'" in msg
    assert "\n" not in msg


def test_config_path_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="--config does not exist"):
        load_profile(config_path=str(missing), env={})
    with pytest.raises(ConfigError, match="ATTRIBTUI_CONFIG"):
        load_profile(env={"ATTRIBTUI_CONFIG": str(missing)})


def test_config_found_through_env_and_default(tmp_path: Path, no_default_config: Path) -> None:
    path = write(tmp_path, BASIC)
    assert load_profile(env={"ATTRIBTUI_CONFIG": str(path)}).config_path == path
    no_default_config.parent.mkdir()
    shutil.copy(path, no_default_config)
    assert load_profile(env={}).config_path == no_default_config


# --- errors: one line, naming the file, the key and the fix ----------------------------------


def one_line_error(path: Path, text: str, **kw) -> str:
    write(path.parent, text, name=path.name)
    with pytest.raises(ConfigError) as exc:
        load(path, **kw)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith(str(path))
    return msg


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    msg = one_line_error(
        tmp_path / "c.toml", '[profiles.p]\nenvironment = "dev"\n[profiles.p.db]\nurll = "x"\n'
    )
    assert "profiles.p.db.urll" in msg and "did you mean 'url'" in msg


def test_unknown_top_level_and_section(tmp_path: Path) -> None:
    msg = one_line_error(tmp_path / "c.toml", 'default_profil = "p"\n')
    assert "default_profil" in msg and "'default_profile'" in msg
    msg = one_line_error(tmp_path / "c.toml", '[db]\nurl = "x"\n')
    assert "profiles.NAME" in msg
    msg = one_line_error(
        tmp_path / "c.toml", '[profiles.p]\nenvironment = "dev"\n[profiles.p.apii]\n'
    )
    assert "profiles.p.apii" in msg and "'api'" in msg


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        (
            '[profiles.p.db]\nstatement_timeout_ms = "abc"',
            "db.statement_timeout_ms",
            "positive integer",
        ),
        (
            "[profiles.p.db]\nstatement_timeout_ms = 0",
            "db.statement_timeout_ms",
            "positive integer",
        ),
        ("[profiles.p.db]\nconnect_timeout_s = true", "db.connect_timeout_s", "positive number"),
        ('[profiles.p]\nread_only = "yes"', "read_only", "true or false"),
        ('[profiles.p.memcache]\nservers = "c1:11211"', "memcache.servers", "host:port"),
        ('[profiles.p.memcache]\nservers = ["c1"]', "memcache.servers", "host:port"),
        ('[profiles.p.jobs]\nrunner = "docker"', "jobs.runner", "php, sandbox"),
        ("[profiles.p.jobs]\ncommand_prefix = [1]", "jobs.command_prefix", "list of strings"),
        ("[profiles.p.jobs.env]\nX = 1", "jobs.env", "table"),
        ("[profiles.p.api]\nuser_id = 1.5", "api.user_id", "positive integer"),
    ],
)
def test_wrong_types(tmp_path: Path, line: str, key: str, expected: str) -> None:
    section, _, rest = line.partition("\n")
    if section == "[profiles.p]":
        text = f'[profiles.p]\nenvironment = "dev"\n{rest}\n'
    else:
        text = f'[profiles.p]\nenvironment = "dev"\n{section}\n{rest}\n'
    msg = one_line_error(tmp_path / "c.toml", text)
    assert f"profiles.p.{key} must be" in msg and expected in msg and "fix the value" in msg


def test_wrong_type_message_matches_the_documented_shape(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    msg = one_line_error(
        path,
        '[profiles.prod]\nenvironment = "production"\n[profiles.prod.db]\nstatement_timeout_ms = "abc"\n',
    )
    assert msg == (
        f"{path}: profiles.prod.db.statement_timeout_ms must be a positive integer (got 'abc'); "
        "fix the value"
    )


def test_environment_required_and_checked(tmp_path: Path) -> None:
    msg = one_line_error(tmp_path / "c.toml", "[profiles.p]\nread_only = true\n")
    assert "profiles.p.environment is required" in msg
    msg = one_line_error(tmp_path / "c.toml", '[profiles.p]\nenvironment = "prod"\n')
    assert "profiles.p.environment" in msg and "production, staging, dev" in msg


def test_secret_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    msg = one_line_error(
        tmp_path / "c.toml", '[profiles.p]\nenvironment = "dev"\n[profiles.p.api]\nkey = 98765432\n'
    )
    assert "profiles.p.api.key" in msg and "98765432" not in msg


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    msg = one_line_error(tmp_path / "c.toml", '[profiles.p]\nenvironment = "dev"\nread_only = \n')
    assert "invalid TOML" in msg and "line 3" in msg


def test_unknown_profile_lists_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, BASIC)
    with pytest.raises(ConfigError) as exc:
        load(path, "prdo")
    msg = str(exc.value)
    assert msg.startswith(str(path)) and "'prdo'" in msg
    assert "known profiles: prod, stage" in msg and "did you mean 'prod'" in msg
    with pytest.raises(ConfigError, match="ATTRIBTUI_PROFILE"):
        load(path, env={"ATTRIBTUI_PROFILE": "nope"})


def test_unknown_default_profile(tmp_path: Path) -> None:
    msg = one_line_error(
        tmp_path / "c.toml", 'default_profile = "x"\n[profiles.p]\nenvironment = "dev"\n'
    )
    assert "default_profile" in msg and "known profiles: p" in msg


def test_unknown_attribtui_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_profile(env={"ATTRIBTUI_DB_URLL": "x"})
    msg = str(exc.value)
    assert "ATTRIBTUI_DB_URLL" in msg and "did you mean 'ATTRIBTUI_DB_URL'" in msg
    assert "\n" not in msg
    # the test harness's own variables are not settings but are tolerated
    load_profile(env={"ATTRIBTUI_TEST_MARIADB_HOST": "h"})


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("ATTRIBTUI_DB_STATEMENT_TIMEOUT_MS", "abc", "positive integer"),
        ("ATTRIBTUI_READ_ONLY", "maybe", "true or false"),
        ("ATTRIBTUI_MEMCACHE_SERVERS", "c1:11211", "JSON"),
        ("ATTRIBTUI_ENVIRONMENT", "prod", "production, staging, dev"),
    ],
)
def test_bad_env_values(var: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_profile(env={var: value})
    msg = str(exc.value)
    assert msg.startswith(f"environment variable {var}:") and expected in msg
    assert f"unset {var}" in msg


def test_bad_flag_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--db-statement-timeout-ms: .*positive integer"):
        load(write(tmp_path, BASIC), flags={"db.statement_timeout_ms": -1})


def test_config_file_that_is_not_utf8_is_one_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b'default_profile = "p"\n\xff\xfe[profiles.p]\n')
    with pytest.raises(ConfigError) as exc:
        load(path)
    assert str(exc.value) == f"{path}: not UTF-8 text (byte 22 cannot be decoded); save the file as UTF-8"


@pytest.mark.parametrize(
    ("var", "value", "limit"),
    [
        ("ATTRIBTUI_DB_STATEMENT_TIMEOUT_MS", "99999999999", "up to 600000"),
        ("ATTRIBTUI_DB_CONNECT_TIMEOUT_S", "1e300", "up to 300"),
        ("ATTRIBTUI_API_TIMEOUT_S", "601", "up to 600"),
        ("ATTRIBTUI_API_USER_ID", "16777216", "up to 16777215"),
        ("ATTRIBTUI_CHECKS_DEADLINE_S", "86400", "up to 3600"),
        ("ATTRIBTUI_JOURNEYS_RECOMPUTE_WORKERS", "9", "up to 8"),
    ],
)
def test_numbers_are_bounded_and_the_error_states_the_limit(var: str, value: str, limit: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_profile(env={var: value})
    assert limit in str(exc.value) and f"unset {var}" in str(exc.value)


def test_checks_deadline_defaults_and_overrides(tmp_path: Path) -> None:
    assert load_profile(env={}).checks.deadline_s == 30.0
    path = write(tmp_path, '[profiles.p]\nenvironment = "dev"\n[profiles.p.checks]\ndeadline_s = 12\n')
    assert load(path).checks.deadline_s == 12.0
    assert load(path, env={"ATTRIBTUI_CHECKS_DEADLINE_S": "7.5"}).checks.deadline_s == 7.5
    msg = one_line_error(tmp_path / "d.toml", '[profiles.p]\nenvironment = "dev"\n'
                         '[profiles.p.checks]\ndeadline_s = 7200\n')
    assert "profiles.p.checks.deadline_s must be a positive number up to 3600 (got 7200)" in msg


def test_recompute_workers_default_to_two_and_stay_positive(tmp_path: Path) -> None:
    assert load_profile(env={}).journeys.recompute_workers == 2
    path = write(tmp_path, '[profiles.p]\nenvironment = "dev"\n[profiles.p.journeys]\n'
                           'recompute_workers = 4\n')
    assert load(path).journeys.recompute_workers == 4
    with pytest.raises(ConfigError):
        load_profile(env={"ATTRIBTUI_JOURNEYS_RECOMPUTE_WORKERS": "0"})


# A password with an unencoded "@" and "/?#": Python's int() would quote "9zQ@host" as the port.
LEAKY_DB_URL = "mysql+pymysql://u:Pa/ss?#@:9zQ@host/db"
LEAKY_HTTP_URL = "http://u:se[cret@host:9zQ/x"
FRAGMENTS = ("Pa/ss", "9zQ", "se[cret")


@pytest.mark.parametrize(
    ("var", "value", "key", "what"),
    [
        ("ATTRIBTUI_DB_URL", LEAKY_DB_URL, "db.url", "not a database URL"),
        ("ATTRIBTUI_DB_READ_URL", LEAKY_DB_URL, "db.read_url", "not a database URL"),
        ("ATTRIBTUI_DB_URL", "mysql://u@h:70000/db", "db.url", "between 1 and 65535"),
        ("ATTRIBTUI_DB_URL", "db1.internal/p202", "db.url", "no driver://"),
        ("ATTRIBTUI_API_BASE_URL", LEAKY_HTTP_URL, "api.base_url", "not a web URL"),
        ("ATTRIBTUI_API_BASE_URL", "ftp://host/x", "api.base_url", "http:// or https://"),
    ],
)
def test_url_errors_name_the_key_and_never_quote_the_url(var: str, value: str, key: str,
                                                         what: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_profile(env={var: value})
    msg = str(exc.value)
    assert msg.startswith(f"environment variable {var}: {key} is ") and what in msg
    assert "\n" not in msg and not any(f in msg for f in FRAGMENTS)


def test_url_errors_in_the_file_and_flags_never_quote_the_url(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    msg = one_line_error(path, f'[profiles.p]\nenvironment = "dev"\n[profiles.p.db]\n'
                         f'url = "{LEAKY_DB_URL}"\n')
    assert msg.startswith(f"{path}: profiles.p.db.url is not a database URL (")
    assert "percent-encoded (@ as %40)" in msg and not any(f in msg for f in FRAGMENTS)
    msg = one_line_error(tmp_path / "d.toml", '[profiles.p]\nenvironment = "dev"\n'
                         '[profiles.p.db]\nurl = ["mysql://u:Pa/ss@h/db"]\n')
    assert "profiles.p.db.url must be a string (got a list)" in msg and "Pa/ss" not in msg
    good = write(tmp_path, BASIC, name="good.toml")
    with pytest.raises(ConfigError) as exc:
        load(good, flags={"api.base_url": LEAKY_HTTP_URL})
    assert str(exc.value).startswith("--api-base-url: api.base_url is not a web URL (")
    assert not any(f in str(exc.value) for f in FRAGMENTS)


# --- secrets ---------------------------------------------------------------------------------


SECRET_FILE = f"""
[profiles.p]
environment = "production"
[profiles.p.api]
base_url = "https://p202.example.com/?apikey={SECRET_KEY}"
key = "{SECRET_KEY}"
[profiles.p.db]
url = "mysql+pymysql://app:dbpass%40x@db1:3306/p202"
"""


def test_secret_file_readable_by_others_warns(tmp_path: Path) -> None:
    path = write(tmp_path, SECRET_FILE, mode=0o644)
    p = load(path)
    assert p.warnings == [
        f"{path} holds a secret and is readable by group/others; run chmod 600 {path}"
    ]
    path.chmod(0o600)
    assert load(path).warnings == []


def test_file_without_secret_does_not_warn(tmp_path: Path) -> None:
    assert load(write(tmp_path, BASIC, mode=0o644)).warnings == []


def test_key_never_in_repr_or_effective_config(tmp_path: Path) -> None:
    p = load(write(tmp_path, SECRET_FILE))
    assert p.api.resolved_key() == SECRET_KEY
    shown = repr(p) + repr(effective_config(p)) + "".join(p.overrides)
    assert SECRET_KEY not in shown and "dbpass" not in shown
    rows = {key: (value, source) for key, value, source in effective_config(p)}
    assert rows["api.key"][0] == "***"
    assert rows["db.url"][0] == "mysql+pymysql://app:***@db1:3306/p202"
    assert rows["api.base_url"][0] == "https://p202.example.com/?apikey=***"


def test_key_from_key_env_and_secrets(tmp_path: Path) -> None:
    text = '[profiles.p]\nenvironment = "dev"\n[profiles.p.api]\nkey_env = "MY_KEY"\n'
    p = load(write(tmp_path, text), env={"MY_KEY": SECRET_KEY})
    assert p.api.resolved_key() == SECRET_KEY and SECRET_KEY in p.secrets()
    assert SECRET_KEY not in repr(p)
    unset = load(write(tmp_path, text))
    assert unset.api.resolved_key() is None
    assert any("MY_KEY" in w for w in unset.warnings)


def test_profile_secrets_include_db_passwords(tmp_path: Path) -> None:
    p = load(write(tmp_path, SECRET_FILE))
    secrets = p.secrets()
    assert SECRET_KEY in secrets and "dbpass%40x" in secrets and "dbpass@x" in secrets
    text = f"connect mysql://app:dbpass@x@db1 key={SECRET_KEY} enc=dbpass%40x"
    assert redact_text(text, secrets) == "connect mysql://app:***@db1 key=*** enc=***"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, ""),
        ("", ""),
        ("mysql+pymysql://u:p@h:3306/db", "mysql+pymysql://u:***@h:3306/db"),
        ("mysql+pymysql://u@h:3306/db", "mysql+pymysql://u@h:3306/db"),
        (
            "mysql+pymysql://u:p@ss@h/db?charset=utf8mb4",
            "mysql+pymysql://u:***@h/db?charset=utf8mb4",
        ),
        ("sqlite:////var/lib/demo.sqlite", "sqlite:////var/lib/demo.sqlite"),
        (
            "https://h/api/v2/attribution/models?apikey=abc&user_id=1",
            "https://h/api/v2/attribution/models?apikey=***&user_id=1",
        ),
        (
            "http://h:8080/x?user_id=1&API_KEY=abc#frag",
            "http://h:8080/x?user_id=1&API_KEY=***#frag",
        ),
        (
            "http://h/x?token=t&key=k&password=p&secret=s",
            "http://h/x?token=***&key=***&password=***&secret=***",
        ),
        ("https://user:pw@h/x?monkey=1", "https://user:***@h/x?monkey=1"),
        ("http://h:8080/api/v2/health", "http://h:8080/api/v2/health"),
    ],
)
def test_redact_url(url: str | None, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_ignores_empty_secrets() -> None:
    assert redact_text("abc abcd", ["", "abcd", "abc"]) == "*** ***"


# --- the example file ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["production", "staging", "dev"])
def test_example_config_loads(tmp_path: Path, name: str) -> None:
    path = tmp_path / "config.toml"
    shutil.copy(REPO / "config.example.toml", path)
    path.chmod(0o600)
    p = load(
        path, name, env={"P202_API_KEY": "x", "P202_STAGING_API_KEY": "x", "P202_DEV_API_KEY": "x"}
    )
    assert p.environment == name and p.warnings == []
    assert config.profile_names(path, env={}) == ["dev", "production", "staging"]


def test_example_staging_has_a_replica() -> None:
    p = load(REPO / "config.example.toml", "staging")
    assert p.db.read_url and p.api.key_env


# --- paths -----------------------------------------------------------------------------------


def test_data_dir_and_app_paths(tmp_path: Path) -> None:
    data = tmp_path / "a" / "data"
    env = {"ATTRIBTUI_DATA_DIR": str(data)}
    assert paths.data_dir(env) == data
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    found = dict(paths.app_paths(tmp_path / "c.toml", env))
    assert list(found) == [
        "config",
        "data",
        "checks",
        "actions",
        "jobs",
        "backups",
        "rollbacks",
        "demo",
        "demo-console",
        "reports",
        "locks",
    ]
    assert found["config"] == tmp_path / "c.toml"
    assert found["demo"] == data / "demo" / "demo.sqlite"
    assert found["actions"] == data / "actions.jsonl"


def test_private_file_and_path_size(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        f = paths.touch_private(tmp_path / "d" / "e" / "log.jsonl")
    finally:
        os.umask(old)
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert stat.S_IMODE(f.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(f.parent.parent.stat().st_mode) == 0o700
    f.write_text("12345")
    (f.parent / "other").write_text("abc")
    assert paths.path_size(f) == 5
    assert paths.path_size(tmp_path / "d") == 8
    assert paths.path_size(tmp_path / "absent") == 0
    assert paths.touch_private(f).read_text() == "12345"  # existing content is kept
