"""Every model change as a plan: the requests, their effects, and the rebuild it calls for.

The v2 traps are defused here (docs/prosper202.md, "v2 API"): every PATCH recomputes the slug,
so each plan states the slug the model will have; setting a default demotes every other model of
the user and forces this one active; `{"is_active": false}` on the default is silently undone, so
deactivating it needs a new default first or an explicit `is_default: false`; DELETE takes the
snapshots, touchpoints and settings rows with it, and removed settings rows re-enable
multi-touch where they had disabled it. Validation uses the server's own rules and messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from attribtui.infra import clock
from attribtui.infra.api import V2Client
from attribtui.infra.config import Profile
from attribtui.infra.db import Database
from attribtui.prosper import hours, scripts
from attribtui.prosper.models import ModelRow
from attribtui.prosper.v2models import V2Error
from attribtui.prosper.validation import php_float, php_int, php_is_numeric, slugify, unique_slug
from attribtui.services.actions import ActionPlan
from attribtui.services.models import effects
from attribtui.services.models.backup import BACKUP_CAP, backup_dir, delete_counts
from attribtui.services.models.listing import Model, ModelList, label
from attribtui.vocab import JsonDict

REBUILD_MAX_BACK = 7 * hours.DAY  # how far back a re-activated model's stale snapshots are rebuilt


@dataclass
class ApiRequest:
    """One request the action sends, in order."""

    method: str
    path: str
    body: JsonDict | None
    shown: str  # the exact request, key redacted


@dataclass
class RebuildWindow:
    user_id: int
    start: int  # H0, a whole hour
    end: int  # H1 - 1
    why: str

    def commands(self, profile: Profile | None = None) -> list[str]:
        """The rebuild in hour-aligned runs of at most 24 h (`--start=H0 --end=H1-1`): as the
        profile's php runner would start it, else as `attribtui run rebuild`."""
        windows = hours.chunks(self.start, self.end)
        if profile is not None and profile.jobs.runner == "php":
            root = str(profile.jobs.prosper_root) if profile.jobs.prosper_root else None
            return [scripts.command("rebuild", php=profile.jobs.php, root=root, start=s, end=e,
                                    user=self.user_id) for s, e in windows]
        return [" ".join(["attribtui run rebuild",
                          *scripts.flags("rebuild", start=s, end=e, user=self.user_id)])
                for s, e in windows]


@dataclass
class ModelAction:
    kind: str  # activate, deactivate, set-default, create, update, delete
    plan: ActionPlan
    requests: list[ApiRequest] = field(default_factory=list)
    model: Model | None = None
    refused: str | None = None  # why nothing may be sent (validation, the default trap)
    server_message: str | None = None  # the exact v2 message when validation refused it
    noop: str | None = None  # nothing to do (already active, already default)
    rebuild: RebuildWindow | None = None
    no_rebuild: str = ""  # why no rebuild is needed
    delete_counts: dict[str, int] | None = None
    reenabled: list[str] = field(default_factory=list)
    changes: list[effects.Change] = field(default_factory=list)  # what the API will change


def _request(client: V2Client, method: str, path: str, body: JsonDict | None) -> ApiRequest:
    return ApiRequest(method, path, body, client.describe(method, path, json_body=body))


def _taken(listing: ModelList, user_id: int | None = None) -> set[str]:
    return {x.slug for x in listing.models if user_id is None or x.user_id == user_id}


def _rows(listing: ModelList, user_id: int) -> list[ModelRow]:
    return [x.as_row() for x in listing.models if x.user_id == user_id]


def slug_after_patch(x: Model, listing: ModelList, *, name: str | None = None,
                     slug: str | None = None, now: int | None = None) -> str:
    """The slug Prosper202 will give x on this PATCH: recomputed from `slug` or the name."""
    now = clock.now() if now is None else now
    base = slugify(slug or name or x.name, now)
    return unique_slug(base, _taken(listing, x.user_id), current=x.slug)


def _finish(action: ModelAction, client: V2Client) -> ModelAction:
    action.plan.request = "\n".join(r.shown for r in action.requests)
    if action.refused:
        action.plan.effects.insert(0, f"REFUSED, nothing will be sent: {action.refused}")
    return action


