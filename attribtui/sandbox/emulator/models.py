"""The model routes: list, create, update, delete, and the sandbox comparison over the models.

Every stored row is read through upstream's hydration (ModelDefinition::fromDatabaseRow): a type
outside the enum or a weighting_config that is not JSON is an uncaught error (Slim's 500); any
other problem is an InvalidArgumentException, a 400 with its message on the routes that catch it
(single-model routes) and a 500 on those that do not (the list, the sandbox). The list and the
sandbox hydrate only the user's active rows (and the list only those of ?type=), filtered in SQL
first, newest first. Slugs are recomputed on every PATCH and made unique by looking each candidate
up, which hydrates the row found; setting is_default demotes every other model of the user and
forces this one active; booleans are PHP `(bool)` casts, so `"false"` is true; a `null` name on
PATCH keeps the name (docs/prosper202.md §Models: object, list, validation, §Slugs, §Defaults,
§PATCH and DELETE, §How unparseable model rows fail).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from attribtui.infra import clock
from attribtui.prosper import tables as pt
from attribtui.prosper.models import ModelRow
from attribtui.prosper.php import php_int, php_is_numeric, php_string, php_trim
from attribtui.prosper.settings import SCOPE_TYPES
from attribtui.prosper.v2models import FindSlug, ModelObject, V2Error, v2_create, v2_update
from attribtui.prosper.validation import MODEL_TYPES
from attribtui.sandbox.emulator.http import BadRequest, Ids, Payload, Response, Unparseable, ok
from attribtui.sandbox.sql import inserted_id

MSG_NOT_FOUND = "Attribution model not found."
MSG_TYPE_FILTER = "Unknown model type filter provided."
MSG_SCOPE = "Invalid scope value."
SANDBOX_MESSAGE = ("Attribution sandbox scaffolding ready. Computation engine will populate "
                   "metrics in a subsequent iteration.")

m, s, tp, au = (pt.attribution_models, pt.attribution_snapshots, pt.attribution_touchpoints,
                pt.attribution_audit)


def model_object(model: ModelRow) -> ModelObject:
    """The v2 model object of a decoded row upstream can load."""
    return {
        "model_id": model.model_id, "user_id": model.user_id, "name": model.name,
        "slug": model.slug, "type": model.type, "is_active": model.is_active,
        "is_default": model.is_default, "created_at": model.created_at,
        "updated_at": model.updated_at, "weighting_config": model.config if model.config else [],
    }


def _loaded(model: ModelRow, *, caught: bool = True) -> ModelRow:
    """The row as upstream's hydration leaves it: an uncaught error (Unparseable) for a type
    outside the enum or a config that is not JSON, else the InvalidArgumentException (a 400
    where the route catches it, `caught`; Unparseable where it does not)."""
    failure = model.failure
    if failure is None:
        return model
    if failure.is_invalid_argument and caught:
        raise BadRequest(failure.message)
    raise Unparseable(failure.message)


def hydrate(row: Mapping[str, object]) -> ModelObject:
    """The v2 model object of a 202_attribution_models row (by column name); raises Unparseable
    where upstream's hydration fails."""
    return model_object(_loaded(ModelRow.from_mapping(row)))


def _active_models(conn: Connection, user_id: int, kind: str | None = None) -> list[ModelRow]:
    """findForUser(user, type, onlyActive): the active rows (of `kind`), newest first, each
    hydrated; any row upstream cannot load fails the whole request (uncaught: a 500)."""
    query = select(m).where(m.c.user_id == user_id, m.c.is_active == 1)
    if kind is not None:
        query = query.where(m.c.model_type == kind)
    rows = conn.execute(query.order_by(m.c.created_at.desc(), m.c.model_id.asc()))
    return [_loaded(ModelRow.from_mapping(dict(r._mapping)), caught=False) for r in rows]


def find_model(conn: Connection, user_id: int, model_id: int) -> ModelRow:
    """requireOwnedModel: the row is hydrated first (its error wins), then a missing or foreign
    model is a 400, never a 404."""
    row = conn.execute(select(m).where(m.c.model_id == model_id).limit(1)).first()
    if row is None:
        raise BadRequest(MSG_NOT_FOUND)
    model = _loaded(ModelRow.from_mapping(dict(row._mapping)))
    if model.user_id != user_id:
        raise BadRequest(MSG_NOT_FOUND)
    return model


def _slug_finder(conn: Connection, user_id: int) -> FindSlug:
    """findBySlug in SQL, so slugs compare in MariaDB's collation as upstream's do."""
    def find(slug: str) -> ModelRow | None:
        row = conn.execute(select(m).where(m.c.user_id == user_id, m.c.model_slug == slug)
                           .limit(1)).first()
        return None if row is None else ModelRow.from_mapping(dict(row._mapping))
    return find


