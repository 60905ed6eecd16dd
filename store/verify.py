"""`appdeck store verify` and `appdeck store restore-backup`: check a store file's invariants, swap the backup in.

Both work on the file alone (no Controller), so they run when the store is corrupt. Nothing here imports
pydantic or TinyDB: the rules are restated on the raw JSON, which is what a hand edit or a bug can break.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.errors import ConflictError, PermissionDeniedError, StoreError
from store.storage import StoreFile, os_reason, parse, read_regular
from store.text import control_chars
from store.vocabulary import (
    ADMIN,
    APP_TYPES,
    DEFAULT_APP_TYPE,
    GROUPS_SHARING,
    ORGANIZATION_SHARING,
    OWNER_ROLES,
    PRIVATE_SHARING,
    ROLES,
    SCHEMA_VERSION,
    SHARING,
    TOKEN_AUTHS,
)

CLIENT_ID_RE = re.compile(r"[A-Za-z0-9]{32}")
CLIENT_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{64}")


def _label(table: str, doc_id: str, rec: dict[str, Any]) -> str:
    """`apps record 3 (app_ab12 "Portal")`: where a problem is, with repr() so no stored text drives a terminal."""
    ident = rec.get("id") or rec.get("login")
    name = rec.get("name")
    bits = " ".join(repr(x) for x in (ident, name) if isinstance(x, str))
    return f"{table} record {doc_id}" + (f" ({bits})" if bits else "")


def _positive_version(rec: dict[str, Any]) -> bool:
    v = rec.get("version", 1)
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def check_data(data: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """The invariants of a parsed store (parse() already checked JSON, shapes, record ids and schema <= ours)."""
    problems: list[str] = []
    add = problems.append

    meta = data.get("meta", {}).get("1", {})
    version = meta.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= SCHEMA_VERSION:
        add(f"meta: schema version {version!r} is not one this appdeck understands (1..{SCHEMA_VERSION})")

    users: dict[str, dict[str, Any]] = {}
    for doc_id, rec in data.get("users", {}).items():
        login = str(rec.get("login"))
        if login in users:
            add(f"{_label('users', doc_id, rec)}: the login {login!r} appears twice")
        users[login] = rec
        if rec.get("role") not in ROLES:
            add(f"{_label('users', doc_id, rec)}: role {rec.get('role')!r} is not one of {', '.join(ROLES)}")
    if not any(u.get("role") == ADMIN for u in users.values()):
        add("users: the organization has no admin")

    groups: dict[str, dict[str, Any]] = {}
    group_names: set[str] = set()
    for doc_id, rec in data.get("groups", {}).items():
        gid, name = str(rec.get("id")), rec.get("name")
        if gid in groups:
            add(f"{_label('groups', doc_id, rec)}: the group id {gid!r} appears twice")
        groups[gid] = rec
        if isinstance(name, str) and name.lower() in group_names:
            add(f"{_label('groups', doc_id, rec)}: the group name {name!r} appears twice")
        group_names.add(name.lower() if isinstance(name, str) else repr(name))
        for member in rec.get("members", []):
            if member not in users:
                add(f"{_label('groups', doc_id, rec)}: member {member!r} is not a user of the organization")

    def check_groups(table: str, doc_id: str, rec: dict[str, Any]) -> None:
        for gid in rec.get("groups", []):
            if gid not in groups:
                add(f"{_label(table, doc_id, rec)}: group {gid!r} does not exist")
        if rec.get("sharing") not in SHARING:
            add(f"{_label(table, doc_id, rec)}: sharing {rec.get('sharing')!r} is not one of {', '.join(SHARING)}")
        elif rec.get("sharing") == GROUPS_SHARING and not rec.get("groups"):
            add(f"{_label(table, doc_id, rec)}: shared with groups but names none")
        if not _positive_version(rec):
            add(f"{_label(table, doc_id, rec)}: version {rec.get('version')!r} is not a positive integer")

    app_ids: set[str] = set()
    client_ids: dict[str, str] = {}
    for doc_id, rec in data.get("apps", {}).items():
        where = _label("apps", doc_id, rec)
        app_id = str(rec.get("id"))
        if app_id in app_ids:
            add(f"{where}: the app id {app_id!r} appears twice")
        app_ids.add(app_id)
        owner = rec.get("owner")
        if owner not in users:
            add(f"{where}: owner {owner!r} is not a user of the organization")
        elif users[owner].get("role") not in OWNER_ROLES:
            add(f"{where}: owner {owner!r} is a {users[owner].get('role')}, who may not own apps")
        cid = rec.get("client_id")
        if not isinstance(cid, str) or not CLIENT_ID_RE.fullmatch(cid):
            add(f"{where}: the client ID is not 32 letters and digits")
        elif cid in client_ids:
            add(f"{where}: the client ID is also used by {client_ids[cid]}")
        else:
            client_ids[cid] = where
        secret = rec.get("client_secret")
        if not isinstance(secret, str) or not CLIENT_SECRET_RE.fullmatch(secret):
            add(f"{where}: the client secret is not 64 URL-safe characters")  # never the value
        if rec.get("app_type", DEFAULT_APP_TYPE) not in APP_TYPES:
            add(f"{where}: app type {rec.get('app_type')!r} is not one of {', '.join(APP_TYPES)}")
        if rec.get("token_auth") is not None and rec.get("token_auth") not in TOKEN_AUTHS:
            add(f"{where}: token auth {rec.get('token_auth')!r} is not a known method")
        check_groups("apps", doc_id, {"sharing": PRIVATE_SHARING, **rec})

    reg_ids: set[str] = set()
    for doc_id, rec in data.get("registered", {}).items():
        rid = str(rec.get("id"))
        if rid in reg_ids or rid in app_ids:
            add(f"{_label('registered', doc_id, rec)}: the id {rid!r} appears twice")
        reg_ids.add(rid)
        check_groups("registered", doc_id, {"sharing": PRIVATE_SHARING, **rec})
    problems.extend(control_problems(data))
    return problems


def _texts(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a record's field value (lists and objects too), with where it stands (`callback_urls[2]`)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _texts(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{where}.{key}")


def control_problems(data: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Section 9: every stored text that holds a control character (store.text), which only a hand edit or an older
    appdeck puts there. The problem names the record, the field and the code points, never the text itself."""
    problems: list[str] = []
    for table, records in data.items():
        for doc_id, rec in records.items():
            for name, value in rec.items():
                # Fast path (most values): a printable string, or a list of them, holds no control character.
                if type(value) is str and value.isprintable():
                    continue
                if type(value) is list and all(type(v) is str and v.isprintable() for v in value):
                    continue
                for where, text in _texts(value, name):
                    found = control_chars(text)
                    if found:
                        what = "a control character" if len(found) == 1 else "control characters"
                        problems.append(f"{_label(table, doc_id, rec)}: {where} holds {what} ({', '.join(found)})")
    return problems


