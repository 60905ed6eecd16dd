"""The README's "Teams over SSH" steps, followed as written, with a separate service account (spec section 7).

As root, the fixture creates a throwaway unix account the way step 1 says (`adduser --disabled-password`, or
`useradd -m` where Debian's adduser is missing), then, *as that account*:

- step 2: makes `~/.venv` and runs `pip install` on a **read-only copy of this checkout** (the account cannot write
  it; setuptools used to fail there writing appdeck.egg-info). Offline, so CI needs no package index: the venv
  reaches appdeck's dependencies and the build backend (hatchling) through one `.pth` line to a copy of the test
  environment's own packages, and pip runs with `--no-index --no-build-isolation --no-deps`. Everything else is a
  real build and install: the wheel, its style sheets, the `appdeck` console script in `~/.venv/bin`;
- step 3: creates `~/store.json` with alice as its first admin and adds bob;
- step 4: writes `~/.ssh/authorized_keys` (0700/0600, owned by the account) with one forced-command line per key.

A throwaway OpenSSH server on 127.0.0.1 (Debian's defaults where they matter: `UsePAM yes`, `StrictModes yes`, the
default `AuthorizedKeysFile`) then serves step 5: alice and bob connect with their own keys and run scripted
commands whose names hold a space, quoted for the remote side as the README shows.

Skipped only when not running as root (creating the account needs it) or where sshd/ssh/ssh-keygen are missing
(`.ci/run` installs them). Every subprocess has a timeout; sshd is killed and the account and its home removed in
teardown.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from ssh_client import ssh_base

ROOT = Path(__file__).resolve().parents[2]
SSHD = "/usr/sbin/sshd"
TIMEOUT = 30
SOURCES = ("store", "tui", "pyproject.toml", "README.md", ".gitignore")
"""What the read-only copy of the checkout holds: what the wheel is built from."""


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root: it creates a throwaway service account (CI runs as root)"
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} is not installed (Debian's openssh-server; .ci/run installs it)"
    for tool in ("ssh", "ssh-keygen", "runuser", "userdel"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if shutil.which("adduser") is None and shutil.which("useradd") is None:
        return "neither adduser nor useradd is installed"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@dataclass
class Team:
    account: str
    home: Path
    port: int
    keys: dict[str, Path]
    log: Path
    checkout: Path
    checkout_before: dict[str, float]
    install: subprocess.CompletedProcess[str]

    def ssh_argv(self, who: str, *, tty: bool = False) -> list[str]:
        """`ssh [options] appdeck@host` as the README writes it: the remote words follow the host (no `--`)."""
        return [*ssh_base(self.keys[who], self.port), *(["-t"] if tty else []), f"{self.account}@127.0.0.1"]

    def ssh(self, who: str, *words: str, tty: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.ssh_argv(who, tty=tty), *words], capture_output=True, text=True,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL)

    def explain(self, cp: object) -> str:
        return f"{cp}\n--- sshd log ---\n{self.log.read_text(errors='replace')[-3000:]}"


def _as(account: str, home: Path, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run argv as the service account in its home, with a clean login-like environment."""
    env = {"HOME": str(home), "USER": account, "LOGNAME": account, "PATH": "/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    return subprocess.run([shutil.which("runuser") or "runuser", "-u", account, "--", *argv], capture_output=True, text=True, env=env,
                          cwd=home, timeout=120, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL)


def _python_for(account: str, home: Path) -> str | None:
    """A Python of the test's own X.Y (so the copied compiled packages load) that the account can execute."""
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [sys.executable, os.path.realpath(sys.executable), getattr(sys, "_base_executable", ""),
                  f"/usr/bin/python{minor}", f"/usr/local/bin/python{minor}", shutil.which(f"python{minor}") or ""]
    for cand in dict.fromkeys(c for c in candidates if c):
        cp = _as(account, home, cand, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])")
        if cp.returncode == 0 and cp.stdout.strip() == minor:
            return cand
    return None


