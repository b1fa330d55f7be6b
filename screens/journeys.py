"""Journeys (key 2): look up conversions, validate and recompute their journeys, credits, cache.

Type conv_ids (spaces, commas or a pasted column) or `click:ID` for a reverse lookup. The stored
journeys arrive first (two indexed reads); the recomputation, credits and cache probe follow from
the same thread worker in batches, so input never waits for the candidate-click queries.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from attribtui.infra import clock
from attribtui.infra.db import Database, DbError
from attribtui.infra.redact import redact_text
from attribtui.services import journeys
from attribtui.services.actions import refused_in_read_only
from attribtui.services.journeys import IdError, JourneyReport
from attribtui.services.journeys import cache as journey_cache
from attribtui.vocab import label
from screens.confirm import ActionConfirmScreen
from screens.header import ShellHeader
from screens.registry import PaletteCommand, ScreenSpec

BATCH_SECONDS = 0.1  # enrichment results reach the UI at most ~10 times a second
HINT = ("Enter conv_ids (spaces, commas or a pasted column) and press Enter, "
        "or click:ID for the conversions whose journeys contain a click.")


class IdsInput(Input):
    """An Input that keeps every line of a pasted column (Input keeps only the first)."""

    def _on_paste(self, event: events.Paste) -> None:
        # prevent_default: Textual also calls Input's own handler (MRO), which would insert the
        # first line a second time.
        event.prevent_default()
        if event.text:
            self.insert_text_at_cursor(" ".join(event.text.split()))
        event.stop()


def before(conv_time: int, click_time: int) -> str:
    delta = conv_time - click_time
    return f"{clock.ago(delta)} before conversion" if delta >= 0 else \
        f"{clock.ago(-delta)} AFTER conversion"


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def render_report(report: JourneyReport, pending: bool) -> RenderableType:
    """The detail pane of one conversion; every state is carried by words and marks, not colour."""
    parts: list[RenderableType] = []
    head = Text(f"{label('pending' if pending else report.status)}  conv {report.conv_id}",
                style="bold")
    parts.append(head)
    conv = report.conversion
    if conv is not None:
        if conv.deleted:
            parts.append(Text(" !! DELETED (deleted=1): soft-deleted; the rebuild and the "
                              "backfill ignore it ", style="bold reverse red"))
        parts.append(Text(
            f"user {conv.user_id} · campaign {conv.campaign_id} · click {conv.click_id} · "
            f"payout {conv.payout}\nclicked   {clock.iso(conv.click_time)}\n"
            f"converted {clock.describe(conv.conv_time)}"))
        parts.append(_section(f"Touchpoints ({len(report.touches)})"))
        if report.touches:
            parts.append(_touch_table(report))
        else:
            parts.append(Text("none stored"))
    if report.findings:
        parts.append(_section("Findings"))
        for f in report.findings:
            style = "bold red" if f.severity == "fail" else "yellow"
            parts.append(Text(f"{label(f.severity)} {f.code}: ", style=style) + Text(f.message))
    elif conv is not None and not pending:
        parts.append(_section("Findings"))
        parts.append(Text("✔ none: every rule holds"))
    if report.error:
        parts.append(Text(f"‼ {report.error}", style="bold red"))
    if conv is not None:
        parts += _recompute_part(report, pending)
        parts += _credit_part(report, pending)
        parts += _cache_part(report, pending)
    return Group(*parts)


def _touch_table(report: JourneyReport) -> Table:
    conv = report.conversion
    assert conv is not None
    table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False)
    for name, justify in (("", "left"), ("pos", "right"), ("click_id", "right"),
                          ("click_time UTC", "left"), ("before conv.", "left")):
        table.add_column(name, justify=justify, no_wrap=name != "before conv.")
    for t in sorted(report.touches, key=lambda t: t.position):
        converting = t.click_id == conv.click_id
        when = before(conv.conv_time, t.click_time).removesuffix(" before conversion")
        table.add_row("▶" if converting else " ", str(t.position), str(t.click_id),
                      clock.iso(t.click_time), when + ("  ◀ converting" if converting else ""),
                      style="bold reverse" if converting else None)
    return table


def _recompute_part(report: JourneyReport, pending: bool) -> list[RenderableType]:
    parts: list[RenderableType] = [_section("Backfill (recomputed from 202_clicks)")]
    rec = report.recomputed
    if rec is None:
        parts.append(Text("… recomputing" if pending else "not recomputed"))
        return parts
    parts.append(Text(rec.verdict, style="bold" if rec.changes or not rec.enabled else ""))
    parts.append(Text(f"multi-touch {'enabled' if rec.enabled else 'DISABLED'} ({rec.scope}); "
                      f"{rec.candidates} candidate click(s) in {clock.iso(rec.window[0])} .. "
                      f"{clock.iso(rec.window[1])}"))
    parts.append(Text("command: ") + Text(rec.command, style="bold"))
    return parts


def _credit_part(report: JourneyReport, pending: bool) -> list[RenderableType]:
    conv = report.conversion
    assert conv is not None
    parts: list[RenderableType] = [_section(f"Credits (hour {clock.iso(clock.hour(conv.conv_time))})")]
    if report.credits is None:
        parts.append(Text("… reading" if pending else "not read"))
        return parts
    if not report.credits:
        parts.append(Text("no model has a snapshot of this hour"))
        return parts
    for mc in report.credits:
        state = "✔ ok" if mc.ok else "✖ MISMATCH"
        snaps = ",".join(map(str, mc.snapshot_ids))
        line = Text(f"{state}  {mc.name} ({mc.model_type}) · snapshot {snaps} · stored sum "
                    f"{mc.stored_sum:f}", style="" if mc.ok else "bold red")
        parts.append(line)
        for problem in mc.problems:
            parts.append(Text(f"   ✖ {problem}", style="red"))
        if mc.note:
            parts.append(Text(f"   {mc.note}"))
        if mc.lines:
            table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False)
            for name in ("   pos", "click_id", "stored", "expected", ""):
                table.add_column(name, justify="right" if name.strip() else "left")
            for ln in mc.lines:
                table.add_row(str(ln.position), str(ln.click_id),
                              "—" if ln.stored is None else f"{ln.stored:f}",
                              "—" if ln.expected is None else f"{ln.expected:f}",
                              "" if ln.matches else "✖ differs")
            parts.append(table)
    return parts


def _cache_part(report: JourneyReport, pending: bool) -> list[RenderableType]:
    parts: list[RenderableType] = [_section("Cache (memcached journey key)")]
    state = report.cache
    if state is None:
        parts.append(Text("… probing" if pending else "not probed"))
        return parts
    present = bool(state.present)
    parts.append(Text(("▲ " if present else "") + state.message,
                      style="bold yellow" if present else ""))
    for k in state.keys:
        extra = ""
        if k.present:
            ttl = "never expires" if k.ttl == -1 else f"ttl {k.ttl} s"
            extra = f" · {k.size} bytes · {ttl} · idle {k.idle} s"
        parts.append(Text(f"  {k.seed:3} {k.key} on {k.server}: "
                          f"{'PRESENT' if k.present else 'absent'}{extra}"))
    if not state.keys:
        for seed in state.seeds:
            parts.append(Text(f"  {seed.name:3} {seed.label}"))
    parts.append(Text(journey_cache.NEVER_SET, style="dim"))
    return parts


def option_for(report: JourneyReport, pending: bool) -> Option:
    status = "pending" if pending else report.status
    deleted = " DEL" if report.conversion is not None and report.conversion.deleted else ""
    return Option(Text(f"{label(status):<8} {report.conv_id}{deleted}"), id=str(report.conv_id))


class JourneysScreen(Screen[None]):
    SCREEN_TITLE = "Journeys"
    CSS_PATH = "journeys.tcss"
    BINDINGS = [
        Binding("slash", "focus_input", "Ids"),
        Binding("c", "click_lookup", "Click lookup"),
        Binding("r", "reload", "Reload"),
        Binding("e", "evict", "Evict cache"),
        Binding("x", "cancel", "Cancel"),
        Binding("escape", "focus_list", "To list", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[JourneyReport] = []
        self.pending: set[int] = set()
        self.ids: list[int] = []
        self.running = False
        self._db: Database | None = None
        self._selected: int | None = None

    def compose(self) -> ComposeResult:
        yield ShellHeader()
        yield IdsInput(placeholder="conv_ids, e.g. 1234, 1240 1251   or   click:98765",
                       id="ids")
        yield Static(HINT, id="summary")
        with Horizontal(id="body"):
            yield OptionList(id="conv-list")
            with VerticalScroll(id="detail"):
                yield Static("", id="detail-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ids", Input).focus()

    # -- input -----------------------------------------------------------------------------------

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
        profile = self.app.profile  # type: ignore[attr-defined]
        if self._db is None:
            try:
                self._db = Database.from_profile(profile)
            except DbError as e:
                self._summary(f"‼ {e}")
                return
        self.running = True
        what = f"click {click_id}" if click_id is not None else f"{len(ids or [])} conv_id(s)"
        self._summary(f"Looking up {what}…")
        self.refresh_bindings()
        self._lookup(self._db, profile, ids, click_id)

    # -- the worker ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="journeys", name="journey lookup")
    def _lookup(self, db: Database, profile: Any, ids: list[int] | None,
                click_id: int | None) -> None:
        worker = get_current_worker()
        call = self._call
        note = ""
        try:
            if click_id is not None:
                rev = journeys.reverse_lookup(db, click_id)
                ids = rev.conv_ids
                note = (f"click {click_id}: converted {len(rev.converted)}, in "
                        f"{len(rev.in_journeys)} journey(s)"
                        + (" (first 100 only)" if rev.truncated else ""))
                if not ids:
                    call(self._on_lookup, [], f"click {click_id} converted nothing and is in no "
                         "stored journey.")
                    return
            reports = journeys.lookup(db, ids or [])
        except DbError as e:
            call(self._on_failed, redact_text(str(e), profile.secrets()))
            return
        call(self._on_lookup, reports, note)
        memo = journeys.Memo()
        batch: list[JourneyReport] = []
        flushed = time.monotonic()
        for report in self._enrich_order(reports):
            if worker.is_cancelled:
                return
            journeys.enrich(db, profile, report, memo)
            if report.found:
                report.cache = journey_cache.probe(profile, report.conv_id)
            batch.append(report)
            if time.monotonic() - flushed >= BATCH_SECONDS:
                call(self._on_enriched, batch)
                batch, flushed = [], time.monotonic()
        call(self._on_enriched, batch, True)

    def _enrich_order(self, reports: list[JourneyReport]) -> list[JourneyReport]:
        """The highlighted conversion first, so what the operator looks at fills in first."""
        first = [r for r in reports if r.conv_id == self._selected]
        return first + [r for r in reports if r.conv_id != self._selected]

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(fn, *args)

    def _on_failed(self, message: str) -> None:
        self.running = False
        self._summary(f"‼ Lookup failed: {message}")
        self.refresh_bindings()

    def _on_lookup(self, reports: list[JourneyReport], note: str) -> None:
        self.reports = reports
        self.ids = [r.conv_id for r in reports]
        self.pending = {r.conv_id for r in reports if r.found}
        self._note = note
        self._fill_list()
        ol = self.query_one("#conv-list", OptionList)
        if reports:
            ol.highlighted = 0
            self._selected = reports[0].conv_id
            ol.focus()
        self._show()
        self._update_summary()

    def _on_enriched(self, batch: list[JourneyReport], done: bool = False) -> None:
        for report in batch:
            self.pending.discard(report.conv_id)
        if done:
            self.running = False
            self.pending.clear()
            self.refresh_bindings()
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
        note = getattr(self, "_note", "")
        lead = f"{note} · " if note else ""
        self._summary(f"{lead}{len(self.reports)} conversion(s): {', '.join(parts) or 'none'}")

    def _fill_list(self) -> None:
        ol = self.query_one("#conv-list", OptionList)
        keep = ol.highlighted
        ol.clear_options()
        ol.add_options([option_for(r, r.conv_id in self.pending) for r in self.reports])
        if keep is not None and keep < ol.option_count:
            ol.highlighted = keep

    def _current(self) -> JourneyReport | None:
        return next((r for r in self.reports if r.conv_id == self._selected), None)

    def _show(self) -> None:
        detail = self.query_one("#detail-text", Static)
        report = self._current()
        if report is None:
            detail.update(Text(HINT if not self.reports else ""))
            return
        detail.update(render_report(report, report.conv_id in self.pending))

    @on(OptionList.OptionHighlighted, "#conv-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and int(event.option.id) != self._selected:
            self._selected = int(event.option.id)
            self._show()
            self.query_one("#detail", VerticalScroll).scroll_home(animate=False)
            self.refresh_bindings()

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        profile = self.app.profile  # type: ignore[attr-defined]
        if action == "evict":
            if profile.read_only:
                return False  # read-only really removes the action
            report = self._current()
            return True if report is not None and report.found else None
        if action == "cancel":
            return self.running
        if action == "reload":
            return None if self.running or not self.ids else True
        return True

    def action_focus_input(self) -> None:
        self.query_one("#ids", Input).focus()

    def action_focus_list(self) -> None:
        self.query_one("#conv-list", OptionList).focus()

    def action_click_lookup(self) -> None:
        ids_input = self.query_one("#ids", Input)
        report = self._current()
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
            self.refresh_bindings()

    def cancel_work(self) -> None:
        """Stop the worker and kill its running query (the shell calls this on quit)."""
        for worker in self.workers:
            if worker.group == "journeys":
                worker.cancel()
        if self._db is not None and self.running:
            self.run_worker(self._db.cancel, thread=True, group="cancel", name="cancel query",
                            exit_on_error=False)

    def action_evict(self) -> None:
        profile = self.app.profile  # type: ignore[attr-defined]
        refusal = refused_in_read_only(profile, "cache eviction")
        report = self._current()
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
    def _evict(self, profile: Any, report: JourneyReport) -> None:
        try:
            state = journey_cache.evict(profile, report.conv_id)
        except journey_cache.CacheRefused as e:
            self._call(self.notify, str(e), severity="error")
            return
        self._call(self._on_evicted, report, state)

    def _on_evicted(self, report: JourneyReport, state: journey_cache.CacheState) -> None:
        report.cache = state
        if state.available:
            self.notify(f"Evicted {state.evicted or 0} key(s) of conversion {report.conv_id}; "
                        "recorded in the action log.", title="Cache")
        else:
            self.notify(state.message, severity="error")
        self._show()


SCREEN = ScreenSpec(
    key="2",
    name="journeys",
    title="Journeys",
    factory=JourneysScreen,
    help="Look up conversions: journey rules, backfill diff, credits, cache key",
    commands=(
        PaletteCommand("Look up conv_ids", "Type conv_ids to look up (/)", "focus_input"),
        PaletteCommand("Reverse lookup by click_id", "Conversions whose journeys hold a click (c)",
                       "click_lookup"),
        PaletteCommand("Reload the journeys", "Read them again (r)", "reload"),
        PaletteCommand("Evict the journey cache key", "Confirmed; not in read-only (e)", "evict"),
    ),
)
