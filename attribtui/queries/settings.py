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


def settings_rows(read: Read, user_ids: Iterable[int], *, toggles: bool = True
                  ) -> dict[int, list[SettingRow]]:
    """Each user's rows that can decide multi-touch, by setting_id (KEY user_scope).

    toggles=False reads the 1.9.56 layout as Prosper202 does: every row disabled (has_toggles
    tells which); with toggles=True that layout raises the database's error.
    """
    wanted = sorted(set(user_ids))
    out: dict[int, list[SettingRow]] = {u: [] for u in wanted}
    if not wanted:
        return out
    sql, params = in_clause("u", wanted)
    enabled = TOGGLE if toggles else "0"
    for r in read(f"SELECT user_id, scope_type, scope_id, {enabled} FROM "
                  f"`{pt.attribution_settings.name}` WHERE user_id IN ({sql}) AND scope_type IN "
                  "('global', 'advertiser', 'campaign') ORDER BY setting_id LIMIT :cap",
                  {**params, "cap": ROWS_CAP}):
        out[int(r[0])].append(SettingRow(str(r[1]), None if r[2] is None else int(r[2]),
                                         bool(int(r[3]))))
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
