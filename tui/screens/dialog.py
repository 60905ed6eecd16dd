"""The base of every modal: its own footer (its keys, not the list's) and a status line of its own."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

from tui.jobs import ChangeRunner
from tui.screens.common import DeckMixin
from tui.widgets.key_footer import KeyFooter
from tui.widgets.status_line import StatusLine

ResultT = TypeVar("ResultT")


class Dialog(DeckMixin, ChangeRunner, ModalScreen[ResultT]):
    """A modal screen that shows its own keys in a footer (with q Quit and ? Help) and says routine things
    ("Saving…", "waiting for the store") on a status line above it; `run_change` makes its saves off the UI thread."""

    def on_mount(self) -> None:
        self.mount(StatusLine(auto_hide=True), KeyFooter())
