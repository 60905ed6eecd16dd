"""Issue 9, "What we saw", through the real `appdeck` entry point: one test (or a few) per defect, stdin never a
terminal. Each proves a rule of ../shared/spec/product.md and failed on the code before the fix.

The CLI under test is the repository this file lives in, or the one named by APPDECK_ROOT (its own
`.venv/bin/python -m tui`, run in that directory), so the same tests can be run against an older checkout:

    APPDECK_ROOT=/path/to/old/checkout .venv/bin/python -m pytest -q -p no:cacheprovider tests/cli/test_issue9_cli.py

Stores are built by a small script run with that same interpreter, so each version builds the stores it reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

_ENV_ROOT = os.environ.get("APPDECK_ROOT")
ROOT = Path(_ENV_ROOT).resolve() if _ENV_ROOT else Path(__file__).resolve().parents[2]
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _ENV_ROOT and _VENV_PYTHON.exists() else sys.executable


class Result:
    """One finished `appdeck` run."""

    def __init__(self, cp: subprocess.CompletedProcess[bytes]) -> None:
        self.code = cp.returncode
        self.out = cp.stdout.decode(errors="replace")
        self.err = cp.stderr.decode(errors="replace")
        assert "Traceback" not in self.err + self.out, self.err

    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"<exit {self.code}; stdout {self.out!r}; stderr {self.err!r}>"


def _env(store: Path, user: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    e = dict(os.environ)
    e.pop("APPDECK_USER", None)
    e.pop("PYTHONPATH", None)
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    e["APPDECK_STORE"] = str(store)
    if user is not None:
        e["APPDECK_USER"] = user
    e.update(extra or {})
    return e


def appdeck(*args: str, store: Path, user: str | None = "alice", env: dict[str, str] | None = None) -> Result:
    """Run the CLI under test with stdin not a terminal (no question can be answered)."""
    cp = subprocess.run(
        [PYTHON, "-m", "tui", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=_env(store, user, env),
        cwd=str(ROOT),
        timeout=60,
    )
    return Result(cp)


def ok(*args: str, **kw: Any) -> Result:
    r = appdeck(*args, **kw)
    assert r.code == 0, (args, r)
    return r


_PRELUDE = """\
import json, sys
from store.controller import Controller
P = sys.argv[1]
def C(user):
    return Controller(P, user)
