"""Spec sections 2, 3, 5, 6. Pilot flows of the TUI, driven by keys only; every test asserts on the store file, not only the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select, SelectionList, Static, Switch

from store.controller import Controller
from store.vocabulary import RWA_WARNING
from tui.screens.app_form import AppFormScreen
from tui.screens.applications import ApplicationsScreen
from tui.screens.confirm import ConfirmScreen, DeleteScreen
from tui.screens.developers import DevelopersScreen
from tui.screens.fields import FieldsScreen
from tui.screens.settings import SettingsScreen
from tui.screens.sharing import SharingScreen
from tui.screens.url_check import UrlCheckScreen
from tui_helpers import (
    SIZE,
    app_by_name,
    demo_path,  # noqa: F401  (fixture)
    details_text,
    fresh,
    key_of,
    make_app,
    move_to,
    raw_apps,
    row_list,
    screen_text,
    sent_text,
    tui_config,  # noqa: F401  (autouse fixture)
)


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type text key by key, as a user would."""
    await pilot.press(*text)


# -- create ----------------------------------------------------------------------------------------


async def test_create_simple_app(demo_path: Path) -> None:
    """n, name, tab tab, app URL, ctrl+s: the app is stored, owned by the acting user, and highlighted."""
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, AppFormScreen)
        await type_text(pilot, "My App")
        await pilot.press("tab", "tab")
        assert app.focused is not None and app.focused.id == "app_url"
        await type_text(pilot, "https://my.io")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        rec = app_by_name(demo_path, "My App")
        assert rec["owner"] == "dev-ana"
        assert rec["app_url"] == "https://my.io"
        assert rec["sharing"] == "organization" and rec["advanced"] is False
        assert row_list(app).highlighted_key == rec["id"]
        assert "Saved" in sent_text(app)


async def test_create_advanced_rwa_app_warns_and_keeps_callbacks(demo_path: Path) -> None:
    """Advanced switch on, type Regular Web Application (sunset warning shown), callbacks comma-separated."""
    app = make_app(demo_path, "dev-raj")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await type_text(pilot, "Old")
        await pilot.press("tab", "tab")
        await type_text(pilot, "https://o.io")
        await pilot.press("tab", "tab", "tab")  # thumbnail, sharing, advanced switch
        assert isinstance(app.focused, Switch)
        await pilot.press("space")
        assert app.screen.query_one("#advanced", Switch).value is True
        await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "app_type"
        await pilot.press("enter", "down", "down", "enter")  # spa -> m2m -> rwa
        await pilot.pause()
        assert app.screen.query_one("#app_type", Select).value == "rwa"
        assert not app.screen.query_one("#rwa-warning", Static).has_class("hidden")
        assert "sunset" in screen_text(app)
        await pilot.press("tab", "tab", "tab")  # token auth, login URL, callbacks
        assert app.focused is not None and app.focused.id == "callback_urls"
        await type_text(pilot, "x.y://c, https://o.io,x.y://c")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        rec = app_by_name(demo_path, "Old")
        assert rec["advanced"] is True and rec["app_type"] == "rwa" and rec["owner"] == "dev-raj"
        assert rec["token_auth"] == "client_secret_post"
        assert rec["callback_urls"] == ["x.y://c", "https://o.io"]  # trimmed, duplicate dropped, order kept
        warnings = [n for n in app.sent if n["severity"] == "warning"]  # type: ignore[attr-defined]
        assert [n["message"] for n in warnings] == [f"Saved “Old”. {RWA_WARNING}"]  # the status line, not a toast


async def test_validation_error_is_shown_on_the_field_and_nothing_is_saved(demo_path: Path) -> None:
    """An app URL without a scheme: ctrl+s keeps the form open, the error sits under the field, the store is unchanged."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await type_text(pilot, "Broken")
        await pilot.press("tab", "tab")
        await type_text(pilot, "broken.io")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, AppFormScreen)
        error = app.screen.query_one("#error-app_url", Static)
        assert error.has_class("shown")
        assert "https://broken.io" in str(error.content)  # the suggestion
        assert app.screen.query_one("#app_url", Input).has_class("-invalid")
        assert not app.screen.query_one("#banner", Static).has_class("hidden")
        assert not app.screen.query_one("#error-name", Static).has_class("shown")
    assert demo_path.read_bytes() == before


async def test_escape_on_a_dirty_form_asks_before_discarding(demo_path: Path) -> None:
    """Escape with unsaved input asks first; n keeps the form, y discards; nothing is stored."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await type_text(pilot, "Half")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, AppFormScreen)
        assert app.screen.query_one("#name", Input).value == "Half"
        await pilot.press("escape", "y")
        assert isinstance(app.screen, DevelopersScreen)
    assert demo_path.read_bytes() == before


