"""Text rules shared by validation (reject) and display (strip): control characters, and what a login name is."""

from __future__ import annotations

import re

from store.vocabulary import LOGIN_PATTERN

# C0 (0x00-0x1F), DEL (0x7F) and C1 (0x80-0x9F): any of them can drive a terminal. The bidi controls (U+061C,
# U+200E/F, U+202A-E, U+2066-9) reorder what a person reads ("Trojan Source"), and the line and paragraph separators
# (U+2028/9) break lines where none was typed, so they are refused and stripped the same way.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
CONTROL_RE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# The control characters a JSON encoder leaves raw (it escapes C0 itself): escaped again before output.
CONTROL_BEYOND_C0_RE = re.compile(f"[{_BEYOND_C0}]")
_NEWLINES_RE = re.compile(r"[\r\n\t]+")
_LOGIN_RE = re.compile(LOGIN_PATTERN)


def has_control(value: str) -> bool:
    """True when the text holds a C0, C1 or DEL character (ESC included), a bidi control or a line separator."""
    return CONTROL_RE.search(value) is not None


def valid_login(value: str) -> bool:
    """A login name (spec section 1): the whole text matches, so a trailing newline or space is refused."""
    return _LOGIN_RE.fullmatch(value) is not None


LOGIN_RULE = "1-64 characters of letters, digits, '_', '.', '@' or '-', not starting with '.', '@' or '-'"


def safe(value: object) -> str:
    """Stored text made safe to print: newlines and tabs become spaces, other controls vanish."""
    text = "" if value is None else str(value)
    if text.isprintable():  # C-speed fast path: no control, format or separator character at all
        return text
    return CONTROL_RE.sub("", _NEWLINES_RE.sub(" ", text))
