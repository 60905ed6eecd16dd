"""Shared pieces of the TUI tests: isolated config, demo stores, the app under test and screen-text readers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Static

from store.controller import Controller
from store.demo import create_demo
from tui.app import AppdeckApp
from tui.widgets.row_list import RowList

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def tui_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Theme saving and config reading go to a temporary file, never the real home."""
    cfg = tmp_path / "appdeck-config.toml"
    monkeypatch.setenv("APPDECK_CONFIG", str(cfg))
    return cfg


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    """A demo store (`root` is an admin owning Customer Portal, Preview Deployments and Scratch App)."""
    path = tmp_path / "demo" / "store.json"
    path.parent.mkdir()
    create_demo(path, "root")
    return path


def make_app(path: Path, user: str = "root", *, readonly: bool = False) -> AppdeckApp:
    """The app under test, without the user's real config; notifications are recorded on `app.sent`."""
    app = AppdeckApp(Controller(path, user, readonly=readonly), config={})
    record_notifications(app)
    return app


def record_notifications(app: App[Any]) -> list[dict[str, str]]:
    """Wrap `app.notify` so every notification (title, message, severity) is kept, even after it expires."""
    sent: list[dict[str, str]] = []
    original = app.notify

    def notify(message: Any, *, title: Any = "", severity: Any = "information", **kwargs: Any) -> None:
        sent.append({"message": str(message), "title": str(title), "severity": str(severity)})
        original(message, title=title, severity=severity, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    say = getattr(app, "say", None)
    if say is not None:  # routine messages go to the status line: kept too (title "status")

        def said(text: str, **kwargs: Any) -> None:
            if text:
                sent.append({"message": str(text), "title": "status", "severity": str(kwargs.get("severity", "information"))})
            say(text, **kwargs)

        app.say = said  # type: ignore[attr-defined]
    app.sent = sent  # type: ignore[attr-defined]
    return sent


def sent_text(app: App[Any]) -> str:
    """Every notification title and message so far, one per line."""
    return "\n".join(f"{n['title']}: {n['message']}" for n in app.sent)  # type: ignore[attr-defined]


def fresh(path: Path, user: str = "root") -> Controller:
    """A second Controller reading the file anew (what the test asserts on)."""
    return Controller(path, user)


def app_by_name(path: Path, name: str, user: str = "root") -> dict[str, Any]:
    """The stored record of the app with this name, read straight from the JSON file."""
    recs = [r for r in raw_apps(path).values() if r["name"] == name]
    assert len(recs) == 1, f"{len(recs)} apps named {name!r}"
    return recs[0]


def raw_apps(path: Path) -> dict[str, dict[str, Any]]:
    """The apps table of the store file, as stored."""
    return dict(json.loads(path.read_text(encoding="utf-8")).get("apps", {}))


def screen_lines(app: App[Any]) -> list[str]:
    """The plain text of the current screen as the terminal would show it (modals included)."""
    strips = app.screen._compositor.render_strips()
    return ["".join(seg.text for seg in strip) for strip in strips]


def screen_text(app: App[Any]) -> str:
    """The current screen's text, lines joined by newlines."""
    return "\n".join(screen_lines(app))


def row_list(app: App[Any]) -> RowList:
    """The current screen's main list."""
    return app.screen.query_one(RowList)


def details_text(app: App[Any]) -> str:
    """The plain text of the details pane."""
    return str(app.screen.query_one("#details").content)  # type: ignore[attr-defined]


def key_of(app: App[Any], name: str) -> str:
    """The row key (app id) of the row whose first cell is `name`."""
    lst = row_list(app)
    rows = lst.rows_by_key()
    keys = [k for k, r in rows.items() if r.cells[0] == name]
    assert len(keys) == 1, f"{len(keys)} rows named {name!r}"
    return keys[0]


async def move_to(pilot: Any, name: str) -> None:
    """Move the list cursor onto the row named `name` with j/g keys only."""
    app = pilot.app
    target = key_of(app, name)
    await pilot.press("g")
    for _ in range(row_list(app).row_count):
        if row_list(app).highlighted_key == target:
            return
        await pilot.press("j")
    assert row_list(app).highlighted_key == target, f"{name!r} not reachable"


def iter_statics(app: App[Any]) -> Iterator[str]:
    """The plain text of every Static/Label (and the details pane) on the current screen."""
    from tui.widgets.details_pane import DetailsPane

    for widget in app.screen.query(Static):
        yield str(widget.content)
    for pane in app.screen.query(DetailsPane):
        yield str(pane.content)
