"""The export routes: a model's export jobs, and queueing a new one for the export cron.

Scope, window, format and webhook are validated as upstream does; the job is written pending with
an export_scheduled audit row (docs/prosper202.md §Exports and sandbox).
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Row

from attribtui.infra import clock
from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY
from attribtui.prosper.php import php_int, php_is_numeric, php_string, php_trim
from attribtui.prosper.settings import SCOPE_TYPES
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


def _summary(r: Row[Any]) -> dict[str, object]:
    """ExportJob::toSummary: the stored job, its webhook with the secret, under `scope_type`."""
    webhook = None
    if r.webhook_url:
        try:
            headers = json.loads(r.webhook_headers) if r.webhook_headers else []
        except ValueError:
            headers = []
        webhook = {"url": r.webhook_url, "secret": r.webhook_secret or None,
                   "headers": headers if headers else []}
    return {"export_id": int(r.export_id), "model_id": int(r.model_id), "status": r.status,
            "format": r.requested_format, "scope_type": r.scope_type, "scope_id": r.scope_id,
            "start_hour": r.start_hour, "end_hour": r.end_hour, "queued_at": r.queued_at,
            "started_at": r.started_at, "completed_at": r.completed_at,
            "failed_at": r.failed_at, "rows_exported": r.rows_exported,
            "file_path": r.file_path, "last_error": r.last_error, "webhook": webhook,
            "webhook_status_code": r.webhook_status_code,
            "webhook_attempted_at": r.webhook_attempted_at}


def list_exports(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    row = find_model(conn, user_id, php_int(ids["id"]))
    limit = max(1, min(100, php_int(p["limit"]))) if "limit" in p else 20
    rows = conn.execute(select(ex).where(ex.c.user_id == user_id, ex.c.model_id == row.model_id)
                        .order_by(ex.c.queued_at.desc()).limit(limit))
    return ok([_summary(r) for r in rows])


def _webhook(value: object) -> dict[str, object] | None:
    """ExportWebhook::fromArray over the entries that are neither null nor ''; a value that is
    not an array is ignored."""
    if isinstance(value, list):
        value = {str(i): v for i, v in enumerate(value)}
    if not isinstance(value, dict):
        return None
    entries = {k: v for k, v in value.items() if v is not None and v != ""}
    if not entries:
        return None
    url = php_trim(php_string(entries.get("url")))
    if not url:
        raise BadRequest(MSG_WEBHOOK_URL)
    secret = php_string(entries["secret"]) if "secret" in entries else None
    headers: dict[str, str] = {}
    raw = entries.get("headers")
    if isinstance(raw, list):
        raw = {str(i): v for i, v in enumerate(raw)}
    if isinstance(raw, dict):
        for key, val in raw.items():
            if key == "":
                continue
            if re.fullmatch(r"-?[1-9][0-9]*|0", key):  # PHP turns "0" back into an int key
                raise BadRequest(MSG_WEBHOOK_HEADERS)
            headers[key] = php_string(val)
    return {"url": url, "secret": secret, "headers": headers}


def create_export(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    """AttributionService::scheduleSnapshotExport, its checks in upstream's order."""
    row = find_model(conn, user_id, php_int(ids["id"]))
    scope = php_string(p["scope"]) if p.get("scope") is not None else "global"
    if scope not in SCOPE_TYPES:
        raise BadRequest(MSG_EXPORT_SCOPE)
    scope_id = None
    if scope != "global":
        if not php_is_numeric(p.get("scope_id")):
            raise BadRequest(MSG_EXPORT_SCOPE_ID)
        scope_id = php_int(p["scope_id"])
    now = clock.now()
    start = php_int(p["start_hour"]) if p.get("start_hour") is not None else now - DAY
    end = php_int(p["end_hour"]) if p.get("end_hour") is not None else now
    if start >= end:
        raise BadRequest(MSG_EXPORT_WINDOW)
    fmt = php_string(p["format"]).lower() if p.get("format") is not None else "csv"
    if fmt not in FORMATS:
        raise BadRequest(MSG_EXPORT_FORMAT)
    webhook = _webhook(p.get("webhook"))
    export_id = inserted_id(conn.execute(insert(ex).values(
        user_id=user_id, model_id=row.model_id, scope_type=scope, scope_id=scope_id,
        start_hour=start, end_hour=end, requested_format=fmt, status="pending",
        options=json.dumps({"requested_by": user_id, "created_via": "api"}),
        webhook_url=webhook["url"] if webhook else None,
        webhook_secret=webhook["secret"] if webhook else None,
        webhook_headers=json.dumps(webhook["headers"]) if webhook and webhook["headers"] else None,
        queued_at=now, created_at=now, updated_at=now)))
    audit(conn, user_id, row.model_id, "export_scheduled", {
        "export_id": export_id, "scope": scope, "scope_id": scope_id, "start_hour": start,
        "end_hour": end, "format": fmt, "webhook": webhook["url"] if webhook else None}, now)
    created = conn.execute(select(ex).where(ex.c.export_id == export_id)).one()
    return ok(_summary(created), 201)