# -- edit and conflict -----------------------------------------------------------------------------


async def test_edit_changes_the_store(demo_path: Path) -> None:
    """e on an owned app opens the form with its values; a new description is saved and the version grows."""
    old = app_by_name(demo_path, "Customer Portal")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("e")
        assert isinstance(app.screen, AppFormScreen)
        assert app.screen.query_one("#name", Input).value == "Customer Portal"
        await pilot.press("tab", "ctrl+u")  # description, cleared
        await type_text(pilot, "Edited")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        assert row_list(app).highlighted_key == old["id"]
        assert "Edited" in details_text(app)
    new = app_by_name(demo_path, "Customer Portal")
    assert new["description"] == "Edited"
    assert new["version"] == old["version"] + 1
    assert new["client_id"] == old["client_id"] and new["client_secret"] == old["client_secret"]


async def test_conflict_keeps_the_form_and_the_input_and_names_who_changed_it(demo_path: Path) -> None:
    """Another session saves while the form is open: ctrl+s is refused, the input stays, the message names them."""
    old = app_by_name(demo_path, "Docs Site")  # owned by dev-ana
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Docs Site")
        await pilot.press("e")
        assert isinstance(app.screen, AppFormScreen)
        await pilot.press("end")
        await type_text(pilot, " v2")
        Controller(demo_path, "dev-ana").update_app(old["id"], {"description": "changed elsewhere"})
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, AppFormScreen)
        assert app.screen.query_one("#name", Input).value == "Docs Site v2"
        banner = str(app.screen.query_one("#banner", Static).content)
        assert "Conflict" in banner and "changed since you opened it" in banner and "dev-ana" in banner
        assert "version 2" in banner
        assert any(n["severity"] == "error" and "dev-ana" in n["message"] for n in app.sent)  # type: ignore[attr-defined]
    rec = app_by_name(demo_path, "Docs Site")
    assert rec["description"] == "changed elsewhere" and rec["version"] == old["version"] + 1


# -- sharing ---------------------------------------------------------------------------------------


async def test_share_with_a_group(demo_path: Path) -> None:
    """s, Specific groups, select the first group, ctrl+s: the store says sharing=groups with that group's id."""
    groups = {g["name"]: g["id"] for g in fresh(demo_path).list_groups()}
    first_group = fresh(demo_path).list_groups()[0]
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("s")
        assert isinstance(app.screen, SharingScreen)
        assert "not who can log in" in screen_text(app)
        await pilot.press("down", "enter")  # the highlight starts on the current mode, Entire organization
        assert app.screen.mode() == "groups"  # type: ignore[attr-defined]
        await pilot.press("tab")
        assert isinstance(app.focused, SelectionList) and not app.focused.disabled
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
    rec = app_by_name(demo_path, "Customer Portal")
    assert rec["sharing"] == "groups"
    assert rec["groups"] == [first_group["id"]]
    assert first_group["id"] in groups.values()


async def test_share_with_groups_and_none_selected_is_refused(demo_path: Path) -> None:
    """Specific groups with no group selected: the panel stays open with an error and the store is unchanged."""
    before = app_by_name(demo_path, "Customer Portal")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("s", "enter", "ctrl+s")  # enter on the highlighted current mode changes nothing
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        assert app_by_name(demo_path, "Customer Portal")["sharing"] == "organization"
        await pilot.press("s", "down", "enter", "ctrl+s")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, SharingScreen)
        assert app.screen.query_one("#error-groups", Static).has_class("shown")  # issue 11: errors per field
    assert app_by_name(demo_path, "Customer Portal") == before


# -- credentials -----------------------------------------------------------------------------------


