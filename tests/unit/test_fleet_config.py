"""Fleet config: `groups` parsed and validated (one line naming the file, key and fix), and the
selection of a fleet by --all-profiles, --profiles and --group, without touching a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from attribtui.cli.main import main
from attribtui.infra import paths
from attribtui.infra.config import (
    ConfigError,
    Profile,
    default_profile_name,
    load_profile,
    profile_groups,
)
from attribtui.services.fleet import select_profiles
from attribtui.services.profiles import BrokenProfile, describe_profiles
from attribtui.vocab import UsageError

FLEET = """
default_profile = "eu1"

[profiles.eu1]
environment = "production"
groups = ["eu", "agency-x"]
read_only = true
db = { url = "mysql+pymysql://ro:s3cret-pw@db-eu1:3306/p202" }
api = { base_url = "https://eu1.example.com", key = "KEY-NEVER-SHOWN" }

[profiles.eu2]
environment = "staging"
groups = ["eu"]

[profiles.us1]
environment = "dev"
"""


@pytest.fixture(autouse=True)
def no_default_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = tmp_path / "default-config" / "config.toml"
    monkeypatch.setattr(paths, "config_file", lambda: where)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_groups_default_to_none_and_are_read_per_profile(tmp_path: Path) -> None:
    path = write(tmp_path, FLEET)
    assert load_profile("eu1", config_path=path, env={}).groups == ["eu", "agency-x"]
    assert load_profile("us1", config_path=path, env={}).groups == []
    assert profile_groups(path, env={}) == {"eu1": ["eu", "agency-x"], "eu2": ["eu"], "us1": []}
    assert default_profile_name(path, env={}) == "eu1"
    assert default_profile_name(path, env={"ATTRIBTUI_PROFILE": "us1"}) == "us1"


def test_groups_are_stripped_and_deduplicated(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.a]\nenvironment = "dev"\ngroups = [" eu", "eu ", "x"]\n')
    assert load_profile("a", config_path=path, env={}).groups == ["eu", "x"]


@pytest.mark.parametrize("value", ['"eu"', '["eu", ""]', '["  "]', '[1, 2]', '{ eu = true }'])
def test_bad_groups_are_one_line_naming_the_key_and_the_fix(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f'[profiles.a]\nenvironment = "dev"\ngroups = {value}\n')
    with pytest.raises(ConfigError) as e:
        load_profile("a", config_path=path, env={})
    msg = str(e.value)
    assert msg.startswith(f"{path}: profiles.a.groups must be a list of non-empty strings (got ")
    assert msg.endswith("; fix the value") and "\n" not in msg


def test_groups_from_the_environment_are_json(tmp_path: Path) -> None:
    path = write(tmp_path, FLEET)
    p = load_profile("us1", config_path=path, env={"ATTRIBTUI_GROUPS": '["us"]'})
    assert p.groups == ["us"] and p.overrides == ['ATTRIBTUI_GROUPS=["us"] (groups)']
    with pytest.raises(ConfigError, match=r"^environment variable ATTRIBTUI_GROUPS: groups must "
                       r"be a list of non-empty strings \(JSON\)"):
        load_profile("us1", config_path=path, env={"ATTRIBTUI_GROUPS": '[""]'})


def names(selected: list[Profile | BrokenProfile]) -> list[str]:
    return [p.name for p in selected]


def test_select_all_names_and_group(tmp_path: Path) -> None:
    path = write(tmp_path, FLEET)
    assert names(select_profiles(all_profiles=True, config_path=path)) == ["eu1", "eu2", "us1"]
    assert names(select_profiles(names=["us1", "eu1", "us1"], config_path=path)) == ["us1", "eu1"]
    assert names(select_profiles(group="eu", config_path=path)) == ["eu1", "eu2"]
    assert names(select_profiles(group="agency-x", config_path=path)) == ["eu1"]


def test_unknown_profile_and_empty_group_name_what_exists(tmp_path: Path) -> None:
    path = write(tmp_path, FLEET)
    with pytest.raises(UsageError, match=r"^unknown profile nope, eu3; known profiles: eu1, eu2, "
                       r"us1 \(see `attribtui profiles`\)$"):
        select_profiles(names=["eu1", "nope", "eu3"], config_path=path)
    with pytest.raises(UsageError, match=r"^no profile is in group 'asia'; groups: agency-x, eu$"):
        select_profiles(group="asia", config_path=path)
    with pytest.raises(UsageError, match="name the fleet once"):
        select_profiles(all_profiles=True, group="eu", config_path=path)
    with pytest.raises(UsageError, match="name the fleet once"):
        select_profiles(config_path=path)


def test_a_profile_that_cannot_load_is_a_row_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "[profiles.a]\nenvironment = \n")  # invalid TOML: nothing loads
    rows = select_profiles(names=["a", "b"], config_path=path)
    assert [type(r) for r in rows] == [BrokenProfile, BrokenProfile]
    assert all(isinstance(r, BrokenProfile) and "invalid TOML" in r.error for r in rows)
    with pytest.raises(ConfigError, match="invalid TOML"):  # --all-profiles: nothing to list
        select_profiles(all_profiles=True, config_path=path)


def test_describe_profiles_never_holds_a_secret(tmp_path: Path) -> None:
    path = write(tmp_path, FLEET)
    infos = describe_profiles(path)
    assert [(i.name, i.default, i.groups, i.db_configured, i.api_configured, i.read_only)
            for i in infos] == [("eu1", True, ("eu", "agency-x"), True, True, True),
                                ("eu2", False, ("eu",), False, False, False),
                                ("us1", False, (), False, False, False)]
    text = repr([i.to_json() for i in infos])
    assert "s3cret" not in text and "KEY-NEVER" not in text and "db-eu1" not in text


@pytest.mark.parametrize("argv, message", [
    (["--profile", "eu1", "check", "--all-profiles"], "--profile checks one profile"),
    (["check", "--profile", "eu1", "--group", "eu"], "--profile checks one profile"),
    (["check", "--parallel", "2"], "--parallel needs --all-profiles"),
    (["check", "--all-profiles", "--group", "eu"], "not allowed with argument"),
    (["check", "--all-profiles", "--parallel", "0"], "not a whole number from 1 to 32"),
    (["check", "--profiles", ",", ], "expected profile names"),
])
def test_mixed_or_bad_fleet_flags_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   argv: list[str], message: str) -> None:
    path = write(tmp_path, FLEET)
    assert main([*argv, "--config", str(path)]) == 64
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_profiles_command_exit_3_names_the_profile_that_cannot_load(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, FLEET)
    assert main(["profiles", "--config", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["*", "eu1", "production", "eu,agency-x", "yes", "yes", "yes"]
    assert lines[3].split() == ["us1", "dev", "-", "no", "no", "no"]
    monkeypatch.setenv("ATTRIBTUI_DB_STATEMENT_TIMEOUT_MS", "soon")
    assert main(["profiles", "--config", str(path)]) == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and err[0].startswith(
        "attribtui: profile eu1: environment variable ATTRIBTUI_DB_STATEMENT_TIMEOUT_MS: ")
