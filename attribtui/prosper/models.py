"""A 202_attribution_models row, decoded once, and whether upstream could load it.

Upstream reads every model through one hydration step; a row it cannot load (a v3-only type, a
weighting_config that is not JSON or breaks the v2 rules) fails the user's whole rebuild and the
v2 model list (docs/prosper202.md §V2 API, "How unparseable model rows fail"). The checks, the
Models screen, the API emulator and the rebuild stand-in all decode rows here, so they agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from attribtui.prosper.validation import MODEL_TYPES, parse_weighting_json, validate_weighting

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
    def _decoded(self) -> tuple[object | None, str | None]:
        return parse_weighting_json(self.weighting_config)

    @property
    def config(self) -> object | None:
        """The decoded weighting_config (None when empty or not JSON)."""
        return self._decoded[0]

    @property
    def config_error(self) -> str | None:
        """Why weighting_config is not JSON, or None."""
        return self._decoded[1]

    @property
    def problem(self) -> str | None:
        """Why upstream cannot load this row (its message), or None when it can."""
        if self.type not in MODEL_TYPES:
            return (f'"{self.type}" is not a valid backing value for enum '
                    "Prosper202\\Attribution\\ModelType")
        if self.config_error:
            return self.config_error
        return validate_weighting(self.type, self.config)


def _int(value: object) -> int:
    if isinstance(value, int | float | str | Decimal):
        return int(value)
    raise TypeError(f"not a number: {value!r}")


class _Failure:
    def __init__(self, php_class: str, message: str) -> None:
        self.php_class, self.message = php_class, message


def _failure(self: ModelRow) -> _Failure | None:
    problem = self.problem
    if problem is None:
        return None
    if self.type not in MODEL_TYPES:
        return _Failure("ValueError", problem)
    if self.config_error:
        return _Failure("JsonException", problem)
    return _Failure("InvalidArgumentException", problem)


ModelRow.failure = property(_failure)  # type: ignore[attr-defined]
