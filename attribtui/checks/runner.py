"""Running checks: each one timed and contained, the run summarised, saved, and its exit code.

`run_checks_and_save` is the one path the CLI, the health screen and the rollback's verify step
share: select, run (one connection for the whole run), build the report, save it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from attribtui.checks import store
from attribtui.checks.framework import (
    DEADLINE_HINT,
    CheckContext,
    CheckSpec,
    Outcome,
    RunDeadline,
)
from attribtui.checks.results import CheckResult, exit_code, report
from attribtui.infra.db import DbError, DbUnreachable, MissingTable, QueryCancelled, QueryTimeout
from attribtui.vocab import ExitCode, JsonDict, Status

Progress = Callable[[int, int, CheckResult], None]


def run_one(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    """One check, timed; an exception becomes `error` or `skipped` in one line, never a crash."""
    t0 = time.perf_counter()
    try:
        if "unreachable" in ctx.cache:  # one connect timeout per run, not one per check
            raise DbUnreachable(ctx.cache["unreachable"])
        out = spec.fn(ctx)
    except DbUnreachable as e:
        ctx.cache["unreachable"] = str(e)
        out = Outcome(Status.ERROR, str(e))
    except RunDeadline as e:
        out = Outcome(Status.SKIPPED, str(e))
    except QueryTimeout as e:
        out = Outcome(Status.SKIPPED, f"not answered within its bound: {e}")
    except MissingTable as e:
        out = Outcome(Status.SKIPPED, f"cannot run: {e}")
    except QueryCancelled:
        out = Outcome(Status.SKIPPED, "cancelled by the operator")
    except DbError as e:
        out = Outcome(Status.ERROR, str(e))
    except Exception as e:  # a bug in a check must not take the run down
        out = Outcome(Status.ERROR, f"internal error in this check: {type(e).__name__}: {e}")
    ms = round((time.perf_counter() - t0) * 1000, 1)
    evidence = asdict(out.evidence) if out.evidence else None
    if evidence is not None and evidence["conv_ids"] is None:
        del evidence["conv_ids"]  # only for evidence of conversions
    return CheckResult(spec.id, spec.group, spec.title, out.status, out.details, evidence,
                       out.remediation, ms, out.nothing_to_examine and out.status == Status.INFO)


def run_checks(ctx: CheckContext, specs: Sequence[CheckSpec],
               progress: Progress | None = None) -> list[CheckResult]:
    """Run specs in order; stop early (remaining ones `skipped`, saying why) when
    ctx.cancel_event is set or the run reaches its deadline (ctx.run_deadline_s())."""
    results: list[CheckResult] = []
    limit = ctx.run_deadline_s()
    ctx.deadline_at = time.monotonic() + limit if limit is not None else None
    with ctx.db.hold():  # one connection for the whole run, not one checkout per query
        for i, spec in enumerate(specs):
            if ctx.cancel_event.is_set():
                res = CheckResult(spec.id, spec.group, spec.title, Status.SKIPPED,
                                  "cancelled by the operator before it ran", None, "", 0.0)
            elif ctx.past_deadline():
                res = CheckResult(spec.id, spec.group, spec.title, Status.SKIPPED,
                                  f"not run: the check run reached its deadline of {limit:g} s "
                                  f"({DEADLINE_HINT})", None, "", 0.0)
            else:
                res = run_one(spec, ctx)
            results.append(res)
            if progress:
                progress(i + 1, len(specs), res)
    return results


@dataclass
class Run:
    """A finished run: its report, where it was saved (or why not), what the context learnt."""

    results: list[CheckResult]
    report: JsonDict
    saved: Path | None
    save_error: str | None
    unreachable: str | None
    deadline_s: float | None = None  # set when the run reached its deadline

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.results)


def run_checks_and_save(ctx: CheckContext, specs: Sequence[CheckSpec], *, save: bool = True,
                        progress: Progress | None = None) -> Run:
    """Run the checks, build the report and save it under the data dir (a failed save is
    reported, never raised: the results still stand)."""
    results = run_checks(ctx, specs, progress)
    profile = ctx.profile
    doc = report(results, profile=profile.name if profile else "env", now=ctx.now,
                 overrides=profile.overrides if profile else ())
    saved, save_error = None, None
    if save:
        try:
            saved = store.save(doc)
        except OSError as e:
            save_error = str(e)
    return Run(results, doc, saved, save_error, ctx.cache.get("unreachable"),
               ctx.run_deadline_s() if ctx.past_deadline() else None)
