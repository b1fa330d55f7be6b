"""Database health: reachability and clock skew (every age attribtui shows depends on it)."""

from __future__ import annotations

from attribtui import clock
from attribtui.checks import CheckContext, Evidence, Outcome, check

SKEW_WARN_S = 60


@check("db.connection", "Database reachable")
def connection(ctx: CheckContext) -> Outcome:
    ms = ctx.db.ping(primary=True)
    rows = [["primary", ctx.db.label, f"{ms:.1f} ms"]]
    if ctx.db.has_replica:
        from attribtui.db import describe_url

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
