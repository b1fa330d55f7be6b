"""The console shell: header, screens by number key and palette, help, quit confirmation.

`run_console(profile)` is what `attribtui` (no command) calls. Screens register themselves (see
screens/registry.py); the shell never names them. All blocking I/O runs in thread workers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.worker import Worker

from attribtui.infra.redact import describe_db_url, redact_text
from attribtui.services import status as status_mod
from attribtui.services.status import Status, StatusProvider
from screens.confirm import ConfirmScreen
from screens.help import HelpScreen
from screens.palette import ShellCommands
from screens.prepare import PrepareScreen
from screens.registry import ScreenSpec, discover
from screens.toosmall import TooSmallScreen, too_small

if TYPE_CHECKING:  # first paint: the services load in a worker after it
    from attribtui.services.rollback import Walkthrough

Progress = Callable[[str, float], None]
Prepare = Callable[[Progress], None]

# Worker groups that are the shell's own housekeeping, not work the operator started.
_HOUSEKEEPING = frozenset({"status", "cancel", "startup"})
IDLE_TRIM_S = 7.0


def _db_label(profile: Any) -> str:
    if not profile.db.url:
        return "no database configured"
    try:
        return describe_db_url(profile.db.url)
    except Exception:  # a malformed URL: the health screen explains it
        return "db.url is not a valid URL"


@dataclass(frozen=True)
class Start:
    """Where the console opens: a screen by name, and the walkthrough the rollback screen resumes
    (`attribtui rollback --resume ID`)."""

    screen: str | None = None
    rollback_id: str | None = None


class ConsoleApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "attribtui"
    COMMANDS = App.COMMANDS | {ShellCommands}
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help"),
        Binding("ctrl+r", "incident_report", "Incident report", show=False),
        Binding("q", "quit", "Quit"),
    ]

    status: reactive[Status] = reactive(status_mod.pending, always_update=True)

    def __init__(
        self,
        profile: Any,
        *,
        status_provider: StatusProvider | None = None,
        status_interval: float = 5.0,
        prepare: Prepare | None = None,
        screens: list[ScreenSpec] | None = None,
        start: Start | None = None,
    ) -> None:
        super().__init__()
        self.start = start or Start()
        self.profile = profile
        self.db_label = _db_label(profile)
        self._owned_prober: status_mod.StatusProber | None = None
        if status_provider is None:
            self._owned_prober = status_mod.StatusProber(profile)
            status_provider = self._owned_prober
        self.status_provider = status_provider
        self.status_interval = status_interval
        self.prepare = prepare
        self.ready = prepare is None
        self._when_ready: list[Callable[[], Any]] = []
        self.screen_specs: list[ScreenSpec] = []
        self._given_specs = screens
        self._too_small: TooSmallScreen | None = None
        self._mounted = False  # resize events before the first screen is up are ignored
        # The walkthrough the rollback screen shows: ctrl+r reports on it.
        self.active_rollback: Walkthrough | None = None

    # -- start-up --------------------------------------------------------------------------------

    def compose(self) -> Any:
        """Painted first, while the screens (and SQLAlchemy, httpx...) load in a worker."""
        from textual.widgets import Static

        from screens.header import ShellHeader

        yield ShellHeader()
        yield Static("Loading…", id="loading")

    async def on_mount(self) -> None:
        if self._given_specs is not None:
            await self._install_screens(self._given_specs)
        else:
            self._discover_screens()

    @work(thread=True, group="startup", name="load screens")
    def _discover_screens(self) -> None:
        """Import the screen modules off the event loop: their core imports are the slow part."""
        specs = discover()
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.call_from_thread(self._install_screens, specs)

    async def _install_screens(self, specs: list[ScreenSpec]) -> None:
        self.screen_specs = specs
        for spec in specs:
            self.add_mode(spec.name, spec.factory)
            self.bind(spec.key, f"show('{spec.name}')", description=spec.title, show=False)
        if specs:
            names = [spec.name for spec in specs]
            await self.switch_mode(self.start.screen if self.start.screen in names else names[0])
        self._mounted = True
        if self.prepare is not None:
            self.push_screen(PrepareScreen())
            self._run_prepare(self.prepare)
        else:
            self._start_polling()
        self._check_size()

    def when_ready(self, callback: Callable[[], Any]) -> None:
        """Run callback now, or once the start-up preparation has finished."""
        if self.ready:
            callback()
        else:
            self._when_ready.append(callback)

    @work(thread=True, exclusive=True, group="prepare", name="prepare")
    def _run_prepare(self, prepare: Prepare) -> None:
        def progress(stage: str, fraction: float) -> None:
            self.call_from_thread(self._prepare_progress, stage, fraction)

        error = None
        try:
            prepare(progress)
        except Exception as e:  # shown, never a traceback
            from attribtui.infra.db import DbError

            error = redact_text(f"{type(e).__name__}: {e}" if not isinstance(e, DbError)
                                else str(e), self.profile.secrets())
        self.call_from_thread(self._prepared, error)

    def _prepare_progress(self, stage: str, fraction: float) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, PrepareScreen):
                screen.show(stage, fraction)

    def _prepared(self, error: str | None) -> None:
        if isinstance(self.screen, PrepareScreen):
            self.pop_screen()
        if error:
            self.notify(f"Preparation failed: {error}", severity="error", timeout=30)
        self.ready = True
        callbacks, self._when_ready = self._when_ready, []
        for cb in callbacks:
            cb()
        self._start_polling()

    # -- live status -----------------------------------------------------------------------------

    def _start_polling(self) -> None:
        self.poll_status()
        self.set_interval(self.status_interval, self.poll_status, name="status poll")
        self.set_interval(IDLE_TRIM_S, self._trim_when_idle, name="memory trim")

    def poll_status(self) -> None:
        if any(w.group == "status" and w.is_running for w in self.workers):
            return  # the previous probe is still waiting on a slow backend
        self._probe_status()

    @work(thread=True, group="status", name="status probe", exit_on_error=False)
    def _probe_status(self) -> None:
        try:
            result = self.status_provider()
        except Exception as e:  # a bug in a probe must not take the console down
            self.log.error(f"status probe failed: {e!r}")
            return
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.call_from_thread(setattr, self, "status", result)

    def action_status_details(self) -> None:
        st = self.status
        lines = [f"{c.name}: {c.detail or c.text}" for c in st.components]
        if st.replica_lag_s is not None:
            lines.append(f"replica lag: {st.replica_lag_s:.0f} s")
        if st.clock_skew_s is not None:
            lines.append(f"clock skew (DB minus local): {st.clock_skew_s:+.1f} s")
        lines += st.warnings
        self.notify(redact_text("\n".join(lines), self.profile.secrets()), title="Backends",
                    timeout=15)

    # -- screens, help, palette ------------------------------------------------------------------

    def action_show(self, name: str) -> None:
        if self._too_small is None:
            self.switch_mode(name)

    async def run_screen_command(self, name: str, action: str) -> None:
        await self.switch_mode(name)
        await self.screen.run_action(action)

    def action_incident_report(self) -> None:
        """ctrl+r from any screen (DESIGN): the last 24 h, or the active rollback walkthrough."""
        self.notify("Writing the incident report…", timeout=3)
        self._write_report()

    @work(thread=True, group="report", name="incident report", exit_on_error=False)
    def _write_report(self) -> None:
        from attribtui.infra import clock
        from attribtui.infra.db import Database, DbError
        from attribtui.services import report

        walkthrough = self.active_rollback
        now = clock.now()
        since = walkthrough.started_at if walkthrough else now - 86400
        db = None
        try:
            db = Database.from_profile(self.profile) if self.profile.db.url else None
            doc = report.build(self.profile, db, since, now,
                               rollback=walkthrough.to_json() if walkthrough else None)
            md, _ = report.write(doc)
            text = md.read_text()
        except (DbError, OSError) as e:
            self.call_from_thread(self.notify, f"Report failed: {e}", severity="error", timeout=15)
            return
        finally:
            if db is not None:
                db.close()
        self.call_from_thread(self.copy_to_clipboard, text)
        self.call_from_thread(self.notify, f"Report written to {md} (also copied via OSC 52)",
                              title="Incident report", timeout=20)

    # -- crashes ---------------------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """A failed worker is reported in one line and the console keeps running; any other
        crash exits, printing the stack without local values (they may hold a key or a
        password), redacted."""
        from textual.worker import WorkerFailed

        if isinstance(error, WorkerFailed):
            cause = error.error
            self.log.error(f"worker failed: {cause!r}")
            self.notify(self._redact(f"Internal error ({type(cause).__name__}): {cause}. "
                                     "The console keeps running; please report it."),
                        severity="error", timeout=20)
            return
        self._crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        import traceback

        from rich.text import Text

        error = getattr(self, "_crash", None)
        lines = traceback.format_exception(error) if error else [traceback.format_exc()]
        self.bell()
        self._exit_renderables.append(
            Text("attribtui stopped on an internal error (please report it):\n"
                 + self._redact("".join(lines))))
        self._close_messages_no_wait()

    def _redact(self, text: str) -> str:
        from attribtui.infra.redact import redact_urls_in

        return redact_text(redact_urls_in(text), self.profile.secrets())

    def _trim_when_idle(self) -> None:
        """Give freed memory back while nothing runs (the console idles for hours)."""
        if not self.running_work():
            from attribtui.infra.memory import trim

            trim()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen | TooSmallScreen):
            self.push_screen(HelpScreen(self.screen))

    # -- size ------------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size)

    def _check_size(self, size: Size | None = None) -> None:
        if not self._mounted:
            return
        size = size or self.size
        small = too_small(size.width, size.height)
        if small and self._too_small is None:
            self._too_small = TooSmallScreen()
            self.push_screen(self._too_small)
        elif small and self._too_small is not None:
            self._too_small.show_size(size.width, size.height)
        elif not small and self._too_small is not None:
            if self.screen is self._too_small:
                self.pop_screen()
            self._too_small = None

    # -- quitting --------------------------------------------------------------------------------

    def running_work(self) -> list[Worker[Any]]:
        return [w for w in self.workers if w.is_running and w.group not in _HOUSEKEEPING]

    async def action_quit(self) -> None:
        if isinstance(self.screen, ConfirmScreen):
            return  # already asking: only an explicit answer quits
        work_ = self.running_work()
        if not work_:
            self._quit_now()
            return
        names = ", ".join(sorted({w.name or w.group for w in work_}))
        body = (f"Still running: {names}.\nQuitting cancels it (the running query is killed). "
                f"Profile {self.profile.name} ({self.profile.display_env}).")

        def answer(yes: bool | None) -> None:
            if yes:
                self._quit_now()

        await self.push_screen(ConfirmScreen("Quit attribtui?", body, yes="Quit", no="Stay"),
                               answer)

    def _quit_now(self) -> None:
        for name in self._screen_stacks:
            for screen in self._screen_stacks[name]:
                cancel = getattr(screen, "cancel_work", None)
                if callable(cancel):
                    cancel()
        self.exit(0)

    def on_unmount(self) -> None:
        if self._owned_prober is not None:
            self._owned_prober.close()


def run_console(profile: Any | None, *, prepare: Prepare | None = None,
                config_error: str | None = None, start: Start | None = None) -> int:
    """Open the console; returns the exit code.

    profile None: the "how to configure" screen. config_error: a one-line error screen (exit 3).
    prepare(progress) runs in a thread worker after the first paint (the demo seeds there);
    the health checks start when it returns. start names the screen to open on.
    """
    if config_error is not None:
        from screens.noconfig import config_error_app

        return int(config_error_app(config_error).run() or 0)
    if profile is None:
        from screens.noconfig import no_config_app

        return int(no_config_app().run() or 0)
    app = ConsoleApp(profile, prepare=prepare, start=start)
    return int(app.run() or 0)
