"""The footer line of every screen."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.widget import Widget


class KeyFooter(Widget):
    """The footer: the screen's active bindings that show, one per action, keymap applied, styled like Textual's
    Footer keys; a click presses the key. One widget drawing one line: Textual's Footer is a widget per key, composed
    once mounted (one frame after the first) and composed again, with a layout of the whole screen, whenever the
    keys change, as they do when the cursor moves from an app the user owns to one they do not."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"footer-key--key", "footer-key--description"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        .footer-key--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        .footer-key--description { color: $footer-description-foreground; background: $footer-description-background; }
    }
    """

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._keys: list[tuple[int, int, str]] = []  # (start, end, key) of each shown key, for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self.refresh())

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def render(self) -> Content:
        shown: dict[str, tuple[Binding, bool]] = {}
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show:
                shown.setdefault(binding.action, (binding, enabled))
        parts: list[Content] = []
        self._keys = []
        at = 0
        for binding, enabled in shown.values():
            key = f" {self.app.get_key_display(binding)} "
            part = Content.assemble((key, ".footer-key--key"), (f"{binding.description} ", ".footer-key--description"))
            parts.append(part if enabled else part.stylize("dim"))
            self._keys.append((at, at + len(part), binding.key))
            at += len(part)
        return Content.assemble(*parts)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._keys:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
