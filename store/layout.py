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

import operator
from array import array
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

import orjson

Data = dict[str, dict[str, Any]]

# Per table: line hash -> the record parsed from that line, and the hash of the line that closed the table.
Reuse = dict[str, tuple[dict[int, tuple[str, dict[str, Any]]], int | None]]


def dumps(data: Data) -> bytes:
    """The document, one record per line."""
    names = list(data)
    parts = [b"{"]
    for i, name in enumerate(names):
        parts.append(orjson.dumps(name) + b":" + _table_lines(data[name]) + (b"," if i < len(names) - 1 else b""))
    parts.append(b"}")
    return b"\n".join(parts)


def _table_lines(table: dict[str, Any]) -> bytes:
    """A table as orjson dumps it, with a newline before every record but the first: each record is dumped on its
    own (7.8 ms for 10,000 apps against 5.5 ms at once; finding the record boundaries in one dump afterwards, with
    bytes.count and bytes.replace, cost 19 ms more)."""
    if not table:
        return b"{}"
    return b"{" + b",\n".join(_records(table)) + b"}"


def _records(table: dict[str, Any]) -> list[bytes]:
    """Each record of a table as `"id":{...}`. Record ids are TinyDB's digit strings; any other key is escaped by
    orjson. `_record` is the same for one record."""
    dumps = orjson.dumps
    return [(b'"%s":' % k.encode() if k.isdigit() and k.isascii() else dumps(k) + b":") + dumps(v) for k, v in table.items()]


def _record(k: str, v: Any) -> bytes:
    return (b'"%s":' % k.encode() if k.isdigit() and k.isascii() else orjson.dumps(k) + b":") + orjson.dumps(v)


class NotLines(Exception):
    """The file is not in appdeck's line layout (or a line does not parse): parse it whole instead."""


class Span:
    """Where one table's records stand in a file in this layout: `start`, the offset of its first record (just
    after the table's "{"); `end`, the offset of the "}" that closes it; `lengths`, for each record in the order of
    `table` (the very dict read from, or written to, that file), the distance from its start to the next record's:
    its length ('"id":{...}') and the ",\n" after it, the last one counted as if one followed it too. Records are
    never changed in place, so a record of `table` is, byte for byte, its place in the file for as long as the file
    is the same. No bytes are kept: 8 per record."""

    __slots__ = ("table", "start", "end", "lengths")

    def __init__(self, table: dict[str, Any], start: int, end: int, lengths: array) -> None:  # type: ignore[type-arg]
        self.table, self.start, self.end, self.lengths = table, start, end, lengths


Spans = dict[str, Span]
Piece = bytes | tuple[int, int]  # bytes to write, or (start, stop): a slice of the old file to copy


class Stale(Exception):
    """The bytes given to `splice` are not those of the file its spans describe."""


def read(fh: BinaryIO, previous: Reuse | None = None, spans: Spans | None = None) -> tuple[Data, Reuse, int]:
    """Read a store written by `dumps` from `fh` (at its start), reusing the records of unchanged lines.

    Returns the data, what the next read may reuse, and how many lines were parsed (the rest were reused).
    Raises NotLines when the file is in another layout or anything does not parse; the caller then parses the
    whole file (and reports a JSON error from that parse, with its position). `spans`, when given, is filled with
    where each table's records stand in the file (see `Span`); after NotLines it holds nothing useful."""
    if fh.readline() != b"{\n":
        raise NotLines
    return _read_tables(fh, previous or {}, spans)


