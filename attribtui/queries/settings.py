"""Multi-touch settings rows and campaigns' advertisers: what decides whether a conversion
gets a journey (prosper/settings.py applies the rule; docs/prosper202.md §Multi-touch settings).

Both layouts of 202_attribution_settings are read as Prosper202 reads them: on the 1.9.56 layout
(no multi_touch_* columns) `Setting::fromDatabaseRow` casts the missing column to 0, so every row
reads as multi-touch disabled (docs/prosper202.md, "isMultiTouchEnabled").
"""

from __future__ import annotations

from collections.abc import Iterable

from attribtui.infra.db import DbError, Read, in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.settings import SettingRow, is_multi_touch_enabled

ROWS_CAP = 5000


TOGGLE = "multi_touch_enabled"
OLD_LAYOUT = ("202_attribution_settings is in the 1.9.56 layout (no multi_touch_* columns): "
              "Prosper202 reads every row of it as multi-touch DISABLED")


def has_toggles(read: Read) -> bool:
    """Whether 202_attribution_settings has multi_touch_enabled (False: the 1.9.56 layout).

    A probe that reads no row; a missing table or any other error is raised, not guessed.
    """
    try:
        read(f"SELECT {TOGGLE} FROM `{pt.attribution_settings.name}` WHERE 1 = 0 LIMIT 1")
    except DbError as e:
        if type(e) is DbError and TOGGLE in str(e):  # "Unknown column" / "no such column"
            return False
        raise
    return True


# The scope type MariaDB's collation matches each row to, as upstream's
# `scope_type = 'global'` does (utf8mb4_general_ci: case, accents and trailing spaces ignored).
_COLLATES_AS = ("CASE WHEN s.scope_type = 'global' THEN 'global' "
                "WHEN s.scope_type = 'advertiser' THEN 'advertiser' "
                "WHEN s.scope_type = 'campaign' THEN 'campaign' END")


def settings_rows(read: Read, user_ids: Iterable[int]) -> dict[int, list[SettingRow]]:
    """Each user's rows that can decide multi-touch, in the order upstream reads them.

    Upstream's findForScopes has no ORDER BY; MariaDB answers it through UNIQUE user_scope
    (user_id, scope_type, scope_id), so rows come by scope type in collation order, then scope_id,
    then setting_id (checked by tools/conformance, rules settings and settings_1956). That order
    decides which duplicate global row wins and which unloadable row's error is raised.
    ``SELECT s.*`` like upstream's repository, so a table in the 1.9.56 layout (no
    multi_touch_enabled column) reads as upstream reads it: every row disabled.
    """
    wanted = sorted(set(user_ids))
    out: dict[int, list[SettingRow]] = {u: [] for u in wanted}
    if not wanted:
        return out
    sql, params = in_clause("u", wanted)
    for r in read(f"SELECT s.*, {_COLLATES_AS} AS attribtui_collates_as FROM "
                  f"`{pt.attribution_settings.name}` s WHERE s.user_id IN ({sql}) AND "
                  "s.scope_type IN ('global', 'advertiser', 'campaign') "
                  "ORDER BY s.user_id, s.scope_type, s.scope_id, s.setting_id LIMIT :cap", {**params, "cap": ROWS_CAP}):
        row = r._mapping
        enabled = row.get("multi_touch_enabled")
        out[int(row["user_id"])].append(SettingRow(
            str(row["scope_type"]), None if row["scope_id"] is None else int(row["scope_id"]),
            bool(int(enabled)) if enabled is not None else False,
            str(row["attribtui_collates_as"])))
    return out


def campaign_networks(read: Read, campaign_ids: Iterable[int]) -> dict[int, int | None]:
    """campaign_id -> its advertiser (aff_network_id), None when it has none (PK lookups)."""
    wanted = sorted(set(campaign_ids))
    if not wanted:
        return {}
    sql, params = in_clause("c", wanted)
    found = {int(r[0]): (int(r[1]) if r[1] else None) for r in read(
        f"SELECT aff_campaign_id, aff_network_id FROM `{pt.aff_campaigns.name}` "
        f"WHERE aff_campaign_id IN ({sql}) LIMIT {len(wanted)}", params)}
    return {c: found.get(c) for c in wanted}


def decide(rows: dict[int, list[SettingRow]], networks: dict[int, int | None], user_id: int,
           campaign_id: int) -> tuple[bool, str]:
    """(multi-touch enabled, deciding scope) for a conversion of user_id on campaign_id."""
    return is_multi_touch_enabled(rows.get(user_id, []), networks.get(campaign_id), campaign_id)
