"""The store file: a TinyDB JSON document read fresh by file identity and changed under an exclusive lock, atomically."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from store import layout
from store.errors import StoreError, WaitCancelled
from store.records import gc_paused
from store.resolve import not_regular
from store.shape import RECORD_SHAPES
from store.vocabulary import SCHEMA_VERSION, TABLES

META_TABLE = "meta"
DEFAULT_LOCK_TIMEOUT = 10.0

Data = dict[str, dict[str, dict[str, Any]]]


class LockWait(threading.local):
    """How the calling thread waits for a busy lock: `waiting()` is called once when the lock is found held (a
    front end says "waiting for the store"), and `cancelled()` is asked at every retry (the user pressed escape).
    Per thread: a TUI's save worker sets them for its own wait; every other caller waits as before."""

    def __init__(self) -> None:
        self.waiting: Callable[[], None] | None = None
        self.cancelled: Callable[[], bool] | None = None


lock_wait = LockWait()


def _env_lock_timeout() -> float:
    """APPDECK_LOCK_TIMEOUT in seconds; a value that is not a non-negative number means the default."""
    try:
        value = float(os.environ.get("APPDECK_LOCK_TIMEOUT") or DEFAULT_LOCK_TIMEOUT)
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT
    return value if 0 <= value < float("inf") else DEFAULT_LOCK_TIMEOUT


# -- paths: never through a symlink, only regular files, never blocking ---------------------------------------

# Every file appdeck opens beside the store: not through a symlink at the last component (the store path itself is
# resolved once, in StoreFile), never blocking on open (a FIFO opens at once; read/write on a regular file ignore
# O_NONBLOCK), never becoming the controlling terminal, not inherited by children.
_SAFE_OPEN = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC

# The opens of the read path (the store's content, the trust stamp) call os.open through this name, bound once; the
# write path's opens (lock, temp file, source) look os.open up in this module each time, so the fault-injection
# tests (tests/reliability/test_faults.py), which replace `storage.os`, count and fail exactly the write path.
Opener = Callable[[str | os.PathLike[str], int, int], int]
_open_for_reading: Opener = os.open


def open_regular(path: str | os.PathLike[str], flags: int, prefix: str, subject: str,
                 mode: int = 0o600, *, opener: Opener | None = None) -> tuple[int, os.stat_result]:
    """`os.open(path, flags)` made safe (see _SAFE_OPEN), and only for a regular file: a descriptor and its fstat.
    Anything else there (a symlink, a FIFO, a directory, a device, a socket) is a StoreError, one sentence:
    "<prefix>: <subject> is a named pipe (FIFO), not a regular file; nothing was changed." Other errors are the
    OSError of os.open (FileNotFoundError for a file that is not there)."""
    try:
        fd = (opener or os.open)(path, flags | _SAFE_OPEN, mode)
    except FileNotFoundError:
        raise
    except OSError:
        # ELOOP (a symlink, O_NOFOLLOW), EISDIR, ENXIO (a socket, or a FIFO opened write-only): say what is there.
        problem = regular_problem(path, subject)
        if problem:
            raise StoreError(f"{prefix}: {problem}; nothing was changed.") from None
        raise
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise StoreError(f"{prefix}: {not_regular(subject, st.st_mode)}; nothing was changed.")
    return fd, st


