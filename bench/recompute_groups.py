"""Recompute by group: 100 conversions from 5 (user, campaign) groups, and 100 random ones.

For each set, under the optimizer's own plan and under the issue's plan (the campaign key
ignored, so each candidate query scans the user's month of clicks, about 0.9 s): the
per-conversion path (`journeys.enrich` per report: upstream's candidate query per conversion),
the grouped path (`journeys.enrich_many`: one read per span, grouped as the server's plan says,
or one pass over the table when the campaigns hold 5 % of it; journeys.recompute_workers at 1
and 2), the grouped candidate reads alone, and the raw floors
with plain PyMySQL (one capped scan per (user, campaign) group span, sequentially; the
per-conversion queries, summed). The two paths' reports are compared; any difference is
printed. A summary ends the run: per plan and set, ours beside the floors, and the issue's two
goals (5 groups: ours <= 1.5 x the group floor + 2 s; random: ours <= 0.5 x the per-conversion
floor sum; ours = enrich_many with the default 2 workers), each PASS or FAIL.
BENCH_JOURNEY_CONVERSIONS sets the database size (default 1,000,000: the scale sandbox);
BENCH_RECOMPUTE_PLANS (optimizer,issue) and BENCH_RECOMPUTE_SETS (5 groups,random) narrow a run.
"""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator

import pymysql
from common import journey_database, row
from sqlalchemy.engine import make_url

from attribtui.infra.config import DbConfig, JourneysConfig, Profile
from attribtui.infra.db import Database
from attribtui.queries.clicks import CANDIDATES_SQL
from attribtui.services import journeys
from attribtui.services.journeys.groups import ROW_CAP, plan, window
from attribtui.services.journeys.prefetch import group_by, prefetch_all
from attribtui.services.journeys.report import JourneyReport

CONVERSIONS = int(os.environ.get("BENCH_JOURNEY_CONVERSIONS", "1000000"))
RUNS = 3
STATEMENT_TIMEOUT_MS = 60_000
# Which plans and sets to run (comma-separated); the plan takes minutes per set.
PLANS = os.environ.get("BENCH_RECOMPUTE_PLANS", "optimizer,issue").split(",")
SETS = os.environ.get("BENCH_RECOMPUTE_SETS", "5 groups,random").split(",")
Key = tuple[int, int, int]
GROUP_FLOOR = "raw floor: one capped scan per (user, campaign) group span"
CONV_FLOOR = "raw floor: the per-conversion query, summed"
OURS_1 = "grouped path: enrich_many, 1 worker"
OURS_2 = "grouped path: enrich_many, 2 workers"


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
            for span in plan(keys, by="campaign"):
                cur.execute(sql, (span.user_id, span.campaigns[0],
                                  *window(t for _, t in span.conversions)))
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


def timed(fn: Callable[[], object], runs: int) -> float:
    """Median seconds of runs (after the set's warm-up pass)."""
    return statistics.median(once_s(fn) for _ in range(runs))


def bench_set(db: Database, conn: pymysql.connections.Connection, url: str, label: str,
              ids: list[int], runs: int) -> dict[str, float]:
    """Prints each timing; returns them by name for the summary."""
    reports = journeys.lookup(db, ids)
    keys = [(r.conversion.user_id, r.conversion.campaign_id, r.conversion.conv_time)
            for r in reports if r.conversion is not None]
    by = group_by(db.reader(), keys, sqlite=db.is_sqlite, timeout_ms=db.statement_timeout_ms)
    reads = ("the first span by its index, the rest in one pass over the table" if by == "scan"
             else f"{len(plan(keys, by=by))} spans")
    print(f"  {label}: {len(keys)} conversions, {len({k[:2] for k in keys})} (user, campaign) "
          f"groups of {len({k[0] for k in keys})} user(s); the server's plan says {by}: {reads}")
    reference: list[JourneyReport] = []
    results: dict[int, list[JourneyReport]] = {}

    def per_conversion() -> None:
        memo = journeys.Memo()
        reference.clear()
        for r in journeys.lookup(db, ids):
            journeys.enrich(db, profile_of(url, 1), r, memo)
            reference.append(r)

    def grouped(workers: int) -> Callable[[], None]:
        def go() -> None:
            rs = journeys.lookup(db, ids)
            journeys.enrich_many(db, profile_of(url, workers), rs)
            results[workers] = rs
        return go

    def candidates(workers: int) -> Callable[[], None]:
        return lambda: prefetch_all(db, keys, workers=workers) and None

    timings = [
        (GROUP_FLOOR, lambda: raw_group_floor(conn, keys)),
        (CONV_FLOOR, lambda: raw_per_conversion_floor(conn, keys)),
        ("grouped candidate reads only, 1 worker", candidates(1)),
        ("grouped candidate reads only, 2 workers", candidates(2)),
        (OURS_1, grouped(1)),
        (OURS_2, grouped(2)),
        ("per-conversion path: enrich per report", per_conversion),
    ]
    if runs > 1:
        for _, fn in timings:  # warm the buffer pool and the connection pools alike
            fn()
    found: dict[str, float] = {}
    for name, fn in timings:
        found[name] = timed(fn, runs)
        row(name, f"{found[name]:8.2f} s")
    for workers, rs in results.items():
        differ = [a.conv_id for a, b in zip(reference, rs, strict=True)
                  if (a.recomputed, a.findings, a.credits, a.error)
                  != (b.recomputed, b.findings, b.credits, b.error)]
        errors = sum(1 for r in [*reference, *rs] if r.error)
        row(f"reports that differ between the paths ({workers} worker(s))",
            f"{len(differ)}" + (f" {differ[:10]}" if differ else "")
            + (f" ({errors} with a read error)" if errors else ""))
        found[f"differ {workers}"] = len(differ)
    return found


