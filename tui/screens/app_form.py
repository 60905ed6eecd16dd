"""One form for creating and editing a built application, with live errors and a preview of the effective URLs."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static, Switch

from store import policy
from store.controller import Saved
from store.errors import AppdeckError, ConflictError, ValidationError, WaitCancelled
from store.records import AppRecord
from store.text import safe
from store.vocabulary import (
    APP_TYPE_LABELS,
    DEFAULT_APP_TYPE,
    DEFAULT_RWA_TOKEN_AUTH,
    DEFAULT_SHARING,
    FIELD_LABELS,
    GROUPS_SHARING,
    LIST_FIELDS,
    RWA,
    RWA_WARNING,
    SHARING_LABELS,
    TOKEN_AUTHS,
    AppType,
)
from tui.jobs import StoreUnavailable
from tui.screens.common import notify_error, short_time
from tui.screens.dialog import Dialog

TEXT_FIELDS = ("name", "description", "app_url", "thumbnail_url")
ADV_TEXT_FIELDS = ("login_url", *LIST_FIELDS)
PLACEHOLDERS = {
    "name": "My App",
    "description": "What it is for (140 characters at most)",
    "app_url": "https://myapp.example.com",
    "thumbnail_url": "https://myapp.example.com/logo.png (150x150)",
    "login_url": "https://myapp.example.com/login",
    "callback_urls": "https://myapp.example.com/callback, https://*.example.com/cb",
    "logout_urls": "https://myapp.example.com/logged-out",
    "web_origins": "https://myapp.example.com",
    "cors_origins": "https://myapp.example.com",
}
ERROR_FIELDS = (*TEXT_FIELDS, *ADV_TEXT_FIELDS, "groups", "token_auth")  # the fields with a box for their errors
LABELS = {**FIELD_LABELS, "sharing": "Sharing", "groups": "Groups", "advanced": "Advanced settings",
          "app_type": "Application type", "token_auth": "Token endpoint authentication method"}
ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?")


def readable_times(text: str) -> str:
    """ISO stamps in a message as the rest of appdeck shows times: `2026-12-01T17:53:08+00:00` -> `2026-12-01 17:53`."""
    return ISO_TIME.sub(r"\1 \2", text)


class FormBody(VerticalScroll):
    """The form's scroll area; `reveal` brings a widget into view now and again when the area is resized (a banner
    that just appeared above the buttons makes it shorter only at the next layout)."""

    _reveal: Widget | None = None

    def reveal(self, widget: Widget) -> None:
        self._reveal = widget
        self.call_after_refresh(self.scroll_to_widget, widget, animate=False)

    def on_resize(self) -> None:
        if self._reveal is not None:
            self.scroll_to_widget(self._reveal, animate=False, immediate=True)
            self._reveal = None


class Conflict(AppdeckError):
    """A save refused because someone saved the app meanwhile, with their version as stored now (None when it could
    not be read: deleted, or no longer visible)."""

    def __init__(self, error: ConflictError, theirs: AppRecord | None) -> None:
        super().__init__(error.message)
        self.error, self.theirs = error, theirs


class AppFormScreen(Dialog[Saved | None]):
    """Create (app is None) or edit a built application; ctrl+s saves, escape cancels.

    With `duplicate_of` (and app None) the form duplicates that app (spec section 10): it shows every setting of
    the source, read-only, and an empty name; saving asks the controller to duplicate the source under that name
    (new id, client ID and secret, owned by the acting user; groups they may not use dropped by the controller).
    The settings cannot be changed here, so the form never promises a change the duplicate would not make: the
    copy is edited afterwards like any app (e).

    Saves run off the UI thread (`run_change`); the input is kept whatever the refusal. A conflict (someone saved
    the app meanwhile) offers ctrl+r: their version is loaded and the user's edits re-applied field by field
    (`policy.reapply`), naming the fields both changed; the next save expects their version."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the application", id="form.save", priority=True),
        Binding("escape", "cancel", "Cancel", tooltip="Close (asks when there are unsaved changes)", id="form.cancel"),
        Binding("ctrl+r", "reapply", "Reload + re-apply", tooltip="Load the version saved meanwhile and re-apply your "
                "changes to it", id="form.reapply", priority=True),
    ]
    DEFAULT_CSS = """
    AppFormScreen #banner { height: auto; max-height: 4; margin-top: 1; }
    AppFormScreen #banner.banner-warning { color: $text-warning; text-style: bold; }
    """

    def __init__(self, app: AppRecord | None, *, duplicate_of: AppRecord | None = None) -> None:
        super().__init__()
        self.editing = app
        self.duplicate_of = duplicate_of if app is None else None
        self.touched: set[str] = set()
        self.tried_save = False
        self._loaded = False
        self._save_errors: dict[str, list[str]] = {}  # messages of the last refused save, per field, until it changes
        self._theirs: AppRecord | None = None  # after a conflict: the version saved meanwhile (ctrl+r loads it)
        self._pending: Saved | None = None  # saved while another screen was on top: dismissed when back
        shown = app or self.duplicate_of
        self._rwa_token_auth = (shown.token_auth if shown is not None and shown.kind == RWA else None) or DEFAULT_RWA_TOKEN_AUTH

    def _initial(self) -> dict[str, Any]:
        a = self.editing or self.duplicate_of
        if a is None:
            return {"sharing": DEFAULT_SHARING, "advanced": False, "app_type": DEFAULT_APP_TYPE, "groups": []}
        data = a.model_dump(exclude={"client_secret"})
        if self.duplicate_of is not None:
            data["name"] = ""  # the one thing a duplicate is given
        return data

    def compose(self) -> ComposeResult:
        init = self._initial()
        groups = self.deck.controller.list_groups()
        if self.duplicate_of is not None:
            title = f"Duplicate “{safe(self.duplicate_of.name)}”"
        else:
            title = "New built application" if self.editing is None else f"Edit “{safe(self.editing.name)}”"
        with Vertical(classes="dialog"):
            yield Label(Content(title), classes="dialog-title")
            if self.duplicate_of is not None:
                yield Static(Content("Name the copy. Its other settings are this app's, shown below; it gets a new "
                                     "client ID and secret and you own it. Edit it afterwards with e."),
                             id="duplicate-note", classes="hint")
            with FormBody(id="form-body"):
                for f in TEXT_FIELDS:
                    yield from self._text_field(f, init.get(f) or "")
                yield Label("Sharing", classes="field-label")
                yield Select([(label, key) for key, label in SHARING_LABELS.items()], value=init.get("sharing", DEFAULT_SHARING),
                             allow_blank=False, id="sharing")
                yield SelectionList[str](*[(Content(safe(g["name"])), g["id"], g["id"] in init.get("groups", [])) for g in groups], id="groups")
                yield Static("", id="error-groups", classes="field-error")
                yield Static("Sharing controls who sees the app here, not who can log in to it.", classes="hint")
                with Horizontal(classes="buttons", id="advanced-row"):
                    yield Label("Advanced settings ", classes="field-label")
                    yield Switch(value=bool(init.get("advanced")), id="advanced")
                with Vertical(id="advanced-box"):
                    yield Label("Application type", classes="field-label")
                    yield Select([(label, key) for key, label in APP_TYPE_LABELS.items()], value=init.get("app_type") or DEFAULT_APP_TYPE,
                                 allow_blank=False, id="app_type")
                    yield Static(RWA_WARNING, id="rwa-warning", classes="warning hidden")
                    yield Label("Token endpoint authentication method (Regular Web Application only)", classes="field-label")
                    yield Select([(v, v) for v in TOKEN_AUTHS], value=self._shown_token_auth(init.get("app_type") or DEFAULT_APP_TYPE),
                                 allow_blank=False, id="token_auth")
                    yield Static("", id="error-token_auth", classes="field-error")
                    with Vertical(id="url-box"):
                        for f in ADV_TEXT_FIELDS:
                            value = init.get(f)
                            yield from self._text_field(f, ", ".join(value) if isinstance(value, list) else (value or ""))
                    yield Static("Machine to Machine apps have no login, callback, logout or origin URLs.", id="m2m-note",
                                 classes="hint hidden")
                yield Static("", id="preview")
            yield Static("", id="banner", classes="banner-error hidden")
            with Horizontal(classes="buttons"):
                yield Button("Reload + re-apply", id="reapply", classes="hidden")
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def _text_field(self, field: str, value: str) -> ComposeResult:
        label = FIELD_LABELS[field] + (" *" if field in ("name", "app_url") else "")
        if field in ADV_TEXT_FIELDS[1:]:
            label += "  (comma-separated)"
        yield Label(label, classes="field-label")
        yield Input(value=safe(value), placeholder=PLACEHOLDERS.get(field, ""), id=field)
        yield Static("", id=f"error-{field}", classes="field-error")
        if field == "thumbnail_url":  # the logo, its real size, and a warning off 150x150 (issue 14)
            from tui.logos.preview import ThumbnailPreview

            shown = self.editing or self.duplicate_of
            yield ThumbnailPreview(value, shown.name if shown is not None else "", id="thumbnail-preview")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self._sync_visibility()
        if self.duplicate_of is not None:  # the source's settings, for reference: only the name is typed
            for widget in self.query("#form-body Input, #form-body Select, #form-body SelectionList, #form-body Switch"):
                if widget.id != "name":
                    widget.disabled = True
        self._base_values = self.values()
        self._initial_draft = self.draft()
        self._loaded = True
        self.validate_live()

    # -- reading the form ----------------------------------------------------------------------------

    def _shown_token_auth(self, app_type: AppType) -> str:
        """The method the token field shows: the one a Regular Web App chose, else the type's fixed method."""
        return self._rwa_token_auth if policy.token_auth_choosable(app_type) else policy.effective_token_auth(app_type, None)

    def values(self) -> dict[str, Any]:
        """Every widget's value, shown or hidden (what a conflict's re-apply compares field by field): the text
        fields as typed, the groups ticked (in the list's order), the Regular Web App's token method."""
        data: dict[str, Any] = {f: self.query_one(f"#{f}", Input).value for f in (*TEXT_FIELDS, *ADV_TEXT_FIELDS)}
        ticked = set(self.query_one("#groups", SelectionList).selected)
        data.update(sharing=self.query_one("#sharing", Select).value, groups=[g for g in self._group_ids() if g in ticked],
                    advanced=self.query_one("#advanced", Switch).value, app_type=self.query_one("#app_type", Select).value,
                    token_auth=self._rwa_token_auth)
        return data

    def _group_ids(self) -> list[str]:
        groups = self.query_one("#groups", SelectionList)
        return [str(groups.get_option_at_index(i).value) for i in range(groups.option_count)]

    def record_values(self, app: AppRecord) -> dict[str, Any]:
        """What the widgets would hold for a stored app (as `values` reads them)."""
        data: dict[str, Any] = {}
        for f in (*TEXT_FIELDS, *ADV_TEXT_FIELDS):
            value = getattr(app, f)
            data[f] = safe(", ".join(value) if isinstance(value, list) else (value or ""))
        data.update(sharing=app.sharing, groups=[g for g in self._group_ids() if g in app.groups], advanced=bool(app.advanced),
                    app_type=app.app_type or DEFAULT_APP_TYPE,
                    token_auth=(app.token_auth if app.kind == RWA else None) or DEFAULT_RWA_TOKEN_AUTH)
        return data

    def _set_values(self, values: dict[str, Any]) -> None:
        for f in (*TEXT_FIELDS, *ADV_TEXT_FIELDS):
            self.query_one(f"#{f}", Input).value = values[f]
        self.query_one("#sharing", Select).value = values["sharing"]
        self.query_one("#advanced", Switch).value = values["advanced"]
        self.query_one("#app_type", Select).value = values["app_type"]
        self._rwa_token_auth = values["token_auth"]
        groups = self.query_one("#groups", SelectionList)
        groups.deselect_all()
        for g in values["groups"]:
            groups.select(g)
        self._sync_visibility()

    def draft(self) -> dict[str, Any]:
        """What the form would save, as plain data for the controller."""
        return self.draft_of(self.values())

    @staticmethod
    def draft_of(v: dict[str, Any]) -> dict[str, Any]:
        """The data saved for these widget values. The URL fields go as typed even when the type hides them
        (Machine to Machine): the save asks before clearing them, it never drops them silently."""
        sharing = v["sharing"]
        data: dict[str, Any] = {
            "name": v["name"],
            "description": v["description"],
            "app_url": v["app_url"],
            "thumbnail_url": v["thumbnail_url"].strip() or None,
            "sharing": sharing,
            "groups": list(v["groups"]) if sharing == GROUPS_SHARING else [],
            "advanced": v["advanced"],
        }
        if v["advanced"]:
            app_type = v["app_type"]
            data["app_type"] = app_type
            if policy.token_auth_choosable(app_type):
                data["token_auth"] = v["token_auth"]
            data["login_url"] = v["login_url"].strip() or None
            for f in LIST_FIELDS:
                data[f] = v[f]
        return data

    def dirty(self) -> bool:
        return self._loaded and self.draft() != self._initial_draft

    # -- live feedback -------------------------------------------------------------------------------

    def _sync_visibility(self) -> None:
        advanced = self.query_one("#advanced", Switch).value
        app_type: AppType = self.query_one("#app_type", Select).value  # type: ignore[assignment]
        urls_allowed = policy.has_urls(app_type)
        choosable = policy.token_auth_choosable(app_type)
        self.query_one("#advanced-box").set_class(not advanced, "hidden")
        self.query_one("#groups").set_class(self.query_one("#sharing", Select).value != GROUPS_SHARING, "hidden")
        self.query_one("#url-box").set_class(not urls_allowed, "hidden")
        self.query_one("#m2m-note").set_class(urls_allowed, "hidden")
        self.query_one("#rwa-warning").set_class(app_type != RWA, "hidden")
        token = self.query_one("#token_auth", Select)
        token.disabled = not choosable
        shown = self._shown_token_auth(app_type)
        if token.value != shown:
            token.value = shown

    def validate_live(self) -> None:
        """Ask the controller which rules the draft breaks; show them on fields the user has touched."""
        ctl = self.deck.controller
        data = self.draft()
        # URLs a Machine to Machine draft holds are cleared on save, after a question: not errors to show now.
        problems = ctl.draft_problems({**data, **policy.cleared_urls()} if ctl.m2m_clearing(data) else data)
        by_field: dict[str, list[str]] = {}
        for p in problems:
            by_field.setdefault(p.field, []).append(p.message)
        for f in ERROR_FIELDS:
            box = self.query_one(f"#error-{f}", Static)
            shown = by_field.get(f, []) if (f in self.touched or self.tried_save) else []
            shown = list(dict.fromkeys([*shown, *self._save_errors.get(f, [])]))  # every message, each once
            box.update(Content("\n".join(safe(m) for m in shown)))
            box.set_class(bool(shown), "shown")
            if f in (*TEXT_FIELDS, *ADV_TEXT_FIELDS):
                self.query_one(f"#{f}", Input).set_class(bool(shown), "-invalid")
        eff = ctl.preview_effective(data)
        if not policy.has_urls(policy.effective_type(data)):
            self.query_one("#preview", Static).update(Content("Effective URLs: none (Machine to Machine)."))
            return
        parts: list[str | tuple[str, str]] = [("Effective URLs (what the app will allow)", "bold"), "\n"]
        for key, label in (("login_url", "login"), ("callback_urls", "callbacks"), ("logout_urls", "logout"),
                           ("web_origins", "web origins"), ("cors_origins", "CORS")):
            value = eff[key]  # type: ignore[literal-required]
            text = ", ".join(v or "" for v in value) if isinstance(value, list) else (value or "")
            parts += [f"  {label:<12}", safe(text) or "—", ("  derived" if eff["derived"][key] else "", "italic"), "\n"]
        self.query_one("#preview", Static).update(Content.assemble(*parts[:-1]))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "thumbnail_url":
            from tui.logos.preview import ThumbnailPreview

            self.query_one("#thumbnail-preview", ThumbnailPreview).set_url(event.value, self.query_one("#name", Input).value)
        if self._loaded and event.input.id:
            self.touched.add(event.input.id)
            self._save_errors.pop(event.input.id, None)
            self.validate_live()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "token_auth" and not event.select.disabled:
            self._rwa_token_auth = str(event.value)  # the Regular Web App's choice, shown again if it comes back
        if self._loaded:
            if event.select.id == "sharing":
                self._save_errors.pop("groups", None)
            self._save_errors.pop(str(event.select.id), None)
            self._sync_visibility()
            self.validate_live()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        if self._loaded:
            self._sync_visibility()
            self.validate_live()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        if self._loaded:
            self.touched.add("groups")
            self._save_errors.pop("groups", None)
            self.validate_live()

    # -- save / cancel -------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Save; a Machine to Machine draft that still holds URLs first asks whether to clear them, naming them."""
        data = self.draft()
        if self.duplicate_of is not None:  # a stored app's settings: nothing to clear
            self._save(data, clear_urls=False)
            return
        clearing = self.deck.controller.m2m_clearing(data)
        if not clearing:
            self._save(data, clear_urls=False)
            return
        from tui.screens.confirm import ConfirmScreen

        def answered(clear: bool | None) -> None:
            if clear:
                self._save(data, clear_urls=True)

        self.app.push_screen(ConfirmScreen(
            "Clear the URLs?",
            "Machine to Machine apps have no login, callback, logout or origin URLs. Saving clears "
            + policy.describe_clearing(clearing) + ".",
            confirm_label="Clear and save"), answered)

    def input_text(self) -> str:
        """What the form holds, one `Label: value` line per field (ctrl+o copies it; a form has no secret)."""
        lines = []
        for key, value in self.draft().items():
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            lines.append(f"{LABELS.get(key, key)}: {'' if value is None else value}")
        return "\n".join(lines)

    def _save(self, data: dict[str, Any], *, clear_urls: bool) -> None:
        """Send the draft in a worker (the lock wait and the write never hold up a key); the answer comes to
        `_saved` or `_save_failed` on the UI thread."""
        ctl = self.deck.controller
        source, editing = self.duplicate_of, self.editing

        def act() -> Saved:
            if source is not None:
                return ctl.duplicate_app(source.id, data["name"])
            if editing is None:
                return ctl.create_app(data, clear_urls=clear_urls)
            try:
                return ctl.update_app(editing.id, data, expected_version=editing.version, clear_urls=clear_urls)
            except ConflictError as exc:  # read their version now, in this thread: ctrl+r re-applies onto it
                try:
                    theirs: AppRecord | None = ctl.get_app(editing.id)
                except AppdeckError:
                    theirs = None
                raise Conflict(exc, theirs) from None

        self.run_change(act, self._saved, what="Saving", failed=self._save_failed)

    def _saved(self, saved: Saved) -> None:
        if self.is_current:
            self.dismiss(saved)
        else:  # a help screen (?) or a question is on top: close once the user is back here
            self._pending = saved

    def on_screen_resume(self) -> None:
        if self._pending is not None:
            saved, self._pending = self._pending, None
            self.dismiss(saved)

    def _banner(self, text: str, *, kind: str = "error") -> None:
        banner = self.query_one("#banner", Static)
        banner.update(Content(text))
        banner.set_class(not text, "hidden")
        banner.set_class(kind in ("error", "store"), "banner-error")
        banner.set_class(kind == "warning", "banner-warning")
        banner.set_class(kind == "store", "store-problem")

    def _save_failed(self, exc: AppdeckError) -> None:
        """The save was refused: the input stays; the errors go under their fields, a conflict offers ctrl+r, a bad
        store or anything else is said in the banner above the buttons (it covers no field)."""
        self._offer_reapply(None)
        if isinstance(exc, ValidationError):
            self.tried_save = True
            self._save_errors = {}
            for e in exc.errors:
                self._save_errors.setdefault(e.field, []).append(safe(e.message))
            self.validate_live()
            fields = list(dict.fromkeys(LABELS.get(e.field, e.field) for e in exc.errors if e.field in ERROR_FIELDS))
            elsewhere = [safe(e.message) for e in exc.errors if e.field not in ERROR_FIELDS]
            n = exc.total
            text = f"Not saved: {n:,} problem{'s' if n != 1 else ''}"
            text += (" (under " + ", ".join(fields) + ")." if fields else ".") + "".join(" " + m for m in elsewhere)
            self._banner(text)
            self._show_error_box()  # once the banner has its lines (the scroll area is shorter by them)
        elif isinstance(exc, Conflict):
            self._offer_reapply(exc.theirs)
            self._banner(self._conflict_text(exc))
            who = safe(exc.theirs.updated_by or "someone") if exc.theirs is not None else "someone"
            self.deck.notify(f"Not saved: {who} saved it meanwhile. The form says more.", title="Conflict",
                             severity="error", markup=False, timeout=4)
        elif isinstance(exc, StoreUnavailable):  # the app's notice says what is wrong with the store
            self._banner(safe(exc.message), kind="store")
        elif isinstance(exc, WaitCancelled):
            self._banner(safe(exc.message) + " Your input is kept.")
        else:
            self._banner(safe(readable_times(exc.message)) + " Your input is kept.")
            notify_error(self.deck, exc)

    def _show_error_box(self) -> None:
        """Scroll the errors of the focused field into view (else the first field's with errors): at 80x24 a message
        under the last visible field would be cut by the edge of the scroll area."""
        focused = self.focused.id if self.focused is not None else None
        boxes = [f for f in ERROR_FIELDS if self.query_one(f"#error-{f}").has_class("shown")]
        if boxes:
            field = focused if focused in boxes else boxes[0]
            self.query_one(FormBody).reveal(self.query_one(f"#error-{field}"))

    def _conflict_text(self, exc: Conflict) -> str:
        theirs = exc.theirs
        if theirs is None:
            return "Conflict: " + safe(readable_times(exc.message)) + " Your input is kept; ctrl+o copies it."
        who = safe(theirs.updated_by or "someone")
        return (f"Conflict: “{safe(theirs.name)}” changed since you opened it: {who} saved version {theirs.version} at "
                f"{short_time(theirs.updated_at)}. Not saved. ctrl+r loads theirs and re-applies your changes.")

    def _offer_reapply(self, theirs: AppRecord | None) -> None:
        self._theirs = theirs
        self.query_one("#reapply", Button).set_class(theirs is None, "hidden")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reapply":
            return self._theirs is not None
        return True

    def action_reapply(self) -> None:
        """After a conflict: their version in the form, with the user's edits re-applied field by field (a field
        the user changed keeps the user's value, the others take theirs); the fields both changed are named. The
        next save expects their version."""
        theirs = self._theirs
        if theirs is None or self.changing:
            return
        base, mine, their_values = self._base_values, self.values(), self.record_values(theirs)
        merged, both = policy.reapply(base, mine, their_values)
        self.editing = theirs
        self._base_values = their_values
        self._initial_draft = self.draft_of(their_values)
        self._save_errors = {}
        self._set_values(merged)
        self._offer_reapply(None)
        self.validate_live()
        who = safe(theirs.updated_by or "someone")
        loaded = f"Loaded {who}'s version {theirs.version} ({short_time(theirs.updated_at)}) and re-applied your changes."
        if both:
            names = ", ".join(LABELS.get(f, f) for f in both)
            kept = "yours are kept; check them" if len(both) > 1 else "yours is kept; check it"
            self._banner(f"{loaded} Both you and {who} changed: {names} — {kept} before saving.", kind="warning")
        else:
            self._banner(f"{loaded} No field was changed by both of you; ctrl+s saves.", kind="warning")

    def store_back(self) -> None:
        """The store is good again (the app says so): a "Not saved" that only the store's state caused goes."""
        if self.query_one("#banner", Static).has_class("store-problem"):
            self._banner("")

    def action_cancel(self) -> None:
        self.leave_asking("Discard your changes to this application?", "Discard", lambda: self.dismiss(None))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "cancel":
            self.action_cancel()
        elif event.button.id == "reapply":
            self.action_reapply()
