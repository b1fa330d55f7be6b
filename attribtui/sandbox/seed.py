"""Seed an embedded Prosper202: realistic data relative to `now`, then the planted defects.

The data follows the facts sheet, not convenience: journeys are written by the real rule
(prosper/journey.py), credits by the real strategies (prosper/credit.py), and snapshots, audit rows
and cron logs by replaying the hourly rebuild, so a healthy sandbox passes the console's checks and
only the planted defects show. Deterministic for (rng_seed, now, conversions): one random.Random,
never the wall clock (except the marker's seeded_at).

Safety first: it only writes to loopback databases (unless allow_remote), never to a URL the caller
forbids, never to a database that is not already an attribtui sandbox, and marks a complete seed by
writing the marker rows last.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
import ipaddress
import json
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, inspect, select, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

from attribtui import __version__
from attribtui.infra import clock, engines
from attribtui.prosper import tables as pt
from attribtui.prosper.credit import (
    Contribution,
    Credit,
    assign_credits,
    contribution,
    round_credit,
)
from attribtui.prosper.journey import Touch, build_journey, journey_for_credit, select_candidates
from attribtui.sandbox.defects import (
    CRON_MINUTE_OFFSET,
    DEFECTS,
    Defect,
    PlantContext,
    SeedPlan,
    demo_defects,
    last_cron_run,
)
from attribtui.sandbox.schema import MARKER_TABLE, create_schema, drop_schema, marker
from attribtui.vocab import Refused

HOUR = 3600
DAY = 86400
CHUNK_ROWS = 10_000
RUNNER_BATCH = 5000  # AttributionJobRunner reads conversions 5000 at a time
MODELS_AGE = 8 * DAY
CLICK_DAYS = 10
CONVERSION_DAYS = 7
LOOPBACK_NAMES = {"localhost"}
MYSQL_DEFAULT_PORT = 3306

Progress = Callable[[str, float], None]


class SeedRefused(Refused):
    """The target is not safe to seed; the message names it and the fix."""


@dataclass
class SeedReport:
    url: str
    now: int
    hb: int
    counts: dict[str, int]
    defects: list[str]
    seconds: float
    # defect id -> the ids its plant touched (conv_ids, model_ids, ...), also in the marker
    affected: dict[str, Any] = field(default_factory=dict)


# -- safety ----------------------------------------------------------------------------------------


def _parse(url: str) -> URL:
    try:
        u = make_url(url)
    except ArgumentError:
        raise SeedRefused(
            "the sandbox URL is not a database URL; use mysql+pymysql://root@127.0.0.1:3306/name "
            "or sqlite:///path"
        ) from None
    if u.get_backend_name() not in ("mysql", "mariadb", "sqlite"):
        raise SeedRefused(
            f"cannot seed a {u.get_backend_name()} database; use MariaDB (mysql+pymysql://) or SQLite"
        )
    return u


def _is_loopback(u: URL) -> bool:
    host = u.host
    if not host or host.lower() in LOOPBACK_NAMES:
        return True  # no host: a unix socket (or the driver's default, localhost)
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _identity(u: URL) -> tuple[Any, ...]:
    """What makes two URLs the same database: backend, normalised host, port and name."""
    if u.get_backend_name() == "sqlite":
        return ("sqlite", str(Path(u.database or ":memory:").resolve()))
    host = "loopback" if _is_loopback(u) else (u.host or "").lower()
    return ("mysql", host, u.port or MYSQL_DEFAULT_PORT, u.database or "")


def _check_target(u: URL, allow_remote: bool, forbidden_urls: Sequence[str]) -> None:
    shown = _redact(u)
    if u.get_backend_name() != "sqlite":
        if not u.database:
            raise SeedRefused(f"{shown} names no database; add one, e.g. .../attribtui_sandbox")
        if not allow_remote and not _is_loopback(u):
            raise SeedRefused(
                f"{shown} is not on this machine; seed a loopback database (127.0.0.1, ::1, "
                "localhost, a unix socket) or pass allow_remote"
            )
    target = _identity(u)
    for other in forbidden_urls:
        try:
            same = _identity(make_url(other)) == target
        except ArgumentError:
            continue
        if same:
            raise SeedRefused(
                f"{shown} is the database of a production or unknown profile; seed a separate "
                "sandbox database instead"
            )


def _redact(u: URL) -> str:
    return u.render_as_string(hide_password=True)


def _engine(u: URL) -> Engine:
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        return engines.create(u.render_as_string(hide_password=False))
    if _is_loopback(u):
        server_url = URL.create(u.drivername, u.username, u.password, u.host, u.port,
                                query=u.query)
        server = engines.create(server_url.render_as_string(hide_password=False), null_pool=True)
        try:
            with server.begin() as conn:
                name = conn.dialect.identifier_preparer.quote(u.database)
                conn.execute(text(
                    f"CREATE DATABASE IF NOT EXISTS {name} "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
                ))
        finally:
            server.dispose()
    return engines.create(u.render_as_string(hide_password=False))


def _check_contents(engine: Engine, shown: str, reset: bool) -> None:
    present = set(inspect(engine).get_table_names())
    if MARKER_TABLE in present:
        if not reset:
            raise SeedRefused(
                f"{shown} is already an attribtui sandbox; pass reset to drop and reseed it"
            )
        drop_schema(engine)
    elif present:
        example = sorted(present & set(pt.metadata.tables) or present)[0]
        raise SeedRefused(
            f"{shown} has tables (e.g. {example}) but is not an attribtui sandbox; "
            "seed an empty or new database instead"
        )


def read_marker(url: str) -> dict[str, Any] | None:
    """The sandbox marker: None if the database is not a sandbox, {} while a seed is unfinished."""
    engine = engines.create(url, null_pool=True)
    try:
        if MARKER_TABLE not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            rows = conn.execute(select(marker.c.name, marker.c.value)).all()
        return {name: json.loads(value) for name, value in rows}
    finally:
        engine.dispose()


# -- the data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ModelSpec:
    user_id: int
    name: str
    slug: str
    type: str
    config: dict[str, float] | None
    active: bool
    default: bool


_MODELS = [
    _ModelSpec(1, "Last Touch Attribution", "last-touch-default", "last_touch", None, True, True),
    _ModelSpec(1, "Time Decay 48h", "time-decay-48h", "time_decay", {"half_life_hours": 48},
               True, False),
    _ModelSpec(1, "Position 40/40", "position-40-40", "position_based",
               {"first_touch_weight": 0.4, "last_touch_weight": 0.4}, True, False),
    _ModelSpec(1, "Assisted", "assisted", "assisted", None, False, False),
    _ModelSpec(2, "Last Touch Attribution", "last-touch-default", "last_touch", None, True, True),
    _ModelSpec(2, "Time Decay 24h", "time-decay-24h", "time_decay", {"half_life_hours": 24},
               True, False),
]
# (user_id, user_name, user_deleted): user 3 was deleted through the UI.
_USERS = [(1, "demo", 0), (2, "agency", 0), (3, "former", 1)]
_PPC_ACCOUNTS = {1: [1, 2, 3, 4], 2: [5, 6]}
_LANDING_PAGES = {1: [1, 2, 3, 4, 5, 6], 2: [7, 8, 9]}
_PERMISSIONS = {1: ["view_attribution_reports", "manage_attribution_models"],
                2: ["view_attribution_reports"]}
_USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36",
]
_CENT4 = Decimal("0.0001")


@dataclass
class _Click:
    time: int
    user_id: int
    campaign_id: int
    cpc: Decimal
    payout: Decimal
    filtered: int
    bot: int
    ppc_account_id: int
    landing_page_id: int
    click_id: int = 0


@dataclass
class _Conversion:
    click: _Click
    conv_time: int
    payout: Decimal
    deleted: int
    conv_id: int = 0
    touch: Touch = Touch(0, 0)  # the converting click, once click ids are known
    journey: list[Touch] = field(default_factory=list)  # stored; empty when multi-touch is off
    credit_journey: list[Touch] = field(default_factory=list)  # getJourney's, for every model


def _next_cron_run(t: int) -> int:
    """The first :15 at or after t."""
    return t + (CRON_MINUTE_OFFSET - t) % HOUR


def _sha(text_: str) -> str:
    return hashlib.sha256(text_.encode()).hexdigest()


def _money(value: Decimal) -> Decimal:
    return value.quantize(_CENT4, rounding=ROUND_HALF_UP)


def _campaign_shape(rng: random.Random) -> tuple[int, int]:
    """(clicks, conversions) of one campaign over the seeded period.

    Journeys are campaign-wide (facts s.4), so campaign size sets journey length: mostly small
    campaigns (3-6 touches), some single-click ones (single-touch journeys) and a few busy ones
    whose later conversions reach the 26-touch maximum.
    """
    r = rng.random()
    if r < 0.015:
        return rng.randint(80, 150), rng.randint(4, 8)
    if r < 0.25:
        return 1, 1
    clicks = rng.randint(2, 8)
    return clicks, rng.randint(1, min(3, clicks))


class _Builder:
    """Generates every table's rows, in insert order, from one random.Random."""

    def __init__(self, plan: SeedPlan, conversions: int, rng_seed: int) -> None:
        self.now = plan.now
        self.hb = plan.hb
        self.target = conversions
        self.rng = random.Random(rng_seed)
        self.models_at = self.now - MODELS_AGE
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.audit: list[tuple[int, int, dict[str, Any]]] = []  # (created_at, seq, row)
        self.ids: dict[str, Any] = {}
        self.conversions: list[_Conversion] = []
        self.campaign_network: dict[int, int] = {}
        self.models: list[tuple[int, _ModelSpec]] = []

    def build(self) -> dict[str, list[dict[str, Any]]]:
        self._users()
        campaigns = self._campaigns_and_clicks()
        self._models_and_settings()
        self._journeys(campaigns)
        self._snapshots()
        self._exports()
        self._cron()
        self._api_keys()
        self.rows[pt.attribution_audit.name] = [
            {**row, "audit_id": i}
            for i, (_, _, row) in enumerate(sorted(self.audit, key=lambda a: a[:2]), start=1)
        ]
        return self.rows

    def _add_audit(self, user_id: int, model_id: int | None, action: str, meta: dict,
                   at: int) -> None:
        row = {"user_id": user_id, "model_id": model_id, "action": action,
               "metadata": json.dumps(meta), "created_at": at}
        self.audit.append((at, len(self.audit), row))

    def _users(self) -> None:
        self.rows[pt.users.name] = [
            {
                "user_id": uid, "user_fname": name.title(), "user_lname": "Sandbox",
                "user_name": name, "user_pass": "!sandbox-no-login",
                "user_email": f"{name}@sandbox.invalid", "user_dash_email": f"{name}@sandbox.invalid",
                "user_timezone": "UTC", "user_time_register": self.now - 400 * DAY + uid * DAY,
                "install_hash": _sha("attribtui-sandbox-install"),
                "user_hash": _sha(f"attribtui-sandbox-user-{uid}"),
                "user_active": 1, "user_deleted": deleted, "user_mods_lb": 0,
            }
            for uid, name, deleted in _USERS
        ]

    def _campaigns_and_clicks(self) -> dict[int, list[Touch]]:
        rng, now = self.rng, self.now
        campaigns: list[dict[str, Any]] = []
        clicks: list[_Click] = []
        total = 0
        while total < self.target:
            cid = len(campaigns) + 1
            user_id = 1 if rng.random() < 0.8 else 2
            n_clicks, n_conv = _campaign_shape(rng)
            n_conv = min(n_conv, self.target - total)
            total += n_conv
            payout = Decimal(rng.randint(400, 6000)) / 100
            campaigns.append({
                "aff_campaign_id": cid, "user_id": user_id, "aff_network_id": rng.randint(1, 3),
                "aff_campaign_deleted": 0, "aff_campaign_name": f"Offer {cid:05d}",
                "aff_campaign_url": f"https://advertiser.invalid/offer/{cid}?subid=[[subid]]",
                "aff_campaign_payout": payout, "aff_campaign_time": now - 30 * DAY,
                "aff_campaign_currency": "USD", "aff_campaign_foreign_payout": payout,
                "attribution_model_id": None,
            })
            for i in range(n_clicks):
                converting = i < n_conv
                if converting:  # unfiltered, and late enough to convert within the last 7 days
                    at = rng.randint(now - CONVERSION_DAYS * DAY, now - 60)
                    filtered = bot = 0
                else:
                    at = rng.randint(now - CLICK_DAYS * DAY, now)
                    bot = int(rng.random() < 0.01)
                    filtered = int(bot or rng.random() < 0.03)
                click = _Click(
                    at, user_id, cid, Decimal(rng.randint(5000, 150000)) / 100000, payout,
                    filtered, bot, rng.choice(_PPC_ACCOUNTS[user_id]),
                    rng.choice(_LANDING_PAGES[user_id]),
                )
                clicks.append(click)
                if converting:
                    # Most convert within the hour; some (a sale after a lead) days later.
                    late = rng.random() < 0.1
                    delay = rng.randint(HOUR, 3 * DAY) if late else 30 + int(rng.expovariate(1 / 1800))
                    self.conversions.append(_Conversion(
                        click, min(at + delay, now), payout, int(rng.random() < 0.02)
                    ))
        # Click and conversion ids grow with time, as they do in a live install.
        clicks.sort(key=lambda c: c.time)  # stable: ties keep creation order
        for click_id, click in enumerate(clicks, start=1):
            click.click_id = click_id
        self.conversions.sort(key=lambda c: (c.conv_time, c.click.click_id))
        for conv_id, conv in enumerate(self.conversions, start=1):
            conv.conv_id = conv_id
            conv.touch = Touch(conv.click.click_id, conv.click.time)
        self.campaign_network = {c["aff_campaign_id"]: c["aff_network_id"] for c in campaigns}
        self.rows[pt.aff_campaigns.name] = campaigns
        self.rows[pt.clicks.name] = [
            {
                "click_id": c.click_id, "user_id": c.user_id, "aff_campaign_id": c.campaign_id,
                "landing_page_id": c.landing_page_id, "ppc_account_id": c.ppc_account_id,
                "click_cpc": c.cpc, "click_payout": c.payout, "click_lead": 0,
                "click_filtered": c.filtered, "click_bot": c.bot, "click_alp": 0,
                "click_time": c.time, "rotator_id": 0, "rule_id": 0,
            }
            for c in clicks
        ]
        self.rows[pt.conversion_logs.name] = [self._conversion_row(c) for c in self.conversions]
        by_campaign: dict[int, list[Touch]] = defaultdict(list)
        for c in clicks:
            by_campaign[c.campaign_id].append(Touch(c.click_id, c.time))
        # A small user-1 campaign with a few conversions gets multi-touch disabled below.
        converted = defaultdict(int)
        for conv in self.conversions:
            converted[conv.click.campaign_id] += 1
        self.ids["disabled_campaign_id"] = next((
            c["aff_campaign_id"] for c in campaigns
            if c["user_id"] == 1 and converted[c["aff_campaign_id"]] >= 2
            and len(by_campaign[c["aff_campaign_id"]]) <= 8
        ), None)
        self.ids["campaign_ids"] = {u: [c["aff_campaign_id"] for c in campaigns
                                        if c["user_id"] == u] for u in (1, 2)}
        return by_campaign

    def _conversion_row(self, c: _Conversion) -> dict[str, Any]:
        rng = self.rng
        diff = c.conv_time - c.click.time
        return {
            "conv_id": c.conv_id, "click_id": c.click.click_id,
            "transaction_id": None if rng.random() < 0.1 else f"TX{rng.getrandbits(48):012X}",
            "campaign_id": c.click.campaign_id, "click_payout": c.payout,
            "user_id": c.click.user_id, "click_time": c.click.time, "conv_time": c.conv_time,
            "time_difference": f"{diff // HOUR:02d}:{diff % HOUR // 60:02d}:{diff % 60:02d}",
            "ip": ".".join(str(rng.randint(1, 254)) for _ in range(4)),
            "pixel_type": rng.randint(1, 3), "user_agent": rng.choice(_USER_AGENTS),
            "deleted": c.deleted,
        }

    def _models_and_settings(self) -> None:
        at = self.models_at
        models = []
        for model_id, spec in enumerate(_MODELS, start=1):
            updated = at if spec.active else at + 2 * DAY
            models.append({
                "model_id": model_id, "user_id": spec.user_id, "model_name": spec.name,
                "model_slug": spec.slug, "model_type": spec.type,
                "weighting_config": json.dumps(spec.config) if spec.config else None,
                "is_active": int(spec.active), "is_default": int(spec.default),
                "created_at": at, "updated_at": updated,
            })
            self.models.append((model_id, spec))
            self._add_audit(spec.user_id, model_id, "model_create",
                            {"name": spec.name, "slug": spec.slug, "type": spec.type}, at)
            if not spec.active:
                self._add_audit(spec.user_id, model_id, "model_update", {
                    "name": spec.name, "slug": spec.slug, "type": spec.type,
                    "is_active": False, "is_default": False}, updated)
        self.rows[pt.attribution_models.name] = models
        default = {s.user_id: mid for mid, s in self.models if s.default}
        self.ids["models"] = {mid: s.slug for mid, s in self.models}
        self.ids["default_models"] = default
        settings = [
            {"setting_id": 1, "user_id": 1, "scope_type": "global", "scope_id": None,
             "model_id": default[1], "multi_touch_enabled": 1, "multi_touch_enabled_at": at,
             "multi_touch_disabled_at": None, "effective_at": at, "created_at": at,
             "updated_at": at},
        ]
        if self.ids["disabled_campaign_id"] is not None:  # toggled off before any conversion
            off = at + 600
            settings.append(
                {"setting_id": 2, "user_id": 1, "scope_type": "campaign",
                 "scope_id": self.ids["disabled_campaign_id"], "model_id": default[1],
                 "multi_touch_enabled": 0, "multi_touch_enabled_at": None,
                 "multi_touch_disabled_at": off, "effective_at": off, "created_at": off,
                 "updated_at": off})
        self.rows[pt.attribution_settings.name] = settings

    def _multi_touch_enabled(self, conv: _Conversion, settings: Mapping[tuple, int]) -> bool:
        """isMultiTouchEnabled (facts s.6): on by default; global < advertiser < campaign."""
        user, campaign = conv.click.user_id, conv.click.campaign_id
        enabled = True
        for scope in (("global", None), ("advertiser", self.campaign_network[campaign]),
                      ("campaign", campaign)):
            if (user, *scope) in settings:
                enabled = bool(settings[(user, *scope)])
        return enabled

    def _journeys(self, by_campaign: Mapping[int, list[Touch]]) -> None:
        """What the conversion pixel persisted: the rule applied at conv_time (facts s.4)."""
        settings = {(s["user_id"], s["scope_type"], s["scope_id"]): s["multi_touch_enabled"]
                    for s in self.rows[pt.attribution_settings.name]}
        rows = []
        for conv in self.conversions:
            if self._multi_touch_enabled(conv, settings):
                candidates = select_candidates(by_campaign[conv.click.campaign_id], conv.conv_time)
                conv.journey = build_journey(candidates, conv.touch)
            conv.credit_journey = journey_for_credit(conv.journey, conv.touch)
            rows.extend(
                {"conv_id": conv.conv_id, "click_id": t.click_id, "click_time": t.click_time,
                 "position": pos, "created_at": conv.conv_time}
                for pos, t in enumerate(conv.journey)
            )
        for touchpoint_id, row in enumerate(rows, start=1):
            row["touchpoint_id"] = touchpoint_id
        self.rows[pt.conversion_touchpoints.name] = rows

    def _snapshots(self) -> None:
        """Replay the hourly cron (facts s.3): runs at :15 from the models' creation up to hb.

        Each hour's snapshot holds every non-deleted conversion of that hour up to hb, created by
        the first run that saw one and last rewritten by the last run whose 24 h window covered it.
        """
        hb = self.hb
        snapshots: list[dict[str, Any]] = []
        credits_by_snapshot: list[list[dict[str, Any]]] = []
        for model_id, spec in self.models:
            if not spec.active:
                continue
            convs = [c for c in self.conversions
                     if c.click.user_id == spec.user_id and not c.deleted and c.conv_time <= hb]
            hours: dict[int, list[tuple[_Conversion, list[Credit], Contribution]]] = (
                defaultdict(list)
            )
            parts = []
            for conv in convs:
                credits = assign_credits(spec.type, spec.config, conv.credit_journey, conv.touch,
                                         conv.conv_time)
                part = contribution(credits, conv.payout, conv.click.cpc)
                hours[clock.hour(conv.conv_time)].append((conv, credits, part))
                parts.append(part)
            self._rebuild_audit(model_id, spec, convs, parts)
            for date_hour, items in hours.items():
                last_run = min(hb, date_hour + DAY + CRON_MINUTE_OFFSET)
                created = max(_next_cron_run(items[0][0].conv_time), _next_cron_run(self.models_at))
                hour_parts = [part for _, _, part in items]
                snapshots.append({
                    "model_id": model_id, "user_id": spec.user_id, "scope_type": "global",
                    "scope_id": None, "date_hour": date_hour,
                    "lookback_start": last_run - DAY, "lookback_end": last_run,
                    "attributed_clicks": sum(p.clicks for p in hour_parts),
                    "attributed_conversions": len(hour_parts),
                    "attributed_revenue": _money(sum((p.revenue for p in hour_parts), Decimal(0))),
                    "attributed_cost": _money(sum((p.cost for p in hour_parts), Decimal(0))),
                    "created_at": created,
                })
                credits_by_snapshot.append([
                    {"conv_id": conv.conv_id, "click_id": cr.click_id, "position": cr.position,
                     "credit": (stored := round_credit(cr.credit)), "weight": stored,
                     "created_at": last_run}
                    for conv, credits, _ in items for cr in credits
                ])
        order = sorted(range(len(snapshots)),
                       key=lambda i: (snapshots[i]["created_at"], snapshots[i]["model_id"],
                                      snapshots[i]["date_hour"]))
        touchpoints = []
        for snapshot_id, i in enumerate(order, start=1):
            snapshots[i]["snapshot_id"] = snapshot_id
            for row in credits_by_snapshot[i]:
                row["snapshot_id"] = snapshot_id
                touchpoints.append(row)
        for touchpoint_id, row in enumerate(touchpoints, start=1):
            row["touchpoint_id"] = touchpoint_id
        self.rows[pt.attribution_snapshots.name] = [snapshots[i] for i in order]
        self.rows[pt.attribution_touchpoints.name] = touchpoints

    def _rebuild_audit(self, model_id: int, spec: _ModelSpec, convs: Sequence[_Conversion],
                       parts: Sequence[Contribution]) -> None:
        """One snapshot_rebuild row per hourly run of the last 7 days that found conversions."""
        times = [c.conv_time for c in convs]
        clicks, revenue, cost, new_hours = [0], [Decimal(0)], [Decimal(0)], [0]
        for i, p in enumerate(parts):
            clicks.append(clicks[-1] + p.clicks)
            revenue.append(revenue[-1] + p.revenue)
            cost.append(cost[-1] + p.cost)
            changed = i == 0 or clock.hour(times[i]) != clock.hour(times[i - 1])
            new_hours.append(new_hours[-1] + int(changed))
        first = max(_next_cron_run(self.now - CONVERSION_DAYS * DAY), _next_cron_run(self.models_at))
        for run in range(first, self.hb + 1, HOUR):
            lo, hi = bisect.bisect_left(times, run - DAY), bisect.bisect_right(times, run)
            if lo == hi:
                continue  # an empty window returns early, without an audit row
            hours = new_hours[hi] - new_hours[lo + 1] + 1
            self._add_audit(spec.user_id, model_id, "snapshot_rebuild", {
                "lookback_start": run - DAY, "lookback_end": run,
                "batches": math.ceil((hi - lo) / RUNNER_BATCH), "hours_processed": hours,
                "clicks": clicks[hi] - clicks[lo], "conversions": hi - lo,
                "revenue": float(_money(revenue[hi] - revenue[lo])),
                "cost": float(_money(cost[hi] - cost[lo])),
            }, run)

    def _exports(self) -> None:
        """A few completed v2 export jobs of user 1, each picked up by the next export cron run."""
        model_id = next(mid for mid, s in self.models if s.user_id == 1 and s.type == "time_decay")
        snapshot_hours = sorted(s["date_hour"] for s in self.rows[pt.attribution_snapshots.name]
                                if s["model_id"] == model_id)
        rows = []
        for export_id, days_ago in enumerate((3, 2, 1), start=1):
            queued = self.hb - days_ago * DAY - 1500
            end_hour = clock.hour(queued)
            start_hour = end_hour - DAY
            started = _next_cron_run(queued) + 3
            exported = (bisect.bisect_right(snapshot_hours, end_hour)
                        - bisect.bisect_left(snapshot_hours, start_hour))
            rows.append({
                "export_id": export_id, "user_id": 1, "model_id": model_id,
                "scope_type": "global", "scope_id": None, "start_hour": start_hour,
                "end_hour": end_hour, "requested_format": "csv", "status": "completed",
                "file_path": f"202-exports/attribution/export-{export_id}.csv",
                "rows_exported": exported, "queued_at": queued, "started_at": started,
                "completed_at": started + 2, "created_at": queued, "updated_at": started + 2,
            })
            self._add_audit(1, model_id, "export_scheduled", {
                "export_id": export_id, "scope": "global", "scope_id": None,
                "start_hour": start_hour, "end_hour": end_hour, "format": "csv",
                "webhook": None}, queued)
        self.rows[pt.attribution_exports.name] = rows

    def _cron(self) -> None:
        hb = self.hb
        self.rows[pt.cronjob_logs.name] = [
            {"id": 1, "last_execution_time": self.now - 180},
            {"id": 2, "last_execution_time": hb},
            {"id": 3, "last_execution_time": hb + 4},
        ]
        self.rows[pt.cronjobs.name] = [{"cronjob_type": "attr", "cronjob_time": clock.hour(hb)}]

    def _api_keys(self) -> None:
        self.rows[pt.api_keys.name] = [
            {"user_id": uid, "api_key": _sha(f"attribtui-sandbox-api-key-{uid}"),
             "scope": json.dumps(perms), "created_at": self.models_at}
            for uid, perms in _PERMISSIONS.items()
        ]