def regular_problem(path: str | os.PathLike[str], subject: str) -> str | None:
    """"<subject> is a symbolic link, not a regular file" when something other than a regular file is at `path`
    (lstat: a link is reported, not followed); None when a regular file or nothing is there, or lstat fails."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return None if stat.S_ISREG(st.st_mode) else not_regular(subject, st.st_mode)


def read_regular(path: str | os.PathLike[str], prefix: str, subject: str = "it") -> bytes:
    """The whole content of the regular file at `path`, read without following a symlink there and without ever
    blocking (a FIFO is a StoreError, see open_regular). For readers of a store file outside StoreFile (verify,
    restore): `read_regular(bak, f"Cannot read the backup {bak}")`."""
    fd, _ = open_regular(path, os.O_RDONLY, prefix, subject, opener=_open_for_reading)
    with open(fd, "rb") as fh:
        return fh.read()


class _TableCache:
    """What a writer knows about one table without scanning it again: the next record id and, per field, a
    value -> record id index. Valid only for the very dict `table` (checked by identity: TinyDB's own updates build a
    new dict, which makes the next lookup rebuild). Kept on the StoreFile across transactions, updated in place by
    the changes `_MemoryStorage` makes, and dropped whenever a transaction fails."""

    __slots__ = ("table", "next_id", "indexes")

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table
        self.next_id: int | None = None
        # field -> value -> record id; None: that field's values are not unique (or hashable), so lookups scan;
        # _SCANNED: looked up once (by a scan); the next lookup builds the index.
        self.indexes: dict[str, Any] = {}


_SCANNED = object()


def _build_index(table: dict[str, dict[str, Any]], field: str) -> dict[Any, str] | None:
    """value -> record id for one field, or None when two records share a value (lookups then scan in order)."""
    try:
        index = {rec.get(field): key for key, rec in table.items()}
    except TypeError:
        return None
    return index if len(index) == len(table) else None


class Tables:
    """The tables of one transaction, changed one record at a time, written to disk once when it ends.

    It works on a shallow copy of the parsed data: a table is copied (one C-level dict copy) the first time it is
    changed, and records are replaced, never changed in place, so the data that read views share stays as it was.
    `find`, `insert`, `put` and `remove` keep the `_TableCache`s (next id, indexes) up to date. The record ids and
    the document are TinyDB's (a table of "id" -> record), so `tinydb.TinyDB` reads the file as it always did;
    `store.repository.Transaction` is the interface the controller uses."""

    def __init__(self, data: Data, caches: dict[str, _TableCache] | None = None) -> None:
        self.data = dict(data)
        self.changed = False
        self.caches: dict[str, _TableCache] = caches if caches is not None else {}
        self._owned: dict[int, dict[str, Any]] = {}  # the table dicts this transaction made (held, so ids stay unique)

    def read(self) -> Data:
        """The transaction's data (parsed records, and the ones this transaction put in)."""
        return self.data

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        """One table's records by id, read-only by contract: change them with insert, put and remove."""
        return self.data.get(name, {})

    # -- one record at a time ------------------------------------------------------------------------

    def _cache(self, name: str) -> _TableCache:
        table = self.data.get(name)
        if table is None:
            table = self.data[name] = {}
            self._owned[id(table)] = table
        cache = self.caches.get(name)
        if cache is None or cache.table is not table:
            cache = self.caches[name] = _TableCache(table)
        return cache

    def _own(self, name: str) -> _TableCache:
        """The table's cache, its dict now one this transaction made and may change in place."""
        cache = self._cache(name)
        if self._owned.get(id(cache.table)) is not cache.table:
            table = dict(cache.table)  # same records in the same order: the cache's id and indexes still hold
            self._owned[id(table)] = cache.table = self.data[name] = table
        return cache

    def find(self, name: str, field: str, value: Any) -> str | None:
        """The id of the first record (in file order) whose `field` equals `value`, or None. The first lookup of a
        field scans (a one-shot CLI change pays no more than before); the second builds an index that later changes
        keep up to date, so a long-lived writer (the TUI) looks records up in constant time."""
        cache = self._cache(name)
        index = cache.indexes.get(field, _MISSING)
        if index is _SCANNED:
            index = cache.indexes[field] = _build_index(cache.table, field)
        elif index is _MISSING:
            cache.indexes[field] = _SCANNED
        if isinstance(index, dict):
            try:
                return index.get(value)
            except TypeError:
                return None
        return next((key for key, rec in cache.table.items() if rec.get(field) == value), None)

    def next_id(self, name: str) -> int:
        """Allocate the id of a new record: one more than the largest id in the table (TinyDB's rule)."""
        cache = self._cache(name)
        if cache.next_id is None:
            cache.next_id = max(map(int, cache.table), default=0) + 1
        doc_id = cache.next_id
        cache.next_id += 1
        return doc_id

    def insert(self, name: str, doc: dict[str, Any]) -> int:
        """Add a record (stored as is: pass a dict nobody else holds); returns its id."""
        cache = self._own(name)
        doc_id = self.next_id(name)
        key = str(doc_id)
        if key in cache.table:
            raise ValueError(f"Document with ID {doc_id} already exists")
        cache.table[key] = doc
        for field, index in list(cache.indexes.items()):
            if isinstance(index, dict):
                cache.indexes[field] = _index_add(index, doc.get(field), key)
        self.changed = True
        return doc_id

    def put(self, name: str, doc_id: int | str, doc: dict[str, Any]) -> None:
        """Replace an existing record, keeping its place in the table, by `doc` (stored as is)."""
        cache = self._own(name)
        key = str(doc_id)
        old = cache.table[key]  # KeyError, as TinyDB's update, for a record that is not there
        if doc is old:
            # A write copies an unchanged record's bytes from the old file when it is the very same object: a parsed
            # record changed in place and put back would be silently not written. Records are replaced, never changed.
            raise ValueError(f"{name} record {key} was changed in place; put a new record instead")
        cache.table[key] = doc
        for field, index in list(cache.indexes.items()):
            if not isinstance(index, dict):
                continue
            before, after = old.get(field, _MISSING), doc.get(field, _MISSING)
            if before is not after and before != after:
                _index_drop(index, old.get(field), key)
                cache.indexes[field] = _index_add(index, doc.get(field), key)
        self.changed = True

    def remove(self, name: str, doc_id: int | str) -> None:
        """Delete a record."""
        cache = self._own(name)
        key = str(doc_id)
        old = cache.table.pop(key)  # KeyError for a record that is not there
        for field, index in cache.indexes.items():
            if isinstance(index, dict):
                _index_drop(index, old.get(field), key)
        if cache.next_id is not None and int(key) == cache.next_id - 1:
            cache.next_id = None  # the largest id is gone: the next one is recomputed, as TinyDB would
        self.changed = True


