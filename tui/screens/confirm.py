"""Confirmations: a yes/no question, and a delete (to the trash) that needs the app's name typed."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, Static

from store.text import safe
from tui.screens.dialog import Dialog


class ConfirmScreen(Dialog[bool]):
    """Ask one question; y or the confirm button says yes, n or escape says no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]
    AUTO_FOCUS = "#no"  # focused once composed (never a query on a screen the app closed before composing it)

    def __init__(self, title: str, message: str, *, confirm_label: str = "Yes") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(safe(self.title_text)), classes="dialog-title")
            yield Static(Content(safe(self.message)))
            with Horizontal(classes="buttons"):
                yield Button("Cancel (n)", id="no")
                yield Button(f"{self.confirm_label} (y)", id="yes", variant="warning")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class DeleteScreen(Dialog[bool]):
    """Delete (move to the trash) only after the user types the app's exact name; says until when it can be restored."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="delete.cancel")]
    AUTO_FOCUS = "#typed"

    def __init__(self, name: str, until: str) -> None:
        super().__init__()
        self.app_name = safe(name)  # what the user can read is what they must type
        self.until = safe(until)  # the day it is purged unless restored (the controller's `trash_until`)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Delete application", classes="dialog-title")
            yield Static(
                Content.assemble(
                    "Delete “", (safe(self.app_name), "bold"), "”?\n\n",
                    "It goes to the trash, where you can restore it (T) until ", (self.until, "bold"), ". Meanwhile "
                    "users and services using this app can no longer authenticate. After that it is purged: "
                    "re-creating it then gives a new client ID and secret.\n\nType the app's name to confirm:",
                )
            )
            yield Input(placeholder=safe(self.app_name), id="typed")
            with Horizontal(classes="buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Delete", id="delete", variant="error", disabled=True)

    def on_input_changed(self, event: Input.Changed) -> None:
        for button in self.query("#delete").results(Button):
            button.disabled = event.value != self.app_name

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value == self.app_name:
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        typed = [w.value for w in self.query("#typed").results(Input)]
        self.dismiss(event.button.id == "delete" and typed == [self.app_name])

    def action_cancel(self) -> None:
        self.dismiss(False)
