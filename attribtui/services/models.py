"""Attribution models through the v2 API: the list an operator sees, and every change as a plan.

The v2 API has traps (facts section 2 and 7.6), and this module is where the console defuses them:
- GET /models lists active models only, so the list merges it with a bounded SQL read of
  202_attribution_models for the key's user and marks the rows the API hides;
- every PATCH recomputes the slug: each plan states the slug the model will have afterwards;
- setting a default demotes every other model of the user and forces this one active;
- `{"is_active": false}` on the default is silently undone: deactivating the default needs a new
  default first, or an explicit `is_default: false` (leaving the user with no default);
- DELETE takes the model's snapshots, touchpoints and settings rows with it: they are backed up
  first, and removed settings rows re-enable multi-touch where they had disabled it (section 6).
Validation runs here with the server's own rules and messages before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from attribtui.infra import actionlog, clock, paths
from attribtui.infra.api import ApiError, V2Client
from attribtui.infra.db import Database
from attribtui.prosper import tables as pt
from attribtui.prosper.models import ModelRow
from attribtui.prosper.validation import (
    MODEL_TYPES,
    parse_weighting_json,
    slugify,
    unique_slug,
    validate_model_payload,
)
from attribtui.queries.models import user_models
from attribtui.services.actions import ActionPlan

MODELS_LIMIT = 200  # a user with more models than this is not a real Prosper202 install
SETTINGS_LIMIT = 1000
BATCH = 500  # snapshot ids per touchpoint read
BACKUP_CAP = 500_000  # rows a delete backup may hold before the delete is refused
REBUILD_CHUNK = 86400  # facts section 9: rebuild windows of at most 24 h
REBUILD_MAX_BACK = 7 * 86400
LINT_HINT = "see the model lint findings models.types / models.weighting (attribtui check --only models)"


# -- the list ------------------------------------------------------------------------------------


@dataclass
class Model:
    """One model as the console shows it. `api_visible` is False for rows GET /models hides."""

    model_id: int
    user_id: int
    name: str
    slug: str
    type: str
    weighting_config: Any
    is_active: bool
    is_default: bool
    created_at: int
    updated_at: int
    api_visible: bool = True
    note: str = ""  # why the API hides it, or what is wrong with the row
    problem: str | None = None  # why v2 cannot parse this row (fails GET /models for the user)

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Model:
        config = d.get("weighting_config")
        return cls(int(d["model_id"]), int(d["user_id"]), str(d["name"]), str(d["slug"]),
                   str(d["type"]), config if config else None, bool(d["is_active"]),
                   bool(d["is_default"]), int(d["created_at"]), int(d["updated_at"]))

    @classmethod
    def from_row(cls, r: ModelRow) -> Model:
        model = cls(r.model_id, r.user_id, r.name, r.slug, r.type, r.config if r.config else None,
                    r.is_active, r.is_default, r.created_at, r.updated_at, api_visible=False)
        if r.type not in MODEL_TYPES:
            model.problem = (f"type {r.type!r} is not a v2 type (written through v3?): GET /models "
                             "and the rebuild fail for this user")
        elif r.problem:
            model.problem = (f"Prosper202 cannot load this row ({r.problem}): GET /models and the "
                             "rebuild fail for this user")
        return model

    @property
    def weighting_text(self) -> str:
        c = self.weighting_config
        if not c:
            return "–"
        if isinstance(c, dict) and self.type == "time_decay" and "half_life_hours" in c:
            return f"half-life {c['half_life_hours']} h"
        if isinstance(c, dict) and self.type == "position_based":
            return f"first {c.get('first_touch_weight')} · last {c.get('last_touch_weight')}"
        return json.dumps(c, sort_keys=True)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["updated_at_iso"] = clock.iso(self.updated_at)
        d["created_at_iso"] = clock.iso(self.created_at)
        return d


@dataclass
class ModelList:
    user_id: int | None
    models: list[Model] = field(default_factory=list)
    api_error: str | None = None
    api_status: int | None = None
    db_error: str | None = None
    notes: list[str] = field(default_factory=list)

    def get(self, model_id: int) -> Model | None:
        return next((x for x in self.models if x.model_id == model_id), None)

    @property
    def default(self) -> Model | None:
        return next((x for x in self.models if x.is_default), None)

    def to_json(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "api_error": self.api_error,
                "api_status": self.api_status, "db_error": self.db_error, "notes": self.notes,
                "models": [x.to_json() for x in self.models]}


def read_model_rows(db: Database, user_id: int, *, primary: bool = False) -> list[Model]:
    """The user's rows of 202_attribution_models (bounded; the key never goes near SQL)."""
    return [Model.from_row(r) for r in user_models(db.reader(primary=primary), user_id,
                                                   MODELS_LIMIT)]


