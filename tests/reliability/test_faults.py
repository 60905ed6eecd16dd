"""Spec section 8. Issue 4 items 2 and 3: a writer killed with SIGKILL at any instant, and ENOSPC/EIO at each step of the write path.

A crash leaves the old or the new file (never a broken one) holding every acknowledged write, and the next write
sweeps the temp files; a failed write leaves the previous file intact, says why (CLI exit 7 with one line on
stderr, a TUI error notification) and leaves no temp file.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from store import storage
from store.controller import Controller
from store.errors import StoreError
from store.verify import verify
from tui.cli import run
from tui.screens.app_form import AppFormScreen
from tui_helpers import SIZE, demo_path, make_app, tui_config  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
SPA = {"name": "Portal", "app_url": "https://portal.example.com"}


def temp_files(p: Path) -> list[str]:
    return sorted(n for n in os.listdir(p.parent) if n.startswith(f".{p.name}.tmp-"))


def bak(p: Path) -> Path:
    return p.with_name(p.name + ".bak")


def snapshot(p: Path) -> tuple[bytes, int] | None:
    return (p.read_bytes(), os.stat(p).st_mtime_ns) if p.exists() else None


# -- crash at any instant -----------------------------------------------------------------------------------

WRITER = r"""
import sys
from store.controller import Controller

ctl = Controller(sys.argv[1], "alice")
mine = []
print("ready", flush=True)
i = 0
while True:
    i += 1
    if mine and i % 3 == 0:
        app_id = mine[i % len(mine)]
        ctl.update_app(app_id, {"description": f"n={i}"})
        sys.stdout.write(f"U {app_id} {i}\n")
    else:
        app = ctl.create_app({"name": f"crash {i}", "app_url": "https://crash.example.com"}).app
        mine.append(app.id)
        sys.stdout.write(f"C {app.id}\n")
    sys.stdout.flush()  # one write(2) of a short line to a pipe: it is all there or not at all
