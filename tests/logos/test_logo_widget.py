"""The Logo widget in a tiny App: initials at once, the image from a worker, keys handled while it fetches."""

from __future__ import annotations

from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from typing import Any

from logo_fixtures import _fresh_memory, cache_dir, local, logo_server, no_sockets  # noqa: F401 - the logo tests' fixtures
from logo_helpers import LogoServer, png, two_tone_png
from textual.app import App, ComposeResult

from tui.logos.fetch import fetch_logo
from tui.logos.settings import ThumbnailSettings
from tui.logos.widget import Logo, fit_cells, halfcell_rows, initials, protocol_for


class LogoApp(App[None]):
    BINDINGS = [("x", "press", "")]

    def __init__(self, logo: Logo, config: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.logo = logo
        self.presses = 0
        self.config = config or {}
        self.loaded: list[Any] = []

    def compose(self) -> ComposeResult:
        yield self.logo

    def action_press(self) -> None:
        self.presses += 1

    def on_logo_loaded(self, message: Logo.Loaded) -> None:
        self.loaded.append(message.result)


def placeholder_text(logo: Logo) -> str:
    return logo.placeholder


async def test_the_initials_then_the_image(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/logo.png", png(200, 200))
    logo = Logo(url, "Customer Portal", settings=local, delay=0)
    app = LogoApp(logo)
    async with app.run_test(size=(40, 12)) as pilot:
        assert logo.size == (16, 8)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert logo.showing_image and logo.result is not None and logo.result.ok
        assert logo.image_cells == (16, 8)  # a square logo fills 16x8 cells (a half-cell pixel is square)
        assert logo.size == (16, 8)
        assert app.loaded and app.loaded[-1].ok


async def test_no_thumbnail_draws_the_initials(local: ThumbnailSettings) -> None:
    logo = Logo(None, "Customer Portal", settings=local, delay=0)
    app = LogoApp(logo)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert not logo.showing_image and placeholder_text(logo) == "CP"
        logo.set_app(None, "scratch")
        await pilot.pause()
        assert placeholder_text(logo) == "SC"


async def test_an_image_that_cannot_be_had_keeps_the_initials(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    logo = Logo(logo_server.url("/missing.png"), "[b]Bold[/b] Name", settings=local, delay=0)
    app = LogoApp(logo)
    async with app.run_test(size=(40, 12)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not logo.showing_image
        assert logo.result is not None and "404" in (logo.result.error or "")
        assert placeholder_text(logo) == "BN"  # stored text, never markup
        assert not app._notifications  # never an error dialog or toast


async def test_mode_off_never_fetches(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/logo.png", png(50, 50))
    logo = Logo(url, "Portal", delay=0)
    app = LogoApp(logo, config={"thumbnails": {"mode": "off"}})
    async with app.run_test(size=(40, 12)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert logo.settings.mode == "off" and protocol_for(logo.settings) == "off"
        assert not logo.showing_image and placeholder_text(logo) == "PO"
    assert logo_server.hits["/logo.png"] == 0


async def test_keys_are_handled_while_a_slow_server_answers(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        logo_server.release.wait(10)

    logo_server.routes["/slow.png"] = slow
    logo = Logo(logo_server.url("/slow.png"), "Slow App", settings=replace(local, timeout=2.0), delay=0)
    app = LogoApp(logo)
    async with app.run_test(size=(40, 12)) as pilot:
        for _ in range(5):
            await pilot.press("x")
        assert app.presses == 5
        assert logo.result is None  # the fetch is still running: the keys did not wait for it
        assert placeholder_text(logo) == "SA"
        logo_server.release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert logo.result is not None and not logo.result.ok and not logo.showing_image


async def test_a_moved_highlight_ignores_the_old_fetch(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    first = logo_server.image("/a.png", png(40, 40, "red"))
    second = logo_server.image("/b.png", png(40, 20, "blue"))
    assert fetch_logo(first, local).ok  # in this process's memory from now on
    third = logo_server.image("/c.png", png(40, 40, "green"))
    logo = Logo(third, "Gamma", settings=local, delay=0)
    app = LogoApp(logo)
    async with app.run_test(size=(40, 12)) as pilot:
        logo.set_app(second, "Beta")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert logo.result is not None and logo.result.url == second
        assert logo.image_cells == (16, 4)  # 2:1 keeps its shape
        assert app.loaded[-1].url == second  # the fetch of /c.png, if it ended, was not shown
        logo.set_app(first, "Alpha")  # decoded already: the worker only draws it
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert logo.result is not None and logo.result.url == first and logo.result.cached
        logo.set_app(second, "Beta")  # decoded and drawn: shown at once, no worker
        assert logo.result is not None and logo.result.url == second and logo.showing_image


async def test_the_delay_starts_no_fetch_per_row_passed(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    urls = [logo_server.image(f"/{n}.png", png(20, 20)) for n in range(5)]
    logo = Logo(None, "", settings=local, delay=0.3)
    app = LogoApp(logo)
    async with app.run_test(size=(40, 12)) as pilot:
        for n, url in enumerate(urls):
            logo.set_app(url, f"App {n}")
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert logo.showing_image
    assert sum(logo_server.hits.values()) == 1 and logo_server.hits["/4.png"] == 1


def test_halfcell_rows_are_the_image() -> None:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(two_tone_png(16, 16))).convert("RGBA")
    rows = halfcell_rows(image, 4, 4)
    assert len(rows) == 4
    text = ["".join(s.text for s in row) for row in rows]
    assert text == ["▀▀▀▀"] * 4
    colors = [(row[0].style.color.triplet, row[0].style.bgcolor.triplet) for row in rows]  # type: ignore[union-attr]
    red, blue = (255, 0, 0), (0, 0, 255)

    def near(a: Any, b: tuple[int, int, int]) -> bool:  # the scaling filter may shade a pixel by a step or two
        return all(abs(x - y) <= 3 for x, y in zip(a, b))

    expected = [(red, red), (red, red), (blue, blue), (blue, blue)]
    assert all(near(fg, e_fg) and near(bg, e_bg) for (fg, bg), (e_fg, e_bg) in zip(colors, expected)), colors


def test_initials_and_fit() -> None:
    assert initials("Customer Portal") == "CP"
    assert initials("scratch") == "SC"
    assert initials("  ") == "?"
    assert initials("Red\x07 \x1bapp") == "RA"  # control characters are no letters
    assert initials("x") == "X"
    assert fit_cells(200, 200, (16, 8)) == (16, 8)
    assert fit_cells(400, 100, (16, 8)) == (16, 2)
    assert fit_cells(100, 400, (16, 8)) == (4, 8)  # 4 columns by 16 half-cell rows
    assert fit_cells(10, 20, (16, 8), (10, 20)) == (8, 8)


def test_prepare_terminal_without_a_terminal_draws_half_cells() -> None:
    from tui.logos.widget import prepare_terminal

    assert prepare_terminal(ThumbnailSettings(mode="off")) == "off"
    assert prepare_terminal(ThumbnailSettings(mode="halfcell")) == "halfcell"
    assert prepare_terminal(ThumbnailSettings()) == "halfcell"  # no tty here: neither Kitty graphics nor Sixel
    assert protocol_for(ThumbnailSettings()) == "halfcell"


def test_only_a_terminal_that_names_itself_graphical_is_asked() -> None:
    """Asking the terminal costs a round trip before the first frame: auto mode asks only Kitty, WezTerm, iTerm2,
    foot and the like; tmux, xterm, the console get half-cells without a question."""
    from tui.logos.settings import graphics_terminal

    assert graphics_terminal({"KITTY_WINDOW_ID": "1"}) and graphics_terminal({"TERM": "foot"})
    assert graphics_terminal({"TERM_PROGRAM": "WezTerm"}) and graphics_terminal({"LC_TERMINAL": "iTerm2"})
    assert not graphics_terminal({"TERM": "xterm-256color"}) and not graphics_terminal({"TERM": "tmux-256color"})
    assert not graphics_terminal({})