def _window_since(x: Model, why: str, now: int) -> RebuildWindow:
    """Snapshots of a model that was inactive since updated_at are stale (never rebuilt)."""
    end_hour = clock.hour(now)
    start = max(clock.hour(x.updated_at), end_hour - REBUILD_MAX_BACK)
    if start >= end_hour:
        start = end_hour - hours.DAY
    return RebuildWindow(x.user_id, start, end_hour - 1, why)


def _last_day(user_id: int, why: str, now: int) -> RebuildWindow:
    end_hour = clock.hour(now)
    return RebuildWindow(user_id, end_hour - hours.DAY, end_hour - 1, why)


def _simulate(action: ModelAction, listing: ModelList, user_id: int, now: int) -> bool:
    """Run the action's requests through upstream's rules over the user's rows; state every
    difference as an effect, and the rebuild it calls for. False when upstream refuses."""
    before = _rows(listing, user_id)
    after = before
    try:
        for req in action.requests:
            if req.method == "POST":
                after = effects.after_create(after, user_id, req.body or {}, now)
            elif req.method == "PATCH":
                target = int(req.path.rsplit("/", 1)[1])
                after = effects.after_patch(after, user_id, target, req.body or {}, now)
            else:
                after = effects.after_delete(after, int(req.path.rsplit("/", 1)[1]))
    except V2Error as e:
        action.refused, action.server_message = effects.refusal(e), e.message
        x = action.model
        if x is not None and x.problem:
            action.refused += ("; v2 loads the row first and cannot repair it: fix it through "
                               "v3 (see `attribtui check --only models`)")
        return False
    action.changes = effects.changes(before, after)
    action.plan.effects += _effect_lines(action, listing, before, after, user_id)
    _rebuild(action, listing, user_id, now)
    return True


def _name_of(listing: ModelList, model_id: int, after: list[ModelRow]) -> str:
    x = listing.get(model_id) if model_id else None
    if x is not None:
        return label(x)
    row = next((r for r in after if r.model_id == model_id), None)
    return f"the new model “{row.name}”" if row else f"model {model_id}"


def _effect_lines(action: ModelAction, listing: ModelList, before: list[ModelRow],
                  after: list[ModelRow], user_id: int) -> list[str]:
    """One sentence per change, then the user's default afterwards."""
    lines: list[str] = []
    patched = {int(r.path.rsplit("/", 1)[1]) for r in action.requests if r.method == "PATCH"}
    sent_default = any(r.body and "is_default" in r.body for r in action.requests)
    new_default = next((r.model_id for r in after if r.is_default
                        and (r.model_id in patched or r.model_id == 0)), None)
    old = {r.model_id: r for r in before}
    # the models the requests name first, then the ones they change on the side
    for c in sorted(action.changes, key=lambda c: c.model_id not in patched | {0}):
        who = _name_of(listing, c.model_id, after)
        if c.field == "created":
            row = next(r for r in after if r.model_id == 0)
            state = "active" if row.is_active else "inactive"
            lines.append(f"POST creates {who} with slug {row.slug}, {state}"
                         f"{', the default' if row.is_default else ''}.")
        elif c.field == "deleted":
            continue  # plan_delete states what goes with it
        elif c.field == "is_active" and c.after:
            forced = "" if any(r.body and r.body.get("is_active") is True
                               for r in action.requests) else \
                " (forced active: Prosper202 keeps the default active)"
            lines.append(f"{who} becomes ACTIVE{forced}; GET /models lists it again.")
        elif c.field == "is_active":
            lines.append(f"{who} becomes INACTIVE; GET /models stops listing it and the "
                         "rebuild skips it.")
        elif c.field == "is_default" and c.after:
            lines.append(f"{who} becomes the default of user {user_id}.")
        elif c.field == "is_default" and c.model_id in patched and sent_default:
            lines.append(f"{who} is no longer the default.")
        elif c.field == "is_default":
            by = f" when {_name_of(listing, new_default, after)} is promoted" if new_default \
                is not None else ""
            lines.append(f"{who} stops being the default{by}: Prosper202 sets is_default 0 on "
                         f"every other model of user {user_id}.")
        elif c.field == "slug":
            lines.append(f"{who}'s slug changes from {c.before} to {c.after}: every PATCH "
                         "recomputes it from the name; anything that refers to the old slug "
                         "must be updated.")
        elif c.field == "name":
            lines.append(f"{who} is renamed to “{c.after}”.")
        elif c.field == "weighting_config":
            lines.append(f"{who}'s weighting_config becomes {json.dumps(c.after or {})}.")
    for model_id in sorted(patched):
        was = old.get(model_id)
        if was is None:
            continue
        who = _name_of(listing, model_id, after)
        if not any(c.model_id == model_id and c.field == "slug" for c in action.changes):
            lines.append(f"{who} keeps its slug {was.slug} (every PATCH recomputes it; same "
                         "result).")
        if was.is_default and not sent_default:
            lines.append(f"{who} is flagged default, and a PATCH without is_default keeps it: "
                         "Prosper202 re-asserts it (promoteToDefault), which demotes every other "
                         f"model of user {user_id} and forces this one active.")
    lines += _default_lines(before, after, user_id)
    return lines


