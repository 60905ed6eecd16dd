"""The logo cache: one file per URL in the user's cache directory (`~/.cache/appdeck/logos`).

The directory is made 0700 (and must be a real directory owned by this account: a symbolic link there is
refused, never followed); each file is 0600, written to a temp file created with O_EXCL | O_NOFOLLOW in that
directory, fsynced, then renamed over the old one (atomic). A file holds one JSON header line (the URL, when it
was fetched, and the error for a failure) and then the image's bytes as they were served. An image is good for a
day (`ok_ttl`), a failure for five minutes (`fail_ttl`). A cache that cannot be used is no error: the logo is
fetched again (and the initials are drawn meanwhile).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

_HEADER_MAX = 16 * 1024


@dataclass(frozen=True)
class CacheEntry:
    """What the cache holds for one URL: the image bytes, or the error of the last try."""

    url: str
    fetched_at: float
    data: bytes | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.data is not None


def _name(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest() + ".logo"


def _open_dir(path: Path, *, create: bool) -> int | None:
    """An fd of the cache directory (0700, ours, not a symlink); None when there is none and `create` is False."""
    if create:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            raise OSError(f"{path} is not a directory of this account; the logo cache is not used")
        if stat.S_IMODE(st.st_mode) & 0o077:
            os.fchmod(fd, 0o700)
    except BaseException:
        os.close(fd)
        raise
    return fd


class LogoCache:
    """Read and write cache entries under `root`; every method swallows nothing but returns None on a miss."""

    def __init__(self, root: Path, *, ok_ttl: float, fail_ttl: float, max_bytes: int) -> None:
        self.root = root
        self.ok_ttl = ok_ttl
        self.fail_ttl = fail_ttl
        self.max_bytes = max_bytes

    def get(self, url: str, *, now: float | None = None) -> CacheEntry | None:
        """The fresh entry for `url`, else None (missing, expired, unreadable, or for another URL)."""
        now = time.time() if now is None else now
        try:
            dfd = _open_dir(self.root, create=False)
        except OSError:
            return None
        if dfd is None:
            return None
        try:
            try:
                fd = os.open(_name(url), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=dfd)
            except OSError:
                return None
            with os.fdopen(fd, "rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    return None
                blob = fh.read(_HEADER_MAX + self.max_bytes + 1)
        finally:
            os.close(dfd)
        head, newline, data = blob.partition(b"\n")
        if not newline:
            return None
        try:
            header = json.loads(head)
            fetched_at = float(header["at"])
            same = header["url"] == url
            error = header.get("error")
        except (ValueError, KeyError, TypeError):
            return None
        if not same or fetched_at > now + 60:
            return None
        if error is not None:
            if now - fetched_at > self.fail_ttl:
                return None
            return CacheEntry(url, fetched_at, None, str(error))
        if now - fetched_at > self.ok_ttl or len(data) > self.max_bytes:
            return None
        return CacheEntry(url, fetched_at, data, None)

    def put(self, url: str, data: bytes | None, error: str | None = None, *, now: float | None = None) -> bool:
        """Remember the image bytes (or the error) for `url`; False when the cache could not be written."""
        header = {"url": url, "at": time.time() if now is None else now, "error": error if data is None else None}
        blob = json.dumps(header).encode("utf-8", "surrogatepass") + b"\n" + (data or b"")
        try:
            dfd = _open_dir(self.root, create=True)
        except OSError:
            return False
        if dfd is None:
            return False
        tmp = f".{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, _name(url), src_dir_fd=dfd, dst_dir_fd=dfd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=dfd)
                raise
            return True
        except OSError:
            return False
        finally:
            os.close(dfd)
