"""The sharing panel: private, the entire organization, or specific groups."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioButton, RadioSet, SelectionList, Static

from store.controller import Saved
from store.errors import AppdeckError, ValidationError
from store.records import AppRecord
from store.text import safe
from store.vocabulary import GROUPS_SHARING, SHARING, SHARING_LABELS, Sharing
from tui.screens.common import DeckMixin, notify_error

MODES = SHARING


class SharingScreen(DeckMixin, ModalScreen[Saved | None]):
    """Choose who sees an app; ctrl+s saves, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="share.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="share.cancel"),
    ]

    def __init__(self, app: AppRecord) -> None:
        super().__init__()
        self.target = app

    def compose(self) -> ComposeResult:
        groups = self.deck.controller.list_groups()
        with Vertical(classes="dialog"):
            yield Label(Content.assemble("Share “", safe(self.target.name), "”"), classes="dialog-title")
            with RadioSet(id="mode"):
                for mode in MODES:
                    yield RadioButton(SHARING_LABELS[mode], value=self.target.sharing == mode, id=f"mode-{mode}")
            yield Label("Groups", classes="field-label")
            yield SelectionList[str](*[(Content(safe(g["name"])), g["id"], g["id"] in self.target.groups) for g in groups], id="groups")
            if not groups:
                yield Static("No groups yet: an admin creates them in Settings.", classes="hint")
            yield Static("", id="error", classes="field-error")
            yield Static(
                "Sharing controls who sees the app in appdeck, not who can log in to it: that is the app's own business.",
                classes="hint",
            )
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

    def action_save(self) -> None:
        mode = self.mode()
        groups = list(self.query_one("#groups", SelectionList).selected) if mode == GROUPS_SHARING else []
        try:
            saved = self.deck.controller.share_app(self.target.id, mode, groups, expected_version=self.target.version)
        except ValidationError as exc:
            box = self.query_one("#error", Static)
            box.update(Content(safe(exc.message)))
            box.add_class("shown")
            return
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        self.dismiss(saved)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "save" else self.action_cancel()
