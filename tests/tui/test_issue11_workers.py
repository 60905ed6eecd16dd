"""Issue 11 item 2: saves, re-reads and lock waits run in thread workers; the UI thread only swaps results in."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from tests.tui_helpers import demo_path, make_app, move_to, row_list, sent_text, tui_config  # noqa: F401

from store.controller import Controller
from store.storage import StoreFile
from tui.screens.developers import DevelopersScreen, StoreChanges
from tui.widgets.status_line import StatusLine

SIZE = (80, 24)


def status(app: Any) -> str:
    return str(app.screen.query_one(StatusLine).text)


def hold_lock(path: Path) -> Any:
    """Another holder of the store's lock (flock is per open file: a second open in this process conflicts too);
    returns the function that lets it go."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with StoreFile(path).lock():
            held.set()
            release.wait(20)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(5)

    def let_go() -> None:
        release.set()
        holder.join(5)

    return let_go


async def on_scratch_app(pilot: Any) -> tuple[DevelopersScreen, Any]:
    """The cursor on root's Scratch App: the Developers screen and the app."""
    await move_to(pilot, "Scratch App")
    screen = pilot.app.screen
    assert isinstance(screen, DevelopersScreen)
    target = screen.current
    assert target is not None
    return screen, target


async def wait_for(pilot: Any, pred: Any, steps: int = 250) -> bool:
    for _ in range(steps):
        if pred():
            return True
        await pilot.pause(0.02)
    return bool(pred())


async def test_another_users_save_is_read_and_its_rows_made_off_the_ui_thread(demo_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The poll's timer starts a worker: the store is parsed and the Developers rows are made in that thread; the UI
    thread swaps the prepared rows in without listing the apps again, and the status line names the app."""
    app = make_app(demo_path, "root")
    main = threading.get_ident()
    prepared_in: list[int] = []
    listed_in: list[int] = []
    real_prepare = DevelopersScreen.prepare_rows

    def prepare(self: DevelopersScreen) -> Any:
        prepared_in.append(threading.get_ident())
        return real_prepare(self)

    monkeypatch.setattr(DevelopersScreen, "prepare_rows", prepare)
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Docs Site")
        real_list = app.controller.list_apps

        def list_apps(*args: Any, **kwargs: Any) -> Any:
            listed_in.append(threading.get_ident())
            return real_list(*args, **kwargs)

        monkeypatch.setattr(app.controller, "list_apps", list_apps)
        other = Controller(demo_path, "dev-ana")
        portal = next(a for a in other.list_apps("developers") if a.name == "Docs Site")
        other.update_app(portal.id, {"description": "changed by dev-ana"})
        assert await wait_for(pilot, lambda: "changed by dev-ana" in str(app.screen.query_one("#details").content))  # type: ignore[attr-defined]
        assert prepared_in and all(t != main for t in prepared_in)
        assert listed_in and all(t != main for t in listed_in)  # never listed again between two keys
        assert "“Docs Site” was changed by dev-ana." in sent_text(app)
        assert row_list(app).highlighted_tag.name == "Docs Site"


async def test_a_change_runs_in_a_worker_thread_and_reports_on_the_ui_thread(demo_path: Path) -> None:
    app = make_app(demo_path, "root")
    main = threading.get_ident()
    async with app.run_test(size=SIZE) as pilot:
        screen, target = await on_scratch_app(pilot)
        ran_in: list[int] = []
        done_in: list[int] = []

        def act() -> Any:
            ran_in.append(threading.get_ident())
            return app.controller.set_enabled(target.id, False)

        assert screen.run_change(act, lambda result: done_in.append(threading.get_ident()), what="Disabling")
        assert not screen.run_change(act, lambda result: None)  # one change at a time, refused with a word
        assert "still being made" in sent_text(app)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert ran_in == [ran_in[0]] and ran_in[0] != main
        assert done_in == [main]
        assert Controller(demo_path, "root").get_app(target.id).enabled is False


async def test_a_change_waiting_for_a_busy_store_says_so_and_escape_cancels_it(demo_path: Path) -> None:
    """Another process holds the store's lock: the change waits in its worker (keys keep working), the status line
    says so, escape stops the wait, nothing is written and the failure is said once."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        screen, target = await on_scratch_app(pilot)
        before = demo_path.read_bytes()
        release = hold_lock(demo_path)
        failures: list[str] = []
        try:
            screen.run_change(lambda: app.controller.set_enabled(target.id, False), lambda r: None, what="Disabling",
                              failed=lambda exc: failures.append(exc.message))
            assert await wait_for(pilot, lambda: "waiting for the store" in status(app))
            assert "escape cancels" in status(app)
            await pilot.press("j")  # keys are handled while the change waits
            await pilot.press("k")
            assert row_list(app).highlighted_tag.name == "Scratch App"
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await pilot.pause()
        finally:
            release()
        assert failures and "cancelled the wait" in failures[0]
        assert demo_path.read_bytes() == before
        assert not screen.changing


async def test_a_change_waiting_for_the_lock_goes_through_once_it_is_free(demo_path: Path) -> None:
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        screen, target = await on_scratch_app(pilot)
        release = hold_lock(demo_path)
        results: list[Any] = []
        screen.run_change(lambda: app.controller.set_enabled(target.id, False), results.append, what="Disabling")
        assert await wait_for(pilot, lambda: "waiting for the store" in status(app))
        release()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert results and results[0].enabled is False
        assert "waiting" not in status(app)


def test_the_store_changes_sentence_names_the_apps() -> None:
    class A:
        def __init__(self, name: str, by: str = "dev-lee") -> None:
            self.name, self.updated_by = name, by

    one = StoreChanges()
    one.changed.append(A("Customer Portal"))  # type: ignore[arg-type]
    assert one.sentence() == "“Customer Portal” was changed by dev-lee."
    gone = StoreChanges()
    gone.removed.append(A("Old"))  # type: ignore[arg-type]
    assert gone.sentence().startswith("“Old” is gone from the list")
    many = StoreChanges()
    many.changed += [A("A"), A("B"), A("C")]  # type: ignore[list-item]
    many.added.append(A("D"))  # type: ignore[arg-type]
    assert many.sentence() == "The store changed: 3 changed (“A”, “B” and 1 more); 1 added (“D”)."
    assert not StoreChanges()


async def test_a_sorted_list_is_sorted_and_indexed_by_the_worker_after_another_users_save(
        demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the list sorted by a column (o), another user's save: the worker sorts and indexes the new rows for that
    sort; the UI thread sorts nothing, and the order is the one a fresh sort gives."""
    from tui.widgets.row_list import RowList

    app = make_app(demo_path, "root")
    main = threading.get_ident()
    sorted_on_main: list[int] = []
    real_sort = RowList._apply_sort

    def spy(self: RowList) -> None:
        if threading.get_ident() == main and self._sort_column not in (None, 0):
            sorted_on_main.append(1)
        real_sort(self)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")  # by type
        await pilot.pause()
        lst = row_list(app)
        assert lst.sort_state[0] == 1
        monkeypatch.setattr(RowList, "_apply_sort", spy)
        other = Controller(demo_path, "dev-ana")
        docs = next(a for a in other.list_apps("developers") if a.name == "Docs Site")
        other.update_app(docs.id, {"advanced": True, "app_type": "m2m"})
        assert await wait_for(pilot, lambda: "was changed by dev-ana" in sent_text(app))
        assert not sorted_on_main
        kinds = [lst.tag_of(k).kind for k in lst.visible_keys()]
        assert kinds == sorted(kinds)
        assert lst.tag_of(docs.id).kind == "m2m"