def load_models(client: V2Client, db: Any | None, *, user_id: int | None = None,
                primary: bool = False) -> ModelList:
    """The API's active models merged with the DB's rows for the same user.

    user_id: the one the API's responses carry, else the profile's api.user_id (`user_id`).
    """
    api_models: list[Model] = []
    listing = ModelList(user_id)
    try:
        api_models = [Model.from_api(d) for d in client.list_models()]
    except ApiError as e:
        listing.api_error, listing.api_status = str(e), e.status
    if api_models:
        listing.user_id = api_models[0].user_id
    rows: list[Model] = []
    if db is not None and listing.user_id is not None:
        try:
            rows = read_model_rows(db, listing.user_id, primary=primary)
        except Exception as e:  # DbError and friends: the API part still shows
            listing.db_error = str(e)
    elif db is not None and listing.user_id is None:
        listing.notes.append("inactive models are not shown: the API listed none to tell whose "
                             "they are; set api.user_id in the profile")
    by_id = {x.model_id: x for x in api_models}
    merged: list[Model] = list(api_models)
    for r in rows:
        if r.model_id in by_id:
            by_id[r.model_id].problem = r.problem
            continue
        r.note = ("hidden by the API (inactive)" if not r.is_active else
                  "active in the DB but not listed by the API (changed since, or replica lag)")
        if listing.api_error:
            r.note = "from the DB (the API failed)"
        merged.append(r)
    merged.sort(key=lambda x: (-x.created_at, -x.model_id))
    listing.models = merged
    broken = [x for x in merged if x.problem]
    if listing.api_status and listing.api_status >= 500 and broken:
        listing.api_error = (f"the v2 API fails for user {listing.user_id} because model "
                             f"{broken[0].model_id} cannot be parsed ({broken[0].problem}); "
                             f"{LINT_HINT}")
    return listing


# -- plans ---------------------------------------------------------------------------------------


@dataclass
class Step:
    """One request the action sends, in order."""

    method: str
    path: str
    body: dict[str, Any] | None
    shown: str  # the exact request, key redacted


@dataclass
class RebuildWindow:
    user_id: int
    start: int  # H0, a whole hour
    end: int  # H1 - 1
    why: str

    def commands(self, profile: Any = None) -> list[str]:
        """The rebuild in hour-aligned chunks of at most 24 h (`--start=H0 --end=H1-1`)."""
        out = []
        t = self.start
        while t <= self.end:
            end = min(t + REBUILD_CHUNK - 1, self.end)
            out.append(f"attribtui run rebuild --user={self.user_id} --start={t} --end={end}")
            t = end + 1
        root = getattr(getattr(profile, "jobs", None), "prosper_root", None)
        if profile is not None and profile.jobs.runner == "php":
            prefix = f"cd {root} && " if root else ""
            out = [c.replace("attribtui run rebuild", f"{prefix}php 202-cronjobs/attribution-rebuild.php")
                   for c in out]
        return out


