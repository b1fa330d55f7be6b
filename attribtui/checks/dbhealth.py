"""Database health: reachability and clock skew (every age attribtui shows depends on it)."""

from __future__ import annotations

from attribtui.checks.framework import (
    CheckContext,
    Evidence,
    Outcome,
    check,
    nothing_to_examine,
)
from attribtui.infra import clock
from attribtui.infra.db import describe_url
from attribtui.queries.replica import replica_lag
from attribtui.vocab import LAG_FAIL_S, LAG_WARN_S, SKEW_WARN_S, Status


@check("db.connection", "Database reachable")
def connection(ctx: CheckContext) -> Outcome:
    ms = ctx.db.ping(primary=True)
    rows = [["primary", ctx.db.label, f"{ms:.1f} ms"]]
    if ctx.db.has_replica:
        rows.append(["replica", describe_url(ctx.db.read_url or ""), f"{ctx.db.ping():.1f} ms"])
    return Outcome(Status.OK, f"Connected to {ctx.db.label} in {ms:.1f} ms.",
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
        return Outcome(Status.WARN,
            f"The database clock is {clock.ago(abs(skew))} {side} this machine: heartbeat and "
            "snapshot ages shown here are off by that much.",
            ev,
            "Make both hosts sync with NTP (timedatectl status; chronyc tracking).",
        )
    return Outcome(Status.OK, f"Clocks agree within {abs(skew):.1f} s.", ev)


@check("db.replica_lag", "Read replica keeps up with the primary")
def replica_lag_check(ctx: CheckContext) -> Outcome:
    if not ctx.db.has_replica:
        return nothing_to_examine("No read replica configured: no lag to measure; every read uses "
                                  "the primary.")
    lag, method = replica_lag(ctx.db)
    ev = Evidence.of(["replica", "lag_s", "measured by"],
                     [[describe_url(ctx.db.read_url or ""), lag, method]])
    if lag is None:
        return Outcome(Status.SKIPPED, f"Could not measure replica lag: {method}.", ev)
    text = f"The replica is {clock.ago(lag)} behind the primary (by {method})."
    fix = ("Screens read the replica, so recent changes may be missing there; verification after an "
           "action always reads the primary. Check replication (SHOW SLAVE STATUS on the replica).")
    if lag > LAG_FAIL_S:
        return Outcome(Status.FAIL, text, ev, fix)
    if lag > LAG_WARN_S:
        return Outcome(Status.WARN, text, ev, fix)
    return Outcome(Status.OK, text if lag else f"The replica is up to date (by {method}).", ev)
