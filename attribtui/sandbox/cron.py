"""Stand-ins for Prosper202's cron scripts, on the sandbox database named by P202_SANDBOX_DB_URL.

    python -m attribtui.sandbox.cron rebuild  [--user=ID] [--start=TS] [--end=TS]
    python -m attribtui.sandbox.cron backfill [--user=ID] [--start=TS] [--end=TS] [--batch-size=N]

Same flags (PHP getopt `::`: only --opt=value works), output lines, exit codes and guard as
attribution-rebuild.php and backfill-conversion-journeys.php (facts section 3), doing the real
work with the shared rules (prosper/journey.py, credit.py, settings.py), so the demo's jobs really
rebuild the demo data. Like a bare PHP CLI, they print connect.php's warnings unless HTTP_HOST,
SERVER_ADDR, SERVER_NAME and REMOTE_ADDR are set. "now" is clock.now() (ATTRIBTUI_NOW in tests).
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from attribtui.infra import clock, engines
from attribtui.infra.db import connection_reader, in_clause
from attribtui.prosper.credit import assign_credits, contribution, round_credit
from attribtui.prosper.journey import LOOKBACK_SECONDS, Touch, build_journey, journey_for_credit
from attribtui.prosper.models import ModelRow
from attribtui.prosper.settings import SettingRow
from attribtui.prosper.validation import php_int
from attribtui.queries.clicks import candidate_clicks
from attribtui.queries.models import user_models
from attribtui.queries.settings import campaign_networks, decide, settings_rows

RUNNER_BATCH = 5000
SNAPSHOT_LIMIT = 10000
_CENT4 = Decimal("0.0001")
CONNECT = "/var/www/prosper202/202-config/connect.php"
SERVER_VARS = ("HTTP_HOST", "SERVER_ADDR", "SERVER_NAME", "REMOTE_ADDR")
OUTAGE_HTML = ("<html><head><title>Prosper202</title></head><body>"
               "<h2>Could not connect to the database.</h2></body></html>")


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def getopt(argv: list[str], names: tuple[str, ...]) -> dict[str, Any]:
    """PHP getopt with `name::` long options: --name=value gives the value, a bare --name gives
    False, a repeated option gives a list; the first non-option argument stops parsing."""
    found: dict[str, Any] = {}
    for arg in argv:
        if not arg.startswith("--") or arg == "--":
            break
        name, eq, value = arg[2:].partition("=")
        if name not in names:
            continue
        v: Any = value if eq else False
        if name in found:
            found[name] = (found[name] if isinstance(found[name], list) else [found[name]]) + [v]
        else:
            found[name] = v
    return found


def _int(v: Any) -> int:
    return php_int(v if not isinstance(v, bool) else int(v))


def _php_warnings(n: int = 1, lines: tuple[int, ...] = (186, 187)) -> None:
    """What connect.php's display_errors=On prints in a bare CLI (both streams)."""
    if any(os.environ.get(k) for k in SERVER_VARS):
        return
    for _ in range(n):
        for key, line in zip(("REMOTE_ADDR", "SERVER_NAME"), lines, strict=True):
            out("")
            out(f'Warning: Undefined array key "{key}" in {CONNECT} on line {line}')
            err(f'PHP Warning:  Undefined array key "{key}" in {CONNECT} on line {line}')


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()  # date('c'): 2026-11-26T12:00:00+00:00


def _engine() -> Engine | None:
    url = os.environ.get("P202_SANDBOX_DB_URL")
    if not url:
        return None
    eng = engines.create(url)
    try:
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - connect.php's outage page, exit 0
        eng.dispose()
        return None
    return eng


def _money(v: Decimal) -> Decimal:
    return v.quantize(_CENT4, rounding=ROUND_HALF_UP)


# -- rebuild ----------------------------------------------------------------------------------------


class ModelRowError(Exception):
    """A model row upstream cannot load: fails the whole user, as the runner does."""


def _models(conn: Connection, user_id: int) -> list[ModelRow]:
    rows = user_models(connection_reader(conn), user_id, SNAPSHOT_LIMIT, active_only=True,
                       newest_first=False)
    for row in rows:
        if row.problem:
            raise ModelRowError(row.problem)
    return rows


