"""Spec sections 2, 8. Read views and caches stay true to the file: failed saves, no-op transactions, hidden secrets, stale rows."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from store.controller import Controller
from store.errors import StoreError
from store.storage import StoreFile
from tui.app import AppdeckApp
from tui.screens.developers import DevelopersScreen
from tui.widgets.row_list import RowList

SPA = {"name": "X", "app_url": "https://x.example.com"}


def test_a_failed_save_changes_no_view_and_the_retry_is_no_conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The form's view keeps version and name; TinyDB changed a copy, never the shared parsed record."""
    ctl = Controller(tmp_path / "s.json", "alice")
    view = ctl.get_app(ctl.create_app(SPA).app.id)

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "write", full)
        with pytest.raises(StoreError, match="disk is full"):
            ctl.update_app(view.id, {"name": "Renamed"}, expected_version=view.version)
    assert (view.version, view.name) == (1, "X")
    saved = ctl.update_app(view.id, {"name": "Renamed"}, expected_version=view.version)
    assert (saved.app.version, saved.app.name) == (2, "Renamed")
    assert (view.version, view.name) == (1, "X")  # an open form still holds what it opened


def test_a_no_op_transaction_that_parsed_new_data_moves_the_generation(tmp_path: Path) -> None:
    """Another process wrote while we waited; our change was a no-op: readers must still see the new data."""
    path = tmp_path / "s.json"
    mine = Controller(path, "alice")
    app = mine.create_app(SPA).app
    assert [a.name for a in mine.list_apps()] == ["X"]
    Controller(path, "alice").update_app(app.id, {"name": "Elsewhere"})
    with mine.store.transaction():
        pass  # parses the other process's file under the lock, changes nothing
    assert [a.name for a in mine.list_apps()] == ["Elsewhere"]


def test_views_hide_the_secret_from_non_owners_and_hand_out_copies(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    alice = Controller(path, "alice")
    alice.add_user("bob", "editor")
    app = alice.create_app(SPA).app
    secret = alice.reveal_secret(app.id)
    seen = Controller(path, "bob").get_app(app.id)
    assert seen.client_secret == "" and seen.values("client_secret") == ("",)
    assert secret not in repr(seen) and secret not in json.dumps(seen.model_dump())
    seen.groups.append("grp_bogus")  # a copy: the parsed store is untouched
    assert Controller(path, "bob").get_app(app.id).groups == []
    assert alice.get_app(app.id).values("client_secret") == (secret,)


async def test_a_row_changed_without_a_version_bump_is_redrawn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The row cache is keyed on what a row shows, not on the version number alone."""
    monkeypatch.setenv("APPDECK_CONFIG", str(tmp_path / "config.toml"))
    path = tmp_path / "s.json"
    ctl = Controller(path, "alice")
    ctl.create_app(SPA)
    app = AppdeckApp(Controller(path, "alice"), config={})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        data = json.loads(path.read_text())
        next(iter(data["apps"].values()))["name"] = "Hand edited"  # same version
        path.write_text(json.dumps(data))
        app.poll_store()
        await pilot.pause()
        rows = app.screen.query_one(RowList).rows_by_key()
        assert [r.cells[0] for r in rows.values()] == ["Hand edited"]
    StoreFile(path).read()  # and the hand-edited file is still accepted on read (it is checked, not trusted)


async def test_a_refresh_after_another_save_rebuilds_only_the_changed_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression guard (counts): another user's save of one app re-parses a few lines and rebuilds one search key;
    every other row keeps the very record it showed."""
    import tui.screens.developers as developers

    monkeypatch.setenv("APPDECK_CONFIG", str(tmp_path / "config.toml"))
    path = tmp_path / "s.json"
    other = Controller(path, "alice")
    ids = [other.create_app({**SPA, "name": f"App {i:02}"}).app.id for i in range(40)]
    built: list[str] = []
    real = developers._search_of
    monkeypatch.setattr(developers, "_search_of", lambda a: built.append(a.id) or real(a))
    mine = Controller(path, "alice")
    app = AppdeckApp(mine, config={})
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        lst = app.screen.query_one(RowList)
        assert lst.total_count == 40 and len(built) == 40
        shown = {k: lst.tag_of(k) for k in ids}
        built.clear()
        other.update_app(ids[5], {"name": "Renamed elsewhere"})
        app.poll_store()
        await pilot.pause()
        assert built == [ids[5]] and mine.store.records_parsed <= 3
        assert lst.tag_of(ids[5]).name == "Renamed elsewhere"
        assert all(lst.tag_of(k) is not None and lst.tag_of(k).same_record(shown[k]) for k in ids if k != ids[5])
        built.clear()
        mine.update_app(ids[9], {"description": "mine"})
        app.screen.reload(keep=ids[9])
        await pilot.pause()
        assert built == [ids[9]]
        built.clear()
        other.update_app(ids[11], {"description": "theirs"})
        app.poll_store()
        await pilot.pause()
        # The line of the app this process saved is new to its reader as well: parsed (and its row rebuilt) once more.
        assert sorted(built) == sorted([ids[9], ids[11]]) and mine.store.records_parsed <= 6
