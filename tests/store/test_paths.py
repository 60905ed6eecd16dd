"""Spec section 8, "Paths": appdeck never writes through a symbolic link it did not resolve on purpose, and opens
only regular files: a symlink, a FIFO, a device or a directory where the store, its backup or its lock should be is
a store error (exit 7) in one sentence naming the path and what it is, never a hang. A store path that is a symlink
is resolved once: the lock, the temp files and the backup live beside the real file, and the link stays a link.

Issue 10, item 1, and the findings it answers: the lock file followed through a symlink (a write overwrote any file
with the trust stamp; `ln -s store.json store.json.lock` left the store as one stamp line), a store path that is a
symlink split in two, a FIFO where the store is hanging every command.
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run_cli
from store.controller import Controller
from store.errors import StoreError
from store.storage import StoreFile

SPA = {"name": "Portal", "app_url": "https://portal.example.com"}
VICTIM = b"precious: not appdeck's file\n"
FAST = 15.0  # seconds: a command that takes longer than this is hanging (each one takes well under 2 s)


def lock(p: Path) -> Path:
    return p.with_name(p.name + ".lock")


def bak(p: Path) -> Path:
    return p.with_name(p.name + ".bak")


def temp_files(d: Path) -> list[str]:
    return sorted(n for n in os.listdir(d) if ".tmp-" in n)


def with_backup(p: Path) -> None:
    """A store with a lock file (holding a trust stamp) and a backup, as after any two writes."""
    ctl = Controller(p, "alice")
    ctl.create_app(SPA)
    ctl.create_app({**SPA, "name": "Second"})
    assert lock(p).is_file() and bak(p).is_file()


def kind(p: Path) -> str:
    st = os.lstat(p)
    return "link" if stat.S_ISLNK(st.st_mode) else "fifo" if stat.S_ISFIFO(st.st_mode) else \
        "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "other"


def one_line(err: bytes) -> str:
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def replace_with(p: Path, make: Callable[[Path], None]) -> None:
    if p.exists() or p.is_symlink():
        p.unlink()
    make(p)


# -- a symlink at the lock path -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["existing", "dangling"])
def test_a_symlink_at_the_lock_path_is_refused_and_its_target_untouched(store_path: Path, tmp_path: Path,
                                                                         target: str) -> None:
    """Section 8, Paths: with `<store>.lock` a symlink to another file, a write used to overwrite that file with
    the trust stamp (and a dangling link made appdeck create its target). Now the write is refused, in-process
    (StoreError) and over the CLI (exit 7, one line naming the lock path and "symbolic link"); the target, the
    store and the link are as they were."""
    with_backup(store_path)
    victim = tmp_path / "victim"
    if target == "existing":
        victim.write_bytes(VICTIM)
    replace_with(lock(store_path), lambda p: p.symlink_to(victim))
    before = store_path.read_bytes(), bak(store_path).read_bytes()

    with pytest.raises(StoreError) as info:
        Controller(store_path, "alice").add_user("bob")
    assert str(lock(store_path)) in info.value.message and "symbolic link" in info.value.message
    r = run_cli("--store", str(store_path), "--user", "alice", "users", "add", "carol", timeout=FAST)
    assert r.returncode == 7, r.stderr
    line = one_line(r.stderr)
    assert str(lock(store_path)) in line and "is a symbolic link, not a regular file" in line

    assert (victim.read_bytes() == VICTIM) if target == "existing" else not victim.exists()
    assert (store_path.read_bytes(), bak(store_path).read_bytes()) == before
    assert kind(lock(store_path)) == "link" and temp_files(store_path.parent) == []


def test_the_lock_linked_to_the_store_never_destroys_it(store_path: Path) -> None:
    """Section 8, Paths: `ln -s store.json store.json.lock` made `store verify` print ok and leave the store as one
    69-byte stamp line, and a write overwrite the backup with it. Now verify still says ok (the store is fine) but
    neither it nor a write (refused, exit 7) changes a byte of the store or its backup."""
    with_backup(store_path)
    replace_with(lock(store_path), lambda p: p.symlink_to(store_path.name))
    before = store_path.read_bytes(), bak(store_path).read_bytes()

    r = run_cli("--store", str(store_path), "--user", "alice", "store", "verify", timeout=FAST)
    assert (r.returncode, r.stdout.decode().strip()) == (0, "ok"), r.stderr
    assert (store_path.read_bytes(), bak(store_path).read_bytes()) == before
    for args in (("users", "add", "bob"), ("apps", "create", "--name", "Third", "--type", "spa",
                                           "--app-url", "https://third.example.com")):
        r = run_cli("--store", str(store_path), "--user", "alice", *args, timeout=FAST)
        assert r.returncode == 7 and "symbolic link" in one_line(r.stderr), r.stderr
        assert (store_path.read_bytes(), bak(store_path).read_bytes()) == before
    assert b'"Second"' in store_path.read_bytes() and kind(store_path) == "file"
    r = run_cli("--store", str(store_path), "--user", "alice", "store", "verify", timeout=FAST)
    assert r.returncode == 0, r.stdout


def test_a_lock_file_hard_linked_to_the_store_is_refused(store_path: Path) -> None:
    """Section 8, Paths: O_NOFOLLOW does not see a hard link, and the lock holder writes its trust stamp into the
    lock file: with `ln store.json store.json.lock` that write replaced the store's content. The lock file must be
    a file of its own (one link): a write is refused, exit 7, and the store keeps every byte."""
    with_backup(store_path)
    lock(store_path).unlink()
    os.link(store_path, lock(store_path))
    before = store_path.read_bytes(), bak(store_path).read_bytes()
    r = run_cli("--store", str(store_path), "--user", "alice", "users", "add", "bob", timeout=FAST)
    assert r.returncode == 7, r.stderr
    line = one_line(r.stderr)
    assert str(lock(store_path)) in line and "hard link" in line
    assert (store_path.read_bytes(), bak(store_path).read_bytes()) == before


# -- a symlink at the backup path ---------------------------------------------------------------------------


def test_a_symlink_at_the_backup_path_is_never_written_through(store_path: Path, tmp_path: Path) -> None:
    """Section 8, Paths: `<store>.bak` a symlink to another file (here a valid store someone else controls). A write
    is refused (the backup slot is not a regular file), and `store restore-backup` neither follows the link nor
    turns the store into one: the target keeps its bytes and the store stays a regular file with its own."""
    with_backup(store_path)
    foreign = tmp_path / "foreign.json"
    foreign.write_bytes(bak(store_path).read_bytes())  # a store that verifies: only the path is wrong
    replace_with(bak(store_path), lambda p: p.symlink_to(foreign))
    before, theirs = store_path.read_bytes(), foreign.read_bytes()

    with pytest.raises(StoreError) as info:
        Controller(store_path, "alice").create_app({**SPA, "name": "Third"})
    assert str(bak(store_path)) in info.value.message and "symbolic link" in info.value.message
    for args in (("users", "add", "bob"), ("store", "restore-backup", "--yes")):
        r = run_cli("--store", str(store_path), "--user", "alice", *args, timeout=FAST)
        assert r.returncode == 7, (args, r.stderr)
        assert str(bak(store_path)) in r.stderr.decode() and "symbolic link" in r.stderr.decode()
        assert store_path.read_bytes() == before and foreign.read_bytes() == theirs
        assert kind(store_path) == "file" and kind(bak(store_path)) == "link"
    assert temp_files(store_path.parent) == []


# -- a FIFO (and other things that are not regular files) ---------------------------------------------------

CREATE = ("apps", "create", "--name", "Third", "--type", "spa", "--app-url", "https://third.example.com")
COMMANDS = {
    "list": ("apps", "list"),
    "create": CREATE,
    "add": ("users", "add", "bob"),
    "verify": ("store", "verify"),
    "restore": ("store", "restore-backup", "--yes"),
}
# What each command does with a FIFO at each path: 7, or 0 where the command never opens that path (a read does
# not touch the backup; `store verify` checks the store's content, and only notes its trust in the lock if it can).
EXPECTED = {
    "store": dict.fromkeys(COMMANDS, 7),
    "lock": {**dict.fromkeys(COMMANDS, 7), "verify": 0},
    "backup": {**dict.fromkeys(COMMANDS, 7), "list": 0, "verify": 0},
}


@pytest.mark.parametrize("where", list(EXPECTED))
def test_a_fifo_at_the_store_lock_or_backup_path_never_hangs(store_path: Path, where: str) -> None:
    """Section 8, Paths: a FIFO where the store, its lock or its backup should be is a store error, never a hang
    (a FIFO at the store used to block every command forever). Each command, run as a subprocess with a timeout,
    ends quickly; where it needs that path it exits 7 with one line naming the path and "named pipe (FIFO)". The
    FIFO is left a FIFO and the other files keep their bytes."""
    with_backup(store_path)
    path = {"store": store_path, "lock": lock(store_path), "backup": bak(store_path)}[where]
    replace_with(path, os.mkfifo)
    others = {p: p.read_bytes() for p in (store_path, lock(store_path), bak(store_path)) if p != path}
    results = {}
    for name, args in COMMANDS.items():
        t0 = time.monotonic()
        r = run_cli("--store", str(store_path), "--user", "alice", *args, timeout=FAST)
        results[name] = (r.returncode, round(time.monotonic() - t0, 2))
        assert r.returncode == EXPECTED[where][name], (name, r.stdout, r.stderr)
        if r.returncode == 7:
            line = one_line(r.stderr)
            assert str(path) in line and "is a named pipe (FIFO), not a regular file" in line, line
        assert kind(path) == "fifo"
        assert {p: p.read_bytes() for p in others} == others, name
    print(f"\n[fifo at the {where}] exit code, seconds: {results}")


def test_a_fifo_store_does_not_hang_the_tui_or_ssh_serve(tmp_path: Path) -> None:
    """Section 8, Paths (and section 7): `ssh-serve` refuses a FIFO store at once, exit 7; the TUI without a terminal
    stops before it looks at the store at all (exit 2, issue 11), so a FIFO cannot hang it either. (The TUI's own
    refusal of a FIFO it meets while running is tests/tui/test_tui_bad_store.py's.)"""
    fifo = tmp_path / "store.json"
    os.mkfifo(fifo)
    r = run_cli("--store", str(fifo), "--user", "alice", timeout=FAST)  # the TUI, stdin and stdout not terminals
    assert r.returncode == 2 and "needs a terminal" in r.stderr.decode(), r.stderr
    r = run_cli("ssh-serve", "--user", "alice", "--store", str(fifo), env={"SSH_ORIGINAL_COMMAND": "apps list"},
                timeout=FAST)
    assert r.returncode == 7 and "named pipe (FIFO)" in r.stderr.decode(), r.stderr
    assert kind(fifo) == "fifo"


@pytest.mark.parametrize("where", ["lock", "backup"])
def test_a_directory_at_the_lock_or_backup_path_refuses_writes(store_path: Path, where: str) -> None:
    """Section 8, Paths: a directory where the lock or the backup should be refuses a write (exit 7, one line
    naming the path and "directory"), leaving the store, and the directory with its content, alone."""
    with_backup(store_path)
    path = lock(store_path) if where == "lock" else bak(store_path)
    path.unlink()
    path.mkdir()
    (path / "keep").write_text("data")
    before = store_path.read_bytes()
    r = run_cli("--store", str(store_path), "--user", "alice", *CREATE, timeout=FAST)
    assert r.returncode == 7, r.stderr
    line = one_line(r.stderr)
    assert str(path) in line and "is a directory, not a regular file" in line
    assert store_path.read_bytes() == before and (path / "keep").read_text() == "data"


def test_a_symlink_put_at_the_real_store_path_later_is_not_followed(store_path: Path, tmp_path: Path) -> None:
    """Section 8, Paths: the store path is resolved once, when appdeck starts; a symlink that appears at the real
    path afterwards (not resolved on purpose) is refused by the next read and the next write, and never replaced."""
    with_backup(store_path)
    ctl = Controller(store_path, "alice")
    other = tmp_path / "other.json"
    other.write_bytes(store_path.read_bytes())
    store_path.unlink()
    store_path.symlink_to(other)
    with pytest.raises(StoreError, match="symbolic link"):
        ctl.list_apps()
    with pytest.raises(StoreError, match="symbolic link"):
        ctl.create_app({**SPA, "name": "Third"})
    assert kind(store_path) == "link" and b"Third" not in other.read_bytes()


# -- a store path that is a symlink -------------------------------------------------------------------------


def _links(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """(link as given, real file) for each way a store path can be a symlink."""
    real = tmp_path / "real" / "store.json"
    real.parent.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "abs.json").symlink_to(real)
    (elsewhere / "rel.json").symlink_to(Path("..") / "real" / "store.json")
    (elsewhere / "chain.json").symlink_to(elsewhere / "rel.json")
    (tmp_path / "dirlink").symlink_to(real.parent)
    return {"absolute": (elsewhere / "abs.json", real), "relative": (elsewhere / "rel.json", real),
            "chain": (elsewhere / "chain.json", real), "linked directory": (tmp_path / "dirlink" / "store.json", real)}


@pytest.mark.parametrize("shape", ["absolute", "relative", "chain", "linked directory"])
def test_a_store_given_as_a_symlink_is_resolved_once(tmp_path: Path, shape: str) -> None:
    """Section 8, Paths: a store path that is a symlink (absolute, relative, a chain, or through a linked
    directory) is resolved once: writes (first use, then in-process and CLI writes and a restore) change the real
    file, the link stays a link, and the lock, temp files and backup are beside the real file, none beside the
    link. The first write used to replace the link by a regular file, so the real file never changed again."""
    given, real = _links(tmp_path)[shape]
    ctl = Controller(given, "alice")  # first use: creates the real file through the link, on purpose
    assert ctl.store.path == real and real.is_file()
    ctl.create_app(SPA)
    r = run_cli("--store", str(given), "--user", "alice", "users", "add", "bob", timeout=FAST)
    assert r.returncode == 0, r.stderr
    assert Controller(real, "alice").list_users()[1]["login"] == "bob"
    assert [a.name for a in Controller(real, "alice").list_apps()] == ["Portal"]
    r = run_cli("--store", str(given), "--user", "alice", "store", "restore-backup", "--yes", timeout=FAST)
    assert r.returncode == 0, r.stderr
    elsewhere = tmp_path / "elsewhere"
    for p in (elsewhere / "abs.json", elsewhere / "rel.json", elsewhere / "chain.json", tmp_path / "dirlink"):
        assert p.is_symlink(), p  # every link is still a link, and still leads to the real file
    assert given.resolve() == real and [a.name for a in Controller(given, "alice").list_apps()] == ["Portal"]
    assert sorted(n for n in os.listdir(real.parent) if not n.startswith(".")) == \
        ["store.json", "store.json.bak", "store.json.lock"]
    assert sorted(os.listdir(tmp_path / "elsewhere")) == ["abs.json", "chain.json", "rel.json"]
    assert temp_files(real.parent) == []


def test_the_link_and_the_real_path_share_one_lock(tmp_path: Path) -> None:
    """Section 8, Paths: two StoreFiles made from the link and from the real path lock the same file, so a
    writer through the link waits for one through the real path (here: gives up busy after its bounded wait)."""
    given, real = _links(tmp_path)["relative"]
    Controller(real, "alice")
    via_link, via_real = StoreFile(given, lock_timeout=0.2), StoreFile(real, lock_timeout=0.2)
    assert via_link.path == via_real.path and via_link.lock_path == via_real.lock_path == lock(real)
    assert via_link.backup_path == bak(real)
    with via_real.lock():
        with pytest.raises(StoreError, match="busy"):
            Controller(via_link, "alice").add_user("bob")
    fd = os.open(lock(real), os.O_RDWR)  # and another process's flock on the real lock file holds the link's writer
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="busy"):
            Controller(via_link, "alice").add_user("bob")
    finally:
        os.close(fd)
    Controller(via_link, "alice").add_user("bob")
    assert given.is_symlink()


