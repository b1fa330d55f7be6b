"""The cron corpus: small databases and command lines for attribution-rebuild.php and
backfill-conversion-journeys.php, each picked for an edge the issue names."""

from __future__ import annotations

import copy
import random

from tests.support import NOW

H = NOW - NOW % 3600
STATE = ["202_attribution_snapshots", "202_attribution_touchpoints", "202_attribution_audit",
         "202_conversion_touchpoints", "202_cronjobs", "202_cronjob_logs"]
ALL_TYPES = [("last_touch", None), ("time_decay", '{"half_life_hours": 24}'),
             ("position_based", '{"first_touch_weight": 0.3, "last_touch_weight": 0.3}'),
             ("assisted", None), ("algorithmic", '{"k": 1}')]


def _models(uid: int = 1, kinds: list[tuple[str, str | None]] = ALL_TYPES) -> list[dict[str, object]]:
    return [{"model_id": uid * 10 + i, "user_id": uid, "model_name": f"M{i} {k}",
             "model_slug": f"m{i}-{k}", "model_type": k, "weighting_config": c, "is_active": 1,
             "is_default": int(i == 0), "created_at": 1_700_000_000 + i,
             "updated_at": 1_700_000_000 + i} for i, (k, c) in enumerate(kinds)]


def base(seed: int = 1, conversions: int = 6) -> dict[str, object]:
    """User 1, campaigns 7 (network 3) and 8, a few clicks per campaign, `conversions`
    conversions in the last 6 hours, all five model types, journeys not yet written."""
    rnd = random.Random(seed)
    clicks, convs = [], []
    cid = 5000
    for camp in (7, 8):
        for _ in range(8):
            cid += 1
            clicks.append({"click_id": cid, "user_id": 1, "aff_campaign_id": camp,
                           "ppc_account_id": 2, "click_cpc": f"{rnd.randint(1, 90) / 100:.5f}",
                           "click_time": H - rnd.randint(600, 40 * 3600)})
    for n in range(1, conversions + 1):
        click = rnd.choice(clicks)
        conv_time = max(int(click["click_time"]) + rnd.randint(60, 3000), H - 6 * 3600 + n * 60)  # type: ignore[call-overload]
        convs.append({"conv_id": n, "click_id": click["click_id"], "campaign_id":
                      click["aff_campaign_id"], "user_id": 1,
                      "click_payout": f"{rnd.randint(100, 5000) / 100:.5f}",
                      "click_time": click["click_time"], "conv_time": min(conv_time, NOW - 60)})
    return {"tables": {
        "202_users": [{"user_id": 1}],
        "202_aff_campaigns": [{"aff_campaign_id": 7, "user_id": 1, "aff_network_id": 3},
                              {"aff_campaign_id": 8, "user_id": 1, "aff_network_id": 0}],
        "202_clicks": clicks, "202_conversion_logs": convs,
        "202_attribution_models": _models(),
    }}


def _with(fixture: dict[str, object], table: str, rows: list[dict[str, object]]
          ) -> dict[str, object]:
    out = copy.deepcopy(fixture)
    tables = out["tables"]
    assert isinstance(tables, dict)
    tables.setdefault(table, []).extend(rows)
    return out


def _journeys(fixture: dict[str, object]) -> dict[str, object]:
    """The fixture with a backfilled journey per conversion (what the rebuild credits)."""
    out = copy.deepcopy(fixture)
    tables = out["tables"]
    assert isinstance(tables, dict)
    rows, tid = [], 0
    for conv in tables["202_conversion_logs"]:
        camp = [c for c in tables["202_clicks"] if c["aff_campaign_id"] == conv["campaign_id"]
                and c["click_time"] <= conv["conv_time"]]
        camp.sort(key=lambda c: (c["click_time"], c["click_id"]))
        for pos, c in enumerate(camp[-4:]):
            tid += 1
            rows.append({"touchpoint_id": tid, "conv_id": conv["conv_id"],
                         "click_id": c["click_id"], "click_time": c["click_time"],
                         "position": pos, "created_at": H})
    tables["202_conversion_touchpoints"] = rows
    return out


