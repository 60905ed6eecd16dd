"""The store, the controller and the CLI path never import Textual or Rich (issue 2: the CLI path never imports Textual)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["store", "store.errors", "store.text", "store.models", "store.storage", "store.controller", "store.urls", "store.demo", "tui.cli"]


def _loaded_after(code: str) -> list[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))"
    cp = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=str(ROOT), timeout=60)
    assert cp.returncode == 0, cp.stderr
    return json.loads(cp.stdout.strip().splitlines()[-1])


def test_store_and_cli_modules_import_neither_textual_nor_rich() -> None:
    assert _loaded_after("\n".join(f"import {m}" for m in MODULES)) == []


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
