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
from attribtui.prosper.validation import slugify, unique_slug, validate_model_payload
from attribtui.services.actions import ActionPlan
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


def _request(client: V2Client, method: str, path: str, body: JsonDict | None) -> ApiRequest:
    return ApiRequest(method, path, body, client.describe(method, path, json_body=body))


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
        return f"{label(x)} keeps its slug {after} (every PATCH recomputes it; same result)."
    return (f"{label(x)}'s slug changes from {x.slug} to {after}: every PATCH recomputes it "
            "from the name; anything that refers to the old slug must be updated.")


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


def plan_activate(client: V2Client, listing: ModelList, x: Model,
                  now: int | None = None) -> ModelAction:
    now = clock.now() if now is None else now
    action = ModelAction("activate", ActionPlan(f"Activate {label(x)}"), model=x)
    if x.is_active:
        action.noop = f"{label(x)} is already active; nothing sent"
        return _finish(action, client)
    action.requests = [_request(client, "PATCH", f"/models/{x.model_id}", {"is_active": True})]
    action.plan.effects = [
        f"PATCH sets is_active true on {label(x)}; GET /models will list it again.",
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
    action = ModelAction("deactivate", ActionPlan(f"Deactivate {label(x)}"), model=x)
    action.no_rebuild = ("no rebuild needed: inactive models are not rebuilt; its snapshots stay "
                         "as they are")
    if not x.is_active and not x.is_default:
        action.noop = f"{label(x)} is already inactive; nothing sent"
        return _finish(action, client)
    effects = action.plan.effects
    if not x.is_default:
        action.requests = [_request(client, "PATCH", f"/models/{x.model_id}", {"is_active": False})]
        effects += [f"PATCH sets is_active false on {label(x)}; GET /models stops listing it.",
                    _slug_effect(x, slug_after_patch(x, listing, now=now))]
        return _finish(action, client)
    if new_default is not None:
        other = listing.get(new_default)
        if other is None or other.model_id == x.model_id or other.user_id != x.user_id:
            action.refused = (f"model {new_default} is not another model of user {x.user_id}; "
                              "pick the new default from the list")
            return _finish(action, client)
        action.requests = [
            _request(client, "PATCH", f"/models/{other.model_id}", {"is_default": True}),
            _request(client, "PATCH", f"/models/{x.model_id}", {"is_active": False}),
        ]
        other_slug = slug_after_patch(other, listing, now=now)
        effects += [
            f"1. PATCH makes {label(other)} the default: every other model of user "
            f"{x.user_id} is demoted, and it is forced active.",
            _slug_effect(other, other_slug),
            f"2. PATCH sets is_active false on {label(x)}, no longer the default.",
            _slug_effect(x, slug_after_patch(x, listing, now=now)),
        ]
        if not other.is_active:
            action.rebuild = _window_since(other, f"{label(other)} was inactive", now)
        return _finish(action, client)
    if no_default:
        action.requests = [_request(client, "PATCH", f"/models/{x.model_id}",
                              {"is_active": False, "is_default": False})]
        effects += [
            f"PATCH sets is_active false AND is_default false on {label(x)} (is_default must be "
            "sent, or Prosper202 re-promotes it and it stays active).",
            f"WARNING: user {x.user_id} will have NO default model afterwards (campaigns set to "
            "“Use Default Attribution Model” have none to use).",
            _slug_effect(x, slug_after_patch(x, listing, now=now)),
        ]
        return _finish(action, client)
    action.refused = (f"{label(x)} is the default: Prosper202 silently re-activates the default "
                      "on {\"is_active\": false}; pick a new default first (--new-default ID) or "
                      "clear it (--no-default: the user is then left with no default)")
    return _finish(action, client)


def plan_set_default(client: V2Client, listing: ModelList, x: Model,
                     now: int | None = None) -> ModelAction:
    now = clock.now() if now is None else now
    action = ModelAction("set-default", ActionPlan(f"Make {label(x)} the default"), model=x)
    if x.is_default:
        action.noop = f"{label(x)} is already the default; nothing sent"
        return _finish(action, client)
    action.requests = [_request(client, "PATCH", f"/models/{x.model_id}", {"is_default": True})]
    demoted = [o for o in listing.models if o.is_default and o.model_id != x.model_id]
    effects = action.plan.effects
    effects.append(f"PATCH sets is_default true on {label(x)}; Prosper202 first sets "
                   f"is_default 0 on EVERY model of user {x.user_id}.")
    effects += [f"{label(o)} stops being the default." for o in demoted] or [
        "No model is the default now, so none is demoted."]
    if not x.is_active:
        effects.append(f"{label(x)} is inactive and will be forced active.")
        action.rebuild = _window_since(x, "it was inactive; its snapshots are stale", now)
    else:
        action.no_rebuild = "no rebuild needed: the rebuild computes every active model alike"
    effects.append(_slug_effect(x, slug_after_patch(x, listing, now=now)))
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
    error = validate_model_payload(name, model_type, weighting)
    action.requests = [_request(client, "POST", "/models", body)]
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
                       + (f" ({', '.join(label(o) for o in demoted)})." if demoted else "."))
    if is_active or is_default:
        user = listing.user_id
        if user is not None:
            action.rebuild = _last_day(user, "a new model has no snapshots yet", now)
        effects.append("It has no snapshots until a rebuild covers its window.")
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
    effects = action.plan.effects
    effects.append(f"DELETE removes {label(x)} with its {counts['snapshots']} snapshot(s), "
                   f"{counts['touchpoints']} touchpoint credit(s) and {counts['settings']} "
                   f"settings row(s), in one transaction ({total} rows).")
    effects.append(f"First, all {total} rows are backed up to {backup_dir()} (replayable JSON).")
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
            effects.append(f"Its settings row for {scope} had DISABLED multi-touch{why}: removing "
                           "it re-enables multi-touch there (enabled by default), so the pixels "
                           "and the backfill write journeys for that scope again.")
    if x.is_default:
        effects.append(f"It is the default: user {x.user_id} will have NO default model.")
    effects.append("Exports, audit rows and campaigns' attribution_model_id are kept.")
    action.plan.effects.append(f"Type the model's name “{x.name}” to confirm ({total} rows go).")
    if total > cap:
        action.refused = (f"{total} rows exceed the backup cap of {cap}; raise it "
                          "(--backup-cap) to back them up, or keep the model (deactivate it)")
    return _finish(action, client)
