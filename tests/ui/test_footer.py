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
    rebuilds = 0
    compose = ShellFooter.compose

    def counted(self):
        nonlocal rebuilds
        rebuilds += 1
        return compose(self)

    app = make_app(Profile(name="t", environment="dev"),
                   screens=[ScreenSpec("1", "crowded", "Crowded", Crowded)])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = list(app.screen.query(FooterKey))
        monkeypatch.setattr(ShellFooter, "compose", counted)
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
        assert rebuilds == 1
