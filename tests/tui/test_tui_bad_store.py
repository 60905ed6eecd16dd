"""The TUI when the store goes bad (spec section 8; issue 10 item 7): it never exits with unsaved input.

Each test opens the new-app form, types, breaks the store file while the app runs, lets the poll look at it,
and checks that the app still runs, the form still holds the text, a notice names the problem (never "no longer
a member" for a file that is only broken or gone), a save keeps the input and leaves the file alone, and the
lists reload by themselves once the file is good again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from store.controller import Controller
from store.errors import StoreError
from store.storage import StoreFile
from tui.app import AppdeckApp
from tui.screens.app_form import AppFormScreen
from tui.screens.developers import DevelopersScreen
from tui.widgets.row_list import RowList
from tui_helpers import (
    SIZE,
    demo_path,  # noqa: F401  (fixture)
    make_app,
    screen_text,
    sent_text,
    tui_config,  # noqa: F401  (autouse fixture)
)

TYPED = "Half typed"


def _truncate(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def _not_json(path: Path) -> None:
    path.write_text("this is not JSON\n", encoding="utf-8")


def _newer(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(re.sub(rb'"schema_version":\s*\d+', b'"schema_version":99', raw, count=1))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _delete(path: Path) -> None:
    path.unlink()


def _move(path: Path) -> None:
    path.rename(path.with_name("moved-away.json"))


def _fifo(path: Path) -> None:
    path.rename(path.with_name("moved-away.json"))
    os.mkfifo(path)


# name -> (how the file is broken, words the notice must show)
BREAKS: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncate, "cut short"),
    "not-json": (_not_json, "not valid JSON"),
    "newer-schema": (_newer, "schema version 99"),
    "empty": (_empty, "is empty"),
    "deleted": (_delete, "gone (deleted or moved away)"),
    "moved": (_move, "gone (deleted or moved away)"),
    "fifo": (_fifo, "not a regular file"),
}


def _restore(path: Path, name: str, good: bytes) -> None:
    """Put a good file back: moved back where it was (the same file), or written again (a new one)."""
    moved = path.with_name("moved-away.json")
    if name in ("moved", "fifo"):
        if name == "fifo":
            path.unlink()
        moved.rename(path)
    else:
        tmp = path.with_name("restore.tmp")
        tmp.write_bytes(good)
        tmp.chmod(0o600)
        os.replace(tmp, path)


def _list_names(app: AppdeckApp) -> set[str]:
    """The names in the Developers list under the form."""
    screen = next(s for s in app.screen_stack if isinstance(s, DevelopersScreen))
    return {r.cells[0] for r in screen.query_one(RowList).rows_by_key().values()}


async def _open_form_and_type(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.press("n")  # type: ignore[attr-defined]
    assert isinstance(app.screen, AppFormScreen)
    await pilot.press(*TYPED)  # type: ignore[attr-defined]
    assert app.screen.query_one("#name", Input).value == TYPED


@pytest.mark.parametrize("name", list(BREAKS))
async def test_a_bad_store_keeps_the_form_says_why_and_recovers(demo_path: Path, name: str) -> None:
    """Spec 8 (a file that does not parse, is newer, or is missing is refused, never overwritten): with the store
    truncated, not JSON, newer, empty, deleted, moved away or replaced by a FIFO, the app keeps running with the
    half-typed form, shows a notice naming the problem, refuses a save with the input kept and the file left
    alone, and reloads the lists by itself once the file is good again."""
    good = demo_path.read_bytes()
    break_it, words = BREAKS[name]
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await _open_form_and_type(pilot)
        break_it(demo_path)
        app.poll_store()
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, AppFormScreen)
        assert app.screen.query_one("#name", Input).value == TYPED
        text = screen_text(app)
        assert words in text, text
        from tui.widgets.store_notice import HINT, StoreNotice  # new in issue 10: imported once the app survived

        assert HINT in text
        assert "no longer a member" not in text + sent_text(app)
        assert "removed from the organization" not in text + sent_text(app)
        # typing goes on (the live checks read the last good data, never the broken file)
        await pilot.press("!", "backspace")
        assert app.screen.query_one("#name", Input).value == TYPED
        # a save refuses, says why, keeps the input and leaves the file as it is
        before = demo_path.read_bytes() if demo_path.is_file() else None
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, AppFormScreen)
        assert app.screen.query_one("#name", Input).value == TYPED
        assert "Not saved: " in screen_text(app)
        assert (demo_path.read_bytes() if demo_path.is_file() else None) == before
        # the next polls change nothing while the file stays bad
        for _ in range(2):
            app.poll_store()
            await pilot.pause()
        assert app.is_running and app.screen.query_one("#name", Input).value == TYPED
        # good again: the notice goes, the lists reload (another process's save shows), the form is untouched
        _restore(demo_path, name, good)
        Controller(demo_path, "dev-ana").create_app({"name": "Back Again", "app_url": "https://back.example.com"})
        app.poll_store()
        await pilot.pause()
        assert app.store_problem is None
        assert not app.screen.query(StoreNotice)
        assert "Back Again" in _list_names(app)
        assert isinstance(app.screen, AppFormScreen)
        assert app.screen.query_one("#name", Input).value == TYPED
        assert "Store back" in sent_text(app)
        assert "Not saved: " not in screen_text(app)  # the refusal the bad store caused is not left standing


async def test_the_poll_timer_itself_keeps_the_app_running(demo_path: Path) -> None:
    """Spec 8: with no test calling the poll, the app's own timer (POLL_SECONDS) finds the truncated file, shows the
    notice and keeps the form; the file put back is picked up by the timer too."""
    good = demo_path.read_bytes()
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await _open_form_and_type(pilot)
        _truncate(demo_path)
        await pilot.pause(AppdeckApp.POLL_SECONDS * 1.6)
        assert app.is_running
        assert "cut short" in screen_text(app)
        assert app.screen.query_one("#name", Input).value == TYPED
        _restore(demo_path, "truncated", good)
        await pilot.pause(AppdeckApp.POLL_SECONDS * 1.6)
        assert app.is_running and app.store_problem is None
        assert app.screen.query_one("#name", Input).value == TYPED


async def test_the_list_screen_stays_usable_on_a_bad_store(demo_path: Path) -> None:
    """Spec 8: on the Developers view, cursor moves and opening a form work on the last good data while the file
    is gone (nothing reads it as an empty store); the notice fits 80 columns."""
    app = make_app(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = _list_names(app)
        _delete(demo_path)
        app.poll_store()
        await pilot.pause()
        for key in ("j", "j", "k", "G", "g"):
            await pilot.press(key)
        assert app.is_running and _list_names(app) == before
        from tui.widgets import store_notice
        from tui.widgets.store_notice import HINT

        lines = screen_text(app).splitlines()
        assert lines[0].strip() == store_notice.gone(demo_path).headline
        assert lines[1].strip() == HINT
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, AppFormScreen)
        assert "gone (deleted or moved away)" in screen_text(app)  # the pushed form gets the notice too


async def test_a_removed_member_keeps_the_form_until_they_quit(demo_path: Path) -> None:
    """Spec 7 (a non-member gets a clear message; nothing is changed): removed while typing, the user is told
    "removed from the organization" (the file parses and lacks them), the form and its input stay, a save is
    refused with the input kept; added back, the app carries on by itself."""
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await _open_form_and_type(pilot)
        admin = Controller(demo_path, "root")
        admin.remove_user("dev-ana", inherit_to="root")
        app.poll_store()
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, AppFormScreen)
        assert app.screen.query_one("#name", Input).value == TYPED
        assert "removed from the organization" in screen_text(app)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert app.is_running and app.screen.query_one("#name", Input).value == TYPED
        assert "Not saved: You were removed from the organization" in screen_text(app)
        assert not [a for a in Controller(demo_path, "root").list_apps() if a.name == TYPED]
        admin.add_user("dev-ana", "editor")
        app.poll_store()
        await pilot.pause()
        assert app.store_problem is None and app.is_running
        assert app.screen.query_one("#name", Input).value == TYPED


async def test_ctrl_o_copies_the_form_input(demo_path: Path) -> None:
    """Spec 8 (issue 10 item 7: the user can copy their input out): ctrl+o puts the form's fields on the clipboard
    as `Label: value` lines, while the store is gone."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await _open_form_and_type(pilot)
        _delete(demo_path)
        app.poll_store()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "Name: " + TYPED in app.clipboard
        assert "App URL: " in app.clipboard
        assert app.screen.query_one("#name", Input).value == TYPED


def _error_of(path: Path) -> str:
    try:
        StoreFile(path).read()
    except StoreError as exc:
        return exc.message
    raise AssertionError("the store read")


@pytest.mark.parametrize("name", ["truncated", "not-json", "newer-schema", "empty"])
def test_each_store_error_gets_its_own_short_headline(demo_path: Path, name: str) -> None:
    """Spec 8: the store's own refusal sentences (as storage.py words them today) map to a headline that fits an
    80-column notice and names the problem; no unknown kind."""
    from tui.widgets import store_notice
    from tui.widgets.store_notice import HINT

    BREAKS[name][0](demo_path)
    problem = store_notice.of_error(_error_of(demo_path))
    assert problem.kind != store_notice.OTHER
    assert BREAKS[name][1] in problem.headline
    assert len(problem.headline) <= 78 and len(HINT) <= 78
    assert str(demo_path) in problem.detail