def verify(path: str | os.PathLike[str]) -> list[str]:
    """Everything wrong with the store file at `path`, one sentence each; an empty list means it is fine."""
    p = Path(path).expanduser().absolute()
    try:
        raw = read_regular(p, f"Cannot read the store {p}")  # never through a symlink, never blocking on a FIFO
    except FileNotFoundError:
        return [f"The store {p} does not exist."]
    except OSError as exc:
        return [f"Cannot read the store {p}: {os_reason(exc)}."]
    except StoreError as exc:
        return [exc.message]
    try:
        data = parse(raw, p)
    except StoreError as exc:
        return [exc.message]
    return check_data(data)


# -- restore ---------------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where the system or file system lacks it."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(a))


def admins_of(path: Path) -> set[str] | None:
    """The admins of a parseable store file, or None when it does not parse."""
    try:
        data = parse(read_regular(path, f"Cannot read the store {path}"), path)
    except (OSError, StoreError):
        return None
    return {str(u.get("login")) for u in data.get("users", {}).values() if u.get("role") == ADMIN}


def check_verifier(path: Path, user: str) -> None:
    """verify names apps and users, private ones included: on a store that parses, only its admins may run it (over
    `ssh-serve` every member runs as one account). A file that does not parse yields only a parse error, which
    quotes no record, so anyone may see it; so may anyone when the organization has no admin left to ask."""
    admins = admins_of(Path(path).expanduser().absolute())
    if admins and user not in admins:
        raise PermissionDeniedError(f'Only an admin may verify the store; "{user}" is not an admin in {path}.')


