"""One-record writes inside a transaction (`_MemoryStorage.find/insert/put/remove`) and the caches kept across
transactions (next ids, indexes) agree with TinyDB's rules and a plain scan, never touch the data read views share,
and a long-lived writer sees exactly what a fresh process parses."""

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
from store.storage import _MemoryStorage

# An op: ("insert", value) | ("put", pick, value) | ("remove", pick) | ("find", value) | ("commit",)
VALUES = st.one_of(st.sampled_from(["a", "b", None]), st.integers(0, 30))  # unique (indexed) and shared (scanned)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), VALUES),
        st.tuples(st.just("put"), st.integers(0, 50), VALUES),
        st.tuples(st.just("remove"), st.integers(0, 50)),
        st.tuples(st.just("find"), VALUES),
        st.tuples(st.just("commit")),
        st.tuples(st.just("tinydb")),
    ),
    max_size=60,
)


def _first(table: dict[str, dict[str, Any]], value: Any) -> str | None:
    return next((k for k, r in table.items() if r.get("v") == value), None)


@settings(max_examples=300, deadline=None)
@given(start=st.lists(VALUES, max_size=8), ops=OPS, gaps=st.booleans())
def test_record_ops_match_tinydb_rules_and_a_scan(start: list[Any], ops: list[tuple[Any, ...]], gaps: bool) -> None:
    from tinydb import TinyDB

    from store.storage import _copy_on_write_table

    ids = [str(i * 3 + 2 if gaps else i + 1) for i in range(len(start))]
    committed: dict[str, Any] = {"t": {k: {"v": v, "n": i} for i, (k, v) in enumerate(zip(ids, start))}, "other": {}}
    caches: dict[str, Any] = {}
    model = copy.deepcopy(committed)  # what the data must be
    snapshot = copy.deepcopy(committed)
    memory = _MemoryStorage(committed, caches)
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
        elif op[0] == "remove" and keys:
            key = keys[op[1] % len(keys)]
            memory.remove("t", key)
            del model["t"][key]
        elif op[0] == "find":
            assert memory.find("t", "v", op[1]) == _first(model["t"], op[1])
        elif op[0] == "tinydb":  # TinyDB's own insert on the same table shares the allocator
            db = TinyDB(storage=lambda: memory)
            db.table_class = _copy_on_write_table()
            expected = max(map(int, model["t"]), default=0) + 1
            assert db.table("t").insert({"v": "tiny"}) == expected
            model["t"][str(expected)] = {"v": "tiny"}
        elif op[0] == "commit":
            # What StoreFile.transaction does on success: the new data becomes the shared one, caches carry over.
            assert committed == snapshot, "a transaction changed the data read views share"
            committed, caches = memory.data, memory.caches
            snapshot = copy.deepcopy(committed)
            memory = _MemoryStorage(committed, caches)
        assert memory.data["t"] == model["t"] and list(memory.data["t"]) == list(model["t"])
    assert committed == snapshot
    for value in ("a", "b", None, "tiny", "absent", *range(31)):
        assert memory.find("t", "v", value) == _first(model["t"], value)
        assert memory.find("t", "v", value) == _first(model["t"], value)  # scanned, then indexed


def test_find_keeps_first_match_with_duplicate_values() -> None:
    data: dict[str, Any] = {"t": {"1": {"v": "x"}, "2": {"v": "x"}, "3": {"v": "y"}}}
    memory = _MemoryStorage(data)
    for _ in range(3):
        assert memory.find("t", "v", "x") == "1"
    memory.remove("t", "1")
    assert memory.find("t", "v", "x") == "2"
    assert memory.find("t", "v", ["unhashable"]) is None


def test_a_stale_cache_is_never_used_after_tinydb_replaced_the_table() -> None:
    from tinydb import TinyDB

    from store.storage import _copy_on_write_table

    memory = _MemoryStorage({"t": {"1": {"v": "a"}, "2": {"v": "b"}}})
    for _ in range(2):
        assert memory.find("t", "v", "b") == "2"  # index built
    db = TinyDB(storage=lambda: memory)
    db.table_class = _copy_on_write_table()
    db.table("t").update({"v": "z"}, doc_ids=[2])
    db.table("t").remove(doc_ids=[1])
    assert memory.find("t", "v", "b") is None and memory.find("t", "v", "z") == "2"
    assert memory.insert("t", {"v": "n"}) == 3


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
        st.tuples(st.just("admin"), st.integers(0, 99)),  # a change through TinyDB's tables (a new group)
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
