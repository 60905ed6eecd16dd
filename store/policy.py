"""Who may do what, and what each view shows (spec sections 1-3, 5, 6): pure functions over stored records.

The controller asks these for every front end; a screen or a CLI command asks the controller (`capabilities`,
`views`, `settings_tabs`, ...) and shows the answer. Nothing here reads a file, and nothing here takes a user's
input: records come from the store, the acting user from the controller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypedDict

from store import urls
from store.vocabulary import (
    ADMIN,
    DEFAULT_APP_TYPE,
    DEFAULT_RWA_TOKEN_AUTH,
    ENV_PREFIX,
    FIELD_LABELS,
    FIXED_TOKEN_AUTH,
    GROUPS_SHARING,
    LIST_FIELDS,
    M2M,
    ORGANIZATION_SHARING,
    OWNER_ACTIONS,
    OWNER_ROLES,
    SETTINGS_TABS,
    TRASH_DAYS,
    URL_FIELDS,
    VIEWS,
    AppAction,
    AppType,
    EnvFormat,
    ListField,
    SettingsTab,
    TokenAuth,
    UrlField,
    View,
)

Rec = Mapping[str, Any]
NO_ACTIONS: frozenset[AppAction] = frozenset()
_OWNER: frozenset[AppAction] = frozenset(OWNER_ACTIONS)
_CREATOR: frozenset[AppAction] = frozenset({"duplicate"})


# -- roles (section 1) -----------------------------------------------------------------------------------------


def may_create_apps(role: str) -> bool:
    """Editors and admins create (and so own) built applications; viewers own nothing."""
    return role in OWNER_ROLES


def may_administer(role: str) -> bool:
    """Admins manage users, groups, registered applications and the organization."""
    return role == ADMIN


def may_inherit(role: str | None) -> bool:
    """An inheritor of someone's apps is an admin or an editor (someone who may own apps)."""
    return role is not None and may_create_apps(role)


def needs_inheritor(new_role: str | None, owned: int) -> bool:
    """Demoting to a role that owns nothing, or removing (new_role None), while owning apps needs an inheritor."""
    return owned > 0 and (new_role is None or not may_create_apps(new_role))


def keeps_an_admin(users: list[Rec], login: str, new_role: str | None) -> bool:
    """After `login` gets `new_role` (None: removed), is there still an admin?"""
    return any(
        (new_role if u.get("login") == login else u.get("role")) == ADMIN
        for u in users
        if not (u.get("login") == login and new_role is None)
    )


def settings_tabs(role: str) -> tuple[SettingsTab, ...]:
    """The Settings tabs a role has: admins all three, everyone else none (no Settings at all)."""
    return SETTINGS_TABS if may_administer(role) else ()


class GroupRemoval(TypedDict):
    """What deleting a group does to the records shared with it: built apps (in the trash too) and registered apps
    that become private (it was their only group), and those that stay shared with their other groups."""

    apps_private: int
    apps_narrowed: int
    registered_private: int
    registered_narrowed: int


def group_removal(apps: Sequence[Rec], registered: Sequence[Rec], group_id: str) -> GroupRemoval:
    """Count what `remove_group` will change (the same rule: a groups-shared record left with no group goes private)."""
    def split(recs: Sequence[Rec]) -> tuple[int, int]:
        private = narrowed = 0
        for r in recs:
            groups = list(r.get("groups") or [])
            if group_id not in groups:
                continue
            if r.get("sharing") == GROUPS_SHARING and not [g for g in groups if g != group_id]:
                private += 1
            else:
                narrowed += 1
        return private, narrowed

    ap, an = split(apps)
    rp, rn = split(registered)
    return GroupRemoval(apps_private=ap, apps_narrowed=an, registered_private=rp, registered_narrowed=rn)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _apps_phrase(apps: int, registered: int) -> str:
    parts = ([_count(apps, "app")] if apps else []) + ([_count(registered, "registered app")] if registered else [])
    return " and ".join(parts)


def describe_group_removal(name: str, removal: GroupRemoval) -> str:
    """The question before deleting a group, naming it and counting what changes:
    'Delete the group mobile? 3 apps are shared only with it; they become private.'"""
    private = removal["apps_private"] + removal["registered_private"]
    narrowed = removal["apps_narrowed"] + removal["registered_narrowed"]
    text = f"Delete the group {name}?"
    if not private and not narrowed:
        return text + " No app is shared with it."
    if private:
        text += (f" {_apps_phrase(removal['apps_private'], removal['registered_private'])} "
                 f"{'is' if private == 1 else 'are'} shared only with it; {'it becomes' if private == 1 else 'they become'} private.")
    if narrowed:
        text += (f" {_apps_phrase(removal['apps_narrowed'], removal['registered_narrowed'])} "
                 f"{'is' if narrowed == 1 else 'are'} also shared with other groups and stay{'s' if narrowed == 1 else ''}"
                 " shared with those.")
    return text


