"""The one entry point every front end calls: roles, ownership, visibility, versions and the audit trail."""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from store import records, urls
from store.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
    ValidationError,
)
from store.records import SCHEMA_VERSION, AppRecord, AuditRecord, RegisteredRecord, gc_paused
from store.resolve import default_store_path, process_login, resolve_store, resolve_user  # noqa: F401 - re-exported
from store.storage import StoreFile, _MemoryStorage

if TYPE_CHECKING:
    from tinydb import TinyDB


class _LazyModels:
    """`store.models` (pydantic) loads on the first write or validation, never on a read."""

    def __getattr__(self, name: str) -> Any:
        import store.models

        return getattr(store.models, name)


models: Any = _LazyModels()

View = Literal["developers", "applications"]
CheckKind = Literal["callback", "logout", "web_origin", "cors"]
CHECK_LISTS: dict[str, str] = {
    "callback": "callback_urls",
    "logout": "logout_urls",
    "web_origin": "web_origins",
    "cors": "cors_origins",
}
APP_ACTIONS = ("edit", "share", "delete", "rotate_secret", "reveal_secret")
_ALNUM = string.ascii_letters + string.digits
# Fields a person edits; everything else on an app is a system field.
# The fields of models.AppInput and models.RegisteredInput (a test checks they agree), spelled out so that
# importing the controller does not import pydantic.
APP_INPUT_FIELDS = (
    "name", "description", "app_url", "thumbnail_url", "sharing", "groups", "advanced", "app_type", "token_auth",
    "login_url", "callback_urls", "logout_urls", "web_origins", "cors_origins",
)
ADVANCED_FIELDS = ("app_type", "token_auth", *records.URL_FIELDS)
REGISTERED_INPUT_FIELDS = ("name", "description", "url", "thumbnail_url", "sharing", "groups", "pinned")


def now() -> str:
    """The current time as an ISO 8601 UTC string, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")




def new_client_id() -> str:
    """32 characters of [A-Za-z0-9] from `secrets`."""
    return "".join(secrets.choice(_ALNUM) for _ in range(32))


def new_client_secret() -> str:
    """64 characters of the URL-safe base64 alphabet."""
    return secrets.token_urlsafe(48)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


@dataclass(frozen=True)
class Saved:
    """The result of a save: the stored app and any warning to show (e.g. the Regular Web App sunset)."""

    app: AppRecord
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AppEntry:
    """One row of the Applications view: a built or registered app the user may open."""

    kind: Literal["built", "registered"]
    id: str
    name: str
    description: str
    url: str
    pinned: bool


def _app(rec: dict[str, Any], *, secret_visible: bool = True) -> AppRecord:
    """A stored record viewed as an app, without copying or re-validating it (it was validated on write)."""
    return AppRecord(rec, secret_visible=secret_visible)


def _raw(db: TinyDB, table: str) -> dict[str, dict[str, Any]]:
    """A table's stored records inside a transaction, without TinyDB's per-document copies (10,000 apps)."""
    return db.storage.read().get(table, {})  # type: ignore[no-any-return]


def _records(db: TinyDB) -> _MemoryStorage:
    """The transaction's one-record-at-a-time interface (find/insert/put/remove), which spares the app and audit
    tables TinyDB's whole-table conversions: 100,000 apps cost it about 70 ms per change."""
    return db.storage  # type: ignore[no-any-return]


def _registered(rec: dict[str, Any]) -> RegisteredRecord:
    return RegisteredRecord(rec)


