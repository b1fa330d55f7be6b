"""The journey rule's candidate clicks: the one copy of upstream's candidate SELECT.

persistJourney reads the user's clicks on the conversion's campaign in the lookback window,
newest first, LIMIT 25 (docs/prosper202.md §Journeys); the backfill stand-in calls this, then
applies prosper/journey.py's rule, and it stays the reference the grouped read is tested against.
The lookup's recompute reads a whole (user, campaign) group at once with `clicks_between`
(services/journeys/prefetch.py): one scan instead of one per conversion.
"""

from __future__ import annotations

from attribtui.infra.db import Read
from attribtui.prosper import tables as pt
from attribtui.prosper.journey import MAX_TOUCHES, Touch, candidate_window

CANDIDATES_SQL = (
    f"SELECT click_id, click_time FROM `{pt.clicks.name}` WHERE user_id = :user AND "
    "aff_campaign_id = :campaign AND click_time BETWEEN :start AND :end "
    f"ORDER BY click_time DESC, click_id DESC LIMIT {MAX_TOUCHES}"
)

# The same rows and order over a wider window (several conversions' windows at once), capped.
BETWEEN_SQL = (
    f"SELECT click_id, click_time FROM `{pt.clicks.name}` WHERE user_id = :user AND "
    "aff_campaign_id = :campaign AND click_time BETWEEN :start AND :end "
    "ORDER BY click_time DESC, click_id DESC LIMIT :cap"
)


def candidate_clicks(read: Read, user_id: int, campaign_id: int, conv_time: int) -> list[Touch]:
    """The clicks persistJourney considers for a conversion, in its order (newest first)."""
    start, end = candidate_window(conv_time)
    rows = read(CANDIDATES_SQL, {"user": user_id, "campaign": campaign_id, "start": start,
                                 "end": end})
    return [Touch(int(r[0]), int(r[1])) for r in rows]


def clicks_between(read: Read, user_id: int, campaign_id: int, start: int, end: int,
                   cap: int) -> list[Touch]:
    """The user's clicks on the campaign with start <= click_time <= end, in the candidate
    query's order (newest first, then click_id DESC), at most cap rows: always a prefix of
    that order, so the caller knows exactly which windows the rows read settle."""
    rows = read(BETWEEN_SQL, {"user": user_id, "campaign": campaign_id, "start": start,
                              "end": end, "cap": cap})
    return [Touch(int(r[0]), int(r[1])) for r in rows]
