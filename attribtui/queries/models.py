"""Rows of 202_attribution_models, decoded by prosper/models.py (bounded by LIMIT)."""

from __future__ import annotations

from attribtui.infra.db import Read
from attribtui.prosper import tables as pt
from attribtui.prosper.models import COLUMNS, ModelRow

_SELECT = f"SELECT {', '.join(COLUMNS)} FROM `{pt.attribution_models.name}`"


def all_models(read: Read, limit: int) -> list[ModelRow]:
    """Every user's models, by model_id."""
    rows = read(f"{_SELECT} ORDER BY model_id LIMIT :n", {"n": limit})
    return [ModelRow.from_mapping(dict(r._mapping)) for r in rows]


def user_models(read: Read, user_id: int, limit: int, *, active_only: bool = False,
                newest_first: bool = True) -> list[ModelRow]:
    """One user's models (KEY model_slug_user), newest first as upstream lists them."""
    active = " AND is_active = 1" if active_only else ""
    order = "created_at DESC, model_id DESC" if newest_first else "model_id"
    rows = read(f"{_SELECT} WHERE user_id = :u{active} ORDER BY {order} LIMIT :n",
                {"u": user_id, "n": limit})
    return [ModelRow.from_mapping(dict(r._mapping)) for r in rows]
