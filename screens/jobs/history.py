"""The Jobs screen's History tab: past jobs of the profile, newest first; enter opens one."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.widgets import DataTable

from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.services.jobs import store
from attribtui.vocab import JobOutcome
from screens.jobs.messages import HistoryLoaded


def history_row(r: store.JobRecord) -> tuple[Text, ...]:
    w = r.meta.get("window") or {}
    span = f"{(clock.iso(w.get('start')) or '')[5:16]}..{(clock.iso(w.get('end')) or '')[5:16]}"
    return (Text(r.id), Text(JobOutcome(r.outcome).label), Text(span),
            Text(str(r.meta.get("user") or "all")), Text(r.reason[:90]))


class JobHistory(DataTable[Text]):
    """One row per job, keyed by its id."""

    def __init__(self) -> None:
        super().__init__(id="history-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.add_columns("job", "outcome", "window (UTC)", "user", "why")

    @work(thread=True, exclusive=True, group="jobs-history", name="load job history")
    def load(self, profile: Profile, *, reattach: bool = False) -> None:
        """The profile's jobs and every job run on its database (e.g. headless, on the demo's)."""
        found = store.history(200, profile.name, store.database_id(profile.db.url))
        self.post_message(HistoryLoaded(found, reattach))

    @on(HistoryLoaded)
    def _show(self, message: HistoryLoaded) -> None:
        self.clear()
        for r in message.records:
            self.add_row(*history_row(r), key=r.id)