def _read_tables(lines: Iterable[bytes], previous: Reuse, spans: Spans | None = None) -> tuple[Data, Reuse, int]:
    loads = orjson.loads
    data: Data = {}
    reuse: Reuse = {}
    parsed = 0
    table: dict[str, Any] | None = None  # the table being filled, None between tables
    seen: dict[int, tuple[str, dict[str, Any]]] = {}
    old: dict[int, tuple[str, dict[str, Any]]] = {}
    JSONDecodeError = orjson.JSONDecodeError
    old_end: int | None = None
    name = ""
    ended = False
    pos = 2  # file offset of the next table's first line: after the document's opening "{\n"
    sizes: list[int] = []  # the lengths of the current table's lines
    size = sizes.append
    cut = 0
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
                if spans is not None:
                    spans[name] = Span(data[name], pos + cut + 3, pos + cut + 3, array("q"))
                pos += len(line)
                continue
            table = data[name] = {}
            seen = {}
            old, old_end = previous.get(name, ({}, None))
            rest = body[1:]
            sizes.clear()
        else:
            rest = line
        size(len(line))
        h = hash(line)
        hit = old.get(h)
        if hit is not None:
            # The very line read last time: its id, its record and its place (the table's last line or not).
            key, record = hit
            ends = h == old_end
        else:
            key, kcut = _key(rest)
            parsed += 1
            record = None
            if rest.endswith(b",\n"):  # most lines: a record and more after it in the table
                try:
                    record = loads(memoryview(rest)[kcut + 2 : -2])
                except JSONDecodeError:
                    record = None  # the table's last record ('},\n' closes the table): see _parse_record
                ends = False
            if type(record) is not dict:
                record, ends = _parse_record(rest, loads)
            hit = (key, record)
        if key in table:
            raise NotLines  # a repeated id: let the whole-file parse decide what the document means
        table[key] = record
        seen[h] = hit
        if ends:
            reuse[name] = (seen, h)
            table = None
            start, lines_end = pos + cut + 3, pos + sum(sizes)  # the table's first record, the end of its lines
            if spans is not None:
                # A record line is '"id":{...}' and ",\n" (more records), "}\n" (the last table ends) or "},\n" (a
                # table ends): a line always ends in "\n", the document's closing brace is on a line of its own. So
                # the distance from one record to the next is its line's length; the first line also holds the
                # table's name, the last one the table's closing brace (and the comma after it).
                closing = 3 if rest.endswith(b"},\n") else 2  # what follows the last record: "},\n" or "}\n"
                sizes[0] -= cut + 3
                sizes[-1] -= closing - 2
                spans[name] = Span(data[name], start, lines_end - closing, array("q", sizes))
            pos = lines_end
    if table is not None or not ended:
        raise NotLines  # cut short
    return data, reuse, parsed


def _key(rest: bytes) -> tuple[str, int]:
    """A record line's id, and where the '":' after it stands."""
    cut = rest.find(b'":')
    if cut < 1 or rest[:1] != b'"' or b"\\" in rest[:cut]:
        raise NotLines
    try:
        return rest[1:cut].decode(), cut
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


# -- writing only what changed -----------------------------------------------------------------------------------

_QUOTE, _COMMA, _OPEN, _CLOSE = b'"', b",", b"{", b"}"
_END = (None, None)


def splice(data: Data, spans: Spans | None, peek: Callable[[int], bytes] | None = None) -> tuple[list[Piece], Spans]:
    """The document `dumps(data)` would make, as pieces to write one after the other: bytes, or (start, stop), a
    slice to copy from the file that `spans` describes; and the spans of the result.

    A table that is the very dict its span describes is one slice; in another table with a span, every run of
    consecutive records that are the very objects at consecutive places of the span's table is one slice, and only
    the other records are dumped. A record copied is byte for byte the record `dumps` would write, provided the
    file was written by `dumps` (or from `splice`) and its records were never changed in place. Tables without a
    span are dumped. `peek(offset)` gives the file's byte at an offset (b"" past its end): each slice must start and
    end where a table or a record does, or Stale is raised (the file is not the one the spans describe)."""
    pieces: list[Piece] = [b"{\n"]
    out: Spans = {}
    pos = 2
    last = len(data) - 1
    for i, (name, table) in enumerate(data.items()):
        head = orjson.dumps(name) + b":{"
        pieces.append(head)
        pos += len(head)
        start = pos
        span = spans.get(name) if spans is not None else None
        if span is None:
            records = _records(table)
            lengths = array("q", [len(r) + 2 for r in records])
            if records:
                body = b",\n".join(records)
                pieces.append(body)
                pos += len(body)
        elif table is span.table:
            _check(peek, span.start - 1, _OPEN, span.end, _CLOSE)
            if span.end > span.start:
                pieces.append((span.start, span.end))
            pos += span.end - span.start
            lengths = span.lengths  # never changed in place: shared
        else:
            lengths, pos = _splice_table(table, span, peek, pieces, pos)
        out[name] = Span(table, start, pos, lengths)
        tail = b"},\n" if i < last else b"}\n"
        pieces.append(tail)
        pos += len(tail)
    pieces.append(b"}")
    return _coalesce(pieces), out


