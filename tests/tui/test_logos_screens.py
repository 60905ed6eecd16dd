"""Logos on the screens (issue 14 item 1): the details pane's logo, the Applications tiles (`v`), the app form's
thumbnail preview and its size warning, the shared cache, keys with a slow server, and where the settings come from.

Images come from a local server on 127.0.0.1 (the only address these tests send traffic to), with
`allow_private_hosts` on in the app's config and APPDECK_THUMBNAILS=halfcell (tests/conftest.py sets it off)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "logos"))  # the logo tests' server and images

from logo_fixtures import _fresh_memory, logo_server  # noqa: F401 - fixtures
from logo_helpers import LogoServer, png

from store.controller import Controller
from tui.app import AppdeckApp
from tui.logos.widget import Logo
from tui_helpers import (
    app_by_name,
    demo_path,  # noqa: F401  (fixture)
    record_notifications,
    row_list,
    screen_lines,
    screen_text,
    tui_config,  # noqa: F401  (fixture)
)

LOGO_CONFIG: dict[str, Any] = {"thumbnails": {"allow_private_hosts": True}}


@pytest.fixture(autouse=True)
def halfcells(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("APPDECK_THUMBNAILS", "halfcell")
    monkeypatch.setattr(Logo, "delay", 0.0)
    yield


def make(path: Path, user: str = "root") -> AppdeckApp:
    app = AppdeckApp(Controller(path, user), config=LOGO_CONFIG)
    record_notifications(app)
    return app


def set_thumbnail(path: Path, name: str, url: str | None) -> None:
    rec = app_by_name(path, name)
    Controller(path, rec["owner"]).update_app(rec["id"], {"thumbnail_url": url})


async def settle(app: AppdeckApp, pilot: Any) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def details_logo(app: AppdeckApp) -> Logo:
    return app.screen.query_one("#details-logo", Logo)


async def move_to(pilot: Any, app: AppdeckApp, name: str) -> None:
    lst = row_list(app)
    for _ in range(lst.row_count):
        tag = lst.highlighted_tag
        if tag is not None and (getattr(tag, "name", None) == name or name in str(getattr(tag, "cells", [""])[0])):
            return
        await pilot.press("j")
    raise AssertionError(f"{name} is not in the list")


# -- the details pane ---------------------------------------------------------------------------------------------


async def test_the_details_pane_shows_the_logo_beside_every_field_at_80x24(demo_path: Path, logo_server: LogoServer) -> None:
    url = logo_server.image("/portal.png", png(150, 150, "orange"))
    set_thumbnail(demo_path, "Customer Portal", url)
    app = make(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        logo = details_logo(app)
        assert logo.showing_image and logo.image_cells == (16, 8)
        assert logo.region.width == 16 and logo.region.height == 8
        pane = app.screen.query_one("#details")
        assert pane.region.height == 8 and pane.region.width >= 60
        assert not logo.region.overlaps(pane.region)
        lines = screen_lines(app)
        body = lines[pane.region.y:pane.region.bottom]
        for label, value in ("Name", "Customer Portal"), ("Description", "Single page app customers log in to."), \
                ("Owner", "root"), ("App URL", "https://portal.acme.example"), ("Thumbnail", url):
            assert any(label in line and value in line for line in body), (label, body)
        assert "▀" in lines[pane.region.y]  # the logo's half-cells on the first field's row
        assert not [n for n in app.sent if n["severity"] == "error"]  # type: ignore[attr-defined]


async def test_no_thumbnail_or_an_image_that_cannot_be_had_shows_initials(demo_path: Path, logo_server: LogoServer) -> None:
    set_thumbnail(demo_path, "Customer Portal", logo_server.url("/missing.png"))  # a 404
    app = make(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        logo = details_logo(app)
        assert logo.result is not None and not logo.result.ok
        assert not logo.showing_image and logo.placeholder == "CP"
        assert "CP" in screen_text(app)
        await move_to(pilot, app, "Docs Site")  # no thumbnail at all
        await settle(app, pilot)
        assert not logo.showing_image and logo.placeholder == "DS" and "DS" in screen_text(app)
        assert not app.sent  # type: ignore[attr-defined]  # no dialog, no toast, no status line


async def test_moving_between_apps_with_logos_never_lays_out_the_screen(demo_path: Path, logo_server: LogoServer,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The count of tests/tui/test_tui_flows.py's guard, with logos arriving: a cursor move and an image arriving
    repaint the logo's cells and re-wrap the pane, never a layout of the screen."""
    from textual.screen import Screen

    for n, name in enumerate(("Customer Portal", "Docs Site", "Inventory Sync", "Wiki")):
        set_thumbnail(demo_path, name, logo_server.image(f"/{n}.png", png(60 + 30 * n, 60, "green")))
    layouts: list[int] = []
    real = Screen._refresh_layout

    def counting(self: Screen[object], *args: object, **kwargs: object) -> None:
        layouts.append(1)
        real(self, *args, **kwargs)

    app = make(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(Screen, "_refresh_layout", counting)
        shown = 0
        for _ in range(row_list(app).row_count - 1):
            await pilot.press("j")
            await settle(app, pilot)
            shown += details_logo(app).showing_image
        assert shown == 3 and layouts == []


async def test_keys_keep_working_while_a_slow_server_answers(demo_path: Path, logo_server: LogoServer) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        logo_server.release.wait(10)

    logo_server.routes["/slow.png"] = slow
    for name in ("Customer Portal", "Docs Site"):
        set_thumbnail(demo_path, name, logo_server.url("/slow.png"))
    app = make(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lst = row_list(app)
        for _ in range(3):
            await pilot.press("j", "k")
        await pilot.press("j")
        await pilot.pause()
        assert lst.highlighted_tag.name == "Docs Site"
        assert "Docs Site" in str(app.screen.query_one("#details").content)  # type: ignore[attr-defined]
        logo = details_logo(app)
        assert logo.result is None and not logo.showing_image and logo.placeholder == "DS"  # still fetching
        logo_server.release.set()
        await settle(app, pilot)


# -- tiles --------------------------------------------------------------------------------------------------------


async def test_tiles_show_logos_pinned_first_and_the_keys_move(demo_path: Path, logo_server: LogoServer) -> None:
    from tui.screens.applications import Tile, Tiles

    url = logo_server.image("/status.png", png(150, 150, "blue"))
    ctl = Controller(demo_path, "root")
    status = next(r for r in ctl.list_registered() if r.name == "Status Page")
    ctl.update_registered(status.id, {"thumbnail_url": url})
    set_thumbnail(demo_path, "Customer Portal", logo_server.image("/portal.png", png(150, 150, "red")))
    app = make(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab")
        await settle(app, pilot)
        assert "v Tiles" in screen_lines(app)[-1]  # the footer lists the binding, and so does the help
        from tui.screens.help import help_entries

        assert [e.tooltip for e in help_entries(app.screen) if e.keys == ["v"]] == [
            "Show the apps as tiles (logo, name, description) or as a list"]
        await pilot.press("v")
        await settle(app, pilot)
        tiles = app.screen.query_one(Tiles)
        assert tiles.display and app.focused is tiles and not row_list(app).display
        shown = list(tiles.query(Tile))
        assert shown[0].entry.name == "Status Page" and shown[0].entry.pinned  # pinned first
        assert tiles.columns == 2 and shown[0].has_cursor
        logos = {t.entry.name: t.query_one(Logo) for t in shown}
        assert logos["Status Page"].showing_image and logos["Status Page"].image_cells == (8, 4)
        assert logos["Customer Portal"].showing_image
        assert not logos["Docs Site"].showing_image and logos["Docs Site"].placeholder == "DS"
        text = screen_text(app)
        assert "★ Status Page" in text and "Service status." in text and "▀" in text
        await pilot.press("l")
        assert row_list(app).highlighted_key == shown[1].entry.id and shown[1].has_cursor
        await pilot.press("down")
        assert row_list(app).highlighted_key == shown[3].entry.id
        await pilot.press("h", "k")
        assert row_list(app).highlighted_key == shown[0].entry.id
        await pilot.press("right", "enter")
        await pilot.pause()
        assert f"Copied the URL of “{shown[1].entry.name}”." in [n["message"] for n in app.sent]  # type: ignore[attr-defined]
        await pilot.press("v")
        await pilot.pause()
        assert row_list(app).display and not tiles.display and app.focused is row_list(app)
        assert row_list(app).highlighted_key == shown[1].entry.id  # the same app highlighted


async def test_the_tiles_follow_the_filter(demo_path: Path) -> None:
    from tui.screens.applications import Tile

    app = make(demo_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("tab", "v")
        await pilot.pause()
        assert app.screen.query_one("#tiles").columns == 3  # type: ignore[attr-defined]
        await pilot.press("slash", *"portal")
        await pilot.pause()
        names = [t.entry.name for t in app.screen.query(Tile)]
        assert set(names) == {row_list(app).tag_of(k).cells[0].removeprefix("★ ") for k in row_list(app).visible_keys()}
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#tiles")
        await pilot.press("slash", *"zzz")
        await pilot.pause()
        assert not list(app.screen.query(Tile)) and "Nothing matches the filter." in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert len(list(app.screen.query(Tile))) == row_list(app).total_count
        assert app.focused is app.screen.query_one("#tiles")


async def test_one_request_for_the_details_and_the_tiles(demo_path: Path, logo_server: LogoServer) -> None:
    from tui.screens.applications import Tile

    url = logo_server.image("/portal.png", png(150, 150, "red"))
    set_thumbnail(demo_path, "Customer Portal", url)
    app = make(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert details_logo(app).showing_image  # the Developers view's details
        await pilot.press("tab")
        await settle(app, pilot)
        await move_to(pilot, app, "Customer Portal")
        await settle(app, pilot)
        assert details_logo(app).showing_image  # the Applications view's details
        await pilot.press("v")
        await settle(app, pilot)
        tile = next(t for t in app.screen.query(Tile) if t.entry.name == "Customer Portal")
        assert tile.query_one(Logo).showing_image
    assert logo_server.hits["/portal.png"] == 1


# -- the app form -------------------------------------------------------------------------------------------------


async def test_the_form_previews_the_thumbnail_with_its_size_and_a_warning(demo_path: Path, logo_server: LogoServer,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import Input

    from tui.logos.preview import ThumbnailPreview

    monkeypatch.setattr(ThumbnailPreview, "pause", 0.2)
    small = logo_server.image("/small.png", png(120, 80))
    good = logo_server.image("/good.png", png(150, 150))
    app = make(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        preview = app.screen.query_one(ThumbnailPreview)
        assert preview.has_class("empty")  # no thumbnail yet: nothing shown
        box = app.screen.query_one("#thumbnail_url", Input)
        box.focus()
        await pilot.press(*"http:")
        for typed in (small[:-6], small[:-3], small):  # typing on: each change starts the pause again
            box.value = typed
            await pilot.pause()
        assert preview.info is None and not logo_server.hits  # typing: nothing fetched per key
        await pilot.pause(0.4)
        await settle(app, pilot)
        assert preview.info is not None and preview.info.text == "120x80 PNG"
        assert preview.info.warning == "The image is not square and smaller than the recommended 150x150."
        assert preview.logo.showing_image
        assert "120x80 PNG" in str(app.screen.query_one("#thumbnail-info").render())
        assert "not square" in str(app.screen.query_one("#thumbnail-warning").render())
        box.value = good
        await pilot.pause(0.4)
        await settle(app, pilot)
        assert preview.info.text == "150x150 PNG" and preview.info.warning is None
        assert str(app.screen.query_one("#thumbnail-warning").render()) == ""
        box.value = logo_server.url("/nothing.png")
        await pilot.pause(0.4)
        await settle(app, pilot)
        assert preview.info.text.startswith("No preview:") and not preview.logo.showing_image
    assert logo_server.hits["/small.png"] == 1 and len(logo_server.hits) == 3  # one fetch each, once the typing paused


# -- settings -----------------------------------------------------------------------------------------------------


def test_thumbnails_come_from_the_shared_config_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.config import load_config
    from tui.logos.settings import thumbnail_settings

    shared = tmp_path / "config.toml"
    shared.write_text('[thumbnails]\nmode = "halfcell"\n')
    (tmp_path / "users").mkdir()
    (tmp_path / "users" / "dev-ana.toml").write_text('theme = "nord"\n[thumbnails]\nallow_private_hosts = true\nmode = "auto"\n')
    config = load_config(shared, user="dev-ana")
    assert config["theme"] == "nord"  # a user's own choices still count
    monkeypatch.delenv("APPDECK_THUMBNAILS")
    settings = thumbnail_settings(config)
    assert settings.mode == "halfcell" and not settings.allow_private_hosts
    monkeypatch.setenv("APPDECK_THUMBNAILS", "off")
    assert thumbnail_settings(config).mode == "off"  # the environment overrides the mode


def test_run_tui_asks_the_terminal_once_before_running(demo_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui import app as app_module
    from tui.logos import widget

    calls: list[str] = []
    monkeypatch.setattr(widget, "prepare_terminal", lambda settings: calls.append(f"prepare {settings.mode}") or "halfcell")
    monkeypatch.setattr(app_module.AppdeckApp, "run", lambda self, *a, **k: calls.append("run"))
    monkeypatch.setenv("APPDECK_THUMBNAILS", "auto")
    monkeypatch.delenv("KITTY_WINDOW_ID", raising=False)
    monkeypatch.delenv("TERM_PROGRAM", raising=False)
    monkeypatch.delenv("LC_TERMINAL", raising=False)
    monkeypatch.setenv("TERM", "xterm-kitty")
    assert app_module.run_tui(demo_path, "root") == 0
    assert calls == ["prepare auto", "run"]
    calls.clear()
    monkeypatch.setenv("TERM", "tmux-256color")  # a terminal that does not say it draws images: not asked
    assert app_module.run_tui(demo_path, "root") == 0
    assert calls == ["run"]
