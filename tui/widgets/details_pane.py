"""The details pane under a list: scrollable text whose height changes without laying out the screen; `DetailsArea`
puts the highlighted app's logo beside it."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual


def _wrap_plain(text: str, width: int) -> list[str] | None:
    """`text` (one line, no tabs) wrapped at spaces to `width` cells; None when it is not that simple (a word wider
    than the width, a newline or a tab: the general text layout does those)."""
    if width <= 0 or "\n" in text or "\t" in text:
        return None
    lines: list[str] = []
    line: str | None = None
    used = 0
    for word in text.split(" "):
        size = cell_len(word)
        if size > width:
            return None
        if line is None:
            line, used = word, size
        elif used + 1 + size > width:
            lines.append(line.rstrip(" "))
            line, used = word, size
        else:
            line, used = f"{line} {word}", used + 1 + size
    lines.append((line or "").rstrip(" "))
    return lines


class DetailsPane(ScrollView, can_focus=True):
    """Shows one Content (the highlighted app's fields), wrapped to the width, scrolled with the keys.

    A Static in a scroll container re-laid-out the whole screen (list, footer keys...) whenever the text's height
    changed, which is on most cursor moves (apps differ in description and URL lists): most of a keystroke's cost.
    Here a new text only re-wraps this pane and tells its scrollbar the new height."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "move(-1, True)", "Page up", show=False),
        Binding("pagedown", "move(1, True)", "Page down", show=False),
        Binding("home,g", "move(-1, False, True)", "Top", show=False),
        Binding("end,G", "move(1, False, True)", "Bottom", show=False),
    ]

    LABEL_WIDTH = 14
    MIN_VALUE_WIDTH = 12  # narrower than this beside the labels, a long value wraps under them instead

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._content: Content | None = Content("")
        self._fields: list[tuple[str, str | Content]] | None = None
        self._strips: list[Strip] | None = None
        self._wrapped_at = -1
        self._blank = Strip.blank(0)
        self._styles: tuple[object, RichStyle, RichStyle] | None = None  # (visual style, label style, value style)

    @property
    def content(self) -> Content:
        """The text shown (tests read it)."""
        if self._content is None:
            self._content = self._fields_content(self._fields or [])
        return self._content

    @property
    def fields(self) -> list[tuple[str, str | Content]] | None:
        """The `label  value` lines shown by `update_fields` (None when a Content is shown)."""
        return None if self._fields is None else list(self._fields)

    def update(self, content: Content) -> None:
        """Show new text: re-wrap it, scroll to its top, repaint this pane only."""
        self._show(content, None)

    def update_fields(self, fields: list[tuple[str, str | Content]]) -> None:
        """Show `label  value` lines (values already safe text, or a Content, e.g. a link): the same text as `Content` of bold labels padded to
        LABEL_WIDTH and the values, drawn without Textual's general text layout for every line that fits the width
        (it cost a millisecond per cursor move); a line that must wrap still goes through it."""
        self._show(None, fields)

    def _show(self, content: Content | None, fields: list[tuple[str, str | Content]] | None) -> None:
        self._content, self._fields = content, fields
        self._strips = None
        self.scroll_to(y=0, animate=False, immediate=True)
        self._wrap()
        self.refresh()

    def _fields_content(self, fields: list[tuple[str, str | Content]]) -> Content:
        parts: list[str | Content | tuple[str, str]] = []
        for label, value in fields:
            parts += [(f"{label:<{self.LABEL_WIDTH}}", "bold"), value, "\n"]
        return Content.assemble(*parts[:-1])

    def _field_strips(self, width: int, style: VisualStyle) -> list[Strip]:
        assert self._fields is not None
        if self._styles is None or self._styles[0] is not style:
            # The styles Textual's text layout gives a bold label and a plain value here (theme and CSS included).
            probe = Visual.to_strips(self, Content.assemble(("x", "bold"), "y"), 2, None, style)[0]
            (bold, plain) = [seg.style for seg in probe]
            self._styles = (style, bold or RichStyle(), plain or RichStyle())
        _, bold, plain = self._styles
        strips: list[Strip] = []
        indent = self.LABEL_WIDTH
        for label, value in self._fields:
            label = f"{label:<{indent}}"
            used = cell_len(label) + (cell_len(value) if isinstance(value, str) else width + 1)
            if used <= width and isinstance(value, str):
                strips.append(Strip([Segment(label, bold), Segment(value, plain), Segment(" " * (width - used), plain)], width))
            elif cell_len(label) > indent or width - indent < self.MIN_VALUE_WIDTH:
                strips += Visual.to_strips(self, Content.assemble((label, "bold"), value), width, None, style, pad=True)
            else:
                # A hanging indent: the value wraps within its own column, its continuation lines under its start
                # (at column 0 they read like new fields).
                room = width - indent
                lines = _wrap_plain(value, room) if isinstance(value, str) else None
                if lines is not None:  # plain text: wrapped here, without the general text layout (the logo beside
                    # the pane makes more lines wrap, and each cost a fraction of a millisecond that way)
                    wrapped = [Strip([Segment(line, plain), Segment(" " * (room - cell_len(line)), plain)], room) for line in lines]
                else:
                    wrapped = Visual.to_strips(self, Content(value) if isinstance(value, str) else value, room, None, style, pad=True)
                head, pad = Strip([Segment(label, bold)], indent), Strip([Segment(" " * indent, plain)], indent)
                strips += [Strip.join([head if i == 0 else pad, line]) for i, line in enumerate(wrapped)]
        return strips

    def _wrap(self) -> list[Strip]:
        width = self.scrollable_content_region.width
        if self._strips is None or width != self._wrapped_at:
            style = self.visual_style
            if width <= 0:
                self._strips = []
            elif self._fields is not None:
                self._strips = self._field_strips(width, style)
            else:
                self._strips = Visual.to_strips(self, self.content, width, None, style, pad=True)
            self._blank = Strip.blank(width, self.rich_style)
            self._wrapped_at = width
            size = Size(0, len(self._strips))
            if size != self.virtual_size:
                if self.is_mounted:
                    # The pane's own size never depends on its text: the scrollbar needs the new height, the
                    # screen no new layout (a scrollbar that appears or goes away still lays out).
                    self.set_reactive(DetailsPane.virtual_size, size)
                    self._scroll_update(size)
                else:
                    self.virtual_size = size
        return self._strips

    def action_move(self, direction: int, page: bool = False, end: bool = False) -> None:
        """Scroll by a line, a page or to an end, at once (no animation: over SSH every frame costs)."""
        step = self.max_scroll_y if end else (max(self.scrollable_content_region.height - 1, 1) if page else 1)
        self.scroll_to(y=self.scroll_y + direction * step, animate=False, immediate=True)

    def render_line(self, y: int) -> Strip:
        strips = self._wrap()
        index = int(self.scroll_y) + y
        return strips[index] if 0 <= index < len(strips) else self._blank

    def on_resize(self, event: events.Resize) -> None:
        self._strips = None
        self._wrap()
        self.refresh()