async def test_copy_client_id_and_secret(demo_path: Path) -> None:
    """c copies the client ID, C the secret (OSC 52); notifications name what was copied, never the value."""
    rec = app_by_name(demo_path, "Customer Portal")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("c")
        assert app.clipboard == rec["client_id"]
        assert "client ID" in app.sent[-1]["message"]  # type: ignore[attr-defined]
        assert rec["client_id"] not in sent_text(app)
        await pilot.press("C")
        assert app.clipboard == rec["client_secret"]
        assert "client secret" in app.sent[-1]["message"]  # type: ignore[attr-defined]
        assert rec["client_secret"] not in sent_text(app)
        assert rec["client_secret"] not in screen_text(app)  # still masked in the details pane
        await pilot.press("y")
        assert app.clipboard == rec["client_id"]
        await pilot.press("Y")
        assert app.clipboard == rec["client_secret"]
        assert rec["client_secret"] not in sent_text(app)


async def test_reveal_and_hide_the_secret(demo_path: Path) -> None:
    """r shows the secret in the details pane, r again masks it; moving away masks it too."""
    rec = app_by_name(demo_path, "Customer Portal")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        assert rec["client_secret"] not in details_text(app)
        assert "••••" in details_text(app)
        await pilot.press("r")
        assert rec["client_secret"] in details_text(app)
        await pilot.press("r")
        assert rec["client_secret"] not in details_text(app)
        await pilot.press("r", "j", "k")
        assert rec["client_secret"] not in details_text(app)
        assert rec["client_secret"] not in sent_text(app)


async def test_a_reveal_is_audited_once_and_follows_a_rotation(demo_path: Path) -> None:
    """One r is one audited reveal, however often the list refreshes; after R the pane shows the new secret."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("r")
        for i in range(2):
            Controller(demo_path, "dev-ana").create_app({"name": f"z{i}", "app_url": "https://z.io"})
            app.poll_store()
            await pilot.pause()
        reveals = [e for e in fresh(demo_path).audit() if e.action == "reveal_secret"]
        assert len(reveals) == 1
        await pilot.press("R", "y")
        await pilot.pause()
        new = app_by_name(demo_path, "Customer Portal")["client_secret"]
        assert new in details_text(app)


async def test_rotate_secret_after_confirmation(demo_path: Path) -> None:
    """R asks (the old secret stops working at once); n keeps it, y replaces it in the store."""
    old = app_by_name(demo_path, "Customer Portal")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("R")
        assert isinstance(app.screen, ConfirmScreen)
        assert "stops working at once" in screen_text(app)
        await pilot.press("n")
        assert app_by_name(demo_path, "Customer Portal")["client_secret"] == old["client_secret"]
        await pilot.press("R", "y")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        new = app_by_name(demo_path, "Customer Portal")
        assert new["client_secret"] != old["client_secret"] and len(new["client_secret"]) == 64
        assert new["client_id"] == old["client_id"]
        assert old["client_secret"] not in sent_text(app) and new["client_secret"] not in sent_text(app)


# -- delete ----------------------------------------------------------------------------------------


async def test_delete_needs_the_exact_name(demo_path: Path) -> None:
    """d explains what stops working; a wrong name does nothing; the exact name and enter delete the app."""
    rec = app_by_name(demo_path, "Scratch App")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Scratch App")
        await pilot.press("d")
        assert isinstance(app.screen, DeleteScreen)
        text = screen_text(app)
        assert "can no longer authenticate" in text and "new client" in text
        await type_text(pilot, "scratch")
        await pilot.press("enter")
        assert isinstance(app.screen, DeleteScreen)
        assert rec["id"] in raw_apps_ids(demo_path)
        await pilot.press("ctrl+u")
        await type_text(pilot, "Scratch App")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        assert rec["id"] not in row_list(app).visible_keys()
    assert rec["id"] not in raw_apps_ids(demo_path)


async def test_delete_cancelled_with_escape_keeps_the_app(demo_path: Path) -> None:
    """d then escape: nothing is deleted."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Scratch App")
        await pilot.press("d", "escape")
        assert isinstance(app.screen, DevelopersScreen)
    assert demo_path.read_bytes() == before


def raw_apps_ids(path: Path) -> set[str]:
    """Ids of every stored app."""
    return {r["id"] for r in raw_apps(path).values()}


# -- filter and sort -------------------------------------------------------------------------------


