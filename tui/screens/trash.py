"""The Trash view: the acting user's deleted apps (spec section 10); r restores one, p purges one after a question."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from store.errors import AppdeckError
from store.text import safe
from store.vocabulary import TRASH_DAYS
from tui.jobs import ChangeRunner
from tui.screens.common import DeckMixin, notify_error, short_time
from tui.widgets.key_footer import KeyFooter
from tui.widgets.row_list import Column, RowList, make_row
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from store.controller import TrashEntry
    from store.records import AppRecord


class TrashScreen(DeckMixin, ChangeRunner, Screen[str | None]):
    """Deleted apps, newest first, with their deletion and purge dates. Dismissed with the id of the app restored
    last (the Developers list then highlights it), or None."""

    COLUMNS: ClassVar[list[Column]] = [Column("Name"), Column("Deleted", 16), Column("Purged on", 10)]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "restore", "Restore", tooltip="Bring the app back exactly as it was (same client ID and secret)",
                id="trash.restore"),
        Binding("p", "purge", "Purge", tooltip="End the app now (asks first; this is final)", id="trash.purge"),
        Binding("escape", "close", "Back", tooltip="Back to the Developers view", id="trash.close"),
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
        yield StatusLine(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        lst = self.query_one(RowList)
        lst.show_counter = True
        self.reload()
        lst.focus()

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
            "Client ID ", safe(entry.app.client_id), ("   r restores it · p purges it", "dim"))
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

    def _failed_for(self, entry: TrashEntry) -> Callable[[AppdeckError], None]:
        def failed(exc: AppdeckError) -> None:
            self.reload()  # restored or purged meanwhile (another appdeck, the CLI): show the trash as it is
            notify_error(self.deck, exc, names={entry.app.id: entry.app.name})

        return failed

    def action_restore(self) -> None:
        """r: the app back in the Developers list exactly as it was; the cursor goes to the next deleted app."""
        entry = self.current
        if entry is None:
            return

        def restored(app: AppRecord) -> None:
            self.restored = app.id
            self.reload()
            self.deck.say(f"Restored “{safe(app.name)}” with the same client ID and secret.")

        self.run_change(lambda: self.deck.controller.restore_app(entry.app.id), restored, what="Restoring",
                        failed=self._failed_for(entry))

    def action_purge(self) -> None:
        from tui.screens.confirm import ConfirmScreen

        entry = self.current
        if entry is None:
            return

        def purged(_: object) -> None:
            self.reload()
            self.deck.say(f"Purged “{safe(entry.app.name)}”.")

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.run_change(lambda: self.deck.controller.purge_app(entry.app.id), purged, what="Purging",
                                failed=self._failed_for(entry))

        self.app.push_screen(ConfirmScreen(
            "Purge application",
            f"Purge “{safe(entry.app.name)}” now? This is final: it cannot be restored, and re-creating it gives a new "
            "client ID and secret that every service using it must be given.",
            confirm_label="Purge",
        ), answered)

    def action_close(self) -> None:
        self.dismiss(self.restored)
