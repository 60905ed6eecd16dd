"""The sharing panel: private, the entire organization, or specific groups."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, RadioButton, RadioSet, SelectionList, Static

from store.controller import Saved
from store.errors import AppdeckError, ConflictError, ValidationError, WaitCancelled
from store.records import AppRecord
from store.text import safe
from store.vocabulary import GROUPS_SHARING, SHARING, SHARING_LABELS, Sharing
from tui.jobs import StoreUnavailable
from tui.screens.app_form import FormBody
from tui.screens.common import notify_error, short_time
from tui.screens.dialog import Dialog

MODES = SHARING
ERROR_FIELDS = ("sharing", "groups")


class SharingConflict(AppdeckError):
    """A share refused because someone saved the app meanwhile, with their version (None: it could not be read)."""

    def __init__(self, error: ConflictError, theirs: AppRecord | None) -> None:
        super().__init__(error.message)
        self.theirs = theirs


class SharingScreen(Dialog[Saved | None]):
    """Choose who sees an app; ctrl+s saves (off the UI thread), escape cancels. The modes are worded as in the app
    form (SHARING_LABELS); each refusal is shown under the part it is about, the choice is always kept."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="share.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="share.cancel"),
    ]
    DEFAULT_CSS = """
    SharingScreen #banner { height: auto; max-height: 4; margin-top: 1; }
    """

    def __init__(self, app: AppRecord) -> None:
        super().__init__()
        self.target = app
        self._pending: Saved | None = None

    def compose(self) -> ComposeResult:
        groups = self.deck.controller.list_groups()
        with Vertical(classes="dialog"):
            yield Label(Content.assemble("Share “", safe(self.target.name), "”"), classes="dialog-title")
            with FormBody(id="share-body"):
                with RadioSet(id="mode"):
                    for mode in MODES:
                        yield RadioButton(SHARING_LABELS[mode], value=self.target.sharing == mode, id=f"mode-{mode}")
                yield Static("", id="error-sharing", classes="field-error")
                yield Label("Groups (for Specific groups)", classes="field-label")
                yield SelectionList[str](*[(Content(safe(g["name"])), g["id"], g["id"] in self.target.groups) for g in groups], id="groups")
                if not groups:
                    yield Static("No groups yet: an admin creates them in Settings.", classes="hint")
                yield Static("", id="error-groups", classes="field-error")
                yield Static("Sharing controls who sees the app in appdeck, not who can log in to it.", classes="hint")
            yield Static("", id="banner", classes="banner-error hidden")
            with Horizontal(classes="buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        modes = self.query_one(RadioSet)
        # Textual's RadioSet highlights its first button; start on the current mode so enter keeps it.
        modes._selected = max(modes.pressed_index, 0)
        modes.focus()
        self._sync()

    def mode(self) -> Sharing:
        pressed = self.query_one(RadioSet).pressed_index
        return MODES[pressed] if pressed >= 0 else self.target.sharing

    def _sync(self) -> None:
        self.query_one("#groups", SelectionList).disabled = self.mode() != GROUPS_SHARING

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._sync()
        self._show_errors({})

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        self._show_errors({})

    def _show_errors(self, by_field: dict[str, list[str]]) -> None:
        for f in ERROR_FIELDS:
            box = self.query_one(f"#error-{f}", Static)
            messages = by_field.get(f, [])
            box.update(Content("\n".join(messages)))
            box.set_class(bool(messages), "shown")

    def _banner(self, text: str) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(Content(text))
        banner.set_class(not text, "hidden")

    def action_save(self) -> None:
        mode = self.mode()
        groups = list(self.query_one("#groups", SelectionList).selected) if mode == GROUPS_SHARING else []
        ctl, target = self.deck.controller, self.target

        def act() -> Saved:
            try:
                return ctl.share_app(target.id, mode, groups, expected_version=target.version)
            except ConflictError as exc:
                try:
                    theirs: AppRecord | None = ctl.get_app(target.id)
                except AppdeckError:
                    theirs = None
                raise SharingConflict(exc, theirs) from None

        self.run_change(act, self._saved, what="Saving", failed=self._save_failed)

    def _saved(self, saved: Saved) -> None:
        if self.is_current:
            self.dismiss(saved)
        else:
            self._pending = saved

    def on_screen_resume(self) -> None:
        if self._pending is not None:
            saved, self._pending = self._pending, None
            self.dismiss(saved)

    def _save_failed(self, exc: AppdeckError) -> None:
        """Refused: the choice stays; rule errors under the modes or the groups, anything else above the buttons."""
        self._banner("")
        if isinstance(exc, ValidationError):
            by_field: dict[str, list[str]] = {}
            for e in exc.errors:
                by_field.setdefault(e.field if e.field in ERROR_FIELDS else "", []).append(safe(e.message))
            self._show_errors(by_field)
            first = next((f for f in ERROR_FIELDS if f in by_field), None)
            if first is not None:  # the dialog scrolls at 80x24: bring the message into view
                self.query_one(FormBody).reveal(self.query_one(f"#error-{first}"))
            if "" in by_field:
                self._banner("Not saved: " + " ".join(by_field[""]))
        elif isinstance(exc, SharingConflict) and exc.theirs is not None:
            theirs = self.target = exc.theirs  # the next ctrl+s saves this choice over their version
            text = (f"Conflict: {safe(theirs.updated_by or 'someone')} saved version {theirs.version} at "
                    f"{short_time(theirs.updated_at)}; it is now shared with: {SHARING_LABELS[theirs.sharing]}. "
                    "Not saved; your choice is kept: ctrl+s saves it over theirs, escape keeps theirs.")
            self._banner(text)
            self.deck.notify(text, title="Conflict", severity="error", markup=False)
        elif isinstance(exc, (StoreUnavailable, WaitCancelled)):
            self._banner(safe(exc.message))
        else:
            self._banner(safe(exc.message))
            notify_error(self.deck, exc)

    def action_cancel(self) -> None:
        if self.changing:
            self.deck.say("Saving… the panel closes when it is saved.", severity="warning")
            return
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()
