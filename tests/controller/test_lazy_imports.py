"""Spec section 8. Reads stay light: listing apps and drawing the TUI's first screen load neither pydantic nor TinyDB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from store import models, vocabulary

PROBE = """
import sys
{body}
heavy = sorted(m for m in ("pydantic", "tinydb", "store.models") if m in sys.modules)
print(",".join(heavy))
"""


def _loaded(body: str) -> str:
    out = subprocess.run([sys.executable, "-c", PROBE.format(body=body)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_input_field_lists_match_the_models() -> None:
    """The vocabulary spells the input fields out (reads import no pydantic); they must agree with the models."""
    assert vocabulary.APP_INPUT_FIELDS == tuple(models.AppInput.model_fields)
    assert vocabulary.REGISTERED_INPUT_FIELDS == tuple(models.RegisteredInput.model_fields)


def test_listing_apps_does_not_import_pydantic_or_tinydb(tmp_path: Path) -> None:
    """`apps list` reads the parsed file directly; validation models load only to write."""
    path = tmp_path / "s.json"
    from store.demo import create_demo

    create_demo(path, "alice")
    body = (
        "from store.controller import Controller\n"
        f"c = Controller({str(path)!r}, 'alice')\n"
        "assert len(c.list_apps()) >= 6\n"
        "c.list_applications(); c.audit()\n"
    )
    assert _loaded(body) == ""


def test_tui_module_does_not_import_pydantic_or_tinydb() -> None:
    """The TUI's first screen is drawn before pydantic and TinyDB load."""
    assert _loaded("import tui.app") == ""