"""


def test_sigkill_at_a_random_moment_never_loses_an_acknowledged_write(store_path: Path) -> None:
    """>= 50 trials: a writer subprocess acknowledges each create/update on stdout after the call returns and is
    killed with SIGKILL 0-150 ms after it is ready. Each time the store verifies, holds every acknowledged create
    and at least every acknowledged update, its backup verifies, and the next write succeeds and sweeps temp files."""
    seed = int(os.environ.get("APPDECK_FAULT_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    trials = int(os.environ.get("APPDECK_CRASH_TRIALS") or 60)
    Controller(store_path, "alice")
    acked_creates: set[str] = set()
    acked_updates: dict[str, int] = {}  # app id -> the highest acknowledged n of description "n=<n>"
    corrupt = mid_write = temp_seen = 0
    t0 = time.monotonic()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for _ in range(trials):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store_path)], stdout=subprocess.PIPE, env=env, cwd=ROOT)
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0, 0.150))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        for line in out.decode().split("\n")[:-1]:  # only complete lines were acknowledged
            kind, app_id, *rest = line.split()
            if kind == "C":
                acked_creates.add(app_id)
            else:
                acked_updates[app_id] = max(acked_updates.get(app_id, 0), int(rest[0]))
        leftovers = temp_files(store_path)
        temp_seen += len(leftovers)
        mid_write += bool(leftovers)
        problems = verify(store_path)
        corrupt += bool(problems)
        assert problems == [], problems
        data = json.loads(store_path.read_bytes())
        stored = {r["id"]: r for r in data.get("apps", {}).values()}
        assert acked_creates <= stored.keys(), f"lost: {acked_creates - stored.keys()} (seed {seed})"
        for app_id, n in acked_updates.items():
            assert int(stored[app_id]["description"].removeprefix("n=")) >= n, f"update lost on {app_id} (seed {seed})"
        if bak(store_path).exists():
            assert verify(bak(store_path)) == []
        nxt = Controller(store_path, "alice").create_app({**SPA, "name": "after the crash"}).app  # fresh controller
        acked_creates.add(nxt.id)
        assert temp_files(store_path) == []
    elapsed = time.monotonic() - t0
    print(
        f"\n[crash] seed {seed}: {trials} SIGKILL trials in {elapsed:.1f} s; {len(acked_creates)} acknowledged creates "
        f"and {len(acked_updates)} acknowledged updates checked, 0 lost; {mid_write} kills left a temp file "
        f"({temp_seen} swept by the next write); corrupt files: {corrupt}"
    )
    assert trials >= 50 and corrupt == 0


# -- ENOSPC / EIO injected at each step ----------------------------------------------------------------------

WRAPPED = ("open", "write", "fsync", "close", "fchmod", "link", "replace")


class FaultyOs:
    """Stands in for `os` inside store.storage: everything is the real module, but the functions of the write
    path are counted per name, and the call chosen by `fail` (name, k-th call) or `when(name, args)` raises OSError(err)
    while armed. Open descriptors are tracked so a failure can be told apart by the file it hits."""

    def __init__(self, store: Path, err: int = errno.ENOSPC, fail: tuple[str, int] | None = None, when: Any = None) -> None:
        self.store, self.err, self.fail, self.when = store, err, fail, when
        self.armed = False
        self.counts: Counter[str] = Counter()
        self.fds: dict[int, str] = {}
        self.fired: tuple[str, tuple[Any, ...]] | None = None

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if name not in WRAPPED:
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.armed:
                self.counts[name] += 1
                hit = self.fail == (name, self.counts[name]) if self.fail else bool(self.when and self.when(self, name, args))
                if hit and self.fired is None:
                    self.fired = (name, args)
                    if name == "close":
                        real(*args)  # Linux frees the descriptor even when close(2) reports an error
                    raise OSError(self.err, os.strerror(self.err))
            result = real(*args, **kwargs)
            if name == "open":
                self.fds[result] = str(args[0])
            return result

        return call

    def target(self, args: tuple[Any, ...]) -> str:
        """What a call works on: a path, or the path a descriptor was opened on."""
        first = args[0]
        return self.fds.get(first, "?") if isinstance(first, int) else str(first)

    def critical(self) -> bool:
        """Would this failure lose the write (so it must be reported), or is the step best-effort?"""
        assert self.fired is not None
        name, args = self.fired
        what = self.target(args)
        if name in ("write", "fchmod"):
            return True
        if name == "replace":
            return str(args[1]) == str(self.store)
        if name in ("open", "fsync", "close"):
            return ".tmp-" in what or (name == "open" and what.endswith(".lock"))
        return False  # link: the backup is skipped


def install(monkeypatch: pytest.MonkeyPatch, fake: FaultyOs) -> FaultyOs:
    monkeypatch.setattr(storage, "os", fake)
    return fake


def test_probe_lists_the_write_path(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The calls one write makes (what the injection test walks through)."""
    Controller(store_path, "alice").create_app(SPA)
    ctl = Controller(store_path, "alice")
    fake = install(monkeypatch, FaultyOs(store_path))
    fake.armed = True
    ctl.create_app({**SPA, "name": "probe"})
    assert {"write", "fsync", "replace", "link", "open"} <= set(fake.counts)
    assert fake.counts["replace"] == 2 and fake.counts["fsync"] == 2
    print(f"\n[write path] one write calls: {dict(sorted(fake.counts.items()))}")


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EIO], ids=["ENOSPC", "EIO"])
def test_error_at_each_step_of_the_write_path(store_path: Path, monkeypatch: pytest.MonkeyPatch, err: int) -> None:
    """Every call of open/write/fsync/close/fchmod/link/replace in a write fails in turn. A failure that would lose
    the write is a StoreError naming the file and the reason, with the store and its backup byte-for-byte intact;
    a failure in a best-effort step (backup link, directory fsync) still stores the change. Never a temp file."""
    Controller(store_path, "alice").create_app(SPA)
    probe = install(monkeypatch, FaultyOs(store_path))
    probe.armed = True
    Controller(store_path, "alice").create_app({**SPA, "name": "probe"})
    monkeypatch.undo()
    reason = "the disk is full" if err == errno.ENOSPC else "input/output error"
    points = refused = completed = 0
    for name in WRAPPED:
        for k in range(1, probe.counts[name] + 1):
            ctl = Controller(store_path, "alice")
            before = snapshot(store_path), snapshot(bak(store_path))
            fake = install(monkeypatch, FaultyOs(store_path, err, fail=(name, k)))
            fake.armed = True
            try:
                saved = ctl.create_app({**SPA, "name": f"{name}-{k}"})
            except StoreError as exc:
                saved = None
                message = str(exc)
            finally:
                monkeypatch.undo()
            points += 1
            assert fake.fired is not None, (name, k)
            where = f"{name} #{k} on {fake.target(fake.fired[1])}"
            assert temp_files(store_path) == [], where
            if fake.critical():
                assert saved is None, f"{where}: the write should have failed"
                assert str(store_path) in message and reason in message, message
                assert "unchanged" in message or "nothing was changed" in message, message
                assert (snapshot(store_path), snapshot(bak(store_path))) == before, where
                refused += 1
            else:
                assert saved is not None, f"{where}: a best-effort step must not fail the write"
                assert saved.app.id in store_path.read_text()
                completed += 1
            assert verify(store_path) == []
    Controller(store_path, "alice").create_app({**SPA, "name": "after"})  # and the store still takes writes
    assert temp_files(store_path) == []
    print(f"\n[{errno.errorcode[err]}] {points} injection points: {refused} refused with the file intact, "
          f"{completed} best-effort steps failed and the write still landed; temp files left: 0")