def check_restore(store: StoreFile, user: str) -> None:
    """Refuse a restore that cannot or may not happen: no backup, a backup that fails verify, or a user who is
    not an admin of the backup (and of the current file, when that parses)."""
    bak = store.backup_path
    problem = store.write_problem()
    if problem:
        raise StoreError(f"The store {store.path} is read-only: {problem}; nothing was changed.")
    if not bak.exists():
        raise StoreError(f"There is no backup of the store {store.path} ({bak} does not exist); nothing was changed.")
    problems = verify(bak)
    if problems:
        more = f" (and {len(problems) - 1} more; run: appdeck store verify --store {bak})" if len(problems) > 1 else ""
        raise StoreError(f"The backup {bak} fails verification: {problems[0]}{more}; nothing was changed.")
    for path in (bak, store.path):
        admins = admins_of(path)
        if admins is not None and user not in admins:
            raise PermissionDeniedError(f'Only an admin may restore the backup; "{user}" is not an admin in {path}.')


# -- what a restore undoes -------------------------------------------------------------------------------

# Stamped by every write: a change to these alone is no change a person made.
_BOOKKEEPING = frozenset({"version", "updated_at", "updated_by"})
# Who sees an app (spec section 5), narrowest first: moving right widens it.
_SHARING_RANK: dict[str, int] = {PRIVATE_SHARING: 0, GROUPS_SHARING: 1, ORGANIZATION_SHARING: 2}
_OTHER_TABLES = (("users", "login"), ("groups", "id"), ("registered", "id"))

FileIdentity = tuple[int, int, int] | None


def _identity(path: Path) -> FileIdentity:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class AppUndo:
    """One app the restore changes back: what happened to it since the backup (field names, never a value)."""

    id: str
    name: str
    owner: str  # its owner now (the backup's owner for an app deleted since the backup)
    owner_after: str | None  # its owner once restored; None for an app the restore removes
    change: str  # since the backup: "created", "deleted", "changed", "undeleted" (from the trash) or "purged"
    fields: tuple[str, ...]
    secret_rotated: bool
    sharing: tuple[str, str] | None  # (now, after the restore) when the sharing mode differs
    summary: str
    owner_id: str | None = field(default=None, compare=False)  # for the audit entry: store.policy.user_id
    values: dict[str, Any] = field(default_factory=dict, compare=False)  # for the audit entry: old -> new

    def to_json(self) -> dict[str, Any]:
        widens = self.sharing is not None and _SHARING_RANK.get(self.sharing[1], 0) > _SHARING_RANK.get(self.sharing[0], 0)
        return {
            "id": self.id, "name": self.name, "owner": self.owner, "owner_after_restore": self.owner_after,
            "change": self.change, "fields": list(self.fields), "secret_rotated": self.secret_rotated,
            "sharing": None if self.sharing is None else {"now": self.sharing[0], "after_restore": self.sharing[1],
                                                          "widens": widens},
            "summary": self.summary,
        }


