"""The audit trail the user may see, newest first."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from store.errors import AppdeckError
from store.policy import describe_changes
from store.text import safe
from tui.screens.common import DeckMixin, notify_error, short_time
from tui.widgets.key_footer import KeyFooter


class AuditScreen(DeckMixin, Screen[None]):
    """Who did what to which object, when, and what changed: old and new values where the entry has them (spec
    section 10; never a secret: a rotation says "rotated"), else the changed fields' names (older entries)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "Back", id="audit.close")]

    def compose(self) -> ComposeResult:
        yield Static(Text("Audit trail (newest first). Admins see everything; owners see their apps' entries."), id="topbar")
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("When", "Who", "Action", "Object", "Changes", "Detail")
        self.reload()
        table.focus()

    def reload(self, *, external: bool = False, keep: str | None = None) -> None:
        table = self.query_one(DataTable)
        table.clear()
        try:
            entries = self.deck.controller.audit()
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        for e in entries[:2000]:
            changes = describe_changes(e.changes, width=30) if e.changes else ", ".join(e.fields)
            table.add_row(*(Text(safe(v)) for v in (short_time(e.at), e.actor, e.action,
                                                       f"{e.object_type} {e.object_name}", changes, e.detail)))

    def action_close(self) -> None:
        self.dismiss(None)
