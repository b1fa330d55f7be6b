"""The export routes: a model's export jobs, and queueing a new one for the export cron.

Scope, window, format and webhook are validated as upstream does; the job is written pending with
an export_scheduled audit row (docs/prosper202.md §Exports and sandbox).
"""

from __future__ import annotations

import json
from typing import Any, TypedDict

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Row

from attribtui.infra import clock
from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY
from attribtui.prosper.settings import SCOPE_TYPES
from attribtui.prosper.validation import php_int
from attribtui.sandbox.emulator.http import BadRequest, Ids, Payload, Response, ok
from attribtui.sandbox.emulator.models import audit, find_model
from attribtui.sandbox.sql import inserted_id

MSG_EXPORT_SCOPE = "Invalid scope value supplied."
MSG_EXPORT_SCOPE_ID = "Scope identifier required for the selected scope."
MSG_EXPORT_WINDOW = "Start hour must be before end hour for exports."
MSG_EXPORT_FORMAT = "Unsupported export format requested."
MSG_WEBHOOK_URL = "Webhook URL is required when webhook settings are provided."
MSG_WEBHOOK_HEADERS = "Webhook headers must be an associative array of strings."
FORMATS = ("csv", "xls")

ex = pt.attribution_exports


class ExportObject(TypedDict):
    export_id: int
    model_id: int
    scope: str
    scope_id: int | None
    start_hour: int
    end_hour: int
    format: str
    status: str
    queued_at: int
    completed_at: int | None
    rows_exported: int | None


def _export(r: Row[Any]) -> ExportObject:
    return {"export_id": int(r.export_id), "model_id": int(r.model_id), "scope": r.scope_type,
            "scope_id": r.scope_id, "start_hour": r.start_hour, "end_hour": r.end_hour,
            "format": r.requested_format, "status": r.status, "queued_at": r.queued_at,
            "completed_at": r.completed_at, "rows_exported": r.rows_exported}


def list_exports(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    row = find_model(conn, user_id, int(ids["id"]))
    limit = min(100, max(1, php_int(p.get("limit", 20)) or 20))
    rows = conn.execute(select(ex).where(ex.c.model_id == row.model_id, ex.c.user_id == user_id)
                        .order_by(ex.c.queued_at.desc()).limit(limit))
    return ok([_export(r) for r in rows])


def create_export(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    row = find_model(conn, user_id, int(ids["id"]))
    scope = p.get("scope") or "global"
    if scope not in SCOPE_TYPES:
        raise BadRequest(MSG_EXPORT_SCOPE)
    raw_id = p.get("scope_id")
    scope_id = php_int(raw_id) if raw_id not in (None, "") else None
    if scope != "global" and not scope_id:
        raise BadRequest(MSG_EXPORT_SCOPE_ID)
    now = clock.now()
    start = php_int(p["start_hour"]) if p.get("start_hour", "") != "" else now - DAY
    end = php_int(p["end_hour"]) if p.get("end_hour", "") != "" else now
    if start >= end:
        raise BadRequest(MSG_EXPORT_WINDOW)
    fmt = str(p.get("format") or "csv").lower()
    if fmt not in FORMATS:
        raise BadRequest(MSG_EXPORT_FORMAT)
    webhook = p.get("webhook")
    if webhook:
        if not isinstance(webhook, dict) or not webhook.get("url"):
            raise BadRequest(MSG_WEBHOOK_URL)
        headers = webhook.get("headers") or {}
        if not isinstance(headers, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            raise BadRequest(MSG_WEBHOOK_HEADERS)
    export_id = inserted_id(conn.execute(insert(ex).values(
        user_id=user_id, model_id=row.model_id, scope_type=scope, scope_id=scope_id,
        start_hour=start, end_hour=end, requested_format=fmt, status="pending",
        webhook_url=webhook.get("url") if webhook else None,
        webhook_secret=webhook.get("secret") if webhook else None,
        webhook_headers=json.dumps(webhook.get("headers")) if webhook else None,
        queued_at=now, created_at=now, updated_at=now)))
    audit(conn, user_id, row.model_id, "export_scheduled", {
        "export_id": export_id, "scope": scope, "scope_id": scope_id, "start_hour": start,
        "end_hour": end, "format": fmt,
        "webhook": {"url": webhook.get("url")} if webhook else None}, now)
    created = conn.execute(select(ex).where(ex.c.export_id == export_id)).one()
    return ok(_export(created), 201)
