"""Issue 11 for the CLI: the list fits the terminal (item 8), help like gh's with completion scripts (item 10), no
TUI without a terminal, and the words (conflicts, the URL checker, refusals, groups) as the CLI prints them.

The terminal decision has one seam, `tui.cli.is_terminal`: the in-process tests replace it and set COLUMNS (which
shutil.get_terminal_size reads first); one test runs the real entry point on a pseudo-terminal."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from test_cli import ROOT, cli, ok, run_tty

from store.controller import Controller
from tui import cli as appdeck_cli

LONG = "A rather long application name that goes on and on"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """alice (admin), eve (editor, owns Portal and a long-named app), vic (viewer); one disabled app."""
    p = tmp_path / "i11" / "store.json"
    p.parent.mkdir()
    admin = Controller(p, "alice")
    admin.add_user("eve", "editor")
    admin.add_user("vic")
    eve = Controller(p, "eve")
    eve.create_app({"name": "Portal", "app_url": "https://portal.example.com", "advanced": True,
                    "callback_urls": ["https://portal.example.com/cb"], "cors_origins": ["https://portal.example.com"]})
    eve.create_app({"name": LONG, "app_url": "https://long.example.com"})
    off = eve.create_app({"name": "Old", "app_url": "https://old.example.com"}).app
    eve.set_enabled(off.id, False)
    return p


def run_in_process(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *,
                   terminal: bool, columns: int = 80) -> tuple[int, str, str]:
    monkeypatch.setattr(appdeck_cli, "is_terminal", lambda stream: terminal)
    monkeypatch.setenv("COLUMNS", str(columns))
    code = appdeck_cli.run(argv)
    out, err = capsys.readouterr()
    return code, out, err


def width(line: str) -> int:
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


# -- item 8: the table fits the terminal -------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [80, 60, 40, 120])
def test_list_fits_the_terminal(store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                columns: int) -> None:
    code, out, _ = run_in_process(["--store", str(store), "--user", "eve", "apps", "list"], capsys, monkeypatch,
                                  terminal=True, columns=columns)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4 and "\t" not in out
    assert all(width(line) <= columns for line in lines), [(width(line), line) for line in lines]
    assert re.sub(r"\x1b\[[0-9;]*m", "", lines[0]).startswith("NAME")
    long_row = next(line for line in lines if line.startswith("A rather"))
    assert LONG not in long_row and "…" in long_row  # cut with an ellipsis
    assert any(line.startswith("Portal ") for line in lines)
    assert "disabled" in out  # the state column stays: it is never left out
    if columns >= 80:
        client_id = Controller(store, "eve").get_app("Portal").client_id
        assert client_id not in out and client_id[:8] + "…" in out  # a short client ID
        assert re.search(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b", out) and "+00:00" not in out  # a short time
        assert " SPA " in out  # the TUI's words


def test_wide_prints_everything(store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_in_process(["--store", str(store), "--user", "eve", "apps", "list", "--wide"], capsys, monkeypatch,
                                  terminal=True, columns=80)
    assert code == 0
    app = Controller(store, "eve").get_app("Portal")
    assert LONG in out and app.client_id in out and app.updated_at in out and app.id in out and "…" not in out


def test_applications_view_fits_too(store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_in_process(["--store", str(store), "--user", "vic", "apps", "list", "--view", "applications"], capsys,
                                  monkeypatch, terminal=True, columns=50)
    assert code == 0 and all(width(line) <= 50 for line in out.splitlines()), out


def test_piped_list_stays_complete_tsv(store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_in_process(["--store", str(store), "--user", "eve", "apps", "list"], capsys, monkeypatch,
                                  terminal=False, columns=40)
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert all(len(r) == 8 for r in rows) and "…" not in out and "\x1b" not in out
    app = Controller(store, "eve").get_app("Portal")
    assert [app.name, "spa", app.sharing, "eve", app.client_id, app.updated_at, app.id, ""] in rows
    assert any(r[0] == LONG for r in rows) and any(r[-1] == "disabled" for r in rows)


def test_list_on_a_real_terminal(store: Path) -> None:
    """The real entry point on a pseudo-terminal 80 wide: no line is wider, the long name is cut."""
    code, out = run_tty("apps", "list", store=store, user="eve", env={"COLUMNS": "80"})
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.decode().replace("\r\n", "\n"))
    assert code == 0 and "…" in text and LONG not in text
    assert all(width(line) <= 80 for line in text.splitlines()), text
    piped = ok("apps", "list", store=store, user="eve", env={"COLUMNS": "80"})
    assert LONG in piped.text and "\t" in piped.text


# -- item 10: help like gh's, completion scripts ----------------------------------------------------------------


def parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    out = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                out += parsers(child, (*path, name))
    return out


def test_every_option_of_every_command_has_a_one_line_help() -> None:
    missing = []
    for path, parser in parsers(appdeck_cli.build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            text = action.help
            if not text or text == argparse.SUPPRESS or "\n" in text or len(text) > 120:
                missing.append((" ".join(path), action.option_strings or action.dest, text))
    assert not missing, missing


def test_every_command_help_ends_with_examples() -> None:
    for path, parser in parsers(appdeck_cli.build_parser()):
        help_text = parser.format_help()
        tail = help_text.rstrip().split("\n\nexamples:\n")
        assert len(tail) == 2, (path, help_text)
        examples = tail[1].splitlines()
        assert 2 <= len(examples) <= 3, (path, examples)
        assert all(line.startswith("  $ appdeck") or "authorized_keys" in line for line in examples), (path, examples)
        assert all(" ".join(path) in line for line in examples if line.startswith("  $ appdeck")) or path[:1] in (("org",), ("demo",)), (path, examples)


def test_apps_create_help_explains_each_option() -> None:
    """Today's `apps create --help` listed bare option names: each now has its sentence beside it."""
    r = ok("apps", "create", "--help")
    flat = " ".join(r.text.split())
    for option, words in (("--name NAME", "the app's name"), ("--app-url URL", "the app's URL"),
                          ("--callback-url URL", "an allowed callback URL"),
                          ("--token-auth {none,client_secret_post,client_secret_basic}", "token endpoint authentication"),
                          ("--json", "print the saved app as JSON")):
        assert f"{option} {words}" in flat, option
    assert "examples:\n  $ appdeck apps create" in r.text


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str, tmp_path: Path) -> None:
    r = ok("completion", shell)
    script = r.text
    for word in ("apps", "users", "groups", "registered", "audit", "check-url", "rotate-secret", "if-version", "wide"):
        assert word in script, (shell, word)
    path = tmp_path / f"appdeck.{shell}"
    path.write_text(script)
    binary = shutil.which(shell)
    if binary is None:
        if shell == "bash":
            pytest.fail("bash is needed to check the bash script")
        pytest.skip(f"{shell} is not installed: only the script's content is checked")
    cp = subprocess.run([binary, "-n", str(path)], capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, cp.stderr


def test_bash_completion_completes_subcommands(tmp_path: Path) -> None:
    script = tmp_path / "appdeck.bash"
    script.write_text(ok("completion", "bash").text)
    probe = (f'source {script}; COMP_WORDS=(appdeck apps r); COMP_CWORD=2; COMP_LINE="appdeck apps r"; '
             'COMP_POINT=${#COMP_LINE}; _shtab_appdeck; printf "%s\\n" "${COMPREPLY[@]}"')
    cp = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert set(cp.stdout.split()) >= {"restore", "rotate-secret"}, (cp.stdout, cp.stderr)


def test_completion_needs_a_known_shell() -> None:
    r = cli("completion", "tcsh")
    assert r.code == 2 and "invalid choice" in r.errtext


# -- no TUI without a terminal -----------------------------------------------------------------------------------


def _tui(store: Path, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "APPDECK_STORE": str(store), "APPDECK_USER": "eve", "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        return subprocess.run([sys.executable, "-m", "tui"], env=env, cwd=str(ROOT), timeout=30, **kw)
    except subprocess.TimeoutExpired:
        pytest.fail("the TUI started although stdout or stdin is not a terminal")


def test_no_tui_when_stdout_is_piped(store: Path) -> None:
    cp = _tui(store, stdin=subprocess.DEVNULL, capture_output=True)
    assert cp.returncode == 2 and cp.stdout == b""  # no escape codes in the pipe
    lines = cp.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert "the TUI needs a terminal" in lines[0] and "appdeck apps list" in lines[0] and "appdeck --help" in lines[0]


def test_no_tui_when_stdin_is_not_a_terminal(store: Path) -> None:
    """stdout on a pseudo-terminal, stdin from /dev/null."""
    import pty

    master, slave = pty.openpty()
    try:
        cp = _tui(store, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE)
    finally:
        os.close(slave)
        os.close(master)
    assert cp.returncode == 2 and "the TUI needs a terminal (stdin is not one)" in cp.stderr.decode()


# -- the words, through the CLI ----------------------------------------------------------------------------------


def test_check_url_says_the_verdict_once(store: Path) -> None:
    r = cli("apps", "check-url", "Portal", "--cors", "https://evil.example.com", store=store, user="eve")
    assert r.code == 1
    assert r.text.startswith('REFUSED  "https://evil.example.com" matches no allowed origin (CORS).'), r.text
    assert "Refused" not in r.text and "allowed allowed" not in r.text
    r = ok("apps", "check-url", "Portal", "--callback", "https://portal.example.com/cb", store=store, user="eve")
    assert r.text.startswith('ALLOWED  "https://portal.example.com/cb" matches the allowed callback URL'), r.text


def test_if_version_that_never_existed(store: Path) -> None:
    r = cli("apps", "update", "Portal", "--description", "x", "--if-version", "99", store=store, user="eve")
    assert r.code == 6
    lines = r.errtext.splitlines()
    app = Controller(store, "eve").get_app("Portal")
    assert lines[0].startswith('appdeck: "Portal" has no version 99: it is at version 1, saved by eve at '), lines
    assert "changed since you opened it" not in r.errtext and "reload" not in r.errtext.lower()
    assert re.search(r" at \d{4}-\d{2}-\d{2} \d{2}:\d{2}\. ", lines[0]) and app.updated_at not in r.errtext
    assert f"appdeck apps show {app.id}" in r.errtext and "--if-version 1" in r.errtext


def test_stale_if_version_offers_the_cli_way_out(store: Path) -> None:
    ok("apps", "update", "Portal", "--description", "theirs", store=store, user="eve")
    r = cli("apps", "update", "Portal", "--description", "mine", "--if-version", "1", store=store, user="eve")
    assert r.code == 6
    assert "changed since you opened it: eve saved version 2 at " in r.errtext and "reload" not in r.errtext.lower()
    assert "appdeck apps show" in r.errtext and "--if-version 2" in r.errtext
    assert ok("apps", "show", "Portal", "--json", store=store, user="eve").json()["description"] == "theirs"


def test_refusals_read_right(store: Path) -> None:
    r = cli("apps", "show", "Portal", "--reveal-secret", store=store, user="alice")
    assert r.code == 5 and r.errtext == 'appdeck: Only eve (the owner) can reveal the secret of "Portal".\n', r.errtext
    r = cli("apps", "enable", "Portal", store=store, user="eve")
    assert r.code == 5 and r.errtext == 'appdeck: "Portal" is already enabled.\n', r.errtext


def test_group_name_taken_names_the_stored_group(store: Path) -> None:
    ok("groups", "add", "mobile", store=store)
    r = cli("groups", "add", "Mobile", store=store)
    assert r.code == 3
    assert r.errtext == 'appdeck: A group named "mobile" already exists (group names are compared ignoring case).\n'


def test_login_url_suggestion_only_when_valid(store: Path) -> None:
    r = cli("apps", "update", "Portal", "--login-url", "http://localhost/login#x", store=store, user="eve")
    assert r.code == 3 and "must use https" in r.errtext and "did you mean" not in r.errtext, r.errtext
    r = cli("apps", "update", "Portal", "--login-url", "http://portal.example.com/login", store=store, user="eve")
    assert r.code == 3 and 'did you mean "https://portal.example.com/login"?' in r.errtext, r.errtext
