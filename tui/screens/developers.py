"""The Developers view: the built apps the user may see, a details pane, and every action on the highlighted app."""

from __future__ import annotations

import gc
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
from tui.widgets.details_pane import DetailsArea, DetailsPane
from tui.widgets.row_list import Arranged, Column, RowList, search_key

if TYPE_CHECKING:
    from store.controller import Controller, TrashEntry

# Which of the policy's app actions each key needs (the controller's `capabilities` says which are allowed).
APP_ACTIONS: dict[str, AppAction] = {"edit_app": "edit", "share_app": "share", "delete_app": "delete",
                                     "rotate_secret": "rotate_secret", "reveal_secret": "reveal_secret",
                                     "copy_secret": "reveal_secret", "duplicate_app": "duplicate",
                                     "transfer_app": "transfer", "copy_env": "env"}
SEARCH_FIELDS = ("name", "description", "app_url", "owner", "client_id")
CELL_FIELDS = ("name", "advanced", "app_type", "sharing", "owner", "updated_at")


class StoreChanges:
    """What another user's save changed in the list: the apps added, changed (a new version) and removed."""

    def __init__(self) -> None:
        self.added: list[AppRecord] = []
        self.changed: list[AppRecord] = []
        self.removed: list[AppRecord] = []

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def sentence(self) -> str:
        """One line naming the apps: '“Customer Portal” was changed by dev-lee.' for one, counts and the first
        names for more."""
        parts = []
        for apps, verb in ((self.changed, "changed"), (self.added, "added"), (self.removed, "removed")):
            if not apps:
                continue
            if len(apps) == 1 and not (self.added and self.changed) and sum(map(bool, (self.added, self.changed, self.removed))) == 1:
                a = apps[0]
                if verb == "removed":
                    return f"“{safe(a.name)}” is gone from the list (deleted, or no longer shared with you)."
                return f"“{safe(a.name)}” was {verb} by {safe(a.updated_by) or 'someone'}."
            names = ", ".join(f"“{safe(a.name)}”" for a in apps[:2]) + (f" and {len(apps) - 2} more" if len(apps) > 2 else "")
            parts.append(f"{len(apps)} {verb} ({names})")
        return "The store changed: " + "; ".join(parts) + "."


