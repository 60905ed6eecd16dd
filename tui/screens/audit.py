"""The audit trail the user may see, newest first: of the highlighted app, or (a) everything the user may see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static

from store.errors import AppdeckError
from store.policy import audit_changes, describe_changes
from store.records import AuditRecord
from store.text import safe
from tui.jobs import ChangeRunner
from tui.screens.common import DeckMixin, notify_error, short_time
from tui.widgets.details_pane import DetailsPane
from tui.widgets.filter_box import FilterBox
from tui.widgets.key_footer import KeyFooter
from tui.widgets.row_list import Column, RowList, search_key
from tui.widgets.status_line import StatusLine

CHANGES_WIDTH = 30  # each old or new value in the list's Changes column (the details pane shows them whole)


def _cells_of(e: AuditRecord) -> tuple[str, ...]:
    changes = audit_changes(e.changes, e.fields, width=CHANGES_WIDTH)
    detail = f"{changes} · {e.detail}" if changes and e.detail else changes or e.detail
    return tuple(map(safe, (short_time(e.at), e.actor, e.action, f"{e.object_type} {e.object_name}", detail)))


def _search_of(e: AuditRecord) -> str:
    return search_key([e.at, e.actor, e.action, e.object_type, e.object_name, e.object_id,
                       audit_changes(e.changes, e.fields), e.detail])


def _sort_value_of(e: AuditRecord, column: int) -> Any:
    return _cells_of(e)[column].lower() if column else e.at


def _keys_of(entries: Sequence[AuditRecord]) -> list[str]:
    """A key per entry that stays the same across reloads and between the app's and everything (entries have no id)."""
    seen: dict[str, int] = {}
    keys = []
    for e in entries:
        base = f"{e.at}\n{e.actor}\n{e.action}\n{e.object_id}"
        n = seen[base] = seen.get(base, 0) + 1
        keys.append(f"{base}\n{n}")
    return keys


class AuditScreen(DeckMixin, ChangeRunner, Screen[None]):
    """Who did what to which object, when, and what changed: old and new values where the entry has them (spec
    section 10; never a secret: a rotation says "rotated"), else the changed fields' names (older entries), and the
    entry's detail ("editor -> viewer; 5 apps to dev-lee"), as `appdeck audit` prints them (store.policy's
    `audit_changes`). Opened on an app it shows that app's entries; `a` switches to everything the user may see and
    back; `/` filters as you type."""

    COLUMNS: ClassVar[list[Column]] = [Column("When", 16), Column("Who", 9), Column("Action", 13), Column("Object"),
                                       Column("Changes · detail")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", tooltip="Filter the entries as you type", id="audit.filter"),
        Binding("a,A", "toggle_scope", "All / this app", tooltip="Everything you may see, or only this app's entries",
                id="audit.scope"),
        Binding("escape", "back", "Back", tooltip="Clear the filter, else back to the list", id="audit.back"),
    ]

    def __init__(self, app_id: str | None = None, app_name: str | None = None) -> None:
        super().__init__()
        self.app_id = app_id
        self.app_name = app_name
        self.scoped = app_id is not None  # only the app's entries (a switches)
        self.entries: list[AuditRecord] = []

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        yield FilterBox(placeholder="filter: who, action, object, changes  (escape clears)", id="filter")
        yield RowList(self.COLUMNS, empty_text="No audit entries you may see.", id="main-list",
                      on_highlight=lambda key: self.show_details())
        yield DetailsPane(id="details")
        yield StatusLine(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        lst = self.query_one(RowList)
        lst.show_counter = True
        self.reload()
        lst.focus()

    def _title(self) -> Content:
        if self.scoped:
            return Content.assemble(("Audit", "bold"), f"  of “{safe(self.app_name or self.app_id or '')}”, newest first",
                                    ("  · a: everything you may see", "dim"))
        tail = ("  · a: this app only", "dim") if self.app_id is not None else ""
        return Content.assemble(("Audit", "bold"), "  everything you may see, newest first", tail)

    def reload(self, *, external: bool = False, keep: str | None = None) -> None:
        """Read the entries again through the controller (also after another process's change)."""
        try:
            entries = self.deck.controller.audit(self.app_id if self.scoped else None)
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        self.entries = entries
        self.query_one("#topbar", Static).update(self._title())
        lst = self.query_one(RowList)
        lst.empty_text = ("No audit entries of this app you may see. a shows everything you may see."
                          if self.scoped else "No audit entries you may see.")
        lst.set_source(_keys_of(entries), None, entries, cells=_cells_of, sort_value=_sort_value_of, keep_key=keep,
                       search_of=_search_of)
        self.show_details()
        self.refresh_bindings()

    @property
    def current(self) -> AuditRecord | None:
        entry: AuditRecord | None = self.query_one(RowList).highlighted_tag
        return entry

    def show_details(self) -> None:
        """The highlighted entry whole: every change on its own line, and the detail."""
        pane = self.query_one("#details", DetailsPane)
        e = self.current
        if e is None:
            pane.update(Content(""))
            return
        fields: list[tuple[str, str | Content]] = [
            ("When", short_time(e.at)),
            ("Who", e.actor),
            ("Action", e.action),
            ("Object", f"{e.object_type} {e.object_name} · id {e.object_id}".strip()),
        ]
        if e.changes:
            for i, (name, change) in enumerate(e.changes.items()):
                fields.append(("Changes" if i == 0 else "", describe_changes({name: change}, width=200)))
        elif e.fields:
            fields.append(("Changes", audit_changes({}, e.fields)))
        if e.detail:
            fields.append(("Detail", e.detail))
        pane.update_fields([(label, safe(value) if isinstance(value, str) else value) for label, value in fields])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_scope":
            return True if self.app_id is not None else None
        return True

    def action_toggle_scope(self) -> None:
        """a: everything the user may see, or back to the app's entries; the cursor stays on its entry if shown."""
        if self.app_id is None:
            return
        self.scoped = not self.scoped
        self.reload()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        box.focus()

    def action_back(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_class("visible") or box.value:
            box.value = ""
            box.remove_class("visible")
            self.query_one(RowList).focus()
            return
        self.dismiss(None)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.query_one(RowList).set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.query_one(RowList).focus()