def run_for_user(eng: Engine, user_id: int, start: int, end: int, now: int) -> None:
    """AttributionJobRunner::runForUser (facts s.3)."""
    if start >= end:
        raise ValueError("Start time must be earlier than end time for attribution job.")
    with eng.connect() as conn:
        models = _models(conn, user_id)
    if not models:
        return
    h0, h1 = clock.hour(start), clock.hour(end)
    known: dict[int, dict[int, int]] = {}
    with eng.begin() as conn:
        for m in models:
            rows = conn.execute(text(
                "SELECT snapshot_id, date_hour FROM `202_attribution_snapshots` WHERE model_id = :m "
                "AND scope_type = 'global' AND scope_id IS NULL AND date_hour BETWEEN :a AND :b "
                "ORDER BY snapshot_id LIMIT :n"),
                {"m": m.model_id, "a": h0, "b": h1, "n": SNAPSHOT_LIMIT}).all()
            known[m.model_id] = {int(h): int(sid) for sid, h in rows}
            ids = [sid for sid, _ in rows]
            for i in range(0, len(ids), 1000):
                part, params = in_clause("s", ids[i:i + 1000])
                conn.execute(text(
                    f"DELETE FROM `202_attribution_touchpoints` WHERE snapshot_id IN ({part})"),
                    params)
    totals: dict[int, dict[int, list[Any]]] = {m.model_id: {} for m in models}
    stats: dict[int, dict[str, Any]] = {
        m.model_id: {"hours": set(), "clicks": 0, "conversions": 0, "revenue": Decimal(0),
                     "cost": Decimal(0)} for m in models}
    batches, last_id = 0, 0
    while True:
        with eng.connect() as conn:
            convs = conn.execute(text(
                "SELECT cl.conv_id, cl.click_id, cl.click_payout, cl.conv_time, c.click_time, "
                "c.click_cpc FROM `202_conversion_logs` cl INNER JOIN `202_clicks` c "
                "ON c.click_id = cl.click_id WHERE cl.user_id = :u AND cl.conv_time BETWEEN :s "
                "AND :e AND cl.deleted = 0 AND cl.conv_id > :last ORDER BY cl.conv_id LIMIT :n"),
                {"u": user_id, "s": start, "e": end, "last": last_id, "n": RUNNER_BATCH}).all()
            if not convs:
                break
            ids = sorted({int(r[0]) for r in convs})
            part, params = in_clause("c", ids)
            journeys: dict[int, list[Touch]] = defaultdict(list)
            for conv_id, click_id, click_time in conn.execute(text(
                    "SELECT conv_id, click_id, click_time FROM `202_conversion_touchpoints` "
                    f"WHERE conv_id IN ({part}) ORDER BY conv_id, position"), params):
                journeys[int(conv_id)].append(Touch(int(click_id), int(click_time)))
        batches += 1
        last_id = int(convs[-1][0])
        for m in models:
            mid = m.model_id
            per_hour: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for conv_id, click_id, payout, conv_time, click_time, cpc in convs:
                converting = Touch(int(click_id), int(click_time))
                journey = journey_for_credit(journeys.get(int(conv_id), []), converting)
                credits = assign_credits(m.type, m.config, journey, converting, int(conv_time))
                part_ = contribution(credits, Decimal(payout), Decimal(cpc))
                hour = clock.hour(int(conv_time))
                t = totals[mid].setdefault(hour, [0, 0, Decimal(0), Decimal(0)])
                t[0] += part_.clicks
                t[1] += 1
                t[2] += part_.revenue
                t[3] += part_.cost
                s = stats[mid]
                s["hours"].add(hour)
                s["clicks"] += part_.clicks
                s["conversions"] += 1
                s["revenue"] += part_.revenue
                s["cost"] += part_.cost
                per_hour[hour].extend(
                    {"conv_id": int(conv_id), "click_id": c.click_id, "position": c.position,
                     "credit": str(round_credit(c.credit)), "created_at": now} for c in credits)
            for hour, rows in sorted(per_hour.items()):
                with eng.begin() as conn:  # one transaction per hour
                    if hour not in known[mid]:
                        res = conn.execute(text(
                            "INSERT INTO `202_attribution_snapshots` (model_id, user_id, scope_type,"
                            " scope_id, date_hour, lookback_start, lookback_end, attributed_clicks,"
                            " attributed_conversions, attributed_revenue, attributed_cost, "
                            "created_at) VALUES (:m, :u, 'global', NULL, :h, :s, :e, 0, 0, 0, 0, "
                            ":now)"), {"m": mid, "u": user_id, "h": hour, "s": start, "e": end,
                                       "now": now})
                        known[mid][hour] = int(res.lastrowid)
                    sid = known[mid][hour]
                    conn.execute(text(
                        "INSERT INTO `202_attribution_touchpoints` (snapshot_id, conv_id, click_id,"
                        " position, credit, weight, created_at) VALUES (:sid, :conv_id, :click_id,"
                        " :position, :credit, :credit, :created_at)"),
                        [{**r, "sid": sid} for r in rows])
        if len(convs) < RUNNER_BATCH:
            break
    if batches == 0:
        return  # an empty window: touchpoints already deleted, totals stay stale, no audit
    with eng.begin() as conn:
        for m in models:
            mid = m.model_id
            for hour, sid in known[mid].items():
                clicks, conversions, revenue, cost = totals[mid].get(
                    hour, [0, 0, Decimal(0), Decimal(0)])
                conn.execute(text(
                    "UPDATE `202_attribution_snapshots` SET attributed_clicks = :c, "
                    "attributed_conversions = :v, attributed_revenue = :r, attributed_cost = :k, "
                    "lookback_start = :s, lookback_end = :e WHERE snapshot_id = :sid"),
                    {"c": clicks, "v": conversions, "r": str(_money(revenue)), "k": str(_money(cost)),
                     "s": start, "e": end, "sid": sid})
            s = stats[mid]
            meta = {"lookback_start": start, "lookback_end": end, "batches": batches,
                    "hours_processed": len(s["hours"]), "clicks": s["clicks"],
                    "conversions": s["conversions"], "revenue": float(_money(s["revenue"])),
                    "cost": float(_money(s["cost"]))}
            conn.execute(text(
                "INSERT INTO `202_attribution_audit` (user_id, model_id, action, metadata, "
                "created_at) VALUES (:u, :m, 'snapshot_rebuild', :meta, :now)"),
                {"u": user_id, "m": mid, "meta": json.dumps(meta), "now": now})
            err(f"[Prosper202][attribution_job] model_id={mid} user_id={user_id} "
                f"batches={batches} hours={len(s['hours'])} clicks={s['clicks']} "
                f"conversions={s['conversions']} revenue={s['revenue']:.4f} "
                f"cost={s['cost']:.4f} window={start}-{end}")


