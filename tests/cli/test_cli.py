"""Spec sections 2, 7, 9. The real `appdeck` entry point in a subprocess: outputs, --json shapes, exit codes, identity, text safety."""

from __future__ import annotations

import json
import os
import pty
import pwd
import re
import select
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import run_cli
from store.controller import Controller
from store.storage import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")  # C0 except \t \n, DEL, C1 (UTF-8)
ME = pwd.getpwuid(os.getuid()).pw_name


class Result:
    def __init__(self, cp: subprocess.CompletedProcess[bytes]) -> None:
        self.code = cp.returncode
        self.out = cp.stdout
        self.err = cp.stderr
        assert b"Traceback" not in self.err, self.err.decode(errors="replace")
        assert b"Traceback" not in self.out

    @property
    def text(self) -> str:
        return self.out.decode()

    @property
    def errtext(self) -> str:
        return self.err.decode()

    def json(self):  # type: ignore[no-untyped-def]
        return json.loads(self.out)


def cli(*args: str, store: Path | None = None, user: str | None = "alice", **kw) -> Result:  # type: ignore[no-untyped-def]
    return Result(run_cli(*args, store=store, user=user, **kw))


def ok(*args: str, **kw) -> Result:  # type: ignore[no-untyped-def]
    r = cli(*args, **kw)
    assert r.code == 0, (args, r.code, r.errtext)
    assert r.err == b"" or b"warning:" in r.err, r.errtext
    return r


def fails(code: int, *args: str, **kw) -> Result:  # type: ignore[no-untyped-def]
    r = cli(*args, **kw)
    assert r.code == code, (args, r.code, r.text, r.errtext)
    lines = r.errtext.strip().splitlines()
    assert lines, "an error explains itself on stderr"
    return r


