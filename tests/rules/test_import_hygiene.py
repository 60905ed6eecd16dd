"""Spec: preamble (one controller for every front end). Layers (harlequin's test_import_hygiene shape): every `store` module, imported alone in a fresh interpreter, loads
neither Textual nor Rich; neither does the CLI path. Each store module is found on disk, so a new one is covered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STORE_MODULES = sorted(f"store.{p.stem}" for p in (ROOT / "store").glob("*.py") if p.stem != "__init__")


def _loaded_after(code: str) -> list[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))"
    cp = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=str(ROOT), timeout=60)
    assert cp.returncode == 0, cp.stderr
    return json.loads(cp.stdout.strip().splitlines()[-1])


def test_every_store_module_is_covered() -> None:
    """The list is read from the directory: the core modules of the design are all in it."""
    assert {"store.vocabulary", "store.policy", "store.repository", "store.controller", "store.storage"} <= set(STORE_MODULES)


@pytest.mark.parametrize("module", STORE_MODULES)
def test_store_module_imports_neither_textual_nor_rich(module: str) -> None:
    """One subprocess per module: a module that pulls in Textual through another is caught where it is."""
    assert _loaded_after(f"import {module}") == []


def test_cli_module_imports_neither_textual_nor_rich() -> None:
    assert _loaded_after("import tui.cli") == []


def test_running_a_cli_command_imports_neither(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        f"os.environ['APPDECK_STORE'] = {str(tmp_path / 's.json')!r}\n"
        "os.environ['APPDECK_USER'] = 'alice'\n"
        "from tui.cli import run\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert run(['apps', 'create', '--name', 'x', '--app-url', 'https://x.example.com']) == 0\n"
        "    assert run(['apps', 'list', '--json']) == 0\n"
        "    assert run(['info']) == 0\n"
        "    assert run(['--store', os.environ['APPDECK_STORE'] + '.demo', 'demo']) == 0\n"
    )
    assert _loaded_after(code) == []


def test_probe_detects_textual() -> None:
    """The probe itself works: importing Textual is seen."""
    assert "textual" in _loaded_after("import textual")
