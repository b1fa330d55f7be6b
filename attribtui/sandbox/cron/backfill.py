"""backfill-conversion-journeys.php: persistJourney for every conversion of a window.

Same flags, output lines and exit codes as upstream (docs/prosper202.md
§backfill-conversion-journeys.php); each journey is built by the shared candidate query
(queries/clicks.py) and journey rule (prosper/journey.py), and multi-touch is decided by the
shared settings rule (docs/prosper202.md §Multi-touch settings).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from attribtui.infra import clock
from attribtui.infra.db import connection_reader
from attribtui.prosper.journey import LOOKBACK_SECONDS, Touch, build_journey
from attribtui.prosper.settings import SettingRow
from attribtui.queries.clicks import candidate_clicks
from attribtui.queries.settings import campaign_networks, decide, settings_rows
from attribtui.sandbox.cron.php import (
    OUTAGE_HTML,
    connect,
    err,
    getopt,
    iso,
    opt_int,
    out,
    php_warnings,
    server_vars_set,
)

DEFAULT_BATCH = 500
JOURNEY_REPOSITORY = ("/var/www/prosper202/202-config/Attribution/Repository/Mysql/"
                      "ConversionJourneyRepository.php")


def backfill(argv: list[str]) -> int:
    opts = getopt(argv, ("user", "start", "end", "batch-size"))
    now = clock.now()
    batch = max(1, opt_int(opts["batch-size"])) if "batch-size" in opts else DEFAULT_BATCH
    end = opt_int(opts["end"]) if "end" in opts else now
    start = opt_int(opts["start"]) if "start" in opts else end - LOOKBACK_SECONDS
    user = opt_int(opts["user"]) if "user" in opts else None
    php_warnings()
    if start > end:
        err("Start time must be before end time.")
        return 1
    eng = connect()
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
    quiet = server_vars_set()
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
                    err(f'PHP Warning:  Undefined array key "{key}" in {JOURNEY_REPOSITORY} '
                        "on line 214")
            try:
                _persist_journey(eng, int(conv_id), int(click_id), uid, campaign_id,
                                 int(conv_time), int(click_time), now)
            except Exception as e:  # noqa: BLE001 - collected like the PHP does
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
    out(f"Journey backfill complete. {processed} conversions processed between {iso(start)} "
        f"and {iso(end)}{who}.")
    return 0


def _persist_journey(eng: Engine, conv_id: int, click_id: int, user_id: int, campaign_id: int,
                     conv_time: int, click_time: int, now: int) -> None:
    """persistJourney (docs/prosper202.md §persistJourney): candidates, journey rule, one
    transaction."""
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