def run_tty(*args: str, store: Path, user: str = "alice", answer: bytes | None = None, env: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Run with stdout (and stdin when answering) on a pseudo-terminal; return (exit code, bytes written)."""
    master, slave = pty.openpty()
    e = {**os.environ, "APPDECK_STORE": str(store), "APPDECK_USER": user, "COLUMNS": "200"}
    e.pop("NO_COLOR", None)
    e.update(env or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdin=slave if answer is not None else subprocess.DEVNULL,
        stdout=slave,
        # input() writes its prompt to stderr when stdin and stdout are terminals: keep it on the pty too.
        stderr=slave if answer is not None else subprocess.PIPE,
        env=e,
        cwd=str(ROOT),
    )
    os.close(slave)
    out = b""
    sent = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if master in r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if answer is not None and not sent and b"[y/N]" in out:
                os.write(master, answer)
                sent = True
        elif proc.poll() is not None:
            # Drain what is left.
            try:
                while select.select([master], [], [], 0.05)[0]:
                    chunk = os.read(master, 65536)
                    if not chunk:
                        break
                    out += chunk
            except OSError:
                pass
            break
    proc.wait(timeout=10)
    os.close(master)
    err = proc.stderr.read() if proc.stderr else b""
    assert b"Traceback" not in err + out, err + out
    return proc.returncode, out


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with alice (admin), eve and ed (editors), vic (viewer), group team={eve, vic}, and eve's app Portal."""
    p = tmp_path / "cli" / "store.json"
    p.parent.mkdir()
    # Built in-process (fast); the same commands through the CLI are covered by test_setup_through_the_cli.
    admin = Controller(p, "alice")
    admin.add_user("eve", "editor")
    admin.add_user("ed", "editor")
    admin.add_user("vic")
    admin.add_group("team", ["eve", "vic"])
    Controller(p, "eve").create_app({"name": "Portal", "app_url": "https://portal.example.com"})
    return p


def test_setup_through_the_cli(tmp_path: Path) -> None:
    p = tmp_path / "s.json"
    assert ok("users", "add", "eve", "--role", "editor", "--display-name", "Eve E", store=p).text == "added eve as editor\n"
    ok("users", "add", "vic", store=p)
    ok("groups", "add", "team", store=p)
    ok("groups", "add-member", "team", "eve", store=p)
    r = ok("apps", "create", "--name", "Portal", "--app-url", "https://portal.example.com", store=p, user="eve")
    assert r.text.startswith('created app_') and '"Portal"' in r.text
    users = {u["login"]: (u["role"], u["display_name"]) for u in ok("users", "list", "--json", store=p).json()}
    assert users == {"alice": ("admin", "alice"), "eve": ("editor", "Eve E"), "vic": ("viewer", "vic")}
    assert ok("groups", "list", "--json", store=p).json()[0]["members"] == ["eve"]


def app_json(store: Path, ref: str = "Portal", user: str = "eve", *extra: str) -> dict:
    return ok("apps", "show", ref, "--json", *extra, store=store, user=user).json()


# -- basics ----------------------------------------------------------------------------------------------


def test_version() -> None:
    r = ok("--version")
    assert re.fullmatch(r"appdeck \d+\.\d+\.\d+\S*\n", r.text)


def test_help_and_usage_errors_exit_2(tmp_path: Path) -> None:
    assert ok("--help").text.startswith("usage:")
    s = tmp_path / "s.json"
    fails(2, "apps", "bogus", store=s)
    fails(2, "apps", "create", "--name", "x", store=s)  # --app-url missing
    fails(2, "users", "add", "bob", "--role", "owner", store=s)
    fails(2, "apps", "share", "Portal", store=s)  # one of --private/--organization/--group required
    assert not s.exists()  # usage errors change nothing, not even create the store


def test_store_created_on_first_use_with_acting_user_as_admin(tmp_path: Path) -> None:
    s = tmp_path / "new.json"
    r = ok("users", "list", "--json", store=s, user="carol")
    assert [(u["login"], u["role"]) for u in r.json()] == [("carol", "admin")]
    assert oct(s.stat().st_mode & 0o777) == oct(0o600)
    assert json.loads(s.read_bytes())["meta"]["1"]["schema_version"] == SCHEMA_VERSION


def test_store_created_0600_with_umask_0(tmp_path: Path) -> None:
    s = tmp_path / "umask.json"
    code = "import os, sys; os.umask(0); sys.argv=['appdeck','users','list']; from tui.__main__ import main; main()"
    e = {**os.environ, "APPDECK_STORE": str(s), "APPDECK_USER": "alice"}
    cp = subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, cwd=str(ROOT))
    assert cp.returncode == 0, cp.stderr
    assert s.stat().st_mode & 0o777 == 0o600


# -- identity (section 7) -------------------------------------------------------------------------------


def test_identity_precedence(tmp_path: Path) -> None:
    s = tmp_path / "id.json"
    env = {"LOGNAME": "someone-else", "USER": "someone-else"}
    r = ok("info", store=s, user=None, env=env)
    assert f"{ME} (from uid)" in r.text
    assert "someone-else" not in r.text
    ok("users", "list", store=s, user=None, env=env)  # creates the store with the uid's login as admin
    users = json.loads(s.read_bytes())["users"]
    assert [u["login"] for u in users.values()] == [ME]
    r = ok("info", store=s, user="fromenv", env=env)
    assert "fromenv (from APPDECK_USER)" in r.text
    r = ok("--user", "fromflag", "info", store=s, user="fromenv", env=env)
    assert "fromflag (from --user)" in r.text


def test_info_shows_store_source(tmp_path: Path) -> None:
    flag = tmp_path / "flag.json"
    env_store = tmp_path / "env.json"
    r = ok("--store", str(flag), "info", store=env_store)
    assert f"{flag} (from --store)" in r.text
    r = ok("info", store=env_store)
    assert f"{env_store} (from APPDECK_STORE)" in r.text
    xdg = tmp_path / "xdg"
    e = {k: v for k, v in os.environ.items() if k != "APPDECK_STORE"}
    e.update(XDG_DATA_HOME=str(xdg), APPDECK_USER="alice")
    cp = subprocess.run([sys.executable, "-m", "tui", "info"], env=e, capture_output=True, cwd=str(ROOT))
    assert cp.returncode == 0 and b"Traceback" not in cp.stderr
    assert f"{xdg}" in cp.stdout.decode() and "(from default)" in cp.stdout.decode()
    assert "version" in r.text and "0." in r.text
    assert not flag.exists() and not env_store.exists()  # info never creates a store


