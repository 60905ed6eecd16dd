"""A small generic form: a few labelled inputs, returned as a dict (used by Settings)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, Switch

from store.errors import AppdeckError
from store.text import safe


@dataclass(frozen=True)
class FieldSpec:
    """One input: its key, label, starting value, and choices (a Select) or a boolean (a Switch)."""

    key: str
    label: str
    value: str | bool = ""
    choices: tuple[str, ...] = ()


class FieldsScreen(ModalScreen[dict[str, object] | None]):
    """Ask for a few values; ctrl+s or enter on the last input returns them, escape returns None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="fields.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="fields.cancel"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[FieldSpec],
        *,
        note: str = "",
        apply: Callable[[dict[str, Any]], object] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.note = note
        self.apply = apply  # when given, runs on save; a controller refusal keeps the dialog open

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(safe(self.title_text)), classes="dialog-title")
            for f in self.fields:
                yield Label(f.label, classes="field-label")
                if isinstance(f.value, bool):
                    yield Switch(value=f.value, id=f"f-{f.key}")
                elif f.choices:
                    yield Select([(c, c) for c in f.choices], value=f.value or f.choices[0], allow_blank=False, id=f"f-{f.key}")
                else:
                    yield Input(value=safe(f.value), id=f"f-{f.key}")
            yield Static("", id="fields-error", classes="field-error")
            if self.note:
                yield Static(Content(self.note), classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for f in self.fields:
            widget = self.query_one(f"#f-{f.key}")
            out[f.key] = widget.value  # type: ignore[attr-defined]
        return out

    def show_error(self, message: str) -> None:
        """Called by the opener when the controller refused the values; the dialog stays open."""
        box = self.query_one("#fields-error", Static)
        box.update(Content(safe(message)))
        box.add_class("shown")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        values = self.values()
        if self.apply is not None:
            try:
                self.apply(values)
            except AppdeckError as exc:
                self.show_error(exc.message)
                return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()
