"""Shared fixtures: a temporary store isolated from the real user data directory, and controllers per user."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from store.controller import Controller
from store.storage import StoreFile

ADMIN = "alice"
SPA = {"name": "Portal", "app_url": "https://portal.example.com"}


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real user data directory, and make lock waits short."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("APPDECK_STORE", str(tmp_path / "env-store.json"))
    monkeypatch.delenv("APPDECK_USER", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("APPDECK_LOCK_TIMEOUT", "2")
    # Logos: never fetched from a test unless it says so (no test sends traffic to any address but 127.0.0.1), and
    # a cache of its own.
    monkeypatch.setenv("APPDECK_THUMBNAILS", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A store path that does not exist yet, in its own directory."""
    d = tmp_path / "st"
    d.mkdir()
    return d / "store.json"


@pytest.fixture
def make_ctl(store_path: Path) -> Callable[..., Controller]:
    """Controller factory for one user on the shared tmp store (the first call bootstraps with `alice`)."""

    def make(user: str = ADMIN, *, path: Path | None = None, lock_timeout: float | None = None) -> Controller:
        p = path or store_path
        store = StoreFile(p, lock_timeout=lock_timeout) if lock_timeout is not None else p
        return Controller(store, user)

    return make


@pytest.fixture
def org(make_ctl: Callable[..., Controller]) -> dict[str, Controller]:
    """alice (admin), adam (admin), eve and ed (editors), vic and val (viewers); groups g1={eve, vic}, g2={ed, val}."""
    admin = make_ctl(ADMIN)
    admin.add_user("adam", "admin")
    admin.add_user("eve", "editor")
    admin.add_user("ed", "editor")
    admin.add_user("vic", "viewer")
    admin.add_user("val")
    admin.add_group("g1", ["eve", "vic"])
    admin.add_group("g2", ["ed", "val"])
    return {u: make_ctl(u) for u in ("alice", "adam", "eve", "ed", "vic", "val")}


def run_cli(
    *args: str,
    store: Path | str | None = None,
    user: str | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = "",
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real entry point in a subprocess (`python -m tui ...`); stdout/stderr captured as bytes."""
    e = dict(os.environ)
    e.pop("APPDECK_USER", None)
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    if store is not None:
        e["APPDECK_STORE"] = str(store)
    if user is not None:
        e["APPDECK_USER"] = user
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        env=e,
        timeout=timeout,
        cwd=str(Path(__file__).resolve().parent.parent),
    )
