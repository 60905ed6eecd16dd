"""Issue 11, words: the sentences the store and the controller say, each read as a person reads it.

- every refusal of every app action reads right ("can reveal the secret of it" was one);
- a "did you mean" offer is made only when the suggested text itself passes (`https://localhost/login#x` was offered);
- the URL checker's explanation does not start with the verdict (`REFUSED  Refused: ...`), and the CORS list is
  not "allowed allowed origin (CORS)";
- a duplicate group name names the stored group and says names are compared ignoring case;
- a version conflict names a version that never existed as such, shows times as `2026-12-01 17:53`, promises no
  reload, and carries its facts as attributes for the front ends."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import get_args

import pytest

from store import controller as controller_module
from store import policy, urls
from store.controller import Controller
from store.errors import ConflictError, ValidationError
from store.vocabulary import CHECK_KINDS, LIST_FIELDS, ROLES, AppAction

ACTIONS: tuple[AppAction, ...] = get_args(AppAction)
TIME = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b")


# -- refusals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_every_refusal_of_every_action_reads_right(action: AppAction) -> None:
    """For each action, in every situation where app_actions refuses it, the sentence names the app, ends with a
    period, and has no dangling "of it" / "it it"; an owner is never told that only the owner may."""
    seen = 0
    for role in ROLES:
        for readonly in (False, True):
            for owner in ("me", "bob"):
                for enabled in (True, False):
                    app = {"name": "Portal", "owner": owner, "enabled": enabled}
                    if action in policy.app_actions(app, "me", role, readonly=readonly):
                        continue
                    text = policy.refusal(action, "Portal", owner, readonly=readonly, role=role, me="me")
                    seen += 1
                    assert '"Portal"' in text, text
                    assert text.endswith(".") and (text[0].isupper() or text.startswith(("appdeck", '"'))), text
                    assert not re.search(r"\bof it\b|\bit it\b|\bthe secret of it\b|  ", text), text
                    if owner == "me" and not readonly and policy.may_create_apps(role):
                        assert "owner" not in text, text  # the owner is refused only because of the app's state
    assert seen, action


def test_refusal_sentences() -> None:
    words = lambda action, **kw: policy.refusal(action, "Portal", "bob", role=kw.pop("role", "editor"), me="me", **kw)  # noqa: E731
    assert words("reveal_secret", readonly=False) == 'Only bob (the owner) can reveal the secret of "Portal".'
    assert words("env", readonly=False) == 'Only bob (the owner) can print the credentials of "Portal".'
    assert words("edit", readonly=True) == 'appdeck is read-only in this session, so you cannot edit "Portal".'
    assert words("delete", readonly=False, role="viewer") == 'Viewers cannot own built applications, so you cannot delete "Portal".'
    assert policy.refusal("enable", "Portal", "me", readonly=False, role="editor", me="me") == '"Portal" is already enabled.'


def test_owner_enabling_an_enabled_app_is_told_it_is_enabled(make_ctl: Callable[..., Controller]) -> None:
    """The controller passes the acting user: the owner was told 'Only the owner of "Portal" (eve) can enable it.'"""
    make_ctl("alice").add_user("eve", "editor")
    eve = make_ctl("eve")
    app = eve.create_app({"name": "Portal", "app_url": "https://portal.example.com"}).app
    with pytest.raises(Exception, match=r'^"Portal" is already enabled\.$'):
        eve.check_app_action(app, "enable")
    with pytest.raises(Exception, match=r'^"Portal" is already enabled\.$'):
        eve.set_enabled(app.id, True)


# -- "did you mean" ----------------------------------------------------------------------------------------------


def _offers(message: str) -> list[str]:
    return re.findall(r'did you mean "([^"]*)"\?', message)


def test_no_suggestion_that_is_itself_invalid() -> None:
    _, errors = urls.validate_login_url("login_url", "http://localhost/login#x")
    assert len(errors) == 1 and "must use https" in errors[0].message
    assert "did you mean" not in errors[0].message, errors[0].message
    _, errors = urls.validate_login_url("login_url", "localhost/login")
    assert "did you mean" not in errors[0].message, errors[0].message
    # A suggestion that passes is still offered.
    _, errors = urls.validate_login_url("login_url", "http://example.com/login")
    assert _offers(errors[0].message) == ["https://example.com/login"]


CASES = {
    "login_url": ["http://localhost/login#x", "http://example.com/a#b", "http://127.0.0.1/x", "example.com/login",
                  "https:/example.com/x", "localhost/login", "http://example.com/login", "http://*.example.com/"],
    "app_url": ["example.com", "https:/example.com", "example.com/a b", "//example.com", "http:example.com"],
    **{field: ["example.com/cb", "https:/a.com/cb", "a.com/cb#x", "https://a.com/x", "https://a.com/x?y#z",
               "https://a.com:0/x", "localhost:3000/cb", "https://*.com/x", "http:/*.com/"] for field in LIST_FIELDS},
}


@pytest.mark.parametrize("field", sorted(CASES))
def test_every_offered_suggestion_passes_the_same_validator(field: str) -> None:
    def problems(value: str) -> list[str]:
        if field == "login_url":
            return [e.message for e in urls.validate_login_url(field, value)[1]]
        if field == "app_url":
            return [e.message for e in urls.validate_app_url(field, "App URL", value, required=True)[1]]
        return [e.message for e in urls.validate_url_list(field, [value])[1]]

    offered = 0
    for value in CASES[field]:
        for message in problems(value):
            assert "?." not in message and not message.endswith(" ."), message
            for suggestion in _offers(message):
                offered += 1
                assert problems(suggestion) == [], (value, suggestion, problems(suggestion))
    assert offered, field  # the offers that pass are still made


# -- the URL checker ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CHECK_KINDS)
def test_explanations_do_not_start_with_the_verdict_nor_double_words(kind: str) -> None:
    entry = "https://a.example.com" if kind in ("web_origin", "cors") else "https://a.example.com/cb"
    results = [
        urls.check_url([entry], kind, entry),
        urls.check_url([entry], kind, "https://b.example.com"),
        urls.check_url([], kind, "https://b.example.com"),
        urls.check_url([entry], kind, "not a url"),
        urls.CheckResult(False, kind, entry, None, None, [], disabled=True),
    ]
    for r in results:
        text = r.explain()
        assert r.verdict == ("ALLOWED" if r.allowed else "REFUSED")
        assert not re.match(r"(?i)(allowed|refused)\b", text), text
        assert not re.search(r"\b(\w+) \1\b", text), text  # "allowed allowed"
    assert "matches no allowed origin (CORS)." in urls.check_url(["https://a.com"], "cors", "https://b.com").explain()
    assert "list of allowed origins (CORS) is empty" in urls.check_url([], "cors", "https://b.com").explain()


# -- groups ------------------------------------------------------------------------------------------------------


def test_duplicate_group_names_the_stored_group(make_ctl: Callable[..., Controller]) -> None:
    admin = make_ctl("alice")
    admin.add_group("mobile")
    with pytest.raises(ValidationError) as info:
        admin.add_group("Mobile")
    assert info.value.errors[0].message == 'A group named "mobile" already exists (group names are compared ignoring case).'
    with pytest.raises(ValidationError) as info:
        admin.add_group("mobile")
    assert info.value.errors[0].message == 'A group named "mobile" already exists.'
    other = admin.add_group("payments")
    with pytest.raises(ValidationError, match='"mobile" already exists'):
        admin.rename_group(other["id"], "MOBILE")


# -- conflicts ---------------------------------------------------------------------------------------------------


def test_shown_time() -> None:
    assert controller_module.shown_time("2026-12-01T17:53:08+00:00") == "2026-12-01 17:53"
    assert controller_module.shown_time("2026-12-01T18:53:08+01:00") == "2026-12-01 17:53"  # UTC, like the rest of appdeck
    assert controller_module.shown_time("garbage") == "garbage"


def test_conflict_on_a_version_that_never_existed(store_path: Path, make_ctl: Callable[..., Controller]) -> None:
    make_ctl("alice").add_user("eve", "editor")
    eve = make_ctl("eve")
    app = eve.create_app({"name": "Portal", "app_url": "https://portal.example.com"}).app
    with pytest.raises(ConflictError) as info:
        eve.update_app(app.id, {"description": "x"}, expected_version=99)
    exc = info.value
    assert "changed since you opened it" not in exc.message
    assert exc.message.startswith('"Portal" has no version 99: it is at version 1, saved by eve at ')
    assert TIME.search(exc.message) and "T" not in TIME.split(exc.message)[0].split(" at ")[-1]
    assert "+00:00" not in exc.message and "reload" not in exc.message.lower()
    assert (exc.app_id, exc.name, exc.expected_version, exc.current_version, exc.updated_by, exc.updated_at) == (
        app.id, "Portal", 99, 1, "eve", app.updated_at)


def test_conflict_on_a_stale_version(make_ctl: Callable[..., Controller]) -> None:
    make_ctl("alice").add_user("eve", "editor")
    eve = make_ctl("eve")
    app = eve.create_app({"name": "Portal", "app_url": "https://portal.example.com"}).app
    saved = eve.update_app(app.id, {"description": "theirs"}).app
    with pytest.raises(ConflictError) as info:
        eve.update_app(app.id, {"description": "mine"}, expected_version=1)
    exc = info.value
    assert exc.message == (f'"Portal" changed since you opened it: eve saved version 2 at {controller_module.shown_time(saved.updated_at)}. '
                           "Your changes were not saved.")
    assert (exc.current_version, exc.expected_version, exc.updated_at) == (2, 1, saved.updated_at)
