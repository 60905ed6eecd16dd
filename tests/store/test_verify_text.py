"""Spec section 9 (issue 10 item 3): `appdeck store verify` finds the control characters a hand edit put in the
store's text (it said `ok` for names holding ESC, BEL and U+202E), and names them without printing them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from store.controller import Controller
from store.text import has_control
from store.verify import verify

SPA = {"name": "Portal", "app_url": "https://portal.example.com"}
# Spec section 9's control characters, spelled out here (tests/rules/test_text_rules.py checks store.text's own set).
CONTROLS = sorted({*map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0)), "\u061c", "\u200e", "\u200f",
                   *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u2028", "\u2029"})
EVIL = "ev\x1b[31mil\x07\u202e"  # ESC (and a colour), BEL, RIGHT-TO-LEFT OVERRIDE: the three


@pytest.fixture
def store(store_path: Path) -> Path:
    a = Controller(store_path, "alice")
    a.add_user("eve", "editor")
    a.add_group("g1", ["eve"])
    a.create_app({**SPA, "description": "fine"})
    a.add_registered({"name": "Wiki", "url": "https://wiki.example.com"})
    return store_path


def edit(p: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(p.read_bytes())
    change(data)
    p.write_bytes(json.dumps(data).encode())


def first(data: dict[str, Any], table: str, pred: Callable[[dict[str, Any]], bool] = lambda r: True) -> dict[str, Any]:
    return next(r for r in data[table].values() if pred(r))


# Each stored text field a person sees, set by hand to the text; the field name verify reports.
FIELDS: dict[str, tuple[Callable[[dict[str, Any], str], None], str]] = {
    "app name": (lambda d, v: first(d, "apps").update(name=v), "name"),
    "app description": (lambda d, v: first(d, "apps").update(description=v), "description"),
    "callback URL": (lambda d, v: first(d, "apps").update(callback_urls=["https://p.example.com/" + v]), "callback_urls[0]"),
    "display name": (lambda d, v: first(d, "users", lambda r: r["login"] == "eve").update(display_name=v), "display_name"),
    "group name": (lambda d, v: first(d, "groups").update(name=v), "name"),
    "organization name": (lambda d, v: d["meta"]["1"].update(organization=v), "organization"),
    "registered name": (lambda d, v: first(d, "registered").update(name=v), "name"),
    "audit object name": (lambda d, v: first(d, "audit", lambda r: r["object_type"] == "app").update(object_name=v), "object_name"),
    "audit detail": (lambda d, v: first(d, "audit").update(detail=v), "detail"),
}


@pytest.mark.parametrize("case", list(FIELDS))
def test_verify_names_control_characters_in_each_text_field(store: Path, case: str) -> None:
    change, field = FIELDS[case]
    assert verify(store) == []
    edit(store, lambda d: change(d, EVIL))
    problems = verify(store)
    assert len(problems) == 1, problems
    assert f"{field} holds control characters (U+001B, U+0007, U+202E)" in problems[0]
    assert not any(has_control(p) for p in problems)


def test_verify_through_the_cli_never_prints_the_characters(store: Path) -> None:
    """The issue's case: names holding ESC, BEL and U+202E. Exit 7, one line per field, nothing raw on the
    terminal (text and --json)."""
    edit(store, lambda d: (first(d, "apps").update(name=EVIL), first(d, "groups").update(name="g\u061c1")))
    r = run_cli("store", "verify", store=store, user="alice")
    assert r.returncode == 7, r
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 2, lines
    assert any(x.startswith("apps record") and "name holds control characters (U+001B, U+0007, U+202E)" in x for x in lines)
    assert any(x.startswith("groups record") and "name holds a control character (U+061C)" in x for x in lines)
    assert not has_control(r.stdout.decode().replace("\n", "")) and r.stderr == b""
    r = run_cli("store", "verify", "--json", store=store, user="alice")
    assert r.returncode == 7 and not has_control(r.stdout.decode().replace("\n", ""))
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and len(doc["problems"]) == 2


def test_a_store_appdeck_wrote_still_verifies(store: Path) -> None:
    """Text that is not a control (a zero-width space, a BOM, a combining mark, an emoji, NBSP) is no problem."""
    edit(store, lambda d: first(d, "apps").update(name="a\u200bb\ufeffe\u0301\U0001f600\u00a0"))
    assert verify(store) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(list(FIELDS)), char=st.sampled_from(CONTROLS),
       around=st.tuples(st.text(max_size=5), st.text(max_size=5)))
def test_any_control_anywhere_in_a_text_field_is_found(store: Path, case: str, char: str, around: tuple[str, str]) -> None:
    original = store.read_bytes()
    try:
        change, field = FIELDS[case]
        edit(store, lambda d: change(d, around[0] + char + around[1]))
        problems = verify(store)
        assert any(f"{field} holds" in p and f"U+{ord(char):04X}" in p for p in problems), problems
        assert not any(has_control(p) for p in problems)
    finally:
        store.write_bytes(original)