def rebuild(argv: list[str]) -> int:
    opts = getopt(argv, ("user", "start", "end"))
    now = clock.now()
    end = _int(opts["end"]) if "end" in opts else now
    start = _int(opts["start"]) if "start" in opts else end - 86400
    _php_warnings()
    if start >= end:
        err("Start timestamp must be earlier than end timestamp.")
        return 1
    eng = _engine()
    if eng is None:
        out(OUTAGE_HTML)  # connect.php on a DB outage: HTML, exit 0
        return 0
    try:
        if "user" in opts:
            users = [_int(opts["user"])]
        else:
            with eng.connect() as conn:
                users = [int(u) for (u,) in conn.execute(text(
                    "SELECT user_id FROM `202_users` WHERE user_deleted = 0 ORDER BY user_id"))]
        if not users:
            out("No users found for attribution processing.")
            return 0
        bucket = clock.hour(end)
        with eng.begin() as conn:
            seen = conn.execute(text(
                "SELECT 1 FROM `202_cronjobs` WHERE cronjob_type = 'attr' AND cronjob_time = :b "
                "LIMIT 1"), {"b": bucket}).first()
            if seen:
                out("Attribution cron already processed this window; skipping.")
                return 0
            conn.execute(text("INSERT INTO `202_cronjobs` (cronjob_type, cronjob_time) "
                              "VALUES ('attr', :b)"), {"b": bucket})
            conn.execute(text("DELETE FROM `202_cronjobs` WHERE cronjob_type = 'attr' AND "
                              "cronjob_time < :b"), {"b": bucket})
        errors = []
        for user in users:
            try:
                run_for_user(eng, user, start, end, now)
            except Exception as e:  # noqa: BLE001 - collected like the PHP does
                msg = str(getattr(e, "orig", None) or e).splitlines()[0]
                errors.append(f"User {user}: {msg}")
        with eng.begin() as conn:
            conn.execute(text("DELETE FROM `202_cronjob_logs` WHERE id = 2"))
            conn.execute(text("INSERT INTO `202_cronjob_logs` (id, last_execution_time) "
                              "VALUES (2, :t)"), {"t": clock.now()})
        if errors:
            err("Attribution recalculation completed with errors:")
            for line in errors:
                err(line)
            return 1
        out(f"Attribution recalculation complete for {len(users)} user(s) covering "
            f"{_iso(start)} to {_iso(end)}.")
        return 0
    finally:
        eng.dispose()


