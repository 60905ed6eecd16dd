"""Spec section 8: the store is one TinyDB JSON file, changed by read-modify-write transactions (store/repository.py
over store/storage.py `Tables`) that write once, atomically, or not at all; the records readers share are never
changed in place."""

from __future__ import annotations

import copy
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tinydb import TinyDB

from store import layout
from store.controller import Controller
from store.repository import Repository, Transaction
from store.storage import StoreFile, Tables
from store.vocabulary import TABLES, VERSIONED_TABLES

SPA = {"name": "Portal", "app_url": "https://portal.example.com"}


def populated(path: Path) -> Controller:
    """A store written by appdeck: an app (changed, its secret rotated), a deleted app (an id gap), a user, a
    group, a registered app, and the audit entries of all of it."""
    ctl = Controller(path, "alice")
    app = ctl.create_app({**SPA, "description": "first"}).app
    gone = ctl.create_app({**SPA, "name": "Gone"}).app
    ctl.create_app({**SPA, "name": "Third"})
    ctl.update_app(app.id, {"description": "changed"})
    ctl.rotate_secret(app.id)
    ctl.delete_app(gone.id)
    ctl.add_user("bob", role="editor", display_name="Bob")
    ctl.add_group("team", members=["alice", "bob"])
    ctl.share_app(app.id, "groups", ["team"])
    ctl.add_registered({"name": "Wiki", "url": "https://wiki.example.com"})
    return ctl


def identity(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def temp_files(path: Path) -> list[str]:
    return sorted(n for n in os.listdir(path.parent) if n.startswith(f".{path.name}.tmp-"))


# -- the file is TinyDB's -------------------------------------------------------------------------------------------


def test_a_file_appdeck_wrote_opens_with_tinydb_holding_the_same_records(store_path: Path) -> None:
    """Spec section 8, "one TinyDB JSON file": `tinydb.TinyDB(path)` opens what appdeck wrote, and its tables hold
    exactly the records `json.loads` of the file holds, under the same ids, in the same order."""
    populated(store_path)
    raw = store_path.read_bytes()
    loaded = json.loads(raw)
    assert set(TABLES) <= set(loaded)
    db = TinyDB(store_path)
    try:
        assert db.tables() == set(loaded)
        for name, records in loaded.items():
            docs = db.table(name).all()
            assert [str(d.doc_id) for d in docs] == list(records), name
            assert {str(d.doc_id): dict(d) for d in docs} == records, name
            for key, rec in records.items():
                assert db.table(name).get(doc_id=int(key)) == rec
        meta = db.table("meta").get(doc_id=1)
        assert meta is not None and meta["schema_version"] == loaded["meta"]["1"]["schema_version"]
        assert [u["login"] for u in db.table("users").all()] == ["alice", "bob"]
    finally:
        db.close()
    assert store_path.read_bytes() == raw  # opening and reading it with TinyDB changes nothing


def test_tinydb_allocates_the_id_appdeck_would(store_path: Path, tmp_path: Path) -> None:
    """Spec section 8: record ids follow TinyDB's rule (one more than the largest id, gaps left by deletes kept),
    so a record TinyDB inserts into a copy of the file gets the id appdeck's next insert would."""
    populated(store_path)
    copy_path = tmp_path / "copy.json"
    copy_path.write_bytes(store_path.read_bytes())
    data = StoreFile(store_path).read()
    expected = {name: Tables(data).next_id(name) for name in TABLES}
    db = TinyDB(copy_path)
    try:
        for name in TABLES:
            assert db.table(name).insert({"x": 1}) == expected[name], name
    finally:
        db.close()


# -- records shared with readers are never changed -------------------------------------------------------------------


@pytest.mark.parametrize("edit", [True, False], ids=["changed-in-place", "as-read"])
def test_putting_back_the_stored_record_object_is_refused_and_nothing_is_written(store_path: Path, edit: bool) -> None:
    """Spec section 8 (writes): a write copies the bytes of a record that is the very object it parsed, so a parsed
    record changed in place and put back would silently not be written. `Tables.put` refuses it (ValueError); the
    transaction fails and the file is not changed."""
    ctl = populated(store_path)
    before, ident = store_path.read_bytes(), identity(store_path)
    sf = StoreFile(store_path)
    with pytest.raises(ValueError, match="changed in place"):
        with sf.transaction() as tables:
            key = tables.find("apps", "name", "Portal")
            assert key is not None
            rec = tables.table("apps")[key]
            if edit:
                rec["description"] = "changed in place"  # what the guard exists for (this test's own StoreFile)
            tables.put("apps", key, rec)
    assert store_path.read_bytes() == before and identity(store_path) == ident
    assert temp_files(store_path) == []
    assert StoreFile(store_path).read() == json.loads(before)
    assert next(a for a in ctl.list_apps() if a.name == "Portal").description == "changed"
    if not edit:
        assert sf.read() == json.loads(before)  # the failed transaction's parse was dropped: read again from the file


def test_after_a_refused_in_place_change_the_same_store_reads_the_file_again(store_path: Path) -> None:
    """Spec section 8 (readers see the file): after the transaction that changed a parsed record in place failed,
    the same StoreFile's next read is the file, as storage.py's failure path promises ("so the next read parses
    the file"), not the record changed in memory."""
    populated(store_path)
    before = store_path.read_bytes()
    sf = StoreFile(store_path)
    with pytest.raises(ValueError, match="changed in place"):
        with sf.transaction() as tables:
            key = tables.find("apps", "name", "Portal")
            assert key is not None
            rec = tables.table("apps")[key]
            rec["description"] = "changed in place"
            tables.put("apps", key, rec)
    assert store_path.read_bytes() == before
    assert sf.read() == json.loads(before)


def test_a_refused_put_caught_inside_the_transaction_writes_nothing_and_a_new_record_is_written(store_path: Path) -> None:
    """Spec section 8: after a refused put the transaction holds no change (nothing is written); putting a new
    record (equal but another object, or changed) is accepted and, spliced, really reaches the file."""
    ctl = populated(store_path)
    ctl.list_apps()
    before, ident = store_path.read_bytes(), identity(store_path)
    with ctl.store.transaction() as tables:
        key = tables.find("apps", "name", "Third")
        assert key is not None
        with pytest.raises(ValueError):
            tables.put("apps", key, tables.table("apps")[key])
        assert not tables.changed
    assert store_path.read_bytes() == before and identity(store_path) == ident
    with ctl.store.transaction() as tables:
        tables.put("apps", key, dict(tables.table("apps")[key]))  # equal, another object: accepted
        assert tables.changed
    assert store_path.read_bytes() == before  # the same record dumped again: the same bytes
    shared = ctl.store.read()["apps"][key]
    frozen = copy.deepcopy(shared)
    with ctl.store.transaction() as tables:
        tables.put("apps", key, {**tables.table("apps")[key], "description": "put anew"})
    assert shared == frozen  # the record readers held is as it was
    raw = store_path.read_bytes()
    assert raw == layout.dumps(ctl.store.read())
    assert json.loads(raw)["apps"][key]["description"] == "put anew"
    assert next(a for a in Controller(store_path, "alice").list_apps() if a.name == "Third").description == "put anew"


VERSIONED_CHANGES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "apps": ("name", "Portal", {"description": "via update"}),
    "registered": ("name", "Wiki", {"description": "via update"}),
    "users": ("login", "bob", {"display_name": "Robert"}),
    "groups": ("name", "team", {"members": ["alice"]}),
}


