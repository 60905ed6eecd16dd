"""The TUI asks the controller's rules instead of deciding them (issue "One rule, one place"; spec section 3).

The form's Machine to Machine switch asks before clearing URL lists (naming them and how many entries go), the
token method shown is the one the type really uses, and the effective-URL preview shows only valid entries.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select

from tui.screens.app_form import AppFormScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.developers import DevelopersScreen
from tui_helpers import (  # noqa: F401  (fixtures)
    SIZE,
    app_by_name,
    demo_path,
    make_app,
    move_to,
    screen_text,
    tui_config,
)


async def test_switching_to_m2m_asks_naming_the_lists_and_clears_only_when_confirmed(demo_path: Path) -> None:
    """Spec 3: switching an app with URLs to M2M is never a silent drop; the TUI names the lists and counts."""
    before = app_by_name(demo_path, "Preview Deployments")
    assert before["callback_urls"] and before["logout_urls"]
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Preview Deployments")
        await pilot.press("e")
        assert isinstance(app.screen, AppFormScreen)
        app.screen.query_one("#app_type", Select).value = "m2m"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        assert "Allowed callback URLs (2 entries)" in text and "Allowed logout URLs (1 entry)" in text
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, AppFormScreen)
        assert app_by_name(demo_path, "Preview Deployments") == before  # declined: nothing saved
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
    after = app_by_name(demo_path, "Preview Deployments")
    assert after["app_type"] == "m2m" and after["advanced"] is True
    assert after["callback_urls"] == after["logout_urls"] == after["web_origins"] == [] and after["login_url"] is None


async def test_token_method_shown_is_the_one_the_type_uses(demo_path: Path) -> None:
    """Spec 3: a Single Page Application always uses none, M2M client_secret_post; only RWA chooses."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Preview Deployments")
        await pilot.press("e")
        form = app.screen
        token = form.query_one("#token_auth", Select)
        assert token.value == "none" and token.disabled
        form.query_one("#app_type", Select).value = "rwa"
        await pilot.pause()
        assert token.value == "client_secret_post" and not token.disabled
        token.value = "client_secret_basic"
        await pilot.pause()
        form.query_one("#app_type", Select).value = "m2m"
        await pilot.pause()
        assert token.value == "client_secret_post" and token.disabled
        form.query_one("#app_type", Select).value = "rwa"
        await pilot.pause()
        assert token.value == "client_secret_basic"  # the Regular Web App's choice comes back


async def test_preview_never_lists_an_invalid_entry_as_effective(demo_path: Path) -> None:
    """Spec 3-4: the effective values come from valid entries only; an invalid one is an error, not allowed."""
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Preview Deployments")
        await pilot.press("e")
        box = app.screen.query_one("#callback_urls", Input)
        box.value = "https://ok.acme.example/cb, example.com/cb"
        await pilot.pause()
        preview = str(app.screen.query_one("#preview").content)  # type: ignore[attr-defined]
        assert "https://ok.acme.example/cb" in preview
        assert "example.com/cb" not in preview.replace("https://ok.acme.example/cb", "")
