"""The `[thumbnails]` settings: how logos are drawn and which hosts may be asked for them.

```toml
[thumbnails]
mode = "auto"                 # "auto" (Kitty graphics or Sixel when the terminal has them, else half-cells),
                              # "halfcell" (always coloured half-block characters), "off" (initials only; never fetches)
allow_private_hosts = false   # true lets a logo URL name a loopback, private or link-local address
```

`APPDECK_THUMBNAILS` (auto, halfcell, off) overrides `mode`. A value that is not one of the three is read as
"auto" and `problem` says so.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

Mode = Literal["auto", "halfcell", "off"]
MODES: Final[tuple[Mode, ...]] = ("auto", "halfcell", "off")
ENV_MODE: Final = "APPDECK_THUMBNAILS"

Resolver = Callable[[str, int], Sequence[str]]
"""host, port -> the addresses (as text) the host resolves to; raises OSError when it does not resolve."""

MAX_BYTES: Final = 1 << 20  # 1 MiB
TIMEOUT: Final = 3.0  # seconds, for the whole fetch (redirects included)
MAX_REDIRECTS: Final = 3
OK_TTL: Final = 24 * 3600.0  # an image is kept a day
FAIL_TTL: Final = 300.0  # a failure is remembered five minutes


def logo_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/appdeck/logos` (`~/.cache/appdeck/logos` without it; the platform's cache dir elsewhere)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("appdeck", appauthor=False)) / "logos"


@dataclass(frozen=True)
class ThumbnailSettings:
    """What `fetch_logo` and the `Logo` widget obey. Tests set `cache_dir` and `resolver`."""

    mode: Mode = "auto"
    allow_private_hosts: bool = False
    cache_dir: Path | None = None  # None: logo_cache_dir()
    resolver: Resolver | None = None  # None: socket.getaddrinfo
    timeout: float = TIMEOUT
    max_bytes: int = MAX_BYTES
    max_redirects: int = MAX_REDIRECTS
    ok_ttl: float = OK_TTL
    fail_ttl: float = FAIL_TTL
    problem: str | None = None  # a setting that could not be read (shown by whoever wants to)

    @property
    def enabled(self) -> bool:
        """False for mode "off": nothing is fetched, the initials are drawn."""
        return self.mode != "off"

    def cache_path(self) -> Path:
        return self.cache_dir if self.cache_dir is not None else logo_cache_dir()


def _mode(value: object) -> Mode | None:
    text = str(value).strip().lower() if isinstance(value, str) else None
    for mode in MODES:
        if text == mode:
            return mode
    return None


def thumbnail_settings(
    config: Mapping[str, Any] | None,
    *,
    env: Mapping[str, str] | None = None,
    shared: Mapping[str, Any] | None = None,
) -> ThumbnailSettings:
    """The settings from a loaded config dict (`app.config`, from tui.config.load_config) and the environment.

    `shared`, when given, is the shared config file alone (not overlaid with a user's own file): then
    `allow_private_hosts` is read from it only, so under `ssh-serve` no one developer's file can open the
    server's network to logo URLs. Anything malformed gives the defaults (mode "auto", private hosts refused).
    """
    env = os.environ if env is None else env
    table = config.get("thumbnails") if isinstance(config, Mapping) else None
    table = table if isinstance(table, Mapping) else {}
    trusted = table
    if shared is not None:
        shared_table = shared.get("thumbnails") if isinstance(shared, Mapping) else None
        trusted = shared_table if isinstance(shared_table, Mapping) else {}
    problems: list[str] = []
    mode: Mode = "auto"
    if "mode" in table:
        read = _mode(table.get("mode"))
        if read is None:
            problems.append('[thumbnails] mode must be "auto", "halfcell" or "off"; using "auto".')
        else:
            mode = read
    env_value = env.get(ENV_MODE)
    if env_value:
        read = _mode(env_value)
        if read is None:
            problems.append(f'{ENV_MODE} must be auto, halfcell or off; it was ignored.')
        else:
            mode = read
    allow = trusted.get("allow_private_hosts", False)
    if not isinstance(allow, bool):
        problems.append("[thumbnails] allow_private_hosts must be true or false; private hosts stay refused.")
        allow = False
    return ThumbnailSettings(mode=mode, allow_private_hosts=allow, problem=" ".join(problems) or None)


GRAPHICS_TERMS = ("xterm-kitty", "foot", "foot-extra", "wezterm", "mlterm", "contour", "xterm-ghostty")
GRAPHICS_PROGRAMS = ("WezTerm", "iTerm.app", "ghostty", "mintty", "contour")


def graphics_terminal(env: Mapping[str, str]) -> bool:
    """True when the environment names a terminal that may draw Kitty graphics or Sixel (then, and only then, the
    terminal is asked at start-up): Kitty (KITTY_WINDOW_ID or TERM xterm-kitty), WezTerm, iTerm2, foot, mlterm,
    Ghostty, mintty, Contour. Inside tmux or screen the outer terminal's variables may still be set: asked too."""
    return (bool(env.get("KITTY_WINDOW_ID")) or env.get("TERM", "") in GRAPHICS_TERMS
            or env.get("TERM_PROGRAM", "") in GRAPHICS_PROGRAMS or env.get("LC_TERMINAL", "") == "iTerm2")
