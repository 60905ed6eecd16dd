"""Read-side views of stored records; imports no pydantic.

Reads are the hot path (10,000 apps listed on every refresh), so a stored record is wrapped, not
copied or validated: a record the store accepted was validated when it was written (`store verify`
checks a file edited by hand). Validation models live in `store.models` and load only to write.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from operator import itemgetter
from typing import Any, ClassVar, TypedDict

from store import policy
from store.vocabulary import DEFAULT_APP_TYPE, DEFAULT_SHARING, AppType, Role


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
        # A list or dict is handed out as a copy: the view must never let a caller change the parsed store.
        if type(value) is list:
            return list(value)
        return dict(value) if type(value) is dict else value

    def same_record(self, other: object) -> bool:
        """True when both views read the very same parsed record: it was neither changed nor read again since.
        (The store never changes a parsed record in place: a save replaces changed records with new ones.)"""
        return isinstance(other, Record) and other._data is self._data

    def reads(self, data: object) -> bool:
        """True when this view reads the very record `data` (a listing reuses the views of unchanged records)."""
        return self._data is data

    def values(self, *names: str) -> tuple[Any, ...]:
        """Several fields at once, for hot loops (one call instead of one attribute lookup per field)."""
        getter = _GETTERS.get(names)
        if getter is None:
            getter = _GETTERS[names] = itemgetter(*names) if len(names) > 1 else (lambda d, n=names[0]: (d[n],))
        try:
            return tuple(getter(self._data))  # C speed when every field is stored
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
        return isinstance(other, Record) and type(other) is type(self) and other.model_dump() == self.model_dump()

    __hash__ = None  # type: ignore[assignment]


class AppRecord(Record):
    """A built application as stored; `client_secret` is empty unless the view was made for its owner."""

    __slots__ = ("_secret_visible",)
    FIELDS: ClassVar[dict[str, Any]] = {
        "id": "", "name": "", "description": "", "app_url": "", "thumbnail_url": None, "sharing": DEFAULT_SHARING,
        "groups": [], "advanced": False, "app_type": DEFAULT_APP_TYPE, "token_auth": None, "login_url": None,
        "callback_urls": [], "logout_urls": [], "web_origins": [], "cors_origins": [], "owner": "", "client_id": "",
        "client_secret": "", "created_at": "", "updated_at": "", "updated_by": "", "version": 1, "enabled": True,
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
    def kind(self) -> AppType:
        """The effective type: advanced settings off means a Single Page Application."""
        get = self._data.get
        return policy.kind_of(get("advanced"), get("app_type", DEFAULT_APP_TYPE))

    @property
    def enabled(self) -> bool:
        """False once the owner disabled the app (a property: lists read it for every drawn line)."""
        return self._data.get("enabled", True) is not False


class RegisteredRecord(Record):
    """A registered application (a shortcut to an external app)."""

    __slots__ = ()
    FIELDS: ClassVar[dict[str, Any]] = {
        "id": "", "name": "", "description": "", "url": "", "thumbnail_url": None, "sharing": DEFAULT_SHARING,
        "groups": [], "pinned": False, "created_at": "", "updated_at": "", "updated_by": "", "version": 1,
    }


class AuditRecord(Record):
    """One audit entry: who did what to which object, when, and which fields changed."""

    __slots__ = ()
    FIELDS: ClassVar[dict[str, Any]] = {
        "at": "", "actor": "", "action": "", "object_type": "", "object_id": "", "object_name": "",
        "app_owner": None, "fields": [], "detail": "", "actor_id": None, "app_owner_id": None, "changes": {},
    }


class UserView(TypedDict):
    """A member as the user list shows them; `apps_owned` counts only apps the asking user may see (admins: all)."""

    login: str
    display_name: str
    role: Role
    apps_owned: int


class GroupView(TypedDict):
    """A group: its id, name and members' logins."""

    id: str
    name: str
    members: list[str]
