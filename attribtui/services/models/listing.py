"""The models an operator sees: the API's active models merged with the user's rows in the DB.

GET /models lists active models only (and fails with a 500 when one row of the user cannot be
parsed), so the list adds a bounded SQL read of 202_attribution_models and marks what the API
hides (docs/prosper202.md, "v2 API").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from attribtui.infra import clock
from attribtui.infra.api import ApiError, V2Client
from attribtui.infra.db import Database
from attribtui.prosper.models import ModelRow
from attribtui.prosper.validation import MODEL_TYPES
from attribtui.queries.models import all_models, user_models
from attribtui.vocab import ExitCode, JsonDict

MODELS_LIMIT = 200  # a user with more models than this is not a real Prosper202 install
LINT_HINT = "see the model lint findings models.types / models.weighting (attribtui check --only models)"


@dataclass
class Model:
    """One model as the console shows it. `api_visible` is False for rows GET /models hides."""

    model_id: int
    user_id: int
    name: str
    slug: str
    type: str
    weighting_config: object  # decoded JSON, as the API returns it
    is_active: bool
    is_default: bool
    created_at: int
    updated_at: int
    api_visible: bool = True
    note: str = ""  # why the API hides it, or what is wrong with the row
    problem: str | None = None  # why v2 cannot parse this row (fails GET /models for the user)
    read_only: str = ""  # why this console cannot change it (no API key for its user)
    row: ModelRow | None = field(default=None, repr=False, compare=False)  # as stored, if read

    def as_row(self) -> ModelRow:
        """The row upstream's rules work on: as read from the database, else from the API."""
        if self.row is not None:
            return self.row
        config = json.dumps(self.weighting_config) if self.weighting_config else None
        return ModelRow(self.model_id, self.user_id, self.name, self.slug, self.type, config,
                        self.is_active, self.is_default, self.created_at, self.updated_at)

    @classmethod
    def from_api(cls, d: JsonDict) -> Model:
        config = d.get("weighting_config")
        return cls(int(d["model_id"]), int(d["user_id"]), str(d["name"]), str(d["slug"]),
                   str(d["type"]), config if config else None, bool(d["is_active"]),
                   bool(d["is_default"]), int(d["created_at"]), int(d["updated_at"]))

    @classmethod
    def from_row(cls, r: ModelRow) -> Model:
        model = cls(r.model_id, r.user_id, r.name, r.slug, r.type, r.config if r.config else None,
                    r.is_active, r.is_default, r.created_at, r.updated_at, api_visible=False,
                    row=r)
        if r.type not in MODEL_TYPES:
            model.problem = (f"type {r.type!r} is not a v2 type (written through v3?): GET /models "
                             "and the rebuild fail for this user")
        elif r.problem:
            model.problem = (f"Prosper202 cannot load this row ({r.problem}): GET /models and the "
                             "rebuild fail for this user")
        return model

    @property
    def weighting_text(self) -> str:
        c = self.weighting_config
        if not c:
            return "–"
        if isinstance(c, dict) and self.type == "time_decay" and "half_life_hours" in c:
            return f"half-life {c['half_life_hours']} h"
        if isinstance(c, dict) and self.type == "position_based":
            return f"first {c.get('first_touch_weight')} · last {c.get('last_touch_weight')}"
        return json.dumps(c, sort_keys=True)

    def to_json(self) -> JsonDict:
        d = asdict(self)
        d.pop("row")
        d["updated_at_iso"] = clock.iso(self.updated_at)
        d["created_at_iso"] = clock.iso(self.created_at)
        return d


def label(x: Model) -> str:
    return f"model {x.model_id} “{x.name}”"


@dataclass
class ModelList:
    user_id: int | None
    models: list[Model] = field(default_factory=list)
    api_error: str | None = None
    api_status: int | None = None
    api_exit: ExitCode | None = None  # the API error's exit code: 1 refused as invalid, 3 unreachable
    db_error: str | None = None
    notes: list[str] = field(default_factory=list)

    def get(self, model_id: int) -> Model | None:
        return next((x for x in self.models if x.model_id == model_id), None)

    @property
    def default(self) -> Model | None:
        """The default of the key's user."""
        return next((x for x in self.defaults_of(self.user_id)), None)

    def defaults_of(self, user_id: int | None) -> list[Model]:
        return [x for x in self.models if x.is_default and x.user_id == user_id]

    def to_json(self) -> JsonDict:
        return {"user_id": self.user_id, "api_error": self.api_error,
                "api_status": self.api_status, "db_error": self.db_error, "notes": self.notes,
                "models": [x.to_json() for x in self.models]}


