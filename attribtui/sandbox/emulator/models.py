"""The model routes: list, create, update, delete, and the sandbox comparison over the models.

Slugs are recomputed on every PATCH; setting is_default demotes every other model of the user and
forces this one active, so `{"is_active": false}` on the default is undone; booleans are PHP
`(bool)` casts, so `"false"` is true. A model row the engine cannot parse (a v3-only type such as
`linear`, or an empty config on a type that needs one) makes the model routes for that user answer
500 (docs/prosper202.md §Models: object, list, validation, §Slugs, §Defaults, §PATCH and DELETE,
§How unparseable model rows fail).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TypedDict

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from attribtui.infra import clock
from attribtui.prosper import tables as pt
from attribtui.prosper.models import ModelRow
from attribtui.prosper.validation import (
    MODEL_TYPES,
    parse_weighting_json,
    php_bool,
    slugify,
    unique_slug,
    validate_model_payload,
)
from attribtui.sandbox.emulator.http import BadRequest, Ids, Payload, Response, Unparseable, ok
from attribtui.sandbox.sql import inserted_id

MSG_NOT_FOUND = "Attribution model not found."
MSG_TYPE_FILTER = "Unknown model type filter provided."

m, s, tp, au = (pt.attribution_models, pt.attribution_snapshots, pt.attribution_touchpoints,
                pt.attribution_audit)


class ModelObject(TypedDict):
    """The v2 model object."""

    model_id: int
    user_id: int
    name: str
    slug: str
    type: str
    is_active: bool
    is_default: bool
    created_at: int
    updated_at: int
    weighting_config: object  # the decoded config, or [] (PHP's empty array) when none


def model_object(model: ModelRow) -> ModelObject:
    """The v2 model object of a decoded row upstream can load."""
    return {
        "model_id": model.model_id, "user_id": model.user_id, "name": model.name,
        "slug": model.slug, "type": model.type, "is_active": model.is_active,
        "is_default": model.is_default, "created_at": model.created_at,
        "updated_at": model.updated_at, "weighting_config": model.config if model.config else [],
    }


def _loaded(model: ModelRow) -> ModelRow:
    """The row, or Unparseable where upstream's hydration fails."""
    if model.problem:
        raise Unparseable(model.problem)
    return model


def hydrate(row: Mapping[str, object]) -> ModelObject:
    """The v2 model object of a 202_attribution_models row (by column name); raises Unparseable
    where upstream's hydration fails."""
    return model_object(_loaded(ModelRow.from_mapping(row)))


def _config_column(config: object) -> str | None:
    return json.dumps(config) if config else None


def _user_models(conn: Connection, user_id: int) -> list[ModelRow]:
    """Every model of the user, newest first, decoded (not yet checked)."""
    return [ModelRow.from_mapping(dict(r._mapping)) for r in conn.execute(
        select(m).where(m.c.user_id == user_id)
        .order_by(m.c.created_at.desc(), m.c.model_id.desc()))]


def find_model(conn: Connection, user_id: int, model_id: int) -> ModelRow:
    """The user's model (a missing or foreign model is a 400, never a 404); Unparseable when
    upstream could not load it."""
    row = conn.execute(select(m).where(m.c.model_id == model_id)).first()
    if row is None or int(row.user_id) != user_id:
        raise BadRequest(MSG_NOT_FOUND)
    return _loaded(ModelRow.from_mapping(dict(row._mapping)))


def _object(conn: Connection, model_id: int) -> ModelObject:
    return hydrate(dict(conn.execute(select(m).where(m.c.model_id == model_id)).one()._mapping))


def audit(conn: Connection, user_id: int, model_id: int | None, action: str,
          meta: Mapping[str, object], now: int) -> None:
    """One 202_attribution_audit row, as the API writes it."""
    conn.execute(insert(au).values(user_id=user_id, model_id=model_id, action=action,
                                   metadata=json.dumps(meta), created_at=now))


def _promote(conn: Connection, user_id: int, model_id: int, now: int) -> None:
    """set is_default: demote every model of the user, then promote this one, forced active."""
    conn.execute(update(m).where(m.c.user_id == user_id).values(is_default=0))
    conn.execute(update(m).where(m.c.model_id == model_id)
                 .values(is_default=1, is_active=1, updated_at=now))


