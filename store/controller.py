"""The one entry point every front end calls: one method per user intent, for one acting user on one store.

A change goes controller -> policy (may this user do this?) -> repository (one transaction) -> storage (lock,
fresh read, atomic write) -> layout (the bytes). Every check that depends on who the acting user is or on the
object's state is made inside the transaction, on the data being changed (spec section 8). Front ends ask what is
allowed (`capabilities`, `views`, `settings_tabs`, `can_create`, `check_app_action`, `m2m_clearing`,
`inheritor_needed`) and resolve targets (`get_app`, `get_user`, `get_group`, `get_registered`) without changing
anything, then call the intent.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import string
from bisect import insort
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from store import policy, urls
from store.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
    ValidationError,
)
from store.records import AppRecord, AuditRecord, GroupView, RegisteredRecord, UserView, gc_paused
from store.repository import Clock, Repository, Transaction, new_id, now, utc_now
from store.resolve import process_login
from store.storage import StoreFile
from store.text import LOGIN_RULE, valid_login
from store.vocabulary import (
    ADMIN,
    ADVANCED_FIELDS,
    APP_INPUT_FIELDS,
    APP_TYPE_LABELS,
    CHECK_KINDS,
    CHECK_LISTS,
    DEFAULT_APP_TYPE,
    DEFAULT_ROLE,
    DEFAULT_RWA_TOKEN_AUTH,
    GROUPS_SHARING,
    LIST_FIELDS,
    PRIVATE_SHARING,
    REGISTERED_INPUT_FIELDS,
    ROLES,
    RWA,
    RWA_WARNING,
    SCHEMA_VERSION,
    SHARING,
    TRASH_DAYS,
    AppAction,
    EnvFormat,
    SettingsTab,
    UrlField,
    View,
)

if TYPE_CHECKING:
    from store.models import AppInput, RegisteredInput

_ALNUM = string.ascii_letters + string.digits
Rec = Mapping[str, Any]


def new_client_id() -> str:
    """32 characters of [A-Za-z0-9] from `secrets`."""
    return "".join(secrets.choice(_ALNUM) for _ in range(32))


def new_client_secret() -> str:
    """64 characters of the URL-safe base64 alphabet."""
    return secrets.token_urlsafe(48)


@dataclass(frozen=True)
class Saved:
    """The result of a save: the stored app and any warning to show (e.g. the Regular Web App sunset)."""

    app: AppRecord
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TrashEntry:
    """A trashed app (secret hidden), when it was deleted and when it will be purged."""

    app: AppRecord
    deleted_at: str
    purge_at: str


def _created(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Audit values of a new record: every field set, from nothing (never a secret: callers pass input fields)."""
    return {k: {"old": None, "new": v} for k, v in fields.items() if v not in (None, "", [], False)}


