"""Spec section 8. Issue 4 item 5: every write keeps the previous good file as `<store>.bak`; `appdeck store verify` checks the
file and its invariants; `appdeck store restore-backup` swaps the backup in after confirmation."""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli
from store import storage
from store import verify as verify_mod
from store.controller import Controller
from store.errors import StoreError
from store.storage import StoreFile
from store.verify import verify
from tui.cli import run

SPA = {"name": "Portal", "app_url": "https://portal.example.com"}


def bak(p: Path) -> Path:
    return p.with_name(p.name + ".bak")


def temp_files(p: Path) -> list[str]:
    return sorted(n for n in os.listdir(p.parent) if n.startswith(f".{p.name}.tmp-"))


def snapshot(p: Path) -> tuple[bytes, int] | None:
    return (p.read_bytes(), os.stat(p).st_mtime_ns) if p.exists() else None


def cli(capsys: pytest.CaptureFixture[str], store: Path, *args: str, user: str = "alice") -> tuple[int, str, str]:
    """tui.cli.run in-process (fast); returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = run(["--store", str(store), "--user", user, *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def full_store(store_path: Path) -> Path:
    """A store using every table: users of each role, two groups, shared apps, a registered app."""
    a = Controller(store_path, "alice")
    a.add_user("eve", "editor")
    a.add_user("vic", "viewer")
    a.add_group("g1", ["eve", "vic"])
    a.add_group("g2", ["alice"])
    a.create_app({**SPA, "name": "Org"})
    Controller(store_path, "eve").create_app({**SPA, "name": "Grp", "sharing": "groups", "groups": ["g1"]})
    a.add_registered({"name": "Wiki", "url": "https://wiki.example.com", "sharing": "groups", "groups": ["g2"]})
    return store_path


# -- the backup ------------------------------------------------------------------------------------------


def test_every_write_keeps_the_previous_file_as_bak_without_copying(store_path: Path) -> None:
    ctl = Controller(store_path, "alice")
    assert not bak(store_path).exists(), "the first write has no previous file to keep"
    os.chmod(store_path, 0o640)
    writes = 0
    for i in range(20):
        before = store_path.read_bytes()
        inode = os.stat(store_path).st_ino
        ctl.create_app({**SPA, "name": f"app{i}"}) if i % 2 == 0 else ctl.add_user(f"user{i}")
        writes += 1
        assert bak(store_path).read_bytes() == before
        assert os.stat(bak(store_path)).st_ino == inode  # the old inode itself: a hard link, not a copy
        assert stat.S_IMODE(os.stat(bak(store_path)).st_mode) == 0o640
        assert verify(bak(store_path)) == []
    assert temp_files(store_path) == []
    print(f"\n[backup] {writes} writes, each left the previous file as .bak (same inode, mode 0640), 0 copies")


def test_new_store_backup_is_0600(store_path: Path) -> None:
    old = os.umask(0)
    try:
        ctl = Controller(store_path, "alice")
        ctl.create_app(SPA)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(bak(store_path)).st_mode) == 0o600


def test_a_failed_write_leaves_store_and_backup_alone(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    ctl.create_app(SPA)
    before = snapshot(store_path), snapshot(bak(store_path))

    def full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.os, "write", full)
    with pytest.raises(StoreError, match="the disk is full"):
        ctl.create_app({**SPA, "name": "x"})
    monkeypatch.undo()
    assert (snapshot(store_path), snapshot(bak(store_path))) == before
    assert temp_files(store_path) == []


def test_a_store_that_does_not_parse_is_never_backed_up(store_path: Path) -> None:
    ctl = Controller(store_path, "alice")
    ctl.create_app(SPA)
    good_bak = snapshot(bak(store_path))
    store_path.write_bytes(b'{"meta": {"1": {"schema_version": 1}}, "users": {')
    with pytest.raises(StoreError):
        ctl.create_app({**SPA, "name": "x"})
    assert snapshot(bak(store_path)) == good_bak


def test_without_hard_links_the_write_goes_on_without_a_backup(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctl = Controller(store_path, "alice")
    ctl.create_app(SPA)
    old_bak = snapshot(bak(store_path))

    def no_links(src: Any, dst: Any, **kw: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(storage.os, "link", no_links)
    app = ctl.create_app({**SPA, "name": "second"}).app
    monkeypatch.undo()
    assert app.id in store_path.read_text()
    assert snapshot(bak(store_path)) == old_bak
    assert temp_files(store_path) == []


def test_backup_is_skipped_when_the_file_changed_behind_the_lock(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the file the transaction parsed is kept: a file swapped in unlocked between parse and write is not."""
    ctl = Controller(store_path, "alice")
    ctl.create_app(SPA)
    old_bak = snapshot(bak(store_path))
    real = StoreFile._write_atomic

    def swap_then_write(self: StoreFile, data: Any) -> None:
        store_path.write_bytes(b"hand edit that was never parsed")
        real(self, data)

    monkeypatch.setattr(StoreFile, "_write_atomic", swap_then_write)
    ctl.create_app({**SPA, "name": "x"})
    monkeypatch.undo()
    assert snapshot(bak(store_path)) == old_bak


