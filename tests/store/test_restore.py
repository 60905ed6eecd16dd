"""Spec section 8, restore bullet and audit trail (issue 10 item 5): `appdeck store restore-backup` lists what it
would undo (the apps changed since the backup, with their owners and what changed, never a secret) before it asks,
writes an audit entry for the restore that the owners of those apps see, and has `--json`. Through the real entry
point in a subprocess, as an admin would run it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli
from store.controller import Controller
from store.errors import ConflictError
from store.storage import StoreFile
from store.verify import verify

SPA = {"name": "Portal", "app_url": "https://portal.example.com"}


def bak(p: Path) -> Path:
    return p.with_name(p.name + ".bak")


def state(p: Path) -> Any:
    """Bytes and mtime of the store and its backup, and the directory listing: what "nothing changed" means."""
    def one(f: Path) -> Any:
        return (f.read_bytes(), os.stat(f).st_mtime_ns) if f.exists() else None
    return one(p), one(bak(p)), sorted(os.listdir(p.parent))


def secrets_of(p: Path) -> set[str]:
    return {a["client_secret"] for a in json.loads(p.read_bytes())["apps"].values()}


class Org:
    """alice (admin); eve and ed (editors). eve owns Rotated, Gone and Wide (shared with the organization)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.alice = Controller(path, "alice")
        self.alice.add_user("eve", "editor")
        self.alice.add_user("ed", "editor")
        self.eve = Controller(path, "eve")
        self.rotated = self.eve.create_app({**SPA, "name": "Rotated"}).app
        self.gone = self.eve.create_app({**SPA, "name": "Gone"}).app
        self.wide = self.eve.create_app({**SPA, "name": "Wide", "sharing": "organization"}).app

    def owner_actions(self) -> None:
        """What only eve may do: rotate a secret, delete an app, narrow an app's sharing."""
        self.eve.rotate_secret(self.rotated.id)
        self.eve.delete_app(self.gone.id)
        self.eve.share_app(self.wide.id, "private")


@pytest.fixture
def org(store_path: Path) -> Org:
    return Org(store_path)


@pytest.fixture
def undone(org: Org) -> Org:
    """The owner's three actions made after the backup was taken (an older copy of the store, put back as
    `<store>.bak`, as an admin restoring from last night's copy would)."""
    snapshot = org.path.with_name("snapshot")
    shutil.copy2(org.path, snapshot)
    org.owner_actions()
    os.replace(snapshot, bak(org.path))
    return org


def _restore(store: Path, *extra: str, user: str = "alice") -> Any:
    return run_cli("store", "restore-backup", *extra, store=store, user=user)


def test_the_list_names_a_rotated_secret_a_deleted_app_and_widened_sharing_before_asking(undone: Org) -> None:
    before = state(undone.path)
    r = _restore(undone.path)  # no terminal, no --yes: it lists, then refuses
    assert r.returncode == 2 and r.stdout == b""
    err = r.stderr.decode()
    listing = {line.split(" ")[2].strip(): line for line in err.splitlines() if line.startswith("  app_")}
    assert set(listing) == {undone.rotated.id, undone.gone.id, undone.wide.id}, err
    assert "secret rotated" in listing[undone.rotated.id] and "previous secret works again" in listing[undone.rotated.id]
    assert "deleted since the backup" in listing[undone.gone.id] and "brings it back" in listing[undone.gone.id]
    assert "widens it from private to organization" in listing[undone.wide.id]
    assert all("(owner eve)" in line for line in listing.values())
    assert err.index("  app_") < err.index("--yes")  # listed before the refusal (and before any question)
    for secret in secrets_of(undone.path) | secrets_of(bak(undone.path)):
        assert secret not in err
    assert state(undone.path) == before  # nothing changed


@pytest.mark.parametrize("action", ["rotate", "delete", "narrow"])
def test_each_owner_action_is_listed_after_one_write(org: Org, action: str) -> None:
    """With the backup every write keeps (the file before the last change), the one change is what is listed."""
    {"rotate": lambda: org.eve.rotate_secret(org.rotated.id), "delete": lambda: org.eve.delete_app(org.gone.id),
     "narrow": lambda: org.eve.share_app(org.wide.id, "private")}[action]()
    r = _restore(org.path, "--json")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    assert doc["restored"] is False
    [app] = doc["apps"]
    expected = {"rotate": (org.rotated.id, "changed"), "delete": (org.gone.id, "deleted"),
                "narrow": (org.wide.id, "changed")}[action]
    assert (app["id"], app["change"]) == expected and app["owner"] == "eve"
    assert app["secret_rotated"] is (action == "rotate")
    assert (app["sharing"] or {}).get("widens", False) is (action == "narrow")