def list_models(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    kind = p.get("type")
    if kind not in (None, "") and kind not in MODEL_TYPES:
        raise BadRequest(MSG_TYPE_FILTER)
    models = [model_object(_loaded(x)) for x in _user_models(conn, user_id)]  # one bad row fails all
    return ok([x for x in models if x["is_active"] and (not kind or x["type"] == kind)])


def create_model(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    name, kind, config = p.get("name"), p.get("type"), p.get("weighting_config")
    error = validate_model_payload(name, kind, config)
    if error:
        raise BadRequest(error)
    now = clock.now()
    name, kind = str(name).strip(), str(kind).lower()
    taken = {x.slug for x in _user_models(conn, user_id)}
    slug = unique_slug(slugify(str(p.get("slug") or "") or name, now), taken)
    is_active = php_bool(p.get("is_active", True))
    is_default = php_bool(p.get("is_default", False))
    model_id = inserted_id(conn.execute(insert(m).values(
        user_id=user_id, model_name=name, model_slug=slug, model_type=kind,
        weighting_config=_config_column(config), is_active=int(is_active),
        is_default=0, created_at=now, updated_at=now)))
    if is_default:
        _promote(conn, user_id, model_id, now)
    audit(conn, user_id, model_id, "model_create", {"name": name, "slug": slug, "type": kind}, now)
    return ok(_object(conn, model_id), 201)


def update_model(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    row = find_model(conn, user_id, int(ids["id"]))
    current, _ = parse_weighting_json(row.weighting_config)
    name = p.get("name", row.name)
    kind = p.get("type", row.type)
    config = p.get("weighting_config", current)
    error = validate_model_payload(name, kind, config)
    if error:
        raise BadRequest(error)
    now = clock.now()
    name, kind = str(name).strip(), str(kind).lower()
    taken = {x.slug for x in _user_models(conn, user_id)}
    slug = unique_slug(slugify(str(p.get("slug") or "") or name, now), taken,
                       current=row.slug)
    is_active = php_bool(p["is_active"]) if "is_active" in p else row.is_active
    is_default = php_bool(p["is_default"]) if "is_default" in p else row.is_default
    conn.execute(update(m).where(m.c.model_id == row.model_id).values(
        model_name=name, model_slug=slug, model_type=kind,
        weighting_config=_config_column(config), is_active=int(is_active),
        is_default=int(is_default), updated_at=now))
    if is_default:
        _promote(conn, user_id, row.model_id, now)
    after = _object(conn, row.model_id)
    audit(conn, user_id, row.model_id, "model_update", {
        "name": after["name"], "slug": after["slug"], "type": after["type"],
        "is_active": after["is_active"], "is_default": after["is_default"]}, now)
    return ok(after)


def delete_model(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    """The model with its snapshots, their credits and its settings rows; audit rows stay."""
    row = find_model(conn, user_id, int(ids["id"]))
    snapshot_ids = select(s.c.snapshot_id).where(s.c.model_id == row.model_id)
    conn.execute(delete(tp).where(tp.c.snapshot_id.in_(snapshot_ids)))
    conn.execute(delete(s).where(s.c.model_id == row.model_id))
    conn.execute(delete(pt.attribution_settings)
                 .where(pt.attribution_settings.c.model_id == row.model_id))
    conn.execute(delete(m).where(m.c.model_id == row.model_id))
    audit(conn, user_id, row.model_id, "model_delete",
          {"name": row.name, "slug": row.slug}, clock.now())
    return Response(204)


def sandbox(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    """The sandbox comparison stub: the chosen active models (all of them without ?models=) and
    no comparisons."""
    wanted = [x for x in str(p.get("models") or "").split(",") if x]
    models = [model_object(_loaded(x)) for x in _user_models(conn, user_id)]
    chosen = [x for x in models if x["is_active"] and (not wanted or x["slug"] in wanted)]
    return ok({"models": chosen, "summary": {"message": "Sandbox comparison is a stub.",
                                             "models": len(chosen)}, "comparisons": []})
