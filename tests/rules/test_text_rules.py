"""Spec section 9 (issue 10 item 3): what a control character is, decided once from Unicode properties in
store/text.py, and every use of it (refused on input, stripped on display, escaped in the CLI's JSON) agreeing."""

from __future__ import annotations

import io
import json
import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import text
from store.errors import ValidationError
from store.models import GroupRecord, Organization, RegisteredInput, UserRecord, validate_app_input, validate_model
from store.text import CONTROL_BEYOND_C0_RE, CONTROL_RE, has_control, safe

# Spec section 9's Bidi_Control list, as the spec spells it.
SPEC_BIDI = {"\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}
# Bidi classes only a Bidi_Control character has (UAX #9 explicit formatting characters): unicodedata knows these.
EXPLICIT_BIDI_CLASSES = {"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"}

# The whole set as section 9 spells it; the first test checks it against unicodedata and store.text.
CONTROLS = frozenset({*map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0)), "\u2028", "\u2029", *SPEC_BIDI})
CONTROL_LIST = sorted(CONTROLS)
# Text mixing plain letters, look-alikes that are not controls (ZWSP, BOM, NBSP, a combining mark, an astral
# letter) and every control character.
TEXTS = st.text(alphabet=st.sampled_from([*"aZ09 <>[]/", "\u200b", "\ufeff", "\u00a0", "\u0301", "\U0001f600",
                                          *CONTROL_LIST]), max_size=30)


def test_controls_are_exactly_cc_zl_zp_by_unicodedata_over_every_code_point_plus_bidi_control() -> None:
    """Spec 9: every Cc, Zl and Zp character as the running Python's unicodedata says, over all 0x110000 code
    points (store.text only scans where they live, to stay fast at import), and the Bidi_Control list."""
    by_category = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Zl", "Zp")}
    assert text.CONTROLS - text.BIDI_CONTROLS == by_category
    assert text.CONTROLS == by_category | SPEC_BIDI == CONTROLS
    assert len(by_category) == 65 + 2  # C0 + DEL + C1, U+2028, U+2029


def test_bidi_controls_match_propList_and_what_unicodedata_knows_of_them() -> None:
    """PropList's Bidi_Control: all format characters (Cf), and every character whose bidi class only a bidi
    control has (the embeddings, overrides and isolates) is in it; the three marks (ALM, LRM, RLM) complete it."""
    assert text.BIDI_CONTROLS == SPEC_BIDI
    assert all(unicodedata.category(c) == "Cf" for c in SPEC_BIDI)
    explicit = {chr(c) for c in range(0x110000) if unicodedata.bidirectional(chr(c)) in EXPLICIT_BIDI_CLASSES}
    assert explicit <= SPEC_BIDI
    assert SPEC_BIDI - explicit == {"\u061c", "\u200e", "\u200f"}


def test_no_control_is_printable_so_the_fast_paths_are_sound() -> None:
    """safe(), has_control() and control_chars() skip text that str.isprintable() accepts: sound only while no
    control character is printable."""
    assert not any(c.isprintable() for c in CONTROLS)


def test_the_regexes_match_exactly_the_controls() -> None:
    assert {c for c in map(chr, range(0x110000)) if CONTROL_RE.fullmatch(c)} == CONTROLS
    beyond = {c for c in map(chr, range(0x3000)) if CONTROL_BEYOND_C0_RE.fullmatch(c)}
    assert beyond == {c for c in CONTROLS if ord(c) >= 0x20}


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_has_control_safe_and_control_chars_agree_with_the_definition(value: str) -> None:
    held = [c for c in value if c in CONTROLS]
    assert has_control(value) is bool(held)
    assert text.control_chars(value) == [f"U+{ord(c):04X}" for c in dict.fromkeys(held)]
    shown = safe(value)
    assert not any(c in CONTROLS for c in shown)
    # A run of newlines and tabs becomes one space; every other control vanishes; nothing else changes.
    expected = "".join(c for c in re.sub(r"[\t\r\n]+", " ", value) if c not in CONTROLS)
    assert shown == expected
    if not held:
        assert shown == value


def test_safe_joins_a_run_of_newlines_and_tabs_into_one_space() -> None:
    assert safe("a\r\n\tb\x1b[31m\u202ec\u061c") == "a b[31mc"


def _printed_json(value: object) -> str:
    from tui.cli import print_json

    out = io.StringIO()
    real, sys.stdout = sys.stdout, out
    try:
        print_json(value)
    finally:
        sys.stdout = real
    return out.getvalue()


@pytest.mark.parametrize("char", CONTROL_LIST, ids=lambda c: f"U+{ord(c):04X}")
def test_cli_json_escapes_every_control_and_parses_back(char: str) -> None:
    """The CLI's JSON (tui/cli.py print_json, which uses store.text.CONTROL_BEYOND_C0_RE) never holds a control
    character raw, and reads back as the same text."""
    value = {"name": f"a{char}b", "list": [char]}
    out = _printed_json(value)
    assert not has_control(out.replace("\n", ""))  # the document's own newlines are layout
    assert char not in out.replace("\n", "") or char == "\n"
    assert json.loads(out) == value


@settings(max_examples=100, deadline=None)
@given(TEXTS)
def test_cli_json_never_holds_a_control_raw(value: str) -> None:
    out = _printed_json({"v": value})
    assert not has_control(out.replace("\n", ""))
    assert json.loads(out) == {"v": value}


@pytest.mark.parametrize("char", CONTROL_LIST, ids=lambda c: f"U+{ord(c):04X}")
def test_every_control_is_refused_in_every_text_field(char: str) -> None:
    """Spec 9: refused on input, each text field (the name, description, display name, group name, organization
    name, registered app name) and U+061C included (issue 10: it was accepted and printed raw)."""
    bad = f"x{char}y"
    cases = [
        (lambda: validate_app_input({"name": bad, "app_url": "https://a.example.com"}), "name"),
        (lambda: validate_app_input({"name": "ok", "description": bad, "app_url": "https://a.example.com"}), "description"),
        (lambda: validate_model(UserRecord, {"login": "bob", "display_name": bad}), "display_name"),
        (lambda: validate_model(GroupRecord, {"id": "grp_0123456789ab", "name": bad}), "name"),
        (lambda: validate_model(Organization, {"organization": bad}), "organization"),
        (lambda: validate_model(RegisteredInput, {"name": bad, "url": "https://a.example.com"}), "name"),
    ]
    for make, field in cases:
        with pytest.raises(ValidationError) as info:
            make()
        assert any(e.field == field and "control characters" in e.message for e in info.value.errors), info.value.errors


def test_text_module_import_is_cheap() -> None:
    """store.text scans only where Cc, Zl and Zp live: its tables build in well under a millisecond per call."""
    import time

    t0 = time.perf_counter()
    for _ in range(20):
        frozenset(chr(c) for r in text._SCANNED for c in r if unicodedata.category(chr(c)) in text.CONTROL_CATEGORIES)
    per_build = (time.perf_counter() - t0) / 20
    print(f"\n[text] the control table builds in {per_build * 1e3:.3f} ms (a full scan takes about 300 ms)")
    assert per_build < 0.01
