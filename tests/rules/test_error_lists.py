"""Issue 10 item 8 (spec section 4, URL lists; the error rules every front end shows): at most 10 messages per
field, then one "and N more" message for that field. The cap is made where every ValidationError is built
(store/errors.py), so the CLI (which prints each message) and the TUI form (which shows messages per field, from
Controller.draft_problems) get the same capped list."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from store.controller import Controller
from store.errors import FieldError, ValidationError

BAD_CALLBACKS = [f"https://*.com/cb{i}" for i in range(3000)]  # each breaks wildcard rule 3, each message differs


def _messages(exc: ValidationError, field: str) -> list[str]:
    return [e.message for e in exc.errors if e.field == field]


def test_three_thousand_bad_callbacks_print_at_most_eleven_lines(tmp_path: Path) -> None:
    """The issue's case through the real entry point: 3,000 bad entries were 3,001 lines; now the count line, 9
    entries and "and 2,991 more problems.", exit 3, nothing written."""
    store = tmp_path / "s.json"
    args = ["apps", "create", "--name", "X", "--app-url", "https://x.example.com"]
    for url in BAD_CALLBACKS:
        args += ["--callback-url", url]
    r = run_cli(*args, store=store, user="alice")
    assert r.returncode == 3, r.stderr[-500:]
    lines = [x for x in r.stderr.decode().splitlines() if "Allowed callback URLs" in x]
    assert len(lines) <= 11 and len(r.stderr.decode().splitlines()) <= 11, len(lines)
    assert lines[-1] == "appdeck: Allowed callback URLs: and 2,991 more problems."
    assert r.stdout == b""
    print(f"\n[errors] 3,000 bad callback entries: {len(lines)} lines on stderr (was 3,001)")


def test_the_tui_form_gets_the_capped_list(store_path: Path) -> None:
    """The form shows Controller.draft_problems per field: 11 messages at most for the callback list."""
    ctl = Controller(store_path, "alice")
    problems = ctl.draft_problems({"name": "X", "app_url": "https://x.example.com", "advanced": True,
                                   "callback_urls": "\n".join(BAD_CALLBACKS)})
    mine = [p.message for p in problems if p.field == "callback_urls"]
    assert len(mine) == 11 and mine[-1] == "Allowed callback URLs: and 2,991 more problems."


def test_ten_messages_are_shown_whole() -> None:
    exc = ValidationError([FieldError("name", f"m{i}") for i in range(10)])
    assert _messages(exc, "name") == [f"m{i}" for i in range(10)] and exc.total == 10


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["name", "callback_urls", "web_origins", "groups"]), max_size=60))
def test_each_field_is_capped_on_its_own_and_order_is_kept(fields: list[str]) -> None:
    errors = [FieldError(f, f"{f} {i}") for i, f in enumerate(fields)]
    exc = ValidationError(errors)
    assert exc.total == len(errors)
    for f in set(fields):
        given_msgs = [e.message for e in errors if e.field == f]
        shown = _messages(exc, f)
        if len(given_msgs) <= 10:
            assert shown == given_msgs
        else:
            assert shown[:10] == given_msgs[:10] and len(shown) == 11
            assert shown[10].endswith(f"and {len(given_msgs) - 10:,} more problems.")
    kept = [e for e in exc.errors if "more problems." not in e.message]
    assert kept == [e for e in errors if e in kept]  # in the order given


def test_a_named_rule_left_out_is_carried_by_the_summary() -> None:
    """A front end's way out (the CLI's hint for a rule) is not lost with the messages left out."""
    errors = [FieldError("login_url", f"m{i}") for i in range(12)] + [FieldError("login_url", "clear it", rule="m2m_urls")]
    exc = ValidationError(errors)
    assert [e.rule for e in exc.errors if e.field == "login_url"][-1] == "m2m_urls"
