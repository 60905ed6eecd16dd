"""Issue 11 item 4 and the list screens' defects: the sort column and direction in the header (o, O), a row counter,
an ellipsis on every cut cell, the cursor on the neighbour after a row goes away, a hanging indent and the creation
time in the details pane, "read-only" beside the secret, `o` without a browser, readable error titles naming the
app, routine messages on the status line, and every change of the Developers and Trash views in a worker."""

from __future__ import annotations

import webbrowser
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from store.controller import Controller
from store.text import safe
from tui.screens.applications import ApplicationsScreen
from tui.screens.common import short_time
from tui.screens.developers import DevelopersScreen
from tui.screens.trash import TrashScreen
from tui.widgets.details_pane import DetailsPane
from tui.widgets.row_list import Column, RowList, make_row
from tui.widgets.status_line import StatusLine
from tui_helpers import (  # noqa: F401  (fixtures)
    app_by_name,
    demo_path,
    details_text,
    make_app,
    move_to,
    row_list,
    screen_lines,
    screen_text,
    tui_config,
)

SIZE = (80, 24)


def status(app: Any) -> str:
    return str(app.screen.query_one(StatusLine).text)


def header(app: Any) -> str:
    return "".join(seg.text for seg in row_list(app).render_line(0))


def toasts(app: Any) -> list[dict[str, str]]:
    """Notifications shown as toasts (the status line's messages are recorded with the title "status")."""
    return [n for n in app.sent if n["title"] != "status"]


async def settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# -- sorting -----------------------------------------------------------------------------------------


async def test_first_o_changes_the_order_and_the_header_shows_column_and_direction(demo_path: Path) -> None:
    """The list comes sorted by name (the header says "Name ▲"); the first o sorts by type, O reverses it; the
    cursor stays on its app and no toast is shown."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        lst = row_list(app)
        assert "Name ▲" in header(app)
        before = lst.visible_keys()
        await move_to(pilot, "Wiki")
        wiki = lst.highlighted_key
        await pilot.press("o")
        await pilot.pause()
        types = [lst.rows_by_key()[k].cells[1] for k in lst.visible_keys()]
        assert lst.visible_keys() != before and types == sorted(types)
        assert "Type▲" in header(app) or "Type ▲" in header(app)
        assert "Name ▲" not in header(app)
        await pilot.press("O")
        await pilot.pause()
        types = [lst.rows_by_key()[k].cells[1] for k in lst.visible_keys()]
        assert types == sorted(types, reverse=True)
        assert "▼" in header(app) and lst.highlighted_key == wiki
        await pilot.press("o", "o", "o", "o")  # sharing, owner, updated, back to name
        await pilot.pause()
        assert "Name ▲" in header(app) and lst.visible_keys() == before
        assert not [n for n in toasts(app) if "Sort" in n["message"]]  # no toast for sorting


async def test_reverse_sort_of_the_given_order_reverses_the_names(demo_path: Path) -> None:
    """O at once: the names in reverse order, "Name ▼"."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        lst = row_list(app)
        names = [lst.rows_by_key()[k].cells[0].lower() for k in lst.visible_keys()]
        await pilot.press("O")
        await pilot.pause()
        assert [lst.rows_by_key()[k].cells[0].lower() for k in lst.visible_keys()] == sorted(names, reverse=True)
        assert "Name ▼" in header(app)


# -- the row counter -------------------------------------------------------------------------------


