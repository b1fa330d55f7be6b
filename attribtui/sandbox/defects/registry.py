"""The registry table: every defect the sandbox can plant, and the findings it must cause.

One source of truth for the seeder (``seed(defects=...)``), the functional tests (each defect must
produce its findings) and the README's defect table (registry_doc.py). The plant functions live in
plants/; this module is the table alone.
"""

from __future__ import annotations

from attribtui.prosper.validation import MSG_CONFIG_REQUIRED
from attribtui.sandbox.defects.defect import Defect, ExpectedFinding
from attribtui.sandbox.defects.plants import clicks, crons, journeys, schema, snapshots
from attribtui.sandbox.defects.plants import models_settings as ms
from attribtui.vocab import Status

FAIL, WARN, SKIPPED = Status.FAIL, Status.WARN, Status.SKIPPED
PICKED = "picked at seed time (marker 'affected')"


def _finding(check_id: str, status: Status, match: str) -> ExpectedFinding:
    return ExpectedFinding(check_id, status, match)


def _columns(match: str, status: Status = WARN) -> ExpectedFinding:
    return ExpectedFinding("schema.columns", status, match)


def _indexes(match: str, status: Status = WARN) -> ExpectedFinding:
    return ExpectedFinding("schema.indexes", status, match)


# -- integrity: plants that break attribution data on purpose --------------------------------------

