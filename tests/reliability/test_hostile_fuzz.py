"""Spec section 9. Issue 4 item 6: hostile text in every text field, through the Controller, the CLI and the TUI.

Input side (hypothesis): control characters, ESC sequences, bidi overrides, markup-looking strings, very long and
empty values go into every text field through the Controller and through the CLI in-process. Each is either
accepted (and then stored without any control character) or refused with a ValidationError / exit 3 whose
message names the field; nothing raises anything else.

Display side: a store edited by hand to hold such text in every field is shown by the CLI (tables, TSV, `show`,
JSON) and by the TUI without a single control or bidi character reaching the terminal, markup shown literally,
and clicking runs nothing."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import DataTable, TabbedContent

from store.controller import Controller
from store.errors import ValidationError
from store.text import has_control
from tui import cli
from tui.screens.applications import ApplicationsScreen
from tui.screens.audit import AuditScreen
from tui.screens.developers import DevelopersScreen
from tui.screens.settings import SettingsScreen
from tui_helpers import SIZE, make_app, row_list, screen_text, tui_config  # noqa: F401  (autouse fixture)

# -- what must never reach a terminal -----------------------------------------------------------------------

# C0 (but \n, and \t where a format uses it as a separator), DEL, C1, and the bidi marks/embeddings/overrides/isolates.
_FORBIDDEN = "\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"


def forbidden(text: str, allow: str = "\n") -> list[str]:
    """The characters of `text` that may drive or reorder a terminal, as U+XXXX (except those in `allow`)."""
    return [f"U+{ord(c):04X}" for c in re.findall(f"[{_FORBIDDEN}\t]", text) if c not in allow]


# -- hypothesis strategies ------------------------------------------------------------------------------------

FRAGMENTS = [
    "\x1b[31m", "\x1b]8;;https://evil.example\x07", "\x1b[2J\x1b[H", "\x1bP+q\x1b\\", "\x9b31m", "\x85", "\x00",
    "\x07", "\x08", "\x7f", "\r", "\n", "\t", "\u200e", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066",
    "\u2067", "\u2068", "\u2069", "[/", "[@click=app.quit]", "[link=https://evil.example]x[/link]", "[b]", "[/b]",
    "x[/bold]", "[red]", "<", ">", "*", ",", " ", "é", "😀", "\u00a0", "https://", "example.com", "/", "#", "?", "a",
]
hostile = st.one_of(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=10).map("".join),
    st.sampled_from(["", " ", "\t", "a" * 64, "a" * 65, "a" * 100, "a" * 101, "a" * 140, "a" * 141]),
    st.integers(150, 3000).map(lambda n: "a" * n),
)
hostile_url = st.one_of(
    hostile,
    hostile.map(lambda s: "https://a.example.com/" + s),
    hostile.map(lambda s: "https://" + s + ".example.com"),
    hostile.map(lambda s: "com.example.app://" + s),
    st.integers(2030, 2060).map(lambda n: "https://a.example.com/" + "p" * n),
)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# field id -> (strategy, words one of which the refusal must contain)
APP_FIELDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "name": (hostile, ("name",)),
    "description": (hostile, ("description",)),
    "app_url": (hostile_url, ("app url",)),
    "thumbnail_url": (hostile_url, ("thumbnail",)),
    "login_url": (hostile_url, ("login url",)),
    "callback_urls": (hostile_url, ("callback",)),
    "logout_urls": (hostile_url, ("logout",)),
    "web_origins": (hostile_url, ("web origin",)),
    "cors_origins": (hostile_url, ("cors", "origin")),
    "groups": (hostile, ("group",)),
}
ADVANCED = {"login_url", "callback_urls", "logout_urls", "web_origins", "cors_origins"}
BASE = {"name": "Fuzz", "app_url": "https://fuzz.example.com"}
_seq = itertools.count()
BASE_IDS: dict[Path, str] = {}  # store path -> the id of the app every update example changes


def _app_draft(field: str, value: str) -> dict[str, Any]:
    draft: dict[str, Any] = {**BASE, field: value}
    if field in ADVANCED:
        draft["advanced"] = True
    if field == "groups":
        draft["sharing"] = "groups"
    return draft


def _refusal_names_field(exc: ValidationError, fields: set[str], words: tuple[str, ...]) -> None:
    assert exc.errors, exc
    assert {e.field for e in exc.errors} <= fields, (fields, exc.errors)
    for e in exc.errors:
        assert any(w in e.message.lower() for w in words), (words, e.message)


def _stored_clean(value: Any) -> None:
    values = value if isinstance(value, list) else [value]
    for v in values:
        assert v is None or not has_control(v), repr(v)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """One store per fuzzed field (kept small), bootstrapped by the admin `root` with a group `team`."""
    made: dict[str, Path] = {}

    def get(key: str) -> Path:
        if key not in made:
            path = tmp_path_factory.mktemp("fuzz") / "store.json"
            ctl = Controller(path, "root")
            ctl.add_group("team", ["root"])
            BASE_IDS[path] = ctl.create_app({**BASE, "name": "Base"}).app.id
            ctl.add_registered({"name": "Reg", "url": "https://reg.example.com"})
            made[key] = path
        return made[key]

    return get


# -- input side: the Controller ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", list(APP_FIELDS))
@FUZZ
@given(data=st.data())
def test_controller_app_fields_refuse_or_store_clean(stores: Callable[[str], Path], field: str, data: st.DataObject) -> None:
    strategy, words = APP_FIELDS[field]
    value = data.draw(strategy, label=field)
    as_list = field in ("callback_urls", "logout_urls", "web_origins", "cors_origins", "groups") and data.draw(st.booleans(), label="as list")
    ctl = Controller(stores(f"app-{field}"), "root")
    target = ctl.get_app(BASE_IDS[ctl.store.path]) if field != "groups" else None
    for op in ("create", "update"):
        draft = _app_draft(field, [value] if as_list else value)
        try:
            if op == "create":
                app = ctl.create_app(draft).app
            else:
                if target is None:
                    continue
                changes = {k: v for k, v in draft.items() if k not in BASE or k == field}
                app = ctl.update_app(target.id, changes, expected_version=target.version).app
                ctl.update_app(target.id, {"advanced": False, "name": "Base", "app_url": BASE["app_url"], "description": "", "thumbnail_url": None})
        except ValidationError as exc:
            _refusal_names_field(exc, {field}, words)
            continue
        stored = next(r for r in json.loads(ctl.store.path.read_bytes())["apps"].values() if r["id"] == app.id)
        _stored_clean(stored[field])
        assert not has_control(stored["name"]) and "<" not in stored["name"] and len(stored["name"]) <= 100
        assert len(stored["description"]) <= 140
        if op == "create":
            ctl.delete_app(app.id)


PEOPLE_FIELDS = ["group_name", "group_rename", "user_login", "user_display_name", "organization",
                 "reg_name", "reg_description", "reg_url", "reg_thumbnail_url", "reg_groups"]


@pytest.mark.parametrize("field", PEOPLE_FIELDS)
@FUZZ
@given(data=st.data())
def test_controller_people_and_registered_fields(stores: Callable[[str], Path], field: str, data: st.DataObject) -> None:
    value = data.draw(hostile_url if field in ("reg_url", "reg_thumbnail_url") else hostile, label=field)
    path = stores(f"people-{field}")
    ctl = Controller(path, "root")
    n = next(_seq)
    calls: dict[str, tuple[Callable[[], Any], set[str], tuple[str, ...]]] = {
        "group_name": (lambda: ctl.add_group(value), {"name"}, ("group",)),
        "group_rename": (lambda: ctl.rename_group("team", value), {"name"}, ("group",)),
        "user_login": (lambda: ctl.add_user(value), {"login"}, ("user name", "member")),
        "user_display_name": (lambda: ctl.add_user(f"u{n}", "editor", value), {"display_name"}, ("display name",)),
        "organization": (lambda: ctl.rename_organization(value), {"organization"}, ("organization",)),
        "reg_name": (lambda: ctl.add_registered({"name": value, "url": "https://r.example.com"}), {"name"}, ("name",)),
        "reg_description": (lambda: ctl.add_registered({"name": "r", "url": "https://r.example.com", "description": value}), {"description"}, ("description",)),
        "reg_url": (lambda: ctl.add_registered({"name": "r", "url": value}), {"url"}, ("url",)),
        "reg_thumbnail_url": (lambda: ctl.add_registered({"name": "r", "url": "https://r.example.com", "thumbnail_url": value}), {"thumbnail_url"}, ("thumbnail",)),
        "reg_groups": (lambda: ctl.add_registered({"name": "r", "url": "https://r.example.com", "sharing": "groups", "groups": [value]}), {"groups"}, ("group",)),
    }
    call, fields, words = calls[field]
    try:
        call()
    except ValidationError as exc:
        _refusal_names_field(exc, fields, words)
    data_ = json.loads(path.read_bytes())
    texts = [data_["meta"]["1"]["organization"]]
    for table in ("users", "groups", "registered"):
        for rec in data_[table].values():
            texts += [v for v in rec.values() if isinstance(v, str)]
            texts += [x for v in rec.values() if isinstance(v, list) for x in v]
    assert not [t for t in texts if has_control(t)]
    if field == "group_rename":
        for g in data_["groups"].values():  # put the name back, so the next example renames it again
            if g["name"] != "team" and g["members"] == ["root"]:
                ctl.rename_group(g["id"], "team")


# -- input side: the CLI in-process ------------------------------------------------------------------------------

CLI_CASES: dict[str, tuple[Callable[[str, str], list[str]], tuple[str, ...]]] = {
    "apps create --name": (lambda v, a: ["apps", "create", f"--name={v}", "--app-url=https://c.example.com"], ("name",)),
    "apps create --app-url": (lambda v, a: ["apps", "create", "--name=c", f"--app-url={v}"], ("app url",)),
    "apps create --description": (lambda v, a: ["apps", "create", "--name=c", "--app-url=https://c.example.com", f"--description={v}"], ("description",)),
    "apps create --thumbnail-url": (lambda v, a: ["apps", "create", "--name=c", "--app-url=https://c.example.com", f"--thumbnail-url={v}"], ("thumbnail",)),
    "apps create --login-url": (lambda v, a: ["apps", "create", "--name=c", "--app-url=https://c.example.com", f"--login-url={v}"], ("login url",)),
    "apps create --callback-url": (lambda v, a: ["apps", "create", "--name=c", "--app-url=https://c.example.com", f"--callback-url={v}"], ("callback",)),
    "apps update --logout-url": (lambda v, a: ["apps", "update", a, f"--logout-url={v}"], ("logout",)),
    "apps update --web-origin": (lambda v, a: ["apps", "update", a, f"--web-origin={v}"], ("web origin",)),
    "apps update --cors-origin": (lambda v, a: ["apps", "update", a, f"--cors-origin={v}"], ("cors", "origin")),
    "apps update --name": (lambda v, a: ["apps", "update", a, f"--name={v}"], ("name",)),
    "apps share --group": (lambda v, a: ["apps", "share", a, f"--group={v}"], ("group",)),
    "groups add": (lambda v, a: ["groups", "add", "--", v], ("group",)),
    "users add": (lambda v, a: ["users", "add", "--", v], ("user name", "member")),
    "users add --display-name": (lambda v, a: ["users", "add", f"--display-name={v}", "--", f"d{next(_seq)}"], ("display name",)),
    "registered add --name": (lambda v, a: ["registered", "add", f"--name={v}", "--url=https://r.example.com"], ("name",)),
    "registered add --url": (lambda v, a: ["registered", "add", "--name=r", f"--url={v}"], ("url",)),
    "registered add --description": (lambda v, a: ["registered", "add", "--name=r", "--url=https://r.example.com", f"--description={v}"], ("description",)),
    "org rename": (lambda v, a: ["org", "rename", "--", v], ("organization",)),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=st.one_of(hostile, hostile.map(lambda s: "https://a.example.com/" + s)))
def test_cli_refuses_with_exit_3_naming_the_field(stores: Callable[[str], Path], capsys: pytest.CaptureFixture[str], case: str, value: str) -> None:
    path = stores(f"cli-{case}")
    app_id = BASE_IDS[path]
    build, words = CLI_CASES[case]
    capsys.readouterr()
    code = cli.run(["--store", str(path), "--user", "root", *build(value, app_id)])
    out, err = capsys.readouterr()
    assert code in (0, 3), (code, out, err)
    if code == 3:
        assert err.startswith("appdeck: ") and any(w in err.lower() for w in words), err
    assert not forbidden(out + err), (out, err)
    data = json.loads(path.read_bytes())
    for table in ("apps", "users", "groups", "registered"):
        for rec in data[table].values():
            for v in rec.values():
                _stored_clean(v if isinstance(v, list) else v if isinstance(v, str) else None)
    assert not has_control(data["meta"]["1"]["organization"])


# -- display side: a store edited by hand -------------------------------------------------------------------------

H = ("\x1b[31m[/\x00\x07\x7f\x85\x9b\u202e\u2066\u200f [@click=app.quit]go [link=https://evil.example]x[/link] "
     "[b]b[/b]\r\n\t\x1b]8;;http://e\x07w\x1b\\ end")
MARKUP = ["[@click=app.quit]go", "[link=https://evil.example]x[/link]", "[b]b[/b]"]


@pytest.fixture
def hand_edited(tmp_path: Path) -> dict[str, Any]:
    """A store whose every text field was edited by hand to hold escape codes, bidi overrides and markup."""
    path = tmp_path / "hand" / "store.json"
    path.parent.mkdir()
    ctl = Controller(path, "alice")
    ctl.add_user("mallory", "editor")
    grp = ctl.add_group("team", ["alice", "mallory"])
    own = ctl.create_app({"name": "mine", "app_url": "https://a.example.com"}).app
    Controller(path, "mallory").create_app({"name": "theirs", "app_url": "https://b.example.com"})
    ctl.add_registered({"name": "reg", "url": "https://r.example.com", "pinned": True})
    data = json.loads(path.read_text(encoding="utf-8"))
    data["meta"]["1"]["organization"] = "org" + H
    for u in data["users"].values():
        u["display_name"] = "dn" + H
        if u["login"] == "mallory":
            u["login"] = "mallory" + H
    for g in data["groups"].values():
        g["name"] = "grp" + H
        g["members"] = ["alice", "mallory" + H]
    for i, a in enumerate(data["apps"].values()):
        a.update(
            name=f"app{i}" + H, description="desc" + H, app_url="https://a.example.com/" + H, thumbnail_url="https://t/" + H,
            advanced=True, login_url="https://l.example.com/" + H, callback_urls=["https://c.example.com/" + H, H],
            logout_urls=[H], web_origins=[H], cors_origins=["https://o.example.com" + H], created_at="c" + H,
            updated_at="u" + H, updated_by="ub" + H, sharing="groups", groups=[grp["id"]],
        )
        if a["owner"] == "mallory":
            a["owner"] = "mallory" + H
            a["client_id"] = "cid" + H
    for r in data["registered"].values():
        r.update(name="reg" + H, description="rdesc" + H, url="https://r.example.com/" + H, thumbnail_url=H,
                 sharing="groups", groups=[grp["id"]])
    for e in data["audit"].values():
        e.update(actor="actor" + H, object_name="on" + H, detail="det" + H, fields=["f" + H], object_id=e["object_id"] + H)
    data["audit"][str(len(data["audit"]) + 1)] = {
        "at": "at" + H, "actor": "alice", "action": "act" + H, "object_type": "app", "object_id": own.id,
        "object_name": H, "app_owner": "alice", "fields": [H], "detail": H,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return {"path": path, "own": own.id}


CLI_DISPLAY = [
    ["apps", "list"], ["apps", "list", "--view", "applications"], ["apps", "show", "{own}"],
    ["apps", "show", "{own}", "--reveal-secret"], ["users", "list"], ["groups", "list"], ["registered", "list"],
    ["audit"], ["audit", "--app", "{own}"], ["info"],
    ["apps", "list", "--json"], ["apps", "list", "--view", "applications", "--json"], ["apps", "show", "{own}", "--json"],
    ["users", "list", "--json"], ["groups", "list", "--json"], ["registered", "list", "--json"], ["audit", "--json"],
]
_HEADER_SGR = re.compile(r"\A\x1b\[1m(.*?)\x1b\[0m\n", re.S)  # the CLI's own bold table header, on a terminal


@pytest.mark.parametrize("terminal", [False, True], ids=["tsv", "table"])
def test_cli_shows_a_hand_edited_store_without_controls(
    hand_edited: dict[str, Any], capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    monkeypatch.setattr(cli, "plain_output", lambda: not terminal)
    monkeypatch.setenv("COLUMNS", "2000")  # a terminal table fits the width: wide enough that no cell is cut here
    report = []
    for argv in CLI_DISPLAY:
        argv = [a.format(own=hand_edited["own"]) for a in argv]
        code = cli.run(["--store", str(hand_edited["path"]), "--user", "alice", *argv])
        out_b, err_b = capsysbinary.readouterr()
        out, err = out_b.decode("utf-8"), err_b.decode("utf-8")
        assert code == 0, (argv, err)
        assert out.strip(), argv
        if terminal and argv[0] in ("apps", "users", "groups", "registered", "audit") and "--json" not in argv and argv[1:2] != ["show"]:
            out = _HEADER_SGR.sub(lambda m: m.group(1) + "\n", out, count=1)
        tsv = not terminal and "--json" not in argv
        bad = forbidden(out, allow="\n\t" if tsv else "\n") + forbidden(err)
        assert not bad, (argv, bad, out)
        if "--json" in argv:
            json.loads(out)  # still one parseable document, every character escaped but none lost
            assert "\\u001b" in out and "\\u202e" in out.lower()
        else:
            # markup is never interpreted: it comes out as typed (the CLI has no markup layer at all)
            assert any(m in out for m in MARKUP), argv
        report.append(f"{' '.join(argv)}: {len(out_b)} bytes")
    print("\nCLI display of a hand-edited store, no control byte in: " + "; ".join(report))


# -- display side: the TUI ----------------------------------------------------------------------------------------

_CSI = re.compile(r"\x1b\[[0-9;:?<>=]*[ -/]*[@-~]")
_OSC8 = re.compile(r"\x1b\]8;[^;\x1b\x07]*;([^\x1b\x07]*)\x1b\\")


def assert_terminal_clean(app: Any, where: str) -> str:
    """What the driver would write for the whole screen: segment text free of controls, and no escape besides CSI."""
    strips = app.screen._compositor.render_strips()
    segments = [seg for strip in strips for seg in strip if not seg.control]
    text = "".join(seg.text for seg in segments)
    assert not forbidden(text, allow=""), (where, forbidden(text, allow=""))
    update = app.screen._compositor.render_full_update()
    sequence = update.render_segments(app.console)
    # Textual's own hyperlinks (OSC 8) carry a URL made safe: no ESC or BEL can end them early.
    links = _OSC8.findall(sequence)
    assert not [u for u in links if forbidden(u, allow="")], links
    rest = _CSI.sub("", _OSC8.sub("", sequence))
    assert not forbidden(rest), (where, [rest[max(0, i - 30):i + 60] for i in [m.start() for m in re.finditer("\x1b", rest)][:3]])  # Textual ends each line with \n
    return screen_text(app)


async def test_tui_shows_a_hand_edited_store_literally_and_safely(hand_edited: dict[str, Any]) -> None:
    app = make_app(hand_edited["path"], "alice")
    seen: set[str] = set()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DevelopersScreen)
        lst = row_list(app)
        assert lst.row_count == 2
        text = assert_terminal_clean(app, "developers")
        assert "[/" in text and "[@click=app.quit]go" in text
        for _ in range(lst.row_count):
            text = assert_terminal_clean(app, "details")
            seen.update(m for m in MARKUP if m in text)
            await pilot.press("j")
        await pilot.press("g", "r")  # reveal the secret of the first row (alice's own app: a real reveal)
        await pilot.pause()
        assert_terminal_clean(app, "revealed")
        await pilot.press("tab")
        assert isinstance(app.screen, ApplicationsScreen)
        text = assert_terminal_clean(app, "applications")
        seen.update(m for m in MARKUP if m in text)
        await pilot.press("tab", "a")
        assert isinstance(app.screen, AuditScreen)
        text = assert_terminal_clean(app, "audit")
        seen.update(m for m in MARKUP if m in text)
        await pilot.press("escape", "S")
        assert isinstance(app.screen, SettingsScreen)
        for tab in ("tab-registered", "tab-users", "tab-groups"):
            app.screen.query_one(TabbedContent).active = tab
            await pilot.pause()
            assert app.screen.query_one(f"#{tab.removeprefix('tab-')}", DataTable).row_count >= 1
            text = assert_terminal_clean(app, tab)
            seen.update(m for m in MARKUP if m in text)
        await pilot.press("escape")
        assert isinstance(app.screen, DevelopersScreen)
        assert seen == set(MARKUP)  # every markup-looking string showed as typed somewhere

        # Clicking every row's name and every line of the details pane runs no action.
        lines = screen_text(app).splitlines()
        for y, line in enumerate(lines):
            if line.lstrip().startswith("app"):
                for x in (2, 10, 20, 40):
                    await pilot.click(offset=(x, y))
        for y, line in enumerate(screen_text(app).splitlines()):
            if "[@click" in line or "[link=" in line:
                await pilot.click(offset=(line.index("[") + 2, y))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, DevelopersScreen)
        assert_terminal_clean(app, "after clicks")
        notes = "\n".join(f"{n['title']} {n['message']}" for n in app.sent)  # type: ignore[attr-defined]
        assert not forbidden(notes), notes
