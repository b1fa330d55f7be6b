"""Multi-touch settings rows and campaigns' advertisers: what decides whether a conversion
gets a journey (prosper/settings.py applies the rule; docs/prosper202.md §Multi-touch settings)."""

from __future__ import annotations

from collections.abc import Iterable

from attribtui.infra.db import Read, in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.settings import SettingRow, is_multi_touch_enabled

ROWS_CAP = 5000


def settings_rows(read: Read, user_ids: Iterable[int]) -> dict[int, list[SettingRow]]:
    """Each user's rows that can decide multi-touch, by setting_id (KEY user_scope).

    Raises the database's error when the table predates the multi_touch_* columns (1.9.56).
    """
    wanted = sorted(set(user_ids))
    out: dict[int, list[SettingRow]] = {u: [] for u in wanted}
    if not wanted:
        return out
    sql, params = in_clause("u", wanted)
    for r in read(f"SELECT user_id, scope_type, scope_id, multi_touch_enabled FROM "
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
