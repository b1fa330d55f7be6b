"""Look up, validate, recompute and credit-check conversion journeys (issue 5; facts sections 4, 6).

Runbook section 3 has QA spot-check journeys with hand-written SQL; this module does the same
with bounded, indexed, parameterised reads and Prosper202's own rules from `attribtui.prosper`:
- `lookup(db, ids)`: the 202_conversion_logs rows (PK) and their touchpoints (KEY conv_id), each
  journey validated with `validate_journey`. Two queries whatever the number of ids.
- `enrich(db, profile, report)`: the recomputed journey (the backfill's candidate SELECT on
  202_clicks, then `select_candidates`/`build_journey`) diffed against what is stored, the
  multi-touch setting that decides whether a backfill would touch it, the backfill command, and
  the credits each model stored against what its strategy would assign.
- `reverse_lookup(db, click_id)`: conversions whose journeys contain a click (KEY click_lookup).
Everything returns plain dataclasses that the screen and `attribtui journey --json` both render.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from attribtui.infra import clock
from attribtui.infra.db import Database, DbError, in_clause
from attribtui.prosper.credit import Credit, assign_credits, round_credit
from attribtui.prosper.journey import (
    MAX_TOUCHES,
    JourneyDiff,
    StoredTouch,
    Touch,
    build_journey,
    candidate_window,
    diff_journeys,
    journey_for_credit,
    select_candidates,
    validate_journey,
)
from attribtui.prosper.settings import SettingRow, is_multi_touch_enabled
from attribtui.vocab import UsageError

MAX_IDS = 500
MAX_CONV_ID = 4294967295  # conv_id is int(11) unsigned
MAX_CLICK_ID = 18446744073709551615  # click_id is bigint(20) unsigned
TOUCH_ROWS_PER_ID = 100  # a sane journey has at most 26 rows; more is itself a finding
REVERSE_LIMIT = 100
BACKFILL_SCRIPT = "202-cronjobs/backfill-conversion-journeys.php"
CREDIT_STEP = Decimal("0.00001")
SEVERITY_ORDER = {"ok": 0, "info": 0, "warn": 1, "fail": 2, "error": 3}

_SPLIT = re.compile(r"[\s,;]+")
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)


class IdError(UsageError):
    """Ids that cannot be used, as one line naming the bad token and the fix."""


# -- parsing ---------------------------------------------------------------------------------------


def _shown(token: str) -> str:
    return repr(token if len(token) <= 24 else token[:21] + "...")


def _parse_id(token: str, what: str, maximum: int) -> int:
    if not _INTEGER.fullmatch(token):
        raise IdError(f"{_shown(token)} is not a {what}: use whole numbers like 1234")
    digits = token.lstrip("+-").lstrip("0") or "0"
    if token.startswith("-") and digits != "0":
        raise IdError(f"{_shown(token)} is negative: a {what} is a positive whole number")
    if digits == "0":
        raise IdError(f"{_shown(token)}: {what} 0 does not exist; ids start at 1")
    if len(digits) > len(str(maximum)) or int(digits) > maximum:
        raise IdError(f"{_shown(token)} is too large: a {what} is at most {maximum}")
    return int(digits)


def parse_conv_ids(text: str) -> list[int]:
    """conv_ids separated by spaces, commas, semicolons or newlines; duplicates dropped, order kept.

    Raises IdError for an empty list, a non-numeric, negative, zero or too large (> int unsigned)
    id, or more than MAX_IDS distinct ids.
    """
    tokens = [t for t in _SPLIT.split(text or "") if t]
    if not tokens:
        raise IdError("no conv_id given: enter one or more conv_ids separated by spaces, commas "
                      "or newlines")
    ids = list(dict.fromkeys(_parse_id(t, "conv_id", MAX_CONV_ID) for t in tokens))
    if len(ids) > MAX_IDS:
        raise IdError(f"{len(ids)} conv_ids given: look up at most {MAX_IDS} at once "
                      "(split the list)")
    return ids


def parse_click_id(text: str) -> int:
    """One click_id (bigint unsigned) for the reverse lookup."""
    tokens = [t for t in _SPLIT.split(text or "") if t]
    if len(tokens) != 1:
        raise IdError("give exactly one click_id for a reverse lookup, e.g. click:123456")
    return _parse_id(tokens[0], "click_id", MAX_CLICK_ID)


# -- what a lookup returns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a conversion; ``code`` is stable, ``severity`` is warn or fail."""

    code: str
    severity: str
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
    cache: Any = None  # journey_cache.CacheState, filled by the caller
    error: str | None = None  # a read that failed (the rest of the report still stands)
    truncated: bool = False

    @property
    def found(self) -> bool:
        return self.conversion is not None

    @property
    def status(self) -> str:
        """fail: a rule broken; warn: differs from its recomputation (or other notes); else ok."""
        worst = "ok"
        for f in self.findings:
            if SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[worst]:
                worst = f.severity
        if self.error and worst != "fail":
            worst = "error"
        return worst


