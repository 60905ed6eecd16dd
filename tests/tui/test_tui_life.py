"""Spec sections 2 and 10. An app's whole life in the TUI, by keys only: delete to the trash and undo it (z), the
Trash view (restore, purge after a question), disable/enable, duplicate, transfer through a user picker, the `.env`
snippet over OSC 52, audit values; every test asserts on the store file, not only the screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.widgets import Input, OptionList

from store.controller import Controller
from tui.screens.app_form import AppFormScreen
from tui.screens.audit import AuditScreen
from tui.screens.confirm import ConfirmScreen, DeleteScreen
from tui.screens.developers import DevelopersScreen
from tui.screens.trash import TrashScreen
from tui.screens.user_picker import UserPickerScreen
from tui_helpers import (
    SIZE,
    app_by_name,
    demo_path,  # noqa: F401  (fixture)
    details_text,
    make_app,
    move_to,
    raw_apps,
    row_list,
    screen_text,
    sent_text,
    tui_config,  # noqa: F401  (autouse fixture)
)


def stored(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def app_ids(path: Path) -> set[str]:
    return {r["id"] for r in raw_apps(path).values()}


def trash_ids(path: Path) -> set[str]:
    return {r["id"] for r in stored(path).get("trash", {}).values()}


async def delete_by_keys(pilot: Any, name: str) -> None:
    """Highlight `name`, d, type its name, enter."""
    await move_to(pilot, name)
    await pilot.press("d")
    assert isinstance(pilot.app.screen, DeleteScreen)
    await pilot.press(*name, "enter")
    await pilot.app.workers.wait_for_complete()  # the delete runs in a worker
    await pilot.pause()


# -- delete to the trash, and undo -------------------------------------------------------------------


async def test_delete_says_until_when_then_z_restores_the_same_credentials(demo_path: Path) -> None:
    """Section 2: the delete confirmation names the trash and its date and says the app cannot authenticate; the
    notice offers z; z restores the app with byte-identical credentials; z is then dimmed (nothing to undo)."""
    before = app_by_name(demo_path, "Scratch App")
    until = Controller(demo_path, "root").trash_until()[:10]
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert not screen.check_action("undo_delete", ())  # nothing deleted yet
        await move_to(pilot, "Scratch App")
        await pilot.press("d")
        text = " ".join(screen_text(app).split())
        assert "trash" in text and until in text and "can no longer" in text and "authenticate" in text
        await pilot.press(*"Scratch App", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        assert before["id"] not in app_ids(demo_path) and before["id"] in trash_ids(demo_path)
        assert before["id"] not in row_list(app).visible_keys()
        assert f"Deleted “Scratch App”. z restores it (in the trash until {until})." in sent_text(app)
        assert screen.check_action("undo_delete", ())
        await pilot.press("z")
        await pilot.pause()
        assert row_list(app).highlighted_key == before["id"]
        assert not screen.check_action("undo_delete", ())
        await pilot.press("z")  # a second z does nothing
        await pilot.pause()
    after = app_by_name(demo_path, "Scratch App")
    assert (after["client_id"], after["client_secret"]) == (before["client_id"], before["client_secret"])
    assert after["id"] == before["id"] and not trash_ids(demo_path)
    assert before["client_secret"] not in sent_text(app)


async def test_z_is_dimmed_once_the_app_left_the_trash_elsewhere(demo_path: Path) -> None:
    """Section 10: z restores only while that is possible: purged by another process, the key goes dim."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        gone = app_by_name(demo_path, "Scratch App")["id"]
        await delete_by_keys(pilot, "Scratch App")
        assert app.screen.check_action("undo_delete", ())
        Controller(demo_path, "root").purge_app(gone)
        app.poll_store()
        await pilot.pause()
        assert not app.screen.check_action("undo_delete", ())
        await pilot.press("z")
        await pilot.pause()
    assert gone not in app_ids(demo_path) and not trash_ids(demo_path)


# -- the Trash view ----------------------------------------------------------------------------------


