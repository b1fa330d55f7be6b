"""The model screen's side panels: the audit trail and the hourly snapshot series."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

from attribtui.infra import clock
from attribtui.infra.api import V2Client
from attribtui.infra.db import Database
from attribtui.infra.redact import redact_value
from attribtui.prosper import tables as pt
from attribtui.prosper.validation import parse_weighting_json
from attribtui.vocab import JsonDict

AUDIT_ACTIONS = ("model_create", "model_update", "model_delete", "snapshot_rebuild",
                 "export_scheduled")
AUDIT_LIMIT = 50
AUDIT_SPAN = 200_000  # audit ids looked back from the newest: the table has no time index


@dataclass
class AuditRow:
    audit_id: int
    user_id: int
    model_id: int | None
    action: str
    metadata: object  # decoded JSON when it parses, else the raw text
    created_at: int
    demoted: int | None = None  # another model's promotion, shown on this model's trail

    @property
    def action_text(self) -> str:
        if self.demoted is not None:
            return f"default → {self.model_id}"
        return self.action

    @property
    def meta_text(self) -> str:
        """Metadata as readable key=value pairs (JSON booleans as true/false)."""
        if self.demoted is not None:
            return (f"model {self.model_id} became the default: Prosper202 set is_default 0 on "
                    f"every other model of user {self.user_id}, model {self.demoted} included")
        meta = redact_value(self.metadata)  # e.g. an export's webhook secret
        if isinstance(meta, dict):
            return "  ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}"
                             for k, v in meta.items())
        return "" if meta is None else str(meta)

    def to_json(self) -> JsonDict:
        return {**asdict(self), "created_at_iso": clock.iso(self.created_at)}


def read_audit(db: Database, user_id: int, *, model_id: int | None = None, action: str | None = None,
               limit: int = AUDIT_LIMIT, primary: bool = False) -> list[AuditRow]:
    """Newest first, bounded by LIMIT and by audit_id (no time index on 202_attribution_audit).

    A model's trail also shows the promotions of the user's other models: each one set
    is_default 0 on this model too (docs/prosper202.md, "Defaults"), and upstream writes no row
    of its own for that.
    """
    rows = _audit(db, user_id, model_id=model_id, action=action, limit=limit, primary=primary)
    if model_id is None or action not in (None, "model_update"):
        return rows
    others = _audit(db, user_id, model_id=model_id, action="model_update", limit=limit,
                    primary=primary, others=True)
    promotions = [replace(r, demoted=model_id) for r in others
                  if isinstance(r.metadata, dict) and r.metadata.get("is_default") is True]
    return sorted(rows + promotions, key=lambda r: -r.audit_id)[:limit]


def _audit(db: Database, user_id: int, *, model_id: int | None, action: str | None, limit: int,
           primary: bool, others: bool = False) -> list[AuditRow]:
    table = f"`{pt.attribution_audit.name}`"
    top = db.scalar(f"SELECT MAX(audit_id) FROM {table}", primary=primary) or 0
    where = ["audit_id > :floor", "user_id = :u"]
    params: JsonDict = {"floor": max(0, int(top) - AUDIT_SPAN), "u": user_id}
    if model_id is not None:
        where.append("model_id <> :m" if others else "model_id = :m")
        params["m"] = model_id
    if action:
        where.append("action = :a")
        params["a"] = action
    sql = (f"SELECT audit_id, user_id, model_id, action, metadata, created_at FROM {table} "
           f"WHERE {' AND '.join(where)} ORDER BY audit_id DESC LIMIT {int(limit)}")
    out = []
    for r in db.read(sql, params, primary=primary):
        meta, _ = parse_weighting_json(r.metadata)  # the same tolerant JSON decode
        out.append(AuditRow(int(r.audit_id), int(r.user_id),
                            None if r.model_id is None else int(r.model_id), str(r.action),
                            meta if meta is not None else r.metadata, int(r.created_at)))
    return out


@dataclass
class SeriesPoint:
    hour: int
    conversions: int | None  # None: no snapshot for this hour (a gap)
    revenue: float | None


@dataclass
class Series:
    model_id: int
    start_hour: int
    end_hour: int
    points: list[SeriesPoint]

    @property
    def gaps(self) -> int:
        return sum(1 for p in self.points if p.conversions is None)

    @property
    def total_conversions(self) -> int:
        return sum(p.conversions or 0 for p in self.points)

    @property
    def total_revenue(self) -> float:
        return round(sum(p.revenue or 0.0 for p in self.points), 4)


def snapshot_series(client: V2Client, model_id: int, hours: int = 24,
                    now: int | None = None) -> Series:
    """Hourly snapshots through the API with explicit start_hour/end_hour; missing hours are gaps."""
    now = clock.now() if now is None else now
    end = clock.hour(now)
    start = end - (hours - 1) * 3600
    resp = client.snapshots(model_id, start, end, limit=min(1000, hours * 2))
    by_hour: dict[int, SeriesPoint] = {}
    for item in resp.objs() if resp.data else []:
        h = int(item["date_hour"])
        p = by_hour.setdefault(h, SeriesPoint(h, 0, 0.0))
        p.conversions = (p.conversions or 0) + int(item["attributed_conversions"])
        p.revenue = round((p.revenue or 0.0) + float(item["attributed_revenue"]), 4)
    points = [by_hour.get(h, SeriesPoint(h, None, None)) for h in range(start, end + 1, 3600)]
    return Series(model_id, start, end, points)
