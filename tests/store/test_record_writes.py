"""Spec section 8. One-record writes inside a transaction (`Tables.find/insert/put/remove`, and `store.repository.Transaction` over
them) and the caches kept across transactions (next ids, indexes) agree with TinyDB's rules and a plain scan, never
touch the data read views share, and a long-lived writer sees exactly what a fresh process parses."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.controller import Controller
from store.errors import ConflictError, NotFoundError
from store.repository import Transaction
from store.storage import Tables

# An op: ("insert", value) | ("put", pick, value) | ("put_same", pick) | ("remove", pick) | ("find", value)
#        | ("tx_insert",) | ("tx_update", pick, value) | ("tx_remove", pick) | ("commit",)
VALUES = st.one_of(st.sampled_from(["a", "b", None]), st.integers(0, 30))  # unique (indexed) and shared (scanned)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), VALUES),
        st.tuples(st.just("put"), st.integers(0, 50), VALUES),
        st.tuples(st.just("put_same"), st.integers(0, 50)),
        st.tuples(st.just("remove"), st.integers(0, 50)),
        st.tuples(st.just("find"), VALUES),
        st.tuples(st.just("commit")),
        st.tuples(st.just("tx_insert")),
        st.tuples(st.just("tx_update"), st.integers(0, 50), VALUES),
        st.tuples(st.just("tx_remove"), st.integers(0, 50)),
    ),
    max_size=60,
)


def _first(table: dict[str, dict[str, Any]], value: Any) -> str | None:
    return next((k for k, r in table.items() if r.get("v") == value), None)


@settings(max_examples=300, deadline=None)
@given(start=st.lists(VALUES, max_size=8), ops=OPS, gaps=st.booleans())
def test_record_ops_match_tinydb_rules_and_a_scan(start: list[Any], ops: list[tuple[Any, ...]], gaps: bool) -> None:
    ids = [str(i * 3 + 2 if gaps else i + 1) for i in range(len(start))]
    committed: dict[str, Any] = {"t": {k: {"v": v, "n": i} for i, (k, v) in enumerate(zip(ids, start))}, "other": {}}
    caches: dict[str, Any] = {}
    model = copy.deepcopy(committed)  # what the data must be
    snapshot = copy.deepcopy(committed)
    memory = Tables(committed, caches)
    tx = Transaction(memory, "alice")  # "t" is not a versioned table: its records are stored as given
    for op in ops:
        table = memory.data["t"]
        keys = list(table)
        if op[0] == "insert":
            expected = max(map(int, model["t"]), default=0) + 1
            assert memory.insert("t", {"v": op[1]}) == expected
            model["t"][str(expected)] = {"v": op[1]}
        elif op[0] == "put" and keys:
            key = keys[op[1] % len(keys)]
            memory.put("t", key, {"v": op[2], "p": True})
            model["t"][key] = {"v": op[2], "p": True}
        elif op[0] == "put_same" and keys:  # the stored object itself put back: refused, nothing changes
            key = keys[op[1] % len(keys)]
            with pytest.raises(ValueError, match="changed in place"):
                memory.put("t", key, memory.data["t"][key])
        elif op[0] == "remove" and keys:
            key = keys[op[1] % len(keys)]
            memory.remove("t", key)
            del model["t"][key]
        elif op[0] == "find":
            assert memory.find("t", "v", op[1]) == _first(model["t"], op[1])
        elif op[0] == "tx_insert":  # the repository's insert (and its audit entries) shares the allocator
            expected = max(map(int, model["t"]), default=0) + 1
            assert tx.insert("t", {"v": "tiny"}) == str(expected)
            model["t"][str(expected)] = {"v": "tiny"}
        elif op[0] == "tx_update" and keys:  # a new record over the old one, at its place
            key = keys[op[1] % len(keys)]
            old = memory.data["t"][key]
            frozen = copy.deepcopy(old)
            new = tx.update("t", key, {"v": op[2]})
            assert new is not old and old == frozen and memory.data["t"][key] is new
            model["t"][key] = {**model["t"][key], "v": op[2]}
        elif op[0] == "tx_remove" and keys:
            key = keys[op[1] % len(keys)]
            assert tx.remove("t", key) == model["t"].pop(key)
        elif op[0] == "commit":
            # What StoreFile.transaction does on success: the new data becomes the shared one, caches carry over.
            assert committed == snapshot, "a transaction changed the data read views share"
            committed, caches = memory.data, memory.caches
            snapshot = copy.deepcopy(committed)
            memory = Tables(committed, caches)
            tx = Transaction(memory, "alice")
        assert memory.data["t"] == model["t"] and list(memory.data["t"]) == list(model["t"])
    assert committed == snapshot
    for value in ("a", "b", None, "tiny", "absent", *range(31)):
        assert memory.find("t", "v", value) == _first(model["t"], value)
        assert memory.find("t", "v", value) == _first(model["t"], value)  # scanned, then indexed
        first = _first(model["t"], value)
        assert tx.find("t", "v", value) == (None if first is None else (first, model["t"][first]))


def test_find_keeps_first_match_with_duplicate_values() -> None:
    data: dict[str, Any] = {"t": {"1": {"v": "x"}, "2": {"v": "x"}, "3": {"v": "y"}}}
    memory = Tables(data)
    for _ in range(3):
        assert memory.find("t", "v", "x") == "1"
    memory.remove("t", "1")
    assert memory.find("t", "v", "x") == "2"
    assert memory.find("t", "v", ["unhashable"]) is None


def test_a_stale_cache_is_never_used_after_the_table_was_replaced() -> None:
    """The caches are valid only for the very table dict they were built on: handed to a transaction whose data
    holds another dict for that table (another writer's data, or a copy a change that failed left behind), they are
    rebuilt, never used."""
    memory = Tables({"t": {"1": {"v": "a"}, "2": {"v": "b"}}})
    for _ in range(2):
        assert memory.find("t", "v", "b") == "2"  # index built
    assert memory.next_id("t") == 3
    replaced = Tables({"t": {"2": {"v": "z"}}}, memory.caches)
    assert replaced.find("t", "v", "b") is None and replaced.find("t", "v", "z") == "2"
    assert replaced.find("t", "v", "z") == "2"  # indexed now, on the new table
    assert replaced.insert("t", {"v": "n"}) == 3  # from the new table's largest id, not the stale allocator's 4


def test_a_change_that_failed_leaves_no_stale_cache(tmp_path: Path) -> None:
    """A put refused (the same object) or of a missing record copies the table first: the caches the transaction
    leaves describe that copy, not the data shared with readers, and the next transaction rebuilds them."""
    path = tmp_path / "store.json"
    ctl = Controller(path, "alice")
    ids = [ctl.create_app({"name": f"App {i}", "app_url": f"https://a{i}.example.com"}).app.id for i in range(3)]
    with ctl.store.transaction() as tables:
        for _ in range(2):
            key = tables.find("apps", "id", ids[1])
        assert key is not None
        with pytest.raises(ValueError):
            tables.put("apps", key, tables.table("apps")[key])
        with pytest.raises(KeyError):
            tables.put("apps", "999", {"id": "app_x"})
    assert not tables.changed
    ctl.delete_app(ids[1])
    ctl.create_app({"name": "Another", "app_url": "https://b.example.com"})
    on_disk = json.loads(path.read_bytes())
    assert ctl.store.read() == on_disk
    with ctl.store.transaction() as tables:
        for app_id in (*ids, "app_missing"):
            for _ in range(2):
                expected = next((k for k, r in on_disk["apps"].items() if r["id"] == app_id), None)
                assert tables.find("apps", "id", app_id) == expected
        assert tables.next_id("apps") == max(map(int, on_disk["apps"])) + 1


# -- through the controller: a long-lived writer (its caches) against what a fresh process parses ------------

CTL_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 3)),
        st.tuples(st.just("update"), st.integers(0, 99)),
        st.tuples(st.just("share"), st.integers(0, 99)),
        st.tuples(st.just("rotate"), st.integers(0, 99)),
        st.tuples(st.just("delete"), st.integers(0, 99)),
        st.tuples(st.just("stale"), st.integers(0, 99)),
        st.tuples(st.just("elsewhere"), st.integers(0, 99)),  # another process saves in between
        st.tuples(st.just("admin"), st.integers(0, 99)),  # a change to another table (a new group)
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=CTL_OPS)
def test_a_long_lived_writer_matches_a_fresh_parse(tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, int]]) -> None:
    path = tmp_path_factory.mktemp("rw") / "store.json"
    ctl = Controller(path, "alice")
    audit = len(json.loads(path.read_bytes())["audit"])
    made: list[str] = []
    for kind, n in ops:
        live = [a for a in made if any(r["id"] == a for r in json.loads(path.read_bytes())["apps"].values())]
        target = live[n % len(live)] if live else None
        before = json.loads(path.read_bytes())
        changed = 1
        if kind == "create":
            made.append(ctl.create_app({"name": f"App {n}", "app_url": f"https://a{n}.example.com"}).app.id)
            keys = list(json.loads(path.read_bytes())["apps"])
            assert int(keys[-1]) == max(map(int, before["apps"]), default=0) + 1
        elif target is None:
            with pytest.raises(NotFoundError):
                ctl.update_app("app_missing", {"description": "x"})
            changed = 0
        elif kind == "update":
            assert ctl.update_app(target, {"description": f"d{n}"}).app.description == f"d{n}"
            changed = int(next(r for r in before["apps"].values() if r["id"] == target).get("description") != f"d{n}")
        elif kind == "share":
            ctl.share_app(target, "organization", [])
            changed = int(next(r for r in before["apps"].values() if r["id"] == target).get("sharing") != "organization")
        elif kind == "rotate":
            ctl.rotate_secret(target)
        elif kind == "delete":
            ctl.delete_app(target)
            with pytest.raises(NotFoundError):
                ctl.update_app(target, {"description": "gone"})
        elif kind == "stale":
            with pytest.raises(ConflictError):
                ctl.update_app(target, {"description": "stale"}, expected_version=999)
            changed = 0
        elif kind == "elsewhere":
            Controller(path, "alice").update_app(target, {"description": f"elsewhere {n}"})
            changed = int(next(r for r in before["apps"].values() if r["id"] == target).get("description") != f"elsewhere {n}")
        elif kind == "admin":
            ctl.add_group(f"Group {n} {len(made)} {audit}")
        on_disk = json.loads(path.read_bytes())
        assert len(on_disk["audit"]) == audit + changed, kind  # one audit entry per change
        audit = len(on_disk["audit"])
        assert ctl.store.read() == on_disk  # the writer's data is the file, as a fresh process parses it
        assert sorted(r["id"] for r in on_disk["apps"].values()) == sorted(a.id for a in Controller(path, "alice").list_apps())
        assert len({r["client_id"] for r in on_disk["apps"].values()}) == len(on_disk["apps"])
