"""Spec section 8. The store's line layout: any JSON reader sees the same document; the line reader reuses unchanged records."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import layout

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), text)
record = st.dictionaries(st.sampled_from(["id", "name", "a},\"b", "urls", "n", "x"]), st.one_of(scalar, st.lists(text, max_size=3)),
                         max_size=5)
table = st.dictionaries(st.integers(1, 60).map(str), record, max_size=8)
document = st.dictionaries(st.sampled_from(["meta", "users", "groups", "apps", "registered", "audit"]), table, min_size=1)


def table_lines(raw: bytes) -> list[tuple[str, bytes]]:
    """(table, line) of every record line (the reader reuses a record only from a line of the same table)."""
    out, table = [], ""
    for line in raw.split(b"\n")[1:-1]:
        start = re.match(rb'^"([a-z]+)":\{', line)
        if start:
            table = start.group(1).decode()
            if re.match(rb'^"[a-z]+":\{\},?$', line):
                continue  # an empty table
        out.append((table, line))
    return out


def read(raw: bytes, previous: layout.Reuse | None = None) -> tuple[Any, layout.Reuse, int]:
    return layout.read(io.BytesIO(raw), previous)


@settings(max_examples=300, deadline=None)
@given(document)
def test_every_reader_sees_the_same_document_and_the_line_reader_reads_it(doc: dict[str, Any]) -> None:
    raw = layout.dumps(doc)
    assert orjson.loads(raw) == doc and json.loads(raw) == doc
    assert list(orjson.loads(raw)) == list(doc)  # table order kept
    data, _, parsed = read(raw)
    assert data == doc and parsed == sum(len(t) for t in doc.values())
    assert [list(t) for t in data.values()] == [list(t) for t in doc.values()]  # record order kept


def test_one_record_per_line() -> None:
    doc = {"meta": {"1": {"v": 1}}, "apps": {"1": {"n": "a},\"b"}, "2": {"n": "x\ny"}}, "audit": {}}
    raw = layout.dumps(doc)
    assert raw.split(b"\n") == [b"{", b'"meta":{"1":{"v":1}},', b'"apps":{"1":{"n":"a},\\"b"},', b'"2":{"n":"x\\ny"}},',
                                b'"audit":{}', b"}"]


@settings(max_examples=200, deadline=None)
@given(document, st.data())
def test_a_second_read_reuses_exactly_the_records_whose_lines_did_not_change(doc: dict[str, Any], data: st.DataObject) -> None:
    first, reuse, _ = read(layout.dumps(doc))
    # change the document: edit, add and delete some records
    changed = {name: dict(t) for name, t in first.items()}
    for name, t in changed.items():
        for key in list(t):
            what = data.draw(st.sampled_from(["keep", "keep", "edit", "drop"]))
            if what == "edit":
                t[key] = {**t[key], "edited": data.draw(scalar)}
            elif what == "drop":
                del t[key]
        if data.draw(st.booleans()):
            t[str(1000 + len(t))] = data.draw(record)
    raw = layout.dumps(changed)
    second, _, parsed = read(raw, reuse)
    assert second == changed == orjson.loads(raw)
    lines_before = set(table_lines(layout.dumps(first)))
    reused = 0
    for name, t in second.items():
        for key, rec in t.items():
            if rec is first.get(name, {}).get(key):
                reused += 1
    # every record whose line is byte-identical to a line read before is the very object parsed then
    same_lines = sum(1 for line in table_lines(raw) if line in lines_before)
    assert reused == same_lines and parsed == sum(len(t) for t in second.values()) - reused


@pytest.mark.parametrize("raw", [
    b"", b"{}", b'{"apps":{}}', b'{\n"apps":{"1":{"a":1}}\n}\n\n', b'{\n"apps":{"1":{"a":1},\n"1":{"a":2}}\n}',
    b'{\n"apps":{"1":{"a":1}}', b'{\n"apps":{"1":{"a":1}},\n"apps":{}\n}', b'{\n"apps":{"1":[1]}\n}',
    b'{\n"apps":{"1":{"a":{"b":1},"c":2}}\n}'.replace(b'},"c', b'},\n"c'), b'{\n  "apps": {}\n}',
    b'{\n"apps":{"1":{"a":1}}x\n}',
])
def test_anything_else_is_left_to_the_whole_file_parse(raw: bytes) -> None:
    with pytest.raises(layout.NotLines):
        read(raw)


def test_the_store_is_written_one_record_per_line_and_a_refresh_parses_only_changed_lines(tmp_path: Any) -> None:
    from store.controller import Controller

    path = tmp_path / "s.json"
    mine = Controller(path, "alice")
    ids = [mine.create_app({"name": f"App {i}", "app_url": f"https://a{i}.example.com"}).app.id for i in range(30)]
    raw = path.read_bytes()
    assert raw.startswith(b"{\n") and raw.count(b"\n") > 30 and orjson.loads(raw)["apps"]
    reader = Controller(path, "alice")
    before = {a.id: a for a in reader.list_apps()}
    assert reader.store.records_parsed > 30

    mine.update_app(ids[7], {"description": "changed elsewhere"})
    after = {a.id: a for a in reader.list_apps()}
    # the changed app, the new audit entry and the audit line that is no longer the table's last one
    assert 1 <= reader.store.records_parsed <= 3
    assert after[ids[7]].description == "changed elsewhere" and not after[ids[7]].same_record(before[ids[7]])
    assert all(after[i].same_record(before[i]) for i in ids if i != ids[7])
    assert reader.store.read() == orjson.loads(path.read_bytes())


def test_a_hand_edited_store_in_any_layout_is_read_whole(tmp_path: Any) -> None:
    from store.controller import Controller

    path = tmp_path / "s.json"
    Controller(path, "alice").create_app({"name": "A", "app_url": "https://a.example.com"})
    path.write_bytes(orjson.dumps(orjson.loads(path.read_bytes()), option=orjson.OPT_INDENT_2))
    reader = Controller(path, "alice")
    assert [a.name for a in reader.list_apps()] == ["A"] and reader.store.records_parsed == -1
    reader.create_app({"name": "B", "app_url": "https://b.example.com"})  # the next write puts it back in lines
    assert path.read_bytes().startswith(b"{\n\"meta\":")


def check_spans(raw: bytes, data: dict[str, Any], spans: layout.Spans) -> None:
    """`spans` say where each table's records stand in `raw`, for the very dicts of `data` (shared with test_splice)."""
    assert list(spans) == [name for name in data if name in spans]
    for name, span in spans.items():
        table = data[name]
        assert span.table is table
        assert raw[span.start - 1 : span.start] == b"{" and raw[span.end : span.end + 1] == b"}"
        records = layout._records(table)
        assert raw[span.start : span.end] == b",\n".join(records)
        assert list(span.lengths) == [len(r) + 2 for r in records]  # to the next record, after ",\n"
        assert span.lengths.typecode == "q"  # 8 bytes a record, no per-record objects


@settings(max_examples=300, deadline=None)
@given(document, st.data())
def test_the_line_reader_says_where_every_table_and_record_stands(doc: dict[str, Any], data: st.DataObject) -> None:
    raw = layout.dumps(doc)
    spans: layout.Spans = {}
    first, reuse, _ = layout.read(io.BytesIO(raw), None, spans)
    assert set(spans) == set(doc)
    check_spans(raw, first, spans)
    # and again when the records are reused from a previous read
    changed = {name: dict(t) for name, t in first.items()}
    for t in changed.values():
        for key in list(t):
            if data.draw(st.booleans()):
                t[key] = {**t[key], "edited": data.draw(scalar)}
    raw2 = layout.dumps(changed)
    spans2: layout.Spans = {}
    second, _, _ = layout.read(io.BytesIO(raw2), reuse, spans2)
    check_spans(raw2, second, spans2)