_INTEGRITY = [
    Defect("models_two_defaults", "User 1 has two default models", "demo",
           (_finding("models.defaults", FAIL, "time-decay-48h"),),
           {"user_ids": [1], "model_ids": [2]}, plant=ms.models_two_defaults),
    Defect("models_default_inactive", "User 1's default model is inactive", "demo",
           (_finding("models.default_active", FAIL, "default model is inactive"),),
           {"user_ids": [1], "model_ids": [4]}, plant=ms.models_default_inactive),
    Defect("models_no_default", "User 2 has no default model", "demo",
           (_finding("models.defaults", WARN, "no default model"),),
           {"user_ids": [2], "model_ids": [5]}, plant=ms.models_no_default),
    Defect("models_v3_types", "User 4 (v3import) has v3-only model types first_touch and linear",
           "demo", (_finding("models.types", FAIL, "linear"),),
           {"user_ids": [ms.V3_USER],
            "model_ids": [ms.V3_MODELS["first_touch"], ms.V3_MODELS["linear"]]},
           plant=ms.models_v3_types),
    Defect("models_bad_weighting", "User 4 (v3import) has a time_decay model with a {} config",
           "demo", (_finding("models.weighting", FAIL, MSG_CONFIG_REQUIRED),),
           {"user_ids": [ms.V3_USER], "model_ids": [ms.V3_MODELS["time_decay_empty"]]},
           plant=ms.models_bad_weighting),
    Defect("snapshots_duplicate", "A second (zero placeholder) snapshot row for one hour of model 3",
           "demo", (_finding("snapshots.duplicates", FAIL, "position-40-40"),),
           {"model_ids": [3], "date_hours": PICKED}, plant=snapshots.snapshots_duplicate),
    Defect("snapshots_missing", "Model 2 lost its snapshot (and credits) for a rebuilt hour", "demo",
           (_finding("snapshots.missing", FAIL, "time-decay-48h"),),
           {"model_ids": [2], "date_hours": PICKED}, plant=snapshots.snapshots_missing),
    Defect("snapshots_disagree", "Model 1 counts one conversion more than its siblings in one hour",
           "demo", (_finding("snapshots.agreement", WARN, "last-touch-default"),),
           {"model_ids": [1], "date_hours": PICKED}, plant=snapshots.snapshots_disagree),
    Defect("credits_not_one", "One conversion's model-2 credits sum to 1.25", "demo",
           (_finding("credits.conservation", FAIL, "1.25000"),),
           {"model_ids": [2], "conv_ids": PICKED}, plant=snapshots.credits_not_one),
    Defect("credits_not_credited", "One conversion has no model-1 credit rows (reset, not refilled)",
           "demo", (_finding("credits.conservation", WARN, "not credited"),),
           {"model_ids": [1], "conv_ids": PICKED}, plant=snapshots.credits_not_credited),
    Defect("clicks_duplicate_row",
           "A second 202_clicks row for one conversion's click: the rebuild credited it twice",
           "demo", (_finding("credits.conservation", FAIL, "has 2 rows in 202_clicks"),),
           {"table": "202_clicks", "conv_ids": PICKED}, plant=clicks.clicks_duplicate_row),
    Defect("clicks_row_missing",
           "One conversion's 202_clicks row is gone: the rebuild never credits it",
           "demo", (_finding("credits.conservation", WARN, "has no row in 202_clicks"),),
           {"table": "202_clicks", "conv_ids": PICKED}, plant=clicks.clicks_row_missing),
    Defect("journey_position_gap", "A journey whose last position skips one (0..n-2, n)", "demo",
           (_finding("journeys.sample", FAIL, "positions"),),
           {"conv_ids": PICKED}, plant=journeys.journey_position_gap),
    Defect("journey_converting_missing", "A journey without its converting click", "demo",
           (_finding("journeys.sample", FAIL, "converting_missing"),),
           {"conv_ids": PICKED}, plant=journeys.journey_converting_missing),
    Defect("journey_duplicate_click", "A journey storing one click twice", "demo",
           (_finding("journeys.sample", FAIL, "duplicate_click"),),
           {"conv_ids": PICKED}, plant=journeys.journey_duplicate_click),
    Defect("journey_outside_lookback", "A journey touch older than the 30-day lookback", "demo",
           (_finding("journeys.sample", FAIL, "lookback"),),
           {"conv_ids": PICKED}, plant=journeys.journey_outside_lookback),
    Defect("journey_too_many_touches", "A journey of 27 touches (older campaign clicks added)",
           "demo", (_finding("journeys.sample", FAIL, "too_many"),),
           {"conv_ids": PICKED}, plant=journeys.journey_too_many_touches),
    Defect("journeys_missing", "Two live multi-touch conversions lost their journeys", "demo",
           (_finding("journeys.missing", WARN, "no journey"),),
           {"conv_ids": PICKED}, plant=journeys.journeys_missing),
    Defect("settings_missing_model", "A settings row points to model 9999, which does not exist",
           "demo", (_finding("settings.models", WARN, "model 9999 does not exist"),),
           {"user_ids": [1], "model_ids": [9999]}, plant=ms.settings_missing_model),
    Defect("settings_duplicate_global", "User 1 has two global settings rows", "demo",
           (_finding("settings.duplicates", WARN, "duplicate global rows"),),
           {"user_ids": [1]}, plant=ms.settings_duplicate_global),
    Defect("settings_purge_wipes_all",
           "User 2 disabled multi-touch for scope account:5: the purge would delete all journeys",
           "demo", (_finding("settings.disabled", WARN, "ALL journeys"),),
           {"user_ids": [2]}, plant=ms.settings_purge_wipes_all),
    Defect("exports_stuck", "An export job stuck in processing for 3 h", "demo",
           (_finding("exports.stuck", FAIL, "processing for over 1 h"),),
           {"table": "202_attribution_exports"}, plant=crons.exports_stuck),
    Defect("exports_failed", "An export job failed 5 h ago (Permission denied)", "demo",
           (_finding("exports.failed", WARN, "Permission denied"),),
           {"table": "202_attribution_exports"}, plant=crons.exports_failed),
    Defect("exports_pending_cron_down", "An export job pending for 26 h; the export cron is down",
           "demo", (_finding("exports.pending", FAIL, "export cron not running"),),
           {"table": "202_attribution_exports", "cronjob_logs_id": 3},
           plant=crons.exports_pending_cron_down),
    Defect("exports_pending", "An export job pending for 2 h (the export cron runs)", "isolated",
           (_finding("exports.pending", WARN, "pending; the export cron last ran"),),
           {"table": "202_attribution_exports"}, plant=crons.exports_pending),
    Defect("rebuild_failing",
           "The rebuild's last two runs wrote the heartbeat but failed (no snapshot_rebuild rows)",
           "isolated", (_finding("cron.rebuild_crosscheck", WARN, "no snapshot_rebuild since"),),
           {"table": "202_attribution_audit", "user_ids": [1]}, plant=crons.rebuild_failing),
]

# -- schema and cron: older layouts and crons that do not run --------------------------------------

