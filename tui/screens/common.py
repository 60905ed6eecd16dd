"""Small shared pieces of the screens: the top bar text, error notices and date formatting."""

from __future__ import annotations

import gc
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static

from store.errors import AppdeckError, PermissionDeniedError
from store.text import safe
from store.vocabulary import View
from tui.jobs import ChangeRunner
from tui.widgets.details_pane import DetailsArea, DetailsPane
from tui.widgets.filter_box import FilterBox
from tui.widgets.key_footer import KeyFooter
from tui.widgets.row_list import Column, RowList
from tui.widgets.status_line import StatusLine
from tui.widgets.store_notice import REMOVED

if TYPE_CHECKING:
    from tui.app import AppdeckApp


def short_time(stamp: str) -> str:
    """'2026-11-29T05:45:38+00:00' -> '2026-11-29 05:45'."""
    return safe(stamp)[:16].replace("T", " ")


def top_bar(app: AppdeckApp, view: str) -> Content:
    """Organization, acting user and role, and which view is showing; all stored text literal. The key hint at the
    end is shortened or left out rather than cut at the terminal's width."""
    ctl = app.controller
    views = [v.capitalize() for v in ctl.views()]
    parts: list[str | tuple[str, str]] = [("appdeck", "bold"), "  ", safe(ctl.organization), "  ·  ", safe(ctl.user), f" ({ctl.role})"]
    if ctl.readonly:
        parts.append(("  READ-ONLY", "bold reverse"))
    parts.append("  ·  ")
    for v in views:
        parts.append((f"[{v}]", "bold reverse") if v.lower() == view else f" {v} ")
        parts.append(" ")
    bar = Content.assemble(*parts)
    room = (app.size.width or 80) - 2  # the bar's padding
    hints = ("  tab switch · ? help", "  ? help") if len(views) > 1 else ("  ? help",)
    for hint in hints:  # the longest hint that fits whole (never a cut one; the footer always shows ? Help)
        if bar.cell_length + len(hint) <= room:
            return Content.assemble(bar, (hint, "dim"))
    return bar


ERROR_TITLES: dict[str, str] = {
    "NotFoundError": "Not found",
    "PermissionDeniedError": "Not allowed",
    "ConflictError": "Changed meanwhile",
    "ValidationError": "Not valid",
    "StoreError": "Store problem",
    "StoreUnavailable": "Store problem",
}


def error_title(exc: AppdeckError) -> str:
    """A title a person reads ("Not found"), never a class name ("NotFound")."""
    name = type(exc).__name__
    if name in ERROR_TITLES:
        return ERROR_TITLES[name]
    words = re.findall(r"[A-Z][a-z]*|[a-z]+", name.removesuffix("Error")) or ["Not", "done"]
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def notify_error(app: AppdeckApp, exc: AppdeckError, *, names: Mapping[str, str] | None = None) -> None:
    """Show a controller error as a notification; its text is never markup. While the store is bad, a refusal
    that only follows from it (a missing file reads as "no longer a member") is said as the store's problem.
    `names` (id -> name, e.g. the app the screen acted on) puts the name a person knows where the message quotes
    a raw id."""
    problem = getattr(app, "store_problem", None)
    if problem is not None and isinstance(exc, PermissionDeniedError) and problem.kind != REMOVED:
        app.notify(problem.headline, title="Store problem", severity="error", markup=False)
        return
    message = safe(exc.message)
    for ref, name in (names or {}).items():
        if ref and name:
            message = message.replace(f'"{safe(ref)}"', f"“{safe(name)}”")
    app.notify(message, title=error_title(exc), severity="error", markup=False)


class DeckMixin:
    """Screens reach the one controller through `self.deck.controller`."""

    @property
    def deck(self) -> AppdeckApp:
        return self.app  # type: ignore[attr-defined,no-any-return]


def settle_memory() -> None:
    """After the rows are rebuilt from a newly read store: move every live object out of the garbage collector's
    reach. Parsed records hold no reference cycles; left tracked, each full collection would walk every record
    (hundreds of thousands of objects at 100,000 apps) in the middle of a keystroke. Young garbage is collected
    first so the freeze keeps only live objects."""
    gc.collect(1)
    gc.freeze()


class ListScreen(DeckMixin, ChangeRunner, Screen[None]):
    """What both views share: the top bar, the filter box, the list, the details pane and the footer; `/` opens
    the filter, escape clears it, tab switches the view. A view says which it is, what its filter searches, its
    columns and its empty text, and provides `reload` and `show_details`."""

    VIEW: ClassVar[View]  # which of the policy's views this is: marked in the top bar
    FILTER_HINT: ClassVar[str] = ""
    COLUMNS: ClassVar[list[Column]] = []
    EMPTY_TEXT: ClassVar[str] = ""
    PRESORTED: ClassVar[int | None] = None  # the column the controller already lists the rows by, if any

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        yield FilterBox(placeholder=f"filter: {self.FILTER_HINT}  (escape clears)", id="filter")
        yield RowList(self.COLUMNS, empty_text=self.EMPTY_TEXT, id="main-list", on_highlight=self._highlighted)
        yield DetailsArea(DetailsPane(id="details"), id="details-area")  # the pane and the app's logo
        yield StatusLine(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#topbar", Static).update(top_bar(self.deck, self.VIEW))
        lst = self.row_list()
        lst.show_counter = True  # `12/340` at the header's right end (`3/12 of 340` while filtering)
        if self.PRESORTED is not None:
            lst.assume_sorted(self.PRESORTED)
        self.reload()  # type: ignore[attr-defined]
        self.row_list().focus()

    def _highlighted(self, key: str | None) -> None:
        """The list's cursor is on another row (called by the list at once, not by message)."""
        self.show_details()  # type: ignore[attr-defined]

    def row_list(self) -> RowList:
        return self.query_one(RowList)

    def action_switch_view(self) -> None:
        self.deck.switch_view()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_view":
            try:
                return len(self.deck.controller.views()) > 1  # one view (a viewer): no tab key to show
            except AppdeckError:  # e.g. removed meanwhile; the app's poll says so and exits
                return False
        return True

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.remove_class("visible")
        self.row_list().focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.row_list().set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.row_list().focus()
