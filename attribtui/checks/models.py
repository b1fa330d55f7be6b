"""Model lint: one default per user, an active default, v2 types, rows upstream can load.

Whether upstream can load a row is prosper/models.py's ModelRow.failure: ModelDefinition's own
rules, order and messages, checked against upstream by tools/conformance (the model editor and
the emulator use the same ones). v3 writes rows without these rules (docs/prosper202.md,
"Operator gotchas"), and one unparseable active row makes GET /api/v2/attribution/models answer
500 for that user and fails the user's whole rebuild.
"""

from __future__ import annotations

from attribtui.checks.bounded import skip_on_missing
from attribtui.checks.framework import (
    CheckContext,
    Evidence,
    Outcome,
    check,
    nothing_to_examine,
)
from attribtui.checks.recent import models, user_name, users
from attribtui.prosper.models import ModelRow
from attribtui.prosper.validation import MODEL_TYPES
from attribtui.vocab import Status

INSPECT = ("SELECT model_id, model_name, model_slug, model_type, weighting_config, is_active, "
           "is_default, created_at FROM 202_attribution_models WHERE user_id = {u};")
API = "PATCH /api/v2/attribution/models/{id}?apikey=…"
NO_MODELS = "No model row of a live user in 202_attribution_models: nothing to examine."


def _by_user(ctx: CheckContext) -> dict[int, list[ModelRow]]:
    out: dict[int, list[ModelRow]] = {}
    for m in models(ctx):
        out.setdefault(m.user_id, []).append(m)
    names = users(ctx, out)
    return {u: ms for u, ms in out.items() if not names.get(u, ("", False))[1]}


@check("models.defaults", "Each user has exactly one default model")
@skip_on_missing
def defaults(ctx: CheckContext) -> Outcome:
    rows, worst = [], Status.OK
    by_user = _by_user(ctx)
    if not by_user:
        return nothing_to_examine(NO_MODELS)
    for user_id, ms in sorted(by_user.items()):
        dflt = [m for m in ms if m.is_default]
        if len(dflt) == 1:
            continue
        if not dflt:
            rows.append([user_id, user_name(ctx, user_id), len(ms), "", "no default model"])
            worst = Status.FAIL if worst == Status.FAIL else Status.WARN
        else:
            rows.append([user_id, user_name(ctx, user_id), len(ms),
                         ", ".join(m.label for m in dflt), f"{len(dflt)} default models"])
            worst = Status.FAIL
    if not rows:
        return Outcome(Status.OK, f"Each of the {len(by_user)} user(s) with models has one default.")
    first = rows[0][0]
    return Outcome(
        worst,
        f"{len(rows)} user(s) without exactly one default model. Nothing in the schema enforces "
        "one default; v3 and the Setup UI's save do not demote the others, and the 'default' "
        "Prosper202 picks among several is arbitrary (LIMIT 1 without ORDER BY).",
        Evidence.of(["user_id", "user_name", "models", "defaults", "problem"], rows),
        f"Inspect: {INSPECT.format(u=first)} Then promote the intended model through v2, which "
        f"demotes every other model of the user in one transaction: {API.format(id='ID')} "
        "with body {\"is_default\": true} (note: any v2 PATCH recomputes the slug).",
    )


@check("models.default_active", "Default models are active")
@skip_on_missing
def default_active(ctx: CheckContext) -> Outcome:
    by_user = _by_user(ctx)
    if not by_user:
        return nothing_to_examine(NO_MODELS)
    if not any(m.is_default for ms in by_user.values() for m in ms):
        return nothing_to_examine("No model is marked default: no default to check (see "
                                  "models.defaults).")
    bad = [m for ms in by_user.values() for m in ms if m.is_default and not m.is_active]
    if not bad:
        return Outcome(Status.OK, "Every default model is active.")
    rows = [[m.user_id, user_name(ctx, m.user_id), m.model_id, m.slug, m.type,
             "default model is inactive"] for m in bad]
    return Outcome(Status.FAIL,
        f"{len(bad)} default model(s) are inactive: the rebuild never computes inactive models, "
        "and v2 lists only active ones, so reports on the default show stale numbers. v2 forces "
        "a default active; this state comes from v3 or hand-written SQL.",
        Evidence.of(["user_id", "user_name", "model_id", "slug", "type", "problem"], rows),
        f"Inspect: {INSPECT.format(u=bad[0].user_id)} Then either re-promote it through v2 "
        f"({API.format(id=bad[0].model_id)} with {{\"is_default\": true}}, which also activates "
        "it) or promote another active model the same way.",
    )


