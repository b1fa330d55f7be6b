"""The shell's footer: at any width it keeps Help and Quit, dropping the screen's last keys first
(help, F1, still lists every key)."""

from __future__ import annotations

import pytest
from textual.binding import Binding

from attribtui.infra.config import Profile
from screens.base import ConsoleScreen, ShellFooter
from screens.registry import ScreenSpec
from screens.textual_private import FooterKey
from tests.ui.conftest import make_app, settle

pytestmark = pytest.mark.anyio


class Crowded(ConsoleScreen):
    """More keys than 80 columns hold."""

    SCREEN_TITLE = "Crowded"
    BINDINGS = [Binding(k, f"noop('{k}')", f"Action number {k}") for k in "abcdefghij"]

    def action_noop(self, key: str) -> None:
        """Nothing: only the footer matters here."""


def shown(app) -> list[str]:
    footer = app.screen.query_one(ShellFooter)
    return [k.description for k in footer.query(FooterKey)]


def count_rebuilds(monkeypatch) -> list[int]:
    """From now on, [how many times the footer was rebuilt]."""
    rebuilds = [0]
    compose = ShellFooter.compose

    def counted(self):
        rebuilds[0] += 1
        return compose(self)

    monkeypatch.setattr(ShellFooter, "compose", counted)
    return rebuilds


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_help_and_quit_always_fit(size: tuple[int, int]) -> None:
    app = make_app(Profile(name="t", environment="dev"),
                   screens=[ScreenSpec("1", "crowded", "Crowded", Crowded)])
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        keys = shown(app)
        assert "Help" in keys and "Quit" in keys
        screen_keys = [k for k in keys if k.startswith("Action number")]
        assert screen_keys == [f"Action number {k}" for k in "abcdefghij"[:len(screen_keys)]]
        assert 0 < len(screen_keys) < 10  # the last ones went, the first ones stayed
        used = sum(len(k.key_display) + len(k.description) + 3
                   for k in app.screen.query(FooterKey) if not k.has_class("-command-palette"))
        assert used <= size[0]
        (palette,) = [k for k in app.screen.query(FooterKey) if k.has_class("-command-palette")]
        quit_key = [k for k in app.screen.query(FooterKey) if k.description == "Quit"][0]
        assert quit_key.region.width > 0 and quit_key.region.right <= palette.region.x


async def test_the_footer_is_rebuilt_only_when_its_keys_change(monkeypatch) -> None:
    """A binding refresh that changes no key keeps the footer's widgets (Textual rebuilt them all
    on every refresh); a change of keys rebuilds it, once."""
    app = make_app(Profile(name="t", environment="dev"),
                   screens=[ScreenSpec("1", "crowded", "Crowded", Crowded)])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = list(app.screen.query(FooterKey))
        rebuilds = count_rebuilds(monkeypatch)
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == before
        app.bind("z", "bell", description="Zed")
        app.screen.refresh_bindings()
        app.screen.refresh_bindings()  # two refreshes before the rebuild: one rebuild
        await pilot.pause()
        await pilot.pause()
        assert "Zed" in shown(app)
        assert rebuilds == [1]


class Toggling(ConsoleScreen):
    """A key dimmed or not by a reactive, as Jobs' x (cancel) and Health's r (rerun) are."""

    SCREEN_TITLE = "Toggling"
    BINDINGS = [Binding("a", "act", "Act"), Binding("b", "noop", "Other")]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "act" and not self.app.armed else True  # type: ignore[attr-defined]

    def action_act(self) -> None:
        self.app.acted = True  # type: ignore[attr-defined]

    def action_noop(self) -> None:
        """Nothing."""


async def test_a_key_dimmed_or_undimmed_changes_in_place(monkeypatch) -> None:
    """Only a key's enabled state changed: the same widgets, restyled, no rebuild; a click on
    the key (FooterKey reads its own flag) follows the new state too."""
    app = make_app(Profile(name="t", environment="dev"),
                   screens=[ScreenSpec("1", "toggling", "Toggling", Toggling)])
    app.armed, app.acted = False, False
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = list(app.screen.query(FooterKey))
        act = next(k for k in before if k.description == "Act")
        assert act.has_class("-disabled")
        rebuilds = count_rebuilds(monkeypatch)
        app.armed = True
        app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == before and rebuilds == [0]
        assert not act.has_class("-disabled")
        await pilot.click(act)
        await pilot.pause()
        assert app.acted
        app.armed = False
        app.screen.refresh_bindings()
        await pilot.pause()
        assert act.has_class("-disabled") and rebuilds == [0]