def _diff(old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Audit values of a change: {field: {"old": ..., "new": ...}} for the fields that differ."""
    return {f: {"old": old.get(f), "new": new.get(f)} for f in fields if old.get(f) != new.get(f)}


@dataclass(frozen=True)
class AppEntry:
    """One row of the Applications view: a built or registered app the user may open."""

    kind: Literal["built", "registered"]
    id: str
    name: str
    description: str
    url: str
    pinned: bool
    thumbnail_url: str | None = None  # the logo's URL (issue 14)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- resolving references: the same rule for a read (a front end asking) and inside a transaction ------------------


def _resolve_group(groups: Iterable[tuple[str, Rec]], ref: str) -> tuple[str, Rec]:
    """A group by id, else by name (case-insensitive; names never look like ids, so this is unambiguous)."""
    items = list(groups)
    for key, g in items:
        if g.get("id") == ref:
            return key, g
    for key, g in items:
        if str(g.get("name", "")).lower() == ref.lower():
            return key, g
    raise NotFoundError(f'No group "{ref}".')


def _resolve_registered(regs: Iterable[tuple[str, Rec]], ref: str) -> tuple[str, Rec]:
    """A registered app by id, else by a name (case-insensitive) that only one of them has."""
    items = list(regs)
    for key, r in items:
        if r.get("id") == ref:
            return key, r
    named = [(k, r) for k, r in items if str(r.get("name", "")).lower() == ref.lower()]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise ValidationError(FieldError(
            "registered", f'{len(named)} registered applications are named "{ref}"; use the id: '
            + ", ".join(str(r.get("id")) for _, r in named)))
    raise NotFoundError(f'No registered application "{ref}".')


def _resolve_user(users: Iterable[tuple[str, Rec]], login: str) -> tuple[str, Rec]:
    for key, u in users:
        if u.get("login") == login:
            return key, u
    raise NotFoundError(f'No user "{login}" in the organization.')


def shown_time(stamp: str | None) -> str:
    """A stored ISO 8601 time as appdeck shows it everywhere: `2026-12-01 17:53`, in UTC."""
    import datetime

    try:
        when = datetime.datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp or "")[:16].replace("T", " ")
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC)
    return when.strftime("%Y-%m-%d %H:%M")


def _version_conflict(rec: Rec, expected: int) -> ConflictError:
    """The refusal of a save made against `expected` when the app is at another version: a version it never had
    (greater than its current one) is named as such; the message promises no way out (each front end adds its own),
    and the error carries the app's name, versions, who saved it and when."""
    name, current, by, at = str(rec.get("name")), rec.get("version"), rec.get("updated_by") or "someone", rec.get("updated_at")
    if isinstance(current, int) and expected > current:
        message = (f'"{name}" has no version {expected}: it is at version {current}, saved by {by} at {shown_time(at)}. '
                   "Nothing was saved.")
    else:
        message = (f'"{name}" changed since you opened it: {by} saved version {current} at {shown_time(at)}. '
                   "Your changes were not saved.")
    return ConflictError(message, app_id=str(rec.get("id")), name=name, expected_version=expected,
                         current_version=current if isinstance(current, int) else None,
                         updated_by=str(rec.get("updated_by")) if rec.get("updated_by") else None,
                         updated_at=str(at) if at else None)


def _app_order(r: Rec) -> tuple[str, Any]:
    """The Developers list's order: name without case, then id."""
    return (str(r.get("name", "")).lower(), r.get("id", ""))


@dataclass
class _Listing:
    """A listing of apps, with the table it was made from (kept alive, so ids stay unique) and its records' ids."""

    key: tuple[Any, ...]
    table: dict[str, Any]
    ids: set[int]
    apps: list[AppRecord]


class Controller:
    """Applies every product rule for one acting user on one store; the TUI and the CLI call only this."""

    def __init__(self, store: StoreFile | str | os.PathLike[str], user: str | None = None, *, readonly: bool = False,
                 clock: Clock | None = None) -> None:
        self.store = store if isinstance(store, StoreFile) else StoreFile(store)
        self.repo = Repository(self.store, clock or utc_now)
        self.user = user or process_login()
        self.readonly = readonly
        self.created_store = False
        self._listed: tuple[tuple[Any, ...], list[AppRecord]] | None = None
        self._listing: _Listing | None = None  # the last listing and the table it came from (the next one starts there)
        self._users_memo: tuple[dict[str, Any], dict[str, dict[str, Any]]] | None = None
        if not valid_login(self.user):
            # The same rule wherever the name came from (--user, APPDECK_USER, the uid), store or no store.
            raise ValidationError(FieldError("user", f"{self.user!r} is not a valid user name: {LOGIN_RULE}."))
        if not self.store.exists():
            if readonly:
                raise StoreError(f"The store {self.store.path} does not exist, and read-only mode cannot create it.")
            self._bootstrap()
        if self._user_rec() is None:
            org = self._meta().get("organization", "")
            raise PermissionDeniedError(
                f'"{self.user}" is not a member of the organization "{org}" in {self.store.path}. '
                f"Ask an admin to run: appdeck users add {self.user}"
            )

    # -- store plumbing ---------------------------------------------------------------------------

    def _bootstrap(self) -> None:
        """Create the store on first use, with the acting user as its first admin."""
        with self.repo.transaction(self.user) as tx:
            if tx.get("meta", "1") is not None:
                return  # another process created it while we waited for the lock
            tx.insert("meta", {"schema_version": SCHEMA_VERSION, "organization": "My organization", "created_at": tx.stamp})
            tx.actor_id = new_id("usr")
            tx.insert("users", {"login": self.user, "display_name": self.user, "role": ADMIN, "id": tx.actor_id})
            tx.audit("create", "organization", "1", "My organization", fields=["organization"])
            tx.audit("add", "user", self.user, self.user, fields=["role"], detail="first admin")
        self.created_store = True

    def _data(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self.repo.snapshot()

    def _meta(self) -> dict[str, Any]:
        return self._data().get("meta", {}).get("1", {})

    def _users(self) -> dict[str, dict[str, Any]]:
        """Members by login, rebuilt only when the users table was read anew: the role is asked on every key
        (capabilities, check_action), and a table is never changed in place, so its identity says it is the same."""
        table = self._data().get("users", {})
        memo = self._users_memo
        if memo is None or memo[0] is not table:
            memo = self._users_memo = (table, {u["login"]: u for u in table.values()})
        return memo[1]

    def _user_rec(self, login: str | None = None) -> dict[str, Any] | None:
        return self._users().get(login or self.user)

    def _writable(self) -> None:
        if self.readonly:
            raise PermissionDeniedError("appdeck is read-only in this session; nothing was changed.")

    @contextlib.contextmanager
    def _change(self, may: Callable[[str], bool] | None = None, refusal: str = "") -> Iterator[Transaction]:
        """A transaction for the acting user. Inside the lock, on the fresh data: still a member, and (when `may`
        is given) still holding a role that may do this. So a user demoted or removed while this change waited for
        the lock is refused, not obeyed."""
        self._writable()
        with self.repo.transaction(self.user) as tx:
            found = tx.find("users", "login", self.user)
            if found is None:
                raise PermissionDeniedError(f'"{self.user}" is no longer a member of the organization; nothing was changed.')
            me = found[1]
            if may is not None and not may(str(me.get("role"))):
                raise PermissionDeniedError(refusal)
            tx.actor_id = policy.user_id(me)
            self._purge_due(tx)
            yield tx

    @staticmethod
    def _purge_due(tx: Transaction) -> None:
        """The first write after an app's 30 days in the trash purges it (spec section 10), audited."""
        for key, rec in tx.where("trash", lambda r: policy.purge_due(str(r.get("trashed_at")), tx.time)):
            tx.remove("trash", key)
            owner = rec.get("owner")
            owner_rec = tx.find("users", "login", owner)
            tx.audit("purge", "app", rec["id"], rec.get("name", ""), app_owner=owner,
                     app_owner_id=policy.user_id(owner_rec[1]) if owner_rec else None,
                     detail=f"{TRASH_DAYS} days in the trash")

    def _admin_change(self) -> contextlib.AbstractContextManager[Transaction]:
        return self._change(policy.may_administer, "Only admins manage users, groups, registered applications and the organization.")

    # -- who am I -----------------------------------------------------------------------------------

    @property
    def role(self) -> str:
        """The acting user's role."""
        rec = self._user_rec()
        if rec is None:
            raise PermissionDeniedError(f'"{self.user}" is no longer a member of the organization.')
        return str(rec["role"])

    @property
    def organization(self) -> str:
        """The organization's name."""
        return str(self._meta().get("organization", ""))

    def my_groups(self) -> set[str]:
        """Ids of the groups the acting user belongs to."""
        return {gid for gid, g in self._groups_by_id().items() if self.user in g.get("members", [])}

    def info(self) -> dict[str, Any]:
        """Who is acting on which store."""
        rec = self._user_rec() or {}
        return {
            "organization": self.organization,
            "user": self.user,
            "display_name": rec.get("display_name", ""),
            "role": rec.get("role"),
            "store": str(self.store.path),
            "schema_version": self._meta().get("schema_version"),
            "readonly": self.readonly,
        }

    # -- what the acting user may do (front ends ask these; the intents check again) ---------------------

    def views(self) -> tuple[View, ...]:
        """The views the acting user has, the one to open first: viewers have no Developers view."""
        return policy.views(self.role)

    def settings_tabs(self) -> tuple[SettingsTab, ...]:
        """The Settings tabs the acting user has (none: no Settings)."""
        return policy.settings_tabs(self.role)

    def can_create(self) -> bool:
        """Editors and admins create built applications (not in a read-only session)."""
        return not self.readonly and policy.may_create_apps(self.role)

    def can_administer(self) -> bool:
        """Admins change users, groups, registered apps and the organization (not in a read-only session)."""
        return not self.readonly and policy.may_administer(self.role)

    def capabilities(self, app: AppRecord) -> frozenset[AppAction]:
        """The app actions the acting user may take (for hiding or dimming keys); the intents check again."""
        return policy.app_actions(app, self.user, self.role, readonly=self.readonly)

    def refusal_brief(self, app: AppRecord) -> str:
        """Why the app's owner-only actions (reveal or copy its secret...) are not offered, in a few words for beside
        the masked secret: a read-only session, a viewer, or who owns it."""
        return policy.refusal_brief(app.owner, readonly=self.readonly, role=self.role)

    def check_app_action(self, app: AppRecord, action: AppAction) -> None:
        """Raise the refusal a front end shows before asking to confirm `action` on `app`; None when allowed."""
        if action not in self.capabilities(app):
            raise PermissionDeniedError(policy.refusal(action, app.name, app.owner, readonly=self.readonly, role=self.role,
                                                       me=self.user))

    def check_admin(self) -> None:
        """Raise the refusal a front end shows before asking to confirm an admin action."""
        self._writable()
        if not policy.may_administer(self.role):
            raise PermissionDeniedError("Only admins manage users, groups, registered applications and the organization.")

    # -- visibility ---------------------------------------------------------------------------------

    def list_apps(self, view: View = "developers") -> list[AppRecord]:
        """The built apps the acting user may see in a view, sorted by name."""
        role = self.role
        if view not in policy.views(role):
            raise PermissionDeniedError("Viewers have no Developers view; use the Applications view.")
        mine = self.my_groups()
        key = (self.store.generation, view, role, frozenset(mine))
        if self._listed is not None and self._listed[0] == key:
            return list(self._listed[1])  # same file, same user: the list a refresh asks for again
        table = self._data().get("apps", {})
        with gc_paused():
            apps = self._relisted(key[1:], table)
            if apps is None:
                apps = self._listed_anew(policy.app_visibility(view, role, self.user, mine), table)
        self._listed = (key, apps)
        self._listing = _Listing(key[1:], table, {id(r) for r in table.values()}, apps)
        return list(apps)

    def _listed_anew(self, visible: Callable[[Rec], bool], table: dict[str, dict[str, Any]]) -> list[AppRecord]:
        me = self.user
        recs = list(filter(visible, table.values()))
        recs.sort(key=_app_order)
        return [AppRecord(r, secret_visible=r.get("owner") == me) for r in recs]

    def _relisted(self, key: tuple[Any, ...], table: dict[str, dict[str, Any]]) -> list[AppRecord] | None:
        """The last listing changed by what changed in the file since, or None when there is nothing to start from
        (another user, view or group set) or too much changed. After another user's save only a few parsed records
        are new objects (the store keeps the very record of every unchanged line): the listing drops the views of
        the records that went and inserts the new visible ones in order. No sort of 100,000 apps (one C call that
        would hold the interpreter for a tenth of a second while the TUI waits for a key), no new view per app."""
        last = self._listing
        if last is None or last.key != key:
            return None
        ids = {id(r) for r in table.values()}
        gone = last.ids - ids  # the last listing's table is kept alive: none of its ids is a freed record's
        new = [r for r in table.values() if id(r) not in last.ids]
        if len(gone) + len(new) > 1000:
            return None
        view, role, mine = key
        visible = policy.app_visibility(view, role, self.user, set(mine))
        apps = [a for a in last.apps if id(a._data) not in gone] if gone else list(last.apps)
        me = self.user
        for r in new:
            if visible(r):
                insort(apps, AppRecord(r, secret_visible=r.get("owner") == me), key=lambda a: _app_order(a._data))
        return apps

    def list_applications(self) -> list[AppEntry]:
        """The Applications view: built and registered apps the user may see, pinned first."""
        role = self.role
        mine = self.my_groups()
        built = policy.app_visibility("applications", role, self.user, mine)
        entries = [
            AppEntry("built", r["id"], r.get("name", ""), r.get("description", ""), r.get("app_url", ""), False,
                     r.get("thumbnail_url"))
            for r in self._data().get("apps", {}).values()
            if built(r)
        ]
        registered = policy.registered_visibility(role, mine)
        entries += [
            AppEntry("registered", r["id"], r.get("name", ""), r.get("description", ""), r.get("url", ""), bool(r.get("pinned")),
                     r.get("thumbnail_url"))
            for r in self._data().get("registered", {}).values()
            if registered(r)
        ]
        entries.sort(key=lambda e: (not e.pinned, e.name.lower(), e.id))
        return entries

    def get_app(self, ref: str, view: View = "developers") -> AppRecord:
        """Resolve an id, a client ID, or a name unique among the apps the user can see."""
        apps = self.list_apps(view)
        for app in apps:
            if app.id == ref or app.client_id == ref:
                return app
        named = [a for a in apps if a.name == ref] or [a for a in apps if a.name.lower() == ref.lower()]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise ValidationError(
                FieldError("app", f'{len(named)} apps are named "{ref}"; use the id or client ID: ' + ", ".join(a.id for a in named))
            )
        raise NotFoundError(f'No application "{ref}" that you can see.')

    def draft_problems(self, data: dict[str, Any]) -> list[FieldError]:
        """Every rule a draft breaks right now (the form shows them while the user types); [] when it would save."""
        try:
            self.validate_app(data)
        except ValidationError as exc:
            return exc.errors
        return []

    def preview_effective(self, data: dict[str, Any]) -> policy.EffectiveUrls:
        """The effective URLs a draft would have if saved as typed (the form's live preview): only entries that pass
        their list's rules count, so an invalid entry is never shown as allowed."""
        draft = dict(data)
        for f in LIST_FIELDS:
            draft[f] = [c for e in urls.split_url_list(draft.get(f)) for c in self._valid_entries(f, e)]
        login, problems = urls.validate_login_url("login_url", draft.get("login_url"))
        draft["login_url"] = None if problems else login
        app_url, problems = urls.validate_app_url("app_url", "App URL", draft.get("app_url"), required=True)
        draft["app_url"] = None if problems else app_url
        return policy.effective_urls(draft)

    @staticmethod
    def _valid_entries(field: str, entry: str) -> list[str]:
        cleaned, problems = urls.validate_url_list(field, [entry])
        return [] if problems else cleaned

    def m2m_clearing(self, data: Mapping[str, Any]) -> dict[UrlField, int]:
        """For a draft or an app about to become Machine to Machine: per URL field it holds, how many entries the
        switch clears (the front end names them and asks before a save with `clear_urls`)."""
        if policy.has_urls(policy.effective_type(data)):
            return {}
        return policy.m2m_clearing({"login_url": data.get("login_url"), **{f: urls.split_url_list(data.get(f)) for f in LIST_FIELDS}})

    def details(self, app: AppRecord, *, reveal_secret: bool = False) -> dict[str, Any]:
        """Everything about an app as plain data; the secret only when the owner asked to reveal it."""
        out = app.model_dump(exclude={"client_secret"})
        kind = app.kind
        out["type"] = kind
        out["type_label"] = APP_TYPE_LABELS[kind]
        out["effective"] = policy.effective_urls(app)
        out["token_auth_effective"] = policy.effective_token_auth(kind, app.token_auth)
        out["has_urls"] = policy.has_urls(kind)
        groups = self._groups_by_id()
        out["group_names"] = [groups.get(g, {}).get("name", g) for g in app.groups]
        if reveal_secret:
            out["client_secret"] = self.reveal_secret(app.id)
        return out

    # -- built applications -------------------------------------------------------------------------

    def _check_groups(self, group_ids: list[str], groups: Iterable[Rec] | None = None) -> list[str]:
        """Map group names or ids to existing group ids; unknown ones are a validation error."""
        by_id = {g["id"]: g for g in groups} if groups is not None else self._groups_by_id()
        by_name = {str(g["name"]).lower(): gid for gid, g in by_id.items()}
        out, unknown = [], []
        for g in group_ids:
            gid = g if g in by_id else by_name.get(g.lower())
            if gid is None:
                unknown.append(g)
            elif gid not in out:
                out.append(gid)
        if unknown:
            raise ValidationError(FieldError("groups", "No such group: " + ", ".join(f'"{u}"' for u in unknown) + "."))
        return out

    def validate_app(self, data: dict[str, Any]) -> AppInput:
        """Validate a full draft (as the form or CLI would save it) and resolve its groups."""
        from store import models  # pydantic loads on the first write or validation, never on a read

        draft = models.validate_app_input(data)
        if draft.groups:
            draft.groups = self._check_groups(draft.groups)
        if not draft.advanced:
            draft.app_type = DEFAULT_APP_TYPE
        if draft.app_type == RWA and draft.token_auth is None:
            draft.token_auth = DEFAULT_RWA_TOKEN_AUTH  # store the default, so a form showing it saves no change
        return draft

    def _groups_still_there(self, tx: Transaction, group_ids: list[str]) -> None:
        known = {g.get("id") for g in tx.records("groups")}
        if any(g not in known for g in group_ids):
            raise ValidationError(FieldError("groups", "A chosen group was deleted meanwhile; choose the groups again."))

    def create_app(self, data: dict[str, Any], *, clear_urls: bool = False) -> Saved:
        """Create a built application owned by the acting user, with a new client ID and secret. `clear_urls`:
        a Machine to Machine draft drops the URL fields it holds (the front end asked the user first)."""
        self._writable()
        if not policy.may_create_apps(self.role):
            raise PermissionDeniedError("Only editors and admins create built applications; you are a viewer.")
        if clear_urls and not policy.has_urls(policy.effective_type(data)):
            data = {**data, **policy.cleared_urls()}
        draft = self.validate_app(data)
        warnings = [RWA_WARNING] if draft.app_type == RWA else []
        with self._change(policy.may_create_apps, "Only editors and admins create built applications.") as tx:
            self._groups_still_there(tx, draft.groups)
            rec = self._new_app_record(tx, draft.model_dump())
            key = tx.insert("apps", rec)
            stored = tx.get("apps", key)
            assert stored is not None
            tx.audit("create", "app", rec["id"], rec["name"], fields=list(draft.model_fields_set | {"name", "app_url"}),
                     app_owner=self.user, app_owner_id=tx.actor_id, changes=_created(draft.model_dump()))
        return Saved(AppRecord(dict(stored)), warnings)

    def _owned(self, tx: Transaction, app_id: str, action: AppAction, expected_version: int | None) -> tuple[str, Rec]:
        """Inside a transaction: the fresh record, after the visibility, role, ownership and version checks."""
        found = tx.find("apps", "id", app_id)
        if found is None:
            raise NotFoundError(f'No application "{app_id}" that you can see (it may have been deleted).')
        key, rec = found
        me = tx.find("users", "login", self.user)
        role = str(me[1].get("role")) if me else DEFAULT_ROLE
        mine = {str(g.get("id")) for g in tx.records("groups") if self.user in g.get("members", [])}
        if action not in policy.app_actions(rec, self.user, role, readonly=self.readonly):
            if not policy.app_visibility("developers", role, self.user, mine)(rec):
                raise NotFoundError(f'No application "{app_id}" that you can see.')
            raise PermissionDeniedError(policy.refusal(action, str(rec.get("name")), str(rec.get("owner")),
                                                       readonly=self.readonly, role=role, me=self.user))
        if expected_version is not None and rec.get("version") != expected_version:
            raise _version_conflict(rec, expected_version)
        return key, rec

    def update_app(self, app_id: str, changes: dict[str, Any], *, expected_version: int | None = None,
                   clear_urls: bool = False) -> Saved:
        """Change some fields of an owned app; a stale expected_version is refused as a conflict. Switching an app
        that holds URLs to Machine to Machine is refused naming them, unless `clear_urls` clears them too."""
        return self._update(app_id, changes, "edit", expected_version, clear_urls)

    def _update(self, app_id: str, changes: dict[str, Any], action: AppAction, expected_version: int | None,
                clear_urls: bool = False) -> Saved:
        unknown = set(changes) - set(APP_INPUT_FIELDS)
        if unknown:
            raise ValidationError([FieldError(f, f"{f} cannot be changed.") for f in sorted(unknown)])
        with self._change() as tx:
            key, rec = self._owned(tx, app_id, action, expected_version)
            merged = self._merge(rec, changes)
            if clear_urls and not policy.has_urls(policy.effective_type(merged)):
                merged.update(policy.cleared_urls())
            draft = self.validate_app({k: v for k, v in merged.items() if v is not None})
            self._groups_still_there(tx, draft.groups)
            new = draft.model_dump()
            changed = [k for k in APP_INPUT_FIELDS if new.get(k) != rec.get(k)]
            warnings = [RWA_WARNING] if draft.app_type == RWA and "app_type" in changed else []
            if not changed:
                return Saved(AppRecord(dict(rec)), warnings)
            out = tx.update("apps", key, new)
            tx.audit("update", "app", out["id"], out["name"], fields=changed, app_owner=self.user, app_owner_id=tx.actor_id,
                     changes=_diff(rec, new, changed))
        return Saved(AppRecord(out), warnings)

    @staticmethod
    def _merge(rec: Rec, changes: Mapping[str, Any]) -> dict[str, Any]:
        """A stored app with some fields changed, as the rules of the other fields follow from the change: advanced
        settings off drops them; a type other than rwa drops the token method; a sharing other than groups drops
        the groups (each unless the same change sets it, which is then an error if it breaks a rule)."""
        merged = {k: rec.get(k) for k in APP_INPUT_FIELDS}
        merged.update(changes)
        if changes.get("advanced") is False:
            for f in ADVANCED_FIELDS:
                if f not in changes:
                    merged[f] = [] if f in LIST_FIELDS else (DEFAULT_APP_TYPE if f == "app_type" else None)
        if "app_type" in changes and not policy.token_auth_choosable(changes["app_type"]) and "token_auth" not in changes:
            merged["token_auth"] = None
        if "sharing" in changes and changes["sharing"] != GROUPS_SHARING and "groups" not in changes:
            merged["groups"] = []
        return merged

    def share_app(self, app_id: str, sharing: str, groups: list[str] | None = None, *, expected_version: int | None = None) -> Saved:
        """Set who sees an app: private, the entire organization, or specific groups."""
        if sharing not in SHARING:
            raise ValidationError(FieldError("sharing", "Sharing must be " + ", ".join(SHARING) + "."))
        return self._update(app_id, {"sharing": sharing, "groups": list(groups or [])}, "share", expected_version)

    def delete_app(self, app_id: str, *, expected_version: int | None = None) -> TrashEntry:
        """Move an owned app to the trash: it cannot authenticate until restored, and is purged after 30 days."""
        with self._change() as tx:
            key, rec = self._owned(tx, app_id, "delete", expected_version)
            tx.remove("apps", key)
            trashed = {**rec, "trashed_at": tx.stamp, "trashed_by": self.user}
            tx.insert("trash", trashed)
            until = policy.purge_at(tx.stamp).isoformat(timespec="seconds")
            tx.audit("delete", "app", rec["id"], rec["name"], app_owner=self.user, app_owner_id=tx.actor_id,
                     detail=f"to the trash until {until}")
        return self._trash_entry(trashed)

    @staticmethod
    def _trash_entry(rec: Rec) -> TrashEntry:
        return TrashEntry(AppRecord(dict(rec), secret_visible=False), str(rec.get("trashed_at", "")),
                          policy.purge_at(str(rec.get("trashed_at"))).isoformat(timespec="seconds"))

    def trash_until(self) -> str:
        """Until when an app deleted now stays restorable (what a delete confirmation says)."""
        return policy.purge_at(now(self.repo.clock)).isoformat(timespec="seconds")

    def list_trash(self) -> list[TrashEntry]:
        """The acting user's trashed apps, newest deletion first (only an owner sees their trash)."""
        mine = [r for r in self._data().get("trash", {}).values()
                if r.get("owner") == self.user and not policy.purge_due(str(r.get("trashed_at")), self.repo.clock())]
        mine.sort(key=lambda r: (str(r.get("trashed_at", "")), str(r.get("id", ""))), reverse=True)
        return [self._trash_entry(r) for r in mine]

    def get_trashed(self, ref: str) -> TrashEntry:
        """Resolve an id, a client ID, or a name unique among the acting user's trashed apps."""
        entries = self.list_trash()
        for e in entries:
            if ref in (e.app.id, e.app.client_id):
                return e
        named = [e for e in entries if e.app.name == ref] or [e for e in entries if e.app.name.lower() == ref.lower()]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise ValidationError(FieldError("app", f'{len(named)} apps in your trash are named "{ref}"; use the id: '
                                             + ", ".join(e.app.id for e in named)))
        raise NotFoundError(f'No application "{ref}" in your trash.')

    def _trashed(self, tx: Transaction, app_id: str) -> tuple[str, Rec]:
        found = tx.find("trash", "id", app_id)
        if found is None or found[1].get("owner") != self.user:  # only the owner sees their trash
            raise NotFoundError(f'No application "{app_id}" in your trash (it may have been restored or purged).')
        me = tx.find("users", "login", self.user)
        if not policy.may_create_apps(str(me[1].get("role")) if me else ""):
            raise PermissionDeniedError("Viewers own nothing and cannot change built applications.")
        return found

    def restore_app(self, app_id: str) -> AppRecord:
        """Bring a trashed app back exactly as it was: same id, client ID, secret, settings and sharing (groups
        deleted meanwhile were already taken off it). Names are not unique, so nothing is renamed."""
        with self._change() as tx:
            key, rec = self._trashed(tx, app_id)
            tx.remove("trash", key)
            back = {k: v for k, v in rec.items() if k not in ("trashed_at", "trashed_by")}
            back.update(version=int(rec.get("version", 1)) + 1, updated_at=tx.stamp, updated_by=self.user)
            tx.insert("apps", back)
            tx.audit("restore", "app", rec["id"], rec.get("name", ""), app_owner=self.user, app_owner_id=tx.actor_id)
        return AppRecord(back)

    def purge_app(self, app_id: str) -> TrashEntry:
        """End a trashed app at once; re-creating it gives a new client ID and secret."""
        with self._change() as tx:
            key, rec = self._trashed(tx, app_id)
            tx.remove("trash", key)
            tx.audit("purge", "app", rec["id"], rec.get("name", ""), app_owner=self.user, app_owner_id=tx.actor_id)
        return self._trash_entry(rec)

    def set_enabled(self, app_id: str, enabled: bool) -> AppRecord:
        """Disable an owned app (it stays listed, marked, and cannot authenticate), or enable it again."""
        with self._change() as tx:
            key, rec = self._owned(tx, app_id, "enable" if enabled else "disable", None)
            out = tx.update("apps", key, {"enabled": enabled})
            tx.audit("enable" if enabled else "disable", "app", rec["id"], rec["name"], app_owner=self.user,
                     app_owner_id=tx.actor_id, changes={"enabled": {"old": rec.get("enabled", True), "new": enabled}})
        return AppRecord(out)

    def duplicate_app(self, app_id: str, name: str) -> Saved:
        """A new app owned by the acting user with every setting of one they see but the name (given), id,
        credentials and owner; groups that no longer exist are dropped (none left: private)."""
        with self._change(policy.may_create_apps, "Only editors and admins create built applications.") as tx:
            found = tx.find("apps", "id", app_id)
            me = tx.find("users", "login", self.user)
            role = str(me[1].get("role")) if me else DEFAULT_ROLE
            mine = {str(g.get("id")) for g in tx.records("groups") if self.user in g.get("members", [])}
            if found is None or not policy.app_visibility("developers", role, self.user, mine)(found[1]):
                raise NotFoundError(f'No application "{app_id}" that you can see.')
            source = found[1]
            known = {str(g.get("id")) for g in tx.records("groups")}
            data = {k: source.get(k) for k in APP_INPUT_FIELDS if source.get(k) is not None}
            data["name"] = name
            data["groups"] = [g for g in source.get("groups", []) if g in known]
            if data.get("sharing") == GROUPS_SHARING and not data["groups"]:
                data["sharing"] = PRIVATE_SHARING
            draft = self.validate_app(data)
            rec = self._new_app_record(tx, draft.model_dump())
            tx.insert("apps", rec)
            tx.audit("create", "app", rec["id"], rec["name"], app_owner=self.user, app_owner_id=tx.actor_id,
                     detail=f"duplicate of {source['id']}", changes=_created(draft.model_dump()))
        return Saved(AppRecord(rec), [RWA_WARNING] if draft.app_type == RWA else [])

    def _new_app_record(self, tx: Transaction, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A new app's record: its fields, the acting user as owner, a new id, client ID (unique, the trash
        included) and secret."""
        client_id = new_client_id()
        while tx.find("apps", "client_id", client_id) is not None or tx.find("trash", "client_id", client_id) is not None:
            client_id = new_client_id()
        return {"id": new_id("app"), **fields, "owner": self.user, "client_id": client_id,
                "client_secret": new_client_secret()}

    def transfer_app(self, app_id: str, to: str) -> AppRecord:
        """Hand an owned app to another editor or admin; from then on only they act on it."""
        with self._change() as tx:
            key, rec = self._owned(tx, app_id, "transfer", None)
            heir = tx.find("users", "login", to)
            if heir is None or to == self.user or not policy.may_inherit(heir[1].get("role")):
                raise ValidationError(FieldError("to", f'The new owner must be another admin or editor; "{to}" is not.'))
            out = tx.update("apps", key, {"owner": to})
            tx.audit("transfer", "app", rec["id"], rec["name"], app_owner=to, app_owner_id=policy.user_id(heir[1]),
                     detail=f"from {self.user}", changes={"owner": {"old": self.user, "new": to}})
        return AppRecord(out, secret_visible=False)

    def app_env(self, app_id: str, fmt: EnvFormat = "dotenv") -> str:
        """The app's settings as a `.env` snippet (or JSON) for its code: its owner only; audited as a reveal."""
        with self._change() as tx:
            _, rec = self._owned(tx, app_id, "env", None)
            tx.audit("reveal_secret", "app", rec["id"], rec["name"], app_owner=self.user, app_owner_id=tx.actor_id,
                     detail="env")
        return policy.env_text(policy.app_env(rec), fmt)

    def rotate_secret(self, app_id: str, *, expected_version: int | None = None) -> AppRecord:
        """Replace the client secret; the old one stops working at once."""
        with self._change() as tx:
            key, rec = self._owned(tx, app_id, "rotate_secret", expected_version)
            out = tx.update("apps", key, {"client_secret": new_client_secret()})
            tx.audit("rotate_secret", "app", rec["id"], rec["name"], fields=["client_secret"], app_owner=self.user,
                     app_owner_id=tx.actor_id, changes={"client_secret": "rotated"})  # never the value
        return AppRecord(out)

    def reveal_secret(self, app_id: str) -> str:
        """The client secret, for its owner only; the reveal itself is audited (without the value)."""
        with self._change() as tx:
            _, rec = self._owned(tx, app_id, "reveal_secret", None)
            tx.audit("reveal_secret", "app", rec["id"], rec["name"], app_owner=self.user, app_owner_id=tx.actor_id)
        return str(rec["client_secret"])

    def check_url(self, app_id: str, kind: str, url: str) -> urls.CheckResult:
        """Would this URL be allowed by the app's effective list of that kind?"""
        field = next((f for k, f in CHECK_LISTS.items() if k == kind), None)
        if field is None:
            raise ValidationError(FieldError("kind", "Check a " + ", ".join(CHECK_KINDS) + " URL."))
        app = self.get_app(app_id)
        if not app.enabled:
            return urls.CheckResult(False, kind, url, None, None, [], disabled=True)
        return urls.check_url(list(policy.effective_urls(app)[field]), kind, url)

    def export_oidc(self, *, audited: bool = True) -> dict[str, Any]:
        """Every enabled built app as client metadata for an OpenID provider, secrets included (spec section 11): for
        an admin whose process owns the store file; audited, once per export (`audited=False`: a rewrite of the same
        export, which checks again and reads the fresh file without a new entry)."""
        from store import export

        refusal = "Only an admin whose process owns the store file exports the apps (the export holds every secret)."
        if os.stat(self.store.path).st_uid != os.getuid():
            raise PermissionDeniedError(refusal)
        if not audited:
            me = self._user_rec()
            if me is None or not policy.may_administer(str(me.get("role"))):
                raise PermissionDeniedError(refusal)
            return export.oidc_document(self._data().get("apps", {}).values(), self.organization)
        with self._change(policy.may_administer, refusal) as tx:
            org = str((tx.get("meta", "1") or {}).get("organization", ""))
            doc = export.oidc_document(tx.records("apps"), org)
            tx.audit("export", "organization", "1", org, detail=f"oidc: {len(doc['clients'])} clients")
        return doc

    # -- users --------------------------------------------------------------------------------------

    def list_users(self) -> list[UserView]:
        """Everyone in the organization, with how many apps each owns: all of them for admins, only the ones the
        asking user can see for anyone else (never a count that includes apps hidden from them)."""
        role = self.role
        visible = (lambda r: True) if policy.sees_all_counts(role) else policy.app_visibility(
            "applications", role, self.user, self.my_groups())
        owned: dict[str, int] = {}
        for r in self._data().get("apps", {}).values():
            if visible(r):
                owned[r.get("owner", "")] = owned.get(r.get("owner", ""), 0) + 1
        users = sorted(self._users().values(), key=lambda u: u["login"])
        return [UserView(login=u["login"], display_name=u.get("display_name", ""), role=u["role"],
                         apps_owned=owned.get(u["login"], 0)) for u in users]

    def get_user(self, login: str) -> UserView:
        """One member, resolved without changing anything (a front end asks before confirming)."""
        for u in self.list_users():
            if u["login"] == login:
                return u
        raise NotFoundError(f'No user "{login}" in the organization.')

    def inheritor_needed(self, login: str, new_role: str | None) -> int:
        """How many apps `login` owns that need an inheritor if they get `new_role` (None: are removed); 0: none."""
        data = self._data()
        owned = sum(1 for t in ("apps", "trash") for r in data.get(t, {}).values() if r.get("owner") == login)
        return owned if policy.needs_inheritor(new_role, owned) else 0

    def inheritor_candidates(self, login: str | None = None) -> list[UserView]:
        """The members who may inherit `login`'s apps (an admin or editor other than them), by login: the choices a
        front end offers for a transfer, a demotion or a removal."""
        return [u for u in self.list_users() if u["login"] != login and policy.may_inherit(u["role"])]

    def add_user(self, login: str, role: str = DEFAULT_ROLE, display_name: str = "") -> UserView:
        """Add a member (viewer unless a role is given); they get a new user id, so a login added again is a new
        person (the audit trail of a removed holder stays theirs)."""
        from store import models

        default_name = login if valid_login(login) else ""  # an invalid login is reported once, as the login's error
        rec = models.validate_model(models.UserRecord, {"login": login, "role": role, "display_name": display_name or default_name})
        with self._admin_change() as tx:
            if tx.find("users", "login", rec.login) is not None:
                raise ValidationError(FieldError("login", f'"{rec.login}" is already a member.'))
            tx.insert("users", {**rec.model_dump(), "id": new_id("usr")})
            tx.audit("add", "user", rec.login, rec.login, fields=["role", "display_name"],
                     changes=_created({"role": rec.role, "display_name": rec.display_name}))
        return UserView(login=rec.login, display_name=rec.display_name, role=rec.role, apps_owned=0)

    @staticmethod
    def _user_change(users: list[Rec], apps: list[tuple[str, str, Rec]], login: str, new_role: str | None,
                     inherit_to: str | None) -> tuple[list[tuple[str, str, Rec]], Rec | None]:
        """The checks of a role change (new_role) or a removal (None), on whichever data is given (a snapshot for a
        front end's question, the fresh data inside the lock for the change): the last admin stays, and a user who
        owns apps and will own nothing needs a valid inheritor. The apps to transfer and the inheritor's record."""
        what = "removing them" if new_role is None else f"demoting them to {new_role}"
        field_id = "login" if new_role is None else "role"
        if not policy.keeps_an_admin(users, login, new_role):
            raise ValidationError(FieldError(field_id, f"{login} is the last admin; the organization always keeps one."))
        owned = [(t, k, r) for t, k, r in apps if r.get("owner") == login]  # trashed apps too: never ownerless
        if not policy.needs_inheritor(new_role, len(owned)):
            return [], None
        if not inherit_to:
            raise ValidationError(FieldError(
                "inherit_to",
                f"{login} owns {_plural(len(owned), 'built application')}; {what} needs an inheritor (an admin or "
                "editor) to become their owner.", rule="inheritor"))
        heir = next((u for u in users if u.get("login") == inherit_to), None)
        if heir is None or inherit_to == login or not policy.may_inherit(heir.get("role")):
            raise ValidationError(FieldError("inherit_to", f'The inheritor must be another admin or editor; "{inherit_to}" is not.'))
        return owned, heir

    def check_user_change(self, login: str, new_role: str | None, inherit_to: str | None = None) -> UserView:
        """Raise what `set_role` (new_role) or `remove_user` (None) would refuse, changing nothing (a front end asks
        before confirming); the user as they are now."""
        self.check_admin()
        user = self.get_user(login)
        if new_role is not None and new_role not in ROLES:
            raise ValidationError(FieldError("role", "Role must be " + ", ".join(ROLES) + "."))
        if new_role != user["role"]:
            data = self._data()
            owned: list[tuple[str, str, Rec]] = [(t, k, r) for t in ("apps", "trash") for k, r in data.get(t, {}).items()]
            self._user_change(list(data.get("users", {}).values()), owned, login, new_role, inherit_to)
        return user

    def _apply_user_change(self, tx: Transaction, login: str, new_role: str | None, inherit_to: str | None) -> int:
        """Inside the lock: check the change on the fresh data and hand the user's apps to the inheritor."""
        apps = [(t, k, r) for t in ("apps", "trash") for k, r in tx.items(t)]
        owned, heir = self._user_change(list(tx.records("users")), apps, login, new_role, inherit_to)
        if heir is None:
            return 0
        heir_id = policy.user_id(heir)
        for table, key, rec in owned:
            tx.update(table, key, {"owner": inherit_to})
            tx.audit("transfer", "app", rec["id"], rec.get("name", ""), fields=["owner"], app_owner=inherit_to,
                     app_owner_id=heir_id, detail=f"from {login}", changes={"owner": {"old": login, "new": inherit_to}})
        return len(owned)

    def set_role(self, login: str, role: str, inherit_to: str | None = None) -> UserView:
        """Change a member's role; the last admin stays, and a demoted owner's apps go to an inheritor."""
        if role not in ROLES:
            raise ValidationError(FieldError("role", "Role must be " + ", ".join(ROLES) + "."))
        with self._admin_change() as tx:
            key, doc = _resolve_user(tx.items("users"), login)
            old = str(doc["role"])
            if old != role:
                moved = self._apply_user_change(tx, login, role, inherit_to)
                tx.update("users", key, {"role": role})
                tx.audit("set_role", "user", login, login, fields=["role"],
                         detail=f"{old} -> {role}" + (f"; {moved} apps to {inherit_to}" if moved else ""),
                         changes={"role": {"old": old, "new": role}})
        return self.get_user(login)

    def remove_user(self, login: str, inherit_to: str | None = None) -> None:
        """Remove a member; the last admin stays, their apps go to an inheritor, and they leave every group."""
        with self._admin_change() as tx:
            key, _ = _resolve_user(tx.items("users"), login)
            moved = self._apply_user_change(tx, login, None, inherit_to)
            tx.remove("users", key)
            for gkey, g in tx.where("groups", lambda g: login in g.get("members", [])):
                tx.update("groups", gkey, {"members": [m for m in g["members"] if m != login]})
            tx.audit("remove", "user", login, login, detail=f"{moved} apps to {inherit_to}" if moved else "")

    # -- groups -------------------------------------------------------------------------------------

    def _groups_by_id(self) -> dict[str, dict[str, Any]]:
        return {g["id"]: g for g in self._data().get("groups", {}).values()}

    @staticmethod
    def _group_view(g: Rec) -> GroupView:
        return GroupView(id=str(g["id"]), name=str(g["name"]), members=list(g.get("members", [])))

    def list_groups(self) -> list[GroupView]:
        """Every group with its members (group names are not secret within the organization)."""
        return sorted((self._group_view(g) for g in self._groups_by_id().values()), key=lambda g: g["name"].lower())

    def get_group(self, ref: str) -> GroupView:
        """A group by id or name, resolved without changing anything (the same rule the changes use)."""
        return self._group_view(_resolve_group(self._data().get("groups", {}).items(), ref)[1])

    def group_removal(self, ref: str) -> policy.GroupRemoval:
        """How many apps (live and trashed) and registered apps deleting the group `ref` makes private or narrows,
        changing nothing (a front end names the counts before asking)."""
        data = self._data()
        gid = str(_resolve_group(data.get("groups", {}).items(), ref)[1]["id"])
        apps = [*data.get("apps", {}).values(), *data.get("trash", {}).values()]
        return policy.group_removal(apps, list(data.get("registered", {}).values()), gid)

    @staticmethod
    def _unique_group_name(tx: Transaction, name: str, except_id: str | None = None) -> None:
        for g in tx.records("groups"):
            stored = str(g.get("name", ""))
            if stored.lower() == name.lower() and g.get("id") != except_id:
                same = "" if stored == name else " (group names are compared ignoring case)"
                raise ValidationError(FieldError("name", f'A group named "{stored}" already exists{same}.'))

    @staticmethod
    def _known_users(tx: Transaction, logins: Iterable[str]) -> None:
        known = {u.get("login") for u in tx.records("users")}
        missing = [m for m in logins if m not in known]
        if missing:
            raise NotFoundError("No such user: " + ", ".join(missing) + ".")

    def add_group(self, name: str, members: list[str] | None = None) -> GroupView:
        """Create a group (admins only)."""
        from store import models

        rec = models.validate_model(models.GroupRecord, {"id": new_id("grp"), "name": name, "members": []})
        with self._admin_change() as tx:
            self._unique_group_name(tx, rec.name)
            self._known_users(tx, members or [])
            out = {**rec.model_dump(), "members": list(dict.fromkeys(members or []))}
            tx.insert("groups", out)
            tx.audit("add", "group", rec.id, rec.name, fields=["name", "members"],
                     changes=_created({"name": rec.name, "members": out["members"]}))
        return self._group_view(out)

    def rename_group(self, old: str, new: str) -> GroupView:
        """Rename a group; apps keep it because they refer to its id."""
        from store import models

        with self._admin_change() as tx:
            key, doc = _resolve_group(tx.items("groups"), old)
            rec = models.validate_model(models.GroupRecord, {"id": doc["id"], "name": new})
            self._unique_group_name(tx, rec.name, except_id=doc["id"])
            out = tx.update("groups", key, {"name": rec.name})
            tx.audit("rename", "group", doc["id"], rec.name, fields=["name"], detail=f"was {doc['name']}",
                     changes={"name": {"old": doc["name"], "new": rec.name}})
        return self._group_view(out)

    def remove_group(self, ref: str) -> int:
        """Delete a group: it leaves every app shared with it; an app left with none becomes private."""
        with self._admin_change() as tx:
            key, doc = _resolve_group(tx.items("groups"), ref)
            gid = doc["id"]
            narrowed = 0
            owner_ids = {str(u.get("login")): policy.user_id(u) for u in tx.records("users")}
            for table, otype in (("apps", "app"), ("registered", "registered"), ("trash", "app")):
                for rkey, rec in tx.where(table, lambda r: gid in r.get("groups", [])):
                    left = [g for g in rec["groups"] if g != gid]
                    change: dict[str, Any] = {"groups": left}
                    if not left and rec.get("sharing") == GROUPS_SHARING:
                        change["sharing"] = PRIVATE_SHARING
                    tx.update(table, rkey, change)
                    narrowed += 1
                    owner = rec.get("owner")
                    tx.audit("unshare", otype, rec["id"], rec.get("name", ""), fields=sorted(change), app_owner=owner,
                             app_owner_id=owner_ids.get(str(owner)) if owner else None, detail=f"group {doc['name']} deleted")
            tx.remove("groups", key)
            tx.audit("remove", "group", gid, doc["name"])
        return narrowed

    def set_members(self, ref: str, add: list[str] | None = None, remove: list[str] | None = None) -> GroupView:
        """Add or remove group members (admins only)."""
        with self._admin_change() as tx:
            key, doc = _resolve_group(tx.items("groups"), ref)
            self._known_users(tx, add or [])
            members = [m for m in doc.get("members", []) if m not in (remove or [])]
            members += [m for m in dict.fromkeys(add or []) if m not in members]
            if members == list(doc.get("members", [])):
                return self._group_view(doc)
            out = tx.update("groups", key, {"members": members})
            tx.audit("update", "group", doc["id"], doc["name"], fields=["members"],
                     changes={"members": {"old": list(doc.get("members", [])), "new": members}})
        return self._group_view(out)

    def set_group_members(self, ref: str, members: list[str]) -> GroupView:
        """Make a group's members exactly `members` (the Settings form's list), in one change."""
        wanted = list(dict.fromkeys(m.strip() for m in members if m.strip()))
        current = self.get_group(ref)["members"]
        return self.set_members(ref, add=wanted, remove=[m for m in current if m not in wanted])

    # -- organization -------------------------------------------------------------------------------

    def rename_organization(self, name: str) -> str:
        """Rename the organization (admins only); the name as stored."""
        from store import models

        clean = models.validate_model(models.Organization, {"organization": name}).organization
        with self._admin_change() as tx:
            old = str((tx.get("meta", "1") or {}).get("organization", ""))
            tx.update("meta", "1", {"organization": clean})
            tx.audit("rename", "organization", "1", clean, fields=["organization"],
                     changes={"organization": {"old": old, "new": clean}})
        return clean

    # -- registered applications --------------------------------------------------------------------

    def list_registered(self) -> list[RegisteredRecord]:
        """All registered applications (the Settings list; admins only)."""
        if not policy.may_administer(self.role):
            raise PermissionDeniedError("Only admins manage registered applications.")
        recs = sorted(self._data().get("registered", {}).values(), key=lambda r: (not r.get("pinned"), r.get("name", "").lower()))
        return [RegisteredRecord(r) for r in recs]

    def get_registered(self, ref: str) -> RegisteredRecord:
        """A registered app by id or unique name, resolved without changing anything (the changes use the same rule)."""
        if not policy.may_administer(self.role):
            raise PermissionDeniedError("Only admins manage registered applications.")
        return RegisteredRecord(dict(_resolve_registered(self._data().get("registered", {}).items(), ref)[1]))

    def _check_registered(self, draft: RegisteredInput, groups: Iterable[Rec]) -> None:
        from store import models

        problems = models.sharing_errors(draft.sharing, draft.groups)
        if problems:
            raise ValidationError(problems)
        if draft.groups:
            draft.groups = self._check_groups(draft.groups, groups)

    def add_registered(self, data: dict[str, Any]) -> RegisteredRecord:
        """Add a registered application (a shortcut, no credentials)."""
        from store import models

        draft = models.validate_model(models.RegisteredInput, data)
        with self._admin_change() as tx:
            self._check_registered(draft, tx.records("groups"))
            rec = {"id": new_id("reg"), **draft.model_dump()}
            key = tx.insert("registered", rec)
            tx.audit("create", "registered", rec["id"], rec["name"], fields=list(draft.model_fields_set),
                     changes=_created(draft.model_dump()))
            stored = tx.get("registered", key)
        return RegisteredRecord(dict(stored or rec))

    def update_registered(self, ref: str, changes: dict[str, Any]) -> RegisteredRecord:
        """Change some fields of a registered application."""
        from store import models

        with self._admin_change() as tx:
            key, doc = _resolve_registered(tx.items("registered"), ref)
            merged = {k: doc.get(k) for k in REGISTERED_INPUT_FIELDS}
            merged.update(changes)
            if "sharing" in changes and changes["sharing"] != GROUPS_SHARING and "groups" not in changes:
                merged["groups"] = []
            draft = models.validate_model(models.RegisteredInput, {k: v for k, v in merged.items() if v is not None})
            self._check_registered(draft, tx.records("groups"))
            new = draft.model_dump()
            changed = [k for k in REGISTERED_INPUT_FIELDS if new.get(k) != doc.get(k)]
            if not changed:
                return RegisteredRecord(dict(doc))
            out = tx.update("registered", key, new)
            tx.audit("update", "registered", out["id"], out["name"], fields=changed, changes=_diff(doc, new, changed))
        return RegisteredRecord(out)

    def remove_registered(self, ref: str) -> RegisteredRecord:
        """Delete a registered application."""
        with self._admin_change() as tx:
            key, doc = _resolve_registered(tx.items("registered"), ref)
            tx.remove("registered", key)
            tx.audit("remove", "registered", doc["id"], doc.get("name", ""))
        return RegisteredRecord(dict(doc))

    # -- audit --------------------------------------------------------------------------------------

    def audit(self, app_ref: str | None = None) -> list[AuditRecord]:
        """The audit trail the user may see, newest first: admins all of it, an owner their apps' entries."""
        role = self.role
        me = self._user_rec() or {}
        entries = list(self._data().get("audit", {}).items())
        entries.sort(key=lambda kv: int(kv[0]), reverse=True)
        app_id = None
        if app_ref is not None:
            try:
                app_id = self.get_app(app_ref).id
            except (NotFoundError, PermissionDeniedError):
                app_id = app_ref  # a deleted app's entries are still findable by id
        owned = {str(r.get("id")) for r in self._data().get("apps", {}).values() if r.get("owner") == self.user}
        visible = policy.audit_visibility(role, policy.user_id(me), owned)
        return [AuditRecord(e) for _, e in entries if (app_id is None or e.get("object_id") == app_id) and visible(e)]


__all__ = ["AppEntry", "Controller", "Saved", "new_client_id", "new_client_secret", "now"]
