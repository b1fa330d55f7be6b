"""What DELETE /models/{id} takes with the model, counted and backed up before it is sent.

The model's snapshots, their touchpoint credits and its settings rows go in one transaction
(docs/prosper202.md, "v2 API"); the backup is replayable JSON, 0600, under the data dir's backups/.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from attribtui.infra import clock, paths
from attribtui.infra.db import Database, in_clause
from attribtui.prosper import tables as pt
from attribtui.services.models.listing import Model, label
from attribtui.vocab import JsonDict

SETTINGS_LIMIT = 1000
BATCH = 500  # snapshot ids per touchpoint read
BACKUP_CAP = 500_000  # rows a delete backup may hold before the delete is refused


def _snapshot_id_batches(db: Database, model_id: int) -> Iterable[list[int]]:
    """The model's snapshot ids, BATCH at a time by primary key (index model_hour_scope)."""
    last = 0
    while True:
        rows = db.read(
            f"SELECT snapshot_id FROM `{pt.attribution_snapshots.name}` WHERE model_id = :m "
            f"AND snapshot_id > :last ORDER BY snapshot_id LIMIT {BATCH}",
            {"m": model_id, "last": last}, primary=True)
        ids = [int(r[0]) for r in rows]
        if not ids:
            return
        yield ids
        last = ids[-1]
        if len(ids) < BATCH:
            return


def delete_counts(db: Database, model_id: int) -> tuple[dict[str, int], list[JsonDict]]:
    """Rows DELETE /models/{id} removes with the model, and its settings rows (for the effects)."""
    snapshots = touchpoints = 0
    for ids in _snapshot_id_batches(db, model_id):
        snapshots += len(ids)
        placeholders, params = in_clause("sid", ids)
        clause = f"snapshot_id IN ({placeholders})"
        touchpoints += int(db.scalar(
            f"SELECT COUNT(*) FROM `{pt.attribution_touchpoints.name}` WHERE {clause}", params,
            primary=True) or 0)
    settings = [dict(r._mapping) for r in db.read(
        f"SELECT * FROM `{pt.attribution_settings.name}` WHERE model_id = :m "
        f"ORDER BY setting_id LIMIT {SETTINGS_LIMIT}", {"m": model_id}, primary=True)]
    return ({"models": 1, "snapshots": snapshots, "touchpoints": touchpoints,
             "settings": len(settings)}, settings)


def backup_dir() -> Path:
    return paths.folder("backups")


def _plain(v: object) -> object:
    return str(v) if isinstance(v, Decimal) else v


def backup_model(db: Database, x: Model, profile_name: str, *, cap: int = BACKUP_CAP) -> Path:
    """Write the model row, its settings, snapshots and touchpoints to a replayable JSON file.

    Replay: insert each table's rows in `order` (they keep their ids). Read on the primary,
    touchpoints in batches by snapshot_id. Raises ValueError when more than `cap` rows.
    """
    def rows(sql: str, params: JsonDict) -> list[JsonDict]:
        return [{k: _plain(v) for k, v in r._mapping.items()}
                for r in db.read(sql, params, primary=True)]

    tables: dict[str, list[JsonDict]] = {
        pt.attribution_models.name: rows(
            f"SELECT * FROM `{pt.attribution_models.name}` WHERE model_id = :m LIMIT 1",
            {"m": x.model_id}),
        pt.attribution_settings.name: rows(
            f"SELECT * FROM `{pt.attribution_settings.name}` WHERE model_id = :m "
            f"ORDER BY setting_id LIMIT {SETTINGS_LIMIT}", {"m": x.model_id}),
        pt.attribution_snapshots.name: [],
        pt.attribution_touchpoints.name: [],
    }
    total = sum(len(v) for v in tables.values())
    for ids in _snapshot_id_batches(db, x.model_id):
        placeholders, params = in_clause("sid", ids)
        clause = f"snapshot_id IN ({placeholders})"
        snaps = rows(f"SELECT * FROM `{pt.attribution_snapshots.name}` WHERE {clause} "
                     f"ORDER BY snapshot_id LIMIT {len(ids)}", params)
        touches = rows(f"SELECT * FROM `{pt.attribution_touchpoints.name}` WHERE {clause} "
                       f"ORDER BY touchpoint_id LIMIT {cap + 1}", params)
        total += len(snaps) + len(touches)
        if total > cap:
            raise ValueError(f"the backup of {label(x)} exceeds {cap} rows; raise the cap "
                             "(--backup-cap) or keep the model")
        tables[pt.attribution_snapshots.name] += snaps
        tables[pt.attribution_touchpoints.name] += touches
    now = clock.now()
    doc = {"kind": "attribtui.model-backup", "version": 1, "created_at": now,
           "created_at_iso": clock.iso(now), "profile": profile_name, "model_id": x.model_id,
           "user_id": x.user_id, "reason": "before DELETE /api/v2/attribution/models/{id}",
           "order": list(tables), "counts": {k: len(v) for k, v in tables.items()},
           "tables": tables}
    return paths.write_private(backup_dir() / f"model-{x.model_id}-{now}.json",
                               json.dumps(doc, indent=1, default=str))
