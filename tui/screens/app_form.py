"""One form for creating and editing a built application, with live errors and a preview of the effective URLs."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, SelectionList, Static, Switch

from store import policy
from store.controller import Saved
from store.errors import AppdeckError, ConflictError, ValidationError
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
from tui.screens.common import DeckMixin, notify_error

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


class AppFormScreen(DeckMixin, ModalScreen[Saved | None]):
    """Create (app is None) or edit a built application; ctrl+s saves, escape cancels.

    With `duplicate_of` (and app None) the form duplicates that app (spec section 10): it shows every setting of
    the source, read-only, and an empty name; saving asks the controller to duplicate the source under that name
    (new id, client ID and secret, owned by the acting user; groups they may not use dropped by the controller).
    The settings cannot be changed here, so the form never promises a change the duplicate would not make: the
    copy is edited afterwards like any app (e)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Save the application", id="form.save", priority=True),
        Binding("escape", "cancel", "Cancel", tooltip="Close (asks when there are unsaved changes)", id="form.cancel"),
    ]

    def __init__(self, app: AppRecord | None, *, duplicate_of: AppRecord | None = None) -> None:
        super().__init__()
        self.editing = app
        self.duplicate_of = duplicate_of if app is None else None
        self.touched: set[str] = set()
        self.tried_save = False
        self._loaded = False
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
            yield Static("", id="banner", classes="banner-error hidden")
            with VerticalScroll(id="form-body"):
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
            with Horizontal(classes="buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def _text_field(self, field: str, value: str) -> ComposeResult:
        label = FIELD_LABELS[field] + (" *" if field in ("name", "app_url") else "")
        if field in ADV_TEXT_FIELDS[1:]:
            label += "  (comma-separated)"
        yield Label(label, classes="field-label")
        yield Input(value=safe(value), placeholder=PLACEHOLDERS.get(field, ""), id=field)
        yield Static("", id=f"error-{field}", classes="field-error")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self._sync_visibility()
        if self.duplicate_of is not None:  # the source's settings, for reference: only the name is typed
            for widget in self.query("#form-body Input, #form-body Select, #form-body SelectionList, #form-body Switch"):
                if widget.id != "name":
                    widget.disabled = True
        self._initial_draft = self.draft()
        self._loaded = True
        self.validate_live()

    # -- reading the form ----------------------------------------------------------------------------

    def _shown_token_auth(self, app_type: AppType) -> str:
        """The method the token field shows: the one a Regular Web App chose, else the type's fixed method."""
        return self._rwa_token_auth if policy.token_auth_choosable(app_type) else policy.effective_token_auth(app_type, None)

    def draft(self) -> dict[str, Any]:
        """What the form would save, as plain data for the controller. The URL fields go as typed even when the
        type hides them (Machine to Machine): the save asks before clearing them, it never drops them silently."""
        def val(field_id: str) -> str:
            return self.query_one(f"#{field_id}", Input).value

        advanced = self.query_one("#advanced", Switch).value
        sharing = self.query_one("#sharing", Select).value
        data: dict[str, Any] = {
            "name": val("name"),
            "description": val("description"),
            "app_url": val("app_url"),
            "thumbnail_url": val("thumbnail_url").strip() or None,
            "sharing": sharing,
            "groups": list(self.query_one("#groups", SelectionList).selected) if sharing == GROUPS_SHARING else [],
            "advanced": advanced,
        }
        if advanced:
            app_type = self.query_one("#app_type", Select).value
            data["app_type"] = app_type
            if policy.token_auth_choosable(app_type):  # type: ignore[arg-type]  # a Select of APP_TYPES
                data["token_auth"] = self.query_one("#token_auth", Select).value
            data["login_url"] = val("login_url").strip() or None
            for f in LIST_FIELDS:
                data[f] = val(f)
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
        for f in (*TEXT_FIELDS, *ADV_TEXT_FIELDS, "groups", "token_auth"):
            box = self.query_one(f"#error-{f}", Static)
            shown = by_field.get(f, []) if (f in self.touched or self.tried_save) else []
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
        if self._loaded and event.input.id:
            self.touched.add(event.input.id)
            self.validate_live()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "token_auth" and not event.select.disabled:
            self._rwa_token_auth = str(event.value)  # the Regular Web App's choice, shown again if it comes back
        if self._loaded:
            self._sync_visibility()
            self.validate_live()

    def on_switch_changed(self, event: Switch.Changed) -> None:
        if self._loaded:
            self._sync_visibility()
            self.validate_live()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        if self._loaded:
            self.touched.add("groups")
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
        labels = {**FIELD_LABELS, "sharing": "Sharing", "groups": "Groups", "advanced": "Advanced settings",
                  "app_type": "Application type", "token_auth": "Token endpoint authentication method"}
        lines = []
        for key, value in self.draft().items():
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            lines.append(f"{labels.get(key, key)}: {'' if value is None else value}")
        return "\n".join(lines)

    def _save(self, data: dict[str, Any], *, clear_urls: bool) -> None:
        ctl = self.deck.controller
        banner = self.query_one("#banner", Static)
        problem = self.deck.check_store()
        if problem is not None:  # nothing is sent to a store that is gone, broken or without this user
            banner.update(Content("Not saved: " + problem.headline + " Your input is kept; ctrl+o copies it."))
            banner.remove_class("hidden")
            banner.add_class("store-problem")
            return
        banner.remove_class("store-problem")
        try:
            if self.duplicate_of is not None:
                saved = ctl.duplicate_app(self.duplicate_of.id, data["name"])
            elif self.editing is None:
                saved = ctl.create_app(data, clear_urls=clear_urls)
            else:
                saved = ctl.update_app(self.editing.id, data, expected_version=self.editing.version, clear_urls=clear_urls)
        except ValidationError as exc:
            self.tried_save = True
            self.validate_live()
            for e in exc.errors:  # errors the live check did not place (e.g. a group deleted meanwhile)
                box = self.query(f"#error-{e.field}")
                if box:
                    box.first(Static).update(Content(safe(e.message)))
                    box.first(Static).add_class("shown")
            banner.update(Content(f"Not saved: {len(exc.errors)} problem(s). " + safe(exc.errors[0].message)))
            banner.remove_class("hidden")
            return
        except ConflictError as exc:
            banner.update(Content("Conflict: " + safe(exc.message) + " Your input is kept; escape discards it."))
            banner.remove_class("hidden")
            notify_error(self.deck, exc)
            return
        except AppdeckError as exc:
            banner.update(Content(safe(exc.message)))
            banner.remove_class("hidden")
            notify_error(self.deck, exc)
            return
        self.dismiss(saved)

    def store_back(self) -> None:
        """The store is good again (the app says so): a "Not saved" that only the store's state caused goes."""
        banner = self.query_one("#banner", Static)
        if banner.has_class("store-problem"):
            banner.add_class("hidden")
            banner.remove_class("store-problem")

    def action_cancel(self) -> None:
        if not self.dirty():
            self.dismiss(None)
            return
        from tui.screens.confirm import ConfirmScreen

        def done(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Unsaved changes", "Discard your changes to this application?", confirm_label="Discard"), done)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "cancel":
            self.action_cancel()
