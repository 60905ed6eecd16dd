"""Pickers instead of typed lists: members, groups and an inheritor, each a SelectionList the controller fills.

space (or enter, or a click) toggles the highlighted entry; j/k move like the lists' keys. A `single` picker keeps
at most one entry selected (choosing another drops the first): the inheritor of someone's apps.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import SelectionList

from store.records import GroupView, UserView
from store.text import safe
from store.vocabulary import ROLE_LABELS

Choice = tuple[Content, str]


def user_choices(users: Iterable[UserView]) -> list[Choice]:
    """One entry per member: the login in bold, the display name, the role (dim); the value is the login."""
    out: list[Choice] = []
    for u in users:
        name = safe(u["display_name"])
        prompt = Content.assemble((safe(u["login"]), "bold"), f"  {name}" if name and name != u["login"] else "",
                                  (f"  {ROLE_LABELS.get(u['role'], safe(u['role']))}", "dim"))
        out.append((prompt, u["login"]))
    return out


def group_choices(groups: Iterable[GroupView]) -> list[Choice]:
    """One entry per group: its name; the value is the group's id."""
    return [(Content(safe(g["name"])), g["id"]) for g in groups]


class Picker(SelectionList[str]):
    """A SelectionList of `choices`, `selected` ticked; `single`: one entry at most."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("enter", "select", "Toggle", show=False),
    ]
    DEFAULT_CSS = """
    Picker { height: auto; max-height: 8; }
    """

    def __init__(self, choices: list[Choice], selected: Iterable[str] = (), *, single: bool = False,
                 id: str | None = None) -> None:
        ticked = set(selected)
        if single and len(ticked) > 1:
            ticked = {next(v for _, v in choices if v in ticked)}
        super().__init__(*[(prompt, value, value in ticked) for prompt, value in choices], id=id)
        self.single = single

    @property
    def choice(self) -> str | None:
        """The one selected value (a single picker), or None."""
        return self.selected[0] if self.selected else None

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        if not self.single:
            return
        value = event.selection.value
        if value in self.selected:
            for other in list(self.selected):
                if other != value:
                    self.deselect(other)