@pytest.mark.parametrize("table", sorted(VERSIONED_CHANGES))
def test_update_of_a_versioned_record_builds_a_new_one_a_version_higher_stamped_by_the_actor(store_path: Path,
                                                                                             table: str) -> None:
    """Spec section 8 (and the optimistic version check it serves): `Transaction.update` returns a new dict, the
    old record object stays exactly as it was, and on a versioned table the version is one higher and
    `updated_at`/`updated_by` are the transaction's time and actor, whatever the changes say."""
    assert table in VERSIONED_TABLES
    populated(store_path)
    field, value, changes = VERSIONED_CHANGES[table]
    repo = Repository(StoreFile(store_path))
    shared = repo.snapshot()
    t0 = datetime.now().astimezone().replace(microsecond=0)
    with repo.transaction("carol", "usr_carol") as tx:
        found = tx.find(table, field, value)
        assert found is not None
        key, old = found
        assert old is shared[table][key]  # the parsed record itself is handed out
        frozen = copy.deepcopy(dict(old))
        new = tx.update(table, key, {**changes, "version": 99, "updated_by": "mallory"})
        assert new is not old and type(new) is dict
        assert dict(old) == frozen
        assert tx.get(table, key) is new
        assert new == {**frozen, **changes, "version": frozen.get("version", 1) + 1, "updated_at": tx.stamp,
                       "updated_by": "carol"}
        stamp = datetime.fromisoformat(tx.stamp)
        assert stamp.utcoffset() == timedelta(0) and t0 - timedelta(seconds=1) <= stamp <= datetime.now().astimezone()
        again = tx.update(table, key, {})
        assert again is not new and again["version"] == new["version"] + 1 and new["version"] == frozen.get("version", 1) + 1
    assert dict(old) == frozen and shared[table][key] is old  # readers' data unchanged after the write too
    on_disk = json.loads(store_path.read_bytes())[table][key]
    assert on_disk == again and on_disk["version"] == frozen.get("version", 1) + 2


