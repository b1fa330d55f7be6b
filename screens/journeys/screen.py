"""Journeys (key 2): look up conversions, validate and recompute their journeys, credits, cache.

Type conv_ids (spaces, commas or a pasted column) or `click:ID` for a reverse lookup. The stored
journeys arrive first (two indexed reads); the recomputation, credits and cache probe follow from
the same thread worker in batches, so input never waits for the candidate-click queries (read once per
user or (user, campaign) group, services/journeys/prefetch.py).
"""

from __future__ import annotations

import contextlib
import time

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import var
from textual.widgets import Input, OptionList, Static
from textual.worker import get_current_worker

from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError
from attribtui.services import journeys
from attribtui.services.actions import refused_in_read_only
from attribtui.services.journeys import IdError, JourneyReport
from attribtui.services.journeys import cache as journey_cache
from attribtui.vocab import label
from screens.base import ConsoleScreen
from screens.components.confirm import ActionConfirmScreen
from screens.components.goto import LookUpConversions
from screens.components.ids_input import IdsInput
from screens.journeys.messages import CacheEvicted, JourneysEnriched, JourneysFound, LookupFailed
from screens.journeys.render import option_for, render_report

BATCH_SECONDS = 0.1  # enrichment results reach the UI at most ~10 times a second
HINT = ("Enter conv_ids (spaces, commas or a pasted column) and press Enter, "
        "or click:ID for the conversions whose journeys contain a click.")