class DetailsArea(Horizontal):
    """The details pane with the highlighted app's logo at its left (issue 14): `show_app(url, name)` on every
    cursor move, `show_app(None, None)` when no app is highlighted (the logo is hidden).

    The logo is a fixed-size `Logo`: 16x8 cells where the area has 8 rows for it, which it has at 80x24 (the area
    is 45% of the screen, 8 rows under its rule). A shorter area gets a smaller logo of the same 2:1 shape; below
    3 rows or 60 columns, or with logos off (mode "off"), there is none and the fields get the whole width. Its
    size changes only on a resize; a cursor move repaints the logo's cells and re-wraps the pane's text, never a
    layout of the screen. The area takes the pane's place in the screen: its height, its top rule and its
    background (app.tcss styles `#details`; the pane keeps that id, and its inline styles here make it fill the
    area)."""

    DEFAULT_CSS = """
    DetailsArea { height: 45%; border-top: solid $primary; background: $surface; }
    DetailsArea > #details-logo { margin: 0 0 0 1; }
    """

    MAX_CELLS = (16, 8)

    def __init__(self, pane: DetailsPane, *, id: str | None = None) -> None:
        super().__init__(id=id)
        from tui.logos.widget import Logo

        self.pane = pane
        pane.styles.height = "100%"
        pane.styles.border_top = ("none", "black")
        self.logo = Logo(None, "", cells=self.MAX_CELLS, id="details-logo")
        self._wanted: tuple[str | None, str] | None = None  # the app shown; None: no app (the logo hidden)
        self._cells: tuple[int, int] | None = None  # the logo's size for the area's size (None: no room, or not sized yet)

    def compose(self) -> ComposeResult:
        yield self.logo
        yield self.pane

    def cells_for(self, width: int, height: int) -> tuple[int, int] | None:
        """The logo's size in an area of `width`x`height` cells (under its rule); None: no room for one."""
        rows = min(self.MAX_CELLS[1], height)
        if rows < 3 or width < 60 or not self.logo.settings.enabled:
            return None  # no room; or logos are off ([thumbnails] mode): the fields get the whole width
        return rows * 2, rows

    def show_app(self, url: str | None, name: str | None) -> None:
        """Show this app's logo (its initials at once, the image from the logo's worker); name None: no app."""
        wanted = None if name is None else (url, name)
        if wanted == self._wanted:
            return
        self._wanted = wanted
        self._sync()

    def _sync(self) -> None:
        cells = self._cells
        shown = cells is not None and self._wanted is not None
        if self.logo.display != shown:
            self.logo.display = shown  # only between an app and none (an empty filter), or on a resize
        if self._wanted is not None:
            self.logo.set_app(*self._wanted)

    def on_resize(self, event: events.Resize) -> None:
        size = self.content_region.size
        self._cells = self.cells_for(size.width, size.height)
        if self._cells is not None and self._cells != self.logo.cells:
            self.logo.set_cells(self._cells)
        self._sync()
