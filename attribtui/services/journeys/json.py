"""A journey report as JSON (`attribtui journey --json`): the screen's content without colour."""

from __future__ import annotations

from attribtui.infra import clock
from attribtui.prosper.journey import StoredTouch, Touch
from attribtui.services.journeys.report import JourneyReport
from attribtui.vocab import JsonDict


def _touch_json(t: Touch | StoredTouch, conv_time: int | None, converting: int | None
                ) -> JsonDict:
    out: JsonDict = {}
    if isinstance(t, StoredTouch):
        out["position"] = t.position
    out |= {"click_id": t.click_id, "click_time": t.click_time,
            "click_time_iso": clock.iso(t.click_time)}
    if conv_time is not None:
        out["before_conversion_s"] = conv_time - t.click_time
    out["converting"] = t.click_id == converting
    return out


def to_json(report: JourneyReport) -> JsonDict:
    """One object per conversion: status ok/warn/fail/error, violations, diff, credits, cache."""
    conv = report.conversion
    conv_time = conv.conv_time if conv else None
    converting = conv.click_id if conv else None
    out: JsonDict = {
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
            "old_settings_layout": rec.old_settings_layout,
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
