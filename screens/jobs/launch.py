"""The Jobs screen's Launch tab: the form, the command it runs, and the pre-flight's verdict.

The screen handles the form's events (they bubble to it) and asks the form for the request.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError
from attribtui.prosper import hours
from attribtui.services.actions import ActionPlan
from attribtui.services.jobs import preflight
from attribtui.services.jobs.command import (
    JobRequest,
    RequestError,
    build_commands,
    last_hours,
    parse_time,
    remote_note,
)
from screens.components.text_box import TextBox
from screens.components.toggle import Toggle
from screens.jobs.messages import UsersFailed, UsersLoaded

WINDOWS = (("last 1 h", hours.HOUR), ("last 6 h", 6 * hours.HOUR), ("last 24 h", hours.DAY),
           ("last 7 d", 7 * hours.DAY))
SYMBOL = (("error", "✖", "bold"), ("warn", "▲", ""), ("info", "ℹ", "dim"))  # level, mark, style


def banner_notes(profile: Profile) -> list[str]:
    """What the operator must know before launching anything from this profile."""
    notes = []
    if profile.read_only:
        notes.append(f"read-only profile '{profile.name}': jobs cannot be launched here")
    if remote_note(profile):
        notes.append(f"jobs run over `{' '.join(profile.jobs.command_prefix)}` (nohup setsid):"
                     " the pre-flight says what cancel and re-attach reach")
    return notes


def launch_plan(pf: preflight.Preflight, profile: Profile) -> ActionPlan:
    """What the launch confirmation says: what the job rewrites, the warnings, the command."""
    req = pf.request
    effects = [f.text for f in pf.findings if f.level == "warn"]
    if req.kind == "rebuild":
        effects.insert(0, "Rewrites the window's credits and snapshot totals of every active "
                       "model, the guard row for the hour of --end and the heartbeat")
    else:
        effects.insert(0, "Rewrites the stored journeys of the window's conversions")
    effects.append("Runs detached: it goes on if this console closes")
    cmds = build_commands(profile, req)
    return ActionPlan(title=f"Launch {req.kind}: {clock.iso(req.start)} .. {clock.iso(req.end)}",
                      effects=effects, request="\n".join(c.display for c in cmds[:3]))


class LaunchForm(VerticalScroll):
    """Job, user, window, batch, chunks; the command line; the pre-flight; the buttons."""

    def __init__(self) -> None:
        super().__init__(id="form")
        self.chunk = False  # split into 24 h runs
        self.error = ""  # what is wrong with the form, one line ("" when it parses)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("Job", classes="lbl")
            yield Select([("rebuild (attribution-rebuild.php)", "rebuild"),
                          ("backfill (backfill-conversion-journeys.php)", "backfill")],
                         value="rebuild", allow_blank=False, id="kind", compact=True)
            yield Label("User", classes="lbl")
            yield Select([("all users", "all")], value="all", allow_blank=False,
                         id="user", compact=True)
        with Horizontal(classes="form-row"):
            yield Label("Window", classes="lbl")
            yield Select([(t, str(s)) for t, s in WINDOWS] + [("custom", "custom")],
                         value=str(hours.DAY), allow_blank=False, id="window", compact=True)
            yield Label("Batch", classes="lbl")
            yield TextBox(placeholder="500", id="batch", restrict=r"[0-9]*", compact=True)
        with Horizontal(classes="form-row"):
            yield Label("Start", classes="lbl")
            yield TextBox(id="start", placeholder="epoch, ISO UTC or 24h", compact=True)
            yield Label("End", classes="lbl")
            yield TextBox(id="end", placeholder="epoch, ISO UTC or now", compact=True)
        yield Toggle("Split into hour-aligned chunks of 24 h (k)", id="chunks", compact=True)
        yield Static("", id="command")
        yield Static("", id="preflight")
        with Horizontal(id="launch-buttons"):
            yield Button("Pre-flight (p)", id="btn-preflight", compact=True)
            yield Button("Launch (L)", id="btn-launch", variant="error", compact=True)
            yield Button("Delete guard row (d)", id="btn-guard", variant="warning", compact=True)

    def on_mount(self) -> None:
        self.query_one("#btn-guard", Button).display = False
        self.set_window(hours.DAY)

    # -- the request -----------------------------------------------------------------------------

    def set_window(self, seconds: int) -> None:
        start, end = last_hours(seconds)
        self.query_one("#start", Input).value = str(start)
        self.query_one("#end", Input).value = str(end)
        self.chunk = seconds > hours.DAY
        self.query_one("#chunks", Checkbox).value = self.chunk

    def set_span(self, start: int, end: int) -> None:
        """A custom window."""
        self.query_one("#window", Select).value = "custom"
        self.query_one("#start", Input).value = str(start)
        self.query_one("#end", Input).value = str(end)

    def toggle_chunks(self) -> None:
        box = self.query_one("#chunks", Checkbox)
        box.value = not box.value

    def kind(self) -> str:
        return str(self.query_one("#kind", Select).value)

    def request(self) -> JobRequest:
        """The form as a request; RequestError names the field and the fix."""
        start = parse_time(self.query_one("#start", Input).value, "Start")
        end = parse_time(self.query_one("#end", Input).value, "End")
        user = self.query_one("#user", Select).value
        batch_text = self.query_one("#batch", Input).value.strip()
        kind = self.kind()
        batch = None
        if kind == "backfill" and batch_text:
            batch = int(batch_text)
        return JobRequest(kind, start, end, None if user in ("all", Select.BLANK) else int(str(user)),
                          batch, hours.DAY if self.chunk else None)

    def changed(self, profile: Profile) -> JobRequest | None:
        """After any change: no pre-flight any more; the command line for the new request."""
        self.query_one("#btn-guard", Button).display = False
        self.query_one("#batch", Input).disabled = self.kind() != "backfill"
        req = self.show_command(profile)
        self.unchecked(req is not None)
        return req

    def unchecked(self, parses: bool) -> None:
        """The panel never says "ready" for a form it has not checked (or that does not parse)."""
        self.query_one("#preflight", Static).update(Text(
            "Pre-flight: not run for this form yet (p checks it; L checks it, then asks)"
            if parses else "Pre-flight: ✖ cannot launch: the form has an error (above)"))

    def show_command(self, profile: Profile) -> JobRequest | None:
        """The command line the request runs, or what is wrong with the form (None then)."""
        out = self.query_one("#command", Static)
        try:
            req = self.request()
        except (RequestError, ValueError) as e:
            self.error = str(e)
            out.update(Text(f"✖ {e}", style="bold"))
            return None
        self.error = ""
        cmds = build_commands(profile, req)
        head = f"Command ({len(cmds)} runs, one after another):" if len(cmds) > 1 else "Command:"
        shown = [c.display for c in cmds[:3]] + ([f"… {len(cmds) - 3} more"] if len(cmds) > 3
                                                 else [])
        window = f"{clock.iso(req.start)} .. {clock.iso(req.end)}"
        out.update(Text(f"{head}  window {window}\n" + "\n".join(f"$ {c}" for c in shown)))
        return req

    @work(thread=True, exclusive=True, group="jobs-users", name="load users")
    def load_users(self, profile: Profile) -> None:
        """The users a job may be limited to; the demo opens on its own user."""
        try:
            db = Database.from_profile(profile)
        except DbError as e:
            self.post_message(UsersFailed(str(e)))
            return
        try:
            found = preflight.users(db)
        except DbError as e:
            self.post_message(UsersFailed(str(e)))
            return
        finally:
            db.close()
        self.post_message(UsersLoaded(found, 1 if profile.name == "demo" else None))

    @on(UsersLoaded)
    def _set_users(self, message: UsersLoaded) -> None:
        found, preferred = message.users, message.preferred
        sel = self.query_one("#user", Select)
        sel.set_options([("all users", "all")] + [(f"{u} {n}", str(u)) for u, n in found])
        if preferred is not None and any(u == preferred for u, _ in found):
            sel.value = str(preferred)
        else:
            sel.value = "all"

    # -- the pre-flight --------------------------------------------------------------------------

    def checking(self) -> None:
        self.query_one("#preflight", Static).update(Text("Pre-flight: checking…"))

    def show_preflight(self, pf: preflight.Preflight, read_only: bool) -> None:
        marks = {level: (mark, style) for level, mark, style in SYMBOL}
        head = "Pre-flight: ✔ ready to launch (L)" if pf.ok and not read_only else \
            "Pre-flight: ✖ cannot launch as it is"
        text = Text(head + "\n", style="bold")
        for f in pf.findings:
            mark, style = marks[f.level]
            text.append(f"{mark} {f.text}\n", style=style)
        self.query_one("#preflight", Static).update(text)
        self.query_one("#btn-launch", Button).disabled = read_only
        self.query_one("#btn-guard", Button).display = bool(pf.guard_hours) and not read_only
