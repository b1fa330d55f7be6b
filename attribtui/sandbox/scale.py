"""A million-conversion sandbox for benchmarks: set-based INSERT ... SELECT over MariaDB's
seq_1_to_N sequence tables (no Python rows), reused across runs through the sandbox marker.

Shape (defaults): 2M clicks and 1M conversions over 30 days, 10 journey touches per conversion
(10M rows in 202_conversion_touchpoints), three active models (user 1: last_touch + algorithmic,
user 2: last_touch) with hourly snapshots and one credit row per model and conversion, and a week
of hourly snapshot_rebuild audit rows. Journeys follow the rule's invariants (positions 0..9, the
converting click last, chronological), so a scale run of the checks is clean and measures speed.
Secondary indexes of the big tables are dropped for the load and rebuilt after it (a sort per
index instead of millions of random B-tree inserts).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from sqlalchemy import Engine, text
from sqlalchemy.schema import CreateIndex

from attribtui.infra import clock
from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY, HOUR
from attribtui.sandbox.defects import CRON_MINUTE_OFFSET, last_cron_run
from attribtui.sandbox.schema import create_schema
from attribtui.sandbox.seed.marker import read_marker, write_marker
from attribtui.sandbox.seed.replay import cron_rows
from attribtui.sandbox.seed.target import (
    SeedRefused,
    check_contents,
    check_target,
    open_target,
    parse_url,
    redact,
)
from attribtui.vocab import JsonDict

SPAN = 30 * DAY
TOUCHES = 10
CAMPAIGNS = 1000
CHUNK = 100_000  # conversions per INSERT ... SELECT of touchpoints (1M rows)
BIG_TABLES = ("202_clicks", "202_conversion_logs", "202_conversion_touchpoints",
              "202_attribution_touchpoints")

Progress: TypeAlias = Callable[[str], None]
_Step: TypeAlias = Callable[[Engine, "ScaleSpec", int, int, Progress | None], None]


@dataclass(frozen=True)
class ScaleSpec:
    conversions: int = 1_000_000
    clicks: int = 2_000_000
    touches: int = TOUCHES

    def key(self) -> dict[str, int]:
        return {"conversions": self.conversions, "clicks": self.clicks, "touches": self.touches}


def ensure(url: str, spec: ScaleSpec = ScaleSpec(), *, now: int | None = None,
           progress: Progress | None = None) -> JsonDict:
    """The marker of a scale sandbox at url with this shape, seeding it only when needed."""
    try:
        marker = read_marker(url)
    except Exception:  # noqa: BLE001 - the database does not exist yet
        marker = None
    if marker and marker.get("scale") == spec.key():
        return marker
    return seed_scale(url, spec, now=now, progress=progress, reset=marker is not None)


def _say(progress: Progress | None, msg: str) -> None:
    if progress:
        progress(msg)


def seed_scale(url: str, spec: ScaleSpec = ScaleSpec(), *, now: int | None = None,
               progress: Progress | None = None, reset: bool = False) -> JsonDict:
    u = parse_url(url)
    if u.get_backend_name() == "sqlite":
        raise SeedRefused("the scale sandbox needs MariaDB (sequence tables); use mysql+pymysql://")
    check_target(u, False, ())
    engine = open_target(u)
    started = time.perf_counter()
    now = clock.now() if now is None else now
    hb = last_cron_run(now)
    try:
        check_contents(engine, redact(u), reset)
        create_schema(engine)
        with engine.begin() as conn:
            for table in BIG_TABLES:
                for index in pt.metadata.tables[table].indexes:
                    conn.execute(text(f"ALTER TABLE `{table}` DROP INDEX `{index.name}`"))
        steps: list[tuple[str, _Step]] = [("users, campaigns, models", _small), ("clicks", _clicks),
                 ("conversions", _conversions), ("journeys", _journeys),
                 ("snapshots and audit", _snapshots), ("credits", _credits),
                 ("indexes", _indexes)]
        for name, fn in steps:
            t0 = time.perf_counter()
            _say(progress, f"{name} ...")
            fn(engine, spec, now, hb, progress)
            _say(progress, f"{name}: {time.perf_counter() - t0:.1f} s")
        marker: JsonDict = {"seeded_at": int(time.time()), "now": now, "hb": hb,
                          "conversions": spec.conversions, "defects": [], "scale": spec.key(),
                          "seconds": round(time.perf_counter() - started, 1)}
        write_marker(engine, marker)
        return marker
    finally:
        engine.dispose()


def _run(engine: Engine, sql: str, **params: int) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def _small(engine: Engine, spec: ScaleSpec, now: int, hb: int, progress: Progress | None) -> None:
    at = now - SPAN - DAY
    with engine.begin() as conn:
        for uid, name in ((1, "demo"), (2, "agency")):
            conn.execute(pt.users.insert(), {
                "user_id": uid, "user_name": name, "user_pass": "!", "user_email": f"{name}@x",
                "user_dash_email": f"{name}@x", "user_time_register": at, "install_hash": "",
                "user_hash": name, "user_active": 1, "user_deleted": 0})
        conn.execute(text(
            "INSERT INTO `202_aff_campaigns` (aff_campaign_id, user_id, aff_network_id, "
            "aff_campaign_deleted, aff_campaign_name, aff_campaign_url, aff_campaign_payout, "
            "aff_campaign_time, aff_campaign_foreign_payout) SELECT seq, IF(seq % 5 = 0, 2, 1), "
            "1 + seq % 3, 0, CONCAT('Offer ', seq), '', 10, :at, 10 FROM seq_1_to_1000"), {"at": at})
        models = [(1, 1, "Last Touch Attribution", "last-touch-default", "last_touch", None, 1),
                  (2, 1, "Algorithmic", "algorithmic", "algorithmic",
                   json.dumps({"strategy": "data_driven"}), 0),
                  (3, 2, "Last Touch Attribution", "last-touch-default", "last_touch", None, 1)]
        for mid, uid, name, slug, type_, config, default in models:
            conn.execute(pt.attribution_models.insert(), {
                "model_id": mid, "user_id": uid, "model_name": name, "model_slug": slug,
                "model_type": type_, "weighting_config": config, "is_active": 1,
                "is_default": default, "created_at": at, "updated_at": at})
        conn.execute(pt.attribution_settings.insert(), {
            "user_id": 1, "scope_type": "global", "scope_id": None, "model_id": 1,
            "multi_touch_enabled": 1, "effective_at": at, "created_at": at, "updated_at": at})
        heartbeats, guards = cron_rows(now=now, hb=hb)
        conn.execute(pt.cronjob_logs.insert(), heartbeats)
        conn.execute(pt.cronjobs.insert(), guards)


def _click_time(expr: str, spec: ScaleSpec, now: int) -> str:
    """The time of click id `expr`: ids grow with time over the span, ending a minute before now."""
    return f"({now - SPAN - 60} + FLOOR({expr} * {SPAN} / {spec.clicks}))"


def _campaign(expr: str) -> str:
    return f"(1 + ({expr}) % {CAMPAIGNS})"


def _user(expr: str) -> str:
    return f"IF({_campaign(expr)} % 5 = 0, 2, 1)"


def _clicks(engine: Engine, spec: ScaleSpec, now: int, hb: int, progress: Progress | None) -> None:
    for lo in range(1, spec.clicks + 1, 1_000_000):
        hi = min(spec.clicks, lo + 999_999)
        _run(engine,
             "INSERT INTO `202_clicks` (click_id, user_id, aff_campaign_id, landing_page_id, "
             "ppc_account_id, click_cpc, click_payout, click_lead, click_filtered, click_bot, "
             f"click_alp, click_time, rotator_id, rule_id) SELECT seq, {_user('seq')}, "
             f"{_campaign('seq')}, 1 + seq % 7, 1 + seq % 4, 0.5, 10, 0, 0, 0, 0, "
             f"{_click_time('seq', spec, now)}, 0, 0 FROM seq_{lo}_to_{hi}")


def _conversions(engine: Engine, spec: ScaleSpec, now: int, hb: int,
                 progress: Progress | None) -> None:
    step = spec.clicks // spec.conversions  # converting click of conversion n: click n * step
    ct = _click_time(f"seq * {step}", spec, now)
    _run(engine,
         "INSERT INTO `202_conversion_logs` (conv_id, click_id, transaction_id, campaign_id, "
         "click_payout, user_id, click_time, conv_time, time_difference, ip, pixel_type, "
         f"user_agent, deleted) SELECT seq, seq * {step}, CONCAT('TX', seq), "
         f"{_campaign(f'seq * {step}')}, 10, {_user(f'seq * {step}')}, {ct}, {ct} + 60, "
         f"'00:01:00', '', 1, 'bench', seq % 97 = 0 FROM seq_1_to_{spec.conversions}")


def _journeys(engine: Engine, spec: ScaleSpec, now: int, hb: int, progress: Progress | None) -> None:
    """Touch k of conversion n is click n*step - (touches-1-k)*step: chronological, converting
    click last, all inside the lookback."""
    step = spec.clicks // spec.conversions
    last = spec.touches - 1
    click = f"(c.seq * {step} - ({last} - k.seq) * {step})"
    for lo in range(spec.touches, spec.conversions + 1, CHUNK):
        hi = min(spec.conversions, lo + CHUNK - 1)
        _run(engine,
             "INSERT INTO `202_conversion_touchpoints` (conv_id, click_id, click_time, position, "
             f"created_at) SELECT c.seq, {click}, {_click_time(click, spec, now)}, k.seq, "
             f"{_click_time(f'c.seq * {step}', spec, now)} + 60 "
             f"FROM seq_{lo}_to_{hi} c JOIN seq_0_to_{last} k ORDER BY c.seq, k.seq")
        _say(progress, f"journeys: {hi:,} of {spec.conversions:,} conversions")


# The hour of a conversion, and the rebuild run that last covered it (:15 of the next day, or hb).
_CONV_HOUR = f"l.conv_time - l.conv_time % {HOUR}"
_LAST_RUN = f"LEAST(:hb, {_CONV_HOUR} + {DAY} + {CRON_MINUTE_OFFSET})"


def _snapshots(engine: Engine, spec: ScaleSpec, now: int, hb: int, progress: Progress | None) -> None:
    """One snapshot per model and hour, created by the :15 run after the hour, and a week of
    hourly snapshot_rebuild audit rows per model."""
    _run(engine,
         "INSERT INTO `202_attribution_snapshots` (model_id, user_id, scope_type, scope_id, "
         "date_hour, lookback_start, lookback_end, attributed_clicks, attributed_conversions, "
         "attributed_revenue, attributed_cost, created_at) SELECT m.model_id, l.user_id, 'global', "
         f"NULL, {_CONV_HOUR} AS h, {_LAST_RUN} - {DAY}, {_LAST_RUN}, "
         "COUNT(*), COUNT(*), SUM(l.click_payout), COUNT(*) * 0.5, "
         f"{_CONV_HOUR} + {HOUR + CRON_MINUTE_OFFSET} FROM `202_conversion_logs` l "
         "JOIN `202_attribution_models` m ON m.user_id = l.user_id "
         "WHERE l.deleted = 0 AND l.conv_time <= :hb GROUP BY m.model_id, l.user_id, h "
         "ORDER BY h, m.model_id", hb=hb)
    run = f":hb - s.seq * {HOUR}"
    _run(engine,
         "INSERT INTO `202_attribution_audit` (user_id, model_id, action, metadata, created_at) "
         "SELECT m.user_id, m.model_id, 'snapshot_rebuild', CONCAT('{\"lookback_start\": ', "
         f"{run} - {DAY}, ', \"lookback_end\": ', {run}, "
         f"', \"batches\": 1}}'), {run} FROM seq_0_to_{7 * 24 - 1} s "
         "JOIN `202_attribution_models` m ORDER BY s.seq DESC, m.model_id", hb=hb)


def _credits(engine: Engine, spec: ScaleSpec, now: int, hb: int, progress: Progress | None) -> None:
    """One credit of 1 per model and live conversion (last touch and algorithmic, which runs as
    last touch), in its hour's snapshot."""
    for lo in range(1, spec.conversions + 1, 250_000):
        hi = min(spec.conversions, lo + 249_999)
        _run(engine,
             "INSERT INTO `202_attribution_touchpoints` (snapshot_id, conv_id, click_id, position, "
             "credit, weight, created_at) SELECT s.snapshot_id, l.conv_id, l.click_id, 0, 1, 1, "
             "s.lookback_end FROM `202_conversion_logs` l JOIN `202_attribution_snapshots` s "
             f"ON s.user_id = l.user_id AND s.date_hour = {_CONV_HOUR} "
             "WHERE l.conv_id BETWEEN :lo AND :hi AND l.deleted = 0 AND l.conv_time <= :hb "
             "ORDER BY l.conv_id, s.model_id", lo=lo, hi=hi, hb=hb)


INDEX_READ_TIMEOUT_S = 3600  # an ALTER adding a big table's indexes answers only when done


def _indexes(engine: Engine, spec: ScaleSpec, now: int, hb: int, progress: Progress | None) -> None:
    with engine.begin() as conn:
        # The plain engine's 10 s socket read timeout (infra/engines.py) would cut the ALTER of
        # 2M clicks on a busy 2-core machine; PyMySQL reads it per read, as engines.py sets it.
        conn.connection.dbapi_connection._read_timeout = INDEX_READ_TIMEOUT_S  # type: ignore[union-attr]
        for table in BIG_TABLES:
            adds = []
            for index in pt.metadata.tables[table].indexes:
                ddl = str(CreateIndex(index).compile(dialect=conn.dialect))
                cols = ddl[ddl.index("(") :]
                unique = "UNIQUE " if index.unique else ""
                adds.append(f"ADD {unique}INDEX `{index.name}` {cols}")
            _say(progress, f"indexes: {table}")
            conn.execute(text(f"ALTER TABLE `{table}` " + ", ".join(adds)))
            conn.execute(text(f"ANALYZE TABLE `{table}`"))

