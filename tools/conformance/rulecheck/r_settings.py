"""Multi-touch settings resolution: isMultiTouchEnabled over the rows MariaDB returns, in the
current layout and in the 1.9.56 layout (no multi_touch_* columns)."""

from __future__ import annotations

from collections.abc import Sequence
from random import Random

from sqlalchemy import text

from attribtui.prosper import settings as s
from attribtui.queries.settings import settings_rows

from .core import Answer, Context, Json, Rule, default_compare, error, output
from .values import random_value

FILES = ("202-config/Attribution/Service/AttributionSettingsService.php (isMultiTouchEnabled)",
         "202-config/Attribution/Repository/Mysql/MysqlSettingRepository.php (findForScopes)",
         "202-config/Attribution/Settings/Setting.php (fromDatabaseRow)",
         "202-config/Attribution/ScopeType.php")
OTHER_USER = 5_000_000
SCOPE_TYPES = ("global", "global", "global", "advertiser", "advertiser", "campaign", "campaign",
               "campaign", "account", "adgroup", "landing_page", "traffic_source", "GLOBAL",
               "Global", "global ", "Campaign", "ADVERTISER", "glöbal", "bogus", "", "campaign\t")


def prepare(ctx: Context, cases: Sequence[tuple[int, Json]]) -> None:
    old = ctx.extra.get("layout") == "1.9.56"
    cols = "user_id, scope_type, scope_id, model_id, effective_at, created_at, updated_at"
    vals = ":user_id, :scope_type, :scope_id, :model_id, 0, 0, 0"
    if not old:
        cols += ", multi_touch_enabled"
        vals += ", :multi_touch_enabled"
    rows = [r for _, case in cases for r in case["rows"]]
    if rows:
        ctx.conn.execute(text(f"INSERT IGNORE INTO 202_attribution_settings ({cols}) "
                              f"VALUES ({vals})"), rows)
    ctx.conn.commit()


def ours(ctx: Context, case: Json) -> Answer:
    try:
        user, advertiser, campaign = s.scope_ids(case["scope"])
        rows = settings_rows(ctx.read, [user]).get(user, [])
        enabled, _scope = s.is_multi_touch_enabled(rows, advertiser, campaign)
    except s.SettingsError as exc:
        return error(exc.php_class, exc.message)
    return output({"enabled": enabled})


def _outcomes(ctx: Context, case: Json) -> list[Answer] | None:
    """Every answer some read order of the selected rows gives (upstream's query has no ORDER
    BY; MariaDB reads through whichever UNIQUE index it picks, so duplicate global rows come in
    setting_id, multi_touch_enabled or model_id order). None when the scope itself is refused."""
    try:
        user, advertiser, campaign = s.scope_ids(case["scope"])
    except s.SettingsError:
        return None
    rows = settings_rows(ctx.read, [user]).get(user, [])
    answers: list[Answer] = []
    bad = [r for r in rows if r.scope_type not in s.SCOPE_TYPES]
    for first in bad:  # any selected unloadable row may be read first
        try:
            s.is_multi_touch_enabled([first], advertiser, campaign)
        except s.SettingsError as exc:
            answers.append(error(exc.php_class, exc.message))
    if answers:
        return answers
    for row in rows:  # any duplicate may be read last and win
        try:
            enabled, _ = s.is_multi_touch_enabled(
                [r for r in rows if r is not row] + [row], advertiser, campaign)
        except s.SettingsError:
            continue
        answers.append(output({"enabled": enabled}))
    return answers


def compare(case: Json, upstream: Answer, mine: Answer,
            ctx: Context | None = None) -> tuple[str, str] | None:
    diff = default_compare(case, upstream, mine)
    if diff is None or ctx is None or ctx.read is None:
        return diff
    possible = _outcomes(ctx, case) or []
    up = {k: upstream.get(k) for k in ("output", "error")}
    if any({k: a.get(k) for k in ("output", "error")} == up for a in possible):
        return ("row_order", diff[1])
    return diff


def _id_value(rng: Random, good: int) -> Json:
    return rng.choice([good, good, good, str(good), f" {good}", f"{good} ", float(good) + 0.5,
                       0, -1, "x", None, "", str(good) + "abc", [good], True, f"{good}.0",
                       random_value(rng)])


