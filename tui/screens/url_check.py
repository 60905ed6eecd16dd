"""The URL checker: would this callback, logout URL or origin be allowed, and if not, what differs?"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from store.errors import AppdeckError
from store.records import AppRecord
from store.text import safe
from store.vocabulary import CHECK_KINDS, CHECK_LABELS, CheckKind
from tui.screens.dialog import Dialog


class UrlCheckScreen(Dialog[None]):
    """Paste a URL, pick the list, read the verdict as you type."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="check.close")]
    AUTO_FOCUS = "#url"  # focused once composed (never a query on a screen the app closed before composing it)

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

    def kind(self) -> CheckKind:
        sets = self.query(RadioSet).results(RadioSet)
        index = max((s.pressed_index for s in sets), default=0)
        return CHECK_KINDS[max(index, 0)]

    def _check(self) -> None:
        urls = list(self.query("#url").results(Input))
        verdicts = list(self.query("#verdict").results(Static))
        if not urls or not verdicts:
            return  # not composed (the app is closing)
        url, verdict = urls[0].value.strip(), verdicts[0]
        if not url:
            verdict.update("")
            return
        try:
            result = self.deck.controller.check_url(self.target.id, self.kind(), url)
        except AppdeckError as exc:
            verdict.update(Content(safe(exc.message)))
            return
        verdict.update(verdict_line(result.allowed, result.verdict, result.explain()))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._check()

    def action_close(self) -> None:
        self.dismiss(None)


def verdict_line(allowed: bool, word: str, reason: str) -> Content:
    """`ALLOWED  <reason>` / `REFUSED  <reason>`: the verdict word once, even if the reason starts with it."""
    reason = safe(reason)
    if reason[: len(word)].lower() == word.lower():
        reason = reason[len(word):].lstrip(" :.-").strip()
        reason = reason[:1].upper() + reason[1:]
    return Content.assemble((word, "bold green" if allowed else "bold red"), "  ", reason)
