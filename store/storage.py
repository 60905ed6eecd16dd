"""The store file: a TinyDB JSON document read fresh by file identity and changed under an exclusive lock, atomically."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage

from store.errors import StoreError

SCHEMA_VERSION = 1
META_TABLE = "meta"
TABLES = ("meta", "users", "groups", "apps", "registered", "audit")
DEFAULT_LOCK_TIMEOUT = 10.0

Data = dict[str, dict[str, dict[str, Any]]]


def _env_lock_timeout() -> float:
    """APPDECK_LOCK_TIMEOUT in seconds; a value that is not a non-negative number means the default."""
    try:
        value = float(os.environ.get("APPDECK_LOCK_TIMEOUT") or DEFAULT_LOCK_TIMEOUT)
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT
    return value if 0 <= value < float("inf") else DEFAULT_LOCK_TIMEOUT


class _MemoryStorage(Storage):
    """TinyDB storage over the dict read inside a transaction; the transaction writes it to disk once."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.changed = False

    def read(self) -> Data:
        return self.data

    def write(self, data: Data) -> None:
        self.data = data
        self.changed = True


class StoreFile:
    """One appdeck store on disk: cached reads keyed by (inode, size, mtime) and locked atomic writes."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float | None = None) -> None:
        self.path = Path(path).expanduser().absolute()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.lock_timeout = lock_timeout if lock_timeout is not None else _env_lock_timeout()
        self._identity: tuple[int, int, int] | None = None
        self._data: Data | None = None
        self.generation = 0  # grows each time a different file content is loaded or written
        self.loads = 0  # how many times the file was parsed (a regression guard counts these)

    # -- reading -----------------------------------------------------------------------------------

    def exists(self) -> bool:
        """True when the store file is there."""
        return self.path.exists()

    def identity(self) -> tuple[int, int, int] | None:
        """The file's (inode, size, mtime_ns), or None when it does not exist."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"Cannot read the store {self.path}: {exc.strerror}.") from None
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
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())
                raw = fh.read()
        except PermissionError:
            raise StoreError(f"Cannot read the store {self.path}: permission denied.") from None
        except OSError as exc:
            raise StoreError(f"Cannot read the store {self.path}: {exc.strerror or exc}.") from None
        self.loads += 1
        data = parse(raw, self.path)
        return data, (st.st_ino, st.st_size, st.st_mtime_ns)

    # -- writing -----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the exclusive lock on the lock file beside the store, waiting a bounded time."""
        if not self.path.parent.is_dir():
            raise StoreError(f"Cannot use the store {self.path}: its directory does not exist.")
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StoreError(f"Cannot lock the store {self.path}: {exc.strerror}.") from None
        try:
            deadline = time.monotonic() + self.lock_timeout
            delay = 0.002
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise StoreError(
                            f"The store {self.path} is busy: another appdeck process has held its lock for "
                            f"{self.lock_timeout:g} s. Try again."
                        ) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    @contextlib.contextmanager
    def transaction(self) -> Iterator[TinyDB]:
        """Read-modify-write: lock, read fresh data, yield a TinyDB over it, write atomically if it changed."""
        with self.lock():
            self._sweep_temp_files()
            ident = self.identity()
            if ident is None:
                data: Data = {}
            else:
                data, ident = self._load()
            memory = _MemoryStorage(data)
            db = TinyDB(storage=lambda: memory)
            yield db
            if memory.changed:
                self._write_atomic(memory.data)
                self._data = memory.data
                self._identity = self.identity()
                self.generation += 1
            elif ident is not None:
                self._data, self._identity = data, ident

    def _sweep_temp_files(self) -> None:
        """Remove temp files a crashed writer left; safe because only a lock holder writes them."""
        prefix = f".{self.path.name}.tmp-"
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if entry.name.startswith(prefix):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    def _write_atomic(self, data: Data) -> None:
        """Temp file in the same directory, fsync, os.replace, directory fsync; keep an existing file's mode and group."""
        payload = orjson.dumps(data, option=orjson.OPT_INDENT_2)
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            existing = os.stat(self.path)
        except FileNotFoundError:
            existing = None
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StoreError(f"Cannot write the store {self.path}: {exc.strerror}.") from None
        try:
            try:
                if existing is not None:
                    os.fchmod(fd, existing.st_mode & 0o7777)
                    with contextlib.suppress(OSError):
                        os.fchown(fd, -1, existing.st_gid)
                else:
                    os.fchmod(fd, 0o600)  # umask-independent
                view = memoryview(payload)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
            raise StoreError(f"Cannot write the store {self.path}: {reason}. The previous file is unchanged.") from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._fsync_dir()

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
            os.close(dfd)


