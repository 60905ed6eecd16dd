"""Spec section 9 (and 7, for `ssh-serve`): text that is not valid UTF-8 in argv or `SSH_ORIGINAL_COMMAND` is a
usage error: one sentence on stderr, exit 2, no traceback, and the store untouched (not even created).

Python decodes argv and the environment with surrogateescape, so an undecodable byte such as 0xff arrives as a lone
surrogate; before this rule it reached the store's writer (a TypeError traceback, exit 1: "refused" for
`check-url`) or a store was created with the byte in its name. The subprocess tests pass real bytes (argv as bytes,
`SSH_ORIGINAL_COMMAND` through a bytes environment), once per command group.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.controller import Controller
from tui.cli import not_utf8, undecodable_input
from tui.ssh_serve import undecodable_command

ROOT = Path(__file__).resolve().parents[2]
BAD = b"bad\xffname"

# One command per group (and the TUI with no command), each with an undecodable argument where that group reads text;
# they run as alice, the store's admin, so that before the rule each one reached the store (a later `--user` wins).
ARGV_CASES: dict[str, list[bytes]] = {
    "apps create": [b"apps", b"create", b"--name", BAD, b"--app-url", b"https://x.example.com"],
    "apps check-url": [b"apps", b"check-url", b"Portal", b"--callback", b"https://portal.example.com/\xff"],
    "apps show": [b"apps", b"show", b"Portal\xfe", b"--json"],
    "users": [b"users", b"add", b"b\xffob", b"--role", b"editor"],
    "groups": [b"groups", b"add", b"team\xc3"],
    "registered": [b"registered", b"add", b"--name", BAD, b"--url", b"https://r.example.com"],
    "org": [b"org", b"rename", BAD],
    "audit": [b"audit", b"--app", BAD],
    "info": [b"--user", b"al\xffice", b"info"],
    "store": [b"store", b"verify", b"--json", b"\xed\xa0\x80"],  # an encoded surrogate is not UTF-8 either
    "demo": [b"--user", b"al\xffice", b"demo"],
    "tui": [b"--user", b"al\xffice", b"--readonly"],
    "ssh-serve": [b"ssh-serve", b"--user", b"al\xffice"],
}

# The same groups over ssh-serve: the remote command as sshd hands it over, in bytes.
REMOTE_CASES: dict[str, bytes] = {
    "apps create": b"apps create --name 'bad\xffname' --app-url https://x.example.com",
    "apps check-url": b"apps check-url Portal --callback https://portal.example.com/\xff",
    "apps show": b'apps show "Portal\xfe" --json',
    "users": b"users add b\xffob --role editor",
    "groups": b"groups add team\xc3",
    "registered": b"registered add --name bad\xffname --url https://r.example.com",
    "org": b"org rename bad\xffname",
    "audit": b"audit --app bad\xffname",
    "info": b"info \xff",
    "store": b"store verify \xed\xa0\x80",
    "demo": b"demo \xff",
    "appdeck prefix": b"appdeck apps list --json \xff",
    "tui": b"--readonly \xff",
    "not appdeck": b"ls \xff",
}


def _env() -> dict[bytes, bytes]:
    env = {k: v for k, v in os.environb.items() if not k.startswith(b"APPDECK_") and k != b"SSH_ORIGINAL_COMMAND"}
    env[b"PYTHONDONTWRITEBYTECODE"] = b"1"
    return env


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """A store with alice (admin) and one app, Portal, in a directory of its own."""
    path = tmp_path / "team" / "store.json"
    path.parent.mkdir()
    Controller(path, "alice").create_app({"name": "Portal", "app_url": "https://portal.example.com"})
    return path


def _assert_usage_error(cp: subprocess.CompletedProcess[bytes], what: str) -> None:
    err = cp.stderr.decode("utf-8", "replace")
    assert cp.returncode == 2, (what, cp.returncode, err)
    assert b"Traceback" not in cp.stderr, (what, err)
    assert cp.stdout == b"", (what, cp.stdout)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("appdeck: ") and "not valid UTF-8" in lines[0], (what, err)
    assert lines[0].endswith("as UTF-8 text"), (what, err)  # one sentence that says what to do
    cp.stderr.decode("utf-8")  # the message itself is valid UTF-8 (the bad bytes are shown as \xNN)


@pytest.mark.parametrize("group", list(ARGV_CASES))
def test_undecodable_argv_is_a_usage_error_in_every_group(team: Path, tmp_path: Path, group: str) -> None:
    """Section 9: argv that is not valid UTF-8 is exit 2 in one sentence; the store's directory is byte-for-byte
    unchanged, and the default and `APPDECK_STORE` stores are not created."""
    before = _snapshot(team.parent)
    env = _env()
    other = tmp_path / "env-store.json"
    env[b"APPDECK_STORE"] = os.fsencode(other)
    env[b"XDG_DATA_HOME"] = os.fsencode(tmp_path / "xdg")
    argv = [os.fsencode(sys.executable), b"-m", b"tui", b"--store", os.fsencode(team), b"--user", b"alice",
            *ARGV_CASES[group]]
    cp = subprocess.run(argv, capture_output=True, env=env, cwd=ROOT, timeout=30, stdin=subprocess.DEVNULL)
    _assert_usage_error(cp, group)
    assert _snapshot(team.parent) == before
    assert not other.exists() and not (tmp_path / "xdg").exists()


def test_undecodable_store_path_creates_nothing(tmp_path: Path) -> None:
    """Section 9: `demo --store` with an undecodable path is exit 2 before any file is made."""
    target = os.fsencode(tmp_path) + b"/demo\xff.json"
    env = _env()
    cp = subprocess.run([os.fsencode(sys.executable), b"-m", b"tui", b"demo", b"--store", target, b"--user", b"alice"],
                        capture_output=True, env=env, cwd=ROOT, timeout=30, stdin=subprocess.DEVNULL)
    _assert_usage_error(cp, "demo --store")
    assert os.listdir(os.fsencode(tmp_path)) == []


@pytest.mark.parametrize("variable", [b"APPDECK_USER", b"APPDECK_STORE"])
def test_undecodable_environment_options_are_usage_errors(team: Path, tmp_path: Path, variable: bytes) -> None:
    """Section 9: `APPDECK_USER`/`APPDECK_STORE` are argv's `--user`/`--store` by another name: the same rule."""
    before = _snapshot(team.parent)
    env = _env()
    env[b"APPDECK_USER"] = b"alice"
    env[b"APPDECK_STORE"] = os.fsencode(team)
    env[variable] = os.fsencode(tmp_path) + b"/s\xff.json" if variable == b"APPDECK_STORE" else b"al\xffice"
    cp = subprocess.run([os.fsencode(sys.executable), b"-m", b"tui", b"apps", b"list"],
                        capture_output=True, env=env, cwd=ROOT, timeout=30, stdin=subprocess.DEVNULL)
    _assert_usage_error(cp, variable.decode())
    assert variable.decode() in cp.stderr.decode()
    assert _snapshot(team.parent) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team"]


