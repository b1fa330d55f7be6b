"""The API corpus's database: users with each permission set, models good and bad, snapshots,
credits, clicks and exports (as fixture rows, see tests/golden_db.py)."""

from __future__ import annotations

from tests.support import NOW

H = NOW - NOW % 3600
BOTH = ["view_attribution_reports", "manage_attribution_models"]


def _model(mid: int, uid: int, name: str, slug: str, kind: str, config: str | None,
           active: int = 1, default: int = 0, created: int = 0) -> dict[str, object]:
    return {"model_id": mid, "user_id": uid, "model_name": name, "model_slug": slug,
            "model_type": kind, "weighting_config": config, "is_active": active,
            "is_default": default, "created_at": created or 1_700_000_000 + mid,
            "updated_at": created or 1_700_000_000 + mid}


def fixture() -> dict[str, object]:
    models = [
        _model(1, 1, "Last Touch Attribution", "last-touch-default", "last_touch", None,
               default=1),
        _model(2, 1, "Decay", "decay", "time_decay", '{"half_life_hours": 24}'),
        _model(3, 1, "Position", "position", "position_based",
               '{"first_touch_weight": 0.4, "last_touch_weight": 0.4}'),
        _model(4, 1, "Assisted", "assisted", "assisted", "[]"),
        _model(5, 1, "Old linear", "old-linear", "linear", "{}", active=0),  # inactive v3 row
        _model(6, 1, "", "empty-name", "last_touch", None, active=0),
        _model(7, 1, "Null config", "null-config", "time_decay", "null", active=0),
        _model(8, 1, "Algo", "algo", "algorithmic", '{"x": 1}'),
        _model(9, 1, "Position list", "position-list", "position_based", '[0.4, 0.4]', active=0),
        _model(10, 1, "Half life text", "half-life-text", "time_decay",
               '{"half_life_hours": "12"}', active=0),
        _model(11, 1, "Broken json", "broken-json", "time_decay", "{half", active=0),
        _model(20, 5, "Bad active", "bad-active", "time_decay", "null"),
        _model(21, 5, "Good", "good", "last_touch", None),
        _model(30, 6, "V3 linear", "v3-linear", "linear", "{}"),
        _model(40, 2, "Other user", "other", "last_touch", None, default=1),
    ]
    snapshots, credits, sid, tid = [], [], 0, 0
    for uid, mid in ((1, 1), (1, 3)):
        for k in range(6):
            sid += 1
            snapshots.append({
                "snapshot_id": sid, "model_id": mid, "user_id": uid, "scope_type": "global",
                "scope_id": None, "date_hour": H - (5 - k) * 3600, "lookback_start": H - 86400,
                "lookback_end": H, "attributed_clicks": 2 + k, "attributed_conversions": 1 + k % 3
                + (4 if k == 5 else 0), "attributed_revenue": f"{10 + k * 1.5 + (k == 5) * 30:.4f}",
                "attributed_cost": f"{3 + k * 0.25:.4f}", "created_at": H})
            for pos in range(3):
                tid += 1
                credits.append({"touchpoint_id": tid, "snapshot_id": sid, "conv_id": 100 + k,
                                "click_id": 1000 + k * 10 + pos, "position": pos,
                                "credit": f"{(0.4, 0.2, 0.4)[pos]:.5f}",
                                "weight": f"{(0.4, 0.2, 0.4)[pos]:.5f}", "created_at": H})
    sid += 1
    snapshots.append({"snapshot_id": sid, "model_id": 1, "user_id": 1, "scope_type": "campaign",
                      "scope_id": 7, "date_hour": H - 3600, "lookback_start": H - 86400,
                      "lookback_end": H, "attributed_clicks": 9, "attributed_conversions": 3,
                      "attributed_revenue": "1234.5000", "attributed_cost": "10.0000",
                      "created_at": H})
    sid += 1
    snapshots.append({"snapshot_id": sid, "model_id": 1, "user_id": 1, "scope_type": "campaign",
                      "scope_id": None, "date_hour": H - 7200, "lookback_start": H - 86400,
                      "lookback_end": H, "attributed_clicks": 1, "attributed_conversions": 1,
                      "attributed_revenue": "5.0000", "attributed_cost": "1.0000",
                      "created_at": H})
    clicks = [{"click_id": 1000 + i, "user_id": 1, "aff_campaign_id": 7 if i % 2 else 8,
               "landing_page_id": 3 if i % 3 == 0 else 0, "ppc_account_id": 2 if i % 4 else 0,
               "click_cpc": "0.10000", "click_time": H - i * 1800} for i in range(40)]
    exports = [{"export_id": 1, "user_id": 1, "model_id": 1, "scope_type": "global",
                "scope_id": None, "start_hour": H - 86400, "end_hour": H,
                "requested_format": "csv", "status": "completed", "file_path": "/tmp/x.csv",
                "rows_exported": 6, "webhook_url": None, "webhook_secret": None,
                "webhook_headers": None, "queued_at": H - 100, "started_at": H - 90,
                "completed_at": H - 80, "failed_at": None, "last_error": None,
                "created_at": H - 100, "updated_at": H - 80}]
    return {
        "permissions": {"1": BOTH, "2": ["view_attribution_reports"], "3": [],
                        "4": ["manage_attribution_models"], "5": BOTH, "6": BOTH},
        "tables": {
            "202_users": [{"user_id": u} for u in (1, 2, 3, 4, 5, 6)],
            "202_api_keys": [{"user_id": 1, "api_key": "key-one"},
                             {"user_id": 2, "api_key": "key-view"},
                             {"user_id": 3, "api_key": "key-none"},
                             {"user_id": 4, "api_key": "key-manage"},
                             {"user_id": 5, "api_key": "key-five"},
                             {"user_id": 6, "api_key": "key-six"},
                             {"user_id": 99, "api_key": "key-ghost"}],
            "202_attribution_models": models,
            "202_attribution_snapshots": snapshots,
            "202_attribution_touchpoints": credits,
            "202_clicks": clicks,
            "202_attribution_exports": exports,
            "202_attribution_settings": [
                {"setting_id": 1, "user_id": 1, "scope_type": "global", "scope_id": None,
                 "model_id": 1, "multi_touch_enabled": 1, "effective_at": H,
                 "created_at": H, "updated_at": H},
                {"setting_id": 2, "user_id": 1, "scope_type": "campaign", "scope_id": 7,
                 "model_id": 3, "multi_touch_enabled": 0, "effective_at": H,
                 "created_at": H, "updated_at": H}],
        },
    }