@check("models.types", "Model types are in the v2 enum")
@skip_on_missing
def types(ctx: CheckContext) -> Outcome:
    rows = []
    by_user = _by_user(ctx)
    if not by_user:
        return nothing_to_examine(NO_MODELS)
    for ms in by_user.values():
        for m in ms:
            if m.type not in MODEL_TYPES:
                effect = ("breaks GET /api/v2/attribution/models (500) and the user's rebuild"
                          if m.is_active else "inactive now; breaks v2 and the rebuild once activated")
                rows.append([m.user_id, user_name(ctx, m.user_id), m.model_id, m.slug, m.type,
                             "active" if m.is_active else "inactive", effect])
    if not rows:
        return Outcome(Status.OK, f"Every model type is one of {', '.join(MODEL_TYPES)}.")
    status = Status.FAIL if any(r[5] == "active" for r in rows) else Status.WARN
    u = rows[0][0]
    first = next(m for ms in _by_user(ctx).values() for m in ms if m.type not in MODEL_TYPES)
    message = first.problem or ""
    return Outcome(
        status,
        f"{len(rows)} model(s) have a type outside the v2 enum ({', '.join(MODEL_TYPES)}); "
        f"v3 writes first_touch and linear. The engine cannot parse such a row, so for user {u} "
        f"GET /api/v2/attribution/models answers 500 and every rebuild of the user fails with "
        f"'User {first.user_id}: {message}': none of that user's models get new snapshots.",
        Evidence.of(["user_id", "user_name", "model_id", "slug", "type", "state", "effect"], rows),
        f"Inspect: {INSPECT.format(u=u)} Fix through v3 (the only API that can see the row): "
        "PUT /api/v3/attribution/models/ID with a v2 type (e.g. \"model_type\": \"last_touch\"), "
        "or delete it with DELETE /api/v3/attribution/models/ID; then rerun the user's rebuild.",
    )


@check("models.weighting", "Model rows load in upstream (weighting config, name, slug)")
@skip_on_missing
def weighting(ctx: CheckContext) -> Outcome:
    rows = []
    by_user = _by_user(ctx)
    if not by_user:
        return nothing_to_examine(NO_MODELS)
    for ms in by_user.values():
        for m in ms:
            failure = m.failure
            if failure is None or m.type not in MODEL_TYPES:
                continue  # a type outside the enum is reported by models.types
            rows.append([m.user_id, user_name(ctx, m.user_id), m.model_id, m.slug, m.type,
                         "active" if m.is_active else "inactive",
                         "" if m.weighting_config is None else m.weighting_config[:80],
                         failure.message])
    if not rows:
        return Outcome(Status.OK, "Every model row loads in upstream's ModelDefinition: its "
                                  "weighting config, name and slug pass the rules of its type.")
    status = Status.FAIL if any(r[5] == "active" for r in rows) else Status.WARN
    return Outcome(
        status,
        f"{len(rows)} model row(s) cannot be loaded by upstream's ModelDefinition, which throws: "
        f"{rows[0][7]} Once such a row is active, the user's GET /api/v2/attribution/models "
        "answers 500 and every rebuild of the user fails; v3 and hand-written SQL write such "
        "rows (e.g. time_decay with {}, a config of JSON null, an empty name).",
        Evidence.of(["user_id", "user_name", "model_id", "slug", "type", "state",
                     "weighting_config", "upstream message"], rows),
        f"Inspect: {INSPECT.format(u=rows[0][0])} v2 cannot repair the row: PATCH loads it first "
        "and fails with the same message. Fix it through v3, which writes rows as given: "
        f"PUT /api/v3/attribution/models/{rows[0][2]} with a valid weighting_config (time_decay: "
        "{\"half_life_hours\": 48}, a positive integer; position_based: first_touch_weight and "
        "last_touch_weight in 0..1 with a sum <= 1; last_touch and assisted: {}), a non-empty "
        "model_name and model_slug; or deactivate it there (\"is_active\": 0).",
    )
