"""A 202_attribution_models row, decoded once, and whether upstream could load it.

Upstream reads every model through ModelDefinition::fromDatabaseRow; a row it cannot load (a
v3-only type, a weighting_config that is not JSON, that decodes to no array, or breaks the rules
of its type, an empty name or slug) fails the user's whole rebuild and the v2 model list
(docs/prosper202.md §V2 API, "How unparseable model rows fail"). The checks, the Models screen,
the API emulator and the rebuild stand-in all decode rows here, so they agree with upstream
(tools/conformance, golden file tests/golden/model_hydrate.json).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from attribtui.prosper.validation import (
    INVALID_ARGUMENT,
    MODEL_TYPES,
    MSG_NAME_EMPTY,
    MSG_SLUG_EMPTY,
    Failure,
    decode_weighting_config,
    enum_failure,
    weighting_rule,
)

COLUMNS = ("model_id", "user_id", "model_name", "model_slug", "model_type", "weighting_config",
           "is_active", "is_default", "created_at", "updated_at")


@dataclass(frozen=True)
class ModelRow:
    model_id: int
    user_id: int
    name: str
    slug: str
    type: str
    weighting_config: str | None  # the stored JSON text
    is_active: bool
    is_default: bool
    created_at: int
    updated_at: int

    @classmethod
    def from_mapping(cls, r: Mapping[str, object]) -> ModelRow:
        """From a row with the table's column names (a SQLAlchemy Row's `_mapping`)."""
        config = r["weighting_config"]
        return cls(_int(r["model_id"]), _int(r["user_id"]), str(r["model_name"]),
                   str(r["model_slug"]), str(r["model_type"]),
                   None if config is None else str(config), bool(_int(r["is_active"])),
                   bool(_int(r["is_default"])), _int(r["created_at"]), _int(r["updated_at"]))

    @property
    def label(self) -> str:
        return f"{self.model_id} {self.slug}"

    @cached_property
    def _decoded(self) -> tuple[object, Failure | None]:
        return decode_weighting_config(self.weighting_config)

    @property
    def config(self) -> object:
        """The decoded weighting_config as upstream holds it: a dict, or a list (PHP arrays
        that are lists, ``[]`` for NULL, '' and ``{}``); None when it cannot be decoded."""
        return self._decoded[0]

    @property
    def config_error(self) -> str | None:
        """Why weighting_config cannot be decoded (upstream's message), or None."""
        failure = self._decoded[1]
        return failure.message if failure else None

    @cached_property
    def failure(self) -> Failure | None:
        """ModelDefinition::fromDatabaseRow's exception for this row, or None when it loads.

        The order is upstream's: the type (ModelType::from), the config (decodeConfig), then the
        constructor: empty name, empty slug, the config rules of the type.
        """
        if self.type not in MODEL_TYPES:
            return enum_failure(self.type)
        config, failure = self._decoded
        if failure is not None:
            return failure
        if self.name == "":
            return Failure(INVALID_ARGUMENT, MSG_NAME_EMPTY)
        if self.slug == "":
            return Failure(INVALID_ARGUMENT, MSG_SLUG_EMPTY)
        message = weighting_rule(self.type, config)
        return Failure(INVALID_ARGUMENT, message) if message else None

    @property
    def problem(self) -> str | None:
        """Why upstream cannot load this row (its message), or None when it can."""
        return self.failure.message if self.failure else None


def _int(value: object) -> int:
    if isinstance(value, int | float | str | Decimal):
        return int(value)
    raise TypeError(f"not a number: {value!r}")