def test_the_owner_sees_the_restore_in_their_audit_trail(undone: Org) -> None:
    r = _restore(undone.path, "--yes")
    assert r.returncode == 0, r.stderr
    r = run_cli("audit", "--json", store=undone.path, user="eve")
    assert r.returncode == 0, r.stderr
    restores = [e for e in json.loads(r.stdout) if e["action"] == "restore_backup"]
    assert {e["object_id"] for e in restores} == {undone.rotated.id, undone.gone.id, undone.wide.id}
    assert all(e["actor"] == "alice" and e["object_type"] == "app" and e["app_owner"] == "eve" for e in restores)
    rotated = next(e for e in restores if e["object_id"] == undone.rotated.id)
    assert "client_secret" in rotated["fields"] and "rotated" in rotated["detail"]
    # ed owns none of them: he sees none of it; the admin sees the restore itself too.
    r = run_cli("audit", "--json", store=undone.path, user="ed")
    assert not [e for e in json.loads(r.stdout) if e["action"] == "restore_backup"]
    r = run_cli("audit", "--json", store=undone.path, user="alice")
    [whole] = [e for e in json.loads(r.stdout) if e["action"] == "restore_backup" and e["object_type"] == "store"]
    assert whole["object_name"] == str(undone.path) and "undid what changed since the backup in 3 apps" in whole["detail"]
    # The entries the owner wrote since the backup stay in the trail: a restore never shortens it.
    r = run_cli("audit", "--json", store=undone.path, user="eve")
    assert {"rotate_secret", "delete", "update"} <= {e["action"] for e in json.loads(r.stdout)}


def test_an_app_created_since_the_backup_is_listed_and_its_owner_sees_its_removal(org: Org) -> None:
    """An app that only the current file holds: after the restore it is gone, yet its owner is told why."""
    new = org.eve.create_app({**SPA, "name": "Newest"}).app
    r = _restore(org.path, "--yes")
    assert r.returncode == 0 and "created since the backup: the restore removes it" in r.stderr.decode()
    entries = json.loads(run_cli("audit", "--json", "--app", new.id, store=org.path, user="eve").stdout)
    assert [e["action"] for e in entries][0] == "restore_backup"


def test_the_restore_puts_the_old_state_back_and_running_it_again_undoes_it(undone: Org) -> None:
    old_secret = json.loads(bak(undone.path).read_bytes())["apps"]
    r = _restore(undone.path, "--yes")
    assert r.returncode == 0, r.stderr
    apps = {a.id: a for a in Controller(undone.path, "alice").list_apps()}
    assert undone.gone.id in apps and apps[undone.wide.id].sharing == "organization"
    assert secrets_of(undone.path) == {a["client_secret"] for a in old_secret.values()}
    assert verify(undone.path) == [] and verify(bak(undone.path)) == []
    assert not [n for n in os.listdir(undone.path.parent) if ".tmp-" in n or n.endswith(".pre-restore")]
    r = _restore(undone.path, "--yes")  # undo: the owner's changes are back, the trail holds both restores
    assert r.returncode == 0, r.stderr
    assert undone.gone.id not in {a.id for a in Controller(undone.path, "alice").list_apps()}
    trail = json.loads(run_cli("audit", "--json", store=undone.path, user="alice").stdout)
    assert sum(1 for e in trail if e["action"] == "restore_backup" and e["object_type"] == "store") == 2


def test_json_is_one_document_describing_the_plan_and_the_result(undone: Org) -> None:
    r = _restore(undone.path, "--yes", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)  # stdout holds the document and nothing else; the listing went to stderr
    assert set(doc) == {"store", "backup", "compared", "not_compared_because", "apps", "other_changes",
                        "audit_entries_kept", "restored", "audit_entries_written"}
    assert doc["restored"] is True and doc["compared"] is True and doc["audit_entries_written"] == 4
    assert doc["store"] == str(undone.path) and doc["backup"] == str(bak(undone.path))
    assert doc["audit_entries_kept"] == 3
    by_id = {a["id"]: a for a in doc["apps"]}
    assert set(by_id[undone.rotated.id]) == {"id", "name", "owner", "owner_after_restore", "change", "fields",
                                             "secret_rotated", "sharing", "summary"}
    assert by_id[undone.rotated.id]["secret_rotated"] is True and "client_secret" in by_id[undone.rotated.id]["fields"]
    assert by_id[undone.gone.id]["change"] == "deleted"
    assert by_id[undone.wide.id]["sharing"] == {"now": "private", "after_restore": "organization", "widens": True}
    assert "  app_" in r.stderr.decode()
    for secret in secrets_of(undone.path) | secrets_of(bak(undone.path)):
        assert secret.encode() not in r.stdout + r.stderr