# -- lookup ----------------------------------------------------------------------------------------

_CONV_SQL = (
    "SELECT conv_id, click_id, user_id, campaign_id, click_time, conv_time, click_payout, "
    "deleted, transaction_id FROM `202_conversion_logs` WHERE conv_id IN ({ids}) LIMIT {limit}"
)
_TOUCH_SQL = (
    "SELECT conv_id, position, click_id, click_time FROM `202_conversion_touchpoints` "
    "WHERE conv_id IN ({ids}) ORDER BY conv_id, position, touchpoint_id LIMIT {limit}"
)


def _decimal(value: Any, step: Decimal = CREDIT_STEP) -> Decimal:
    """A DECIMAL column as MariaDB stores it (SQLite hands back floats): 5 places."""
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(step)


def lookup(db: Database, ids: Sequence[int], *, primary: bool = False) -> list[JourneyReport]:
    """The stored journey of each conv_id, validated, in the order given (two indexed reads)."""
    if not ids:
        return []
    placeholders, params = in_clause("c", list(ids))
    rows = db.read(_CONV_SQL.format(ids=placeholders, limit=len(ids)), params, primary=primary)
    limit = len(ids) * TOUCH_ROWS_PER_ID
    touch_rows = db.read(_TOUCH_SQL.format(ids=placeholders, limit=limit + 1), params,
                         primary=primary)
    truncated = len(touch_rows) > limit
    convs = {
        int(r.conv_id): Conversion(
            int(r.conv_id), int(r.click_id), int(r.user_id), int(r.campaign_id),
            int(r.click_time), int(r.conv_time), f"{_decimal(r.click_payout):f}", bool(r.deleted),
            r.transaction_id,
        )
        for r in rows
    }
    touches: dict[int, list[StoredTouch]] = {}
    for r in touch_rows[:limit]:
        touches.setdefault(int(r.conv_id), []).append(
            StoredTouch(int(r.position), int(r.click_id), int(r.click_time)))
    reports = []
    for conv_id in ids:
        report = JourneyReport(conv_id, convs.get(conv_id), touches.get(conv_id, []))
        report.truncated = truncated and len(report.touches) >= TOUCH_ROWS_PER_ID
        report.findings = stored_findings(report)
        reports.append(report)
    return reports


def stored_findings(report: JourneyReport) -> list[Finding]:
    """What the conversion row and its stored touches alone say (no recomputation)."""
    conv = report.conversion
    if conv is None:
        if report.touches:
            return [Finding("orphan_touchpoints", "fail",
                            f"conv_id {report.conv_id} is not in 202_conversion_logs, yet "
                            f"{len(report.touches)} touchpoints are stored for it.")]
        return [Finding("not_found", "warn",
                        f"conv_id {report.conv_id} does not exist in 202_conversion_logs; "
                        "check the id.")]
    findings = []
    if conv.deleted:
        findings.append(Finding("deleted", "warn",
                                "The conversion is soft-deleted (deleted=1): the rebuild and "
                                "the backfill ignore it."))
    findings += [Finding(v.code, "fail", v.message)
                 for v in validate_journey(report.touches, conv.click_id, conv.conv_time)]
    if report.truncated:
        findings.append(Finding("too_many_rows", "fail",
                                f"More than {TOUCH_ROWS_PER_ID} touchpoint rows are stored; only "
                                f"the first {TOUCH_ROWS_PER_ID} are shown."))
    return findings