def test_info_shows_role(store: Path) -> None:
    r = ok("info", store=store, user="vic")
    assert re.search(r"role\s+viewer", r.text)


def test_non_member_is_refused_naming_the_command_and_nothing_changes(store: Path) -> None:
    before = (store.read_bytes(), store.stat().st_mtime_ns)
    for args in (("apps", "list"), ("apps", "create", "--name", "x", "--app-url", "https://x.example.com"), ("users", "add", "mallory")):
        r = fails(5, *args, store=store, user="mallory")
        assert "appdeck users add mallory" in r.errtext
        assert len(r.errtext.strip().splitlines()) == 1
    assert (store.read_bytes(), store.stat().st_mtime_ns) == before


# -- permissions --------------------------------------------------------------------------------------------


def test_viewer_creating_is_refused(store: Path) -> None:
    before = store.read_bytes()
    r = fails(5, "apps", "create", "--name", "V", "--app-url", "https://v.example.com", store=store, user="vic")
    assert "viewer" in r.errtext
    fails(5, "apps", "list", store=store, user="vic")  # no Developers view
    assert store.read_bytes() == before


def test_editor_editing_someone_elses_app_is_refused(store: Path) -> None:
    before = store.read_bytes()
    for args in (
        ("apps", "update", "Portal", "--description", "mine"),
        ("apps", "share", "Portal", "--private"),
        ("apps", "delete", "Portal", "--yes"),
        ("apps", "delete", "Portal"),
        ("apps", "rotate-secret", "Portal", "--yes"),
        ("apps", "show", "Portal", "--reveal-secret"),
    ):
        for who in ("ed", "alice"):
            r = fails(5, *args, store=store, user=who)
            assert "owner" in r.errtext
    assert store.read_bytes() == before


def test_admin_only_commands(store: Path) -> None:
    before = store.read_bytes()
    for args in (("users", "add", "x"), ("groups", "add", "g"), ("registered", "list"),
                 ("registered", "add", "--name", "R", "--url", "https://r.example.com"), ("users", "set-role", "vic", "editor")):
        fails(5, *args, store=store, user="eve")
    assert store.read_bytes() == before


# -- apps commands, outputs and JSON shapes ---------------------------------------------------------------------

ROW_KEYS = {"id", "name", "type", "sharing", "groups", "owner", "client_id", "app_url", "description", "updated_at", "version", "enabled"}


def test_apps_list_json_shape(store: Path) -> None:
    rows = ok("apps", "list", "--json", store=store, user="alice").json()
    assert isinstance(rows, list) and len(rows) == 1
    assert set(rows[0]) == ROW_KEYS
    assert rows[0]["name"] == "Portal" and rows[0]["owner"] == "eve" and rows[0]["type"] == "spa"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", rows[0]["client_id"])
    entries = ok("apps", "list", "--view", "applications", "--json", store=store, user="vic").json()
    assert entries == [{"kind": "built", "id": rows[0]["id"], "name": "Portal", "description": "", "url": "https://portal.example.com", "pinned": False,
                        "thumbnail_url": None}]


def test_apps_show_json_shape_and_effective_values(store: Path) -> None:
    d = app_json(store)
    assert "client_secret" not in d
    for key in ("id", "name", "client_id", "owner", "version", "effective", "token_auth_effective", "type_label", "advanced", "sharing"):
        assert key in d
    assert d["effective"]["callback_urls"] == ["https://portal.example.com"]
    assert d["effective"]["web_origins"] == ["https://portal.example.com"]
    revealed = app_json(store, "Portal", "eve", "--reveal-secret")
    assert len(revealed["client_secret"]) == 64
    assert {k: v for k, v in revealed.items() if k != "client_secret"} == d