def describe_user_removal(login: str, owned: int) -> str:
    """The question before removing a member: 'Remove dev-lee? 5 apps go to the inheritor you pick.'"""
    if not owned:
        return f"Remove {login}? They own no apps."
    return f"Remove {login}? {_count(owned, 'app')} {'goes' if owned == 1 else 'go'} to the inheritor you pick."


# -- views (section 5) -----------------------------------------------------------------------------------------


def views(role: str) -> tuple[View, ...]:
    """The views a role has, the first one opening: a viewer has no Developers view."""
    return VIEWS if may_create_apps(role) else tuple(v for v in VIEWS if v != "developers")


def app_visibility(view: View, role: str, me: str, my_groups: set[str]) -> Callable[[Rec], bool]:
    """Spec section 5 as a test of one stored app: the owner always; private never; organization and groups by view
    and role. One closure per listing, so a list of 100,000 apps pays one small call per record."""
    shared = view in views(role)

    def visible(rec: Rec) -> bool:
        if rec.get("owner") == me:
            return True
        if not shared:
            return False
        sharing = rec.get("sharing")
        if sharing == ORGANIZATION_SHARING:
            return True
        return sharing == GROUPS_SHARING and not my_groups.isdisjoint(rec.get("groups", ()))

    return visible


def registered_visibility(role: str, my_groups: set[str]) -> Callable[[Rec], bool]:
    """Registered apps in the Applications view (section 6): the same three modes; admins, who manage them, also
    see the private ones."""
    admin = may_administer(role)

    def visible(rec: Rec) -> bool:
        sharing = rec.get("sharing")
        if sharing == ORGANIZATION_SHARING:
            return True
        if sharing == GROUPS_SHARING:
            return not my_groups.isdisjoint(rec.get("groups", ()))
        return admin

    return visible


def audit_visibility(role: str, my_id: str, owned_app_ids: set[str]) -> Callable[[Rec], bool]:
    """Section 8: admins see the whole trail; anyone else the entries about apps they own (now, or when the entry
    was written), matched by user id, so a login removed and added again is a new person with no past."""
    if may_administer(role):
        return lambda entry: True

    def visible(entry: Rec) -> bool:
        if entry.get("object_type") != "app":
            return False
        return entry.get("object_id") in owned_app_ids or audit_owner_id(entry) == my_id

    return visible


def user_id(user: Rec) -> str:
    """A user's identity for the audit trail: the id given when they were added (a store written before ids
    existed: their login, marked as such, which no id a new user gets can equal)."""
    return str(user.get("id") or f"login:{user.get('login', '')}")


def audit_owner_id(entry: Rec) -> str | None:
    """The id of the app's owner an entry was written for (older entries: the login, as `user_id` reads it)."""
    if entry.get("app_owner_id"):
        return str(entry["app_owner_id"])
    owner = entry.get("app_owner")
    return f"login:{owner}" if owner else None


def sees_all_counts(role: str) -> bool:
    """The user list shows admins how many apps each user owns; anyone else only counts of apps they can see."""
    return may_administer(role)


# -- actions on one app (section 2) ----------------------------------------------------------------------------


def app_actions(app: Rec | Any, me: str, role: str, *, readonly: bool) -> frozenset[AppAction]:
    """What the acting user may do to an app they see in the Developers view: only its owner acts on it (admins are
    no exception), never in a read-only session, and never a viewer (who owns nothing). Anyone who may create apps
    may duplicate one they see (spec section 10). An enabled app can be disabled, a disabled one enabled."""
    if readonly or not may_create_apps(role):
        return NO_ACTIONS
    owner = app.get("owner") if isinstance(app, Mapping) else app.owner
    if owner != me:
        return _CREATOR
    enabled = (app.get("enabled", True) if isinstance(app, Mapping) else app.enabled) is not False
    return _OWNER - {"enable" if enabled else "disable"} | _CREATOR


# What each action does, as the end of "you cannot ..." or "only its owner can ..."; {app} is the app's quoted name.
ACTION_WORDS: dict[AppAction, str] = {
    "edit": "edit {app}",
    "share": "share {app}",
    "delete": "delete {app}",
    "rotate_secret": "rotate the secret of {app}",
    "reveal_secret": "reveal the secret of {app}",
    "disable": "disable {app}",
    "enable": "enable {app}",
    "transfer": "transfer {app}",
    "env": "print the credentials of {app}",
    "duplicate": "duplicate {app}",
}


