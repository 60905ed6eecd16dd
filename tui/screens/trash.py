"""The Trash view: the acting user's deleted apps (spec section 10); r restores one, p purges one after a question."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from store.errors import AppdeckError
from store.text import safe
from store.vocabulary import TRASH_DAYS
from tui.screens.common import DeckMixin, notify_error, short_time
from tui.widgets.key_footer import KeyFooter
from tui.widgets.row_list import Column, RowList, make_row

if TYPE_CHECKING:
    from store.controller import TrashEntry


class TrashScreen(DeckMixin, Screen[str | None]):
    """Deleted apps, newest first, with their deletion and purge dates. Dismissed with the id of the app restored
    last (the Developers list then highlights it), or None."""

    COLUMNS: ClassVar[list[Column]] = [Column("Name"), Column("Deleted", 16), Column("Purged on", 10)]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "restore", "Restore", tooltip="Bring the app back exactly as it was (same client ID and secret)",
                id="trash.restore"),
        Binding("p", "purge", "Purge", tooltip="End the app now (asks first; this is final)", id="trash.purge"),
        Binding("escape,q", "close", "Back", tooltip="Back to the Developers view", id="trash.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, TrashEntry] = {}
        self.restored: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("Trash", "bold"), f"  your deleted apps, kept {TRASH_DAYS} days; they cannot "
                                      "authenticate here"), id="topbar")
        yield RowList(self.COLUMNS, empty_text="The trash is empty.", id="main-list")
        yield Static("", id="trash-hint", classes="hint")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()
        self.query_one(RowList).focus()

    def reload(self, *, keep: str | None = None, external: bool = False) -> None:
        """Read the trash again through the controller (also after another process's change)."""
        try:
            entries = self.deck.controller.list_trash()
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        self.entries = {e.app.id: e for e in entries}
        rows = [make_row(e.app.id, [e.app.name, short_time(e.deleted_at), short_time(e.purge_at)[:10]],
                         [e.app.name, e.app.client_id]) for e in entries]
        self.query_one(RowList).set_rows(rows, keep_key=keep)
        self._show_hint()
        self.refresh_bindings()

    def _show_hint(self) -> None:
        entry = self.current
        text = Content("") if entry is None else Content.assemble(
            "Client ID ", safe(entry.app.client_id), "   r restores it as it was · p purges it now")
        self.query_one("#trash-hint", Static).update(text)

    def on_row_list_highlighted(self, event: RowList.Highlighted) -> None:
        self._show_hint()

    @property
    def current(self) -> TrashEntry | None:
        key = self.query_one(RowList).highlighted_key
        return self.entries.get(key) if key else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("restore", "purge"):
            try:
                return True if self.current is not None and self.deck.controller.can_create() else None
            except AppdeckError:
                return None
        return True

    def action_restore(self) -> None:
        entry = self.current
        if entry is None:
            return
        try:
            app = self.deck.controller.restore_app(entry.app.id)
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        self.restored = app.id
        self.reload()
        self.notify(f"Restored “{safe(app.name)}” with the same client ID and secret.", markup=False)

    def action_purge(self) -> None:
        from tui.screens.confirm import ConfirmScreen

        entry = self.current
        if entry is None:
            return

        def answered(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                self.deck.controller.purge_app(entry.app.id)
            except AppdeckError as exc:
                notify_error(self.deck, exc)
                return
            self.reload()
            self.notify(f"Purged “{safe(entry.app.name)}”.", markup=False)

        self.app.push_screen(ConfirmScreen(
            "Purge application",
            f"Purge “{safe(entry.app.name)}” now? This is final: it cannot be restored, and re-creating it gives a new "
            "client ID and secret that every service using it must be given.",
            confirm_label="Purge",
        ), answered)

    def action_close(self) -> None:
        self.dismiss(self.restored)
