"""What the seeded story is made of: the fixed cast, the click and conversion records, the rows.

The cast (users, their models, ad accounts, landing pages, API permissions) is the same in every
sandbox; story.py draws clicks and conversions around it and replay.py what the crons made of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeAlias

from attribtui.prosper.hours import DAY
from attribtui.prosper.journey import Touch

Row: TypeAlias = dict[str, object]  # one row to insert: column name -> value
TableRows: TypeAlias = dict[str, list[Row]]  # table name -> its rows, in insert order

MODELS_AGE = 8 * DAY  # the models were created this long before now
CLICK_DAYS = 10  # clicks span the last 10 days
CONVERSION_DAYS = 7  # conversions the last 7


@dataclass(frozen=True)
class ModelSpec:
    user_id: int
    name: str
    slug: str
    type: str
    config: dict[str, float] | None
    active: bool
    default: bool


MODELS = [
    ModelSpec(1, "Last Touch Attribution", "last-touch-default", "last_touch", None, True, True),
    ModelSpec(1, "Time Decay 48h", "time-decay-48h", "time_decay", {"half_life_hours": 48},
              True, False),
    ModelSpec(1, "Position 40/40", "position-40-40", "position_based",
              {"first_touch_weight": 0.4, "last_touch_weight": 0.4}, True, False),
    ModelSpec(1, "Assisted", "assisted", "assisted", None, False, False),
    ModelSpec(2, "Last Touch Attribution", "last-touch-default", "last_touch", None, True, True),
    ModelSpec(2, "Time Decay 24h", "time-decay-24h", "time_decay", {"half_life_hours": 24},
              True, False),
]
# (user_id, user_name, user_deleted): user 3 was deleted through the UI.
USERS = [(1, "demo", 0), (2, "agency", 0), (3, "former", 1)]
PPC_ACCOUNTS = {1: [1, 2, 3, 4], 2: [5, 6]}
LANDING_PAGES = {1: [1, 2, 3, 4, 5, 6], 2: [7, 8, 9]}
PERMISSIONS = {1: ["view_attribution_reports", "manage_attribution_models"],
               2: ["view_attribution_reports"]}
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36",
]


@dataclass
class Click:
    time: int
    user_id: int
    campaign_id: int
    cpc: Decimal
    payout: Decimal
    filtered: int
    bot: int
    ppc_account_id: int
    landing_page_id: int
    click_id: int = 0


@dataclass
class SeededConversion:
    click: Click
    conv_time: int
    payout: Decimal
    deleted: int
    conv_id: int = 0
    touch: Touch = Touch(0, 0)  # the converting click, once click ids are known
    journey: list[Touch] = field(default_factory=list)  # stored; empty when multi-touch is off
    credit_journey: list[Touch] = field(default_factory=list)  # getJourney's, for every model


class AuditLog:
    """202_attribution_audit rows as the story makes them, numbered by time at the end."""

    def __init__(self) -> None:
        self._entries: list[tuple[int, int, Row]] = []  # (created_at, sequence, row)

    def add(self, user_id: int, model_id: int | None, action: str, meta: Mapping[str, object],
            at: int) -> None:
        row: Row = {"user_id": user_id, "model_id": model_id, "action": action,
               "metadata": json.dumps(meta), "created_at": at}
        self._entries.append((at, len(self._entries), row))

    def rows(self) -> list[Row]:
        """By time, then in the order they were added, with their audit_id."""
        ordered = sorted(self._entries, key=lambda a: a[:2])
        return [{**row, "audit_id": i} for i, (_, _, row) in enumerate(ordered, start=1)]


def sha(text_: str) -> str:
    return hashlib.sha256(text_.encode()).hexdigest()