def refusal(action: AppAction, name: str, owner: str, *, readonly: bool, role: str, me: str = "") -> str:
    """Why the acting user may not take `action` on an app they can see, in one sentence that names the app:
    'Only root (the owner) can reveal the secret of "Customer Portal".'"""
    what = ACTION_WORDS[action].format(app=f'"{name}"')
    if readonly:
        return f"appdeck is read-only in this session, so you cannot {what}."
    if not may_create_apps(role):
        return f"Viewers cannot own built applications, so you cannot {what}."
    if owner == me and action in ("disable", "enable"):
        return f'"{name}" is already {action}d.'
    return f"Only {owner} (the owner) can {what}."


def refusal_brief(owner: str, *, readonly: bool, role: str) -> str:
    """Why an app's owner-only action (reveal, copy its secret...) is not offered, in a few words for beside the
    masked value: "read-only session", "viewers own no apps", "owner only: dev-lee"."""
    if readonly:
        return "read-only session"
    if not may_create_apps(role):
        return "viewers own no apps"
    return f"owner only: {owner}"


# -- the trash (section 10) --------------------------------------------------------------------------------------


def purge_at(trashed_at: str) -> datetime:
    """When a trashed app is purged: 30 days after it was deleted."""
    return datetime.fromisoformat(trashed_at) + timedelta(days=TRASH_DAYS)


def purge_due(trashed_at: str, now: datetime) -> bool:
    """True once a trashed app's 30 days are over (the next write purges it)."""
    return now >= purge_at(trashed_at)


# -- effective values (section 3) ------------------------------------------------------------------------------


class EffectiveUrls(TypedDict):
    """What an app really allows, with a flag per value saying whether it was derived."""

    login_url: str | None
    callback_urls: list[str]
    logout_urls: list[str]
    web_origins: list[str]
    cors_origins: list[str]
    derived: dict[str, bool]


def _getter(app: Rec | Any) -> Callable[..., Any]:
    if isinstance(app, Mapping):
        return app.get
    return lambda k, d=None: getattr(app, k, d)


def kind_of(advanced: object, app_type: AppType) -> AppType:
    """The effective type from the two stored fields: advanced settings off means a Single Page Application."""
    return app_type if advanced else DEFAULT_APP_TYPE


def effective_type(app: Rec | Any) -> AppType:
    """Advanced settings off means a Single Page Application; on, the type chosen."""
    get = _getter(app)
    return kind_of(get("advanced", False), get("app_type", DEFAULT_APP_TYPE))


def effective_token_auth(app_type: AppType, token_auth: str | None) -> TokenAuth:
    """The method the app really uses: spa none, m2m client_secret_post, rwa as set (default post)."""
    fixed = FIXED_TOKEN_AUTH.get(app_type)
    if fixed is not None:
        return fixed
    return token_auth or DEFAULT_RWA_TOKEN_AUTH  # type: ignore[return-value]


def token_auth_choosable(app_type: AppType) -> bool:
    """Only a Regular Web Application chooses its token endpoint method."""
    return app_type not in FIXED_TOKEN_AUTH


def has_urls(app_type: AppType) -> bool:
    """Machine to Machine apps have no login, callback, logout or origin URLs."""
    return app_type != M2M


def effective_urls(app: Rec | Any) -> EffectiveUrls:
    """What the app really allows (spec section 3): login = login URL, else app URL; callbacks = the list, else
    [login]; logout = the list, else [login]; web origins and CORS = the list, else the callbacks' origins."""
    get = _getter(app)
    advanced = bool(get("advanced", False))
    if not has_urls(effective_type(app)):
        return EffectiveUrls(login_url=None, callback_urls=[], logout_urls=[], web_origins=[], cors_origins=[],
                             derived={f: False for f in URL_FIELDS})

    def own(field: str) -> Any:
        return get(field) if advanced else None

    login = own("login_url") or get("app_url")
    callbacks = list(own("callback_urls") or []) or [login]
    logout = list(own("logout_urls") or []) or [login]
    derived_origins = list(dict.fromkeys(o for o in (urls.origin_of(c) for c in callbacks if c) if o))
    return EffectiveUrls(
        login_url=login,
        callback_urls=callbacks,
        logout_urls=logout,
        web_origins=list(own("web_origins") or []) or derived_origins,
        cors_origins=list(own("cors_origins") or []) or derived_origins,
        derived={f: not own(f) for f in URL_FIELDS},
    )


def urls_an_m2m_app_cannot_hold(values: Rec) -> list[UrlField]:
    """The URL fields that are set in `values` (a record or a draft): what switching it to M2M would have to
    clear, or what an M2M save that sets them breaks."""
    return [f for f in URL_FIELDS if values.get(f)]


