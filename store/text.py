"""Control-character rules shared by validation (reject) and display (strip)."""

from __future__ import annotations

import re

# C0 (0x00-0x1F), DEL (0x7F) and C1 (0x80-0x9F): any of them can drive a terminal. The bidi embeddings,
# overrides and isolates (U+200E/F, U+202A-E, U+2066-9) reorder what a person reads ("Trojan Source"),
# so they are refused and stripped the same way.
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NEWLINES_RE = re.compile(r"[\r\n\t]+")


def has_control(value: str) -> bool:
    """True when the text holds a C0, C1 or DEL character (ESC included) or a bidi control."""
    return CONTROL_RE.search(value) is not None


def safe(value: object) -> str:
    """Stored text made safe to print: newlines and tabs become spaces, other controls vanish."""
    text = "" if value is None else str(value)
    if text.isprintable():  # C-speed fast path: no control, format or separator character at all
        return text
    return CONTROL_RE.sub("", _NEWLINES_RE.sub(" ", text))
