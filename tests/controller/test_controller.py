"""The controller: spec sections 1 (people), 2 (apps), 3 (advanced), 5 (visibility), 6 (registered), 7, 8 (audit)."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest

from store import models
from store.controller import Controller
from store.errors import ConflictError, NotFoundError, PermissionDeniedError, StoreError, ValidationError
from store.resolve import process_login
from store.vocabulary import RWA_WARNING

SPA = {"name": "Portal", "app_url": "https://portal.example.com"}
URLSAFE = set(string.ascii_letters + string.digits + "-_")
Org = dict[str, Controller]


def raw(path: Path) -> dict:
    return json.loads(path.read_bytes())


def app_of(ctl: Controller, **over) -> str:
    return ctl.create_app({**SPA, **over}).app.id


def rec(ctl: Controller, app_id: str) -> dict:
    return next(r for r in raw(ctl.store.path)["apps"].values() if r["id"] == app_id)


# == Section 1: people ==================================================================================


def test_new_users_are_viewers_by_default(org: Org) -> None:
    u = org["alice"].add_user("newbie")
    assert u["role"] == "viewer"
    assert {x["login"]: x["role"] for x in org["alice"].list_users()}["newbie"] == "viewer"


def test_add_user_with_role_and_duplicate(org: Org) -> None:
    assert org["alice"].add_user("ned", "editor", "Ned E")["role"] == "editor"
    with pytest.raises(ValidationError):
        org["alice"].add_user("ned")
    with pytest.raises(ValidationError):
        org["alice"].add_user("x", "owner")


@pytest.mark.parametrize("who", ["eve", "vic"])
def test_only_admins_manage_users(org: Org, who: str) -> None:
    ctl = org[who]
    before = ctl.store.path.read_bytes()
    for call in (lambda: ctl.add_user("zed"), lambda: ctl.set_role("val", "editor"), lambda: ctl.remove_user("val")):
        with pytest.raises(PermissionDeniedError):
            call()
    assert ctl.store.path.read_bytes() == before


def test_last_admin_cannot_be_demoted_or_removed(make_ctl: Callable[..., Controller]) -> None:
    admin = make_ctl("alice")
    admin.add_user("bob", "editor")
    before = admin.store.path.read_bytes()
    for role in ("editor", "viewer"):
        with pytest.raises(ValidationError, match="last admin"):
            admin.set_role("alice", role)
    with pytest.raises(ValidationError, match="last admin"):
        admin.remove_user("alice")
    assert admin.store.path.read_bytes() == before
    # With a second admin it is allowed.
    admin.set_role("bob", "admin")
    admin.set_role("alice", "editor")
    bob = make_ctl("bob")
    with pytest.raises(ValidationError, match="last admin"):
        bob.remove_user("bob")
    assert {u["login"]: u["role"] for u in bob.list_users()} == {"alice": "editor", "bob": "admin"}


def test_demote_or_remove_owner_without_inheritor_is_refused_naming_the_count(org: Org) -> None:
    eve = org["eve"]
    for i in range(3):
        app_of(eve, name=f"e{i}")
    before = eve.store.path.read_bytes()
    with pytest.raises(ValidationError) as info:
        org["alice"].set_role("eve", "viewer")
    assert "3 built applications" in str(info.value)
    with pytest.raises(ValidationError) as info:
        org["alice"].remove_user("eve")
    assert "3 built applications" in str(info.value)
    assert eve.store.path.read_bytes() == before


def test_one_app_count_is_singular(org: Org) -> None:
    app_of(org["eve"])
    with pytest.raises(ValidationError, match="owns 1 built application;"):
        org["alice"].set_role("eve", "viewer")


def test_demote_owner_with_inheritor_transfers_all_apps(org: Org) -> None:
    ids = [app_of(org["eve"], name=f"e{i}") for i in range(3)]
    other = app_of(org["ed"], name="ed's")
    versions = {i: rec(org["eve"], i)["version"] for i in ids}
    org["alice"].set_role("eve", "viewer", inherit_to="ed")
    data = raw(org["alice"].store.path)
    owners = {r["id"]: r["owner"] for r in data["apps"].values()}
    assert all(owners[i] == "ed" for i in ids)
    assert owners[other] == "ed"
    assert all(rec(org["ed"], i)["version"] == versions[i] + 1 for i in ids)
    assert {u["login"]: u["role"] for u in org["alice"].list_users()}["eve"] == "viewer"
    # The new owner now controls them; the old one does not.
    org["ed"].update_app(ids[0], {"description": "mine now"})
    with pytest.raises((PermissionDeniedError, NotFoundError)):
        org["eve"].update_app(ids[1], {"description": "x"})


def test_demote_to_editor_keeps_apps(org: Org) -> None:
    a = app_of(org["adam"])
    org["alice"].set_role("adam", "editor")
    assert rec(org["alice"], a)["owner"] == "adam"


def test_remove_owner_with_inheritor_transfers_and_audits(org: Org) -> None:
    ids = [app_of(org["eve"], name=f"e{i}") for i in range(2)]
    org["alice"].remove_user("eve", inherit_to="adam")
    assert all(rec(org["alice"], i)["owner"] == "adam" for i in ids)
    assert "eve" not in {u["login"] for u in org["alice"].list_users()}
    transfers = [e for e in org["alice"].audit() if e.action == "transfer"]
    assert {e.object_id for e in transfers} == set(ids)
    assert all(e.fields == ["owner"] for e in transfers)


@pytest.mark.parametrize("heir", ["vic", "eve", "nobody"])
def test_inheritor_must_be_another_admin_or_editor(org: Org, heir: str) -> None:
    app_of(org["eve"])
    before = org["eve"].store.path.read_bytes()
    with pytest.raises(ValidationError, match="inheritor"):
        org["alice"].set_role("eve", "viewer", inherit_to=heir)
    with pytest.raises(ValidationError, match="inheritor"):
        org["alice"].remove_user("eve", inherit_to=heir)
    assert org["eve"].store.path.read_bytes() == before


def test_user_owning_nothing_needs_no_inheritor(org: Org) -> None:
    org["alice"].set_role("ed", "viewer")
    org["alice"].remove_user("ed")
    assert "ed" not in {u["login"] for u in org["alice"].list_users()}


def test_nothing_is_ever_left_ownerless(org: Org) -> None:
    app_of(org["eve"])
    app_of(org["adam"])
    org["alice"].remove_user("eve", inherit_to="ed")
    org["alice"].remove_user("adam", inherit_to="alice")
    members = {u["login"] for u in org["alice"].list_users()}
    assert all(r["owner"] in members for r in raw(org["alice"].store.path)["apps"].values())


def test_removing_a_user_drops_them_from_groups(org: Org) -> None:
    org["alice"].remove_user("vic")
    groups = {g["name"]: g["members"] for g in org["alice"].list_groups()}
    assert groups["g1"] == ["eve"]
    assert all("vic" not in m for m in groups.values())


def test_unknown_user_is_not_found(org: Org) -> None:
    with pytest.raises(NotFoundError):
        org["alice"].set_role("ghost", "editor")
    with pytest.raises(NotFoundError):
        org["alice"].remove_user("ghost")


def test_groups_crud_by_admin(org: Org) -> None:
    a = org["alice"]
    g = a.add_group("ops", ["eve"])
    assert g["members"] == ["eve"]
    with pytest.raises(ValidationError, match="already exists"):
        a.add_group("OPS")
    with pytest.raises(NotFoundError):
        a.add_group("x", ["ghost"])
    a.rename_group("ops", "operations")
    a.set_members("operations", add=["ed", "vic"], remove=["eve"])
    assert {x["name"]: x["members"] for x in a.list_groups()}["operations"] == ["ed", "vic"]
    a.remove_group("operations")
    assert "operations" not in {x["name"] for x in a.list_groups()}
    with pytest.raises(NotFoundError):
        a.remove_group("operations")
    for bad in ("", "a<b", "x\x1by"):
        with pytest.raises(ValidationError):
            a.add_group(bad)


@pytest.mark.parametrize("who", ["eve", "vic"])
def test_groups_are_admin_only(org: Org, who: str) -> None:
    ctl = org[who]
    before = ctl.store.path.read_bytes()
    calls = [
        lambda: ctl.add_group("mine"),
        lambda: ctl.rename_group("g1", "x"),
        lambda: ctl.remove_group("g1"),
        lambda: ctl.set_members("g1", add=[who]),
        lambda: ctl.set_members("g1", remove=["eve"]),
        lambda: ctl.rename_organization("Mine"),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            call()
    assert ctl.store.path.read_bytes() == before
    assert {g["name"] for g in ctl.list_groups()} == {"g1", "g2"}  # listing is fine


# == Section 2: built applications ========================================================================


def test_only_editors_and_admins_create(org: Org) -> None:
    assert org["eve"].can_create() and org["alice"].can_create()
    assert not org["vic"].can_create()
    before = org["vic"].store.path.read_bytes()
    with pytest.raises(PermissionDeniedError):
        org["vic"].create_app(SPA)
    assert org["vic"].store.path.read_bytes() == before
    saved = org["eve"].create_app(SPA)
    assert saved.app.owner == "eve"
    assert org["alice"].create_app(SPA).app.owner == "alice"


def test_create_sets_system_fields(org: Org) -> None:
    app = org["eve"].create_app({**SPA, "name": "  Spaced  "}).app
    assert app.name == "Spaced"
    assert app.version == 1
    assert app.created_at == app.updated_at
    assert app.updated_by == "eve"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", app.client_id)
    assert len(app.client_secret) == 64 and set(app.client_secret) <= URLSAFE


def test_client_ids_are_unique_and_secrets_differ(org: Org) -> None:
    apps = [org["eve"].create_app({**SPA, "name": f"a{i}"}).app for i in range(25)]
    assert len({a.client_id for a in apps}) == 25
    assert len({a.client_secret for a in apps}) == 25
    assert len({a.id for a in apps}) == 25


def test_client_id_never_changes_and_rotate_changes_secret(org: Org) -> None:
    eve = org["eve"]
    app = eve.create_app(SPA).app
    eve.update_app(app.id, {"name": "Renamed", "app_url": "https://other.example.com", "sharing": "private"})
    eve.share_app(app.id, "groups", ["g1"])
    rotated = eve.rotate_secret(app.id)
    assert rotated.client_id == app.client_id
    assert rotated.client_secret != app.client_secret
    assert len(rotated.client_secret) == 64 and set(rotated.client_secret) <= URLSAFE
    assert eve.reveal_secret(app.id) == rotated.client_secret
    assert rec(eve, app.id)["client_id"] == app.client_id
    with pytest.raises(ValidationError):
        eve.update_app(app.id, {"client_id": "A" * 32})
    with pytest.raises(ValidationError):
        eve.update_app(app.id, {"client_secret": "x" * 64})
    with pytest.raises(ValidationError):
        eve.update_app(app.id, {"owner": "ed"})
    assert rec(eve, app.id)["client_id"] == app.client_id


def test_version_grows_with_every_change(org: Org) -> None:
    eve = org["eve"]
    app = eve.create_app(SPA).app
    v = [app.version]
    v.append(eve.update_app(app.id, {"description": "d"}).app.version)
    v.append(eve.share_app(app.id, "private").app.version)
    v.append(eve.rotate_secret(app.id).version)
    assert v == [1, 2, 3, 4]
    # A no-op save changes nothing.
    assert eve.update_app(app.id, {"description": "d"}).app.version == 4


ACTIONS: dict[str, Callable[[Controller, str], object]] = {
    "edit": lambda c, i: c.update_app(i, {"description": "hijack"}),
    "share": lambda c, i: c.share_app(i, "private"),
    "delete": lambda c, i: c.delete_app(i),
    "rotate": lambda c, i: c.rotate_secret(i),
    "reveal": lambda c, i: c.reveal_secret(i),
    "details-reveal": lambda c, i: c.details(c.get_app(i, "applications") if c.role == "viewer" else c.get_app(i), reveal_secret=True),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("who", ["alice", "adam", "ed", "vic"])
def test_only_the_owner_acts_admins_are_not_an_exception(org: Org, who: str, action: str) -> None:
    app_id = app_of(org["eve"])  # shared with the organization: everyone sees it
    before = org["eve"].store.path.read_bytes()
    with pytest.raises((PermissionDeniedError, NotFoundError)) as info:
        ACTIONS[action](org[who], app_id)
    if who != "vic":
        assert isinstance(info.value, PermissionDeniedError)
        assert "owner" in str(info.value)
    assert org["eve"].store.path.read_bytes() == before
    assert org[who].capabilities(org["eve"].get_app(app_id)) <= {"duplicate"}  # never an owner action


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_owner_may_act(org: Org, action: str) -> None:
    app_id = app_of(org["eve"])
    assert org["eve"].capabilities(org["eve"].get_app(app_id)) == {
        "edit", "share", "delete", "rotate_secret", "reveal_secret", "disable", "transfer", "env", "duplicate"}
    ACTIONS[action](org["eve"], app_id)


def test_non_owner_acting_on_invisible_app_gets_not_found(org: Org) -> None:
    app_id = app_of(org["eve"], sharing="private")
    with pytest.raises(NotFoundError):
        org["ed"].update_app(app_id, {"description": "x"})
    with pytest.raises(NotFoundError):
        org["alice"].reveal_secret(app_id)


def test_delete_removes_the_app(org: Org) -> None:
    eve = org["eve"]
    app_id = app_of(eve)
    eve.delete_app(app_id)
    assert eve.list_apps() == []
    with pytest.raises(NotFoundError):
        eve.delete_app(app_id)


def test_conflict_on_stale_version_names_who_and_when(org: Org) -> None:
    eve = org["eve"]
    app = eve.create_app(SPA).app
    other = org["eve"].__class__(eve.store.path, "eve")
    saved = other.update_app(app.id, {"description": "theirs"}, expected_version=app.version)
    before = eve.store.path.read_bytes()
    with pytest.raises(ConflictError) as info:
        eve.update_app(app.id, {"description": "mine"}, expected_version=app.version)
    msg = str(info.value)
    from store.controller import shown_time  # times as appdeck shows them (2026-12-01 17:53, UTC), not raw ISO

    assert "eve" in msg and shown_time(saved.app.updated_at) in msg and str(saved.app.version) in msg
    assert eve.store.path.read_bytes() == before
    for call in (
        lambda: eve.share_app(app.id, "private", expected_version=app.version),
        lambda: eve.delete_app(app.id, expected_version=app.version),
        lambda: eve.rotate_secret(app.id, expected_version=app.version),
    ):
        with pytest.raises(ConflictError):
            call()
    assert eve.store.path.read_bytes() == before
    assert eve.get_app(app.id).description == "theirs"


def test_conflict_names_another_user_after_transfer(org: Org) -> None:
    app = org["eve"].create_app(SPA).app
    org["alice"].remove_user("eve", inherit_to="ed")
    org["ed"].update_app(app.id, {"description": "by ed"})
    with pytest.raises(ConflictError, match="ed saved version 3"):
        org["ed"].update_app(app.id, {"description": "x"}, expected_version=1)


def test_current_expected_version_succeeds(org: Org) -> None:
    eve = org["eve"]
    app = eve.create_app(SPA).app
    assert eve.update_app(app.id, {"description": "x"}, expected_version=1).app.version == 2


# -- the secret never leaks ---------------------------------------------------------------------------


def test_secret_never_in_audit_errors_or_details(org: Org) -> None:
    eve = org["eve"]
    app = eve.create_app({**SPA, "advanced": True, "app_type": "rwa"}).app
    secrets_seen = [app.client_secret]
    eve.update_app(app.id, {"description": "x"})
    secrets_seen.append(eve.rotate_secret(app.id).client_secret)
    eve.reveal_secret(app.id)
    eve.share_app(app.id, "groups", ["g1"])
    messages = []
    for who in ("alice", "ed", "vic"):
        for action in ACTIONS.values():
            try:
                action(org[who], app.id)
            except Exception as exc:
                messages.append(str(exc))
    with pytest.raises(ConflictError) as info:
        eve.update_app(app.id, {"description": "y"}, expected_version=1)
    messages.append(str(info.value))
    with pytest.raises(ValidationError) as vinfo:
        eve.update_app(app.id, {"token_auth": "bogus"})
    messages.append(str(vinfo.value))
    audit_table = json.dumps(raw(eve.store.path)["audit"])
    details = json.dumps(eve.details(eve.get_app(app.id)))
    assert "client_secret" not in eve.details(eve.get_app(app.id))
    for s in secrets_seen:
        assert s not in audit_table
        assert s not in details
        assert all(s not in m for m in messages)
    assert eve.details(eve.get_app(app.id), reveal_secret=True)["client_secret"] == secrets_seen[-1]


# == Section 3 through the controller ========================================================================


def test_rwa_create_and_switch_return_a_warning(org: Org) -> None:
    eve = org["eve"]
    saved = eve.create_app({**SPA, "advanced": True, "app_type": "rwa"})
    assert saved.warnings == [RWA_WARNING]
    assert "sunset" in saved.warnings[0]
    assert eve.create_app(SPA).warnings == []
    spa = eve.create_app({**SPA, "name": "s", "advanced": True}).app
    assert eve.update_app(spa.id, {"description": "d"}).warnings == []
    switched = eve.update_app(spa.id, {"app_type": "rwa"})
    assert switched.warnings == [RWA_WARNING]
    assert eve.update_app(spa.id, {"description": "again"}).warnings == []


def test_token_auth_through_controller(org: Org) -> None:
    eve = org["eve"]
    for t in ("spa", "m2m"):
        with pytest.raises(ValidationError) as info:
            eve.create_app({**SPA, "advanced": True, "app_type": t, "token_auth": "client_secret_basic"})
        assert {e.field for e in info.value.errors} == {"token_auth"}
    app = eve.create_app({**SPA, "advanced": True, "app_type": "rwa"}).app
    assert eve.details(app)["token_auth_effective"] == "client_secret_post"
    app = eve.update_app(app.id, {"token_auth": "client_secret_basic"}).app
    assert eve.details(app)["token_auth_effective"] == "client_secret_basic"
    # Switching away from rwa drops the method (it belongs to rwa only).
    app = eve.update_app(app.id, {"app_type": "spa"}).app
    assert app.token_auth is None
    assert eve.details(app)["token_auth_effective"] == "none"
    m2m = eve.create_app({**SPA, "name": "m", "advanced": True, "app_type": "m2m"}).app
    assert eve.details(m2m)["token_auth_effective"] == "client_secret_post"


def test_switch_to_m2m_with_urls_is_refused_naming_them(org: Org) -> None:
    eve = org["eve"]
    app = eve.create_app({**SPA, "advanced": True, "callback_urls": ["https://portal.example.com/cb"]}).app
    before = eve.store.path.read_bytes()
    with pytest.raises(ValidationError) as info:
        eve.update_app(app.id, {"app_type": "m2m"})
    assert {e.field for e in info.value.errors} == {"callback_urls"}
    assert models.FIELD_LABELS["callback_urls"] in str(info.value)
    assert eve.store.path.read_bytes() == before
    m = eve.update_app(app.id, {"app_type": "m2m", "callback_urls": []}).app
    assert eve.details(m)["effective"]["callback_urls"] == []


def test_advanced_off_derives_and_turning_off_drops_advanced_values(org: Org) -> None:
    eve = org["eve"]
    app = eve.create_app(SPA).app
    eff = eve.details(app)["effective"]
    assert eff["login_url"] == eff["callback_urls"][0] == eff["logout_urls"][0] == SPA["app_url"]
    assert eff["web_origins"] == eff["cors_origins"] == ["https://portal.example.com"]
    assert eve.details(app)["type_label"] == "Single Page Application"
    adv = eve.update_app(app.id, {"advanced": True, "app_type": "rwa", "callback_urls": "https://portal.example.com/cb"}).app
    assert eve.details(adv)["effective"]["callback_urls"] == ["https://portal.example.com/cb"]
    off = eve.update_app(app.id, {"advanced": False}).app
    assert off.app_type == "spa" and off.callback_urls == [] and off.token_auth is None
    assert eve.details(off)["effective"]["callback_urls"] == [SPA["app_url"]]


def test_check_url_uses_effective_values(org: Org) -> None:
    eve = org["eve"]
    app = eve.create_app(SPA).app
    assert eve.check_url(app.id, "callback", "https://portal.example.com").allowed
    assert not eve.check_url(app.id, "callback", "https://evil.example.com").allowed
    assert eve.check_url(app.id, "cors", "https://portal.example.com").allowed
    with pytest.raises(ValidationError):
        eve.check_url(app.id, "bogus", "https://portal.example.com")


def test_unknown_group_is_a_validation_error(org: Org) -> None:
    with pytest.raises(ValidationError, match="No such group"):
        org["eve"].create_app({**SPA, "sharing": "groups", "groups": ["nope"]})
    with pytest.raises(ValidationError, match="No such group"):
        org["eve"].create_app({**SPA, "sharing": "groups", "groups": ["g\x1b1"]})


def test_groups_by_name_are_stored_as_ids(org: Org) -> None:
    app = org["eve"].create_app({**SPA, "sharing": "groups", "groups": ["G1"]}).app
    gid = {g["name"]: g["id"] for g in org["alice"].list_groups()}["g1"]
    assert app.groups == [gid]
    org["alice"].rename_group("g1", "renamed")
    assert org["vic"].list_apps("applications")[0].id == app.id
    assert org["eve"].details(org["eve"].get_app(app.id))["group_names"] == ["renamed"]


# == Section 5: who sees what ===========================================================================

# apps by owner eve: P private, O organization, G1 groups[g1] (eve, vic), G2 groups[g2] (ed, val), G12 both
# Expected visibility: who -> (developers view, applications view)
VIS = {
    "eve": ({"P", "O", "G1", "G2", "G12"}, {"P", "O", "G1", "G2", "G12"}),  # the owner always
    "alice": ({"O"}, {"O"}),  # admin, in no group
    "adam": ({"O", "G1", "G12"}, {"O", "G1", "G12"}),  # admin in g1 (added below)
    "ed": ({"O", "G2", "G12"}, {"O", "G2", "G12"}),  # editor in g2
    "vic": (None, {"O", "G1", "G12"}),  # viewer in g1: no Developers view
    "val": (None, {"O", "G2", "G12"}),  # viewer in g2
}


@pytest.fixture
def vis_apps(org: Org) -> dict[str, str]:
    org["alice"].set_members("g1", add=["adam"])
    eve = org["eve"]
    made = {
        "P": eve.create_app({**SPA, "name": "P", "sharing": "private"}).app.id,
        "O": eve.create_app({**SPA, "name": "O", "sharing": "organization"}).app.id,
        "G1": eve.create_app({**SPA, "name": "G1", "sharing": "groups", "groups": ["g1"]}).app.id,
        "G2": eve.create_app({**SPA, "name": "G2", "sharing": "groups", "groups": ["g2"]}).app.id,
        "G12": eve.create_app({**SPA, "name": "G12", "sharing": "groups", "groups": ["g1", "g2"]}).app.id,
    }
    org["alice"].set_members("g1", remove=["eve"])  # the owner sees G1 even outside the group
    return made


@pytest.mark.parametrize("who", list(VIS))
def test_visibility_table(org: Org, vis_apps: dict[str, str], who: str) -> None:
    names = {v: k for k, v in vis_apps.items()}
    dev, appsv = VIS[who]
    ctl = org[who]
    if dev is None:
        with pytest.raises(PermissionDeniedError, match="no Developers view"):
            ctl.list_apps("developers")
    else:
        assert {names[a.id] for a in ctl.list_apps("developers")} == dev
    assert {names[a.id] for a in ctl.list_apps("applications")} == appsv
    assert {names[e.id] for e in ctl.list_applications() if e.kind == "built"} == appsv
    for key, app_id in vis_apps.items():
        if dev is not None and key not in dev:
            with pytest.raises(NotFoundError):
                ctl.get_app(app_id)
        if key not in appsv:
            with pytest.raises(NotFoundError):
                ctl.get_app(app_id, "applications")


def test_viewer_has_no_developers_view(org: Org) -> None:
    app_of(org["eve"])
    with pytest.raises(PermissionDeniedError):
        org["vic"].list_apps()
    with pytest.raises(PermissionDeniedError):
        org["vic"].get_app("Portal")


def test_private_app_never_listed_to_others_even_admins(org: Org) -> None:
    app_id = app_of(org["eve"], sharing="private", name="secret-project")
    for who in ("alice", "adam", "ed", "vic", "val"):
        for view in ("developers", "applications"):
            if org[who].role == "viewer" and view == "developers":
                continue
            assert app_id not in {a.id for a in org[who].list_apps(view)}
        assert app_id not in {e.id for e in org[who].list_applications()}


def test_deleting_a_group_removes_it_and_narrows_to_private(org: Org, vis_apps: dict[str, str]) -> None:
    admin = org["alice"]
    g1 = {g["name"]: g["id"] for g in admin.list_groups()}["g1"]
    reg = admin.add_registered({"name": "Runbook", "url": "https://runbook.example.com", "sharing": "groups", "groups": ["g1"]})
    before = {k: rec(admin, v) for k, v in vis_apps.items()}
    assert admin.remove_group("g1") == 3
    after = {k: rec(admin, v) for k, v in vis_apps.items()}
    assert after["G1"]["sharing"] == "private" and after["G1"]["groups"] == []
    assert after["G1"]["version"] == before["G1"]["version"] + 1
    assert after["G12"]["sharing"] == "groups" and g1 not in after["G12"]["groups"] and len(after["G12"]["groups"]) == 1
    assert after["O"] == before["O"] and after["P"] == before["P"] and after["G2"] == before["G2"]
    reg_after = next(r for r in raw(admin.store.path)["registered"].values() if r["id"] == reg.id)
    assert reg_after["sharing"] == "private" and reg_after["groups"] == []
    # Never widened: the former g1 members lost sight of G1, nobody gained.
    assert vis_apps["G1"] not in {a.id for a in org["vic"].list_apps("applications")}
    assert vis_apps["G1"] not in {a.id for a in org["adam"].list_apps()}
    assert reg.id not in {e.id for e in org["vic"].list_applications()}
    assert reg.id not in {e.id for e in org["eve"].list_applications()}
    unshares = [e for e in admin.audit() if e.action == "unshare"]
    assert {e.object_id for e in unshares} == {vis_apps["G1"], vis_apps["G12"], reg.id}


# == Section 6: registered applications ===================================================================


@pytest.mark.parametrize("who", ["eve", "vic"])
def test_only_admins_manage_registered_apps(org: Org, who: str) -> None:
    reg = org["alice"].add_registered({"name": "Status", "url": "https://status.example.com"})
    before = org["alice"].store.path.read_bytes()
    ctl = org[who]
    for call in (
        lambda: ctl.list_registered(),
        lambda: ctl.add_registered({"name": "x", "url": "https://x.example.com"}),
        lambda: ctl.update_registered(reg.id, {"pinned": True}),
        lambda: ctl.remove_registered(reg.id),
    ):
        with pytest.raises(PermissionDeniedError):
            call()
    assert ctl.store.path.read_bytes() == before


def test_registered_crud_and_no_credentials(org: Org) -> None:
    a = org["alice"]
    reg = a.add_registered({"name": "Status", "url": "https://status.example.com", "description": "s"})
    assert not hasattr(reg, "client_secret") and not hasattr(reg, "client_id")
    up = a.update_registered(reg.id, {"pinned": True, "name": "Status page"})
    assert up.pinned and up.name == "Status page" and up.version == 2
    assert a.update_registered("Status page", {"sharing": "groups", "groups": ["g2"]}).groups
    with pytest.raises(ValidationError):
        a.add_registered({"name": "bad", "url": "status.example.com"})
    with pytest.raises(ValidationError):
        a.add_registered({"name": "bad", "url": "https://x.example.com", "sharing": "groups"})
    a.remove_registered(reg.id)
    assert a.list_registered() == []
    with pytest.raises(NotFoundError):
        a.remove_registered(reg.id)
    rec_json = json.dumps(raw(a.store.path)["registered"])
    assert "secret" not in rec_json


def test_applications_view_lists_built_and_registered_pinned_first(org: Org) -> None:
    a = org["alice"]
    a.add_registered({"name": "Zeta pinned", "url": "https://zeta.example.com", "pinned": True})
    a.add_registered({"name": "Alpha", "url": "https://alpha.example.com"})
    a.add_registered({"name": "G2 only", "url": "https://g2.example.com", "sharing": "groups", "groups": ["g2"]})
    a.add_registered({"name": "Hidden", "url": "https://hidden.example.com", "sharing": "private"})
    org["eve"].create_app({**SPA, "name": "Beta"})
    org["eve"].create_app({**SPA, "name": "Private one", "sharing": "private"})
    entries = org["vic"].list_applications()
    assert [e.name for e in entries] == ["Zeta pinned", "Alpha", "Beta"]
    assert [e.kind for e in entries] == ["registered", "registered", "built"]
    assert entries[0].pinned and entries[0].url == "https://zeta.example.com"
    assert entries[2].url == SPA["app_url"]
    assert [e.name for e in org["val"].list_applications()] == ["Zeta pinned", "Alpha", "Beta", "G2 only"]
    assert "Private one" in [e.name for e in org["eve"].list_applications()]
    for who in ("eve", "ed", "vic", "val"):
        assert "Hidden" not in [e.name for e in org[who].list_applications()]


# == Section 7: identity and bootstrap ======================================================================


def test_non_member_is_refused_naming_the_command_and_nothing_changes(org: Org) -> None:
    path = org["alice"].store.path
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(PermissionDeniedError) as info:
        Controller(path, "mallory")
    assert "appdeck users add mallory" in str(info.value)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_default_user_is_the_process_login(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "someone-else")
    monkeypatch.setenv("USER", "someone-else")
    ctl = Controller(store_path)
    assert ctl.user == process_login() != "someone-else"
    assert ctl.role == "admin"


def test_bootstrap_refuses_an_invalid_user_name(store_path: Path) -> None:
    with pytest.raises(ValidationError):
        Controller(store_path, "bad name\x1b")
    assert not store_path.exists()


def test_removed_user_loses_access(org: Org) -> None:
    org["alice"].remove_user("val")
    with pytest.raises(PermissionDeniedError):
        org["val"].list_apps("applications")
    with pytest.raises(PermissionDeniedError, match="appdeck users add val"):
        Controller(org["alice"].store.path, "val")


def test_demoted_user_loses_rights_at_once(org: Org) -> None:
    eve = org["eve"]
    org["alice"].set_role("eve", "viewer")
    with pytest.raises(PermissionDeniedError):
        eve.create_app(SPA)


def test_readonly_controller_changes_nothing(org: Org) -> None:
    path = org["alice"].store.path
    ro = Controller(path, "alice", readonly=True)
    before = path.read_bytes()
    assert not ro.can_create()
    for call in (lambda: ro.create_app(SPA), lambda: ro.add_user("x"), lambda: ro.add_group("x")):
        with pytest.raises(PermissionDeniedError):
            call()
    assert path.read_bytes() == before
    with pytest.raises(StoreError):
        Controller(path.with_name("missing.json"), "alice", readonly=True)


# == Section 8: audit trail ==============================================================================


def test_audit_entry_for_every_change_with_field_names(org: Org) -> None:
    a, eve = org["alice"], org["eve"]
    n0 = len(raw(a.store.path)["audit"])
    app = eve.create_app({**SPA, "description": "d"}).app
    eve.update_app(app.id, {"description": "e", "name": "Portal 2"})
    eve.share_app(app.id, "groups", ["g1"])
    eve.rotate_secret(app.id)
    eve.reveal_secret(app.id)
    a.add_user("zed", "editor")
    a.set_role("zed", "viewer")
    a.add_group("ops")
    a.rename_group("ops", "ops2")
    a.set_members("ops2", add=["zed"])
    reg = a.add_registered({"name": "R", "url": "https://r.example.com"})
    a.update_registered(reg.id, {"pinned": True})
    a.remove_registered(reg.id)
    a.remove_group("ops2")
    a.remove_user("zed")
    a.rename_organization("Acme")
    eve.delete_app(app.id)
    entries = list(reversed(a.audit()))[n0:]
    got = [(e.actor, e.action, e.object_type, e.fields) for e in entries]
    assert got[0][:3] == ("eve", "create", "app") and {"name", "app_url", "description"} <= set(got[0][3])
    assert got[1] == ("eve", "update", "app", ["description", "name"])
    assert got[2] == ("eve", "update", "app", ["groups", "sharing"])
    assert got[3] == ("eve", "rotate_secret", "app", ["client_secret"])
    assert got[4][:3] == ("eve", "reveal_secret", "app")
    assert [g[1:3] for g in got[5:]] == [
        ("add", "user"),
        ("set_role", "user"),
        ("add", "group"),
        ("rename", "group"),
        ("update", "group"),
        ("create", "registered"),
        ("update", "registered"),
        ("remove", "registered"),
        ("remove", "group"),
        ("remove", "user"),
        ("rename", "organization"),
        ("delete", "app"),
    ]
    assert got[11][3] == ["pinned"]
    assert all(e.at and e.object_id for e in entries)


def test_audit_visibility_admin_all_owner_own_apps(org: Org) -> None:
    eve_app = app_of(org["eve"], name="eve-app")
    ed_app = app_of(org["ed"], name="ed-app")
    org["alice"].add_group("ops")
    eve_entries = org["eve"].audit()
    assert {e.object_id for e in eve_entries} == {eve_app}
    assert {e.object_id for e in org["ed"].audit()} == {ed_app}
    assert org["vic"].audit() == []
    admin_ids = {e.object_id for e in org["alice"].audit()}
    assert {eve_app, ed_app} <= admin_ids
    assert any(e.object_type == "group" for e in org["alice"].audit())
    assert [e.object_id for e in org["alice"].audit(eve_app)] == [eve_app]


def test_failed_actions_write_no_audit(org: Org) -> None:
    app_id = app_of(org["eve"])
    n = len(raw(org["eve"].store.path)["audit"])
    for who in ("alice", "ed"):
        for action in ACTIONS.values():
            with pytest.raises((PermissionDeniedError, NotFoundError)):
                action(org[who], app_id)
    assert len(raw(org["eve"].store.path)["audit"]) == n


# == Section 9 through the controller ========================================================================


@pytest.mark.parametrize("ch", ["\x1b", "\x07", "\x9b", "\x7f"])
def test_control_characters_rejected_everywhere_through_the_controller(org: Org, ch: str) -> None:
    a, eve = org["alice"], org["eve"]
    app = eve.create_app(SPA).app
    reg = a.add_registered({"name": "R", "url": "https://r.example.com"})
    before = a.store.path.read_bytes()
    calls = [
        lambda: eve.create_app({**SPA, "name": f"x{ch}"}),
        lambda: eve.create_app({**SPA, "description": f"x{ch}"}),
        lambda: eve.update_app(app.id, {"name": f"x{ch}"}),
        lambda: eve.update_app(app.id, {"description": f"{ch}[31m"}),
        lambda: eve.update_app(app.id, {"app_url": f"https://a.example.com/{ch}"}),
        lambda: eve.update_app(app.id, {"advanced": True, "callback_urls": [f"https://a.example.com/{ch}"]}),
        lambda: a.add_user(f"u{ch}"),
        lambda: a.add_user("u2", "viewer", f"U{ch}"),
        lambda: a.add_group(f"g{ch}"),
        lambda: a.rename_group("g1", f"g{ch}"),
        lambda: a.rename_organization(f"O{ch}"),
        lambda: a.add_registered({"name": f"R{ch}", "url": "https://r.example.com"}),
        lambda: a.update_registered(reg.id, {"description": f"R{ch}"}),
    ]
    for call in calls:
        with pytest.raises(ValidationError):
            call()
    assert a.store.path.read_bytes() == before


# == Demo data (issue 2, item 7) =============================================================================


@pytest.mark.parametrize("user", ["alice", "dev-ana", "maria"])
def test_demo_store(tmp_path: Path, user: str) -> None:
    from store.demo import create_demo

    path = tmp_path / "demo.json"
    admin = create_demo(path, user)
    users = {u["login"]: u for u in admin.list_users()}
    assert users[user]["role"] == "admin"
    assert {u["role"] for u in users.values()} == {"admin", "editor", "viewer"}
    assert sum(u["role"] == "viewer" for u in users.values()) >= 2
    assert len(admin.list_groups()) >= 2
    apps = list(raw(path)["apps"].values())
    assert len(apps) >= 12
    assert {a["app_type"] for a in apps} == {"spa", "m2m", "rwa"}
    assert {a["sharing"] for a in apps} == {"private", "organization", "groups"}
    assert sum(a["owner"] == user for a in apps) >= 1
    assert all(users[a["owner"]]["role"] in ("admin", "editor") for a in apps)
    assert admin.list_registered()
    assert any(r.pinned for r in admin.list_registered())
    # Every stored app passes today's rules.
    for a in apps:
        models.validate_app_input({k: a[k] for k in models.AppInput.model_fields if k in a and a[k] is not None})
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("content", [None, b"{broken"])
def test_demo_refuses_an_existing_store(tmp_path: Path, content: bytes | None) -> None:
    from store.demo import create_demo

    path = tmp_path / "demo.json"
    if content is None:
        Controller(path, "alice").create_app(SPA)
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="already exists"):
        create_demo(path, "alice")
    assert path.read_bytes() == before


@pytest.mark.parametrize("name,word", [("x" * 65, "64"), ("", "required"), ("a<b", "< or >"), ("O\x1bx", "control")])
def test_organization_name_errors_name_the_organization(org: Org, name: str, word: str) -> None:
    with pytest.raises(ValidationError) as info:
        org["alice"].rename_organization(name)
    assert [e.field for e in info.value.errors] == ["organization"]
    assert str(info.value).startswith("Organization name") and word in str(info.value)
    org["alice"].rename_organization("  Acme Robotics  ")
    assert org["vic"].organization == "Acme Robotics"
