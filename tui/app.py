"""The Textual app: views, live refresh from the store, the command palette, keymap and theme."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.actions import ActionParseResult
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Static

from store.errors import AppdeckError, PermissionDeniedError
from store.text import safe
from tui.config import config_warnings, keymap_of, load_config, save_theme
from tui.widgets import store_notice
from tui.widgets.key_footer import KeyFooter
from tui.widgets.status_line import Severity, StatusLine
from tui.widgets.store_notice import StoreNotice, StoreProblem

# The store (and orjson) and the two views are imported once the opening screen is drawn: by the worker that
# reads the store, or when the first view is pushed if a ready controller is given (tests).
if TYPE_CHECKING:
    from store.controller import Controller
    from store.storage import StoreFile

SCREENSHOTS_OFF = "Screenshots are turned off in appdeck: the screen may show a client secret."


class PolledReads:
    """What the controller reads while the TUI runs: the store as the poll last accepted it (a file that parses,
    in which the acting user is a member). Installed over the store's `read`, so no keystroke, cursor move or
    form check ever meets a broken, missing or foreign file: only `poll` (and this process's own writes) look at
    the disk, and a bad file leaves the screens on the last good data while the app says what happened.
    Writes are untouched: a transaction reads the file fresh under the lock, and refuses a bad one."""

    def __init__(self, store: StoreFile, check: Callable[[], object]) -> None:
        self.store = store
        self._read = store.read  # the store's own read (parses when the file changed)
        self._check = check  # raises when the acting user is not a member of the data being read
        self.ident = store.identity()
        self.data = self._read()
        self.generation = store.generation
        self.bad: tuple[tuple[int, int, int] | None, StoreProblem] | None = None  # the bad file last seen
        store.read = self  # type: ignore[method-assign]  # the one place the TUI reads the store

    def __call__(self) -> Any:
        if self.store.generation != self.generation:  # this process wrote (or a transaction parsed) the store
            self.generation = self.store.generation
            try:
                ident = self.store.identity()
                data = self._read()  # the file just written or parsed under the lock: cached, no second parse
            except AppdeckError:
                return self.data  # the poll reports it
            if ident is not None:
                self._accept(ident, data)
        return self.data

    def _accept(self, ident: tuple[int, int, int], data: Any) -> AppdeckError | None:
        """Serve `data` from now on if the acting user is a member in it; else keep the last good data."""
        old = self.data
        self.data = data
        try:
            self._check()
        except AppdeckError as exc:
            self.data = old
            return exc
        self.ident = ident
        return None

    def poll(self) -> tuple[StoreProblem | None, bool]:
        """Look at the file once: (what is wrong with it or None, whether new good data was accepted). One stat
        when nothing changed; a bad file is parsed once, not again each second while it stays the same."""
        path = self.store.path
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return store_notice.gone(path), False
        except OSError as exc:
            return store_notice.unreadable(path, exc.strerror or str(exc)), False
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read: never opened
            return store_notice.unreadable(path, "not a regular file"), False
        if not os.access(path, os.R_OK):
            return store_notice.unreadable(path), False
        try:
            ident = self.store.identity()
        except AppdeckError as exc:
            return store_notice.of_error(exc.message), False
        if ident is None:
            return store_notice.gone(path), False
        if ident == self.ident:
            return None, False  # the accepted file, unchanged (or put back where it was)
        if self.bad is not None and self.bad[0] == ident:
            return self.bad[1], False  # the same bad file: not parsed again
        try:
            data = self._read()
            self.generation = self.store.generation
        except AppdeckError as exc:
            self.bad = (ident, store_notice.of_error(exc.message))
            return self.bad[1], False
        refused = self._accept(ident, data)
        if refused is not None:
            problem = (store_notice.removed(refused.message) if isinstance(refused, PermissionDeniedError)
                       else store_notice.of_error(refused.message))
            self.bad = (ident, problem)
            return problem, False
        self.bad = None
        return None, True


class AppdeckApp(App[None]):
    """appdeck's TUI; every action goes through `self.controller`."""

    CSS_PATH = "app.tcss"
    TITLE = "appdeck"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit appdeck", id="quit"),
        Binding("question_mark,f1", "toggle_help", "Help", tooltip="Every key of this screen", id="help"),
        Binding("colon", "command_palette", "Commands", show=False, tooltip="Search every action", id="palette"),
        # Textual adds its own ctrl+p only when no binding runs `command_palette` (the colon one does): so it is here,
        # a priority binding like Textual's, so it opens the palette from every screen and every input.
        Binding("ctrl+p", "command_palette", "Commands", show=False, tooltip="Search every action", id="palette.ctrl",
                priority=True),
        Binding("escape", "cancel_wait", "Stop waiting", show=False, tooltip="Stop waiting for a busy store (nothing is saved)",
                id="cancel_wait", priority=True),
        Binding("ctrl+o", "copy_input", "Copy input", show=False, tooltip="Copy this form's input as text (no secrets)",
                id="copy_input", priority=True),
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
        # Settings are the acting appdeck user's, not the account's: under ssh-serve every developer is one account.
        self.config_user = user or (controller.user if controller is not None else None)
        self.config = config if config is not None else load_config(user=self.config_user)
        theme = self.config.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme
        self._theme_ready = False
        self._role = ""
        self._reads: PolledReads | None = None
        self.store_problem: StoreProblem | None = None
        self._poll_lock = threading.Lock()  # one poll of the file at a time (the timer's and a save worker's)

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
        warnings = config_warnings(self.config, themes=self.available_themes, default_theme=self.theme,
                                   binding_ids=binding_ids)
        if warnings:  # said once, in one toast
            self.notify("\n".join(safe(w) for w in warnings), title="Config", severity="warning", timeout=12, markup=False)
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
        self._reads = PolledReads(ctl.store, lambda: ctl.role)
        self.push_screen(self._first_screen())
        self.set_interval(self.POLL_SECONDS, self._poll_tick)

    def _first_screen(self) -> Screen[None]:
        from tui.screens.applications import ApplicationsScreen
        from tui.screens.developers import DevelopersScreen

        if self.controller.views()[0] != DevelopersScreen.VIEW:
            return ApplicationsScreen()
        warm, self._warm_rows = getattr(self, "_warm_rows", None), None
        return DevelopersScreen(warm=warm)

    def watch_theme(self, theme: str) -> None:
        if getattr(self, "_theme_ready", False):
            problem = save_theme(theme, self.config_user)
            if problem:
                self.notify(safe(problem), severity="warning", markup=False)

    def poll_store(self) -> StoreProblem | None:
        """Pick up another process's save within a second or two, keeping the cursor where it was. A store that
        goes bad (unreadable, cut short, not JSON, newer, gone, or without the acting user) never ends the app:
        a notice says what happened, every screen and open form stays as it is, and the next good file (put back,
        restored, the user added again) is picked up by itself. Returns the problem now, or None."""
        if self._reads is None:
            return None
        with self._poll_lock:
            problem, changed = self._reads.poll()
        self._polled(problem, changed)
        return problem

    def _poll_tick(self) -> None:
        """Each second: the poll runs in a thread worker (a re-read after another user's save parses the changed
        records there, never between two keys), then its outcome is shown on the UI thread."""
        if self._reads is not None and not self._poll_lock.locked():
            self.run_worker(self._poll_in_thread, thread=True, exclusive=True, exit_on_error=False, group="poll",
                            name="poll-store")

    def _poll_in_thread(self) -> None:
        if self._reads is None:
            return
        prepared: dict[int, object] = {}
        # The lock is held until the rows are made: the next tick's poll cannot accept newer data meanwhile (which
        # would make these rows stale on arrival, and the UI thread would have to make them itself).
        with self._poll_lock:
            problem, changed = self._reads.poll()
            if changed:  # the new rows of every list in the stack, made here rather than between two keys
                for screen in list(self.screen_stack):
                    prepare = getattr(screen, "prepare_rows", None)
                    if prepare is not None:
                        try:
                            prepared[id(screen)] = prepare()
                        except Exception:  # made again on the UI thread, which reports any error
                            pass
        if problem is not None or changed or self.store_problem is not None:
            self.call_from_thread(self._polled, problem, changed, prepared)

    def _set_problem(self, problem: StoreProblem | None) -> None:
        before, self.store_problem = self.store_problem, problem
        if problem is not None and (before is None or before.headline != problem.headline):
            self.notify(problem.detail or problem.headline, title="Store problem", severity="error", timeout=10, markup=False)
        elif problem is None and before is not None:
            self.notify("The store can be read again; the lists are up to date.", title="Store back", markup=False)
            for screen in self.screen_stack:
                back = getattr(screen, "store_back", None)
                if back is not None:
                    back()
        self._place_notice()

    def _place_notice(self) -> None:
        """The notice on the current screen (a screen pushed later gets it at the next poll); gone once the store is."""
        for screen in self.screen_stack:
            notices = screen.query(StoreNotice)
            if self.store_problem is None:
                notices.remove()
            elif notices:
                notices.first().show(self.store_problem)
            elif screen is self.screen and screen is not self.screen_stack[0]:
                notice = StoreNotice()
                screen.mount(notice)
                notice.show(self.store_problem)

    def _refresh_screens(self, prepared: dict[int, object] | None = None, *, own: bool = False) -> None:
        role = self.controller.role
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
            if reload is None:
                continue
            if hasattr(screen, "prepare_rows"):
                reload(external=not own, prepared=(prepared or {}).get(id(screen)))
            else:
                reload(external=not own and isinstance(screen, (DevelopersScreen, ApplicationsScreen)))

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
        """?: the help screen, every key of the current screen (grouped, scrollable); ? again closes it."""
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(self.screen))

    # -- quitting: once `exit` is asked, nothing else runs (`qu` typed at once must not open the URL checker while
    # the app closes: its widgets would never be composed).

    async def on_event(self, event: events.Event) -> None:
        if self._exit and isinstance(event, events.InputEvent):
            return  # keys and clicks after q: the app is closing
        await super().on_event(event)

    async def run_action(self, action: str | ActionParseResult, default_namespace: DOMNode | None = None,
                         namespaces: Mapping[str, DOMNode] | None = None) -> bool:
        if self._exit:
            return True  # handled: no action runs (or pushes a screen) once quitting
        return await super().run_action(action, default_namespace, namespaces)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette offers every action of ours the current screen allows now; never Textual's Screenshot, nor its
        key panel (Keys opens our help screen), nor Textual's own bindings (Copy selected text)."""
        from tui.screens.help import is_ours

        for command in super().get_system_commands(screen):
            if command.title == "Keys":  # our help screen, not Textual's key panel
                yield SystemCommand("Keys", "Every key of this screen, grouped (?)", self.action_toggle_help)
            elif command.title != "Screenshot":
                yield command
        seen: set[str] = {"toggle_help", "app.toggle_help"}  # offered as Keys
        for active in screen.active_bindings.values():
            b = active.binding
            if not active.enabled or not b.description or b.action in seen or b.action in ("quit", "command_palette", "app.command_palette"):
                continue
            if not is_ours(b, active.node):
                continue
            seen.add(b.action)
            yield SystemCommand(b.description, b.tooltip or b.description, self._runner(active.node, b.action))

    @staticmethod
    def _runner(node: object, action: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            await node.run_action(action)  # type: ignore[attr-defined]

        return run

    # -- no screenshots: the screen may hold a revealed secret, and under ssh-serve the file would land on the
    # server, in the service account's Downloads, readable by others (issue 10).

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self.notify(SCREENSHOTS_OFF, severity="warning", markup=False)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        self.notify(SCREENSHOTS_OFF, severity="warning", markup=False)
        return None

    def save_screenshot(self, filename: str | None = None, path: str | None = None, time_format: str | None = None) -> str:
        """Refused (also for TEXTUAL_SCREENSHOT): nothing is written. `export_screenshot` still returns the SVG as
        a string (the snapshot tests use it); it writes no file."""
        self.notify(SCREENSHOTS_OFF, severity="warning", markup=False)
        return ""

    # -- copying a form's input out (the store may be bad: the user keeps what they typed) ---------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_input":
            return bool(form_text(self.screen))
        return True

    def action_copy_input(self) -> None:
        """ctrl+o: the current form's fields as `Label: value` lines, to the clipboard (OSC 52: works over SSH).
        A form holds no secret (a client secret is never an input); a password input would be left out."""
        text = form_text(self.screen)
        if not text:
            return
        self.copy_to_clipboard(text)
        lines = text.count("\n") + 1
        self.notify(f"Copied this form's input ({lines} line{'s' if lines != 1 else ''}) to the clipboard.", markup=False)

    def check_store_now(self) -> StoreProblem | None:
        """From a change's worker thread, before it writes: look at the store now (on this thread) and let the UI
        thread show what was found; the problem, if any."""
        if self._reads is None:
            return None
        with self._poll_lock:
            problem, changed = self._reads.poll()
        self.call_from_thread(self._polled, problem, changed)
        return problem

    def _polled(self, problem: StoreProblem | None, changed: bool, prepared: dict[int, object] | None = None) -> None:
        self._set_problem(problem)
        if changed:
            self._refresh_screens(prepared)

    def say(self, text: str, *, severity: Severity = "information", timeout: float = 6.0) -> None:
        """A routine message on the current screen's status line (it covers nothing); a toast where there is none."""
        lines = self.screen.query(StatusLine)
        if lines:
            lines.first().say(text, severity=severity, timeout=timeout)
        elif text:
            self.notify(safe(text), severity=severity, timeout=timeout, markup=False)

    def reads_data(self) -> object:
        """The data the controller serves now (the poll's accepted snapshot): rows made from it are current."""
        return self._reads.data if self._reads is not None else None

    def after_change(self) -> None:
        """This process changed the store from a screen that is not a list (Settings): every screen in the stack
        reads it again now, so the list under it shows the change (a deleted group, a transfer) at once."""
        self._refresh_screens(own=True)

    def action_cancel_wait(self) -> None:
        """escape while the current screen's change waits for a busy store: stop waiting; else escape goes on."""
        from textual.actions import SkipAction

        cancel = getattr(self.screen, "cancel_change_wait", None)
        if cancel is None or not cancel():
            raise SkipAction()


def binding_ids() -> set[str]:
    """Every binding id of appdeck's own (what a `[keymap]` entry may name): the app's and every screen's and
    widget's in tui/ (their modules are imported here, only when a keymap is configured)."""
    import importlib
    import pkgutil

    import tui.screens
    import tui.widgets

    for package in (tui.screens, tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")
    ids: set[str] = set()
    todo: list[type] = [DOMNode]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("tui.") and "BINDINGS" in vars(cls):
            ids.update(b.id for b in Binding.make_bindings(vars(cls)["BINDINGS"]) if b.id)
    return ids


def form_text(screen: Screen[Any]) -> str:
    """The input of the form on `screen` as text; "" for a screen that is not a form (the lists' filter box)."""
    from textual.screen import ModalScreen
    from textual.widgets import Input

    if not isinstance(screen, ModalScreen):
        return ""
    own = getattr(screen, "input_text", None)
    if own is not None:
        return str(own())
    from store.vocabulary import FIELD_LABELS

    lines = [f"{FIELD_LABELS.get(w.id or '', w.id)}: {w.value}" for w in screen.query(Input)
             if w.id and not w.password and w.value]
    return "\n".join(lines)


def run_tui(path: Path, user: str, *, readonly: bool = False) -> int:
    """Run the TUI; the store is opened after the first screen is drawn. Errors end it with one line on stderr."""
    app = AppdeckApp(store_path=path, user=user, readonly=readonly)
    from tui.logos.settings import graphics_terminal, thumbnail_settings

    # Logos: a terminal that names itself as one drawing images is asked once whether it does Kitty graphics or
    # Sixel (only possible before Textual reads the keys); any other, and modes "off" and "halfcell", are asked
    # nothing and the logo code is not even imported before the first frame.
    settings = thumbnail_settings(app.config)
    if settings.mode == "auto" and graphics_terminal(os.environ):
        from tui.logos.widget import prepare_terminal

        prepare_terminal(settings)
    app.run()
    return app.return_code or 0
