"""Spec section 8. A save re-serializes only what changed (store/layout.py `splice`): the oracle is `layout.dumps`.

Whatever the change, the file a write makes is byte for byte `layout.dumps` of the data it holds, and the spans it
keeps say exactly where the new file's records stand: checked on random sequences of changes made the way the
store makes them (tables copied the first time they change, changed records replaced, never changed in place),
through `Tables` and `store.repository.Transaction` as the controller uses them, and through the controller on a
real file (with another process's writes in between, a hand-indented file, and failures at each step).
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_layout import check_spans, document, record, scalar, text

from store import layout, storage
from store.controller import Controller
from store.errors import StoreError
from store.repository import Transaction
from store.storage import Tables

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["meta", "users", "groups", "apps", "registered", "audit", "extra", "z"]
SPA = {"name": "Portal", "app_url": "https://portal.example.com"}


def read(raw: bytes) -> tuple[dict[str, Any], layout.Spans]:
    spans: layout.Spans = {}
    data, _, _ = layout.read(io.BytesIO(raw), None, spans)
    return data, spans


def spliced(data: dict[str, Any], raw: bytes, spans: layout.Spans | None) -> tuple[bytes, layout.Spans]:
    pieces, new_spans = layout.splice(data, spans, lambda i: raw[i : i + 1])
    return layout.join(pieces, raw), new_spans


def check(data: dict[str, Any], raw: bytes, spans: layout.Spans) -> tuple[bytes, layout.Spans]:
    """The oracle: what splice makes is dumps, and its spans describe it."""
    out, new_spans = spliced(data, raw, spans)
    assert out == layout.dumps(data)
    check_spans(out, data, new_spans)
    assert set(new_spans) == set(data)
    dumped, dumped_spans = layout.splice(data, None)  # no spans: every record dumped, the same file
    assert all(type(p) is bytes for p in dumped) and b"".join(dumped) == out  # type: ignore[arg-type]
    check_spans(out, data, dumped_spans)
    return out, new_spans


# -- the data as the store changes it -----------------------------------------------------------------------------

OPS = st.sampled_from(["insert", "update", "update_first", "update_last", "delete", "delete_newest", "reuse_id",
                       "new_table", "empty_table", "drop_table", "copy_only", "same_value_copy", "equal_other_bytes",
                       "move_to_end", "same_object_other_key"])


def change(data: dict[str, Any], draw: Any) -> dict[str, Any]:
    """One transaction's worth of changes, made as `Tables` makes them: a shallow copy of the
    document, each table copied the first time it changes, records replaced by new objects."""
    new = dict(data)
    owned: set[str] = set()

    def own(name: str) -> dict[str, Any]:
        if name not in owned:
            new[name] = dict(new.get(name, {}))
            owned.add(name)
        return new[name]  # type: ignore[no-any-return]

    for _ in range(draw(st.integers(1, 4))):
        op = draw(OPS)
        names = list(new)
        if op == "new_table" or not names:
            name = draw(st.sampled_from(NAMES))
            new.pop(name, None)
            new[name] = draw(st.dictionaries(st.integers(1, 30).map(str), record, max_size=4))
            owned.add(name)
            continue
        name = draw(st.sampled_from(names))
        keys = list(new[name])
        if op == "drop_table":
            del new[name]
            owned.discard(name)
        elif op == "empty_table":
            new[name] = {}
            owned.add(name)
        elif op == "copy_only":
            own(name)
        elif op in ("insert", "reuse_id") or not keys:
            t = own(name)
            key = str(max(map(int, filter(str.isdigit, t)), default=0) + 1)
            if op == "reuse_id" and keys:
                key = draw(st.sampled_from(keys))
                t.pop(key)
            t[key] = draw(record)
        elif op in ("update", "update_first", "update_last"):
            key = keys[0] if op == "update_first" else keys[-1] if op == "update_last" else draw(st.sampled_from(keys))
            t = own(name)
            t[key] = {**t[key], "n": draw(scalar)}
        elif op in ("delete", "delete_newest"):
            t = own(name)
            del t[keys[-1] if op == "delete_newest" else draw(st.sampled_from(keys))]
        elif op == "same_value_copy":  # equal, but another object: dumped again (same bytes)
            t = own(name)
            key = draw(st.sampled_from(keys))
            t[key] = dict(t[key])
        elif op == "equal_other_bytes":  # == the old record, but dumped otherwise: identity, never equality, decides
            t = own(name)
            key = draw(st.sampled_from(keys))
            flip = {k: (True if v == 1 and v is not True else 1 if v is True else v) for k, v in t[key].items()}
            t[key] = dict(reversed(flip.items())) if draw(st.booleans()) else flip
        elif op == "move_to_end":  # the same object, later in the order
            t = own(name)
            key = draw(st.sampled_from(keys))
            t[key] = t.pop(key)
        elif op == "same_object_other_key":  # the same record object under another id, at the same place
            t = own(name)
            key = draw(st.sampled_from(keys))
            other = str(max(map(int, filter(str.isdigit, t)), default=0) + 1)
            renamed = {(other if k == key else k): v for k, v in t.items()}
            t.clear()
            t.update(renamed)
    return new


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document, st.data())
def test_a_spliced_document_is_exactly_the_dumped_one(doc: dict[str, Any], data: st.DataObject) -> None:
    raw = layout.dumps(doc)
    current, spans = read(raw)
    check_spans(raw, current, spans)
    for _ in range(data.draw(st.integers(1, 6))):
        new = change(current, data.draw)
        raw, spans = check(new, raw, spans)
        current = new
        # what was written reads back as the same data, its spans as the ones the write kept
        again, read_spans = read(raw)
        assert again == current and [list(t) for t in again.values()] == [list(t) for t in current.values()]
        assert {n: (s.start, s.end, list(s.lengths)) for n, s in read_spans.items()} == {
            n: (s.start, s.end, list(s.lengths)) for n, s in spans.items()}


def test_unchanged_records_are_copied_not_dumped() -> None:
    doc = {"meta": {"1": {"v": 1}}, "apps": {str(i): {"n": i} for i in range(1, 1001)}, "audit": {"1": {"a": 1}}}
    raw = layout.dumps(doc)
    data, spans = read(raw)
    new = dict(data)
    new["apps"] = apps = dict(data["apps"])
    apps["500"] = {"n": "changed"}
    apps["1001"] = {"n": "new"}
    pieces, _ = layout.splice(new, spans, lambda i: raw[i : i + 1])
    dumped = [p for p in pieces if type(p) is bytes]
    assert sum(map(len, dumped)) < 100  # the table names, the changed and the new record, separators
    assert [p for p in pieces if type(p) is tuple][0] == (spans["meta"].start, spans["meta"].end)
    assert layout.join(pieces, raw) == layout.dumps(new)
    # and with records deleted: the records between them are still copied
    del apps["10"], apps["900"]
    pieces, _ = layout.splice(new, spans, lambda i: raw[i : i + 1])
    assert sum(len(p) for p in pieces if type(p) is bytes) < 100
    assert len([p for p in pieces if type(p) is tuple]) == 6  # meta, apps 1-9, 11-499, 501-899, 901-1000, audit
    assert layout.join(pieces, raw) == layout.dumps(new)


@pytest.mark.parametrize("damage", ["comma", "brace", "shorter", "other"])
def test_bytes_that_are_not_the_file_the_spans_describe_are_refused(damage: str) -> None:
    """Every slice must start and end where a record (or a table) does. A cheap guard only: the file's identity
    is what says it is the file the spans describe; a change inside a slice is not looked for."""
    doc = {"meta": {"1": {"v": 1}}, "apps": {str(i): {"n": i} for i in range(1, 20)}}
    raw = layout.dumps(doc)
    data, spans = read(raw)
    new = dict(data)
    new["apps"] = dict(data["apps"])
    new["apps"]["7"] = {"n": "x"}
    if damage == "comma":
        bad = raw.replace(b'{"n":6},', b'{"n":6} ', 1)  # where the copy of records 1-6 must end
    elif damage == "brace":
        bad = raw.replace(b'"meta":{', b'"meta":[', 1)
    elif damage == "shorter":
        bad = raw[: len(raw) // 2]
    else:
        bad = layout.dumps({"meta": {"1": {"v": 22}}, "apps": {str(i): {"n": i * 10} for i in range(1, 20)}})
    with pytest.raises(layout.Stale):
        layout.splice(new, spans, lambda i: bad[i : i + 1])
    with pytest.raises(layout.Stale):
        layout.splice(new, spans, None)


# -- through Tables and the repository's Transaction, as the controller changes the store ---------------------------

TX_OPS = st.sampled_from(["m_insert", "m_put", "m_put_same", "m_remove", "m_remove_newest", "m_find", "t_insert",
                          "t_update", "t_remove", "t_truncate", "t_new_table", "t_audit", "nothing"])


def transaction(data: dict[str, Any], caches: dict[str, Any], draw: Any) -> dict[str, Any] | None:
    """One transaction, as StoreFile.transaction runs it: `Tables` over the shared data and the caches carried over,
    changed one record at a time directly (m_*) and through the repository's `Transaction` (t_*: versioned tables
    stamped, new records built by `update`). None when nothing changed (nothing is written then)."""
    memory = Tables(data, caches)
    tx = Transaction(memory, "alice", "usr_alice")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(TX_OPS)
        names = [n for n in memory.data if n in ("meta", "users", "apps", "audit", "groups", "registered")]
        name = draw(st.sampled_from(names or ["apps"]))
        keys = list(memory.data.get(name, {}))
        if op == "m_insert" or (op in ("m_put", "m_put_same", "m_remove", "m_remove_newest", "t_update", "t_remove")
                                and not keys):
            memory.insert(name, draw(record))
        elif op == "m_put":
            key = draw(st.sampled_from(keys))
            memory.put(name, key, {**memory.data[name][key], "put": draw(scalar)})
        elif op == "m_put_same":  # a record changed in place and put back would not be written: refused
            key = draw(st.sampled_from(keys))
            with pytest.raises(ValueError):
                memory.put(name, key, memory.data[name][key])
        elif op == "m_remove":
            memory.remove(name, draw(st.sampled_from(keys)))
        elif op == "m_remove_newest":
            memory.remove(name, max(keys, key=int))
        elif op == "m_find":  # the index, or the scan, finds what a scan finds
            field = draw(st.sampled_from(["id", "name", "n"]))
            value = draw(scalar)
            for _ in range(2):
                assert memory.find(name, field, value) == next(
                    (k for k, r in memory.table(name).items() if r.get(field) == value), None)
        elif op == "t_insert":
            tx.insert(name, draw(record))
        elif op == "t_update":
            key = draw(st.sampled_from(keys))
            old = memory.table(name)[key]
            assert tx.update(name, key, {"u": draw(scalar)}) is not old
        elif op == "t_remove":
            tx.remove(name, draw(st.sampled_from(keys)))
        elif op == "t_truncate":  # every record of a table removed
            for key in list(memory.table(name)):
                tx.remove(name, key)
        elif op == "t_new_table":
            tx.insert(draw(st.sampled_from(["groups", "registered", "extra"])), draw(record))
        elif op == "t_audit":
            tx.audit("update", "app", "app_1", draw(text), fields=["name"], detail=draw(text))
    if not memory.changed:
        return None
    for table in storage.TABLES:
        memory.data.setdefault(table, {})
    return memory.data


int_keyed = st.dictionaries(st.sampled_from(["meta", "users", "groups", "apps", "registered", "audit"]),
                            st.dictionaries(st.integers(1, 40).map(str), record, max_size=8), min_size=1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(int_keyed, st.data())
def test_transactions_through_tables_and_the_repository_splice_to_the_dumped_document(doc: dict[str, Any], data: st.DataObject) -> None:
    raw = layout.dumps(doc)
    current, spans = read(raw)
    caches: dict[str, Any] = {}
    for _ in range(data.draw(st.integers(1, 5))):
        before = orjson.dumps(current)
        new = transaction(current, caches, data.draw)
        assert orjson.dumps(current) == before  # the data the spans describe was not touched
        if new is None:
            continue
        raw, spans = check(new, raw, spans)
        current = new


# -- through the controller, on a real file ------------------------------------------------------------------------

def spy_splices(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, for each write, whether it spliced (had spans) or dumped every record."""
    seen: list[bool] = []
    real = layout.splice

    def spy(data: Any, spans: Any, peek: Any = None) -> Any:
        seen.append(spans is not None)
        return real(data, spans, peek)

    monkeypatch.setattr(layout, "splice", spy)
    return seen