async def test_counter_shows_the_row_and_the_matches_without_laying_out(demo_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`row/rows` at the header's right end, `row/matches of rows` while filtering; a key that moves the cursor or
    narrows the filter never lays out the screen (the counter is a line of the list, repainted alone)."""
    from textual.screen import Screen

    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        total = row_list(app).total_count
        assert header(app).rstrip().endswith(f"1/{total}")
        await pilot.press("slash")
        await pilot.pause()
        layouts: list[int] = []
        real = Screen._refresh_layout

        def counting(self: Screen[object], *args: object, **kwargs: object) -> None:
            layouts.append(1)
            real(self, *args, **kwargs)

        monkeypatch.setattr(Screen, "_refresh_layout", counting)
        await pilot.press("p", "o")
        await pilot.pause()
        matches = row_list(app).row_count
        assert 0 < matches < total
        assert f"1/{matches} of {total}" in header(app)  # at 80 columns: at the right of the Name column
        await pilot.press("enter", "j")
        await pilot.pause()
        assert f"2/{matches} of {total}" in header(app) and "Updated" in header(app)
        assert f"2/{matches} of {total}" in screen_text(app)  # painted, not only rendered on demand
        assert layouts == []


async def test_trash_and_applications_count_their_rows(demo_path: Path) -> None:
    """The other lists count too; the counter never covers a column title."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        await pilot.pause()
        assert isinstance(app.screen, ApplicationsScreen)
        assert header(app).rstrip().endswith(f"1/{row_list(app).total_count}") and "URL" in header(app)
        await pilot.press("tab", "T")
        await pilot.pause()
        assert isinstance(app.screen, TrashScreen)
        assert "0/0" in header(app) and "Purged on" in header(app)


# -- ellipsis --------------------------------------------------------------------------------------


async def test_a_cut_cell_ends_with_an_ellipsis() -> None:
    """Every cell cut to its column ends with "…" (wide characters too); a cell that fits is padded, unchanged."""

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield RowList([Column("Name", 8), Column("Kind", 4), Column("Rest")])

    app = Host()
    async with app.run_test(size=(40, 6)):
        lst = app.query_one(RowList)
        lst.set_rows([make_row("a", ["Customer Portal", "long kind", "ok"], ["a"]),
                      make_row("b", ["日本語の名前です", "SPA", "x" * 60], ["b"])])
        lines = ["".join(s.text for s in lst.render_line(y)) for y in (1, 2)]
        assert lines[0].startswith(" Custome…  lon…  ok")
        assert lines[1].startswith(" 日本語…   SPA   ") and lines[1].rstrip().endswith("…")  # 7 of 8 cells, padded
        assert [cell_len(line) for line in lines] == [40, 40]


async def test_a_long_app_name_is_cut_with_an_ellipsis_at_80x24(demo_path: Path) -> None:
    Controller(demo_path, "root").create_app({"name": "A very long application name that cannot fit " * 2,
                                              "app_url": "https://long.example"})
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = next(line for line in screen_lines(app) if "A very long" in line)
        assert "…" in line and "SPA" in line


# -- the cursor after a row goes away --------------------------------------------------------------


async def test_set_source_without_the_kept_key_goes_to_the_neighbour() -> None:
    """The next row of the old view that is still there, else the one before it; a key that is still there stays."""

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield RowList([Column("Name")])

    def rows(*names: str) -> list[Any]:
        return [make_row(n, [n], [n]) for n in names]

    app = Host()
    async with app.run_test(size=(30, 10)):
        lst = app.query_one(RowList)
        lst.set_rows(rows("a", "b", "c", "d"))
        lst.cursor = 1
        lst.set_rows(rows("a", "c", "d"))  # b went away: c
        assert lst.highlighted_key == "c"
        lst.set_rows(rows("a", "c", "d"), keep_key="d")
        assert lst.highlighted_key == "d"
        lst.set_rows(rows("a", "c"))  # the last row went away: the one before it
        assert lst.highlighted_key == "c"
        lst.set_filter("a")
        lst.set_rows(rows("c"))  # nothing of the filtered view is left
        assert lst.highlighted_key is None


async def test_after_a_delete_the_cursor_goes_to_the_next_app(demo_path: Path) -> None:
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        lst = row_list(app)
        await move_to(pilot, "Preview Deployments")
        keys = lst.visible_keys()
        nxt = keys[keys.index(lst.highlighted_key) + 1]  # type: ignore[arg-type]
        await pilot.press("d", *"Preview Deployments", "enter")
        await settle(pilot)
        assert lst.highlighted_key == nxt and lst.cursor > 0


async def test_when_another_user_deletes_the_highlighted_app_the_cursor_goes_to_its_neighbour(demo_path: Path) -> None:
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        lst = row_list(app)
        await move_to(pilot, "Legacy Intranet")
        keys = lst.visible_keys()
        gone = lst.highlighted_key
        nxt = keys[keys.index(gone) + 1]  # type: ignore[arg-type]
        Controller(demo_path, "dev-lee").delete_app(gone)  # type: ignore[arg-type]
        for _ in range(50):
            await pilot.pause(0.1)
            if gone not in lst.visible_keys():
                break
        await pilot.pause()
        assert gone not in lst.visible_keys() and lst.highlighted_key == nxt


# -- the details pane ------------------------------------------------------------------------------


async def test_a_wrapped_value_continues_under_the_value_column() -> None:
    """Hanging indent: a value too long for the width wraps within its own column (LABEL_WIDTH), never at column 0."""

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield DetailsPane()

    app = Host()
    async with app.run_test(size=(40, 10)):
        pane = app.query_one(DetailsPane)
        pane.update_fields([("Callbacks", "https://one.example/cb, https://two.example/cb, https://three.example/cb"),
                            ("Owner", "root")])
        await app.workers.wait_for_complete()
        lines = ["".join(s.text for s in pane.render_line(y)).rstrip() for y in range(5)]
        indent = " " * DetailsPane.LABEL_WIDTH
        assert lines[0].startswith("Callbacks     https://")
        assert lines[1].startswith(indent + "https://") and lines[2].startswith(indent + "https://")
        assert lines[3].startswith("Owner")


async def test_details_show_the_creation_time(demo_path: Path) -> None:
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Docs Site")
        created = app_by_name(demo_path, "Docs Site")["created_at"]
        assert created and f"Created       {short_time(created)}" in details_text(app)


async def test_readonly_says_read_only_beside_the_secret_not_owner_only(demo_path: Path) -> None:
    """--readonly: the owner's own app says why its secret cannot be revealed: the session is read-only."""
    app = make_app(demo_path, "root", readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        text = details_text(app)
        assert "(read-only session)" in text and "owner only" not in text


async def test_another_owners_app_names_its_owner_beside_the_secret(demo_path: Path) -> None:
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Wiki")
        assert "(owner only: dev-lee)" in details_text(app)


# -- o without a browser ---------------------------------------------------------------------------


async def test_open_without_a_browser_copies_the_url_and_says_so(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_browser(*args: object, **kwargs: object) -> None:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: False)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        await pilot.pause()
        entry = app.screen.current  # type: ignore[attr-defined]
        await pilot.press("o")
        await pilot.pause()
        assert "No web browser" in status(app) and "copied the URL" in status(app)
        assert app.clipboard == entry.url
        assert not toasts(app)


async def test_a_console_browser_is_never_started_over_the_tui(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a display, webbrowser falls back to lynx or www-browser, which would take over the TUI's terminal:
    that counts as no browser (the URL is copied); a graphical browser is started."""
    started: list[str] = []

    class Console(webbrowser.GenericBrowser):
        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            started.append(url)
            return True

    class Graphical(webbrowser.BackgroundBrowser):
        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            started.append("gui " + url)
            return True

    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    monkeypatch.setattr(webbrowser, "get", lambda *a: webbrowser.GenericBrowser("lynx"))
    monkeypatch.setattr(webbrowser.GenericBrowser, "open", Console.open)
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        await pilot.pause()
        url = app.screen.current.url  # type: ignore[attr-defined]
        await pilot.press("o")
        await pilot.pause()
        assert started == [] and app.clipboard == url and "copied the URL" in status(app)
        monkeypatch.setattr(webbrowser, "get", lambda *a: Graphical("firefox"))
        await pilot.press("o")
        await pilot.pause()
        assert started == ["gui " + url] and "Opening the URL" in status(app)


# -- error notices ---------------------------------------------------------------------------------


async def test_an_error_toast_has_a_readable_title_and_names_the_app(demo_path: Path) -> None:
    """The app was deleted by its owner's other session before this one saw it: x says "Not found" and names the
    app, not its raw id."""
    rec = app_by_name(demo_path, "Scratch App")
    app = make_app(demo_path, "root")
    app.POLL_SECONDS = 3600  # the list must still show the app when x is pressed
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Scratch App")
        Controller(demo_path, "root").delete_app(rec["id"])
        await pilot.press("x")
        await settle(pilot)
        errors = [n for n in app.sent if n["severity"] == "error"]
        assert errors and errors[-1]["title"] == "Not found"
        assert "“Scratch App”" in errors[-1]["message"] and rec["id"] not in errors[-1]["message"]


def test_error_titles_are_words() -> None:
    from store.errors import ConflictError, NotFoundError, PermissionDeniedError, StoreError
    from tui.screens.common import error_title

    assert [error_title(e) for e in (NotFoundError("x"), PermissionDeniedError("x"), ConflictError("x"),
                                     StoreError("x"))] == ["Not found", "Not allowed", "Changed meanwhile",
                                                           "Store problem"]


# -- routine messages on the status line -----------------------------------------------------------


async def test_routine_messages_go_to_the_status_line_not_toasts(demo_path: Path) -> None:
    """Copied, enabled/disabled, rotated, deleted, restored: each on the status line; no toast covers the list."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Scratch App")
        await pilot.press("c")
        await pilot.pause()
        assert "Copied the client ID of “Scratch App”" in status(app)
        await pilot.press("x")
        await settle(pilot)
        assert "Disabled “Scratch App”" in status(app)
        await pilot.press("x")
        await settle(pilot)
        assert "Enabled “Scratch App”" in status(app)
        await pilot.press("R", "y")
        await settle(pilot)
        assert "Rotated the client secret of “Scratch App”" in status(app)
        await pilot.press("C")
        await settle(pilot)
        assert "Copied the client secret of “Scratch App”" in status(app)
        secret = app.clipboard
        assert secret and secret not in status(app)
        await pilot.press("d", *"Scratch App", "enter")
        await settle(pilot)
        assert "Deleted “Scratch App”" in status(app)
        await pilot.press("z")
        await settle(pilot)
        assert "Restored “Scratch App”" in status(app)
        assert toasts(app) == []


# -- every change in a worker ----------------------------------------------------------------------


async def test_every_change_of_the_developers_view_goes_through_run_change(demo_path: Path) -> None:
    """Delete, undo, rotate, enable/disable, transfer, reveal, copy secret, copy .env: each in a thread worker
    (`run_change`), the list read again when it is done."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, DevelopersScreen)
        whats: list[str] = []
        real = screen.run_change

        def recording(act: Any, done: Any, **kwargs: Any) -> bool:
            whats.append(kwargs.get("what", "Saving"))
            return real(act, done, **kwargs)

        screen.run_change = recording  # type: ignore[method-assign]
        await move_to(pilot, "Scratch App")
        for keys in (("x",), ("x",), ("R", "y"), ("r",), ("C",), ("E",), ("d", *"Scratch App", "enter"), ("z",)):
            await pilot.press(*keys)
            await settle(pilot)
            if keys == ("r",):  # revealed through the worker
                assert app_by_name(demo_path, "Scratch App")["client_secret"] in details_text(app)
        assert whats == ["Disabling", "Enabling", "Rotating the secret", "Revealing the secret", "Copying the secret",
                         "Copying the .env snippet", "Deleting", "Restoring"]
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("enter")  # the first other editor or admin
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert whats[-1] == "Transferring" and app_by_name(demo_path, "Scratch App")["owner"] != "root"


async def test_restore_and_purge_in_the_trash_go_through_run_change(demo_path: Path) -> None:
    ctl = Controller(demo_path, "root")
    for name in ("Scratch App", "Preview Deployments"):
        ctl.delete_app(app_by_name(demo_path, name)["id"])
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrashScreen)
        whats: list[str] = []
        real = screen.run_change

        def recording(act: Any, done: Any, **kwargs: Any) -> bool:
            whats.append(kwargs.get("what", "Saving"))
            return real(act, done, **kwargs)

        screen.run_change = recording  # type: ignore[method-assign]
        first = safe(screen.current.app.name)  # type: ignore[union-attr]
        await pilot.press("r")
        await settle(pilot)
        assert f"Restored “{first}”" in status(app) and row_list(app).total_count == 1
        await pilot.press("p", "y")
        await settle(pilot)
        assert whats == ["Restoring", "Purging"] and row_list(app).total_count == 0
        assert "Purged" in status(app) and not [n for n in app.sent if n["title"] != "status"]
