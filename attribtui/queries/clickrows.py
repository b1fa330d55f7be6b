"""The 202_clicks rows behind conversions' click ids: how many, and what they hold.

202_clicks has no primary key and `click_id` is a plain KEY (docs/prosper202.md, "What nothing
enforces"). Prosper202's rebuild reads conversions through `INNER JOIN 202_clicks ON click_id`
(MysqlConversionRepository::fetchForUser), so a click id with no row never gets its conversion
credited and one with n rows gets it credited n times. Reads go through KEY click_id, in chunks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from attribtui.infra.db import Read, in_clause
from attribtui.prosper import tables as pt

CHUNK = 500
ROWS_CAP = 200  # duplicate rows listed at most


@dataclass(frozen=True)
class ClickRow:
    """One 202_clicks row, with the columns that tell duplicates apart."""

    click_id: int
    user_id: int
    aff_campaign_id: int
    ppc_account_id: int | None
    click_cpc: Decimal | None
    click_time: int

    def describe(self) -> str:
        return (f"user {self.user_id}, campaign {self.aff_campaign_id}, ppc_account "
                f"{self.ppc_account_id}, cpc {self.click_cpc}, click_time {self.click_time}")


def click_row_counts(read: Read, click_ids: Iterable[int]) -> dict[int, int]:
    """click_id -> number of 202_clicks rows (0 for none) for each wanted click id."""
    wanted = sorted(set(click_ids))
    out = dict.fromkeys(wanted, 0)
    for i in range(0, len(wanted), CHUNK):
        part = wanted[i:i + CHUNK]
        sql, params = in_clause("k", part)
        for r in read(f"SELECT click_id, COUNT(*) FROM `{pt.clicks.name}` WHERE click_id IN "
                      f"({sql}) GROUP BY click_id LIMIT {len(part)}", params):
            out[int(r[0])] = int(r[1])
    return out


def click_rows(read: Read, click_ids: Iterable[int]) -> dict[int, list[ClickRow]]:
    """click_id -> its 202_clicks rows (at most ROWS_CAP rows in all), for listing duplicates."""
    wanted = sorted(set(click_ids))
    out: dict[int, list[ClickRow]] = {c: [] for c in wanted}
    if not wanted:
        return out
    sql, params = in_clause("k", wanted[:CHUNK])
    for r in read("SELECT click_id, user_id, aff_campaign_id, ppc_account_id, click_cpc, click_time "
                  f"FROM `{pt.clicks.name}` WHERE click_id IN ({sql}) ORDER BY click_id "
                  f"LIMIT {ROWS_CAP}", params):
        out[int(r[0])].append(ClickRow(int(r[0]), int(r[1]), int(r[2] or 0),
                                       None if r[3] is None else int(r[3]),
                                       None if r[4] is None else Decimal(str(r[4])), int(r[5])))
    return out
