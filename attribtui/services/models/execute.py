"""Running a model plan: the requests in order (never retried), the log entry, the rebuild."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from attribtui.infra import actionlog
from attribtui.infra.api import ApiError, V2Client
from attribtui.infra.config import Profile
from attribtui.infra.db import Database
from attribtui.services.models.backup import BACKUP_CAP, backup_model
from attribtui.services.models.listing import label
from attribtui.services.models.plans import ModelAction
from attribtui.vocab import AttribtuiError, ExitCode, JsonDict


@dataclass
class ChangeResult:
    """What happened: responses as read back from the API, the log entry, the rebuild to run."""

    ok: bool
    message: str
    responses: list[JsonDict] = field(default_factory=list)
    model_after: JsonDict | None = None
    error: ApiError | Exception | None = None
    partial: bool = False  # an earlier step went through, a later one failed
    unconfirmed: bool = False  # a write was sent and no answer came: it may or may not have happened
    backup: Path | None = None
    rebuild_commands: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        """One word for logs and notifications: done, failed, or unconfirmed (check before
        retrying)."""
        return "done" if self.ok else "unconfirmed" if self.unconfirmed else "failed"

    @property
    def exit_code(self) -> ExitCode:
        if self.ok:
            return ExitCode.OK
        if self.partial or not isinstance(self.error, AttribtuiError):
            return ExitCode.FAIL
        return self.error.exit_code


def execute(action: ModelAction, client: V2Client, profile: Profile, db: Database | None = None,
            *, cap: int = BACKUP_CAP) -> ChangeResult:
    """Send the steps in order (no retries for writes), then log and say what to rebuild.

    A delete backs up first; if the backup fails nothing is sent.
    """
    if action.refused or action.noop:
        raise ValueError("this action must not be executed: " + (action.refused or action.noop or ""))
    out = ChangeResult(False, "")
    if action.kind == "delete":
        assert action.model is not None and db is not None  # plan_delete refuses without them
        try:
            out.backup = backup_model(db, action.model, profile.name, cap=cap)
        except Exception as e:  # noqa: BLE001 - DbError, OSError, the cap: nothing is deleted
            out.error, out.message = e, f"backup failed, nothing deleted: {e}"
            _log(action, profile, out)
            return out
    for i, req in enumerate(action.requests):
        try:
            data = client.call(req.method, req.path, json_body=req.body).data
        except ApiError as e:
            out.error, out.partial, out.unconfirmed = e, i > 0, e.unconfirmed
            done = " (the earlier requests went through)" if i else ""
            what = "unconfirmed" if e.unconfirmed else "failed"
            out.message = f"{req.method} {what}{done}: {e}"
            _log(action, profile, out)
            return out
        out.responses.append({"request": req.shown, "response": data})
        if isinstance(data, dict):
            out.model_after = data
    out.ok = True
    out.message = _done_message(action, out)
    if action.rebuild:
        out.rebuild_commands = action.rebuild.commands(profile)
    _log(action, profile, out)
    return out


def _done_message(action: ModelAction, out: ChangeResult) -> str:
    x = out.model_after
    if action.kind == "delete" and action.model is not None:
        return f"deleted {label(action.model)}; backup {out.backup}"
    if x:
        state = ("active" if x["is_active"] else "inactive") + (", default" if x["is_default"] else "")
        return f"model {x['model_id']} “{x['name']}” is now {state}, slug {x['slug']}"
    return "done"


def _log(action: ModelAction, profile: Profile, out: ChangeResult) -> None:
    target = label(action.model) if action.model else action.plan.title
    actionlog.record(
        f"models.{action.kind}", profile=profile, target=target,
        params={"requests": [r.shown for r in action.requests], "effects": action.plan.effects,
                "changes": [c.to_json() for c in action.changes],
                "backup": str(out.backup) if out.backup else None},
        result={"ok": out.ok, "outcome": out.outcome, "message": out.message, "responses": out.responses,
                "status": getattr(out.error, "status", None),
                "rebuild": out.rebuild_commands},
    )
