"""The Applications view: every built and registered app the user may open, pinned first; as a list, or (`v`) as
tiles with each app's logo, name and description, like the product's Applications page."""

from __future__ import annotations

import os
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Input, Static

from store.controller import AppEntry
from store.errors import AppdeckError
from store.text import safe
from tui.logos.widget import Logo
from tui.screens.common import ListScreen, notify_error
from tui.widgets.details_pane import DetailsArea, DetailsPane
from tui.widgets.row_list import Column, Row, RowList, make_row


def _row_of(e: AppEntry) -> Row:
    kind = "registered" if e.kind == "registered" else "built"
    return make_row(e.id, [("★ " if e.pinned else "") + e.name, kind, e.url], [e.name, e.description, e.url])


def thumbnail_of(entry: AppEntry) -> str | None:
    """The entry's thumbnail URL (None when it has none)."""
    url = entry.thumbnail_url
    return url if isinstance(url, str) and url else None


class Tile(Widget):
    """One app as a tile: its logo (8x4 cells) beside its name (★ when pinned), description and URL."""

    DEFAULT_CSS = """
    Tile { height: 6; border: round $panel-lighten-2; layout: horizontal; padding: 0 1 0 0; }
    Tile > Logo { margin: 0 1 0 0; }
    Tile > Vertical { width: 1fr; height: 4; }
    Tile .tile-name { height: 1; text-wrap: nowrap; text-overflow: ellipsis; text-style: bold; }
    Tile .tile-description { height: 2; text-overflow: ellipsis; }
    Tile .tile-url { height: 1; text-wrap: nowrap; text-overflow: ellipsis; color: $text-muted; }
    """

    LOGO_CELLS = (8, 4)

    def __init__(self, entry: AppEntry) -> None:
        super().__init__()
        self.entry = entry
        self._cursor = False

    def compose(self) -> ComposeResult:
        e = self.entry
        yield Logo(thumbnail_of(e), e.name, cells=self.LOGO_CELLS)
        with Vertical():
            yield Static(Content(("★ " if e.pinned else "") + safe(e.name)), classes="tile-name")
            yield Static(Content(safe(e.description) or "—"), classes="tile-description")
            yield Static(Content(safe(e.url)), classes="tile-url")

    @property
    def has_cursor(self) -> bool:
        return self._cursor

    def show_cursor(self, on: bool) -> None:
        self._cursor = on
        if on:
            accent = self.app.theme_variables.get("accent") or "ansi_bright_blue"
            self.styles.border = ("round", accent)
        else:
            for edge in ("border_top", "border_right", "border_bottom", "border_left"):
                self.styles.clear_rule(edge)  # back to the CSS border
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        screen = self.screen
        if isinstance(screen, ApplicationsScreen):
            screen.move_to_key(self.entry.id)


