"""What every console screen shares: the shell header and footer around its body, the profile,
redaction with the profile's secrets, and stopping its work when the console quits.

Workers report back by posting typed `Message`s to their screen (`post_message` is thread-safe);
each screen package defines its messages next to the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from attribtui.infra.config import Profile
from attribtui.infra.redact import redact_text
from screens.app import ConsoleApp
from screens.components.header import ShellHeader
from screens.textual_private import FooterKey, set_key_enabled, styled_now

if TYPE_CHECKING:  # first paint: SQLAlchemy loads in the workers that use it
    from attribtui.infra.db import Database


def describe_error(error: Exception, known: tuple[type[Exception], ...], profile: Profile, *,
                   first_line: bool = False) -> str:
    """One error for the operator, redacted: the message of an error we raise ourselves, with the
    type otherwise (an unexpected error's message alone rarely says what failed)."""
    text = str(error) if isinstance(error, known) else f"{type(error).__name__}: {error}"
    if first_line and text:
        text = text.splitlines()[0]
    return redact_text(text, profile.secrets())


# A screen's own Quit (the rollback's says how to resume first) stays in view like the app's.
ALWAYS_SHOWN = frozenset({"Help", "Quit"})


# A footer key as shown: key, action, description, key_display, enabled, tooltip.
Shown = tuple[tuple[str, str, str, str | None, bool, str], ...]


def _undimmed(keys: Shown) -> tuple[object, ...]:
    """The keys shown, whether enabled left out."""
    return tuple((k[0], k[1], k[2], k[3], k[5]) for k in keys)


def _key_width(key: FooterKey) -> int:
    """Cells a footer key takes: " k " then "description " (Textual's non-compact padding)."""
    return cell_len(key.key_display) + 2 + (cell_len(key.description) + 1 if key.description else 0)


class ShellFooter(Footer):
    """Textual's footer, except that the shell's own keys (Help, Quit) never fall off its right
    edge: when the keys do not fit, the screen's last ones go first (help, F1, lists them all);
    and that it is rebuilt only when the keys it shows change.

    Textual rebuilds the footer (every key a new widget, styled anew) whenever any binding may
    have changed: every reactive declared with bindings=True, every focus move. While checks
    stream in or a job starts, that was most of the frame for nothing.
    """

    _shown: Shown | None = None  # the keys of the last (or the due) rebuild
    _width = 0  # the console's width then

    def bindings_changed(self, screen: Screen[object]) -> None:
        shown = self._keys_shown(screen)
        if self._shown is not None and shown == self._shown:
            return
        if self._shown is not None and _undimmed(shown) == _undimmed(self._shown):
            self._shown = shown  # the same keys, some dimmed or undimmed: done in place
            enabled = {(k[0], k[1]): k[4] for k in shown}
            for key in self.query(FooterKey):
                if (key.key, key.action) in enabled:
                    set_key_enabled(key, enabled[(key.key, key.action)])
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown  # a rebuild is due: the next signal with these keys needs none
        super().bindings_changed(screen)

    def _keys_shown(self, screen: Screen[object]) -> Shown:
        palette = screen.app.COMMAND_PALETTE_BINDING
        return tuple((key, b.action, b.description, b.key_display, enabled, tooltip)
                     for key, (_node, b, enabled, tooltip) in screen.active_bindings.items()
                     if b.show or key == palette)

    def compose(self) -> ComposeResult:
        self._shown = self._keys_shown(self.screen) if self._bindings_ready else None
        self._width = self.app.size.width
        widgets = list(super().compose())
        shell = {a.binding.action for a in self.screen.active_bindings.values()
                 if a.node is self.app}
        keys = [w for w in widgets if isinstance(w, FooterKey)]
        palette = [k for k in keys if k.has_class("-command-palette")]  # docked right
        keys = [k for k in keys if k not in palette]
        for key in keys:
            # A new key starts compact (FooterKey's default) until its binding to the footer's
            # value arrives: each key was restyled twice as it mounted. It starts as it ends.
            # (Textual binds no value to the palette's key: it stays as it is.)
            key.set_reactive(FooterKey.compact, self.compact)
        room = self.app.size.width - sum(_key_width(k) + 2 for k in palette)
        used = sum(_key_width(k) for k in keys)
        for key in reversed(keys):
            if used <= room:
                break
            if key.action not in shell and key.description not in ALWAYS_SHOWN:
                widgets.remove(key)
                used -= _key_width(key)
        yield from widgets

    def on_resize(self) -> None:
        if self.app.size.width != self._width:  # which keys fit changed
            self.refresh(recompose=True)


class ConsoleScreen(Screen[None]):
    """A screen of the console: `compose_body()` goes between the header and the footer."""

    SCREEN_TITLE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        styled_now(self)  # styled with the sheets read so far (app.py _read_stylesheets)

    @property
    def console(self) -> ConsoleApp:
        app = self.app
        if not isinstance(app, ConsoleApp):
            raise TypeError(f"{type(self).__name__} runs inside the console app only")
        return app

    @property
    def profile(self) -> Profile:
        return self.console.profile

    def redact(self, text: str) -> str:
        return redact_text(text, self.profile.secrets())

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.profile, self.console.db_label)
        yield from self.compose_body()
        yield ShellFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    # -- stopping work ---------------------------------------------------------------------------

    def cancel_work(self) -> None:
        """Stop what this screen runs; the shell calls it on every screen when it quits."""

    def kill_query(self, db: Database) -> None:
        """Kill db's running query from another thread (the query's own thread is blocked)."""
        self.run_worker(db.cancel, thread=True, group="cancel", name="cancel query",
                        exit_on_error=False)
