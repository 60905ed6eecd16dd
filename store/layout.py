"""The store file's layout: one JSON document with one record per line, read line by line.

    {
    "meta":{"1":{...}},
    "users":{"1":{...},
    "2":{...}},
    "apps":{},
    ...
    }

Any JSON reader (TinyDB's included) reads it as the same document; appdeck writes it that way so that a reader
can parse one record at a time and keep from the previous read every record whose line did not change:

- memory: parsing the whole file at once holds the raw bytes and orjson's own document tree next to the Python
  objects (about 500 MB at 100,000 apps against 290 MB for the objects alone); line by line, neither is held;
- picking up another user's save: a line whose bytes are the ones already read gives back the record parsed then
  (the very same object; records are never changed in place, a save replaces them), so a refresh parses only the
  records that changed.

A file in any other layout (hand-made, pretty-printed) is not an error: `read` says so and the caller parses the
whole file as before. Nothing here checks the records' shape: the caller does, exactly as for a whole-file parse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

import orjson

Data = dict[str, dict[str, Any]]

# Per table: line hash -> the record parsed from that line, and the hash of the line that closed the table.
Reuse = dict[str, tuple[dict[int, dict[str, Any]], int | None]]


def dumps(data: Data) -> bytes:
    """The document, one record per line."""
    names = list(data)
    parts = [b"{"]
    for i, name in enumerate(names):
        parts.append(orjson.dumps(name) + b":" + _table_lines(data[name]) + (b"," if i < len(names) - 1 else b""))
    parts.append(b"}")
    return b"\n".join(parts)


def _table_lines(table: dict[str, Any]) -> bytes:
    """A table as orjson dumps it, with a newline before every record but the first. The fast way dumps the table
    at once and puts the newline after each `},"`: between two records that sequence always stands, once; it may
    also stand where a string ends in "}," (its closing quote) or after a nested object. So it is used only when
    the sequence occurs exactly once per boundary; otherwise each record is dumped on its own."""
    raw = orjson.dumps(table)
    if raw.count(b'},"') == max(len(table) - 1, 0):
        return raw.replace(b'},"', b'},\n"')
    return b"{" + b",\n".join(orjson.dumps(k) + b":" + orjson.dumps(v) for k, v in table.items()) + b"}"


class NotLines(Exception):
    """The file is not in appdeck's line layout (or a line does not parse): parse it whole instead."""


def read(fh: BinaryIO, previous: Reuse | None = None) -> tuple[Data, Reuse, int]:
    """Read a store written by `dumps` from `fh` (at its start), reusing the records of unchanged lines.

    Returns the data, what the next read may reuse, and how many lines were parsed (the rest were reused).
    Raises NotLines when the file is in another layout or anything does not parse; the caller then parses the
    whole file (and reports a JSON error from that parse, with its position)."""
    if fh.readline() != b"{\n":
        raise NotLines
    return _read_tables(fh, previous or {})


def _read_tables(lines: Iterable[bytes], previous: Reuse) -> tuple[Data, Reuse, int]:
    loads = orjson.loads
    data: Data = {}
    reuse: Reuse = {}
    parsed = 0
    table: dict[str, Any] | None = None  # the table being filled, None between tables
    seen: dict[int, dict[str, Any]] = {}
    old: dict[int, dict[str, Any]] = {}
    old_end: int | None = None
    name = ""
    ended = False
    for line in lines:
        if ended:
            raise NotLines  # something after the document's closing brace
        if table is None:
            if line == b"}" or line == b"}\n":
                ended = True
                continue
            # A table's first line: "name":{ followed by its first record, or "name":{} for an empty table.
            cut = line.find(b'":{')
            if cut < 1 or line[:1] != b'"':
                raise NotLines
            try:
                name = loads(line[: cut + 1])
            except orjson.JSONDecodeError:
                raise NotLines from None
            if not isinstance(name, str) or name in data:
                raise NotLines
            body = line[cut + 2 :]
            if body in (b"{},\n", b"{}\n", b"{}"):
                data[name] = {}
                reuse[name] = ({}, None)
                continue
            table = data[name] = {}
            seen = {}
            old, old_end = previous.get(name, ({}, None))
            rest = body[1:]
        else:
            rest = line
        h = hash(line)
        record = old.get(h)
        if record is not None:
            # The very line read last time: its record and its place (the table's last line or not) are the same.
            ends = h == old_end
        else:
            record, ends = _parse_record(rest, loads)
            parsed += 1
        key = _key(rest)
        if key in table:
            raise NotLines  # a repeated id: let the whole-file parse decide what the document means
        table[key] = record
        seen[h] = record
        if ends:
            reuse[name] = (seen, h)
            table = None
    if table is not None or not ended:
        raise NotLines  # cut short
    return data, reuse, parsed


def _key(rest: bytes) -> str:
    cut = rest.find(b'":')
    if cut < 1 or rest[:1] != b'"' or b"\\" in rest[:cut]:
        raise NotLines
    try:
        return rest[1:cut].decode()
    except UnicodeDecodeError:
        raise NotLines from None


def _parse_record(rest: bytes, loads: Any) -> tuple[dict[str, Any], bool]:
    """'"id":{...}' followed by ',' (more records), '},' (the table ends, more tables) or '}' (the last table ends)."""
    cut = rest.find(b'":')
    body = rest[cut + 2 :].rstrip(b"\n")
    candidates: tuple[tuple[bytes, bool], ...]
    if body.endswith(b","):
        candidates = ((body[:-1], False), (body[:-2], True)) if body.endswith(b"},") else ((body[:-1], False),)
    else:
        candidates = ((body[:-1], True),)
    for text, ends in candidates:
        if ends and not body[: len(text) + 1].endswith(b"}"):
            continue
        try:
            value = loads(text)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value, ends
        raise NotLines
    raise NotLines
