"""Which conversions share one candidate-click read, and which of them a capped read settles.

A conversion's candidates depend only on (user_id, campaign_id, conv_time) (queries/clicks.py),
so conversions can share a read of the union of their windows, [min(conv_time) - LOOKBACK,
max(conv_time)], and apply the rule (prosper/journey.py) in Python. What shares a read depends
on what the candidate query scans (prefetch.py asks the server's plan):

- by campaign: when the query reads the campaign's clicks (KEY aff_campaign_id), the
  conversions of one (user, campaign) share a read of that campaign's clicks;
- by user: when it reads the user's clicks (KEY user_click_time, no campaign key, or a
  campaign too large for the optimizer to prefer), every query scans the user's clicks in its
  window whatever the campaign, so all of one user's conversions share one read,
  `aff_campaign_id IN (...)`, and the rows are split by campaign here.

Two bounds keep a read no worse than the per-conversion query:

- time: a group's conversions, by conv_time, are cut into spans whose conv_times differ by at
  most MAX_SPREAD (the lookback), so one read's window is at most twice a conversion's window
  (a read that still exceeds the statement timeout falls back to the per-conversion query);
- memory: a read returns at most ROW_CAP rows in the candidate query's order (newest first,
  then click_id): a prefix of the rows with click_time > the prefix's oldest, and each
  campaign's rows a prefix of that campaign's order. A conversion is settled by the prefix when
  the prefix is all the window held, when it gives the conversion 25 candidates, or when the
  prefix reaches below the conversion's window start. The others are read again, up to the
  newest unsettled conv_time; by campaign that one always settles (ROW_CAP >= 25), by user a
  read that settles nothing (other campaigns filled the cap first) hands the rest to reads by
  campaign, so the reads end.

by scan: when the conversions' campaigns hold at least SCAN_SHARE of the table (random
conversions of a table with many small campaigns), each campaign read costs a page per click,
and one pass over the table is cheaper than all of them: the server ranks every conversion's
candidates in that pass (queries/clicks.py candidates_scan), SCAN_BATCH conversions a pass; on
a table small enough to pass over within half the statement timeout (SCAN_ROWS_PER_S).

Pure: the reads are in prefetch.py.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from attribtui.prosper.journey import (
    LOOKBACK_SECONDS,
    MAX_TOUCHES,
    Touch,
    candidate_window,
    select_candidates,
)

MAX_SPREAD = LOOKBACK_SECONDS  # conv_times of one read differ by at most this
FIRST_PAGE = 86_400  # seconds a by-user sweep's first page spans; later pages adapt
ROW_CAP = 10_000  # rows per read (a few hundred kB of Touch objects)
# Scan when the campaigns' index rows are at least this share of the table's. Measured on the
# scale sandbox (2M clicks, 1,000 campaigns, a 128 MB buffer pool): a click read through the
# campaign's index cost 26 us with its pages out of the pool and 3 us in it; a scan, 0.5 us a
# row. So a scan pays from 2-16 % of the table; 5 % keeps it to where it clearly does.
SCAN_SHARE = 0.05
SCAN_BATCH = 500  # conversions a scan serves (its derived table stays small; 25 rows each back)
# Rows a pass reads a second (the scale sandbox: 2M rows in 1.0-1.2 s). A pass is tried only on a
# table it reads within half the statement timeout: past it, the pass would be lost time.
SCAN_ROWS_PER_S = 2_000_000

Key = tuple[int, int, int]  # (user_id, campaign_id, conv_time): all a conversion's candidates need
Member = tuple[int, int]  # (campaign_id, conv_time): a conversion within its user's span
GroupBy = Literal["campaign", "user", "scan"]


@dataclass(frozen=True)
class Span:
    """Conversions of one user read together: distinct (campaign_id, conv_time), by conv_time.

    By campaign every member has the same campaign_id; by user the span is swept (sweep_page).
    """

    user_id: int
    conversions: tuple[Member, ...]
    by: GroupBy = "campaign"

    @property
    def campaigns(self) -> list[int]:
        return sorted({c for c, _ in self.conversions})

    def members(self) -> list[Key]:
        return [(self.user_id, c, t) for c, t in self.conversions]


def plan(keys: Iterable[Key], max_spread: int = MAX_SPREAD, by: GroupBy = "campaign"
         ) -> list[Span]:
    """The spans that cover keys, in the order the keys first appear (the first conversion a
    screen shows is read first)."""
    first: dict[Key, int] = {}
    groups: dict[tuple[int, int], set[Member]] = {}
    for i, (user, campaign, conv_time) in enumerate(keys):
        first.setdefault((user, campaign, conv_time), i)
        group = (user, campaign if by == "campaign" else 0)
        groups.setdefault(group, set()).add((campaign, conv_time))
    spans: list[Span] = []
    for (user, _), members in groups.items():
        chunk: list[Member] = []
        for m in sorted(members, key=lambda m: (m[1], m[0])):
            if chunk and m[1] - chunk[0][1] > max_spread:
                spans.append(Span(user, tuple(chunk), by))
                chunk = []
            chunk.append(m)
        spans.append(Span(user, tuple(chunk), by))
    return sorted(spans, key=lambda s: min(first[k] for k in s.members()))


def window(conv_times: Iterable[int]) -> tuple[int, int]:
    """The union of the windows of conv_times: one read's BETWEEN bounds."""
    times = list(conv_times)
    return candidate_window(min(times))[0], max(times)


