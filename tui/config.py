"""The TUI's config: key remaps by binding id and the chosen theme (TOML in the platform's config dir).

Two files, read in this order, the second winning key by key:

- `config.toml` (or `APPDECK_CONFIG`): shared settings, written by hand (it may be a symlink, to dotfiles say).
  appdeck only ever reads it. Under
  `ssh-serve` it is the service account's file, the same for every developer: a default theme and keymap.
- `users/<login>.toml` beside it: one appdeck user's own choices (the theme picked in the palette, a keymap of
  their own). The theme is saved here, for the acting appdeck user only, so one developer's choice over
  `ssh-serve` never changes what another sees.

A config file is read only when it is a regular file (a FIFO or a device there is a problem to show, never a
hang), and a user file is written without following a symbolic link: a temp file created 0600 with O_EXCL and
O_NOFOLLOW in the real `users` directory (opened with O_NOFOLLOW), fsync, then an atomic replace.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

USERS_DIR = "users"
"""The directory beside the shared config file that holds one file per appdeck user."""


SHARED_ONLY = ("thumbnails",)
"""Tables read from the shared file only, never from a user's own: `[thumbnails]` (`mode`, `allow_private_hosts`)
says what the process fetches, and under `ssh-serve` every developer is the one service account, so one user's
file must not widen what the server asks its network for."""


def config_path() -> Path:
    """`APPDECK_CONFIG`, else config.toml in the platform's user config directory."""
    env = os.environ.get("APPDECK_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("appdeck", appauthor=False)) / "config.toml"


def user_config_path(user: str, path: Path | None = None) -> Path | None:
    """`users/<login>.toml` beside the shared config file; None for a name that is not a valid login (it could not
    be a safe file name: a valid login has no '/', and cannot start with '.')."""
    from store.text import valid_login

    if not valid_login(user):
        return None
    return (path or config_path()).parent / USERS_DIR / f"{user}.toml"


def _read_regular(path: Path, *, follow: bool) -> str | None:
    """The text of a regular file; None when there is none. Opened non-blocking so a FIFO never hangs the TUI;
    without `follow`, a symbolic link at `path` is refused (a user's own file is one appdeck writes)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise OSError(f"{path} is a symbolic link, not a regular file; appdeck does not follow it") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        return fh.read(1 << 20).decode("utf-8")


def _load_one(path: Path, *, follow: bool = True) -> dict[str, Any]:
    try:
        text = _read_regular(path, follow=follow)
    except (OSError, UnicodeDecodeError) as exc:
        return {"_problem": f"Ignored the config file {path}: {exc}"}
    if text is None:
        return {}
    import tomllib  # only when there is a file: the TUI reads its config before the first paint

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {"_problem": f"Ignored the config file {path}: {exc}"}


def load_config(path: Path | None = None, user: str | None = None) -> dict[str, Any]:
    """The shared config, overlaid with `user`'s own file (theme, keymap entries; never the `SHARED_ONLY` tables,
    e.g. `[thumbnails]`); a missing or broken file gives the defaults (and a problem to show)."""
    path = path or config_path()
    config = _load_one(path)
    own_path = user_config_path(user, path) if user else None
    if own_path is None:
        return config
    own = _load_one(own_path, follow=False)
    merged = {**config, **{k: v for k, v in own.items() if k != "keymap" and k not in SHARED_ONLY}}
    shared_keys, own_keys = config.get("keymap"), own.get("keymap")
    if isinstance(own_keys, dict):
        merged["keymap"] = {**(shared_keys if isinstance(shared_keys, dict) else {}), **own_keys}
    problems = [p for p in (config.get("_problem"), own.get("_problem")) if p]
    if problems:
        merged["_problem"] = " ".join(str(p) for p in problems)
    return merged


def keymap_of(config: dict[str, Any]) -> dict[str, str]:
    """The `[keymap]` table: binding id -> comma-separated keys."""
    table = config.get("keymap", {})
    return {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else {}


def config_warnings(config: dict[str, Any], *, themes: Iterable[str], default_theme: str,
                    binding_ids: Callable[[], Iterable[str]]) -> list[str]:
    """What in the config is not used, said once at start: an unknown theme (and the theme used instead), keymap
    entries naming no binding id (left out; the keys stay as they are). `binding_ids` is asked only when there
    is a keymap."""
    import difflib

    warnings: list[str] = []
    theme = config.get("theme")
    known_themes = sorted(themes)
    if theme is not None and (not isinstance(theme, str) or theme not in known_themes):
        near = difflib.get_close_matches(str(theme), known_themes, n=1) if isinstance(theme, str) else []
        hint = f' (did you mean "{near[0]}"?)' if near else ""
        warnings.append(f'Unknown theme "{theme}" in the config{hint}; using "{default_theme}".')
    table = config.get("keymap")
    if table is not None and not isinstance(table, dict):
        warnings.append("The config's keymap is not a table ([keymap]); it is ignored.")
    elif table:
        ids = sorted(set(binding_ids()))
        for name in (str(k) for k in table if str(k) not in ids):
            near = difflib.get_close_matches(name, ids, n=1)
            hint = f' (did you mean "{near[0]}"?)' if near else ""
            warnings.append(f'Unknown key binding id "{name}" in the config\'s [keymap]{hint}; ignored.')
    return warnings


def save_theme(theme: str, user: str | None, path: Path | None = None) -> str | None:
    """Remember the theme for `user` only, in their own file (keeping the rest of it); the shared file is never
    written. Returns why it was not saved (None when it was, or when there is no user to save it for)."""
    if not user:
        return None
    own_path = user_config_path(user, path)
    if own_path is None:
        return None
    loaded = _load_one(own_path, follow=False)
    if "_problem" in loaded:
        return str(loaded["_problem"])  # never overwrite a file we could not read: it may hold the user's keymap
    import tomli_w

    config = dict(loaded)
    config["theme"] = theme
    try:
        write_private(own_path, tomli_w.dumps(config).encode("utf-8"))
    except OSError as exc:
        return f"The theme was not saved to {own_path}: {exc.strerror or exc}"  # a read-only home must not break the app
    return None


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` atomically with `data`, mode 0600, never through a symbolic link: the last directory is
    created 0700 (its parents as the platform makes them) and opened with O_NOFOLLOW; the temp file is created
    there with O_EXCL | O_NOFOLLOW; a symbolic link or anything but a regular file at `path` is refused."""
    path.parent.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path.parent, 0o700)
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        try:
            st = os.stat(path.name, dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            pass
        else:
            if not stat.S_ISREG(st.st_mode):
                raise OSError(f"{path} is not a regular file (a symbolic link or another kind); it was left alone")
        tmp = f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
        try:
            try:
                os.fchmod(fd, 0o600)  # umask-independent
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path.name, src_dir_fd=dfd, dst_dir_fd=dfd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dfd)
            raise
        with contextlib.suppress(OSError):
            os.fsync(dfd)
    finally:
        os.close(dfd)
