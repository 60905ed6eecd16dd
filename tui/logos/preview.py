"""The app form's thumbnail preview: the logo, the image's real size and format, and a warning when it is not
square or smaller than the recommended 150x150.

```python
preview = ThumbnailPreview(url, name)   # under the Thumbnail URL input
preview.set_url(value)                  # on every Input.Changed: looked at once the typing has paused
```

`preview_info` (a blocking fetch, cached per URL) runs in a thread worker `pause` seconds after the last change, so
keys never wait for it and a URL half typed is never fetched; a newer URL wins over an older answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static

from tui.logos.fetch import PreviewInfo, preview_info
from tui.logos.settings import ThumbnailSettings, thumbnail_settings
from tui.logos.widget import Logo

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.timer import Timer


class ThumbnailPreview(Horizontal):
    """The logo (8x4 cells) and, beside it, "150x150 PNG" or why there is no preview, and the size warning."""

    DEFAULT_CSS = """
    ThumbnailPreview { height: auto; margin: 0 0 0 0; }
    ThumbnailPreview.empty { display: none; }
    ThumbnailPreview > Logo { margin: 0 1 0 0; }
    ThumbnailPreview > Vertical { width: 1fr; height: auto; }
    ThumbnailPreview #thumbnail-info { color: $text-muted; }
    ThumbnailPreview #thumbnail-warning { color: $text-warning; }
    """

    pause: ClassVar[float] = 0.6  # seconds without typing before the URL is looked at
    CELLS = (8, 4)

    def __init__(self, url: str, name: str, *, settings: ThumbnailSettings | None = None, id: str | None = None) -> None:
        super().__init__(id=id, classes="" if url.strip() else "empty")
        self.url = url.strip()
        self.app_name = name
        self.info: PreviewInfo | None = None  # the last answer (tests read it)
        self._settings = settings
        self._timer: Timer | None = None
        self._asked = ""
        self.logo = Logo(None, name, cells=self.CELLS, settings=settings, delay=0)

    @property
    def settings(self) -> ThumbnailSettings:
        if self._settings is None:
            config = getattr(self.app, "config", None)
            self._settings = thumbnail_settings(config if isinstance(config, dict) else {})
        return self._settings

    def compose(self) -> ComposeResult:
        yield self.logo
        with Vertical():
            yield Static("", id="thumbnail-info")
            yield Static("", id="thumbnail-warning")

    def on_mount(self) -> None:
        if self.url:
            self._look()

    def set_url(self, url: str, name: str | None = None) -> None:
        """The field changed: look at the URL once the typing has paused."""
        url = url.strip()
        if name is not None:
            self.app_name = name
        if url == self.url:
            return
        self.url = url
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not url:
            self.set_class(True, "empty")
            self._asked = ""
            return
        self._say("Looking at the image…", None)
        self._timer = self.set_timer(self.pause, self._look)

    def _look(self) -> None:
        self._timer = None
        url, settings = self.url, self.settings
        self._asked = url
        self.set_class(False, "empty")
        self.logo.set_app(None, self.app_name)  # the initials until the image is in
        if not settings.enabled:
            self._say("Logos are off ([thumbnails] mode or APPDECK_THUMBNAILS): no preview.", None)
            return
        self._say("Looking at the image…", None)
        self._ask(url, settings)

    @work(thread=True, exclusive=True, exit_on_error=False, group="thumbnail-preview")
    def _ask(self, url: str, settings: ThumbnailSettings) -> None:
        info = preview_info(url, settings)
        self.app.call_from_thread(self._answer, url, info)

    def _answer(self, url: str, info: PreviewInfo) -> None:
        if url != self._asked or url != self.url or not self.is_attached:
            return  # typed on meanwhile
        self.info = info
        if info.result.ok:
            self.logo.set_app(url, self.app_name)  # decoded already: drawn from memory
        self._say(info.text, info.warning)

    def _say(self, text: str, warning: str | None) -> None:
        self.query_one("#thumbnail-info", Static).update(Content(text))
        self.query_one("#thumbnail-warning", Static).update(Content(warning or ""))