# -- recompute -------------------------------------------------------------------------------------

_CANDIDATES_SQL = (
    "SELECT click_id, click_time FROM `202_clicks` WHERE user_id = :user AND aff_campaign_id = "
    ":campaign AND click_time BETWEEN :start AND :end ORDER BY click_time DESC, click_id DESC "
    f"LIMIT {MAX_TOUCHES}"
)
_SETTINGS_SQL = (
    "SELECT scope_type, scope_id, multi_touch_enabled FROM `202_attribution_settings` "
    "WHERE user_id = :user AND scope_type IN ('global', 'advertiser', 'campaign') "
    "ORDER BY setting_id LIMIT 1000"
)
_NETWORK_SQL = (
    "SELECT aff_network_id FROM `202_aff_campaigns` WHERE aff_campaign_id = :campaign LIMIT 1"
)


def backfill_command(profile: Any, conv: Conversion) -> str:
    """The backfill run for this conversion's user and second, in the `--opt=value` form only.

    getopt `::` ignores `--opt value` (facts section 3), so the values are always attached.
    """
    jobs = getattr(profile, "jobs", None)
    php = getattr(jobs, "php", None) or "php"
    root = getattr(jobs, "prosper_root", None)
    script = f"{root}/{BACKFILL_SCRIPT}" if root else BACKFILL_SCRIPT
    return shlex.join([php, script, f"--user={conv.user_id}", f"--start={conv.conv_time}",
                       f"--end={conv.conv_time}"])


def _ids(items: Iterable[Any]) -> str:
    listed = [str(getattr(i, "click_id", i)) for i in items]
    return ", ".join(listed[:8]) + (f" and {len(listed) - 8} more" if len(listed) > 8 else "")


def describe_diff(diff: JourneyDiff) -> str:
    parts = []
    if diff.missing:
        parts.append(f"add {len(diff.missing)} missing touch(es) (clicks {_ids(diff.missing)})")
    if diff.extra:
        parts.append(f"remove {len(diff.extra)} extra touch(es) (clicks {_ids(diff.extra)})")
    if diff.moved:
        moves = ", ".join(f"{cid} {old}→{new}" for cid, old, new in diff.moved[:8])
        parts.append(f"move {len(diff.moved)} touch(es) ({moves})")
    return "; ".join(parts)


class Memo:
    """Per-run cache of the small reads shared by many conversions (settings, campaigns, models)."""

    def __init__(self) -> None:
        self.settings: dict[int, list[SettingRow] | str] = {}
        self.networks: dict[int, int | None] = {}
        self.models: dict[int, list[Any]] = {}


def _settings(db: Database, user_id: int, memo: Memo) -> list[SettingRow] | str:
    if user_id not in memo.settings:
        try:
            rows = db.read(_SETTINGS_SQL, {"user": user_id})
            memo.settings[user_id] = [
                SettingRow(r.scope_type, None if r.scope_id is None else int(r.scope_id),
                           bool(r.multi_touch_enabled)) for r in rows]
        except DbError as e:  # e.g. a pre-1.9.58 table without multi_touch_enabled
            memo.settings[user_id] = str(e)
    return memo.settings[user_id]


def _network(db: Database, campaign_id: int, memo: Memo) -> int | None:
    if campaign_id not in memo.networks:
        value = db.scalar(_NETWORK_SQL, {"campaign": campaign_id})
        memo.networks[campaign_id] = int(value) if value else None
    return memo.networks[campaign_id]


