"""Spec section 7. `appdeck ssh-serve`: how SSH_ORIGINAL_COMMAND is parsed, what is refused, and that the key's user and store always win."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.controller import Controller
from tui.ssh_serve import EXIT_REFUSED, Refused, build_argv, parse_remote_command, serve

# (remote command, the appdeck words it runs)
ACCEPTED = [
    (None, []),
    ("", []),
    ("   ", []),
    ("appdeck", []),
    ("--readonly", ["--readonly"]),
    ("appdeck --readonly", ["--readonly"]),
    ("apps list --json", ["apps", "list", "--json"]),
    ("appdeck apps list --json", ["apps", "list", "--json"]),
    ("info", ["info"]),
    ("--help", ["--help"]),
    ("--version", ["--version"]),
    ("--readonly apps list", ["--readonly", "apps", "list"]),
    ("apps show 'My app'", ["apps", "show", "My app"]),
    ('apps create --name "a b" --app-url https://x.example.com', ["apps", "create", "--name", "a b", "--app-url", "https://x.example.com"]),
    # no shell: metacharacters are literal words handed to argparse
    ("apps list; rm -rf /", ["apps", "list;", "rm", "-rf", "/"]),
    ("apps show $(id)", ["apps", "show", "$(id)"]),
    ("apps show `id` | cat > /tmp/x", ["apps", "show", "`id`", "|", "cat", ">", "/tmp/x"]),
    ("apps show x && sh", ["apps", "show", "x", "&&", "sh"]),
    ("apps show '#'", ["apps", "show", "#"]),
    ("apps create --sharing private --name x --app-url https://x.example.com",
     ["apps", "create", "--sharing", "private", "--name", "x", "--app-url", "https://x.example.com"]),
    ("apps show x --name=--userish", ["apps", "show", "x", "--name=--userish"]),
    ("--bogus apps list", ["--bogus", "apps", "list"]),  # an appdeck usage error: argparse says so (exit 2)
]

# (remote command, a fragment of the refusal)
REFUSED = [
    ("--user bob apps list", "--user is fixed"),
    ("--user=bob apps list", "--user is fixed"),
    ("apps list --user bob", "--user is fixed"),
    ("apps list --user=bob", "--user is fixed"),
    ("appdeck apps list --user bob", "--user is fixed"),
    ("--us bob apps list", "--user is fixed"),
    ("--u=bob info", "--user is fixed"),
    ("--store /tmp/x apps list", "--store is fixed"),
    ("--store=/tmp/x apps list", "--store is fixed"),
    ("apps list --store /tmp/x", "--store is fixed"),
    ("apps list --store=/tmp/x", "--store is fixed"),
    ("--sto=/tmp/x info", "--store is fixed"),
    ("info -- --user", "--user is fixed"),
    ("ls", "not an appdeck command: ls"),
    ("ls -la /", "not an appdeck command: ls"),
    ("sh -c id", "not an appdeck command: sh"),
    ("bash", "not an appdeck command: bash"),
    ("/usr/bin/appdeck apps list", "not an appdeck command"),
    ("appdeck appdeck apps list", "not an appdeck command: appdeck"),
    ("python -m tui apps list", "not an appdeck command: python"),
    ("scp -t /tmp", "not an appdeck command: scp"),
    ("git-upload-pack 'repo'", "not an appdeck command: git-upload-pack"),
    ("appdeck; id", "not an appdeck command: appdeck;"),
    ("--readonly ls", "not an appdeck command: ls"),
    ("demo", "`demo` creates stores"),
    ("appdeck demo", "`demo` creates stores"),
    ("--readonly demo", "`demo` creates stores"),
    ("ssh-serve", "`ssh-serve` is the forced command"),
    ("appdeck ssh-serve --help", "`ssh-serve` is the forced command"),
    ("apps show 'unterminated", "cannot parse the remote command"),
    ("\x1b[31mred", "not an appdeck command"),
]


@pytest.mark.parametrize(("command", "words"), ACCEPTED)
def test_accepted(command: str | None, words: list[str]) -> None:
    assert parse_remote_command(command) == words
    assert build_argv("alice", "/srv/s.json", command) == ["--user", "alice", "--store", "/srv/s.json", *words]


@pytest.mark.parametrize(("command", "fragment"), REFUSED)
def test_refused(command: str, fragment: str) -> None:
    with pytest.raises(Refused) as info:
        build_argv("alice", "/srv/s.json", command)
    assert fragment in str(info.value)
    assert "\x1b" not in str(info.value)


def test_table_figures() -> None:
    print(f"\nssh-serve parsing: {len(ACCEPTED)} accepted and {len(REFUSED)} refused remote commands checked")


# -- serve(): in process, the way sshd runs it ----------------------------------------------------------


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with alice (admin) and bob (editor); alice owns a private app. The client's env tries to be bob elsewhere."""
    path = tmp_path / "team" / "store.json"
    path.parent.mkdir()
    alice = Controller(path, "alice")
    alice.add_user("bob", "editor")
    alice.create_app({"name": "Alice private", "app_url": "https://a.example.com", "sharing": "private"})
    monkeypatch.setenv("APPDECK_USER", "bob")
    monkeypatch.setenv("APPDECK_STORE", str(tmp_path / "elsewhere.json"))
    return path


