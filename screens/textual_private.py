"""Every use of Textual's private API in the console, each with why no public API does it.

Textual is pinned in pyproject.toml to the version these hooks were checked against; on an
upgrade, check each one here first. Nothing else in `screens/` may touch a private Textual name.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual._context import active_app
from textual.app import App
from textual.screen import Screen
from textual.widgets._footer import FooterKey as FooterKey  # ShellFooter (base.py): no public name
from textual.worker import WorkerFailed


def styled_now(screen: Screen[Any]) -> None:
    """A screen made now is styled with the stylesheet as it is now.

    Private: Screen._css_update_count. Textual marks a new screen as never styled (-1), so the
    first time it is shown the app re-parses every stylesheet source from scratch (every widget's
    DEFAULT_CSS, 20-30 ms each time, twice per screen), although nothing changed since the last
    parse: the new nodes are styled as they mount. After a theme change the counter has moved
    and the screens made before it are refreshed as usual. No public API skips it.
    """
    app = active_app.get()
    screen._css_update_count = app._css_update_count


def set_key_enabled(key: FooterKey, enabled: bool) -> None:
    """Dim or undim a footer key in place (ShellFooter: a key only enabled or disabled needs no
    rebuild of the footer).

    Private: FooterKey._disabled, which its click handler reads; Textual sets it only when the
    key is made. The look is the public "-disabled" class.
    """
    key._disabled = not enabled
    key.set_class(not enabled, "-disabled")


class GuardedApp(App[int]):
    """An App whose failed workers are reported instead of ending it, and whose crashes print a
    traceback without local variables, redacted.

    Subclasses implement the public side: `worker_failed(error)` and `redact_crash(text)`.
    """

    _crash: BaseException | None = None
    _after_paint: list[Callable[[], object]] | None = None
    painted = False  # a frame has gone to the terminal
    AFTER_PAINT_MAX_S = 0.5  # the callbacks run by then even when no frame came

    def after_paint(self, callback: Callable[[], object]) -> None:
        """Run callback once the next frame has gone to the terminal.

        Textual's call_after_refresh runs its callbacks after the next refresh even when that
        refresh drew nothing: while the app is still inside its start-up batch update, the first
        screen's content is not on the terminal yet. Work started then (imports in a thread)
        delayed the first frame by 0.2-0.3 s.
        """
        if self._after_paint is None:
            pending: list[Callable[[], object]] = []
            self._after_paint = pending
            self.set_timer(self.AFTER_PAINT_MAX_S, lambda: self._run_after_paint(pending))
        self._after_paint.append(callback)

    def after_first_paint(self, callback: Callable[[], object]) -> None:
        """Run callback now when a frame has gone to the terminal already, else after_paint."""
        if self.painted:
            callback()
        else:
            self.after_paint(callback)

    def _run_after_paint(self, pending: list[Callable[[], object]]) -> None:
        if pending is not self._after_paint:  # run already, by a frame
            return
        self._after_paint = None
        for callback in pending:
            self.call_next(callback)

    # Private: App._display, where a frame goes to the driver (it returns early in a batch).
    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        super()._display(screen, renderable)
        if renderable is not None and not self._batch_count:
            self.painted = True
            if self._after_paint:
                self._run_after_paint(self._after_paint)

    def worker_failed(self, error: BaseException) -> None:
        """A worker raised: say so; the app keeps running."""
        raise NotImplementedError

    def redact_crash(self, text: str) -> str:
        """The crash's traceback as it may be printed."""
        raise NotImplementedError

    # Private: App._handle_exception. Every unhandled exception (a handler's, a worker's) ends up
    # here and nowhere public; Textual then exits. A failed worker must not end the console.
    def _handle_exception(self, error: Exception) -> None:
        if isinstance(error, WorkerFailed):
            self.worker_failed(error.error)
            return
        self._crash = error
        super()._handle_exception(error)

    # Private: App._fatal_error. Textual prints the traceback with its local values, which may
    # hold a key or a password, and no setting turns that off. Replaced by a traceback without
    # locals, redacted, shown through the public App.panic.
    def _fatal_error(self) -> None:
        error = self._crash
        lines = traceback.format_exception(error) if error else [traceback.format_exc()]
        self.bell()
        self.panic(Text("attribtui stopped on an internal error (please report it):\n"
                        + self.redact_crash("".join(lines))))
