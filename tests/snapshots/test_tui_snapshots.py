"""Spec sections 2, 3, 5, 9. SVG snapshots of the main screens at 80x24 and 120x40, from a demo store with fixed ids, times and secrets.

Regenerate after an intended change with `pytest tests/snapshots/test_tui_snapshots.py --snapshot-update`, and look at the SVGs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from store.demo import create_demo
from tui.app import AppdeckApp
from tui_helpers import key_of, make_app, row_list, tui_config  # noqa: F401  (autouse fixture)

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
FIXED_TIME = "2025-06-01T09:30:00+00:00"
STAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
ID_RE = re.compile(r"\b(app|grp|reg|usr)_[0-9a-f]{12}\b")


def freeze_store(path: Path) -> None:
    """Rewrite every random or time-dependent value (ids, client IDs, secrets, timestamps) to a fixed one.

    Ids are renumbered in the order the apps sort by name (groups and registered apps by name too) and replaced
    everywhere they occur (app groups, audit entries), so the store stays consistent.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    mapping: dict[str, str] = {}
    for table, prefix, key in (("apps", "app", "name"), ("groups", "grp", "name"), ("registered", "reg", "name"),
                               ("users", "usr", "login")):
        for n, rec in enumerate(sorted(data.get(table, {}).values(), key=lambda r: r[key]), start=1):
            mapping[rec["id"]] = f"{prefix}_{n:012d}"  # users: the id given when added
    for n, rec in enumerate(sorted(data["apps"].values(), key=lambda r: r["name"]), start=1):
        rec["client_id"] = f"Cid{n:02d}" + "x" * 27
        rec["client_secret"] = f"Sec{n:02d}-" + "s" * 58
    text = json.dumps(data, indent=1)
    text = ID_RE.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)
    text = STAMP_RE.sub(FIXED_TIME, text)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def frozen_demo(tmp_path: Path) -> Path:
    """The demo store (acting user root, an admin) with fixed ids, client IDs, secrets and timestamps."""
    path = tmp_path / "snap" / "store.json"
    path.parent.mkdir()
    create_demo(path, "root")
    freeze_store(path)
    return path


def snapshot_app(path: Path) -> AppdeckApp:
    """The app under test as root, with the real config kept out."""
    return make_app(path, "root")