def _requirement_name(req: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
    assert match, req
    return match.group(0)


def _copy_distributions(target: Path) -> list[str]:
    """Copy appdeck's runtime dependencies, its build backend and pip (with their own dependencies) from this environment into
    `target`, file by file from each distribution's RECORD; the names copied."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    todo = [_requirement_name(r) for r in pyproject["project"]["dependencies"] + pyproject["build-system"]["requires"]]
    todo.append("pip")
    done: dict[str, metadata.Distribution] = {}
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in done:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement that is not installed here
        done[key] = dist
        todo += [_requirement_name(r) for r in dist.requires or [] if "extra ==" not in r]
    for dist in done.values():
        base = Path(str(dist.locate_file(""))).resolve()
        for file in dist.files or []:
            src = Path(str(dist.locate_file(file))).resolve()
            if "__pycache__" in src.parts or not src.is_relative_to(base) or not src.is_file():
                continue  # console scripts live outside site-packages; bytecode is rebuilt
            dst = target / src.relative_to(base)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return sorted(done)


def _listing(top: Path) -> dict[str, float]:
    return {str(p.relative_to(top)): p.lstat().st_mtime for p in sorted(top.rglob("*"))} | {".": top.lstat().st_mtime}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, timeout=TIMEOUT, capture_output=True)


def _start_sshd(work: Path, account: str, use_pam: bool) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = _free_port()
    config = work / f"sshd_config_{'pam' if use_pam else 'nopam'}"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {work / 'host_ed25519'}\nPidFile {work / 'sshd.pid'}\n"
        f"AllowUsers {account}\nPubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        f"UsePAM {'yes' if use_pam else 'no'}\nPrintMotd no\nPrintLastLog no\n"
    )
    log = work / "sshd.log"
    with log.open("ab") as log_fh:
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log_fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while True:
        if proc.poll() is not None:
            pytest.fail(f"sshd exited with {proc.returncode}: {log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port, log
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"sshd did not listen on 127.0.0.1:{port}: {log.read_text(errors='replace')}")
            time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


@pytest.fixture(scope="module")
def team() -> Iterator[Team]:
    account = f"appdeck-e2e{os.getpid() % 100000}"
    work = Path(tempfile.mkdtemp(prefix="appdeck-team-", dir="/tmp"))  # /tmp, not pytest's 0700 tmp: the account reads it
    work.chmod(0o755)
    procs: list[subprocess.Popen[bytes]] = []
    created = False
    try:
        # Step 1: the service account.
        if shutil.which("adduser"):
            cmd = ["adduser", "--disabled-password", "--gecos", "appdeck", account]
        else:
            cmd = ["useradd", "-m", "-s", "/bin/bash", account]
        cp = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        assert cp.returncode == 0, cp
        created = True
        home = Path(os.path.expanduser(f"~{account}"))

        # Step 2: install from a checkout the account cannot write.
        checkout = work / "appdeck"
        checkout.mkdir()
        for name in SOURCES:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, checkout / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            elif src.exists():
                shutil.copy2(src, checkout / name)
        deps = work / "site"
        deps.mkdir()
        copied = _copy_distributions(deps)
        assert "pip" in copied and "textual" in copied, copied
        for p in [work, *work.rglob("*")]:
            if not p.is_symlink():
                p.chmod(stat.S_IMODE(p.lstat().st_mode) & ~0o222 | 0o444 | (0o111 if p.is_dir() else 0))
        assert _as(account, home, "test", "-w", str(checkout)).returncode != 0  # root may write anything; the account may not
        before = _listing(checkout)
        python = _python_for(account, home)
        if python is None:
            pytest.skip(f"no Python {sys.version_info.major}.{sys.version_info.minor} that {account} can execute")
        cp = _as(account, home, python, "-m", "venv", "--without-pip", str(home / ".venv"))
        assert cp.returncode == 0, cp
        site = _as(account, home, str(home / ".venv/bin/python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
        assert site.returncode == 0, site
        cp = _as(account, home, "sh", "-c", 'cat > "$1"', "sh", f"{site.stdout.strip()}/appdeck_e2e_deps.pth", stdin=f"{deps}\n")
        assert cp.returncode == 0, cp
        started = time.monotonic()
        install = _as(account, home, str(home / ".venv/bin/python"), "-m", "pip", "install", "--no-index",
                      "--no-build-isolation", "--no-deps", str(checkout))
        install_seconds = time.monotonic() - started

        # Step 3: the store and its first admin.
        appdeck = str(home / ".venv/bin/appdeck")
        store = home / "store.json"
        if install.returncode == 0:
            for argv in (["users", "list"], ["users", "add", "bob", "--role", "editor"]):
                cp = _as(account, home, appdeck, "--store", str(store), "--user", "alice", *argv)
                assert cp.returncode == 0, cp

        # Step 4: one authorized_keys line per developer key.
        _keygen(work / "host_ed25519", "throwaway host key")
        (work / "host_ed25519").chmod(0o600)
        keys: dict[str, Path] = {}
        lines = []
        for user in ("alice", "bob"):
            keys[user] = work / f"id_{user}"
            _keygen(keys[user], f"{user}@laptop")
            keys[user].chmod(0o600)
            pub = (work / f"id_{user}.pub").read_text().strip()
            lines.append(f'command="{appdeck} ssh-serve --user {user} --store {store}",restrict,pty {pub}\n')
        cp = _as(account, home, "install", "-d", "-m", "700", str(home / ".ssh"))
        assert cp.returncode == 0, cp
        cp = _as(account, home, "sh", "-c", 'umask 077 && cat > "$1"', "sh", str(home / ".ssh/authorized_keys"),
                 stdin="".join(lines))
        assert cp.returncode == 0, cp

        if os.path.isdir("/run") and not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        proc, port, log = _start_sshd(work, account, use_pam=True)
        procs.append(proc)
        team = Team(account, home, port, keys, log, checkout, before, install)
        if install.returncode == 0 and team.ssh("alice", "info").returncode == 255 and "pam" in log.read_text().lower():
            # PAM that cannot open a session here (some containers): the same server without it. A locked password
            # ('!', as adduser --disabled-password sets) then needs '*' for sshd to let a key in.
            _stop(proc)
            subprocess.run(["usermod", "-p", "*", account], check=True, timeout=TIMEOUT, capture_output=True)
            proc, port, log = _start_sshd(work, account, use_pam=False)
            procs.append(proc)
            team = Team(account, home, port, keys, log, checkout, before, install)
        yield team
        print(f"\nteam set-up e2e: {account} (home {home}), pip install from a read-only checkout in "
              f"{install_seconds:.1f} s, sshd on 127.0.0.1:{team.port} with UsePAM {'yes' if len(procs) == 1 else 'no'}")
    finally:
        for proc in procs:
            _stop(proc)
        if created:
            subprocess.run(["userdel", "-r", "-f", account], capture_output=True, timeout=TIMEOUT)
        for p in [work, *work.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(work, ignore_errors=True)


def test_install_from_a_read_only_checkout(team: Team) -> None:
    """Section 7, README step 2: `pip install /path/to/appdeck` as the service account, on a checkout it cannot write,
    builds and installs appdeck (modules, style sheets, console script) and writes nothing into the checkout."""
    assert team.install.returncode == 0, team.install.stdout + team.install.stderr
    assert _listing(team.checkout) == team.checkout_before  # no appdeck.egg-info, no build/
    site = next((team.home / ".venv/lib").glob("python3.*/site-packages"))
    assert (site / "tui" / "app.tcss").is_file()
    assert sorted(p.name for p in (site / "tui").glob("*.tcss")) == sorted(p.name for p in (ROOT / "tui").glob("*.tcss"))
    for sub in ("screens", "widgets"):
        assert sorted(p.name for p in (site / "tui" / sub).glob("*.tcss")) == sorted(p.name for p in (ROOT / "tui" / sub).glob("*.tcss"))
    assert (team.home / ".venv/bin/appdeck").is_file()
    cp = _as(team.account, team.home, str(team.home / ".venv/bin/python"), "-c", "import tui; print(tui.__file__)")
    assert cp.stdout.strip().startswith(str(site)), cp  # the installed copy, not this checkout


def test_store_belongs_to_the_service_account(team: Team) -> None:
    """Section 7, README step 3: the store is 0600 and owned by the service account."""
    st = (team.home / "store.json").stat()
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == Path(team.home).stat().st_uid != 0


def test_developers_connect_with_their_keys(team: Team) -> None:
    """Section 7, README step 5: each key acts as its appdeck user on the service account's store."""
    for user in ("alice", "bob"):
        cp = team.ssh(user, "info")
        assert cp.returncode == 0, team.explain(cp)
        assert f"user\t{user} (from --user)" in cp.stdout, cp.stdout
        assert str(team.home / "store.json") in cp.stdout


def test_names_with_spaces_quoted_for_the_remote_side(team: Team) -> None:
    """Section 7, README step 5: a name with a space works when quoted for the remote side (ssh joins its words with
    spaces; ssh-serve splits them again like a POSIX shell), and the unquoted form fails the way the README says.
    The commands are the README's own examples."""
    cp = team.ssh("alice", 'appdeck apps create --name "Billing API" --app-url https://billing.example.com')
    assert cp.returncode == 0, team.explain(cp)
    cp = team.ssh("alice", 'apps create --name "Customer Portal" --app-url https://portal.example.com --sharing organization')
    assert cp.returncode == 0, team.explain(cp)
    cp = team.ssh("bob", 'apps show "Customer Portal" --json')
    assert cp.returncode == 0 and json.loads(cp.stdout)["name"] == "Customer Portal", team.explain(cp)
    cp = team.ssh("alice", "apps", "show", "'Billing API'", "--json")  # quoted the same way, in separate words
    assert cp.returncode == 0 and json.loads(cp.stdout)["name"] == "Billing API", team.explain(cp)
    cp = team.ssh("bob", "apps", "show", "Customer Portal")  # not quoted for the remote side: three words arrive
    assert cp.returncode == 2 and "unrecognized arguments: Portal" in cp.stderr, team.explain(cp)
    cp = team.ssh("bob", "apps", "list", "--json")
    assert sorted(a["name"] for a in json.loads(cp.stdout)) == ["Billing API", "Customer Portal"], team.explain(cp)


def test_undecodable_remote_command_over_real_ssh(team: Team) -> None:
    """Section 9: bytes that are not UTF-8 reach ssh-serve unchanged through sshd, and are a usage error (exit 2, one
    line); the store is untouched."""
    store = team.home / "store.json"
    before = store.read_bytes()
    argv = [w.encode() for w in team.ssh_argv("alice")] + [b"apps create --name 'bad\xffname' --app-url https://x.example.com"]
    cp = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    err = cp.stderr.decode("utf-8", "replace")
    assert cp.returncode == 2 and len(err.splitlines()) == 1 and "not valid UTF-8" in err, (cp.returncode, err)
    assert b"Traceback" not in cp.stderr and store.read_bytes() == before


def test_readonly_tui_line_reaches_appdeck(team: Team) -> None:
    """README step 5: `ssh -t appdeck@host appdeck --readonly` hands `--readonly` to appdeck; with no terminal here,
    appdeck answers that the TUI needs one. (The README used to say `ssh -t appdeck@host --readonly`: ssh reads options
    after the host too, so that is an ssh usage error, exit 255, and never reaches the server.)"""
    cp = team.ssh("alice", "appdeck", "--readonly", tty=True)
    assert cp.returncode == 2 and "the TUI needs a terminal" in cp.stderr, team.explain(cp)
    cp = team.ssh("alice", "--readonly", tty=True)
    assert cp.returncode == 255 and "usage: ssh" in cp.stderr, cp
