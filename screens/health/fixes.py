"""Where the fix of a finding is: the screen that acts on it, and the part of a remediation that
can be pasted and run. No Textual here: the screen turns a `Fix` into navigation.

A finding's evidence names what it is about by its columns (conv_id, user_id, model_id, a model
as "2 name (user 1 …)", date_hour, a guard row's cronjob_time); each becomes a target:
  conv_id           open the journey in Journeys
  model             open the model in Models
  hours of a user   pre-fill Jobs with the backfill or rebuild of those hours, hour-aligned,
                    chunked in 24 h runs, a rebuild ending at the last full hour (never in the
                    current hour: its guard row would make the :15 cron skip it)
  guard row         offer its delete (confirmed)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from attribtui.checks.results import CheckResult
from attribtui.infra import clock
from attribtui.prosper.hours import DAY, HOUR, hour
from attribtui.services.jobs.command import JobRequest, RequestError

MAX_JOB_S = 30 * DAY  # a fix never pre-fills more than this (older hours: a job of their own)
_MODEL = re.compile(r"^(\d+) .*\(user (\d+)\b")
_IDS = re.compile(r"(?:^|, )(\d+) ")


@dataclass(frozen=True)
class Fix:
    """One place a finding is fixed; `label` says what Enter does there."""

    label: str
    screen: str  # journeys | models | jobs | guard
    conv_ids: tuple[int, ...] = ()
    model_id: int | None = None
    user_id: int | None = None
    request: JobRequest | None = None
    hour: int | None = None


def row_dict(result: CheckResult, index: int) -> dict[str, object]:
    ev = result.evidence or {}
    return dict(zip([str(c) for c in ev.get("columns") or []], ev["rows"][index], strict=False))


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def _time(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value or "").split(" ", 1)[0]
    try:
        return clock.parse_when(text) if text else None
    except ValueError:
        return None


def job(kind: str, user: int | None, t0: int, t1: int, now: int) -> Fix | None:
    """The job over the hours holding t0..t1: hour-aligned, 24 h runs; a rebuild ends at the
    last full hour (None when nothing but the current hour is left)."""
    start, end = hour(t0), hour(t1) + HOUR - 1
    if kind == "rebuild":
        end = min(end, hour(now) - 1)
    start = max(start, hour(end) + HOUR - MAX_JOB_S)
    if end <= start:
        return None
    try:
        req = JobRequest(kind, start, end, user=user, chunk=DAY if end - start >= DAY else None)
    except RequestError:
        return None
    who = f"user {user}" if user is not None else "all users"
    return Fix(f"{kind.capitalize()} {who} {clock.iso(start)} .. {clock.iso(end)} in Jobs "
               "(pre-flight)", "jobs", user_id=user, request=req)


def row_fixes(result: CheckResult, index: int, now: int) -> list[Fix]:
    """What the evidence row at index points at, best first."""
    row = row_dict(result, index)
    out: list[Fix] = []
    user = _int(row.get("user_id"))
    model = _int(row.get("model_id"))
    named = _MODEL.match(str(row.get("model") or ""))
    if named:
        model, user = int(named.group(1)), int(named.group(2))
    conv = _int(row.get("conv_id"))
    if conv is not None:
        out.append(Fix(f"Open conv {conv} in Journeys", "journeys", conv_ids=(conv,)))
        t = _time(row.get("conv_time"))
        if result.group == "journeys" and t is not None:
            out += [f for f in [job("backfill", user, t, t, now)] if f]
    if result.id == "models.defaults" and model is None:
        ids = _IDS.findall(str(row.get("defaults") or ""))
        model = int(ids[0]) if ids else None
    if result.group in ("models", "snapshots", "exports", "coverage") and model is not None:
        out.append(Fix(f"Open model {model}" + (f" of user {user}" if user is not None else "")
                       + " in Models", "models", model_id=model, user_id=user))
    elif result.group == "models" and user is not None:
        out.append(Fix(f"Open user {user}'s models in Models", "models", user_id=user))
    if result.group == "snapshots":
        t = _time(row.get("date_hour"))
        newest = _time(row.get("newest snapshot hour"))
        if newest is not None:
            t = newest + HOUR
            out += [f for f in [job("rebuild", user, t, now, now)] if f]
        elif t is not None:
            out += [f for f in [job("rebuild", user, t, t, now)] if f]
    if result.id == "cron.attribution_heartbeat":
        last = _time(row.get("last_execution_time"))
        if last is not None:
            out += [f for f in [job("rebuild", None, hour(last) + HOUR, now, now)] if f]
    if result.id == "cron.rebuild_guard":
        guarded = _time(row.get("cronjob_time"))
        if guarded is not None:
            out.append(Fix(f"Delete the guard row of {clock.iso(guarded)} (confirmed)", "guard",
                           hour=hour(guarded)))
    return out


def check_fixes(result: CheckResult, now: int) -> list[Fix]:
    """The fixes of a whole finding: every conv_id of its evidence at once, then the first
    row's other fixes."""
    rows = (result.evidence or {}).get("rows") or []
    if not rows:
        return []
    per_row = [row_fixes(result, i, now) for i in range(len(rows))]
    convs = tuple(dict.fromkeys(c for fixes in per_row for f in fixes for c in f.conv_ids))
    out = []
    if len(convs) > 1:
        out.append(Fix(f"Open the {len(convs)} conversions in Journeys", "journeys",
                       conv_ids=convs))
    out += [f for f in per_row[0] if not (f.conv_ids and len(convs) > 1)]
    return out


# -- what `c` copies -------------------------------------------------------------------------------

_RUNNABLE = re.compile(
    r"(?P<sql>\b(?:SELECT|UPDATE|DELETE FROM|INSERT INTO) [^;]*;)"
    r"|(?P<cron>(?:[\d*/,-]+ ){5}\S*php \S+\.php(?: >>? \S+)?(?: 2>&1)?)"
    r"|(?P<php>\b(?:/usr/bin/)?php \S+\.php(?: --[\w-]+=[^\s;]+)*)"
    r"|(?P<dump>\bmysqldump(?: --[\w-]+='[^']*'| --[\w-]+| [\w.-]*[\d_][\w.-]*)+(?: > [\w./-]+)?)"
    r"|`(?P<cli>attribtui [^`]+)`")


def runnable(remediation: str) -> tuple[str, int]:
    """The statements and commands of a remediation, one a line, without the prose around them,
    and how many were left out because they hold a placeholder to fill in (<...>, =N)."""
    out: list[str] = []
    left_out = 0
    for m in _RUNNABLE.finditer(remediation):
        kind = m.lastgroup or ""
        text = m.group(kind).rstrip(".,")
        if re.search(r"<[^>]+>|=[A-Z]\b|\bID\b", text):
            left_out += 1
            continue
        if kind == "cron":
            text = f"# crontab -e: {text}"
        if text not in out:
            out.append(text)
    return "\n".join(out), left_out
