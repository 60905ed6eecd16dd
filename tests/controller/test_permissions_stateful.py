"""Hypothesis stateful test: random users, roles, groups, sharing and actions through the Controller and
through the CLI in-process (both front ends' shared controller), checked against a small reference model of spec
sections 1, 2, 5 and 10 (who may do what, who sees what; trash, restore, purge, disable, enable, duplicate and
transfer: a trashed app is never listed or resolvable for anyone but its owner, a non-owner never changes anything,
nothing is ever ownerless)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from store.controller import Controller
from store.errors import NotFoundError, PermissionDeniedError, ValidationError
from tui import cli

ROOT = "root"
POOL = ["u0", "u1", "u2", "u3", "u4", "u5"]
GROUP_POOL = ["g0", "g1", "g2"]
ROLES = ["admin", "editor", "viewer"]
ACTIONS = ["edit", "share", "delete", "rotate", "reveal", "disable", "enable", "transfer"]
CLI_ACTIONS = ["edit", "share", "delete", "rotate", "reveal", "disable", "enable"]
SHARINGS = ["private", "organization", "groups"]


class PermissionMachine(RuleBasedStateMachine):
    """The reference model: users {login: role}, groups {name: members}, apps {id: {owner, sharing, groups}}."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="appdeck-stateful-"))
        self.path = self.dir / "store.json"
        self.ctls: dict[str, Controller] = {ROOT: Controller(self.path, ROOT)}
        self.users: dict[str, str] = {ROOT: "admin"}
        self.groups: dict[str, set[str]] = {}
        self.apps: dict[str, dict] = {}
        self.trash: dict[str, dict] = {}  # deleted apps: {id: {owner, sharing, groups, enabled}}
        self.counter = 0

    def teardown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------------------

    def ctl(self, login: str) -> Controller:
        if login not in self.ctls:
            self.ctls[login] = Controller(self.path, login)
        return self.ctls[login]

    def raw(self) -> bytes:
        return self.path.read_bytes()

    def gid(self, name: str) -> str:
        return next(g["id"] for g in self.ctl(ROOT).list_groups() if g["name"] == name)

    def sees(self, login: str, app: dict, view: str) -> bool:
        if app["owner"] == login:
            return True
        if view == "developers" and self.users[login] == "viewer":
            return False
        if app["sharing"] == "organization":
            return True
        if app["sharing"] == "groups":
            return any(login in self.groups[g] for g in app["groups"])
        return False

    def draw_sharing(self, data: st.DataObject) -> tuple[str, list[str]]:
        sharing = data.draw(st.sampled_from(SHARINGS if self.groups else SHARINGS[:2]), label="sharing")
        if sharing != "groups":
            return sharing, []
        groups = data.draw(st.lists(st.sampled_from(list(self.groups)), min_size=1, max_size=2, unique=True), label="groups")
        return sharing, groups

    def owned_by(self, login: str) -> list[str]:
        """Apps and trashed apps: a user who goes needs an inheritor for both (nothing is ever ownerless)."""
        return [i for i, a in (*self.apps.items(), *self.trash.items()) if a["owner"] == login]

    def model_of(self, app_id: str) -> dict:
        return self.apps.get(app_id) or self.trash[app_id]

    def allowed(self, actor: str, model: dict, action: str, heir: str | None = None) -> bool:
        """The owner acts; disable only an enabled app, enable only a disabled one; transfer to another creator."""
        if actor != model["owner"]:
            return False
        if action == "disable":
            return model["enabled"]
        if action == "enable":
            return not model["enabled"]
        if action == "transfer":
            return heir is not None and heir != actor and self.users.get(heir) in ("admin", "editor")
        return True

    # -- people and groups (always by the root admin) -------------------------------------------------------

    @initialize(roles=st.lists(st.sampled_from(ROLES), min_size=2, max_size=4), members=st.sets(st.sampled_from(POOL[:4])))
    def seed(self, roles: list[str], members: set[str]) -> None:
        """Start every example with a few members of random roles and one group, so actions meet people early."""
        for login, role in zip(POOL, roles):
            self.ctl(ROOT).add_user(login, role)
            self.users[login] = role
        self.ctl(ROOT).add_group("g0", sorted(m for m in members if m in self.users))
        self.groups["g0"] = {m for m in members if m in self.users}

    @rule(data=st.data(), login=st.sampled_from(POOL), role=st.sampled_from(ROLES))
    def add_user(self, data: st.DataObject, login: str, role: str) -> None:
        if login in self.users:
            try:
                self.ctl(ROOT).add_user(login, role)
            except ValidationError:
                return
            raise AssertionError("a duplicate member was added")
        self.ctl(ROOT).add_user(login, role)
        self.users[login] = role

    @precondition(lambda self: len(self.users) > 1)
    @rule(data=st.data(), role=st.sampled_from(ROLES), with_heir=st.booleans())
    def set_role(self, data: st.DataObject, role: str, with_heir: bool) -> None:
        login = data.draw(st.sampled_from(sorted(u for u in self.users if u != ROOT)), label="login")
        heir = data.draw(st.sampled_from(sorted(self.users)), label="heir") if with_heir else None
        owned = self.owned_by(login)
        needs_heir = role == "viewer" and self.users[login] != "viewer" and owned
        heir_ok = heir is not None and heir != login and self.users.get(heir) in ("admin", "editor")
        before = self.raw()
        try:
            self.ctl(ROOT).set_role(login, role, heir)
        except ValidationError as exc:
            assert needs_heir and not heir_ok, exc
            assert f"{len(owned)} built application" in str(exc) or "inheritor" in str(exc)
            assert self.raw() == before
            return
        assert not (needs_heir and not heir_ok)
        if needs_heir:
            for i in owned:
                self.model_of(i)["owner"] = heir
        self.users[login] = role

    @precondition(lambda self: len(self.users) > 1)
    @rule(data=st.data(), with_heir=st.booleans())
    def remove_user(self, data: st.DataObject, with_heir: bool) -> None:
        login = data.draw(st.sampled_from(sorted(u for u in self.users if u != ROOT)), label="login")
        heir = data.draw(st.sampled_from(sorted(self.users)), label="heir") if with_heir else None
        owned = self.owned_by(login)
        heir_ok = heir is not None and heir != login and self.users.get(heir) in ("admin", "editor")
        before = self.raw()
        try:
            self.ctl(ROOT).remove_user(login, heir)
        except ValidationError:
            assert owned and not heir_ok
            assert self.raw() == before
            return
        assert not owned or heir_ok
        for i in owned:
            self.model_of(i)["owner"] = heir
        del self.users[login]
        for members in self.groups.values():
            members.discard(login)

    @rule(name=st.sampled_from(GROUP_POOL))
    def add_group(self, name: str) -> None:
        if name in self.groups:
            return
        self.ctl(ROOT).add_group(name)
        self.groups[name] = set()

    @precondition(lambda self: bool(self.groups))
    @rule(data=st.data(), add=st.booleans())
    def change_members(self, data: st.DataObject, add: bool) -> None:
        group = data.draw(st.sampled_from(list(self.groups)), label="group")
        login = data.draw(st.sampled_from(sorted(self.users)), label="member")
        if add:
            self.ctl(ROOT).set_members(group, add=[login])
            self.groups[group].add(login)
        else:
            self.ctl(ROOT).set_members(group, remove=[login])
            self.groups[group].discard(login)

    @precondition(lambda self: bool(self.groups))
    @rule(data=st.data())
    def remove_group(self, data: st.DataObject) -> None:
        group = data.draw(st.sampled_from(list(self.groups)), label="group")
        self.ctl(ROOT).remove_group(group)
        del self.groups[group]
        for app in (*self.apps.values(), *self.trash.values()):  # trashed apps are narrowed like any other
            if group in app["groups"]:
                app["groups"].remove(group)
                if not app["groups"]:
                    app["sharing"] = "private"  # narrowed, never widened

    @precondition(lambda self: len(self.users) > 1)
    @rule(data=st.data())
    def non_admin_cannot_manage_people(self, data: st.DataObject) -> None:
        actor = data.draw(st.sampled_from(sorted(u for u in self.users if self.users[u] != "admin") or [ROOT]), label="actor")
        if self.users[actor] == "admin":
            return
        before = self.raw()
        ctl = self.ctl(actor)
        for call in (lambda: ctl.add_user("zz"), lambda: ctl.add_group("gz"), lambda: ctl.set_role(ROOT, "viewer"),
                     lambda: ctl.remove_user(ROOT), lambda: ctl.add_registered({"name": "r", "url": "https://r.example.com"})):
            try:
                call()
            except PermissionDeniedError:
                continue
            raise AssertionError(f"{actor} ({self.users[actor]}) managed people or registered apps")
        assert self.raw() == before

    # -- built applications -------------------------------------------------------------------------------

    @rule(data=st.data())
    def create_app(self, data: st.DataObject) -> None:
        actor = data.draw(st.sampled_from(sorted(self.users)), label="actor")
        sharing, groups = self.draw_sharing(data)
        self.counter += 1
        draft = {"name": f"app{self.counter}", "app_url": "https://app.example.com", "sharing": sharing, "groups": groups}
        before = self.raw()
        may = self.users[actor] in ("admin", "editor")
        try:
            app = self.ctl(actor).create_app(draft).app
        except PermissionDeniedError:
            assert not may, f"{actor} ({self.users[actor]}) was refused creating"
            assert self.raw() == before
            return
        assert may, f"viewer {actor} created an app"
        assert app.owner == actor
        self.apps[app.id] = {"owner": actor, "sharing": sharing, "groups": list(groups), "enabled": True}

    @precondition(lambda self: bool(self.apps))
    @rule(data=st.data())
    def duplicate_app(self, data: st.DataObject) -> None:
        """Anyone who may create and sees the app in the Developers view duplicates it, as its new owner."""
        app_id = data.draw(st.sampled_from(list(self.apps)), label="app")
        actor = data.draw(st.sampled_from(sorted(self.users)), label="actor")
        model = self.apps[app_id]
        may = self.users[actor] in ("admin", "editor") and self.sees(actor, model, "developers")
        before = self.raw()
        self.counter += 1
        try:
            copy = self.ctl(actor).duplicate_app(app_id, f"copy{self.counter}").app
        except (PermissionDeniedError, NotFoundError):
            assert not may, f"{actor} ({self.users[actor]}) may duplicate {app_id}"
            assert self.raw() == before
            return
        assert may and copy.owner == actor and copy.id != app_id
        # A copy is a new app: it starts enabled, whatever the state of the one it was copied from.
        self.apps[copy.id] = {"owner": actor, "sharing": model["sharing"], "groups": list(model["groups"]), "enabled": True}

    @precondition(lambda self: bool(self.trash))
    @rule(data=st.data(), restore=st.booleans())
    def restore_or_purge(self, data: st.DataObject, restore: bool) -> None:
        """Only the owner restores or purges a trashed app; restored, it is exactly as it was."""
        app_id = data.draw(st.sampled_from(list(self.trash)), label="trashed")
        actor = data.draw(st.sampled_from(sorted(self.users)), label="actor")
        model = self.trash[app_id]
        before = self.raw()
        before_rec = next(r for r in json.loads(before)["trash"].values() if r["id"] == app_id)
        ctl = self.ctl(actor)
        try:
            if restore:
                ctl.restore_app(app_id)
            else:
                ctl.purge_app(app_id)
        except (PermissionDeniedError, NotFoundError):
            assert actor != model["owner"], f"the owner {actor} could not {'restore' if restore else 'purge'}"
            assert self.raw() == before
            return
        assert actor == model["owner"], f"{actor} touched {model['owner']}'s trash"
        del self.trash[app_id]
        if restore:
            self.apps[app_id] = model
            back = next(r for r in json.loads(self.raw())["apps"].values() if r["id"] == app_id)
            assert (back["client_id"], back["client_secret"]) == (before_rec["client_id"], before_rec["client_secret"])

    @precondition(lambda self: bool(self.apps))
    @rule(data=st.data(), action=st.sampled_from(ACTIONS))
    def act(self, data: st.DataObject, action: str) -> None:
        app_id = data.draw(st.sampled_from(list(self.apps)), label="app")
        actor = data.draw(st.sampled_from(sorted(self.users)), label="actor")
        model = self.apps[app_id]
        ctl = self.ctl(actor)
        before = self.raw()
        before_rec = next(r for r in json.loads(before).get("apps", {}).values() if r["id"] == app_id)
        sharing, groups = self.draw_sharing(data) if action == "share" else ("", [])
        heir = data.draw(st.sampled_from(sorted(self.users)), label="heir") if action == "transfer" else None
        try:
            if action == "disable":
                result = ctl.set_enabled(app_id, False)
            elif action == "enable":
                result = ctl.set_enabled(app_id, True)
            elif action == "transfer":
                assert heir is not None
                result = ctl.transfer_app(app_id, heir)
            elif action == "edit":
                result = ctl.update_app(app_id, {"description": f"edited by {actor}"})
            elif action == "share":
                result = ctl.share_app(app_id, sharing, groups)
            elif action == "delete":
                result = ctl.delete_app(app_id)
            elif action == "rotate":
                result = ctl.rotate_secret(app_id)
            else:
                result = ctl.reveal_secret(app_id)
        except (PermissionDeniedError, NotFoundError, ValidationError) as exc:
            assert not self.allowed(actor, model, action, heir), f"the owner {actor} was refused {action}: {exc}"
            assert not isinstance(exc, NotFoundError) or not self.sees(actor, model, "developers"), (
                f"{actor} sees {app_id} but got not-found"
            )
            assert not isinstance(exc, ValidationError) or action == "transfer"
            assert self.raw() == before, "a refused action changed the store"
            return
        assert self.allowed(actor, model, action, heir), f"{actor} ({self.users[actor]}) could {action} {app_id}"
        after = json.loads(self.raw()).get("apps", {})
        after_rec = next((r for r in after.values() if r["id"] == app_id), None)
        if action == "delete":
            assert after_rec is None
            self.trash[app_id] = self.apps.pop(app_id)
            return
        if action in ("disable", "enable"):
            model["enabled"] = action == "enable"
            assert after_rec is not None and after_rec["enabled"] is model["enabled"]
            return
        if action == "transfer":
            model["owner"] = heir
            return
        assert after_rec is not None and after_rec["client_id"] == before_rec["client_id"]
        if action == "reveal":
            assert result == before_rec["client_secret"]
            assert {k: v for k, v in after_rec.items()} == before_rec
        elif action == "rotate":
            assert after_rec["client_secret"] != before_rec["client_secret"]
            assert after_rec["version"] == before_rec["version"] + 1
        elif action == "share":
            model["sharing"], model["groups"] = sharing, list(groups)
        else:
            assert after_rec["description"] == f"edited by {actor}"

    @precondition(lambda self: bool(self.apps))
    @rule(data=st.data(), action=st.sampled_from(CLI_ACTIONS))
    def act_via_cli(self, data: st.DataObject, action: str) -> None:
        """The same who-may-do-what through the CLI in-process: exit 0 allowed, 4 (not visible) or 5 (refused)."""
        app_id = data.draw(st.sampled_from(list(self.apps)), label="app")
        actor = data.draw(st.sampled_from(sorted(self.users)), label="actor")
        model = self.apps[app_id]
        sharing, groups = self.draw_sharing(data) if action == "share" else ("", [])
        argv = {
            "edit": ["update", app_id, f"--description=cli edit by {actor}"],
            "share": ["share", app_id, *(["--private"] if sharing == "private" else ["--organization"] if sharing == "organization"
                                         else [f"--group={g}" for g in groups])],
            "delete": ["delete", app_id, "--yes"],
            "rotate": ["rotate-secret", app_id, "--yes"],
            "reveal": ["show", app_id, "--reveal-secret", "--json"],
            "disable": ["disable", app_id],
            "enable": ["enable", app_id],
        }[action]
        before = self.raw()
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.run(["--store", str(self.path), "--user", actor, "apps", *argv])
        if self.allowed(actor, model, action):
            want = 0
        elif actor == model["owner"]:
            want = 5  # disable a disabled app, enable an enabled one: not an action now
        elif self.users[actor] == "viewer" or self.sees(actor, model, "developers"):
            want = 5  # a viewer has no Developers view; an editor or admin who sees it is not the owner
        else:
            want = 4  # not visible: not found, and nothing said about it
        assert code == want, f"{actor} ({self.users[actor]}) {action} {app_id} of {model['owner']} via the CLI: exit {code}, want {want}: {err.getvalue()}"
        if code != 0:
            assert self.raw() == before, "a refused CLI action changed the store"
            return
        after = {r["id"]: r for r in json.loads(self.raw()).get("apps", {}).values()}
        before_rec = next(r for r in json.loads(before)["apps"].values() if r["id"] == app_id)
        if action == "delete":
            assert app_id not in after
            self.trash[app_id] = self.apps.pop(app_id)
        elif action in ("disable", "enable"):
            model["enabled"] = action == "enable"
        elif action == "share":
            model["sharing"], model["groups"] = sharing, list(groups)
        elif action == "rotate":
            assert after[app_id]["client_secret"] != before_rec["client_secret"]
        elif action == "reveal":
            assert json.loads(out.getvalue())["client_secret"] == before_rec["client_secret"]
        else:
            assert after[app_id]["description"] == f"cli edit by {actor}"

    # -- invariants ------------------------------------------------------------------------------------------

    @invariant()
    def store_matches_model(self) -> None:
        data = json.loads(self.raw())
        gid_to_name = {g["id"]: g["name"] for g in data.get("groups", {}).values()}
        stored = {r["id"]: r for r in data.get("apps", {}).values()}
        trashed = {r["id"]: r for r in data.get("trash", {}).values()}
        assert set(stored) == set(self.apps) and set(trashed) == set(self.trash)
        for i, rec in (*stored.items(), *trashed.items()):
            model = self.model_of(i)
            assert rec["owner"] == model["owner"]
            assert rec["sharing"] == model["sharing"]
            assert sorted(gid_to_name[g] for g in rec["groups"]) == sorted(model["groups"])
            assert rec.get("enabled", True) is model["enabled"]
            assert self.users[rec["owner"]] in ("admin", "editor"), "an app is owned by a viewer or nobody"
        assert {u["login"]: u["role"] for u in data["users"].values()} == self.users
        assert {g["name"]: set(g["members"]) for g in data.get("groups", {}).values()} == self.groups

    @invariant()
    def visibility_matches_model(self) -> None:
        for login, role in self.users.items():
            ctl = self.ctl(login)
            expect_apps = {i for i, a in self.apps.items() if self.sees(login, a, "applications")}
            assert {a.id for a in ctl.list_apps("applications")} == expect_apps, login
            assert {e.id for e in ctl.list_applications() if e.kind == "built"} == expect_apps, login
            if role == "viewer":
                try:
                    ctl.list_apps("developers")
                except PermissionDeniedError:
                    pass
                else:
                    raise AssertionError(f"viewer {login} has a Developers view")
            else:
                expect_dev = {i for i, a in self.apps.items() if self.sees(login, a, "developers")}
                assert {a.id for a in ctl.list_apps("developers")} == expect_dev, login
            # A private app is never listed to anyone but its owner.
            for i, a in self.apps.items():
                if a["sharing"] == "private" and a["owner"] != login:
                    assert i not in expect_apps

    @invariant()
    def trash_is_the_owners_alone(self) -> None:
        """A trashed app is never listed or resolvable for anyone but its owner."""
        for login in self.users:
            ctl = self.ctl(login)
            assert {e.app.id for e in ctl.list_trash()} == {i for i, a in self.trash.items() if a["owner"] == login}
            for i, a in self.trash.items():
                try:
                    ctl.get_trashed(i)
                except NotFoundError:
                    assert a["owner"] != login
                else:
                    assert a["owner"] == login

    @invariant()
    def permissions_hint_matches_ownership(self) -> None:
        for login in self.users:
            if self.users[login] == "viewer":
                continue
            ctl = self.ctl(login)
            for app in ctl.list_apps("developers"):
                assert bool(ctl.capabilities(app) - {"duplicate"}) == (app.owner == login)  # any creator duplicates


PermissionMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestPermissions = PermissionMachine.TestCase
