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
    keys change, as they do when the cursor moves from an app the user owns to one they do not.

    When the width is not enough, the keys later in the screen's order go first; Quit and Help always stay, at the
    right end (every other key is in the help screen and the palette)."""

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

    PINNED: ClassVar[tuple[str, ...]] = ("quit", "toggle_help", "app.toggle_help")
    """Actions always shown (at the right end), whatever the width: the way out and the way to every other key."""

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._keys: list[tuple[int, int, str]] = []  # (start, end, key) of each shown key, for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self.refresh())

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self.refresh()

    def shown_bindings(self) -> list[tuple[Binding, bool]]:
        """The keys that show, one per action, in the screen's order (its priority), before any is dropped."""
        shown: dict[str, tuple[Binding, bool]] = {}
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show:
                shown.setdefault(binding.action, (binding, enabled))
        return list(shown.values())

    def render(self) -> Content:
        keys = self.shown_bindings()
        pinned = [k for k in keys if k[0].action in self.PINNED]
        others = [k for k in keys if k[0].action not in self.PINNED]
        parts = {id(b): self._part(b, enabled) for b, enabled in keys}
        width = self.size.width or 80
        room = width - sum(parts[id(b)].cell_length for b, _ in pinned)
        kept: list[tuple[Binding, bool]] = []
        for b, enabled in others:  # lower-priority keys (later in the screen's order) are dropped first
            if parts[id(b)].cell_length > room:
                break
            room -= parts[id(b)].cell_length
            kept.append((b, enabled))
        self._keys = []
        at = 0
        out: list[Content] = []
        for b, _enabled in kept + pinned:
            part = parts[id(b)]
            out.append(part)
            self._keys.append((at, at + part.cell_length, b.key))
            at += part.cell_length
        return Content.assemble(*out)

    def _part(self, binding: Binding, enabled: bool) -> Content:
        key = f" {self.app.get_key_display(binding)} "
        part = Content.assemble((key, ".footer-key--key"), (f"{binding.description} ", ".footer-key--description"))
        return part if enabled else part.stylize("dim")

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._keys:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
