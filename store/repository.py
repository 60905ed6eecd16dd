"""The one write path: a transaction over every table (get, find, insert, update, remove, audit).

`Repository.transaction()` takes the store's lock, reads the file fresh and yields a `Transaction`; when the block
ends without an error the file is written once, atomically (store/storage.py). Records handed out are the parsed
ones and are never changed: `update` always builds a new record, and stamps version, `updated_at` and `updated_by`
on the tables that carry them. Nothing here decides a product rule: that is the controller's and the policy's.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from store.storage import StoreFile, Tables
from store.vocabulary import VERSIONED_TABLES

Rec = Mapping[str, Any]


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC (the default clock; tests inject another to move time on)."""
    return datetime.now(UTC)


def now(clock: Clock = utc_now) -> str:
    """The current time as an ISO 8601 UTC string, to the second."""
    return clock().isoformat(timespec="seconds")


def new_id(prefix: str) -> str:
    """An object id: the prefix and 12 hex digits from `secrets` (e.g. app_3f2a9c01b4de)."""
    return f"{prefix}_{secrets.token_hex(6)}"


class Transaction:
    """The tables of one locked read-modify-write, seen as records by id; `actor` stamps every change."""

    def __init__(self, tables: Tables, actor: str, actor_id: str | None = None, clock: Clock = utc_now) -> None:
        self._tables = tables
        self.actor = actor
        self.actor_id = actor_id
        self.time = clock()
        self.stamp = self.time.isoformat(timespec="seconds")

    # -- reading ---------------------------------------------------------------------------------------------

    def items(self, table: str) -> Iterator[tuple[str, Rec]]:
        """Every record of a table with its id, in file order."""
        return iter(self._tables.table(table).items())

    def records(self, table: str) -> Iterator[Rec]:
        """Every record of a table, in file order."""
        return iter(self._tables.table(table).values())

    def get(self, table: str, key: str) -> Rec | None:
        """The record with this id, or None."""
        return self._tables.table(table).get(key)

    def find(self, table: str, field: str, value: Any) -> tuple[str, Rec] | None:
        """The first record (in file order) whose `field` equals `value`, with its id; indexed after the first
        lookup of a field, so a long-lived writer finds records in constant time."""
        key = self._tables.find(table, field, value)
        if key is None:
            return None
        return key, self._tables.table(table)[key]

    def where(self, table: str, test: Callable[[Rec], bool]) -> list[tuple[str, Rec]]:
        """Every record that passes `test`, with its id."""
        return [(k, r) for k, r in self._tables.table(table).items() if test(r)]

    # -- changing --------------------------------------------------------------------------------------------

    def insert(self, table: str, record: Mapping[str, Any]) -> str:
        """Add a copy of `record` (versioned tables: stamped version 1, created and updated now); its id."""
        doc = dict(record)
        if table in VERSIONED_TABLES:
            doc.setdefault("created_at", self.stamp)
            doc.setdefault("updated_at", self.stamp)
            doc.setdefault("updated_by", self.actor)
            doc.setdefault("version", 1)
        return str(self._tables.insert(table, doc))

    def update(self, table: str, key: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Replace a record by a new one: the old fields, `changes` over them, and (versioned tables) the version
        one higher, updated now by the actor. The new record is returned; the old one stays as it was."""
        old = self._tables.table(table)[key]
        new = {**old, **changes}
        if table in VERSIONED_TABLES:
            new["version"] = int(old.get("version", 1)) + 1
            new["updated_at"] = self.stamp
            new["updated_by"] = self.actor
        self._tables.put(table, key, new)
        return new

    def remove(self, table: str, key: str) -> Rec:
        """Delete a record; the removed record is returned."""
        old = self._tables.table(table)[key]
        self._tables.remove(table, key)
        return old

    def audit(
        self,
        action: str,
        object_type: str,
        object_id: str,
        object_name: str,
        *,
        fields: list[str] | None = None,
        app_owner: str | None = None,
        app_owner_id: str | None = None,
        detail: str = "",
        changes: Mapping[str, Any] | None = None,
    ) -> None:
        """Append an audit entry: who (login and user id), what, which object, which fields, and `changes`, each
        changed field's {"old": ..., "new": ...} (the caller never passes a secret: a rotation says "rotated")."""
        if changes:
            fields = sorted(set(fields or []) | set(changes))
        self._tables.insert(
            "audit",
            {
                "at": self.stamp,
                "actor": self.actor,
                "actor_id": self.actor_id,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "object_name": object_name,
                "app_owner": app_owner,
                "app_owner_id": app_owner_id,
                "fields": sorted(fields or []),
                "detail": detail,
                **({"changes": dict(changes)} if changes else {}),
            },
        )


class Repository:
    """The store's records for one acting user: reads from the last parse, changes in transactions."""

    def __init__(self, store: StoreFile, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock

    def snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The tables as last read (parsed again only when the file changed); read-only by contract."""
        return self.store.read()

    @contextlib.contextmanager
    def transaction(self, actor: str, actor_id: str | None = None) -> Iterator[Transaction]:
        """Lock, read fresh, yield the transaction; written atomically when the block ends and something changed."""
        with self.store.transaction() as tables:
            yield Transaction(tables, actor, actor_id, self.clock)