# -- writing ---------------------------------------------------------------------------------------


def _write(engine: Engine, rows: Mapping[str, list[dict[str, Any]]],
           progress: Progress | None) -> None:
    """Chunked executemany, one transaction per chunk, so no statement grows unbounded."""
    total = sum(len(r) for r in rows.values()) or 1
    done = 0
    for name, table_rows in rows.items():
        table: Table = pt.metadata.tables[name]
        for start in range(0, len(table_rows), CHUNK_ROWS):
            chunk = table_rows[start:start + CHUNK_ROWS]
            with engine.begin() as conn:
                conn.execute(table.insert(), chunk)
            done += len(chunk)
            if progress:
                progress(name, done / total)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The seed holds millions of acyclic rows; cyclic GC passes over them cost about a quarter
    of the run and find nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _resolve_defects(defects: str | Sequence[str], sqlite: bool) -> list[Defect]:
    if defects == "demo":
        chosen = demo_defects()
    elif defects == "none":
        chosen = []
    else:
        ids = [defects] if isinstance(defects, str) else list(defects)
        unknown = [d for d in ids if d not in DEFECTS]
        if unknown:
            raise ValueError(
                f"unknown defect {', '.join(unknown)}; choose from {', '.join(DEFECTS)}"
            )
        chosen = [DEFECTS[d] for d in dict.fromkeys(ids)]
    if sqlite:
        mariadb_only = [d.id for d in chosen if not d.sqlite]
        if mariadb_only:
            raise ValueError(
                f"defect {', '.join(mariadb_only)} needs MariaDB; seed a mysql+pymysql:// database"
            )
    return chosen


