"""What the console knows about a conversion's journey: plain dataclasses every view renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from attribtui.prosper.journey import JourneyDiff, StoredTouch, Touch
from attribtui.vocab import Status, worst

if TYPE_CHECKING:  # the cache state is probed by the caller (cache.py); for typing only
    from attribtui.services.journeys.cache import CacheState

CREDIT_STEP = Decimal("0.00001")


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a conversion; ``code`` is stable, ``severity`` is warn or fail."""

    code: str
    severity: Status  # warn or fail
    message: str


@dataclass(frozen=True)
class Conversion:
    """The 202_conversion_logs row of a conversion (payout as stored, decimal string)."""

    conv_id: int
    click_id: int
    user_id: int
    campaign_id: int
    click_time: int
    conv_time: int
    payout: str
    deleted: bool
    transaction_id: str | None

    @property
    def converting(self) -> Touch:
        return Touch(self.click_id, self.click_time)


@dataclass
class Recomputed:
    """The journey a backfill would write today, and what it would change."""

    enabled: bool
    scope: str  # the deciding multi-touch scope: default, global, advertiser:N, campaign:N
    expected: list[Touch]
    diff: JourneyDiff
    verdict: str  # one sentence: would change ..., would change nothing, would skip it: ...
    command: str
    candidates: int
    window: tuple[int, int]
    # 202_attribution_settings lacks the multi_touch_* columns (1.9.56): upstream reads every row
    # as disabled and purge-disabled-journeys.php fails (queries/settings.py).
    old_settings_layout: bool = False

    @property
    def changes(self) -> bool:
        return self.enabled and self.diff.changed


@dataclass(frozen=True)
class CreditLine:
    """One credited touch: what is stored and what the model's strategy assigns (None: absent)."""

    position: int
    click_id: int
    stored: Decimal | None
    expected: Decimal | None

    @property
    def matches(self) -> bool:
        if self.stored is None or self.expected is None:
            return False
        return abs(self.stored - self.expected) <= CREDIT_STEP


@dataclass
class ModelCredits:
    """A model's credits for one conversion, from the snapshots of hour(conv_time)."""

    model_id: int
    name: str
    model_type: str
    active: bool
    snapshot_ids: list[int]
    lines: list[CreditLine]
    stored_sum: Decimal
    problems: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class JourneyReport:
    """Everything the console knows about one conversion's journey."""

    conv_id: int
    conversion: Conversion | None
    touches: list[StoredTouch]
    findings: list[Finding] = field(default_factory=list)
    recomputed: Recomputed | None = None
    credits: list[ModelCredits] | None = None
    cache: CacheState | None = None  # probed by the caller
    error: str | None = None  # a read that failed (the rest of the report still stands)
    truncated: bool = False

    @property
    def found(self) -> bool:
        return self.conversion is not None

    @property
    def status(self) -> Status:
        """fail: a rule broken; error: a read failed; warn: differs from its recomputation (or
        other notes); else ok."""
        return worst([*(f.severity for f in self.findings), *([Status.ERROR] if self.error else [])])