def test_no_terminal_and_no_yes_is_exit_2_and_nothing_changes(undone: Org) -> None:
    before = state(undone.path)
    for extra in ((), ("--json",)):
        r = _restore(undone.path, *extra)
        assert r.returncode == 2 and b"--yes" in r.stderr
        assert (json.loads(r.stdout)["restored"] is False) if extra else r.stdout == b""
        assert state(undone.path) == before


def test_restore_stays_for_admins(undone: Org) -> None:
    before = state(undone.path)
    r = _restore(undone.path, "--yes", "--json", user="eve")
    assert r.returncode == 5 and b"admin" in r.stderr and r.stdout == b""
    assert state(undone.path) == before


def test_a_store_that_changed_after_the_list_was_shown_is_a_conflict(undone: Org) -> None:
    """What the admin confirmed is what is restored: a write between the list and the answer refuses the restore."""
    from store.verify import restore_backup, restore_plan  # imported here: the other tests also run on older code

    store = StoreFile(undone.path)
    plan = restore_plan(store)
    undone.eve.create_app({**SPA, "name": "meanwhile"})
    before = state(undone.path)
    with pytest.raises(ConflictError, match="changed since the list"):
        restore_backup(store, "alice", expected=plan)
    assert state(undone.path) == before


def test_a_store_that_does_not_parse_is_restored_and_the_restore_audited(undone: Org) -> None:
    undone.path.write_bytes(b'{"meta": {"1": {"schema')
    r = _restore(undone.path, "--yes", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["compared"] is False and "not valid JSON" in doc["not_compared_because"] and doc["apps"] == []
    assert "cannot be compared with the backup" in r.stderr.decode()
    trail = json.loads(run_cli("audit", "--json", store=undone.path, user="alice").stdout)
    assert trail[0]["action"] == "restore_backup" and trail[0]["object_type"] == "store"


def test_without_hard_links_the_restore_still_works_and_is_audited(undone: Org, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Where the file system refuses hard links (the store's own backups are then skipped), the audited copy of
    the backup is written by copying it, with the backup's mode."""
    import errno

    from tui.cli import run

    os.chmod(bak(undone.path), 0o640)

    def no_links(src: Any, dst: Any, **kw: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    assert run(["--store", str(undone.path), "--user", "alice", "store", "restore-backup", "--yes"]) == 0, capsys.readouterr()
    monkeypatch.undo()
    assert oct(os.stat(undone.path).st_mode & 0o777) == oct(0o640)
    assert undone.gone.id in {a.id for a in Controller(undone.path, "alice").list_apps()}
    trail = Controller(undone.path, "eve").audit()
    assert {e.object_id for e in trail if e.action == "restore_backup"} == {undone.rotated.id, undone.gone.id, undone.wide.id}
    assert not [n for n in os.listdir(undone.path.parent) if ".tmp-" in n]


def test_the_trash_counts_as_where_an_app_is(org: Org) -> None:
    """Spec section 10's trash: an app deleted to the trash since the backup comes back in use; one restored from
    the trash since goes back there; each is listed as such."""
    org.eve.delete_app(org.gone.id)
    r = _restore(org.path, "--yes", "--json")
    assert r.returncode == 0, r.stderr
    [app] = json.loads(r.stdout)["apps"]
    assert app["change"] == "deleted" and "brings it back" in app["summary"]
    assert org.gone.id in {a.id for a in Controller(org.path, "eve").list_apps()}
    eve = Controller(org.path, "eve")
    eve.delete_app(org.gone.id)
    eve.restore_app(org.gone.id)
    [app] = json.loads(_restore(org.path, "--yes", "--json").stdout)["apps"]
    assert app["change"] == "undeleted" and "puts it back in the trash" in app["summary"]


def test_audit_values_of_a_restore_never_hold_a_secret(undone: Org) -> None:
    """The restore's entries record what changed back (section 10, audit values), a rotation as "rotated"."""
    secrets = secrets_of(undone.path) | secrets_of(bak(undone.path))
    assert _restore(undone.path, "--yes").returncode == 0
    raw = json.loads(undone.path.read_bytes())["audit"]
    entries = [e for e in raw.values() if e["action"] == "restore_backup" and e["object_type"] == "app"]
    rotated = next(e for e in entries if e["object_id"] == undone.rotated.id)
    if "changes" in rotated:  # where the audit keeps values
        assert rotated["changes"]["client_secret"] == "rotated"
        wide = next(e for e in entries if e["object_id"] == undone.wide.id)
        assert wide["changes"]["sharing"] == {"old": "private", "new": "organization"}
    text = json.dumps(raw)
    assert not any(s in text for s in secrets)
    out = run_cli("audit", "--json", store=undone.path, user="eve").stdout.decode()
    assert not any(s in out for s in secrets)
