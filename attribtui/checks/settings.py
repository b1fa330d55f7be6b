"""Multi-touch settings: rows pointing at missing models, duplicate global rows, disabled scopes.

A disabled scope is what purge-disabled-journeys.php acts on; prosper/settings.py says how much it
deletes, and "all" (any type but campaign/advertiser, or a campaign row without an id) wipes
every journey of the user (docs/prosper202.md, "Cron scripts" and "Multi-touch settings").
"""

from __future__ import annotations

from typing import Any

from attribtui.checks.bounded import has_column, skip_on_missing
from attribtui.checks.framework import (
    CheckContext,
    Evidence,
    Outcome,
    check,
    nothing_to_examine,
)
from attribtui.checks.recent import SETTINGS_CAP, users
from attribtui.checks.remedies import backfill_commands
from attribtui.infra import clock
from attribtui.infra.db import in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.settings import purge_blast_radius
from attribtui.queries.settings import OLD_LAYOUT, TOGGLE
from attribtui.vocab import Status

TABLE = pt.attribution_settings.name
NO_ROWS = f"No row in {TABLE}: nothing to examine."
INSPECT = ("SELECT setting_id, user_id, scope_type, scope_id, model_id, multi_touch_enabled, "
           "effective_at, updated_at FROM 202_attribution_settings WHERE user_id = {u};")


def toggles(ctx: CheckContext) -> bool:
    """The table has the multi_touch_* columns (False: the 1.9.56 layout)."""
    return has_column(ctx, TABLE, TOGGLE)


def _rows(ctx: CheckContext) -> list[Any]:
    """(setting_id, user_id, scope_type, scope_id, model_id, enabled, updated_at), enabled read as
    Prosper202 reads it: 0 for every row on the 1.9.56 layout (queries/settings.py)."""
    def go() -> list[Any]:
        enabled = TOGGLE if toggles(ctx) else "0"
        return ctx.read(f"SELECT setting_id, user_id, scope_type, scope_id, model_id, {enabled}, "
                         f"updated_at FROM `{TABLE}` ORDER BY setting_id LIMIT :n",
                    {"n": SETTINGS_CAP})

    return ctx.memo("settings.rows", go)


def _scope(scope_type: str, scope_id: Any) -> str:
    return scope_type if scope_id is None else f"{scope_type}:{int(scope_id)}"


@check("settings.models", "Settings rows point to existing models")
@skip_on_missing
def settings_models(ctx: CheckContext) -> Outcome:
    rows = _rows(ctx)
    if not rows:
        return nothing_to_examine(NO_ROWS)
    wanted = sorted({int(r[4]) for r in rows})
    present: set[int] = set()
    if wanted:
        sql, params = in_clause("m", wanted)
        present = {int(r[0]) for r in ctx.read(
            f"SELECT model_id FROM `{pt.attribution_models.name}` WHERE model_id IN ({sql}) "
                 f"LIMIT {len(wanted)}", params)}
    bad = [[int(r[0]), int(r[1]), _scope(r[2], r[3]), int(r[4]),
            f"model {int(r[4])} does not exist"] for r in rows if int(r[4]) not in present]
    if not bad:
        return Outcome(Status.OK, f"All {len(rows)} settings row(s) point to existing models.")
    return Outcome(Status.WARN,
        f"{len(bad)} settings row(s) point to models that do not exist (v3 DELETE keeps settings; "
        "a toggle on a user without models writes model_id 0). Prosper202 never uses this model_id "
        "to pick a model, but tools that join on it lose the row, and the toggle it carries still "
        "decides multi-touch.",
        Evidence.of(["setting_id", "user_id", "scope", "model_id", "problem"], bad),
        f"Inspect: {INSPECT.format(u=bad[0][1])} Point the row at the user's default model "
        "(back up first: mysqldump --where='setting_id=N' prosper202 202_attribution_settings), "
        f"e.g. UPDATE 202_attribution_settings SET model_id = <default model_id> WHERE "
        f"setting_id = {bad[0][0]};",
    )


@check("settings.duplicates", "At most one global settings row per user")
@skip_on_missing
def settings_duplicates(ctx: CheckContext) -> Outcome:
    per_user: dict[int, list[Any]] = {}
    if not _rows(ctx):
        return nothing_to_examine(NO_ROWS)
    for r in _rows(ctx):
        if r[2] == "global" and r[3] is None:
            per_user.setdefault(int(r[1]), []).append(r)
    dupes = {u: rs for u, rs in per_user.items() if len(rs) > 1}
    if not dupes:
        return Outcome(Status.OK, "No user has more than one global settings row.")
    rows = [[u, len(rs), ", ".join(str(int(r[0])) for r in rs),
             ", ".join("on" if int(r[5]) else "off" for r in rs),
             "duplicate global rows"] for u, rs in sorted(dupes.items())]
    return Outcome(Status.WARN,
        f"{len(dupes)} user(s) have several global settings rows: scope_id is NULL for global, so "
        "the UNIQUE keys do not stop duplicates. isMultiTouchEnabled lets the last row read win, so "
        "the outcome depends on row order.",
        Evidence.of(["user_id", "global rows", "setting_ids", "multi-touch", "problem"], rows),
        f"Inspect: {INSPECT.format(u=rows[0][0])} Keep the newest row and remove the others after "
        "a backup (mysqldump --where='user_id=U' prosper202 202_attribution_settings > "
        "settings-backup.sql), then DELETE FROM 202_attribution_settings WHERE setting_id = <older>;",
    )