def _index_add(index: dict[Any, str], value: Any, key: str) -> dict[Any, str] | None:
    """The index with value -> key added, or None when the value is already taken (or cannot be a key)."""
    try:
        if value in index:
            return None
        index[value] = key
    except TypeError:
        return None
    return index


def _index_drop(index: dict[Any, str], value: Any, key: str) -> None:
    if index.get(value) == key:  # the values in a unique index are hashable
        del index[value]


class StoreFile:
    """One appdeck store on disk: cached reads keyed by (inode, size, mtime) and locked atomic writes.

    A store path that is a symlink is resolved here, once (os.path.realpath): `path` is the real file, and the lock,
    the temp files and the backup live beside it, so a write replaces the real file and the link stays a link, and
    a StoreFile made from the link shares its lock with one made from the real path. From then on nothing is
    followed: every open is O_NOFOLLOW, and a symlink, FIFO, directory or device where the store, its lock or its
    backup should be is a StoreError (see open_regular)."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float | None = None) -> None:
        self.path = Path(os.path.realpath(Path(path).expanduser().absolute()))
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.lock_timeout = lock_timeout if lock_timeout is not None else _env_lock_timeout()
        self._identity: tuple[int, int, int] | None = None
        self._data: Data | None = None
        self.generation = 0  # grows each time a different file content is loaded or written
        self.loads = 0  # how many times the file was parsed (a regression guard counts these)
        self.records_parsed = -1  # records parsed by the last read (the rest were reused); -1: whole-file parse
        self._reuse: layout.Reuse | None = None  # what the last line-by-line read parsed, by line
        # Where the records of the file with this identity stand (the last line-by-line read, or the last write):
        # a write copies the unchanged ones from that file instead of dumping them again (see layout.splice).
        self._spans: tuple[tuple[int, int, int], layout.Spans] | None = None
        self._lock_fd: int | None = None
        self._written: tuple[int, int, int] | None = None  # identity of the file this process last wrote
        self._caches: dict[str, _TableCache] = {}  # next ids and indexes of the tables of `_data` (writers only)

    # -- reading -----------------------------------------------------------------------------------

    def exists(self) -> bool:
        """True when something is at the store path (a symlink or FIFO put there counts: reading it is refused)."""
        return os.path.lexists(self.path)

    def identity(self) -> tuple[int, int, int] | None:
        """The file's (inode, size, mtime_ns), or None when it does not exist. Anything but a regular file there
        (not followed: the path was resolved when this StoreFile was made) is a StoreError."""
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"Cannot read the store {self.path}: {exc.strerror}.") from None
        if not stat.S_ISREG(st.st_mode):
            raise StoreError(f"Cannot read the store {self.path}: {not_regular('it', st.st_mode)}; nothing was changed.")
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def changed_on_disk(self) -> bool:
        """True when the file on disk is not the one last loaded (another process wrote it)."""
        return self.identity() != self._identity

    def read(self) -> Data:
        """The current data, parsed again only when the file's identity changed. Never writes."""
        ident = self.identity()
        if ident is not None and ident == self._identity and self._data is not None:
            return self._data
        if ident is None:
            self._identity, self._data = None, None
            return {}
        data, ident = self._load()
        self._identity, self._data = ident, data
        self.generation += 1
        return data

    def _load(self) -> tuple[Data, tuple[int, int, int]]:
        """Parse the file from one open descriptor (so identity and content agree) and check its shape."""
        lines: tuple[Data, layout.Reuse, int] | None = None
        spans: layout.Spans = {}
        self._spans = None
        try:
            fd, st = open_regular(self.path, os.O_RDONLY, f"Cannot read the store {self.path}", "it",
                                  opener=_open_for_reading)
            with open(fd, "rb") as fh:
                # One record per line (the layout appdeck writes): parse line by line, keeping every record whose
                # line is unchanged since the last read. Any other layout: parse the whole file.
                try:
                    with _bulk_parse():
                        lines = layout.read(fh, self._reuse, spans)
                except layout.NotLines:
                    fh.seek(0)
                    raw = fh.read()
        except PermissionError:
            raise StoreError(f"Cannot read the store {self.path}: permission denied.") from None
        except OSError as exc:
            raise StoreError(f"Cannot read the store {self.path}: {exc.strerror or exc}.") from None
        self.loads += 1
        trusted = self._trusted(st)
        if lines is None:
            self._reuse, self.records_parsed = None, -1
            data = parse(raw, self.path, trusted=trusted)
        else:
            data, reuse, self.records_parsed = lines
            data = check_document(data, self.path, trusted=trusted)
            self._reuse = reuse
            self._spans = ((st.st_ino, st.st_size, st.st_mtime_ns), spans)
        return data, (st.st_ino, st.st_size, st.st_mtime_ns)

    # -- trust: skip the per-record shape check for a file appdeck wrote or `store verify` accepted ---------

    @staticmethod
    def _stamp(st: os.stat_result) -> bytes:
        # ctime cannot be set by a user: a hand edit, a copy or a restore always changes it.
        return f"appdeck-trusted {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}\n".encode()

    def _trusted(self, st: os.stat_result) -> bool:
        """True when the lock file records this very file (same inode, size, mtime and ctime) as checked. Read from
        the held lock's descriptor, or opened as `lock` does (never followed, never blocking): a lock path that is
        not a regular file is a StoreError for readers too."""
        try:
            if self._lock_fd is not None:
                return os.pread(self._lock_fd, 200, 0) == self._stamp(st)
            fd, _ = open_regular(self.lock_path, os.O_RDONLY, f"Cannot use the store {self.path}",
                                 f"its lock file {self.lock_path}", opener=_open_for_reading)
            with open(fd, "rb") as fh:
                return fh.read(200) == self._stamp(st)
        except OSError:
            return False

    def _record_trust(self, expected: tuple[int, int, int] | None) -> None:
        """Under the lock: note the current file as checked, if it is still the one `expected` names (the file we
        just wrote, or the one verify read)."""
        fd = self._lock_fd
        if fd is None or expected is None:
            return
        try:
            st = os.lstat(self.path)
            if (st.st_ino, st.st_size, st.st_mtime_ns) != expected:
                return
            stamp = self._stamp(st)
            os.pwrite(fd, stamp, 0)
            os.ftruncate(fd, len(stamp))
        except OSError:
            pass  # without a stamp the next read simply checks every record

    def trust_if_unchanged(self, before: os.stat_result) -> None:
        """After `store verify` accepted the file it read: trust it, unless it changed since `before` was taken."""
        with self.lock():
            st = os.lstat(self.path)
            same = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) == (
                before.st_ino, before.st_size, before.st_mtime_ns, before.st_ctime_ns)
            if same:
                self._record_trust((st.st_ino, st.st_size, st.st_mtime_ns))

    # -- writing -----------------------------------------------------------------------------------

    def write_problem(self) -> str | None:
        """Why this process cannot change the store (None when it can): checked before locking, so a
        read-only file, directory or file system is refused clearly; as root, EACCES/EROFS at write time
        still end in a clear StoreError. A store, lock or backup path holding something other than a regular file
        (a symlink, a FIFO, a directory, a device) is a problem too: the TUI then opens read-only and says why."""
        if not self.path.parent.is_dir():
            return None  # lock() reports the missing directory
        return self.path_problem() or self._access_problem()

    def _access_problem(self) -> str | None:
        parent = self.path.parent
        try:
            if os.statvfs(parent).f_flag & os.ST_RDONLY:
                return f"its file system (holding {parent}) is mounted read-only"
            if self.path.exists() and not os.access(self.path, os.W_OK):
                return "the file is not writable by this user"
            if not os.access(parent, os.W_OK | os.X_OK):
                return f"its directory {parent} is not writable by this user"
            if self.lock_path.exists() and not os.access(self.lock_path, os.W_OK):
                return f"its lock file {self.lock_path} is not writable by this user"
        except OSError:
            return None  # let the write itself report the error
        return None

    def path_problem(self) -> str | None:
        """What is wrong at the store's own paths: "its backup /x/store.json.bak is a named pipe (FIFO), not a
        regular file" (lstat, so a symlink is reported, not followed); None when each holds a regular file or
        nothing. Three lstats: checked before each write (and by restore, through write_problem)."""
        return (regular_problem(self.path, "the store file") or regular_problem(self.lock_path, f"its lock file {self.lock_path}")
                or regular_problem(self.backup_path, f"its backup {self.backup_path}"))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the exclusive lock on the lock file beside the store, waiting a bounded time. The lock file is
        opened (or created) without following a symlink there, and only as a regular file (see open_regular)."""
        if not self.path.parent.is_dir():
            raise StoreError(f"Cannot use the store {self.path}: its directory does not exist.")
        try:
            fd, st = open_regular(self.lock_path, os.O_RDWR | os.O_CREAT, f"Cannot use the store {self.path}",
                                  f"its lock file {self.lock_path}")
        except OSError as exc:
            raise StoreError(f"Cannot lock the store {self.path}: {os_reason(exc)}; nothing was changed.") from None
        if st.st_nlink != 1:
            # The lock holder writes the trust stamp into this file: a hard link (`ln store.json store.json.lock`)
            # would make that write land in another file. appdeck never links its lock file.
            os.close(fd)
            raise StoreError(f"Cannot use the store {self.path}: its lock file {self.lock_path} is a hard link shared "
                             f"with another file ({st.st_nlink} links); nothing was changed.")
        try:
            deadline = time.monotonic() + self.lock_timeout
            delay = 0.002
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if lock_wait.waiting is not None:
                        lock_wait.waiting()
                        lock_wait.waiting = None  # said once per wait
                    if lock_wait.cancelled is not None and lock_wait.cancelled():
                        raise WaitCancelled("Not saved: you cancelled the wait for the store. Nothing was changed.") from None
                    if time.monotonic() >= deadline:
                        raise StoreError(
                            f"The store {self.path} is busy: another appdeck process has held its lock for "
                            f"{self.lock_timeout:g} s. Try again."
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
            self._lock_fd = fd
            yield
        finally:
            self._lock_fd = None
            with contextlib.suppress(OSError):
                os.close(fd)  # closing the descriptor releases the flock (even when close reports an error)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tables]:
        """Read-modify-write: lock, read fresh data, yield its tables, write atomically if they changed."""
        problem = self.path_problem()
        if problem:
            raise StoreError(f"Cannot change the store {self.path}: {problem}; nothing was changed.")
        problem = self._access_problem() if self.path.parent.is_dir() else None  # else lock() reports it
        if problem:
            raise StoreError(f"The store {self.path} is read-only: {problem}; nothing was changed.")
        with self.lock():
            self._sweep_temp_files()
            ident = self.identity()
            if ident is None:
                data: Data = {}
            elif ident == self._identity and self._data is not None:
                data = self._data  # unchanged since we parsed it (same inode, size, mtime): no second parse
            else:
                data, ident = self._load()
                # The file as it is now, for the reads the change makes under the lock too (role, groups): they
                # must not parse it a second time. The transaction works on a copy, so this stays as parsed.
                self._data, self._identity = data, ident
                self.generation += 1
            memory = Tables(data, self._caches if data is self._data else {})
            try:
                yield memory
                if memory.changed:
                    for table in TABLES:
                        memory.data.setdefault(table, {})
                    self._backup_of = ident  # the file parsed above: the only one a write may keep as <store>.bak
                    try:
                        self._write_atomic(memory.data)
                    finally:
                        self._backup_of = None
            except BaseException:
                # The caches may hold the failed change; the parsed data does not (the change worked on copies),
                # but forget it too, so the next read parses the file (which the failed change never touched).
                self._data, self._identity, self._caches, self._spans = None, None, {}, None
                self._reuse = None  # a record changed in place (refused by put) must not be reused by its line
                raise
            if memory.changed:
                self._data = memory.data
                # The identity of the file we wrote, not a second stat: another writer (a hand edit saved by
                # rename) landing in between must not be cached, or stamped as trusted, under our data.
                self._identity = self._written
                self._caches = memory.caches  # kept up to date by the change: they describe the data just written
                self.generation += 1
                self._record_trust(self._written)  # written from checked data: the next read may skip the check
            elif ident is not None:
                self._caches = memory.caches  # same tables as `_data` (the change made none): next ids, indexes

    def _sweep_temp_files(self) -> None:
        """Remove temp files a crashed writer left; safe because only a lock holder writes them."""
        prefix = f".{self.path.name}.tmp-"
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if entry.name.startswith(prefix):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    @property
    def backup_path(self) -> Path:
        """`<store>.bak`: the previous good file, kept by every write."""
        return self.path.with_name(self.path.name + ".bak")

    def _link_backup(self, expected: tuple[int, int, int] | None) -> Path | None:
        """Hard-link the current file to a temp name before it is replaced (no copy: same inode, so same mode,
        owner and group); `_keep_backup` then moves that name onto `<store>.bak`. Only the file this transaction
        parsed (`expected` identity) is kept; without hard links, or on any error, the write goes on without one."""
        if expected is None:
            return None
        link = self.path.with_name(f".{self.path.name}.tmp-bak-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            os.link(self.path, link, follow_symlinks=False)
        except (OSError, NotImplementedError):
            return None
        try:
            st = os.lstat(link)
            if (st.st_ino, st.st_size, st.st_mtime_ns) == expected:
                return link
        except OSError:
            pass
        self._drop(link)  # not the file this transaction parsed: never back up an unchecked file
        return None

    def _keep_backup(self, link: Path | None) -> None:
        """After the new file is in place: the old one (linked by `_link_backup`) becomes `<store>.bak`.
        Best-effort: if this fails the previous backup stays and the temp name is swept."""
        if link is None:
            return
        with contextlib.suppress(OSError):
            os.replace(link, self.backup_path)
        # rename(2) does nothing when both names already link one file: drop the temp name in every case.
        self._drop(link)

    @staticmethod
    def _drop(path: Path | None) -> None:
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)

    _backup_of: tuple[int, int, int] | None = None  # set by transaction() around _write_atomic

    def _write_atomic(self, data: Data) -> None:
        """Temp file in the same directory, fsync, os.replace, directory fsync; keep an existing file's mode and
        group. The replaced file (only the one `transaction` parsed) becomes `<store>.bak`, and only once the new
        file is in place: a failed write changes neither the store nor its backup.

        The new file is `layout.dumps(data)`, but when the spans describe the file this transaction parsed, its
        unchanged records are copied from that file (in the kernel: os.sendfile) instead of dumped again: see
        layout.splice. Saving one app then costs about what writing the file costs, at any size."""
        held, self._spans = self._spans, None  # until the new file is in place
        source = self._open_source(held)
        try:
            try:
                self._write_file(data, held if source is not None else None, source)
            except _SourceChanged:
                self._write_file(data, None, None)  # the old file was not what its spans say: dump every record
        finally:
            if source is not None:
                with contextlib.suppress(OSError):
                    os.close(source)

    def _write_file(self, data: Data, held: tuple[tuple[int, int, int], layout.Spans] | None, source: int | None) -> None:
        pieces, spans = self._pieces(data, held, source)  # compact, one record per line: see store/layout.py
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            existing: os.stat_result | None = os.lstat(self.path)
        except FileNotFoundError:
            existing = None
        if existing is not None and not stat.S_ISREG(existing.st_mode):  # put there behind the lock: not replaced
            raise StoreError(f"Cannot write the store {self.path}: {not_regular('it', existing.st_mode)}; "
                             "nothing was changed.")
        backup: Path | None = None
        try:
            # O_EXCL: never an existing name (a symlink included); a fresh regular file, or an error.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _SAFE_OPEN, 0o600)
        except OSError as exc:
            raise StoreError(f"Cannot write the store {self.path}: {os_reason(exc)}. The previous file is unchanged.") from None
        try:
            try:
                if existing is not None:
                    os.fchmod(fd, existing.st_mode & 0o7777)
                    with contextlib.suppress(OSError):
                        os.fchown(fd, -1, existing.st_gid)
                else:
                    os.fchmod(fd, 0o600)  # umask-independent
                for piece in pieces:
                    if type(piece) is tuple:
                        self._copy(source, fd, piece[0], piece[1])  # type: ignore[arg-type]
                        continue
                    view = memoryview(piece)  # type: ignore[arg-type]
                    while view:
                        written = os.write(fd, view)
                        view = view[written:]
                os.fsync(fd)
                st = os.fstat(fd)  # os.replace keeps inode, size and mtime: this is the new store's identity
                self._written = (st.st_ino, st.st_size, st.st_mtime_ns)
            finally:
                os.close(fd)
            backup = self._link_backup(self._backup_of)
            os.replace(tmp, self.path)
        except OSError as exc:
            self._drop(tmp)
            self._drop(backup)
            raise StoreError(f"Cannot write the store {self.path}: {os_reason(exc)}. The previous file is unchanged.") from None
        except BaseException:
            self._drop(tmp)
            self._drop(backup)
            raise
        self._spans = (self._written, spans)  # they describe the file now in place
        self._keep_backup(backup)
        self._fsync_dir()

    def _open_source(self, held: tuple[tuple[int, int, int], layout.Spans] | None) -> int | None:
        """A descriptor on the store file when `held` describes it and it is the file this transaction parsed
        (`_backup_of`); None otherwise, or on any error (the write then dumps every record)."""
        if held is None or held[0] != self._backup_of:
            return None
        try:
            fd = os.open(self.path, os.O_RDONLY | _SAFE_OPEN)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if (st.st_ino, st.st_size, st.st_mtime_ns) == held[0]:
                return fd
        except OSError:
            pass
        with contextlib.suppress(OSError):
            os.close(fd)
        return None

    @staticmethod
    def _pieces(data: Data, held: tuple[tuple[int, int, int], layout.Spans] | None,
                source: int | None) -> tuple[list[layout.Piece], layout.Spans]:
        """The new file as pieces (bytes, or slices of `source` to copy) and where its records will stand."""
        if held is not None and source is not None:

            def peek(offset: int) -> bytes:
                try:
                    return os.pread(source, 1, offset)
                except OSError:
                    return b""

            try:
                return layout.splice(data, held[1], peek)
            except layout.Stale:
                pass
        return layout.splice(data, None)

    _sendfile = hasattr(os, "sendfile")  # False once os.sendfile refused to copy between two files (then: read, write)

    def _copy(self, source: int, fd: int, start: int, stop: int) -> None:
        """Append the bytes start..stop of `source` to `fd`: in the kernel where it can, else read and written.
        Raises _SourceChanged when the source ends early (it was cut behind our back: its spans are wrong)."""
        while start < stop:
            sent = 0
            if self._sendfile:
                try:
                    sent = os.sendfile(fd, source, start, stop - start)
                except OSError as exc:
                    if exc.errno not in _NO_SENDFILE:
                        raise
                    self._sendfile = False
                    continue
            else:
                chunk = os.pread(source, min(stop - start, 1 << 22), start)
                view = memoryview(chunk)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                sent = len(chunk)
            if sent == 0:
                raise _SourceChanged
            start += sent

    def _fsync_dir(self) -> None:
        """Make the rename durable."""
        try:
            dfd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                os.close(dfd)


class _SourceChanged(Exception):
    """The file a write was copying from ended before its spans said (changed in place, behind the lock)."""


# os.sendfile between two regular files: Linux only (elsewhere it wants a socket, or is missing).
_NO_SENDFILE = {errno.EINVAL, errno.ENOSYS, errno.ENOTSOCK, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}


_OS_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EIO: "an input/output error (EIO)",
}


def os_reason(exc: OSError) -> str:
    """A short, lower-case reason for an OS error, for messages like "Cannot write the store X: <reason>."."""
    return _OS_REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).rstrip(".")


def parse(raw: bytes, path: Path, *, trusted: bool = False) -> Data:
    """Parse and shape-check a store file; refuse (never repair) anything appdeck did not write.

    `trusted`: the file is the one appdeck last wrote or `store verify` accepted, so the per-record shape check
    (as costly as the parse itself) is skipped; JSON, shape of the tables and schema version are always checked.
    """
    if not raw.strip():
        raise StoreError(f"The store {path} is empty; appdeck will not overwrite it. Move it away or restore a backup.")
    try:
        with _bulk_parse():
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreError(f"The store {path} is not valid JSON ({exc}); appdeck will not overwrite it.") from None
    return check_document(data, path, trusted=trusted)


@contextlib.contextmanager
def _bulk_parse() -> Iterator[None]:
    """Around a parse (whole file or line by line): the garbage collector paused while it allocates (many
    containers, none cyclic: collection passes would only cost time), and what it made moved out of the collector's
    reach once it succeeds (gc.freeze, O(1)): left in the youngest generation, the first collection after the parse
    walked every record (170 ms at 100,000 apps). gc.freeze keeps also whatever else is alive then; cyclic garbage
    among it is never collected (a few KB a read at most)."""
    with gc_paused():
        yield
        gc.freeze()


def check_document(data: Any, path: Path, *, trusted: bool = False) -> Data:
    """The checks of `parse` after the JSON is read (the line-by-line reader's result goes through them too)."""
    if not isinstance(data, dict) or not all(
        isinstance(t, dict) and all(isinstance(d, dict) for d in t.values()) for t in data.values()
    ):
        raise StoreError(f"The store {path} is not an appdeck store (unexpected JSON shape); appdeck will not overwrite it.")
    meta = data.get(META_TABLE, {}).get("1")
    if not meta or not isinstance(meta.get("schema_version"), int):
        raise StoreError(f"The store {path} is not an appdeck store (no schema version); appdeck will not overwrite it.")
    version = meta["schema_version"]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The store {path} has schema version {version}, newer than this appdeck understands "
            f"({SCHEMA_VERSION}); upgrade appdeck. The file was not changed."
        )
    for table in TABLES:
        data.setdefault(table, {})
    if not trusted:
        _check_records(data, path)
    return data


