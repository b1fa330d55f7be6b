"""A bare Textual app: the yardstick for attribtui's first paint."""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("BARE READY")
        yield Footer()


if __name__ == "__main__":
    Bare().run()
