"""The registered-application form (Settings): a shortcut to an external app, no credentials.

A FieldsScreen: it scrolls at 80x24 with the focused field in view, shows every error of a field under it, saves
off the UI thread and asks before discarding typed input. Sharing uses the app form's words (SHARING_LABELS);
the groups are a picker, shown only while the sharing is "Specific groups".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from store.records import GroupView, RegisteredRecord
from store.vocabulary import DEFAULT_SHARING, FIELD_LABELS, GROUPS_SHARING, SHARING, SHARING_LABELS
from tui.screens.fields import FieldSpec, FieldsScreen
from tui.widgets.pickers import group_choices


def registered_data(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the controller takes them: no thumbnail is None, groups only for groups sharing."""
    return {
        **values,
        "thumbnail_url": (values.get("thumbnail_url") or "").strip() or None,
        "groups": list(values.get("groups") or []) if values.get("sharing") == GROUPS_SHARING else [],
    }


class RegisteredFormScreen(FieldsScreen):
    """Add (`record` None) or edit a registered application; `save(data)` is the controller call."""

    def __init__(self, record: RegisteredRecord | None, groups: list[GroupView],
                 save: Callable[[dict[str, Any]], object]) -> None:
        r = record
        fields = [
            FieldSpec("name", FIELD_LABELS["name"] + " *", r.name if r else "", placeholder="Jira"),
            FieldSpec("description", FIELD_LABELS["description"], r.description if r else "",
                      placeholder="What it is for (140 characters at most)"),
            FieldSpec("url", FIELD_LABELS["url"] + " *", r.url if r else "", placeholder="https://jira.example.com"),
            FieldSpec("thumbnail_url", FIELD_LABELS["thumbnail_url"], (r.thumbnail_url or "") if r else "",
                      placeholder="https://jira.example.com/logo.png (150x150)"),
            FieldSpec("sharing", FIELD_LABELS["sharing"], r.sharing if r else DEFAULT_SHARING, SHARING, labels=SHARING_LABELS,
                      hint="Sharing controls who sees the app here, not who can log in to it."),
            FieldSpec("groups", FIELD_LABELS["groups"] + " (space picks)", tuple(r.groups) if r else (),
                      picks=tuple(group_choices(groups))),
            FieldSpec("pinned", FIELD_LABELS["pinned"] + " (shown first)", bool(r.pinned) if r else False),
        ]
        title = "New registered application" if r is None else f"Edit “{r.name}”"
        super().__init__(title, fields, apply=lambda v: save(registered_data(v)))
        self.record = record

    def sync(self) -> None:
        self.show_field("groups", self.value_of("sharing") == GROUPS_SHARING)
