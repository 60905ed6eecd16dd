"""Which store and which user: flag, then environment, then the default. Light on purpose (no orjson, no pydantic):
the TUI resolves both before its first paint."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from store.errors import PermissionDeniedError, StoreError


def process_login() -> str:
    """The login name of the process's uid (not LOGNAME, which anyone can set)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        raise PermissionDeniedError(
            f"No login name for uid {os.getuid()}; pass --user NAME or set APPDECK_USER."
        ) from None


def default_store_path() -> Path:
    """The platform's user data directory for appdeck."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("appdeck", appauthor=False)) / "store.json"


def resolve_store(flag: str | None) -> tuple[Path, str]:
    """The store path in effect and where it came from: flag, env or default. A path that is there but is not a
    regular file (through a symlink: a FIFO, a directory, a device) is refused here, before anything opens it."""
    if flag:
        path, source = Path(flag).expanduser(), "--store"
    elif os.environ.get("APPDECK_STORE"):
        path, source = Path(os.environ["APPDECK_STORE"]).expanduser(), "APPDECK_STORE"
    else:
        path, source = default_store_path(), "default"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_store_path(path)
    return path, source


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words ("a named pipe (FIFO)"), from its st_mode."""
    return next((words for test, words in _KINDS if test(mode)), "a special file")


def not_regular(subject: str, mode: int) -> str:
    """`its lock file /x/store.json.lock is a symbolic link, not a regular file`: the clause every path refusal uses."""
    return f"{subject} is {file_kind(mode)}, not a regular file"


def check_store_path(path: Path) -> None:
    """Refuse a store path that is there (after following symlinks: a store given as a link is fine) but is not a
    regular file. Only a stat: nothing is opened, so a FIFO cannot block (the store's own opens check again)."""
    try:
        st = os.stat(path)
    except OSError:
        return  # not there (created on first use), or a problem the store's own open reports
    if not stat.S_ISREG(st.st_mode):
        raise StoreError(f"Cannot read the store {path}: {not_regular('it', st.st_mode)}; nothing was changed.")


def resolve_user(flag: str | None) -> tuple[str, str]:
    """The acting user and where it came from: --user, APPDECK_USER, or the process's uid."""
    if flag:
        return flag, "--user"
    env = os.environ.get("APPDECK_USER")
    if env:
        return env, "APPDECK_USER"
    return process_login(), "uid"