def test_apps_create_json_and_rwa_warning(store: Path) -> None:
    r = ok("apps", "create", "--name", "Legacy", "--app-url", "https://legacy.example.com", "--type", "rwa",
           "--callback-url", "https://legacy.example.com/cb,https://legacy.example.com/cb2", "--json", store=store, user="eve")
    assert "sunset" in r.errtext
    d = r.json()
    assert "client_secret" not in d
    assert d["advanced"] is True and d["app_type"] == "rwa" and d["token_auth_effective"] == "client_secret_post"
    assert d["callback_urls"] == ["https://legacy.example.com/cb", "https://legacy.example.com/cb2"]
    r = ok("apps", "update", "Portal", "--type", "rwa", store=store, user="eve")
    assert "sunset" in r.errtext


def test_validation_errors_exit_3(store: Path) -> None:
    before = store.read_bytes()
    r = fails(3, "apps", "create", "--name", "a<b", "--app-url", "portal.example.com", store=store, user="eve")
    assert "< or >" in r.errtext and "https://portal.example.com" in r.errtext
    fails(3, "apps", "create", "--name", "m", "--app-url", "https://m.example.com", "--type", "m2m", "--callback-url", "https://m.example.com/cb", store=store, user="eve")
    r = fails(3, "apps", "create", "--name", "t", "--app-url", "https://t.example.com", "--token-auth", "client_secret_basic", store=store, user="eve")
    assert "Regular Web Application" in r.errtext
    fails(3, "apps", "update", "Portal", "--description", "x" * 141, store=store, user="eve")
    fails(3, "apps", "create", "--name", "x\x1b[2J", "--app-url", "https://x.example.com", store=store, user="eve")
    fails(3, "users", "set-role", "alice", "viewer", store=store)  # last admin
    assert store.read_bytes() == before


def test_not_found_exit_4(store: Path) -> None:
    fails(4, "apps", "show", "Nope", store=store, user="eve")
    fails(4, "users", "remove", "ghost", store=store)
    fails(4, "groups", "remove", "ghost", store=store)
    fails(4, "registered", "remove", "ghost", "--yes", store=store)


def test_private_app_is_not_found_for_others(store: Path) -> None:
    ok("apps", "share", "Portal", "--private", store=store, user="eve")
    fails(4, "apps", "show", "Portal", store=store, user="ed")
    assert ok("apps", "list", "--json", store=store, user="alice").json() == []
    assert ok("apps", "list", "--view", "applications", "--json", store=store, user="vic").json() == []


def test_conflict_exit_6(store: Path) -> None:
    v = app_json(store)["version"]
    ok("apps", "update", "Portal", "--description", "first", "--if-version", str(v), store=store, user="eve")
    before = store.read_bytes()
    r = fails(6, "apps", "update", "Portal", "--description", "second", "--if-version", str(v), store=store, user="eve")
    assert "eve" in r.errtext and "changed since" in r.errtext
    assert store.read_bytes() == before


def test_share_update_delete_rotate(store: Path) -> None:
    r = ok("apps", "share", "Portal", "--group", "team", store=store, user="eve")
    assert "not who can log in" in r.text
    d = app_json(store)
    assert d["sharing"] == "groups" and d["group_names"] == ["team"]
    fails(4, "apps", "show", "Portal", store=store, user="ed")  # ed is not in team
    old = app_json(store, "Portal", "eve", "--reveal-secret")
    r = ok("apps", "rotate-secret", "Portal", "--yes", "--json", store=store, user="eve")
    assert set(r.json()) == {"rotated", "version"} and old["client_secret"] not in r.text
    new = app_json(store, "Portal", "eve", "--reveal-secret")
    assert new["client_secret"] != old["client_secret"] and new["client_id"] == old["client_id"]
    r = ok("apps", "update", d["client_id"], "--name", "Portal 2", store=store, user="eve")  # by client ID
    assert "Portal 2" in r.text
    r = ok("apps", "delete", d["id"], "--yes", "--json", store=store, user="eve")  # by id
    assert r.json()["deleted"] == d["id"] and set(r.json()) == {"deleted", "purge_at"}
    assert ok("apps", "list", "--json", store=store, user="eve").json() == []


