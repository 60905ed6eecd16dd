"""Spec section 8. Issue 4 item 4: stores appdeck cannot use. Each is refused clearly (CLI exit 7 with one line naming the file,
the TUI says so), none is overwritten (bytes and mtime unchanged) and no data is lost.

What tests/store/test_storage.py and tests/cli/test_cli.py already prove (bad contents refused by the API and the CLI
subprocess, a held lock gives "busy") is not repeated; this file adds the TUI's side, `store verify`, the backup
left alone, the read-only and unreadable cases, and a lock held by a stuck process with APPDECK_LOCK_TIMEOUT=1.

The tests run as root in CI, where chmod does not stop root reading or writing. So: an unreadable store is a
directory in place of the file (any uid) and a chmod 000 file read by `nobody` (a forked child that drops to
uid 65534, running tui.cli.run in-process); a read-only store is a file and directory `nobody` may not write
(same child), a tmpfs remounted read-only (real EROFS, root included; skipped where mount is not allowed),
and os.access patched to say "not writable" for the TUI's read-only opening.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli
from store import storage
from store.controller import Controller
from store.errors import StoreError
from store.storage import SCHEMA_VERSION
from tui.app import AppdeckApp
from tui.cli import run
from tui.screens.app_form import AppFormScreen
from tui.screens.developers import DevelopersScreen
from tui_helpers import SIZE, record_notifications, screen_text, tui_config  # noqa: F401  (autouse fixture)

ROOT = Path(__file__).resolve().parents[2]
SPA = {"name": "Portal", "app_url": "https://portal.example.com"}
CREATE = ("apps", "create", "--name", "x", "--app-url", "https://x.example.com")
IS_ROOT = os.geteuid() == 0


def state(p: Path) -> Any:
    """Everything that must not change: bytes, mtime and mode of the store and its backup, and the dir listing."""
    def one(f: Path) -> Any:
        if not f.exists():
            return None
        st = os.stat(f)
        return (f.read_bytes() if f.is_file() else None, st.st_mtime_ns, st.st_mode)

    listing = sorted(os.listdir(p.parent)) if p.parent.is_dir() else None
    return one(p), one(p.with_name(p.name + ".bak")), [n for n in listing or [] if not n.endswith(".lock")]


def cli(store: Path, *args: str, user: str = "alice") -> tuple[int, str, str]:
    """tui.cli.run in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["--store", str(store), "--user", user, *args])
    return code, out.getvalue(), err.getvalue()


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def tui(path: Path, user: str = "alice") -> AppdeckApp:
    """The TUI opening the store itself (as `appdeck` does), notifications recorded on `app.sent`."""
    app = AppdeckApp(store_path=path, user=user, config={})
    record_notifications(app)
    return app


async def tui_refuses(path: Path) -> str:
    """Open the TUI on an unusable store: it ends with exit 7 and says why. Returns the message."""
    app = tui(path)
    said: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(40):
            if app.return_code is not None:
                said = [str(m) for m in app._exit_renderables]  # printed on stderr and cleared at shutdown
                break
            await pilot.pause(0.05)
    assert app.return_code == 7
    message = " ".join(said)
    assert str(path) in message
    return message


# -- missing directory, unreadable file ---------------------------------------------------------------------


async def test_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "store.json"
    for args in (("apps", "list"), CREATE, ("users", "add", "bob")):
        code, out, err = cli(path, *args)
        assert code == 7 and out == "" and "directory does not exist" in one_line(err) and str(path) in err
    assert cli(path, "store", "verify")[0] == 7
    assert "directory does not exist" in await tui_refuses(path)
    assert not path.parent.exists()  # nothing created
    print("\n[missing dir] CLI list/create/add and store verify exit 7; TUI exit 7; nothing created")


async def test_a_directory_in_place_of_the_file(tmp_path: Path) -> None:
    """Unreadable as a file for every uid, root included."""
    path = tmp_path / "store.json"
    path.mkdir()
    (path / "keep").write_text("data")
    before = state(path)
    for args in (("apps", "list"), CREATE):
        code, _, err = cli(path, *args)
        assert code == 7 and "Cannot read the store" in one_line(err) and str(path) in err
    await tui_refuses(path)
    assert cli(path, "store", "verify")[0] == 7
    assert state(path) == before and (path / "keep").read_text() == "data"