out = {}
"""


def build(store: Path, script: str) -> dict[str, Any]:
    """Run `script` in-process in the version under test (`C(user)` is a Controller on the store); it may fill `out`,
    which is returned."""
    code = _PRELUDE + textwrap.dedent(script) + "\nprint(json.dumps(out))\n"
    cp = subprocess.run([PYTHON, "-c", code, str(store)], capture_output=True, env=_env(store, None), cwd=str(ROOT), timeout=60)
    assert cp.returncode == 0, cp.stderr.decode(errors="replace")
    return json.loads(cp.stdout.decode().strip().splitlines()[-1])


@pytest.fixture
def cli_org(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """alice (admin), eve and ed (editors), vic (viewer); group team={eve, vic}; eve's app Portal (organization);
    the registered app "Status Page"."""
    p = tmp_path / "org" / "store.json"
    p.parent.mkdir()
    ids = build(p, """
        a = C("alice")
        a.add_user("eve", "editor")
        a.add_user("ed", "editor")
        a.add_user("vic", "viewer")
        a.add_group("team", ["eve", "vic"])
        out["portal"] = C("eve").create_app({"name": "Portal", "app_url": "https://portal.example.com"}).app.id
        out["status"] = a.add_registered({"name": "Status Page", "url": "https://status.example.com"}).id
    """)
    return p, ids


def logins(store: Path) -> set[str]:
    return {u["login"] for u in ok("users", "list", "--json", store=store).json()}


# -- a. confirmations resolve the target without changing anything ----------------------------------------------


def test_registered_remove_by_a_name_in_another_case_without_terminal_changes_nothing(cli_org: tuple[Path, dict[str, Any]]) -> None:
    """Spec section 2 (every destructive action confirms; without a terminal and without --yes: exit 2, nothing
    changes) and section 6: `registered remove "status page"` for "Status Page" is refused, and the app stays (the old
    CLI's probe deleted it while saying it refused). With --yes it is removed."""
    store, ids = cli_org
    before = store.read_bytes()
    r = appdeck("registered", "remove", "status page", store=store)
    assert r.code == 2, r
    assert "--yes" in r.err
    assert store.read_bytes() == before
    assert [x["id"] for x in ok("registered", "list", "--json", store=store).json()] == [ids["status"]]
    ok("registered", "remove", "status page", "--yes", store=store)
    assert ok("registered", "list", "--json", store=store).json() == []


def test_registered_remove_of_an_unknown_name_is_not_found_and_changes_nothing(cli_org: tuple[Path, dict[str, Any]]) -> None:
    """Spec section 2 (nothing changes without a confirmation): an unknown target is reported (exit 4) before any
    question, with the file untouched."""
    store, ids = cli_org
    before = store.read_bytes()
    r = appdeck("registered", "remove", "no such page", store=store)
    assert r.code == 4, r
    assert store.read_bytes() == before


@pytest.mark.parametrize("command", ["delete", "rotate-secret"])
@pytest.mark.parametrize("user", ["ed", "alice"])
@pytest.mark.parametrize("yes", [[], ["--yes"]], ids=["no-yes", "yes"])
def test_app_destructive_commands_by_a_non_owner_are_refused_before_any_question(
    cli_org: tuple[Path, dict[str, Any]], command: str, user: str, yes: list[str]
) -> None:
    """Spec section 2: only the owner deletes or rotates the secret of an app, admins are no exception; a non-owner
    who can see the app (an editor, an admin) is refused with exit 5 before any question, --yes or not, and the store
    file is byte for byte what it was."""
    store, _ = cli_org
    before = store.read_bytes()
    r = appdeck("apps", command, "Portal", *yes, store=store, user=user)
    assert r.code == 5, r
    assert "[y/N]" not in r.err and "confirmation" not in r.err, r
    assert store.read_bytes() == before


@pytest.mark.parametrize("command", ["delete", "rotate-secret"])
@pytest.mark.parametrize("ref", ["Portal", "portal"])
def test_app_destructive_commands_by_the_owner_need_yes_without_a_terminal(
    cli_org: tuple[Path, dict[str, Any]], command: str, ref: str
) -> None:
    """Spec section 2: the owner's delete or rotate without a terminal and without --yes is refused (exit 2) and
    changes nothing, whatever case the name is typed in; with --yes it is done."""
    store, ids = cli_org
    before = store.read_bytes()
    r = appdeck("apps", command, ref, store=store, user="eve")
    assert r.code == 2, r
    assert store.read_bytes() == before
    shown = ok("apps", "show", ids["portal"], "--json", store=store, user="eve").json()
    assert shown["version"] == 1
    r = ok("apps", command, ref, "--yes", "--json", store=store, user="eve")
    if command == "delete":
        assert r.json()["deleted"] == ids["portal"]
        assert appdeck("apps", "show", ids["portal"], store=store, user="eve").code == 4
    else:
        assert r.json()["rotated"] == ids["portal"]
        assert ok("apps", "show", ids["portal"], "--json", store=store, user="eve").json()["version"] == 2


# -- b. users remove and groups remove confirm ----------------------------------------------------------------


def test_users_remove_without_terminal_needs_yes(cli_org: tuple[Path, dict[str, Any]]) -> None:
    """Spec sections 1 and 2: removing a user is destructive: without a terminal and without --yes it is refused,
    exit 2, nothing changed (the old CLI removed at once and rejected --yes); with --yes the user is removed."""
    store, _ = cli_org
    before = store.read_bytes()
    r = appdeck("users", "remove", "vic", store=store)
    assert r.code == 2, r
    assert store.read_bytes() == before
    assert "vic" in logins(store)
    ok("users", "remove", "vic", "--yes", store=store)
    assert "vic" not in logins(store)


def test_users_remove_of_an_owner_needs_yes_and_an_inheritor(cli_org: tuple[Path, dict[str, Any]]) -> None:
    """Spec section 1 (removing an owner needs an inheritor, or is refused naming how many apps) and section 2 (the
    confirmation): no inheritor is exit 3 even with --yes; an inheritor without --yes is exit 2; both: done, and the
    app has its new owner. Nothing changes until then."""
    store, ids = cli_org
    before = store.read_bytes()
    r = appdeck("users", "remove", "eve", "--yes", store=store)
    assert r.code == 3, r
    assert "1 built application" in r.err
    r = appdeck("users", "remove", "eve", "--inherit-to", "ed", store=store)
    assert r.code == 2, r
    assert store.read_bytes() == before
    ok("users", "remove", "eve", "--inherit-to", "ed", "--yes", store=store)
    assert "eve" not in logins(store)
    assert ok("apps", "show", ids["portal"], "--json", store=store, user="ed").json()["owner"] == "ed"


def test_groups_remove_without_terminal_needs_yes(cli_org: tuple[Path, dict[str, Any]]) -> None:
    """Spec section 2 (deleting a group is destructive and confirms) and section 1: without a terminal and without
    --yes, exit 2 and nothing changed (the old CLI removed at once and rejected --yes); with --yes it is removed."""
    store, _ = cli_org
    before = store.read_bytes()
    r = appdeck("groups", "remove", "team", store=store)
    assert r.code == 2, r
    assert store.read_bytes() == before
    assert [g["name"] for g in ok("groups", "list", "--json", store=store).json()] == ["team"]
    ok("groups", "remove", "team", "--yes", store=store)
    assert ok("groups", "list", "--json", store=store).json() == []


# -- c. Machine to Machine has no URLs: the controller's rule, --clear-urls --------------------------------------


@pytest.fixture
def api_store(tmp_path: Path) -> tuple[Path, str]:
    """eve's app Api with advanced settings on, a callback URL and a web origin."""
    p = tmp_path / "m2m" / "store.json"
    p.parent.mkdir()
    ids = build(p, """
        C("alice").add_user("eve", "editor")
        out["api"] = C("eve").create_app({
            "name": "Api", "app_url": "https://api.example.com", "advanced": True,
            "callback_urls": ["https://api.example.com/callback"], "web_origins": ["https://api.example.com"],
        }).app.id
    """)
    return p, ids["api"]


def test_switching_to_m2m_with_url_lists_is_refused_naming_them(api_store: tuple[Path, str]) -> None:
    """Spec sections 2 and 3 (a Machine to Machine app has no URL lists): `apps update APP --type m2m` on an app with
    callback URLs is a validation error, exit 3, naming the lists it holds; the store is unchanged."""
    store, app_id = api_store
    before = store.read_bytes()
    r = appdeck("apps", "update", app_id, "--type", "m2m", store=store, user="eve")
    assert r.code == 3, r
    assert "Allowed callback URLs" in r.err, r
    assert "Allowed web origins" in r.err, r
    assert store.read_bytes() == before


def test_switching_to_m2m_with_clear_urls_clears_the_lists(api_store: tuple[Path, str]) -> None:
    """Spec sections 2 and 3: `--clear-urls` clears the URL lists in the same update that makes the app Machine to
    Machine; afterwards the app holds no login URL and no URL list."""
    store, app_id = api_store
    ok("apps", "update", app_id, "--type", "m2m", "--clear-urls", store=store, user="eve")
    d = ok("apps", "show", app_id, "--json", store=store, user="eve").json()
    assert d["type"] == "m2m"
    assert d["version"] == 2
    assert d["login_url"] is None
    for field in ("callback_urls", "logout_urls", "web_origins", "cors_origins"):
        assert d[field] == [], (field, d[field])
        assert not d["effective"][field], (field, d["effective"][field])


# -- d. group names never look like group ids --------------------------------------------------------------------


@pytest.fixture
def two_groups(tmp_path: Path) -> Path:
    p = tmp_path / "groups" / "store.json"
    p.parent.mkdir()
    build(p, """
        a = C("alice")
        a.add_group("alpha")
        a.add_group("beta")
    """)
    return p


def test_renaming_a_group_to_another_groups_id_is_refused(two_groups: Path) -> None:
    """Spec section 1: a group name never has the shape of a group id, so `groups rename alpha <beta's id>` is
    refused (exit 3) and nothing changes; a reference to a group stays unambiguous."""
    store = two_groups
    groups = ok("groups", "list", "--json", store=store).json()
    beta = next(g["id"] for g in groups if g["name"] == "beta")
    before = store.read_bytes()
    r = appdeck("groups", "rename", "alpha", beta, store=store)
    assert r.code == 3, r
    assert store.read_bytes() == before
    assert ok("groups", "list", "--json", store=store).json() == groups


def test_adding_a_group_named_like_a_group_id_is_refused(two_groups: Path) -> None:
    """Spec section 1: `groups add grp_0123456789ab` (the shape of a group id: grp_ and 12 hex digits) is refused,
    exit 3, and no group is added."""
    store = two_groups
    before = store.read_bytes()
    r = appdeck("groups", "add", "grp_0123456789ab", store=store)
    assert r.code == 3, r
    assert store.read_bytes() == before
    assert sorted(g["name"] for g in ok("groups", "list", "--json", store=store).json()) == ["alpha", "beta"]


# -- e. the user list counts only apps the asker can see ---------------------------------------------------------


def test_users_list_counts_only_apps_the_asking_user_can_see(tmp_path: Path) -> None:
    """Spec section 5: the list of users shows non-admins no counts that include apps hidden from them. eve owns an
    organization app, a private app and an app shared with a group only ed is in: vic (viewer) counts 1, ed (editor,
    in the group) 2, eve herself and alice (admin) all 3."""
    store = tmp_path / "counts" / "store.json"
    store.parent.mkdir()
    build(store, """
        a = C("alice")
        a.add_user("eve", "editor")
        a.add_user("ed", "editor")
        a.add_user("vic", "viewer")
        a.add_group("other", ["ed"])
        e = C("eve")
        e.create_app({"name": "Portal", "app_url": "https://portal.example.com"})
        e.create_app({"name": "Hidden", "app_url": "https://hidden.example.com", "sharing": "private"})
        e.create_app({"name": "Team", "app_url": "https://team.example.com", "sharing": "groups", "groups": ["other"]})
    """)

    def counts(user: str) -> dict[str, int]:
        return {u["login"]: u["apps_owned"] for u in ok("users", "list", "--json", store=store, user=user).json()}

    assert counts("vic")["eve"] == 1
    assert counts("ed")["eve"] == 2
    assert counts("eve")["eve"] == 3
    assert counts("alice")["eve"] == 3


# -- f. login names are checked the same way, bootstrap included -------------------------------------------------


@pytest.mark.parametrize(
    ("how", "name"),
    [("--user", "bob\n"), ("--user", "bob "), ("APPDECK_USER", "bob "), ("APPDECK_USER", "bob\n")],
    ids=["flag-newline", "flag-space", "env-space", "env-newline"],
)
def test_a_login_name_with_something_around_it_does_not_bootstrap_a_store(tmp_path: Path, how: str, name: str) -> None:
    """Spec sections 1 and 7: a login name has nothing around it (no trailing newline or space), whether it comes
    from --user or APPDECK_USER, and whether the store exists yet or not: on a new store path the command is refused
    and no admin with that name is created (the old CLI created the admin "bob\\n")."""
    store = tmp_path / "new" / "store.json"
    store.parent.mkdir()
    if how == "--user":
        r = appdeck("--user", name, "users", "list", "--json", store=store, user=None)
    else:
        r = appdeck("users", "list", "--json", store=store, user=name)
    assert r.code != 0, r
    assert r.err.strip(), "the refusal explains itself"
    if store.exists():
        text = store.read_text()
        users = json.loads(text).get("users", {}) if text.strip() else {}
        assert name not in {u.get("login") for u in users.values()}


def test_a_login_name_with_a_trailing_newline_is_refused_on_an_existing_store(cli_org: tuple[Path, dict[str, Any]]) -> None:
    """Spec sections 1 and 7: on an existing store, `--user $'alice\\n'` is refused too (not taken for alice), and
    nothing changes."""
    store, _ = cli_org
    before = store.read_bytes()
    r = appdeck("--user", "alice\n", "users", "add", "mallory", "--role", "admin", store=store, user=None)
    assert r.code != 0, r
    assert store.read_bytes() == before


# -- g. a re-added login is a new person in the audit trail -----------------------------------------------------


def test_a_login_removed_and_added_again_does_not_see_the_previous_holders_audit(tmp_path: Path) -> None:
    """Spec sections 1 and 8 (an owner sees their apps' audit entries; audit entries refer to users, so a re-added
    login is a new person): eve creates X, is removed (X goes to ed) and added again as an editor; the new eve's
    `audit --json` has no entry about X, while ed, X's owner now, and alice, an admin, still see them."""
    store = tmp_path / "audit" / "store.json"
    store.parent.mkdir()
    ids = build(store, """
        a = C("alice")
        a.add_user("eve", "editor")
        a.add_user("ed", "editor")
        e = C("eve")
        x = e.create_app({"name": "X", "app_url": "https://x.example.com"}).app
        e.update_app(x.id, {"description": "first holder's app"})
        a.remove_user("eve", "ed")
        a.add_user("eve", "editor")
        out["x"] = x.id
    """)
    x = ids["x"]
    entries = ok("audit", "--json", store=store, user="eve").json()
    about_x = [e for e in entries if e.get("object_id") == x or e.get("object_name") == "X"]
    assert about_x == [], about_x
    assert ok("audit", "--app", x, "--json", store=store, user="eve").json() == []
    assert any(e["object_id"] == x and e["action"] == "create" for e in ok("audit", "--json", store=store, user="ed").json())
    assert any(e["object_id"] == x and e["action"] == "create" for e in ok("audit", "--json", store=store, user="alice").json())