class JourneysScreen(ConsoleScreen):
    SCREEN_TITLE = "Journeys"
    BINDINGS = [
        # Digits here start the next conv_id (on_key), never a screen: the shell's ctrl+g is the
        # keyboard's way out, so the footer shows it.
        Binding("ctrl+g", "app.go_to", "Go to screen"),
        Binding("slash", "focus_input", "Ids"),
        Binding("c", "click_lookup", "Click lookup"),
        Binding("r", "reload", "Reload"),
        Binding("e", "evict", "Evict cache"),
        Binding("x", "cancel", "Cancel"),
        Binding("escape", "focus_list", "To list", show=False),
    ]

    running: var[bool] = var(False, bindings=True)
    selected: var[int | None] = var(None, bindings=True)  # the conv_id in the detail pane

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[JourneyReport] = []
        self.pending: set[int] = set()
        self.ids: list[int] = []
        self.note = ""  # what the last reverse lookup found
        self._db: Database | None = None

    def compose_body(self) -> ComposeResult:
        yield IdsInput(placeholder="conv_ids, e.g. 1234, 1240 1251   or   click:98765",
                       id="ids")
        yield Static(HINT, id="summary")
        with Horizontal(id="body"):
            yield OptionList(id="conv-list")
            with VerticalScroll(id="detail"):
                yield Static("", id="detail-text")

    def on_mount(self) -> None:
        self.query_one("#ids", Input).focus()

    # -- input -----------------------------------------------------------------------------------

    @on(LookUpConversions)
    def _look_up_conversions(self, message: LookUpConversions) -> None:
        """Schema Health's fix: the conversions its evidence names, looked up."""
        ids = ", ".join(map(str, message.conv_ids))
        self.query_one("#ids", Input).value = ids
        self.look_up(ids)

    @on(Input.Submitted, "#ids")
    def _submitted(self, event: Input.Submitted) -> None:
        self.look_up(event.value)

    def look_up(self, text: str) -> None:
        """Parse what was typed and start the lookup; bad input is one line, nothing else moves."""
        text = text.strip()
        try:
            if text.lower().startswith(("click:", "c:")):
                click_id = journeys.parse_click_id(text.split(":", 1)[1])
                self._start(None, click_id)
            else:
                self._start(journeys.parse_conv_ids(text), None)
        except IdError as e:
            self._summary(f"‼ {e}")
            self.notify(str(e), title="Not looked up", severity="error")

    def _start(self, ids: list[int] | None, click_id: int | None) -> None:
        if self._db is None:
            try:
                self._db = Database.from_profile(self.profile)
            except DbError as e:
                self._summary(f"‼ {e}")
                return
        self.running = True
        what = f"click {click_id}" if click_id is not None else f"{len(ids or [])} conv_id(s)"
        self._summary(f"Looking up {what}…")
        self._lookup(self._db, self.profile, ids, click_id)

    # -- the worker ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="journeys", name="journey lookup")
    def _lookup(self, db: Database, profile: Profile, ids: list[int] | None,
                click_id: int | None) -> None:
        worker = get_current_worker()
        note = ""
        try:
            if click_id is not None:
                rev = journeys.reverse_lookup(db, click_id)
                ids = rev.conv_ids
                note = (f"click {click_id}: converted {len(rev.converted)}, in "
                        f"{len(rev.in_journeys)} journey(s)"
                        + (" (first 100 only)" if rev.truncated else ""))
                if not ids:
                    self.post_message(JourneysFound([], f"click {click_id} converted nothing and "
                                                        "is in no stored journey."))
                    self.post_message(JourneysEnriched([], done=True))
                    return
            reports = journeys.lookup(db, ids or [])
        except DbError as e:
            self.post_message(LookupFailed(self.redact(str(e))))
            return
        self.post_message(JourneysFound(reports, note))
        # The list opens on the first conversion, so the natural order fills in first what the
        # operator looks at. The candidate clicks are read once per user or (user, campaign) group, the
        # first conversion's group first, journeys.recompute_workers groups at a time.
        batch: list[JourneyReport] = []
        flushed = time.monotonic()
        with contextlib.closing(journeys.enrich_each(db, profile, reports)) as enriched:
            for report in enriched:
                if worker.is_cancelled:
                    return
                if report.found:
                    report.cache = journey_cache.probe(profile, report.conv_id)
                batch.append(report)
                if time.monotonic() - flushed >= BATCH_SECONDS:
                    self.post_message(JourneysEnriched(batch))
                    batch, flushed = [], time.monotonic()
        self.post_message(JourneysEnriched(batch, done=True))

    @on(LookupFailed)
    def _on_failed(self, message: LookupFailed) -> None:
        self.running = False
        self._summary(f"‼ Lookup failed: {message.message}")

    @on(JourneysFound)
    def _on_lookup(self, message: JourneysFound) -> None:
        reports = message.reports
        self.reports = reports
        self.ids = [r.conv_id for r in reports]
        self.pending = {r.conv_id for r in reports if r.found}
        self.note = message.note
        self._fill_list()
        ol = self.query_one("#conv-list", OptionList)
        if reports:
            ol.highlighted = 0
            self.selected = reports[0].conv_id
            ol.focus()
        self._show()
        self._update_summary()

    @on(JourneysEnriched)
    def _on_enriched(self, message: JourneysEnriched) -> None:
        for report in message.batch:
            self.pending.discard(report.conv_id)
        if message.done:
            self.running = False
            self.pending.clear()
        self._fill_list()
        self._show()
        self._update_summary()

    # -- showing ---------------------------------------------------------------------------------

    def _summary(self, text: str) -> None:
        self.query_one("#summary", Static).update(Text(text))

    def _update_summary(self) -> None:
        counts: dict[str, int] = {}
        for r in self.reports:
            status = "pending" if r.conv_id in self.pending else r.status
            counts[status] = counts.get(status, 0) + 1
        order = ("fail", "error", "warn", "ok", "pending")
        parts = [f"{counts[s]} {label(s)}" for s in order if counts.get(s)]
        lead = f"{self.note} · " if self.note else ""
        self._summary(f"{lead}{len(self.reports)} conversion(s): {', '.join(parts) or 'none'}")

    def _fill_list(self) -> None:
        ol = self.query_one("#conv-list", OptionList)
        keep = ol.highlighted
        ol.clear_options()
        ol.add_options([option_for(r, r.conv_id in self.pending) for r in self.reports])
        if keep is not None and keep < ol.option_count:
            ol.highlighted = keep

    def current(self) -> JourneyReport | None:
        return next((r for r in self.reports if r.conv_id == self.selected), None)

    def _show(self) -> None:
        detail = self.query_one("#detail-text", Static)
        report = self.current()
        if report is None:
            detail.update(Text(HINT if not self.reports else ""))
            return
        detail.update(render_report(report, report.conv_id in self.pending))

    @on(OptionList.OptionHighlighted, "#conv-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and int(event.option.id) != self.selected:
            self.selected = int(event.option.id)
            self._show()
            self.query_one("#detail", VerticalScroll).scroll_home(animate=False)

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "evict":
            if self.profile.read_only:
                return False  # read-only really removes the action
            report = self.current()
            return True if report is not None and report.found else None
        if action == "cancel":
            return self.running
        if action == "reload":
            return None if self.running or not self.ids else True
        return True

    def on_key(self, event: events.Key) -> None:
        """A digit typed while the results have focus starts the next lookup in the id input (it
        would switch screens otherwise, in the middle of typing the next conv_id)."""
        ids = self.query_one("#ids", IdsInput)
        if event.character and event.character.isdigit() and not ids.has_focus:
            event.stop()
            event.prevent_default()
            ids.type_into(event.character)

    def action_focus_input(self) -> None:
        self.query_one("#ids", Input).focus()

    def action_focus_list(self) -> None:
        self.query_one("#conv-list", OptionList).focus()

    def action_click_lookup(self) -> None:
        ids_input = self.query_one("#ids", Input)
        report = self.current()
        click = report.conversion.click_id if report and report.conversion else ""
        ids_input.value = f"click:{click}"
        ids_input.focus()
        ids_input.cursor_position = len(ids_input.value)

    def action_reload(self) -> None:
        if self.ids and not self.running:
            self._start(list(self.ids), None)

    def action_cancel(self) -> None:
        if self.running:
            self.cancel_work()
            self.running = False
            self._summary("Cancelled: the running query was stopped. r reloads.")

    def cancel_work(self) -> None:
        """Stop the worker and kill its running query."""
        self.workers.cancel_group(self, "journeys")
        if self._db is not None and self.running:
            self.kill_query(self._db)

    def on_unmount(self) -> None:
        """The screen goes (a profile switch makes it anew): its database's pool goes with it."""
        self.cancel_work()
        if self._db is not None:
            self._db.close()

    def action_evict(self) -> None:
        profile = self.profile
        refusal = refused_in_read_only(profile, "cache eviction")
        report = self.current()
        if refusal or report is None or not report.found:
            self.notify(refusal or "Look up a conversion first.", severity="warning")
            return
        if not profile.memcache.servers:
            self.notify("Cache eviction needs memcache.servers in the profile.",
                        severity="warning")
            return
        plan = journey_cache.evict_plan(profile, report.conv_id)

        def answer(yes: bool | None) -> None:
            if yes:
                self._evict(profile, report)
            else:
                self.notify("Eviction cancelled; nothing changed.")

        self.app.push_screen(ActionConfirmScreen(profile, plan), answer)

    @work(thread=True, group="journey-cache", name="cache eviction")
    def _evict(self, profile: Profile, report: JourneyReport) -> None:
        try:
            state = journey_cache.evict(profile, report.conv_id)
        except journey_cache.CacheRefused as e:
            self.notify(str(e), severity="error")
            return
        self.post_message(CacheEvicted(report, state))

    @on(CacheEvicted)
    def _on_evicted(self, message: CacheEvicted) -> None:
        report, state = message.report, message.state
        report.cache = state
        if state.available:
            self.notify(f"Evicted {state.evicted or 0} key(s) of conversion {report.conv_id}; "
                        "recorded in the action log.", title="Cache")
        else:
            self.notify(state.message, severity="error")
        self._show()
