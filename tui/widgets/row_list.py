"""A keyboard-driven list that draws only the visible rows (Textual's Line API) and filters by swapping indexes."""

from __future__ import annotations

import itertools
import queue
import sys
import threading
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from store.text import safe

DIM = RichStyle(dim=True)
ELLIPSIS = "…"
ARROWS = ("▲", "▼")  # the sort column's direction in the header: ascending, descending


def fit(text: str, width: int) -> str:
    """`text` padded to exactly `width` cells, or cut to it with an ellipsis as its last cell (never cut silently)."""
    if width <= 0:
        return ""
    if text.isascii():  # the common case, at C speed: one cell per character
        if len(text) <= width:
            return text.ljust(width)
        return text[: width - 1] + ELLIPSIS
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(set_cell_size(text, width - 1).rstrip(" ") + ELLIPSIS, width)  # a wide character cut: padded


_to_free: queue.SimpleQueue[list[Any]] | None = None


def _free_later(containers: list[Any]) -> None:
    """Hand `containers` to the one freeing thread (started on first use; putting is instant: no thread start
    between two keys)."""
    global _to_free
    if _to_free is None:
        _to_free = queue.SimpleQueue()
        threading.Thread(target=_freeing, args=(_to_free,), name="rowlist-free", daemon=True).start()
    _to_free.put(containers)


def _freeing(todo: queue.SimpleQueue[list[Any]]) -> None:
    while True:
        _free_in_slices(todo.get())


def _free_in_slices(containers: list[Any]) -> None:
    """In a thread: free the lists and dicts a new source replaced, a slice at a time, so that no single call holds
    the interpreter for the milliseconds freeing 100,000 entries takes (the UI thread gets it back between slices).
    A container someone else still holds (a worker's snapshot) is only let go: it is freed when they are done."""
    while containers:
        c = containers.pop()
        if sys.getrefcount(c) > 2:  # `c` and getrefcount's argument: anything more is another holder
            continue
        if type(c) is list:
            while c:
                del c[-4096:]
        elif type(c) is dict:
            pop = c.popitem
            while c:
                for _ in range(min(4096, len(c))):
                    pop()
        del c


class Arranged(NamedTuple):
    """New rows sorted and indexed off the UI thread (`RowList.arrange_rows`), for the sort `state` they were made for."""

    state: tuple[int | None, bool, tuple[int, bool] | None]
    tags_in: list[Any]  # the caller's tags, as given to `set_source`
    keys: list[str]
    search: list[str]
    tags: list[Any]
    order: list[int] | None
    positions: dict[str, int]  # key -> row


@dataclass(frozen=True)
class Column:
    """A list column: its title and a fixed width (None shares what is left)."""

    title: str
    width: int | None = None


class Row(NamedTuple):
    """One eagerly built row: a stable key, display cells (already made safe), a lowercase search key and sort values.

    For short lists (the Applications view, settings, tests). Long lists hand `RowList.set_source` only keys and
    search keys, and their cells are made from the record when a line is drawn.
    """

    key: str
    cells: tuple[str, ...]
    search: str
    sort: tuple[Any, ...] = ()


def make_row(key: str, cells: Sequence[object], searchable: Sequence[object], sort: Sequence[Any] = ()) -> Row:
    """Build a row from stored values: control characters stripped, search key precomputed once."""
    return Row(key, tuple(map(safe, cells)), search_key(searchable), tuple(sort))


def search_key(searchable: Sequence[object]) -> str:
    """The lowercase text a filter query is looked for in: the fields joined by newlines (never in a field)."""
    try:
        if all(map(str.isprintable, searchable)):  # type: ignore[arg-type]  # C speed: nothing for safe() to strip
            return "\n".join(searchable).lower()  # type: ignore[arg-type]
    except TypeError:  # a field that is not text (None): safe() makes it so
        pass
    return "\n".join(map(safe, searchable)).lower()


def _row_cells(row: Row) -> Sequence[str]:
    return row.cells