@dataclass
class ModelAction:
    kind: str  # activate, deactivate, set-default, create, update, delete
    plan: ActionPlan
    steps: list[Step] = field(default_factory=list)
    model: Model | None = None
    refused: str | None = None  # why nothing may be sent (validation, the default trap)
    server_message: str | None = None  # the exact v2 message when validation refused it
    noop: str | None = None  # nothing to do (already active, already default)
    rebuild: RebuildWindow | None = None
    no_rebuild: str = ""  # why no rebuild is needed
    delete_counts: dict[str, int] | None = None
    reenabled: list[str] = field(default_factory=list)


def _label(x: Model) -> str:
    return f"model {x.model_id} “{x.name}”"


def _step(client: V2Client, method: str, path: str, body: dict[str, Any] | None) -> Step:
    return Step(method, path, body, client.describe(method, path, json_body=body))


def _taken(listing: ModelList) -> set[str]:
    return {x.slug for x in listing.models}


def slug_after_patch(x: Model, listing: ModelList, *, name: str | None = None,
                     slug: str | None = None, now: int | None = None) -> str:
    """The slug Prosper202 will give x on this PATCH: recomputed from `slug` or the name."""
    now = clock.now() if now is None else now
    base = slugify(slug or name or x.name, now)
    return unique_slug(base, _taken(listing), current=x.slug)


def _slug_effect(x: Model, after: str) -> str:
    if after == x.slug:
        return f"{_label(x)} keeps its slug {after} (every PATCH recomputes it; same result)."
    return (f"{_label(x)}'s slug changes from {x.slug} to {after}: every PATCH recomputes it "
            "from the name; anything that refers to the old slug must be updated.")


def _finish(action: ModelAction, client: V2Client) -> ModelAction:
    action.plan.request = "\n".join(s.shown for s in action.steps)
    if action.refused:
        action.plan.effects.insert(0, f"REFUSED, nothing will be sent: {action.refused}")
    return action


def _window_since(x: Model, why: str, now: int) -> RebuildWindow:
    """Snapshots of a model that was inactive since updated_at are stale (never rebuilt)."""
    end_hour = clock.hour(now)
    start = max(clock.hour(x.updated_at), end_hour - REBUILD_MAX_BACK)
    if start >= end_hour:
        start = end_hour - REBUILD_CHUNK
    return RebuildWindow(x.user_id, start, end_hour - 1, why)


def _last_day(user_id: int, why: str, now: int) -> RebuildWindow:
    end_hour = clock.hour(now)
    return RebuildWindow(user_id, end_hour - REBUILD_CHUNK, end_hour - 1, why)


def plan_activate(client: V2Client, listing: ModelList, x: Model,
                  now: int | None = None) -> ModelAction:
    now = clock.now() if now is None else now
    action = ModelAction("activate", ActionPlan(f"Activate {_label(x)}"), model=x)
    if x.is_active:
        action.noop = f"{_label(x)} is already active; nothing sent"
        return _finish(action, client)
    action.steps = [_step(client, "PATCH", f"/models/{x.model_id}", {"is_active": True})]
    action.plan.effects = [
        f"PATCH sets is_active true on {_label(x)}; GET /models will list it again.",
        _slug_effect(x, slug_after_patch(x, listing, now=now)),
        "The hourly rebuild computes it again from its next run; its snapshots since it was "
        "deactivated are stale (inactive models are never rebuilt).",
    ]
    action.rebuild = _window_since(x, "snapshots missed while it was inactive", now)
    return _finish(action, client)


