"""attribution-rebuild.php: the guard, every user (or one), the heartbeat, the summary line.

Same flags, output lines and exit codes as upstream (docs/prosper202.md §attribution-rebuild.php);
the work per user is runner.py's.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from attribtui.infra import clock
from attribtui.prosper.hours import DAY, hour
from attribtui.queries.cron import GUARD_TYPE, REBUILD_HEARTBEAT
from attribtui.sandbox.cron import faults, pace
from attribtui.sandbox.cron.php import (
    OUTAGE_HTML,
    connect,
    driver_message,
    err,
    flush_displayed,
    getopt,
    iso,
    opt_int,
    out,
    php_warnings,
)
from attribtui.sandbox.cron.runner import run_for_user


def rebuild(argv: list[str]) -> int:
    """connect.php first (an outage prints its page and exits 0 whatever the arguments), then
    the options, the users, the guard, the runs and the heartbeat."""
    try:
        return _run(argv)
    finally:
        flush_displayed()


def _message(e: Exception) -> str:
    """The message upstream collects for a failed user. With the connection gone, the runner's
    next prepare fails first (Database/Connection.php prepare())."""
    if faults.connection_lost(e):
        return f"Failed to prepare MySQL statement: {driver_message(e)}"
    return str(getattr(e, "orig", None) or e).splitlines()[0]


def _run(argv: list[str]) -> int:
    php_warnings()
    eng = connect("rebuild")
    if eng is None:
        out(OUTAGE_HTML)  # connect.php on a DB outage: HTML, exit 0
        return 0
    opts = getopt(argv, ("user", "start", "end"))
    now = clock.now()
    end = opt_int(opts["end"]) if "end" in opts else now
    start = opt_int(opts["start"]) if "start" in opts else end - DAY
    try:
        if start >= end:
            err("Start timestamp must be earlier than end timestamp.")
            return 1
        if "user" in opts:
            users = [opt_int(opts["user"])]
        else:
            with eng.connect() as conn:
                users = [int(u) for (u,) in conn.execute(text(
                    "SELECT user_id FROM `202_users` WHERE user_deleted = 0 ORDER BY user_id"))]
        if not users:
            out("No users found for attribution processing.")
            return 0
        bucket = hour(end)
        with eng.begin() as conn:
            seen = conn.execute(text(
                "SELECT 1 FROM `202_cronjobs` WHERE cronjob_type = :t AND cronjob_time = :b "
                "LIMIT 1"), {"t": GUARD_TYPE, "b": bucket}).first()
            if seen:
                out("Attribution cron already processed this window; skipping.")
                return 0
            conn.execute(text("INSERT INTO `202_cronjobs` (cronjob_type, cronjob_time) "
                              "VALUES (:t, :b)"), {"t": GUARD_TYPE, "b": bucket})
            conn.execute(text("DELETE FROM `202_cronjobs` WHERE cronjob_type = :t AND "
                              "cronjob_time < :b"), {"t": GUARD_TYPE, "b": bucket})
        errors = []
        for user in users:
            try:
                run_for_user(eng, user, start, end, now)
            except Exception as e:  # noqa: BLE001 - collected like the PHP does
                errors.append(f"User {user}: {_message(e)}")
            pace.step()
        try:
            with eng.begin() as conn:
                conn.execute(text("DELETE FROM `202_cronjob_logs` WHERE id = :id"),
                             {"id": REBUILD_HEARTBEAT})
                conn.execute(text("INSERT INTO `202_cronjob_logs` (id, last_execution_time) "
                                  "VALUES (:id, :t)"), {"id": REBUILD_HEARTBEAT, "t": clock.now()})
        except DBAPIError:
            pass  # mysqli's query() returns false and nobody looks: no heartbeat, no word
        if errors:
            err("Attribution recalculation completed with errors:")
            for line in errors:
                err(line)
            return 1
        out(f"Attribution recalculation complete for {len(users)} user(s) covering "
            f"{iso(start)} to {iso(end)}.")
        return 0
    finally:
        eng.dispose()
