"""The URL checker: would this callback, logout URL or origin be allowed, and if not, what differs?"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from store.errors import AppdeckError
from store.records import AppRecord
from store.text import safe
from store.vocabulary import CHECK_KINDS, CHECK_LABELS, CheckKind
from tui.screens.common import DeckMixin


class UrlCheckScreen(DeckMixin, ModalScreen[None]):
    """Paste a URL, pick the list, read the verdict as you type."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="check.close")]

    def __init__(self, app: AppRecord) -> None:
        super().__init__()
        self.target = app

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content.assemble("Check a URL against “", safe(self.target.name), "”"), classes="dialog-title")
            with RadioSet(id="kind"):
                for i, kind in enumerate(CHECK_KINDS):
                    yield RadioButton(CHECK_LABELS[kind], value=i == 0)
            yield Input(placeholder="https://app.example.com/callback", id="url")
            yield Static("", id="verdict")

    def on_mount(self) -> None:
        self.query_one("#url", Input).focus()

    def kind(self) -> CheckKind:
        index = self.query_one(RadioSet).pressed_index
        return CHECK_KINDS[max(index, 0)]

    def _check(self) -> None:
        url = self.query_one("#url", Input).value.strip()
        verdict = self.query_one("#verdict", Static)
        if not url:
            verdict.update("")
            return
        try:
            result = self.deck.controller.check_url(self.target.id, self.kind(), url)
        except AppdeckError as exc:
            verdict.update(Content(safe(exc.message)))
            return
        head = ("ALLOWED", "bold green") if result.allowed else ("REFUSED", "bold red")
        verdict.update(Content.assemble(head, "  ", safe(result.explain())))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._check()

    def action_close(self) -> None:
        self.dismiss(None)