class Controller:
    """Applies every product rule for one acting user on one store; the TUI and the CLI call only this."""

    def __init__(self, store: StoreFile | str | os.PathLike[str], user: str | None = None, *, readonly: bool = False) -> None:
        self.store = store if isinstance(store, StoreFile) else StoreFile(store)
        self.user = user or process_login()
        self.readonly = readonly
        self.created_store = False
        self._listed: tuple[tuple[Any, ...], list[AppRecord]] | None = None
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
        if not models.LOGIN_RE.match(self.user):
            raise ValidationError(FieldError("user", f'"{self.user}" is not a valid user name.'))
        with self.store.transaction() as db:
            if db.table("meta").get(doc_id=1) is not None:
                return  # another process created it while we waited for the lock
            stamp = now()
            db.table("meta").insert({"schema_version": SCHEMA_VERSION, "organization": "My organization", "created_at": stamp})
            db.table("users").insert({"login": self.user, "display_name": self.user, "role": "admin", "created_at": stamp})
            self._audit(db, "create", "organization", "1", "My organization", fields=["organization"])
            self._audit(db, "add", "user", self.user, self.user, fields=["role"], detail="first admin")
        self.created_store = True

    def _data(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self.store.read()

    def _meta(self) -> dict[str, Any]:
        return self._data().get("meta", {}).get("1", {})

    def _users(self) -> dict[str, dict[str, Any]]:
        return {u["login"]: u for u in self._data().get("users", {}).values()}

    def _user_rec(self, login: str | None = None) -> dict[str, Any] | None:
        return self._users().get(login or self.user)

    def _writable(self) -> None:
        if self.readonly:
            raise PermissionDeniedError("appdeck is read-only in this session; nothing was changed.")

    def _audit(
        self,
        db: TinyDB,
        action: str,
        object_type: str,
        object_id: str,
        object_name: str,
        *,
        fields: list[str] | None = None,
        app_owner: str | None = None,
        detail: str = "",
    ) -> None:
        """Append an audit entry; field names only, never values (so never a secret)."""
        _records(db).insert(
            "audit",
            {
                "at": now(),
                "actor": self.user,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "object_name": object_name,
                "app_owner": app_owner,
                "fields": sorted(fields or []),
                "detail": detail,
            }
        )

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

    # -- visibility ---------------------------------------------------------------------------------

    def _visible(self, rec: dict[str, Any], view: View, role: str, mine: set[str]) -> bool:
        """Spec section 5 for one record (see `_visibility`)."""
        return self._visibility(view, role, mine)(rec)

    def _visibility(self, view: View, role: str, mine: set[str]) -> Callable[[dict[str, Any]], bool]:
        """Spec section 5 as a test of one stored record: the owner always; private never; organization and groups
        by view and role. One closure per listing, so a list of 100,000 apps pays one small call per record."""
        me = self.user
        shared = not (view == "developers" and role == "viewer")

        def visible(rec: dict[str, Any]) -> bool:
            if rec.get("owner") == me:
                return True
            if not shared:
                return False
            sharing = rec.get("sharing")
            if sharing == "organization":
                return True
            return sharing == "groups" and not mine.isdisjoint(rec.get("groups", ()))

        return visible

    def list_apps(self, view: View = "developers") -> list[AppRecord]:
        """The built apps the acting user may see in a view, sorted by name."""
        role = self.role
        if view == "developers" and role == "viewer":
            raise PermissionDeniedError("Viewers have no Developers view; use the Applications view.")
        mine = self.my_groups()
        key = (self.store.generation, view, role, frozenset(mine))
        if self._listed is not None and self._listed[0] == key:
            return list(self._listed[1])  # same file, same user: the list a refresh asks for again
        me = self.user
        with gc_paused():
            recs = list(filter(self._visibility(view, role, mine), self._data().get("apps", {}).values()))
            recs.sort(key=lambda r: (str(r.get("name", "")).lower(), r.get("id", "")))
            apps = [AppRecord(r, secret_visible=r.get("owner") == me) for r in recs]
        self._listed = (key, apps)
        return list(apps)

    def list_applications(self) -> list[AppEntry]:
        """The Applications view: built and registered apps the user may see, pinned first."""
        role = self.role
        mine = self.my_groups()
        entries = [
            AppEntry("built", r["id"], r.get("name", ""), r.get("description", ""), r.get("app_url", ""), False)
            for r in self._data().get("apps", {}).values()
            if self._visible(r, "applications", role, mine)
        ]
        for r in self._data().get("registered", {}).values():
            sharing = r.get("sharing")
            if (
                sharing == "organization"
                or (sharing == "groups" and mine.intersection(r.get("groups", ())))
                or (sharing == "private" and role == "admin")
            ):
                entries.append(
                    AppEntry("registered", r["id"], r.get("name", ""), r.get("description", ""), r.get("url", ""), bool(r.get("pinned")))
                )
        entries.sort(key=lambda e: (not e.pinned, e.name.lower(), e.id))
        return entries

    def _find_rec(self, app_id: str) -> tuple[int, dict[str, Any]] | None:
        for doc_id, rec in self._data().get("apps", {}).items():
            if rec.get("id") == app_id:
                return int(doc_id), rec
        return None

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

    def permissions(self, app: AppRecord) -> set[str]:
        """The app actions the acting user may take (for hiding or dimming keys); the methods check again."""
        if self.readonly or app.owner != self.user or self.role == "viewer":
            return set()
        return set(APP_ACTIONS)

    def can_create(self) -> bool:
        """Editors and admins create built applications."""
        return not self.readonly and self.role in ("admin", "editor")

    def draft_problems(self, data: dict[str, Any]) -> list[FieldError]:
        """Every rule a draft breaks right now (the form shows them while the user types); [] when it would save."""
        try:
            self.validate_app(data)
        except ValidationError as exc:
            return exc.errors
        return []

    def preview_effective(self, data: dict[str, Any]) -> dict[str, Any]:
        """The effective URLs a draft would have if saved as typed (for the form's live preview)."""
        draft = dict(data)
        for f in records.LIST_FIELDS:
            draft[f] = urls.split_url_list(draft.get(f))
        return records.effective_urls(draft)

    def details(self, app: AppRecord, *, reveal_secret: bool = False) -> dict[str, Any]:
        """Everything about an app as plain data; the secret only when the owner asked to reveal it."""
        out = app.model_dump(exclude={"client_secret"})
        out["type_label"] = records.APP_TYPE_LABELS[app.app_type if app.advanced else "spa"]
        out["effective"] = records.effective_urls(app)
        out["token_auth_effective"] = records.effective_token_auth(app.app_type if app.advanced else "spa", app.token_auth)
        groups = self._groups_by_id()
        out["group_names"] = [groups.get(g, {}).get("name", g) for g in app.groups]
        if reveal_secret:
            out["client_secret"] = self.reveal_secret(app.id)
        return out

    # -- built applications -------------------------------------------------------------------------

    def _require_creator(self) -> None:
        self._writable()
        if self.role not in ("admin", "editor"):
            raise PermissionDeniedError("Only editors and admins create built applications; you are a viewer.")

    def _check_groups(self, group_ids: list[str]) -> list[str]:
        """Map group names or ids to existing group ids; unknown ones are a validation error."""
        by_id = self._groups_by_id()
        by_name = {g["name"].lower(): gid for gid, g in by_id.items()}
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

    def validate_app(self, data: dict[str, Any]) -> models.AppInput:
        """Validate a full draft (as the form or CLI would save it) and resolve its groups."""
        draft = models.validate_app_input(data)
        if draft.groups:
            draft.groups = self._check_groups(draft.groups)
        if not draft.advanced:
            draft.app_type = "spa"
        if draft.app_type == "rwa" and draft.token_auth is None:
            draft.token_auth = "client_secret_post"  # store the default, so a form showing it saves no change
        return draft

    def create_app(self, data: dict[str, Any]) -> Saved:
        """Create a built application owned by the acting user, with a new client ID and secret."""
        self._require_creator()
        draft = self.validate_app(data)
        warnings = [records.RWA_WARNING] if draft.app_type == "rwa" else []
        with self.store.transaction() as db:
            self._recheck_in_lock(db, draft.groups)
            tx = _records(db)
            client_id = new_client_id()
            while tx.find("apps", "client_id", client_id) is not None:
                client_id = new_client_id()
            stamp = now()
            rec = {
                "id": _new_id("app"),
                **draft.model_dump(),
                "owner": self.user,
                "client_id": client_id,
                "client_secret": new_client_secret(),
                "created_at": stamp,
                "updated_at": stamp,
                "updated_by": self.user,
                "version": 1,
            }
            tx.insert("apps", dict(rec))
            self._audit(db, "create", "app", rec["id"], rec["name"], fields=list(draft.model_fields_set | {"name", "app_url"}), app_owner=self.user)
        return Saved(_app(rec), warnings)

    def _recheck_in_lock(self, db: TinyDB, group_ids: list[str]) -> None:
        """Checks made before the lock, made again on the fresh data: the role, and that the groups still exist."""
        me = next((u for u in _raw(db, "users").values() if u.get("login") == self.user), None)
        if me is None or me.get("role") not in ("admin", "editor"):
            raise PermissionDeniedError("Only editors and admins create or change built applications.")
        known = {g.get("id") for g in _raw(db, "groups").values()}
        gone = [g for g in group_ids if g not in known]
        if gone:
            raise ValidationError(FieldError("groups", "A chosen group was deleted meanwhile; choose the groups again."))

    def _owned_rec(self, db: TinyDB, app_id: str, action: str, expected_version: int | None) -> tuple[int, dict[str, Any]]:
        """Inside a transaction: the fresh record, after the visibility, ownership and version checks."""
        self._writable()
        role = self.role
        mine = self.my_groups()
        key = _records(db).find("apps", "id", app_id)
        if key is not None:
            doc_id, rec = int(key), dict(_raw(db, "apps")[key])
        else:
            raise NotFoundError(f'No application "{app_id}" that you can see (it may have been deleted).')
        if rec.get("owner") != self.user:
            if not self._visible(rec, "developers", role, mine):
                raise NotFoundError(f'No application "{app_id}" that you can see.')
            raise PermissionDeniedError(
                f'Only the owner of "{rec.get("name")}" ({rec.get("owner")}) can {action.replace("_", " ")} it.'
            )
        if role == "viewer":
            raise PermissionDeniedError("Viewers own nothing and cannot change built applications.")
        if expected_version is not None and rec.get("version") != expected_version:
            raise ConflictError(
                f'"{rec.get("name")}" changed since you opened it: {rec.get("updated_by") or "someone"} saved version '
                f'{rec.get("version")} at {rec.get("updated_at")}. Your changes were not saved; reload to see theirs.'
            )
        return doc_id, rec

    def update_app(self, app_id: str, changes: dict[str, Any], *, expected_version: int | None = None) -> Saved:
        """Change some fields of an owned app; a stale expected_version is refused as a conflict."""
        unknown = set(changes) - set(APP_INPUT_FIELDS)
        if unknown:
            raise ValidationError([FieldError(f, f"{f} cannot be changed.") for f in sorted(unknown)])
        with self.store.transaction() as db:
            doc_id, rec = self._owned_rec(db, app_id, "edit", expected_version)
            merged = {k: rec.get(k) for k in APP_INPUT_FIELDS}
            merged.update(changes)
            if changes.get("advanced") is False:
                # Turning advanced settings off drops them, unless this same change also sets one (an error below).
                for f in ADVANCED_FIELDS:
                    if f not in changes:
                        merged[f] = [] if f in records.LIST_FIELDS else ("spa" if f == "app_type" else None)
            if "app_type" in changes and changes["app_type"] != "rwa" and "token_auth" not in changes:
                merged["token_auth"] = None  # the method belongs to Regular Web Apps only
            if "sharing" in changes and changes["sharing"] != "groups" and "groups" not in changes:
                merged["groups"] = []
            draft = self.validate_app({k: v for k, v in merged.items() if v is not None})
            self._recheck_in_lock(db, draft.groups)
            new = draft.model_dump()
            changed = [k for k in APP_INPUT_FIELDS if new.get(k) != rec.get(k)]
            warnings = (
                [records.RWA_WARNING] if draft.app_type == "rwa" and "app_type" in changed else []
            )
            if not changed:
                return Saved(_app(rec), warnings)
            rec.update(new)
            rec.update(updated_at=now(), updated_by=self.user, version=int(rec.get("version", 1)) + 1)
            _records(db).put("apps", doc_id, dict(rec))
            self._audit(db, "update", "app", rec["id"], rec["name"], fields=changed, app_owner=self.user)
        return Saved(_app(rec), warnings)

    def share_app(self, app_id: str, sharing: str, groups: list[str] | None = None, *, expected_version: int | None = None) -> Saved:
        """Set who sees an app: private, the entire organization, or specific groups."""
        if sharing not in records.SHARING:
            raise ValidationError(FieldError("sharing", "Sharing must be private, organization or groups."))
        return self.update_app(app_id, {"sharing": sharing, "groups": list(groups or [])}, expected_version=expected_version)

    def delete_app(self, app_id: str, *, expected_version: int | None = None) -> AppRecord:
        """Delete an owned app; its client ID and secret stop working at once."""
        with self.store.transaction() as db:
            doc_id, rec = self._owned_rec(db, app_id, "delete", expected_version)
            _records(db).remove("apps", doc_id)
            self._audit(db, "delete", "app", rec["id"], rec["name"], app_owner=self.user)
        return _app(rec)

    def rotate_secret(self, app_id: str, *, expected_version: int | None = None) -> AppRecord:
        """Replace the client secret; the old one stops working at once."""
        with self.store.transaction() as db:
            doc_id, rec = self._owned_rec(db, app_id, "rotate the secret of", expected_version)
            rec.update(
                client_secret=new_client_secret(),
                updated_at=now(),
                updated_by=self.user,
                version=int(rec.get("version", 1)) + 1,
            )
            _records(db).put("apps", doc_id, dict(rec))
            self._audit(db, "rotate_secret", "app", rec["id"], rec["name"], fields=["client_secret"], app_owner=self.user)
        return _app(rec)

    def reveal_secret(self, app_id: str) -> str:
        """The client secret, for its owner only; the reveal itself is audited (without the value)."""
        with self.store.transaction() as db:
            _, rec = self._owned_rec(db, app_id, "reveal the secret of", None)
            self._audit(db, "reveal_secret", "app", rec["id"], rec["name"], app_owner=self.user)
        return str(rec["client_secret"])

    def check_url(self, app_id: str, kind: str, url: str) -> urls.CheckResult:
        """Would this URL be allowed by the app's effective list of that kind?"""
        if kind not in CHECK_LISTS:
            raise ValidationError(FieldError("kind", "Check a callback, logout, web_origin or cors URL."))
        app = self.get_app(app_id)
        entries = records.effective_urls(app)[CHECK_LISTS[kind]]
        return urls.check_url(list(entries), kind, url)

    # -- users --------------------------------------------------------------------------------------

    def _require_admin(self) -> None:
        self._writable()
        if self.role != "admin":
            raise PermissionDeniedError("Only admins manage users, groups and registered applications.")

    def list_users(self) -> list[dict[str, Any]]:
        """Everyone in the organization, with the number of apps each owns."""
        owned: dict[str, int] = {}
        for r in self._data().get("apps", {}).values():
            owned[r.get("owner", "")] = owned.get(r.get("owner", ""), 0) + 1
        users = sorted(self._users().values(), key=lambda u: u["login"])
        return [{**u, "apps_owned": owned.get(u["login"], 0)} for u in users]

    def add_user(self, login: str, role: str = "viewer", display_name: str = "") -> dict[str, Any]:
        """Add a member (viewer unless a role is given)."""
        self._require_admin()
        # The display name defaults to the login; an invalid login is reported once, as the login's error.
        default_name = login if models.LOGIN_RE.match(login) and not models.has_control(login) else ""
        rec = models.validate_model(models.UserRecord, {"login": login, "role": role, "display_name": display_name or default_name})
        with self.store.transaction() as db:
            users = db.table("users")
            if any(u.get("login") == rec.login for u in users.all()):
                raise ValidationError(FieldError("login", f'"{rec.login}" is already a member.'))
            out = {**rec.model_dump(), "created_at": now()}
            users.insert(out)
            self._audit(db, "add", "user", rec.login, rec.login, fields=["role", "display_name"])
        return out

    def _transfer(self, db: TinyDB, login: str, inherit_to: str | None, what: str) -> int:
        """Give every app `login` owns to `inherit_to`; refuse without a valid inheritor when there are any."""
        apps = db.table("apps")
        owned = [doc for doc in apps.all() if doc.get("owner") == login]
        if not owned:
            return 0
        if not inherit_to:
            raise ValidationError(
                FieldError(
                    "inherit_to",
                    f"{login} owns {len(owned)} built application{'s' if len(owned) != 1 else ''}; {what} needs an "
                    f"inheritor (an admin or editor) to become their owner (--inherit-to USER).",
                )
            )
        heir = next((u for u in db.table("users").all() if u.get("login") == inherit_to), None)
        if heir is None or heir.get("role") not in ("admin", "editor") or inherit_to == login:
            raise ValidationError(
                FieldError("inherit_to", f'The inheritor must be another admin or editor; "{inherit_to}" is not.')
            )
        stamp = now()
        for doc in owned:
            apps.update(
                {"owner": inherit_to, "updated_at": stamp, "updated_by": self.user, "version": int(doc.get("version", 1)) + 1},
                doc_ids=[doc.doc_id],
            )
            self._audit(db, "transfer", "app", doc["id"], doc.get("name", ""), fields=["owner"], app_owner=inherit_to, detail=f"from {login}")
        return len(owned)

    def _admin_count_after(self, db: TinyDB, login: str) -> int:
        return sum(1 for u in db.table("users").all() if u.get("role") == "admin" and u.get("login") != login)

    def set_role(self, login: str, role: str, inherit_to: str | None = None) -> dict[str, Any]:
        """Change a member's role; the last admin stays, and a demoted owner's apps go to an inheritor."""
        self._require_admin()
        if role not in records.ROLES:
            raise ValidationError(FieldError("role", "Role must be admin, editor or viewer."))
        with self.store.transaction() as db:
            users = db.table("users")
            doc = next((u for u in users.all() if u.get("login") == login), None)
            if doc is None:
                raise NotFoundError(f'No user "{login}" in the organization.')
            if doc["role"] == role:
                return dict(doc)
            if doc["role"] == "admin" and self._admin_count_after(db, login) == 0:
                raise ValidationError(FieldError("role", f"{login} is the last admin; the organization always keeps one."))
            moved = self._transfer(db, login, inherit_to, "demoting them to viewer") if role == "viewer" else 0
            users.update({"role": role}, doc_ids=[doc.doc_id])
            self._audit(db, "set_role", "user", login, login, fields=["role"], detail=f"{doc['role']} -> {role}" + (f"; {moved} apps to {inherit_to}" if moved else ""))
            return {**doc, "role": role}

    def remove_user(self, login: str, inherit_to: str | None = None) -> None:
        """Remove a member; the last admin stays, their apps go to an inheritor, and they leave every group."""
        self._require_admin()
        with self.store.transaction() as db:
            users = db.table("users")
            doc = next((u for u in users.all() if u.get("login") == login), None)
            if doc is None:
                raise NotFoundError(f'No user "{login}" in the organization.')
            if doc["role"] == "admin" and self._admin_count_after(db, login) == 0:
                raise ValidationError(FieldError("login", f"{login} is the last admin; the organization always keeps one."))
            moved = self._transfer(db, login, inherit_to, "removing them")
            users.remove(doc_ids=[doc.doc_id])
            groups = db.table("groups")
            for g in groups.all():
                if login in g.get("members", []):
                    groups.update({"members": [m for m in g["members"] if m != login]}, doc_ids=[g.doc_id])
            self._audit(db, "remove", "user", login, login, detail=f"{moved} apps to {inherit_to}" if moved else "")

    # -- groups -------------------------------------------------------------------------------------

    def _groups_by_id(self) -> dict[str, dict[str, Any]]:
        return {g["id"]: g for g in self._data().get("groups", {}).values()}

    def list_groups(self) -> list[dict[str, Any]]:
        """Every group with its members (group names are not secret within the organization)."""
        return sorted(self._groups_by_id().values(), key=lambda g: g["name"].lower())

    def _group_doc(self, db: TinyDB, name: str) -> Any:
        for g in db.table("groups").all():
            if g.get("id") == name or g.get("name", "").lower() == name.lower():
                return g
        raise NotFoundError(f'No group "{name}".')

    def _unique_group_name(self, db: TinyDB, name: str, except_id: str | None = None) -> None:
        if any(g.get("name", "").lower() == name.lower() and g.get("id") != except_id for g in db.table("groups").all()):
            raise ValidationError(FieldError("name", f'A group named "{name}" already exists.'))

    def add_group(self, name: str, members: list[str] | None = None) -> dict[str, Any]:
        """Create a group (admins only)."""
        self._require_admin()
        rec = models.validate_model(models.GroupRecord, {"id": _new_id("grp"), "name": name, "members": []})
        with self.store.transaction() as db:
            self._unique_group_name(db, rec.name)
            known = {u.get("login") for u in db.table("users").all()}
            missing = [m for m in members or [] if m not in known]
            if missing:
                raise NotFoundError("No such user: " + ", ".join(missing) + ".")
            out = {**rec.model_dump(), "members": list(dict.fromkeys(members or []))}
            db.table("groups").insert(out)
            self._audit(db, "add", "group", rec.id, rec.name, fields=["name", "members"])
        return out

    def rename_group(self, old: str, new: str) -> dict[str, Any]:
        """Rename a group; apps keep it because they refer to its id."""
        self._require_admin()
        with self.store.transaction() as db:
            doc = self._group_doc(db, old)
            rec = models.validate_model(models.GroupRecord, {"id": doc["id"], "name": new})
            self._unique_group_name(db, rec.name, except_id=doc["id"])
            db.table("groups").update({"name": rec.name}, doc_ids=[doc.doc_id])
            self._audit(db, "rename", "group", doc["id"], rec.name, fields=["name"], detail=f"was {doc['name']}")
            return {**doc, "name": rec.name}

    def remove_group(self, name: str) -> int:
        """Delete a group: it leaves every app shared with it; an app left with none becomes private."""
        self._require_admin()
        with self.store.transaction() as db:
            doc = self._group_doc(db, name)
            gid = doc["id"]
            narrowed = 0
            for table, otype in (("apps", "app"), ("registered", "registered")):
                t = db.table(table)
                for rec in t.all():
                    if gid in rec.get("groups", []):
                        left = [g for g in rec["groups"] if g != gid]
                        change: dict[str, Any] = {"groups": left, "version": int(rec.get("version", 1)) + 1, "updated_at": now(), "updated_by": self.user}
                        if not left and rec.get("sharing") == "groups":
                            change["sharing"] = "private"
                        t.update(change, doc_ids=[rec.doc_id])
                        narrowed += 1
                        self._audit(db, "unshare", otype, rec["id"], rec.get("name", ""), fields=sorted(set(change) & {"groups", "sharing"}), app_owner=rec.get("owner"), detail=f"group {doc['name']} deleted")
            db.table("groups").remove(doc_ids=[doc.doc_id])
            self._audit(db, "remove", "group", gid, doc["name"])
        return narrowed

    def set_members(self, name: str, add: list[str] | None = None, remove: list[str] | None = None) -> dict[str, Any]:
        """Add or remove group members (admins only)."""
        self._require_admin()
        with self.store.transaction() as db:
            doc = self._group_doc(db, name)
            known = {u.get("login") for u in db.table("users").all()}
            missing = [m for m in add or [] if m not in known]
            if missing:
                raise NotFoundError("No such user: " + ", ".join(missing) + ".")
            members = [m for m in doc.get("members", []) if m not in (remove or [])]
            members += [m for m in add or [] if m not in members]
            db.table("groups").update({"members": members}, doc_ids=[doc.doc_id])
            self._audit(db, "update", "group", doc["id"], doc["name"], fields=["members"])
            return {**doc, "members": members}

    # -- organization -------------------------------------------------------------------------------

    def rename_organization(self, name: str) -> None:
        """Rename the organization (admins only)."""
        self._require_admin()
        clean = models.validate_model(models.Organization, {"organization": name}).organization
        with self.store.transaction() as db:
            db.table("meta").update({"organization": clean}, doc_ids=[1])
            self._audit(db, "rename", "organization", "1", clean, fields=["organization"])

    # -- registered applications --------------------------------------------------------------------

    def list_registered(self) -> list[RegisteredRecord]:
        """All registered applications (the Settings list; admins only)."""
        if self.role != "admin":
            raise PermissionDeniedError("Only admins manage registered applications.")
        recs = sorted(self._data().get("registered", {}).values(), key=lambda r: (not r.get("pinned"), r.get("name", "").lower()))
        return [_registered(r) for r in recs]

    def _reg_doc(self, db: TinyDB, ref: str) -> Any:
        docs = db.table("registered").all()
        for d in docs:
            if d.get("id") == ref:
                return d
        named = [d for d in docs if d.get("name", "").lower() == ref.lower()]
        if len(named) == 1:
            return named[0]
        raise NotFoundError(f'No registered application "{ref}".')

    def add_registered(self, data: dict[str, Any]) -> RegisteredRecord:
        """Add a registered application (a shortcut, no credentials)."""
        self._require_admin()
        draft = models.validate_model(models.RegisteredInput, data)
        self._check_registered(draft)
        with self.store.transaction() as db:
            stamp = now()
            rec = {"id": _new_id("reg"), **draft.model_dump(), "created_at": stamp, "updated_at": stamp, "updated_by": self.user, "version": 1}
            db.table("registered").insert(rec)
            self._audit(db, "create", "registered", rec["id"], rec["name"], fields=list(draft.model_fields_set))
        return _registered(rec)

    def _check_registered(self, draft: models.RegisteredInput) -> None:
        if draft.sharing == "groups" and not draft.groups:
            raise ValidationError(FieldError("groups", "Sharing with specific groups needs at least one group."))
        if draft.sharing != "groups" and draft.groups:
            raise ValidationError(FieldError("groups", "Groups can only be chosen when sharing with specific groups."))
        if draft.groups:
            draft.groups = self._check_groups(draft.groups)

    def update_registered(self, ref: str, changes: dict[str, Any]) -> RegisteredRecord:
        """Change some fields of a registered application."""
        self._require_admin()
        with self.store.transaction() as db:
            doc = self._reg_doc(db, ref)
            merged = {k: doc.get(k) for k in REGISTERED_INPUT_FIELDS}
            merged.update(changes)
            if "sharing" in changes and changes["sharing"] != "groups" and "groups" not in changes:
                merged["groups"] = []
            draft = models.validate_model(models.RegisteredInput, {k: v for k, v in merged.items() if v is not None})
            self._check_registered(draft)
            new = draft.model_dump()
            changed = [k for k in REGISTERED_INPUT_FIELDS if new.get(k) != doc.get(k)]
            rec = {**doc, **new}
            if changed:
                rec.update(updated_at=now(), updated_by=self.user, version=int(doc.get("version", 1)) + 1)
                db.table("registered").update(rec, doc_ids=[doc.doc_id])
                self._audit(db, "update", "registered", rec["id"], rec["name"], fields=changed)
        return _registered(rec)

    def remove_registered(self, ref: str) -> RegisteredRecord:
        """Delete a registered application."""
        self._require_admin()
        with self.store.transaction() as db:
            doc = self._reg_doc(db, ref)
            db.table("registered").remove(doc_ids=[doc.doc_id])
            self._audit(db, "remove", "registered", doc["id"], doc.get("name", ""))
        return _registered(dict(doc))

    # -- audit --------------------------------------------------------------------------------------

    def audit(self, app_ref: str | None = None) -> list[AuditRecord]:
        """The audit trail the user may see, newest first: admins all of it, an owner their apps' entries."""
        role = self.role
        entries = list(self._data().get("audit", {}).items())
        entries.sort(key=lambda kv: int(kv[0]), reverse=True)
        app_id = None
        if app_ref is not None:
            try:
                app_id = self.get_app(app_ref).id
            except (NotFoundError, PermissionDeniedError):
                app_id = app_ref  # a deleted app's entries are still findable by id
        owned = {r.get("id") for r in self._data().get("apps", {}).values() if r.get("owner") == self.user}
        out = []
        for _, e in entries:
            if app_id is not None and e.get("object_id") != app_id:
                continue
            if role != "admin":
                if e.get("object_type") != "app":
                    continue
                if e.get("object_id") not in owned and e.get("app_owner") != self.user:
                    continue
            out.append(AuditRecord(e))
        return out
