"""Control-character rules shared by validation (reject) and display (strip)."""

from __future__ import annotations

import re

# C0 (0x00-0x1F), DEL (0x7F) and C1 (0x80-0x9F): any of them can drive a terminal.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NEWLINES_RE = re.compile(r"[\r\n\t]+")


def has_control(value: str) -> bool:
    """True when the text holds a C0, C1 or DEL character (ESC included)."""
    return CONTROL_RE.search(value) is not None


def safe(value: object) -> str:
    """Stored text made safe to print: newlines and tabs become spaces, other controls vanish."""
    text = "" if value is None else str(value)
    return CONTROL_RE.sub("", _NEWLINES_RE.sub(" ", text))
