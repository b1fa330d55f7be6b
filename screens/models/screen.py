"""Models (key 3): the user's attribution models through the v2 API, every change confirmed.

The list merges the API's active models with the DB rows it hides. Every action goes through a
plan from attribtui.services.models (the slug after the PATCH, demotions, the default trap, what
a delete takes with it) and the shared ActionConfirmScreen. Below: details, the audit trail,
hourly snapshots (24 h / 7 d, gaps visible) and the last change with the rebuild command to run.
"""

from __future__ import annotations

import contextlib

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.widgets import Static, TabbedContent, TabPane

from attribtui.infra.api import V2Client
from attribtui.infra.db import Database, DbError
from attribtui.services import models as core
from screens.base import ConsoleScreen
from screens.components.goto import OpenModel
from screens.components.table import RowTable
from screens.models import render
from screens.models.dialogs import (
    CommandScreen,
    DefaultChoiceScreen,
    ModelConfirmScreen,
    ModelFormScreen,
    ModelFormValues,
)
from screens.models.messages import DeletePlanned, ModelChanged, ModelsLoaded, PanelsLoaded
from screens.models.panels import AuditPanel, SnapshotPanel

MUTATING = ("activate", "deactivate", "make_default", "edit", "new", "delete")


class ModelsScreen(ConsoleScreen):
    SCREEN_TITLE = "Models"
    BINDINGS = [
        Binding("r", "reload", "Reload", show=False),
        Binding("a", "activate", "Activate"),
        Binding("d", "deactivate", "Deactivate"),
        Binding("m", "make_default", "Default"),
        Binding("e", "edit", "Edit"),
        Binding("n", "new", "New"),
        Binding("x", "delete", "Delete"),
        Binding("f", "audit_filter", "Audit filter", show=False),
        Binding("w", "window", "24h/7d", show=False),
    ]

    listing: var[core.ModelList | None] = var(None, always_update=True, bindings=True)
    selected: var[int | None] = var(None, always_update=True, bindings=True)
    busy: var[bool] = var(False, bindings=True)  # a change is being sent

    def __init__(self) -> None:
        super().__init__()
        self.hours = 24
        self.audit_action: str | None = None
        self.last_result: core.ChangeResult | None = None

    # -- layout ----------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static("", id="models-banner")
        yield Static("Loading models…", id="models-summary")
        yield RowTable(id="models-table", keep_cursor=True)  # the model the keys act on
        with TabbedContent(id="models-tabs", initial="tab-detail"):
            with TabPane("Details", id="tab-detail"), VerticalScroll():
                yield Static("", id="model-detail")
            with TabPane("Audit", id="tab-audit"):
                yield AuditPanel()
            with TabPane("Snapshots", id="tab-snapshots"):
                yield SnapshotPanel()
            with TabPane("Last change", id="tab-change"), VerticalScroll():
                yield Static("No change made in this session.", id="last-change")

    def on_mount(self) -> None:
        self.query_one("#models-banner").display = False
        self._columns: tuple[tuple[str, str], ...] = ()
        self._fill_table()
        self.query_one("#models-table", RowTable).focus()
        self.console.when_ready(self.action_reload)

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

    def _clients(self, user_id: int | None = None) -> tuple[V2Client, Database | None]:
        """The API as user_id (its key from api.user_keys), else as the profile's key."""
        key_user = self.listing.user_id if self.listing else None
        acting = core.client_for(self.profile, user_id, key_user) if user_id is not None else None
        client = acting or V2Client(self.profile)
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
                                       primary=primary, all_users=True)
        finally:
            client.close()
            if db is not None:
                db.close()
        self.post_message(ModelsLoaded(listing))

    @on(ModelsLoaded)
    def _show_listing(self, message: ModelsLoaded) -> None:
        listing = self.listing = message.listing
        problems = [listing.api_error, listing.db_error, *listing.notes]
        banner = self.query_one("#models-banner", Static)
        shown = [self.redact(p) for p in problems if p]
        banner.update(Text("\n".join(f"‼ {p}" for p in shown)))
        banner.display = bool(shown)
        table = self._fill_table()
        self.query_one("#models-summary", Static).update(render.listing_summary(listing))
        if listing.models:
            keep = self.selected if listing.get(self.selected or -1) else listing.models[0].model_id
            table.move_cursor(row=table.get_row_index(str(keep)))
            self._select(keep)
        else:
            self._select(None)

    def _fill_table(self) -> RowTable:
        """The rows, under the columns this width keeps (render.columns), fitted to the table's
        width (long names wrap; the table fits again itself when only the width changes)."""
        table = self.query_one("#models-table", RowTable)
        width = self.app.size.width
        self._columns = render.columns(width)
        models = self.listing.models if self.listing else []
        table.show_rows([label for _, label in self._columns],
                        [render.model_row(x, width) for x in models],
                        keys=[str(x.model_id) for x in models])
        return table

    def on_resize(self, event: events.Resize) -> None:
        if render.columns(self.app.size.width) != self._columns:
            row = self.query_one("#models-table", RowTable).cursor_row
            self._fill_table().move_cursor(row=row)

    @on(OpenModel)
    def _open_model(self, message: OpenModel) -> None:
        """A fix from Schema Health: select the model (now, or when the listing arrives)."""
        self.selected = message.model_id
        table = self.query_one("#models-table", RowTable)
        if self.listing is not None and message.model_id is not None \
                and self.listing.get(message.model_id):
            table.move_cursor(row=table.get_row_index(str(message.model_id)))
        table.focus()

    @on(RowTable.RowHighlighted, "#models-table")
    def _on_row(self, event: RowTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._select(int(event.row_key.value))

    def _select(self, model_id: int | None) -> None:
        self.selected = model_id
        self.query_one("#model-detail", Static).update(render.detail_text(self.current()))
        self._load_panels(model_id, self.hours, self.audit_action)

    @work(thread=True, exclusive=True, group="panels", name="audit and snapshots")
    def _load_panels(self, model_id: int | None, hours: int, action: str | None) -> None:
        listing = self.listing
        x = listing.get(model_id) if listing and model_id is not None else None
        user = x.user_id if x else listing.user_id if listing else None
        audit: list[core.AuditRow] | str = []
        series: core.Series | str | None = None
        client, db = self._clients(x.user_id if x else None)
        try:
            if db is None:
                audit = "the audit trail needs db.url (202_attribution_audit)"
            elif user is not None:
                try:
                    audit = core.read_audit(db, user, model_id=model_id, action=action)
                except DbError as e:
                    audit = str(e)
            if x is not None and x.read_only:
                series = f"{x.read_only}: the API serves snapshots only with that user's key"
            elif x is not None and (x.api_visible or (
                    x.is_active and listing is not None and x.user_id != listing.user_id)):
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
        self.post_message(PanelsLoaded(model_id, audit, series))

    @on(PanelsLoaded)
    def _show_panels(self, message: PanelsLoaded) -> None:
        self.query_one(AuditPanel).show(message.audit, message.model_id, self.audit_action,
                                        self.redact)
        self.query_one(SnapshotPanel).show(message.series, self.hours, self.redact)

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

    def _guard(self) -> tuple[core.ModelList, core.Model] | None:
        """The listing and the selected model, when a change may be planned; else says why."""
        if self.profile.read_only:
            self.notify(f"profile '{self.profile.name}' is read-only: models cannot be changed",
                        severity="warning")
            return None
        x = self.current()
        if x is None or self.listing is None:
            self.notify("Select a model first.", severity="warning")
            return None
        return self.listing, x

    def action_activate(self) -> None:
        if (got := self._guard()) is not None:
            with self._plan_client() as c:
                self._confirm(core.plan_activate(c, *got))

    def action_make_default(self) -> None:
        if (got := self._guard()) is not None:
            with self._plan_client() as c:
                self._confirm(core.plan_set_default(c, *got))

    def action_deactivate(self) -> None:
        if (got := self._guard()) is None:
            return
        listing, x = got
        if not x.is_default:
            with self._plan_client() as c:
                self._confirm(core.plan_deactivate(c, listing, x))
            return

        def chosen(choice: str | None) -> None:
            if choice is None:
                return
            with self._plan_client() as c:
                if choice == "none":
                    plan = core.plan_deactivate(c, listing, x, no_default=True)
                else:
                    plan = core.plan_deactivate(c, listing, x, new_default=int(choice))
            self._confirm(plan)

        others = [o for o in listing.models
                  if o.user_id == x.user_id and o.model_id != x.model_id and not o.problem]
        self.app.push_screen(DefaultChoiceScreen(x, others), chosen)

    def action_edit(self) -> None:
        if (got := self._guard()) is None:
            return
        listing, x = got

        def submitted(values: ModelFormValues | None) -> None:
            if values is None:
                return
            with self._plan_client() as c:
                self._confirm(core.plan_update(c, listing, x, name=values.name,
                                               weighting=values.weighting))

        self.app.push_screen(ModelFormScreen(x), submitted)

    def action_new(self) -> None:
        if self.profile.read_only:
            self._guard()
            return

        def submitted(values: ModelFormValues | None) -> None:
            if values is None or self.listing is None:
                return
            with self._plan_client() as c:
                self._confirm(core.plan_create(
                    c, self.listing, name=values.name, model_type=values.type,
                    weighting=values.weighting, is_default=values.default))

        self.app.push_screen(ModelFormScreen(None), submitted)

    def action_delete(self) -> None:
        if (got := self._guard()) is None:
            return
        listing, x = got
        self.notify(f"Counting what goes with model {x.model_id}…", timeout=3)
        self._plan_delete(listing, x)

    @work(thread=True, exclusive=True, group="models", name="plan delete")
    def _plan_delete(self, listing: core.ModelList, x: core.Model) -> None:
        client, db = self._clients()
        try:
            plan = core.plan_delete(client, listing, x, db)
        except DbError as e:
            self.notify(f"Cannot plan the delete: {e}", severity="error")
            return
        finally:
            client.close()
            if db is not None:
                db.close()
        self.post_message(DeletePlanned(plan))

    @on(DeletePlanned)
    def _delete_planned(self, message: DeletePlanned) -> None:
        self._confirm(message.action)

    def _confirm(self, action: core.ModelAction) -> None:
        if action.noop:
            self.notify(action.noop, title="Nothing to do")
            return
        if action.refused:
            self.notify(self.redact(action.refused), title="Refused, nothing sent",
                        severity="error", timeout=12)
            return
        x = action.model
        if x is not None and x.read_only:
            self.app.push_screen(CommandScreen(action, x.user_id, x.read_only))
            return

        def answered(go: bool | None) -> None:
            if go:
                self.busy = True
                self._execute(action)

        self.app.push_screen(ModelConfirmScreen(self.profile, action.plan), answered)

    @work(thread=True, exclusive=True, group="models", name="model change")
    def _execute(self, action: core.ModelAction) -> None:
        client, db = self._clients(action.model.user_id if action.model else None)
        try:
            result = core.execute(action, client, self.profile, db)
        finally:
            client.close()
            if db is not None:
                db.close()
        self.post_message(ModelChanged(action, result))

    @on(ModelChanged)
    def _done(self, message: ModelChanged) -> None:
        action, out = message.action, message.result
        self.busy = False
        self.last_result = out
        lines = render.change_lines(action, out, self.redact(out.message))
        self.query_one("#last-change", Static).update(Text("\n".join(lines)))
        self.query_one("#models-tabs", TabbedContent).active = "tab-change"
        self.notify(self.redact(out.message), title=out.outcome.capitalize(),
                    severity="information" if out.ok else "warning" if out.unconfirmed
                    else "error", timeout=10)
        if out.model_after and out.model_after.get("model_id"):
            self.selected = int(out.model_after["model_id"])
        self._load(primary=True)  # verification reads the primary
