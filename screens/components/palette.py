"""The command palette: every registered screen and its commands, plus shell actions."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.types import IgnoreReturnCallbackType

from screens.registry import ScreenSpec


class PaletteHost(Protocol):
    """What the palette needs from the console app (the app imports this module, not the
    other way round)."""

    @property
    def screen_specs(self) -> Sequence[ScreenSpec]: ...

    def action_show(self, name: str) -> None: ...

    async def run_screen_command(self, name: str, action: str) -> None: ...

    def action_status_details(self) -> None: ...

    def action_help(self) -> None: ...

    def profile_choices(self) -> list[tuple[str, str]]: ...

    def switch_profile(self, name: str) -> None: ...


class ShellCommands(Provider):
    _profiles: list[tuple[str, str]] = []  # read once per opening, off the event loop

    async def startup(self) -> None:
        host = cast(PaletteHost, self.app)
        self._profiles = await asyncio.to_thread(host.profile_choices)  # reads the config file

    def _commands(self) -> list[tuple[str, str, IgnoreReturnCallbackType]]:
        host = cast(PaletteHost, self.app)
        out: list[tuple[str, str, IgnoreReturnCallbackType]] = []
        for spec in host.screen_specs:
            out.append((f"Go to {spec.title}", f"key {spec.key}. {spec.help}",
                        partial(host.action_show, spec.name)))
            for cmd in spec.commands:
                out.append((cmd.title, f"{spec.title}: {cmd.help}",
                            partial(host.run_screen_command, spec.name, cmd.action)))
        for name, env in self._profiles:
            out.append((f"Switch to profile {name}", f"{env}: every screen then acts on it",
                        partial(host.switch_profile, name)))
        out.append(("Backend status details", "DB, API and memcached status in full",
                    host.action_status_details))
        out.append(("Help: keys", "Every key of this screen (F1 or ?)", host.action_help))
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