# -- verify ------------------------------------------------------------------------------------------------


def edit(p: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(p.read_bytes())
    change(data)
    p.write_bytes(json.dumps(data).encode())


def first(data: dict[str, Any], table: str, pred: Callable[[dict[str, Any]], bool] = lambda r: True) -> dict[str, Any]:
    return next(r for r in data[table].values() if pred(r))


def _dup_app(d: dict[str, Any]) -> None:
    d["apps"]["99"] = dict(first(d, "apps"))


def _dup_client_id(d: dict[str, Any]) -> None:
    apps = list(d["apps"].values())
    apps[1]["client_id"] = apps[0]["client_id"]


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "owner-missing": (lambda d: first(d, "apps").update(owner="ghost"), "owner 'ghost' is not a user"),
    "owner-viewer": (lambda d: first(d, "apps").update(owner="vic"), "owner 'vic' is a viewer"),
    "app-group-missing": (lambda d: first(d, "apps", lambda r: r["sharing"] == "groups").update(groups=["grp_nope"]), "group 'grp_nope' does not exist"),
    "registered-group-missing": (lambda d: first(d, "registered").update(groups=["grp_gone"]), "group 'grp_gone' does not exist"),
    "groups-sharing-without-groups": (lambda d: first(d, "apps", lambda r: r["sharing"] == "groups").update(groups=[]), "shared with groups but names none"),
    "member-missing": (lambda d: first(d, "groups").update(members=["eve", "ghost"]), "member 'ghost' is not a user"),
    "client-id-duplicate": (_dup_client_id, "the client ID is also used by"),
    "client-id-short": (lambda d: first(d, "apps").update(client_id="abc"), "not 32 letters and digits"),
    "client-id-symbol": (lambda d: first(d, "apps").update(client_id="!" * 32), "not 32 letters and digits"),
    "secret-masked": (lambda d: first(d, "apps").update(client_secret="•" * 12), "not 64 URL-safe characters"),
    "version-zero": (lambda d: first(d, "apps").update(version=0), "version 0 is not a positive integer"),
    "registered-version-negative": (lambda d: first(d, "registered").update(version=-3), "version -3 is not a positive integer"),
    "app-id-duplicate": (_dup_app, "appears twice"),
    "no-admin": (lambda d: [u.update(role="editor") for u in d["users"].values()], "has no admin"),
    "login-duplicate": (lambda d: d["users"].update({"99": {"login": "eve", "role": "viewer"}}), "the login 'eve' appears twice"),
    "group-name-duplicate": (lambda d: d["groups"].update({"99": {"id": "grp_x", "name": "G1", "members": []}}), "the group name 'G1' appears twice"),
    "schema-zero": (lambda d: d["meta"]["1"].update(schema_version=0), "schema version 0"),
    "schema-newer": (lambda d: d["meta"]["1"].update(schema_version=storage.SCHEMA_VERSION + 1), "newer than this appdeck"),
    "sharing-invalid": (lambda d: first(d, "apps").update(sharing="world"), "invalid \"sharing\""),
    "app-type-invalid": (lambda d: first(d, "apps").update(app_type="native"), "invalid \"app_type\""),
    "token-auth-invalid": (lambda d: first(d, "apps").update(token_auth="psk"), "invalid \"token_auth\""),
    "record-id-not-numeric": (lambda d: d["apps"].update({"x1": d["apps"].pop(next(iter(d["apps"])))}), "record id 'x1' that is not a number"),
}


