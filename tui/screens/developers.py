"""The Developers view: the built apps the user may see, a details pane, and every action on the highlighted app."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen

from store import policy
from store.errors import AppdeckError
from store.records import AppRecord, gc_paused
from store.text import safe
from store.vocabulary import APP_TYPE_SHORT, SHARING_SHORT, AppAction
from tui.screens.common import ListScreen, notify_error, settle_memory, short_time
from tui.widgets.details_pane import DetailsPane
from tui.widgets.row_list import Column, RowList, search_key

if TYPE_CHECKING:
    from store.controller import Controller, TrashEntry

# Which of the policy's app actions each key needs (the controller's `capabilities` says which are allowed).
APP_ACTIONS: dict[str, AppAction] = {"edit_app": "edit", "share_app": "share", "delete_app": "delete",
                                     "rotate_secret": "rotate_secret", "reveal_secret": "reveal_secret",
                                     "copy_secret": "reveal_secret", "duplicate_app": "duplicate",
                                     "transfer_app": "transfer", "copy_env": "env"}
SEARCH_FIELDS = ("name", "description", "app_url", "owner", "client_id")
CELL_FIELDS = ("name", "advanced", "app_type", "sharing", "owner", "updated_at")


class Warm(NamedTuple):
    """What the opening worker prepares for the first Developers list: the apps, their keys and search keys."""

    apps: list[AppRecord]
    keys: list[str]
    search: list[str] | None  # None: made in a thread once the rows show


def _search_of(app: AppRecord) -> str:
    return search_key(app.values(*SEARCH_FIELDS))


def _cells_of(app: AppRecord) -> tuple[str, ...]:
    """A list line's cells, made when the line is drawn (no per-row copy of them is kept)."""
    name, advanced, app_type, sharing, owner, updated_at = app.values(*CELL_FIELDS)
    kind = policy.kind_of(advanced, app_type)
    return (safe(name), APP_TYPE_SHORT.get(kind, safe(kind)), SHARING_SHORT.get(sharing, safe(sharing)), safe(owner),
            short_time(updated_at))


def _disabled(app: AppRecord) -> bool:
    """A disabled app's line draws dimmed (asked only for the lines drawn)."""
    return app.enabled is False


def short_day(stamp: str) -> str:
    """'2026-11-29T05:45:38+00:00' -> '2026-11-29' (until when an app stays in the trash)."""
    return short_time(stamp)[:10]


def _sort_value_of(app: AppRecord, column: int) -> Any:
    """The value column `column` sorts by: name case-insensitively, type, sharing, owner, updated time."""
    name, advanced, app_type, sharing, owner, updated_at = app.values(*CELL_FIELDS)
    if column == 0:
        return str(name).lower()
    if column == 1:
        return str(policy.kind_of(advanced, app_type))
    return (str(sharing), str(owner), str(updated_at))[column - 2]


