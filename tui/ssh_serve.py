"""`appdeck ssh-serve --user NAME [--store PATH]`: the forced command of one developer's SSH key.

A service account's `authorized_keys` binds each key to one appdeck user, as gitolite does:

    command="/home/appdeck/.venv/bin/appdeck ssh-serve --user alice --store /home/appdeck/store.json",restrict,pty ssh-ed25519 AAAA...

With no remote command (`ssh -t appdeck@host`) it opens the TUI as NAME. With one
(`ssh appdeck@host apps list --json`, optionally prefixed by `appdeck`) it splits
`SSH_ORIGINAL_COMMAND` itself with `shlex` (no shell ever runs it, so `;`, `|`, `$(...)` are plain
words) and runs that appdeck command in this process as NAME on the forced store.

Refused with exit 5 and one line on stderr: anything that is not an appdeck command, `--user` or
`--store` in any spelling (`--user=x`, abbreviations such as `--us`, before or after the
subcommand), `demo` (it creates stores), `ssh-serve` itself, and a store that does not exist yet
(the first connection must not make its user the first admin). `APPDECK_USER`/`APPDECK_STORE` from
the client's environment are ignored: the forced command's values replace them. Nothing is logged;
messages quote at most the one offending word, made safe for the terminal. A remote command that is
not valid UTF-8 is a usage error (exit 2), found before anything else runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import sys
from collections.abc import Sequence

from store.text import safe

EXIT_REFUSED = 5
EXIT_USAGE = 2

FIXED_OPTIONS = ("--user", "--store")
"""Global options the forced command fixes; a client may not give them in any spelling."""

REFUSED_COMMANDS = {
    "demo": "`demo` creates stores; it is not available over SSH",
    "ssh-serve": "`ssh-serve` is the forced command itself; it cannot be run over SSH",
    "export": "`export` holds every client secret; an admin runs it on the host that runs the provider",
}

ALLOWED_LEADING_OPTIONS = ("--readonly", "--help", "-h", "--version")
"""Global options a client may give before the command (the fixed ones aside)."""

HINT = "see the README, 'Teams over SSH'"


class Refused(Exception):
    """A remote command ssh-serve will not run (exit 5)."""


def appdeck_commands() -> frozenset[str]:
    """The top-level subcommands of `appdeck` (`apps`, `users`, `info`, ...)."""
    from tui.cli import build_parser

    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return frozenset(action.choices)
    return frozenset()  # pragma: no cover - the parser always has subcommands


def _fixed_option(word: str) -> str | None:
    """The fixed option `word` names (`--user`, `--user=x`, `--us`, `--sto=x`, ...), else None."""
    if not word.startswith("--"):
        return None
    name = word.split("=", 1)[0]
    if len(name) <= 2:  # `--` alone ends options; it names nothing
        return None
    return next((opt for opt in FIXED_OPTIONS if opt.startswith(name)), None)


def _short(word: str, limit: int = 40) -> str:
    """One word for a message: safe for the terminal and short."""
    text = safe(word)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_remote_command(command: str | None) -> list[str]:
    """The appdeck arguments in `SSH_ORIGINAL_COMMAND` (without `--user`/`--store`), or raise `Refused`.

    `None` or a blank command means the interactive TUI and gives `[]`. An optional leading
    `appdeck` word is dropped. No shell is involved: shell syntax is just literal words.
    """
    if command is None or not command.strip():
        return []
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise Refused(f"cannot parse the remote command ({exc}); quote it as a POSIX shell would") from None
    if words and words[0] == "appdeck":
        words = words[1:]
    for word in words:
        opt = _fixed_option(word)
        if opt is not None:
            raise Refused(f"{opt} is fixed by your SSH key; remove {_short(word.split('=', 1)[0])} from the command")
    commands = appdeck_commands()
    for word in words:
        if word.startswith("-"):
            if word in ALLOWED_LEADING_OPTIONS:
                continue
            break  # an unknown option: argparse explains it (exit 2)
        if word in REFUSED_COMMANDS:
            raise Refused(REFUSED_COMMANDS[word])
        if word not in commands:
            raise Refused(
                f"not an appdeck command: {_short(word)}; this key only runs appdeck "
                f"({', '.join(sorted(commands - set(REFUSED_COMMANDS)))})"
            )
        break
    return words


def _preparse(argv: Sequence[str]) -> argparse.Namespace | None:
    """Parse as `tui.cli.run` will, silently; None when argparse would exit (help, version, usage error)."""
    from tui.cli import build_parser, hoist_global_options

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            return build_parser().parse_args(hoist_global_options(list(argv)))
        except SystemExit:
            return None


def build_argv(user: str, store: str, command: str | None) -> list[str]:
    """The full `tui.cli.run` argv for one connection, or raise `Refused`.

    The forced `--user`/`--store` go first; the client's words follow. As a second line of defence,
    the result is parsed the way `run` parses it and must still act as `user` on `store`.
    """
    words = parse_remote_command(command)
    argv = ["--user", user, "--store", store, *words]
    ns = _preparse(argv)
    if ns is not None:
        if ns.user != user or ns.store != store:
            raise Refused("the user and the store are fixed by your SSH key")
        if ns.group in REFUSED_COMMANDS:
            raise Refused(REFUSED_COMMANDS[ns.group])
    return argv


def wants_tui(argv: Sequence[str]) -> bool:
    """Whether this argv starts the TUI (no subcommand, no help/version)."""
    ns = _preparse(argv)
    return ns is not None and ns.group is None


def undecodable_command(raw: bytes | None) -> str | None:
    """The usage error (one sentence, exit 2) for a remote command that is not valid UTF-8, else None (spec section 9).

    Read from `os.environb`, the bytes sshd set: `os.environ` would hide them behind surrogateescape."""
    if raw is None:
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before, after = raw[: exc.start], raw[exc.start :]
        head = before.split()[-1] if before[-1:] and not before[-1:].isspace() else b""
        word = (head + after.split(None, 1)[0]).decode("utf-8", "backslashreplace")
        return f"the remote command is not valid UTF-8 (at {_short(word)}); send it as UTF-8 text"
    return None


def serve(user: str | None, store: str | None) -> int:
    """Run one SSH connection's request as `user` on `store`; the exit code."""
    from store.resolve import resolve_store
    from tui.cli import run

    problem = undecodable_command(os.environb.get(b"SSH_ORIGINAL_COMMAND"))
    if problem is not None:  # before anything else: the store is neither read nor created
        print(f"appdeck: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if not user:
        print("appdeck: ssh-serve needs --user NAME (it is the forced command of one SSH key; " + HINT + ")",
              file=sys.stderr)
        return EXIT_USAGE
    # The forced command's values win over anything in the environment.
    os.environ.pop("APPDECK_USER", None)
    os.environ.pop("APPDECK_STORE", None)
    path, _ = resolve_store(store)
    os.environ["APPDECK_USER"] = user
    os.environ["APPDECK_STORE"] = str(path)
    command = os.environ.pop("SSH_ORIGINAL_COMMAND", None)
    try:
        argv = build_argv(user, str(path), command)
        if not path.exists():
            raise Refused(f"there is no store at {_short(str(path), 200)} yet; an administrator creates it on the host "
                          f"first ({HINT})")
    except Refused as exc:
        print(f"appdeck: refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    if wants_tui(argv) and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("appdeck: the TUI needs a terminal: connect with `ssh -t HOST`, or give a command "
              "(`ssh HOST apps list`)", file=sys.stderr)
        return EXIT_USAGE
    return run(argv)