def steady_inputs(pilot: Pilot[Any]) -> None:
    """Stop every Input's cursor from blinking so the screenshot does not depend on timing."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def go_to(name: str, *then: str) -> Callable[[Pilot[Any]], Any]:
    """A run_before that moves the cursor onto `name` by keys, then presses `then`."""

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        target = key_of(pilot.app, name)
        await pilot.press("g")
        while row_list(pilot.app).highlighted_key != target:
            await pilot.press("j")
        await pilot.press(*then)
        await pilot.pause()
        steady_inputs(pilot)

    return run


def test_frozen_store_is_deterministic(tmp_path: Path) -> None:
    """Two demo stores frozen apart are byte-identical (apart from nothing): the snapshots can be compared."""
    texts = []
    for name in ("a", "b"):
        path = tmp_path / name / "store.json"
        path.parent.mkdir()
        create_demo(path, "root")
        freeze_store(path)
        texts.append(path.read_text())
    assert texts[0] == texts[1]
    assert "Cid01" in texts[0] and STAMP_RE.findall(texts[0]) == [FIXED_TIME] * len(STAMP_RE.findall(texts[0]))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_developers_list(snap_compare: Any, frozen_demo: Path, size: tuple[int, int]) -> None:
    """The Developers view: top bar (Acme Robotics, root (admin), [Developers]), the list of the 9 apps root may see
    with Name/Type/Sharing/Owner/Updated columns and Customer Portal highlighted, its details below, and the footer keys."""
    assert snap_compare(snapshot_app(frozen_demo), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_details_of_an_advanced_app(snap_compare: Any, frozen_demo: Path, size: tuple[int, int]) -> None:
    """Legacy Intranet (a Regular Web Application owned by dev-lee) highlighted, the row counter 4/9, Edit, Share and
    Delete dimmed in the footer (not root's app): the details show type RWA with token auth client_secret_basic; at
    80x24 the pane's first 8 fields (the rest scroll), at 120x40 also the callback list not marked derived while
    login/logout are, and the secret '(owner only: dev-lee)'."""
    assert snap_compare(snapshot_app(frozen_demo), terminal_size=size, run_before=go_to("Legacy Intranet"))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_form_with_errors(snap_compare: Any, frozen_demo: Path, size: tuple[int, int]) -> None:
    """The new-app form after ctrl+s with a name containing '<' and an app URL without a scheme: the title and the
    first fields stay visible, each field shows its error under it in red (the URL error suggests https://portal.io),
    the line above the buttons says 'Not saved' and how many problems, the dialog's own footer (ctrl+s, esc, q Quit,
    f1 Help) is at the bottom; nothing is saved."""

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.press("n", *"<P>", "tab", "tab", *"portal.io", "ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        steady_inputs(pilot)
        pilot.app.screen.query_one("#form-body").scroll_home(animate=False)

    assert snap_compare(snapshot_app(frozen_demo), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_sharing_panel(snap_compare: Any, frozen_demo: Path, size: tuple[int, int]) -> None:
    """The sharing panel of Preview Deployments: 'Specific groups' chosen, the platform group checked among mobile,
    payments and platform, the line saying sharing controls visibility, not who can log in, and the dialog's own
    footer (ctrl+s Save, esc Cancel), not the list's keys."""
    assert snap_compare(snapshot_app(frozen_demo), terminal_size=size, run_before=go_to("Preview Deployments", "s"))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_credentials(snap_compare: Any, frozen_demo: Path, size: tuple[int, int]) -> None:
    """Customer Portal (root's own app) after c: the details pane, scrolled to the credentials, shows the client ID
    Cid01… and the secret masked as bullets with 'r reveals · C copies'; the status line above the footer (not a
    toast over the details) says the client ID was copied, without its value."""
    assert snap_compare(
        snapshot_app(frozen_demo), terminal_size=size, run_before=go_to("Customer Portal", "c", "enter", "down", "down", "down")
    )


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_help(snap_compare: Any, frozen_demo: Path, size: tuple[int, int]) -> None:
    """? on the Developers view: appdeck's own help screen, full width, the keys of the list grouped (Move, Actions,
    Views, App) with their descriptions, no Textual scrolling keys; its footer says how to scroll and close it."""

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(snapshot_app(frozen_demo), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_settings_users(snap_compare: Any, frozen_demo: Path, size: tuple[int, int]) -> None:
    """S then 2: Settings on the Users tab: every member with login, name, role and apps owned, the tabs 1/2/3 at the
    top, the status line and a footer with n New, e Edit, d Remove, escape Back, q Quit and ? Help."""

    async def run(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.press("S")
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(snapshot_app(frozen_demo), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_audit_of_an_app(snap_compare: Any, frozen_demo: Path, size: tuple[int, int]) -> None:
    """a on Customer Portal: the audit trail of that app only (the top bar names it), newest first, with when, who,
    action and what changed, the highlighted entry in full below."""
    assert snap_compare(snapshot_app(frozen_demo), terminal_size=size, run_before=go_to("Customer Portal", "a"))


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_applications_tiles(snap_compare: Any, frozen_demo: Path, size: tuple[int, int], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """tab then v: the Applications view as tiles (half-cell logos): the pinned Status Page first with a ★, then the
    other apps by name; Customer Portal's and Status Page's logos drawn from images served on 127.0.0.1, every other
    tile the initials of its name; each tile's name, description and URL; the highlighted tile's border; the footer
    with v Tiles, q Quit and ? Help."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "logos"))
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from logo_helpers import png

    from store.controller import Controller
    from tui.logos import fetch
    from tui.logos.widget import Logo
    from tui_helpers import record_notifications

    images = {"/portal.png": png(150, 150, "royalblue"), "/status.png": png(150, 150, "seagreen")}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = images.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        data = json.loads(frozen_demo.read_text(encoding="utf-8"))
        for table, name, path in (("apps", "Customer Portal", "/portal.png"), ("registered", "Status Page", "/status.png")):
            for rec in data[table].values():
                if rec["name"] == name:
                    rec["thumbnail_url"] = base + path
        frozen_demo.write_text(json.dumps(data, indent=1), encoding="utf-8")
        monkeypatch.setenv("APPDECK_THUMBNAILS", "halfcell")
        monkeypatch.setattr(Logo, "delay", 0.0)
        fetch.forget_memory()
        app = AppdeckApp(Controller(frozen_demo, "root"), config={"thumbnails": {"allow_private_hosts": True}})
        record_notifications(app)

        async def run(pilot: Pilot[Any]) -> None:
            await pilot.pause()
            await pilot.press("tab")
            await pilot.pause()
            await pilot.press("v")
            for _ in range(20):
                await pilot.app.workers.wait_for_complete()
                await pilot.pause(0.05)

        assert snap_compare(app, terminal_size=size, run_before=run)
    finally:
        httpd.shutdown()
        httpd.server_close()
        fetch.forget_memory()
