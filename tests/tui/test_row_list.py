"""Spec section 5. Unit tests of the RowList widget: filtering by index, a cursor that follows its key, sorting, and bounded repaints."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input

from tui.widgets.row_list import Column, Row, RowList, make_row
from tui_helpers import tui_config  # noqa: F401  (autouse fixture)

COLUMNS = [Column("Name"), Column("Kind", 6), Column("Rank", 5)]


def rows(*names: str) -> list[Row]:
    """Rows keyed k-<name>, with a kind and a numeric sort key for the Rank column."""
    return [make_row(f"k-{n}", [n, "odd" if i % 2 else "even", str(i)], [n], [n.lower(), "odd" if i % 2 else "even", i])
            for i, n in enumerate(names)]


class Host(App[None]):
    """A filter box above a RowList, wired like the real screens; records the Highlighted keys."""

    CSS = "Input { height: 1; border: none; padding: 0; }"

    def __init__(self, initial: list[Row]) -> None:
        super().__init__()
        self.initial = initial
        self.highlighted: list[str | None] = []
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield Input(id="filter")
        yield RowList(COLUMNS, empty_text="Empty here.")

    def on_mount(self) -> None:
        lst = self.query_one(RowList)
        lst.set_rows(self.initial)
        lst.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one(RowList).set_filter(event.value)

    def on_row_list_highlighted(self, event: RowList.Highlighted) -> None:
        self.highlighted.append(event.key)

    def on_row_list_selected(self, event: RowList.Selected) -> None:
        self.selected.append(event.key)


def text_of(lst: RowList) -> list[str]:
    """The rendered text of every line of the widget."""
    return ["".join(seg.text for seg in lst.render_line(y)) for y in range(lst.size.height)]


async def test_make_row_strips_controls_and_precomputes_the_search_key() -> None:
    """Cells lose control characters; the search key is lowercase and covers every searchable field."""
    row = make_row("a", ["x\x1b[1my", "b\nc"], ["Alpha", "URL\x07"], [1])
    assert row.cells == ("x[1my", "b c")
    assert row.search == "alpha\nurl"
    assert row.sort == (1,)


async def test_filter_swaps_indexes_and_keeps_every_row() -> None:
    """A filter shows the matching rows in order; clearing it shows all again; the rows themselves are untouched."""
    app = Host(rows("Apple", "banana", "Cherry", "bandana"))
    async with app.run_test(size=(60, 10)):
        lst = app.query_one(RowList)
        assert lst.visible_keys() == ["k-Apple", "k-banana", "k-Cherry", "k-bandana"]
        lst.set_filter("AN")
        assert lst.visible_keys() == ["k-banana", "k-bandana"]
        assert (lst.row_count, lst.total_count) == (2, 4)
        lst.set_filter("zzz")
        assert lst.visible_keys() == [] and lst.highlighted_key is None
        lst.set_filter("")
        assert lst.row_count == 4


async def test_filter_by_keystrokes_and_empty_states() -> None:
    """Typing in the filter box narrows the list; no match says how to clear; an empty list shows its text."""
    app = Host(rows("Apple", "banana"))
    async with app.run_test(size=(60, 10)) as pilot:
        app.query_one(Input).focus()
        await pilot.press("q")
        lst = app.query_one(RowList)
        assert lst.visible_keys() == []
        assert "No rows match “q”. Escape clears the filter." in text_of(lst)[1]
        lst.set_filter("")
        lst.set_rows([])
        await pilot.pause()
        assert text_of(lst)[1].strip() == "Empty here."
        assert text_of(lst)[0].split() == ["Name", "Kind", "Rank"]


async def test_cursor_stays_on_the_same_key_across_set_rows() -> None:
    """New rows before the cursor, reordering, and filtering keep the cursor on the same key."""
    app = Host(rows("a", "b", "c", "d"))
    async with app.run_test(size=(60, 10)) as pilot:
        lst = app.query_one(RowList)
        await pilot.press("j", "j")
        assert lst.highlighted_key == "k-c"
        lst.set_rows(rows("0", "1", "a", "b", "c", "d"))
        assert lst.highlighted_key == "k-c" and lst.cursor == 4
        lst.set_rows(list(reversed(rows("a", "b", "c", "d"))))
        assert lst.highlighted_key == "k-c" and lst.cursor == 1
        lst.set_filter("c")
        assert lst.highlighted_key == "k-c" and lst.cursor == 0
        lst.set_filter("")
        assert lst.highlighted_key == "k-c"
        lst.set_rows(rows("a", "b", "c", "d"), keep_key="k-a")
        assert lst.highlighted_key == "k-a"


async def test_cursor_when_its_row_disappears() -> None:
    """The highlighted row removed: the cursor goes to the first row, never past the end; empty means None."""
    app = Host(rows("a", "b", "c"))
    async with app.run_test(size=(60, 10)) as pilot:
        lst = app.query_one(RowList)
        await pilot.press("G")
        assert lst.highlighted_key == "k-c"
        lst.set_rows(rows("a", "b"))
        assert lst.highlighted_key in ("k-a", "k-b") and 0 <= lst.cursor < 2
        lst.set_rows([])
        assert lst.highlighted_key is None
        await pilot.pause()
        assert app.highlighted[-1] is None


async def test_keys_move_the_cursor_and_post_messages() -> None:
    """j/k/down/up, g/G, page keys and enter; the cursor never leaves the list."""
    app = Host(rows(*[f"r{i:02}" for i in range(30)]))
    async with app.run_test(size=(60, 10)) as pilot:
        lst = app.query_one(RowList)
        await pilot.press("k")
        assert lst.cursor == 0
        await pilot.press("j", "down")
        assert lst.cursor == 2
        await pilot.press("up")
        assert lst.cursor == 1
        await pilot.press("G")
        assert lst.cursor == 29
        assert lst.scroll_y > 0  # scrolled to keep the cursor visible
        await pilot.press("j")
        assert lst.cursor == 29
        await pilot.press("g")
        assert lst.cursor == 0 and lst.scroll_y == 0
        await pilot.press("pagedown")
        assert lst.cursor == lst.size.height - 1
        await pilot.press("pageup")
        assert lst.cursor == 0
        await pilot.press("j", "enter")
        await pilot.pause()
        assert app.selected == ["k-r01"]
        assert app.highlighted[-1] == "k-r01"


async def test_sort_toggles_and_keeps_the_cursor() -> None:
    """sort_by a column sorts by its sort key; the same column again reverses; the cursor follows its key."""
    app = Host(rows("b", "D", "a", "c"))
    async with app.run_test(size=(60, 10)) as pilot:
        lst = app.query_one(RowList)
        await pilot.press("j")
        assert lst.highlighted_key == "k-D"
        lst.sort_by(0)
        assert lst.visible_keys() == ["k-a", "k-b", "k-c", "k-D"]  # sort key is lowercase
        assert lst.highlighted_key == "k-D"
        lst.sort_by(0)
        assert lst.visible_keys() == ["k-D", "k-c", "k-b", "k-a"]
        lst.sort_by(2)  # numeric rank: insertion order b, D, a, c
        assert lst.visible_keys() == ["k-b", "k-D", "k-a", "k-c"]
        lst.sort_by(2)
        assert lst.visible_keys() == ["k-c", "k-a", "k-D", "k-b"]
        assert lst.highlighted_key == "k-D"
        lst.set_rows(rows("e", "b", "D", "a", "c"))  # the sort stays in force for new rows
        assert lst.visible_keys()[0] == "k-c" and lst.highlighted_key == "k-D"


async def test_render_line_draws_header_rows_and_the_cursor() -> None:
    """Line 0 is the header; each row is padded into its columns; only the cursor row carries the cursor style."""
    app = Host(rows("alpha", "beta"))
    async with app.run_test(size=(40, 6)):
        lst = app.query_one(RowList)
        lines = text_of(lst)
        assert lines[1].startswith(" alpha") and "even" in lines[1]
        assert lines[2].startswith(" beta") and "odd" in lines[2]
        assert all(len(line) == 40 for line in lines)
        cursor_style = lst.get_component_rich_style("rowlist--cursor")
        assert list(lst.render_line(1))[0].style == cursor_style
        assert list(lst.render_line(2))[0].style != cursor_style


async def test_one_filter_keystroke_on_10000_rows_repaints_only_the_visible_lines() -> None:
    """Regression guard (a count, not a timer): a keystroke re-renders at most the screen height plus a few lines."""
    many = [make_row(f"id{i}", [f"app {i:05}", "spa", str(i)], [f"app {i:05}"], [i]) for i in range(10_000)]
    app = Host(many)
    height = 24
    async with app.run_test(size=(80, height)) as pilot:
        lst = app.query_one(RowList)
        await pilot.pause()
        assert lst.total_count == 10_000
        app.query_one(Input).focus()
        await pilot.pause()
        lst.lines_rendered = 0
        await pilot.press("7")
        await pilot.pause()
        assert lst.row_count == sum(1 for i in range(10_000) if "7" in f"app {i:05}")
        assert 0 < lst.lines_rendered <= height + 3, lst.lines_rendered
        lst.lines_rendered = 0
        await pilot.press("backspace")
        await pilot.pause()
        assert lst.row_count == 10_000
        assert 0 < lst.lines_rendered <= height + 3, lst.lines_rendered


async def test_a_cursor_move_repaints_the_two_lines_it_changes() -> None:
    """Regression guard (a count): moving the cursor within the page re-renders the old and the new cursor line."""
    many = [make_row(f"id{i}", [f"app {i:05}", "spa", str(i)], [f"app {i:05}"], [i]) for i in range(1_000)]
    app = Host(many)
    async with app.run_test(size=(80, 24)) as pilot:
        lst = app.query_one(RowList)
        await pilot.pause()
        lst.lines_rendered = 0
        await pilot.press("j")
        await pilot.pause()
        assert lst.cursor == 1 and lst.lines_rendered == 2, lst.lines_rendered
        lst.lines_rendered = 0
        await pilot.press("G")  # past the page: the list scrolls, so every visible line is new
        await pilot.pause()
        assert lst.highlighted_key == "id999" and lst.lines_rendered > 2


async def test_filter_keystrokes_never_lay_out_the_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression guard (a count): a new row count only updates the scrollbar, and the filter box's growing text
    only repaints it; neither re-lays-out the screen. A long query still scrolls to keep the cursor in view."""
    from textual.screen import Screen

    from tui.widgets.filter_box import FilterBox

    class Boxed(Host):
        def compose(self) -> ComposeResult:
            yield FilterBox(id="filter")
            yield RowList(COLUMNS, empty_text="Empty here.")

    layouts = []
    real = Screen._refresh_layout

    def counting(self: Screen[object], *args: object, **kwargs: object) -> None:
        layouts.append(1)
        real(self, *args, **kwargs)

    many = [make_row(f"id{i}", [f"app {i:05}", "spa", str(i)], [f"app {i:05}"], [i]) for i in range(2_000)]
    app = Boxed(many)
    async with app.run_test(size=(40, 12)) as pilot:
        lst = app.query_one(RowList)
        box = app.query_one(FilterBox)
        box.focus()
        await pilot.pause()
        monkeypatch.setattr(Screen, "_refresh_layout", counting)
        counts = []
        for key in ("7", "7", "backspace", "backspace"):
            await pilot.press(key)
            await pilot.pause()
            counts.append(lst.row_count)
            assert lst.row_count == sum(1 for i in range(2_000) if box.value in f"app {i:05}")
        assert counts[0] > counts[1] and counts[2] == counts[0] and counts[3] == 2_000  # every count changed
        assert layouts == []
        assert lst.virtual_size.height == 2_001 and lst.max_scroll_y > 0
        await pilot.press(*"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz")  # wider than the box
        await pilot.pause()
        shown = "".join(seg.text for seg in box.render_line(0))
        assert shown.rstrip().endswith("uvwxyz") and not shown.lstrip().startswith("abc") and box.scroll_offset.x > 0
        assert lst.row_count == 0