async def test_filter_narrows_the_list_and_escape_clears_it(demo_path: Path) -> None:
    """/ then text keeps only the matching apps (name, URL, owner, client ID); escape shows them all again."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        everything = row_list(app).visible_keys()
        assert len(everything) == 9
        await pilot.press("slash")
        await type_text(pilot, "portal")
        assert row_list(app).visible_keys() == [key_of(app, "Customer Portal")]
        await pilot.press("ctrl+u")
        await type_text(pilot, "dev-lee")  # owner
        assert set(row_list(app).visible_keys()) == {key_of(app, n) for n in ("Legacy Intranet", "Support Console", "Wiki")}
        await pilot.press("ctrl+u")
        await type_text(pilot, app_by_name(demo_path, "Wiki")["client_id"][:10].lower())
        assert row_list(app).visible_keys() == [key_of(app, "Wiki")]
        await pilot.press("escape")
        assert row_list(app).visible_keys() == everything
        assert app.screen.query_one("#filter", Input).value == ""
        assert app.focused is row_list(app)


async def test_sort_key_reorders_and_keeps_the_cursor(demo_path: Path) -> None:
    """o sorts by the next column; the highlighted app stays highlighted."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Wiki")
        wiki = row_list(app).highlighted_key
        await pilot.press("o")  # the list comes sorted by name: the first o sorts by type
        assert row_list(app).highlighted_key == wiki
        types = [row_list(app).rows_by_key()[k].cells[1] for k in row_list(app).visible_keys()]
        assert types == sorted(types)


# -- URL checker -----------------------------------------------------------------------------------


async def test_url_check_allowed_and_refused(demo_path: Path) -> None:
    """u, type a URL: ALLOWED by a wildcard callback (naming the entry), REFUSED with what differs for another path."""
    Controller(demo_path, "root").create_app(
        {"name": "Aa", "app_url": "https://ab.io", "advanced": True, "callback_urls": "https://*.ab.io/c"}
    )
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Aa")
        await pilot.press("u")
        assert isinstance(app.screen, UrlCheckScreen)
        await type_text(pilot, "https://q.ab.io/c")
        verdict = str(app.screen.query_one("#verdict", Static).content)
        assert verdict.startswith("ALLOWED") and "https://*.ab.io/c" in verdict, verdict
        await pilot.press("backspace", "d")
        verdict = str(app.screen.query_one("#verdict", Static).content)
        assert verdict.startswith("REFUSED") and "path" in verdict, verdict
        await pilot.press("escape")
        assert isinstance(app.screen, DevelopersScreen)


# -- settings --------------------------------------------------------------------------------------


async def test_settings_as_admin_adds_a_group(demo_path: Path) -> None:
    """S opens Settings; on the Groups tab, a asks for a name and the group is stored."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("3")  # issue 11: 1 2 3 pick the tab (the table has the focus, for j/k)
        await pilot.pause()
        assert app.screen._tab() == "groups"  # type: ignore[attr-defined]
        await pilot.press("a")
        assert isinstance(app.screen, FieldsScreen)
        await type_text(pilot, "security")
        await pilot.press("enter")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert "security" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, DevelopersScreen)
    assert "security" in {g["name"] for g in fresh(demo_path).list_groups()}


async def test_settings_refusal_keeps_the_dialog_open_with_the_input(demo_path: Path) -> None:
    """Adding a registered app without a URL: the controller's message shows in the dialog, which stays open."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S", "a")
        assert isinstance(app.screen, FieldsScreen)
        await type_text(pilot, "Jira")
        await pilot.press("enter")
        await app.workers.wait_for_complete()  # the save runs in a thread worker
        await pilot.pause()
        assert isinstance(app.screen, FieldsScreen)
        assert app.screen.query_one("#f-name", Input).value == "Jira"
        error = app.screen.query_one("#error-url", Static)  # issue 11: each error under its field
        assert error.has_class("shown") and "URL" in str(error.content)
        await pilot.press("escape")  # issue 11: typed input is not dropped without a question
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
    assert demo_path.read_bytes() == before


async def test_settings_key_is_disabled_for_editors(demo_path: Path) -> None:
    """An editor's S does nothing."""
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("S")
        assert isinstance(app.screen, DevelopersScreen)


# -- roles -----------------------------------------------------------------------------------------


