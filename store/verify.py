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
from pathlib import Path
from typing import Any

from store.errors import PermissionDeniedError, StoreError
from store.storage import StoreFile, os_reason, parse
from store.vocabulary import (
    ADMIN,
    APP_TYPES,
    DEFAULT_APP_TYPE,
    GROUPS_SHARING,
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
    return problems


def verify(path: str | os.PathLike[str]) -> list[str]:
    """Everything wrong with the store file at `path`, one sentence each; an empty list means it is fine."""
    p = Path(path).expanduser().absolute()
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        return [f"The store {p} does not exist."]
    except OSError as exc:
        return [f"Cannot read the store {p}: {os_reason(exc)}."]
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
        data = parse(path.read_bytes(), path)
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


def restore_backup(store: StoreFile, user: str) -> None:
    """Swap `<store>.bak` and the store under the store's lock, atomically: the current file becomes the
    backup, so a restore is undone by running it again. Checks are repeated under the lock."""
    bak = store.backup_path
    with store.lock():
        check_restore(store, user)
        try:
            if not store.path.exists():
                os.link(bak, store.path)  # nothing to keep: the backup becomes the store and stays the backup
            elif not _exchange(store.path, bak):
                # No RENAME_EXCHANGE: link the current file aside (a name the temp sweep leaves alone, so a crash
                # between the two renames keeps it), put the backup in place, then move the old file to .bak.
                aside = store.path.with_name(store.path.name + ".pre-restore")
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(aside)
                os.link(store.path, aside)
                os.replace(bak, store.path)
                os.replace(aside, bak)
        except OSError as exc:
            raise StoreError(f"Cannot restore the backup of {store.path}: {os_reason(exc)}.") from None
        store._fsync_dir()
