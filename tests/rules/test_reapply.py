"""Issue 11 item 7: after a conflict the form reloads the other user's version and re-applies the user's edits field
by field (store.policy.reapply): a field the user changed keeps the user's value, every other field takes theirs,
and the fields both changed (to different values) are named."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from store.policy import reapply

KEYS = ("name", "description", "app_url", "sharing", "groups", "advanced")
VALUES = st.one_of(st.none(), st.sampled_from(["a", "b", "c", ""]), st.booleans(), st.lists(st.sampled_from(["g1", "g2"]), max_size=2))
FORMS = st.dictionaries(st.sampled_from(KEYS), VALUES)


@given(FORMS, FORMS, FORMS)
def test_mine_where_i_changed_theirs_elsewhere(base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> None:
    merged, both = reapply(base, mine, theirs)
    for key in {*base, *mine, *theirs}:
        if mine.get(key) != base.get(key):
            assert merged[key] == mine.get(key)
        else:
            assert merged[key] == theirs.get(key)
        assert (key in both) == (mine.get(key) != base.get(key) and theirs.get(key) != base.get(key)
                                 and theirs.get(key) != mine.get(key))
    assert len(both) == len(set(both))


@given(FORMS, FORMS)
def test_nothing_changed_by_me_is_their_version(base: dict[str, Any], theirs: dict[str, Any]) -> None:
    merged, both = reapply(base, base, theirs)
    assert {k: v for k, v in merged.items() if v is not None} == {k: v for k, v in theirs.items() if v is not None}
    assert both == []


@given(FORMS, FORMS)
def test_nothing_changed_by_them_is_my_version(base: dict[str, Any], mine: dict[str, Any]) -> None:
    merged, both = reapply(base, mine, base)
    assert {k: v for k, v in merged.items() if v is not None} == {k: v for k, v in mine.items() if v is not None}
    assert both == []


def test_the_issue_example() -> None:
    base = {"name": "Portal", "description": "old", "callback_urls": "https://a.example/cb", "app_url": "https://a.example"}
    mine = {**base, "description": "mine", "callback_urls": "https://mine.example/cb"}
    theirs = {**base, "description": "theirs", "callback_urls": "https://theirs.example/cb", "app_url": "https://b.example"}
    merged, both = reapply(base, mine, theirs)
    assert merged == {"name": "Portal", "description": "mine", "callback_urls": "https://mine.example/cb",
                      "app_url": "https://b.example"}
    assert both == ["description", "callback_urls"]