def _serve(monkeypatch: pytest.MonkeyPatch, command: str | None, user: str, store: Path) -> int:
    if command is None:
        monkeypatch.delenv("SSH_ORIGINAL_COMMAND", raising=False)
    else:
        monkeypatch.setenv("SSH_ORIGINAL_COMMAND", command)
    return serve(user, str(store))


def test_serve_runs_as_the_key_user_whatever_the_env(team: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert _serve(monkeypatch, "apps list --json", "alice", team) == 0
    assert [a["name"] for a in json.loads(capsys.readouterr().out)] == ["Alice private"]
    assert _serve(monkeypatch, "appdeck apps list --json", "bob", team) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert _serve(monkeypatch, "info", "alice", team) == 0
    out = capsys.readouterr().out
    assert "alice" in out and str(team) in out and "bob" not in out
    assert not (team.parent.parent / "elsewhere.json").exists()


@pytest.mark.parametrize("command", ["--user bob apps list", "apps list --store=/tmp/x", "ls", "sh -c id", "demo", "ssh-serve"])
def test_serve_refuses_with_exit_5_and_one_line(team: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str], command: str) -> None:
    before = team.read_bytes()
    assert _serve(monkeypatch, command, "alice", team) == EXIT_REFUSED
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err.count("\n") == 1 and cap.err.startswith("appdeck: refused: ")
    assert team.read_bytes() == before


def test_serve_refuses_a_missing_store_instead_of_creating_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none" / "store.json"
    assert _serve(monkeypatch, "apps list", "mallory", missing) == EXIT_REFUSED
    assert "no store at" in capsys.readouterr().err
    assert not missing.exists()


def test_serve_tui_without_a_terminal_is_a_clear_error(team: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    for command in (None, "appdeck --readonly"):
        assert _serve(monkeypatch, command, "alice", team) == 2
        cap = capsys.readouterr()
        assert "the TUI needs a terminal" in cap.err and "ssh -t" in cap.err
        assert cap.out == ""


def test_serve_needs_a_user(team: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "info")
    assert serve(None, str(team)) == 2
    assert "needs --user" in capsys.readouterr().err


def test_cli_dispatches_ssh_serve(team: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`appdeck ssh-serve --user NAME --store PATH` (options after the subcommand, as in authorized_keys)."""
    from tui.cli import run

    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "apps list --json")
    assert run(["ssh-serve", "--user", "bob", "--store", str(team)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "info")
    assert run(["ssh-serve", "--store", str(team)]) == 2  # APPDECK_USER=bob in the env is not enough
    assert "needs --user" in capsys.readouterr().err
