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

    def compose(self) -> ComposeResult:
        yield Static(Text("Settings (admins) · a add · e edit (role for users) · d delete · m group members · escape back"), id="topbar")
        with TabbedContent(id="settings-tabs"):
            with TabPane("Registered apps", id="tab-registered"):
                yield DataTable(id="registered", cursor_type="row")
            with TabPane("Users", id="tab-users"):
                yield DataTable(id="users", cursor_type="row")
            with TabPane("Groups", id="tab-groups"):
                yield DataTable(id="groups", cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#registered", DataTable).add_columns("Name", "Pinned", "Sharing", "URL")
        self.query_one("#users", DataTable).add_columns("Login", "Name", "Role", "Apps owned")
        self.query_one("#groups", DataTable).add_columns("Name", "Members")
        self.reload()

    def reload(self, *, external: bool = False, keep: str | None = None) -> None:
        ctl = self.deck.controller
        try:
            regs, users, groups = ctl.list_registered(), ctl.list_users(), ctl.list_groups()
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        names = {g["id"]: g["name"] for g in groups}
        for table_id, rows in (
            ("registered", [(r.id, _cells(r.name, "★" if r.pinned else "", r.sharing + (": " + ", ".join(names.get(g, g) for g in r.groups) if r.groups else ""), r.url)) for r in regs]),
            ("users", [(u["login"], _cells(u["login"], u.get("display_name", ""), u["role"], u["apps_owned"])) for u in users]),
            ("groups", [(g["id"], _cells(g["name"], ", ".join(g.get("members", [])))) for g in groups]),
        ):
            table = self.query_one(f"#{table_id}", DataTable)
            cursor = table.cursor_row
            table.clear()
            for key, cells in rows:
                table.add_row(*cells, key=key)
            if rows:
                table.move_cursor(row=min(cursor, len(rows) - 1))

    def _tab(self) -> str:
        return (self.query_one(TabbedContent).active or "tab-registered").removeprefix("tab-")

    def _key(self) -> str | None:
        table = self.query_one(f"#{self._tab()}", DataTable)
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
            FieldSpec("sharing", "Sharing", r.sharing if r else "organization", ("organization", "groups", "private")),
            FieldSpec("groups", "Groups (comma-separated names, for sharing with groups)", ", ".join(names.get(g, g) for g in r.groups) if r else ""),
            FieldSpec("pinned", "Pinned (shown first)", bool(r.pinned) if r else False),
        ]

    @staticmethod
    def _reg_data(v: dict[str, Any]) -> dict[str, Any]:
        return {**v, "thumbnail_url": v["thumbnail_url"] or None, "groups": v["groups"] if v["sharing"] == "groups" else []}

    def action_add(self) -> None:
        ctl = self.deck.controller
        tab = self._tab()
        if tab == "registered":
            self._ask("Add registered application", self._reg_fields(), lambda v: ctl.add_registered(self._reg_data(v)))
        elif tab == "users":
            self._ask("Add user", [FieldSpec("login", "Login name"), FieldSpec("display_name", "Display name"),
                                   FieldSpec("role", "Role", "viewer", ("viewer", "editor", "admin"))],
                      lambda v: ctl.add_user(v["login"], v["role"], v["display_name"]))
        else:
            self._ask("Add group", [FieldSpec("name", "Group name")], lambda v: ctl.add_group(v["name"]))

    def action_edit(self) -> None:
        ctl = self.deck.controller
        key = self._key()
        if key is None:
            return
        tab = self._tab()
        if tab == "registered":
            reg = next(r for r in ctl.list_registered() if r.id == key)
            self._ask("Edit registered application", self._reg_fields(reg), lambda v: ctl.update_registered(key, self._reg_data(v)))
        elif tab == "users":
            user = next(u for u in ctl.list_users() if u["login"] == key)
            note = (f"{safe(key)} owns {user['apps_owned']} app(s): demoting to viewer needs an inheritor (an admin or editor)."
                    if user["apps_owned"] else "")
            self._ask(f"Role of {key}", [FieldSpec("role", "Role", user["role"], ("viewer", "editor", "admin")),
                                         FieldSpec("inherit_to", "Inheritor of their apps (if demoting to viewer)")],
                      lambda v: ctl.set_role(key, v["role"], v["inherit_to"].strip() or None), note=note)
        else:
            group = next(g for g in ctl.list_groups() if g["id"] == key)
            self._ask("Rename group", [FieldSpec("name", "Group name", group["name"])], lambda v: ctl.rename_group(key, v["name"]))

    def action_members(self) -> None:
        ctl = self.deck.controller
        key = self._key()
        if self._tab() != "groups" or key is None:
            return
        group = next(g for g in ctl.list_groups() if g["id"] == key)
        current = group.get("members", [])

        def apply(v: dict[str, Any]) -> None:
            wanted = [m.strip() for m in v["members"].split(",") if m.strip()]
            ctl.set_members(key, add=[m for m in wanted if m not in current], remove=[m for m in current if m not in wanted])

        self._ask(f"Members of {group['name']}", [FieldSpec("members", "Members (comma-separated logins)", ", ".join(current))], apply)

    def action_delete(self) -> None:
        ctl = self.deck.controller
        key = self._key()
        if key is None:
            return
        tab = self._tab()
        if tab == "users":
            user = next(u for u in ctl.list_users() if u["login"] == key)
            if user["apps_owned"]:
                self._ask(f"Remove {key}", [FieldSpec("inherit_to", "Inheritor of their apps (an admin or editor)")],
                          lambda v: ctl.remove_user(key, v["inherit_to"].strip() or None),
                          note=f"{safe(key)} owns {user['apps_owned']} app(s); they go to the inheritor.")
                return
            question, act = f"Remove the user {key}?", (lambda: ctl.remove_user(key))
        elif tab == "groups":
            question, act = ("Delete this group? Apps shared only with it become private.", lambda: ctl.remove_group(key))
        else:
            question, act = ("Delete this registered application?", lambda: ctl.remove_registered(key))

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
