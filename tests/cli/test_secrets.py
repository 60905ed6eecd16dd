"""Spec sections 2, 8. Issue 4 item 7: the client secret never leaks, the store never holds a placeholder, new files are 0600.

A secret never appears in Python logging output, a TUI notification, the error message of a refused action, the
audit trail, a crash screen (traceback) or the repr of an app, nor in `--json` output unless its owner asked for it
with `--reveal-secret`. After reveal, copy and edit-save in the TUI the store still holds the real 64-character
secret. Store, lock and backup files are created 0600 whatever the umask."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Input

from store.controller import Controller
from store.errors import AppdeckError, ConflictError, PermissionDeniedError
from tui import cli
from tui.screens.app_form import AppFormScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.developers import DevelopersScreen
from tui_helpers import SIZE, details_text, make_app, move_to, tui_config  # noqa: F401  (autouse fixture)

SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{64}$")


# -- fixtures ------------------------------------------------------------------------------------------------


class Collect(logging.Handler):
    """Every record logged anywhere, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.args))


@pytest.fixture
def logs() -> Iterator[Collect]:
    """A DEBUG handler on the root logger for the whole test."""
    root = logging.getLogger()
    handler, level = Collect(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def team(tmp_path: Path) -> dict[str, Any]:
    """alice (admin) owns `mine`; bob (editor) owns `theirs`, shared with the organization; vic is a viewer."""
    path = tmp_path / "team" / "store.json"
    path.parent.mkdir()
    alice = Controller(path, "alice")
    alice.add_user("bob", "editor")
    alice.add_user("vic", "viewer")
    alice.add_group("team", ["alice", "bob"])
    mine = alice.create_app({"name": "mine", "app_url": "https://mine.example.com"}).app
    theirs = Controller(path, "bob").create_app({"name": "theirs", "app_url": "https://theirs.example.com"}).app
    return {"path": path, "mine": mine.id, "theirs": theirs.id}


def stored_secrets(path: Path) -> dict[str, str]:
    """app id -> client secret, as stored."""
    return {r["id"]: r["client_secret"] for r in json.loads(path.read_bytes())["apps"].values()}


class Secrets:
    """Every secret the store has ever held during a test (old ones stay forbidden after a rotation)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: set[str] = set()
        self.update()

    def update(self) -> set[str]:
        current = stored_secrets(self.path)
        for s in current.values():
            assert SECRET_RE.match(s), f"the store holds {s!r} instead of a secret"
        self.seen |= set(current.values())
        return self.seen

    def assert_absent(self, text: str, where: str) -> None:
        leaked = [s for s in self.update() if s in text or s[:16] in text]
        assert not leaked, f"a client secret leaked into {where}"


def rendered(renderables: list[Any]) -> str:
    """Rich renderables (e.g. Textual's crash traceback) as the text a terminal would show."""
    console = Console(record=True, width=200, color_system=None, file=open(os.devnull, "w"))
    for r in renderables:
        console.print(r)
    return console.export_text()


# -- logs, refusals, audit, repr -----------------------------------------------------------------------------


def test_refusals_logs_audit_and_repr_never_hold_a_secret(team: dict[str, Any], logs: Collect) -> None:
    path = team["path"]
    secrets = Secrets(path)
    alice, bob, vic = Controller(path, "alice"), Controller(path, "bob"), Controller(path, "vic")
    messages: list[str] = []

    def refused(call: Any, kind: type[AppdeckError]) -> None:
        with pytest.raises(kind) as info:
            call()
        exc = info.value
        messages.extend([str(exc), repr(exc), exc.message, *map(str, exc.args)])

    # Non-owners (an admin included) may not reveal, rotate, edit or delete; a stale save is a conflict.
    for who in (alice,):
        refused(lambda: who.reveal_secret(team["theirs"]), PermissionDeniedError)
        refused(lambda: who.rotate_secret(team["theirs"]), PermissionDeniedError)
        refused(lambda: who.update_app(team["theirs"], {"description": "x"}), PermissionDeniedError)
        refused(lambda: who.delete_app(team["theirs"]), PermissionDeniedError)
    for call in (lambda: bob.reveal_secret(team["mine"]), lambda: bob.rotate_secret(team["mine"])):
        refused(call, PermissionDeniedError)
    refused(lambda: vic.reveal_secret(team["mine"]), AppdeckError)
    first = alice.reveal_secret(team["mine"])
    alice.rotate_secret(team["mine"])
    refused(lambda: alice.update_app(team["mine"], {"description": "late"}, expected_version=1), ConflictError)
    refused(lambda: alice.rotate_secret(team["mine"], expected_version=1), ConflictError)
    refused(lambda: alice.delete_app(team["mine"], expected_version=1), ConflictError)
    second = alice.reveal_secret(team["mine"])
    assert first != second and {first, second} <= secrets.update()
    secrets.assert_absent("\n".join(messages), "an error message")

    # What a traceback or a debugger would print of the objects holding secrets.
    apps = alice.list_apps() + bob.list_apps() + [alice.get_app(team["mine"])]
    assert any(a.client_secret for a in apps)  # the owner's objects do hold it...
    shown = "\n".join([repr(apps), str(apps), *(repr(a) for a in apps), *(str(a) for a in apps),
                       json.dumps([a.model_dump() for a in apps]),
                       json.dumps([alice.details(a) for a in alice.list_apps()])])
    secrets.assert_absent(shown, "repr/str/model_dump of a BuiltApp")  # ...but never show it
    for a in bob.list_apps():
        assert a.client_secret in ("", stored_secrets(path)[a.id]) and (a.owner == "bob" or a.client_secret == "")

    # The whole audit trail: reveals and rotations are recorded, the values never.
    audit = json.loads(path.read_bytes())["audit"]
    assert {"reveal_secret", "rotate_secret"} <= {e["action"] for e in audit.values()}
    secrets.assert_absent(json.dumps(audit), "the audit trail")
    secrets.assert_absent(json.dumps([e.model_dump() for e in alice.audit()]), "Controller.audit()")
    secrets.assert_absent("\n".join(logs.lines), "Python logging")


# -- the CLI ---------------------------------------------------------------------------------------------------


def test_cli_json_never_holds_a_secret_unless_the_owner_reveals_it(
    team: dict[str, Any], capsys: pytest.CaptureFixture[str], logs: Collect
) -> None:
    path = team["path"]
    secrets = Secrets(path)
    mine, theirs = team["mine"], team["theirs"]

    def run(user: str, *argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.run(["--store", str(path), "--user", user, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    commands: list[tuple[str, list[str], int]] = [
        ("alice", ["apps", "list", "--json"], 0),
        ("alice", ["apps", "list", "--view", "applications", "--json"], 0),
        ("alice", ["apps", "show", mine, "--json"], 0),
        ("alice", ["apps", "show", theirs, "--json"], 0),
        ("alice", ["apps", "create", "--name=new", "--app-url=https://new.example.com", "--json"], 0),
        ("alice", ["apps", "update", mine, "--description=d", "--json"], 0),
        ("alice", ["apps", "update", mine, "--description=e", "--if-version=1", "--json"], 6),
        ("alice", ["apps", "share", mine, "--group=team", "--json"], 0),
        ("alice", ["apps", "rotate-secret", mine, "--yes", "--json"], 0),
        ("alice", ["apps", "check-url", mine, "--callback", "https://mine.example.com", "--json"], 0),
        ("alice", ["apps", "show", theirs, "--reveal-secret", "--json"], 5),
        ("alice", ["apps", "rotate-secret", theirs, "--yes", "--json"], 5),
        ("bob", ["apps", "show", mine, "--reveal-secret", "--json"], 5),
        ("bob", ["apps", "list", "--json"], 0),
        ("alice", ["users", "list", "--json"], 0),
        ("alice", ["groups", "list", "--json"], 0),
        ("alice", ["registered", "add", "--name=r", "--url=https://r.example.com", "--json"], 0),
        ("alice", ["registered", "list", "--json"], 0),
        ("alice", ["audit", "--json"], 0),
        ("bob", ["audit", "--json"], 0),
        ("alice", ["apps", "list"], 0),
        ("alice", ["apps", "show", mine], 0),
        ("alice", ["audit"], 0),
        ("alice", ["info"], 0),
    ]
    for user, argv, want in commands:
        code, out, err = run(user, *argv)
        assert code == want, (argv, code, err)
        if "--json" in argv and out:
            json.loads(out)
        secrets.assert_absent(out + err, f"`{' '.join(argv)}` as {user}")
    new = next(r["id"] for r in json.loads(path.read_bytes())["apps"].values() if r["name"] == "new")
    code, out, err = run("alice", "apps", "delete", new, "--yes", "--json")
    assert code == 0
    secrets.assert_absent(out + err, "apps delete --json")

    # With --reveal-secret, the owner gets exactly the stored secret, and nobody else gets it.
    code, out, _ = run("alice", "apps", "show", mine, "--reveal-secret", "--json")
    assert code == 0 and json.loads(out)["client_secret"] == stored_secrets(path)[mine]
    code, out, _ = run("bob", "apps", "show", theirs, "--reveal-secret", "--json")
    assert code == 0 and json.loads(out)["client_secret"] == stored_secrets(path)[theirs]
    code, out, _ = run("alice", "apps", "show", mine, "--reveal-secret")
    assert code == 0 and stored_secrets(path)[mine] in out
    secrets.assert_absent("\n".join(logs.lines), "Python logging")
    secrets.assert_absent(json.dumps(json.loads(path.read_bytes())["audit"]), "the audit trail")


# -- the TUI ---------------------------------------------------------------------------------------------------


def all_notifications(app: Any) -> str:
    """Every notification sent (recorded by tui_helpers) and every one Textual still holds."""
    held = [f"{n.title} {n.message}" for n in app._notifications]
    return "\n".join([*held, *(f"{n['title']} {n['message']}" for n in app.sent)])


async def test_tui_reveal_copy_rotate_edit_never_leak_nor_mask_the_secret(team: dict[str, Any], logs: Collect) -> None:
    path = team["path"]
    secrets = Secrets(path)
    original = stored_secrets(path)[team["mine"]]
    app = make_app(path, "alice")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "mine")
        await pilot.press("r")  # reveal: the details pane shows it, on purpose
        await pilot.pause()
        assert original in details_text(app)
        await pilot.press("C")  # copy
        await pilot.pause()
        assert app.clipboard == original
        assert stored_secrets(path)[team["mine"]] == original
        await pilot.press("e")  # edit and save with the secret revealed: the placeholder must not be saved
        assert isinstance(app.screen, AppFormScreen)
        form_values = " ".join(i.value for i in app.screen.query(Input))
        secrets.assert_absent(form_values, "the edit form")
        await pilot.press("tab", "ctrl+u", *"edited", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        rec = next(r for r in json.loads(path.read_bytes())["apps"].values() if r["id"] == team["mine"])
        assert rec["description"] == "edited" and rec["client_secret"] == original
        await pilot.press("R", "y")  # rotate
        await pilot.pause()
        rotated = stored_secrets(path)[team["mine"]]
        assert rotated != original and SECRET_RE.match(rotated)
        assert original not in details_text(app)  # still revealed: the new one, never a stale copy
        if rotated not in details_text(app):
            await pilot.press("r")
            await pilot.pause()
        assert rotated in details_text(app)
        # A conflict: another session rotates meanwhile; the refused save names who, never the secret.
        await pilot.press("e")
        Controller(path, "alice").rotate_secret(team["mine"])
        await pilot.press("tab", "ctrl+u", *"late", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AppFormScreen)
        await pilot.press("escape")
        await pilot.pause()
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("y")
        # Refused actions on bob's app, forced past the disabled keys.
        await move_to(pilot, "theirs")
        screen = app.screen
        assert isinstance(screen, DevelopersScreen)
        for action in ("copy_secret", "reveal_secret", "rotate_secret"):
            getattr(screen, f"action_{action}")()
            await pilot.pause()
            while not isinstance(app.screen, DevelopersScreen):
                await pilot.press("y")
                await pilot.pause()
        assert app.clipboard in (original, rotated)
        assert "owner only" in details_text(app)
        notes = all_notifications(app)
        assert "Copied the client secret" in notes and "Rotated the client secret" in notes
        assert "(the owner) can" in notes  # the refusals were shown
        secrets.assert_absent(notes, "a notification")
    secrets.update()
    for app_id, secret in stored_secrets(path).items():
        assert SECRET_RE.match(secret) and "•" not in secret, app_id
    secrets.assert_absent("\n".join(logs.lines), "Python logging")
    secrets.assert_absent(json.dumps(json.loads(path.read_bytes())["audit"]), "the audit trail")


@pytest.mark.parametrize("where", ["copy", "details"])
async def test_a_crash_screen_never_shows_a_secret(team: dict[str, Any], monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """An unexpected exception while the secret is in scope (a local, `self._secret`, a record): the traceback
    Textual prints on exit must not hold it."""
    path = team["path"]
    secrets = Secrets(path)
    app = make_app(path, "alice")
    caught: list[str] = []
    monkeypatch.setattr(app, "_print_error_renderables", lambda: caught.append(rendered(app._exit_renderables)))

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("unexpected failure")

    with pytest.raises(RuntimeError, match="unexpected failure"):
        async with app.run_test(size=SIZE) as pilot:
            await move_to(pilot, "mine")
            await pilot.press("r")
            await pilot.pause()
            assert stored_secrets(path)[team["mine"]] in details_text(app)
            if where == "copy":
                monkeypatch.setattr(app, "copy_to_clipboard", boom)  # raises with `secret` a local of the caller
                await pilot.press("C")
            else:
                screen = app.screen
                assert screen._secret is not None  # the revealed secret is held by the screen
                monkeypatch.setattr(screen, "show_details", lambda: boom(screen._secret, secret=screen._secret[2]))
                app.call_later(screen.reload)  # as the store poll does
            await pilot.pause()
    text = caught[0] if caught else rendered(app._exit_renderables)
    assert "RuntimeError" in text and "unexpected failure" in text, text[-2000:]
    secrets.assert_absent(text, "the crash screen")


# -- file modes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_new_store_files_are_0600_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        path = tmp_path / f"umask-{umask:03o}" / "store.json"
        path.parent.mkdir()
        ctl = Controller(path, "alice")
        ctl.create_app({"name": "a", "app_url": "https://a.example.com"})
        ctl.add_user("bob", "editor")
        files = sorted(p for p in path.parent.iterdir())
    finally:
        os.umask(old)
    names = {p.name for p in files}
    assert {"store.json", "store.json.lock"} <= names, names
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in files}
    print(f"\numask {umask:03o}: " + ", ".join(f"{n} {m}" for n, m in sorted(modes.items())))
    assert all(m == "0o600" for m in modes.values()), modes
    assert not [n for n in names if ".tmp-" in n]
