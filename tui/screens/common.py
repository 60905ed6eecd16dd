"""Small shared pieces of the screens: the top bar text, error notices and date formatting."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static

from store.errors import AppdeckError, PermissionDeniedError
from store.text import safe
from store.vocabulary import View
from tui.jobs import ChangeRunner
from tui.widgets.details_pane import DetailsPane
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
    """Organization, acting user and role, and which view is showing; all stored text literal."""
    ctl = app.controller
    views = [v.capitalize() for v in ctl.views()]
    parts: list[str | tuple[str, str]] = [("appdeck", "bold"), "  ", safe(ctl.organization), "  ·  ", safe(ctl.user), f" ({ctl.role})"]
    if ctl.readonly:
        parts.append(("  READ-ONLY", "bold reverse"))
    parts.append("  ·  ")
    for v in views:
        parts.append((f"[{v}]", "bold reverse") if v.lower() == view else f" {v} ")
        parts.append(" ")
    parts.append(("  tab switch · ? help" if len(views) > 1 else "  ? help", "dim"))
    return Content.assemble(*parts)


def notify_error(app: AppdeckApp, exc: AppdeckError) -> None:
    """Show a controller error as a notification; its text is never markup. While the store is bad, a refusal
    that only follows from it (a missing file reads as "no longer a member") is said as the store's problem."""
    problem = getattr(app, "store_problem", None)
    if problem is not None and isinstance(exc, PermissionDeniedError) and problem.kind != REMOVED:
        app.notify(problem.headline, title="Store problem", severity="error", markup=False)
        return
    app.notify(safe(exc.message), title=type(exc).__name__.replace("Error", ""), severity="error", markup=False)


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

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        yield FilterBox(placeholder=f"filter: {self.FILTER_HINT}  (escape clears)", id="filter")
        yield RowList(self.COLUMNS, empty_text=self.EMPTY_TEXT, id="main-list", on_highlight=self._highlighted)
        yield DetailsPane(id="details")
        yield StatusLine(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#topbar", Static).update(top_bar(self.deck, self.VIEW))
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
