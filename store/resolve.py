"""Which store and which user: flag, then environment, then the default. Light on purpose (no orjson, no pydantic):
the TUI resolves both before its first paint."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from store.errors import PermissionDeniedError


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
    """The store path in effect and where it came from: flag, env or default."""
    if flag:
        return Path(flag).expanduser(), "--store"
    env = os.environ.get("APPDECK_STORE")
    if env:
        return Path(env).expanduser(), "APPDECK_STORE"
    path = default_store_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path, "default"


def resolve_user(flag: str | None) -> tuple[str, str]:
    """The acting user and where it came from: --user, APPDECK_USER, or the process's uid."""
    if flag:
        return flag, "--user"
    env = os.environ.get("APPDECK_USER")
    if env:
        return env, "APPDECK_USER"
    return process_login(), "uid"
