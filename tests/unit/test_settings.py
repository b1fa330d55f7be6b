"""Multi-touch setting precedence and purge blast radius (docs/prosper202.md, "Multi-touch
settings")."""

from __future__ import annotations

import pytest

from attribtui.prosper.settings import (
    SCOPE_TYPES,
    SettingRow,
    SettingsError,
    is_multi_touch_enabled,
    purge_blast_radius,
    scope_ids,
)


def test_scope_types() -> None:
    assert SCOPE_TYPES == (
        "global", "account", "advertiser", "campaign", "adgroup", "landing_page", "traffic_source"
    )  # fmt: skip


def test_enabled_by_default() -> None:
    assert is_multi_touch_enabled([], 3, 7) == (True, "default")


def test_precedence_most_specific_wins() -> None:
    rows = [
        SettingRow("global", None, False),
        SettingRow("advertiser", 3, True),
        SettingRow("campaign", 7, False),
    ]
    assert is_multi_touch_enabled(rows, 3, 7) == (False, "campaign:7")
    assert is_multi_touch_enabled(rows, 3, 8) == (True, "advertiser:3")
    assert is_multi_touch_enabled(rows, 4, 8) == (False, "global")
    assert is_multi_touch_enabled(rows, None, 7) == (False, "campaign:7")
    assert is_multi_touch_enabled(rows, None, None) == (False, "global")


def test_other_scopes_and_bad_ids_are_ignored() -> None:
    rows = [
        SettingRow("account", 1, False),
        SettingRow("landing_page", 7, False),
        SettingRow("global", 5, False),  # a global row with an id matches no lookup
        SettingRow("campaign", None, False),
    ]
    assert is_multi_touch_enabled(rows, 1, 7) == (True, "default")
    assert is_multi_touch_enabled([SettingRow("campaign", 0, False)], None, 0) == (True, "default")


def test_a_row_matched_only_by_the_collation_fails_like_scopetype_from() -> None:
    """MariaDB matches 'GLOBAL' to 'global'; upstream then cannot hydrate the row and
    isMultiTouchEnabled throws (the backfill dies with exit 255)."""
    rows = [SettingRow("GLOBAL", None, False, collates_as="global")]
    with pytest.raises(SettingsError) as e:
        is_multi_touch_enabled(rows, None, 7)
    assert e.value.php_class == "ValueError"
    assert e.value.message == ('"GLOBAL" is not a valid backing value for enum '
                               "Prosper202\\Attribution\\ScopeType")
    # Not selected (another campaign): harmless.
    rows = [SettingRow("Campaign", 8, False, collates_as="campaign")]
    assert is_multi_touch_enabled(rows, None, 7) == (True, "default")


def test_scope_ids_follow_is_numeric_and_int_casts() -> None:
    assert scope_ids({"user_id": "5", "campaign_id": 7.9, "advertiser_id": " 3"}) == (5, 3, 7)
    assert scope_ids({"user_id": 0, "userId": 4, "campaign_id": "x"}) == (4, None, None)
    with pytest.raises(SettingsError) as e:
        scope_ids({"user_id": "abc"})
    assert (e.value.php_class, e.value.message) == ("InvalidArgumentException",
                                                   "Invalid user identifier supplied.")


def test_duplicate_global_rows_last_wins() -> None:
    rows = [SettingRow("global", None, False), SettingRow("global", None, True)]
    assert is_multi_touch_enabled(rows, None, None) == (True, "global")


@pytest.mark.parametrize(
    ("scope_type", "scope_id", "radius"),
    [
        ("campaign", 7, "campaign"),
        ("campaign", None, "all"),
        ("advertiser", 3, "advertiser"),
        ("advertiser", None, "nothing"),
        ("global", None, "all"),
        ("account", 9, "all"),
        ("landing_page", 4, "all"),
        ("traffic_source", 2, "all"),
    ],
)
def test_purge_blast_radius(scope_type: str, scope_id: int | None, radius: str) -> None:
    assert purge_blast_radius(scope_type, scope_id) == radius