# -- backfill ---------------------------------------------------------------------------------------


def backfill(argv: list[str]) -> int:
    opts = getopt(argv, ("user", "start", "end", "batch-size"))
    now = clock.now()
    batch = max(1, _int(opts["batch-size"])) if "batch-size" in opts else 500
    end = _int(opts["end"]) if "end" in opts else now
    start = _int(opts["start"]) if "start" in opts else end - LOOKBACK_SECONDS
    user = _int(opts["user"]) if "user" in opts else None
    _php_warnings()
    if start > end:
        err("Start time must be before end time.")
        return 1
    eng = _engine()
    if eng is None:
        out(OUTAGE_HTML)
        return 0
    try:
        return _backfill(eng, start, end, user, batch, now)
    finally:
        eng.dispose()


def _backfill(eng: Engine, start: int, end: int, user: int | None, batch: int, now: int) -> int:
    processed, last_id, errors = 0, 0, []
    settings: dict[int, list[SettingRow]] = {}
    networks: dict[int, int | None] = {}
    quiet = any(os.environ.get(k) for k in SERVER_VARS)
    where_user = " AND user_id = :u" if user is not None else ""
    while True:
        with eng.connect() as conn:
            rows = conn.execute(text(
                "SELECT conv_id, click_id, user_id, campaign_id, conv_time, click_time FROM "
                "`202_conversion_logs` WHERE conv_id > :last AND conv_time BETWEEN :s AND :e AND "
                f"deleted = 0{where_user} ORDER BY conv_id LIMIT :n"),
                {"last": last_id, "s": start, "e": end, "u": user, "n": batch}).all()
        if not rows:
            break
        for conv_id, click_id, uid, campaign_id, conv_time, click_time in rows:
            uid, campaign_id = int(uid), int(campaign_id)
            with eng.connect() as conn:
                if uid not in settings:
                    settings.update(settings_rows(connection_reader(conn), [uid]))
                if campaign_id not in networks:
                    networks.update(campaign_networks(connection_reader(conn), [campaign_id]))
            enabled, _ = decide(settings, networks, uid, campaign_id)
            if not enabled:
                continue
            if not quiet:  # systemHash() reads HTTP_HOST and SERVER_ADDR per conversion
                for key in ("HTTP_HOST", "SERVER_ADDR"):
                    err(f'PHP Warning:  Undefined array key "{key}" in /var/www/prosper202/'
                        "202-config/Attribution/Repository/Mysql/ConversionJourneyRepository.php "
                        "on line 214")
            try:
                _persist_journey(eng, int(conv_id), int(click_id), uid, campaign_id,
                                 int(conv_time), int(click_time), now)
            except Exception as e:  # noqa: BLE001
                errors.append(f"Conversion {conv_id} failed: {str(e).splitlines()[0]}")
            processed += 1
        last_id = int(rows[-1][0])
        out(f"Processed {processed} conversions...")
        if len(rows) < batch:
            break
    if errors:
        err("Encountered errors while persisting journeys:")
        for line in errors:
            err(line)
        return 1
    who = f" for user {user}" if user is not None else ""
    out(f"Journey backfill complete. {processed} conversions processed between {_iso(start)} "
        f"and {_iso(end)}{who}.")
    return 0


def _persist_journey(eng: Engine, conv_id: int, click_id: int, user_id: int, campaign_id: int,
                     conv_time: int, click_time: int, now: int) -> None:
    """persistJourney (facts s.4): candidates, journey rule, one transaction."""
    with eng.connect() as conn:
        candidates = candidate_clicks(connection_reader(conn), user_id, campaign_id, conv_time)
    journey = build_journey(candidates, Touch(click_id, click_time))
    with eng.begin() as conn:
        conn.execute(text("DELETE FROM `202_conversion_touchpoints` WHERE conv_id = :c"),
                     {"c": conv_id})
        conn.execute(text(
            "INSERT INTO `202_conversion_touchpoints` (conv_id, click_id, click_time, position, "
            "created_at) VALUES (:conv, :click, :t, :p, :now)"),
            [{"conv": conv_id, "click": t.click_id, "t": t.click_time, "p": p, "now": now}
             for p, t in enumerate(journey)])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("rebuild", "backfill"):
        err("usage: python -m attribtui.sandbox.cron rebuild|backfill [--opt=value ...]")
        return 64
    return rebuild(argv[1:]) if argv[0] == "rebuild" else backfill(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
