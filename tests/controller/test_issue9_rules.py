"""Issue 9, in process: every check made again inside the lock (the demoted-admin race), one write path that
refuses a record changed in place, and one vocabulary (spec sections 1, 2, 5, 8)."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from store import vocabulary
from store.controller import Controller
from store.errors import PermissionDeniedError
from store.storage import StoreFile

Org = dict[str, Controller]
SPA = {"name": "Portal", "app_url": "https://portal.example.com"}
_ENV_ROOT = os.environ.get("APPDECK_ROOT")
SOURCE_ROOT = Path(_ENV_ROOT).resolve() if _ENV_ROOT else Path(__file__).resolve().parents[2]


def fresh(ctl: Controller, user: str = "alice") -> Controller:
    """A new controller (own StoreFile, nothing cached) on the same store."""
    return Controller(ctl.store.path, user)


def before_the_lock(monkeypatch: pytest.MonkeyPatch, ctl: Controller, meanwhile: Callable[[], None]) -> list[int]:
    """Make `ctl`'s next change run `meanwhile` (another user's change, through its own controller) after the change
    has started and before it holds the store's lock: the deterministic form of "changed while it waited for the
    lock". Returns a list that gets one item once `meanwhile` ran."""
    real_lock = ctl.store.lock
    ran: list[int] = []

    @contextlib.contextmanager
    def lock() -> Iterator[None]:
        if not ran:
            ran.append(1)
            meanwhile()
        with real_lock():
            yield

    monkeypatch.setattr(ctl.store, "lock", lock)
    return ran


# -- h. every check again inside the lock -------------------------------------------------------------------------


ADMIN_ACTIONS: dict[str, Callable[[Controller], Any]] = {
    "add_user": lambda c: c.add_user("mallory", "admin"),
    "set_role": lambda c: c.set_role("val", "admin"),
    "remove_user": lambda c: c.remove_user("val"),
    "add_group": lambda c: c.add_group("g3"),
    "rename_group": lambda c: c.rename_group("g1", "renamed"),
    "remove_group": lambda c: c.remove_group("g1"),
    "set_members": lambda c: c.set_members("g1", add=["val"]),
    "add_registered": lambda c: c.add_registered({"name": "Status", "url": "https://status.example.com"}),
    "rename_organization": lambda c: c.rename_organization("Taken over"),
}


