"""Spec section 7. Teams over SSH, for real: a throwaway OpenSSH server on 127.0.0.1 runs `appdeck ssh-serve` as each key's forced command.

The service account is the user running the tests (root in CI: hence `PermitRootLogin
prohibit-password`; key logins only). Two generated client keys are bound, in a temporary
`authorized_keys`, to the appdeck users alice and bob on one temporary store:

    command="<venv>/bin/appdeck ssh-serve --user alice --store <tmp>/store.json",restrict,pty ssh-ed25519 ...

The server also has `AcceptEnv APPDECK_*`, so a client *can* send `APPDECK_USER`/`APPDECK_STORE`:
this proves ssh-serve ignores them rather than relying on sshd to drop them.

Skipped only where Debian's `openssh-server` (/usr/sbin/sshd) or the ssh client tools are missing
(`.ci/run` installs them). All traffic is to 127.0.0.1; every subprocess has a timeout and sshd is
killed in the fixture's teardown.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import pwd
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ssh_client import ssh_base

from store.controller import Controller

SSHD = "/usr/sbin/sshd"
APPDECK = str(Path(sys.executable).with_name("appdeck"))
TIMEOUT = 20


def _missing() -> str | None:
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} is not installed (Debian's openssh-server; .ci/run installs it)"
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (openssh-client)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@dataclass
class Server:
    port: int
    account: str
    keys: dict[str, Path]
    store: Path
    tmp: Path
    log: Path
    checks: list[str] = field(default_factory=list)

    def ssh_argv(self, who: str, *extra: str) -> list[str]:
        return [*ssh_base(self.keys[who], self.port), *extra, "--", f"{self.account}@127.0.0.1"]

    def ssh(self, who: str, command: str | None = None, *extra: str) -> subprocess.CompletedProcess[str]:
        argv = self.ssh_argv(who, *extra) + ([command] if command is not None else [])
        return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)

    def check(self, name: str, ok: bool, detail: object = "") -> None:
        assert ok, f"{name}: {detail}\n--- sshd log ---\n{self.log.read_text(errors='replace')[-3000:]}"
        self.checks.append(name)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, timeout=TIMEOUT, capture_output=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ssh-e2e")
    account = pwd.getpwuid(os.getuid()).pw_name

    # The store: alice is its first admin, bob an editor; alice owns a private app.
    store = tmp / "team" / "store.json"
    store.parent.mkdir()
    alice = Controller(store, "alice")
    alice.add_user("bob", "editor")
    alice.create_app({"name": "Alice private", "app_url": "https://alice.example.com", "sharing": "private"})

    _keygen(tmp / "host_ed25519", "throwaway host key")
    keys: dict[str, Path] = {}
    lines = []
    for user in ("alice", "bob"):
        keys[user] = tmp / f"id_{user}"
        _keygen(keys[user], f"{user}@e2e")
        forced = f"{shlex.quote(APPDECK)} ssh-serve --user {user} --store {shlex.quote(str(store))}"
        assert '"' not in forced
        lines.append(f'command="{forced}",restrict,pty {(tmp / f"id_{user}.pub").read_text().strip()}\n')
    authorized = tmp / "authorized_keys"
    authorized.write_text("".join(lines))
    authorized.chmod(0o600)

    port = _free_port()
    config = tmp / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {tmp / 'host_ed25519'}\n"
        f"PidFile {tmp / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\n"
        f"AllowUsers {account}\n"
        "StrictModes no\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\n"
        "UsePAM no\n"
        "PrintMotd no\n"
        "PrintLastLog no\n"
        "AcceptEnv APPDECK_USER APPDECK_STORE\n"
    )
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    log = tmp / "sshd.log"
    with log.open("wb") as log_fh:
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log_fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    srv = Server(port, account, keys, store, tmp, log)
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                pytest.fail(f"sshd exited with {proc.returncode}: {log.read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"sshd did not listen on 127.0.0.1:{port}: {log.read_text(errors='replace')}")
                time.sleep(0.05)
        yield srv
        print(f"\nssh e2e: {len(srv.checks)} checks passed over real ssh (OpenSSH sshd on 127.0.0.1:{port}, "
              f"service account {account}, keys bound to alice and bob)")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _info_user(out: str) -> str:
    return next(line.split("\t", 1)[1] for line in out.splitlines() if line.startswith("user\t"))


def test_each_key_acts_as_its_user(server: Server) -> None:
    for user in ("alice", "bob"):
        cp = server.ssh(user, "info")
        server.check(f"{user}: info runs", cp.returncode == 0, cp)
        server.check(f"{user}: info shows {user}", _info_user(cp.stdout) == f"{user} (from --user)", cp.stdout)
        server.check(f"{user}: on the forced store", str(server.store) in cp.stdout, cp.stdout)
    cp = server.ssh("bob", "appdeck info")
    server.check("leading `appdeck` word accepted", cp.returncode == 0 and _info_user(cp.stdout).startswith("bob "), cp)


def test_client_environment_cannot_change_user_or_store(server: Server) -> None:
    other = server.tmp / "other.json"
    cp = server.ssh("bob", "info", "-o", "SetEnv=APPDECK_USER=alice APPDECK_STORE=" + str(other))
    server.check("APPDECK_USER/APPDECK_STORE from the client ignored",
                 cp.returncode == 0 and _info_user(cp.stdout) == "bob (from --user)" and str(server.store) in cp.stdout, cp)
    server.check("no other store created", not other.exists())


@pytest.mark.parametrize("command", [
    "apps list --json --user alice", "--user=alice apps list", "--store /tmp/appdeck-x.json apps list",
    "apps list --store=/tmp/appdeck-x.json", "--us alice info", "demo", "ssh-serve --user alice",
])
def test_overrides_and_store_creation_refused(server: Server, command: str) -> None:
    before = server.store.read_bytes()
    cp = server.ssh("bob", command)
    server.check(f"refused: {command}", cp.returncode == 5 and cp.stdout == "" and "appdeck: refused:" in cp.stderr, cp)
    server.check(f"one line: {command}", cp.stderr.strip().count("\n") == 0, cp.stderr)
    server.check(f"store untouched: {command}", server.store.read_bytes() == before)
    assert not Path("/tmp/appdeck-x.json").exists()


@pytest.mark.parametrize("command", ["ls", "sh -c id", "id", "cat /etc/passwd", "scp -t /tmp"])
def test_non_appdeck_commands_refused(server: Server, command: str) -> None:
    cp = server.ssh("alice", command)
    server.check(f"refused: {command}",
                 cp.returncode == 5 and cp.stdout == "" and "not an appdeck command" in cp.stderr, cp)


def test_shell_metacharacters_are_literal(server: Server) -> None:
    marker = server.tmp / "pwned"
    for command in (f"apps list; touch {marker}", f"info $(touch {marker})", f"apps show `touch {marker}`",
                    f"apps list && touch {marker}", f"apps list | touch {marker}"):
        cp = server.ssh("alice", command)
        server.check(f"no shell for: {command}", cp.returncode != 0 and not marker.exists(), cp)


def test_private_app_visible_only_to_its_owner(server: Server) -> None:
    cp = server.ssh("alice", "apps list --json")
    server.check("alice lists her private app", cp.returncode == 0 and [a["name"] for a in json.loads(cp.stdout)] == ["Alice private"], cp)
    app_id = json.loads(cp.stdout)[0]["id"]
    cp = server.ssh("bob", "apps list --json")
    server.check("bob does not see it", cp.returncode == 0 and json.loads(cp.stdout) == [], cp)
    cp = server.ssh("bob", f"apps show {app_id} --json")
    server.check("bob cannot show it", cp.returncode == 4 and cp.stdout == "", cp)
    cp = server.ssh("bob", f"apps delete {app_id} --yes")
    server.check("bob cannot delete it", cp.returncode != 0 and server.ssh("alice", "apps list --json").stdout.count(app_id) == 1, cp)


def test_tui_without_pty_is_a_clear_error(server: Server) -> None:
    cp = server.ssh("alice", None, "-T")
    server.check("no pty: clear message", cp.returncode == 2 and "the TUI needs a terminal" in cp.stderr
                 and "\x1b" not in cp.stdout + cp.stderr, cp)


def test_tui_starts_on_a_pty_and_quits_cleanly(server: Server) -> None:
    """`ssh -tt` under a real pty (80x24): the TUI draws as alice, `q` quits it, ssh exits 0."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    proc = subprocess.Popen(server.ssh_argv("alice", "-tt"), stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True)
    os.close(slave)
    out = bytearray()
    sent_q_at: float | None = None
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the other side closed
                    break
                if not chunk:
                    break
                out += chunk
            if sent_q_at is None and b"Alice private" in out:
                time.sleep(0.3)  # let the first screen settle before the key press
                os.write(master, b"q")
                sent_q_at = time.monotonic()
            if proc.poll() is not None and not ready:
                break
        rc = proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        os.close(master)
    text = out.decode(errors="replace")
    server.check("TUI drew alice's apps on the pty", sent_q_at is not None, text[-2000:])
    server.check("TUI switched to the alternate screen and back", "\x1b[?1049h" in text and "\x1b[?1049l" in text, text[-500:])
    server.check("`q` quit the TUI and ssh exited 0", rc == 0, (rc, text[-1000:]))