def test_update_without_changes_is_a_usage_error(store: Path) -> None:
    fails(2, "apps", "update", "Portal", store=store, user="eve")


def test_check_url_exit_codes(store: Path) -> None:
    r = ok("apps", "check-url", "Portal", "--callback", "https://portal.example.com", store=store, user="eve")
    assert r.text.startswith("ALLOWED  ")
    r = cli("apps", "check-url", "Portal", "--callback", "https://portal.example.com/other", store=store, user="eve")
    assert r.code == 1 and r.text.startswith("REFUSED  ") and "path" in r.text
    r = cli("apps", "check-url", "Portal", "--cors", "https://evil.example.com", "--json", store=store, user="eve")
    assert r.code == 1
    d = r.json()
    assert d["allowed"] is False and d["closest"] == "https://portal.example.com" and "host" in d["differences"]
    assert set(d) == {"allowed", "kind", "url", "matched", "closest", "differences", "disabled", "explanation"}
    r = ok("apps", "check-url", "Portal", "--web-origin", "https://PORTAL.example.com:443", "--json", store=store, user="alice")
    assert r.json()["allowed"] is True and r.json()["matched"] == "https://portal.example.com"


def test_destructive_commands_refuse_without_yes_when_stdin_is_not_a_tty(store: Path) -> None:
    ok("registered", "add", "--name", "Status", "--url", "https://status.example.com", store=store)
    before = store.read_bytes()
    for args, user in ((("apps", "delete", "Portal"), "eve"), (("apps", "rotate-secret", "Portal"), "eve"), (("registered", "remove", "Status"), "alice")):
        r = fails(2, *args, store=store, user=user, stdin="y\n")
        assert "--yes" in r.errtext
        r = fails(2, *args, store=store, user=user, stdin=None)
    assert store.read_bytes() == before


def test_destructive_command_asks_on_a_terminal(store: Path) -> None:
    before = store.read_bytes()
    code, out = run_tty("apps", "delete", "Portal", store=store, user="eve", answer=b"n\n")
    assert code == 2
    assert b"can no longer authenticate until it is restored" in out and b"trash until" in out
    assert store.read_bytes() == before
    code, out = run_tty("apps", "rotate-secret", "Portal", store=store, user="eve", answer=b"n\n")
    assert code == 2 and b"stops working at once" in out
    assert store.read_bytes() == before
    code, out = run_tty("apps", "delete", "Portal", store=store, user="eve", answer=b"y\n")
    assert code == 0 and b"to the trash" in out
    assert ok("apps", "list", "--json", store=store, user="eve").json() == []


# -- users, groups, registered, audit -------------------------------------------------------------------------


def test_users_and_groups_commands(store: Path) -> None:
    ok("apps", "create", "--name", "Eve2", "--app-url", "https://e2.example.com", store=store, user="eve")
    r = fails(3, "users", "set-role", "eve", "viewer", store=store)
    assert "2 built applications" in r.errtext
    fails(3, "users", "remove", "eve", "--inherit-to", "vic", store=store)
    ok("users", "set-role", "eve", "viewer", "--inherit-to", "ed", store=store)
    users = {u["login"]: u for u in ok("users", "list", "--json", store=store).json()}
    assert users["eve"]["role"] == "viewer" and users["ed"]["apps_owned"] == 2
    assert {"login", "display_name", "role", "apps_owned"} <= set(users["ed"])
    ok("users", "add", "newbie", store=store)
    assert {u["login"]: u["role"] for u in ok("users", "list", "--json", store=store).json()}["newbie"] == "viewer"
    ok("groups", "rename", "team", "crew", store=store)
    ok("groups", "remove-member", "crew", "vic", store=store)
    groups = ok("groups", "list", "--json", store=store).json()
    assert [(g["name"], g["members"]) for g in groups] == [("crew", ["eve"])]
    ok("users", "remove", "eve", "--yes", store=store)
    assert ok("groups", "list", "--json", store=store).json()[0]["members"] == []


