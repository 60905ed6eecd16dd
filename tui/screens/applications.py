"""The Applications view: every built and registered app the user may open, pinned first."""

from __future__ import annotations

import os
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.style import Style

from store.controller import AppEntry
from store.errors import AppdeckError
from store.text import safe
from tui.screens.common import ListScreen, notify_error
from tui.widgets.details_pane import DetailsPane
from tui.widgets.row_list import Column, RowList, make_row


class ApplicationsScreen(ListScreen):
    """What the user can open: name, description and URL; Enter copies the URL, o opens it."""

    VIEW = "applications"
    FILTER_HINT = "name, description, URL"
    COLUMNS = [Column("Name", 28), Column("Kind", 10), Column("URL")]
    EMPTY_TEXT = "No applications are shared with you yet."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "switch_view", "Views", tooltip="Developers / Applications", id="switch_view"),
        Binding("slash", "filter", "Filter", tooltip="Filter by name, description or URL", id="apps.filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="apps.clear_filter"),
        Binding("enter,y,c", "copy_url", "Copy URL", tooltip="Copy the URL (OSC 52)", id="apps.copy_url"),
        Binding("o", "open_url", "Open", tooltip="Open the URL in a browser", id="apps.open_url"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, AppEntry] = {}

    def reload(self, *, keep: str | None = None, external: bool = False) -> None:
        """Re-read the entries through the controller."""
        try:
            entries = self.deck.controller.list_applications()
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        self.entries = {e.id: e for e in entries}
        rows = [
            make_row(e.id, [("★ " if e.pinned else "") + e.name, "registered" if e.kind == "registered" else "built", e.url],
                     [e.name, e.description, e.url])
            for e in entries
        ]
        self.query_one(RowList).set_rows(rows, keep_key=keep)
        self.show_details()

    @property
    def current(self) -> AppEntry | None:
        key = self.query_one(RowList).highlighted_key
        return self.entries.get(key) if key else None

    def on_row_list_selected(self, event: RowList.Selected) -> None:
        self.action_copy_url()

    def show_details(self) -> None:
        entry = self.current
        details = self.query_one("#details", DetailsPane)
        if entry is None:
            details.update(Content("Nothing to show."))
            return
        url = safe(entry.url)
        details.update(
            Content.assemble(
                ("Name          ", "bold"), safe(entry.name), "\n",
                ("Description   ", "bold"), safe(entry.description) or "—", "\n",
                ("URL           ", "bold"), Content(url).stylize(Style(link=url)), "\n",
                ("              ", ""), ("enter copies the URL · o opens it", "dim"),
            )
        )

    def action_copy_url(self) -> None:
        entry = self.current
        if entry is not None:
            self.app.copy_to_clipboard(entry.url)
            self.notify(f"Copied the URL of “{safe(entry.name)}”.", markup=False, timeout=3)

    def action_open_url(self) -> None:
        entry = self.current
        if entry is None:
            return
        if not entry.url.lower().startswith(("https://", "http://")):
            self.notify("Only http and https URLs are opened.", severity="warning", markup=False)
        elif os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
            # A browser started here would run on the server (and a console browser can reach a shell).
            self.app.copy_to_clipboard(entry.url)
            self.notify("Over SSH appdeck does not start a browser on the server; the URL was copied instead.", markup=False)
        else:
            self.app.open_url(entry.url)
