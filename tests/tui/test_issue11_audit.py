"""Issue 11 item 6: the audit view opens on the highlighted app (a shows everything the user may see), filters as
you type, and shows the detail the CLI prints (`editor -> viewer; 3 apps to root`), through one function in
store/policy.py (`audit_changes`) that both use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import run_cli
from store.controller import Controller
from store.policy import audit_changes
from tui.screens.audit import CHANGES_WIDTH, AuditScreen
from tui.screens.developers import DevelopersScreen
from tui_helpers import (  # noqa: F401  (fixtures)
    app_by_name,
    demo_path,
    details_text,
    make_app,
    move_to,
    row_list,
    screen_text,
    tui_config,
)

SIZE = (80, 24)


def objects(app: Any) -> list[str]:
    """The Object cell of every visible row."""
    return row_list(app).describe(lambda r: r.cells[3])


def header(app: Any) -> str:
    return "".join(seg.text for seg in row_list(app).render_line(0))


async def test_a_opens_the_highlighted_apps_entries_and_a_again_shows_everything(demo_path: Path) -> None:
    ctl = Controller(demo_path, "root")
    rec = app_by_name(demo_path, "Scratch App")
    ctl.rotate_secret(rec["id"])
    ctl.update_app(app_by_name(demo_path, "Customer Portal")["id"], {"description": "Changed."})
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Scratch App")
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AuditScreen) and screen.scoped
        mine = objects(app)
        assert mine and all(o == "app Scratch App" for o in mine)
        assert "Scratch App" in screen_text(app).splitlines()[0]  # the top bar names the app
        assert len(mine) == len(ctl.audit(rec["id"]))
        await pilot.press("a")
        await pilot.pause()
        everything = objects(app)
        assert not screen.scoped and len(everything) == len(ctl.audit()) > len(mine)
        assert "app Customer Portal" in everything
        await pilot.press("a")  # and back
        await pilot.pause()
        assert objects(app) == mine
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)


async def test_the_audit_filters_as_you_type_and_counts_the_matches(demo_path: Path) -> None:
    ctl = Controller(demo_path, "root")
    rec = app_by_name(demo_path, "Scratch App")
    ctl.rotate_secret(rec["id"])
    ctl.rotate_secret(rec["id"])
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await move_to(pilot, "Scratch App")
        await pilot.press("a")
        await pilot.pause()
        total = row_list(app).total_count
        await pilot.press("slash", *"rotat")
        await pilot.pause()
        actions = row_list(app).describe(lambda r: r.cells[2])
        assert actions and set(actions) == {"rotate_secret"} and len(actions) == 2
        assert f"1/2 of {total}" in header(app)
        await pilot.press("escape")  # clears the filter first
        await pilot.pause()
        assert isinstance(app.screen, AuditScreen) and row_list(app).row_count == total
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)


async def test_the_audit_shows_the_detail_the_cli_prints(demo_path: Path) -> None:
    """A demotion that hands the user's apps to another: the list and the details pane show `editor -> viewer;
    N apps to root`, as `appdeck audit` prints it, and the changes as store.policy.audit_changes says."""
    ctl = Controller(demo_path, "root")
    ctl.set_role("dev-lee", "viewer", inherit_to="root")
    entry = next(e for e in ctl.audit() if e.action == "set_role")
    assert entry.detail.startswith("editor -> viewer; ") and entry.detail.endswith(" apps to root")
    app = make_app(demo_path, "root")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        if app.screen.scoped:  # type: ignore[attr-defined]
            await pilot.press("a")
            await pilot.pause()
        await pilot.press("slash", *"set_role", "enter")
        await pilot.pause()
        cells = row_list(app).describe(lambda r: r.cells[4])
        assert cells == [f"{audit_changes(entry.changes, entry.fields, width=CHANGES_WIDTH)} · {entry.detail}"]
        details = details_text(app)
        assert f"Detail        {entry.detail}" in details
        assert 'Changes       role: "editor" -> "viewer"' in details
    out = run_cli("audit", store=demo_path, user="root").stdout.decode()
    line = next(line for line in out.splitlines() if "set_role" in line)
    assert entry.detail in line and audit_changes(entry.changes, entry.fields) in line
