"""Spec section 10 through the controller: the 30-day purge with an injected clock (no waiting), the trash seen by its
owner only, groups narrowing trashed apps, and nothing ever ownerless (trashed apps go to an inheritor too)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store.controller import Controller
from store.errors import NotFoundError, PermissionDeniedError
from store.storage import StoreFile

Org = dict[str, Controller]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t


def test_the_first_write_after_30_days_purges_what_is_due(store_path: Path) -> None:
    """Section 10: the next write after 30 days purges it; before that it stays restorable."""
    clock = Clock()
    alice = Controller(StoreFile(store_path), "alice", clock=clock)
    a = alice.create_app({"name": "Old", "app_url": "https://old.example.com"}).app
    b = alice.create_app({"name": "Newer", "app_url": "https://newer.example.com"}).app
    alice.delete_app(a.id)
    clock.t += timedelta(days=20)
    alice.delete_app(b.id)
    clock.t += timedelta(days=10) - timedelta(seconds=1)
    alice.rename_organization("Still there")  # a write before the 30 days: nothing purged
    assert {e.app.id for e in alice.list_trash()} == {a.id, b.id}
    clock.t += timedelta(seconds=1)
    assert {e.app.id for e in alice.list_trash()} == {b.id}  # due: no longer offered
    alice.rename_organization("Purge now")  # the first write after: purged, audited
    trash = StoreFile(store_path).read()["trash"]
    assert [r["id"] for r in trash.values()] == [b.id]
    purges = [e for e in alice.audit() if e.action == "purge"]
    assert [e.object_id for e in purges] == [a.id] and "30 days" in purges[0].detail
    with pytest.raises(NotFoundError):
        alice.restore_app(a.id)
    assert alice.restore_app(b.id).id == b.id


def test_only_the_owner_sees_restores_or_purges_a_trashed_app(org: Org) -> None:
    """Section 10: in the trash only its owner sees it; no one else can resolve, restore or purge it."""
    app = org["eve"].create_app({"name": "Mine", "app_url": "https://mine.example.com"}).app
    org["eve"].delete_app(app.id)
    before = org["eve"].store.path.read_bytes()
    for who in ("alice", "adam", "ed", "vic"):
        ctl = org[who]
        assert ctl.list_trash() == []
        with pytest.raises(NotFoundError):
            ctl.get_trashed("Mine")
        for act in (ctl.restore_app, ctl.purge_app):
            with pytest.raises((NotFoundError, PermissionDeniedError)):
                act(app.id)
        with pytest.raises((NotFoundError, PermissionDeniedError)):
            ctl.get_app(app.id, "applications")
    assert org["eve"].store.path.read_bytes() == before


def test_a_group_deleted_while_an_app_is_in_the_trash_narrows_it(org: Org) -> None:
    """Sections 5 and 10: deleting a group narrows trashed apps like any other; restored, it is private."""
    gid = org["alice"].get_group("g1")["id"]
    app = org["eve"].create_app({"name": "Shared", "app_url": "https://s.example.com", "sharing": "groups", "groups": [gid]}).app
    org["eve"].delete_app(app.id)
    org["alice"].remove_group("g1")
    restored = org["eve"].restore_app(app.id)
    assert restored.sharing == "private" and restored.groups == []


def test_trashed_apps_go_to_the_inheritor_too(org: Org) -> None:
    """Sections 1 and 10: nothing is ever ownerless — a removed owner's trashed apps go to the inheritor."""
    app = org["eve"].create_app({"name": "Gone soon", "app_url": "https://g.example.com"}).app
    org["eve"].delete_app(app.id)
    assert org["alice"].inheritor_needed("eve", None) == 1
    org["alice"].remove_user("eve", inherit_to="ed")
    assert [e.app.id for e in org["ed"].list_trash()] == [app.id]
    assert org["ed"].restore_app(app.id).owner == "ed"


def test_client_ids_stay_unique_with_the_trash(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """Section 2: client IDs are unique — a new app never takes the client ID of a trashed one."""
    app = org["eve"].create_app({"name": "A", "app_url": "https://a.example.com"}).app
    org["eve"].delete_app(app.id)
    ids = iter([app.client_id, "B" * 32])
    import store.controller as controller

    monkeypatch.setattr(controller, "new_client_id", lambda: next(ids))
    assert org["eve"].create_app({"name": "B", "app_url": "https://b.example.com"}).app.client_id == "B" * 32


def test_duplicate_drops_groups_that_are_gone_and_keeps_the_rest(org: Org, make_ctl: Callable[..., Controller]) -> None:
    """Section 10: every setting but name, id, credentials and owner is copied; sharing groups only if usable."""
    g1, g2 = org["alice"].get_group("g1")["id"], org["alice"].get_group("g2")["id"]
    src = org["eve"].create_app({"name": "Src", "app_url": "https://src.example.com", "sharing": "groups",
                                 "groups": [g1, g2], "advanced": True, "app_type": "rwa",
                                 "token_auth": "client_secret_basic"}).app
    copy = org["ed"].duplicate_app(src.id, "Copy").app  # ed is in g2 and sees it
    assert (copy.owner, copy.app_type, copy.token_auth, copy.groups) == ("ed", "rwa", "client_secret_basic", [g1, g2])
    with pytest.raises(NotFoundError):
        org["adam"].duplicate_app(org["eve"].create_app({"name": "P", "app_url": "https://p.example.com",
                                                          "sharing": "private"}).app.id, "X")


def test_a_copy_of_a_disabled_app_starts_enabled(org: Org) -> None:
    """Section 10: a duplicate is a new app with new credentials; it starts enabled, whatever its source's state."""
    src = org["eve"].create_app({"name": "Off", "app_url": "https://off.example.com"}).app
    org["eve"].set_enabled(src.id, False)
    assert org["ed"].duplicate_app(src.id, "On").app.enabled is True
