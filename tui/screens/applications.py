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
from tui.widgets.row_list import Column, Row, RowList, make_row


def _row_of(e: AppEntry) -> Row:
    kind = "registered" if e.kind == "registered" else "built"
    return make_row(e.id, [("★ " if e.pinned else "") + e.name, kind, e.url], [e.name, e.description, e.url])


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

    def prepare_rows(self) -> tuple[object, dict[str, AppEntry], list[Row]]:
        """The entries and rows for the store as read now; made in the poll's worker after another user's save."""
        source = self.deck.reads_data()
        entries = self.deck.controller.list_applications()
        return source, {e.id: e for e in entries}, [_row_of(e) for e in entries]

    def reload(self, *, keep: str | None = None, external: bool = False,
               prepared: tuple[object, dict[str, AppEntry], list[Row]] | None = None) -> None:
        """Show the entries the controller lists now (`prepared` by the poll's worker when it is still current)."""
        if prepared is None or prepared[0] is not self.deck.reads_data():
            try:
                prepared = self.prepare_rows()
            except AppdeckError as exc:
                notify_error(self.deck, exc)
                return
        _source, self.entries, rows = prepared
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
        details.update_fields([
            ("Name", safe(entry.name)),
            ("Description", safe(entry.description) or "—"),
            ("URL", Content(url).stylize(Style(link=url))),
            ("", "enter copies the URL · o opens it"),
        ])

    def action_copy_url(self) -> None:
        entry = self.current
        if entry is not None:
            self.app.copy_to_clipboard(entry.url)
            self.deck.say(f"Copied the URL of “{safe(entry.name)}”.")

    def action_open_url(self) -> None:
        """o: the URL in a browser; where none can be started (over SSH, no browser found) it is copied instead and
        the status line says so."""
        entry = self.current
        if entry is None:
            return
        name = safe(entry.name)
        if not entry.url.lower().startswith(("https://", "http://")):
            self.deck.say("Only http and https URLs are opened.", severity="warning")
        elif os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
            # A browser started here would run on the server (and a console browser can reach a shell).
            self.app.copy_to_clipboard(entry.url)
            self.deck.say(f"Over SSH appdeck does not start a browser on the server; copied the URL of “{name}” instead.")
        elif not open_in_browser(entry.url):
            self.app.copy_to_clipboard(entry.url)
            self.deck.say(f"No web browser could be started here; copied the URL of “{name}” instead.", severity="warning")
        else:
            self.deck.say(f"Opening the URL of “{name}” in a browser.")


def open_in_browser(url: str) -> bool:
    """Start a graphical browser on `url`; False when there is none. Python's webbrowser module falls back to a
    console browser (www-browser, lynx, w3m) when there is no display: started from here it would take over the
    terminal the TUI is drawn on, so it counts as none (the URL is copied instead)."""
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if type(browser) is webbrowser.GenericBrowser:  # a console browser (a graphical one runs in the background)
        return False
    try:
        return bool(browser.open(url, new=2))
    except OSError:
        return False
