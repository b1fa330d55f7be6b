"""Which of the Rollback screen's keys act now: True shown, None shown greyed, False hidden."""

from __future__ import annotations

from attribtui.services import rollback as rb
from attribtui.vocab import StepStatus


def key_state(action: str, wt: rb.Walkthrough | None, selected: str | None,
              plan: rb.StepPlan | None, *, busy: bool, read_only: bool) -> bool | None:
    step = wt.step(selected) if wt and selected else None
    if action in ("run_step", "skip_step", "replan"):
        if step is None or wt is None or not wt.active:
            return False
        cur = wt.current
        if cur is None or cur.id != step.id or step.status == StepStatus.RUNNING or busy:
            return None  # only the current step runs, one at a time
        if action == "run_step" and (plan is None or plan.refused):
            return None
        return True
    if action in ("delete_guard", "extend_window"):
        if plan is None or not plan.guard_hours or read_only:
            return False
        return bool(action == "delete_guard" or plan.alternatives)
    if action == "accept":
        return bool(step is not None and step.id == "verify" and wt is not None and wt.active
                    and step.status == StepStatus.FAILED and not busy)
    if action == "abandon":
        return wt is not None and wt.active and not busy
    if action == "new":
        return None if wt is not None and wt.active else True
    return True