class DevelopersScreen(ListScreen):
    """Built applications: list, filter, details, and the owner's actions."""

    VIEW = "developers"
    FILTER_HINT = "name, description, URL, owner, client ID"
    COLUMNS = [Column("Name"), Column("Type", 4), Column("Sharing", 7), Column("Owner", 12), Column("Updated", 16)]
    EMPTY_TEXT = "No built applications yet. Press n to create the first one."

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "switch_view", "Views", tooltip="Developers / Applications", id="switch_view"),
        Binding("slash", "filter", "Filter", tooltip="Filter by name, description, URL, owner or client ID", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter"),
        Binding("n", "new_app", "New", tooltip="Create a built application", id="new_app"),
        Binding("e", "edit_app", "Edit", tooltip="Edit the highlighted app (owner)", id="edit_app"),
        Binding("s", "share_app", "Share", tooltip="Choose who sees the app (owner)", id="share_app"),
        Binding("d", "delete_app", "Delete", tooltip="Delete the app (owner)", id="delete_app"),
        Binding("c,y", "copy_client_id", "Copy ID", tooltip="Copy the client ID (OSC 52)", id="copy_client_id"),
        Binding("C,Y", "copy_secret", "Copy secret", tooltip="Copy the client secret (owner, OSC 52)", id="copy_secret"),
        Binding("r", "reveal_secret", "Reveal", tooltip="Show or hide the client secret (owner)", id="reveal_secret"),
        Binding("R", "rotate_secret", "Rotate", show=False, tooltip="Replace the client secret (owner)", id="rotate_secret"),
        Binding("u", "check_url", "Check URL", show=False, tooltip="Would a URL be allowed?", id="check_url"),
        Binding("o", "sort", "Sort", show=False, tooltip="Sort by the next column (again: reverse)", id="sort"),
        Binding("a", "audit", "Audit", show=False, tooltip="The audit trail you may see", id="audit"),
        Binding("S", "settings", "Settings", show=False, tooltip="Registered apps, users, groups (admins)", id="settings"),
        # An app's life (spec section 10): not in the footer (80 columns are full), in the palette (:) and help (?).
        Binding("z", "undo_delete", "Undo delete", show=False, tooltip="Restore the app just deleted from the trash",
                id="undo_delete"),
        Binding("T", "trash", "Trash", show=False, tooltip="Your deleted apps: restore or purge them", id="trash"),
        Binding("x", "toggle_enabled", "Disable / enable", show=False,
                tooltip="Disable the app (it cannot authenticate) or enable it again (owner)", id="toggle_enabled"),
        Binding("D", "duplicate_app", "Duplicate", show=False,
                tooltip="A new app with this one's settings and new credentials, owned by you", id="duplicate_app"),
        Binding("t", "transfer_app", "Transfer", show=False, tooltip="Hand the app to another editor or admin (owner)",
                id="transfer_app"),
        Binding("E", "copy_env", "Copy .env", show=False,
                tooltip="Copy the app's settings and credentials as a .env snippet (owner, OSC 52)", id="copy_env"),
    ]

    def __init__(self, *, warm: Warm | None = None) -> None:
        super().__init__()
        self.revealed: str | None = None  # the app whose secret is shown, until the cursor moves
        # (app id, version, secret) fetched once per reveal: repaints and refreshes must not audit a reveal again.
        self._secret: tuple[str, int, str] | None = None
        self._sort_col = -1
        self._warm = warm  # the apps and search keys the opening worker prepared
        self._allowed_shown: frozenset[str] | None = None
        self.last_deleted: TrashEntry | None = None  # what z restores, while it is still in the trash

    # -- data --------------------------------------------------------------------------------------

    def reload(self, *, keep: str | None = None, external: bool = False) -> None:
        """Re-read the apps through the controller and keep the cursor on the same app."""
        try:
            apps = self.deck.controller.list_apps(self.VIEW)
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        lst = self.query_one(RowList)
        warm, self._warm = self._warm, None
        if warm is not None and len(warm.apps) == len(apps) and all(map(operator.is_, warm.apps, apps)):
            # the very views the opening worker listed: its search keys hold
            keys, search = warm.keys, warm.search
            added = changed = removed = 0
        else:
            keys, search, added, changed, removed = self._rows_for(apps, lst.snapshot())
        lst.set_source(keys, search, apps, cells=_cells_of, sort_value=_sort_value_of, keep_key=keep, search_of=_search_of,
                       dimmed=_disabled)
        if search is None:
            self._search_in_thread(lst, apps)
        settle_memory()
        if self.last_deleted is not None and not self._still_trashed(self.last_deleted.app.id):
            self.last_deleted = None  # restored or purged meanwhile (the Trash view, the CLI): nothing for z to undo
        self.show_details()
        current = self.current
        self._allowed_shown = self.deck.controller.capabilities(current) if current is not None else None
        self.refresh_bindings()
        if external and (added or removed or changed):
            self.deck.notify(
                f"The store changed: {added} added, {changed} changed, {removed} removed.",
                title="Refreshed",
                markup=False,
            )

    def _still_trashed(self, app_id: str) -> bool:
        try:
            return any(e.app.id == app_id for e in self.deck.controller.list_trash())
        except AppdeckError:
            return False

    @staticmethod
    def _rows_for(
        apps: list[AppRecord], old: tuple[dict[str, int], list[Any], list[str] | None]
    ) -> tuple[list[str], list[str], int, int, int]:
        """Keys and search keys for `apps`, reusing the search key of every app whose record is the very one the
        list already shows (a refresh after another user's save rebuilds only what changed); and how many apps
        were added, changed (new version) and removed since."""
        index, tags, searches = old
        if searches is None:  # the list's search keys are still being made: nothing to reuse
            index, searches = {}, []
        keys: list[str] = []
        search: list[str] = []
        added = changed = 0
        with gc_paused():
            for a in apps:
                key = a.id
                i = index.get(key)
                if i is None:
                    added += 1
                    text = _search_of(a)
                else:
                    before = tags[i]
                    if a.same_record(before):
                        text = searches[i]
                    else:
                        text = _search_of(a)
                        changed += before.version != a.version
                keys.append(key)
                search.append(text)
        return keys, search, added, changed, len(tags) - (len(apps) - added)

    def _search_in_thread(self, lst: RowList, apps: list[AppRecord]) -> None:
        """Make the search keys of the first rows in a thread, once they show (typing a filter sooner makes them)."""

        def make() -> None:
            with gc_paused():
                search = [_search_of(a) for a in apps]
            self.app.call_from_thread(lst.attach_search, apps, search)

        self.run_worker(make, thread=True, exit_on_error=False, group="search-keys")

    @classmethod
    def prepare(cls, controller: Controller) -> Warm:
        """The first list, made off the event loop (the app's opening worker); its search keys come after the rows."""
        apps = controller.list_apps(cls.VIEW)
        return Warm(apps, [a.id for a in apps], None)

    @property
    def current(self) -> AppRecord | None:
        app: AppRecord | None = self.query_one(RowList).highlighted_tag
        return app

    def _highlighted(self, key: str | None) -> None:
        """The list's cursor is on another app (called by the list at once, not by message)."""
        if key != self.revealed:
            self.revealed = None
            self._secret = None
        self.show_details()
        app = self.current
        allowed = self.deck.controller.capabilities(app) if app is not None else None
        if allowed != self._allowed_shown:  # the footer re-renders only when the keys it shows change
            self._allowed_shown = allowed
            self.refresh_bindings()

    def on_row_list_selected(self, event: RowList.Selected) -> None:
        self.query_one("#details").focus()

    def show_details(self) -> None:
        """Every field of the highlighted app, the effective URLs (marked when derived) and the credentials."""
        details = self.query_one("#details", DetailsPane)
        app = self.current
        if app is None:
            details.update(Content("Nothing selected." if self.query_one(RowList).total_count else "Press n to create your first built application."))
            return
        ctl = self.deck.controller
        d = ctl.details(app)
        eff = d["effective"]
        secret = "•" * 24 + ("   r reveals · C copies" if "reveal_secret" in ctl.capabilities(app) else "   (owner only)")
        if self.revealed == app.id:
            if self._secret is None or self._secret[:2] != (app.id, app.version):
                try:
                    self._secret = (app.id, app.version, ctl.reveal_secret(app.id))
                except AppdeckError as exc:
                    notify_error(self.deck, exc)
                    self.revealed, self._secret = None, None
            if self._secret is not None:
                secret = self._secret[2]
        lines: list[tuple[str, Any]] = [("Name", d["name"])]
        if not app.enabled:
            lines.append(("Status", "Disabled: cannot authenticate until enabled"
                          + ("   x enables" if "enable" in ctl.capabilities(app) else "")))
        lines += [
            ("Description", d["description"] or "—"),
            ("Type", d["type_label"] + (f"   token auth: {d['token_auth_effective']}")),
            ("Owner", d["owner"]),
            ("Sharing", d["sharing"] + (f": {', '.join(d['group_names'])}" if d["group_names"] else "")),
            ("App URL", d["app_url"]),
            ("Thumbnail", d["thumbnail_url"] or "—"),
            ("Client ID", d["client_id"] + "   c copies"),
            ("Client secret", secret),
        ]
        if d["has_urls"]:
            for key, label in (("login_url", "Login URL"), ("callback_urls", "Callbacks"), ("logout_urls", "Logout URLs"),
                               ("web_origins", "Web origins"), ("cors_origins", "CORS origins")):
                value = eff[key]
                text = ", ".join(value) if isinstance(value, list) else value
                lines.append((label, f"{text}" + ("   (derived)" if eff["derived"][key] else "")))
        lines.append(("Updated", f"{short_time(d['updated_at'])} by {d['updated_by']} · version {d['version']} · id {d['id']}"))
        details.update_fields([(label, safe(value)) for label, value in lines])

    # -- enabling keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        try:
            return self._allowed(action)
        except AppdeckError:
            return None  # e.g. the user was removed meanwhile: the app's poll says so and exits

    def _allowed(self, action: str) -> bool | None:
        ctl = self.deck.controller
        if action == "new_app":
            return True if ctl.can_create() else None
        if action == "settings":
            return bool(ctl.settings_tabs())
        if action in APP_ACTIONS:
            app = self.current
            return True if app is not None and APP_ACTIONS[action] in ctl.capabilities(app) else None
        if action in ("copy_client_id", "check_url"):
            return True if self.current is not None else None
        if action == "toggle_enabled":
            app = self.current
            return True if app is not None and ctl.capabilities(app) & {"disable", "enable"} else None
        if action == "undo_delete":
            return True if self.last_deleted is not None and ctl.can_create() else None
        if action == "trash":
            return True if ctl.can_create() else None  # a trash holds only its owner's apps: viewers own none
        return True

    # -- actions -----------------------------------------------------------------------------------

    def action_sort(self) -> None:
        self._sort_col = (self._sort_col + 1) % 5
        lst = self.query_one(RowList)
        lst.sort_by(self._sort_col)
        self.notify(f"Sorted by {lst.columns[self._sort_col].title.lower()}.", markup=False, timeout=2)

    def action_new_app(self) -> None:
        from tui.screens.app_form import AppFormScreen

        self.app.push_screen(AppFormScreen(None), self._after_save)

    def action_edit_app(self) -> None:
        from tui.screens.app_form import AppFormScreen

        if self.current is not None:
            self.app.push_screen(AppFormScreen(self.current), self._after_save)

    def _after_save(self, saved: Any) -> None:
        if saved is not None:
            self.reload(keep=saved.app.id)
            for warning in saved.warnings:
                self.notify(warning, severity="warning", markup=False)
            self.notify(f"Saved “{safe(saved.app.name)}”.", markup=False)

    def action_share_app(self) -> None:
        from tui.screens.sharing import SharingScreen

        if self.current is not None:
            self.app.push_screen(SharingScreen(self.current), self._after_save)

    def _confirm_then(self, dialog: Screen[bool], act: Callable[[AppRecord], object], done: str, *, keep: bool) -> None:
        """Push a confirmation; on yes, run `act` on the highlighted app through the controller and say `done`."""
        app = self.current
        if app is None:
            return

        def answered(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                act(app)
            except AppdeckError as exc:
                notify_error(self.deck, exc)
                return
            self.reload(keep=app.id if keep else None)
            self.notify(done.format(name=safe(app.name)), markup=False)

        self.app.push_screen(dialog, answered)

    def action_delete_app(self) -> None:
        """d: after the typed-name confirmation, the app goes to the trash; the notice offers z to undo it."""
        from tui.screens.confirm import DeleteScreen

        app = self.current
        if app is None:
            return
        ctl = self.deck.controller

        def answered(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                entry = ctl.delete_app(app.id, expected_version=app.version)
            except AppdeckError as exc:
                notify_error(self.deck, exc)
                return
            self.last_deleted = entry
            self.reload()
            self.refresh_bindings()
            self.notify(f"Deleted “{safe(app.name)}”. It is in the trash until {short_day(entry.purge_at)}; z restores it.",
                        title="Moved to the trash", markup=False, timeout=10)

        self.app.push_screen(DeleteScreen(app.name, short_day(ctl.trash_until())), answered)

    def action_undo_delete(self) -> None:
        """z: restore the app this screen last deleted, exactly as it was (same client ID and secret)."""
        entry, self.last_deleted = self.last_deleted, None
        self.refresh_bindings()
        if entry is None:
            return
        try:
            restored = self.deck.controller.restore_app(entry.app.id)
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        self.reload(keep=restored.id)
        self.notify(f"Restored “{safe(restored.name)}” with the same client ID and secret.", markup=False)

    def action_trash(self) -> None:
        """T: the Trash view (the acting user's deleted apps); back here, the list is read again."""
        from tui.screens.trash import TrashScreen

        def back(restored: str | None) -> None:
            self.reload(keep=restored)

        self.app.push_screen(TrashScreen(), back)

    def action_toggle_enabled(self) -> None:
        """x: disable the highlighted app (it stays listed, dimmed, and cannot authenticate) or enable it again."""
        app = self.current
        if app is None:
            return
        enable = "enable" in self.deck.controller.capabilities(app)
        try:
            out = self.deck.controller.set_enabled(app.id, enable)
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        self.reload(keep=out.id)
        self.notify(f"Enabled “{safe(out.name)}”: it can authenticate again." if enable
                    else f"Disabled “{safe(out.name)}”: it cannot authenticate until enabled (x).", markup=False)

    def action_duplicate_app(self) -> None:
        """D: the app form in duplicate mode: every setting of the highlighted app shown, the name to give."""
        from tui.screens.app_form import AppFormScreen

        app = self.current
        if app is not None:
            self.app.push_screen(AppFormScreen(None, duplicate_of=app), self._after_duplicate)

    def _after_duplicate(self, saved: Any) -> None:
        if saved is not None:
            self.reload(keep=saved.app.id)
            for warning in saved.warnings:
                self.notify(warning, severity="warning", markup=False)
            self.notify(f"Created “{safe(saved.app.name)}” with new credentials; you own it.", title="Duplicated",
                        markup=False)

    def action_transfer_app(self) -> None:
        """t: pick the new owner (another editor or admin), confirm naming both people, transfer."""
        from tui.screens.user_picker import UserPickerScreen

        app = self.current
        if app is None:
            return
        picker = UserPickerScreen(f"Transfer “{safe(app.name)}” to", exclude=self.deck.controller.user)
        if not picker.candidates:
            self.notify("There is no other editor or admin to transfer the app to.", severity="warning", markup=False)
            return

        def picked(login: str | None) -> None:
            if login is None:
                return
            from tui.screens.confirm import ConfirmScreen

            ctl = self.deck.controller
            self._confirm_then(
                ConfirmScreen(
                    "Transfer application",
                    f"Transfer “{safe(app.name)}” from {safe(app.owner)} to {safe(login)}? Only {safe(login)} will act on it "
                    "from then on: edit, share, delete, disable, rotate or reveal its secret.",
                    confirm_label="Transfer",
                ),
                lambda a: ctl.transfer_app(a.id, login),
                "Transferred “{name}” to " + safe(login) + ".",
                keep=True,
            )

        self.app.push_screen(picker, picked)

    def action_copy_env(self) -> None:
        """E: the app's `.env` snippet to the clipboard (OSC 52); audited as a reveal; the notice never holds it."""
        app = self.current
        if app is None:
            return
        try:
            text = self.deck.controller.app_env(app.id)
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the .env snippet of “{safe(app.name)}” ({text.count(chr(10))} variables) to the clipboard.",
                    markup=False, timeout=4)

    def action_rotate_secret(self) -> None:
        from tui.screens.confirm import ConfirmScreen

        app = self.current
        if app is not None:
            ctl = self.deck.controller
            self._confirm_then(
                ConfirmScreen(
                    "Rotate client secret",
                    f"Rotate the client secret of “{safe(app.name)}”? The old secret stops working at once: every "
                    "service using it must be given the new one.",
                    confirm_label="Rotate",
                ),
                lambda a: ctl.rotate_secret(a.id, expected_version=a.version),
                "Rotated the client secret of “{name}”. The old secret no longer works.",
                keep=True,
            )

    def action_reveal_secret(self) -> None:
        app = self.current
        if app is not None:
            self.revealed = None if self.revealed == app.id else app.id
            self._secret = None
            self.show_details()

    def action_copy_client_id(self) -> None:
        app = self.current
        if app is not None:
            self.app.copy_to_clipboard(app.client_id)
            self.notify(f"Copied the client ID of “{safe(app.name)}”.", markup=False, timeout=3)

    def action_copy_secret(self) -> None:
        app = self.current
        if app is None:
            return
        try:
            secret = self.deck.controller.reveal_secret(app.id)
        except AppdeckError as exc:
            notify_error(self.deck, exc)
            return
        self.app.copy_to_clipboard(secret)
        self.notify(f"Copied the client secret of “{safe(app.name)}”.", markup=False, timeout=3)

    def action_check_url(self) -> None:
        from tui.screens.url_check import UrlCheckScreen

        if self.current is not None:
            self.app.push_screen(UrlCheckScreen(self.current))

    def action_audit(self) -> None:
        from tui.screens.audit import AuditScreen

        self.app.push_screen(AuditScreen())

    def action_settings(self) -> None:
        from tui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())
