"""The journey rule of Prosper202 (docs/prosper202.md, "Journeys") and a validator.

Pure: the sandbox uses it to write journeys, the verifier to recompute and diff them, and the
journey checks to validate stored rows, so all three agree on one definition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

LOOKBACK_SECONDS = 2592000  # DEFAULT_LOOKBACK_WINDOW, 30 days
MAX_TOUCHES = 25  # the SQL LIMIT; the converting click can make it 26


@dataclass(frozen=True)
class Touch:
    """One click of a journey (what 202_conversion_touchpoints keeps besides the position)."""

    click_id: int
    click_time: int


@dataclass(frozen=True)
class StoredTouch:
    """A 202_conversion_touchpoints row as read back, position included."""

    position: int
    click_id: int
    click_time: int


@dataclass(frozen=True)
class Violation:
    """One broken journey invariant; ``code`` is stable, ``message`` is for humans."""

    code: str
    message: str


@dataclass
class JourneyDiff:
    """Stored journey versus the one the rule would write today."""

    missing: list[Touch] = field(default_factory=list)
    extra: list[StoredTouch] = field(default_factory=list)
    moved: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.missing or self.extra or self.moved)


def _key(touch: Touch | StoredTouch) -> tuple[int, int]:
    return (touch.click_time, touch.click_id)


def candidate_window(conv_time: int) -> tuple[int, int]:
    """The inclusive ``click_time BETWEEN`` bounds of the candidate query."""
    return (max(0, conv_time - LOOKBACK_SECONDS), conv_time)


def select_candidates(clicks: Iterable[Touch], conv_time: int) -> list[Touch]:
    """Pure twin of the candidate SELECT (clicks = the user's clicks on the conversion's campaign).

    Filtered and bot clicks count too: Prosper202 does no visitor matching at all.
    """
    start, end = candidate_window(conv_time)
    inside = [c for c in clicks if start <= c.click_time <= end]
    inside.sort(key=_key, reverse=True)  # ORDER BY click_time DESC, click_id DESC
    return inside[:MAX_TOUCHES]


def build_journey(candidates: Iterable[Touch], converting: Touch) -> list[Touch]:
    """The journey persistJourney writes; the list index is the stored position.

    The converting click is appended with the time it was given whenever its id is not among
    the candidates, even if that time is outside the lookback or after the conversion.

    De-duplication mirrors PHP's ``$journey[click_id] = row``: for a repeated click_id (202_clicks
    has no unique key) the *later* row in candidate order wins, i.e. the older click_time.
    """
    by_id: dict[int, Touch] = {}
    for touch in candidates:
        by_id[touch.click_id] = touch
    by_id.setdefault(converting.click_id, converting)
    return sorted(by_id.values(), key=_key)


def journey_for_credit(stored: Sequence[Touch], converting: Touch) -> list[Touch]:
    """getJourney: stored touches plus the converting click if missing, re-sorted.

    Stored rows are kept as they are (no de-duplication), like the PHP reader.
    """
    touches = list(stored)
    if all(t.click_id != converting.click_id for t in touches):
        touches.append(converting)
    return sorted(touches, key=_key)


def _ids(touches: Iterable[StoredTouch]) -> str:
    return ", ".join(str(t.click_id) for t in touches)


def _check_positions(stored: Sequence[StoredTouch]) -> list[Violation]:
    counts = Counter(t.position for t in stored)
    expected = range(len(stored))
    missing = [p for p in expected if p not in counts]
    repeated = sorted(p for p, n in counts.items() if n > 1)
    outside = sorted(p for p in counts if p not in expected)
    if not (missing or repeated or outside):
        return []
    parts = []
    if missing:
        parts.append(f"missing {missing}")
    if repeated:
        parts.append(f"repeated {repeated}")
    if outside:
        parts.append(f"out of range {outside}")
    message = (
        f"Positions should be 0..{len(stored) - 1} without gaps or repeats: {'; '.join(parts)}."
    )
    return [Violation("positions", message)]


def _check_converting(stored: Sequence[StoredTouch], converting_click_id: int) -> list[Violation]:
    hits = [t for t in stored if t.click_id == converting_click_id]
    if not hits:
        return [
            Violation(
                "converting_missing",
                f"The converting click {converting_click_id} is not in the journey.",
            )
        ]
    if len(hits) > 1:
        positions = sorted(t.position for t in hits)
        return [
            Violation(
                "converting_repeated",
                f"The converting click {converting_click_id} appears {len(hits)} times "
                f"(positions {positions}).",
            )
        ]
    return []


def _check_order(ordered: Sequence[StoredTouch]) -> list[Violation]:
    bad = [(a, b) for a, b in zip(ordered, ordered[1:], strict=False) if _key(a) > _key(b)]
    if not bad:
        return []
    pairs = "; ".join(
        f"click {a.click_id} (position {a.position}, time {a.click_time}) before "
        f"click {b.click_id} (position {b.position}, time {b.click_time})"
        for a, b in bad
    )
    return [Violation("order", f"Touches are not sorted by click_time then click_id: {pairs}.")]


def _check_duplicates(stored: Sequence[StoredTouch], converting_click_id: int) -> list[Violation]:
    # The converting click has its own code (converting_repeated), so it is not reported twice.
    counts = Counter(t.click_id for t in stored if t.click_id != converting_click_id)
    dupes = sorted(cid for cid, n in counts.items() if n > 1)
    if not dupes:
        return []
    return [Violation("duplicate_click", f"Click ids stored more than once: {dupes}.")]


def _check_lookback(
    stored: Sequence[StoredTouch], converting_click_id: int, conv_time: int
) -> list[Violation]:
    """Touches the candidate query could not have returned. The converting click is exempt:
    persistJourney appends it with the time it was given whatever that time is (older than the
    lookback, or after conv_time when the click row or conversion_logs.click_time says so)."""
    start, _ = candidate_window(conv_time)
    others = [t for t in stored if t.click_id != converting_click_id]
    too_old = [t for t in others if t.click_time < start]
    too_new = [t for t in others if t.click_time > conv_time]
    problems = []
    if too_old:
        problems.append(f"clicks {_ids(too_old)} are older than the 30-day lookback ({start})")
    if too_new:
        problems.append(f"clicks {_ids(too_new)} are after the conversion ({conv_time})")
    if not problems:
        return []
    return [Violation("lookback", f"Touches outside the lookback window: {'; '.join(problems)}.")]


def _check_size(stored: Sequence[StoredTouch], converting_click_id: int) -> list[Violation]:
    others = sum(1 for t in stored if t.click_id != converting_click_id)
    if len(stored) <= MAX_TOUCHES + 1 and others <= MAX_TOUCHES:
        return []
    return [
        Violation(
            "too_many",
            f"The journey has {len(stored)} touches ({others} besides the converting click); "
            f"at most {MAX_TOUCHES} plus the converting click are written.",
        )
    ]


def validate_journey(
    stored: Sequence[StoredTouch], converting_click_id: int, conv_time: int
) -> list[Violation]:
    """Every invariant of a persisted journey that ``stored`` breaks (empty stored: none)."""
    if not stored:
        return []
    ordered = sorted(stored, key=lambda t: t.position)  # stable: ties keep their read order
    return [
        *_check_positions(stored),
        *_check_converting(stored, converting_click_id),
        *_check_order(ordered),
        *_check_duplicates(stored, converting_click_id),
        *_check_lookback(stored, converting_click_id, conv_time),
        *_check_size(stored, converting_click_id),
    ]


def diff_journeys(stored: Sequence[StoredTouch], expected: Sequence[Touch]) -> JourneyDiff:
    """Compare stored rows with the expected journey (index = expected position).

    Touches are matched on (click_id, click_time), so a changed click_time shows as one missing
    plus one extra. A repeated stored row beyond the first counts as extra.
    """
    wanted: dict[tuple[int, int], int] = {}
    for index, touch in enumerate(expected):
        wanted.setdefault((touch.click_id, touch.click_time), index)
    diff = JourneyDiff()
    seen: set[tuple[int, int]] = set()
    for row in sorted(stored, key=lambda t: t.position):
        ident = (row.click_id, row.click_time)
        if ident not in wanted or ident in seen:
            diff.extra.append(row)
            continue
        seen.add(ident)
        if wanted[ident] != row.position:
            diff.moved.append((row.click_id, row.position, wanted[ident]))
    diff.missing = [t for t in expected if (t.click_id, t.click_time) not in seen]
    return diff
