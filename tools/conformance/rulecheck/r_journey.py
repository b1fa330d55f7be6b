"""The journey rule: persistJourney on MariaDB against ours (the pure rule and our candidate SQL),
and our journey validator on every journey upstream writes (it must find nothing to report)."""

from __future__ import annotations

from collections.abc import Sequence
from random import Random

from sqlalchemy import text

from attribtui.prosper.journey import (
    LOOKBACK_SECONDS,
    StoredTouch,
    Touch,
    build_journey,
    select_candidates,
    validate_journey,
)
from attribtui.queries.clicks import candidate_clicks

from .core import Answer, Context, Json, Rule, default_compare, error, output

FILES = ("202-config/Attribution/Repository/Mysql/ConversionJourneyRepository.php "
         "(persistJourney, fetchCandidateTouches, fetchJourneysForConversions)",)
OTHER_USER = 5_000_000


def prepare(ctx: Context, cases: Sequence[tuple[int, Json]]) -> None:
    rows = [{"id": cid, "u": owner, "c": campaign, "t": t}
            for _, case in cases for cid, t, campaign, owner in case["clicks"]]
    if rows:
        ctx.conn.execute(text(
            "INSERT INTO 202_clicks (click_id, user_id, aff_campaign_id, ppc_account_id, "
            "click_cpc, click_payout, click_time) VALUES (:id, :u, :c, 0, 0, 0, :t)"), rows)
    ctx.conn.commit()


def ours(ctx: Context, case: Json) -> Answer:
    converting = Touch(case["click_id"], case["click_time"])
    mine = [Touch(cid, t) for cid, t, campaign, owner in case["clicks"]
            if owner == case["user_id"] and campaign == case["campaign_id"]]
    pure = build_journey(select_candidates(mine, case["conv_time"]), converting)
    if ctx.read is not None:
        sql = build_journey(candidate_clicks(ctx.read, case["user_id"], case["campaign_id"],
                                             case["conv_time"]), converting)
        if sql != pure:
            return error("python:sql-vs-pure", f"candidate SQL {sql} / pure rule {pure}")
    rows = [[position, t.click_id, t.click_time] for position, t in enumerate(pure)]
    return output({"rows": rows, "fetched": [[t.click_id, t.click_time] for t in pure]})


def compare(case: Json, upstream: Answer, mine: Answer,
                _ctx: Context | None = None) -> tuple[str, str] | None:
    if "output" in upstream:
        stored = [StoredTouch(p, c, t) for p, c, t in upstream["output"]["rows"]]
        violations = validate_journey(stored, case["click_id"], case["conv_time"])
        if violations:
            return ("validator_flags_upstream_journey",
                    "; ".join(f"{x.code}: {x.message}" for x in violations))
    return default_compare(case, upstream, mine)


def _click_time(rng: Random, conv_time: int) -> int:
    start = max(0, conv_time - LOOKBACK_SECONDS)
    pick = rng.random()
    if pick < 0.15:
        t = rng.choice([start, start - 1, start + 1, conv_time, conv_time + 1, conv_time - 1])
    elif pick < 0.85:
        t = rng.randint(start, conv_time)
    else:
        t = rng.randint(start - 100000, conv_time + 100000)
    return max(0, t)


def random_case(rng: Random, i: int) -> Json:
    user, conv = i + 1, i + 1
    campaign = rng.choice([1, 2, 3])
    conv_time = rng.choice([1700000000 + rng.randint(0, 10 ** 7), rng.randint(0, 3 * 10 ** 6),
                            LOOKBACK_SECONDS, 0, 1])
    n = rng.choice([0, 1, 3, 10, 24, 25, 26, 30, rng.randint(0, 45)])
    ids = max(2, int(n * rng.choice([0.5, 1, 3])))
    clicks: list[list[int]] = []
    for _ in range(n):
        t = _click_time(rng, conv_time)
        clicks.append([rng.randint(1, ids), t, campaign, user])
    if clicks and rng.random() < 0.3:  # ties on click_time across ids
        t = rng.choice(clicks)[1]
        for c in rng.sample(clicks, min(len(clicks), rng.randint(2, 6))):
            c[1] = t
    for _ in range(rng.randint(0, 5)):  # noise: other campaigns, other users
        clicks.append([rng.randint(1, ids), _click_time(rng, conv_time),
                       rng.choice([campaign + 10, campaign]),
                       rng.choice([user, OTHER_USER + user])])
        if clicks[-1][2] == campaign and clicks[-1][3] == user:
            clicks[-1][3] = OTHER_USER + user
    pick = rng.random()
    if clicks and pick < 0.45:
        click_id, click_time = rng.choice(clicks)[:2]
        if rng.random() < 0.3:
            click_time = _click_time(rng, conv_time)  # conversion_logs.click_time disagrees
    else:
        click_id = rng.choice([rng.randint(1, ids + 3), 10 ** 6 + i])
        click_time = rng.choice([_click_time(rng, conv_time), conv_time + rng.randint(1, 10 ** 5),
                                 max(0, conv_time - LOOKBACK_SECONDS - rng.randint(1, 10 ** 5)),
                                 conv_time])
    return {"user_id": user, "campaign_id": campaign, "conv_id": conv, "conv_time": conv_time,
            "click_id": click_id, "click_time": click_time, "clicks": clicks}


def edges() -> list[Json]:
    t = 1700000000
    start = t - LOOKBACK_SECONDS
    specs: list[tuple[list[list[int]], int, int, int]] = [
        ([], 1, t + 60, t),                                   # converting click after conv_time
        ([], 1, start - 1, t),                                # older than the lookback
        ([[1, t - 5]], 1, t + 3600, t),                       # stored click id, other time
        ([[1, t - 5]], 2, t - 5, t),                          # tie with another click's time
        ([[k, t - k] for k in range(1, 27)], 99, t - 100, t),   # 26 in window, cut at 25
        ([[k, t] for k in range(1, 30)], 5, t, t),            # 29 ties on conv_time
        ([[k, t] for k in range(1, 30)], 99, t, t),
        ([[1, t - 1], [1, t - 2], [1, t - 3]], 1, t, t),      # one click id three times
        ([[1, t - 1], [1, start], [2, start - 1]], 3, t, t),  # duplicate across the bound
        ([[1, start], [2, t], [3, t + 1]], 3, t + 1, t),
        ([[k % 7, t - k] for k in range(40)], 3, t, t),       # many duplicates at the cut
        ([[1, 0], [2, 5]], 2, 5, 10),                         # conv_time below the lookback
        ([[1, 0]], 1, 0, 0),
        ([[1, 5]], 2, 3, 0),                                  # conv_time 0, click after it
    ]
    out = []
    for k, (clicks, click_id, click_time, conv_time) in enumerate(specs):
        user = 900_000 + k
        out.append({"user_id": user, "campaign_id": 1, "conv_id": 900_000 + k,
                    "conv_time": conv_time, "click_id": click_id, "click_time": click_time,
                    "clicks": [[c, tt, 1, user] for c, tt in clicks]})
    return out


RULE = Rule(
    name="journey",
    php_rule="journey",
    upstream_files=FILES,
    edges=edges,
    random=random_case,
    ours=ours,
    compare=compare,
    needs_db=True,
    prepare=prepare,
    golden_random=500,
)

RULES = [RULE]
