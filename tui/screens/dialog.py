"""The base of every modal: its own footer (its keys, not the list's) and a status line of its own."""

from __future__ import annotations

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
        if self.changing:
            self.deck.say("Saving… quit once it is saved.", severity="warning")
            return
        dirty = getattr(self, "dirty", None)
        if not (callable(dirty) and dirty()):
            self.app.exit()
            return
        from tui.screens.confirm import ConfirmScreen

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.app.exit()

        self.app.push_screen(ConfirmScreen("Unsaved changes", "Quit appdeck and discard your changes?", confirm_label="Quit"),
                             answered)