class Tiles(VerticalScroll, can_focus=True):
    """The tile layout: as many columns of tiles as the width takes (one tile at least 36 cells wide); the arrows
    (or hjkl) move the highlight, which is the list's cursor (the filter, a reload and the details agree with it)."""

    DEFAULT_CSS = """
    Tiles { height: 1fr; layout: grid; grid-size: 2; grid-gutter: 0 1; grid-rows: 6; padding: 0 1; display: none; }
    Tiles.visible { display: block; }
    Tiles > .tiles-more { column-span: 4; height: 6; color: $text-muted; content-align: center middle; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "step(-1, 0)", "Left", show=False, id="tiles.left"),
        Binding("right,l", "step(1, 0)", "Right", show=False, id="tiles.right"),
        Binding("up,k", "step(0, -1)", "Up", show=False, id="tiles.up"),
        Binding("down,j", "step(0, 1)", "Down", show=False, id="tiles.down"),
        Binding("home,g", "edge(-1)", "First", show=False, id="tiles.first"),
        Binding("end,G", "edge(1)", "Last", show=False, id="tiles.last"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="tiles.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="tiles.page_down"),
    ]

    TILE_WIDTH = 36
    MAX_TILES = 120  # tiles mounted at most; past them a line says how many more the filter can find

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = 2
        self.shown: tuple[list[str], object] | None = None  # the keys and entries the tiles were made from
        self.tiles: dict[str, Tile] = {}
        self.cursor_key: str | None = None

    def columns_for(self, width: int) -> int:
        return max(1, (width - 2) // self.TILE_WIDTH)

    def on_resize(self, event: events.Resize) -> None:
        columns = self.columns_for(event.size.width)
        if columns != self.columns:
            self.columns = columns
            self.styles.grid_size_columns = columns

    def show(self, keys: list[str], entries: dict[str, AppEntry], cursor: str | None) -> None:
        """Tiles for `keys` (the list's rows as filtered), made anew only when the rows changed; the highlight on
        `cursor`."""
        if self.shown is None or self.shown[0] != keys or self.shown[1] is not entries:
            self.shown = (keys, entries)
            self.remove_children()
            self.tiles = {k: Tile(entries[k]) for k in keys[: self.MAX_TILES] if k in entries}
            widgets: list[Widget] = list(self.tiles.values())
            if len(keys) > self.MAX_TILES:
                more = len(keys) - self.MAX_TILES
                widgets.append(Static(Content(f"{more} more: / filters them"), classes="tiles-more"))
            if not keys:
                widgets.append(Static(Content("Nothing matches the filter." if entries else
                                              "No applications are shared with you yet."), classes="tiles-more"))
            self.mount_all(widgets)
            self.cursor_key = None
        self.highlight(cursor)

    def highlight(self, key: str | None) -> None:
        """The highlight on another tile: its border in the accent colour. Set inline, not with a class: a class
        restyles the tile's whole subtree (about 8 ms a move); a border of the same kind repaints it only."""
        if key == self.cursor_key:
            return
        old = self.tiles.get(self.cursor_key or "")
        if old is not None:
            old.show_cursor(False)
        self.cursor_key = key
        tile = self.tiles.get(key or "")
        if tile is not None:
            tile.show_cursor(True)
            self.call_after_refresh(self.scroll_to_widget, tile, animate=False)

    def _screen(self) -> ApplicationsScreen | None:
        screen = self.screen
        return screen if isinstance(screen, ApplicationsScreen) else None

    def action_step(self, dx: int, dy: int) -> None:
        screen = self._screen()
        if screen is not None:
            screen.move_cursor_by(dx + dy * self.columns)

    def action_edge(self, direction: int) -> None:
        screen = self._screen()
        if screen is not None:
            screen.move_cursor_by(direction * 1_000_000)

    def action_page(self, direction: int) -> None:
        screen = self._screen()
        if screen is not None:
            rows = max(1, self.size.height // 6)
            screen.move_cursor_by(direction * rows * self.columns)


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
        Binding("v", "toggle_tiles", "Tiles", tooltip="Show the apps as tiles (logo, name, description) or as a list",
                id="apps.toggle_tiles"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, AppEntry] = {}
        self.tiles_shown = False  # v: the tile layout instead of the list and its details

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            yield widget
            if isinstance(widget, DetailsArea):
                yield Tiles(id="tiles")

    # -- tiles -------------------------------------------------------------------------------------

    def action_toggle_tiles(self) -> None:
        """v: tiles (logo, name, description; the arrows or hjkl move) or the list with its details."""
        self.tiles_shown = not self.tiles_shown
        tiles = self.query_one(Tiles)
        tiles.set_class(self.tiles_shown, "visible")
        self.row_list().display = not self.tiles_shown
        self.query_one(DetailsArea).display = not self.tiles_shown
        if self.tiles_shown:
            self._sync_tiles()
        if not isinstance(self.focused, Input):
            (tiles if self.tiles_shown else self.row_list()).focus()

    def _sync_tiles(self) -> None:
        if self.tiles_shown:
            lst = self.row_list()
            self.query_one(Tiles).show(lst.visible_keys(), self.entries, lst.highlighted_key)

    def move_cursor_by(self, step: int) -> None:
        """Move the highlight `step` apps on (the tiles' arrows: one across, a row of tiles down)."""
        lst = self.row_list()
        count = lst.row_count
        if count:
            lst.cursor = max(0, min(lst.cursor + step, count - 1))

    def move_to_key(self, key: str) -> None:
        """Highlight the app with this key (a click on its tile)."""
        lst = self.row_list()
        keys = lst.visible_keys()
        if key in keys:
            lst.cursor = keys.index(key)
        self.query_one(Tiles).focus()

    # Textual also runs ListScreen's handlers of these messages, after these: what follows them is called later.

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.tiles_shown and event.input.id == "filter":
            self.call_later(self._sync_tiles)  # the filter changed the rows shown

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.tiles_shown and event.input.id == "filter":
            self.call_later(self.query_one(Tiles).focus)

    def action_clear_filter(self) -> None:
        super().action_clear_filter()
        if self.tiles_shown:
            self.query_one(Tiles).focus()

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
        self._sync_tiles()
        if entry is None:
            self.query_one(DetailsArea).show_app(None, None)
            details.update(Content("Nothing to show."))
            return
        self.query_one(DetailsArea).show_app(thumbnail_of(entry), entry.name)
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