async def test_viewer_sees_only_the_applications_view(demo_path: Path) -> None:
    """view-kim opens on Applications; tab stays there, n and Developers keys do nothing; the store is unchanged."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "view-kim")
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ApplicationsScreen)
        names = {r.cells[0] for r in row_list(app).rows_by_key().values()}
        assert "Billing Worker" in names  # shared with payments, kim's group
        assert "Mobile Companion" not in names  # mobile only
        assert "Scratch App" not in names  # private
        assert "Developers" not in screen_text(app).splitlines()[0]
        for key in ("tab", "n", "e", "d", "R", "S", "C"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ApplicationsScreen), key
        assert len(app.screen_stack) == 2  # the default screen and Applications: nothing pushed
    assert demo_path.read_bytes() == before


async def test_applications_view_copies_the_url_and_pins_first(demo_path: Path) -> None:
    """Enter copies the highlighted URL; the pinned registered app comes first."""
    app = make_app(demo_path, "view-kim")
    async with app.run_test(size=SIZE) as pilot:
        first = row_list(app).rows_by_key()[row_list(app).visible_keys()[0]]
        assert first.cells[0] == "★ Status Page"
        await pilot.press("enter")
        assert app.clipboard == "https://status.acme.example"


async def test_editor_cannot_edit_or_delete_someone_elses_app(demo_path: Path) -> None:
    """dev-ana on root's Customer Portal: e, s, d, r, R, C are disabled (check_action) and the store is unchanged."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "dev-ana")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        screen = app.screen
        for action in ("edit_app", "share_app", "delete_app", "reveal_secret", "rotate_secret", "copy_secret"):
            assert not screen.check_action(action, ()), action
        assert screen.check_action("copy_client_id", ())
        for key in ("e", "s", "d", "r", "R", "C"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, key
        assert "owner only" in details_text(app)
        assert app.clipboard == ""
    assert demo_path.read_bytes() == before


async def test_readonly_disables_every_change(demo_path: Path) -> None:
    """--readonly: n, e, d do nothing, even on the user's own app."""
    before = demo_path.read_bytes()
    app = make_app(demo_path, "root", readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        assert "READ-ONLY" in screen_text(app)
        for key in ("n", "e", "d", "s", "R"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, DevelopersScreen), key
    assert demo_path.read_bytes() == before


# -- live refresh ----------------------------------------------------------------------------------


async def test_live_refresh_shows_another_process_app_and_keeps_the_cursor(demo_path: Path) -> None:
    """Another Controller creates an app that sorts first: within ~2 s it appears, the cursor stays on the same app."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Docs Site")
        docs = row_list(app).highlighted_key
        saved = Controller(demo_path, "dev-lee").create_app({"name": "Aardvark", "app_url": "https://aardvark.example.com"})
        await pilot.pause(1.5)
        keys = row_list(app).visible_keys()
        assert saved.app.id in keys and keys[0] == saved.app.id
        assert row_list(app).highlighted_key == docs
        assert "Docs Site" in details_text(app)
        assert "“Aardvark” was added by dev-lee." in sent_text(app)  # the status line names the app


async def test_live_refresh_when_the_highlighted_app_is_deleted_elsewhere(demo_path: Path) -> None:
    """The highlighted app disappears from the list (poll_store) and the details pane follows the new cursor."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Scratch App")
        gone = row_list(app).highlighted_key
        assert gone is not None
        Controller(demo_path, "root").delete_app(gone)
        app.poll_store()
        await pilot.pause()
        assert gone not in row_list(app).visible_keys()
        current = row_list(app).highlighted_key
        assert current is not None and app.screen.current.id == current and app.screen.current.name in details_text(app)  # type: ignore[attr-defined]
        assert "“Scratch App” is gone from the list" in sent_text(app)


async def test_moving_between_apps_never_lays_out_the_screen(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression guard (a count): the details of a machine-to-machine app are shorter than a web app's, yet moving
    the cursor over every app re-wraps only the details pane; the screen is never laid out again, and the pane
    still scrolls over the whole text."""
    from textual.screen import Screen

    from tui.widgets.details_pane import DetailsPane

    layouts: list[int] = []
    real = Screen._refresh_layout

    def counting(self: Screen[object], *args: object, **kwargs: object) -> None:
        layouts.append(1)
        real(self, *args, **kwargs)

    app = make_app(demo_path, "root")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(DetailsPane)
        heights = set()
        monkeypatch.setattr(Screen, "_refresh_layout", counting)
        for _ in range(row_list(app).row_count - 1):
            await pilot.press("j")
            await pilot.pause()
            heights.add(pane.virtual_size.height)
            assert row_list(app).highlighted_tag.name in details_text(app)
        assert layouts == [] and len(heights) > 1
        monkeypatch.setattr(Screen, "_refresh_layout", real)
        await pilot.press("enter", "end")
        await pilot.pause()
        assert app.focused is pane and pane.scroll_y == pane.max_scroll_y > 0
