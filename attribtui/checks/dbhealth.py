"""Database health: reachability and clock skew (every age attribtui shows depends on it)."""

from __future__ import annotations

from attribtui.checks import CheckContext, Evidence, Outcome, check
from attribtui.infra import clock
from attribtui.infra.db import Database, describe_url
from attribtui.services.status import LAG_WARN_S, SKEW_WARN_S  # one threshold for header and checks


@check("db.connection", "Database reachable")
def connection(ctx: CheckContext) -> Outcome:
    ms = ctx.db.ping(primary=True)
    rows = [["primary", ctx.db.label, f"{ms:.1f} ms"]]
    if ctx.db.has_replica:
        rows.append(["replica", describe_url(ctx.db.read_url or ""), f"{ctx.db.ping():.1f} ms"])
    return Outcome("ok", f"Connected to {ctx.db.label} in {ms:.1f} ms.",
                   Evidence.of(["role", "database", "round trip"], rows))


@check("db.clock_skew", "Database clock agrees with this machine")
def clock_skew(ctx: CheckContext) -> Outcome:
    server, local = ctx.db.server_clock()
    skew = server - local
    ev = Evidence.of(
        ["database clock", "local clock", "skew_s"],
        [[clock.iso(int(server)), clock.iso(int(local)), round(skew, 1)]],
    )
    if abs(skew) > SKEW_WARN_S:
        side = "ahead of" if skew > 0 else "behind"
        return Outcome(
            "warn",
            f"The database clock is {clock.ago(abs(skew))} {side} this machine: heartbeat and "
            "snapshot ages shown here are off by that much.",
            ev,
            "Make both hosts sync with NTP (timedatectl status; chronyc tracking).",
        )
    return Outcome("ok", f"Clocks agree within {abs(skew):.1f} s.", ev)


LAG_FAIL_S = 15 * 60


def replica_lag(db: Database) -> tuple[float | None, str]:
    """(seconds behind the primary, how it was measured); (None, why) when it cannot tell.

    Prefers the server's own view (SHOW SLAVE STATUS, needs REPLICATION CLIENT); otherwise
    compares the newest conversion on both sides: conv_id grows with conv_time, so the primary's
    conversions missing on the replica tell how far behind it is. No privilege needed.
    """
    if not db.has_replica:
        return None, "no replica configured (db.read_url)"
    if not db.is_sqlite:
        try:
            with db.engine("read").connect() as conn:
                rows = conn.exec_driver_sql("SHOW SLAVE STATUS").mappings().all()
        except Exception:  # noqa: BLE001 - no privilege or not a replica: fall back to the data
            rows = []
        if rows and rows[0].get("Seconds_Behind_Master") is not None:
            return float(rows[0]["Seconds_Behind_Master"]), "SHOW SLAVE STATUS"
    newest = "SELECT conv_id, conv_time FROM `202_conversion_logs` ORDER BY conv_id DESC LIMIT 1"
    primary = db.read(newest, primary=True)
    replica = db.read(newest)
    if not primary:
        return 0.0, "no conversions on the primary yet"
    if replica and replica[0][0] >= primary[0][0]:
        return 0.0, "newest conversion present on both"
    behind_since = db.read(
        "SELECT conv_time FROM `202_conversion_logs` WHERE conv_id > :c ORDER BY conv_id LIMIT 1",
        {"c": replica[0][0] if replica else 0}, primary=True)
    first_missing = behind_since[0][0] if behind_since else primary[0][1]
    return max(0.0, float(primary[0][1] - first_missing)) + 1.0, "newest conversion on each side"


@check("db.replica_lag", "Read replica keeps up with the primary")
def replica_lag_check(ctx: CheckContext) -> Outcome:
    if not ctx.db.has_replica:
        return Outcome("info", "No read replica configured; every read uses the primary.")
    lag, method = replica_lag(ctx.db)
    ev = Evidence.of(["replica", "lag_s", "measured by"],
                     [[describe_url(ctx.db.read_url or ""), lag, method]])
    if lag is None:
        return Outcome("skipped", f"Could not measure replica lag: {method}.", ev)
    text = f"The replica is {clock.ago(lag)} behind the primary (by {method})."
    fix = ("Screens read the replica, so recent changes may be missing there; verification after an "
           "action always reads the primary. Check replication (SHOW SLAVE STATUS on the replica).")
    if lag > LAG_FAIL_S:
        return Outcome("fail", text, ev, fix)
    if lag > LAG_WARN_S:
        return Outcome("warn", text, ev, fix)
    return Outcome("ok", text if lag else f"The replica is up to date (by {method}).", ev)
