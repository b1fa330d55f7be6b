"""What a planted defect is: how it changes the sandbox, and which check findings must follow.

A defect changes the seeded database after the data is written (``plant``) and/or the simulated
timeline before it is written (``tweak``, e.g. a cron that stopped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from sqlalchemy.engine import Connection

from attribtui.sandbox.defects.timeline import SeedPlan
from attribtui.vocab import Status

# What a plant touched, by kind: {"conv_ids": [...], "model_ids": [...], "date_hours": [...]}.
Touched: TypeAlias = dict[str, list[int]]


@dataclass(frozen=True)
class PlantContext:
    """What a plant function may need to know about the freshly seeded database."""

    dialect: str
    now: int
    hb: int
    # Conversions already broken by an earlier plant: each plant takes one no other plant took.
    planted_convs: set[int] = field(default_factory=set)


Plant: TypeAlias = Callable[[Connection, PlantContext], Touched | None]
Tweak: TypeAlias = Callable[[SeedPlan], SeedPlan]


@dataclass(frozen=True)
class ExpectedFinding:
    """A check result the defect must cause; ``match`` appears in that check's evidence rows."""

    check_id: str
    status: Status
    match: str


@dataclass(frozen=True)
class Defect:
    id: str
    title: str
    where: Literal["demo", "isolated"]
    findings: tuple[ExpectedFinding, ...]
    affected: Mapping[str, object]  # what it touches, for the reader (the plant reports the ids)
    # A plant may return the ids it touched (seed() keeps them in the marker's "affected").
    plant: Plant | None = None
    tweak: Tweak | None = None
    # Isolated defects may rely on MariaDB-only DDL; the demo ones must also plant on SQLite.
    sqlite: bool = True
