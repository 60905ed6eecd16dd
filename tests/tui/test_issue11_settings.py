"""Issue 11, Settings: changes reach the list at once (and the next save there is no conflict), the registered-app
form fits and scrolls at 80x24 with every error under its field and asks before discarding, keys 1 2 3 / j k g G /
n e d on every tab, pickers instead of typed lists, questions that name the object and count the apps, saves in a
thread worker, routine words on the status line, never a CLI flag in a dialog."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Input, Select, SelectionList, Static

from store.controller import Controller
from store.errors import FieldError, ValidationError
from store.vocabulary import SHARING_LABELS
from tui.screens.app_form import AppFormScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.developers import DevelopersScreen
from tui.screens.dialog import Dialog
from tui.screens.fields import FieldsScreen
from tui.screens.registered_form import RegisteredFormScreen
from tui.screens.settings import RemoveUserScreen, RoleScreen, SettingsScreen
from tui.widgets.pickers import Picker
from tui_helpers import (  # noqa: F401
    app_by_name,
    demo_path,
    details_text,
    fresh,
    iter_statics,
    make_app,
    move_to,
    row_list,
    screen_text,
    tui_config,
)

SIZE = (80, 24)


async def settle(app: Any, pilot: Any) -> None:
    """Wait for a change's thread worker, then for the screen to show its outcome."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def table(app: Any) -> DataTable[Any]:
    table = app.screen._table()
    assert table is not None
    return table  # type: ignore[no-any-return]


def highlighted(app: Any) -> str | None:
    return app.screen._key()  # type: ignore[no-any-return]


async def to_row(pilot: Any, key: str) -> None:
    """Move the Settings cursor onto the row `key` with g and j, as a person would."""
    app = pilot.app
    await pilot.press("g")
    for _ in range(table(app).row_count):
        if highlighted(app) == key:
            return
        await pilot.press("j")
    assert highlighted(app) == key, f"{key!r} not reachable"


def status(app: Any) -> str:
    return str(app.screen.query_one("#status", Static).content)


def group_id(path: Path, name: str) -> str:
    return next(g["id"] for g in fresh(path).list_groups() if g["name"] == name)


def flat(app: Any) -> str:
    """Every text of the current screen (its Statics and Labels), whitespace squeezed: wrapped lines read whole."""
    return " ".join(" ".join(iter_statics(app)).split())


# -- changes reach the list ------------------------------------------------------------------------


async def test_deleting_a_group_reaches_the_list_and_the_next_edit_saves(demo_path: Path) -> None:
    """Defect: after deleting a group in Settings the list kept `groups` and the group's raw id, and the next save
    of that app was refused as a conflict with the user's own change. The question names the group and counts."""
    gid = group_id(demo_path, "platform")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Preview Deployments")
        await pilot.press("S", "3")
        await to_row(pilot, gid)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        text = flat(app)
        assert "Delete the group platform? 2 apps are shared only with it; they become private." in text, text
        assert "1 app is also shared with other groups and stays shared with those." in text, text
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert "Deleted the group platform; 2 apps became private." in status(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        row = row_list(app).rows_by_key()[app_by_name(demo_path, "Preview Deployments")["id"]]
        assert "groups" not in row.cells and "private" in row.cells, row.cells
        details = details_text(app)
        assert gid not in details and "platform" not in details and "private" in details, details
        await pilot.press("e")
        assert isinstance(app.screen, AppFormScreen)
        app.screen.query_one("#description", Input).value = "After the group went."
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, DevelopersScreen), screen_text(app)
    rec = app_by_name(demo_path, "Preview Deployments")
    assert rec["description"] == "After the group went." and rec["sharing"] == "private"