def _default_lines(before: list[ModelRow], after: list[ModelRow], user_id: int) -> list[str]:
    was, now_ = effects.defaults(before, user_id), effects.defaults(after, user_id)
    if not now_ and was:
        return [f"WARNING: user {user_id} will have NO default model afterwards (campaigns set "
                "to “Use Default Attribution Model” have none to use)."]
    if not now_:
        return [f"User {user_id} has no default model, before and after."]
    if not was:
        which = "the new model" if now_[0] == 0 else f"model {now_[0]}"
        return [f"User {user_id} has no default model now; afterwards {which} is."]
    if len(was) > 1 and len(now_) == 1:
        return [f"User {user_id} goes from {len(was)} defaults to one."]
    return []


def _rebuild(action: ModelAction, listing: ModelList, user_id: int, now: int) -> None:
    """Stale snapshots of a model that becomes active, a new active model, new credits."""
    windows: list[RebuildWindow] = []
    for c in action.changes:
        x = listing.get(c.model_id) if c.model_id else None
        if c.field == "is_active" and c.after and x is not None:
            windows.append(_window_since(x, f"{label(x)} was inactive; its snapshots are stale",
                                         now))
        elif c.field == "created" and any(r.method == "POST" and r.body and (
                r.body.get("is_active") or r.body.get("is_default")) for r in action.requests):
            windows.append(_last_day(user_id, "a new model has no snapshots yet", now))
        elif c.field == "weighting_config" and x is not None and x.is_active:
            windows.append(_last_day(user_id, "credits change with the weighting", now))
    if windows:
        start = min(w.start for w in windows)
        why = "; ".join(dict.fromkeys(w.why for w in windows))
        action.rebuild = RebuildWindow(user_id, start, windows[0].end, why)
        action.plan.effects.append(f"Rebuild needed: {why}.")
        return
    if not action.no_rebuild:
        action.no_rebuild = ("no rebuild needed: no model becomes active and no weighting "
                             "changes (the rebuild computes every active model alike)")
    action.plan.effects.append(action.no_rebuild[0].upper() + action.no_rebuild[1:] + ".")


def plan_activate(client: V2Client, listing: ModelList, x: Model,
                  now: int | None = None) -> ModelAction:
    now = clock.now() if now is None else now
    action = ModelAction("activate", ActionPlan(f"Activate {label(x)}"), model=x)
    if x.is_active:
        action.noop = f"{label(x)} is already active; nothing sent"
        return _finish(action, client)
    action.requests = [_request(client, "PATCH", f"/models/{x.model_id}", {"is_active": True})]
    _simulate(action, listing, x.user_id, now)
    return _finish(action, client)


