"""Spec section 8. A store appdeck wrote, or `store verify` accepted, is trusted on read; any other file is checked record by record."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from store import storage
from store.controller import Controller
from store.errors import StoreError
from store.storage import StoreFile
from tui.cli import run

SPA = {"name": "Portal", "app_url": "https://portal.example.com"}


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the per-record shape checks."""
    calls: list[int] = []
    real = storage._check_records

    def counting(data: storage.Data, path: Path) -> None:
        calls.append(1)
        real(data, path)

    monkeypatch.setattr(storage, "_check_records", counting)
    return calls


def test_a_file_appdeck_wrote_is_read_without_the_record_check(tmp_path: Path, checks: list[int]) -> None:
    path = tmp_path / "s.json"
    Controller(path, "alice").create_app(SPA)
    checks.clear()
    StoreFile(path).read()
    assert checks == []


def test_a_hand_edit_is_checked_even_with_size_and_mtime_restored(tmp_path: Path, checks: list[int]) -> None:
    """Same length, mtime put back: the inode change time still moves, so the file is checked and refused."""
    path = tmp_path / "s.json"
    Controller(path, "alice").create_app(SPA)
    before = os.stat(path)
    raw = path.read_text()
    edited = raw.replace('"owner":"alice"', '"owner":1234567')
    assert len(edited) == len(raw) and edited != raw
    with open(path, "r+") as fh:  # in place: same inode
        fh.write(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    checks.clear()
    with pytest.raises(StoreError, match="owner"):
        StoreFile(path).read()
    assert checks == [1]


def test_store_verify_makes_a_generated_file_trusted(tmp_path: Path, checks: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.json"
    Controller(path, "alice").create_app(SPA)
    data = json.loads(path.read_text())
    path.write_text(json.dumps(data, indent=1))  # "generated elsewhere": not the file appdeck wrote
    checks.clear()
    StoreFile(path).read()
    assert checks == [1]
    assert run(["--store", str(path), "--user", "alice", "store", "verify"]) == 0
    assert "ok" in capsys.readouterr().out
    checks.clear()
    StoreFile(path).read()
    assert checks == []