def test_group_removal_narrows_apps_to_private(store: Path) -> None:
    ok("apps", "share", "Portal", "--group", "team", store=store, user="eve")
    r = ok("groups", "remove", "team", "--yes", store=store)
    assert "1 app" in r.text
    d = app_json(store)
    assert d["sharing"] == "private" and d["groups"] == []
    assert ok("apps", "list", "--view", "applications", "--json", store=store, user="vic").json() == []


def test_registered_commands(store: Path) -> None:
    r = ok("registered", "add", "--name", "Status", "--url", "https://status.example.com", "--pinned", "--json", store=store)
    d = r.json()
    assert d["pinned"] is True and d["sharing"] == "organization" and "client_secret" not in d and "client_id" not in d
    ok("registered", "update", d["id"], "--description", "Service status", store=store)
    regs = ok("registered", "list", "--json", store=store).json()
    assert [x["description"] for x in regs] == ["Service status"]
    entries = ok("apps", "list", "--view", "applications", "--json", store=store, user="vic").json()
    assert [(e["kind"], e["name"]) for e in entries] == [("registered", "Status"), ("built", "Portal")]
    ok("registered", "remove", d["id"], "--yes", store=store)
    assert ok("registered", "list", "--json", store=store).json() == []


def test_audit_json_shape(store: Path) -> None:
    entries = ok("audit", "--json", store=store).json()
    assert entries and set(entries[0]) == {"at", "actor", "action", "object_type", "object_id", "object_name", "app_owner", "fields", "detail", "actor_id", "app_owner_id", "changes"}
    mine = ok("audit", "--json", store=store, user="eve").json()
    assert [(e["action"], e["object_type"]) for e in mine] == [("create", "app")]
    assert ok("audit", "--json", store=store, user="vic").json() == []


# -- the secret never leaks ------------------------------------------------------------------------------------


def test_secret_never_in_outputs_without_reveal(store: Path) -> None:
    ok("apps", "create", "--name", "Legacy", "--app-url", "https://legacy.example.com", "--type", "rwa", store=store, user="eve")
    ok("apps", "rotate-secret", "Legacy", "--yes", store=store, user="eve")
    raw = json.loads(store.read_bytes())
    secrets = [a["client_secret"] for a in raw["apps"].values()]
    calls: list[tuple[tuple[str, ...], str]] = []
    for user in ("eve", "alice", "vic"):
        for args in (
            ("apps", "list", "--json"), ("apps", "list", "--view", "applications", "--json"),
            ("apps", "show", "Legacy"), ("apps", "show", "Legacy", "--json"),
            ("apps", "update", "Legacy", "--description", "d", "--json"), ("apps", "share", "Legacy", "--organization", "--json"),
            ("apps", "check-url", "Legacy", "--callback", "https://x.example.com", "--json"),
            ("audit", "--json"),
            ("apps", "update", "Legacy", "--description", "d", "--if-version", "1"),
            ("apps", "show", "Legacy", "--reveal-secret"),
        ):
            if "--reveal-secret" in args and user == "eve":
                continue  # the owner asking to reveal is the one case where it is shown (checked below)
            calls.append((args, user))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda c: cli(*c[0], store=store, user=c[1]), calls))
    outputs = [b for r in results for b in (r.out, r.err)]
    blob = b"\n".join(outputs)
    assert blob  # something was printed
    audit_blob = json.dumps(json.loads(store.read_bytes())["audit"]).encode()
    for s in secrets:
        assert s.encode() not in blob
        assert s.encode() not in audit_blob
    # The owner asking to reveal sees it; only then.
    shown = ok("apps", "show", "Legacy", "--reveal-secret", store=store, user="eve").text
    assert any(s in shown for s in secrets)