def plan_deactivate(client: V2Client, listing: ModelList, x: Model, *,
                    new_default: int | None = None, no_default: bool = False,
                    now: int | None = None) -> ModelAction:
    """Deactivating the default is the v2 trap: pick a new default first, or clear it explicitly."""
    now = clock.now() if now is None else now
    action = ModelAction("deactivate", ActionPlan(f"Deactivate {label(x)}"), model=x)
    action.no_rebuild = ("no rebuild needed: inactive models are not rebuilt; its snapshots stay "
                         "as they are")
    if not x.is_active and not x.is_default:
        action.noop = f"{label(x)} is already inactive; nothing sent"
        return _finish(action, client)
    if not x.is_default:
        action.requests = [_request(client, "PATCH", f"/models/{x.model_id}", {"is_active": False})]
    elif new_default is not None:
        other = listing.get(new_default)
        if other is None or other.model_id == x.model_id or other.user_id != x.user_id:
            action.refused = (f"model {new_default} is not another model of user {x.user_id}; "
                              "pick the new default from the list")
            return _finish(action, client)
        action.requests = [
            _request(client, "PATCH", f"/models/{other.model_id}", {"is_default": True}),
            _request(client, "PATCH", f"/models/{x.model_id}", {"is_active": False}),
        ]
        action.plan.effects.append(f"Two PATCHes, in order: the first makes {label(other)} the "
                                   f"default, the second deactivates {label(x)}.")
    elif no_default:
        action.requests = [_request(client, "PATCH", f"/models/{x.model_id}",
                                    {"is_active": False, "is_default": False})]
        action.plan.effects.append(
            f"PATCH sends is_active false AND is_default false on {label(x)} (is_default must be "
            "sent, or Prosper202 re-promotes it and it stays active).")
    else:
        action.refused = (f"{label(x)} is the default: Prosper202 silently re-activates the "
                          "default on {\"is_active\": false}; pick a new default first "
                          "(--new-default ID) or clear it (--no-default: the user is then left "
                          "with no default)")
        return _finish(action, client)
    _simulate(action, listing, x.user_id, now)
    return _finish(action, client)


def plan_set_default(client: V2Client, listing: ModelList, x: Model,
                     now: int | None = None) -> ModelAction:
    now = clock.now() if now is None else now
    action = ModelAction("set-default", ActionPlan(f"Make {label(x)} the default"), model=x)
    if x.is_default and len(listing.defaults_of(x.user_id)) == 1 and x.is_active:
        action.noop = f"{label(x)} is already the default; nothing sent"
        return _finish(action, client)
    action.requests = [_request(client, "PATCH", f"/models/{x.model_id}", {"is_default": True})]
    _simulate(action, listing, x.user_id, now)
    return _finish(action, client)


def weighting_from_fields(model_type: str, *, half_life: object = None, first: object = None,
                          last: object = None) -> JsonDict | None:
    """The weighting_config a form or flags describe, for the type's own fields only."""
    def number(v: object) -> object:
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


def weighting_note(model_type: str, weighting: object) -> str:
    """What upstream makes of a weighting it accepts but reads differently from how it is
    written: a fractional half_life_hours is cast to whole hours ((int), prosper/credit.py)."""
    if model_type != "time_decay" or not isinstance(weighting, dict):
        return ""
    value = weighting.get("half_life_hours")
    if not php_is_numeric(value) or php_float(value) == php_int(value):
        return ""
    return (f"Prosper202 accepts half_life_hours {value} but credits with {php_int(value)} h: "
            "it reads the value as whole hours")


def plan_create(client: V2Client, listing: ModelList, *, name: str, model_type: str,
                weighting: object = None, slug: str | None = None, is_default: bool = False,
                is_active: bool = True, now: int | None = None) -> ModelAction:
    now = clock.now() if now is None else now
    action = ModelAction("create", ActionPlan(f"Create model “{name.strip()}” ({model_type})"))
    body: JsonDict = {"name": name, "type": model_type}
    if weighting is not None:
        body["weighting_config"] = weighting
    if slug:
        body["slug"] = slug
    # Send booleans as JSON booleans: "false" would be (bool) true in PHP.
    body["is_active"], body["is_default"] = bool(is_active), bool(is_default)
    action.requests = [_request(client, "POST", "/models", body)]
    if listing.user_id is None:
        action.refused = "whose model it would be is unknown: set api.user_id in the profile"
        return _finish(action, client)
    if _simulate(action, listing, listing.user_id, now) and (is_active or is_default):
        action.plan.effects.append("It has no snapshots until a rebuild covers its window.")
    if note := weighting_note(model_type, weighting):
        action.plan.effects.append(note + ".")
    return _finish(action, client)


