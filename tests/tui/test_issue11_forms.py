"""Issue 11, the app form and the sharing dialog at 80x24: every error of a field under it after a failed save, a
banner that covers no field, focus always on a visible widget, a conflict that reloads their version and re-applies
the user's edits, saves off the UI thread (a busy store is waited for, escape cancels the wait), and the sharing
dialog with its errors per field."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Button, Input, RadioButton, Select, SelectionList, Static

from store.controller import Controller
from store.storage import StoreFile
from store.vocabulary import SHARING_LABELS
from tui.screens.app_form import AppFormScreen
from tui.screens.developers import DevelopersScreen
from tui.screens.sharing import SharingScreen
from tui.widgets.status_line import StatusLine
from tui_helpers import app_by_name, demo_path, make_app, move_to, screen_text, tui_config  # noqa: F401

SIZE = (80, 24)
FOOTER_ROW = 23  # the dialog's own footer; nothing of a form may sit on it or below


async def type_text(pilot: object, text: str) -> None:
    await pilot.press(*list(text))  # type: ignore[attr-defined]


async def saved(pilot: object) -> None:
    """Wait for the save's thread worker, then for its message to be handled."""
    app = pilot.app  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def shown(widget: Widget) -> bool:
    """The widget and every container above it are displayed (no `hidden` class on the way up)."""
    return widget.display and all(a.display for a in widget.ancestors if isinstance(a, Widget))


def visible_in(widget: Widget, area: Region) -> bool:
    region = widget.region
    return bool(region.area) and area.contains_region(region)


def banner(app: object) -> Static:
    return app.screen.query_one("#banner", Static)  # type: ignore[attr-defined, no-any-return]


# -- defect: every error of a field; the banner covers nothing -------------------------------------------------


async def test_every_error_of_a_field_is_shown_under_it_after_a_failed_save(demo_path: Path) -> None:
    """Twelve bad callback URLs: after ctrl+s the field shows ten messages and "and 2 more", not only the last one."""
    app = make_app(demo_path, "dev-lee")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Legacy Intranet")
        await pilot.press("e")
        assert isinstance(app.screen, AppFormScreen)
        box = app.screen.query_one("#callback_urls", Input)
        box.value = ", ".join(f"https://*.com/cb{i}" for i in range(12))
        box.focus()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await saved(pilot)
        assert isinstance(app.screen, AppFormScreen)
        errors = str(app.screen.query_one("#error-callback_urls", Static).content).splitlines()
        assert len(errors) == 11, errors
        assert "cb0" in errors[0] and "cb9" in errors[9] and "and 2 more" in errors[10]
        assert "Allowed callback URLs" in str(banner(app).content)  # the banner says where the problems are


async def test_the_banner_covers_no_field_and_the_title_and_first_field_stay_visible(demo_path: Path) -> None:
    """A failed save at 80x24: the banner sits above the buttons; the title, the name field and the error under the
    app URL are all on screen and none of them is under the banner."""
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await type_text(pilot, "Broken")
        await pilot.press("tab", "tab")
        await type_text(pilot, "broken.io")
        await pilot.press("ctrl+s")
        await saved(pilot)
        screen = app.screen
        assert isinstance(screen, AppFormScreen)
        bar = banner(app)
        assert shown(bar) and "Not saved" in str(bar.content)
        top = Region(0, 0, SIZE[0], FOOTER_ROW)
        body = screen.query_one("#form-body").region
        assert visible_in(screen.query_one(".dialog-title"), top)
        for widget in (screen.query_one("#name"), screen.query_one("#app_url"), screen.query_one("#error-app_url")):
            assert visible_in(widget, body), widget  # wholly inside the scroll area, the message not cut
        assert bar.region.y >= body.bottom  # below every field, not over the form's top
        assert bar.region.bottom <= screen.query_one("#save", Button).region.y  # a line above the buttons


# -- item 3: the form scrolls and keeps the focused field visible ------------------------------------------------


async def test_tab_through_an_advanced_rwa_form_keeps_every_focused_widget_visible(demo_path: Path) -> None:
    """Tab through every field of a Regular Web App at 80x24: each focused widget is displayed and wholly inside the
    scroll area (or, for the buttons, on screen above the footer); the cycle reaches Save."""
    app = make_app(demo_path, "dev-lee")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Legacy Intranet")
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, AppFormScreen)
        assert screen.query_one("#app_type", Select).value == "rwa"
        body = screen.query_one("#form-body")
        seen: list[str] = []
        for _ in range(40):
            await pilot.press("tab")
            await pilot.pause()
            focused = app.focused
            assert focused is not None and focused.screen is screen
            assert shown(focused), focused
            area = body.region if body in focused.ancestors else Region(0, 0, SIZE[0], FOOTER_ROW)
            assert visible_in(focused, area), (focused, focused.region, area)
            if focused.id in seen:
                break
            seen.append(str(focused.id))
        for field in ("name", "callback_urls", "cors_origins", "token_auth", "save"):
            assert field in seen, seen


# -- item 7: a conflict reloads their version and re-applies mine ------------------------------------------------


