"""POST and PATCH /api/v2/attribution/models as AttributionService does them, over a user's rows.

Pure: the caller passes the rows upstream's repository would find (by id, by slug) and gets the
model object v2 answers with, or the Failure upstream throws. The order of the steps is upstream's
(createModel, updateModel, ensureUniqueSlug, then the ModelDefinition constructor), so which
message a request gets matches too (docs/prosper202.md §V2 API; tools/conformance, golden files
tests/golden/v2_create.json and v2_update.json).

What stays outside: the database itself. MariaDB compares slugs in its collation
(utf8mb4_general_ci: case, accents, trailing spaces), so callers on a real database pass
``find_slug``, a findBySlug in SQL; without it a slug is looked up exactly among ``rows``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import TypedDict

from attribtui.prosper.models import ModelRow
from attribtui.prosper.php import php_array, php_bool, php_string, php_trim
from attribtui.prosper.validation import (
    INVALID_ARGUMENT,
    MODEL_TYPES,
    MSG_CONFIG_NOT_OBJECT,
    MSG_INVALID_TYPE,
    MSG_NAME_REQUIRED,
    MSG_NOT_FOUND,
    SLUG_MAX,
    SLUG_SUFFIX_BASE,
    Failure,
    slugify,
    weighting_rule,
)

MSG_JSON_ENCODE = "Inf and NaN cannot be JSON encoded"


class ModelObject(TypedDict):
    """The v2 model object (AttributionService::formatModel)."""

    model_id: int
    user_id: int
    name: str
    slug: str
    type: str
    is_active: bool
    is_default: bool
    created_at: int
    updated_at: int
    weighting_config: object  # a PHP array: a dict, or a list (``[]`` when empty)


class V2Error(Exception):
    """The exception upstream throws for the request (400 if InvalidArgumentException)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure

    @property
    def php_class(self) -> str:
        return self.failure.php_class

    @property
    def message(self) -> str:
        return self.failure.message


def _invalid(message: str) -> V2Error:
    return V2Error(Failure(INVALID_ARGUMENT, message))


def _load(row: ModelRow) -> ModelRow:
    """A row read through the repository: hydration failures propagate as upstream's."""
    if row.failure is not None:
        raise V2Error(row.failure)
    return row


def _normalise_config(value: object) -> object:
    """normaliseWeightingConfig: null is the empty array; anything but an array is refused."""
    if value is None:
        return []
    if not isinstance(value, list | dict):
        raise _invalid(MSG_CONFIG_NOT_OBJECT)
    return php_array(value)


def _model_type(value: object) -> str:
    kind = php_string(value).lower()
    if kind not in MODEL_TYPES:
        raise _invalid(MSG_INVALID_TYPE)
    return kind


def _finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return True


FindSlug = Callable[[str], ModelRow | None]


def _by_slug(user_id: int, rows: Iterable[ModelRow]) -> FindSlug:
    """findBySlug over rows, comparing slugs exactly."""
    by_slug = {r.slug: r for r in rows if r.user_id == user_id}
    return by_slug.get


def unique_slug_of(slug: str, current: str | None, find: FindSlug) -> str:
    """ensureUniqueSlug: the first candidate findBySlug does not find (or finds as the model's
    own slug on PATCH). A row found under a candidate is hydrated, so an unparseable row there
    fails the request with its own message."""
    base = slug[:SLUG_MAX]
    if current is not None and current == base:
        return base
    candidate, suffix = base, 1
    while True:
        existing = find(candidate)
        if existing is None or (current is not None and _load(existing).slug == current):
            return candidate
        _load(existing)
        candidate = f"{base[:SLUG_SUFFIX_BASE]}-{suffix}"
        suffix += 1


def _check_definition(kind: str, config: object) -> None:
    # The ModelDefinition constructor: name and slug are non-empty by now; the config rules.
    message = weighting_rule(kind, config)
    if message:
        raise _invalid(message)


def _saved(model_id: int, user_id: int, name: str, slug: str, kind: str, config: object,
           is_active: bool, is_default: bool, created_at: int, now: int) -> ModelObject:
    """save() then the re-read: the config goes through json_encode (which refuses INF/NAN),
    and promoteToDefault forces a default active."""
    if config and not _finite(config):
        raise V2Error(Failure("JsonException", MSG_JSON_ENCODE))
    return {"model_id": model_id, "user_id": user_id, "name": name, "slug": slug, "type": kind,
            "is_active": is_active or is_default, "is_default": is_default,
            "created_at": created_at, "updated_at": now,
            "weighting_config": config if config else []}


def v2_create(user_id: int, payload: Mapping[str, object], rows: Iterable[ModelRow], now: int,
              next_id: int, find_slug: FindSlug | None = None) -> ModelObject:
    """AttributionService::createModel; ``rows`` are the models findBySlug can see (or
    ``find_slug`` is findBySlug)."""
    name = php_trim(php_string(payload.get("name")))
    if name == "":
        raise _invalid(MSG_NAME_REQUIRED)
    kind = _model_type(payload.get("type"))
    config = _normalise_config(payload.get("weighting_config"))
    slug_input = php_string(payload.get("slug"))
    slug = slugify(slug_input if slug_input != "" else name, now)
    slug = unique_slug_of(slug, None, find_slug or _by_slug(user_id, rows))
    is_active = php_bool(payload["is_active"]) if "is_active" in payload else True
    is_default = php_bool(payload["is_default"]) if "is_default" in payload else False
    _check_definition(kind, config)
    return _saved(next_id, user_id, name, slug, kind, config, is_active, is_default, now, now)


def v2_update(user_id: int, model_id: int, payload: Mapping[str, object],
              rows: Iterable[ModelRow], now: int, find_slug: FindSlug | None = None
              ) -> ModelObject:
    """AttributionService::updateModel; ``rows`` are the models findById and findBySlug can
    see (any user's: a foreign model is "not found" only after it was hydrated); ``find_slug``,
    when given, is findBySlug."""
    rows = list(rows)
    found = next((r for r in rows if r.model_id == model_id), None)
    if found is None or _load(found).user_id != user_id:
        raise _invalid(MSG_NOT_FOUND)
    given_name = payload.get("name")
    name = php_trim(php_string(found.name if given_name is None else given_name))
    if name == "":
        raise _invalid(MSG_NAME_REQUIRED)
    kind = _model_type(payload["type"]) if "type" in payload else found.type
    config = (_normalise_config(payload["weighting_config"]) if "weighting_config" in payload
              else found.config)
    slug_input = php_string(payload["slug"]) if "slug" in payload else ""
    slug = slugify(slug_input if slug_input != "" else name, now)
    slug = unique_slug_of(slug, found.slug, find_slug or _by_slug(user_id, rows))
    is_active = php_bool(payload["is_active"]) if "is_active" in payload else found.is_active
    is_default = php_bool(payload["is_default"]) if "is_default" in payload else found.is_default
    _check_definition(kind, config)
    return _saved(found.model_id, user_id, name, slug, kind, config, is_active, is_default,
                  found.created_at, now)
