"""Read-side views of stored records and the constants every layer shares; imports no pydantic.

Reads are the hot path (10,000 apps listed on every refresh), so a stored record is wrapped, not
copied or validated: a record the store accepted was validated when it was written (`store verify`
checks a file edited by hand). Validation models live in `store.models` and load only to write.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from operator import itemgetter
from typing import Any, ClassVar

from store import urls

SCHEMA_VERSION = 1
ROLES: tuple[str, ...] = ("admin", "editor", "viewer")
SHARING: tuple[str, ...] = ("private", "organization", "groups")
APP_TYPES: tuple[str, ...] = ("spa", "m2m", "rwa")
TOKEN_AUTHS: tuple[str, ...] = ("none", "client_secret_post", "client_secret_basic")
APP_TYPE_LABELS = {"spa": "Single Page Application", "m2m": "Machine to Machine", "rwa": "Regular Web Application"}
SHARING_LABELS = {"private": "Private", "organization": "Entire organization", "groups": "Specific groups"}
FIELD_LABELS = {
    "name": "Name",
    "description": "Description",
    "app_url": "App URL",
    "thumbnail_url": "Thumbnail URL",
    "url": "URL",
    "sharing": "Sharing",
    "groups": "Groups",
    "advanced": "Advanced settings",
    "app_type": "Application type",
    "token_auth": "Token endpoint authentication method",
    "login_url": "Application login URL",
    "pinned": "Pinned",
    **urls.LIST_LABELS,
}
URL_FIELDS: tuple[str, ...] = ("login_url", "callback_urls", "logout_urls", "web_origins", "cors_origins")
LIST_FIELDS: tuple[str, ...] = ("callback_urls", "logout_urls", "web_origins", "cors_origins")
RWA_WARNING = "Regular Web Applications are being sunset: prefer a Single Page Application or Machine to Machine app."


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around bulk work on parsed records: they hold no cycles, and with
    100,000 of them every young-generation collection walks them all (it made sorting 100,000 apps take 4 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_GETTERS: dict[tuple[str, ...], Any] = {}  # field names -> an itemgetter of them (Record.values)


class Record:
    """A read-only view of one stored record: attribute access with defaults, no copy, no validation."""

    __slots__ = ("_data",)
    FIELDS: ClassVar[dict[str, Any]] = {}
    HIDDEN: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._data[name]
        except KeyError:
            if name not in self.FIELDS:
                raise AttributeError(name) from None
            value = self.FIELDS[name]
        # A list is handed out as a copy: the view must never let a caller change the parsed store.
        return list(value) if type(value) is list else value

    def same_record(self, other: object) -> bool:
        """True when both views read the very same parsed record: it was neither changed nor read again since.
        (The store never changes a parsed record in place: a save replaces changed records with new ones.)"""
        return isinstance(other, Record) and other._data is self._data

    def values(self, *names: str) -> tuple[Any, ...]:
        """Several fields at once, for hot loops (one call instead of one attribute lookup per field)."""
        getter = _GETTERS.get(names)
        if getter is None:
            getter = _GETTERS[names] = itemgetter(*names) if len(names) > 1 else (lambda d, n=names[0]: (d[n],))
        try:
            return getter(self._data)  # type: ignore[no-any-return]  # C speed when every field is stored
        except KeyError:  # a field left out (advanced settings off, an older record): its default
            get, fields = self._data.get, self.FIELDS
            return tuple([get(n, fields.get(n)) for n in names])

    def model_dump(self, *, exclude: set[str] | None = None) -> dict[str, Any]:
        """Plain data of every field except hidden ones (the client secret) and `exclude`."""
        skip = self.HIDDEN | (exclude or set())
        return {k: getattr(self, k) for k in self.FIELDS if k not in skip}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={getattr(self, k)!r}" for k in ("id", "name") if k in self.FIELDS)
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.model_dump() == self.model_dump()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]


class AppRecord(Record):
    """A built application as stored; `client_secret` is empty unless the view was made for its owner."""

    __slots__ = ("_secret_visible",)
    FIELDS: ClassVar[dict[str, Any]] = {
        "id": "", "name": "", "description": "", "app_url": "", "thumbnail_url": None, "sharing": "organization",
        "groups": [], "advanced": False, "app_type": "spa", "token_auth": None, "login_url": None,
        "callback_urls": [], "logout_urls": [], "web_origins": [], "cors_origins": [], "owner": "", "client_id": "",
        "client_secret": "", "created_at": "", "updated_at": "", "updated_by": "", "version": 1,
    }
    HIDDEN: ClassVar[frozenset[str]] = frozenset({"client_secret"})

    def __init__(self, data: dict[str, Any], *, secret_visible: bool = True) -> None:
        self._data = data  # (not super().__init__: one call less per app, ten thousand per list)
        self._secret_visible = secret_visible

    def values(self, *names: str) -> tuple[Any, ...]:
        """As Record.values, with the secret hidden unless the view was made for the owner."""
        out = super().values(*names)
        if "client_secret" in names and not self._secret_visible:
            out = tuple("" if n == "client_secret" else v for n, v in zip(names, out))
        return out

    @property
    def id(self) -> str:
        """The app id (a property: hot loops read it for every app, and __getattr__ costs an exception first)."""
        return self._data.get("id", "")  # type: ignore[no-any-return]

    @property
    def version(self) -> int:
        return self._data.get("version", 1)  # type: ignore[no-any-return]

    @property
    def client_secret(self) -> str:
        """The secret, only in a view made for the owner (never in repr or model_dump)."""
        return str(self._data.get("client_secret", "")) if self._secret_visible else ""

    @property
    def kind(self) -> str:
        """The effective type: advanced settings off means a Single Page Application."""
        return str(self.app_type) if self.advanced else "spa"


class RegisteredRecord(Record):
    """A registered application (a shortcut to an external app)."""

    __slots__ = ()
    FIELDS: ClassVar[dict[str, Any]] = {
        "id": "", "name": "", "description": "", "url": "", "thumbnail_url": None, "sharing": "organization",
        "groups": [], "pinned": False, "created_at": "", "updated_at": "", "updated_by": "", "version": 1,
    }


class AuditRecord(Record):
    """One audit entry: who did what to which object, when, and which fields changed."""

    __slots__ = ()
    FIELDS: ClassVar[dict[str, Any]] = {
        "at": "", "actor": "", "action": "", "object_type": "", "object_id": "", "object_name": "",
        "app_owner": None, "fields": [], "detail": "",
    }


def effective_token_auth(app_type: str, token_auth: str | None) -> str:
    """The method the app really uses: spa none, m2m client_secret_post, rwa as set (default post)."""
    if app_type == "spa":
        return "none"
    if app_type == "m2m":
        return "client_secret_post"
    return token_auth or "client_secret_post"


def effective_urls(app: Any) -> dict[str, Any]:
    """What the app really allows (spec section 3), with a flag per value saying whether it was derived."""
    get = app.get if isinstance(app, dict) else lambda k, d=None: getattr(app, k, d)
    advanced = bool(get("advanced", False))
    app_type = get("app_type", "spa") if advanced else "spa"
    if app_type == "m2m":
        return {
            "login_url": None,
            "callback_urls": [],
            "logout_urls": [],
            "web_origins": [],
            "cors_origins": [],
            "derived": {f: False for f in URL_FIELDS},
        }

    def own(field: str) -> Any:
        return get(field) if advanced else None

    login = own("login_url") or get("app_url")
    callbacks = list(own("callback_urls") or []) or [login]
    logout = list(own("logout_urls") or []) or [login]
    derived_origins = list(dict.fromkeys(o for o in (urls.origin_of(c) for c in callbacks) if o))
    web = list(own("web_origins") or []) or derived_origins
    cors = list(own("cors_origins") or []) or derived_origins
    return {
        "login_url": login,
        "callback_urls": callbacks,
        "logout_urls": logout,
        "web_origins": web,
        "cors_origins": cors,
        "derived": {f: not own(f) for f in URL_FIELDS},
    }