def seed(
    url: str,
    *,
    conversions: int = 2000,
    now: int | None = None,
    defects: str | Sequence[str] = "demo",
    reset: bool = False,
    allow_remote: bool = False,
    forbidden_urls: Sequence[str] = (),
    rng_seed: int = 202,
    progress: Progress | None = None,
) -> SeedReport:
    """Create and fill a sandbox Prosper202 database at url, then plant the chosen defects."""
    started = time.perf_counter()
    if conversions < 1:
        raise ValueError(f"conversions must be at least 1, not {conversions}")
    u = _parse(url)
    shown = _redact(u)
    chosen = _resolve_defects(defects, u.get_backend_name() == "sqlite")
    now = clock.now() if now is None else now
    plan = SeedPlan(now=now, hb=last_cron_run(now))
    for d in chosen:
        if d.tweak:
            plan = d.tweak(plan)
    _check_target(u, allow_remote, forbidden_urls)
    engine = _engine(u)
    try:
        _check_contents(engine, shown, reset)
        create_schema(engine)
        builder = _Builder(plan, conversions, rng_seed)
        if progress:
            progress("generate", 0.0)
        with _gc_paused():
            rows = builder.build()
            _write(engine, rows, progress)
        ctx = PlantContext(engine.dialect.name, plan.now, plan.hb, builder.ids)
        affected: dict[str, Any] = {}
        for d in chosen:
            if d.plant:
                with engine.begin() as conn:
                    touched = d.plant(conn, ctx)
                if touched:
                    affected[d.id] = dict(touched)
        ids = [d.id for d in chosen]
        _write_marker(engine, {
            "seeded_at": int(time.time()), "now": plan.now, "hb": plan.hb,
            "version": __version__, "conversions": conversions, "rng_seed": rng_seed,
            "defects": ids, "affected": affected,
        })
        if progress:
            progress("done", 1.0)
    finally:
        engine.dispose()
    return SeedReport(
        url=shown, now=plan.now, hb=plan.hb, counts={k: len(v) for k, v in rows.items()},
        defects=ids, seconds=round(time.perf_counter() - started, 3), affected=affected,
    )


def _write_marker(engine: Engine, values: Mapping[str, Any]) -> None:
    """Last of all: a database without these rows is a half-done seed."""
    with engine.begin() as conn:
        conn.execute(marker.insert(), [{"name": k, "value": json.dumps(v)}
                                       for k, v in values.items()])