def read_model_rows(db: Database, user_id: int, *, primary: bool = False) -> list[Model]:
    """The user's rows of 202_attribution_models (bounded; the key never goes near SQL)."""
    return [Model.from_row(r) for r in user_models(db.reader(primary=primary), user_id,
                                                   MODELS_LIMIT)]


def load_models(client: V2Client, db: Database | None, *, user_id: int | None = None,
                primary: bool = False, all_users: bool = False) -> ModelList:
    """The API's active models merged with the DB's rows for the same user.

    user_id: the one the API's responses carry, else the profile's api.user_id (`user_id`).
    all_users: add every other user's rows from the database (Health finds defects there too);
    those of a user this profile holds no key for are marked read-only.
    """
    api_models: list[Model] = []
    listing = ModelList(user_id)
    try:
        api_models = [Model.from_api(d) for d in client.list_models()]
    except ApiError as e:
        listing.api_error, listing.api_status, listing.api_exit = str(e), e.status, e.exit_code
    if api_models:
        listing.user_id = api_models[0].user_id
    rows: list[Model] = []
    if db is not None and listing.user_id is not None:
        try:
            rows = read_model_rows(db, listing.user_id, primary=primary)
        except Exception as e:  # DbError and friends: the API part still shows
            listing.db_error = str(e)
    elif db is not None and listing.user_id is None and not listing.api_error:
        listing.notes.append("inactive models are not shown: the API listed none to tell whose "
                             "they are; set api.user_id in the profile")
    by_id = {x.model_id: x for x in api_models}
    merged: list[Model] = list(api_models)
    for r in rows:
        if r.model_id in by_id:
            by_id[r.model_id].problem, by_id[r.model_id].row = r.problem, r.row
            continue
        r.note = ("hidden by the API (inactive)" if not r.is_active else
                  "active in the DB but not listed by the API (changed since, or replica lag)")
        if listing.api_error:
            r.note = "from the DB (the API failed)"
        merged.append(r)
    merged.sort(key=lambda x: (-x.created_at, -x.model_id))
    if all_users and db is not None and not listing.db_error:
        try:
            merged += _other_users(client, db, listing.user_id, primary)
        except Exception as e:  # DbError and friends: the key's user's models still show
            listing.db_error = str(e)
    listing.models = merged
    broken = [x for x in merged if x.problem]
    if listing.api_status and listing.api_status >= 500 and broken:
        listing.api_error = (f"the v2 API fails for user {listing.user_id} because model "
                             f"{broken[0].model_id} cannot be parsed ({broken[0].problem}); "
                             f"{LINT_HINT}")
    return listing


def _other_users(client: V2Client, db: Database, key_user: int | None,
                 primary: bool) -> list[Model]:
    """Every other user's rows, by user then newest first; read-only without that user's key."""
    keyed = {int(u) for u in client.profile.api.user_keys}
    out = [Model.from_row(r) for r in all_models(db.reader(primary=primary), MODELS_LIMIT)
           if r.user_id != key_user]
    for x in out:
        x.note = f"user {x.user_id}'s model, read from the DB"
        if x.user_id not in keyed:
            x.read_only = (f"read-only: no API key for user {x.user_id}; add it to api.user_keys "
                           f'(e.g. "{x.user_id}" = "P202_API_KEY_USER{x.user_id}")')
    out.sort(key=lambda x: (x.user_id, -x.created_at, -x.model_id))
    return out


def is_server_parse_failure(listing: ModelList) -> bool:
    """The API answered 500 and a row of the user explains it (docs/prosper202.md, "How unparseable
    model rows fail")."""
    return bool(listing.api_status and listing.api_status >= 500
                and any(x.problem for x in listing.models))
