"""Fleet (key 6): one row per profile, checked in the background; Enter opens a profile.

Rows come first from each profile's last saved run (marked "saved", with its age), then from
the background refresh: every checks.fleet_refresh_s a child process runs `attribtui check
--all-profiles --format jsonl --no-save` (services.fleet.check_fleet_apart: bounded, reading
only, rows streamed as each profile finishes). Apart, twenty runs' memory leaves with the child
(the console stays near 80 MB with 20 profiles refreshing); unsaved, a console left open does
not fill the data dir. A row whose status moved since the previous refresh says which way.
Enter switches the console to the profile (the shell asks first when work is running); every
other screen then acts on it.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.widgets import DataTable, Static

from attribtui.infra import clock
from attribtui.vocab import Status, label
from screens.base import ConsoleScreen
from screens.components.table import RowTable
from screens.fleet.messages import FleetListed, FleetRefreshed, FleetRowDone
from screens.fleet.render import change_text, columns_for, detail_text, narrow, row_cells

if TYPE_CHECKING:
    from attribtui.services.fleet import ProfileRun
    from attribtui.services.profiles import Selected


class FleetTable(RowTable):
    """The profiles. Enter is the table's own (select_cursor, then RowSelected), named in the
    footer: handled in order after the arrows typed before it, a quick "down, Enter" opens the
    row it reached (a screen binding ran before the table had moved)."""

    BINDINGS = [Binding("enter", "select_cursor", "Open profile")]


MIN_REFRESH_S = 5.0  # a shorter interval would only queue refreshes behind each other


class FleetScreen(ConsoleScreen):
    SCREEN_TITLE = "Fleet"
    BINDINGS = [Binding("r", "refresh", "Refresh now")]

    refreshing: var[bool] = var(False, bindings=True)

    def __init__(self) -> None:
        super().__init__()
        self.profiles: list[Selected] = []
        self.rows: dict[str, ProfileRun] = {}
        self.checked_at: dict[str, int] = {}
        self.saved: set[str] = set()  # rows still from a saved run, not refreshed yet
        self.changes: dict[str, str] = {}
        self.before: dict[str, Status] = {}  # each row's status when the refresh started
        self.refreshed_at: int | None = None
        self.refresh_error: str | None = None
        self._cancel = threading.Event()
        self._columns: tuple[str, ...] = ()

    def compose_body(self) -> ComposeResult:
        yield Static("Reading the fleet…", id="fleet-summary")
        yield FleetTable(id="fleet-table", keep_cursor=True)
        with VerticalScroll(id="fleet-detail-box"):
            yield Static("", id="fleet-detail")

    def on_mount(self) -> None:
        self.query_one("#fleet-table", RowTable).focus()
        self._list()
        every = max(MIN_REFRESH_S, self.profile.checks.fleet_refresh_s)
        self.set_interval(every, self.action_refresh, name="fleet refresh")

    # -- reading -----------------------------------------------------------------------------

    def _selected(self) -> list[Selected]:
        """Every profile of the console's config; just the console's own profile when it came
        from no file (the demo, ATTRIBTUI_DB_URL): the fleet is what the config names."""
        from attribtui.services import fleet  # first paint: loaded in the worker

        if self.profile.config_path is None:
            return [self.profile]
        return fleet.select_profiles(all_profiles=True, config_path=self.profile.config_path)

    @work(thread=True, exclusive=True, group="fleet", name="read the fleet")
    def _list(self) -> None:
        from attribtui.infra.config import ConfigError
        from attribtui.services import fleet

        try:
            profiles = self._selected()
        except ConfigError as e:
            self.post_message(FleetRefreshed(0.0, str(e)))
            return
        saved = {p.name: r for p in profiles if (r := fleet.last_saved(p)) is not None}
        self.post_message(FleetListed(profiles, saved, initial=True))

    @on(FleetListed)
    def _listed(self, message: FleetListed) -> None:
        self.profiles = message.profiles
        for name, row in message.saved.items():
            if name not in self.rows:
                self.rows[name] = row
                self.saved.add(name)
                self.checked_at[name] = int((row.report or {}).get("generated_at") or 0)
        self._show()
        if message.initial:
            self.console.after_paint(self.console.first_content_shown)
            self.action_refresh()

    def action_refresh(self) -> None:
        if self.refreshing:
            return
        self.refreshing = True
        self.before = {name: row.status for name, row in self.rows.items()}
        self._cancel = threading.Event()
        self._refresh(self._cancel)
        self._show_summary()

    @work(thread=True, exclusive=True, group="fleet", name="fleet refresh")
    def _refresh(self, cancel: threading.Event) -> None:
        from attribtui.infra.config import ConfigError
        from attribtui.services import fleet

        t0 = time.monotonic()
        try:
            profiles = self._selected()
        except ConfigError as e:
            self.post_message(FleetRefreshed(0.0, str(e)))
            return
        self.post_message(FleetListed(profiles, {}))

        def done(row: ProfileRun) -> None:
            self.post_message(FleetRowDone(row, clock.now()))

        path = self.profile.config_path
        if path is None:  # the console's own profile only: no fleet to keep apart
            fleet.check_fleet(profiles, save=False, cancel=cancel, on_result=done)
            error = None
        else:
            error = fleet.check_fleet_apart(path, on_result=done, cancel=cancel)
        self.post_message(FleetRefreshed(time.monotonic() - t0, error))

    @on(FleetRowDone)
    def _row_done(self, message: FleetRowDone) -> None:
        row = message.row
        self.rows[row.name] = row
        self.checked_at[row.name] = message.at
        self.saved.discard(row.name)
        self.changes[row.name] = change_text(self.before.get(row.name), row.status)
        self._show()

    @on(FleetRefreshed)
    def _refreshed(self, message: FleetRefreshed) -> None:
        self.refreshing = False
        self.refresh_error = message.error
        if message.error is None:
            self.refreshed_at = clock.now()
        self._show_summary()

    def cancel_work(self) -> None:
        self._cancel.set()

    # -- showing -----------------------------------------------------------------------------

    def _names(self) -> list[str]:
        names = [p.name for p in self.profiles]
        return names + [n for n in self.rows if n not in names]

    def _show(self) -> None:
        table = self.query_one("#fleet-table", RowTable)
        keep = self.highlighted()
        now = clock.now()
        names = self._names()
        by_name = {p.name: p for p in self.profiles}
        columns = self._columns = columns_for(self.app.size.width)
        cells = []
        for name in names:
            env, read_only = self._identity(by_name.get(name), self.rows.get(name))
            cells.append(narrow(row_cells(
                name, env, read_only, self.rows.get(name), self.checked_at.get(name),
                current=name == self.profile.name, saved=name in self.saved,
                change=self.changes.get(name, ""), now=now), columns))
        table.show_rows(columns, cells, keys=names)
        keep = keep or self.profile.name  # first shown: on the console's own profile
        if keep in names:
            table.move_cursor(row=names.index(keep))
        self._show_summary()
        self._show_detail()

    def on_resize(self) -> None:
        if self.profiles and (columns_for(self.app.size.width) != self._columns):
            self._show()

    @staticmethod
    def _identity(profile: Selected | None, row: ProfileRun | None) -> tuple[str, bool]:
        if row is not None:
            return row.environment, row.read_only
        environment = getattr(profile, "environment", "?")
        return str(environment), bool(getattr(profile, "read_only", False))

    def _show_summary(self) -> None:
        rows = list(self.rows.values())
        parts = [f"{len(self._names())} profile(s)"]
        for status in (Status.FAIL, Status.ERROR, Status.WARN, Status.OK):
            n = sum(1 for r in rows if r.status == status)
            if n:
                parts.append(f"{n} {label(status)}")
        if self.refresh_error:
            parts.append(f"‼ refresh failed: {self.redact(self.refresh_error)}")
        elif self.refreshing:
            parts.append("refreshing…")
        elif self.refreshed_at is not None:
            parts.append(f"refreshed {clock.iso(self.refreshed_at)[11:19]}Z")
        every = max(MIN_REFRESH_S, self.profile.checks.fleet_refresh_s)
        parts.append(f"every {clock.format_duration(int(every))}")
        self.query_one("#fleet-summary", Static).update(Text(" · ".join(parts)))

    def highlighted(self) -> str | None:
        table = self.query_one("#fleet-table", RowTable)
        names = self._names()
        if not table.row_count or not 0 <= table.cursor_row < len(names):
            return None
        return names[table.cursor_row]

    @on(DataTable.RowHighlighted, "#fleet-table")
    def _show_detail(self) -> None:
        name = self.highlighted()
        box = self.query_one("#fleet-detail", Static)
        if name is None:
            box.update("")
            return
        profile = next((p for p in self.profiles if p.name == name), None)
        env, _ = self._identity(profile, self.rows.get(name))
        groups = tuple(getattr(profile, "groups", ()) or ())
        box.update(detail_text(name, env, groups, self.rows.get(name),
                               current=name == self.profile.name))

    # -- opening a profile -------------------------------------------------------------------

    @on(DataTable.RowSelected, "#fleet-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.console.switch_profile(event.row_key.value)

    def profile_switched(self) -> None:
        """The console now acts on another profile: the ▶ mark moves."""
        self._show()
