"""Text rules shared by validation (reject) and display (strip): control characters, and what a login name is.

What a control character is (spec section 9) is decided here once, from Unicode properties: every character of
General_Category Cc (C0, DEL, C1: they drive terminals), every Bidi_Control character (they reorder what a person
reads: "Trojan Source") and the line and paragraph separators (Zl, Zp: they break lines where none was typed).
Validation refuses them (`has_control`), display strips them (`safe`), the CLI's JSON output escapes the ones a JSON
encoder leaves raw (`CONTROL_BEYOND_C0_RE`) and `store verify` names them in a hand-edited store (`control_chars`).
"""

from __future__ import annotations

import re
import unicodedata

from store.vocabulary import LOGIN_PATTERN

# The categories are read from unicodedata at import. Scanning all 1.1 million code points costs about 0.3 s, so
# only where these categories live is scanned (U+0000-U+00FF and General Punctuation, a few hundred look-ups): the
# Unicode stability policy makes Cc immutable (U+0000-U+001F, U+007F-U+009F, for ever), and U+2028 and U+2029 are
# the only Zl and Zp characters. tests/rules/test_text_rules.py checks over every code point that nothing was missed.
CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_SCANNED = (range(0x0000, 0x0100), range(0x2000, 0x2070))

# Bidi_Control, from the Unicode Character Database's PropList.txt (the property unicodedata does not carry):
#   061C          ; Bidi_Control # Cf       ARABIC LETTER MARK
#   200E..200F    ; Bidi_Control # Cf   [2] LEFT-TO-RIGHT MARK..RIGHT-TO-LEFT MARK
#   202A..202E    ; Bidi_Control # Cf   [5] LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
#   2066..2069    ; Bidi_Control # Cf   [4] LEFT-TO-RIGHT ISOLATE..POP DIRECTIONAL ISOLATE
# unchanged since Unicode 6.3; https://www.unicode.org/Public/UCD/latest/ucd/PropList.txt
BIDI_CONTROLS = frozenset(
    chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)

CONTROLS: frozenset[str] = frozenset(
    chr(c) for r in _SCANNED for c in r if unicodedata.category(chr(c)) in CONTROL_CATEGORIES
) | BIDI_CONTROLS


def _char_class(chars: frozenset[str]) -> str:
    return "[" + "".join(f"\\u{ord(c):04x}" for c in sorted(chars)) + "]"


CONTROL_RE = re.compile(_char_class(CONTROLS))
# The control characters a JSON encoder leaves raw (it escapes C0 itself): escaped again before output.
CONTROL_BEYOND_C0_RE = re.compile(_char_class(frozenset(c for c in CONTROLS if c >= "\x20")))
_NEWLINES_RE = re.compile(r"[\r\n\t]+")
_LOGIN_RE = re.compile(LOGIN_PATTERN)


def has_control(value: str) -> bool:
    """True when the text holds a control character: C0, DEL or C1 (ESC included), a bidi control or a line or
    paragraph separator."""
    return not value.isprintable() and CONTROL_RE.search(value) is not None  # none of them is printable


def control_chars(value: str) -> list[str]:
    """The control characters a text holds, each once, in order, as `U+001B` (never the character itself)."""
    if value.isprintable():
        return []
    return [f"U+{ord(c):04X}" for c in dict.fromkeys(CONTROL_RE.findall(value))]


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
