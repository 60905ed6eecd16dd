"""Spec section 10 (and 2 for delete): an app's whole life through the real CLI in a subprocess — trash, restore,
purge, disable/enable, duplicate, transfer, credentials for the code, audit values. JSON shapes, exit codes, a
non-owner refused and a viewer refused where they may not act; refusals change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli


class R:
    def __init__(self, *args: str, store: Path, user: str = "eve", stdin: str | None = "") -> None:
        cp = run_cli(*args, store=store, user=user, stdin=stdin)
        self.code, self.out, self.err = cp.returncode, cp.stdout.decode(), cp.stderr.decode()
        assert "Traceback" not in self.err

    def json(self) -> Any:
        return json.loads(self.out)


def ok(*args: str, store: Path, user: str = "eve") -> R:
    r = R(*args, store=store, user=user)
    assert r.code == 0, (args, r.code, r.err)
    return r


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """alice admin, eve and ed editors, vic viewer; eve owns Portal (organization) with a callback list."""
    path = tmp_path / "life" / "store.json"
    path.parent.mkdir()
    ok("users", "list", store=path, user="alice")
    for login, role in (("eve", "editor"), ("ed", "editor"), ("vic", "viewer")):
        ok("users", "add", login, "--role", role, store=path, user="alice")
    ok("apps", "create", "--name", "Portal", "--app-url", "https://portal.example.com",
       "--callback-url", "https://portal.example.com/cb", store=path)
    return path


def raw(store: Path) -> dict[str, Any]:
    return json.loads(store.read_bytes())


def record(store: Path, table: str, name: str) -> dict[str, Any]:
    recs = [r for r in raw(store).get(table, {}).values() if r["name"] == name]
    assert len(recs) == 1
    return recs[0]


def test_delete_goes_to_the_trash_and_restore_brings_back_the_same_credentials(store: Path) -> None:
    """Section 10: restore brings the app back with the same id, client ID and secret (byte-identical)."""
    before = record(store, "apps", "Portal")
    r = ok("apps", "delete", "Portal", "--yes", "--json", store=store)
    assert set(r.json()) == {"deleted", "purge_at"} and r.json()["deleted"] == before["id"]
    assert ok("apps", "list", "--json", store=store).json() == []
    assert R("apps", "show", "Portal", store=store).code == 4  # a trashed app is not resolvable among live ones
    trash = ok("apps", "trash", "--json", store=store).json()
    assert [t["id"] for t in trash] == [before["id"]] and set(trash[0]) == {"id", "name", "client_id", "deleted_at", "purge_at"}
    assert ok("apps", "trash", "--json", store=store, user="alice").json() == []  # only the owner sees their trash
    assert R("apps", "restore", "Portal", store=store, user="alice").code == 4
    ok("apps", "restore", "portal", store=store)  # APP resolves among the user's trashed apps
    after = record(store, "apps", "Portal")
    for field in ("id", "client_id", "client_secret", "callback_urls", "sharing", "owner"):
        assert after[field] == before[field]
    assert after["client_secret"].encode() == before["client_secret"].encode()
    assert raw(store)["trash"] == {}


def test_purge_confirms_and_is_final(store: Path) -> None:
    """Section 2: purging is final; without a terminal and --yes it is refused (exit 2) and nothing changes."""
    ok("apps", "delete", "Portal", "--yes", store=store)
    before = store.read_bytes()
    r = R("apps", "purge", "Portal", store=store)
    assert r.code == 2 and store.read_bytes() == before
    ok("apps", "purge", "Portal", "--yes", store=store)
    assert raw(store)["trash"] == {} and ok("apps", "trash", "--json", store=store).json() == []
    assert R("apps", "restore", "Portal", store=store).code == 4


def test_disable_and_enable(store: Path) -> None:
    """Section 10: a disabled app stays listed, marked, and the checker says it accepts nothing."""
    r = ok("apps", "disable", "Portal", "--json", store=store)
    assert r.json()["enabled"] is False
    assert ok("apps", "list", "--json", store=store).json()[0]["enabled"] is False
    check = R("apps", "check-url", "Portal", "--callback", "https://portal.example.com/cb", "--json", store=store)
    assert check.code == 1 and check.json()["disabled"] is True and "disabled" in check.json()["explanation"]
    assert R("apps", "disable", "Portal", store=store).code == 5  # already disabled: not an action now
    assert R("apps", "enable", "Portal", store=store, user="ed").code == 5  # not the owner
    ok("apps", "enable", "Portal", store=store)
    assert R("apps", "check-url", "Portal", "--callback", "https://portal.example.com/cb", store=store).code == 0


def test_duplicate_copies_settings_with_new_credentials_for_the_acting_user(store: Path) -> None:
    """Section 10: anyone who may create and sees the app duplicates it; new id, credentials and owner."""
    src = record(store, "apps", "Portal")
    r = ok("apps", "duplicate", "Portal", "--name", "Portal copy", "--json", store=store, user="ed")
    copy = record(store, "apps", "Portal copy")
    assert r.json()["id"] == copy["id"] != src["id"]
    assert copy["owner"] == "ed" and copy["client_id"] != src["client_id"] and copy["client_secret"] != src["client_secret"]
    assert copy["callback_urls"] == src["callback_urls"] and copy["app_url"] == src["app_url"]
    assert "client_secret" not in r.json()
    assert R("apps", "duplicate", "Portal", "--name", "x", store=store, user="vic").code in (4, 5)  # viewers create nothing


def test_transfer_needs_an_editor_or_admin_and_hands_over_control(store: Path) -> None:
    """Section 10: the owner hands one app to another editor or admin after a confirmation."""
    before = store.read_bytes()
    assert R("apps", "transfer", "Portal", "--to", "ed", store=store).code == 2 and store.read_bytes() == before
    assert R("apps", "transfer", "Portal", "--to", "vic", "--yes", store=store).code == 3
    assert R("apps", "transfer", "Portal", "--to", "eve", "--yes", store=store, user="ed").code == 5
    assert store.read_bytes() == before
    r = ok("apps", "transfer", "Portal", "--to", "ed", "--yes", "--json", store=store)
    assert r.json()["owner"] == "ed" and record(store, "apps", "Portal")["owner"] == "ed"
    assert R("apps", "disable", "Portal", store=store).code == 5  # from then on only the new owner acts
    ok("apps", "disable", "Portal", store=store, user="ed")


def test_env_prints_the_credentials_for_the_owner_only_and_audits_a_reveal(store: Path) -> None:
    """Section 10: the `.env` snippet counts as revealing the secret and is audited as such."""
    ok("apps", "update", "Portal", "--type", "rwa", store=store)
    rec = record(store, "apps", "Portal")
    out = ok("apps", "env", "Portal", store=store).out
    lines = dict(line.split("=", 1) for line in out.splitlines())
    assert lines["APPDECK_CLIENT_ID"] == f'"{rec["client_id"]}"' and lines["APPDECK_CLIENT_SECRET"] == f'"{rec["client_secret"]}"'
    assert lines["APPDECK_CALLBACK_URLS"] == '"https://portal.example.com/cb"'
    as_json = ok("apps", "env", "Portal", "--format", "json", store=store).json()
    assert as_json["APPDECK_CLIENT_SECRET"] == rec["client_secret"]
    for who in ("alice", "ed"):
        r = R("apps", "env", "Portal", store=store, user=who)
        assert r.code == 5 and rec["client_secret"] not in r.out + r.err
    assert R("apps", "env", "Portal", store=store, user="vic").code in (4, 5)
    reveals = [e for e in ok("audit", "--json", store=store).json() if e["action"] == "reveal_secret"]
    assert len(reveals) == 2 and all(e["detail"] == "env" for e in reveals)


def test_audit_records_old_and_new_values_never_a_secret(store: Path) -> None:
    """Section 10: every change records old and new values of the changed fields; a rotation says "rotated"."""
    ok("apps", "update", "Portal", "--name", "Portal renamed", store=store)
    ok("apps", "rotate-secret", "Portal renamed", "--yes", store=store)
    secret = record(store, "apps", "Portal renamed")["client_secret"]
    entries = ok("audit", "--json", store=store).json()
    update = next(e for e in entries if e["action"] == "update")
    assert update["changes"] == {"name": {"old": "Portal", "new": "Portal renamed"}}
    rotate = next(e for e in entries if e["action"] == "rotate_secret")
    assert rotate["changes"] == {"client_secret": "rotated"}
    assert secret not in json.dumps(raw(store)["audit"])
    table = ok("audit", store=store).out
    assert 'name: "Portal" -> "Portal renamed"' in table and "client_secret: rotated" in table


def test_old_audit_entries_without_values_still_read(store: Path) -> None:
    """Section 10: entries written before audit values existed still read (no "changes" key)."""
    data = raw(store)
    for e in data["audit"].values():
        e.pop("changes", None)
        e.pop("actor_id", None)
        e.pop("app_owner_id", None)
    store.write_text(json.dumps(data))
    entries = ok("audit", "--json", store=store).json()
    assert entries and all(e["changes"] == {} for e in entries)
    assert "create" in ok("audit", store=store).out