async def test_a_demotion_with_an_inheritor_reaches_the_list(demo_path: Path) -> None:
    """Defect: a transfer on demotion did not reach the list. The role dialog is a Select of the roles; the
    inheritor picker shows only when the new role needs one, with how many apps go; the apps' new owner shows in the
    list when Settings closes, and root may then edit one without a conflict."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Wiki")
        await pilot.press("S", "2")
        await to_row(pilot, "dev-lee")
        await pilot.press("e")
        assert isinstance(app.screen, RoleScreen)
        picker = app.screen.query_one("#f-inherit_to", Picker)
        assert not picker.display  # editor -> editor: no inheritor needed
        app.screen.query_one("#f-role", Select).value = "viewer"
        await pilot.pause()
        assert picker.display
        text = flat(app)
        assert "dev-lee owns 3 apps; as Viewer they would own none: pick who gets them." in text, text
        offered = [picker.get_option_at_index(i).value for i in range(picker.option_count)]
        assert offered == [u["login"] for u in fresh(demo_path).inheritor_candidates("dev-lee")]
        assert "dev-lee" not in offered and not any(o.startswith("view-") for o in offered)
        picker.focus()
        await pilot.press("end", "space")
        assert picker.choice == "root"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert "dev-lee is now Viewer; their apps went to root." in status(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        wiki = app_by_name(demo_path, "Wiki")
        assert wiki["owner"] == "root"
        assert "root" in row_list(app).rows_by_key()[wiki["id"]].cells
        assert "dev-lee" not in details_text(app)
        await pilot.press("e")
        assert isinstance(app.screen, AppFormScreen)  # root owns it now: the list knows
        app.screen.query_one("#description", Input).value = "Root's now."
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, DevelopersScreen), screen_text(app)
    assert app_by_name(demo_path, "Wiki")["description"] == "Root's now."


async def test_no_cli_flag_in_the_role_and_remove_dialogs(demo_path: Path) -> None:
    """Words: the refusal without an inheritor reads as a sentence under the picker, never `--inherit-to USER`."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S", "2")
        await to_row(pilot, "dev-lee")
        await pilot.press("e")
        app.screen.query_one("#f-role", Select).value = "viewer"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, RoleScreen)
        error = str(app.screen.query_one("#error-inherit_to", Static).content)
        assert "needs an inheritor" in error, error
        assert "--" not in screen_text(app)
        await pilot.press("escape", "y")
        await pilot.pause()
        await pilot.press("d")
        assert isinstance(app.screen, RemoveUserScreen)
        assert "Remove dev-lee? 3 apps go to the inheritor you pick." in flat(app)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "needs an inheritor" in str(app.screen.query_one("#error-inherit_to", Static).content)
        assert "--" not in screen_text(app)
    assert demo_path.read_bytes() == before


async def test_removing_a_user_gives_their_apps_to_the_one_picked(demo_path: Path) -> None:
    """d on a user who owns apps: the question counts them; the picker keeps one inheritor; the list shows it."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S", "2")
        await to_row(pilot, "dev-lee")
        await pilot.press("d")
        assert isinstance(app.screen, RemoveUserScreen)
        picker = app.screen.query_one("#f-inherit_to", Picker)
        picker.focus()
        await pilot.press("home", "space", "end", "space")  # a second pick replaces the first
        assert picker.selected == ["root"]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert "Removed dev-lee; 3 apps went to root." in status(app)
        assert "dev-lee" not in [str(k.value) for k in table(app).rows]
        await pilot.press("escape")
        await pilot.pause()
        owners = {r.cells[0]: r.cells for r in row_list(app).rows_by_key().values()}
        assert "root" in owners["Legacy Intranet"]
    assert "dev-lee" not in {u["login"] for u in fresh(demo_path).list_users()}


# -- the registered-app form -----------------------------------------------------------------------


def visible_in_body(app: Any, widget: Any) -> bool:
    body = app.screen.query_one("#fields-body")
    region = app.screen.find_widget(widget).region
    return bool(body.region.contains_region(region))


async def test_registered_form_fits_scrolls_and_keeps_the_focus_in_view(demo_path: Path) -> None:
    """Defect: at 80x24 the form did not scroll; Groups, Pinned, the errors and Save were off screen and Tab moved
    the focus onto invisible widgets. Now every field Tab reaches is in view, Save is on screen, and ctrl+s on an
    empty form shows the errors under their fields and a line above the buttons."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S", "1", "n")
        assert isinstance(app.screen, RegisteredFormScreen)
        form = app.screen
        form.query_one("#f-sharing", Select).value = "groups"
        await pilot.pause()
        screen_region = form.region
        for button in ("#save", "#cancel"):
            assert screen_region.contains_region(form.find_widget(form.query_one(button)).region), button
        seen = []
        for _ in range(12):
            focused = app.focused
            assert focused is not None
            if focused.id and focused.id.startswith("f-"):
                await pilot.pause()
                assert visible_in_body(app, focused), focused.id
                seen.append(focused.id)
            await pilot.press("tab")
        assert {"f-name", "f-url", "f-sharing", "f-groups", "f-pinned"} <= set(seen), seen
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, RegisteredFormScreen)
        assert form.query_one("#error-name", Static).has_class("shown")
        assert form.query_one("#error-url", Static).has_class("shown")
        assert "Not saved:" in screen_text(app)
        assert app.focused is form.query_one("#f-name")  # the first field with an error, in view
        assert visible_in_body(app, app.focused)