def test_a_good_store_verifies(full_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(full_store) == []
    code, out, err = cli(capsys, full_store, "store", "verify")
    assert (code, out, err) == (0, "ok\n", "")
    code, out, _ = cli(capsys, full_store, "store", "verify", "--json")
    assert code == 0 and json.loads(out) == {"store": str(full_store), "ok": True, "problems": []}


@pytest.mark.parametrize("case", list(BROKEN))
def test_verify_names_each_broken_invariant(full_store: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    change, expected = BROKEN[case]
    edit(full_store, change)
    before = snapshot(full_store)
    problems = verify(full_store)
    assert problems and any(expected in p for p in problems), problems
    code, out, err = cli(capsys, full_store, "store", "verify")
    assert code == 7 and err == ""
    assert out.splitlines() == problems  # one problem per line
    doc = json.loads(cli(capsys, full_store, "store", "verify", "--json")[1])
    assert doc["ok"] is False and doc["problems"] == problems
    assert snapshot(full_store) == before  # verify never writes


def test_verify_counts(full_store: Path) -> None:
    """Figures: how many distinct hand edits verify catches."""
    caught = 0
    original = full_store.read_bytes()
    for change, expected in BROKEN.values():
        full_store.write_bytes(original)
        edit(full_store, change)
        caught += any(expected in p for p in verify(full_store))
    print(f"\n[verify] {caught}/{len(BROKEN)} broken invariants named by `store verify`")
    assert caught == len(BROKEN)


def test_verify_never_prints_a_secret(full_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = first(json.loads(full_store.read_bytes()), "apps")["client_secret"]
    edit(full_store, lambda d: first(d, "apps").update(client_secret=secret + "!"))
    code, out, _ = cli(capsys, full_store, "store", "verify")
    assert code == 7 and "client secret" in out and secret not in out


@pytest.mark.parametrize("content", [None, b"", b"{trunc", b"[]", b'{"meta": {"1": {"schema_version": 99}}}'])
def test_verify_works_on_an_unusable_store(tmp_path: Path, content: bytes | None, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "s.json"
    if content is not None:
        p.write_bytes(content)
    code, out, err = cli(capsys, p, "store", "verify")
    assert code == 7 and err == ""
    assert len(out.splitlines()) == 1 and str(p) in out
    assert (p.read_bytes() if p.exists() else None) == content


def test_verify_through_the_real_entry_point(full_store: Path) -> None:
    r = run_cli("store", "verify", store=full_store, user="alice")
    assert r.returncode == 0 and r.stdout == b"ok\n"
    edit(full_store, lambda d: first(d, "apps").update(owner="ghost"))
    r = run_cli("store", "verify", store=full_store, user="alice")
    assert r.returncode == 7 and b"owner 'ghost'" in r.stdout


# -- restore-backup ---------------------------------------------------------------------------------------


def unaudited(raw: bytes) -> Any:
    """A store's data but its audit trail, which a restore keeps and adds to (issue 10 item 5; see
    tests/store/test_restore.py): what a restore puts back."""
    data = json.loads(raw)
    data.pop("audit", None)
    return data


def two_versions(p: Path) -> tuple[bytes, bytes]:
    """A store with a backup that differs from it: returns (store bytes, backup bytes)."""
    ctl = Controller(p, "alice")
    ctl.create_app({**SPA, "name": "kept"})
    ctl.create_app({**SPA, "name": "newest"})
    return p.read_bytes(), bak(p).read_bytes()


def test_restore_refuses_without_yes_when_stdin_is_not_a_terminal(store_path: Path) -> None:
    cur, old = two_versions(store_path)
    r = run_cli("store", "restore-backup", store=store_path, user="alice")
    assert r.returncode == 2 and b"--yes" in r.stderr
    assert str(store_path).encode() in r.stderr and b"modified" in r.stderr  # what would be swapped was shown
    assert (store_path.read_bytes(), bak(store_path).read_bytes()) == (cur, old)


def test_restore_swaps_and_running_it_again_undoes(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cur, old = two_versions(store_path)
    cur_inode = os.stat(store_path).st_ino
    code, out, err = cli(capsys, store_path, "store", "restore-backup", "--yes")
    assert code == 0, err
    assert err.count("modified") == 2  # both files described, with their mtimes
    assert (unaudited(store_path.read_bytes()), bak(store_path).read_bytes()) == (unaudited(old), cur)
    assert os.stat(bak(store_path)).st_ino == cur_inode
    assert [a.name for a in Controller(store_path, "alice").list_apps()] == ["kept"]
    assert cli(capsys, store_path, "store", "restore-backup", "--yes")[0] == 0
    assert (unaudited(store_path.read_bytes()), unaudited(bak(store_path).read_bytes())) == (unaudited(cur), unaudited(old))
    assert temp_files(store_path) == []
    assert not store_path.with_name(store_path.name + ".pre-restore").exists()


def test_restore_asks_on_a_terminal(store_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cur, old = two_versions(store_path)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty("n\n"))
    code, _, err = cli(capsys, store_path, "store", "restore-backup")
    assert code == 2 and "[y/N]" in err and "cancelled" in err
    assert store_path.read_bytes() == cur
    monkeypatch.setattr("sys.stdin", Tty("y\n"))
    assert cli(capsys, store_path, "store", "restore-backup")[0] == 0
    assert unaudited(store_path.read_bytes()) == unaudited(old)


def test_restore_without_rename_exchange(store_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Where renameat2(RENAME_EXCHANGE) is missing, link-aside + two renames do the same swap."""
    cur, old = two_versions(store_path)
    monkeypatch.setattr(verify_mod, "_exchange", lambda a, b: False)
    assert cli(capsys, store_path, "store", "restore-backup", "--yes")[0] == 0
    assert (unaudited(store_path.read_bytes()), bak(store_path).read_bytes()) == (unaudited(old), cur)
    assert not store_path.with_name(store_path.name + ".pre-restore").exists()


def test_restore_repairs_a_corrupt_store_and_keeps_it_as_the_backup(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, old = two_versions(store_path)
    store_path.write_bytes(b'{"meta": {"1": {"schema')
    assert cli(capsys, store_path, "apps", "list")[0] == 7
    code, _, err = cli(capsys, store_path, "store", "restore-backup", "--yes")
    assert code == 0, err
    assert unaudited(store_path.read_bytes()) == unaudited(old) and bak(store_path).read_bytes() == b'{"meta": {"1": {"schema'
    assert verify(store_path) == []
    assert cli(capsys, store_path, "apps", "create", "--name", "after", "--app-url", "https://after.example.com")[0] == 0


def test_restore_refuses_a_backup_that_fails_verify(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    two_versions(store_path)
    edit(bak(store_path), lambda d: first(d, "apps").update(owner="ghost"))
    before = snapshot(store_path), snapshot(bak(store_path))
    code, out, err = cli(capsys, store_path, "store", "restore-backup", "--yes")
    assert code == 7 and out == ""
    assert len(err.splitlines()) == 1 and "fails verification" in err and "owner 'ghost'" in err
    assert (snapshot(store_path), snapshot(bak(store_path))) == before


def test_restore_without_a_backup(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Controller(store_path, "alice")
    before = snapshot(store_path)
    code, _, err = cli(capsys, store_path, "store", "restore-backup", "--yes")
    assert code == 7 and "no backup" in err
    assert snapshot(store_path) == before


def test_restore_is_for_admins(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ctl = Controller(store_path, "alice")
    ctl.add_user("eve", "editor")
    ctl.create_app(SPA)
    before = snapshot(store_path), snapshot(bak(store_path))
    code, _, err = cli(capsys, store_path, "store", "restore-backup", "--yes", user="eve")
    assert code == 5 and "admin" in err
    assert (snapshot(store_path), snapshot(bak(store_path))) == before


def test_restore_waits_for_the_lock_and_gives_up_busy(store_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    two_versions(store_path)
    before = snapshot(store_path), snapshot(bak(store_path))
    monkeypatch.setenv("APPDECK_LOCK_TIMEOUT", "0.3")
    fd = os.open(f"{store_path}.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        t0 = time.monotonic()
        code, _, err = cli(capsys, store_path, "store", "restore-backup", "--yes")
        waited = time.monotonic() - t0
    finally:
        os.close(fd)
    assert code == 7 and "busy" in err and waited < 3
    assert (snapshot(store_path), snapshot(bak(store_path))) == before


def test_verify_is_for_admins_when_the_store_parses(full_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Problem lines name apps (private ones too): an editor may not list them; a parse error quotes no record."""
    code, out, err = cli(capsys, full_store, "store", "verify", user="eve")
    assert code == 5 and out == "" and "admin" in err
    full_store.write_bytes(b"{broken")
    code, out, _ = cli(capsys, full_store, "store", "verify", user="eve")
    assert code == 7 and "not valid JSON" in out