def _v2(call: Callable[[], ModelObject]) -> ModelObject:
    """The rules' answer, or their Failure as upstream's route answers it: 400 for an
    InvalidArgumentException, Slim's 500 for anything else."""
    try:
        return call()
    except V2Error as e:
        if e.failure.is_invalid_argument:
            raise BadRequest(e.message) from None
        raise Unparseable(e.message) from None


def _values(obj: ModelObject) -> dict[str, object]:
    """The columns save() writes for a model object."""
    config = obj["weighting_config"]
    return {"model_name": obj["name"], "model_slug": obj["slug"], "model_type": obj["type"],
            "weighting_config": json.dumps(config) if config else None,
            "is_active": int(obj["is_active"]), "is_default": int(obj["is_default"]),
            "created_at": obj["created_at"], "updated_at": obj["updated_at"]}


def audit(conn: Connection, user_id: int, model_id: int | None, action: str,
          meta: Mapping[str, object], now: int) -> None:
    """One 202_attribution_audit row, as the API writes it."""
    conn.execute(insert(au).values(user_id=user_id, model_id=model_id, action=action,
                                   metadata=json.dumps(meta), created_at=now))


def _promote(conn: Connection, user_id: int, model_id: int) -> None:
    """promoteToDefault: demote every model of the user, then this one, forced active
    (updated_at untouched)."""
    conn.execute(update(m).where(m.c.user_id == user_id).values(is_default=0))
    conn.execute(update(m).where(m.c.model_id == model_id).values(is_default=1, is_active=1))


def _object(conn: Connection, model_id: int) -> ModelObject:
    return hydrate(dict(conn.execute(select(m).where(m.c.model_id == model_id)).one()._mapping))


def list_models(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    kind = php_string(p["type"]) if "type" in p else ""
    if kind != "" and kind not in MODEL_TYPES:
        raise BadRequest(MSG_TYPE_FILTER)
    return ok([model_object(x) for x in _active_models(conn, user_id, kind or None)])


def create_model(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    """AttributionService::createModel (prosper/v2models.py), then save and promoteToDefault."""
    now = clock.now()
    obj = _v2(lambda: v2_create(user_id, p, [], now, 0, _slug_finder(conn, user_id)))
    model_id = inserted_id(conn.execute(insert(m).values(user_id=user_id, **_values(obj))))
    if obj["is_default"]:
        _promote(conn, user_id, model_id)
    saved = _object(conn, model_id)  # re-read: MariaDB (sql_mode '') may have cut the name
    audit(conn, user_id, model_id, "model_create",
          {"name": saved["name"], "slug": saved["slug"], "type": saved["type"]}, now)
    return ok(saved, 201)


def update_model(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    """AttributionService::updateModel (prosper/v2models.py): the row is hydrated first, absent
    keys (and a null name) keep their values, the slug is always recomputed."""
    model_id = php_int(ids["id"])
    row = conn.execute(select(m).where(m.c.model_id == model_id).limit(1)).first()
    rows = [] if row is None else [ModelRow.from_mapping(dict(row._mapping))]
    now = clock.now()
    obj = _v2(lambda: v2_update(user_id, model_id, p, rows, now, _slug_finder(conn, user_id)))
    conn.execute(update(m).where(m.c.model_id == obj["model_id"]).values(**_values(obj)))
    if obj["is_default"]:
        _promote(conn, user_id, obj["model_id"])
    saved = _object(conn, obj["model_id"])
    audit(conn, user_id, obj["model_id"], "model_update", {
        "name": saved["name"], "slug": saved["slug"], "type": saved["type"],
        "is_active": saved["is_active"], "is_default": saved["is_default"]}, now)
    return ok(saved)


def delete_model(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    """The model with its snapshots, their credits and its settings rows; audit rows stay."""
    row = find_model(conn, user_id, php_int(ids["id"]))
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
    """The sandbox comparison stub: the active models whose slug ?models= lists (none without
    it), keyed as PHP's array_filter leaves them, and no comparisons."""
    scope = php_string(p["scope"]) if "scope" in p else "global"
    if scope not in SCOPE_TYPES:
        raise BadRequest(MSG_SCOPE)
    raw_id = p.get("scope_id")
    scope_id = php_int(raw_id) if php_is_numeric(raw_id) else None
    now = clock.now()
    start = php_int(p["start_hour"]) if "start_hour" in p else now
    end = php_int(p["end_hour"]) if "end_hour" in p else now
    wanted = [php_trim(x) for x in php_string(p.get("models")).split(",")]
    wanted = [x for x in wanted if x not in ("", "0")]
    kept = {i: model_object(x) for i, x in enumerate(_active_models(conn, user_id))
            if x.slug in wanted}
    models: object = (list(kept.values()) if list(kept) == list(range(len(kept)))
                      else {str(i): x for i, x in kept.items()})
    return ok({"models": models, "summary": {"message": SANDBOX_MESSAGE, "scope": scope,
                                             "scope_id": scope_id, "start_hour": start,
                                             "end_hour": end}, "comparisons": []})