def test_short_writes_are_completed(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.write may write less than asked (a signal, a nearly full disk): the loop finishes the file."""
    ctl = Controller(store_path, "alice")
    real_write = os.write
    chunks = Counter[str]()

    class Short(FaultyOs):
        def __getattr__(self, name: str) -> Any:
            if name == "write":
                def write(fd: int, data: Any) -> int:
                    chunks["calls"] += 1
                    return real_write(fd, bytes(data[:97]))
                return write
            return getattr(os, name)

    install(monkeypatch, Short(store_path))
    for i in range(5):
        ctl.create_app({**SPA, "name": f"short {i}"})
    monkeypatch.undo()
    assert verify(store_path) == [] and len(Controller(store_path, "alice").list_apps()) == 5
    print(f"\n[short writes] 5 writes in {chunks['calls']} write(2) calls of <= 97 bytes; file verifies")


def fail_store_step(step: str) -> Any:
    """A `when` predicate failing the step of the write that matters: tmp write, tmp fsync, the replace onto the store."""
    def when(fake: FaultyOs, name: str, args: tuple[Any, ...]) -> bool:
        if name != step:
            return False
        if step == "replace":
            return str(args[1]) == str(fake.store)
        return ".tmp-" in fake.target(args)
    return when


@pytest.mark.parametrize("step,err", [("write", errno.ENOSPC), ("fsync", errno.EIO), ("replace", errno.ENOSPC), ("replace", errno.EIO)])
def test_cli_exit_7_one_line(store_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], step: str, err: int) -> None:
    """tui.cli.run in-process with storage's os patched: exit 7, one line on stderr, nothing on stdout, file intact."""
    Controller(store_path, "alice").create_app(SPA)
    before = snapshot(store_path), snapshot(bak(store_path))
    fake = install(monkeypatch, FaultyOs(store_path, err, when=fail_store_step(step)))
    fake.armed = True
    capsys.readouterr()
    code = run(["--store", str(store_path), "--user", "alice", "apps", "create", "--name", "x", "--app-url", "https://x.example.com"])
    out, errtext = capsys.readouterr()
    monkeypatch.undo()
    assert fake.fired is not None
    assert code == 7 and out == ""
    lines = errtext.splitlines()
    assert len(lines) == 1 and lines[0].startswith("appdeck: Cannot write the store") and str(store_path) in lines[0]
    assert ("the disk is full" if err == errno.ENOSPC else "input/output error") in lines[0]
    assert (snapshot(store_path), snapshot(bak(store_path))) == before
    assert temp_files(store_path) == []


CLI_WRAPPER = r"""
import errno, os, sys
import store.storage as s

class FaultyOs:
    def __getattr__(self, name):
        real = getattr(os, name)
        if name != sys.argv[1]:
            return real
        def fail(*args, **kwargs):
            raise OSError(getattr(errno, sys.argv[2]), os.strerror(getattr(errno, sys.argv[2])))
        return fail

s.os = FaultyOs()
from tui.cli import run
sys.exit(run(sys.argv[3:]))
"""


@pytest.mark.parametrize("step,err", [("write", "ENOSPC"), ("fsync", "EIO")])
def test_cli_subprocess_with_a_failing_os(store_path: Path, step: str, err: str) -> None:
    """The real interpreter and entry point, with store.storage's os wrapped before the CLI runs."""
    Controller(store_path, "alice").create_app(SPA)
    before = snapshot(store_path)
    r = subprocess.run(
        [sys.executable, "-c", CLI_WRAPPER, step, err, "--store", str(store_path), "--user", "alice",
         "apps", "create", "--name", "x", "--app-url", "https://x.example.com"],
        capture_output=True, cwd=ROOT, timeout=60,
    )
    assert r.returncode == 7 and r.stdout == b""
    assert len(r.stderr.splitlines()) == 1 and str(store_path).encode() in r.stderr
    assert (b"the disk is full" if err == "ENOSPC" else b"input/output error") in r.stderr
    assert snapshot(store_path) == before and temp_files(store_path) == []


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Any:
    """A 256 KiB tmpfs: a real full disk. Needs mount privileges (root in the CI container); skipped elsewhere."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip() or r.returncode}); the injected ENOSPC tests cover this")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(directory: Path) -> Path:
    """Write a file until the file system is full; returns it (delete it to free the space)."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as fh:
        block = b"\0" * 4096
        while True:
            try:
                fh.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
        with pytest.raises(OSError):  # top off the last partial block
            while True:
                fh.write(b"\0")
    return filler


def test_a_real_full_disk(tiny_fs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tiny_fs / "store.json"
    ctl = Controller(store, "alice")
    for i in range(5):
        ctl.create_app({**SPA, "name": f"before {i}"})
    before = snapshot(store), snapshot(bak(store))
    filler = fill(tiny_fs)
    with pytest.raises(StoreError) as info:
        ctl.create_app({**SPA, "name": "no room"})
    assert "the disk is full" in str(info.value) and str(store) in str(info.value)
    r = subprocess.run([sys.executable, "-m", "tui", "--store", str(store), "--user", "alice", "users", "add", "bob"],
                       capture_output=True, cwd=ROOT, timeout=60)
    assert r.returncode == 7 and len(r.stderr.splitlines()) == 1 and b"the disk is full" in r.stderr
    assert (snapshot(store), snapshot(bak(store))) == before
    assert temp_files(store) == []
    assert len(Controller(store, "alice").list_apps()) == 5  # reads still work
    filler.unlink()
    ctl.create_app({**SPA, "name": "room again"})
    assert verify(store) == [] and temp_files(store) == []
    print("\n[real ENOSPC] 256 KiB tmpfs filled: API and CLI refused (exit 7, one line), file intact; write ok once freed")


# -- the TUI ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("step,err", [("write", errno.ENOSPC), ("fsync", errno.EIO), ("replace", errno.ENOSPC)])
async def test_tui_save_failure_is_an_error_notification(demo_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, err: int) -> None:
    """A save in the form hits the failure: an error notification names the store and the reason, the form and its
    input stay, the store is unchanged; once the fault is gone the same ctrl+s saves."""
    before = snapshot(demo_path)
    app = make_app(demo_path, "root")
    fake = install(monkeypatch, FaultyOs(demo_path, err, when=fail_store_step(step)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, AppFormScreen)
        await pilot.press(*"Disk Test")
        await pilot.press("tab", "tab", *"https://disk.example.com")
        fake.armed = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        fake.armed = False
        assert fake.fired is not None
        errors = [n for n in app.sent if n["severity"] == "error"]  # type: ignore[attr-defined]
        assert len(errors) == 1, app.sent  # type: ignore[attr-defined]
        reason = "the disk is full" if err == errno.ENOSPC else "input/output error"
        assert reason in errors[0]["message"] and str(demo_path) in errors[0]["message"]
        assert isinstance(app.screen, AppFormScreen)
        assert snapshot(demo_path) == before and temp_files(demo_path) == []
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, AppFormScreen)
    assert "Disk Test" in demo_path.read_text()
