"""A keyboard-driven list that draws only the visible rows (Textual's Line API) and filters by swapping indexes."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from rich.cells import set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from store.text import safe


@dataclass(frozen=True)
class Column:
    """A list column: its title and a fixed width (None shares what is left)."""

    title: str
    width: int | None = None


class Row(NamedTuple):
    """One row: a stable key (the app id), display cells (already made safe) and a lowercase search key.

    A tuple, not a dataclass: ten thousand of them are built per load, and a frozen dataclass is slow to make.
    """

    key: str
    cells: tuple[str, ...]
    search: str
    sort: tuple[Any, ...] = ()


def make_row(key: str, cells: Sequence[object], searchable: Sequence[object], sort: Sequence[Any] = ()) -> Row:
    """Build a row from stored values: control characters stripped, search key precomputed once."""
    return Row(key, tuple(map(safe, cells)), "\n".join(map(safe, searchable)).lower(), tuple(sort))


class RowList(ScrollView, can_focus=True):
    """Rows with a fixed header line, a cursor kept on the same key across refreshes, and an instant filter."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"rowlist--header", "rowlist--cursor", "rowlist--row", "rowlist--dim"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "First", show=False, id="list.first"),
        Binding("G,end", "last", "Last", show=False, id="list.last"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("enter", "select", "Open", show=False, id="list.select"),
    ]
    DEFAULT_CSS = """
    RowList { height: 1fr; }
    RowList > .rowlist--header { text-style: bold; color: $text-accent; }
    RowList > .rowlist--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    RowList:blur > .rowlist--cursor { background: $block-cursor-blurred-background; }
    RowList > .rowlist--dim { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, init=False)

    class Highlighted(Message):
        """The cursor moved to another row (key None when the list is empty)."""

        def __init__(self, row_list: RowList, key: str | None) -> None:
            super().__init__()
            self.row_list = row_list
            self.key = key

    class Selected(Message):
        """Enter was pressed on a row."""

        def __init__(self, row_list: RowList, key: str) -> None:
            super().__init__()
            self.row_list = row_list
            self.key = key

    def __init__(self, columns: Sequence[Column], *, empty_text: str = "Nothing here.", id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.empty_text = empty_text
        self._rows: list[Row] = []
        self._view: list[int] = []  # indexes into _rows that pass the filter, in display order
        self._all: list[int] = []  # every index: the view of an empty filter, built once per set_rows
        self._search: list[str] = []
        self._index: dict[str, int] = {}
        self._last_key: object = self  # the key last announced with Highlighted (self: none yet)
        self._query = ""
        self._sort_column: int | None = None
        self._sort_reverse = False
        self.lines_rendered = 0  # a regression guard reads this: bounded by the height per repaint

    # -- data --------------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Rows that pass the filter."""
        return len(self._view)

    @property
    def total_count(self) -> int:
        """All rows."""
        return len(self._rows)

    @property
    def highlighted_key(self) -> str | None:
        """The key under the cursor."""
        if 0 <= self.cursor < len(self._view):
            return self._rows[self._view[self.cursor]].key
        return None

    def visible_keys(self) -> list[str]:
        """Keys in display order (for tests and the command palette)."""
        return [self._rows[i].key for i in self._view]

    def set_rows(self, rows: Sequence[Row], *, keep_key: str | None = None) -> None:
        """Replace every row, keeping the cursor on `keep_key` (or the current key) when it is still there."""
        key = keep_key if keep_key is not None else self.highlighted_key
        self._rows = list(rows)
        self._all = list(range(len(self._rows)))
        self._apply_sort()
        self._reindex()
        self._refilter(key)

    def set_filter(self, query: str) -> None:
        """Show only rows whose search key contains the query (case-insensitive)."""
        query = query.lower()
        # Typing one more character can only narrow the view: scan the rows still shown, not all of them.
        narrowing = bool(self._query) and query.startswith(self._query)
        self._query = query
        self._refilter(self.highlighted_key, narrowing=narrowing)

    def sort_by(self, column: int) -> None:
        """Sort by a column; sorting by the same column again reverses the order."""
        if self._sort_column == column:
            self._sort_reverse = not self._sort_reverse
        else:
            self._sort_column, self._sort_reverse = column, False
        key = self.highlighted_key
        self._apply_sort()
        self._reindex()
        self._refilter(key)

    def _apply_sort(self) -> None:
        col = self._sort_column
        if col is None:
            return
        self._rows.sort(
            key=lambda r: (r.sort[col] if col < len(r.sort) else r.cells[col].lower()), reverse=self._sort_reverse
        )

    def _reindex(self) -> None:
        """Side tables for the hot paths: every row's search key, and each key's row index."""
        self._search = [r.search for r in self._rows]
        self._index = {r.key: i for i, r in enumerate(self._rows)}

    def _refilter(self, key: str | None, *, narrowing: bool = False) -> None:
        q, search = self._query, self._search
        if not q:
            self._view = self._all
        elif narrowing:
            self._view = [i for i in self._view if q in search[i]]
        else:
            self._view = [i for i, text in enumerate(search) if q in text]
        size = Size(self.scrollable_size.width, len(self._view) + 1)
        if size != self.virtual_size:  # a new virtual size means a new layout: skip it when nothing changed
            self.virtual_size = size
        index = 0
        row = self._index.get(key) if key is not None else None
        if row is not None:
            # The view lists row indexes in increasing order, so the key's position is a binary search away.
            pos = bisect_left(self._view, row)
            if pos < len(self._view) and self._view[pos] == row:
                index = pos
        cursor = min(index, max(len(self._view) - 1, 0))
        if cursor != self.cursor:
            self.cursor = cursor  # the watcher scrolls, repaints and announces
        else:
            self._scroll_cursor_into_view()
            self._announce()
        self.refresh()

    # -- cursor ------------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        """Post Highlighted only when the highlighted key really changed (a keystroke that keeps it costs nothing)."""
        key = self.highlighted_key
        if key != self._last_key:
            self._last_key = key
            self.post_message(self.Highlighted(self, key))

    def _page(self) -> int:
        return max(self.size.height - 1, 1)

    def _scroll_cursor_into_view(self) -> None:
        page = self._page()
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)

    def _move(self, to: int) -> None:
        if self._view:
            self.cursor = max(0, min(to, len(self._view) - 1))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self._view) - 1)

    def action_page_down(self) -> None:
        self._move(self.cursor + self._page())

    def action_page_up(self) -> None:
        self._move(self.cursor - self._page())

    def action_select(self) -> None:
        key = self.highlighted_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self._move(int(self.scroll_y) + event.y - 1)

    # -- drawing -----------------------------------------------------------------------------------

    def _widths(self, width: int) -> list[int]:
        fixed = sum(c.width or 0 for c in self.columns) + 2 * (len(self.columns) - 1)
        flex = [c for c in self.columns if c.width is None]
        share = max((width - 1 - fixed) // max(len(flex), 1), 8)
        return [c.width if c.width is not None else share for c in self.columns]

    def _line(self, cells: Sequence[str], widths: list[int]) -> str:
        return " " + "  ".join(set_cell_size(c, w) for c, w in zip(cells, widths))

    def render_line(self, y: int) -> Strip:
        self.lines_rendered += 1
        width = self.scrollable_size.width  # without the scrollbar
        widths = self._widths(width)
        if y == 0:
            style = self.get_component_rich_style("rowlist--header")
            return Strip([Segment(set_cell_size(self._line([c.title for c in self.columns], widths), width), style)])
        index = int(self.scroll_y) + y - 1
        if index >= len(self._view):
            if index == 0 and not self._view:
                style = self.get_component_rich_style("rowlist--dim")
                text = self.empty_text if not self._query else f"No rows match “{safe(self._query)}”. Escape clears the filter."
                return Strip([Segment(set_cell_size(" " + text, width), style)])
            return Strip.blank(width, self.rich_style)
        row = self._rows[self._view[index]]
        style = self.get_component_rich_style("rowlist--cursor" if index == self.cursor else "rowlist--row")
        return Strip([Segment(set_cell_size(self._line(row.cells, widths), width), style)])

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self._view) + 1)

    def rows_by_key(self) -> dict[str, Row]:
        """Rows keyed by key."""
        return {r.key: r for r in self._rows}

    def describe(self, fn: Callable[[Row], str]) -> list[str]:
        """Apply a function to every visible row (used by tests)."""
        return [fn(self._rows[i]) for i in self._view]
