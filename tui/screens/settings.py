"""Settings for admins: registered applications, users and roles (with an inheritor on demotion), and groups.

Keys: 1 2 3 pick a tab (only the tabs the policy gives), j/k g/G move in its table, n new (a too), e edit (the role,
for a user), d delete or remove, m a group's members. Members, groups and the inheritor are picked from lists, never
typed. A question names what changes and how many apps it touches (the controller counts them). Every change runs
off the UI thread (`run_change`), and every screen under Settings reads the store again after it (`after_change`),
so the list shows a deleted group or a transfer as soon as Settings closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from store import policy
from store.errors import AppdeckError
from store.records import GroupView, UserView
from store.text import safe
from store.vocabulary import DEFAULT_ROLE, ROLE_LABELS, ROLES, SHARING_LABELS, SettingsTab
from tui.jobs import ChangeRunner
from tui.screens.common import DeckMixin, notify_error
from tui.screens.confirm import ConfirmScreen
from tui.screens.fields import FieldSpec, FieldsScreen
from tui.screens.registered_form import RegisteredFormScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.pickers import user_choices
from tui.widgets.status_line import StatusLine


def _cells(*values: object) -> list[Text]:
    return [Text(safe(v)) for v in values]


def _apps(n: int) -> str:
    return f"{n} app{'' if n == 1 else 's'}"


class RoleScreen(FieldsScreen):
    """A member's role: a Select of the roles; the inheritor picker shows only when the controller says the new
    role needs one (they own apps and the role owns none), with how many apps go to them."""

    def __init__(self, user: UserView, candidates: list[UserView], inheritor_needed: Callable[[str], int],
                 save: Callable[[str, str | None], object]) -> None:
        self.member = user
        self.needed = inheritor_needed
        super().__init__(
            f"Role of {user['login']}",
            [FieldSpec("role", "Role", user["role"], ROLES, labels=ROLE_LABELS),
             FieldSpec("inherit_to", "Inheritor of their apps (space picks one)", picks=tuple(user_choices(candidates)),
                       single=True)],
            apply=lambda v: save(v["role"], v["inherit_to"] if self.needed(v["role"]) else None),
        )

    def sync(self) -> None:
        role = str(self.value_of("role"))
        owned = self.needed(role)
        self.show_field("inherit_to", owned > 0)
        note = self.query_one("#fields-note", Static)
        if owned:
            note.update(Content(f"{safe(self.member['login'])} owns {_apps(owned)}; as {ROLE_LABELS.get(role, role)} "  # type: ignore[call-overload]
                                "they would own none: pick who gets them."))
        note.set_class(not owned, "hidden")


class RemoveUserScreen(FieldsScreen):
    """Remove a member who owns apps: the question names them and how many apps go to the inheritor picked here."""

    def __init__(self, login: str, owned: int, candidates: list[UserView], save: Callable[[str | None], object]) -> None:
        super().__init__(
            f"Remove {login}",
            [FieldSpec("inherit_to", "Inheritor of their apps (space picks one)", picks=tuple(user_choices(candidates)),
                       single=True)],
            note=policy.describe_user_removal(login, owned),
            apply=lambda v: save(v["inherit_to"]),
            what="Removing",
        )


class SettingsScreen(DeckMixin, ChangeRunner, Screen[None]):
    """Three tabs (the policy's); n new, e edit (the role for users), d delete or remove, m group members."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "New", tooltip="A new registered app, user or group (this tab's)", id="settings.add"),
        Binding("a", "add", "New", show=False, tooltip="The same as n", id="settings.add_alias"),
        Binding("e", "edit", "Edit", tooltip="Edit the highlighted row (a user: their role)", id="settings.edit"),
        Binding("d", "delete", "Delete", tooltip="Delete the highlighted row (a user: remove them)", id="settings.delete"),
        Binding("m", "members", "Members", tooltip="Pick the highlighted group's members", id="settings.members"),
        Binding("1", "tab('registered')", "Registered apps", show=False, tooltip="The registered apps tab",
                id="settings.tab1"),
        Binding("2", "tab('users')", "Users", show=False, tooltip="The users tab", id="settings.tab2"),
        Binding("3", "tab('groups')", "Groups", show=False, tooltip="The groups tab", id="settings.tab3"),
        Binding("j", "cursor('down')", "Down", show=False, tooltip="Next row", id="settings.down"),
        Binding("k", "cursor('up')", "Up", show=False, tooltip="Previous row", id="settings.up"),
        Binding("g", "cursor('top')", "First", show=False, tooltip="First row", id="settings.top"),
        Binding("G", "cursor('bottom')", "Last", show=False, tooltip="Last row", id="settings.bottom"),
        Binding("escape", "close", "Back", tooltip="Back to the list", id="settings.close"),
    ]

    TAB_TITLES: ClassVar[dict[SettingsTab, str]] = {"registered": "1 Registered apps", "users": "2 Users", "groups": "3 Groups"}
    TAB_HINTS: ClassVar[dict[SettingsTab, str]] = {
        "registered": "n new · e edit · d delete",
        "users": "n new · e role · d remove",
        "groups": "n new · e rename · m members · d delete",
    }
    COLUMNS: ClassVar[dict[SettingsTab, tuple[str, ...]]] = {
        "registered": ("Name", "Pinned", "Sharing", "URL"), "users": ("Login", "Name", "Role", "Apps owned"),
        "groups": ("Name", "Members"),
    }

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        with TabbedContent(id="settings-tabs"):
            for tab in self.deck.controller.settings_tabs():  # the policy's tabs for this user
                with TabPane(self.TAB_TITLES[tab], id=f"tab-{tab}"):
                    yield DataTable(id=tab, cursor_type="row")
        yield StatusLine(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        if not self.query("#settings-tabs"):
            return  # not composed (the app closed first)
        for table in self.query(DataTable):
            table.add_columns(*self.COLUMNS[table.id])  # type: ignore[index]
        self.reload()
        self._focus_table()

    # -- the tables ----------------------------------------------------------------------------------

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

        def sharing(r: Any) -> str:
            label = str(SHARING_LABELS.get(r.sharing, r.sharing))
            return label + (": " + ", ".join(names.get(g, g) for g in r.groups) if r.groups else "")

        rows: dict[str, list[tuple[str, list[Text]]]] = {
            "registered": [(r.id, _cells(r.name, "★" if r.pinned else "", sharing(r), r.url)) for r in regs],
            "users": [(u["login"], _cells(u["login"], u["display_name"], ROLE_LABELS.get(u["role"], u["role"]), u["apps_owned"]))
                      for u in users],
            "groups": [(g["id"], _cells(g["name"], ", ".join(g["members"]))) for g in groups],
        }
        for table in self.query(DataTable):
            cursor = table.cursor_row
            was = self._row_key(table)
            table.clear()
            tab_rows = rows.get(str(table.id), [])
            for key, cells in tab_rows:
                table.add_row(*cells, key=key)
            if tab_rows:
                keys = [k for k, _ in tab_rows]
                at = keys.index(keep) if keep in keys else keys.index(was) if was in keys else min(cursor, len(tab_rows) - 1)
                table.move_cursor(row=at)
        self._hint()

    @staticmethod
    def _row_key(table: DataTable[Any]) -> str | None:
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _hint(self) -> None:
        tab = self._tab()
        hint = self.TAB_HINTS.get(tab, "") if tab else ""  # type: ignore[call-overload]
        self.query_one("#topbar", Static).update(Content.assemble(
            ("Settings", "bold"), "  1 2 3 tabs · ", hint, ("  · esc back", "dim")))

    def _tab(self) -> str:
        return (self.query_one(TabbedContent).active or "").removeprefix("tab-")

    def _table(self) -> DataTable[Any] | None:
        tab = self._tab()
        tables = self.query(f"#{tab}") if tab else None
        return tables.first(DataTable) if tables else None

    def _key(self) -> str | None:
        table = self._table()
        return self._row_key(table) if table is not None else None

    def _focus_table(self) -> None:
        table = self._table()
        if table is not None:
            table.focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._hint()
        self._focus_table()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "tab":
            try:
                return parameters[0] in self.deck.controller.settings_tabs()
            except AppdeckError:
                return False
        if action == "members":
            return self._tab() == "groups"
        return True

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"
        self._focus_table()

    def action_cursor(self, where: str) -> None:
        table = self._table()
        if table is None or table.row_count == 0:
            return
        row = {"down": table.cursor_row + 1, "up": table.cursor_row - 1, "top": 0, "bottom": table.row_count - 1}[where]
        table.move_cursor(row=max(0, min(row, table.row_count - 1)))

    # -- changes -------------------------------------------------------------------------------------

    def _changed(self, message: str) -> None:
        """After a change from Settings: every screen reads the store again (the list under Settings too), and the
        status line says what was done."""
        self.deck.after_change()
        self.deck.say(message)

    def _form(self, screen: FieldsScreen, message: Callable[[dict[str, Any]], str]) -> None:
        """Open a form that makes its change itself (a refusal shows in it and the input is kept)."""
        def done(values: dict[str, Any] | None) -> None:
            if values is not None:
                self._changed(message(values))

        self.app.push_screen(screen, done)

    def _confirm(self, title: str, question: str, label: str, act: Callable[[], object], message: Callable[[object], str]) -> None:
        """Ask; on yes make the change in a worker; then reload everything and say what happened."""
        def answered(ok: bool | None) -> None:
            if ok:
                self.run_change(act, lambda result: self._changed(message(result)), what=label.rstrip("e") + "ing")

        self.app.push_screen(ConfirmScreen(title, question, confirm_label=label), answered)

    def _target(self, tab: str, key: str) -> Any:
        """The highlighted row's object as the controller has it now (None, with a word, if it is gone)."""
        ctl = self.deck.controller
        try:
            if tab == "registered":
                return ctl.get_registered(key)
            if tab == "users":
                return ctl.get_user(key)
            return ctl.get_group(key)
        except AppdeckError as exc:  # removed by another admin since the list was drawn
            self.reload()
            self.deck.say(safe(exc.message) + " The list was read again.", severity="warning")
            return None

    def _candidates(self, login: str) -> list[UserView]:
        return self.deck.controller.inheritor_candidates(login)

    def action_add(self) -> None:
        ctl = self.deck.controller
        tab = self._tab()
        try:
            if tab == "registered":
                self._form(RegisteredFormScreen(None, ctl.list_groups(), ctl.add_registered),
                           lambda v: f"Added the registered application {v['name']}.")
            elif tab == "users":
                self._form(FieldsScreen("New user", [FieldSpec("login", "Login name"), FieldSpec("display_name", "Display name"),
                                                     FieldSpec("role", "Role", DEFAULT_ROLE, ROLES, labels=ROLE_LABELS)],
                                        apply=lambda v: ctl.add_user(v["login"].strip(), v["role"], v["display_name"])),
                           lambda v: f"Added {v['login'].strip()} as {ROLE_LABELS.get(v['role'], v['role'])}.")
            elif tab == "groups":
                self._form(FieldsScreen("New group", [FieldSpec("name", "Group name"),
                                                      FieldSpec("members", "Members (space picks)", picks=tuple(user_choices(ctl.list_users())))],
                                        apply=lambda v: ctl.add_group(v["name"], v["members"])),
                           lambda v: f"Added the group {v['name'].strip()}.")
        except AppdeckError as exc:
            notify_error(self.deck, exc)

    def action_edit(self) -> None:
        ctl = self.deck.controller
        key = self._key()
        tab = self._tab()
        target = self._target(tab, key) if key is not None else None
        if key is None or target is None:
            return
        if tab == "registered":
            self._form(RegisteredFormScreen(target, ctl.list_groups(), lambda data: ctl.update_registered(key, data)),
                       lambda v: f"Saved the registered application {v['name']}.")
        elif tab == "users":
            def set_role(role: str, heir: str | None) -> object:
                return ctl.set_role(key, role, heir)

            def said(v: dict[str, Any]) -> str:
                moved = f"; their apps went to {v['inherit_to']}" if v.get("inherit_to") and v["role"] != target["role"] else ""
                return f"{key} is now {ROLE_LABELS.get(v['role'], v['role'])}{moved}."

            self._form(RoleScreen(target, self._candidates(key), lambda role: ctl.inheritor_needed(key, role), set_role), said)
        else:
            self._form(FieldsScreen(f"Rename the group {target['name']}", [FieldSpec("name", "Group name", target["name"])],
                                    apply=lambda v: ctl.rename_group(key, v["name"])),
                       lambda v: f"Renamed the group {target['name']} to {v['name'].strip()}.")

    def action_members(self) -> None:
        ctl = self.deck.controller
        key = self._key()
        group: GroupView | None = self._target("groups", key) if self._tab() == "groups" and key is not None else None
        if key is None or group is None:
            return
        users = ctl.list_users()
        self._form(FieldsScreen(f"Members of {group['name']}",
                                [FieldSpec("members", "Members (space picks, ctrl+s saves)", tuple(group["members"]),
                                           picks=tuple(user_choices(users)))],
                                apply=lambda v: ctl.set_group_members(key, v["members"])),
                   lambda v: f"The group {group['name']} has {len(v['members'])} member{'' if len(v['members']) == 1 else 's'}.")

    def action_delete(self) -> None:
        ctl = self.deck.controller
        key = self._key()
        tab = self._tab()
        target = self._target(tab, key) if key is not None else None
        if key is None or target is None:
            return
        try:
            if tab == "users":
                owned = ctl.inheritor_needed(key, None)
                if owned:
                    self._form(RemoveUserScreen(key, owned, self._candidates(key), lambda heir: ctl.remove_user(key, heir)),
                               lambda v: f"Removed {key}; {_apps(owned)} went to {v['inherit_to']}.")
                    return
                self._confirm("Remove user", policy.describe_user_removal(key, 0), "Remove", lambda: ctl.remove_user(key),
                              lambda _r: f"Removed {key}.")
            elif tab == "groups":
                removal = ctl.group_removal(key)
                name = target["name"]
                private = removal["apps_private"] + removal["registered_private"]
                became = f"; {_apps(private)} became private" if private else ""
                self._confirm("Delete group", policy.describe_group_removal(name, removal), "Delete",
                              lambda: ctl.remove_group(key), lambda _r: f"Deleted the group {name}{became}.")
            else:
                name = target.name
                self._confirm("Delete registered application", f"Delete the registered application {name}?", "Delete",
                              lambda: ctl.remove_registered(key), lambda _r: f"Deleted the registered application {name}.")
        except AppdeckError as exc:
            notify_error(self.deck, exc)

    def action_close(self) -> None:
        self.dismiss(None)