def summary(results: dict[tuple[str, str], dict[str, float]]) -> None:
    """Ours (workers 1 and 2) beside the floors, and each set's goal, PASS or FAIL."""
    print(" summary (seconds; ours = enrich_many; the goals judge the default 2 workers)")
    print(f"  {'plan':10} {'set':9} {'ours w1':>8} {'ours w2':>8} {'group fl':>9} "
          f"{'per-conv fl':>11}  goal")
    for (plan_name, label), t in results.items():
        ours, group, conv = t[OURS_2], t[GROUP_FLOOR], t[CONV_FLOOR]
        if label == "5 groups":
            bound = 1.5 * group + 2
            goal = f"ours <= 1.5 x group floor + 2 s = {bound:.2f}: {ours:.2f}"
        else:
            bound = 0.5 * conv
            goal = f"ours <= 0.5 x per-conv floor = {bound:.2f}: {ours / conv:.2f} x"
        same = "" if not (t.get("differ 1") or t.get("differ 2")) else " (REPORTS DIFFER)"
        print(f"  {plan_name:10} {label:9} {t[OURS_1]:8.2f} {ours:8.2f} {group:9.2f} "
              f"{conv:11.2f}  {goal} {'PASS' if ours <= bound else 'FAIL'}{same}")


@contextlib.contextmanager
def campaign_key_ignored(conn: pymysql.connections.Connection) -> Iterator[None]:
    """The issue's plan: without KEY aff_campaign_id the optimizer scans the user's clicks in
    the window on user_click_time (about 0.9 s a query here). MariaDB >= 10.6 hides an index
    without a rebuild; it is restored after, even on Ctrl-C."""
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE `202_clicks` ALTER INDEX `aff_campaign_id` IGNORED")
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE `202_clicks` ALTER INDEX `aff_campaign_id` NOT IGNORED")


def main() -> None:
    url, conn = journey_database(CONVERSIONS)
    # The plan runs about 1 s a query and, on a busy machine, sometimes past the
    # default 5 s statement timeout: the bench times plans, not timeouts.
    db = Database(url, statement_timeout_ms=STATEMENT_TIMEOUT_MS)
    sets = pick_sets(conn, random.Random(202))
    print(f"recompute by group on {make_url(url).database} ({CONVERSIONS} conversions), seconds, "
          f"statement timeout {STATEMENT_TIMEOUT_MS // 1000} s")
    sets = {k: v for k, v in sets.items() if k in SETS}
    results: dict[tuple[str, str], dict[str, float]] = {}
    if "optimizer" in PLANS:
        print(f" the optimizer's plan (KEY aff_campaign_id: a campaign's clicks), median of {RUNS} "
              "after a warm-up")
        for label, ids in sets.items():
            results[("optimizer", label)] = bench_set(db, conn, url, label, ids, RUNS)
    if "issue" in PLANS:
        print(" the issue's plan (aff_campaign_id IGNORED: the user's clicks on user_click_time), "
              "one run each, no warm-up")
        with campaign_key_ignored(conn):
            for label, ids in sets.items():
                results[("issue", label)] = bench_set(db, conn, url, label, ids, 1)
    summary(results)
    db.close()
    conn.close()


if __name__ == "__main__":
    main()
