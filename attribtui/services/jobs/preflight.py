"""Checks before a job is launched, and the check after a rebuild that it took effect.

Deleting a guard row is guard.py's (delete_guard_row and guard_delete_plan are re-exported here).
Every read is bounded (docs/architecture.md, promise 1): the window's conversions are counted inside
a conv_id range found on the primary key by binary search (202_conversion_logs has no conv_time
index), the guard rows by (cronjob_type, cronjob_time), the snapshots per model on model_hour_scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attribtui.infra import clock, locks
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbDenied, DbError, MissingTable, in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.credit import RUNNER_BATCH
from attribtui.queries import idrange
from attribtui.queries.settings import OLD_LAYOUT, has_toggles
from attribtui.services.jobs import store
from attribtui.services.jobs.command import MAX_CHUNK, JobRequest, local_problems, remote_note
from attribtui.services.jobs.guard import delete_guard_row as delete_guard_row
from attribtui.services.jobs.guard import guard_delete_plan as guard_delete_plan
from attribtui.vocab import JsonDict

ERROR, WARN, INFO = "error", "warn", "info"
# Blocking codes that mean "could not start here" (exit 3) rather than "refused, nothing changed"
# (exit 1): no database, no runner, a lock or privilege that cannot be had.
CANNOT_START = frozenset({"db", "runner", "lock.error", "privileges"})

# What the sandbox stand-ins do with db.url (attribtui/sandbox/cron): the privileges probed before
# a launch (infra/db.py PRIVILEGE_PROBES).
_READS = {"rebuild": (pt.users, pt.conversion_logs, pt.clicks, pt.conversion_touchpoints,
                      pt.attribution_models, pt.attribution_snapshots, pt.cronjobs),
          "backfill": (pt.conversion_logs, pt.clicks, pt.attribution_settings, pt.aff_campaigns,
                       pt.conversion_touchpoints)}
_WRITES = {"rebuild": (("INSERT", pt.cronjobs), ("DELETE", pt.cronjobs),
                       ("INSERT", pt.cronjob_logs), ("DELETE", pt.cronjob_logs),
                       ("DELETE", pt.attribution_touchpoints), ("INSERT", pt.attribution_touchpoints),
                       ("INSERT", pt.attribution_snapshots), ("UPDATE", pt.attribution_snapshots),
                       ("INSERT", pt.attribution_audit)),
           "backfill": (("DELETE", pt.conversion_touchpoints),
                        ("INSERT", pt.conversion_touchpoints))}
PHP_CREDENTIALS_NOTE = ("the php runner writes with Prosper202's own credentials (its "
                        "202-config.php), not with db.url: their privileges are not checked here")


def sandbox_needs(kind: str) -> list[tuple[str, str]]:
    """(privilege, table) the sandbox stand-in of this job needs on db.url."""
    return ([("SELECT", t.name) for t in _READS.get(kind, ())]
            + [(priv, t.name) for priv, t in _WRITES.get(kind, ())])


@dataclass
class PreflightNote:
    level: str  # error (blocks the launch) | warn | info
    code: str
    text: str


@dataclass
class Preflight:
    request: JobRequest
    findings: list[PreflightNote] = field(default_factory=list)
    conversions: int | None = None
    conv_ids: tuple[int, int] | None = None
    users_total: int | None = None
    guard_hours: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.level == ERROR for f in self.findings)

    def add(self, level: str, code: str, text: str) -> None:
        self.findings.append(PreflightNote(level, code, text))

    def to_json(self) -> JsonDict:
        return {"ok": self.ok, "conversions": self.conversions, "users_total": self.users_total,
                "conv_id_range": list(self.conv_ids) if self.conv_ids else None,
                "guard_hours": self.guard_hours,
                "findings": [f.__dict__ for f in self.findings]}


def check_window(req: JobRequest, now: int | None = None) -> list[PreflightNote]:
    """The pure part: window order, future times, alignment, size, batch size."""
    now = clock.now() if now is None else now
    out: list[PreflightNote] = []
    # The rebuild refuses start >= end; the backfill only start > end (docs/prosper202.md, "Cron
    # scripts"), so a single second (one conversion's conv_time) is a valid backfill window.
    if req.start > req.end or (req.start == req.end and req.kind != "backfill"):
        out.append(PreflightNote(ERROR, "window.order", f"start {clock.iso(req.start)} is not before "
                           f"end {clock.iso(req.end)}; pick a start earlier than the end"))
    if req.end > now:
        out.append(PreflightNote(ERROR, "window.future", f"end {clock.iso(req.end)} is in the future "
                           f"(now {clock.iso(now)}); pick an end at or before now"))
    if req.start > now:
        out.append(PreflightNote(ERROR, "window.future", f"start {clock.iso(req.start)} is in the "
                           "future; pick a start before now"))
    if req.batch_size is not None and req.batch_size < 1:
        out.append(PreflightNote(ERROR, "batch_size", f"batch size {req.batch_size} must be at least 1"
                           " (the script would silently use 1); give a positive number"))
    if req.user is not None and req.user < 1:
        out.append(PreflightNote(ERROR, "user", f"user {req.user} is not a user id; give a positive id "
                           "or leave it empty for all users"))
    if req.kind == "rebuild":
        if req.start % clock.HOUR:
            out.append(PreflightNote(WARN, "window.start_unaligned", f"--start={req.start} is not a "
                               f"whole hour: the hour {clock.iso(clock.hour(req.start))} is reset "
                               "and refilled only from --start, so it undercounts; use "
                               f"--start={clock.hour(req.start)} (a aligns the window)"))
        if (req.end + 1) % clock.HOUR:
            tail = (f"--end={req.end} is a whole hour: that hour is zeroed but refilled only up "
                    "to its first second" if req.end % clock.HOUR == 0 else
                    f"--end={req.end} is inside an hour: that hour is reset but refilled only "
                    "up to --end")
            out.append(PreflightNote(WARN, "window.end_unaligned", f"{tail}; use "
                               f"--end={clock.hour(req.end) - 1} or "
                               f"{clock.hour(req.end) + clock.HOUR - 1} (H1-1)"))
        if clock.hour(req.end) == clock.hour(now):
            out.append(PreflightNote(WARN, "guard.current_hour", "--end falls in the current hour: "
                               "this run writes the guard row for it, so this hour's scheduled "
                               "cron run (at :15) will skip; prefer an --end before "
                               f"{clock.iso(clock.hour(now))}"))
    if req.end - req.start > MAX_CHUNK and not req.chunk:
        n = len(JobRequest(req.kind, req.start, req.end, chunk=MAX_CHUNK).windows())
        out.append(PreflightNote(WARN, "window.large", f"the window is {clock.ago(req.end - req.start)}"
                           f"; Prosper202 advises runs of at most 24 h: split it into {n} "
                           "hour-aligned chunks run one after another (--chunk=24h, or k)"))
    return out


def conv_id_range(db: Database, start: int, end: int) -> tuple[int, int] | None:
    """The conv_id range (inclusive) holding the conversions of start..end, found on the PK."""
    ids = idrange.id_range(db.reader(), pt.conversion_logs, "conv_time", start, end)
    return None if ids is None else (ids[0], ids[1] - 1)


def count_conversions(db: Database, req: JobRequest) -> tuple[int, tuple[int, int] | None]:
    ids = conv_id_range(db, req.start, req.end)
    if ids is None:
        return 0, None
    user = " AND user_id = :u" if req.user is not None else ""
    n = db.scalar(f"SELECT COUNT(*) FROM `{pt.conversion_logs.name}` WHERE conv_id BETWEEN :lo AND :hi "
                  f"AND conv_time BETWEEN :s AND :e AND deleted = 0{user}",
                  {"lo": ids[0], "hi": ids[1], "s": req.start, "e": req.end, "u": req.user})
    return int(n or 0), ids


def users(db: Database) -> list[tuple[int, str]]:
    """Users a job may target: deleted users are not offered."""
    rows = db.read(f"SELECT user_id, user_name FROM `{pt.users.name}` WHERE user_deleted = 0 "
                   "ORDER BY user_id LIMIT 500")
    return [(int(u), str(n)) for u, n in rows]


def guard_rows(db: Database, hours: list[int]) -> list[int]:
    if not hours:
        return []
    part, params = in_clause("h", hours)
    rows = db.read(f"SELECT cronjob_time FROM `{pt.cronjobs.name}` WHERE cronjob_type = 'attr' AND "
                   f"cronjob_time IN ({part}) LIMIT 1000", params, primary=True)
    return sorted({int(r[0]) for r in rows})


def run(profile: Profile, req: JobRequest, db: Database | None = None,
        now: int | None = None) -> Preflight:
    """Every check; DB problems become findings, never exceptions."""
    now = clock.now() if now is None else now
    pf = Preflight(req, check_window(req, now))
    if profile.read_only:
        pf.add(ERROR, "read_only", f"profile '{profile.name}' is read-only: jobs cannot be "
               "launched; use a profile without read_only = true")
    for problem in local_problems(profile):
        pf.add(ERROR, "runner", problem)
    note = remote_note(profile)
    if note:
        pf.add(INFO, "remote", note)
    if req.kind == "rebuild":
        mine = store.running(profile.name, "rebuild", store.database_id(profile.db.url))
        if mine:
            pf.add(ERROR, "running", f"rebuild {mine[0].id} is still running (started "
                   f"{clock.describe(mine[0].started_at, now)}); wait for it or cancel it first")
    if not profile.db.url:
        pf.add(ERROR, "db", "no database configured (db.url): jobs need one")
        return pf
    own = db is None
    db = db or Database.from_profile(profile)
    try:
        if req.user is not None and req.user > 0:
            row = db.read(f"SELECT user_id, user_deleted FROM `{pt.users.name}` WHERE user_id = :u "
                          "LIMIT 1", {"u": req.user})
            if not row:
                pf.add(ERROR, "user", f"user {req.user} does not exist; pick one of the users "
                       "listed (or all)")
            elif int(row[0][1]):
                pf.add(ERROR, "user", f"user {req.user} is deleted (user_deleted=1): its "
                       "attribution rows were removed with it; pick another user")
        if req.kind == "rebuild":
            pf.users_total = 1 if req.user is not None else len(users(db))
        if req.start < req.end:
            pf.conversions, pf.conv_ids = count_conversions(db, req)
            what = "an upper bound: conversions of disabled multi-touch scopes are skipped" \
                if req.kind == "backfill" else f"the rebuild reads them in batches of {RUNNER_BATCH}"
            pf.add(INFO, "count", f"{pf.conversions:,} conversions in the window"
                   + (f" for user {req.user}" if req.user is not None else "") + f" ({what})")
            if pf.conversions == 0 and req.kind == "rebuild":
                pf.add(WARN, "empty", "no conversions in the window: the rebuild deletes the "
                       "window's credits and returns early, leaving the snapshot totals stale")
        if req.kind == "backfill" and _old_settings_layout(db):
            pf.add(WARN, "settings.layout", f"{OLD_LAYOUT}: the backfill skips every conversion "
                   "whose global, advertiser or campaign scope has a settings row and writes no "
                   "journey for it; migrate the table first (see the settings.disabled check)")
        if req.kind == "rebuild":
            buckets = sorted({clock.hour(e) for _, e in req.windows()})
            pf.guard_hours = guard_rows(db, buckets)
            for h in pf.guard_hours:
                pf.add(ERROR, "guard", f"202_cronjobs already has ('attr', {h}) for the hour of "
                       f"--end ({clock.iso(h)}): the run would print 'already processed this "
                       f"window; skipping.' and rebuild nothing. Pick an --end in another hour "
                       f"(e.g. {h - 1}), or delete that guard row (confirmed and logged: d on the Jobs and Rollback screens, --delete-guard headless)")
        _privileges(pf, profile, req, db)
        try:
            held = locks.holder(profile.db.url)
        except locks.LockError as e:
            held = None
            pf.add(ERROR, "lock.error", str(e))
        if held is not None:
            pf.add(ERROR, "lock", f"another job holds the lock on this database: "
                   f"{held.describe()}; wait for it to finish")
    except DbError as e:
        pf.add(ERROR, "db", str(e))
    finally:
        if own:
            db.close()
    return pf


def _old_settings_layout(db: Database) -> bool:
    """202_attribution_settings lacks the multi_touch_* columns (a missing table is the schema
    checks' finding, not a reason to refuse the launch)."""
    try:
        return not has_toggles(db.reader())
    except MissingTable:
        return False


def _privileges(pf: Preflight, profile: Profile, req: JobRequest, db: Database) -> None:
    """The sandbox writes with db.url: a missing privilege blocks the launch (exit 3)."""
    if profile.jobs.runner != "sandbox":
        pf.add(INFO, "privileges", PHP_CREDENTIALS_NOTE)
        return
    if profile.read_only:
        return  # refused already; the probe would only say the same
    try:
        db.require_privileges(sandbox_needs(req.kind), f"the sandbox {req.kind} (it writes with "
                              "db.url)")
    except DbDenied as e:
        pf.add(ERROR, "privileges", str(e))


@dataclass
class RebuildEffect:
    heartbeat: int | None
    models: list[tuple[int, int | None, int]]  # (model_id, newest snapshot hour, rows rebuilt)

    def lines(self, started_at: int | None = None) -> list[str]:
        hb = self.heartbeat
        fresh = hb is not None and started_at is not None and hb >= started_at
        out = [f"Heartbeat (202_cronjob_logs id 2): {clock.describe(hb)}"
               + (" ✔ written by this run" if fresh else " ▲ not newer than this run")]
        for mid, newest, rebuilt in self.models:
            out.append(f"model {mid}: newest snapshot hour {clock.iso(newest) or 'none'}, "
                       f"{rebuilt} hour(s) rewritten by this run")
        return out


def rebuild_effect(profile: Profile, rec: store.JobRecord, db: Database | None = None
                   ) -> RebuildEffect:
    """Re-read the heartbeat and the newest snapshot hours on the primary (promise 6)."""
    own = db is None
    db = db or Database.from_profile(profile)
    try:
        hb = db.scalar(f"SELECT last_execution_time FROM `{pt.cronjob_logs.name}` WHERE id = 2 LIMIT 1",
                       primary=True)
        q = f"SELECT model_id FROM `{pt.attribution_models.name}` WHERE is_active = 1"
        params: JsonDict = {}
        if rec.meta.get("user") is not None:
            q += " AND user_id = :u"
            params["u"] = rec.meta["user"]
        model_ids = [int(r[0]) for r in db.read(q + " ORDER BY model_id LIMIT 50", params,
                                                primary=True)]
        chunks = rec.meta.get("chunks") or [[rec.meta["window"]["start"],
                                             rec.meta["window"]["end"]]]
        h0, h1 = clock.hour(chunks[0][0]), clock.hour(chunks[-1][1])
        ends = [e for _, e in chunks]
        part, eparams = in_clause("e", ends)
        models = []
        for mid in model_ids:
            row = db.read(
                "SELECT MAX(date_hour), SUM(CASE WHEN lookback_end IN (" + part + ") THEN 1 "
                f"ELSE 0 END) FROM `{pt.attribution_snapshots.name}` WHERE model_id = :m AND "
                "date_hour BETWEEN :a AND :b AND scope_type = 'global'",
                {"m": mid, "a": h0, "b": h1, **eparams}, primary=True)
            newest, rebuilt = row[0] if row else (None, 0)
            models.append((mid, None if newest is None else int(newest), int(rebuilt or 0)))
        return RebuildEffect(None if hb is None else int(hb), models)
    finally:
        if own:
            db.close()