def recompute(db: Database, profile: Any, report: JourneyReport, memo: Memo | None = None
              ) -> Recomputed:
    """Rebuild the journey the backfill would persist today and diff it against what is stored."""
    conv = report.conversion
    assert conv is not None
    memo = memo or Memo()
    settings = _settings(db, conv.user_id, memo)
    if isinstance(settings, str):
        enabled, scope = True, f"default (settings unreadable: {settings})"
    else:
        enabled, scope = is_multi_touch_enabled(settings, _network(db, conv.campaign_id, memo),
                                                conv.campaign_id)
    start, end = candidate_window(conv.conv_time)
    rows = db.read(_CANDIDATES_SQL, {"user": conv.user_id, "campaign": conv.campaign_id,
                                     "start": start, "end": end})
    candidates = select_candidates([Touch(int(r.click_id), int(r.click_time)) for r in rows],
                                   conv.conv_time)
    expected = build_journey(candidates, conv.converting)
    diff = diff_journeys(report.touches, expected)
    command = backfill_command(profile, conv)
    if conv.deleted:
        verdict = "A backfill would skip it: the conversion is soft-deleted (deleted=1)."
    elif not enabled:
        verdict = f"A backfill would skip it: multi-touch disabled for {scope}."
    elif diff.changed:
        verdict = f"A backfill for this conversion would change: {describe_diff(diff)}."
    else:
        verdict = "A backfill for this conversion would change nothing."
    return Recomputed(enabled, scope, expected, diff, verdict, command, len(rows), (start, end))


def recompute_findings(report: JourneyReport) -> list[Finding]:
    rec, conv = report.recomputed, report.conversion
    if rec is None or conv is None or conv.deleted:
        return []
    if not rec.enabled:
        if report.touches:
            return [Finding("disabled_but_stored", "warn",
                            f"Multi-touch is disabled for {rec.scope}, yet {len(report.touches)} "
                            "touches are stored (purge-disabled-journeys.php would delete them).")]
        return []
    if rec.diff.changed:
        return [Finding("differs", "warn",
                        f"Differs from its recomputation: {describe_diff(rec.diff)}.")]
    return []


# -- credits ---------------------------------------------------------------------------------------

_MODELS_SQL = (
    "SELECT model_id, model_name, model_type, weighting_config, is_active "
    "FROM `202_attribution_models` WHERE user_id = :user ORDER BY model_id LIMIT 200"
)
_SNAPSHOTS_SQL = (
    "SELECT snapshot_id, model_id, lookback_end FROM `202_attribution_snapshots` "
    "WHERE model_id IN ({models}) AND date_hour = :hour AND scope_type = 'global' "
    "AND scope_id IS NULL ORDER BY model_id, snapshot_id LIMIT 1000"
)
_CREDITS_SQL = (
    "SELECT snapshot_id, position, click_id, credit FROM `202_attribution_touchpoints` "
    "WHERE snapshot_id IN ({snapshots}) AND conv_id = :conv ORDER BY snapshot_id, position "
    "LIMIT 5000"
)


def _config(raw: Any) -> Any:
    if raw in (None, ""):
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def _sum_tolerance(n: int) -> Decimal:
    # 1e-4 (the runner's own) plus half a step of decimal(10,5) rounding per stored credit.
    return Decimal("0.0001") + Decimal("0.000005") * n


def credits(db: Database, report: JourneyReport, memo: Memo | None = None) -> list[ModelCredits]:
    """For every model with a snapshot of hour(conv_time): stored credits vs its strategy's."""
    conv = report.conversion
    assert conv is not None
    memo = memo or Memo()
    if conv.user_id not in memo.models:
        memo.models[conv.user_id] = list(db.read(_MODELS_SQL, {"user": conv.user_id}))
    models = memo.models[conv.user_id]
    if not models:
        return []
    m_in, m_params = in_clause("m", [int(m.model_id) for m in models])
    snaps = db.read(_SNAPSHOTS_SQL.format(models=m_in),
                    {**m_params, "hour": clock.hour(conv.conv_time)})
    if not snaps:
        return []
    s_in, s_params = in_clause("s", [int(s.snapshot_id) for s in snaps])
    rows = db.read(_CREDITS_SQL.format(snapshots=s_in), {**s_params, "conv": conv.conv_id})
    ordered = sorted(report.touches, key=lambda t: t.position)
    journey = journey_for_credit([Touch(t.click_id, t.click_time) for t in ordered],
                                 conv.converting)
    result = []
    for model in models:
        mine = [s for s in snaps if int(s.model_id) == int(model.model_id)]
        if not mine:
            continue
        snapshot_ids = [int(s.snapshot_id) for s in mine]
        stored = [r for r in rows if int(r.snapshot_id) in snapshot_ids]
        expected: list[Credit] = [] if conv.deleted else assign_credits(
            model.model_type, _config(model.weighting_config), journey, conv.converting,
            conv.conv_time)
        result.append(_compare(model, snapshot_ids, stored, expected, conv,
                               max(int(s.lookback_end) for s in mine)))
    return result