async def test_trash_view_restores_with_r_and_the_list_reloads(demo_path: Path) -> None:
    """Section 10: T lists the owner's trash (name, deleted, purge date); r restores without a question; escape
    goes back to a Developers list that shows the app again, highlighted."""
    rec = app_by_name(demo_path, "Scratch App")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await delete_by_keys(pilot, "Scratch App")
        await pilot.press("T")
        assert isinstance(app.screen, TrashScreen)
        purge = Controller(demo_path, "root").list_trash()[0].purge_at[:10]
        text = screen_text(app)
        assert "Scratch App" in text and purge in text and "Purged on" in text
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, TrashScreen)  # no question for a restore
        assert rec["id"] in app_ids(demo_path) and not trash_ids(demo_path)
        assert "The trash is empty." in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        assert row_list(app).highlighted_key == rec["id"]
    assert app_by_name(demo_path, "Scratch App")["client_secret"] == rec["client_secret"]


async def test_trash_view_purges_after_a_question_that_names_new_credentials(demo_path: Path) -> None:
    """Section 2: p asks first and says re-creating gives a new client ID and secret; n keeps it, p then y ends it."""
    rec = app_by_name(demo_path, "Scratch App")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await delete_by_keys(pilot, "Scratch App")
        await pilot.press("T", "p")
        assert isinstance(app.screen, ConfirmScreen)
        text = " ".join(screen_text(app).split())
        assert "new client ID and secret" in text and "final" in text
        await pilot.press("n")
        await pilot.pause()
        assert trash_ids(demo_path) == {rec["id"]}
        await pilot.press("p", "y")
        await app.workers.wait_for_complete()  # the purge runs in a worker
        await pilot.pause()
        assert isinstance(app.screen, TrashScreen)
        assert not trash_ids(demo_path) and rec["id"] not in app_ids(demo_path)
        assert not app.screen.check_action("restore", ()) and not app.screen.check_action("purge", ())
        await pilot.press("escape")
        await pilot.pause()
        assert rec["id"] not in row_list(app).visible_keys()
    actions = [(e["action"], e["object_id"]) for e in stored(demo_path)["audit"].values()]
    assert ("purge", rec["id"]) in actions


async def test_another_users_trash_is_not_shown(demo_path: Path) -> None:
    """Section 10: only its owner sees a trashed app: dev-ana's Trash view does not list root's."""
    Controller(demo_path, "root").delete_app(app_by_name(demo_path, "Scratch App")["id"])
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("T")
        assert isinstance(app.screen, TrashScreen)
        assert "Scratch App" not in screen_text(app) and "The trash is empty." in screen_text(app)


# -- disable / enable --------------------------------------------------------------------------------


async def test_x_disables_dims_the_row_says_so_and_enables_again(demo_path: Path) -> None:
    """Section 10: x disables the owner's app: the store flag is false, the row draws dimmed, the details say it
    cannot authenticate; x again enables it."""
    rec = app_by_name(demo_path, "Customer Portal")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        assert not row_list(app).is_dimmed(rec["id"])
        await pilot.press("x")
        await pilot.pause()
        assert app_by_name(demo_path, "Customer Portal")["enabled"] is False
        assert row_list(app).is_dimmed(rec["id"])
        assert "Disabled: cannot authenticate until enabled" in details_text(app)
        assert row_list(app).highlighted_key == rec["id"]
        await pilot.press("x")
        await pilot.pause()
        assert app_by_name(demo_path, "Customer Portal")["enabled"] is True
        assert not row_list(app).is_dimmed(rec["id"])
        assert "Disabled" not in details_text(app)


async def test_a_disabled_row_draws_with_the_faint_attribute(demo_path: Path) -> None:
    """Section 10: the dimming is in the drawn line itself (what the terminal shows), not only in a flag."""
    Controller(demo_path, "dev-ana").set_enabled(app_by_name(demo_path, "Docs Site")["id"], False)
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lst = row_list(app)
        keys = lst.visible_keys()
        docs = keys.index(app_by_name(demo_path, "Docs Site")["id"])
        other = keys.index(app_by_name(demo_path, "Wiki")["id"])
        dim = [seg.style is not None and bool(seg.style.dim) for seg in lst.render_line(docs + 1)]
        plain = [seg.style is not None and bool(seg.style.dim) for seg in lst.render_line(other + 1)]
        assert all(dim) and not any(plain)