_ALL = [
    Defect(
        "cron_stopped", "The attribution cron stopped 30 hours ago", "demo",
        (_finding("cron.attribution_heartbeat", FAIL, "202_cronjob_logs"),
         # what follows from it: conversions of the last 30 h that no snapshot counts
         _finding("snapshots.freshness", WARN, "snapshots are stale")),
        {"table": "202_cronjob_logs", "row": 2, "stopped_hours_ago": 30},
        tweak=crons.cron_stopped,
    ),
    Defect(
        "clicks_runbook_era_index", "202_clicks lacks KEY user_click_time (runbook era)", "demo",
        (_indexes("user_click_time"),),
        {"table": "202_clicks", "index": "user_click_time"},
        plant=schema.clicks_runbook_era_index,
    ),
    Defect(
        "conversion_logs_runbook_era",
        "202_conversion_logs as in the runbook era: ip varchar(15), plain KEY click_id",
        "isolated",
        (_columns("ip"), _indexes("uniq_click_transaction")),
        {"table": "202_conversion_logs", "column": "ip", "index": "uniq_click_transaction"},
        plant=schema.conversion_logs_runbook_era, sqlite=False,
    ),
    Defect(
        "settings_pre_1958", "202_attribution_settings as the 1.9.56 upgrade created it",
        "isolated",
        (_columns("multi_touch_enabled"), _indexes("user_scope_multi_touch"),
         # upstream reads every row of that layout as disabled, and the purge script dies
         _finding("settings.disabled", WARN, "reads as DISABLED")),
        {"table": "202_attribution_settings",
         "columns": ["multi_touch_enabled", "multi_touch_enabled_at", "multi_touch_disabled_at"],
         "indexes": ["user_scope_model", "user_scope_multi_touch"]},
        plant=schema.settings_pre_1958,
    ),
    Defect(
        "campaigns_no_model_column", "202_aff_campaigns without attribution_model_id", "isolated",
        (_columns("attribution_model_id"), _indexes("idx_attribution_model")),
        {"table": "202_aff_campaigns", "column": "attribution_model_id",
         "index": "idx_attribution_model"},
        plant=schema.campaigns_no_model_column,
    ),
    Defect(
        "api_keys_no_scope", "202_api_keys without scope (before 1.9.60)", "isolated",
        (_columns("scope"),),
        {"table": "202_api_keys", "column": "scope"},
        plant=schema.api_keys_no_scope,
    ),
    Defect(
        "divergent_models_table",
        "202_attribution_models from the optional migration: ENUM type, UNIQUE(user_id, is_default)",
        "isolated",
        (_columns("model_type", FAIL), _indexes("is_default", FAIL)),
        {"table": "202_attribution_models", "column": "model_type",
         "index": "unique_user_default"},
        plant=schema.divergent_models_table, sqlite=False,
    ),
    Defect(
        "touchpoints_no_conv_index", "202_conversion_touchpoints lacks KEY conv_id", "isolated",
        (_indexes("202_conversion_touchpoints", FAIL),
         # the journey checks refuse to scan the table without it
         _finding("journeys.sample", SKIPPED, "202_conversion_touchpoints"),
         _finding("journeys.missing", SKIPPED, "202_conversion_touchpoints")),
        {"table": "202_conversion_touchpoints", "index": "conv_id"},
        plant=schema.touchpoints_no_conv_index,
    ),
    Defect(
        "audit_table_missing", "202_attribution_audit is missing", "isolated",
        (_finding("schema.tables", FAIL, "202_attribution_audit"),
         # the checks that need the rebuild audit trail cannot answer
         _finding("cron.rebuild_crosscheck", SKIPPED, "202_attribution_audit"),
         _finding("snapshots.missing", SKIPPED, "202_attribution_audit"),
         _finding("credits.conservation", SKIPPED, "202_attribution_audit")),
        {"table": "202_attribution_audit"},
        plant=schema.audit_table_missing,
    ),
    Defect(
        "cron_never_ran", "The attribution cron never recorded a run", "isolated",
        (_finding("cron.attribution_heartbeat", WARN, "202_cronjob_logs"),),
        {"table": "202_cronjob_logs", "row": 2},
        plant=crons.cron_never_ran,
    ),
    *_INTEGRITY,
]

DEFECTS: dict[str, Defect] = {d.id: d for d in _ALL}


def demo_defects() -> list[Defect]:
    """The defects the demo database carries, so a first look at the console has findings."""
    return [d for d in DEFECTS.values() if d.where == "demo"]
