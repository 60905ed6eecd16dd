"""The help screen (`?`): every key of the screen under it, grouped, keymap applied, scrollable by keyboard.

Only appdeck's own keys: a binding with an id, or one declared by a class of ours (the details pane's keys);
Textual's own (Scroll Left, Page Left, Copy selected text, ctrl+q...) are left out."""

from __future__ import annotations

import functools
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Label, Static

from tui.screens.dialog import Dialog

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen

GROUPS = ("Move", "Actions", "Views", "App")
# Keys of a screen that go from one view or panel to another (the rest of a screen's keys are its actions).
VIEW_ACTIONS = frozenset({"switch_view", "filter", "clear_filter", "sort", "reverse_sort", "audit", "settings",
                          "trash"})


@dataclass
class HelpEntry:
    """One action: its keys (as displayed), what it does, and whether it can be used now."""

    group: str
    keys: list[str]
    description: str
    tooltip: str
    enabled: bool = True
    actions: set[str] = field(default_factory=set)


@functools.cache
def _ours(node_class: type) -> frozenset[tuple[str, str]]:
    """(key, action) of the bindings declared by appdeck's own classes in this class hierarchy."""
    found: set[tuple[str, str]] = set()
    for cls in node_class.__mro__:
        if cls.__module__.startswith("tui.") and "BINDINGS" in vars(cls):
            found.update((b.key, b.action) for b in Binding.make_bindings(vars(cls)["BINDINGS"]))
    return frozenset(found)


def is_ours(binding: Binding, node: DOMNode) -> bool:
    """A binding of appdeck's (one with an id, or declared by one of our classes), not one of Textual's own."""
    return binding.id is not None or (binding.key, binding.action) in _ours(type(node))


def _group(node: DOMNode, screen: Screen[object], app: App[object], action: str) -> str:
    if node is app or action.startswith("app.") or action in ("quit", "toggle_help"):
        return "App"
    if node is screen:
        return "Views" if action in VIEW_ACTIONS else "Actions"
    return "Move"


def help_entries(screen: Screen[object]) -> list[HelpEntry]:
    """Every key of `screen` now (its focused widget's chain, the screen, the app), one entry per action, in each
    group in the order they are declared; a key a nearer binding shadows is left out (a priority binding is not)."""
    app = screen.app
    entries: dict[tuple[int, str], HelpEntry] = {}
    seen_keys: dict[str, bool] = {}  # key -> whether its binding so far is a priority one
    past_modal = False
    for node, bindings in screen._binding_chain:  # a modal cuts off the app's bindings but its priority ones
        for key, binding in bindings:
            if past_modal and not binding.priority:
                continue
            if not is_ours(binding, node):
                continue  # Textual's own
            if not binding.description:
                continue
            if key in seen_keys and not binding.priority:
                continue  # a nearer binding of this key wins
            seen_keys[key] = binding.priority
            state = app._check_action_state(binding.action, node)
            if state is False:
                continue  # not offered on this screen now
            slot = (id(node), binding.description)
            entry = entries.get(slot)
            shown = app.get_key_display(binding)
            if entry is None:
                entries[slot] = HelpEntry(_group(node, screen, app, binding.action), [shown], binding.description,
                                          binding.tooltip, bool(state), {binding.action})
            elif shown not in entry.keys:
                entry.keys.append(shown)
        past_modal = past_modal or node.is_modal
    by_group = {g: [e for e in entries.values() if e.group == g] for g in GROUPS}
    return [e for g in GROUPS for e in by_group[g]]


class HelpText(Static):
    """The entries, laid out for the width it has: keys, what they do, and the longer words under it with a
    hanging indent (a wrapped line never starts at column 0)."""

    KEY_WIDTH = 16
    DESC_WIDTH = 18

    def __init__(self, entries: list[HelpEntry]) -> None:
        super().__init__("", markup=False)
        self.entries = entries

    def on_resize(self, event: events.Resize) -> None:
        self.update(self.text_for(event.size.width))

    def text_for(self, width: int) -> Content:
        width = max(width, 40)
        lines: list[Content] = []
        group = ""
        for e in self.entries:
            if e.group != group:
                if group:
                    lines.append(Content(""))
                group = e.group
                lines.append(Content.styled(group, "bold $text-accent"))
            keys = " / ".join(e.keys)
            desc = e.description + ("" if e.enabled else " (not now)")
            first = f"{keys:<{self.KEY_WIDTH - 1}} " if len(keys) < self.KEY_WIDTH else f"{keys} "
            indent = self.KEY_WIDTH + self.DESC_WIDTH
            room = max(width - indent, 20)
            tip = e.tooltip if e.tooltip and e.tooltip != e.description else ""
            tips = textwrap.wrap(tip, room) if tip else []
            if len(first) + len(desc) + 1 > indent:  # a long key or description: the words go under it
                head = Content.assemble((first, "bold"), desc)
                lines.append(head if e.enabled else head.stylize("dim"))
                lines.extend(Content.styled(" " * indent + t, "dim") for t in tips)
                continue
            head = Content.assemble((first, "bold"), f"{desc:<{indent - len(first)}}", (tips[0] if tips else "", "dim"))
            lines.append(head if e.enabled else head.stylize("dim"))
            lines.extend(Content.styled(" " * indent + t, "dim") for t in tips[1:])
        return Content("\n").join(lines)


class HelpScreen(Dialog[None], inherit_bindings=False):
    """Every key of the screen under it; j/k, arrows, pgup/pgdn, g/G scroll; escape, q, ? or f1 closes (its own keys
    only: q closes it rather than quitting)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
        Binding("down,j", "scroll(1)", "Down", id="help.down"),
        Binding("up,k", "scroll(-1)", "Up", id="help.up"),
        Binding("pagedown,ctrl+f,space", "page(1)", "Page down", id="help.page_down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", id="help.page_up"),
        Binding("g,home", "end(-1)", "Top", id="help.top"),
        Binding("G,end", "end(1)", "Bottom", id="help.bottom"),
    ]
    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under_title = type(under).__name__
        self.entries = help_entries(under)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="help-body", can_focus=False):
            yield Label("Keys of this screen", classes="dialog-title")
            yield HelpText(self.entries)

    def _body(self) -> VerticalScroll | None:
        found = self.query(VerticalScroll)
        return found.first() if found else None

    def action_scroll(self, step: int) -> None:
        body = self._body()
        if body is not None:
            body.scroll_relative(y=step, animate=False)

    def action_page(self, step: int) -> None:
        body = self._body()
        if body is not None:
            body.scroll_relative(y=step * max(body.scrollable_content_region.height - 1, 1), animate=False)

    def action_end(self, where: int) -> None:
        body = self._body()
        if body is not None:
            if where < 0:
                body.scroll_home(animate=False)
            else:
                body.scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