def _row_sort(row: Row, column: int) -> Any:
    return row.sort[column] if column < len(row.sort) else row.cells[column].lower()


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
    RowList { height: 1fr; overflow-x: hidden; }
    RowList > .rowlist--header { text-style: bold; color: $text-accent; }
    RowList > .rowlist--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    RowList:blur > .rowlist--cursor { background: $block-cursor-blurred-background; }
    RowList > .rowlist--dim { color: $text-muted; }
    """

    PAINT_FIRST_FROM = 20_000  # rows to scan from which a filter paints the screen before scanning the rest
    FREE_IN_THREAD_FROM = 20_000  # rows from which the rows a new source replaces are freed in a thread
    cursor: reactive[int] = reactive(0, init=False, repaint=False)  # the watcher repaints only the two lines

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

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        empty_text: str = "Nothing here.",
        id: str | None = None,
        on_highlight: Callable[[str | None], object] | None = None,
    ) -> None:
        """`on_highlight(key)`, when given, is called at once when the highlighted key changes, instead of posting
        Highlighted: the screen then updates its details in the same frame as the list (a message is handled after
        the list has painted, which cost a second frame per cursor move)."""
        super().__init__(id=id)
        self.columns = list(columns)
        self.empty_text = empty_text
        self._on_highlight = on_highlight
        # Parallel lists, one entry per row in display order: key, lowercase search key, and the caller's tag (a
        # record, or a Row) from which `_cells`/`_sort_value` make a line's cells and a column's sort value.
        self._keys: list[str] = []
        self._search: list[str] | None = []  # None: not built yet (see set_source's `search_of`)
        self._search_of: Callable[[Any], str] | None = None
        self._source: list[Any] = []  # the tags as given (before sorting) and the order sorting put them in
        self._order: list[int] | None = None
        self._tags: list[Any] = []
        self._cells: Callable[[Any], Sequence[str]] = _row_cells
        self._sort_value: Callable[[Any, int], Any] = _row_sort
        self._dimmed: Callable[[Any], bool] | None = None  # which tags draw dimmed (e.g. a disabled app)
        self._view: Sequence[int] = range(0)  # row indexes that pass the filter, increasing
        # A filter over many rows paints first: `_view` then holds the matches of the rows scanned so far (enough for
        # the screen) and `_scan` says what is left to scan once the screen is painted: (query, rows, next position).
        self._scan: tuple[str, Sequence[int], int] | None = None
        self._released: list[Sequence[int]] = []  # views replaced by the last keystroke, freed after the repaint
        self._index: dict[str, int] = {}
        self._last_key: object = self  # the key last announced with Highlighted (self: none yet)
        self._query = ""
        self._sort_column: int | None = None
        self._sort_reverse = False
        self._presorted: tuple[int, bool] | None = None  # the order the caller's rows already come in
        self.show_counter = False  # the header's right end says `row/rows` (and the matches while filtering)
        self.lines_rendered = 0  # a regression guard reads this: bounded by the height per repaint

    # -- data --------------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        """Rows that pass the filter."""
        self._complete()
        return len(self._view)

    @property
    def rows_to_scan(self) -> int:
        """Rows a paint-first filter has not scanned yet (0 once the view is whole)."""
        return 0 if self._scan is None else len(self._scan[1]) - self._scan[2]

    @property
    def total_count(self) -> int:
        """All rows."""
        return len(self._keys)

    @property
    def highlighted_key(self) -> str | None:
        """The key under the cursor."""
        if 0 <= self.cursor < len(self._view):
            return self._keys[self._view[self.cursor]]
        return None

    @property
    def highlighted_tag(self) -> Any:
        """The tag (record) of the row under the cursor, or None."""
        if 0 <= self.cursor < len(self._view):
            return self._tags[self._view[self.cursor]]
        return None

    def visible_keys(self) -> list[str]:
        """Keys in display order (for tests and the command palette)."""
        self._complete()
        return [self._keys[i] for i in self._view]

    def snapshot(self) -> tuple[dict[str, int], list[Any], list[str] | None]:
        """The current rows as (key -> index, tags, search keys or None when not built yet), for a caller that
        rebuilds only changed rows."""
        return self._index, self._tags, self._search

    def tag_of(self, key: str) -> Any:
        """The tag of the row with this key, or None."""
        i = self._index.get(key)
        return None if i is None else self._tags[i]

    def is_dimmed(self, key: str) -> bool:
        """True when the row with this key draws dimmed (tests)."""
        tag = self.tag_of(key)
        return tag is not None and self._dimmed is not None and bool(self._dimmed(tag))

    def set_rows(self, rows: Sequence[Row], *, keep_key: str | None = None) -> None:
        """Replace every row with eagerly built rows (short lists), keeping the cursor on `keep_key` or the current key."""
        rows = list(rows)
        self.set_source([r.key for r in rows], [r.search for r in rows], rows, cells=_row_cells, sort_value=_row_sort,
                        keep_key=keep_key)

    def set_source(
        self,
        keys: list[str],
        search: list[str] | None,
        tags: list[Any],
        *,
        cells: Callable[[Any], Sequence[str]],
        sort_value: Callable[[Any, int], Any],
        keep_key: str | None = None,
        search_of: Callable[[Any], str] | None = None,
        dimmed: Callable[[Any], bool] | None = None,
        arranged: Arranged | None = None,
    ) -> None:
        """Replace every row: parallel lists of keys, search keys and tags; `cells(tag)` makes a line's display cells
        (already safe) only when it is drawn, `sort_value(tag, column)` a column's sort value. No per-row object is
        kept beyond the caller's own tags and the search keys. `search` may be None with `search_of(tag)` given: the
        rows show at once, and the search keys are made by `attach_search` (from a thread) or by the first filter.
        `dimmed(tag)`, when given, says which rows draw dimmed; like `cells`, it is asked only for a line being drawn."""
        key = keep_key if keep_key is not None else self.highlighted_key
        if search is None and search_of is None:
            raise ValueError("search keys or a way to make them")
        if key is not None and key in self._index:
            self._complete()
            old = (self._keys, self._view, self.cursor)  # where a row that went away was, to find its neighbour
        else:
            old = None
        # The rows replaced: their last references are dropped in a thread, so freeing 100,000 keys, search keys
        # and index entries never happens between two keys.
        replaced = [self._keys, self._search, self._tags, self._source, self._order, self._index]
        self._keys, self._search, self._tags = keys, search, tags
        self._source, self._order, self._search_of = tags, None, search_of
        self._cells, self._sort_value, self._dimmed = cells, sort_value, dimmed
        if arranged is not None and arranged.state == self._sort_state() and arranged.tags_in is tags:
            # sorted and indexed by a worker (`arrange_rows`) for this very sort: nothing of 100,000 rows is done here
            self._keys, self._search, self._tags, self._order, self._index = (arranged.keys, arranged.search,
                                                                               arranged.tags, arranged.order, arranged.positions)
        else:
            self._apply_sort()
            self._index = {k: i for i, k in enumerate(self._keys)}
        if old is not None and key not in self._index:  # the row went away (deleted here or by someone else)
            key = self._neighbour(*old)
        old = None
        self._refilter(key)
        if len(keys) > self.FREE_IN_THREAD_FROM:
            _free_later(replaced)

    def _neighbour(self, keys: list[str], view: Sequence[int], at: int) -> str | None:
        """The row shown after position `at` of the old rows that is still there, else the nearest one before it."""
        index = self._index
        for pos in itertools.chain(range(at + 1, len(view)), range(at - 1, -1, -1)):
            k = keys[view[pos]]
            if k in index:
                return k
        return None

    def set_filter(self, query: str) -> None:
        """Show only rows whose search key contains the query (case-insensitive)."""
        query = query.lower()
        # Typing one more character can only narrow the view: scan the rows still shown, not all of them.
        narrowing = bool(self._query) and query.startswith(self._query)
        self._query = query
        self._refilter(self.highlighted_key, narrowing=narrowing)

    @property
    def sort_state(self) -> tuple[int | None, bool]:
        """The sort column (None: the order the rows were given in) and whether it is reversed."""
        return self._sort_column, self._sort_reverse

    def assume_sorted(self, column: int, reverse: bool = False) -> None:
        """Say that the rows given to set_source already come sorted by `column` (e.g. the store lists apps by name):
        the header shows it, and nothing is sorted until another order is asked for."""
        self._presorted = (column, reverse)
        if self._sort_column is None:
            self._sort_column, self._sort_reverse = column, reverse
            self._refresh_header()

    def sort_next(self) -> tuple[int, bool]:
        """Sort by the column after the current one (ascending); the first call after the given order is a change."""
        column = 0 if self._sort_column is None else (self._sort_column + 1) % len(self.columns)
        self.sort_by(column, reverse=False)
        return column, False

    def reverse_sort(self) -> tuple[int, bool]:
        """Reverse the current order (the given order counts as the first column's, ascending)."""
        column = 0 if self._sort_column is None else self._sort_column
        reverse = not self._sort_reverse if self._sort_column is not None else True
        self.sort_by(column, reverse=reverse)
        return column, reverse

    def sort_by(self, column: int, *, reverse: bool | None = None) -> None:
        """Sort by a column, ascending unless `reverse`; without `reverse`, the same column again reverses the order."""
        if reverse is not None:
            self._sort_column, self._sort_reverse = column, reverse
        elif self._sort_column == column:
            self._sort_reverse = not self._sort_reverse
        else:
            self._sort_column, self._sort_reverse = column, False
        key = self.highlighted_key
        self._apply_sort()
        self._index = {k: i for i, k in enumerate(self._keys)}
        self._refilter(key)

    def _sort_state(self) -> tuple[int | None, bool, tuple[int, bool] | None]:
        return self._sort_column, self._sort_reverse, self._presorted

    def arrange_rows(self, keys: list[str], search: list[str], tags: list[Any], sort_value: Callable[[Any, int], Any]) -> Arranged:
        """What `set_source` does to new rows before showing them, done by the caller's worker thread: sorted the
        way the list sorts now, and the key -> row index. Reads only the sort state; `set_source(arranged=...)`
        uses the result when the sort is still the same (else it sorts again itself)."""
        state = self._sort_state()
        col, reverse, presorted = state
        order: list[int] | None = None
        if col is not None and (col, reverse) != presorted:
            order = sorted(range(len(tags)), key=lambda i: sort_value(tags[i], col), reverse=reverse)
            keys, search, tags_out = [keys[i] for i in order], [search[i] for i in order], [tags[i] for i in order]
        else:
            tags_out = tags
        return Arranged(state, tags, keys, search, tags_out, order, {k: i for i, k in enumerate(keys)})

    def _apply_sort(self) -> None:
        col = self._sort_column
        if col is None or (self._order is None and (col, self._sort_reverse) == self._presorted):
            return  # the rows as given are already in this order
        value, tags = self._sort_value, self._tags
        order = sorted(range(len(tags)), key=lambda i: value(tags[i], col), reverse=self._sort_reverse)
        self._keys = [self._keys[i] for i in order]
        if self._search is not None:
            self._search = [self._search[i] for i in order]
        self._order = order if self._order is None else [self._order[i] for i in order]
        self._tags = [tags[i] for i in order]

    def _refilter(self, key: str | None, *, narrowing: bool = False) -> None:
        q = self._query
        if narrowing:
            self._complete()  # a narrower query scans the whole previous view
        self._scan = None
        old = self._view
        if not q:
            self._view = range(len(self._keys))
        else:
            self._filter(q, narrowing, key)
        if isinstance(old, list) and len(old) > 1000:
            # Freeing tens of thousands of row numbers takes milliseconds: after the repaint, not before it.
            self._released.append(old)
            self.call_after_refresh(self._released.clear)
        if self._scan is not None:  # the scrollbar keeps its size until the scan has counted the rows
            self._set_row_count(max(len(self._view), self.virtual_size.height - 1))
        else:
            self._set_row_count(len(self._view))
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

    def _filter(self, q: str, narrowing: bool, key: str | None) -> None:
        search = self.search_keys()
        rows: Sequence[int] = self._view if narrowing else range(len(search))
        if len(rows) < self.PAINT_FIRST_FROM or not self.is_mounted:
            if narrowing:
                self._view = [i for i in rows if q in search[i]]
            else:
                self._view = [i for i, text in enumerate(search) if q in text]  # no index lookup per row
            return
        # Many rows to scan (about 4 ms for 70,000): scan only as far as the screen needs (past the highlighted row,
        # then a screen of matches), paint, and scan the rest right after the repaint. The rows drawn are exactly
        # the first ones of the whole result, so nothing shown changes when the scan completes; everything that needs
        # the whole view (row count, moving past it, a narrower query, sorting) completes it first.
        at = self._index.get(key, -1) if key is not None else -1
        page = max(self.size.height, 1) + 1
        view: list[int] = []
        base: int | None = None
        pos = 0
        for pos, i in enumerate(rows, 1):
            if base is None and i >= at:
                base = len(view)
            if q in search[i]:
                view.append(i)
                if base is not None and len(view) > base + page:
                    break
        self._view = view
        if pos < len(rows):
            self._scan = (q, rows, pos)
            self.call_after_refresh(self._complete)

    def _complete(self) -> None:
        """Scan the rows a paint-first filter left (see `_filter`)."""
        if self._scan is None:
            return
        q, rows, pos = self._scan
        self._scan = None
        search = self.search_keys()
        view = self._view
        assert isinstance(view, list)
        view.extend(i for i in itertools.islice(rows, pos, None) if q in search[i])
        self._set_row_count(len(view))
        if self.show_counter:
            self._refresh_header()  # the match count is whole now

    def search_keys(self) -> list[str]:
        """Every row's search key in display order, made now if they were not given yet."""
        if self._search is None:
            assert self._search_of is not None
            self._search = list(map(self._search_of, self._tags))
        return self._search

    def attach_search(self, tags: list[Any], search: list[str]) -> bool:
        """The search keys of `tags` (in the order given to set_source), made elsewhere; ignored unless the list still
        shows those very tags and has none yet. True when attached."""
        if tags is not self._source or self._search is not None or len(search) != len(tags):
            return False
        self._search = search if self._order is None else [search[i] for i in self._order]
        return True

    def _set_row_count(self, rows: int) -> None:
        """Tell the scrollbars how many lines there are. The list's own size never depends on its row count (it
        takes the height it is given), so a new count needs new scrollbars, not a layout of the whole screen."""
        size = Size(0, rows + 1)  # lines are cut to the width: never a horizontal scrollbar
        if size == self.virtual_size:
            return
        if not self.is_mounted:
            self.virtual_size = size
            return
        self.set_reactive(RowList.virtual_size, size)
        self._scroll_update(size)  # scrollbar sizes and visibility (a scrollbar that appears still lays out)

    # -- cursor ------------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        if self._scroll_cursor_into_view():
            self.refresh()
        else:  # nothing scrolled: only the line the cursor left and the one it reached change
            self.refresh_line(old + 1)
            self.refresh_line(new + 1)
            if self.show_counter:
                self._refresh_header()  # the counter's row number
        self._announce()

    def _announce(self) -> None:
        """Post Highlighted only when the highlighted key really changed (a keystroke that keeps it costs nothing)."""
        key = self.highlighted_key
        if key != self._last_key:
            self._last_key = key
            if self._on_highlight is not None:
                self._on_highlight(key)
            else:
                self.post_message(self.Highlighted(self, key))

    def _page(self) -> int:
        return max(self.size.height - 1, 1)

    def _scroll_cursor_into_view(self) -> bool:
        """Scroll so the cursor's row shows; True when it scrolled."""
        page = self._page()
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + page:
            self.scroll_to(y=self.cursor - page + 1, animate=False, immediate=True)
        else:
            return False
        return True

    def _move(self, to: int) -> None:
        if self._scan is not None and to >= len(self._view) - 1:
            self._complete()
        if self._view:
            self.cursor = max(0, min(to, len(self._view) - 1))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._complete()
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
        return " " + "  ".join(map(fit, cells, widths))

    def counter_text(self) -> str:
        """`row/rows`, or `row/matches of rows` while filtering (`+` while a paint-first filter is still counting)."""
        total = len(self._keys)
        shown = len(self._view)
        at = self.cursor + 1 if shown else 0
        if not self._query:
            return f"{at}/{total}"
        return f"{at}/{shown}{'+' if self._scan is not None else ''} of {total}"

    def _titles(self, widths: list[int]) -> list[str]:
        """Each column's title cut to its width (with an ellipsis); the sort column's with its direction (▲
        ascending, ▼ descending), which may take one cell of the gap after it."""
        titles: list[str] = []
        for i, (column, w) in enumerate(zip(self.columns, widths)):
            title = column.title
            if i == self._sort_column:
                arrow = ARROWS[self._sort_reverse]
                if len(title) + 2 <= w:
                    title = f"{title} {arrow}"
                elif len(title) + 1 <= w + (1 if i < len(widths) - 1 else 0):
                    title = title + arrow
                else:
                    title = fit(title, max(w - 1, 1)).rstrip() + arrow
            titles.append(title if cell_len(title) > w else fit(title, w))
        return titles

    def _header(self, widths: list[int], width: int) -> str:
        """The titles and, with `show_counter`, the counter: at the right end when it fits after the last title,
        else at the right of the first shared-width column (the widest, its title short); never over a title."""
        titles = self._titles(widths)
        counter = self.counter_text() + " " if self.show_counter else ""
        if counter:
            last = " " + "  ".join(titles)
            if cell_len(last.rstrip()) + 1 + len(counter) > width:
                flex = next((i for i, c in enumerate(self.columns) if c.width is None), None)
                if flex is not None and cell_len(titles[flex].rstrip()) + len(counter) < widths[flex]:
                    titles[flex] = fit(titles[flex].rstrip(), widths[flex] - len(counter) + 1) + counter[:-1]
                    counter = ""
        parts: list[str] = []
        for i, title in enumerate(titles):
            parts.append(title)
            if i < len(titles) - 1:
                parts.append(" " if cell_len(title) > widths[i] else "  ")  # an arrow took a cell of the gap
        text = " " + "".join(parts)
        if not counter:
            return fit(text, width)
        room = width - len(counter)
        text = text.rstrip()
        if cell_len(text) > room - 1:
            text = fit(text, max(room - 1, 0))
        return fit(text, room) + counter

    def _refresh_header(self) -> None:
        if self.is_mounted:
            self.refresh(Region(0, 0, self.size.width, 1))

    def render_line(self, y: int) -> Strip:
        self.lines_rendered += 1
        width = self.scrollable_size.width  # without the scrollbar
        widths = self._widths(width)
        if y == 0:
            style = self.get_component_rich_style("rowlist--header")
            return Strip([Segment(self._header(widths, width), style)])
        index = int(self.scroll_y) + y - 1
        if index >= len(self._view):
            if index == 0 and not self._view:
                style = self.get_component_rich_style("rowlist--dim")
                text = self.empty_text if not self._query else f"No rows match “{safe(self._query)}”. Escape clears the filter."
                return Strip([Segment(set_cell_size(" " + text, width), style)])
            return Strip.blank(width, self.rich_style)
        tag = self._tags[self._view[index]]
        style = self.get_component_rich_style("rowlist--cursor" if index == self.cursor else "rowlist--row")
        if self._dimmed is not None and self._dimmed(tag):
            style += DIM  # the theme's colours, dimmed (a terminal's faint attribute: every theme, ansi too)
        return Strip([Segment(fit(self._line(self._cells(tag), widths), width), style)])

    def on_resize(self, event: events.Resize) -> None:
        self._complete()  # a taller list may show rows past what a paint-first filter scanned
        self._set_row_count(len(self._view))

    def rows_by_key(self) -> dict[str, Row]:
        """Every row as a Row (cells made now), keyed by key (tests)."""
        return {k: Row(k, tuple(self._cells(t)), s) for k, s, t in zip(self._keys, self.search_keys(), self._tags)}

    def describe(self, fn: Callable[[Row], str]) -> list[str]:
        """Apply a function to every visible row (used by tests)."""
        self._complete()
        rows = self.rows_by_key()
        return [fn(rows[self._keys[i]]) for i in self._view]
