"""The TUI's config file: key remaps by binding id and the chosen theme (TOML in the platform's config dir)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def config_path() -> Path:
    """`APPDECK_CONFIG`, else config.toml in the platform's user config directory."""
    env = os.environ.get("APPDECK_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("appdeck", appauthor=False)) / "config.toml"


def load_config(path: Path | None = None) -> dict[str, Any]:
    """Read the config; a missing or broken file gives the defaults (and a problem to show)."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        return {"_problem": f"Ignored the config file {path}: {exc}"}
    import tomllib  # only when there is a file: the TUI reads its config before the first paint

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {"_problem": f"Ignored the config file {path}: {exc}"}


def keymap_of(config: dict[str, Any]) -> dict[str, str]:
    """The `[keymap]` table: binding id -> comma-separated keys."""
    table = config.get("keymap", {})
    return {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else {}


def save_theme(theme: str, path: Path | None = None) -> None:
    """Remember the theme, keeping the rest of the file."""
    import tomli_w

    path = path or config_path()
    loaded = load_config(path)
    if "_problem" in loaded:
        return  # never overwrite a file we could not read: it may hold the user's keymap
    config = dict(loaded)
    config["theme"] = theme
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tomli_w.dumps(config), encoding="utf-8")
    except OSError:
        pass  # a read-only home must not break the app; the theme just is not remembered
