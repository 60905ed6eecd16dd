"""Issue 11, the TUI's chrome at 80x24: quitting while keys still arrive, the palette's two keys, the footer that
keeps Quit and Help, the top bar's hint, our own help screen, each modal's own keys, where toasts go, the
config's unknown theme or keymap id, and the URL checker's verdict word."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.command import CommandPalette
from textual.widgets import Input
from textual.widgets._toast import Toast

from store.controller import Controller
from tui.app import AppdeckApp, binding_ids
from tui.config import config_warnings
from tui.screens.confirm import ConfirmScreen, DeleteScreen
from tui.screens.developers import DevelopersScreen
from tui.screens.help import HelpScreen, help_entries
from tui.screens.url_check import UrlCheckScreen, verdict_line
from tui.widgets.key_footer import KeyFooter
from tui_helpers import (
    demo_path,  # noqa: F401  (fixture)
    make_app,
    record_notifications,
    screen_lines,
    screen_text,
    sent_text,
    tui_config,  # noqa: F401  (autouse fixture)
)

SIZE = (80, 24)


def send_at_once(app: AppdeckApp, *keys: str) -> None:
    """Queue key events without waiting between them, as a terminal delivers `qu` typed quickly (one read)."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        driver.send_message(event)


def footer_line(app: AppdeckApp) -> str:
    return screen_lines(app)[-1]


# -- 1. q followed at once by another key ---------------------------------------------------------------------


async def test_q_then_u_at_once_exits_cleanly(demo_path: Path) -> None:
    """`qu` typed at once: the app quits with code 0; the u after q opens nothing (it used to push the URL checker
    while the app closed and end in NoMatches '#url', exit 1)."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        send_at_once(app, "q", "u")
        await pilot.pause()
    assert app._exception is None
    assert app.return_code == 0
    assert not any(isinstance(s, UrlCheckScreen) for s in app.screen_stack)


async def test_q_then_u_pressed_quits_cleanly(demo_path: Path) -> None:
    """The same with Pilot's press (each key waits for the app to be idle): exit code 0, no traceback."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q", "u")
    assert app._exception is None
    assert app.return_code == 0


async def test_no_action_runs_once_quitting(demo_path: Path) -> None:
    """After `exit` is asked, actions are not run: no screen is pushed by a key or by run_action."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        app.exit()
        await screen.run_action("check_url")
        assert not isinstance(app.screen, UrlCheckScreen)
    assert app._exception is None


# -- 2. ctrl+p and : open the palette ---------------------------------------------------------------------------


async def test_ctrl_p_opens_the_palette_and_typing_stays_in_it(demo_path: Path) -> None:
    """ctrl+p opens the command palette; typing `set` goes into it, never to the list (Share, Edit, Transfer)."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("s", "e", "t")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(Input).value == "set"
        assert [type(s) for s in app.screen_stack[1:-1]] == [DevelopersScreen]