def test_a_dangling_store_link_creates_its_target_and_stays_a_link(tmp_path: Path) -> None:
    """Section 8, Paths: a store link whose target does not exist yet is resolved on purpose: the first use creates
    the target (0600), and the link is kept, pointing at it."""
    real = tmp_path / "data" / "store.json"
    real.parent.mkdir()
    given = tmp_path / "store.json"
    given.symlink_to(real)
    r = run_cli("--store", str(given), "--user", "alice", "users", "add", "bob", timeout=FAST)
    assert r.returncode == 0, r.stderr
    assert given.is_symlink() and real.is_file() and stat.S_IMODE(os.stat(real).st_mode) == 0o600
    assert lock(real).is_file() and not lock(given).exists()


# -- the helper for other readers of store files -------------------------------------------------------------


def test_read_regular_reads_files_and_refuses_the_rest_at_once(tmp_path: Path) -> None:
    """Section 8, Paths: store.storage.read_regular (for readers of a store file outside StoreFile, such as
    verify and restore) returns a regular file's bytes, and refuses a FIFO (at once, no writer needed), a symlink
    and a directory with a StoreError naming the path and what it is; a missing file is FileNotFoundError."""
    from store.storage import read_regular

    f = tmp_path / "f.json"
    f.write_bytes(b"{}")
    assert read_regular(f, f"Cannot read {f}") == b"{}"
    fifo, link, d = tmp_path / "fifo", tmp_path / "link", tmp_path / "dir"
    os.mkfifo(fifo)
    link.symlink_to(f)
    d.mkdir()
    for p, words in ((fifo, "a named pipe (FIFO)"), (link, "a symbolic link"), (d, "a directory")):
        t0 = time.monotonic()
        with pytest.raises(StoreError) as info:
            read_regular(p, f"Cannot read the backup {p}")
        assert time.monotonic() - t0 < 1
        assert info.value.message == f"Cannot read the backup {p}: it is {words}, not a regular file; nothing was changed."
    with pytest.raises(FileNotFoundError):
        read_regular(tmp_path / "missing", "Cannot read")