def _splice_table(table: dict[str, Any], span: Span, peek: Callable[[int], bytes] | None, pieces: list[Piece],
                  pos: int) -> tuple[array, int]:  # type: ignore[type-arg]
    """One table's records after `pos` (just after its "{"): appends them to `pieces`, returns their lengths and
    the position after them."""
    items = _changes(span.table, table)
    lens = span.lengths
    n_old = len(lens)
    lengths = array("q")
    at, off = 0, span.start  # the old record `at` starts at `off`
    for j, item in enumerate(items):
        if j:
            pieces.append(b",\n")
            pos += 2
        if type(item) is tuple:
            a, b = item
            if a > at:
                off += sum(lens[at:a])
            part = lens[a:b]
            size = sum(part) - 2
            if b == n_old and off + size != span.end:
                raise Stale
            _check(peek, off, _QUOTE, off + size, _CLOSE if b == n_old else _COMMA)
            pieces.append((off, off + size))
            pos += size
            lengths += part
            off += size + 2
            at = b
        else:
            pieces.append(item)
            pos += len(item)
            lengths.append(len(item) + 2)
    return lengths, pos


def _changes(old: dict[str, Any], table: dict[str, Any]) -> list[tuple[int, int] | bytes]:
    """The new table as runs (a, b) of the old records a..b-1, to copy, and dumped records, in order."""
    items: list[tuple[int, int] | bytes] = []
    n = len(old)
    keys = list(table)
    if len(keys) >= n and keys[:n] == list(old):
        # The old ids, in order, then maybe new ones (a change that only replaced and added records, as most do):
        # the records that differ are found at C speed, by identity (100,000 records in about 12 ms, most of it
        # the cache misses of reaching every key and record once).
        flags = bytes(map(operator.is_not, old.values(), table.values()))  # 1 where the record is another object
        run = 0
        i = flags.find(1)
        while i >= 0:
            if run < i:
                items.append((run, i))
            items.append(_record(keys[i], table[keys[i]]))
            run = i + 1
            i = flags.find(1, run)
        if run < n:
            items.append((run, n))
        items.extend([_record(k, table[k]) for k in keys[n:]])
        return items
    # Any other change: walk the new table against the old one, in order. `i` is the place in the old table of
    # `ck` (its key) and `cv` (its record); the old records run..i-1 are the new records just walked, in order.
    it = iter(old.items())
    ck, cv = next(it, _END)
    i = run = 0
    for k, v in table.items():
        if k != ck:
            if run < i:
                items.append((run, i))
            while ck is not None and ck != k and ck not in table:  # records deleted since
                i += 1
                ck, cv = next(it, _END)
            run = i
            if k != ck:  # a new record (or one out of the old order)
                items.append(_record(k, v))
                continue
        if v is not cv:  # changed in its place
            if run < i:
                items.append((run, i))
            items.append(_record(k, v))
            run = i + 1
        i += 1
        ck, cv = next(it, _END)
    if run < i:
        items.append((run, i))
    return items


def _check(peek: Callable[[int], bytes] | None, first: int, first_byte: bytes, after: int, after_byte: bytes) -> None:
    """A slice to copy must start and end where the file has them: a cheap guard against a file that is not the
    one the spans describe although its identity says so (changed in place, behind the lock)."""
    if peek is None or first < 0 or peek(first) != first_byte or peek(after) != after_byte:
        raise Stale


def _coalesce(pieces: list[Piece]) -> list[Piece]:
    """Adjacent bytes joined into one piece (fewer writes); slices stay as they are."""
    out: list[Piece] = []
    run: list[bytes] = []
    for p in pieces:
        if type(p) is bytes:
            run.append(p)
        else:
            if run:
                out.append(b"".join(run))
                run = []
            out.append(p)
    if run:
        out.append(b"".join(run))
    return out


def join(pieces: list[Piece], old: bytes) -> bytes:
    """The pieces of `splice` as one document, the slices taken from `old` (the file's bytes)."""
    return b"".join(p if type(p) is bytes else old[p[0] : p[1]] for p in pieces)