def plan_update(client: V2Client, listing: ModelList, x: Model, *, name: str | None = None,
                weighting: object = None, clear_weighting: bool = False, slug: str | None = None,
                now: int | None = None) -> ModelAction:
    """Edit name and/or weighting; validated as the server will (merged with current values)."""
    now = clock.now() if now is None else now
    action = ModelAction("update", ActionPlan(f"Edit {label(x)}"), model=x)
    body: JsonDict = {}
    if name is not None and name != x.name:
        body["name"] = name
    if clear_weighting:
        body["weighting_config"] = {}
    elif weighting is not None and weighting != x.weighting_config:
        body["weighting_config"] = weighting
    if slug:
        body["slug"] = slug
    if not body:
        action.noop = f"nothing to change on {label(x)}; nothing sent"
        return _finish(action, client)
    action.requests = [_request(client, "PATCH", f"/models/{x.model_id}", body)]
    if _simulate(action, listing, x.user_id, now) and action.rebuild:
        action.plan.effects.append("Existing snapshots keep the old credits until rebuilt; "
                                   "older windows are not recomputed unless you rebuild them too.")
    if note := weighting_note(x.type, body.get("weighting_config")):
        action.plan.effects.append(note + ".")
    return _finish(action, client)


def plan_delete(client: V2Client, listing: ModelList, x: Model, db: Database | None, *,
                cap: int = BACKUP_CAP) -> ModelAction:
    action = ModelAction("delete", ActionPlan(f"Delete {label(x)}", destructive=True,
                                              typed=x.name), model=x)
    action.requests = [_request(client, "DELETE", f"/models/{x.model_id}", None)]
    action.no_rebuild = "no rebuild needed: its snapshots are gone with it"
    if db is None:
        action.refused = ("a delete needs the database to back up what goes with the model; "
                          "set db.url for this profile")
        return _finish(action, client)
    counts, settings = delete_counts(db, x.model_id)
    action.delete_counts = counts
    total = sum(counts.values())
    lines = action.plan.effects
    lines.append(f"DELETE removes {label(x)} with its {counts['snapshots']} snapshot(s), "
                   f"{counts['touchpoints']} touchpoint credit(s) and {counts['settings']} "
                   f"settings row(s), in one transaction ({total} rows).")
    lines.append(f"First, all {total} rows are backed up to {backup_dir()} (replayable JSON).")
    for srow in settings:
        scope = srow["scope_type"] + (f":{srow['scope_id']}" if srow["scope_id"] is not None else "")
        # The 1.9.56 layout has no multi_touch_enabled: Prosper202 reads its rows as disabled.
        old_layout = "multi_touch_enabled" not in srow
        read_off = (srow["scope_type"] in ("global", "advertiser", "campaign") if old_layout
                    else not srow["multi_touch_enabled"])
        if read_off:
            action.reenabled.append(scope)
            why = (" (202_attribution_settings is in the 1.9.56 layout, so Prosper202 reads "
                   "every row as disabled)" if old_layout else "")
            lines.append(f"Its settings row for {scope} had DISABLED multi-touch{why}: removing "
                           "it re-enables multi-touch there (enabled by default), so the pixels "
                           "and the backfill write journeys for that scope again.")
    lines.append("Exports, audit rows and campaigns' attribution_model_id are kept.")
    _simulate(action, listing, x.user_id, clock.now())
    action.plan.effects.append(f"Type the model's name “{x.name}” to confirm ({total} rows go).")
    if total > cap:
        action.refused = (f"{total} rows exceed the backup cap of {cap}; raise it "
                          "(--backup-cap) to back them up, or keep the model (deactivate it)")
    return _finish(action, client)