def random_case(rng: Random, i: int, layout: str) -> Json:
    user = i + 1
    advertiser, campaign = rng.randint(1, 4), rng.randint(1, 6)
    rows = []
    for _ in range(rng.choice([0, 1, 2, 3, 4, 6])):
        owner = user if rng.random() < 0.85 else OTHER_USER + user
        kind = rng.choice(SCOPE_TYPES)
        scope_id = rng.choice([None, None, 0, advertiser, campaign, rng.randint(1, 6)])
        if kind == "global" and rng.random() < 0.8:
            scope_id = None
        rows.append({"user_id": owner, "scope_type": kind, "scope_id": scope_id,
                     "model_id": rng.randint(0, 3), "multi_touch_enabled": rng.choice([0, 1, 2])})
    scope: dict[str, Json] = {}
    pick = rng.random()
    scope["user_id" if pick < 0.9 else "userId"] = user if rng.random() < 0.85 \
        else _id_value(rng, user)
    if rng.random() < 0.8:
        scope["advertiser_id" if rng.random() < 0.9 else "advertiserId"] = \
            advertiser if rng.random() < 0.7 else _id_value(rng, advertiser)
    if rng.random() < 0.85:
        scope["campaign_id" if rng.random() < 0.9 else "campaignId"] = \
            campaign if rng.random() < 0.7 else _id_value(rng, campaign)
    return {"layout": layout, "user_id": user, "rows": rows, "scope": scope}


def edges(layout: str) -> list[Json]:
    out = []
    specs: list[tuple[list[tuple[str, int | None, int]], dict[str, Json]]] = [
        ([], {"user_id": "U"}),
        ([("global", None, 0)], {"user_id": "U"}),
        ([("global", None, 0), ("global", None, 1)], {"user_id": "U"}),
        ([("global", None, 1), ("global", None, 0)], {"user_id": "U"}),
        ([("global", None, 0), ("campaign", 3, 1)], {"user_id": "U", "campaign_id": 3}),
        ([("campaign", 3, 0)], {"user_id": "U", "campaign_id": "3"}),
        ([("advertiser", 2, 0), ("campaign", 3, 1)],
         {"user_id": "U", "advertiser_id": 2, "campaign_id": 3}),
        ([("advertiser", 2, 0)], {"user_id": "U", "advertiser_id": 2, "campaign_id": 3}),
        ([("GLOBAL", None, 0)], {"user_id": "U"}),
        ([("global ", None, 0)], {"user_id": "U"}),
        ([("account", None, 0)], {"user_id": "U"}),
        ([("campaign", None, 0)], {"user_id": "U", "campaign_id": 3}),
        ([("global", 0, 0)], {"user_id": "U"}),
        ([("global", None, 2)], {"user_id": "U"}),
        ([], {"user_id": 0}), ([], {"user_id": "0"}), ([], {"user_id": -5}), ([], {"user_id": "x"}),
        ([], {}), ([], {"userId": "U"}), ([], {"user_id": None, "userId": "U"}),
        ([("campaign", 3, 0)], {"user_id": "U", "campaign_id": 3.7}),
        ([("campaign", 3, 0)], {"user_id": "U", "campaign_id": " 3"}),
        ([("campaign", 3, 0)], {"user_id": "U", "campaignId": 3}),
        ([("campaign", 3, 0)], {"user_id": "U", "campaign_id": 0, "campaignId": 3}),
    ]
    for k, (rows, scope) in enumerate(specs):
        user = 900_000 + k
        fixed = {key: (user if value == "U" else value) for key, value in scope.items()}
        out.append({"layout": layout, "user_id": user,
                    "rows": [{"user_id": user, "scope_type": t, "scope_id": i, "model_id": 1,
                              "multi_touch_enabled": e} for t, i, e in rows],
                    "scope": fixed})
    return out


def _rule(layout: str) -> Rule:
    suffix = "" if layout == "current" else "_1956"
    return Rule(
        name=f"settings{suffix}",
        php_rule="settings",
        upstream_files=FILES,
        edges=lambda: edges(layout),
        random=lambda rng, i: random_case(rng, i, layout),
        ours=ours,
        compare=compare,
        deliberate={"row_order": (
            "Upstream's findForScopes has no ORDER BY: MariaDB reads the rows through whichever "
            "UNIQUE index it picks (user_scope, user_scope_multi_touch or user_scope_model), so "
            "which duplicate global row wins, and which unloadable row's error is raised first, "
            "varies with the plan. Upstream's answer is what one read order gives; ours reads in "
            "user_scope order.")},
        needs_db=True,
        layout=layout,
        prepare=prepare,
        golden_random=500,
    )


RULES = [_rule("current"), _rule("1.9.56")]