def cases() -> list[dict[str, object]]:
    b = base()
    window = [f"--start={H - 6 * 3600}", f"--end={H + 3599}"]
    out: list[dict[str, object]] = []

    def add(name: str, script: str, argv: list[str], fixture: dict[str, object], why: str,
            **extra: object) -> None:
        out.append({"name": name, "script": script, "argv": argv, "fixture": fixture, "why": why,
                    **extra})

    # backfill
    add("backfill_basic", "backfill", ["--user=1", *window], b,
        "journeys for every conversion; warnings per persisted journey")
    add("backfill_batches", "backfill", [*window, "--batch-size=2"], b,
        "one Processed line per non-empty batch, cumulative")
    add("backfill_disabled_campaign", "backfill", window, _with(b, "202_attribution_settings", [
        {"setting_id": 1, "user_id": 1, "scope_type": "campaign", "scope_id": 7, "model_id": 10,
         "multi_touch_enabled": 0, "effective_at": H, "created_at": H, "updated_at": H}]),
        "a disabled campaign's conversions are skipped and not counted")
    add("backfill_advertiser_disabled", "backfill", window, _with(b, "202_attribution_settings", [
        {"setting_id": 1, "user_id": 1, "scope_type": "advertiser", "scope_id": 3,
         "model_id": 10, "multi_touch_enabled": 0, "effective_at": H, "created_at": H,
         "updated_at": H}]), "the advertiser is the campaign's aff_network_id")
    fail = copy.deepcopy(b)
    fail["sql"] = ["CREATE TRIGGER conf_fail BEFORE INSERT ON `202_conversion_touchpoints` FOR "
                   "EACH ROW BEGIN IF NEW.conv_id = 3 THEN SIGNAL SQLSTATE '45000' SET "
                   "MESSAGE_TEXT = 'planted journey failure'; END IF; END"]
    add("backfill_one_fails", "backfill", window, fail,
        "a failing conversion is not counted; the completion line still prints, then the errors")
    late = copy.deepcopy(b)
    tables = late["tables"]
    assert isinstance(tables, dict)
    tables["202_conversion_logs"][0]["click_time"] = tables["202_conversion_logs"][0]["conv_time"] + 500
    add("backfill_late_converting_click", "backfill", window, late,
        "the converting click is appended whatever its time (conversion_logs.click_time)")
    zero = _with(b, "202_conversion_logs", [{"conv_id": 50, "click_id": 5001, "campaign_id": 7,
                                             "user_id": 0, "click_payout": "1",
                                             "click_time": H - 7200, "conv_time": H - 3600}])
    add("backfill_user_zero", "backfill", window, zero,
        "user_id 0 makes isMultiTouchEnabled throw outside the try: exit 255")
    add("backfill_start_after_end", "backfill", ["--start=200", "--end=100"], b,
        "argument check after connect.php")
    add("backfill_db_down_bad_args", "backfill", ["--start=200", "--end=100"], b,
        "connect.php runs first: the outage page and exit 0, whatever the arguments",
        db_down=True)
    add("backfill_space_option", "backfill", ["--start", str(H), "--end=1"], b,
        "getopt '::' needs '=': --start alone is 0 and parsing stops at the value")
    old = copy.deepcopy(_with(b, "202_attribution_settings", [
        {"setting_id": 1, "user_id": 1, "scope_type": "campaign", "scope_id": 8, "model_id": 10,
         "effective_at": H, "created_at": H, "updated_at": H}]))
    old["settings_layout"] = "1.9.56"
    add("backfill_settings_1956", "backfill", window, old,
        "1.9.56 settings layout: a matching row reads as disabled")
    add("backfill_settings_collation", "backfill", window, _with(b, "202_attribution_settings", [
        {"setting_id": 1, "user_id": 1, "scope_type": "GLOBAL", "scope_id": None, "model_id": 10,
         "multi_touch_enabled": 0, "effective_at": H, "created_at": H, "updated_at": H}]),
        "'GLOBAL' matches 'global' in MariaDB's collation; ScopeType::from cannot hydrate it: "
        "exit 255")
    old_global = copy.deepcopy(_with(b, "202_attribution_settings", [
        {"setting_id": 1, "user_id": 1, "scope_type": "campaign", "scope_id": 8, "model_id": 10,
         "effective_at": H, "created_at": H, "updated_at": H},
        {"setting_id": 2, "user_id": 1, "scope_type": "Global ", "scope_id": None, "model_id": 10,
         "effective_at": H, "created_at": H, "updated_at": H}]))
    old_global["settings_layout"] = "1.9.56"
    add("backfill_settings_1956_collation", "backfill", window, old_global,
        "1.9.56 layout: rows hydrate in index order, each warning, until 'Global ' throws")
    # rebuild
    j = _journeys(b)
    add("rebuild_all_models", "rebuild", ["--user=1", *window], j,
        "every strategy's credits and snapshot totals", runner=True)
    add("rebuild_all_users", "rebuild", window, j, "users from 202_users; the summary line")
    dup = _with(j, "202_clicks", [dict(j["tables"]["202_clicks"][0])])  # type: ignore[index]
    first = j["tables"]["202_clicks"][0]["click_id"]  # type: ignore[index]
    dup["tables"]["202_conversion_logs"][0]["click_id"] = first  # type: ignore[index]
    dup["tables"]["202_conversion_logs"][0]["campaign_id"] = j["tables"]["202_clicks"][0]["aff_campaign_id"]  # type: ignore[index]
    add("rebuild_duplicate_click_row", "rebuild", ["--user=1", *window], dup,
        "202_clicks.click_id is not unique: the JOIN credits the conversion twice", runner=True)
    missing = copy.deepcopy(j)
    missing["tables"]["202_conversion_logs"][1]["click_id"] = 999999  # type: ignore[index]
    add("rebuild_missing_click_row", "rebuild", ["--user=1", *window], missing,
        "a conversion without its 202_clicks row is never credited", runner=True)
    swapped = copy.deepcopy(j)
    conv0 = swapped["tables"]["202_conversion_logs"][0]  # type: ignore[index]
    conv0["click_time"] = conv0["conv_time"] - 30
    add("rebuild_conversion_click_time", "rebuild", ["--user=1", *window], swapped,
        "the converting click's time is conversion_logs.click_time, not 202_clicks'", runner=True)
    bad = _with(j, "202_attribution_models", [
        {"model_id": 90, "user_id": 1, "model_name": "Null", "model_slug": "null",
         "model_type": "time_decay", "weighting_config": "null", "is_active": 1,
         "is_default": 0, "created_at": 1_600_000_000, "updated_at": 1}])
    add("rebuild_bad_model_row", "rebuild", ["--user=1", *window], bad,
        "one unhydratable active row fails the user; heartbeat still written")
    guard = _with(j, "202_cronjobs", [{"cronjob_type": "attr", "cronjob_time": H}])
    add("rebuild_guard", "rebuild", window, guard, "the hour of --end already processed")
    add("rebuild_start_after_end", "rebuild", [f"--start={H}", f"--end={H}"], j,
        "start >= end, after connect.php")
    add("rebuild_db_down", "rebuild", window, j, "connect.php's outage page, exit 0",
        db_down=True)
    empty = copy.deepcopy(j)
    empty["tables"]["202_users"] = [{"user_id": 1, "user_deleted": 1}]  # type: ignore[index]
    add("rebuild_no_users", "rebuild", window, empty, "no live user")
    stale = _with(j, "202_attribution_snapshots", [
        {"snapshot_id": 1, "model_id": 10, "user_id": 1, "scope_type": "global", "scope_id": None,
         "date_hour": H - 2 * 3600, "lookback_start": 0, "lookback_end": 0,
         "attributed_clicks": 99, "attributed_conversions": 99, "attributed_revenue": "9.0000",
         "attributed_cost": "1.0000", "created_at": 1},
        {"snapshot_id": 2, "model_id": 10, "user_id": 1, "scope_type": "global", "scope_id": None,
         "date_hour": H - 2 * 3600, "lookback_start": 0, "lookback_end": 0,
         "attributed_clicks": 98, "attributed_conversions": 98, "attributed_revenue": "8.0000",
         "attributed_cost": "1.0000", "created_at": 1}])
    add("rebuild_duplicate_snapshots", "rebuild", ["--user=1", *window], stale,
        "two snapshots for one hour: one keeps stale totals", runner=True)
    for seed in range(2, 6):
        add(f"rebuild_random_{seed}", "rebuild", ["--user=1", *window],
            _journeys(base(seed, conversions=12)), "random clicks and conversions", runner=True)
    return out
