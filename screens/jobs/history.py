"""The Jobs screen's History tab: past jobs of the profile, newest first; enter opens one."""

from __future__ import annotations

from textual import on, work

from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.services.jobs import store
from attribtui.vocab import JobOutcome
from screens.components.table import RowTable
from screens.jobs.messages import HistoryLoaded

COLUMNS = ("job", "window (UTC)", "user", "outcome")


def _short(epoch: int | None) -> str:
    return (clock.iso(epoch) or "")[5:16].replace("T", " ")


def history_row(r: store.JobRecord) -> tuple[str, ...]:
    """The window's start over its end, the outcome followed by its reason (as the Live tab says
    it): at 80 columns the id stays whole and only the reason wraps."""
    w = r.meta.get("window") or {}
    span = f"{_short(w.get('start'))}\n{_short(w.get('end'))}"
    outcome = JobOutcome(r.outcome).label
    return (r.id, span, str(r.meta.get("user") or "all"),
            f"{outcome}: {r.reason[:90]}" if r.reason else outcome)


class JobHistory(RowTable):
    """One row per job, keyed by its id; the columns fit the width (the reason wraps)."""

    def __init__(self) -> None:
        super().__init__(id="history-table")

    def on_mount(self) -> None:
        self.show_rows(COLUMNS, [])

    @work(thread=True, exclusive=True, group="jobs-history", name="load job history")
    def load(self, profile: Profile, *, reattach: bool = False) -> None:
        """The profile's jobs and every job run on its database (e.g. headless, on the demo's)."""
        found = store.history(200, profile.name, store.database_id(profile.db.url))
        self.post_message(HistoryLoaded(found, reattach))

    @on(HistoryLoaded)
    def _show(self, message: HistoryLoaded) -> None:
        records = message.records
        self.show_rows(COLUMNS, [history_row(r) for r in records], keys=[r.id for r in records])
