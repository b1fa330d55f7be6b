"""What a model request will do to every model of the user, derived from upstream's own rules.

The plan runs the request through prosper/v2models.py (createModel / updateModel as upstream does
them) and then promoteToDefault (docs/prosper202.md, "Defaults"): the rows after are compared
with the rows before, and every difference becomes one stated effect. So a confirmation cannot
say less than the API will do: a re-asserted default, the demotion of another model, a forced
re-activation, a recomputed slug, a user left with no default.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from attribtui.prosper.models import ModelRow
from attribtui.prosper.v2models import ModelObject, V2Error, v2_create, v2_update
from attribtui.vocab import JsonDict

FIELDS = ("is_active", "is_default", "name", "slug", "type", "weighting_config")


@dataclass(frozen=True)
class Change:
    """One field of one model that the request changes (model_id 0: the model a POST creates)."""

    model_id: int
    field: str  # one of FIELDS, or "created" / "deleted"
    before: object
    after: object

    def to_json(self) -> JsonDict:
        return {"model_id": self.model_id, "field": self.field, "before": self.before,
                "after": self.after}


def _row_of(obj: ModelObject) -> ModelRow:
    config = obj["weighting_config"]
    return ModelRow(obj["model_id"], obj["user_id"], obj["name"], obj["slug"], obj["type"],
                    json.dumps(config) if config else None, obj["is_active"], obj["is_default"],
                    obj["created_at"], obj["updated_at"])


def _promote(rows: list[ModelRow], saved: ModelRow) -> list[ModelRow]:
    """Replace the saved row; with is_default, demote every other model of the user
    (promoteToDefault: one transaction, updated_at untouched)."""
    out = []
    for r in rows:
        if r.model_id == saved.model_id:
            out.append(saved)
        elif saved.is_default and r.user_id == saved.user_id and r.is_default:
            out.append(replace(r, is_default=False))
        else:
            out.append(r)
    if all(r.model_id != saved.model_id for r in rows):
        out.append(saved)
    return out


def after_patch(rows: list[ModelRow], user_id: int, model_id: int, body: Mapping[str, object],
                now: int) -> list[ModelRow]:
    """The rows after PATCH /models/{id}; raises V2Error where upstream refuses it."""
    return _promote(rows, _row_of(v2_update(user_id, model_id, body, rows, now)))


def after_create(rows: list[ModelRow], user_id: int, body: Mapping[str, object],
                 now: int) -> list[ModelRow]:
    """The rows after POST /models; the new model has id 0 (the database assigns the real one)."""
    return _promote(rows, _row_of(v2_create(user_id, body, rows, now, next_id=0)))


def after_delete(rows: list[ModelRow], model_id: int) -> list[ModelRow]:
    return [r for r in rows if r.model_id != model_id]


def _value(r: ModelRow, name: str) -> object:
    if name == "weighting_config":
        return r.config if r.config else None
    return getattr(r, name)


def changes(before: Iterable[ModelRow], after: Iterable[ModelRow]) -> list[Change]:
    """Every field that differs, model by model (the same comparison the tests apply to the
    rows the API really left)."""
    old = {r.model_id: r for r in before}
    new = {r.model_id: r for r in after}
    out: list[Change] = []
    for model_id in sorted(old.keys() | new.keys()):
        a, b = old.get(model_id), new.get(model_id)
        if a is None and b is not None:
            out.append(Change(model_id, "created", None, b.slug))
        elif b is None and a is not None:
            out.append(Change(model_id, "deleted", a.slug, None))
        elif a is not None and b is not None:
            out += [Change(model_id, f, _value(a, f), _value(b, f)) for f in FIELDS
                    if _value(a, f) != _value(b, f)]
    return out


def defaults(rows: Iterable[ModelRow], user_id: int) -> list[int]:
    return [r.model_id for r in rows if r.user_id == user_id and r.is_default]


def refusal(error: V2Error) -> str:
    return f"Prosper202 would answer {'400' if error.failure.is_invalid_argument else '500'}: " \
        f"{error.message}"