_MISSING = object()


def _valid(kind: Any, v: Any) -> bool:
    """One field's shape check (the slow, readable form; `_CHECKERS` is the same rule compiled)."""
    if kind == "str":
        return type(v) is str
    if kind == "opt_str":
        return v is None or type(v) is str
    if kind == "str_list":
        return type(v) is list and all(type(x) is str for x in v)
    if kind == "int":
        return type(v) is int
    if kind == "bool":
        return type(v) is bool
    if kind == "dict":
        return type(v) is dict
    return any(v is x or (type(v) is str and v == x) for x in kind)


def _compile_checker(shape: dict[str, tuple[Any, bool]]) -> Any:
    """Generate a loop that checks every record with inline type tests: 10,000 apps in a few ms, not 60."""
    lines = ["def check(docs, M):", "    for doc_id, r in docs.items():", "        g = r.get"]
    for i, (field, (kind, required)) in enumerate(shape.items()):
        v = f"v{i}"
        lines.append(f"        {v} = g({field!r}, M)")
        absent = "False" if required else "True"
        if kind == "str":
            test = f"{v}.__class__ is str"
        elif kind == "opt_str":
            test = f"{v} is None or {v}.__class__ is str"
        elif kind == "str_list":
            test = f"{v}.__class__ is list and (not {v} or all(x.__class__ is str for x in {v}))"
        elif kind == "int":
            test = f"{v}.__class__ is int"
        elif kind == "bool":
            test = f"{v} is True or {v} is False"
        elif kind == "dict":
            test = f"{v}.__class__ is dict"
        else:
            test = f"({v} is None or {v}.__class__ is str) and {v} in {tuple(kind)!r}"
        lines.append(f"        if not (({v} is M and {absent}) or ({v} is not M and ({test}))): return doc_id")
    lines.append("    return None")
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)
    return namespace["check"]


_CHECKERS = {table: _compile_checker(shape) for table, shape in RECORD_SHAPES.items()}


def _check_records(data: Data, path: Path) -> None:
    """Refuse a file whose records lack a field appdeck relies on or hold the wrong type (a hand edit gone wrong)."""
    for table, docs in data.items():
        bad = next((k for k in docs if not (k.isascii() and k.isdigit() and str(int(k)) == k)), None)
        if bad is not None:
            raise StoreError(
                f"The store {path} is not a valid appdeck store: {table} has a record id {bad!r} that is not a number; "
                "appdeck will not overwrite it."
            )
    for table, checker in _CHECKERS.items():
        doc_id = checker(data[table], _MISSING)
        if doc_id is None:
            continue
        rec = data[table][doc_id]
        problem = "is malformed"
        for field, (kind, required) in RECORD_SHAPES[table].items():
            if field not in rec:
                if required:
                    problem = f'has no "{field}"'
                    break
            elif not _valid(kind, rec[field]):
                problem = f'has an invalid "{field}"'
                break
        raise StoreError(
            f"The store {path} is not a valid appdeck store: {table} record {doc_id} {problem}; "
            "appdeck will not overwrite it."
        )