class Prepared(NamedTuple):
    """Rows made off the UI thread for the data `source` (the poll's accepted data)."""

    source: object
    apps: list[AppRecord]
    keys: list[str]
    search: list[str]
    changes: StoreChanges
    arranged: Arranged


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
    PRESORTED = 0  # the controller lists the apps by name

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
        Binding("o", "sort", "Sort", show=False, tooltip="Sort by the next column (the header shows which)", id="sort"),
        Binding("O", "reverse_sort", "Reverse sort", show=False, tooltip="Reverse the order of the sort column",
                id="reverse_sort"),
        Binding("a", "audit", "Audit", show=False, tooltip="The audit trail of the highlighted app (a again: all)",
                id="audit"),
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
        self._warm = warm  # the apps and search keys the opening worker prepared
        self._allowed_shown: frozenset[str] | None = None
        self.last_deleted: TrashEntry | None = None  # what z restores, while it is still in the trash

    # -- data --------------------------------------------------------------------------------------

    def prepare_rows(self) -> Prepared:
        """The rows for the store as read now, made off the UI thread (the poll's worker calls this after another
        user's save): the apps the user may see, their keys and search keys (reusing the key of every record the
        list already shows), and what changed. `reload(prepared=...)` then only swaps them in."""
        source = self.deck.reads_data()
        apps = self.deck.controller.list_apps(self.VIEW)
        lst = self.query_one(RowList)
        keys, search, changes = self._rows_for(apps, lst.snapshot())
        arranged = lst.arrange_rows(keys, search, apps, _sort_value_of)
        gc.freeze()  # what was just made leaves the collector's reach here, not between two keys
        return Prepared(source, apps, keys, search, changes, arranged)

    def reload(self, *, keep: str | None = None, external: bool = False, prepared: Prepared | None = None) -> None:
        """Show the apps as the controller lists them now and keep the cursor on the same app (or, when it is gone,
        on its neighbour). `prepared` (from `prepare_rows` in a worker) is used when it was made from the data the
        controller serves now; else the rows are made here."""
        lst = self.query_one(RowList)
        if prepared is None or prepared.source is not self.deck.reads_data():
            try:
                apps = self.deck.controller.list_apps(self.VIEW)
            except AppdeckError as exc:
                notify_error(self.deck, exc)
                return
            warm, self._warm = self._warm, None
            if warm is not None and len(warm.apps) == len(apps) and all(map(operator.is_, warm.apps, apps)):
                # the very views the opening worker listed: its search keys hold
                keys, search, changes = warm.keys, warm.search, StoreChanges()
            else:
                keys, search, changes = self._rows_for(apps, lst.snapshot())
            arranged = None
        else:
            apps, keys, search, changes, arranged = (prepared.apps, prepared.keys, prepared.search, prepared.changes,
                                                     prepared.arranged)
        lst.set_source(keys, search, apps, cells=_cells_of, sort_value=_sort_value_of, keep_key=keep, search_of=_search_of,
                       dimmed=_disabled, arranged=arranged)
        if search is None:
            self._search_in_thread(lst, apps)
        if prepared is None:
            settle_memory()
        # else the worker made the rows and froze them: no collection between two keys
        if self.last_deleted is not None and not self._still_trashed(self.last_deleted.app.id):
            self.last_deleted = None  # restored or purged meanwhile (the Trash view, the CLI): nothing for z to undo
        self.show_details()
        current = self.current
        self._allowed_shown = self.deck.controller.capabilities(current) if current is not None else None
        self.refresh_bindings()
        if external and changes:
            self.deck.say(changes.sentence(), timeout=8)

    def _still_trashed(self, app_id: str) -> bool:
        try:
            return any(e.app.id == app_id for e in self.deck.controller.list_trash())
        except AppdeckError:
            return False

    @staticmethod
    def _rows_for(
        apps: list[AppRecord], old: tuple[dict[str, int], list[Any], list[str] | None]
    ) -> tuple[list[str], list[str], StoreChanges]:
        """Keys and search keys for `apps`, reusing the search key of every app whose record is the very one the
        list already shows (a refresh after another user's save rebuilds only what changed); and which apps were
        added, changed (new version) and removed since."""
        index, tags, searches = old
        if searches is None:  # the list's search keys are still being made: nothing to reuse
            searches = []
            reuse = False
        else:
            reuse = True
        keys: list[str] = []
        search: list[str] = []
        changes = StoreChanges()
        seen = 0
        with gc_paused():
            for a in apps:
                key = a.id
                i = index.get(key)
                if i is None:
                    changes.added.append(a)
                    text = _search_of(a)
                else:
                    seen += 1
                    before = tags[i]
                    if reuse and a.same_record(before):
                        text = searches[i]
                    else:
                        text = _search_of(a)
                        if before.version != a.version:
                            changes.changed.append(a)
                keys.append(key)
                search.append(text)
            if seen != len(tags):  # some rows are gone: name them (only then is the old list walked)
                now = {a.id for a in apps}
                changes.removed = [t for t in tags if t.id not in now]
        return keys, search, changes

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
        """Every field of the highlighted app, the effective URLs (marked when derived), the credentials and when it
        was created and last updated."""
        details = self.query_one("#details", DetailsPane)
        app = self.current
        if app is None:
            self.query_one(DetailsArea).show_app(None, None)
            details.update(Content("Nothing selected." if self.query_one(RowList).total_count else "Press n to create your first built application."))
            return
        ctl = self.deck.controller
        d = ctl.details(app)
        thumbnail = d.get("thumbnail_url")
        self.query_one(DetailsArea).show_app(thumbnail if isinstance(thumbnail, str) else None, str(d.get("name") or ""))
        eff = d["effective"]
        allowed = ctl.capabilities(app)
        # Beside the masked secret: the keys, or why there are none (the controller says: read-only, owner...).
        secret = "•" * 24 + ("   r reveals · C copies" if "reveal_secret" in allowed else f"   ({ctl.refusal_brief(app)})")
        if self.revealed == app.id:
            if self._secret is not None and self._secret[:2] == (app.id, app.version):
                secret = self._secret[2]
            else:  # revealed before the secret changed (a rotation): fetch the new one, off the UI thread
                secret = "•" * 24 + "   revealing…"
                self._fetch_secret(app)
        lines: list[tuple[str, Any]] = [("Name", d["name"])]
        if not app.enabled:
            lines.append(("Status", "Disabled: cannot authenticate until enabled"
                          + ("   x enables" if "enable" in allowed else "")))
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
        lines.append(("Created", short_time(d.get("created_at") or "") or "—"))
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
        """o: sort by the next column (the header shows which, and the direction)."""
        self.query_one(RowList).sort_next()

    def action_reverse_sort(self) -> None:
        """O: reverse the order of the sort column."""
        self.query_one(RowList).reverse_sort()

    def _failed_for(self, app: AppRecord) -> Callable[[AppdeckError], None]:
        """The error notice of a change to `app`, naming it where the controller's message quotes its id."""

        def failed(exc: AppdeckError) -> None:
            notify_error(self.deck, exc, names={app.id: app.name})

        return failed

    def action_new_app(self) -> None:
        from tui.screens.app_form import AppFormScreen

        self.app.push_screen(AppFormScreen(None), self._after_save)

    def action_edit_app(self) -> None:
        from tui.screens.app_form import AppFormScreen

        if self.current is not None:
            self.app.push_screen(AppFormScreen(self.current), self._after_save)

    def _say_saved(self, sentence: str, warnings: list[str]) -> None:
        """A save's sentence and its warnings on the status line (a warning stays longer)."""
        if warnings:
            self.deck.say(" ".join([sentence, *warnings]), severity="warning", timeout=12)
        else:
            self.deck.say(sentence)

    def _after_save(self, saved: Any) -> None:
        if saved is not None:
            self.reload(keep=saved.app.id)
            self._say_saved(f"Saved “{safe(saved.app.name)}”.", list(saved.warnings))

    def action_share_app(self) -> None:
        from tui.screens.sharing import SharingScreen

        if self.current is not None:
            self.app.push_screen(SharingScreen(self.current), self._after_save)

    def _confirm_then(self, dialog: Screen[bool], act: Callable[[AppRecord], object], done: str, *, keep: bool,
                      what: str = "Saving") -> None:
        """Push a confirmation; on yes, run `act` on the highlighted app through the controller (in a worker), then
        read the list again and say `done`."""
        app = self.current
        if app is None:
            return

        def finished(_: object) -> None:
            self.reload(keep=app.id if keep else None)
            self.deck.say(done.format(name=safe(app.name)))

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.run_change(lambda: act(app), finished, what=what, failed=self._failed_for(app))

        self.app.push_screen(dialog, answered)

    def action_delete_app(self) -> None:
        """d: after the typed-name confirmation, the app goes to the trash; the status line offers z to undo it. The
        cursor goes to the app after it (else the one before)."""
        from tui.screens.confirm import DeleteScreen

        app = self.current
        if app is None:
            return
        ctl = self.deck.controller

        def deleted(entry: TrashEntry) -> None:
            self.last_deleted = entry
            self.reload()
            self.refresh_bindings()
            self.deck.say(f"Deleted “{safe(app.name)}”. z restores it (in the trash until {short_day(entry.purge_at)}).",
                          timeout=12)

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.run_change(lambda: ctl.delete_app(app.id, expected_version=app.version), deleted, what="Deleting",
                                failed=self._failed_for(app))

        self.app.push_screen(DeleteScreen(app.name, short_day(ctl.trash_until())), answered)

    def action_undo_delete(self) -> None:
        """z: restore the app this screen last deleted, exactly as it was (same client ID and secret)."""
        entry = self.last_deleted
        if entry is None:
            return
        ctl = self.deck.controller

        def restored(app: AppRecord) -> None:
            if self.last_deleted is entry:
                self.last_deleted = None
            self.reload(keep=app.id)
            self.refresh_bindings()
            self.deck.say(f"Restored “{safe(app.name)}” with the same client ID and secret.")

        def failed(exc: AppdeckError) -> None:
            self.last_deleted = None  # gone from the trash (restored or purged meanwhile): nothing left to undo
            self.refresh_bindings()
            notify_error(self.deck, exc, names={entry.app.id: entry.app.name})

        self.run_change(lambda: ctl.restore_app(entry.app.id), restored, what="Restoring", failed=failed)

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
        ctl = self.deck.controller
        enable = "enable" in ctl.capabilities(app)

        def done(out: AppRecord) -> None:
            self.reload(keep=out.id)
            self.deck.say(f"Enabled “{safe(out.name)}”: it can authenticate again." if enable
                          else f"Disabled “{safe(out.name)}”: it cannot authenticate until enabled (x).")

        self.run_change(lambda: ctl.set_enabled(app.id, enable), done, what="Enabling" if enable else "Disabling",
                        failed=self._failed_for(app))

    def action_duplicate_app(self) -> None:
        """D: the app form in duplicate mode: every setting of the highlighted app shown, the name to give."""
        from tui.screens.app_form import AppFormScreen

        app = self.current
        if app is not None:
            self.app.push_screen(AppFormScreen(None, duplicate_of=app), self._after_duplicate)

    def _after_duplicate(self, saved: Any) -> None:
        if saved is not None:
            self.reload(keep=saved.app.id)
            self._say_saved(f"Duplicated: created “{safe(saved.app.name)}” with new credentials; you own it.",
                            list(saved.warnings))

    def action_transfer_app(self) -> None:
        """t: pick the new owner (another editor or admin), confirm naming both people, transfer."""
        from tui.screens.user_picker import UserPickerScreen

        app = self.current
        if app is None:
            return
        picker = UserPickerScreen(f"Transfer “{safe(app.name)}” to", exclude=self.deck.controller.user)
        if not picker.candidates:
            self.deck.say("There is no other editor or admin to transfer the app to.", severity="warning")
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
                what="Transferring",
            )

        self.app.push_screen(picker, picked)

    def action_copy_env(self) -> None:
        """E: the app's `.env` snippet to the clipboard (OSC 52); audited as a reveal (in a worker: it writes the
        audit entry); the status line never holds it."""
        app = self.current
        if app is None:
            return
        ctl = self.deck.controller

        def copied(text: str) -> None:
            self.app.copy_to_clipboard(text)
            self.deck.say(f"Copied the .env snippet of “{safe(app.name)}” ({text.count(chr(10))} variables).")

        self.run_change(lambda: ctl.app_env(app.id), copied, what="Copying the .env snippet", failed=self._failed_for(app))

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
                what="Rotating the secret",
            )

    def _fetch_secret(self, app: AppRecord) -> None:
        """Read the app's secret in a worker (a reveal is audited: it writes), then show it if the app is still the
        highlighted one and still revealed."""
        ctl = self.deck.controller

        def fetched(secret: str) -> None:
            self._secret = (app.id, app.version, secret)
            if self.revealed == app.id:
                self.show_details()

        def failed(exc: AppdeckError) -> None:
            if self.revealed == app.id:
                self.revealed, self._secret = None, None
                self.show_details()
            notify_error(self.deck, exc, names={app.id: app.name})

        if not self.changing:
            self.run_change(lambda: ctl.reveal_secret(app.id), fetched, what="Revealing the secret", failed=failed)

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
            self.deck.say(f"Copied the client ID of “{safe(app.name)}”.")

    def action_copy_secret(self) -> None:
        """C: the client secret to the clipboard (OSC 52); audited as a reveal, so read in a worker."""
        app = self.current
        if app is None:
            return
        ctl = self.deck.controller

        def copied(secret: str) -> None:
            self.app.copy_to_clipboard(secret)
            self.deck.say(f"Copied the client secret of “{safe(app.name)}”.")

        self.run_change(lambda: ctl.reveal_secret(app.id), copied, what="Copying the secret", failed=self._failed_for(app))

    def action_check_url(self) -> None:
        from tui.screens.url_check import UrlCheckScreen

        if self.current is not None:
            self.app.push_screen(UrlCheckScreen(self.current))

    def action_audit(self) -> None:
        """a: the audit trail of the highlighted app (a again, in the audit view, shows everything you may see)."""
        from tui.screens.audit import AuditScreen

        app = self.current
        self.app.push_screen(AuditScreen(app.id if app is not None else None, app.name if app is not None else None))

    def action_settings(self) -> None:
        from tui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())