def _compare(model: Any, snapshot_ids: list[int], stored: Sequence[Any],
             expected: Sequence[Credit], conv: Conversion, lookback_end: int) -> ModelCredits:
    got: dict[tuple[int, int], Decimal] = {}
    for r in stored:
        key = (int(r.position), int(r.click_id))
        got[key] = got.get(key, Decimal(0)) + _decimal(r.credit)
    want = {(c.position, c.click_id): round_credit(c.credit) for c in expected}
    keys = sorted(set(got) | set(want))
    lines = [CreditLine(p, c, got.get((p, c)), want.get((p, c))) for p, c in keys]
    total = sum((_decimal(r.credit) for r in stored), Decimal(0))
    mc = ModelCredits(int(model.model_id), str(model.model_name), str(model.model_type),
                      bool(model.is_active), snapshot_ids, lines, total)
    credited_in = {int(r.snapshot_id) for r in stored}
    if len(credited_in) > 1:
        mc.problems.append(f"credited in {len(credited_in)} snapshots of the same hour "
                           f"({', '.join(map(str, sorted(credited_in)))}): counted twice")
    if not stored:
        if conv.deleted:
            mc.note = "no credits stored (right: the rebuild skips soft-deleted conversions)"
        elif conv.conv_time > lookback_end:
            mc.note = (f"no credits yet: converted after this hour's last rebuild "
                       f"({clock.iso(lookback_end)})")
        else:
            mc.problems.append("no credits stored for this conversion, though the hour's "
                               "snapshot was rebuilt after it")
        return mc
    if conv.deleted:
        mc.problems.append("credits stored for a soft-deleted conversion")
    elif abs(total - 1) > _sum_tolerance(len(stored)):
        mc.problems.append(f"stored credits sum to {total:f}, not 1")
    bad = [ln for ln in lines if not ln.matches]
    if bad and not conv.deleted:
        mc.problems.append(f"{len(bad)} credit(s) differ from what {model.model_type} assigns "
                           f"to the stored journey")
    return mc


def credit_findings(report: JourneyReport) -> list[Finding]:
    findings = []
    for mc in report.credits or []:
        for problem in mc.problems:
            code = "credits_sum" if "sum to" in problem else "credits_mismatch"
            severity = "fail" if code == "credits_sum" else "warn"
            findings.append(Finding(code, severity, f"Model {mc.model_id} {mc.name!r}: {problem}."))
    return findings


# -- the whole picture -----------------------------------------------------------------------------


def enrich(db: Database, profile: Any, report: JourneyReport, memo: Memo | None = None) -> None:
    """Add the recomputation and the credits to a looked-up report (in place).

    A failed read is kept as report.error: the stored journey and its findings still stand.
    """
    if report.conversion is None:
        return
    memo = memo or Memo()
    try:
        report.recomputed = recompute(db, profile, report, memo)
        report.credits = credits(db, report, memo)
    except DbError as e:
        report.error = str(e)
    report.findings = [*stored_findings(report), *recompute_findings(report),
                       *credit_findings(report)]


# -- reverse lookup --------------------------------------------------------------------------------

_REVERSE_SQL = (
    "SELECT DISTINCT conv_id FROM `202_conversion_touchpoints` WHERE click_id = :click "
    "ORDER BY conv_id LIMIT :limit"
)
_CONVERTED_SQL = (
    "SELECT conv_id FROM `202_conversion_logs` WHERE click_id = :click ORDER BY conv_id "
    "LIMIT :limit"
)


