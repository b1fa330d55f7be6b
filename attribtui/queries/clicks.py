"""The journey rule's candidate clicks: the one copy of upstream's candidate SELECT.

persistJourney reads the user's clicks on the conversion's campaign in the lookback window,
newest first, LIMIT 25 (docs/prosper202.md §Journeys); the backfill stand-in calls this, then
applies prosper/journey.py's rule, and it stays the reference the grouped read is tested against.
The lookup's recompute reads a whole group at once with `clicks_between` (a user's campaign, or
several of a user's campaigns; services/journeys/prefetch.py): one scan instead of one per
conversion.
"""

from __future__ import annotations

from collections.abc import Sequence

from attribtui.infra.db import Read
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
