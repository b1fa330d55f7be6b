"""Models (key 3): the user's attribution models through the v2 API, every change confirmed.

The list merges the API's active models with the DB rows it hides. Every action goes through a
plan from attribtui.models (the slug after the PATCH, demotions, the default trap, what a delete
takes with it) and the shared ActionConfirmScreen. Below: details, the audit trail, hourly
snapshots (24 h / 7 d, gaps visible) and the last change with the rebuild command to run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Footer,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from attribtui.infra import clock
from attribtui.infra.api import V2Client
from attribtui.infra.db import Database, DbError
from attribtui.infra.redact import redact_text
from attribtui.prosper.validation import MODEL_TYPES, validate_model_payload
from attribtui.services import models as core
from screens.confirm import ActionConfirmScreen
from screens.header import ShellHeader
from screens.registry import PaletteCommand, ScreenSpec

BARS = "▁▂▃▄▅▆▇█"
GAP = "·"
MUTATING = ("activate", "deactivate", "make_default", "edit", "new", "delete")


def bars(values: list[float | None]) -> str:
    """One character per hour; a gap (no snapshot) is a dot, so it never looks like a zero."""
    top = max((v for v in values if v is not None), default=0) or 1
    return "".join(GAP if v is None else BARS[min(7, int(v / top * 7.999))] if v else BARS[0]
                   for v in values)


def chart_lines(series: core.Series) -> list[str]:
    """Per day of 24 hours: a conversions line and a revenue line, with the day's totals."""
    lines = []
    conv = [p.conversions for p in series.points]
    rev = [p.revenue for p in series.points]
    conv_bars, rev_bars = bars(conv), bars(rev)
    for i in range(0, len(series.points), 24):
        day = clock.iso(series.points[i].hour)[5:13].replace("T", " ") + "h"
        c = sum(v or 0 for v in conv[i:i + 24])
        r = sum(v or 0 for v in rev[i:i + 24])
        lines.append(f"{day}  conv {conv_bars[i:i + 24]:24} {c:>10}")
        lines.append(f"{'':11}rev  {rev_bars[i:i + 24]:24} {r:>10.2f}")
    return lines


def yes(flag: bool) -> str:
    return "yes" if flag else "no"