def m2m_clearing(values: Rec) -> dict[UrlField, int]:
    """Per URL field set in `values`, how many entries switching to M2M clears (a login URL counts one)."""
    out: dict[UrlField, int] = {}
    for f in urls_an_m2m_app_cannot_hold(values):
        v = values.get(f)
        out[f] = len(v) if isinstance(v, list) else 1
    return out


def describe_clearing(clearing: Mapping[UrlField, int]) -> str:
    """'Allowed callback URLs (2 entries), Application login URL (1 entry)'."""
    return ", ".join(f"{FIELD_LABELS[f]} ({n} entr{'y' if n == 1 else 'ies'})" for f, n in clearing.items())


def cleared_urls() -> dict[str, Any]:
    """The changes that clear every URL field (`--clear-urls`, the TUI's confirmed switch to M2M)."""
    return {"login_url": None, **{f: [] for f in LIST_FIELDS}}


def list_field_of(field: str) -> ListField | None:
    """The URL list kind named `field`, or None."""
    return next((f for f in LIST_FIELDS if f == field), None)


# -- credentials for the app's code (section 10) -----------------------------------------------------------------


def app_env(app: Rec) -> dict[str, str]:
    """The variables of an app's `.env` snippet: credentials, type, token method and the effective URLs (lists
    comma-separated, the first callback the default). The secret only for a type that uses one (a Single Page
    Application's token method is none: its code never holds a secret); Machine to Machine apps have no URLs."""
    kind = effective_type(app)
    method = effective_token_auth(kind, app.get("token_auth"))
    out = {"CLIENT_ID": str(app.get("client_id", ""))}
    if method != "none":
        out["CLIENT_SECRET"] = str(app.get("client_secret", ""))
    out.update(APP_URL=str(app.get("app_url", "")), APP_TYPE=kind, TOKEN_ENDPOINT_AUTH_METHOD=method)
    if has_urls(kind):
        eff = effective_urls(app)
        out.update(
            LOGIN_URL=eff["login_url"] or "",
            CALLBACK_URLS=",".join(eff["callback_urls"]),
            LOGOUT_URLS=",".join(eff["logout_urls"]),
            WEB_ORIGINS=",".join(eff["web_origins"]),
            CORS_ORIGINS=",".join(eff["cors_origins"]),
        )
    return {ENV_PREFIX + k: v for k, v in out.items()}


def env_text(variables: Mapping[str, str], fmt: EnvFormat) -> str:
    """The snippet as a `.env` file (every value double-quoted, backslash and quote escaped) or one JSON object."""
    if fmt == "json":
        import json

        return json.dumps(dict(variables), indent=2) + "\n"
    quoted = {k: '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for k, v in variables.items()}
    return "".join(f"{k}={v}\n" for k, v in quoted.items())


# -- audit values (section 10) -----------------------------------------------------------------------------------


def describe_changes(changes: Mapping[str, Any], *, width: int = 40) -> str:
    """An entry's changes compactly: `name: "Life" -> "Life renamed"; client_secret: rotated` (each value cut to
    `width` characters; `audit --json` has them whole)."""
    import json

    def show(value: Any) -> str:
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= width else text[: width - 1] + "…"

    parts = []
    for field, change in changes.items():
        if isinstance(change, Mapping):
            parts.append(f"{field}: {show(change.get('old'))} -> {show(change.get('new'))}")
        else:
            parts.append(f"{field}: {change}")
    return "; ".join(parts)


def audit_changes(changes: Mapping[str, Any], fields: Sequence[str], *, width: int = 40) -> str:
    """What an audit entry changed, as every front end shows it (the CLI's `audit` table, the TUI's audit view): the
    old and new values where the entry has them (`describe_changes`), else the changed fields' names (older
    entries). The entry's `detail` ("editor -> viewer; 5 apps to dev-lee") is shown beside it as stored."""
    return describe_changes(changes, width=width) if changes else ",".join(fields)


# -- re-applying edits after a conflict (issue 11 item 7) ---------------------------------------------------------


def reapply(base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Re-apply one user's edits onto another user's newer version, field by field. `base` is what the user's form
    started from, `mine` what it holds now, `theirs` the version saved meanwhile (a key missing from one is None
    there). A field the user changed (mine != base) keeps the user's value; every other field takes theirs. Returns
    the merged values and, in `base`'s key order then the rest, the fields both changed to different values (the
    ones the user should check before saving; a field both set to the same value is no conflict)."""
    keys = list(dict.fromkeys([*base, *mine, *theirs]))
    merged: dict[str, Any] = {}
    both: list[str] = []
    for key in keys:
        old, my, their = base.get(key), mine.get(key), theirs.get(key)
        if my != old:
            merged[key] = my
            if their != old and their != my:
                both.append(key)
        else:
            merged[key] = their
    return merged, both