async def test_every_error_of_a_field_shows_under_it(demo_path: Path) -> None:
    """Defect: after a failed save a field showed only its last error."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S", "n")
        form = app.screen
        assert isinstance(form, RegisteredFormScreen)
        form.show_errors(ValidationError([FieldError("url", "First problem."), FieldError("url", "Second problem."),
                                          FieldError("name", "Name problem.")]))
        await pilot.pause()
        text = str(form.query_one("#error-url", Static).content)
        assert "First problem." in text and "Second problem." in text
        assert "Not saved: 3 problems" in screen_text(app)


async def test_escape_in_the_registered_form_asks_before_discarding(demo_path: Path) -> None:
    """Defect: escape dropped typed input without a word; it asks like the app form; unchanged, it just closes."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S", "n", "escape")
        assert isinstance(app.screen, SettingsScreen)  # nothing typed: no question
        await pilot.press("n", "J", "i", "r", "a", "escape")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Discard your changes?" in flat(app)
        await pilot.press("n")
        assert isinstance(app.screen, RegisteredFormScreen)
        assert app.screen.query_one("#f-name", Input).value == "Jira"
        await pilot.press("escape", "y")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
    assert demo_path.read_bytes() == before


async def test_registered_form_uses_the_app_forms_sharing_words_and_a_group_picker(demo_path: Path) -> None:
    """The sharing Select and the Settings table say "Specific groups" (SHARING_LABELS); groups are picked."""
    reg = next(r for r in fresh(demo_path).list_registered() if r.name == "Payments Runbook")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")
        assert f"{SHARING_LABELS['groups']}: payments" in screen_text(app)
        await to_row(pilot, reg.id)
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, RegisteredFormScreen)
        sharing = form.query_one("#f-sharing", Select)
        assert sharing.value == "groups"
        assert [str(p) for p, _ in sharing._options] == list(SHARING_LABELS.values())
        groups = form.query_one("#f-groups", SelectionList)
        assert groups.selected == [group_id(demo_path, "payments")]
        groups.focus()
        mobile = [i for i in range(groups.option_count) if groups.get_option_at_index(i).value == group_id(demo_path, "mobile")][0]
        groups.highlighted = mobile
        await pilot.press("space", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert "Saved the registered application Payments Runbook." in status(app)
    assert set(fresh(demo_path).get_registered(reg.id).groups) == {group_id(demo_path, "payments"), group_id(demo_path, "mobile")}


# -- keys ------------------------------------------------------------------------------------------


async def test_keys_1_2_3_move_keys_and_n_on_every_tab(demo_path: Path) -> None:
    """Item 5: 1 2 3 pick the tab, j/k g/G move in its table, n opens the tab's new form (a still does)."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S", "2")
        assert app.screen._tab() == "users"  # type: ignore[attr-defined]
        assert highlighted(app) == "dev-ana"
        await pilot.press("j")
        assert highlighted(app) == "dev-lee"
        await pilot.press("G")
        assert highlighted(app) == "view-sam"
        await pilot.press("k")
        assert highlighted(app) == "view-kim"
        await pilot.press("g")
        assert highlighted(app) == "dev-ana"
        await pilot.press("n")
        assert isinstance(app.screen, FieldsScreen) and "New user" in screen_text(app)
        assert [str(p) for p, _ in app.screen.query_one("#f-role", Select)._options] == ["Admin", "Editor", "Viewer"]
        await pilot.press("escape", "3")
        assert app.screen._tab() == "groups"  # type: ignore[attr-defined]
        await pilot.press("n")
        assert isinstance(app.screen, FieldsScreen) and "New group" in screen_text(app)
        await pilot.press("escape", "1")
        assert app.screen._tab() == "registered"  # type: ignore[attr-defined]
        await pilot.press("a")
        assert isinstance(app.screen, RegisteredFormScreen)


async def test_members_are_picked_not_typed(demo_path: Path) -> None:
    """m on a group: a SelectionList of the members, the current ones ticked; space adds one; saved off the UI
    thread; the status line says how many members it has."""
    gid = group_id(demo_path, "mobile")
    threads: list[str] = []
    app = make_app(demo_path, "root")
    real = app.controller.set_group_members

    def spy(ref: str, members: list[str]) -> Any:
        threads.append(threading.current_thread().name)
        return real(ref, members)

    app.controller.set_group_members = spy  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S", "3")
        await to_row(pilot, gid)
        await pilot.press("m")
        assert isinstance(app.screen, FieldsScreen) and isinstance(app.screen, Dialog)
        picker = app.screen.query_one("#f-members", Picker)
        assert sorted(picker.selected) == ["dev-raj", "view-sam"]
        assert not app.screen.query(Input)  # nothing to type
        picker.focus()
        await pilot.press("home", "space")  # dev-ana
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert "The group mobile has 3 members." in status(app)
    assert threads and threads[0] != threading.main_thread().name
    assert set(fresh(demo_path).get_group(gid)["members"]) == {"dev-ana", "dev-raj", "view-sam"}


async def test_a_row_removed_meanwhile_is_said_not_a_crash(demo_path: Path) -> None:
    """Defect (fixed before, kept): e/d on a user, e/m on a group, e on a registered app removed by another admin
    since the list was drawn: a word on the status line and a fresh list, no traceback."""
    other = Controller(demo_path, "maria")
    gids = {name: group_id(demo_path, name) for name in ("mobile", "payments")}
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")
        for tab, key, remove, press in (
            ("2", "view-kim", lambda: other.remove_user("view-kim"), "e"),
            ("2", "view-sam", lambda: other.remove_user("view-sam"), "d"),
            ("3", gids["mobile"], lambda: other.remove_group(gids["mobile"]), "e"),
            ("3", gids["payments"], lambda: other.remove_group(gids["payments"]), "m"),
        ):
            await pilot.press(tab)
            await to_row(pilot, key)
            remove()
            app._reads.poll()  # the controller reads the new file; the table is not drawn again yet
            await pilot.press(press)
            await pilot.pause()
            assert isinstance(app.screen, SettingsScreen), (key, press)
            assert "No " in status(app) and "read again" in status(app), status(app)
            assert key not in [str(k.value) for k in table(app).rows]
        await pilot.press("1")
        reg = str(table(app).coordinate_to_cell_key(table(app).cursor_coordinate).row_key.value)
        other.remove_registered(reg)
        app._reads.poll()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen) and app.is_running
        assert reg not in [str(k.value) for k in table(app).rows]


# -- the words, counted by the policy ----------------------------------------------------------------


def test_group_removal_counts_and_words() -> None:
    """The question before deleting a group counts what becomes private and what stays shared, singular and plural."""
    from store import policy

    apps = [{"sharing": "groups", "groups": ["g1"]}, {"sharing": "groups", "groups": ["g1", "g2"]},
            {"sharing": "organization", "groups": []}]
    regs = [{"sharing": "groups", "groups": ["g1"]}]
    removal = policy.group_removal(apps, regs, "g1")
    assert removal == {"apps_private": 1, "apps_narrowed": 1, "registered_private": 1, "registered_narrowed": 0}
    assert policy.describe_group_removal("mobile", removal) == (
        "Delete the group mobile? 1 app and 1 registered app are shared only with it; they become private. "
        "1 app is also shared with other groups and stays shared with those.")
    assert policy.describe_group_removal("empty", policy.group_removal([], [], "g1")) == (
        "Delete the group empty? No app is shared with it.")
    assert policy.describe_user_removal("dev-lee", 1) == "Remove dev-lee? 1 app goes to the inheritor you pick."
