"""Journey lookup of 1 and of 100 conv_ids, beside the same raw indexed SELECTs with plain PyMySQL.

Target (issue 5): `journeys.lookup` within 1.5x of the raw queries plus 20 ms for rendering; the
recomputation (candidate-click query, settings, credits) is timed separately: it runs in a worker.
BENCH_JOURNEY_CONVERSIONS sets the database size (default 1,000,000; the issue's figure).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable

import pymysql
from common import journey_database, row
from sqlalchemy.engine import make_url

from attribtui.infra.config import DbConfig, Profile
from attribtui.infra.db import Database
from attribtui.services import journeys

CONVERSIONS = int(os.environ.get("BENCH_JOURNEY_CONVERSIONS", "1000000"))
RUNS = 30


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    fn()  # warm the pool and the buffer pool
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000


def raw_lookup(conn: pymysql.connections.Connection, ids: list[int]) -> None:
    """The same two indexed reads, with the driver alone (no timeout, no pool, no parsing)."""
    marks = ", ".join(["%s"] * len(ids))
    with conn.cursor() as cur:
        cur.execute("SELECT conv_id, click_id, user_id, campaign_id, click_time, conv_time, "
                    f"click_payout, deleted, transaction_id FROM `202_conversion_logs` "
                    f"WHERE conv_id IN ({marks}) LIMIT {len(ids)}", ids)
        cur.fetchall()
        cur.execute("SELECT conv_id, position, click_id, click_time FROM "
                    f"`202_conversion_touchpoints` WHERE conv_id IN ({marks}) "
                    f"ORDER BY conv_id, position, touchpoint_id LIMIT {len(ids) * 100 + 1}", ids)
        cur.fetchall()


def main() -> None:
    url, conn = journey_database(CONVERSIONS)
    db = Database(url)
    profile = Profile(name="bench", environment="dev", db=DbConfig(url=url))
    rng = random.Random(5)
    one = [rng.randint(1, CONVERSIONS)]
    hundred = sorted(rng.sample(range(1, CONVERSIONS + 1), 100))

    def enrich_one() -> None:
        [report] = journeys.lookup(db, one)
        journeys.enrich(db, profile, report)

    def enrich_hundred() -> None:
        memo = journeys.Memo()
        for report in journeys.lookup(db, hundred):
            journeys.enrich(db, profile, report, memo)

    results = {
        "raw 1": median_ms(lambda: raw_lookup(conn, one)),
        "lookup 1": median_ms(lambda: journeys.lookup(db, one)),
        "raw 100": median_ms(lambda: raw_lookup(conn, hundred)),
        "lookup 100": median_ms(lambda: journeys.lookup(db, hundred)),
        "enrich 1": median_ms(enrich_one),
        "enrich 100": median_ms(enrich_hundred, runs=5),
    }
    print(f"journey lookup on {make_url(url).database} ({CONVERSIONS} conversions), median ms")
    for n in ("1", "100"):
        raw, ours = results[f"raw {n}"], results[f"lookup {n}"]
        target = raw * 1.5 + 20
        row(f"raw PyMySQL, {n} conv_id(s): conversion rows + touchpoints", f"{raw:8.1f} ms")
        verdict = "ok" if ours <= target else "OVER"
        row(f"journeys.lookup, {n} conv_id(s) (target < {target:.1f} ms)",
            f"{ours:8.1f} ms  {verdict}")
    row("lookup + recompute + credits, 1 conv_id (worker)", f"{results['enrich 1']:8.1f} ms")
    row("lookup + recompute + credits, 100 conv_ids (worker)", f"{results['enrich 100']:8.1f} ms")
    db.close()
    conn.close()


if __name__ == "__main__":
    main()