async def test_rows_show_before_their_search_keys_which_come_later_or_with_the_first_filter() -> None:
    """set_source without search keys: the rows draw; attach_search adds keys made elsewhere (in display order even
    after a sort, ignored for rows no longer shown); a filter typed before that makes them itself."""
    tags = [f"Name {n}" for n in ("delta", "alpha", "charlie", "bravo")]

    def source(lst: RowList, shown: list[str]) -> None:
        lst.set_source([t.split()[1] for t in shown], None, shown, cells=lambda t: (t, "", ""),
                       sort_value=lambda t, c: t, search_of=lambda t: t.lower())

    app = Host([])
    async with app.run_test(size=(60, 10)):
        lst = app.query_one(RowList)
        source(lst, tags)
        assert lst.snapshot()[2] is None and lst.visible_keys() == ["delta", "alpha", "charlie", "bravo"]
        lst.sort_by(0)
        assert lst.visible_keys() == ["alpha", "bravo", "charlie", "delta"]
        assert not lst.attach_search(list(tags), ["x"] * 4)  # other tags: ignored
        assert lst.attach_search(tags, [f"key of {t.split()[1]}" for t in tags])
        assert lst.snapshot()[2] == ["key of alpha", "key of bravo", "key of charlie", "key of delta"]
        assert not lst.attach_search(tags, ["late"] * 4)  # already there
        lst.set_filter("key of c")
        assert lst.visible_keys() == ["charlie"]
        # a filter before any keys: they are made on the spot
        lst.set_filter("")
        source(lst, tags[:2])
        lst.set_filter("alpha")
        assert lst.visible_keys() == ["alpha"] and lst.snapshot()[2] is not None


