"""Settings for admins: registered applications, users and roles (with an inheritor on demotion), and groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from store.errors import AppdeckError
from store.text import safe
from store.vocabulary import DEFAULT_ROLE, DEFAULT_SHARING, GROUPS_SHARING, ROLES, SHARING, SettingsTab
from tui.screens.common import DeckMixin, notify_error
from tui.screens.confirm import ConfirmScreen
from tui.screens.fields import FieldSpec, FieldsScreen
from tui.widgets.key_footer import KeyFooter


def _cells(*values: object) -> list[Text]:
    return [Text(safe(v)) for v in values]


class SettingsScreen(DeckMixin, Screen[None]):
    """Three tabs; a adds, e edits, d deletes, and per tab: r role (users), m members (groups)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add", id="settings.add"),
        Binding("e", "edit", "Edit", id="settings.edit"),
        Binding("d", "delete", "Delete", id="settings.delete"),
        Binding("m", "members", "Members", id="settings.members"),
        Binding("escape,q", "close", "Back", id="settings.close"),
    ]

    TAB_TITLES: ClassVar[dict[SettingsTab, str]] = {"registered": "Registered apps", "users": "Users", "groups": "Groups"}
    COLUMNS: ClassVar[dict[SettingsTab, tuple[str, ...]]] = {
        "registered": ("Name", "Pinned", "Sharing", "URL"), "users": ("Login", "Name", "Role", "Apps owned"),
        "groups": ("Name", "Members"),
    }

    def compose(self) -> ComposeResult:
        yield Static(Text("Settings (admins) · a add · e edit (role for users) · d delete · m group members · escape back"), id="topbar")
        with TabbedContent(id="settings-tabs"):
            for tab in self.deck.controller.settings_tabs():  # the policy's tabs for this user
                with TabPane(self.TAB_TITLES[tab], id=f"tab-{tab}"):
                    yield DataTable(id=tab, cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.add_columns(*self.COLUMNS[table.id])  # type: ignore[index]
        self.reload()

    def reload(self, *, external: bool = False, keep: str | None = None) -> None:
        ctl = self.deck.controller
        try:
            tabs = ctl.settings_tabs()
            regs = ctl.list_registered() if "registered" in tabs else []
            users = ctl.list_users() if "users" in tabs else []
            groups = ctl.list_groups() if "groups" in tabs else []
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        names = {g["id"]: g["name"] for g in groups}
        rows: dict[str, list[tuple[str, list[Text]]]] = {
            "registered": [(r.id, _cells(r.name, "★" if r.pinned else "", r.sharing + (": " + ", ".join(names.get(g, g) for g in r.groups) if r.groups else ""), r.url)) for r in regs],
            "users": [(u["login"], _cells(u["login"], u["display_name"], u["role"], u["apps_owned"])) for u in users],
            "groups": [(g["id"], _cells(g["name"], ", ".join(g["members"]))) for g in groups],
        }
        for table in self.query(DataTable):
            cursor = table.cursor_row
            table.clear()
            tab_rows = rows.get(str(table.id), [])
            for key, cells in tab_rows:
                table.add_row(*cells, key=key)
            if tab_rows:
                table.move_cursor(row=min(cursor, len(tab_rows) - 1))

    def _tab(self) -> str:
        return (self.query_one(TabbedContent).active or "").removeprefix("tab-")

    def _key(self) -> str | None:
        tables = self.query(f"#{self._tab()}") if self._tab() else None
        if not tables:
            return None
        table = tables.first(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _ask(self, title: str, fields: list[FieldSpec], apply: Callable[[dict[str, Any]], object], *, note: str = "") -> None:
        """Open a small form; on save run `apply` through the controller and report the outcome."""

        def done(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            self.reload()
            self.notify(f"{safe(title)}: done.", markup=False, timeout=3)

        # The dialog runs `apply` itself so a refusal shows in it and the user's input is kept.
        self.app.push_screen(FieldsScreen(title, fields, note=note, apply=apply), done)

    def _reg_fields(self, r: Any = None) -> list[FieldSpec]:
        groups = self.deck.controller.list_groups()
        names = {g["id"]: g["name"] for g in groups}
        return [
            FieldSpec("name", "Name", r.name if r else ""),
            FieldSpec("description", "Description", r.description if r else ""),
            FieldSpec("url", "URL", r.url if r else ""),
            FieldSpec("thumbnail_url", "Thumbnail URL", (r.thumbnail_url or "") if r else ""),
            FieldSpec("sharing", "Sharing", r.sharing if r else DEFAULT_SHARING, SHARING),
            FieldSpec("groups", "Groups (comma-separated names, for sharing with groups)", ", ".join(names.get(g, g) for g in r.groups) if r else ""),
            FieldSpec("pinned", "Pinned (shown first)", bool(r.pinned) if r else False),
        ]

    @staticmethod
    def _reg_data(v: dict[str, Any]) -> dict[str, Any]:
        return {**v, "thumbnail_url": v["thumbnail_url"] or None, "groups": v["groups"] if v["sharing"] == GROUPS_SHARING else []}

    def action_add(self) -> None:
        ctl = self.deck.controller
        tab = self._tab()
        if tab == "registered":
            self._ask("Add registered application", self._reg_fields(), lambda v: ctl.add_registered(self._reg_data(v)))
        elif tab == "users":
            self._ask("Add user", [FieldSpec("login", "Login name"), FieldSpec("display_name", "Display name"),
                                   FieldSpec("role", "Role", DEFAULT_ROLE, ROLES)],
                      lambda v: ctl.add_user(v["login"], v["role"], v["display_name"]))
        else:
            self._ask("Add group", [FieldSpec("name", "Group name")], lambda v: ctl.add_group(v["name"]))

    def _target(self, tab: str, key: str) -> Any:
        """The highlighted row's object as the controller has it now (None, with a notice, if it is gone)."""
        ctl = self.deck.controller
        try:
            if tab == "registered":
                return ctl.get_registered(key)
            if tab == "users":
                return ctl.get_user(key)
            return ctl.get_group(key)
        except AppdeckError as exc:  # removed by another admin since the list was drawn
            notify_error(self.deck, exc)
            self.reload()
            return None

    def _inheritor_note(self, login: str) -> str:
        owned = self.deck.controller.inheritor_needed(login, None)
        if not owned:
            return ""
        return f"{login} owns {owned} app(s): a role that owns nothing, or removal, needs an inheritor (an admin or editor)."

    def action_edit(self) -> None:
        ctl = self.deck.controller
        key = self._key()
        tab = self._tab()
        target = self._target(tab, key) if key is not None else None
        if key is None or target is None:
            return
        if tab == "registered":
            self._ask("Edit registered application", self._reg_fields(target), lambda v: ctl.update_registered(key, self._reg_data(v)))
        elif tab == "users":
            self._ask(f"Role of {key}", [FieldSpec("role", "Role", target["role"], ROLES),
                                         FieldSpec("inherit_to", "Inheritor of their apps (if their new role owns nothing)")],
                      lambda v: ctl.set_role(key, v["role"], v["inherit_to"].strip() or None), note=self._inheritor_note(key))
        else:
            self._ask("Rename group", [FieldSpec("name", "Group name", target["name"])], lambda v: ctl.rename_group(key, v["name"]))

    def action_members(self) -> None:
        ctl = self.deck.controller
        key = self._key()
        group = self._target("groups", key) if self._tab() == "groups" and key is not None else None
        if key is None or group is None:
            return
        self._ask(f"Members of {group['name']}", [FieldSpec("members", "Members (comma-separated logins)", ", ".join(group["members"]))],
                  lambda v: ctl.set_group_members(key, v["members"].split(",")))

    def action_delete(self) -> None:
        ctl = self.deck.controller
        key = self._key()
        tab = self._tab()
        target = self._target(tab, key) if key is not None else None
        if key is None or target is None:
            return
        act: Callable[[], object]
        if tab == "users":
            note = self._inheritor_note(key)
            if note:
                self._ask(f"Remove {key}", [FieldSpec("inherit_to", "Inheritor of their apps (an admin or editor)")],
                          lambda v: ctl.remove_user(key, v["inherit_to"].strip() or None), note=note)
                return
            question, act = f"Remove the user {key}?", (lambda: ctl.remove_user(key))
        elif tab == "groups":
            question, act = (f"Delete the group {target['name']}? Apps shared only with it become private.",
                             lambda: ctl.remove_group(key))
        else:
            question, act = (f"Delete the registered application {target.name}?", lambda: ctl.remove_registered(key))

        def done(ok: bool | None) -> None:
            if ok:
                try:
                    act()
                except AppdeckError as exc:
                    notify_error(self.deck, exc)
                    return
                self.reload()

        self.app.push_screen(ConfirmScreen("Delete", question, confirm_label="Delete"), done)

    def action_close(self) -> None:
        self.dismiss(None)
