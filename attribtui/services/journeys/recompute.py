"""What a backfill would write for a conversion today, and how that differs from what is stored.

The candidate clicks come from queries/clicks.py (upstream's own SELECT), the journey from
prosper/journey.py's rule, the multi-touch decision from prosper/settings.py; so the lookup, the
journeys checks and the backfill stand-in agree on one definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError, Read
from attribtui.prosper import scripts
from attribtui.prosper.journey import (
    JourneyDiff,
    Touch,
    build_journey,
    candidate_window,
    diff_journeys,
    select_candidates,
)
from attribtui.prosper.models import ModelRow
from attribtui.prosper.settings import SettingRow, SettingsError
from attribtui.queries.clicks import candidate_clicks
from attribtui.queries.settings import campaign_networks, decide, has_toggles, settings_rows
from attribtui.services.journeys.report import Conversion, Finding, JourneyReport, Recomputed
from attribtui.vocab import Status

OLD_LAYOUT_SHORT = "202_attribution_settings is in the 1.9.56 layout"


def backfill_command(profile: Profile, conv: Conversion) -> str:
    """The backfill of exactly this conversion's user and second (a single-second window is
    valid for the backfill: it refuses only start > end)."""
    root = str(profile.jobs.prosper_root) if profile.jobs.prosper_root else None
    return scripts.command("backfill", php=profile.jobs.php or "php", root=root,
                           start=conv.conv_time, end=conv.conv_time, user=conv.user_id)


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


SETTINGS_ERROR = "error: "  # prefix of Recomputed.scope when the settings cannot be decided


class Memo:
    """Per-run cache of the small reads shared by many conversions (settings, campaigns, models),
    and where they read: the primary when `primary` (verification, Promise 6), else the replica
    when one is configured. Every read of a recompute goes through `read(db)`."""

    def __init__(self, *, primary: bool = False) -> None:
        self.primary = primary
        self.settings: dict[int, list[SettingRow] | str] = {}
        self.toggles: bool | None = None  # the settings layout, probed once (None: not yet)
        self.networks: dict[int, int | None] = {}
        self.models: dict[int, list[ModelRow]] = {}

    def read(self, db: Database) -> Read:
        return db.reader(primary=self.primary)


def _settings(db: Database, user_id: int, memo: Memo) -> list[SettingRow] | str:
    if user_id not in memo.settings:
        try:
            if memo.toggles is None:
                memo.toggles = has_toggles(memo.read(db))
            memo.settings[user_id] = settings_rows(memo.read(db), [user_id])[user_id]
        except DbError as e:  # e.g. the table is missing
            memo.settings[user_id] = str(e)
    return memo.settings[user_id]


def _network(db: Database, campaign_id: int, memo: Memo) -> int | None:
    if campaign_id not in memo.networks:
        memo.networks.update(campaign_networks(memo.read(db), [campaign_id]))
    return memo.networks[campaign_id]


def recompute(db: Database, profile: Profile, report: JourneyReport, memo: Memo | None = None,
              rows: list[Touch] | None = None) -> Recomputed:
    """Rebuild the journey the backfill would persist today and diff it against what is stored.

    rows: the conversion's candidate clicks when already read with its group (prefetch.py);
    None runs upstream's per-conversion query, the reference the grouped read is tested against.
    """
    conv = report.conversion
    assert conv is not None
    memo = memo or Memo()
    settings = _settings(db, conv.user_id, memo)
    failed: str | None = None
    if isinstance(settings, str):
        enabled, scope = True, f"default (settings unreadable: {settings})"
    else:
        try:
            enabled, scope = decide({conv.user_id: settings},
                                    {conv.campaign_id: _network(db, conv.campaign_id, memo)},
                                    conv.user_id, conv.campaign_id)
        except SettingsError as e:  # a row only MariaDB's collation matches ('GLOBAL')
            enabled, scope, failed = False, f"{SETTINGS_ERROR}{e.message}", e.message
    old_layout = memo.toggles is False
    if old_layout and not enabled and not failed:
        scope = f"{scope} (its row reads as disabled: {OLD_LAYOUT_SHORT})"
    if rows is None:
        rows = candidate_clicks(memo.read(db), conv.user_id, conv.campaign_id, conv.conv_time)
    candidates = select_candidates(rows, conv.conv_time)
    expected = build_journey(candidates, conv.converting)
    diff = diff_journeys(report.touches, expected)
    command = backfill_command(profile, conv)
    if conv.deleted:
        verdict = "A backfill would skip it: the conversion is soft-deleted (deleted=1)."
    elif failed:
        verdict = (f"A backfill would stop before writing anything (exit 255): upstream's "
                   f"isMultiTouchEnabled throws {failed} Fix the settings row's scope_type first.")
    elif not enabled:
        verdict = f"A backfill would skip it: multi-touch disabled for {scope}."
    elif diff.changed:
        verdict = f"A backfill for this conversion would change: {describe_diff(diff)}."
    else:
        verdict = "A backfill for this conversion would change nothing."
    return Recomputed(enabled, scope, expected, diff, verdict, command, len(rows),
                      candidate_window(conv.conv_time), old_layout)


def recompute_findings(report: JourneyReport) -> list[Finding]:
    rec, conv = report.recomputed, report.conversion
    if rec is None or conv is None or conv.deleted:
        return []
    if rec.scope.startswith(SETTINGS_ERROR):
        return [Finding("settings_unloadable", Status.WARN,
                        f"Upstream cannot decide multi-touch for this conversion: "
                        f"{rec.scope[len(SETTINGS_ERROR):]} (a 202_attribution_settings row "
                        "whose scope_type matches only through MariaDB's collation, e.g. "
                        "'GLOBAL'); the backfill dies on it.")]
    if not rec.enabled:
        if report.touches:
            purge = ("purge-disabled-journeys.php cannot delete them: on this layout it fails on "
                     "its first query" if rec.old_settings_layout
                     else "purge-disabled-journeys.php would delete them")
            return [Finding("disabled_but_stored", Status.WARN,
                            f"Multi-touch is disabled for {rec.scope}, yet {len(report.touches)} "
                            f"touches are stored ({purge}).")]
        return []
    if rec.diff.changed:
        return [Finding("differs", Status.WARN,
                        f"Differs from its recomputation: {describe_diff(rec.diff)}.")]
    return []
