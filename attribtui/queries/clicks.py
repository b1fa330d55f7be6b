"""The journey rule's candidate clicks: the one copy of upstream's candidate SELECT.

persistJourney reads the user's clicks on the conversion's campaign in the lookback window,
newest first, LIMIT 25 (docs/prosper202.md §Journeys); the backfill stand-in calls this, then
applies prosper/journey.py's rule, and it stays the reference the grouped read is tested against.
The lookup's recompute reads a whole group at once with `clicks_between` (a user's campaign, or
several of a user's campaigns; services/journeys/prefetch.py): one scan instead of one per
conversion. When the conversions' campaigns hold a large share of the table, `candidates_scan`
reads the table once for all of them, and the server ranks each conversion's candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

from attribtui.infra.db import RawRow, Read
from attribtui.prosper import tables as pt
from attribtui.prosper.journey import MAX_TOUCHES, Touch, candidate_window

CANDIDATES_SQL = (
    f"SELECT click_id, click_time FROM `{pt.clicks.name}` WHERE user_id = :user AND "
    "aff_campaign_id = :campaign AND click_time BETWEEN :start AND :end "
    f"ORDER BY click_time DESC, click_id DESC LIMIT {MAX_TOUCHES}"
)

# The same rows and order over a wider window (several conversions' windows at once), on one or
# more of the user's campaigns (the ids are ints, written into the text), capped.
BETWEEN_SQL = (
    f"SELECT aff_campaign_id, click_id, click_time FROM `{pt.clicks.name}` WHERE user_id = :user "
    "AND aff_campaign_id IN ({campaigns}) AND click_time BETWEEN :start AND :end "
    "ORDER BY click_time DESC, click_id DESC LIMIT :cap"
)

# Every conversion's candidates in one pass over the table: the conversions are a derived table
# (k: the conversion's position), joined to the clicks read without an index (`USE INDEX ()`: a
# scan reads each page once, where a campaign's index reads a page per click), and ranked per
# conversion in the candidate query's order. Needs window functions (MariaDB 10.2, MySQL 8).
SCAN_SQL = (
    "SELECT ranked.k, ranked.click_id, ranked.click_time FROM ("
    " SELECT conv.k, cl.click_id, cl.click_time, ROW_NUMBER() OVER ("
    "  PARTITION BY conv.k ORDER BY cl.click_time DESC, cl.click_id DESC) AS rn"
    f" FROM ({{conversions}}) conv JOIN `{pt.clicks.name}` cl {{hint}}"
    " ON cl.user_id = conv.u AND cl.aff_campaign_id = conv.c"
    " AND cl.click_time BETWEEN conv.s AND conv.e"
    f") ranked WHERE ranked.rn <= {MAX_TOUCHES} ORDER BY ranked.k, ranked.rn"
)
# How many rows the campaigns' index holds, and the whole table (EXPLAIN estimates).
CAMPAIGN_ROWS_SQL = (
    f"EXPLAIN SELECT click_time FROM `{pt.clicks.name}` WHERE aff_campaign_id IN ({{campaigns}})")
TABLE_ROWS_SQL = f"EXPLAIN SELECT click_time FROM `{pt.clicks.name}`"


def candidate_clicks(read: Read, user_id: int, campaign_id: int, conv_time: int) -> list[Touch]:
    """The clicks persistJourney considers for a conversion, in its order (newest first)."""
    start, end = candidate_window(conv_time)
    rows = read(CANDIDATES_SQL, {"user": user_id, "campaign": campaign_id, "start": start,
                                 "end": end})
    return [Touch(int(r[0]), int(r[1])) for r in rows]


def candidate_index(read: Read, user_id: int, campaign_id: int, conv_time: int) -> str | None:
    """The index MariaDB's plan reads the candidate query through (EXPLAIN; None: a table scan).

    Whether that index leads with the campaign or the user decides how recomputing many
    conversions groups its reads (services/journeys/groups.py)."""
    start, end = candidate_window(conv_time)
    rows = read(f"EXPLAIN {CANDIDATES_SQL}", {"user": user_id, "campaign": campaign_id,
                                              "start": start, "end": end})
    key = rows[0]._mapping.get("key") if rows else None
    return str(key) if key else None


def clicks_between(read: Read, user_id: int, campaign_ids: Sequence[int], start: int, end: int,
                   cap: int) -> list[tuple[int, Touch]]:
    """The user's clicks on the campaigns with start <= click_time <= end, as (campaign_id,
    touch), in the candidate query's order (newest first, then click_id DESC), at most cap rows:
    always a prefix of that order, so the caller knows exactly which windows the rows settle."""
    ids = ", ".join(str(int(c)) for c in campaign_ids)
    rows = read(BETWEEN_SQL.format(campaigns=ids), {"user": user_id, "start": start, "end": end,
                                                    "cap": cap})
    return [(int(r[0]), Touch(int(r[1]), int(r[2]))) for r in rows]


def candidates_scan(read: Read, keys: Sequence[tuple[int, int, int]], *, sqlite: bool = False
                    ) -> list[list[Touch]]:
    """Each (user_id, campaign_id, conv_time)'s candidates, exactly candidate_clicks' rows in its
    order, from one scan of the table (SCAN_SQL): one list per key, in keys' order."""
    if not keys:
        return []
    params: dict[str, int] = {}
    selects = []
    for i, (user, campaign, conv_time) in enumerate(keys):
        start, end = candidate_window(conv_time)
        params |= {f"k{i}": i, f"u{i}": user, f"c{i}": campaign, f"s{i}": start, f"e{i}": end}
        # the first SELECT names the derived table's columns
        selects.append("SELECT " + ", ".join(f":{c}{i}" + (f" AS {c}" if i == 0 else "")
                                             for c in "kucse"))
    sql = SCAN_SQL.format(conversions=" UNION ALL ".join(selects),
                          hint="" if sqlite else "USE INDEX ()")
    found: list[list[Touch]] = [[] for _ in keys]
    for k, click_id, click_time in read(sql, params):
        found[int(k)].append(Touch(int(click_id), int(click_time)))
    return found


def campaign_rows(read: Read, campaign_ids: Sequence[int]) -> tuple[int, int]:
    """(rows the campaigns' index holds, rows of 202_clicks), the server's estimates (EXPLAIN:
    index dives, or the statistics past eq_range_index_dive_limit)."""
    ids = ", ".join(str(int(c)) for c in campaign_ids)
    return (_explained_rows(read(CAMPAIGN_ROWS_SQL.format(campaigns=ids))),
            _explained_rows(read(TABLE_ROWS_SQL)))


def _explained_rows(rows: Sequence[RawRow]) -> int:
    return int(rows[0]._mapping.get("rows") or 0) if rows else 0