@check("settings.disabled", "Disabled multi-touch scopes and what the purge would delete")
@skip_on_missing
def settings_disabled(ctx: CheckContext) -> Outcome:
    if not toggles(ctx):
        return _old_layout(ctx)
    if not _rows(ctx):
        return nothing_to_examine(f"{NO_ROWS} Multi-touch is on everywhere (the default) and "
                                  "purge-disabled-journeys.php has nothing to do.")
    disabled = [r for r in _rows(ctx) if not int(r[5])]
    if not disabled:
        return Outcome(Status.INFO, "No disabled multi-touch scope: every conversion gets a journey and "
                               "purge-disabled-journeys.php has nothing to do.")
    names = users(ctx, [int(r[1]) for r in disabled])
    rows: list[list[object]] = []
    wipes = []
    for r in disabled:
        user_id, radius = int(r[1]), purge_blast_radius(str(r[2]), r[3])
        effect = {
            "campaign": f"purges the journeys of campaign {r[3]}",
            "advertiser": f"purges the journeys of advertiser {r[3]}'s campaigns",
            "nothing": "purges nothing (advertiser without an id)",
            "all": f"would delete ALL journeys of user {user_id}",
        }[radius]
        if radius == "all":
            wipes.append(r)
        rows.append([int(r[0]), user_id, names.get(user_id, ("?", False))[0],
                     _scope(r[2], r[3]), clock.iso(int(r[6])) if r[6] else None, effect])
    rows.sort(key=lambda row: "ALL" not in str(row[5]))
    head = f"{len(disabled)} disabled multi-touch scope(s)."
    if not wipes:
        return Outcome(Status.INFO, f"{head} Conversions in them get no journey (single-touch credit).",
                       Evidence.of(["setting_id", "user_id", "user_name", "scope", "updated",
                                    "purge-disabled-journeys.php"], rows))
    w = wipes[0]
    return Outcome(Status.WARN,
        f"{head} {len(wipes)} of them would make purge-disabled-journeys.php delete every journey "
        "of the user: it purges by campaign or advertiser only and treats any other scope type, "
        "or a campaign row without an id, as 'all' (purge-disabled-journeys.php).",
        Evidence.of(["setting_id", "user_id", "user_name", "scope", "updated",
                     "purge-disabled-journeys.php"], rows),
        f"Do not run purge-disabled-journeys.php until this row is fixed. Inspect: "
        f"{INSPECT.format(u=int(w[1]))} Re-enable the scope (UPDATE 202_attribution_settings SET "
        f"multi_touch_enabled = 1 WHERE setting_id = {int(w[0])};) or replace it with campaign or "
        "advertiser rows that carry an id; back up the row first (mysqldump --where="
        f"'setting_id={int(w[0])}' prosper202 202_attribution_settings).",
    )


# Scopes isMultiTouchEnabled consults; rows of other types never decide (prosper/settings.py).
DECIDING = ("global", "advertiser", "campaign")
MIGRATION = (
    "Migrate with Prosper202's own upgrade (the 1.9.57 -> 1.9.58 block of "
    "202-config/functions-upgrade.php adds multi_touch_enabled NOT NULL DEFAULT 1, "
    "multi_touch_enabled_at, multi_touch_disabled_at and the UNIQUE keys user_scope_model and "
    "user_scope_multi_touch, which fail on duplicate rows: see settings.duplicates). Back the table "
    f"up first: mysqldump prosper202 {TABLE} > settings-backup.sql")


def _old_layout(ctx: CheckContext) -> Outcome:
    """The 1.9.56 layout, as upstream behaves on it (docs/prosper202.md, "isMultiTouchEnabled")."""
    rows = _rows(ctx)
    deciding = [r for r in rows if r[2] in DECIDING]
    purge = ("purge-disabled-journeys.php dies on its first query (Unknown column "
             "'multi_touch_enabled', exit 255) before purging anything")
    if not deciding:
        return Outcome(Status.INFO,
            f"{OLD_LAYOUT}, but none of its {len(rows)} row(s) is a global, advertiser or campaign "
            f"row, so no conversion is affected: multi-touch is on everywhere. {purge}.",
            None, f"{MIGRATION}.")
    names = users(ctx, [int(r[1]) for r in deciding])
    ev = [[int(r[0]), int(r[1]), names.get(int(r[1]), ("?", False))[0], _scope(r[2], r[3]),
           clock.iso(int(r[6])) if r[6] else None,
           "reads as DISABLED: no journey for its conversions (pixels and backfill)"]
          for r in deciding]
    first = deciding[0]
    return Outcome(Status.WARN,
        f"{OLD_LAYOUT} (Setting::fromDatabaseRow casts the missing column to 0): the "
        f"{len(deciding)} global/advertiser/campaign row(s) below turn multi-touch OFF for their "
        "scopes, so the pixels and the backfill write no journey there and every model credits "
        f"those conversions single-touch. {purge}.",
        Evidence.of(["setting_id", "user_id", "user_name", "scope", "updated", "upstream reads"],
                    ev),
        f"{MIGRATION}. After it every existing row reads as ENABLED: set multi_touch_enabled = 0 "
        "on the scopes that must stay off, then backfill the journeys the disabled reading "
        f"skipped, e.g. {backfill_commands(ctx, int(first[1]), ctx.now - ctx.window_s, clock.hour(ctx.now) - 1)} "
        "and rebuild the same hours so credits use them.",
    )