@dataclass(frozen=True)
class RestorePlan:
    """What `store restore-backup` undoes: the apps changed since the backup, the other tables' changes counted,
    and the audit entries written since the backup (kept: a restore never shortens the trail)."""

    store: Path
    backup: Path
    files: tuple[FileIdentity, FileIdentity]  # (store, backup) as compared: a restore refuses if either moved
    comparable: str | None  # None when the current file was compared; else why not (every change is undone)
    apps: tuple[AppUndo, ...] = ()
    other: dict[str, int] = field(default_factory=dict)
    kept_audit: tuple[dict[str, Any], ...] = ()
    changed_tables: tuple[str, ...] = ()
    backup_user_ids: dict[str, str] = field(default_factory=dict, compare=False)  # login -> store.policy.user_id

    def to_json(self) -> dict[str, Any]:
        return {
            "store": str(self.store), "backup": str(self.backup), "compared": self.comparable is None,
            "not_compared_because": self.comparable, "apps": [a.to_json() for a in self.apps],
            "other_changes": dict(self.other), "audit_entries_kept": len(self.kept_audit),
        }

    def lines(self) -> list[str]:
        """The listing a person reads before confirming (names made safe by the caller's print)."""
        if self.comparable is not None:
            return [f"The current file cannot be compared with the backup ({self.comparable}): "
                    "whatever changed since the backup is undone."]
        n = len(self.apps)
        out = [f"The restore undoes what changed since the backup in {_count(n, 'app')}:" if n
               else "No app changed since the backup."]
        for a in self.apps:
            owner = a.owner if a.owner_after in (None, a.owner) else f"{a.owner}, {a.owner_after} after the restore"
            out.append(f'  {a.id} "{a.name}" (owner {owner}): {a.summary}')
        others = [_count(k, table.rstrip("s")) for table, k in self.other.items() if k]
        if others:
            out.append("It also undoes changes to " + ", ".join(others) + ".")
        if self.kept_audit:
            out.append(f"The audit trail is kept: {_count(len(self.kept_audit), 'entry')} written since the backup "
                       "stay, and the restore is recorded.")
        else:
            out.append("The restore is recorded in the audit trail.")
        return out


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


# Where an app is in a file: in use ("apps"), in its owner's trash ("trash", spec section 10), or nowhere.
_PLACES = ("apps", "trash")
# (place now, place in the backup) -> what happened since the backup, and what the restore does about it.
_MOVES: dict[tuple[str | None, str | None], tuple[str, str]] = {
    ("apps", None): ("created", "created since the backup: the restore removes it, and its client ID and secret "
                                "stop working"),
    ("trash", None): ("created", "created and deleted since the backup: the restore removes it from the trash"),
    (None, "apps"): ("deleted", "deleted since the backup: the restore brings it back, and its client ID and "
                                "secret work again"),
    ("trash", "apps"): ("deleted", "deleted since the backup: the restore brings it back from the trash, and its "
                                   "client ID and secret work again"),
    ("apps", "trash"): ("undeleted", "restored from the trash since the backup: the restore puts it back in the "
                                     "trash, and its client ID and secret stop working"),
    (None, "trash"): ("purged", "purged since the backup: the restore puts it back in its owner's trash"),
}


def _app_undo(now: dict[str, Any] | None, then: dict[str, Any] | None, places: tuple[str | None, str | None],
              ids_now: dict[str, str], ids_then: dict[str, str]) -> AppUndo | None:
    """How one app differs between the current file (`now`, at `places[0]`) and the backup (`then`, at
    `places[1]`); None when it does not."""
    rec = now if now is not None else then
    assert rec is not None
    owner = str(rec.get("owner", ""))
    owner_id = (ids_now if now is not None else ids_then).get(owner)
    name = str((then or rec).get("name", ""))
    app_id = str(rec.get("id"))
    owner_then = None if then is None else str(then.get("owner", ""))
    if places[0] != places[1]:
        change, summary = _MOVES[places]
        return AppUndo(app_id, name, owner, owner_then, change, (), False, None, summary, owner_id)
    assert now is not None and then is not None
    fields = tuple(sorted(k for k in now.keys() | then.keys() if k not in _BOOKKEEPING and now.get(k) != then.get(k)))
    if not fields:
        return None
    parts: list[str] = [] if places[0] == "apps" else ["in the trash"]
    rotated = "client_secret" in fields
    if rotated:
        parts.append("secret rotated since the backup: the previous secret works again")
    if "client_id" in fields:
        parts.append("client ID changed since the backup: the previous client ID works again")
    sharing: tuple[str, str] | None = None
    s_now, s_then = str(now.get("sharing", PRIVATE_SHARING)), str(then.get("sharing", PRIVATE_SHARING))
    if s_now != s_then:
        sharing = (s_now, s_then)
        way = "widens" if _SHARING_RANK.get(s_then, 0) > _SHARING_RANK.get(s_now, 0) else "narrows"
        parts.append(f"sharing changed since the backup: the restore {way} it from {s_now} to {s_then}")
    elif "groups" in fields:
        parts.append("shared with other groups since the backup: the restore puts the previous groups back")
    if "owner" in fields:
        parts.append(f"transferred since the backup: the restore gives it back to {owner_then}")
    rest = [f for f in fields if f not in ("client_secret", "client_id", "sharing", "groups", "owner")]
    if rest:
        parts.append("changed since the backup: " + ", ".join(rest))
    # The audit entry's values: each changed field from now (old) to restored (new); a secret is never a value.
    values = {f: "rotated" if f == "client_secret" else {"old": now.get(f), "new": then.get(f)} for f in fields}
    return AppUndo(app_id, name, owner, owner_then, "changed", fields, rotated, sharing, "; ".join(parts), owner_id,
                   values)


