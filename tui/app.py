"""The Textual app: views, live refresh from the store, the command palette, keymap and theme."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from store.controller import Controller
from store.errors import AppdeckError
from store.text import safe
from tui.config import keymap_of, load_config, save_theme
from tui.screens.applications import ApplicationsScreen
from tui.screens.developers import DevelopersScreen


class AppdeckApp(App[None]):
    """appdeck's TUI; every action goes through `self.controller`."""

    CSS_PATH = "app.tcss"
    TITLE = "appdeck"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit appdeck", id="quit"),
        Binding("question_mark", "toggle_help", "Help", tooltip="Every key of this screen", id="help"),
        Binding("colon", "command_palette", "Commands", show=False, tooltip="Search every action", id="palette"),
    ]
    POLL_SECONDS = 1.0

    def __init__(self, controller: Controller, *, config: dict[str, object] | None = None) -> None:
        super().__init__()
        self.controller = controller
        self.config = config if config is not None else load_config()
        theme = self.config.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme
        self._theme_ready = False
        self._role = controller.role

    def on_mount(self) -> None:
        self.set_keymap(keymap_of(self.config))  # type: ignore[arg-type]
        problem = self.config.get("_problem")
        if problem:
            self.notify(safe(problem), severity="warning", markup=False)
        self.push_screen(self._first_screen())
        self.set_interval(self.POLL_SECONDS, self.poll_store)
        self._theme_ready = True

    def _first_screen(self) -> Screen[None]:
        return ApplicationsScreen() if self.controller.role == "viewer" else DevelopersScreen()

    def watch_theme(self, theme: str) -> None:
        if getattr(self, "_theme_ready", False):
            save_theme(theme)

    def poll_store(self) -> None:
        """Pick up another process's save within a second or two, keeping the cursor where it was."""
        try:
            if not self.controller.store.changed_on_disk():
                return
            role = self.controller.role  # raises when the acting user was removed meanwhile
        except AppdeckError as exc:
            self.exit(return_code=exc.exit_code, message=safe(exc.message))
            return
        if role != self._role:
            self._role = role
            self.notify(f"Your role is now {role}.", severity="warning", markup=False)
            if role == "viewer":
                while len(self.screen_stack) > 2:
                    self.pop_screen()
                self.switch_screen(ApplicationsScreen())
                return
        for screen in self.screen_stack:
            reload = getattr(screen, "reload", None)
            if reload is not None:
                reload(external=isinstance(screen, (DevelopersScreen, ApplicationsScreen)))

    def switch_view(self) -> None:
        """tab: Developers <-> Applications (viewers have only the Applications view)."""
        if self.controller.role == "viewer":
            return
        current = self.screen
        if isinstance(current, DevelopersScreen):
            self.switch_screen(ApplicationsScreen())
        elif isinstance(current, ApplicationsScreen):
            self.switch_screen(DevelopersScreen())

    def action_toggle_help(self) -> None:
        """?: show or hide the panel listing every key of the current screen."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette offers every action the current screen allows now."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            b = active.binding
            if not active.enabled or not b.description or b.action in seen or b.action in ("quit", "command_palette"):
                continue
            seen.add(b.action)
            yield SystemCommand(b.description, b.tooltip or b.description, self._runner(active.node, b.action))

    @staticmethod
    def _runner(node: object, action: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            await node.run_action(action)  # type: ignore[attr-defined]

        return run


def run_tui(path: Path, user: str, *, readonly: bool = False) -> int:
    """Open the store and run the TUI; errors before the first screen are one line on stderr."""
    try:
        controller = Controller(path, user, readonly=readonly)
    except AppdeckError as exc:
        print(f"appdeck: {safe(exc.message)}", file=sys.stderr)
        return exc.exit_code
    app = AppdeckApp(controller)
    app.run()
    return app.return_code or 0
