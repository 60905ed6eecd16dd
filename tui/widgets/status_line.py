"""The status line: routine messages (copied, saved, sorted, waiting for the store) on one line above the footer,
where they cover nothing; a toast is kept for what must not be missed (the store went bad)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from textual.content import Content
from textual.widgets import Static

from store.text import safe

if TYPE_CHECKING:
    from textual.timer import Timer

Severity = Literal["information", "warning", "error"]


class StatusLine(Static):
    """One line docked above the footer. On a list screen it is always there (the layout never jumps); in a dialog
    (`auto_hide`) it shows only while it has something to say."""

    DEFAULT_CSS = """
    StatusLine {
        dock: bottom;
        margin-bottom: 1;
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    StatusLine.-warning { color: $text-warning; }
    StatusLine.-error { color: $text-error; text-style: bold; }
    StatusLine.-auto-hide.-empty { display: none; }
    """
    SEVERITIES: ClassVar[tuple[Severity, ...]] = ("information", "warning", "error")

    def __init__(self, *, auto_hide: bool = False, id: str | None = None) -> None:
        super().__init__("", id=id, classes="-empty" + (" -auto-hide" if auto_hide else ""), markup=False)
        self._clear: Timer | None = None
        self.text = ""

    def say(self, text: str, *, severity: Severity = "information", timeout: float = 6.0) -> None:
        """Show `text` (stored text is made safe here; never markup) for `timeout` seconds; "" clears the line."""
        if self._clear is not None:
            self._clear.stop()
            self._clear = None
        self.text = safe(text)
        self.update(Content(self.text))
        # A class change restyles the widget (milliseconds): only when the severity or, in a dialog, the shown
        # state really changes; a list screen's line is always shown.
        for s in self.SEVERITIES[1:]:
            if self.has_class(f"-{s}") != (s == severity and bool(text)):
                self.set_class(s == severity and bool(text), f"-{s}")
        if self.has_class("-auto-hide") and self.has_class("-empty") != (not text):
            self.set_class(not text, "-empty")
        if text and timeout > 0:
            self._clear = self.set_timer(timeout, lambda: self.say(""))
