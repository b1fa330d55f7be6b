"""The shell header: who and where (profile, environment, read-only, DB), backend status, alerts.

HeaderStatus is shown by symbol and word, never by colour alone (NO_COLOR at 3 a.m.).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from attribtui.infra.config import Profile
from attribtui.infra.redact import redact_text
from attribtui.services.status import Component, HeaderStatus
from attribtui.vocab import label


def component_text(c: Component) -> str:
    """'DB ✔ ok 2 ms': the one label of a state (vocab), never colour alone."""
    return " ".join(p for p in (c.name, label(c.state), c.text) if p)


def env_badge(profile: Profile) -> tuple[str, str]:
    """(text, class) for the environment: loud for production and unknown."""
    if profile.environment == "production":
        return "PRODUCTION", "-loud"
    if profile.environment == "unknown":
        return "ENV UNKNOWN: treated as production", "-loud"
    return f"env {profile.environment}", "-quiet"


def alert_lines(status: HeaderStatus, profile: Profile) -> list[str]:
    lines = [f"▲ {w}" for w in status.warnings]
    lines += [f"▲ override {o}" for o in profile.overrides]
    return [redact_text(line, profile.secrets()) for line in lines]


class ShellHeader(Vertical):
    """Who and where, given once; follows the app's `status` reactive."""

    def __init__(self, profile: Profile, db_label: str) -> None:
        super().__init__()
        self.profile, self.db_label = profile, db_label

    def compose(self) -> ComposeResult:
        profile = self.profile
        text, cls = env_badge(profile)
        with Horizontal(id="hdr-identity", classes="header-row"):
            yield Label("attribtui", id="hdr-app")
            yield Label(f"profile {profile.name}", id="hdr-profile")
            yield Label(text, id="hdr-env", classes=f"badge {cls}")
            if profile.read_only:
                yield Label("READ-ONLY", id="hdr-ro", classes="badge")
            yield Label(self.db_label, id="hdr-db")
        with Horizontal(id="hdr-backends", classes="header-row"):
            for name in ("db", "api", "cache"):
                yield Label("", id=f"hdr-b-{name}", classes="backend")
            yield Label("", id="hdr-lag")
        yield Static("", id="hdr-alerts")

    def on_mount(self) -> None:
        self.watch(self.app, "status", self._show_status)

    async def retarget(self, profile: Profile, db_label: str) -> None:
        """The console switched profile: name, badge and read-only follow."""
        self.profile, self.db_label = profile, db_label
        await self.recompose()
        self._show_status(getattr(self.app, "status"))  # noqa: B009 - the console app's reactive

    def _show_status(self, status: HeaderStatus) -> None:
        for name, comp in zip(("db", "api", "cache"), status.components, strict=True):
            label = self.query_one(f"#hdr-b-{name}", Label)
            label.update(component_text(comp))
            label.set_classes(f"backend -{comp.state}")
            label.tooltip = comp.detail or None
        lag = self.query_one("#hdr-lag", Label)
        lag.update("" if status.replica_lag_s is None else f"replica lag {status.replica_lag_s:.0f} s")
        alerts = alert_lines(status, self.profile)
        box = self.query_one("#hdr-alerts", Static)
        box.update("\n".join(alerts))
        box.display = bool(alerts)
