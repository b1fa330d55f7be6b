"""Purge journeys (from Rollback, key 5, `u`): dry run first, then a confirmed purge with backup.

The selection is a list of conv_ids, or a user and/or campaign with a conv_time window. `Dry run`
runs `purge.plan` in a worker and shows the counts, the missing ids and sample rows; `Purge` is
enabled only after a dry run of exactly the current input succeeded, and never on a read-only
profile. The result says where the backup is, what was deleted, the cache outcome, any error
(with each conversion deleted, untouched or unknown, as re-read after it) and the backfill to
run per affected user.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.infra.db import Database
from attribtui.infra.redact import redact_text
from attribtui.services import purge
from screens.base import describe_error
from screens.components.confirm import ActionConfirmScreen
from screens.rollback.messages import Purged, PurgeFailed, PurgePlanned, PurgeProgress

FIELDS = (
    ("convs", "conv_ids", "e.g. 101, 102 — or leave empty and give a user/campaign and a window"),
    ("user", "User", "user_id"),
    ("campaign", "Campaign", "campaign_id"),
    ("start", "From", "conv_time start: epoch, ISO-8601 UTC, now, or an age like 24h"),
    ("end", "To", "conv_time end"),
)


def plan_lines(p: purge.PurgePlan) -> list[str]:
    lines = [f"Dry run: {len(p.conv_ids)} conversion(s), {p.with_journey} with a journey, "
             f"{p.touchpoint_rows} touchpoint row(s) would be deleted."]
    if p.missing_ids:
        lines.append(f"Not in 202_conversion_logs: {', '.join(map(str, p.missing_ids))}")
    if p.with_journey == 0:
        lines.append("Nothing to purge: no journey rows for this selection.")
    if p.sample:
        lines.append("Sample rows:")
        lines.append("  " + "  ".join(purge.COLUMNS))
        lines += ["  " + "  ".join(str(r[c]) for c in purge.COLUMNS) for r in p.sample]
    for a in p.affected:
        lines.append(f"User {a.user_id}: {a.conversions} conversion(s), "
                     f"{clock.iso(a.start)}..{clock.iso(a.end)}")
    return lines


def result_lines(r: purge.PurgeResult, profile: Profile) -> list[str]:
    """The outcome as the database holds it: after an error, each conversion deleted, untouched
    (still in place) or unknown, with the command that settles it (docs/architecture.md,
    "Statuses")."""
    head = "✔ Purged." if r.complete else "✘ Purge stopped before the end."
    lines = [head, f"Backup: {r.backup} ({r.backed_up_rows} row(s))",
             f"Deleted: {r.deleted_rows} row(s) of {len(r.deleted_conv_ids)} conversion(s)",
             f"Cache: {r.cache}"]
    if r.error:
        lines.append(f"Error: {redact_text(r.error, profile.secrets())}")
        lines.append(f"Checked: {redact_text(r.truth or '', profile.secrets())}")
        lines.append(f"Deleted conv_ids: {', '.join(map(str, r.deleted_conv_ids)) or 'none'}")
        lines.append("Not deleted (still in place): "
                     f"{', '.join(map(str, r.not_deleted_conv_ids)) or 'none'}")
        if r.unknown_conv_ids:
            lines.append(f"Unknown (reply lost): {', '.join(map(str, r.unknown_conv_ids))}")
            lines.append(f"Settle with: {r.settle}")
    if r.affected:
        lines.append("Rebuild the journeys (launch it on the Jobs screen, key 4):")
        lines += [f"  attribtui run backfill {' '.join(a.backfill_args())}" for a in r.affected]
    return lines


class PurgeScreen(ModalScreen[None]):
    """A standalone purge: dry run, confirm, purge, and the backfill to run afterwards."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f5", "dry_run", "Dry run"),
    ]

    def __init__(self, profile: Profile) -> None:
        super().__init__()
        self.profile = profile
        self.plan: purge.PurgePlan | None = None
        self.planned_for: tuple[str, ...] | None = None  # the input the plan was made from
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="purge-box", classes="dialog"):
            yield Label("Purge journeys (with backup)", classes="dialog-title")
            for fid, label, hint in FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="lbl")
                    yield Input(placeholder=hint, id=f"p-{fid}", compact=True)
            yield Static("", id="purge-error")
            if self.profile.read_only:
                yield Static(f"Profile '{self.profile.name}' is read-only: the dry run works, "
                             "purge is not available.", id="purge-readonly", classes="hint")
            with VerticalScroll(id="purge-out"):
                yield Static("", id="purge-plan")
                yield Static("", id="purge-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Dry run [enter]", id="dry", variant="primary")
                yield Button("Purge", id="purge", variant="error", disabled=True)
                yield Button("Close [esc]", id="close")

    def on_mount(self) -> None:
        self.query_one("#p-convs", Input).focus()

    # -- input -------------------------------------------------------------------------------------

    def _raw(self) -> tuple[str, ...]:
        return tuple(self.query_one(f"#p-{fid}", Input).value.strip() for fid, _l, _h in FIELDS)

    def _selection(self) -> purge.Selection:
        """The current input as a checked Selection; PurgeRefused (one line) when it is bad."""
        convs, user, campaign, start, end = self._raw()

        def number(text: str, what: str) -> int | None:
            if not text:
                return None
            if not text.isdigit():
                raise purge.PurgeRefused(f"{what}: '{text[:20]}' is not an id; give a number")
            return int(text)

        try:
            sel = purge.Selection(
                conv_ids=purge.parse_ids(convs) if convs else [],
                user_id=number(user, "user"), campaign_id=number(campaign, "campaign"),
                start=clock.parse_when(start) if start else None,
                end=clock.parse_when(end) if end else None)
        except ValueError as e:
            raise purge.PurgeRefused(str(e)) from None
        sel.check()
        return sel

    def on_input_changed(self, _event: Input.Changed) -> None:
        self._refresh_buttons()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_dry_run()

    def _can_purge(self) -> bool:
        return (not self.busy and not self.profile.read_only and self.plan is not None
                and self.planned_for == self._raw() and self.plan.with_journey > 0)

    def _refresh_buttons(self) -> None:
        self.query_one("#purge", Button).disabled = not self._can_purge()
        self.query_one("#dry", Button).disabled = self.busy

    def _show_error(self, message: str) -> None:
        self.query_one("#purge-error", Static).update(Text(f"✘ {message}") if message else "")

    def _message(self, e: Exception) -> str:
        return describe_error(e, (purge.PurgeRefused,), self.profile, first_line=True)

    # -- dry run -----------------------------------------------------------------------------------

    def action_dry_run(self) -> None:
        if self.busy:
            return
        self.plan = None
        self.query_one("#purge-result", Static).update("")
        try:
            sel = self._selection()
        except purge.PurgeRefused as e:
            self._show_error(self._message(e))
            self.query_one("#purge-plan", Static).update("")
            self._refresh_buttons()
            return
        self._show_error("")
        self.busy = True
        self.query_one("#purge-plan", Static).update("Dry run…")
        self._refresh_buttons()
        self._plan(sel, self._raw())

    @work(thread=True, exclusive=True, group="purge-plan", name="purge dry run")
    def _plan(self, sel: purge.Selection, raw: tuple[str, ...]) -> None:
        try:
            db = Database.from_profile(self.profile)
            try:
                p = purge.plan(db, sel)
            finally:
                db.close()
        except Exception as e:  # noqa: BLE001 - shown, and the console keeps running
            self.post_message(PurgeFailed("plan", self._message(e)))
            return
        self.post_message(PurgePlanned(p, raw))

    @on(PurgePlanned)
    def _planned(self, message: PurgePlanned) -> None:
        self.busy = False
        self.plan, self.planned_for = message.plan, message.raw
        self.query_one("#purge-plan", Static).update(Text("\n".join(plan_lines(message.plan))))
        self._refresh_buttons()

    @on(PurgeFailed)
    def _failed(self, message: PurgeFailed) -> None:
        self.busy = False
        if message.stage == "plan":
            self.query_one("#purge-plan", Static).update("")
            self._show_error(message.message)
        else:
            self.query_one("#purge-result", Static).update("")
            self._show_error(f"purge not done: {message.message}")
        self._refresh_buttons()

    # -- purge -------------------------------------------------------------------------------------

    def action_purge(self) -> None:
        if not self._can_purge():
            if self.profile.read_only:
                self._show_error(f"profile '{self.profile.name}' is read-only: purge is not "
                                 "available")
            return
        p = self.plan
        assert p is not None

        def go(yes: bool | None) -> None:
            if yes and self._can_purge():
                self.busy = True
                self.query_one("#purge-result", Static).update("Purging…")
                self._refresh_buttons()
                self._execute(p)

        self.app.push_screen(ActionConfirmScreen(self.profile, p.action(self.profile)), go)

    @work(thread=True, exclusive=True, group="purge-run", name="purge")
    def _execute(self, p: purge.PurgePlan) -> None:
        def progress(stage: str, fraction: float) -> None:
            self.post_message(PurgeProgress(f"Purging: {stage} {fraction:.0%}"))

        try:
            db = Database.from_profile(self.profile)
            try:
                result = purge.execute(db, self.profile, p, progress=progress)
            finally:
                db.close()
        except Exception as e:  # noqa: BLE001 - refused, lock busy, DB down: shown
            self.post_message(PurgeFailed("purge", self._message(e)))
            return
        self.post_message(Purged(result))

    @on(PurgeProgress)
    def _set_result(self, message: PurgeProgress) -> None:
        self.query_one("#purge-result", Static).update(message.text)

    @on(Purged)
    def _purged(self, message: Purged) -> None:
        r = message.result
        self.busy = False
        self.plan = None  # the rows are gone: a new dry run before another purge
        lines = result_lines(r, self.profile)
        self.query_one("#purge-result", Static).update(Text("\n".join(lines)))
        self._refresh_buttons()
        self.notify(lines[0] + f" Backup: {r.backup}", severity="information" if r.complete
                    else "error", timeout=10)

    # -- buttons -----------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "dry":
            self.action_dry_run()
        elif event.button.id == "purge":
            self.action_purge()
        else:
            self.action_close()

    def action_close(self) -> None:
        self.dismiss(None)
