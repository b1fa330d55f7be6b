"""The guided rollback of a bad model as a resumable state machine, with no Textual.

A walkthrough is one incident: a user, the bad model, the mitigation chosen (deactivate it, or
make a safe model the default), and the polluted conversions (conv_ids, or a conv_time window).
Its steps (state.STEPS: mitigate, purge, backfill, rebuild, verify, audit, report) are each planned (what it will do, an ActionPlan when it writes), run
after confirmation by the caller, recorded, or skipped with a reason.

state.py  the typed, persisted walkthrough and its bookkeeping (new, skip, abandon, resume)
plans.py  what each step will do now (reads only)
steps.py  running a planned step; following and settling its job
suggestions.py  what the new-walkthrough form starts from (broken conversions, the audit trail)

The names below load on first use (PEP 562): `attribtui demo` asks state.py whether a
walkthrough is live before the console paints, and plans.py loads SQLAlchemy and httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from attribtui.services.rollback.plans import (
        StepPlan,
        checks_before,
        choose_rebuild_window,
        got_worse,
        plan,
        rebuild_window,
    )
    from attribtui.services.rollback.state import (
        FINISHED,
        JOB_STEPS,
        STEP_IDS,
        STEPS,
        Incident,
        RebuildSpan,
        RollbackError,
        Step,
        Walkthrough,
        abandon,
        accept,
        job_of,
        latest_active,
        list_states,
        load_state,
        new,
        resume,
        rollbacks_dir,
        save,
        settle_job,
        skip,
    )
    from attribtui.services.rollback.steps import (
        delete_guard,
        open_backends,
        run,
        wait_job,
    )
    from attribtui.services.rollback.suggestions import (
        Suggestion,
        suggest,
        suggest_conv_ids,
    )

_EXPORTS = {  # submodule: the names it exports
    "plans": ("StepPlan", "checks_before", "choose_rebuild_window", "got_worse", "plan",
              "rebuild_window"),
    "state": ("FINISHED", "JOB_STEPS", "STEP_IDS", "STEPS", "Incident", "RebuildSpan",
              "RollbackError", "Step", "Walkthrough", "abandon", "accept", "job_of",
              "latest_active", "list_states", "load_state", "new", "resume", "rollbacks_dir",
              "save", "settle_job", "skip"),
    "steps": ("delete_guard", "open_backends", "run", "wait_job"),
    "suggestions": ("Suggestion", "suggest", "suggest_conv_ids"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["FINISHED", "JOB_STEPS", "STEPS", "STEP_IDS", "Incident", "RebuildSpan",
           "RollbackError", "Step", "StepPlan", "Walkthrough", "abandon", "accept", "choose_rebuild_window",
           "checks_before", "delete_guard", "got_worse", "job_of", "latest_active", "list_states", "load_state", "new",
           "open_backends", "plan", "rebuild_window", "resume", "rollbacks_dir", "run", "save",
           "settle_job", "skip", "suggest", "suggest_conv_ids", "Suggestion", "wait_job"]


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module 'attribtui.services.rollback' has no attribute {name!r}")
    return getattr(importlib.import_module(f"attribtui.services.rollback.{_HOME[name]}"), name)
