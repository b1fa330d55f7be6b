"""api.user_keys: other users' v2 keys by the name of the variable holding each."""

from __future__ import annotations

from pathlib import Path

import pytest

from attribtui.infra.config import ConfigError, load_profile


def write(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[profiles.p]\nenvironment = "staging"\n[profiles.p.api]\n'
                    'base_url = "http://p202.test"\nkey_env = "K1"\nuser_id = 1\n' + table)
    return path


def test_a_user_key_acts_as_that_user_and_is_redacted(tmp_path: Path) -> None:
    config = write(tmp_path, '[profiles.p.api.user_keys]\n4 = "K4"\n')
    profile = load_profile(config_path=config, env={"K1": "key-one", "K4": "key-four"})
    four = profile.api.for_user(4)
    assert four is not None and four.resolved_key() == "key-four" and four.user_id == 4
    assert profile.api.for_user(1) is profile.api
    assert profile.api.for_user(2) is None  # no key for user 2: read-only
    assert {"key-one", "key-four"} <= set(profile.secrets())


def test_user_keys_from_the_environment_as_json(tmp_path: Path) -> None:
    config = write(tmp_path, "")
    env = {"ATTRIBTUI_API_USER_KEYS": '{"2": "K2"}', "K2": "key-two"}
    profile = load_profile(config_path=config, env=env)
    assert profile.api.user_keys == {"2": "K2"}


@pytest.mark.parametrize("table", ['x = "K4"\n', '4 = "not a name"\n', '0 = "K"\n'])
def test_a_bad_user_keys_entry_is_one_line_naming_the_key(tmp_path: Path, table: str) -> None:
    config = write(tmp_path, "[profiles.p.api.user_keys]\n" + table)
    with pytest.raises(ConfigError) as e:
        load_profile(config_path=config, env={})
    assert "api.user_keys" in str(e.value) and "USER_ID" in str(e.value)
