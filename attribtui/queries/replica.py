"""How far the read replica is behind the primary (the header and db.replica_lag)."""

from __future__ import annotations

from attribtui.infra.db import Database
from attribtui.prosper import tables as pt


def replica_lag(db: Database) -> tuple[float | None, str]:
    """(seconds behind the primary, how it was measured); (None, why) when it cannot tell.

    Prefers the server's own view (SHOW SLAVE STATUS, needs REPLICATION CLIENT); otherwise
    compares the newest conversion on both sides: conv_id grows with conv_time, so the primary's
    conversions missing on the replica tell how far behind it is. No privilege needed.
    """
    if not db.has_replica:
        return None, "no replica configured (db.read_url)"
    if not db.is_sqlite:
        rows = db.replica_status()
        if rows and rows[0].get("Seconds_Behind_Master") is not None:
            return float(str(rows[0]["Seconds_Behind_Master"])), "SHOW SLAVE STATUS"
    table = pt.conversion_logs.name
    newest = f"SELECT conv_id, conv_time FROM `{table}` ORDER BY conv_id DESC LIMIT 1"
    primary = db.read(newest, primary=True)
    replica = db.read(newest)
    if not primary:
        return 0.0, "no conversions on the primary yet"
    if replica and replica[0][0] >= primary[0][0]:
        return 0.0, "newest conversion present on both"
    behind_since = db.read(
        f"SELECT conv_time FROM `{table}` WHERE conv_id > :c ORDER BY conv_id LIMIT 1",
        {"c": replica[0][0] if replica else 0}, primary=True)
    first_missing = behind_since[0][0] if behind_since else primary[0][1]
    return max(0.0, float(primary[0][1] - first_missing)) + 1.0, "newest conversion on each side"
