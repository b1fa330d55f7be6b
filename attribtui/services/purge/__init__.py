"""Surgical purge of polluted journeys, with a replayable backup first.

The hand-typed `DELETE FROM 202_conversion_touchpoints WHERE conv_id IN (...)`, made safe:
- the selection is bounded and refused when empty or unbounded (selection.py);
- a dry run says how many conversions and touchpoint rows, with a sample;
- the privileges are checked and the one-operator lock taken before anything is written
  (guard.py; docs/architecture.md, promises 2 and 8);
- every row that will be deleted is first written to a backup that is whole or absent: a hidden
  partial file, fsynced, with row counts and a checksum in a trailer, named only when complete
  (backup.py); restore verifies it before touching anything;
- rows are deleted in one transaction per batch, only those in the backup; after an error the
  failed batch is re-read on a fresh connection, and each conversion is reported deleted,
  untouched or unknown with the command that settles it (truth.py, execute.py);
- the journeys' cache keys are evicted, the action is recorded, and the backfill for exactly
  the affected users and window is offered.
"""

from attribtui.services.purge.backup import (
    BACKUP_KIND,
    Backup,
    backups_dir,
    load,
    read_backup,
)
from attribtui.services.purge.common import (
    COLUMNS,
    DEFAULT_BATCH,
    HANDFUL,
    MAX_BACKUP_BYTES,
    MAX_BACKUP_ROWS,
    MAX_BATCH,
    MAX_CONVERSIONS,
    MAX_LINE_BYTES,
    MAX_WINDOW_S,
    TOUCHPOINTS,
    BackupFailed,
    BackupNotWritten,
    PurgeRefused,
)
from attribtui.services.purge.execute import (
    Progress,
    PurgeResult,
    execute,
)
from attribtui.services.purge.restore import RestoreResult, restore
from attribtui.services.purge.selection import (
    Affected,
    PurgePlan,
    Selection,
    parse_ids,
    plan,
)

__all__ = ["BACKUP_KIND", "COLUMNS", "DEFAULT_BATCH", "HANDFUL", "MAX_BACKUP_BYTES",
           "MAX_BACKUP_ROWS", "MAX_BATCH", "MAX_CONVERSIONS", "MAX_LINE_BYTES", "MAX_WINDOW_S",
           "TOUCHPOINTS", "Affected", "Backup", "BackupFailed", "BackupNotWritten", "Progress",
           "PurgePlan", "PurgeRefused", "PurgeResult", "RestoreResult", "Selection",
           "backups_dir", "execute", "load", "parse_ids", "plan", "read_backup", "restore"]
