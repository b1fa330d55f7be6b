"""The command palette provider: every registered screen and its commands, plus shell actions."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ShellCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app: Any = self.app
        out: list[tuple[str, str, Callable[[], Any]]] = []
        for spec in app.screen_specs:
            out.append((f"Go to {spec.title}", f"key {spec.key}. {spec.help}",
                        partial(app.action_show, spec.name)))
            for cmd in spec.commands:
                out.append((cmd.title, f"{spec.title}: {cmd.help}",
                            partial(app.run_screen_command, spec.name, cmd.action)))
        out.append(("Backend status details", "DB, API and memcached status in full",
                    app.action_status_details))
        out.append(("Help: keys", "Every key of this screen (F1 or ?)", app.action_help))
        return out

    async def discover(self) -> Hits:
        for title, help_text, run in self._commands():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, run in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, text=title, help=help_text)
