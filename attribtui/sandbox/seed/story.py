"""The simulated story of a sandbox: who clicked and converted, and how the models were set up.

Every table's rows, in insert order, from one random.Random, so a seed is deterministic for
(rng_seed, now, conversions). Journeys are written by the real rule (prosper/journey.py) under the
real multi-touch settings rule (prosper/settings.py); replay.py adds what the crons made of it.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY, HOUR
from attribtui.prosper.journey import Touch, build_journey, journey_for_credit, select_candidates
from attribtui.prosper.settings import SettingRow, is_multi_touch_enabled
from attribtui.sandbox.defects import SeedPlan
from attribtui.sandbox.seed import replay
from attribtui.sandbox.seed.records import (
    CLICK_DAYS,
    CONVERSION_DAYS,
    LANDING_PAGES,
    MODELS,
    MODELS_AGE,
    PERMISSIONS,
    PPC_ACCOUNTS,
    USER_AGENTS,
    USERS,
    AuditLog,
    Click,
    ModelSpec,
    Row,
    SeededConversion,
    TableRows,
    sha,
)


def _campaign_shape(rng: random.Random) -> tuple[int, int]:
    """(clicks, conversions) of one campaign over the seeded period.

    Journeys are campaign-wide (docs/prosper202.md §persistJourney), so campaign size sets journey
    length: mostly small campaigns (3-6 touches), some single-click ones (single-touch journeys)
    and a few busy ones whose later conversions reach the 26-touch maximum.
    """
    r = rng.random()
    if r < 0.015:
        return rng.randint(80, 150), rng.randint(4, 8)
    if r < 0.25:
        return 1, 1
    clicks = rng.randint(2, 8)
    return clicks, rng.randint(1, min(3, clicks))


class Story:
    """Generates every table's rows, in insert order, from one random.Random."""

    def __init__(self, plan: SeedPlan, conversions: int, rng_seed: int) -> None:
        self.now = plan.now
        self.hb = plan.hb
        self.target = conversions
        self.rng = random.Random(rng_seed)
        self.models_at = self.now - MODELS_AGE
        self.rows: TableRows = {}
        self.audit = AuditLog()
        self.conversions: list[SeededConversion] = []
        self.campaign_user: dict[int, int] = {}  # campaign id -> its user, in creation order
        self.campaign_network: dict[int, int] = {}  # campaign id -> its advertiser
        self.models: list[tuple[int, ModelSpec]] = []
        self.disabled_campaign_id: int | None = None  # a campaign with multi-touch turned off
        self.settings: dict[int, list[SettingRow]] = defaultdict(list)  # by user, by setting_id

    def build(self) -> TableRows:
        self._users()
        by_campaign = self._campaigns_and_clicks()
        self._models_and_settings()
        self._journeys(by_campaign)
        replayed = replay.snapshots(self.models, self.conversions, self.audit,
                                    now=self.now, hb=self.hb, models_at=self.models_at)
        self.rows[pt.attribution_snapshots.name] = replayed.snapshots
        self.rows[pt.attribution_touchpoints.name] = replayed.credits
        self.rows[pt.attribution_exports.name] = replay.exports(self.models, replayed.hours,
                                                                self.audit, hb=self.hb)
        self.rows[pt.cronjob_logs.name], self.rows[pt.cronjobs.name] = replay.cron_rows(
            now=self.now, hb=self.hb)
        self._api_keys()
        self.rows[pt.attribution_audit.name] = self.audit.rows()
        return self.rows

    def _users(self) -> None:
        self.rows[pt.users.name] = [
            {
                "user_id": uid, "user_fname": name.title(), "user_lname": "Sandbox",
                "user_name": name, "user_pass": "!sandbox-no-login",
                "user_email": f"{name}@sandbox.invalid", "user_dash_email": f"{name}@sandbox.invalid",
                "user_timezone": "UTC", "user_time_register": self.now - 400 * DAY + uid * DAY,
                "install_hash": sha("attribtui-sandbox-install"),
                "user_hash": sha(f"attribtui-sandbox-user-{uid}"),
                "user_active": 1, "user_deleted": deleted, "user_mods_lb": 0,
            }
            for uid, name, deleted in USERS
        ]

    def _campaigns_and_clicks(self) -> dict[int, list[Touch]]:
        """Campaigns, their clicks and conversions; each campaign's clicks as touches."""
        rng, now = self.rng, self.now
        campaigns: list[Row] = []
        clicks: list[Click] = []
        total = 0
        while total < self.target:
            cid = len(campaigns) + 1
            user_id = 1 if rng.random() < 0.8 else 2
            n_clicks, n_conv = _campaign_shape(rng)
            n_conv = min(n_conv, self.target - total)
            total += n_conv
            payout = Decimal(rng.randint(400, 6000)) / 100
            network = rng.randint(1, 3)
            self.campaign_user[cid], self.campaign_network[cid] = user_id, network
            campaigns.append({
                "aff_campaign_id": cid, "user_id": user_id, "aff_network_id": network,
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
                click = Click(
                    at, user_id, cid, Decimal(rng.randint(5000, 150000)) / 100000, payout,
                    filtered, bot, rng.choice(PPC_ACCOUNTS[user_id]),
                    rng.choice(LANDING_PAGES[user_id]),
                )
                clicks.append(click)
                if converting:
                    # Most convert within the hour; some (a sale after a lead) days later.
                    late = rng.random() < 0.1
                    delay = rng.randint(HOUR, 3 * DAY) if late else 30 + int(rng.expovariate(1 / 1800))
                    if at + delay > now:  # not yet: it converted sooner (no pile-up at now)
                        delay = 1 + delay % (now - at)
                    self.conversions.append(SeededConversion(
                        click, at + delay, payout, int(rng.random() < 0.02)
                    ))
        # Click and conversion ids grow with time, as they do in a live install.
        clicks.sort(key=lambda c: c.time)  # stable: ties keep creation order
        for click_id, click in enumerate(clicks, start=1):
            click.click_id = click_id
        self.conversions.sort(key=lambda c: (c.conv_time, c.click.click_id))
        for conv_id, conv in enumerate(self.conversions, start=1):
            conv.conv_id = conv_id
            conv.touch = Touch(conv.click.click_id, conv.click.time)
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
        converted: dict[int, int] = defaultdict(int)
        for conv in self.conversions:
            converted[conv.click.campaign_id] += 1
        self.disabled_campaign_id = next((
            cid for cid, user_id in self.campaign_user.items()
            if user_id == 1 and converted[cid] >= 2 and len(by_campaign[cid]) <= 8
        ), None)
        return by_campaign

    def _conversion_row(self, c: SeededConversion) -> Row:
        rng = self.rng
        diff = c.conv_time - c.click.time
        return {
            "conv_id": c.conv_id, "click_id": c.click.click_id,
            "transaction_id": None if rng.random() < 0.1 else f"TX{rng.getrandbits(48):012X}",
            "campaign_id": c.click.campaign_id, "click_payout": c.payout,
            "user_id": c.click.user_id, "click_time": c.click.time, "conv_time": c.conv_time,
            "time_difference": f"{diff // HOUR:02d}:{diff % HOUR // 60:02d}:{diff % 60:02d}",
            "ip": ".".join(str(rng.randint(1, 254)) for _ in range(4)),
            "pixel_type": rng.randint(1, 3), "user_agent": rng.choice(USER_AGENTS),
            "deleted": c.deleted,
        }

    def _models_and_settings(self) -> None:
        at = self.models_at
        models = []
        for model_id, spec in enumerate(MODELS, start=1):
            updated = at if spec.active else at + 2 * DAY
            models.append({
                "model_id": model_id, "user_id": spec.user_id, "model_name": spec.name,
                "model_slug": spec.slug, "model_type": spec.type,
                "weighting_config": json.dumps(spec.config) if spec.config else None,
                "is_active": int(spec.active), "is_default": int(spec.default),
                "created_at": at, "updated_at": updated,
            })
            self.models.append((model_id, spec))
            self.audit.add(spec.user_id, model_id, "model_create",
                           {"name": spec.name, "slug": spec.slug, "type": spec.type}, at)
            if not spec.active:
                self.audit.add(spec.user_id, model_id, "model_update", {
                    "name": spec.name, "slug": spec.slug, "type": spec.type,
                    "is_active": False, "is_default": False}, updated)
        self.rows[pt.attribution_models.name] = models
        default = {s.user_id: mid for mid, s in self.models if s.default}
        settings: list[Row] = [
            {"setting_id": 1, "user_id": 1, "scope_type": "global", "scope_id": None,
             "model_id": default[1], "multi_touch_enabled": 1, "multi_touch_enabled_at": at,
             "multi_touch_disabled_at": None, "effective_at": at, "created_at": at,
             "updated_at": at},
        ]
        self.settings[1].append(SettingRow("global", None, True))
        if self.disabled_campaign_id is not None:  # toggled off before any conversion
            off = at + 600
            settings.append(
                {"setting_id": 2, "user_id": 1, "scope_type": "campaign",
                 "scope_id": self.disabled_campaign_id, "model_id": default[1],
                 "multi_touch_enabled": 0, "multi_touch_enabled_at": None,
                 "multi_touch_disabled_at": off, "effective_at": off, "created_at": off,
                 "updated_at": off})
            self.settings[1].append(SettingRow("campaign", self.disabled_campaign_id, False))
        self.rows[pt.attribution_settings.name] = settings

    def _journeys(self, by_campaign: Mapping[int, list[Touch]]) -> None:
        """What the conversion pixel persisted: the rule applied at conv_time
        (docs/prosper202.md §persistJourney), when multi-touch was on for the conversion."""
        rows: list[Row] = []
        for conv in self.conversions:
            campaign = conv.click.campaign_id
            enabled, _ = is_multi_touch_enabled(self.settings[conv.click.user_id],
                                                self.campaign_network[campaign], campaign)
            if enabled:
                candidates = select_candidates(by_campaign[campaign], conv.conv_time)
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

    def _api_keys(self) -> None:
        self.rows[pt.api_keys.name] = [
            {"user_id": uid, "api_key": sha(f"attribtui-sandbox-api-key-{uid}"),
             "scope": json.dumps(perms), "created_at": self.models_at}
            for uid, perms in PERMISSIONS.items()
        ]
