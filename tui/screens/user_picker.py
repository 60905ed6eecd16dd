"""Pick one member who may own apps (an editor or admin, asked of the policy): the new owner of a transfer."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from store.errors import AppdeckError
from store.records import UserView
from store.text import safe
from store.vocabulary import ROLE_LABELS
from tui.screens.common import notify_error
from tui.screens.dialog import Dialog


class UserPickerScreen(Dialog[str | None]):
    """The members who may own apps (but `exclude`), by login, as the controller lists them; enter picks one, escape
    cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without choosing", id="picker.cancel"),
        Binding("j", "move('down')", "Down", show=False, tooltip="Next person", id="picker.down"),
        Binding("k", "move('up')", "Up", show=False, tooltip="Previous person", id="picker.up"),
    ]

    AUTO_FOCUS = "#users"  # focused once composed (never a query on a screen the app closed before composing it)

    def __init__(self, title: str, *, exclude: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.candidates: list[UserView] = []
        try:  # the controller says who may own apps (the policy's rule), never this screen
            self.candidates = self.deck.controller.inheritor_candidates(exclude)
        except AppdeckError as exc:
            notify_error(self.deck, exc)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(safe(self.title_text)), classes="dialog-title")
            yield Static(Content("Editors and admins may own apps. Enter chooses, escape cancels."), classes="hint")
            yield OptionList(*[Option(self._prompt(u), id=u["login"]) for u in self.candidates], id="users")

    @staticmethod
    def _prompt(user: UserView) -> Content:
        name = safe(user["display_name"])
        return Content.assemble((safe(user["login"]), "bold"), f"  {name}" if name else "",
                                (f"  {ROLE_LABELS.get(user['role'], safe(user['role']))}", "dim"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, direction: str) -> None:
        """j and k move like the lists' keys do (the arrows work too)."""
        users = self.query_one("#users", OptionList)
        if direction == "down":
            users.action_cursor_down()
        else:
            users.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