@pytest.mark.parametrize("table,key,changes", [
    ("meta", "1", {"organization": "Renamed"}),
    ("audit", "1", {"detail": "annotated"}),
])
def test_update_of_meta_or_audit_builds_a_new_record_without_stamps(store_path: Path, table: str, key: str,
                                                                   changes: dict[str, Any]) -> None:
    """Spec section 8: meta and audit are not versioned: `update` still builds a new record and leaves the old one
    unchanged, but adds no version, updated_at or updated_by."""
    assert table not in VERSIONED_TABLES
    populated(store_path)
    repo = Repository(StoreFile(store_path))
    with repo.transaction("carol") as tx:
        old = tx.get(table, key)
        assert old is not None
        frozen = copy.deepcopy(dict(old))
        new = tx.update(table, key, changes)
        assert new is not old and dict(old) == frozen
        assert new == {**frozen, **changes}
        assert not {"version", "updated_at", "updated_by"} & set(new)
    assert json.loads(store_path.read_bytes())[table][key] == {**frozen, **changes}


def test_insert_stores_a_stamped_copy_on_versioned_tables_and_the_record_as_given_elsewhere(store_path: Path) -> None:
    """Spec section 8: `Transaction.insert` stores a copy of what it is given (the caller's dict is never the stored
    record); versioned records start at version 1, created and updated now by the actor; audit and meta records
    get no stamps."""
    populated(store_path)
    with Repository(StoreFile(store_path)).transaction("carol") as tx:
        given = {"id": "grp_new", "name": "new", "members": []}
        key = tx.insert("groups", given)
        stored = tx.get("groups", key)
        assert stored is not given and given == {"id": "grp_new", "name": "new", "members": []}
        assert stored == {**given, "created_at": tx.stamp, "updated_at": tx.stamp, "updated_by": "carol", "version": 1}
        before = max(map(int, (k for k, _ in tx.items("audit"))))
        tx.audit("add", "group", "grp_new", "new", fields=["name", "members"])
        assert [k for k, _ in tx.items("audit")][-1] == str(before + 1)
        assert not {"version", "updated_at", "updated_by"} & set(tx.get("audit", str(before + 1)) or {})


# -- all or nothing ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_transaction_that_raises_writes_nothing(store_path: Path, error: type[BaseException]) -> None:
    """Spec section 8, "every change is a read-modify-write ... written atomically": a transaction that raises
    after inserting, updating, removing and auditing leaves the file, its backup and the directory as they were; the
    same store's next read and next transaction see the file, not the failed change."""
    ctl = populated(store_path)
    ctl.list_apps()  # the long-lived writer's caches and spans are warm
    backup = ctl.store.backup_path
    before, ident, bak = store_path.read_bytes(), identity(store_path), backup.read_bytes()
    listing = sorted(os.listdir(store_path.parent))
    with pytest.raises(error):
        with ctl.repo.transaction("alice") as tx:
            key, _ = tx.find("apps", "name", "Portal") or ("", {})
            tx.update("apps", key, {"description": "never written"})
            tx.remove("apps", next(k for k, r in tx.items("apps") if r["name"] == "Third"))
            new_key = tx.insert("users", {"login": "ghost", "role": "admin", "id": "usr_ghost"})
            tx.audit("add", "user", "ghost", "ghost", fields=["role"])
            raise error("abort")
    assert store_path.read_bytes() == before and identity(store_path) == ident
    assert backup.read_bytes() == bak
    assert sorted(os.listdir(store_path.parent)) == listing  # no temp file left, nothing added
    assert ctl.store.read() == json.loads(before)
    assert {a.name for a in ctl.list_apps()} == {"Portal", "Third"}
    assert next(a for a in ctl.list_apps() if a.name == "Portal").description == "changed"
    # The next transaction is not built on the failed one: the ghost's id is free again, the ghost unknown.
    with ctl.repo.transaction("alice") as tx:
        assert tx.find("users", "login", "ghost") is None
        assert tx.insert("users", {"login": "dora", "role": "viewer", "id": "usr_dora"}) == new_key
    assert [u["login"] for u in json.loads(store_path.read_bytes())["users"].values()] == ["alice", "bob", "dora"]


def test_a_failed_controller_change_writes_nothing(store_path: Path) -> None:
    """Spec section 8: a change refused inside the lock (here a stale version) raises out of its transaction after
    reading, and nothing is written."""
    from store.errors import ConflictError

    ctl = populated(store_path)
    app = next(a for a in ctl.list_apps() if a.name == "Portal")
    before, ident = store_path.read_bytes(), identity(store_path)
    with pytest.raises(ConflictError):
        ctl.update_app(app.id, {"description": "stale"}, expected_version=app.version - 1)
    assert store_path.read_bytes() == before and identity(store_path) == ident


def test_a_transaction_that_changes_nothing_writes_nothing(store_path: Path) -> None:
    """Spec section 8: reads inside a transaction (and a refused put) are not a change: the file is not rewritten."""
    populated(store_path)
    sf = StoreFile(store_path)
    before, ident = store_path.read_bytes(), identity(store_path)
    with Repository(sf).transaction("alice") as tx:
        assert isinstance(tx, Transaction)
        assert tx.find("users", "login", "bob") is not None
        assert len(tx.where("apps", lambda r: True)) == len(list(tx.records("apps"))) == 2
    assert store_path.read_bytes() == before and identity(store_path) == ident
