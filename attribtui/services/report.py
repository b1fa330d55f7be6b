"""The incident report: everything the console did in a time range (or a rollback), as Markdown + JSON.

Sources, all already on disk or bounded in the database:
- the action log (every console action and its result: the timeline, models changed, purges);
- the saved check runs (the first and last of the range: before and after);
- the job history (command, outcome and reason, the tails of its logs; full logs by path);
- 202_attribution_audit rows of the range, read by audit_id (the table has no time index);
- the rollback walkthrough's state, when the report is for one.
Every string goes through the profile's redaction: no key, password or apikey URL survives.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from attribtui.checks import store as check_store
from attribtui.infra import actionlog, clock, paths
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError
from attribtui.infra.redact import redact_url, redact_value
from attribtui.prosper import tables as pt
from attribtui.queries import idrange
from attribtui.services.jobs import parse
from attribtui.services.jobs import store as job_store
from attribtui.services.jobs.runner import log_tail
from attribtui.vocab import JsonDict

AUDIT_CAP = 500
LOG_TAIL = 20
NOISE_READ = 50  # lines read per line shown, so the tail survives folding the noise


def _check_runs(profile_name: str, since: int, until: int) -> list[JsonDict]:
    return [r for r in check_store.load_runs(profile_name, since=since, until=until)
            if since <= r.get("generated_at", 0) <= until]


def _jobs(profile_name: str, since: int, until: int) -> list[JsonDict]:
    out = []
    for rec in job_store.history(limit=500, profile=profile_name):
        started = rec.started_at or 0
        if not since <= started <= until:
            continue
        doc = rec.to_json()
        doc["stdout_tail"] = _tail(rec.stdout_log, "stdout")
        doc["stderr_tail"] = _tail(rec.stderr_log, "stderr")
        out.append(doc)
    return sorted(out, key=lambda j: j.get("started_at") or 0)


def _tail(path: Path, stream: str) -> list[str]:
    """The log's last lines that say something: known PHP noise (a backfill prints two warnings
    per conversion) is folded into one counted line, as in the console and `run`."""
    lines = log_tail(path, LOG_TAIL * NOISE_READ) if path.exists() else []
    kept = [ln for ln in lines if not parse.is_known_noise(parse.kind_of(stream, ln), ln)]
    folded = len(lines) - len(kept)
    return kept[-LOG_TAIL:] + ([parse.fold_note(folded, "the full log file")] if folded else [])


def _audit(db: Database | None, since: int, until: int) -> tuple[list[JsonDict], str | None]:
    """Audit rows created in the range, by an audit_id range found on the primary key."""
    if db is None:
        return [], "no database configured"
    try:
        lo = idrange.first_id_at_or_after(db.reader(primary=True), pt.attribution_audit,
                                          "created_at", since)
        if lo is None:
            return [], None
        rows = db.read(
            "SELECT audit_id, user_id, model_id, action, metadata, created_at "
            f"FROM `{pt.attribution_audit.name}` WHERE audit_id >= :lo ORDER BY audit_id "
            f"LIMIT {AUDIT_CAP + 1}", {"lo": lo}, primary=True)
    except DbError as e:
        return [], str(e)
    out = []
    for r in rows[:AUDIT_CAP]:
        if r[5] > until:
            break
        try:
            meta = json.loads(r[4]) if r[4] else None
        except ValueError:
            meta = r[4]
        out.append({"audit_id": r[0], "user_id": r[1], "model_id": r[2], "action": r[3],
                    "metadata": meta, "created_at": r[5], "created_at_iso": clock.iso(r[5])})
    note = f"more than {AUDIT_CAP} audit rows; showing the first {AUDIT_CAP}" if len(rows) > AUDIT_CAP else None
    return out, note


def _check_diff(runs: list[JsonDict]) -> list[dict[str, str]]:
    if not runs:
        return []
    before = {c["id"]: c["status"] for c in runs[0]["checks"]}
    after = {c["id"]: c["status"] for c in runs[-1]["checks"]}
    return [{"id": cid, "before": before.get(cid, "-"), "after": after.get(cid, "-")}
            for cid in sorted(set(before) | set(after))]


def build(profile: Profile, db: Database | None, since: int, until: int, *,
          rollback: JsonDict | None = None) -> JsonDict:
    """The report document (JSON-ready, redacted)."""
    name = profile.name if profile is not None else None
    actions = [e for e in actionlog.entries(since, until) if name is None or e.get("profile") == name]
    runs = _check_runs(name, since, until) if name else []
    if name and rollback is not None:  # a walkthrough compares with the run before it started
        runs = check_store.load_runs(name, until=since, newest=1)[-1:] + runs
    audit, audit_note = _audit(db, since, until)
    now = clock.now()
    doc = {
        "kind": "attribtui-incident-report",
        "generated_at": now, "generated_at_iso": clock.iso(now),
        "operator": report_operator(profile),
        "host": socket.gethostname(),
        "profile": name, "environment": getattr(profile, "environment", None),
        "database": db.label if db is not None else None,
        "api": redact_url(profile.api.base_url) if profile is not None and profile.api.base_url else None,
        "since": since, "since_iso": clock.iso(since), "until": until, "until_iso": clock.iso(until),
        "rollback": rollback,
        "timeline": actions,
        "models_changed": [e for e in actions if e["action"].startswith("model")],
        "purges": [e for e in actions if e["action"].startswith("purge")],
        "checks": {
            "runs": len(runs),
            "before": _run_summary(runs[0]) if runs else None,
            "after": _run_summary(runs[-1]) if len(runs) > 1 else None,
            "changes": [d for d in _check_diff(runs) if d["before"] != d["after"]],
        },
        "jobs": _jobs(name, since, until) if name else [],
        "audit": audit, "audit_note": audit_note,
    }
    redacted = redact_value(doc, profile.secrets())
    assert isinstance(redacted, dict)  # redaction keeps the document's shape
    return redacted


def report_operator(profile: Profile | None) -> str:
    """Who writes the report (actionlog.operator: the same name as its actions)."""
    return actionlog.operator(profile.operator if profile is not None else None)


def _run_summary(run: JsonDict) -> JsonDict:
    return {"generated_at_iso": run.get("generated_at_iso"), "summary": run.get("summary"),
            "path": run.get("_path"),
            "not_ok": [f"{c['id']} {c['status']}: {c['details']}" for c in run["checks"]
                       if c["status"] not in ("ok", "info")]}


def _md_table(columns: list[str], rows: Iterable[list[Any]]) -> list[str]:
    def cell(v: Any) -> str:
        return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")

    rows = list(rows)
    if not rows:
        return ["(none)"]
    return [f"| {' | '.join(columns)} |", f"|{'---|' * len(columns)}",
            *[f"| {' | '.join(cell(v) for v in r)} |" for r in rows]]


def to_markdown(doc: JsonDict) -> str:
    lines = [f"# Incident report: {doc['profile']} ({doc['environment']})", "",
             f"- Window: {doc['since_iso']} to {doc['until_iso']}",
             f"- Written {doc['generated_at_iso']} by {doc['operator']} on {doc['host']}",
             f"- Database: {doc['database'] or 'not configured'}; API: {doc['api'] or 'not configured'}"]
    rb = doc.get("rollback")
    if rb:
        lines += ["", f"## Rollback walkthrough {rb.get('id')}", "",
                  *_md_table(["step", "status", "when", "result or reason"],
                             ([s.get("title"), s.get("status"), s.get("ended_at_iso") or "",
                               s.get("result") or s.get("reason") or ""] for s in rb.get("steps", [])))]
    lines += ["", "## Timeline of console actions", "",
              *_md_table(["time (UTC)", "operator", "action", "target", "result"],
                         ([e["ts_iso"], e["operator"], e["action"], e.get("target"),
                           json.dumps(e.get("result"), default=str)] for e in doc["timeline"]))]
    checks = doc["checks"]
    lines += ["", "## Checks before and after", ""]
    for label in ("before", "after"):
        run = checks.get(label)
        if run:
            lines.append(f"- {label}: {run['generated_at_iso']} {run['summary']} ({run['path']})")
            lines += [f"  - {item}" for item in run["not_ok"]]
    if not checks["runs"]:
        lines.append("No check run was saved in this window (run `attribtui check`).")
    if checks["changes"]:
        lines += ["", *_md_table(["check", "before", "after"],
                                 ([c["id"], c["before"], c["after"]] for c in checks["changes"]))]
    lines += ["", "## Models changed", "",
              *_md_table(["time (UTC)", "action", "target", "request", "result"],
                         ([e["ts_iso"], e["action"], e.get("target"), json.dumps(e.get("params"), default=str),
                           json.dumps(e.get("result"), default=str)] for e in doc["models_changed"]))]
    lines += ["", "## Jobs", ""]
    if not doc["jobs"]:
        lines.append("(none)")
    for j in doc["jobs"]:
        lines += [f"### {j['id']}: {j['kind']} → {j['outcome']}", "",
                  f"- Command: `{j.get('command')}`",
                  f"- Started {j.get('started_at_iso')}, ended {j.get('ended_at_iso') or 'still running'}, "
                  f"exit codes {j.get('exit_codes')}", f"- Why: {j.get('reason')}",
                  f"- Full logs: {j['stdout_log']} and {j['stderr_log']}", "", "stdout (tail):", "```",
                  *j.get("stdout_tail", []), "```", "stderr (tail):", "```", *j.get("stderr_tail", []), "```", ""]
    lines += ["## Purges and backups", "",
              *_md_table(["time (UTC)", "action", "target", "backup", "result"],
                         ([e["ts_iso"], e["action"], e.get("target"),
                           (e.get("params") or {}).get("backup") or e.get("target"),
                           json.dumps(e.get("result"), default=str)] for e in doc["purges"]))]
    lines += ["", "## 202_attribution_audit rows", "",
              *_md_table(["audit_id", "time (UTC)", "user", "model", "action", "metadata"],
                         ([a["audit_id"], a["created_at_iso"], a["user_id"], a["model_id"], a["action"],
                           json.dumps(a["metadata"], default=str)] for a in doc["audit"]))]
    if doc.get("audit_note"):
        lines.append(f"\n{doc['audit_note']}")
    return "\n".join(lines) + "\n"


def write(doc: JsonDict, profile: Profile) -> tuple[Path, Path]:
    """Write report-<stamp>-<profile>.md and .json (0600) under the data dir's reports/."""
    stem = f"report-{paths.stamp(doc['generated_at_iso'])}-{doc['profile'] or 'none'}"
    with paths.new_private_file(paths.folder("reports"), stem, ".md") as (md, fh):
        fh.write(to_markdown(doc))
    js = paths.write_private(md.with_suffix(".json"), json.dumps(doc, indent=2, default=str))
    actionlog.record("report.write", profile=profile, target=str(md))
    return md, js
