"""The floor for TUI start-up: a minimal Textual app process showing one line of text (bench/run.py runs it in a pty).

With --input it is instead the floor of the filter-keystroke figure: an Input whose change handler does nothing
(bench/run.py imports `InputFloorApp` and drives it headless with the same harness as the real TUI).
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

MARKER = "appdeck bench minimal app"


class MinimalApp(App[None]):
    """One line of text; q quits."""

    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static(MARKER)


class InputFloorApp(App[None]):
    """An Input whose Changed handler does nothing."""

    def compose(self) -> ComposeResult:
        yield Static(MARKER)
        yield Input(placeholder="type here", id="filter")

    def on_input_changed(self, event: Input.Changed) -> None:
        pass


if __name__ == "__main__":
    MinimalApp().run()
