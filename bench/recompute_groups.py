"""Recompute by group: 100 conversions from 5 (user, campaign) groups, and 100 random ones.

For each set, one run of: the per-conversion path (`journeys.enrich` per report: upstream's
candidate query per conversion), the grouped path (`journeys.enrich_many`: one read per group
span, journeys.recompute_workers at 1 and 2), the grouped candidate reads alone, and the raw
floors with plain PyMySQL (one capped scan per group, sequentially; the per-conversion queries,
summed). The two paths' reports are compared; any difference is printed.
BENCH_JOURNEY_CONVERSIONS sets the database size (default 1,000,000: the scale sandbox).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

import pymysql
from common import row, scale_database, seeded_database
from sqlalchemy.engine import make_url

from attribtui.infra.config import DbConfig, JourneysConfig, Profile
from attribtui.infra.db import Database
from attribtui.queries.clicks import CANDIDATES_SQL
from attribtui.services import journeys
from attribtui.services.journeys.groups import ROW_CAP, plan, window
from attribtui.services.journeys.prefetch import prefetch_all
from attribtui.services.journeys.report import JourneyReport

CONVERSIONS = int(os.environ.get("BENCH_JOURNEY_CONVERSIONS", "1000000"))
Key = tuple[int, int, int]


def once_s(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def pick_sets(conn: pymysql.connections.Connection, rng: random.Random
              ) -> dict[str, list[int]]:
    """{"5 groups": 20 conv_ids from each of 5 groups, "random": 100 random conv_ids}."""
    with conn.cursor() as cur:
        cur.execute("SELECT user_id, campaign_id FROM `202_conversion_logs` GROUP BY user_id, "
                    "campaign_id HAVING COUNT(*) >= 20 ORDER BY user_id, campaign_id")
        groups = rng.sample(list(cur.fetchall()), 5)
        grouped: list[int] = []
        for user, campaign in groups:
            cur.execute("SELECT conv_id FROM `202_conversion_logs` WHERE user_id = %s AND "
                        "campaign_id = %s ORDER BY conv_id LIMIT 5000", (user, campaign))
            grouped += rng.sample([int(r[0]) for r in cur.fetchall()], 20)
        cur.execute("SELECT MAX(conv_id) FROM `202_conversion_logs`")
        top = int(cur.fetchone()[0])
    return {"5 groups": sorted(grouped), "random": sorted(rng.sample(range(1, top + 1), 100))}


def raw_group_floor(conn: pymysql.connections.Connection, keys: list[Key]) -> float:
    """One capped scan per group span, one after another, with the driver alone."""
    sql = CANDIDATES_SQL.replace(":user", "%s").replace(":campaign", "%s").replace(
        ":start", "%s").replace(":end", "%s").replace("LIMIT 25", f"LIMIT {ROW_CAP}")

    def go() -> None:
        with conn.cursor() as cur:
            for span in plan(keys):
                cur.execute(sql, (span.user_id, span.campaign_id, *window(span.conv_times)))
                cur.fetchall()

    return once_s(go)


def raw_per_conversion_floor(conn: pymysql.connections.Connection, keys: list[Key]) -> float:
    """Upstream's candidate query once per conversion, with the driver alone."""
    sql = CANDIDATES_SQL.replace(":user", "%s").replace(":campaign", "%s").replace(
        ":start", "%s").replace(":end", "%s")

    def go() -> None:
        with conn.cursor() as cur:
            for user, campaign, conv_time in keys:
                cur.execute(sql, (user, campaign, max(0, conv_time - 2592000), conv_time))
                cur.fetchall()

    return once_s(go)


def profile_of(url: str, workers: int) -> Profile:
    return Profile(name="bench", environment="dev", db=DbConfig(url=url),
                   journeys=JourneysConfig(recompute_workers=workers))


def bench_set(db: Database, conn: pymysql.connections.Connection, url: str, label: str,
              ids: list[int]) -> None:
    reports = journeys.lookup(db, ids)
    keys = [(r.conversion.user_id, r.conversion.campaign_id, r.conversion.conv_time)
            for r in reports if r.conversion is not None]
    spans = plan(keys)
    print(f"  {label}: {len(keys)} conversions, {len({k[:2] for k in keys})} groups, "
          f"{len(spans)} spans")

    reference: list[JourneyReport] = []

    def per_conversion() -> None:
        memo = journeys.Memo()
        for r in journeys.lookup(db, ids):
            journeys.enrich(db, profile_of(url, 1), r, memo)
            reference.append(r)

    results: dict[int, list[JourneyReport]] = {}

    def grouped(workers: int) -> Callable[[], None]:
        def go() -> None:
            rs = journeys.lookup(db, ids)
            journeys.enrich_many(db, profile_of(url, workers), rs)
            results[workers] = rs
        return go

    floor_groups = raw_group_floor(conn, keys)
    row("raw floor: one capped scan per group span (sequential)", f"{floor_groups:8.2f} s")
    floor_each = raw_per_conversion_floor(conn, keys)
    row("raw floor: the per-conversion query, summed", f"{floor_each:8.2f} s")
    for workers in (1, 2):
        t = once_s(lambda: prefetch_all(db, keys, workers=workers))  # noqa: B023 - run at once
        row(f"grouped candidate reads only, {workers} worker(s)", f"{t:8.2f} s")
    for workers in (1, 2):
        row(f"grouped path, enrich_many, {workers} worker(s)", f"{once_s(grouped(workers)):8.2f} s")
    row("per-conversion path, enrich per report", f"{once_s(per_conversion):8.2f} s")
    for workers, rs in results.items():
        differ = [a.conv_id for a, b in zip(reference, rs, strict=True)
                  if (a.recomputed, a.findings, a.credits, a.error)
                  != (b.recomputed, b.findings, b.credits, b.error)]
        row(f"reports that differ ({workers} worker(s))",
            f"{len(differ)}" + (f" {differ[:10]}" if differ else ""))


def main() -> None:
    if CONVERSIONS >= 1_000_000:  # the set-based scale database (reused across runs)
        url, _ = scale_database(conversions=CONVERSIONS)
    else:
        url = seeded_database(f"attribtui_bench_{CONVERSIONS // 1000}k", CONVERSIONS)
    u = make_url(url)
    conn = pymysql.connect(host=u.host, port=u.port or 3306, user=u.username,
                           password=u.password or "", database=u.database, autocommit=True)
    db = Database(url)
    rng = random.Random(202)
    print(f"recompute by group on {u.database} ({CONVERSIONS} conversions), one run each")
    for label, ids in pick_sets(conn, rng).items():
        bench_set(db, conn, url, label, ids)
    db.close()
    conn.close()


if __name__ == "__main__":
    main()
