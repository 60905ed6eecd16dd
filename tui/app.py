"""The Textual app: views, live refresh from the store, the command palette, keymap and theme."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from store.errors import AppdeckError
from store.text import safe
from tui.config import keymap_of, load_config, save_theme
from tui.widgets.key_footer import KeyFooter

# The store (and orjson) and the two views are imported once the opening screen is drawn: by the worker that
# reads the store, or when the first view is pushed if a ready controller is given (tests).
if TYPE_CHECKING:
    from store.controller import Controller


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

    def __init__(
        self,
        controller: Controller | None = None,
        *,
        store_path: Path | None = None,
        user: str | None = None,
        readonly: bool = False,
        config: dict[str, object] | None = None,
    ) -> None:
        """Give a ready controller (tests), or a store path and user: then the store is read after the first paint."""
        super().__init__()
        self._controller = controller
        self._open_args = (store_path, user, readonly)
        self.config = config if config is not None else load_config()
        theme = self.config.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme
        self._theme_ready = False
        self._role = ""

    @property
    def controller(self) -> Controller:
        """The controller every screen calls (set once the store is open)."""
        assert self._controller is not None, "the store is not open yet"
        return self._controller

    def compose(self) -> ComposeResult:
        """The first screen, drawn in the default screen (so the first frame holds it whole) before the store is read:
        the bar, a line saying what is opening, the footer; removed once the first view is up. Nothing when a
        controller is given."""
        if self._controller is None:
            path = self._open_args[0] or Path("store")
            yield Static(Content.assemble(("appdeck", "bold"), "  opening ", safe(path), " …"), id="topbar", classes="opening")
            yield Static("", id="main-list", classes="opening")
            yield KeyFooter(classes="opening")

    def on_mount(self) -> None:
        self.set_keymap(keymap_of(self.config))
        problem = self.config.get("_problem")
        if problem:
            self.notify(safe(problem), severity="warning", markup=False)
        self._theme_ready = True
        if self._controller is not None:
            self._start()

    def on_ready(self) -> None:
        """The first frame is drawn (the first screen of `compose`, footer included): now read the store and build the
        first rows in a thread. The parse holds the GIL, so it starts only once the first screen shows."""
        if self._controller is None:
            self.run_worker(self._open_store, thread=True, exclusive=True, exit_on_error=False, name="open-store")

    def _open_store(self) -> None:
        """In a worker thread: parse the store, check membership, and prepare the Developers rows."""
        path, user, readonly = self._open_args
        try:
            from store.controller import Controller
            from tui.screens.applications import ApplicationsScreen  # noqa: F401 - imported here, off the UI's way
            from tui.screens.developers import DevelopersScreen

            ctl = Controller(path or Path("store.json"), user, readonly=readonly)
            warm = DevelopersScreen.prepare(ctl) if ctl.views()[0] == DevelopersScreen.VIEW else None
        except AppdeckError as exc:
            self.call_from_thread(self.exit, return_code=exc.exit_code, message=f"appdeck: {safe(exc.message)}")
            return
        except Exception as exc:
            self.call_from_thread(self.exit, return_code=7, message=f"appdeck: could not open the store: {type(exc).__name__}")
            return
        self.call_from_thread(self._opened, ctl, warm)

    def _opened(self, controller: Controller, warm: object) -> None:
        self._controller = controller
        self._warm_rows = warm
        self._start()
        self.screen_stack[0].query(".opening").remove()

    def _start(self) -> None:
        ctl = self.controller
        reason = None if ctl.readonly else ctl.store.write_problem()
        if reason:  # a store this process cannot write opens read-only: write actions disabled, READ-ONLY shown
            ctl.readonly = True
            self.notify(f"read-only: {safe(reason)}. Changes are disabled.", title="Read-only", severity="warning", markup=False)
        self._role = self.controller.role
        self.push_screen(self._first_screen())
        self.set_interval(self.POLL_SECONDS, self.poll_store)

    def _first_screen(self) -> Screen[None]:
        from tui.screens.applications import ApplicationsScreen
        from tui.screens.developers import DevelopersScreen

        if self.controller.views()[0] != DevelopersScreen.VIEW:
            return ApplicationsScreen()
        warm, self._warm_rows = getattr(self, "_warm_rows", None), None
        return DevelopersScreen(warm=warm)

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
            self.exit(return_code=exc.exit_code, message=f"appdeck: {safe(exc.message)}")
            return
        from tui.screens.applications import ApplicationsScreen
        from tui.screens.developers import DevelopersScreen

        if role != self._role:
            self._role = role
            self.notify(f"Your role is now {role}.", severity="warning", markup=False)
            if DevelopersScreen.VIEW not in self.controller.views():  # the new role has no Developers view
                while len(self.screen_stack) > 2:
                    self.pop_screen()
                self.switch_screen(ApplicationsScreen())
                return
        for screen in self.screen_stack:
            reload = getattr(screen, "reload", None)
            if reload is not None:
                reload(external=isinstance(screen, (DevelopersScreen, ApplicationsScreen)))

    def _fatal_error(self) -> None:
        """Textual's crash screen, without the local variables it shows by default: a frame's locals may hold a
        client secret (a revealed or copied secret, a stored record), and a secret never appears in a traceback."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    def switch_view(self) -> None:
        """tab: Developers <-> Applications (only for a user who has both: the policy's `views`)."""
        from tui.screens.applications import ApplicationsScreen
        from tui.screens.developers import DevelopersScreen

        if len(self.controller.views()) < 2:
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
    """Run the TUI; the store is opened after the first screen is drawn. Errors end it with one line on stderr."""
    app = AppdeckApp(store_path=path, user=user, readonly=readonly)
    app.run()
    return app.return_code or 0