def assert_file_is_the_data(ctl: Controller) -> None:
    st_ = ctl.store
    raw = st_.path.read_bytes()
    data = st_.read()
    assert raw == layout.dumps(data)
    assert orjson.loads(raw) == data
    if st_._spans is not None:
        ident, spans = st_._spans
        assert ident == st_.identity()
        check_spans(raw, data, {n: s for n, s in spans.items()})


OTHER_WRITER = r"""
import sys
from store.controller import Controller
ctl = Controller(sys.argv[1], "alice")
app = ctl.create_app({"name": "From elsewhere " + sys.argv[2], "app_url": "https://elsewhere.example.com"}).app
ctl.update_app(app.id, {"description": "changed elsewhere " + sys.argv[2]})
"""


def test_controller_writes_splice_to_the_dumped_document(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    ctl.add_user("bob", role="editor")
    ctl.add_group("team", members=["alice", "bob"])
    seen = spy_splices(monkeypatch)
    ids = [ctl.create_app({**SPA, "name": f"App {i}", "description": f"d{i}"}).app.id for i in range(12)]
    assert_file_is_the_data(ctl)
    steps = [
        lambda: ctl.update_app(ids[0], {"description": "first changed"}),
        lambda: ctl.update_app(ids[-1], {"description": "last changed"}),
        lambda: ctl.share_app(ids[5], "groups", ["team"]),
        lambda: ctl.share_app(ids[5], "organization"),
        lambda: ctl.rotate_secret(ids[3]),
        lambda: ctl.delete_app(ids[-1]),  # the newest: its id is taken again by the next create
        lambda: ids.append(ctl.create_app({**SPA, "name": "Reused id"}).app.id),
        lambda: ctl.delete_app(ids[4]),
        lambda: ctl.set_role("bob", "viewer"),
        lambda: ctl.set_members("team", remove=["bob"]),
        lambda: ctl.add_registered({"name": "Wiki", "url": "https://wiki.example.com"}),
        lambda: ctl.rename_organization("Renamed"),
        lambda: ctl.remove_group("team"),
    ]
    for step in steps:
        step()
        assert_file_is_the_data(ctl)
    assert all(seen), "every write after the first read had spans to splice from"
    # a fresh reader reads back exactly what the writer holds
    assert Controller(store_path, "alice").store.read() == ctl.store.read()


def test_another_process_writing_in_between_means_a_whole_re_read_then_a_splice(store_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    ids = [ctl.create_app({**SPA, "name": f"App {i}"}).app.id for i in range(5)]
    seen = spy_splices(monkeypatch)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_ in range(3):
        subprocess.run([sys.executable, "-c", OTHER_WRITER, str(store_path), str(round_)], check=True, env=env)
        loads = ctl.store.loads
        ctl.update_app(ids[round_], {"description": f"mine {round_}"})
        assert ctl.store.loads == loads + 1  # the other write was picked up, once
        assert_file_is_the_data(ctl)
        assert any(a.description == f"changed elsewhere {round_}" for a in ctl.list_apps())
    assert seen == [True, True, True]


def test_a_hand_indented_store_is_dumped_whole_once_then_spliced(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    app = ctl.create_app(SPA).app
    store_path.write_bytes(orjson.dumps(orjson.loads(store_path.read_bytes()), option=orjson.OPT_INDENT_2))
    seen = spy_splices(monkeypatch)
    ctl.update_app(app.id, {"description": "after the hand edit"})
    assert ctl.store.records_parsed == -1  # read whole: no spans
    assert_file_is_the_data(ctl)
    ctl.update_app(app.id, {"description": "again"})
    assert_file_is_the_data(ctl)
    assert seen == [False, True]


def test_a_store_changed_in_place_behind_the_lock_is_dumped_not_spliced(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same inode, size and mtime (put back), other bytes: the slice checks refuse it, the write dumps every record."""
    ctl = Controller(store_path, "alice")
    ids = [ctl.create_app({**SPA, "name": f"App {i}"}).app.id for i in range(4)]
    ctl.list_apps()
    st_ = os.stat(store_path)
    raw = store_path.read_bytes()
    lines = raw.split(b"\n")
    first = next(i for i, line in enumerate(lines) if line.startswith(b'"apps":{'))
    lines[first] = lines[first][:-1] + b" "  # the comma after the first app, where the first copied slice ends
    damaged = b"\n".join(lines)
    assert len(damaged) == len(raw)
    with open(store_path, "r+b") as fh:
        fh.write(damaged)
    os.utime(store_path, ns=(st_.st_atime_ns, st_.st_mtime_ns))
    assert ctl.store.identity() == (st_.st_ino, st_.st_size, st_.st_mtime_ns)
    seen = spy_splices(monkeypatch)
    ctl.update_app(ids[1], {"description": "x"})
    assert seen == [True, False]  # tried, refused, dumped
    assert_file_is_the_data(ctl)


# -- failures: the spans never describe a file that was not written ----------------------------------------------

class FailingOs:
    """`os` inside store.storage, with one function failing (or replaced) while armed."""

    def __init__(self, name: str, fn: Any) -> None:
        self.name, self.fn = name, fn

    def __getattr__(self, attr: str) -> Any:
        return self.fn if attr == self.name else getattr(os, attr)


def raising(err: int) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(err, os.strerror(err))
    return fail


@pytest.mark.parametrize("name", ["write", "sendfile", "fsync", "replace"])
def test_a_failed_write_drops_the_spans_and_the_next_one_is_still_exact(store_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        name: str) -> None:
    ctl = Controller(store_path, "alice")
    ids = [ctl.create_app({**SPA, "name": f"App {i}"}).app.id for i in range(6)]
    before = store_path.read_bytes()
    monkeypatch.setattr(storage, "os", FailingOs(name, raising(errno.ENOSPC)))
    with pytest.raises(StoreError, match="disk is full"):
        ctl.update_app(ids[2], {"description": "lost"})
    monkeypatch.undo()
    assert store_path.read_bytes() == before
    assert ctl.store._spans is None and ctl.store._data is None
    seen = spy_splices(monkeypatch)
    ctl.update_app(ids[2], {"description": "kept"})
    assert_file_is_the_data(ctl)
    ctl.update_app(ids[3], {"description": "kept too"})
    assert_file_is_the_data(ctl)
    assert seen == [True, True]  # re-read line by line: spans again


def test_without_sendfile_the_slices_are_read_and_written(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    ids = [ctl.create_app({**SPA, "name": f"App {i}"}).app.id for i in range(6)]
    monkeypatch.setattr(storage, "os", FailingOs("sendfile", raising(errno.EINVAL)))
    ctl.update_app(ids[2], {"description": "copied by read and write"})
    assert ctl.store._sendfile is False
    assert_file_is_the_data(ctl)
    ctl.update_app(ids[4], {"description": "again"})
    assert_file_is_the_data(ctl)


def test_a_source_cut_short_while_copying_means_every_record_is_dumped(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    ids = [ctl.create_app({**SPA, "name": f"App {i}"}).app.id for i in range(6)]
    monkeypatch.setattr(storage, "os", FailingOs("sendfile", lambda *a: 0))  # end of file, early
    seen = spy_splices(monkeypatch)
    ctl.update_app(ids[2], {"description": "dumped"})
    assert seen == [True, False]
    monkeypatch.undo()
    assert_file_is_the_data(ctl)
    assert sorted(n for n in os.listdir(store_path.parent) if ".tmp-" in n) == []


def test_an_unreadable_source_means_every_record_is_dumped(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    ids = [ctl.create_app({**SPA, "name": f"App {i}"}).app.id for i in range(3)]
    real_open = os.open

    def no_read(path: Any, flags: int, *args: Any) -> int:
        if Path(path) == store_path and not flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_open(path, flags, *args)

    monkeypatch.setattr(storage, "os", FailingOs("open", no_read))
    ctl.update_app(ids[1], {"description": "dumped"})
    monkeypatch.undo()
    assert_file_is_the_data(ctl)


def test_a_hand_made_file_in_the_line_layout_keeps_its_unchanged_records_as_they_were(store_path: Path) -> None:
    """Byte-identity with `dumps` holds for files appdeck wrote; a hand-made file in the same layout with other
    spacing is read line by line too, and its unchanged records are copied as they are: the same JSON."""
    ctl = Controller(store_path, "alice")
    ids = [ctl.create_app({**SPA, "name": f"App {i}"}).app.id for i in range(3)]
    lines = store_path.read_bytes().split(b"\n")
    spaced = [line.replace(b'","', b'", "') if b'"name":"App ' in line else line for line in lines]
    store_path.write_bytes(b"\n".join(spaced))
    reader = Controller(store_path, "alice")
    assert reader.store.read() and reader.store.records_parsed > 0  # line by line
    reader.update_app(ids[1], {"description": "changed"})
    raw = store_path.read_bytes()
    data = reader.store.read()
    assert orjson.loads(raw) == data
    kept = [line for line in raw.split(b"\n") if b'", "' in line]
    assert len(kept) == 2 and all(b"changed" not in line for line in kept)  # the other two apps, as they were
    assert raw.replace(b'", "', b'","') == layout.dumps(data)