def parse(raw: bytes, path: Path) -> Data:
    """Parse and shape-check a store file; refuse (never repair) anything appdeck did not write."""
    if not raw.strip():
        raise StoreError(f"The store {path} is empty; appdeck will not overwrite it. Move it away or restore a backup.")
    gc_was_enabled = gc.isenabled()
    gc.disable()  # the parse allocates many containers and none are cyclic: collection passes only cost time
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreError(f"The store {path} is not valid JSON ({exc}); appdeck will not overwrite it.") from None
    finally:
        if gc_was_enabled:
            gc.enable()
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
    _check_records(data, path)
    return data


def _str(v: Any) -> bool:
    return isinstance(v, str)


def _opt_str(v: Any) -> bool:
    return v is None or isinstance(v, str)


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _one_of(*values: Any) -> Any:
    return lambda v: v in values


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# What every record must hold for appdeck to use it: (field, check, required). Values are not re-validated
# (a hand-edited name with escape codes is shown safely), but a wrong type or a missing key would crash.
_SHARING = _one_of("private", "organization", "groups")
_RECORD_SHAPES: dict[str, tuple[tuple[str, Any, bool], ...]] = {
    "users": (("login", _str, True), ("role", _one_of("admin", "editor", "viewer"), True), ("display_name", _str, False)),
    "groups": (("id", _str, True), ("name", _str, True), ("members", _str_list, False)),
    "apps": (
        ("id", _str, True), ("name", _str, True), ("app_url", _str, True), ("owner", _str, True),
        ("client_id", _str, True), ("client_secret", _str, True), ("description", _str, False),
        ("thumbnail_url", _opt_str, False), ("sharing", _SHARING, False), ("groups", _str_list, False),
        ("advanced", _one_of(True, False), False), ("app_type", _one_of("spa", "m2m", "rwa"), False),
        ("token_auth", _one_of(None, "none", "client_secret_post", "client_secret_basic"), False),
        ("login_url", _opt_str, False), ("callback_urls", _str_list, False), ("logout_urls", _str_list, False),
        ("web_origins", _str_list, False), ("cors_origins", _str_list, False), ("created_at", _str, False),
        ("updated_at", _str, False), ("updated_by", _str, False), ("version", _int, False),
    ),
    "registered": (
        ("id", _str, True), ("name", _str, True), ("url", _str, True), ("description", _str, False),
        ("thumbnail_url", _opt_str, False), ("sharing", _SHARING, False), ("groups", _str_list, False),
        ("pinned", _one_of(True, False), False), ("version", _int, False),
    ),
    "audit": (
        ("at", _str, True), ("actor", _str, True), ("action", _str, True), ("object_type", _str, True),
        ("object_id", _str, True), ("object_name", _str, False), ("app_owner", _opt_str, False),
        ("fields", _str_list, False), ("detail", _str, False),
    ),
}


def _check_records(data: Data, path: Path) -> None:
    """Refuse a file whose records lack a field appdeck relies on or hold the wrong type (a hand edit gone wrong)."""
    for table, docs in data.items():
        bad = next((k for k in docs if not (k.isascii() and k.isdigit() and str(int(k)) == k)), None)
        if bad is not None:
            raise StoreError(
                f"The store {path} is not a valid appdeck store: {table} has a record id {bad!r} that is not a number; "
                "appdeck will not overwrite it."
            )
    for table, shape in _RECORD_SHAPES.items():
        for doc_id, rec in data[table].items():
            for field, ok, required in shape:
                if field in rec:
                    if ok(rec[field]):
                        continue
                    problem = f'has an invalid "{field}"'
                elif required:
                    problem = f'has no "{field}"'
                else:
                    continue
                raise StoreError(
                    f"The store {path} is not a valid appdeck store: {table} record {doc_id} {problem}; "
                    "appdeck will not overwrite it."
                )