def split(rows: Iterable[tuple[int, Touch]]) -> dict[int, list[Touch]]:
    """A read's (campaign_id, touch) rows by campaign, each in the read's order."""
    by_campaign: dict[int, list[Touch]] = {}
    for campaign, touch in rows:
        by_campaign.setdefault(campaign, []).append(touch)
    return by_campaign


def settle(prefix: Mapping[int, Sequence[Touch]], complete: bool, oldest: int | None,
           members: Iterable[Member]) -> dict[Member, list[Touch]]:
    """(campaign_id, conv_time) -> its candidates, for each member the prefix settles (see the
    module doc).

    prefix holds a read's rows by campaign, each in the candidate query's order; complete says
    the read was not cut at its cap; oldest is the click_time of the read's last row (every row
    newer than it, of every campaign read, is in the prefix). A conversion's window rows are one
    contiguous run of its campaign's rows: the first 25 at or below conv_time are all
    select_candidates needs.
    """
    settled: dict[Member, list[Touch]] = {}
    negated: dict[int, list[int]] = {}  # per campaign, -click_time ascending, for bisect
    for campaign, conv_time in members:
        rows = prefix.get(campaign, ())
        if campaign not in negated:
            negated[campaign] = [-t.click_time for t in rows]
        lo = bisect_left(negated[campaign], -conv_time)  # the first row with time <= conv_time
        run = rows[lo:lo + MAX_TOUCHES]
        start, _ = candidate_window(conv_time)
        if complete or len(run) == MAX_TOUCHES or (oldest is not None and oldest < start):
            settled[(campaign, conv_time)] = select_candidates(run, conv_time)
    return settled


def sweep_page(page: Mapping[int, Sequence[Touch]], lo: int, hi: int,
               runs: dict[Member, list[Touch]], members: Iterable[Member]
               ) -> dict[Member, list[Touch]]:
    """One page of a by-user sweep: page holds, by campaign in the candidate order, every click
    in [lo, hi] (complete: a cut page is trimmed to the seconds it read whole). runs holds each
    member's candidates found in the pages above hi; each member reached (conv_time >= lo) gets
    its campaign's rows up to its conv_time, down to 25. Returns the members settled: 25
    candidates, or the page reached their window start.
    """
    settled: dict[Member, list[Touch]] = {}
    negated: dict[int, list[int]] = {}
    for campaign, conv_time in members:
        if conv_time < lo:
            continue  # the sweep has not reached it
        rows = page.get(campaign, ())
        if campaign not in negated:
            negated[campaign] = [-t.click_time for t in rows]
        start, _ = candidate_window(conv_time)
        run = runs.setdefault((campaign, conv_time), [])
        for touch in rows[bisect_left(negated[campaign], -conv_time):]:
            if len(run) == MAX_TOUCHES or touch.click_time < start:
                break
            run.append(touch)
        if len(run) == MAX_TOUCHES or lo <= start:
            settled[(campaign, conv_time)] = select_candidates(runs.pop((campaign, conv_time)),
                                                               conv_time)
    return settled
