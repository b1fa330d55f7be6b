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
    """One user's models, newest first in the order upstream lists and hydrates them.

    Upstream orders by created_at DESC alone; on MariaDB ties come back by model_id ascending
    (filesort appends the primary key to the sort key; the longtext column rules out addon
    fields), checked by tools/conformance (rule model_order). The rebuild fails on the first
    unloadable row in this order, so it decides which error a user sees.
    """
    active = " AND is_active = 1" if active_only else ""
    order = "created_at DESC, model_id ASC" if newest_first else "model_id"
    rows = read(f"{_SELECT} WHERE user_id = :u{active} ORDER BY {order} LIMIT :n",
                {"u": user_id, "n": limit})
    return [ModelRow.from_mapping(dict(r._mapping)) for r in rows]