async def test_conflict_reloads_theirs_and_reapplies_my_edits_field_by_field(demo_path: Path) -> None:
    """dev-ana edits the name and the description; meanwhile another session of hers changes the description and the
    app URL. ctrl+s is refused naming who and when (`2026-12-01 17:53`, not ISO); ctrl+r loads their version with her
    edits on top (her name and description, their app URL) and names the field both changed; ctrl+s then saves
    against their version."""
    old = app_by_name(demo_path, "Docs Site")
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Docs Site")
        await pilot.press("e")
        assert isinstance(app.screen, AppFormScreen)
        await pilot.press("end")
        await type_text(pilot, " v2")
        await pilot.press("tab", "ctrl+u")
        await type_text(pilot, "mine")
        Controller(demo_path, "dev-ana").update_app(old["id"], {"description": "theirs", "app_url": "https://docs2.acme.example"})
        await pilot.press("ctrl+s")
        await saved(pilot)
        screen = app.screen
        assert isinstance(screen, AppFormScreen)
        text = str(banner(app).content)
        assert "Conflict" in text and "dev-ana" in text and "version 2" in text and "ctrl+r" in text
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d\b", text) and not re.search(r"\dT\d\d:\d\d", text)
        assert shown(screen.query_one("#reapply", Button))
        assert screen.query_one("#description", Input).value == "mine"  # nothing lost yet
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.query_one("#name", Input).value == "Docs Site v2"
        assert screen.query_one("#description", Input).value == "mine"
        assert screen.query_one("#app_url", Input).value == "https://docs2.acme.example"
        text = str(banner(app).content)
        assert "Both you and dev-ana changed: Description — yours is kept" in text
        assert "App URL" not in text and "Name" not in text
        assert not shown(screen.query_one("#reapply", Button))
        await pilot.press("ctrl+s")
        await saved(pilot)
        assert isinstance(app.screen, DevelopersScreen)
    rec = app_by_name(demo_path, "Docs Site v2")
    assert (rec["description"], rec["app_url"], rec["version"]) == ("mine", "https://docs2.acme.example", old["version"] + 2)


# -- item 4: saves off the UI thread; a busy store is waited for and the wait can be cancelled --------------------


@pytest.fixture
def held_lock(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Another holder of the store's lock (as another appdeck process saving); set the event to release it."""
    monkeypatch.setenv("APPDECK_LOCK_TIMEOUT", "5")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with StoreFile(demo_path).lock():
            holding.set()
            release.wait(20)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert holding.wait(5)
    yield release
    release.set()
    thread.join(5)


def status(app: object) -> str:
    return str(app.screen.query_one(StatusLine).text)  # type: ignore[attr-defined]


async def test_a_save_waits_for_a_busy_store_and_escape_cancels_the_wait(demo_path: Path, held_lock: threading.Event) -> None:
    """ctrl+s while another process holds the lock: the status line says it waits and that escape cancels; escape
    stops the wait only (the form stays open with the input, nothing is written); once the store is free ctrl+s
    saves."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Docs Site")
        await pilot.press("e")
        await pilot.press("end")
        await type_text(pilot, " v2")
        await pilot.press("ctrl+s")
        for _ in range(250):  # the worker says so once it found the lock taken
            if "waiting for the store" in status(app):
                break
            await pilot.pause(0.02)
        assert "waiting for the store" in status(app) and "escape cancels" in status(app)
        assert isinstance(app.screen, AppFormScreen)  # the keys still work: the wait is not on the UI thread
        await pilot.press("escape")
        await saved(pilot)
        assert isinstance(app.screen, AppFormScreen)  # the escape stopped the wait, it did not close the form
        assert app.screen.query_one("#name", Input).value == "Docs Site v2"
        assert "cancelled the wait" in str(banner(app).content)
        assert demo_path.read_bytes() == before
        held_lock.set()
        await pilot.press("ctrl+s")
        await saved(pilot)
        assert isinstance(app.screen, DevelopersScreen)
    assert app_by_name(demo_path, "Docs Site v2")["version"] == 2


# -- item 5: the sharing dialog ----------------------------------------------------------------------------------


async def test_sharing_dialog_fits_80x24_with_its_error_under_the_groups(demo_path: Path) -> None:
    """With eight groups, Specific groups and none ticked: the error sits under the groups; the modes (worded as in
    the app form), the error and Save are on screen above the footer; the choice is kept."""
    ctl = Controller(demo_path, "root")
    for i in range(5):
        ctl.add_group(f"team-{i}")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, SharingScreen)
        assert [str(b.label) for b in screen.query(RadioButton)] == list(SHARING_LABELS.values())
        await pilot.press("down", "enter", "ctrl+s")
        await saved(pilot)
        assert isinstance(app.screen, SharingScreen)
        assert screen.mode() == "groups"
        error = screen.query_one("#error-groups", Static)
        assert shown(error) and "group" in str(error.content).lower()
        top = Region(0, 0, SIZE[0], FOOTER_ROW)
        assert visible_in(error, top)
        assert visible_in(screen.query_one("#save", Button), top)
        assert visible_in(screen.query_one(".dialog-title"), top)
        await pilot.press("tab")
        assert isinstance(app.focused, SelectionList) and visible_in(app.focused, top)
        assert "Specific groups" in screen_text(app)
