"""Which conversions share one candidate-click read, and which of them a capped read settles.

A conversion's candidates depend only on (user_id, campaign_id, conv_time) (queries/clicks.py),
so the conversions of one (user, campaign) can share a read of the union of their windows,
[min(conv_time) - LOOKBACK, max(conv_time)], and apply the rule (prosper/journey.py) in Python.
Two bounds keep that read no worse than the per-conversion query:

- time: a group's conversions, by conv_time, are cut into spans whose conv_times differ by at
  most MAX_SPREAD (the lookback), so one read's window is at most twice a conversion's window
  (a read that still exceeds the statement timeout falls back to the per-conversion query);
- memory: a read returns at most ROW_CAP rows, newest first, which is always a prefix of the
  candidate query's order. A conversion is settled by the prefix when the prefix is all the
  window held, when it gives the conversion 25 candidates, or when it reaches below the
  conversion's window start. The others are read again, up to the newest unsettled conv_time;
  that one always settles (ROW_CAP >= 25), so the reads end, usually after the first.

Pure: the reads are in prefetch.py.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from attribtui.prosper.journey import (
    LOOKBACK_SECONDS,
    MAX_TOUCHES,
    Touch,
    candidate_window,
    select_candidates,
)

MAX_SPREAD = LOOKBACK_SECONDS  # conv_times of one read differ by at most this
ROW_CAP = 10_000  # rows per read (a few hundred kB of Touch objects)

Key = tuple[int, int, int]  # (user_id, campaign_id, conv_time): all a conversion's candidates need


@dataclass(frozen=True)
class Span:
    """Conversions of one (user, campaign) read together: their distinct conv_times, ascending."""

    user_id: int
    campaign_id: int
    conv_times: tuple[int, ...]

    def members(self) -> list[Key]:
        return [(self.user_id, self.campaign_id, t) for t in self.conv_times]


def plan(keys: Iterable[Key], max_spread: int = MAX_SPREAD) -> list[Span]:
    """The spans that cover keys, in the order the keys first appear (the first conversion a
    screen shows is read first)."""
    first: dict[Key, int] = {}
    groups: dict[tuple[int, int], set[int]] = {}
    for i, (user, campaign, conv_time) in enumerate(keys):
        first.setdefault((user, campaign, conv_time), i)
        groups.setdefault((user, campaign), set()).add(conv_time)
    spans: list[Span] = []
    for (user, campaign), times in groups.items():
        chunk: list[int] = []
        for t in sorted(times):
            if chunk and t - chunk[0] > max_spread:
                spans.append(Span(user, campaign, tuple(chunk)))
                chunk = []
            chunk.append(t)
        spans.append(Span(user, campaign, tuple(chunk)))
    return sorted(spans, key=lambda s: min(first[k] for k in s.members()))


def window(conv_times: Sequence[int]) -> tuple[int, int]:
    """The union of the windows of ascending conv_times: one read's BETWEEN bounds."""
    return candidate_window(conv_times[0])[0], conv_times[-1]


def settle(prefix: Sequence[Touch], complete: bool, conv_times: Iterable[int]
           ) -> dict[int, list[Touch]]:
    """conv_time -> its candidates, for each conv_time the prefix settles (see the module doc).

    prefix is a read's rows in the candidate query's order; complete says the read was not cut
    at its cap. A conversion's window rows are one contiguous run of the prefix: its first 25
    rows at or below conv_time are all select_candidates needs.
    """
    negated = [-t.click_time for t in prefix]  # ascending, for bisect
    oldest = prefix[-1].click_time if prefix else None
    settled: dict[int, list[Touch]] = {}
    for conv_time in conv_times:
        lo = bisect_left(negated, -conv_time)  # the first row with click_time <= conv_time
        run = prefix[lo:lo + MAX_TOUCHES]
        start, _ = candidate_window(conv_time)
        if complete or len(run) == MAX_TOUCHES or (oldest is not None and oldest < start):
            settled[conv_time] = select_candidates(run, conv_time)
    return settled