async def test_the_opening_worker_shows_rows_and_the_filter_works_at_once(tmp_path: Any) -> None:
    from store.controller import Controller
    from tui.app import AppdeckApp

    path = tmp_path / "s.json"
    ctl = Controller(path, "alice")
    for i in range(30):
        ctl.create_app({"name": f"App {i:02}", "app_url": f"https://a{i}.example.com"})
    app = AppdeckApp(store_path=path, user="alice", config={})
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            await pilot.pause(0.01)
            found = app.screen.query(RowList)
            if found and found.first().total_count:
                break
        lst = app.screen.query_one(RowList)
        assert lst.total_count == 30
        await pilot.press("slash", *"app 17")
        await pilot.pause()
        assert [lst.tag_of(k).name for k in lst.visible_keys()] == ["App 17"]


async def test_a_filter_over_many_rows_paints_the_first_screen_then_scans_the_rest() -> None:
    """Above PAINT_FIRST_FROM rows a keystroke scans only as far as the screen needs; the rows drawn are the first
    of the whole result, the rest is scanned right after the repaint, and everything that needs the whole view
    (the count, G, a narrower query) gets it."""
    n = 60_000
    many = [make_row(f"id{i}", [f"app {i:05}", "spa", str(i)], [f"app {i:05}"], [i]) for i in range(n)]
    app = Host(many)
    async with app.run_test(size=(80, 24)) as pilot:
        lst = app.query_one(RowList)
        await pilot.pause()
        assert n > RowList.PAINT_FIRST_FROM
        expect = [f"id{i}" for i in range(n) if "3" in f"app {i:05}"]
        lst.set_filter("3")
        assert lst.rows_to_scan > 0  # painted first
        shown = [lst.highlighted_key] + [lst._keys[lst._view[k]] for k in range(1, 20)]
        assert shown == expect[:20]
        await pilot.pause()
        assert lst.rows_to_scan == 0 and lst.visible_keys() == expect and lst.row_count == len(expect)
        # the cursor keeps its key even when it is deep in the list (the scan goes past it before painting)
        deep = expect[len(expect) // 2]
        lst.set_filter("")
        await pilot.pause()
        lst.cursor = lst.visible_keys().index(deep)
        await pilot.pause()
        lst.set_filter("3")
        assert lst.highlighted_key == deep and lst.cursor == expect.index(deep)
        # a narrower query and G both see the whole result, whether the scan has completed or not
        lst.set_filter("")
        await pilot.pause()
        lst.set_filter("3")
        lst.set_filter("33")
        assert lst.visible_keys() == [k for k in expect if "33" in f"app {int(k[2:]):05}"]
        lst.set_filter("3")
        lst.action_last()
        assert lst.highlighted_key == expect[-1]
        lst.set_filter("3")
        assert lst.row_count == len(expect)  # asking for the count completes the scan