async def test_colon_still_opens_the_palette(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_ctrl_p_opens_the_palette_from_a_modal_input(demo_path: Path) -> None:
    """ctrl+p is a priority binding: from the URL checker's input too (its `:` goes into the input)."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        assert isinstance(app.screen, UrlCheckScreen)
        await pilot.press("h", "colon")
        assert app.screen.query_one("#url", Input).value == "h:"
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


# -- 3. the footer, the top bar, the help screen, dialogs, toasts -----------------------------------------------


async def test_footer_keeps_quit_and_help_at_80_columns(demo_path: Path) -> None:
    """At 80 columns the footer shows q Quit and ? Help; the keys dropped are the last of the screen's order."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = footer_line(app)
        assert "q Quit" in line and "? Help" in line
        assert "Copy secret" not in line
        for kept in ("Views", "Filter", "New", "Edit", "Share", "Delete"):
            assert kept in line
        assert len(line.rstrip()) <= 80
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        wide = footer_line(app)
        assert "Copy secret" in wide and "q Quit" in wide and "? Help" in wide


async def test_footer_drops_lower_priority_keys_first(demo_path: Path) -> None:
    """The keys shown are a prefix of the screen's order, then Quit and Help, at any width."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        for width in (50, 64, 80, 100):
            await pilot.resize_terminal(width, 24)
            await pilot.pause()
            footer = app.screen.query_one(KeyFooter)
            order = [b.description for b, _ in footer.shown_bindings() if b.action not in footer.PINNED]
            line = footer_line(app)
            shown = [d for d in order if f" {d} " in line]
            assert shown == order[: len(shown)], width
            assert line.rstrip().endswith("? Help"), width
            assert "q Quit" in line, width


async def test_top_bar_hint_is_never_cut(demo_path: Path) -> None:
    """The top bar's key hint is shown whole or not at all (it was cut to `tab` at 80 columns)."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        top = screen_lines(app)[0].rstrip()
        assert top.endswith("Applications") or top.endswith("? help"), top
    app = make_app(demo_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert "tab switch · ? help" in screen_lines(app)[0]


async def test_help_screen_lists_our_keys_grouped(demo_path: Path) -> None:
    """? opens our help screen over the whole width (the list is not squeezed): every key of the list screen,
    grouped, and none of Textual's own (Scroll Left, Page Left, Copy selected text)."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert not app.screen.query("HelpPanel")
        entries = app.screen.entries
        groups = [e.group for e in entries]
        assert {"Move", "Actions", "Views", "App"} <= set(groups)
        assert groups == sorted(groups, key=["Move", "Actions", "Views", "App"].index)  # grouped, in order
        descriptions = {e.description for e in entries}
        for ours in ("Down", "New", "Transfer", "Copy .env", "Trash", "Sort", "Quit", "Help", "Commands", "Clear filter"):
            assert ours in descriptions, ours
        for textual in ("Scroll Left", "Scroll Right", "Page Left", "Page Right", "Copy selected text", "Focus Next"):
            assert textual not in descriptions, textual
        text = screen_text(app)
        assert "Keys of this screen" in text and "Move" in text
        palette = next(e for e in entries if e.description == "Commands")
        assert palette.keys == [":", "^p"]


async def test_help_screen_scrolls_by_keyboard_and_closes(demo_path: Path) -> None:
    """j/k, pgdn/pgup, G/g scroll the help at 80x24; escape, q and ? close it (q does not quit)."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        body = app.screen.query_one("#help-body")
        assert body.max_scroll_y > 0  # more keys than rows at 80x24
        await pilot.press("j", "j")
        assert body.scroll_y == 2
        await pilot.press("k")
        assert body.scroll_y == 1
        await pilot.press("G")
        assert body.scroll_y == body.max_scroll_y
        assert "Commands" in screen_text(app)  # the App group is at the end
        await pilot.press("g")
        assert body.scroll_y == 0
        await pilot.press("pagedown")
        assert body.scroll_y > 5
        await pilot.press("pageup")
        assert body.scroll_y == 0
        for key in ("escape", "q", "question_mark"):
            await pilot.press(key)
            assert isinstance(app.screen, DevelopersScreen), key
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
        assert not app._exit  # q closed the help; it did not quit


async def test_help_shows_keys_with_the_keymap_applied(tmp_path: Path, demo_path: Path) -> None:
    app = AppdeckApp(Controller(demo_path, "root"), config={"keymap": {"new_app": "N", "help": "f2"}})
    record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "f2 Help" in footer_line(app)
        await pilot.press("f2")
        assert isinstance(app.screen, HelpScreen)
        new = next(e for e in app.screen.entries if e.description == "New")
        assert new.keys == ["N"]
    assert "Unknown" not in sent_text(app)


async def test_help_over_a_modal_lists_the_modals_keys(demo_path: Path) -> None:
    """? over the rotate confirmation lists its keys (Yes, No, Quit, Help), not the list's."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        descriptions = {e.description for e in app.screen.entries}
        assert {"Yes", "No", "Quit", "Help"} <= descriptions
        assert not descriptions & {"Edit", "Share", "New"}
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)


def test_help_entries_skip_textual_bindings() -> None:
    """help_entries on a bare screen of Textual's: nothing of Textual's own is ours."""
    from textual.app import App

    class Bare(App[None]):
        pass

    async def run() -> None:
        app = Bare()
        async with app.run_test(size=SIZE):
            assert help_entries(app.screen) == []

    import asyncio

    asyncio.run(run())


async def test_dialog_footer_and_status_line_at_80x24(demo_path: Path) -> None:
    """A Dialog at 80x24: its footer on the bottom row, its status line just above, neither over the dialog box."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        assert isinstance(app.screen, DeleteScreen)
        app.say("Saving… a status line message", timeout=30)
        await pilot.pause()
        lines = screen_lines(app)
        assert "Cancel" in lines[-1] and "Help" in lines[-1]
        assert "Saving… a status line message" in lines[-2]
        box = app.screen.query_one(".dialog").region
        assert box.bottom <= 22  # rows 22 and 23 are the status line and the footer


async def test_toasts_sit_top_right_clear_of_the_details(demo_path: Path) -> None:
    """An error toast is at the top right under the top bar, narrow, clear of the details pane and the footer."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.notify("Not saved: the app changed since you opened it.", title="Conflict", severity="error")
        await pilot.pause(0.2)
        await pilot.pause()
        toast = app.screen.query_one(Toast).region
        details = app.screen.query_one("#details").region
        assert toast.y >= 1 and toast.x >= 40 and toast.width <= 40
        assert not toast.overlaps(details)
        assert "Customer Portal" in screen_lines(app)[2]  # the first row's name stays readable


# -- 4. unknown theme or keymap id in the config ----------------------------------------------------------------


async def test_unknown_theme_and_keymap_id_are_said_at_start(demo_path: Path) -> None:
    app = AppdeckApp(Controller(demo_path, "root"), config={"theme": "draculla", "keymap": {"nwe_app": "N"}})
    record_notifications(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        said = sent_text(app)
        assert 'Unknown theme "draculla"' in said and 'did you mean "dracula"' in said
        assert f'using "{app.theme}"' in said
        assert 'Unknown key binding id "nwe_app"' in said and 'did you mean "new_app"' in said
        assert said.count("Unknown") == 2 and len(app.sent) == 1  # once each, in one toast


def test_config_warnings_nothing_for_a_good_config() -> None:
    good = {"theme": "nord", "keymap": {"new_app": "N", "list.down": "j,down"}}
    assert config_warnings(good, themes=["nord", "textual-dark"], default_theme="textual-dark",
                           binding_ids=binding_ids) == []
    asked: list[int] = []
    config_warnings({}, themes=["nord"], default_theme="nord", binding_ids=lambda: asked.append(1) or [])
    assert asked == []  # no keymap: the binding ids are not collected
    bad = config_warnings({"keymap": "N"}, themes=[], default_theme="x", binding_ids=binding_ids)
    assert bad and "not a table" in bad[0]


def test_binding_ids_cover_every_screen() -> None:
    ids = binding_ids()
    for known in ("quit", "help", "palette", "palette.ctrl", "new_app", "list.down", "check.close", "help.close"):
        assert known in ids


# -- 5. each modal's footer names its own keys ------------------------------------------------------------------


async def test_confirm_screen_footer_names_its_keys(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen)
        line = footer_line(app)
        assert "y Yes" in line and "n No" in line and "q Quit" in line and "? Help" in line
        assert "Edit" not in line and "Share" not in line


async def test_url_check_footer_names_its_keys(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        assert isinstance(app.screen, UrlCheckScreen)
        line = footer_line(app)
        assert "esc Close" in line and "Help" in line
        assert "Edit" not in line and "Share" not in line


# -- 6. the URL checker shows the verdict word once -------------------------------------------------------------


async def test_url_checker_shows_the_verdict_once(demo_path: Path) -> None:
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        await pilot.press(*"https://evil.example/cb")
        await pilot.pause()
        verdict = str(app.screen.query_one("#verdict").content)  # type: ignore[attr-defined]
        assert verdict.startswith("REFUSED  ")
        assert verdict.lower().count("refused") == 1, verdict


def test_verdict_line_drops_a_repeated_word() -> None:
    assert str(verdict_line(False, "REFUSED", "Refused: no entry matches.")) == "REFUSED  No entry matches."
    assert str(verdict_line(True, "ALLOWED", "It matches.")) == "ALLOWED  It matches."


async def test_palette_offers_our_actions_only(demo_path: Path) -> None:
    """The palette lists our actions (New), and Keys opens our help screen, not Textual's key panel; no Copy selected
    text (Textual's binding)."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "New" in titles and "Keys" in titles and "Theme" in titles
        for textual in ("Screenshot", "Copy selected text"):
            assert textual not in titles, textual
        assert titles.count("Keys") == 1 and "Help" not in titles
        await pilot.press("ctrl+p", *"Keys", "enter")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert not app.screen_stack[-2].query("HelpPanel")


async def test_help_over_a_modal_input_lists_the_priority_keys(demo_path: Path) -> None:
    """In the URL checker the input takes ? (f1 opens the help); the help lists ctrl+p, which works there."""
    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u", "f1")
        assert isinstance(app.screen, HelpScreen)
        keys = {e.description: e.keys for e in app.screen.entries}
        assert keys["Commands"] == ["^p"] and keys["Help"] == ["f1"] and keys["Close"] == ["esc"]


async def test_q_in_a_form_with_changes_asks_before_quitting(demo_path: Path) -> None:
    """q in a modal quits (its footer says so), but a form with unsaved changes asks first; n keeps the form."""
    from tui.screens.sharing import SharingScreen

    app = make_app(demo_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert isinstance(app.screen, SharingScreen)
        form = app.screen
        form.dirty = lambda: True  # type: ignore[attr-defined]
        form.focus_next()
        await pilot.pause()
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is form and not app._exit
        form.dirty = lambda: False  # type: ignore[attr-defined]
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