# -- the store refused (exit 7) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"{broken", b"", b"[]", b'{"meta": {"1": {"schema_version": 99}}, "users": {"1": {"login": "alice", "role": "admin"}}}',
     b'{"meta": {"1": {"schema_version": 1}}, "users": {"1": {"role": "admin"}}}'],
    ids=["corrupt", "empty", "wrong-shape", "newer-schema", "record-without-login"],
)
def test_bad_store_exit_7_untouched(tmp_path: Path, content: bytes) -> None:
    s = tmp_path / "bad.json"
    s.write_bytes(content)
    os.chmod(s, 0o640)
    st = s.stat()
    for args in (("apps", "list"), ("apps", "create", "--name", "x", "--app-url", "https://x.example.com"), ("users", "add", "bob")):
        r = fails(7, *args, store=s)
        lines = r.errtext.strip().splitlines()
        assert len(lines) == 1 and str(s) in lines[0]
        assert r.out == b""
    assert s.read_bytes() == content
    assert (s.stat().st_mode, s.stat().st_mtime_ns) == (st.st_mode, st.st_mtime_ns)
    assert [n for n in os.listdir(tmp_path) if n.startswith(".bad.json.tmp")] == []
    r = ok("info", store=s)
    assert str(s) in r.text


def test_locked_store_exit_7(store: Path) -> None:
    import fcntl

    fd = os.open(f"{store}.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        r = fails(7, "users", "add", "bob", store=store, env={"APPDECK_LOCK_TIMEOUT": "0.2"})
        assert "busy" in r.errtext
    finally:
        os.close(fd)


# -- output modes and text safety (section 9) --------------------------------------------------------------------


def test_tsv_when_piped_and_table_on_a_terminal(store: Path) -> None:
    ok("apps", "create", "--name", "Zed app", "--app-url", "https://z.example.com", store=store, user="eve")
    r = ok("apps", "list", store=store, user="eve")
    lines = r.text.splitlines()
    assert len(lines) == 2 and all(line.count("\t") == 7 for line in lines)
    assert lines[0].split("\t")[0] == "Portal"
    assert b"\x1b" not in r.out
    code, out = run_tty("apps", "list", store=store, user="eve")
    assert code == 0
    text = out.decode().replace("\r\n", "\n")
    assert "NAME" in text and "\t" not in text
    rows = [line for line in text.splitlines() if line.strip()]
    assert rows[1].startswith("Portal ") and rows[2].startswith("Zed app ")
    assert rows[1].index("SPA") == rows[2].index("SPA")  # aligned (the TUI's short type words on a terminal)
    code, out = run_tty("apps", "list", store=store, user="eve", env={"NO_COLOR": "1"})
    assert b"\x1b" not in out and b"\t" in out


HOSTILE = {
    "name": "\x1b]0;pwned\x07\x1b[31mRed\x1b[0m[b]bold[/b]\x9b2J",
    "description": "line1\nline2\r\x1b[2Jcleared\x07\x7f\x85",
    "markup": ["[b]x[/b]", "[/", "x[/bold]", "[@click=app.quit]go"],
}


@pytest.fixture
def hostile_store(tmp_path: Path) -> Path:
    """A store hand-edited to hold escape sequences and markup-looking names (bypassing validation)."""
    s = tmp_path / "hostile.json"
    admin = Controller(s, "alice")
    admin.add_user("eve", "editor")
    admin.add_group("grp")
    eve = Controller(s, "eve")
    ids = [eve.create_app({"name": f"a{i}", "app_url": "https://a.example.com"}).app.id for i in range(5)]
    admin.add_registered({"name": "reg", "url": "https://r.example.com"})
    data = json.loads(s.read_bytes())
    apps = list(data["apps"].values())
    apps[0]["name"] = HOSTILE["name"]
    apps[0]["description"] = HOSTILE["description"]
    apps[0]["app_url"] = "https://a.example.com/\x1b[5m"
    for rec, name in zip(apps[1:], HOSTILE["markup"]):
        rec["name"] = name
    next(iter(data["registered"].values()))["name"] = "\x1b[1mREG\x1b[0m"
    next(iter(data["groups"].values()))["name"] = "g\x1b[7mrp"
    next(iter(data["users"].values()))["display_name"] = "Al\x1b[41mice"
    data["meta"]["1"]["organization"] = "Org\x1b]52;c;ZXZpbA==\x07"
    data["audit"]["9999"] = {"at": "2026-01-01T00:00:00+00:00", "actor": "ev\x1b[8mil", "action": "upd\x9bate", "object_type": "app",
                             "object_id": "app_\x1b[2J", "object_name": "\x1b]8;;https://evil.example/\x07link", "app_owner": None,
                             "fields": ["na\x1bme"], "detail": "d\x07\x7f"}
    s.write_bytes(json.dumps(data).encode())
    assert ids
    return s


HOSTILE_COMMANDS = [
    ("apps", "list"),
    ("apps", "list", "--view", "applications"),
    ("apps", "show", "[b]x[/b]"),
    ("users", "list"),
    ("groups", "list"),
    ("registered", "list"),
    ("audit",),
    ("info",),
]


def _no_controls(data: bytes) -> None:
    found = CONTROL.findall(data)
    assert not found, (found, data[:400])


@pytest.mark.parametrize("args", HOSTILE_COMMANDS, ids=lambda a: " ".join(a))
def test_hostile_store_prints_no_control_characters_tsv(hostile_store: Path, args: tuple[str, ...]) -> None:
    user = "alice" if args[0] in ("users", "groups", "registered", "audit", "info") else "eve"
    r = cli(*args, store=hostile_store, user=user)
    assert r.code == 0, r.errtext
    _no_controls(r.out)
    _no_controls(r.err)


@pytest.mark.parametrize("args", HOSTILE_COMMANDS[:3], ids=lambda a: " ".join(a))
def test_hostile_store_prints_no_control_characters_table(hostile_store: Path, args: tuple[str, ...]) -> None:
    code, out = run_tty(*args, store=hostile_store, user="eve")
    assert code == 0
    # The CLI's own header styling is the only escape allowed on a terminal; line ends are the pty's \r\n.
    cleaned = out.replace(b"\x1b[1m", b"").replace(b"\x1b[0m", b"").replace(b"\r\n", b"\n")
    _no_controls(cleaned)
    assert b"\x1b[31m" not in out and b"\x1b]" not in out


def test_markup_names_are_shown_exactly_as_typed(hostile_store: Path) -> None:
    r = ok("apps", "list", store=hostile_store, user="eve")
    names = [line.split("\t")[0] for line in r.text.splitlines()]
    for name in HOSTILE["markup"]:
        assert name in names
    d = ok("apps", "show", "[@click=app.quit]go", "--json", store=hostile_store, user="eve").json()
    assert d["name"] == "[@click=app.quit]go"


def test_hostile_store_json_escapes_controls(hostile_store: Path) -> None:
    for args in (("apps", "list", "--json"), ("users", "list", "--json"), ("groups", "list", "--json"), ("audit", "--json")):
        r = ok(*args, store=hostile_store, user="alice" if args[0] != "apps" else "eve")
        _no_controls(r.out.replace(b"\n", b""))
        json.loads(r.out)
    rows = ok("apps", "list", "--json", store=hostile_store, user="eve").json()
    assert HOSTILE["name"] in [row["name"] for row in rows]  # JSON keeps the value, escaped


def test_hostile_input_on_the_command_line_is_rejected_and_errors_are_safe(store: Path) -> None:
    before = store.read_bytes()
    r = fails(3, "apps", "create", "--name", "\x1b[31mx", "--app-url", "https://x.example.com", store=store, user="eve")
    _no_controls(r.err.replace(b"\n", b""))
    r = fails(4, "apps", "show", "\x1b]0;t\x07", store=store, user="eve")
    _no_controls(r.err.replace(b"\n", b""))
    r = fails(3, "apps", "list", store=store, user="\x1b[31mbad")
    _no_controls(r.err.replace(b"\n", b""))
    assert store.read_bytes() == before


def test_global_options_may_follow_the_command(tmp_path: Path) -> None:
    """`appdeck demo --store PATH` (the issue's own spelling) and `apps list --user NAME` work like leading options."""
    path = tmp_path / "demo.json"
    made = run_cli("demo", "--store", str(path), "--user", "alice")
    assert made.returncode == 0, made.stderr
    listed = run_cli("apps", "list", "--json", f"--store={path}", "--user", "dev-ana")
    assert listed.returncode == 0, listed.stderr
    assert {a["owner"] for a in json.loads(listed.stdout)} >= {"alice", "dev-ana"}
