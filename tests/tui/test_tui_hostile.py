"""Spec section 9. Hostile stored text: markup-looking names, escape sequences and bidi overrides show literally and run nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input

from store.controller import Controller
from tui.screens.app_form import AppFormScreen
from tui.screens.applications import ApplicationsScreen
from tui.screens.audit import AuditScreen
from tui.screens.confirm import ConfirmScreen, DeleteScreen
from tui.screens.developers import DevelopersScreen
from tui.screens.sharing import SharingScreen
from tui.screens.url_check import UrlCheckScreen
from tui_helpers import (
    SIZE,
    details_text,
    make_app,
    move_to,
    row_list,
    screen_text,
    sent_text,
    tui_config,  # noqa: F401  (autouse fixture)
)

ESC_NAME = "\x1b[31mred"
BIDI_NAME = "\u202eevil\u202c"
MARKUP_NAMES = ["[/", "x[/bold]", "[b]bold[/b]", "[@click=app.quit]go"]
NAMES = [*MARKUP_NAMES, ESC_NAME, BIDI_NAME]
DESCRIPTION = "[link=http://x]y[/link] \x1b]8;;http://evil\x07z"
# What each name must look like on screen: markup kept as typed, control and bidi characters gone.
SHOWN = {name: name.replace("\x1b", "").replace("\u202e", "").replace("\u202c", "") for name in NAMES}


@pytest.fixture
def hostile_path(tmp_path: Path) -> Path:
    """A store edited by hand after the fact: root owns six apps with hostile names and a hostile description."""
    path = tmp_path / "hostile" / "store.json"
    path.parent.mkdir()
    ctl = Controller(path, "root")
    group = ctl.add_group("[red]grp[/red]")
    ids = [ctl.create_app({"name": f"app{i}", "app_url": "https://a.io"}).app.id for i in range(len(NAMES))]
    data = json.loads(path.read_text(encoding="utf-8"))
    for rec in data["apps"].values():
        rec["name"] = NAMES[ids.index(rec["id"])]
        rec["description"] = DESCRIPTION
        if rec["name"] == "[/":
            rec["sharing"], rec["groups"] = "groups", [group["id"]]
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def assert_no_controls(text: str) -> None:
    """No C0/C1 control characters except newlines reached the screen text."""
    bad = [hex(ord(ch)) for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F]
    assert not bad, bad


async def test_list_and_details_show_hostile_names_literally(hostile_path: Path) -> None:
    """Every row shows its name as typed (ESC stripped), and the details pane shows name and description literally."""
    app = make_app(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = row_list(app)
        cells = {r.cells[0] for r in lst.rows_by_key().values()}
        assert cells == set(SHOWN.values())
        text = screen_text(app)
        for name in MARKUP_NAMES:
            assert name in text, name
        assert "[31mred" in text
        assert_no_controls(text)
        for name in NAMES:
            await move_to(pilot, SHOWN[name])
            details = details_text(app)
            assert details.startswith("Name          " + SHOWN[name] + "\n")
            assert "[link=http://x]y[/link] ]8;;http://evilz" in details
            assert_no_controls(screen_text(app))
        assert app.is_running


async def test_clicking_hostile_names_runs_nothing(hostile_path: Path) -> None:
    """Clicking the `[@click=app.quit]go` row and its details line leaves the app running on the same screen."""
    app = make_app(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "[@click=app.quit]go")
        lines = screen_text(app).splitlines()
        row_y = next(y for y, line in enumerate(lines) if line.startswith(" [@click=app.quit]go"))
        await pilot.click(offset=(3, row_y))
        await pilot.click(offset=(10, row_y))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, DevelopersScreen)
        assert row_list(app).highlighted_key is not None
        name_y = next(y for y, line in enumerate(screen_text(app).splitlines()) if line.startswith(" Name          [@click"))
        for x in (16, 20, 30):
            await pilot.click(offset=(x, name_y))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, DevelopersScreen)


async def test_dialogs_and_notifications_show_hostile_names_literally(hostile_path: Path) -> None:
    """Delete, rotate, share, URL check and edit dialogs, and copy notifications, show each name as typed."""
    app = make_app(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        for name in (*MARKUP_NAMES, ESC_NAME):
            shown = SHOWN[name]
            await move_to(pilot, shown)
            await pilot.press("d")
            assert isinstance(app.screen, DeleteScreen)
            assert f"Delete “{shown}”?" in screen_text(app)
            await pilot.press("escape")
        for name in ("[@click=app.quit]go", ESC_NAME):
            shown = SHOWN[name]
            await move_to(pilot, shown)
            for key, screen_type in (("R", ConfirmScreen), ("s", SharingScreen), ("u", UrlCheckScreen)):
                await pilot.press(key)
                assert isinstance(app.screen, screen_type), (name, key)
                text = screen_text(app)
                assert shown in text, (name, key, text)
                assert_no_controls(text)
                await pilot.press("escape")
                assert isinstance(app.screen, DevelopersScreen)
            await pilot.press("e")
            assert isinstance(app.screen, AppFormScreen)
            assert f"Edit “{shown}”" in screen_text(app)
            assert app.screen.query_one("#name", Input).value == shown  # pre-filled as shown: no control character reaches the terminal
            await pilot.press("escape")
            assert isinstance(app.screen, DevelopersScreen)
            await pilot.press("c")
            assert f"Copied the client ID of “{shown}”." == app.sent[-1]["message"]  # type: ignore[attr-defined]
        assert "\x1b" not in sent_text(app)
        assert app.is_running


async def test_group_name_that_looks_like_markup_is_literal(hostile_path: Path) -> None:
    """A group named `[red]grp[/red]` is literal in the details pane, the sharing panel and the form's group list."""
    app = make_app(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "[/")
        assert "groups: [red]grp[/red]" in details_text(app)
        await pilot.press("s")
        assert "[red]grp[/red]" in screen_text(app)
        await pilot.press("escape", "e")
        assert isinstance(app.screen, AppFormScreen)
        app.screen.query_one("#groups").scroll_visible(animate=False)
        await pilot.pause()
        assert "[red]grp[/red]" in screen_text(app)


async def test_deleting_a_hostile_app_by_typing_its_name(hostile_path: Path) -> None:
    """The delete confirmation accepts the name typed exactly, brackets and all, and the notification is literal."""
    app = make_app(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "[@click=app.quit]go")
        target = row_list(app).highlighted_key
        await pilot.press("d", *"[@click=app.quit]go", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen) and app.is_running
        assert "Deleted “[@click=app.quit]go”." in sent_text(app)
    assert target not in {r["id"] for r in json.loads(hostile_path.read_text())["apps"].values()}


async def test_applications_view_and_audit_show_hostile_names_literally(hostile_path: Path) -> None:
    """tab to the Applications view and open the audit trail: the names are literal there too."""
    app = make_app(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        assert isinstance(app.screen, ApplicationsScreen)
        text = screen_text(app)
        for name in MARKUP_NAMES:
            assert name in text
        assert "[link=http://x]y[/link]" in text
        assert_no_controls(text)
        await pilot.press("tab", "a")
        assert isinstance(app.screen, AuditScreen)
        assert_no_controls(screen_text(app))
        assert app.is_running


async def test_bidi_overrides_do_not_reach_the_screen(hostile_path: Path) -> None:
    """A name with U+202E (right-to-left override) should not reorder the terminal line (Trojan Source)."""
    app = make_app(hostile_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "evil" in text
        assert "\u202e" not in text and "\u202c" not in text