@dataclass
class ReverseResult:
    """Conversions whose journeys hold a click, and those it converted (the converting click)."""

    click_id: int
    in_journeys: list[int]
    converted: list[int]
    truncated: bool

    @property
    def conv_ids(self) -> list[int]:
        return list(dict.fromkeys([*self.converted, *self.in_journeys]))[:REVERSE_LIMIT]


def reverse_lookup(db: Database, click_id: int) -> ReverseResult:
    """Up to REVERSE_LIMIT conversions per source, via KEY click_lookup and the click_id key."""
    params = {"click": click_id, "limit": REVERSE_LIMIT + 1}
    journeys = [int(r.conv_id) for r in db.read(_REVERSE_SQL, params)]
    converted = [int(r.conv_id) for r in db.read(_CONVERTED_SQL, params)]
    truncated = len(journeys) > REVERSE_LIMIT or len(converted) > REVERSE_LIMIT
    return ReverseResult(click_id, journeys[:REVERSE_LIMIT], converted[:REVERSE_LIMIT], truncated)


# -- JSON ------------------------------------------------------------------------------------------


def _touch_json(t: Touch | StoredTouch, conv_time: int | None, converting: int | None
                ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(t, StoredTouch):
        out["position"] = t.position
    out |= {"click_id": t.click_id, "click_time": t.click_time,
            "click_time_iso": clock.iso(t.click_time)}
    if conv_time is not None:
        out["before_conversion_s"] = conv_time - t.click_time
    out["converting"] = t.click_id == converting
    return out


def to_json(report: JourneyReport) -> dict[str, Any]:
    """One object per conversion: status ok/warn/fail/error, violations, diff, credits, cache."""
    conv = report.conversion
    conv_time = conv.conv_time if conv else None
    converting = conv.click_id if conv else None
    out: dict[str, Any] = {
        "conv_id": report.conv_id,
        "status": report.status,
        "found": report.found,
        "violations": [{"code": f.code, "severity": f.severity, "message": f.message}
                       for f in report.findings],
        "error": report.error,
    }
    if conv is not None:
        out["conversion"] = {
            "click_id": conv.click_id, "user_id": conv.user_id, "campaign_id": conv.campaign_id,
            "click_time": conv.click_time, "click_time_iso": clock.iso(conv.click_time),
            "conv_time": conv.conv_time, "conv_time_iso": clock.iso(conv.conv_time),
            "payout": conv.payout, "deleted": conv.deleted,
        }
    out["touchpoints"] = [_touch_json(t, conv_time, converting) for t in report.touches]
    rec = report.recomputed
    if rec is not None:
        out["recomputed"] = {
            "multi_touch_enabled": rec.enabled, "deciding_scope": rec.scope,
            "would_change": rec.changes, "verdict": rec.verdict, "backfill_command": rec.command,
            "expected": [_touch_json(t, conv_time, converting) | {"position": i}
                         for i, t in enumerate(rec.expected)],
            "missing": [t.click_id for t in rec.diff.missing],
            "extra": [t.click_id for t in rec.diff.extra],
            "moved": [{"click_id": c, "from": a, "to": b} for c, a, b in rec.diff.moved],
        }
    if report.credits is not None:
        out["credits"] = [
            {"model_id": mc.model_id, "name": mc.name, "type": mc.model_type,
             "active": mc.active, "snapshot_ids": mc.snapshot_ids, "ok": mc.ok,
             "stored_sum": f"{mc.stored_sum:f}", "problems": mc.problems, "note": mc.note,
             "touches": [{"position": ln.position, "click_id": ln.click_id,
                          "stored": None if ln.stored is None else f"{ln.stored:f}",
                          "expected": None if ln.expected is None else f"{ln.expected:f}",
                          "matches": ln.matches} for ln in mc.lines]}
            for mc in report.credits
        ]
    if report.cache is not None:
        out["cache"] = report.cache.to_json()
    return out
