"""The console shell: header, screens by number key and palette, help, quit confirmation.

`run_console(profile)` is what `attribtui` (no command) calls. Screens register themselves (see
screens/registry.py); the shell never names them. All blocking I/O runs in thread workers, which
report back with the messages below.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerFailed

from attribtui.infra.config import ConfigError, Profile, load_profile
from attribtui.infra.redact import describe_db_url, redact_text, redact_urls_in
from attribtui.services import status as status_mod
from attribtui.services.profiles import describe_profiles
from attribtui.services.status import HeaderStatus, StatusProvider
from screens.components.briefing import BriefingScreen
from screens.components.confirm import ConfirmScreen
from screens.components.header import ShellHeader
from screens.components.help import HelpScreen
from screens.components.palette import ShellCommands
from screens.components.prepare import PrepareProgress, PrepareScreen
from screens.components.switcher import ScreenSwitcher
from screens.components.toosmall import TooSmallScreen, too_small
from screens.registry import ScreenSpec, discover
from screens.textual_private import GuardedApp

if TYPE_CHECKING:  # first paint: the services load in a worker after it
    from attribtui.services.rollback import Walkthrough

Progress = Callable[[str, float], None]
Prepare = Callable[[Progress], str | None]  # returns a briefing to show, or None

# Worker groups that are the shell's own housekeeping, not work the operator started.
# The fleet's background refresh only reads: it never holds a quit or a profile switch.
_HOUSEKEEPING = frozenset({"status", "cancel", "startup", "fleet"})
IDLE_TRIM_S = 7.0
QUIT_KILL_WAIT_S = 10.0  # at most this long for the running queries to be killed on quit
SCREENS_DIR = Path(__file__).parent
REST_AFTER_S = 1.5  # the other screens load at the latest this long after the first is up
SWITCHING = "_switching"  # a blank mode shown while the screens are made anew for a profile
START_SCREEN = "health"  # the key-1 screen, where the console opens unless told otherwise


def _db_label(profile: Profile) -> str:
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


@runtime_checkable
class CancelsWork(Protocol):
    """A screen with work to stop when the console quits (see screens/base.py)."""

    def cancel_work(self) -> None: ...


@runtime_checkable
class FollowsProfile(Protocol):
    """A screen about every profile (Fleet), told when the console switches profile."""

    def profile_switched(self) -> None: ...


@dataclass
class ScreensFound(Message, bubble=False):
    specs: list[ScreenSpec]


@dataclass
class Prepared(Message, bubble=False):
    error: str | None
    briefing: str | None = None


@dataclass
class StatusProbed(Message, bubble=False):
    status: HeaderStatus
    provider: StatusProvider  # who probed: an answer about the profile before a switch is dropped


@dataclass
class ReportWritten(Message, bubble=False):
    path: Path
    text: str


def stylesheets(names: list[str]) -> list[Path]:
    """The stylesheets of these screens: screens/<name>.tcss, where one exists."""
    return [p for p in (SCREENS_DIR / f"{name}.tcss" for name in names) if p.is_file()]


class ConsoleApp(GuardedApp):
    TITLE = "attribtui"
    COMMANDS = GuardedApp.COMMANDS | {ShellCommands}
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help"),
        Binding("ctrl+r", "incident_report", "Incident report", show=False),
        Binding("ctrl+g", "go_to", "Go to screen", show=False),  # shown where digits are typed
        Binding("q", "quit", "Quit"),
    ]

    status: reactive[HeaderStatus] = reactive(status_mod.pending, always_update=True)

    profile: Profile
    db_label: str  # the header's DB line; tests pin it (their database names change per run)
    start: Start
    status_provider: StatusProvider
    status_interval: float
    prepare: Prepare | None
    ready: bool  # False while the start-up preparation runs
    screen_specs: list[ScreenSpec]
    active_rollback: Walkthrough | None  # the rollback screen's walkthrough: ctrl+r reports on it

    def __init__(
        self,
        profile: Profile,
        *,
        status_provider: StatusProvider | None = None,
        status_interval: float = 5.0,
        prepare: Prepare | None = None,
        screens: list[ScreenSpec] | None = None,
        start: Start | None = None,
    ) -> None:
        self.start = start or Start()
        first = [s.name for s in screens] if screens is not None else [
            self.start.screen or START_SCREEN]
        # The shell's stylesheet and the first screen's; each other screen's own, <name>.tcss, is
        # read as the screen joins the console (_read_stylesheets).
        sheets: list[str | PurePath] = [*stylesheets(["app", *first])]
        super().__init__(css_path=sheets)
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
        self._when_ready: list[Callable[[], object]] = []
        self.screen_specs = []
        self._given_specs = screens
        self._too_small: TooSmallScreen | None = None
        self._mounted = False  # resize events before the first screen is up are ignored
        self._rest_pending = False  # the first screen is up, the others are not loaded yet
        self.active_rollback = None

    # -- start-up --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Shown only while the screens load in a worker (a start screen that is no module)."""
        yield ShellHeader(self.profile, self.db_label)
        yield Static("Loading…", id="loading")

    async def on_mount(self) -> None:
        if self._given_specs is not None:
            await self._install_screens(self._given_specs)
            return
        # The screen the console opens on is imported here, alone (its modules stay light:
        # tests/unit/test_layers.py), so it paints with the header; the others load after it
        # has shown its findings. All at once, in a worker, when the name is not a module's.
        first = discover(only=self.start.screen or START_SCREEN)
        if not first:
            self._discover_rest()
            return
        await self._install_screens(first, poll=False)
        self._rest_pending = True
        self.set_timer(REST_AFTER_S, self.first_content_shown)

    @work(thread=True, group="startup", name="load screens")
    def _discover_rest(self) -> None:
        """The other screens: their core imports (SQLAlchemy, httpx, ...) are the slow part."""
        have = {spec.name for spec in self.screen_specs}
        self.post_message(ScreensFound([s for s in discover() if s.name not in have]))

    @on(ScreensFound)
    async def _screens_found(self, message: ScreensFound) -> None:
        if self._mounted:
            self._add_screens(message.specs)
            if self.prepare is None:
                self._started()
            return
        await self._install_screens(message.specs)

    def first_content_shown(self) -> None:
        """The first screen has its findings on screen (or REST_AFTER_S passed): load the others
        now. Before, their imports would compete with the first screen's own work."""
        if self._rest_pending:
            self._rest_pending = False
            self._discover_rest()

    def _add_screens(self, specs: list[ScreenSpec]) -> None:
        self._read_stylesheets(specs)
        for spec in specs:
            self.add_mode(spec.name, spec.factory)
            self.bind(spec.key, f"show('{spec.name}')", description=spec.title, show=False)
        self.screen_specs = sorted([*self.screen_specs, *specs], key=lambda s: s.key)
        self.refresh_bindings()

    def _read_stylesheets(self, specs: list[ScreenSpec]) -> None:
        """The screens' own stylesheets, parsed once, when the screens join (the first screen's
        at start, the others with their screens). Parsing them all at start took ~30 ms of the
        first paint. A sheet's rules name its screen's own ids (tests/unit/test_stylesheets.py),
        so the widgets already styled need no restyle. Reading them through a screen's CSS_PATH
        instead would have Textual re-parse every source (all widgets' DEFAULT_CSS too)."""
        new = [p for p in stylesheets([s.name for s in specs])
               if not self.stylesheet.has_source(str(p))]
        for path in new:
            self.stylesheet.read(path)
        if new:
            self.stylesheet.parse()  # the new sheets alone: the others' rules are cached

    async def _install_screens(self, specs: list[ScreenSpec], *, poll: bool = True) -> None:
        """Open the first screen; the header's probes start now unless poll is False (the other
        screens are still loading: the probes wait for them, not to slow the first paint)."""
        self._add_screens(specs)
        if specs:
            names = [spec.name for spec in specs]
            await self.switch_mode(self.start.screen if self.start.screen in names else names[0])
        self._mounted = True
        if self.prepare is not None:
            # Once the first screen is on the terminal: pushed in the same batch, the dialog was
            # the first frame alone (its background not drawn yet) until the preparation ended.
            self.after_first_paint(self._begin_prepare)
        elif poll:
            self._started()
        self._check_size()

    def _begin_prepare(self) -> None:
        if self.prepare is not None:
            screen = PrepareScreen()
            self.push_screen(screen)
            self._run_prepare(self.prepare, screen)

    def when_ready(self, callback: Callable[[], object]) -> None:
        """Run callback now, or once the start-up preparation has finished."""
        if self.ready:
            callback()
        else:
            self._when_ready.append(callback)

    @work(thread=True, exclusive=True, group="prepare", name="prepare")
    def _run_prepare(self, prepare: Prepare, screen: PrepareScreen) -> None:
        def progress(stage: str, fraction: float) -> None:
            screen.post_message(PrepareProgress(stage, fraction))

        error, briefing = None, None
        try:
            briefing = prepare(progress)
        except Exception as e:  # shown, never a traceback
            from attribtui.infra.db import DbError  # first paint: SQLAlchemy loads after it

            error = redact_text(f"{type(e).__name__}: {e}" if not isinstance(e, DbError)
                                else str(e), self.profile.secrets())
        self.post_message(Prepared(error, briefing))

    @on(Prepared)
    def _prepared(self, message: Prepared) -> None:
        if isinstance(self.screen, PrepareScreen):
            self.pop_screen()
        if message.error:
            self.notify(f"Preparation failed: {message.error}", severity="error", timeout=30)
        elif message.briefing:
            self.push_screen(BriefingScreen(message.briefing))
        self.ready = True
        callbacks, self._when_ready = self._when_ready, []
        for cb in callbacks:
            cb()
        self._started()

    # -- live status -----------------------------------------------------------------------------

    def _started(self) -> None:
        """Start-up is over: freeze what it made, and start polling the status.

        The collector's full passes walk every object the console holds (modules, screens:
        about 100k), 50-100 ms each on a busy bastion and several a second while a job floods
        the log; that was the worst key latency. Frozen, they walk only what came after.
        """
        gc.freeze()
        self._start_polling()

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
        provider = self.status_provider
        try:
            result = provider()
        except Exception as e:  # a bug in a probe must not take the console down
            self.log.error(f"status probe failed: {e!r}")
            return
        self.post_message(StatusProbed(result, provider))

    @on(StatusProbed)
    def _status_probed(self, message: StatusProbed) -> None:
        if message.provider is self.status_provider:
            self.status = message.status

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

    def action_go_to(self) -> None:
        """ctrl+g: a screen by its number, from any screen, even where digits are typed."""
        if self._too_small is None and not isinstance(self.screen, ModalScreen):
            self.push_screen(ScreenSwitcher(self.screen_specs, self.current_mode),
                             lambda name: self.action_show(name) if name else None)

    async def run_screen_command(self, name: str, action: str) -> None:
        await self.switch_mode(name)
        await self.screen.run_action(action)

    def action_incident_report(self) -> None:
        """ctrl+r from any screen: the last 24 h, or the active rollback walkthrough."""
        self.notify("Writing the incident report…", timeout=3)
        self._write_report()

    @work(thread=True, group="report", name="incident report", exit_on_error=False)
    def _write_report(self) -> None:
        # first paint: the services (SQLAlchemy) load on first use
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
            md, _ = report.write(doc, self.profile)
            text = md.read_text()
        except (DbError, OSError) as e:
            self.notify(f"Report failed: {e}", severity="error", timeout=15)
            return
        finally:
            if db is not None:
                db.close()
        self.post_message(ReportWritten(md, text))

    @on(ReportWritten)
    def _report_written(self, message: ReportWritten) -> None:
        self.copy_to_clipboard(message.text)
        self.notify(f"Report written to {message.path} (also copied via OSC 52)",
                    title="Incident report", timeout=20)

    # -- crashes (screens/textual_private.py calls these) ----------------------------------------

    def worker_failed(self, error: BaseException) -> None:
        """One line, and the console keeps running."""
        self.log.error(f"worker failed: {error!r}")
        self.notify(self.redact_crash(f"Internal error ({type(error).__name__}): {error}. "
                                      "The console keeps running; please report it."),
                    severity="error", timeout=20)

    def redact_crash(self, text: str) -> str:
        return redact_text(redact_urls_in(text), self.profile.secrets())

    def _trim_when_idle(self) -> None:
        """Give freed memory back while nothing runs (the console idles for hours)."""
        if not self.running_work():
            from attribtui.infra.memory import trim  # first paint: loaded on the first idle tick

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

    # -- switching profile -----------------------------------------------------------------------

    def profile_choices(self) -> list[tuple[str, str]]:
        """(name, environment) of the other profiles of the console's config file, for the
        palette; none when the profile came from no file (the demo, ATTRIBTUI_DB_URL)."""
        path = self.profile.config_path
        if path is None:
            return []
        try:
            infos = describe_profiles(path)
        except ConfigError:
            return []
        return [(i.name, "cannot load" if i.error else i.environment) for i in infos
                if i.name != self.profile.name]

    def switch_profile(self, name: str) -> None:
        """Act on another profile from now on: every screen about one profile is made anew for
        it, the header (name, production badge, read-only) and the probes follow. Running work
        is cancelled, after a confirmation that says so."""
        if name == self.profile.name:
            self.notify(f"The console is on profile {name} already.", timeout=4)
            return
        try:
            profile = load_profile(name, config_path=self.profile.config_path)
        except ConfigError as e:
            self.notify(redact_text(str(e), self.profile.secrets()),
                        title=f"Profile {name} cannot be opened",
                        severity="error", timeout=15)
            return
        work_ = self.running_work()
        if not work_:
            self.run_worker(self._switch_to(profile), group="switch", exclusive=True)
            return
        names = ", ".join(sorted({w.name or w.group for w in work_}))
        body = (f"Still running on {self.profile.name}: {names}.\nSwitching cancels it (the "
                f"running query is killed). Then: profile {profile.name} "
                f"({profile.display_env}).")

        def answer(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._switch_to(profile), group="switch", exclusive=True)

        self.push_screen(ConfirmScreen(f"Switch to profile {profile.name}?", body,
                                       yes="Switch", no="Stay"), answer)

    async def _switch_to(self, profile: Profile) -> None:
        self._cancel_screens(lambda spec: spec.per_profile)
        self.profile, self.db_label = profile, _db_label(profile)
        self.active_rollback = None
        if self._owned_prober is not None:
            self._owned_prober.close()
            self._owned_prober = status_mod.StatusProber(profile)
            self.status_provider = self._owned_prober
        self.status = status_mod.pending()
        # Screens about one profile are made anew; the current one cannot be removed while shown.
        self.add_mode(SWITCHING, Screen)
        await self.switch_mode(SWITCHING)
        for spec in self.screen_specs:
            if spec.per_profile:
                await self.remove_mode(spec.name)
                self.add_mode(spec.name, spec.factory)
            else:
                for screen in self._stack_of(spec.name):
                    for header in screen.query(ShellHeader):
                        await header.retarget(profile, self.db_label)
                    if isinstance(screen, FollowsProfile):
                        screen.profile_switched()
        names = [s.name for s in self.screen_specs]
        await self.switch_mode(START_SCREEN if START_SCREEN in names else names[0])
        await self.remove_mode(SWITCHING)
        self._probe_status()  # the old profile's probe, if still out, is dropped when it answers
        self.notify(f"Now on profile {profile.name} ({profile.display_env})"
                    + (", read-only" if profile.read_only else "") + ".", title="Profile")

    def _stack_of(self, name: str) -> list[Screen[Any]]:
        try:
            return list(self.get_screen_stack(name))
        except KeyError:  # a screen never opened has nothing to stop or retarget
            return []

    def _cancel_screens(self, which: Callable[[ScreenSpec], bool]) -> None:
        for spec in self.screen_specs:
            if which(spec):
                for screen in self._stack_of(spec.name):
                    if isinstance(screen, CancelsWork):
                        screen.cancel_work()

    # -- quitting --------------------------------------------------------------------------------

    def running_work(self) -> list[Worker[Any]]:
        return [w for w in self.workers if w.is_running and w.group not in _HOUSEKEEPING]

    async def action_quit(self) -> None:
        if isinstance(self.screen, ConfirmScreen):
            return  # already asking: only an explicit answer quits
        work_ = self.running_work()
        if not work_:
            await self._quit_now()
            return
        names = ", ".join(sorted({w.name or w.group for w in work_}))
        body = (f"Still running: {names}.\nQuitting cancels it (the running query is killed). "
                f"Profile {self.profile.name} ({self.profile.display_env}).")

        async def answer(yes: bool | None) -> None:
            if yes:
                await self._quit_now()

        await self.push_screen(ConfirmScreen("Quit attribtui?", body, yes="Quit", no="Stay"),
                               answer)

    async def _quit_now(self) -> None:
        self._cancel_screens(lambda spec: True)
        # The running queries are killed from "cancel" workers: let them reach the server first.
        kills = [w for w in self.workers if w.group == "cancel" and w.is_running]
        if kills:
            with contextlib.suppress(TimeoutError, WorkerFailed):  # the kill's own error is moot
                await asyncio.wait_for(self.workers.wait_for_complete(kills), QUIT_KILL_WAIT_S)
        self.exit(0)

    def on_unmount(self) -> None:
        gc.unfreeze()  # what the console made may be collected again (tests run many consoles)
        if self._owned_prober is not None:
            self._owned_prober.close()


def run_console(profile: Profile | None, *, prepare: Prepare | None = None,
                config_error: str | None = None, start: Start | None = None) -> int:
    """Open the console; returns the exit code.

    profile None: the "how to configure" screen. config_error: a one-line error screen (exit 3).
    prepare(progress) runs in a thread worker after the first paint (the demo seeds there);
    the health checks start when it returns. start names the screen to open on.
    """
    if config_error is not None:
        from screens.noconfig import config_error_app  # only this notice is needed then

        return int(config_error_app(config_error).run() or 0)
    if profile is None:
        from screens.noconfig import no_config_app  # only this notice is needed then

        return int(no_config_app().run() or 0)
    app = ConsoleApp(profile, prepare=prepare, start=start)
    return int(app.run() or 0)
