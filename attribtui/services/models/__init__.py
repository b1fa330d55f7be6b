"""Attribution models through the v2 API: the list an operator sees, and every change as a plan.

listing  the API's active models merged with the DB rows it hides
plans    each change as requests, effects and the rebuild it calls for (the v2 traps defused)
backup   what a DELETE takes with the model, counted and backed up first
execute  sending a plan's requests, logging them, the rebuild to run
history  the audit trail and the hourly snapshot series
effects  what a request changes, derived from upstream's rules
users    acting as a model's user (api.user_keys), or the command to run without its key
"""

from attribtui.services.models.backup import BACKUP_CAP, backup_dir, backup_model, delete_counts
from attribtui.services.models.execute import ChangeResult, execute
from attribtui.services.models.history import (
    AUDIT_ACTIONS,
    AuditRow,
    Series,
    SeriesPoint,
    read_audit,
    snapshot_series,
)
from attribtui.services.models.listing import (
    LINT_HINT,
    Model,
    ModelList,
    is_server_parse_failure,
    label,
    load_models,
    read_model_rows,
)
from attribtui.services.models.plans import (
    ApiRequest,
    ModelAction,
    RebuildWindow,
    plan_activate,
    plan_create,
    plan_deactivate,
    plan_delete,
    plan_set_default,
    plan_update,
    slug_after_patch,
    weighting_from_fields,
    weighting_note,
)
from attribtui.services.models.users import client_for, commands, key_variable

__all__ = [
    "AUDIT_ACTIONS", "BACKUP_CAP", "LINT_HINT", "ApiRequest", "AuditRow", "ChangeResult", "Model",
    "ModelAction", "ModelList", "client_for", "commands", "key_variable", "RebuildWindow", "Series", "SeriesPoint", "backup_dir",
    "backup_model", "delete_counts", "execute", "is_server_parse_failure", "label", "load_models",
    "plan_activate", "plan_create", "plan_deactivate", "plan_delete", "plan_set_default",
    "plan_update", "read_audit", "read_model_rows", "slug_after_patch", "snapshot_series",
    "weighting_from_fields", "weighting_note",
]
