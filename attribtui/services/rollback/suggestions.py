"""What the new-walkthrough form starts from: the conversions the last check run found broken,
and, from the audit trail, the model most recently made the default and the one before it.

Suggestions only: the form shows each with where it came from, and the operator changes any.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from attribtui.checks import store as check_store
from attribtui.infra import clock
from attribtui.infra.db import Database
from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY
from attribtui.queries.models import user_models

RECENT_S = 7 * DAY  # an older default change is not this incident's
AUDIT_ROWS = 200  # the user's newest model_create/model_update rows read
MODELS_CAP = 500


@dataclass
class Suggestion:
    conv_ids: list[int] = field(default_factory=list)
    model_id: int | None = None
    safe_model_id: int | None = None
    since: int | None = None  # when the bad model became the default
    hints: list[str] = field(default_factory=list)  # where each suggestion came from


def suggest(profile_name: str, db: Database | None, user_id: int | None,
            now: int | None = None) -> Suggestion:
    """The form's starting values for user_id (reads the saved check run and, bounded, the
    audit trail and the user's models)."""
    out = Suggestion(conv_ids=suggest_conv_ids(profile_name, user_id))
    if out.conv_ids:
        out.hints.append(f"conv_ids: the latest check run's broken journeys ({len(out.conv_ids)}).")
    if db is not None and user_id:
        _from_audit(out, db, user_id, clock.now() if now is None else now)
    return out


def suggest_conv_ids(profile_name: str, user_id: int | None = None) -> list[int]:
    """Conversions the latest saved check run found with broken journeys (journeys.* evidence)."""
    runs = check_store.load_runs(profile_name, newest=1)
    if not runs:
        return []
    out: list[int] = []
    for c in runs[-1].get("checks", []):
        if not c["id"].startswith("journeys.") or c["status"] != "fail" or not c.get("evidence"):
            continue
        ev, cols = c["evidence"], c["evidence"]["columns"]
        pairs: list[tuple[int, int | None]]
        if ev.get("conv_ids") is not None:  # every row's, not only the rows shown
            pairs = [(int(cid), int(uid)) for cid, uid in ev["conv_ids"]]
        elif "conv_id" in cols:
            ci, ui = cols.index("conv_id"), cols.index("user_id") if "user_id" in cols else None
            pairs = [(int(r[ci]), None if ui is None else int(r[ui])) for r in ev["rows"]]
        else:
            continue
        out += [cid for cid, uid in pairs if user_id is None or uid is None or uid == user_id]
    return sorted(set(out))


def _from_audit(out: Suggestion, db: Database, user_id: int, now: int) -> None:
    """The newest recent audit row that made a model the default names the bad model (if it is
    still the default); the default before it, else the user's oldest active model, the safe."""
    rows = db.read(
        f"SELECT audit_id, model_id, metadata, created_at FROM `{pt.attribution_audit.name}` "
        "WHERE user_id = :u AND action IN ('model_create', 'model_update') "
        "ORDER BY audit_id DESC LIMIT :n", {"u": user_id, "n": AUDIT_ROWS})
    made_default = [(int(r[1]), int(r[3])) for r in rows
                    if r[1] is not None and _is_default(r[2])]
    models = {m.model_id: m for m in user_models(db.reader(), user_id, MODELS_CAP)}
    if not made_default:
        return
    bad, at = made_default[0]
    current = models.get(bad)
    if current is None or not current.is_default or now - at > RECENT_S:
        return
    out.model_id, out.since = bad, at
    out.hints.append(f"Bad model: {bad} “{current.name}” was made the default "
                     f"{clock.iso(at)} ({clock.ago(now - at)} ago; audit trail).")
    before = next((m for m, _ in made_default[1:] if m != bad and m in models
                   and models[m].is_active), None)
    why = "the default before it (audit trail)"
    if before is None:
        active = sorted((m for m in models.values() if m.is_active and m.model_id != bad),
                        key=lambda m: (m.created_at, m.model_id))
        before = active[0].model_id if active else None
        why = "the user's oldest active model (the audit names no earlier default)"
    if before is not None:
        out.safe_model_id = before
        out.hints.append(f"Safe model: {before} “{models[before].name}”, {why}.")


def _is_default(metadata: object) -> bool:
    try:
        meta = json.loads(str(metadata)) if metadata else {}
    except ValueError:
        return False
    return isinstance(meta, dict) and meta.get("is_default") is True
