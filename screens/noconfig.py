"""One screen instead of the console: no configuration at all, or a config error."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Label, Static

from attribtui.infra.paths import config_file as default_config_path

EXAMPLE = """\
default_profile = "staging"

[profiles.staging]
environment = "staging"     # production | staging | dev
read_only = true

[profiles.staging.db]
url = "mysql+pymysql://attribtui@db.internal:3306/prosper202"
"""


def no_config_text(config_path: Path | None = None) -> str:
    path = config_path or default_config_path()
    example = "".join(f"    {line}\n" for line in EXAMPLE.splitlines())
    return (
        "There is no config file and ATTRIBTUI_DB_URL is not set, so there is no profile to "
        "open. Pick one of:\n\n"
        f"1. Create {path} (or pass --config PATH) with a profile, for example:\n\n"
        f"{example}\n"
        "Keep it chmod 600 if a URL holds a password; `attribtui config show` checks it.\n\n"
        "2. For a one-off, name the database in the environment (an implicit profile 'env', "
        "handled as production):\n\n"
        "    ATTRIBTUI_DB_URL=mysql+pymysql://user@host:3306/prosper202 attribtui\n\n"
        "3. Try the embedded demo, a seeded SQLite Prosper202 with planted defects:\n\n"
        "    attribtui demo\n"
    )


class NoticeApp(App[int]):
    """A single read-only notice; q quits with `code`."""

    CSS_PATH = "app.tcss"
    TITLE = "attribtui"
    BINDINGS = [Binding("q,escape", "quit", "Quit")]
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, title: str, body: str, *, code: int = 0, error: bool = False) -> None:
        super().__init__()
        self.notice_title, self.body, self.code, self.error = title, body, code, error

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="notice"):
            yield Label(self.notice_title, id="notice-title",
                        classes="-error" if self.error else "")
            yield Static(self.body, id="notice-body", markup=False)
        yield Footer()

    async def action_quit(self) -> None:
        self.exit(self.code)


def no_config_app() -> NoticeApp:
    return NoticeApp("No configuration found", no_config_text())


def config_error_app(message: str) -> NoticeApp:
    return NoticeApp(
        "✖ Config error",
        f"{message}\n\n`attribtui config show` prints the effective configuration; "
        "`attribtui paths` prints where the config file is read from.",
        code=3,
        error=True,
    )