@pytest.mark.parametrize("group", list(REMOTE_CASES))
def test_undecodable_remote_command_is_a_usage_error(team: Path, group: str) -> None:
    """Sections 7 and 9: a remote command that is not valid UTF-8 is exit 2 (a usage error, not a refusal),
    whatever it asks for, and the forced store is untouched."""
    before = _snapshot(team.parent)
    env = _env()
    env[b"SSH_ORIGINAL_COMMAND"] = REMOTE_CASES[group]
    argv = [os.fsencode(sys.executable), b"-m", b"tui", b"ssh-serve", b"--user", b"alice", b"--store", os.fsencode(team)]
    cp = subprocess.run(argv, capture_output=True, env=env, cwd=ROOT, timeout=30, stdin=subprocess.DEVNULL)
    _assert_usage_error(cp, group)
    assert "remote command" in cp.stderr.decode()
    assert _snapshot(team.parent) == before


def test_undecodable_remote_command_before_the_store_exists(tmp_path: Path) -> None:
    """Section 7: the bytes check comes first, so even the check for a missing store never looks at the disk."""
    env = _env()
    env[b"SSH_ORIGINAL_COMMAND"] = b"info \xff"
    missing = tmp_path / "nope" / "store.json"
    cp = subprocess.run([os.fsencode(sys.executable), b"-m", b"tui", b"ssh-serve", b"--user", b"alice", b"--store",
                         os.fsencode(missing)], capture_output=True, env=env, cwd=ROOT, timeout=30, stdin=subprocess.DEVNULL)
    _assert_usage_error(cp, "missing store")
    assert list(tmp_path.iterdir()) == []


def test_valid_non_ascii_text_still_runs(team: Path) -> None:
    """Section 9: the rule is about bytes, not about non-ASCII: a UTF-8 name with accents and a space works, on
    argv and over ssh-serve."""
    env = _env()
    base = [os.fsencode(sys.executable), b"-m", b"tui", b"--store", os.fsencode(team), b"--user", b"alice"]
    name = "Caf\u00e9 \u00fcber".encode()
    cp = subprocess.run([*base, b"apps", b"create", b"--name", name, b"--app-url", b"https://cafe.example.com"],
                        capture_output=True, env=env, cwd=ROOT, timeout=30, stdin=subprocess.DEVNULL)
    assert cp.returncode == 0, cp.stderr
    env[b"SSH_ORIGINAL_COMMAND"] = b"apps show '" + name + b"' --json"
    cp = subprocess.run([os.fsencode(sys.executable), b"-m", b"tui", b"ssh-serve", b"--user", b"alice", b"--store",
                         os.fsencode(team)], capture_output=True, env=env, cwd=ROOT, timeout=30, stdin=subprocess.DEVNULL)
    assert cp.returncode == 0 and name in cp.stdout, cp.stderr


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=24))
def test_not_utf8_is_exactly_invalid_utf8(raw: bytes) -> None:
    """Section 9: a word decoded from bytes the way Python decodes argv is flagged exactly when those bytes are not
    valid UTF-8; the remote-command check agrees, and its message is one line of valid UTF-8."""
    try:
        raw.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert not_utf8(os.fsdecode(raw)) is not valid
    message = undecodable_command(raw)
    assert (message is None) is valid
    if message is not None:
        assert "\n" not in message and "\x1b" not in message
        message.encode("utf-8")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=5), st.integers(0, 5), st.sampled_from(["\udcff", "\ud800", "x\udc80y"]))
def test_undecodable_input_names_the_first_bad_argument(words: list[str], at: int, bad: str) -> None:
    """Section 9: any lone surrogate in any argument (however it got there) is caught, and the message names its
    position; well-formed text passes."""
    words = [w.encode("utf-8", "replace").decode("utf-8") for w in words]  # hypothesis text may hold surrogates
    assert undecodable_input(words) is None or any(not_utf8(w) for w in words)
    at = min(at, len(words))
    argv = [*words[:at], bad, *words[at:]]
    message = undecodable_input(argv)
    assert message is not None and message.startswith(f"argument {at + 1} ")
    message.encode("utf-8")