class ModelsScreen(Screen[None]):
    SCREEN_TITLE = "Models"
    CSS_PATH = "models.tcss"
    BINDINGS = [
        Binding("r", "reload", "Reload"),
        Binding("a", "activate", "Activate"),
        Binding("d", "deactivate", "Deactivate"),
        Binding("m", "make_default", "Make default"),
        Binding("e", "edit", "Edit"),
        Binding("n", "new", "New"),
        Binding("x", "delete", "Delete"),
        Binding("f", "audit_filter", "Audit filter", show=False),
        Binding("w", "window", "24h/7d", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.listing: core.ModelList | None = None
        self.selected: int | None = None
        self.hours = 24
        self.audit_action: str | None = None
        self.busy = False
        self.last_outcome: core.Outcome | None = None

    @property
    def profile(self) -> Any:
        return self.app.profile  # type: ignore[attr-defined]

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ShellHeader()
        yield Static("", id="models-banner")
        yield Static("Loading models…", id="models-summary")
        yield DataTable(id="models-table", cursor_type="row", zebra_stripes=False)
        with TabbedContent(id="models-tabs", initial="tab-detail"):
            with TabPane("Details", id="tab-detail"), VerticalScroll():
                yield Static("", id="model-detail")
            with TabPane("Audit", id="tab-audit"), Vertical():
                yield Static("", id="audit-filter")
                yield DataTable(id="audit-table", cursor_type="row", show_cursor=False)
            with TabPane("Snapshots", id="tab-snapshots"), VerticalScroll():
                yield Static("", id="snap-chart")
                yield DataTable(id="snap-table", cursor_type="row", show_cursor=False)
            with TabPane("Last change", id="tab-change"), VerticalScroll():
                yield Static("No change made in this session.", id="last-change")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#models-banner").display = False
        table = self.query_one("#models-table", DataTable)
        table.add_columns("ID", "Name", "Active", "Default", "API", "Type", "Weighting", "Slug",
                          "Updated")
        self.query_one("#audit-table", DataTable).add_columns("When", "Action", "Model", "Details")
        self.query_one("#snap-table", DataTable).add_columns("Hour (UTC)", "Conv", "Revenue")
        table.focus()
        self.app.when_ready(self.action_reload)  # type: ignore[attr-defined]

    # -- bindings --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING:
            if self.profile.read_only:
                return False  # a read-only profile offers none of these actions
            if self.busy:
                return None
            if action != "new" and self.current() is None:
                return None
        return True

    def current(self) -> core.Model | None:
        if self.listing is None or self.selected is None:
            return None
        return self.listing.get(self.selected)

    # -- loading ---------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.query_one("#models-summary", Static).update("Loading models…")
        self._load(primary=False)

    def _clients(self) -> tuple[V2Client, Database | None]:
        client = V2Client(self.profile)
        db = None
        if self.profile.db.url:
            with contextlib.suppress(DbError):
                db = Database.from_profile(self.profile)
        return client, db

    @work(thread=True, exclusive=True, group="models", name="load models")
    def _load(self, primary: bool) -> None:
        client, db = self._clients()
        try:
            listing = core.load_models(client, db, user_id=self.profile.api.user_id,
                                       primary=primary)
        finally:
            client.close()
            if db is not None:
                db.close()
        self._call(self._show_listing, listing)

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(fn, *args)

    def _clean(self, text: str) -> str:
        return redact_text(text, self.profile.secrets())

    def _show_listing(self, listing: core.ModelList) -> None:
        self.listing = listing
        problems = [listing.api_error, listing.db_error, *listing.notes]
        banner = self.query_one("#models-banner", Static)
        shown = [self._clean(p) for p in problems if p]
        banner.update(Text("\n".join(f"‼ {p}" for p in shown)))
        banner.display = bool(shown)
        table = self.query_one("#models-table", DataTable)
        table.clear()
        for x in listing.models:
            api = "listed" if x.api_visible else ("‼ breaks v2" if x.problem else "hidden")
            table.add_row(str(x.model_id), x.name, yes(x.is_active),
                          "★ yes" if x.is_default else "no", api, x.type, x.weighting_text, x.slug,
                          clock.iso(x.updated_at)[5:16].replace("T", " "),
                          key=str(x.model_id))
        hidden = sum(1 for x in listing.models if not x.api_visible)
        defaults = [x for x in listing.models if x.is_default]
        if len(defaults) > 1:  # nothing enforces one default (facts section 1)
            which = "▲ " + str(len(defaults)) + " DEFAULTS: " + ", ".join(
                f"{x.model_id} {x.name}" for x in defaults) + " (see models.defaults)"
        else:
            which = f"default: {defaults[0].model_id} {defaults[0].name}" if defaults else \
                "▲ NO default model"
        self.query_one("#models-summary", Static).update(Text(
            f"User {listing.user_id if listing.user_id is not None else '?'}: "
            f"{len(listing.models)} model(s), {hidden} hidden by the API · {which}"))
        if listing.models:
            keep = self.selected if listing.get(self.selected or -1) else listing.models[0].model_id
            table.move_cursor(row=table.get_row_index(str(keep)))
            self._select(keep)
        else:
            self._select(None)
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#models-table")
    def _on_row(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._select(int(event.row_key.value))

    def _select(self, model_id: int | None) -> None:
        self.selected = model_id
        self._show_detail()
        self._load_panels(model_id, self.hours, self.audit_action)
        self.refresh_bindings()

    def _show_detail(self) -> None:
        x = self.current()
        detail = self.query_one("#model-detail", Static)
        if x is None:
            detail.update("No model selected. n creates one.")
            return
        lines = [
            f"{x.model_id}  {x.name}   type {x.type}   slug {x.slug}",
            f"active {yes(x.is_active)} · default {yes(x.is_default)} · weighting "
            f"{x.weighting_text} · updated {clock.describe(x.updated_at)}",
        ]
        if not x.api_visible:
            lines.append(f"▲ {x.note}")
        if x.problem:
            lines.append(f"‼ {x.problem}; {core.LINT_HINT}")
        detail.update(Text("\n".join(lines)))

    @work(thread=True, exclusive=True, group="panels", name="audit and snapshots")
    def _load_panels(self, model_id: int | None, hours: int, action: str | None) -> None:
        listing = self.listing
        user = listing.user_id if listing else None
        audit: list[core.AuditRow] | str = []
        series: core.Series | str | None = None
        client, db = self._clients()
        try:
            if db is None:
                audit = "the audit trail needs db.url (202_attribution_audit)"
            elif user is not None:
                try:
                    audit = core.read_audit(db, user, model_id=model_id, action=action)
                except DbError as e:
                    audit = str(e)
            x = listing.get(model_id) if listing and model_id is not None else None
            if x is not None and x.api_visible:
                try:
                    series = core.snapshot_series(client, x.model_id, hours)
                except Exception as e:  # ApiError: shown in the panel
                    series = str(e)
            elif x is not None:
                series = "the API does not serve snapshots of a model it cannot list"
        finally:
            client.close()
            if db is not None:
                db.close()
        self._call(self._show_panels, audit, series, model_id)

    def _show_panels(self, audit: list[core.AuditRow] | str, series: core.Series | str | None,
                     model_id: int | None) -> None:
        what = f"model {model_id}" if model_id is not None else "the user"
        flt = self.audit_action or "all actions"
        note = f"Audit of {what}, newest first, {flt} (f cycles the filter)"
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        if isinstance(audit, str):
            note += f"\n‼ {self._clean(audit)}"
        else:
            for row in audit:
                table.add_row(clock.iso(row.created_at)[5:16].replace("T", " "), row.action,
                              "" if row.model_id is None else str(row.model_id), row.meta_text)
            if not audit:
                note += "\nNo audit rows."
        self.query_one("#audit-filter", Static).update(Text(note))
        chart = self.query_one("#snap-chart", Static)
        snaps = self.query_one("#snap-table", DataTable)
        snaps.clear()
        if series is None:
            chart.update("Select a model to see its snapshots.")
        elif isinstance(series, str):
            chart.update(Text(f"‼ {self._clean(series)}"))
        else:
            head = (f"Last {self.hours} h (w: 24 h/7 d): {series.total_conversions} conversions, "
                    f"revenue {series.total_revenue:.2f}, {series.gaps} hour(s) with no snapshot "
                    f"({GAP})")
            chart.update(Text("\n".join([head, *chart_lines(series)])))
            for p in reversed(series.points):
                snaps.add_row(clock.iso(p.hour)[:13].replace("T", " ") + "h",
                              "–" if p.conversions is None else str(p.conversions),
                              "no snapshot" if p.revenue is None else f"{p.revenue:.2f}")

    def action_audit_filter(self) -> None:
        options = [None, *core.AUDIT_ACTIONS]
        self.audit_action = options[(options.index(self.audit_action) + 1) % len(options)]
        self.query_one("#models-tabs", TabbedContent).active = "tab-audit"
        self._load_panels(self.selected, self.hours, self.audit_action)

    def action_window(self) -> None:
        self.hours = 168 if self.hours == 24 else 24
        self.query_one("#models-tabs", TabbedContent).active = "tab-snapshots"
        self._load_panels(self.selected, self.hours, self.audit_action)

    # -- actions ---------------------------------------------------------------------------------

    def _plan_client(self) -> V2Client:
        return V2Client(self.profile)  # describe() only: no request is sent while planning

    def _guard(self) -> core.Model | None:
        if self.profile.read_only:
            self.notify(f"profile '{self.profile.name}' is read-only: models cannot be changed",
                        severity="warning")
            return None
        x = self.current()
        if x is None or self.listing is None:
            self.notify("Select a model first.", severity="warning")
        return x

    def action_activate(self) -> None:
        if (x := self._guard()) is not None:
            with self._plan_client() as c:
                self._confirm(core.plan_activate(c, self.listing, x))

    def action_make_default(self) -> None:
        if (x := self._guard()) is not None:
            with self._plan_client() as c:
                self._confirm(core.plan_set_default(c, self.listing, x))

    def action_deactivate(self) -> None:
        x = self._guard()
        if x is None:
            return
        if not x.is_default:
            with self._plan_client() as c:
                self._confirm(core.plan_deactivate(c, self.listing, x))
            return

        def chosen(choice: str | None) -> None:
            if choice is None:
                return
            with self._plan_client() as c:
                if choice == "none":
                    plan = core.plan_deactivate(c, self.listing, x, no_default=True)
                else:
                    plan = core.plan_deactivate(c, self.listing, x, new_default=int(choice))
            self._confirm(plan)

        others = [o for o in self.listing.models if o.model_id != x.model_id and not o.problem]
        self.app.push_screen(DefaultChoiceScreen(x, others), chosen)

    def action_edit(self) -> None:
        x = self._guard()
        if x is None:
            return

        def submitted(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            with self._plan_client() as c:
                self._confirm(core.plan_update(c, self.listing, x, name=values["name"],
                                               weighting=values["weighting"]))

        self.app.push_screen(ModelFormScreen(x), submitted)

    def action_new(self) -> None:
        if self.profile.read_only:
            self._guard()
            return

        def submitted(values: dict[str, Any] | None) -> None:
            if values is None or self.listing is None:
                return
            with self._plan_client() as c:
                self._confirm(core.plan_create(
                    c, self.listing, name=values["name"], model_type=values["type"],
                    weighting=values["weighting"], is_default=values["default"]))

        self.app.push_screen(ModelFormScreen(None), submitted)

    def action_delete(self) -> None:
        x = self._guard()
        if x is None:
            return
        self.notify(f"Counting what goes with model {x.model_id}…", timeout=3)
        self._plan_delete(x)

    @work(thread=True, exclusive=True, group="models", name="plan delete")
    def _plan_delete(self, x: core.Model) -> None:
        client, db = self._clients()
        try:
            plan = core.plan_delete(client, self.listing, x, db)
        except DbError as e:
            self._call(self.notify, f"Cannot plan the delete: {e}", severity="error")
            return
        finally:
            client.close()
            if db is not None:
                db.close()
        self._call(self._confirm, plan)

    def _confirm(self, action: core.ModelAction) -> None:
        if action.noop:
            self.notify(action.noop, title="Nothing to do")
            return
        if action.refused:
            self.notify(self._clean(action.refused), title="Refused, nothing sent",
                        severity="error", timeout=12)
            return

        def answered(go: bool | None) -> None:
            if go:
                self.busy = True
                self.refresh_bindings()
                self._execute(action)

        self.app.push_screen(ActionConfirmScreen(self.profile, action.plan), answered)

    @work(thread=True, exclusive=True, group="models", name="model change")
    def _execute(self, action: core.ModelAction) -> None:
        client, db = self._clients()
        try:
            outcome = core.execute(action, client, self.profile, db)
        finally:
            client.close()
            if db is not None:
                db.close()
        self._call(self._done, action, outcome)

    def _done(self, action: core.ModelAction, out: core.Outcome) -> None:
        self.busy = False
        self.last_outcome = out
        lines = [("✔ " if out.ok else "‼ ") + self._clean(out.message)]
        for r in out.responses:
            lines.append(f"  {r['request']}")
        if out.ok and out.rebuild_commands:
            lines.append(f"Rebuild the affected window ({action.rebuild.why}); copy and run:")
            lines += [f"  {c}" for c in out.rebuild_commands]
            lines.append("  (hour-aligned --start=H0 --end=H1-1; the current hour is left to the "
                         "scheduled :15 run)")
        elif out.ok and action.no_rebuild:
            lines.append(action.no_rebuild[0].upper() + action.no_rebuild[1:] + ".")
        lines.append("Recorded in the action log.")
        self.query_one("#last-change", Static).update(Text("\n".join(lines)))
        self.query_one("#models-tabs", TabbedContent).active = "tab-change"
        self.notify(self._clean(out.message), title="Done" if out.ok else "Failed",
                    severity="information" if out.ok else "error", timeout=10)
        if out.model_after and out.model_after.get("model_id"):
            self.selected = int(out.model_after["model_id"])
        self._load(primary=True)  # verification reads the primary


class DefaultChoiceScreen(ModalScreen[str | None]):
    """Deactivating the default: pick the new default first, or leave the user with none."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, model: core.Model, others: list[core.Model]) -> None:
        super().__init__()
        self.model, self.others = model, others

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="default-box"):
            yield Label(f"Model {self.model.model_id} “{self.model.name}” is the default",
                        classes="dialog-title")
            yield Static(Text(
                "Prosper202 silently re-activates the default when only is_active false is "
                "sent. Pick the new default first, or clear the default explicitly."),
                classes="dialog-body")
            options = [Option(f"Make {o.model_id} “{o.name}” the default first"
                              + ("" if o.is_active else " (inactive: forced active)"),
                              id=str(o.model_id)) for o in self.others]
            options.append(Option("Deactivate and leave the user with NO default", id="none"))
            yield OptionList(*options, id="default-options")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel [esc]", id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#default-options", OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ModelFormScreen(ModalScreen[dict[str, Any] | None]):
    """Create (model None) or edit name and weighting, validated live with the server's rules."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, model: core.Model | None) -> None:
        super().__init__()
        self.model = model

    def compose(self) -> ComposeResult:
        x = self.model
        config = x.weighting_config if x and isinstance(x.weighting_config, dict) else {}
        with VerticalScroll(classes="dialog", id="form-box"):
            yield Label(f"Edit model {x.model_id}" if x else "New model", classes="dialog-title")
            yield Label("Name")
            yield Input(x.name if x else "", id="f-name", compact=True)
            yield Label("Type")
            yield Select([(t, t) for t in MODEL_TYPES], value=x.type if x else "last_touch",
                         allow_blank=False, id="f-type", disabled=x is not None, compact=True)
            yield Label("half_life_hours", id="l-half", classes="time_decay")
            yield Input(str(config.get("half_life_hours", "")), id="f-half", classes="time_decay",
                        compact=True)
            yield Label("first_touch_weight", classes="position_based")
            yield Input(str(config.get("first_touch_weight", "")), id="f-first",
                        classes="position_based", compact=True)
            yield Label("last_touch_weight", classes="position_based")
            yield Input(str(config.get("last_touch_weight", "")), id="f-last",
                        classes="position_based", compact=True)
            if x is None:
                yield Checkbox("Make it the default (demotes every other model)", id="f-default",
                               compact=True)
            else:
                yield Static(Text(f"Saving recomputes the slug (now {x.slug})."), id="f-slug")
            yield Static("", id="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Review [enter]", id="review", variant="primary", compact=True)
                yield Button("Cancel [esc]", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._validate()
        self.query_one("#f-name", Input).focus()

    def values(self) -> dict[str, Any]:
        kind = str(self.query_one("#f-type", Select).value)
        weighting = core.weighting_from_fields(
            kind, half_life=self.query_one("#f-half", Input).value,
            first=self.query_one("#f-first", Input).value,
            last=self.query_one("#f-last", Input).value)
        default = self.query("#f-default")
        return {"name": self.query_one("#f-name", Input).value, "type": kind,
                "weighting": weighting,
                "default": bool(default.first(Checkbox).value) if default else False}

    def _validate(self) -> str | None:
        v = self.values()
        for kind in ("time_decay", "position_based"):
            for w in self.query(f".{kind}"):
                w.display = v["type"] == kind
        error = validate_model_payload(v["name"], v["type"], v["weighting"])
        box = self.query_one("#form-error", Static)
        box.update(Text(f"‼ Prosper202 would answer 400: {error}" if error else
                        "✔ Valid by the v2 rules; Review shows what will be sent."))
        box.set_classes("-error" if error else "-ok")
        return error

    def on_input_changed(self, event: Input.Changed) -> None:
        self._validate()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._validate()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "review":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        if self._validate():
            self.query_one("#form-error", Static).styles.text_style = "bold"
            return  # nothing is sent while the server would refuse it
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)


SCREEN = ScreenSpec(
    key="3",
    name="models",
    title="Models",
    factory=ModelsScreen,
    help="Attribution models through the v2 API: toggle, default, edit, create, delete, audit",
    commands=(
        PaletteCommand("Reload models", "Read the models again (r)", "reload"),
        PaletteCommand("Activate model", "PATCH is_active true (a)", "activate"),
        PaletteCommand("Deactivate model", "PATCH is_active false; handles the default (d)",
                       "deactivate"),
        PaletteCommand("Make default", "Promote the model; demotes the others (m)",
                       "make_default"),
        PaletteCommand("Edit model", "Name and weighting, validated before sending (e)", "edit"),
        PaletteCommand("New model", "Create a model (n)", "new"),
        PaletteCommand("Delete model", "Backed up first, typed confirmation (x)", "delete"),
        PaletteCommand("Filter audit by action", "Cycle the audit filter (f)", "audit_filter"),
        PaletteCommand("Snapshots window 24 h / 7 d", "Toggle the window (w)", "window"),
    ),
)