def test_an_admin_demoted_while_waiting_for_the_lock_cannot_add_an_admin(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spec sections 1 and 8 (every check that depends on the acting user's role is made again inside the lock, on
    the data being changed): adam starts adding the admin "mallory"; before his change holds the lock, alice demotes
    him to editor. His add is refused with PermissionDeniedError and mallory does not exist."""
    adam = org["adam"]
    ran = before_the_lock(monkeypatch, adam, lambda: fresh(adam).set_role("adam", "editor"))
    with pytest.raises(PermissionDeniedError):
        adam.add_user("mallory", "admin")
    assert ran, "the demotion ran while adam's change waited for the lock"
    users = {u["login"]: u["role"] for u in fresh(adam).list_users()}
    assert users["adam"] == "editor"
    assert "mallory" not in users


@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
def test_every_admin_action_rechecks_the_role_inside_the_lock(org: Org, monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    """Spec sections 1 and 8: users, groups, registered applications and the organization are admins' business, and
    the role is checked again inside the lock: an admin demoted while the change waited is refused, and the store
    holds exactly what the demotion left."""
    adam = org["adam"]
    after_demotion: list[bytes] = []

    def demote() -> None:
        fresh(adam).set_role("adam", "editor")
        after_demotion.append(adam.store.path.read_bytes())

    before_the_lock(monkeypatch, adam, demote)
    with pytest.raises(PermissionDeniedError):
        ADMIN_ACTIONS[action](adam)
    assert after_demotion and adam.store.path.read_bytes() == after_demotion[0]


@pytest.mark.parametrize("action", ["delete", "rotate_secret", "update"])
def test_an_owner_removed_while_waiting_for_the_lock_cannot_change_the_app(
    org: Org, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    """Spec sections 2 and 8 (membership and ownership are checked again inside the lock): eve starts a change of her
    app; before it holds the lock, alice removes eve (the app goes to ed). eve's change is refused with
    PermissionDeniedError and the app is ed's, as the removal left it."""
    eve = org["eve"]
    app = eve.create_app(SPA).app
    secret = eve.reveal_secret(app.id)
    before_the_lock(monkeypatch, eve, lambda: fresh(eve).remove_user("eve", "ed"))
    call = {
        "delete": lambda: eve.delete_app(app.id),
        "rotate_secret": lambda: eve.rotate_secret(app.id),
        "update": lambda: eve.update_app(app.id, {"name": "Mine still"}),
    }[action]
    with pytest.raises(PermissionDeniedError):
        call()
    ed = fresh(eve, "ed")
    now = ed.get_app(app.id)
    assert (now.owner, now.name) == ("ed", "Portal")
    assert ed.reveal_secret(app.id) == secret


def test_an_editor_demoted_while_waiting_for_the_lock_cannot_create(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spec sections 1, 2 and 8: only editors and admins create apps, checked again inside the lock: eve, demoted to
    viewer while her create waited, is refused and no app is created."""
    eve = org["eve"]
    before_the_lock(monkeypatch, eve, lambda: fresh(eve).set_role("eve", "viewer"))
    with pytest.raises(PermissionDeniedError):
        eve.create_app(SPA)
    assert fresh(eve).list_apps() == []


# -- i. one write path: a record changed in place is an error, not a lost write ----------------------------------


def test_putting_back_a_parsed_record_changed_in_place_is_an_error(org: Org) -> None:
    """Spec section 8 (every change is a read-modify-write that is written, never silently lost): through
    `StoreFile.transaction()`, handing `Tables.put` the parsed record itself after changing it in place raises
    ValueError (the old write path copied the old bytes for that object and dropped the change); the file is
    untouched. A new record put in its place is written."""
    path = org["eve"].store.path
    app_id = org["eve"].create_app(SPA).app.id
    before = path.read_bytes()
    store = StoreFile(path)
    with pytest.raises(ValueError):
        with store.transaction() as tables:
            key = next(k for k, r in tables.table("apps").items() if r["id"] == app_id)
            rec = tables.table("apps")[key]
            rec["name"] = "Changed in place"
            tables.put("apps", key, tables.table("apps")[key])
    assert path.read_bytes() == before
    with StoreFile(path).transaction() as tables:
        key = next(k for k, r in tables.table("apps").items() if r["id"] == app_id)
        tables.put("apps", key, {**tables.table("apps")[key], "name": "Replaced"})
    assert fresh(org["eve"], "eve").get_app(app_id).name == "Replaced"


# -- j. one vocabulary --------------------------------------------------------------------------------------------


VOCABULARY_WORDS = {
    "roles": ("admin", "editor", "viewer"),
    "sharing modes": ("private", "organization", "groups"),
    "app types": ("spa", "m2m", "rwa"),
    "token methods": ("none", "client_secret_post", "client_secret_basic"),
}


def _sequence_literal(words: tuple[str, ...]) -> re.Pattern[str]:
    """The words quoted, comma-separated, right after an opening bracket (a tuple, list, set or Literal[...]), in
    any order."""
    alternatives = []
    for perm in itertools.permutations(words):
        alternatives.append(r"\s*,\s*".join(rf"""["']{re.escape(w)}["']""" for w in perm))
    return re.compile(r"[\[({]\s*(?:" + "|".join(alternatives) + ")")


@pytest.mark.parametrize("item", sorted(VOCABULARY_WORDS))
def test_each_vocabulary_item_is_spelled_out_once_in_store_vocabulary(item: str) -> None:
    """Spec sections 1, 2 and 3 (roles, sharing modes, app types, token methods) and issue 9's "one vocabulary": the
    list of each is written as a sequence literal exactly once in store/ and tui/, in store/vocabulary.py; every other
    module imports it from there."""
    rx = _sequence_literal(VOCABULARY_WORDS[item])
    hits = []
    for package in ("store", "tui"):
        for f in sorted((SOURCE_ROOT / package).rglob("*.py")):
            text = f.read_text(encoding="utf-8")
            for m in rx.finditer(text):
                hits.append(f"{f.relative_to(SOURCE_ROOT)}:{text.count(chr(10), 0, m.start()) + 1}")
    assert len(hits) == 1 and hits[0].startswith("store/vocabulary.py:"), hits


def _literal_args(annotation: Any) -> tuple[Any, ...]:
    """The values of a Literal annotation, looking through `X | None` (None itself is left out)."""
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = [_literal_args(a) for a in typing.get_args(annotation) if a is not type(None)]
        return tuple(v for args in found for v in args)
    raise AssertionError(f"not a Literal: {annotation!r}")


def test_models_record_shapes_and_vocabulary_agree() -> None:
    """Spec sections 1, 2, 3, 6 and 8 (the fields people edit, and the store's record shapes): the pydantic input
    models hold exactly vocabulary's field lists, their Literals are vocabulary's tuples, and the record shapes that
    reads trust and `store verify` checks allow exactly those values."""
    from store import models
    from store.shape import RECORD_SHAPES

    assert set(models.AppInput.model_fields) == set(vocabulary.APP_INPUT_FIELDS)
    assert len(vocabulary.APP_INPUT_FIELDS) == len(set(vocabulary.APP_INPUT_FIELDS))
    assert set(models.RegisteredInput.model_fields) == set(vocabulary.REGISTERED_INPUT_FIELDS)
    assert len(vocabulary.REGISTERED_INPUT_FIELDS) == len(set(vocabulary.REGISTERED_INPUT_FIELDS))
    assert set(vocabulary.ADVANCED_FIELDS) <= set(vocabulary.APP_INPUT_FIELDS)

    fields = models.AppInput.model_fields
    assert _literal_args(fields["app_type"].annotation) == vocabulary.APP_TYPES
    assert _literal_args(fields["sharing"].annotation) == vocabulary.SHARING
    assert _literal_args(fields["token_auth"].annotation) == vocabulary.TOKEN_AUTHS
    assert _literal_args(models.RegisteredInput.model_fields["sharing"].annotation) == vocabulary.SHARING
    assert _literal_args(models.UserRecord.model_fields["role"].annotation) == vocabulary.ROLES

    assert RECORD_SHAPES["apps"]["sharing"][0] == vocabulary.SHARING
    assert RECORD_SHAPES["registered"]["sharing"][0] == vocabulary.SHARING
    assert RECORD_SHAPES["apps"]["app_type"][0] == vocabulary.APP_TYPES
    assert tuple(v for v in RECORD_SHAPES["apps"]["token_auth"][0] if v is not None) == vocabulary.TOKEN_AUTHS
    assert RECORD_SHAPES["users"]["role"][0] == vocabulary.ROLES
    assert set(vocabulary.APP_INPUT_FIELDS) <= set(RECORD_SHAPES["apps"])
    assert set(vocabulary.REGISTERED_INPUT_FIELDS) <= set(RECORD_SHAPES["registered"])
