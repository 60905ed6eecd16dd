"""The base of every modal: its own footer (its keys, not the list's) and a status line of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from tui.jobs import ChangeRunner
from tui.screens.common import DeckMixin
from tui.widgets.key_footer import KeyFooter
from tui.widgets.status_line import StatusLine

ResultT = TypeVar("ResultT")


class Dialog(DeckMixin, ChangeRunner, ModalScreen[ResultT]):
    """A modal screen that shows its own keys in a footer (with q Quit and ? Help) and says routine things
    ("Saving…", "waiting for the store") on a status line above it; `run_change` makes its saves off the UI thread.

    A modal cuts the app's own (not priority) bindings off, so q, ? and : are bound here again, with the app's
    binding ids (a keymap entry remaps both). While an input has the focus it takes q, ? and :, as typing should;
    f1 still opens the help and ctrl+p the palette. q in a form with unsaved changes (`dirty()`) asks first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit appdeck (asks when there are unsaved changes)", id="quit"),
        Binding("question_mark,f1", "app.toggle_help", "Help", tooltip="Every key of this screen", id="help"),
        Binding("colon", "app.command_palette", "Commands", show=False, tooltip="Search every action", id="palette"),
    ]

    def on_mount(self) -> None:
        self.mount(StatusLine(auto_hide=True), KeyFooter())

    def action_quit(self) -> None:
        self.leave_asking("Quit appdeck and discard your changes?", "Quit", self.app.exit,
                          busy="Saving… quit once it is saved.")

    def leave_asking(self, question: str, label: str, leave: Callable[[], object], *,
                     busy: str = "Saving… the form closes when it is saved.") -> None:
        """Leave (close the form, quit) at once when nothing was changed; ask `question` first when the form has
        unsaved changes (`dirty()`); not while its save is being made."""
        if self.changing:  # a wait for a busy store is stopped by the app's escape first
            self.deck.say(busy, severity="warning")
            return
        dirty = getattr(self, "dirty", None)
        if not (callable(dirty) and dirty()):
            leave()
            return
        from tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                leave()

        self.app.push_screen(ConfirmScreen("Unsaved changes", question, confirm_label=label), answered)
