"""Spec section 8: the store file (modes, atomic writes, temp-file sweeping, refusals, lock, fresh reads)."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from store import storage
from store.controller import Controller
from store.errors import StoreError
from store.storage import SCHEMA_VERSION, StoreFile

SPA = {"name": "Portal", "app_url": "https://portal.example.com"}


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def temp_files(p: Path) -> list[str]:
    return sorted(n for n in os.listdir(p.parent) if n.startswith(f".{p.name}.tmp-"))


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


@contextmanager
def held_lock(store: Path) -> Iterator[None]:
    """Another open file description holding the exclusive flock, as another process would."""
    fd = os.open(f"{store}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# -- creation and modes -------------------------------------------------------------------------------


def test_store_created_on_first_use_with_acting_user_as_admin(store_path: Path) -> None:
    assert not store_path.exists()
    ctl = Controller(store_path, "alice")
    assert ctl.created_store
    assert store_path.exists()
    assert ctl.role == "admin"
    data = json.loads(store_path.read_bytes())
    assert data["meta"]["1"]["schema_version"] == SCHEMA_VERSION
    assert [u["login"] for u in data["users"].values()] == ["alice"]


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077])
def test_new_file_is_0600_whatever_the_umask(store_path: Path, mask: int) -> None:
    with umask(mask):
        Controller(store_path, "alice").create_app(SPA)
    assert mode(store_path) == 0o600


def test_existing_file_keeps_its_mode_after_a_write(store_path: Path) -> None:
    ctl = Controller(store_path, "alice")
    os.chmod(store_path, 0o640)
    ctl.create_app(SPA)
    assert mode(store_path) == 0o640
    os.chmod(store_path, 0o604)
    ctl.add_user("bob")
    assert mode(store_path) == 0o604


def test_existing_file_keeps_its_group(store_path: Path) -> None:
    ctl = Controller(store_path, "alice")
    gid = 1 if os.getuid() == 0 else os.getgid()
    try:
        os.chown(store_path, -1, gid)
    except PermissionError:
        pytest.skip("cannot change the file's group here")
    ctl.create_app(SPA)
    assert os.stat(store_path).st_gid == gid


def test_lock_file_is_beside_the_store_and_private(store_path: Path) -> None:
    with umask(0):
        Controller(store_path, "alice")
    lock = store_path.with_name(store_path.name + ".lock")
    assert lock.exists()
    assert mode(lock) & 0o077 == 0


# -- atomic writes -------------------------------------------------------------------------------------


def test_no_temp_files_left_after_writes(store_path: Path) -> None:
    ctl = Controller(store_path, "alice")
    for i in range(5):
        ctl.create_app({**SPA, "name": f"a{i}"})
    assert temp_files(store_path) == []


def test_leftover_temp_files_are_swept_by_the_next_write(store_path: Path) -> None:
    ctl = Controller(store_path, "alice")
    for suffix in ("123-deadbeef", "9-0"):
        (store_path.parent / f".{store_path.name}.tmp-{suffix}").write_bytes(b'{"half": ')
    unrelated = store_path.parent / "other.json"
    unrelated.write_text("{}")
    ctl.create_app(SPA)
    assert temp_files(store_path) == []
    assert unrelated.exists()


def test_write_goes_through_a_temp_file_and_replace(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    calls: list[tuple[str, str]] = []
    real_replace, real_fsync = os.replace, os.fsync
    fsyncs: list[int] = []

    def spy_replace(src, dst):  # type: ignore[no-untyped-def]
        calls.append((str(src), str(dst)))
        return real_replace(src, dst)

    def spy_fsync(fd):  # type: ignore[no-untyped-def]
        fsyncs.append(fd)
        return real_fsync(fd)

    monkeypatch.setattr(storage.os, "replace", spy_replace)
    monkeypatch.setattr(storage.os, "fsync", spy_fsync)
    ctl.create_app(SPA)
    calls = [c for c in calls if c[1] == str(store_path)]  # the other replace keeps the backup (<store>.bak)
    assert len(calls) == 1
    src, dst = calls[0]
    assert Path(src).parent == store_path.parent and Path(src).name.startswith(f".{store_path.name}.tmp-")
    assert dst == str(store_path)
    assert len(fsyncs) >= 2  # the file and the directory


def test_failed_write_leaves_the_old_file_and_no_temp(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    before = store_path.read_bytes()

    def boom(src, dst):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", boom)
    with pytest.raises(StoreError) as info:
        ctl.create_app(SPA)
    assert str(store_path) in str(info.value)
    assert store_path.read_bytes() == before
    assert temp_files(store_path) == []


def test_exception_inside_a_transaction_writes_nothing(store_path: Path) -> None:
    Controller(store_path, "alice")
    before = store_path.read_bytes()
    sf = StoreFile(store_path)
    with pytest.raises(RuntimeError):
        with sf.transaction() as tables:
            tables.insert("users", {"login": "ghost", "role": "admin"})
            assert tables.changed
            raise RuntimeError("abort")
    assert store_path.read_bytes() == before
    assert all(u["login"] != "ghost" for u in sf.read()["users"].values())


# -- refusals -------------------------------------------------------------------------------------------

BAD_FILES = {
    "corrupt": b'{"meta": {"1": {"schema_version": 1}}, "users": {',
    "empty": b"",
    "whitespace": b"  \n",
    "list": b"[1, 2, 3]",
    "scalar-table": b'{"meta": {"1": {"schema_version": 1}}, "users": 5}',
    "no-schema": b'{"users": {}}',
    "schema-not-int": b'{"meta": {"1": {"schema_version": "1"}}}',
    "newer-schema": json.dumps({"meta": {"1": {"schema_version": SCHEMA_VERSION + 1}}, "users": {"1": {"login": "alice", "role": "admin"}}}).encode(),
    "binary": b"\x00\xff\xfe garbage",
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_file_is_refused_naming_the_file_and_untouched(store_path: Path, kind: str) -> None:
    store_path.write_bytes(BAD_FILES[kind])
    os.chmod(store_path, 0o644)
    before = (store_path.read_bytes(), os.stat(store_path).st_mtime_ns, mode(store_path))
    with pytest.raises(StoreError) as info:
        Controller(store_path, "alice")
    msg = str(info.value)
    assert str(store_path) in msg
    if kind == "newer-schema":
        assert "newer" in msg and str(SCHEMA_VERSION + 1) in msg
    # A write attempt through the storage layer also refuses.
    with pytest.raises(StoreError):
        with StoreFile(store_path).transaction() as tables:
            tables.insert("users", {"login": "x"})
    assert (store_path.read_bytes(), os.stat(store_path).st_mtime_ns, mode(store_path)) == before
    assert temp_files(store_path) == []


@pytest.mark.parametrize(
    "table,edit",
    [
        ("users", lambda r: r.pop("login")),
        ("users", lambda r: r.update(role="god")),
        ("apps", lambda r: r.pop("id")),
        ("apps", lambda r: r.update(name=5)),
        ("apps", lambda r: r.update(groups=None)),
        ("apps", lambda r: r.update(version="2")),
        ("apps", lambda r: r.update(callback_urls="https://a.example.com")),
        ("groups", lambda r: r.pop("name")),
        ("groups", lambda r: r.update(members=[1])),
        ("registered", lambda r: r.update(pinned="yes")),
        ("audit", lambda r: r.update(fields=None)),
    ],
)
def test_hand_edited_record_of_the_wrong_shape_is_refused(store_path: Path, table: str, edit) -> None:  # type: ignore[no-untyped-def]
    admin = Controller(store_path, "alice")
    admin.add_group("g", ["alice"])
    admin.create_app(SPA)
    admin.add_registered({"name": "R", "url": "https://r.example.com"})
    data = json.loads(store_path.read_bytes())
    doc_id, rec = next(iter(data[table].items()))
    edit(rec)
    store_path.write_bytes(json.dumps(data).encode())
    before = store_path.read_bytes()
    with pytest.raises(StoreError) as info:
        Controller(store_path, "alice").list_apps()
    assert str(store_path) in str(info.value) and f"{table} record {doc_id}" in str(info.value)
    assert store_path.read_bytes() == before


def test_hand_edited_text_values_are_accepted_for_safe_display(store_path: Path) -> None:
    """Only shapes are checked on read: an escape code in a name is shown safely, not refused."""
    Controller(store_path, "alice").create_app(SPA)
    data = json.loads(store_path.read_bytes())
    next(iter(data["apps"].values()))["name"] = "\x1b[31mred"
    store_path.write_bytes(json.dumps(data).encode())
    assert Controller(store_path, "alice").list_apps()[0].name == "\x1b[31mred"


def test_store_that_becomes_corrupt_is_refused_by_a_live_controller(store_path: Path) -> None:
    ctl = Controller(store_path, "alice")
    store_path.write_bytes(b"{not json")
    with pytest.raises(StoreError):
        ctl.create_app(SPA)
    with pytest.raises(StoreError):
        ctl.list_apps()
    assert store_path.read_bytes() == b"{not json"


def test_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        Controller(tmp_path / "nope" / "store.json", "alice")
    assert "nope" in str(info.value)


# -- the lock -------------------------------------------------------------------------------------------


def test_lock_held_by_someone_else_gives_busy_after_a_bounded_wait(store_path: Path) -> None:
    Controller(store_path, "alice")
    ctl = Controller(StoreFile(store_path, lock_timeout=0.3), "alice")
    before = store_path.read_bytes()
    with held_lock(store_path):
        t0 = time.monotonic()
        with pytest.raises(StoreError) as info:
            ctl.create_app(SPA)
        waited = time.monotonic() - t0
    assert "busy" in str(info.value)
    assert str(store_path) in str(info.value)
    assert 0.25 <= waited < 3
    assert store_path.read_bytes() == before
    ctl.create_app(SPA)  # the lock released, it works again


def test_lock_timeout_from_environment(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Controller(store_path, "alice")
    monkeypatch.setenv("APPDECK_LOCK_TIMEOUT", "0.2")
    ctl = Controller(store_path, "alice")
    assert ctl.store.lock_timeout == pytest.approx(0.2)
    with held_lock(store_path), pytest.raises(StoreError, match="busy"):
        ctl.create_app(SPA)


def test_invalid_lock_timeout_env_does_not_crash(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPDECK_LOCK_TIMEOUT", "soon")
    ctl = Controller(store_path, "alice")
    assert ctl.store.lock_timeout > 0
    ctl.create_app(SPA)


def test_lock_held_by_another_process(store_path: Path) -> None:
    Controller(store_path, "alice")
    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(store_path) + '.lock'!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        ctl = Controller(StoreFile(store_path, lock_timeout=0.2), "alice")
        with pytest.raises(StoreError, match="busy"):
            ctl.add_user("bob")
        assert ctl.list_users()[0]["login"] == "alice"  # reads do not need the lock
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
    ctl.add_user("bob")


def test_writes_happen_under_the_lock(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    seen: list[bool] = []
    real = StoreFile._write_atomic

    def spy(self, data):  # type: ignore[no-untyped-def]
        fd = os.open(self.lock_path, os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                seen.append(False)
            except BlockingIOError:
                seen.append(True)
        finally:
            os.close(fd)
        return real(self, data)

    monkeypatch.setattr(StoreFile, "_write_atomic", spy)
    ctl.create_app(SPA)
    ctl.add_user("bob")
    assert seen == [True, True]


# -- fresh reads -----------------------------------------------------------------------------------------


def test_read_fresh_across_two_controllers(store_path: Path) -> None:
    a = Controller(store_path, "alice")
    b = Controller(store_path, "alice")
    assert b.list_apps() == []
    app = a.create_app(SPA).app
    assert [x.id for x in b.list_apps()] == [app.id]
    b.update_app(app.id, {"description": "from b"})
    assert a.get_app(app.id).description == "from b"
    a.add_user("bob", "editor")
    assert any(u["login"] == "bob" for u in b.list_users())


def test_read_fresh_sees_a_same_size_rewrite(store_path: Path) -> None:
    """Two writes of equal size in quick succession are both seen (the cache must not go stale)."""
    a = Controller(store_path, "alice")
    b = Controller(store_path, "alice")
    app = a.create_app({**SPA, "description": "0"}).app
    for i in range(1, 30):
        a.update_app(app.id, {"description": str(i % 10)})
        assert b.get_app(app.id).description == str(i % 10)


def test_transaction_reads_fresh_data_not_the_cache(store_path: Path) -> None:
    """A write based on a stale in-memory copy would lose the other controller's change."""
    a = Controller(store_path, "alice")
    b = Controller(store_path, "alice")
    a.list_apps()
    b.list_apps()
    x = a.create_app({**SPA, "name": "x"}).app
    y = b.create_app({**SPA, "name": "y"}).app
    assert {app.id for app in a.list_apps()} == {x.id, y.id}
    raw = json.loads(store_path.read_bytes())
    assert len(raw["apps"]) == 2


def test_read_does_not_reparse_an_unchanged_file(store_path: Path) -> None:
    ctl = Controller(store_path, "alice")
    ctl.create_app(SPA)
    ctl.list_apps()
    loads = ctl.store.loads
    for _ in range(5):
        ctl.list_apps()
    assert ctl.store.loads == loads


def test_reads_never_write(store_path: Path) -> None:
    ctl = Controller(store_path, "alice")
    ctl.create_app(SPA)
    before = (store_path.read_bytes(), os.stat(store_path).st_mtime_ns)
    ctl.list_apps()
    ctl.list_apps("applications")
    ctl.list_applications()
    ctl.list_users()
    ctl.list_groups()
    ctl.audit()
    ctl.info()
    assert (store_path.read_bytes(), os.stat(store_path).st_mtime_ns) == before


def test_written_file_is_plain_json_with_schema_version(store_path: Path) -> None:
    Controller(store_path, "alice").create_app(SPA)
    data = json.loads(store_path.read_text())
    assert set(storage.TABLES) <= set(data)
    assert data["meta"]["1"]["schema_version"] == SCHEMA_VERSION


