"""The `Logo` widget: an app's logo in at most 16x8 cells, or a placeholder drawn from its initials.

```python
from tui.logos.widget import Logo

logo = Logo(app.thumbnail_url, app.name)       # cells=(16, 8) by default; settings from `self.app.config`
logo.set_app(other.thumbnail_url, other.name)  # when the highlight moves: the initials at once, the image later
```

- The widget is always exactly `cells` (width, height) in size, so a pane never jumps when an image arrives.
- The initials (two letters, on a colour picked from the name) are drawn at once; the image is fetched in a thread
  worker (`tui.logos.fetch.fetch_logo`, after `delay` seconds so that running down a list starts no fetch per
  row) and replaces them when it comes. A URL that cannot be had keeps the initials: never an error dialog.
  `Logo.result` is the last `LogoResult` (its `error` says why there is no image); a `Logo.Loaded` message is
  posted each time a fetch ends.
- How it is drawn: `prepare_terminal(settings)`, called once before `App.run()` (textual-image asks the
  terminal what it can do, and that is impossible once Textual reads the keys), picks Kitty graphics or Sixel
  when the terminal has them; otherwise (and always in mode "halfcell", and when `prepare_terminal` was not
  called) the image is drawn with coloured half-block characters. Mode "off" draws the initials and never
  fetches.
- `settings`: a `ThumbnailSettings`; by default `thumbnail_settings(self.app.config)` (the `[thumbnails]` table and
  `APPDECK_THUMBNAILS`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from store.text import safe
from tui.logos.fetch import LogoResult, cached_logo, fetch_logo
from tui.logos.settings import ThumbnailSettings, graphics_terminal, thumbnail_settings

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from textual.timer import Timer

Protocol = Literal["kitty", "sixel", "halfcell", "off"]

_image_class: Callable[[Any], Widget] | None = None  # textual-image's widget for Kitty or Sixel, once prepare_terminal found one
_protocol: Protocol | None = None


def prepare_terminal(settings: ThumbnailSettings) -> Protocol:
    """Ask the terminal (once, before `App.run()`) whether it shows Kitty graphics or Sixel; what logos will use.

    Mode "off" and "halfcell" ask nothing (textual-image is not even imported). Call it again: the first answer
    stays.
    """
    global _image_class, _protocol
    if not settings.enabled:
        return "off"
    if settings.mode == "halfcell":
        return "halfcell"
    if _protocol is not None:
        return _protocol
    if not graphics_terminal(os.environ):
        # Asking costs a round trip before the first frame (the whole timeout when the terminal does not answer):
        # only a terminal that names itself as one that draws images is asked; every other gets half-cells.
        _protocol = "halfcell"
        return _protocol
    try:
        import textual_image.renderable as renderables
        import textual_image.widget as widgets
    except Exception:  # a terminal that cannot be asked (stdout closed...): half-cells
        _protocol = "halfcell"
        return _protocol
    if renderables.Image is renderables.SixelImage:
        _image_class, _protocol = widgets.SixelImage, "sixel"
    elif renderables.Image is renderables.TGPImage:
        _image_class, _protocol = widgets.TGPImage, "kitty"
    else:
        _protocol = "halfcell"
    return _protocol


def protocol_for(settings: ThumbnailSettings) -> Protocol:
    """What a logo is drawn with under `settings` (after `prepare_terminal`, if it was called)."""
    if not settings.enabled:
        return "off"
    if settings.mode == "halfcell" or _image_class is None:
        return "halfcell"
    return _protocol or "halfcell"


def initials(name: str) -> str:
    """Two letters for a name: the first letters of its first two words ("Customer Portal" -> "CP"), else its
    first two letters ("Scratch" -> "SC"); "?" for a name with no letter or digit."""
    words = ["".join(ch for ch in word if ch.isalnum()) for word in safe(name or "").split()]
    words = [w for w in words if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[1][0]).upper()


_PALETTE = ("#3b6ea5", "#7a4fa0", "#2e8b57", "#b35c1e", "#a63d5a", "#4f7f8f", "#6b6b2e", "#5a5aa8")


def placeholder_color(name: str) -> str:
    """A colour for the initials, the same for the same name."""
    return _PALETTE[hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()[0] % len(_PALETTE)]


def fit_cells(width: int, height: int, cells: tuple[int, int], cell_px: tuple[int, int] = (1, 2)) -> tuple[int, int]:
    """The largest (columns, rows) within `cells` showing a `width`x`height` image unstretched, for cells of
    `cell_px` pixels (a half-cell is square: (1, 2))."""
    cols, rows = cells
    if width <= 0 or height <= 0:
        return 0, 0
    scale = min(cols * cell_px[0] / width, rows * cell_px[1] / height)
    return max(1, min(cols, round(width * scale / cell_px[0]))), max(1, min(rows, round(height * scale / cell_px[1])))


def halfcell_rows(image: PILImage, cols: int, rows: int, background: tuple[int, int, int] = (0, 0, 0)) -> list[list[Segment]]:
    """The segments of `image` scaled to `cols`x`rows` cells (two pixels a cell), transparency over `background`."""
    from PIL import Image

    size = (cols, rows * 2)
    shrink = size[0] <= image.width and size[1] <= image.height
    scaled = image.convert("RGBA").resize(size, Image.Resampling.BOX if shrink else Image.Resampling.BICUBIC)
    flat = Image.new("RGBA", scaled.size, (*background, 255))
    flat.alpha_composite(scaled)
    rgb = flat.convert("RGB")
    px: Any = rgb.load()
    lines: list[list[Segment]] = []
    for row in range(rows):
        segments = []
        for col in range(cols):
            top, bottom = px[col, row * 2], px[col, row * 2 + 1]
            style = Style(color=RichColor.from_rgb(*top), bgcolor=RichColor.from_rgb(*bottom))
            segments.append(Segment("▀", style))
        lines.append(list(Segment.simplify(segments)))
    return lines


RGB = tuple[int, int, int]
_drawn: OrderedDict[tuple[str, tuple[int, int], RGB], list[list[Segment]]] = OrderedDict()
_drawn_lock = threading.Lock()


def drawn(result: LogoResult, cells: tuple[int, int], background: RGB) -> list[list[Segment]] | None:
    """The half-cell rows of a fetched logo fitted in `cells` (made once per URL, size and background: building
    them takes a few milliseconds, so the worker does it, off the UI thread); None for a result without an image."""
    if result.image is None:
        return None
    key = (result.url, cells, background)
    with _drawn_lock:
        if key in _drawn:
            _drawn.move_to_end(key)
            return _drawn[key]
    cols, rows = fit_cells(result.image.width, result.image.height, cells)
    lines = halfcell_rows(result.image, cols, rows, background)
    with _drawn_lock:
        _drawn[key] = lines
        while len(_drawn) > 64:
            _drawn.popitem(last=False)
    return lines


def _drawn_now(result: LogoResult, cells: tuple[int, int], background: RGB) -> list[list[Segment]] | None:
    with _drawn_lock:
        return _drawn.get((result.url, cells, background))


class Logo(Widget):
    """An app's logo (see the module's doc): `Logo(url, name, *, cells=(16, 8))`, then `set_app(url, name)`.

    The initials and half-cell images are drawn by this widget's own `render_line` (no child widgets shown and
    hidden): a new app, or its image arriving, repaints these cells only and never lays out the screen, so it
    can sit in a details pane that is updated on every cursor move. Only Kitty graphics / Sixel use a child."""

    DEFAULT_CSS = """
    Logo { align: center middle; }
    """

    class Loaded(Message):
        """A fetch for this logo ended (`result.ok` when an image is shown)."""

        def __init__(self, logo: Logo, result: LogoResult) -> None:
            super().__init__()
            self.logo = logo
            self.result = result

        @property
        def control(self) -> Logo:
            return self.logo

    delay: ClassVar[float] = 0.15  # seconds the highlight must rest on an app before its logo is fetched

    def __init__(
        self,
        url: str | None = None,
        name: str = "",
        *,
        cells: tuple[int, int] = (16, 8),
        settings: ThumbnailSettings | None = None,
        delay: float | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.cells = cells
        self.url: str | None = url or None
        self.app_name = name
        self.result: LogoResult | None = None
        self._settings = settings
        self._delay = self.delay if delay is None else delay
        self._generation = 0
        self._timer: Timer | None = None
        self._lines: list[list[Segment]] | None = None  # the half-cell image shown, None: the initials
        self._graphic: Widget | None = None
        self._graphic_shown = False
        self.styles.width = cells[0]
        self.styles.height = cells[1]

    @property
    def settings(self) -> ThumbnailSettings:
        if self._settings is None:
            config = getattr(self.app, "config", None)
            self._settings = thumbnail_settings(config if isinstance(config, dict) else {})
        if self._settings.cache_dir is None:  # found once (platformdirs), not on every cursor move
            self._settings = replace(self._settings, cache_dir=self._settings.cache_path())
        return self._settings

    @property
    def showing_image(self) -> bool:
        """True when the image (not the initials) is on screen."""
        return self._lines is not None or self._graphic_shown

    @property
    def placeholder(self) -> str:
        """The initials drawn while there is no image."""
        return initials(self.app_name)

    @property
    def image_cells(self) -> tuple[int, int]:
        """The (columns, rows) the half-cell image takes (0, 0 when none is shown)."""
        if self._lines is None:
            return 0, 0
        return (sum(len(segment.text) for segment in self._lines[0]) if self._lines else 0), len(self._lines)

    def on_mount(self) -> None:
        self._start()

    def set_app(self, url: str | None, name: str) -> None:
        """Show another app's logo: its initials at once, its image when the worker has it."""
        url = url or None
        if url == self.url and name == self.app_name:
            return
        self.url, self.app_name = url, name
        if self.is_mounted:
            self._start()

    def set_cells(self, cells: tuple[int, int]) -> None:
        """Another size (a resized terminal): lays out once, and draws the logo anew for it."""
        if cells == self.cells:
            return
        self.cells = cells
        self.styles.width, self.styles.height = cells
        if self.is_mounted:
            self._generation += 1
            self._lines = None
            self.url, url = None, self.url
            self.set_app(url, self.app_name)

    def _start(self) -> None:
        self._generation += 1
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.result = None
        url, settings = self.url, self.settings
        halfcell = protocol_for(settings) == "halfcell"
        background: RGB = self.background_colors[1].rgb
        if url and settings.enabled:
            hit = cached_logo(url, settings)
            lines = _drawn_now(hit, self.cells, background) if hit is not None and halfcell else None
            if hit is not None and (not hit.ok or not halfcell or lines is not None):
                self._show(hit, self._generation, lines)  # in memory: no worker, no flash of initials
                return
        self._show_initials()
        if not url or not settings.enabled:
            return
        generation = self._generation
        if self._delay > 0:
            self._timer = self.set_timer(self._delay, lambda: self._fetch(url, settings, generation, halfcell, background))
        else:
            self._fetch(url, settings, generation, halfcell, background)

    @work(thread=True, exit_on_error=False, group="logo")
    def _fetch(self, url: str, settings: ThumbnailSettings, generation: int, halfcell: bool, background: RGB) -> None:
        result = fetch_logo(url, settings, wanted=lambda: generation == self._generation)
        if generation != self._generation:
            return
        lines = drawn(result, self.cells, background) if halfcell else None
        self.app.call_from_thread(self._show, result, generation, lines)

    def _show_initials(self) -> None:
        self._lines = None
        if self._graphic is not None and self._graphic_shown:
            self._graphic.display = False
            self._graphic_shown = False
        self.refresh()

    def _show(self, result: LogoResult, generation: int, lines: list[list[Segment]] | None = None) -> None:
        if generation != self._generation or not self.is_attached:
            return  # the highlight moved on while this one was fetched
        self.result = result
        if result.image is None:
            self._show_initials()
        elif protocol_for(self.settings) in ("kitty", "sixel") and _image_class is not None:
            self._show_graphic(result.image)
        else:
            if lines is None:
                lines = drawn(result, self.cells, self.background_colors[1].rgb) or []
            self._lines = lines
            self.refresh()
        self.post_message(self.Loaded(self, result))

    def render_line(self, y: int) -> Strip:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        if self._lines is not None:
            cols, rows = self.image_cells
            top, left = (height - rows) // 2, (width - cols) // 2
            if top <= y < top + rows and cols <= width:
                row = [Segment(" " * left, base), *self._lines[y - top], Segment(" " * (width - cols - left), base)]
                return Strip(row, width)
            return Strip.blank(width, base)
        if self._graphic_shown:
            return Strip.blank(width, base)
        color = RichColor.parse(placeholder_color(self.app_name))
        block = Style(color=RichColor.from_rgb(255, 255, 255), bgcolor=color, bold=True)
        if y != (height - 1) // 2:
            return Strip([Segment(" " * width, block)], width)
        text = self.placeholder[:width]
        left = (width - len(text)) // 2
        return Strip([Segment(" " * left + text + " " * (width - left - len(text)), block)], width)

    def _show_graphic(self, image: PILImage) -> None:
        """Kitty graphics or Sixel through textual-image: one widget, kept, its image replaced."""
        from textual_image._terminal import get_cell_size

        self._lines = None
        size = get_cell_size()
        cols, rows = fit_cells(image.width, image.height, self.cells, (size.width, size.height))
        if self._graphic is None:
            assert _image_class is not None
            self._graphic = _image_class(image)
            self.mount(self._graphic)
        else:
            self._graphic.image = image  # type: ignore[attr-defined]
        self._graphic.styles.width = cols
        self._graphic.styles.height = rows
        self._graphic.display = True
        self._graphic_shown = True
        self.refresh()