@contextlib.contextmanager
def shared_dir() -> Iterator[Path]:
    """A directory `nobody` can reach (the pytest tmp dir is 0700 root)."""
    d = Path(tempfile.mkdtemp(prefix="appdeck-test-", dir="/tmp"))
    os.chmod(d, 0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def as_nobody(fn: Callable[[], Any]) -> Any:
    """Run fn in a forked child that dropped to uid/gid 65534; its JSON result comes back through a pipe."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            payload = json.dumps({"ok": fn()})
        except BaseException as exc:
            payload = json.dumps({"error": repr(exc)})
        try:
            os.write(w, payload.encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        data = json.loads(fh.read() or b"{}")
    os.waitpid(pid, 0)
    assert "ok" in data, data
    return data["ok"]


needs_root = pytest.mark.skipif(not IS_ROOT, reason="dropping to uid nobody needs root (non-root runs use plain chmod instead)")


@needs_root
def test_unreadable_file_for_another_user() -> None:
    """chmod 000 stops `nobody` (not root): list and create exit 7 'permission denied', file untouched."""
    with shared_dir() as d:
        path = d / "store.json"
        Controller(path, "alice").create_app(SPA)
        os.chmod(path, 0o000)
        before = state(path)
        results = as_nobody(lambda: [cli(path, "apps", "list"), cli(path, *CREATE), cli(path, "store", "verify")])
        for code, out, err in results[:2]:
            assert code == 7 and out == "" and "permission denied" in one_line(err) and str(path) in err
        assert results[2][0] == 7 and "permission denied" in results[2][1]
        assert state(path) == before


def test_unreadable_file_when_not_root(store_path: Path) -> None:
    if IS_ROOT:
        pytest.skip("root reads a chmod 000 file; covered by test_unreadable_file_for_another_user (uid nobody)")
    Controller(store_path, "alice").create_app(SPA)
    os.chmod(store_path, 0o000)
    before = state(store_path)
    code, _, err = cli(store_path, "apps", "list")
    assert code == 7 and "permission denied" in one_line(err)
    assert state(store_path) == before


# -- read-only file, directory, file system ----------------------------------------------------------------


@needs_root
@pytest.mark.parametrize("what", ["file", "directory"])
def test_read_only_for_another_user(what: str) -> None:
    """Real permissions as `nobody`: reads work, writes exit 7 with 'read-only: ...', nothing changes."""
    with shared_dir() as d:
        path = d / "store.json"
        Controller(path, "alice").create_app(SPA)
        if what == "file":
            os.chmod(d, 0o777)  # the directory is writable: only the file is not (a write would replace it)
            os.chmod(path, 0o644)
            os.chmod(path.with_name(path.name + ".lock"), 0o666)
        else:
            os.chmod(path, 0o666)  # the file is writable, the directory (temp file, rename) is not
        before = state(path)

        def attempt() -> Any:
            ctl = Controller(path, "alice")
            return [ctl.store.write_problem(), cli(path, "apps", "list"), cli(path, *CREATE), cli(path, "users", "add", "bob")]

        problem, listed, *writes = as_nobody(attempt)
        assert problem and ("file is not writable" if what == "file" else "directory") in problem
        assert listed[0] == 0 and "Portal" in listed[1]
        for code, out, err in writes:
            assert code == 7 and out == "" and "is read-only" in one_line(err) and str(path) in err
        assert state(path) == before
        print(f"\n[read-only {what}, uid nobody] list ok; create/add exit 7: {writes[0][2].strip()}")


@pytest.fixture
def ro_mount(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs holding a store, remounted read-only: EROFS for root too. Skipped where mount is not allowed."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip() or r.returncode}); os.access-patched tests cover the TUI side")
    try:
        path = mnt / "store.json"
        ctl = Controller(path, "alice")
        ctl.create_app(SPA)
        ctl.create_app({**SPA, "name": "Second"})
        r = subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True)
        assert r.returncode == 0, r.stderr
        yield path
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


async def test_read_only_file_system(ro_mount: Path) -> None:
    path = ro_mount
    before = state(path)
    assert cli(path, "apps", "list")[0] == 0
    for args in (CREATE, ("users", "add", "bob"), ("store", "restore-backup", "--yes")):
        code, out, err = cli(path, *args)
        assert code == 7 and out == "" and str(path) in one_line(err), (args, err)
        assert "is read-only: its file system" in err, err
    app = tui(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.controller.readonly and "READ-ONLY" in screen_text(app)
        notes = [n for n in app.sent if n["message"].startswith("read-only: ")]  # type: ignore[attr-defined]
        assert len(notes) == 1 and "mounted read-only" in notes[0]["message"]
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
    assert state(path) == before
    print(f"\n[read-only fs] CLI writes exit 7; TUI opened read-only: {notes[0]['message']}")


def not_writable(*paths: Path) -> Callable[..., bool]:
    real = os.access

    def access(path: Any, mode: int, **kw: Any) -> bool:
        if mode & os.W_OK and Path(path) in paths:
            return False
        return real(path, mode, **kw)

    return access


class _Os:
    """store.storage's view of os with one function replaced."""

    def __init__(self, **replaced: Any) -> None:
        self.replaced = replaced

    def __getattr__(self, name: str) -> Any:
        return self.replaced.get(name) or getattr(os, name)


@pytest.mark.parametrize("what", ["file", "directory"])
async def test_tui_opens_read_only_and_says_so(store_path: Path, monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    """os.access is patched (in store.storage only) to report the file or its directory not writable, as it would
    for a non-root user; the TUI opens read-only, says why, disables writes; the CLI refuses them with exit 7."""
    Controller(store_path, "alice").create_app(SPA)
    before = state(store_path)
    target = store_path if what == "file" else store_path.parent
    monkeypatch.setattr(storage, "os", _Os(access=not_writable(target)))
    app = tui(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.controller.readonly
        assert "READ-ONLY" in screen_text(app)
        notes = [n for n in app.sent if n["message"].startswith("read-only: ")]  # type: ignore[attr-defined]
        assert len(notes) == 1 and notes[0]["severity"] == "warning"
        assert ("the file is not writable" if what == "file" else "its directory") in notes[0]["message"]
        for key in ("n", "e", "d", "s", "R"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, DevelopersScreen), key
    code, out, err = cli(store_path, *CREATE)
    assert code == 7 and out == "" and one_line(err).startswith(f"appdeck: The store {store_path} is read-only: ")
    assert cli(store_path, "apps", "list")[0] == 0
    assert state(store_path) == before


@pytest.mark.parametrize("err,reason", [(errno.EACCES, "permission denied"), (errno.EROFS, "the file system is read-only")])
def test_permission_errors_at_write_time_are_clear(store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], err: int, reason: str) -> None:
    """As root os.access says "writable" even where the write fails: the failure itself gives the clear message."""
    Controller(store_path, "alice").create_app(SPA)
    before = state(store_path)
    real_open = os.open

    def refusing_open(path: Any, flags: int, *a: Any, **kw: Any) -> int:
        if flags & os.O_CREAT and ".tmp-" in str(path):
            raise OSError(err, os.strerror(err))
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(storage, "os", _Os(open=refusing_open))
    with pytest.raises(StoreError) as info:
        Controller(store_path, "alice").create_app({**SPA, "name": "x"})
    assert str(info.value) == f"Cannot write the store {store_path}: {reason}. The previous file is unchanged."
    code, out, errtext = cli(store_path, *CREATE)
    assert code == 7 and out == "" and reason in one_line(errtext)
    assert state(store_path) == before


# -- contents appdeck did not write --------------------------------------------------------------------------


def _truncated(p: Path) -> bytes:
    raw = p.read_bytes()
    return raw[: len(raw) // 2]


BAD: dict[str, Callable[[Path], bytes]] = {
    "empty": lambda p: b"",
    "truncated": _truncated,
    "wrong-shape-list": lambda p: b'[{"login": "alice"}]',
    "wrong-shape-tables": lambda p: json.dumps({"meta": {"1": {"schema_version": 1}}, "apps": ["x"]}).encode(),
    "newer-schema": lambda p: json.dumps({**json.loads(p.read_bytes()), "meta": {"1": {"schema_version": SCHEMA_VERSION + 1}}}).encode(),
}


@pytest.mark.parametrize("kind", list(BAD))
async def test_bad_contents_are_refused_everywhere_and_left_alone(store_path: Path, kind: str) -> None:
    """A real store (with a good .bak) replaced by bad contents: CLI reads and writes exit 7 with one line naming
    the file, `store verify` exits 7, the TUI exits 7 saying why; the file, its mtime and the backup are unchanged."""
    ctl = Controller(store_path, "alice")
    ctl.create_app(SPA)
    ctl.create_app({**SPA, "name": "Second"})
    store_path.write_bytes(BAD[kind](store_path))
    before = state(store_path)
    for args in (("apps", "list"), CREATE, ("users", "add", "bob"), ("audit",)):
        code, out, err = cli(store_path, *args)
        assert code == 7 and out == "", (args, code, err)
        assert str(store_path) in one_line(err)
        if kind == "newer-schema":
            assert "newer" in err and "upgrade appdeck" in err
    code, out, _ = cli(store_path, "store", "verify")
    assert code == 7 and str(store_path) in out
    message = await tui_refuses(store_path)
    assert ("newer" in message) if kind == "newer-schema" else ("will not overwrite" in message)
    assert state(store_path) == before
    # No data lost: the previous good file is there to restore.
    assert cli(store_path, "store", "restore-backup", "--yes")[0] == 0
    assert [a.name for a in Controller(store_path, "alice").list_apps()] == ["Portal"]


# -- a lock held by a stuck process ------------------------------------------------------------------------

HOLDER = r"""
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
"""


@pytest.fixture
def stuck(store_path: Path) -> Iterator[Path]:
    """A store whose lock is held by another process that never lets go (killed at teardown)."""
    ctl = Controller(store_path, "alice")
    ctl.create_app(SPA)
    ctl.create_app({**SPA, "name": "Second"})
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, f"{store_path}.lock"], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"locked\n"
        yield store_path
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_stuck_lock_cli_gives_up_busy_in_about_a_second(stuck: Path) -> None:
    before = state(stuck)
    waits = []
    for args in (CREATE, ("users", "add", "bob"), ("store", "restore-backup", "--yes")):
        t0 = time.monotonic()
        r = run_cli(*args, store=stuck, user="alice", env={"APPDECK_LOCK_TIMEOUT": "1"}, timeout=20)
        waits.append(time.monotonic() - t0)
        assert r.returncode == 7 and r.stdout == b"", r
        lines = r.stderr.decode().splitlines()
        if args[0] == "store":  # restore-backup first shows both files (current:, backup:), then the error
            assert [x.split(":")[0] for x in lines[:2]] == ["current", "backup"]
            lines = lines[2:]
        line = one_line("\n".join(lines))
        assert "busy" in line and str(stuck) in line and "1 s" in line
    r = run_cli("apps", "list", store=stuck, user="alice", env={"APPDECK_LOCK_TIMEOUT": "1"})
    assert r.returncode == 0 and b"Second" in r.stdout  # reads never wait for the lock
    assert all(1.0 <= w < 5 for w in waits), waits
    assert state(stuck) == before
    print(f"\n[stuck lock] APPDECK_LOCK_TIMEOUT=1: CLI writes exit 7 'busy' after {', '.join(f'{w:.2f}' for w in waits)} s (incl. startup); reads ok")


async def test_stuck_lock_tui_shows_busy_and_keeps_the_input(stuck: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPDECK_LOCK_TIMEOUT", "1")
    before = state(stuck)
    app = tui(stuck)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        assert isinstance(app.screen, AppFormScreen)
        await pilot.press(*"Busy", "tab", "tab", *"https://busy.example.com")
        t0 = time.monotonic()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the save waits for the lock in its worker, the keys do not
        await pilot.pause()
        waited = time.monotonic() - t0
        errors = [n for n in app.sent if n["severity"] == "error"]  # type: ignore[attr-defined]
        assert len(errors) == 1 and "busy" in errors[0]["message"], app.sent  # type: ignore[attr-defined]
        assert isinstance(app.screen, AppFormScreen)  # the input is kept for another try
    assert 1.0 <= waited < 5
    assert state(stuck) == before
    print(f"\n[stuck lock] TUI save gave up after {waited:.2f} s with: {errors[0]['message']}")