# -- duplicate ---------------------------------------------------------------------------------------


async def test_D_duplicates_someone_elses_app_with_new_credentials_owned_by_me(demo_path: Path) -> None:
    """Section 10: an editor who sees root's app: D opens the form pre-filled, name empty, other settings read-only;
    ctrl+s makes a new app with the settings, new id, client ID and secret, owned by the acting user."""
    source = app_by_name(demo_path, "Customer Portal")
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        assert app.screen.check_action("duplicate_app", ())
        await pilot.press("D")
        assert isinstance(app.screen, AppFormScreen)
        form = app.screen
        assert form.query_one("#name", Input).value == ""
        assert form.query_one("#app_url", Input).value == source["app_url"]
        assert form.query_one("#app_url", Input).disabled and not form.query_one("#name", Input).disabled
        assert "Duplicate “Customer Portal”" in screen_text(app)
        await pilot.press(*"Portal Two", "ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        copy = app_by_name(demo_path, "Portal Two")
        assert row_list(app).highlighted_key == copy["id"]
    assert copy["owner"] == "dev-ana"
    assert copy["id"] != source["id"] and copy["client_id"] != source["client_id"]
    assert copy["client_secret"] != source["client_secret"] and len(copy["client_secret"]) == 64
    for field in ("description", "app_url", "sharing", "advanced", "app_type", "callback_urls"):
        assert copy[field] == source[field], field
    assert app_by_name(demo_path, "Customer Portal") == source  # the source is untouched


async def test_duplicate_without_a_name_is_refused_on_the_field(demo_path: Path) -> None:
    """Section 2: the duplicate's name follows the name rule: ctrl+s with none keeps the form and stores nothing."""
    before = raw_apps(demo_path)
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("D", "ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, AppFormScreen)
        assert app.screen.query_one("#error-name").has_class("shown")
    assert raw_apps(demo_path) == before


# -- transfer ----------------------------------------------------------------------------------------


async def test_t_transfers_through_the_picker_after_a_question_naming_both(demo_path: Path) -> None:
    """Section 10: t lists only editors and admins (not the owner, no viewer); the question names both people;
    y changes the owner in the file, and root then may no longer act on it."""
    rec = app_by_name(demo_path, "Customer Portal")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("t")
        assert isinstance(app.screen, UserPickerScreen)
        options = app.screen.query_one(OptionList)
        logins = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert "root" not in logins and "dev-raj" in logins
        assert not any(str(login).startswith("view-") for login in logins)
        await pilot.press("home")
        while options.highlighted is None or options.get_option_at_index(options.highlighted).id != "dev-raj":
            await pilot.press("j")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        text = " ".join(screen_text(app).split())
        assert "Transfer “Customer Portal” from root to dev-raj? Only dev-raj will act on it" in text
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        assert app_by_name(demo_path, "Customer Portal")["owner"] == "dev-raj"
        screen = app.screen
        for action in ("edit_app", "delete_app", "transfer_app", "copy_env", "toggle_enabled"):
            assert not screen.check_action(action, ()), action
    after = app_by_name(demo_path, "Customer Portal")
    assert after["client_secret"] == rec["client_secret"]


async def test_transfer_cancelled_in_the_picker_or_the_question_changes_nothing(demo_path: Path) -> None:
    """Section 2: escape in the picker, or n at the question, leaves the file as it was."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("t", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        await pilot.press("t", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
    assert demo_path.read_bytes() == before


# -- credentials for the code ------------------------------------------------------------------------


async def test_E_copies_the_env_snippet_and_audits_a_reveal(demo_path: Path) -> None:
    """Section 10: E puts the controller's `.env` snippet on the clipboard (OSC 52); the notice never holds the
    secret; the audit records a reveal."""
    rec = app_by_name(demo_path, "Legacy Intranet", "dev-lee")
    expected = Controller(demo_path, "dev-lee").app_env(rec["id"])
    app = make_app(demo_path, "dev-lee")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Legacy Intranet")
        await pilot.press("E")
        await pilot.pause()
        assert app.clipboard == expected
    assert f'APPDECK_CLIENT_SECRET="{rec["client_secret"]}"' in app.clipboard
    assert f'APPDECK_CLIENT_ID="{rec["client_id"]}"' in app.clipboard
    assert rec["client_secret"] not in sent_text(app) and "Copied the .env snippet" in sent_text(app)
    reveals = [e for e in stored(demo_path)["audit"].values()
               if e["action"] == "reveal_secret" and e["object_id"] == rec["id"] and e["actor"] == "dev-lee"]
    assert len(reveals) == 2  # the expected text above, and the key


# -- who may -----------------------------------------------------------------------------------------


async def test_a_non_owner_has_the_owner_keys_dimmed_and_they_do_nothing(demo_path: Path) -> None:
    """Sections 2 and 10: dev-ana on root's app: x, t, E are disabled by check_action (D is not); pressing them
    changes nothing and copies nothing."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        screen = app.screen
        for action in ("toggle_enabled", "transfer_app", "copy_env"):
            assert not screen.check_action(action, ()), action
        assert screen.check_action("duplicate_app", ())
        for key in ("x", "t", "E"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, key
        assert app.clipboard == ""
    assert demo_path.read_bytes() == before


async def test_a_viewer_and_a_readonly_session_have_every_life_key_dimmed(demo_path: Path) -> None:
    """Section 1: a viewer owns nothing and creates nothing; --readonly changes nothing: no duplicate, trash, undo."""
    for user, readonly in (("view-kim", False), ("root", True)):
        before = demo_path.read_bytes()
        app = make_app(demo_path, user, readonly=readonly)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            if isinstance(screen, DevelopersScreen):  # a viewer only has the Applications view
                await move_to(pilot, "Customer Portal")
                for action in ("toggle_enabled", "transfer_app", "copy_env", "duplicate_app", "trash", "undo_delete"):
                    assert not screen.check_action(action, ()), (user, action)
                for key in ("x", "t", "E", "D", "T", "z"):
                    await pilot.press(key)
                    await pilot.pause()
                    assert app.screen is screen, (user, key)
            else:
                await pilot.press("x", "t", "E", "D", "T", "z")
                await pilot.pause()
                assert app.screen is screen
        assert demo_path.read_bytes() == before, user


async def test_new_keys_are_in_the_palette_and_not_in_the_full_footer(demo_path: Path) -> None:
    """Section 9: the new keys stay off the 80-column footer and are offered by the command palette."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=(80, 24)) as pilot:
        await move_to(pilot, "Customer Portal")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Trash", "Disable / enable", "Duplicate", "Transfer", "Copy .env"} <= titles
        assert "Undo delete" not in titles  # nothing to undo
        footer = screen_text(app).splitlines()[-1]
        assert "Trash" not in footer and "Transfer" not in footer


# -- audit values ------------------------------------------------------------------------------------


async def test_audit_shows_old_and_new_values_compactly(demo_path: Path) -> None:
    """Section 10: a rename shows `name: "old" -> "new"`, a rotation `client_secret: rotated`, never the secret;
    an entry without values still shows its fields."""
    ctl = Controller(demo_path, "root")
    rec = app_by_name(demo_path, "Scratch App")
    ctl.update_app(rec["id"], {"name": "Scratch Two"})
    rotated = ctl.rotate_secret(rec["id"])
    app = make_app(demo_path, "root")
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen)
        if app.screen.scoped:  # opened on the highlighted app: a again shows everything
            await pilot.press("a")
            await pilot.pause()
        cells = [c for row in row_list(app).describe(lambda r: "\t".join(r.cells)) for c in row.split("\t")]
        assert 'name: "Scratch App" -> "Scratch Two"' in cells
        assert any("client_secret: rotated" in c for c in cells)
        assert not any(rotated.client_secret in c or rec["client_secret"] in c for c in cells)