def plan_deactivate(client: V2Client, listing: ModelList, x: Model, *,
                    new_default: int | None = None, no_default: bool = False,
                    now: int | None = None) -> ModelAction:
    """Deactivating the default is the v2 trap: pick a new default first, or clear it explicitly."""
    now = clock.now() if now is None else now
    action = ModelAction("deactivate", ActionPlan(f"Deactivate {_label(x)}"), model=x)
    action.no_rebuild = ("no rebuild needed: inactive models are not rebuilt; its snapshots stay "
                         "as they are")
    if not x.is_active and not x.is_default:
        action.noop = f"{_label(x)} is already inactive; nothing sent"
        return _finish(action, client)
    effects = action.plan.effects
    if not x.is_default:
        action.steps = [_step(client, "PATCH", f"/models/{x.model_id}", {"is_active": False})]
        effects += [f"PATCH sets is_active false on {_label(x)}; GET /models stops listing it.",
                    _slug_effect(x, slug_after_patch(x, listing, now=now))]
        return _finish(action, client)
    if new_default is not None:
        other = listing.get(new_default)
        if other is None or other.model_id == x.model_id or other.user_id != x.user_id:
            action.refused = (f"model {new_default} is not another model of user {x.user_id}; "
                              "pick the new default from the list")
            return _finish(action, client)
        action.steps = [
            _step(client, "PATCH", f"/models/{other.model_id}", {"is_default": True}),
            _step(client, "PATCH", f"/models/{x.model_id}", {"is_active": False}),
        ]
        other_slug = slug_after_patch(other, listing, now=now)
        effects += [
            f"1. PATCH makes {_label(other)} the default: every other model of user "
            f"{x.user_id} is demoted, and it is forced active.",
            _slug_effect(other, other_slug),
            f"2. PATCH sets is_active false on {_label(x)}, no longer the default.",
            _slug_effect(x, slug_after_patch(x, listing, now=now)),
        ]
        if not other.is_active:
            action.rebuild = _window_since(other, f"{_label(other)} was inactive", now)
        return _finish(action, client)
    if no_default:
        action.steps = [_step(client, "PATCH", f"/models/{x.model_id}",
                              {"is_active": False, "is_default": False})]
        effects += [
            f"PATCH sets is_active false AND is_default false on {_label(x)} (is_default must be "
            "sent, or Prosper202 re-promotes it and it stays active).",
            f"WARNING: user {x.user_id} will have NO default model afterwards (campaigns set to "
            "“Use Default Attribution Model” have none to use).",
            _slug_effect(x, slug_after_patch(x, listing, now=now)),
        ]
        return _finish(action, client)
    action.refused = (f"{_label(x)} is the default: Prosper202 silently re-activates the default "
                      "on {\"is_active\": false}; pick a new default first (--new-default ID) or "
                      "clear it (--no-default: the user is then left with no default)")
    return _finish(action, client)


def plan_set_default(client: V2Client, listing: ModelList, x: Model,
                     now: int | None = None) -> ModelAction:
    now = clock.now() if now is None else now
    action = ModelAction("set-default", ActionPlan(f"Make {_label(x)} the default"), model=x)
    if x.is_default:
        action.noop = f"{_label(x)} is already the default; nothing sent"
        return _finish(action, client)
    action.steps = [_step(client, "PATCH", f"/models/{x.model_id}", {"is_default": True})]
    demoted = [o for o in listing.models if o.is_default and o.model_id != x.model_id]
    effects = action.plan.effects
    effects.append(f"PATCH sets is_default true on {_label(x)}; Prosper202 first sets "
                   f"is_default 0 on EVERY model of user {x.user_id}.")
    effects += [f"{_label(o)} stops being the default." for o in demoted] or [
        "No model is the default now, so none is demoted."]
    if not x.is_active:
        effects.append(f"{_label(x)} is inactive and will be forced active.")
        action.rebuild = _window_since(x, "it was inactive; its snapshots are stale", now)
    else:
        action.no_rebuild = "no rebuild needed: the rebuild computes every active model alike"
    effects.append(_slug_effect(x, slug_after_patch(x, listing, now=now)))
    return _finish(action, client)