def data_tables(*datas: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """The tables of the files but the audit trail, in file order."""
    return list(dict.fromkeys(t for d in datas for t in d if t != "audit"))


def _audit_key(entry: dict[str, Any]) -> str:
    import json

    return json.dumps(entry, sort_keys=True, default=str)


def restore_plan(store: StoreFile) -> RestorePlan:
    """Compare the current file with its backup (which check_restore verified): what the restore would undo."""
    from store.policy import user_id  # pure rules; loaded only by a restore

    def ids(data: dict[str, dict[str, dict[str, Any]]]) -> dict[str, str]:
        return {str(u.get("login")): user_id(u) for u in data.get("users", {}).values()}

    bak = store.backup_path
    files = (_identity(store.path), _identity(bak))
    then = parse(read_regular(bak, f"Cannot read the backup {bak}"), bak)
    ids_then = ids(then)
    try:
        now = parse(read_regular(store.path, f"Cannot read the store {store.path}"), store.path)
    except FileNotFoundError:
        return RestorePlan(store.path, bak, files, "the store does not exist", backup_user_ids=ids_then)
    except OSError as exc:
        return RestorePlan(store.path, bak, files, os_reason(exc), backup_user_ids=ids_then)
    except StoreError as exc:
        return RestorePlan(store.path, bak, files, exc.message, backup_user_ids=ids_then)

    def by(data: dict[str, dict[str, dict[str, Any]]], table: str, key: str) -> dict[str, dict[str, Any]]:
        return {str(r.get(key)): r for r in data.get(table, {}).values()}

    def places(data: dict[str, dict[str, dict[str, Any]]]) -> dict[str, tuple[str, dict[str, Any]]]:
        return {k: (table, r) for table in reversed(_PLACES) for k, r in by(data, table, "id").items()}

    ids_now = ids(now)
    apps_now, apps_then = places(now), places(then)
    undos = []
    for k in {**apps_now, **apps_then}:
        p_now, r_now = apps_now.get(k, (None, None))
        p_then, r_then = apps_then.get(k, (None, None))
        undos.append(_app_undo(r_now, r_then, (p_now, p_then), ids_now, ids_then))
    other: dict[str, int] = {}
    for table, key in _OTHER_TABLES:
        a, b = by(now, table, key), by(then, table, key)
        other[table] = sum(1 for k in a.keys() | b.keys()
                           if {f: v for f, v in a.get(k, {}).items() if f not in _BOOKKEEPING}
                           != {f: v for f, v in b.get(k, {}).items() if f not in _BOOKKEEPING})
    org_now, org_then = now.get("meta", {}).get("1", {}), then.get("meta", {}).get("1", {})
    other["organization"] = int(org_now.get("organization") != org_then.get("organization"))
    in_backup: dict[str, int] = {}
    for e in then.get("audit", {}).values():
        k = _audit_key(e)
        in_backup[k] = in_backup.get(k, 0) + 1
    kept: list[dict[str, Any]] = []
    for e in now.get("audit", {}).values():
        k = _audit_key(e)
        if in_backup.get(k):
            in_backup[k] -= 1
        else:
            kept.append(e)
    tables = [t for t in data_tables(now, then) if now.get(t, {}) != then.get(t, {})]
    return RestorePlan(store.path, bak, files, None, tuple(u for u in undos if u is not None), other, tuple(kept),
                       tuple(tables), ids_then)


def _audited(store: StoreFile, user: str, plan: RestorePlan) -> Path:
    """A copy of the backup with the restore's audit entries appended, written through the one write path
    (store.repository, on a temp name beside the store that the temp sweep removes after a crash): the audit
    entries written since the backup, kept; one entry for the restore (object "store"); one per app it changes,
    naming the app's owner so they see it in their audit trail (store.policy.audit_visibility)."""
    from store.repository import Repository

    bak = store.backup_path
    work = store.path.with_name(f".{store.path.name}.tmp-restore-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.link(bak, work, follow_symlinks=False)  # same inode: same mode and group as the backup; the transaction replaces it by a new file
    except OSError:  # no hard links here: a copy, with the backup's mode
        raw = read_regular(bak, f"Cannot read the backup {bak}")
        fd = os.open(work, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, os.stat(bak).st_mode & 0o7777)
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    copy = StoreFile(work, lock_timeout=store.lock_timeout)
    try:
        with Repository(copy).transaction(user, plan.backup_user_ids.get(user)) as tx:
            for entry in plan.kept_audit:
                tx.insert("audit", entry)
            detail = f"restored {bak}"
            if plan.comparable is not None:
                detail += f"; the previous file was not compared ({plan.comparable})"
            else:
                detail += f"; undid what changed since the backup in {_count(len(plan.apps), 'app')}"
                if plan.kept_audit:
                    detail += f"; kept {_count(len(plan.kept_audit), 'audit entry')} written since the backup"
            tx.audit("restore_backup", "store", "store", str(store.path), fields=list(plan.changed_tables), detail=detail)
            for app in plan.apps:
                tx.audit("restore_backup", "app", app.id, app.name, fields=list(app.fields), app_owner=app.owner,
                         app_owner_id=app.owner_id, detail=app.summary, changes=app.values or None)
    except BaseException:
        _unlink(work)
        raise
    finally:
        for side in (copy.lock_path, copy.backup_path):
            _unlink(side)
    return work


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def restore_backup(store: StoreFile, user: str, *, expected: RestorePlan | None = None,
                   show: Callable[[RestorePlan], None] | None = None) -> RestorePlan:
    """Put `<store>.bak` in place under the store's lock, with the restore audited in it; the current file becomes
    the backup, so a restore is undone by running it again. Checks are repeated under the lock; with `expected`
    (the plan a person confirmed) a store or backup that changed since is a conflict and nothing is changed.
    `show` sees the plan, as compared under the lock, before anything changes. Returns that plan."""
    bak = store.backup_path
    with store.lock():
        check_restore(store, user)
        plan = restore_plan(store)
        if expected is not None and plan.files != expected.files:
            raise ConflictError(f"The store {store.path} or its backup changed since the list above was made; "
                                "nothing was changed. Run the restore again to see what it undoes now.")
        if show is not None:
            show(plan)
        try:
            work = _audited(store, user, plan)
            os.replace(work, bak)  # the backup, now with the restore's audit entries (the old one was verified)
            if not store.path.exists():
                os.link(bak, store.path, follow_symlinks=False)  # nothing to keep: the backup becomes the store and stays the backup
            elif not _exchange(store.path, bak):
                # No RENAME_EXCHANGE: link the current file aside (a name the temp sweep leaves alone, so a crash
                # between the two renames keeps it), put the backup in place, then move the old file to .bak.
                aside = store.path.with_name(store.path.name + ".pre-restore")
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(aside)
                os.link(store.path, aside, follow_symlinks=False)
                os.replace(bak, store.path)
                os.replace(aside, bak)
        except OSError as exc:
            raise StoreError(f"Cannot restore the backup of {store.path}: {os_reason(exc)}.") from None
        store._fsync_dir()
    return plan
