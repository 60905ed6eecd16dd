"""The TUI under ssh-serve (spec sections 7 and 8; issue 10 item 6): no screenshot can put a revealed secret in a
file, and the settings (the theme) are the acting appdeck user's, not the service account's.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from store.controller import Controller
from tui.app import AppdeckApp
from tui.config import load_config, save_theme
from tui_helpers import (
    SIZE,
    app_by_name,
    demo_path,  # noqa: F401  (fixture)
    details_text,
    move_to,
    tui_config,  # noqa: F401  (autouse fixture)
)


def _own_file(cfg: Path, user: str) -> Path:
    return cfg.parent / "users" / f"{user}.toml"


async def test_the_palette_has_no_screenshot(demo_path: Path) -> None:
    """Spec 7 (team use over SSH: the TUI runs on the server): Textual's "Screenshot" system command is not offered;
    the other system commands (Theme, Quit, Keys) still are."""
    app = AppdeckApp(Controller(demo_path, "root"), config={})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Screenshot" not in titles
        assert {"Theme", "Quit", "Keys"} <= set(titles)


async def test_no_screenshot_is_written_with_a_revealed_secret(demo_path: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Spec 7/8: with a secret revealed, the screenshot action, `deliver_screenshot` and `save_screenshot` write no
    file (neither in the directory given nor in ~/Downloads); the app says screenshots are off."""
    home = tmp_path / "home"
    (home / "Downloads").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(home / "Downloads"))
    out = tmp_path / "shots"
    out.mkdir()
    app = AppdeckApp(Controller(demo_path, "root"), config={})
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Customer Portal")
        await pilot.press("r")
        await pilot.pause()
        secret = app_by_name(demo_path, "Customer Portal")["client_secret"]
        assert secret in details_text(app)
        await app.run_action("screenshot")
        app.action_screenshot(path=str(out))
        app.deliver_screenshot(path=str(out))
        app.save_screenshot(path=str(out))
        await pilot.pause(0.3)
        assert app.is_running
    assert list(out.iterdir()) == []
    assert list((home / "Downloads").iterdir()) == []


async def test_a_theme_picked_by_one_user_is_not_applied_to_another(demo_path: Path, tui_config: Path) -> None:
    """Spec 7 (one service account, one identity per key): dev-ana picking a theme writes only her own file, mode
    0600; root on the same config file keeps the default theme; dev-ana gets hers back next time."""
    app = AppdeckApp(Controller(demo_path, "dev-ana"))
    default = app.theme
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.theme = "dracula"
        await pilot.pause()
    assert not tui_config.exists()  # the shared file is never written
    own = _own_file(tui_config, "dev-ana")
    assert 'theme = "dracula"' in own.read_text(encoding="utf-8")
    assert stat.S_IMODE(own.stat().st_mode) == 0o600
    other = AppdeckApp(Controller(demo_path, "root"))
    assert other.theme == default != "dracula"
    again = AppdeckApp(Controller(demo_path, "dev-ana"))
    assert again.theme == "dracula"
    opened = AppdeckApp(store_path=demo_path, user="dev-raj")  # as run_tui (and so ssh-serve) starts it
    assert opened.theme == default


def test_the_shared_file_is_read_and_the_user_file_wins(tui_config: Path) -> None:
    """Spec 7: the shared config.toml (the service account's) gives defaults for everyone, a user's own file
    overrides the theme and adds keys; save_theme leaves the shared file byte for byte."""
    tui_config.write_text('theme = "nord"\n[keymap]\nnew_app = "N"\nquit = "Q"\n', encoding="utf-8")
    before = tui_config.read_bytes()
    assert load_config(user="dev-ana")["theme"] == "nord"
    _own_file(tui_config, "dev-ana").parent.mkdir()
    _own_file(tui_config, "dev-ana").write_text('[keymap]\nquit = "x"\n', encoding="utf-8")
    assert save_theme("gruvbox", "dev-ana") is None
    ana, raj = load_config(user="dev-ana"), load_config(user="dev-raj")
    assert ana["theme"] == "gruvbox" and ana["keymap"] == {"new_app": "N", "quit": "x"}
    assert raj["theme"] == "nord" and raj["keymap"] == {"new_app": "N", "quit": "Q"}
    assert tui_config.read_bytes() == before
    assert save_theme("gruvbox", None) is None and save_theme("gruvbox", "../etc/passwd") is None
    assert sorted(p.name for p in tui_config.parent.joinpath("users").iterdir()) == ["dev-ana.toml"]


def test_saving_the_theme_never_follows_a_symlink(tui_config: Path, tmp_path: Path) -> None:
    """Spec 8 (appdeck never writes through a symbolic link): a user file that is a symlink, or a users directory
    that is one, is refused with a reason; the target is untouched and no temp file is left."""
    target = tmp_path / "victim.txt"
    target.write_text("keep me\n", encoding="utf-8")
    users = tui_config.parent / "users"
    users.mkdir()
    (users / "root.toml").symlink_to(target)
    problem = save_theme("dracula", "root")
    assert problem and "symbolic link" in problem
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert (users / "root.toml").is_symlink()
    assert sorted(p.name for p in users.iterdir()) == ["root.toml"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(users, tmp_path / "old-users")
    users.symlink_to(elsewhere)
    assert save_theme("dracula", "root")
    assert list(elsewhere.iterdir()) == []


def test_a_fifo_as_config_does_not_hang(tui_config: Path) -> None:
    """Spec 8 (only regular files are opened; a FIFO is never a hang): the config read gives a problem at once."""
    os.mkfifo(tui_config)
    result: dict[str, object] = {}
    t = threading.Thread(target=lambda: result.update(load_config(user="root")), daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "load_config blocked on a FIFO"
    assert "not a regular file" in str(result.get("_problem"))
