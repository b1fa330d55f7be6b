"""backfill-conversion-journeys.php: persistJourney for every conversion of a window.

Same flags, output lines and exit codes as upstream (docs/prosper202.md
§backfill-conversion-journeys.php); each journey is built by the shared candidate query
(queries/clicks.py) and journey rule (prosper/journey.py), and multi-touch is decided by the
shared settings rule (docs/prosper202.md §Multi-touch settings).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from attribtui.infra import clock
from attribtui.infra.db import connection_reader
from attribtui.prosper.journey import LOOKBACK_SECONDS, Touch, build_journey
from attribtui.prosper.settings import SCOPE_TYPES, SettingRow, SettingsError
from attribtui.queries.clicks import candidate_clicks
from attribtui.queries.settings import TOGGLE, campaign_networks, decide, settings_rows
from attribtui.sandbox.cron import faults, pace
from attribtui.sandbox.cron.php import (
    OUTAGE_HTML,
    SETTING_ROW,
    connect,
    driver_message,
    err,
    fatal,
    flush_displayed,
    getopt,
    iso,
    opt_int,
    out,
    php_warnings,
    system_hash_warnings,
    warn,
)

DEFAULT_BATCH = 500
SETTINGS_SERVICE = ("/var/www/prosper202/202-config/Attribution/Service/"
                    "AttributionSettingsService.php")


def backfill(argv: list[str]) -> int:
    """connect.php first (an outage prints its page and exits 0 whatever the arguments), then
    the options, then the batches; PHP's displayed warnings reach stdout at exit."""
    try:
        return _run(argv)
    finally:
        flush_displayed()


def _run(argv: list[str]) -> int:
    php_warnings()
    eng = connect("backfill")
    if eng is None:
        out(OUTAGE_HTML)
        return 0
    try:
        opts = getopt(argv, ("user", "start", "end", "batch-size"))
        now = clock.now()
        batch = max(1, opt_int(opts["batch-size"])) if "batch-size" in opts else DEFAULT_BATCH
        end = opt_int(opts["end"]) if "end" in opts else now
        start = opt_int(opts["start"]) if "start" in opts else end - LOOKBACK_SECONDS
        user = opt_int(opts["user"]) if "user" in opts else None
        if start > end:
            err("Start time must be before end time.")
            return 1
        return _backfill(eng, start, end, user, batch, now)
    finally:
        eng.dispose()


def _settings(eng: Engine, uid: int) -> list[SettingRow]:
    """The user's deciding rows; on the 1.9.56 layout (no multi_touch_enabled column) upstream
    reads every row as disabled, with a warning (Setting::fromDatabaseRow, line 42)."""
    with eng.connect() as conn:
        return settings_rows(connection_reader(conn), [uid]).get(uid, [])


def _old_layout(eng: Engine) -> bool:
    """No multi_touch_enabled column (MariaDB or SQLite alike: a probe that reads no row)."""
    try:
        with eng.connect() as conn:
            conn.execute(text(f"SELECT {TOGGLE} FROM `202_attribution_settings` WHERE 1 = 0"))
    except DBAPIError as e:
        if TOGGLE in str(e.orig):
            return True
        raise
    return False


def _backfill(eng: Engine, start: int, end: int, user: int | None, batch: int, now: int) -> int:
    processed, last_id, errors = 0, 0, []
    settings: dict[int, list[SettingRow]] = {}
    networks: dict[int, int | None] = {}
    decided: dict[tuple[int, int, int | None], bool] = {}  # isMultiTouchEnabled's static cache
    old_layout = _old_layout(eng)
    where_user = " AND user_id = :u" if user is not None else ""
    while True:
        try:
            with eng.connect() as conn:
                rows = conn.execute(text(
                    "SELECT conv_id, click_id, user_id, campaign_id, conv_time, click_time FROM "
                    "`202_conversion_logs` WHERE conv_id > :last AND conv_time BETWEEN :s AND :e "
                    f"AND deleted = 0{where_user} ORDER BY conv_id LIMIT :n"),
                    {"last": last_id, "s": start, "e": end, "u": user, "n": batch}).all()
        except DBAPIError as e:  # the statement is prepared per batch: a failure ends the run
            err(f"Failed to prepare conversion lookup statement: {driver_message(e)}")
            return 1
        if not rows:
            break
        for conv_id, click_id, uid, campaign_id, conv_time, click_time in rows:
            uid, campaign_id, last_id = int(uid), int(campaign_id), int(conv_id)
            if campaign_id > 0 and campaign_id not in networks:
                with eng.connect() as conn:
                    networks.update(campaign_networks(connection_reader(conn), [campaign_id]))
            if uid <= 0:  # requirePositiveInt throws outside the try block
                return fatal("InvalidArgumentException", "Invalid user identifier supplied.",
                             SETTINGS_SERVICE, 318)
            key = (uid, campaign_id, networks.get(campaign_id))
            if key not in decided:
                if uid not in settings:
                    settings[uid] = _settings(eng, uid)
                if old_layout:  # one warning per row findForScopes hydrates
                    scopes = {("global", None), ("advertiser", key[2]), ("campaign", campaign_id)}
                    for row in settings[uid]:
                        if (row.collates_as or row.scope_type, row.scope_id) not in scopes:
                            continue
                        if row.scope_type not in SCOPE_TYPES:
                            break  # ScopeType::from throws before the warning's line
                        warn('Undefined array key "multi_touch_enabled"', SETTING_ROW, 42)
                try:
                    enabled, _ = decide(settings, networks, uid, campaign_id)
                except SettingsError as e:  # ScopeType::from on a row the collation matched
                    return fatal(e.php_class, e.message, SETTING_ROW, 37)
                decided[key] = enabled
            if not decided[key]:
                continue
            try:
                _persist_journey(eng, int(conv_id), int(click_id), uid, campaign_id,
                                 int(conv_time), int(click_time), now)
            except Exception as e:  # noqa: BLE001 - collected like the PHP does
                errors.append(f"Conversion {conv_id} failed: MySQL execute failed: "
                              f"{driver_message(e)}")
                continue
            system_hash_warnings()
            processed += 1
        out(f"Processed {processed} conversions...")
        pace.step()
    who = f" for user {user}" if user is not None else ""
    out(f"Journey backfill complete. {processed} conversions processed between {iso(start)} "
        f"and {iso(end)}{who}.")
    if errors:
        err("Encountered errors while persisting journeys:")
        for line in errors:
            err(line)
        return 1
    return 0


def _persist_journey(eng: Engine, conv_id: int, click_id: int, user_id: int, campaign_id: int,
                     conv_time: int, click_time: int, now: int) -> None:
    """persistJourney (docs/prosper202.md §persistJourney): candidates, journey rule, one
    transaction."""
    faults.conversion_fails(conv_id)
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
