"""What every console screen shares (screens/base.py, screens/components/job_output.py) and the
shell's guard rails (screens/textual_private.py): workers report with messages, bindings follow
the screens' state, a failed worker is one notification, a crash prints no secret."""

from __future__ import annotations

from typing import Any

import pytest
from rich.console import RenderableType
from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Label

from attribtui.services.jobs import parse
from attribtui.services.jobs.runner import Snapshot
from screens.app import ConsoleApp
from screens.base import ConsoleScreen
from screens.components.job_output import JobOutput, JobOutputPoster
from screens.health import HealthScreen
from screens.registry import ScreenSpec, discover
from tests.ui.conftest import make_app, make_profile, settle

SECRET_URL = "mysql+pymysql://ops:hunter2@127.0.0.1:1/prosper202"


def _snapshot(lines: int, finished: bool = False) -> Snapshot:
    return Snapshot(lines, 0, None, None, 1.0, 0.0, "lines/s", None, 1, 1, finished)


def _lines(*texts: str) -> list[parse.LineEvent]:
    return [parse.LineEvent("stdout", t, 0.0, parse.kind_of("stdout", t)) for t in texts]


class _Target:
    """Stands in for a screen: records what the follower thread posts."""

    def __init__(self) -> None:
        self.posted: list[Message] = []

    def post_message(self, message: Message) -> bool:
        self.posted.append(message)
        return True


def test_job_output_merges_batches_while_one_waits() -> None:
    target = _Target()
    poster = JobOutputPoster(target, keep=3)  # type: ignore[arg-type]
    poster(_lines("a", "b"), _snapshot(2))
    poster(_lines("c", "d"), _snapshot(4))
    poster([], _snapshot(4, finished=True))
    assert len(target.posted) == 1  # the screen had not taken the first one yet
    first = target.posted[0]
    assert isinstance(first, JobOutput)
    poster.taken(first)
    assert [e.text for e in first.lines] == ["b", "c", "d"]  # the newest `keep` lines
    assert first.count == 4 and first.snapshot.finished
    poster(_lines("e"), _snapshot(5))
    assert len(target.posted) == 2 and [e.text for e in target.posted[1].lines] == ["e"]


def test_discovery_finds_the_six_screens_and_skips_the_components() -> None:
    specs = discover()
    assert [(s.key, s.name) for s in specs] == [
        ("1", "health"), ("2", "journeys"), ("3", "models"), ("4", "jobs"), ("5", "rollback"),
        ("6", "fleet")]
    assert [s.name for s in specs if not s.per_profile] == ["fleet"]
    assert all(issubclass(s.factory, ConsoleScreen) for s in specs)  # type: ignore[arg-type]


def _footer_keys(app: ConsoleApp) -> list[str]:
    return [str(w.render()).strip() for w in app.screen.query_one(Footer).children]


@pytest.mark.anyio
async def test_bindings_follow_the_screen_state() -> None:
    """`running` refreshes the footer by itself: x (cancel) shows only while checks run."""
    app = make_app(make_profile(None))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HealthScreen)
        assert "x Cancel run" not in _footer_keys(app)
        screen.running = True
        await pilot.pause()
        assert "x Cancel run" in _footer_keys(app)
        screen.running = False
        await pilot.pause()
        assert "x Cancel run" not in _footer_keys(app)


class _Failing(ConsoleScreen):
    SCREEN_TITLE = "Failing"
    BINDINGS = [Binding("b", "crash", "Crash"), Binding("w", "fail_worker", "Fail a worker")]

    def compose_body(self) -> Any:
        yield Label(f"profile {self.profile.name}", id="failing")

    def action_crash(self) -> None:
        password = "hunter2"  # a local the traceback must not print
        raise ValueError(f"cannot reach {SECRET_URL}" + password[:0])

    def action_fail_worker(self) -> None:
        self._fail()

    @work(thread=True, name="failing worker")
    def _fail(self) -> None:
        raise RuntimeError(f"worker lost {SECRET_URL}")


def _failing_app() -> ConsoleApp:
    return make_app(make_profile(SECRET_URL), screens=[ScreenSpec("9", "failing", "Failing",
                                                                  _Failing)])


@pytest.mark.anyio
async def test_a_failed_worker_is_one_redacted_notification() -> None:
    app = _failing_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        notes = [str(n.message) for n in app._notifications]
        assert any(n.startswith("Internal error (RuntimeError): worker lost ") for n in notes)
        assert not any("hunter2" in n for n in notes)
        assert isinstance(app.screen, _Failing) and app.return_code is None  # still running
        assert app.screen.query_one("#failing", Label)


@pytest.mark.anyio
async def test_a_crash_prints_a_redacted_traceback_without_locals(
        monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[RenderableType] = []
    panic = ConsoleApp.panic

    def capture(self: ConsoleApp, *renderables: RenderableType) -> None:
        shown.extend(renderables)
        panic(self, *renderables)

    monkeypatch.setattr(ConsoleApp, "panic", capture)
    app = _failing_app()
    with pytest.raises(ValueError, match="cannot reach"):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("b")
            await pilot.pause()
    assert app.return_code == 1
    text = "\n".join(str(r) for r in shown)
    assert text.startswith("attribtui stopped on an internal error (please report it):")
    assert "ValueError: cannot reach mysql+pymysql://ops:***@127.0.0.1:1/prosper202" in text
    assert "hunter2" not in text and "password =" not in text