def weighting_from_fields(model_type: str, *, half_life: Any = None, first: Any = None,
                          last: Any = None) -> dict[str, Any] | None:
    """The weighting_config a form or flags describe, for the type's own fields only."""
    def number(v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip()
            for cast in (int, float):
                try:
                    return cast(v)
                except ValueError:
                    continue
        return v

    if model_type == "time_decay" and half_life not in (None, ""):
        return {"half_life_hours": number(half_life)}
    if model_type == "position_based" and (first not in (None, "") or last not in (None, "")):
        return {"first_touch_weight": number(first), "last_touch_weight": number(last)}
    return None


def plan_create(client: V2Client, listing: ModelList, *, name: str, model_type: str,
                weighting: Any = None, slug: str | None = None, is_default: bool = False,
                is_active: bool = True, now: int | None = None) -> ModelAction:
    now = clock.now() if now is None else now
    action = ModelAction("create", ActionPlan(f"Create model “{name.strip()}” ({model_type})"))
    body: dict[str, Any] = {"name": name, "type": model_type}
    if weighting is not None:
        body["weighting_config"] = weighting
    if slug:
        body["slug"] = slug
    # Send booleans as JSON booleans: "false" would be (bool) true in PHP.
    body["is_active"], body["is_default"] = bool(is_active), bool(is_default)
    error = validate_model_payload(name, model_type, weighting)
    action.steps = [_step(client, "POST", "/models", body)]
    if error:
        action.refused, action.server_message = f"Prosper202 would answer 400: {error}", error
        return _finish(action, client)
    new_slug = unique_slug(slugify(slug or name, now), _taken(listing))
    effects = action.plan.effects
    effects.append(f"POST creates the model with slug {new_slug}"
                   f"{'' if is_active or is_default else ', inactive'}.")
    if is_default:
        demoted = [o for o in listing.models if o.is_default]
        effects.append("It becomes the default: every other model of the user is demoted"
                       + (f" ({', '.join(_label(o) for o in demoted)})." if demoted else "."))
    if is_active or is_default:
        user = listing.user_id
        if user is not None:
            action.rebuild = _last_day(user, "a new model has no snapshots yet", now)
        effects.append("It has no snapshots until a rebuild covers its window.")
    return _finish(action, client)


def plan_update(client: V2Client, listing: ModelList, x: Model, *, name: str | None = None,
                weighting: Any = None, clear_weighting: bool = False, slug: str | None = None,
                now: int | None = None) -> ModelAction:
    """Edit name and/or weighting; validated as the server will (merged with current values)."""
    now = clock.now() if now is None else now
    action = ModelAction("update", ActionPlan(f"Edit {_label(x)}"), model=x)
    body: dict[str, Any] = {}
    if name is not None and name != x.name:
        body["name"] = name
    if clear_weighting:
        body["weighting_config"] = {}
    elif weighting is not None and weighting != x.weighting_config:
        body["weighting_config"] = weighting
    if slug:
        body["slug"] = slug
    if not body:
        action.noop = f"nothing to change on {_label(x)}; nothing sent"
        return _finish(action, client)
    action.steps = [_step(client, "PATCH", f"/models/{x.model_id}", body)]
    error = validate_model_payload(body.get("name", x.name), x.type,
                                   body.get("weighting_config", x.weighting_config))
    if error:
        action.refused, action.server_message = f"Prosper202 would answer 400: {error}", error
        return _finish(action, client)
    effects = action.plan.effects
    if "name" in body:
        effects.append(f"PATCH renames it to “{body['name'].strip()}”.")
    if "weighting_config" in body:
        effects.append(f"PATCH sets weighting_config to {json.dumps(body['weighting_config'])}.")
        action.rebuild = _last_day(x.user_id, "credits change with the weighting", now)
        effects.append("Existing snapshots keep the old credits until rebuilt; older windows "
                       "are not recomputed unless you rebuild them too.")
    effects.append(_slug_effect(x, slug_after_patch(x, listing, name=body.get("name"),
                                                    slug=slug, now=now)))
    if "weighting_config" not in body:
        action.no_rebuild = "no rebuild needed: the name does not change credits"
    return _finish(action, client)


# -- delete: count, back up ----------------------------------------------------------------------


def _snapshot_id_batches(db: Any, model_id: int) -> Iterable[list[int]]:
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


def delete_counts(db: Any, model_id: int) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Rows DELETE /models/{id} removes with the model, and its settings rows (for the effects)."""
    from attribtui.infra.db import in_clause

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


def plan_delete(client: V2Client, listing: ModelList, x: Model, db: Any | None, *,
                cap: int = BACKUP_CAP) -> ModelAction:
    action = ModelAction("delete", ActionPlan(f"Delete {_label(x)}", destructive=True,
                                              typed=x.name), model=x)
    action.steps = [_step(client, "DELETE", f"/models/{x.model_id}", None)]
    action.no_rebuild = "no rebuild needed: its snapshots are gone with it"
    if db is None:
        action.refused = ("a delete needs the database to back up what goes with the model; "
                          "set db.url for this profile")
        return _finish(action, client)
    counts, settings = delete_counts(db, x.model_id)
    action.delete_counts = counts
    total = sum(counts.values())
    effects = action.plan.effects
    effects.append(f"DELETE removes {_label(x)} with its {counts['snapshots']} snapshot(s), "
                   f"{counts['touchpoints']} touchpoint credit(s) and {counts['settings']} "
                   f"settings row(s), in one transaction ({total} rows).")
    effects.append(f"First, all {total} rows are backed up to {backup_dir()} (replayable JSON).")
    for srow in settings:
        scope = srow["scope_type"] + (f":{srow['scope_id']}" if srow["scope_id"] is not None else "")
        if not srow.get("multi_touch_enabled", 1):
            action.reenabled.append(scope)
            effects.append(f"Its settings row for {scope} had DISABLED multi-touch: removing it "
                           "re-enables multi-touch there (enabled by default), so the pixels and "
                           "the backfill write journeys for that scope again.")
    if x.is_default:
        effects.append(f"It is the default: user {x.user_id} will have NO default model.")
    effects.append("Exports, audit rows and campaigns' attribution_model_id are kept.")
    action.plan.effects.append(f"Type the model's name “{x.name}” to confirm ({total} rows go).")
    if total > cap:
        action.refused = (f"{total} rows exceed the backup cap of {cap}; raise it "
                          "(--backup-cap) to back them up, or keep the model (deactivate it)")
    return _finish(action, client)


def backup_dir() -> Path:
    return paths.folder("backups")


def _plain(v: Any) -> Any:
    return str(v) if isinstance(v, Decimal) else v


def backup_model(db: Any, x: Model, profile_name: str, *, cap: int = BACKUP_CAP) -> Path:
    """Write the model row, its settings, snapshots and touchpoints to a replayable JSON file.

    Replay: insert each table's rows in `order` (they keep their ids). Read on the primary,
    touchpoints in batches by snapshot_id. Raises ValueError when more than `cap` rows.
    """
    from attribtui.infra.db import in_clause

    def rows(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: _plain(v) for k, v in r._mapping.items()}
                for r in db.read(sql, params, primary=True)]

    tables: dict[str, list[dict[str, Any]]] = {
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
            raise ValueError(f"the backup of {_label(x)} exceeds {cap} rows; raise the cap "
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


# -- running a plan ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened: responses as read back from the API, the log entry, the rebuild to run."""

    ok: bool
    message: str
    responses: list[dict[str, Any]] = field(default_factory=list)
    model_after: dict[str, Any] | None = None
    error: ApiError | Exception | None = None
    partial: bool = False  # an earlier step went through, a later one failed
    backup: Path | None = None
    rebuild_commands: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.ok:
            return 0
        if self.partial:
            return 2
        return getattr(self.error, "exit_code", 2)


def execute(action: ModelAction, client: V2Client, profile: Any, db: Any | None = None,
            *, cap: int = BACKUP_CAP) -> Outcome:
    """Send the steps in order (no retries for writes), then log and say what to rebuild.

    A delete backs up first; if the backup fails nothing is sent.
    """
    if action.refused or action.noop:
        raise ValueError("this action must not be executed: " + (action.refused or action.noop or ""))
    out = Outcome(False, "")
    if action.kind == "delete":
        assert action.model is not None
        try:
            out.backup = backup_model(db, action.model, profile.name, cap=cap)
        except Exception as e:  # noqa: BLE001 - DbError, OSError, the cap: nothing is deleted
            out.error, out.message = e, f"backup failed, nothing deleted: {e}"
            _log(action, profile, out)
            return out
    for i, step in enumerate(action.steps):
        try:
            data = client.call(step.method, step.path, json_body=step.body).data
        except ApiError as e:
            out.error, out.partial = e, i > 0
            done = " (the earlier steps went through)" if i else ""
            out.message = f"{step.method} failed{done}: {e}"
            _log(action, profile, out)
            return out
        out.responses.append({"request": step.shown, "response": data})
        if isinstance(data, dict):
            out.model_after = data
    out.ok = True
    out.message = _done_message(action, out)
    if action.rebuild:
        out.rebuild_commands = action.rebuild.commands(profile)
    _log(action, profile, out)
    return out


def _done_message(action: ModelAction, out: Outcome) -> str:
    x = out.model_after
    if action.kind == "delete" and action.model is not None:
        return f"deleted {_label(action.model)}; backup {out.backup}"
    if x:
        state = ("active" if x["is_active"] else "inactive") + (", default" if x["is_default"] else "")
        return f"model {x['model_id']} “{x['name']}” is now {state}, slug {x['slug']}"
    return "done"


def _log(action: ModelAction, profile: Any, out: Outcome) -> None:
    target = _label(action.model) if action.model else action.plan.title
    actionlog.record(
        f"models.{action.kind}", profile=profile, target=target,
        params={"requests": [s.shown for s in action.steps],
                "backup": str(out.backup) if out.backup else None},
        result={"ok": out.ok, "message": out.message, "responses": out.responses,
                "status": getattr(out.error, "status", None),
                "rebuild": out.rebuild_commands},
    )


def is_server_parse_failure(listing: ModelList) -> bool:
    """The API answered 500 and a row of the user explains it (facts section 8)."""
    return bool(listing.api_status and listing.api_status >= 500
                and any(x.problem for x in listing.models))


# -- audit panel and snapshots panel -------------------------------------------------------------

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
    metadata: Any
    created_at: int

    @property
    def meta_text(self) -> str:
        """Metadata as readable key=value pairs (JSON booleans as true/false)."""
        from attribtui.infra.redact import redact_value

        meta = redact_value(self.metadata)  # e.g. an export's webhook secret
        if isinstance(meta, dict):
            return "  ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}"
                             for k, v in meta.items())
        return "" if meta is None else str(meta)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "created_at_iso": clock.iso(self.created_at)}


def read_audit(db: Any, user_id: int, *, model_id: int | None = None, action: str | None = None,
               limit: int = AUDIT_LIMIT, primary: bool = False) -> list[AuditRow]:
    """Newest first, bounded by LIMIT and by audit_id (no time index on 202_attribution_audit)."""
    table = f"`{pt.attribution_audit.name}`"
    top = db.scalar(f"SELECT MAX(audit_id) FROM {table}", primary=primary) or 0
    where = ["audit_id > :floor", "user_id = :u"]
    params: dict[str, Any] = {"floor": max(0, int(top) - AUDIT_SPAN), "u": user_id}
    if model_id is not None:
        where.append("model_id = :m")
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
    for item in resp.data or []:
        h = int(item["date_hour"])
        p = by_hour.setdefault(h, SeriesPoint(h, 0, 0.0))
        p.conversions = (p.conversions or 0) + int(item["attributed_conversions"])
        p.revenue = round((p.revenue or 0.0) + float(item["attributed_revenue"]), 4)
    points = [by_hour.get(h, SeriesPoint(h, None, None)) for h in range(start, end + 1, 3600)]
    return Series(model_id, start, end, points)
