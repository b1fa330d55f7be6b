"""`attribtui check` at scale: 1M conversions, 2M clicks, 10M journey rows (issue 4).

Times each check beside the raw floor queries of the issue, in the same run, on the same
database (seeded set-based by attribtui.sandbox.scale and reused across runs). Targets: the whole
check run under 3 s, no check over 1 s.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import pymysql
from common import BIN, row, scale_database

from attribtui import checks
from attribtui.infra import clock
from attribtui.infra.db import Database

RUNS = 5


def timed(cur: pymysql.cursors.Cursor, sql: str, args: tuple = (), runs: int = RUNS) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        cur.execute(sql, args)
        cur.fetchall()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def floor_queries(url: str, now: int) -> list[tuple[str, float]]:
    name = url.rsplit("/", 1)[1]
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", database=name)
    out = []
    with conn.cursor() as cur:
        cur.execute("SELECT MAX(conv_id) FROM `202_conversion_logs`")
        newest = cur.fetchone()[0]
        conv = newest - 1000
        cur.execute("SELECT user_id, campaign_id, conv_time FROM `202_conversion_logs` "
                    "WHERE conv_id = %s", (conv,))
        user, campaign, conv_time = cur.fetchone()
        ids = tuple(range(conv - 100, conv))
        marks = ", ".join(["%s"] * len(ids))
        cur.execute("SELECT conv_id FROM `202_conversion_logs` WHERE conv_id >= "
                    "(SELECT MIN(conv_id) FROM `202_conversion_logs` WHERE conv_time >= %s) "
                    "ORDER BY conv_id LIMIT 1", (now - 48 * 3600,))  # set-up only, not timed
        lo = cur.fetchone()[0]
        out += [
            ("one conversion row (PK)", timed(
                cur, "SELECT * FROM `202_conversion_logs` WHERE conv_id = %s", (conv,))),
            ("its touchpoints (KEY conv_id)", timed(
                cur, "SELECT * FROM `202_conversion_touchpoints` WHERE conv_id = %s "
                     "ORDER BY position", (conv,))),
            ("touchpoints of 100 conversions", timed(
                cur, f"SELECT * FROM `202_conversion_touchpoints` WHERE conv_id IN ({marks}) "
                     "ORDER BY conv_id, position", ids)),
            ("count a 48 h window by conv_time (scan)", timed(
                cur, "SELECT COUNT(*) FROM `202_conversion_logs` WHERE conv_time BETWEEN %s AND %s",
                (now - 48 * 3600, now), runs=3)),
            ("count a 48 h window by conv_id range", timed(
                cur, "SELECT COUNT(*) FROM `202_conversion_logs` WHERE conv_id BETWEEN %s AND %s",
                (lo, newest))),
            ("the journey rule's candidate-click query", timed(
                cur, "SELECT click_id, click_time FROM `202_clicks` WHERE user_id = %s AND "
                     "aff_campaign_id = %s AND click_time BETWEEN %s AND %s "
                     "ORDER BY click_time DESC, click_id DESC LIMIT 25",
                (user, campaign, max(0, conv_time - 2592000), conv_time), runs=3)),
            ("naive credit sum over 2 h of snapshots", timed(
                cur, "SELECT t.conv_id, SUM(t.credit) FROM `202_attribution_touchpoints` t "
                     "JOIN `202_conversion_logs` l ON l.conv_id = t.conv_id "
                     "WHERE l.conv_time >= %s GROUP BY t.conv_id",
                (clock.hour(now) - 7200,), runs=1)),
        ]
    conn.close()
    return out


def main() -> None:
    t0 = time.perf_counter()
    url, marker = scale_database()
    seeded = marker.get("seconds")
    now = int(marker["now"])
    print(f"scale sandbox: {marker['conversions']:,} conversions, {marker['scale']['clicks']:,} "
          f"clicks, {marker['conversions'] * marker['scale']['touches']:,} journey rows "
          f"(seeded in {seeded} s; this run waited {time.perf_counter() - t0:.0f} s for it)")
    clock.freeze(now)
    runs = []
    for _ in range(3):
        db = Database(url)
        ctx = checks.CheckContext(db=db, now=now)
        t1 = time.perf_counter()
        results = checks.run_checks(ctx, checks.select(None))
        runs.append((time.perf_counter() - t1, results))
        db.close()
    wall, results = sorted(runs, key=lambda r: r[0])[1]  # the median run
    print(f"\nchecks in-process, median of {len(runs)} runs: {wall * 1000:.0f} ms "
          "(target < 3000 ms, each < 1000 ms)")
    for r in sorted(results, key=lambda r: -r.duration_ms):
        row(f"{r.id} [{r.status}]", f"{r.duration_ms:7.1f} ms")
    slowest = max(r.duration_ms for r in results)
    env = {**os.environ, "ATTRIBTUI_DB_URL": url, "ATTRIBTUI_NOW": str(now)}
    t2 = time.perf_counter()
    subprocess.run([str(BIN / "attribtui"), "check", "--no-save"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    command = time.perf_counter() - t2
    print("\nraw floor queries (plain PyMySQL, same database, median)")
    for label, seconds in floor_queries(url, now):
        row(label, f"{seconds * 1000:9.1f} ms")
    print(f"\nattribtui check --no-save (whole command, cold process): {command * 1000:.0f} ms")
    ok = wall < 3 and slowest < 1000
    print(f"targets met: {'yes' if ok else 'NO'} (run {wall * 1000:.0f} ms, slowest check "
          f"{slowest:.0f} ms)")


if __name__ == "__main__":
    sys.exit(main())
