"""A small generic form: a few labelled inputs, returned as a dict (used by Settings).

The form scrolls (at 80x24 a long one does not fit) and keeps the focused field and its label in view; each field
shows every error the controller found in it, under it; the save runs in a thread worker (`run_change`), so a busy
store never holds up a key; escape asks before discarding what was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static, Switch

from store.errors import AppdeckError, ValidationError
from store.text import safe
from tui.screens.dialog import Dialog
from tui.widgets.pickers import Choice, Picker


@dataclass(frozen=True)
class FieldSpec:
    """One input: its key, label and starting value; `choices` (with the words `labels` shows for them) make a
    Select, a boolean a Switch, `picks` a picker (a SelectionList: its value is the list of picked values, or with
    `single` the one picked value or None)."""

    key: str
    label: str
    value: str | bool | tuple[str, ...] = ""
    choices: tuple[str, ...] = ()
    labels: Mapping[Any, str] = field(default_factory=dict)
    picks: tuple[Choice, ...] | None = None
    single: bool = False
    placeholder: str = ""
    hint: str = ""


class FieldsScreen(Dialog[dict[str, Any] | None]):
    """Ask for a few values; ctrl+s (or enter in a text input) saves, escape cancels (asking when something was
    changed). With `apply`, the save runs it (a controller call) off the UI thread; a refusal keeps the dialog open
    with the user's input and shows each error under its field."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Save", id="fields.save", priority=True),
        Binding("escape", "cancel", "Cancel", tooltip="Close (asks when there are unsaved changes)", id="fields.cancel"),
    ]
    DEFAULT_CSS = """
    FieldsScreen #fields-body { height: auto; }
    FieldsScreen #fields-error { margin-top: 1; }
    """
    CHROME = 8  # rows around the scrolling body: the dialog's border, title, buttons, this screen's footer

    def __init__(
        self,
        title: str,
        fields: list[FieldSpec],
        *,
        note: str = "",
        apply: Callable[[dict[str, Any]], object] | None = None,
        what: str = "Saving",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.note = note
        self.apply = apply  # when given, runs on save (in a worker); a controller refusal keeps the dialog open
        self.what = what
        self.result: object = None  # what `apply` returned, once saved
        self._initial: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="fields-dialog"):
            yield Label(Content(safe(self.title_text)), classes="dialog-title")
            with VerticalScroll(id="fields-body"):
                yield Static(Content(safe(self.note)), id="fields-note", classes="hint" + ("" if self.note else " hidden"))
                for f in self.fields:
                    yield from self.field_widgets(f)
            yield Static("", id="fields-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel (esc)", id="cancel", compact=True)
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)

    def field_widgets(self, f: FieldSpec) -> ComposeResult:
        yield Label(Content(safe(f.label)), id=f"label-{f.key}", classes="field-label")
        widget: Widget
        if f.picks is not None:
            selected = f.value if isinstance(f.value, tuple) else ((f.value,) if isinstance(f.value, str) and f.value else ())
            widget = Picker(list(f.picks), selected, single=f.single, id=f"f-{f.key}")
        elif isinstance(f.value, bool):
            widget = Switch(value=f.value, id=f"f-{f.key}")
        elif f.choices:
            start = f.value if isinstance(f.value, str) and f.value in f.choices else f.choices[0]
            widget = Select([(f.labels.get(c, c), c) for c in f.choices], value=start, allow_blank=False, compact=True,
                            id=f"f-{f.key}")
        else:
            widget = Input(value=safe(f.value if isinstance(f.value, str) else ""), placeholder=f.placeholder, id=f"f-{f.key}")
        yield widget
        if f.hint:
            yield Static(Content(safe(f.hint)), id=f"hint-{f.key}", classes="hint")
        yield Static("", id=f"error-{f.key}", classes="field-error")

    def on_mount(self) -> None:  # Dialog's own on_mount (the footer) runs too: Textual calls each class's handler
        if not self.query("#fields-body"):
            return  # not composed (the app closed first: q and another key at once)
        self.fit()
        self.sync()
        self._initial = self.values()
        first = next((w for w in self.query("#fields-body Input, #fields-body Select, #fields-body SelectionList, "
                                             "#fields-body Switch") if w.display and w.parent is not None
                      and w.parent.display), None)
        if first is not None:
            first.focus()

    def on_resize(self, event: events.Resize) -> None:
        if self.query("#fields-body"):
            self.fit()

    def fit(self) -> None:
        """The body grows with its fields up to what the terminal leaves (then it scrolls): the buttons and the
        error line under it always stay on screen."""
        error = self.query_one("#fields-error", Static)
        height, width = (self.size.height, self.size.width) if self.size.height else (self.app.size.height, self.app.size.width)
        inner = max(10, min(int(width * 0.9), 110) - 4)
        error_rows = (sum(-(-max(1, len(line)) // inner) for line in str(error.content).splitlines()) + 1
                      if error.has_class("shown") else 0)
        self.query_one("#fields-body").styles.max_height = max(3, int(height * 0.9) - self.CHROME - error_rows)

    # -- reading the form ----------------------------------------------------------------------------

    def widget_of(self, key: str) -> Widget:
        return self.query_one(f"#f-{key}")

    def value_of(self, key: str) -> Any:
        widget = self.widget_of(key)
        if isinstance(widget, Picker):
            return widget.choice if widget.single else list(widget.selected)
        return widget.value  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        return {f.key: self.value_of(f.key) for f in self.fields}

    def dirty(self) -> bool:
        return self._initial is not None and self.values() != self._initial

    def input_text(self) -> str:
        """What the form holds, one `Label: value` line per field (ctrl+o copies it; a form has no secret)."""
        lines = []
        for f in self.fields:
            value = self.value_of(f.key)
            if isinstance(value, list):
                value = ", ".join(value)
            lines.append(f"{f.label}: {'' if value is None else value}")
        return "\n".join(lines)

    def show_field(self, key: str, shown: bool) -> None:
        """Show or hide one field (its label, input, hint and errors)."""
        for part in ("label", "f", "hint", "error"):
            for w in self.query(f"#{part}-{key}"):
                w.set_class(not shown, "hidden")
                if part == "error" and not shown:
                    w.remove_class("shown")  # a hidden field's error goes with it

    def sync(self) -> None:
        """Called on mount and after every change of a value: a form that shows a field only for some values (the
        groups of a groups-shared app, an inheritor only when one is needed) does it here."""

    def on_input_changed(self, event: Input.Changed) -> None:
        self.sync()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.sync()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        self.sync()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        self.sync()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Keep the focused field and its label in view (the form scrolls at 80x24)."""
        self.reveal(event.widget)

    def reveal(self, widget: Widget) -> None:
        key = (widget.id or "").removeprefix("f-")
        # The field's errors, then the field, then its label: the last one asked wins where not all fit.
        for part in (self.query(f"#error-{key}.shown") if key else [], [widget],
                     self.query(f"#label-{key}") if key else []):
            for w in part:
                w.scroll_visible(animate=False, immediate=True)

    # -- errors --------------------------------------------------------------------------------------

    def clear_errors(self) -> None:
        for box in self.query(".field-error"):
            box.remove_class("shown")
            if isinstance(box, Static):
                box.update("")
        for w in self.query(".-invalid"):
            w.remove_class("-invalid")

    def show_error(self, message: str) -> None:
        """A refusal that belongs to no field: under the form, above the buttons; the dialog stays open."""
        box = self.query_one("#fields-error", Static)
        box.update(Content(safe(message)))
        box.add_class("shown")
        self.fit()

    def show_errors(self, exc: AppdeckError) -> None:
        """Every error of every field under that field (not only the last); the others under the form. The first
        field with an error gets the focus (and so comes into view)."""
        self.clear_errors()
        self.deck.say("")  # a slow save said "Saving…": it is over
        if not isinstance(exc, ValidationError):
            self.show_error(exc.message)
            return
        by_field: dict[str, list[str]] = {}
        for e in exc.errors:
            key = e.field if self.query(f"#error-{e.field}") and self.widget_of(e.field).display else ""
            by_field.setdefault(key, []).append(e.message)
        for key, messages in by_field.items():
            if not key:
                continue
            box = self.query_one(f"#error-{key}", Static)
            box.update(Content("\n".join(safe(m) for m in messages)))
            box.add_class("shown")
            self.widget_of(key).add_class("-invalid")
        n = exc.total
        summary = f"Not saved: {n} problem{'s' if n != 1 else ''}"
        rest = by_field.get("", [])
        self.show_error(summary + (": " + " ".join(rest) if rest else " (shown under the fields)."))
        first = next((f.key for f in self.fields if f.key in by_field), None)
        if first is not None:
            widget = self.widget_of(first)
            widget.focus()
            self.call_after_refresh(self.reveal, widget)  # already focused: no focus event scrolls to its errors

    # -- save / cancel -------------------------------------------------------------------------------

    def action_save(self) -> None:
        values = self.values()
        if self.apply is None:
            self.dismiss(values)
            return
        apply = self.apply

        def saved(result: object) -> None:
            self.result = result
            self.dismiss(values)

        self.run_change(lambda: apply(values), saved, what=self.what, failed=self.show_errors)

    def action_cancel(self) -> None:
        self.leave_asking("Discard your changes?", "Discard", lambda: self.dismiss(None))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()
