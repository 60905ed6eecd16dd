"""The scriptable CLI: `appdeck <group> <command>`; it shares the controller's rules and never imports Textual."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from store.errors import AppdeckError, ValidationError
from store.text import CONTROL_BEYOND_C0_RE, safe
from store.vocabulary import (
    ADVANCED_FIELDS,
    APP_TYPES,
    CHECK_KINDS,
    DEFAULT_ROLE,
    ENV_FORMATS,
    GROUPS_SHARING,
    ORGANIZATION_SHARING,
    PRIVATE_SHARING,
    ROLES,
    SHARING,
    TOKEN_AUTHS,
    TRASH_DAYS,
    VIEWS,
)

if TYPE_CHECKING:
    from store.controller import Controller

# The TUI paints its first screen before the store package and orjson are imported (about 25 ms): they are
# imported by the commands that use them, and `appdeck [--store P] [--user U] [--readonly]` skips argparse.

EXIT_USAGE = 2


def version() -> str:
    """The installed appdeck version."""
    from importlib import metadata

    try:
        return metadata.version("appdeck")
    except metadata.PackageNotFoundError:
        return "0.1.0"


class _VersionAction(argparse.Action):
    """`--version`, reading the package metadata only when asked (importlib.metadata is slow to import)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"appdeck {version()}")
        parser.exit()


class UsageError(Exception):
    """A command that cannot run as called (exit 2)."""


# -- output --------------------------------------------------------------------------------------------


def plain_output() -> bool:
    """Tab-separated, colourless output when piped or when NO_COLOR is set."""
    return not sys.stdout.isatty() or bool(os.environ.get("NO_COLOR"))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """An aligned table on a terminal, tab-separated lines otherwise; every cell made safe."""
    cells = [[safe(c) if c is not None else "" for c in row] for row in rows]
    if plain_output():
        for row in cells:
            print("\t".join(c.replace("\t", " ") for c in row))
        return
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    print("\033[1m" + "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths)).rstrip() + "\033[0m")
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def print_json(value: Any) -> None:
    """One JSON document on stdout; orjson escapes C0, and every other control character of store.text (DEL, C1,
    bidi controls, separators) is escaped here (\\u007f...): a JSON string holding them parses the same, and none
    reaches a terminal raw."""
    import orjson

    text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    sys.stdout.write(CONTROL_BEYOND_C0_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def print_pairs(pairs: Sequence[tuple[str, Any]]) -> None:
    """`key: value` lines with aligned keys."""
    width = max(len(k) for k, _ in pairs)
    plain = plain_output()
    for k, v in pairs:
        if isinstance(v, list):
            v = ", ".join(safe(x) for x in v) if v else "-"
        value = safe(v) if v not in (None, "") else "-"
        print(f"{k}\t{value}" if plain else f"{k.ljust(width)}  {value}")


def confirm(question: str, yes: bool) -> None:
    """Ask on a terminal; refuse when stdin is not one and --yes was not given."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("refusing to continue without confirmation: stdin is not a terminal; pass --yes")
    sys.stderr.write(f"{question} [y/N] ")  # stderr, so a --json pipeline on stdout stays one document
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise UsageError("cancelled; nothing was changed")


# -- argument parsing ----------------------------------------------------------------------------------


def _app_options(p: argparse.ArgumentParser, *, create: bool) -> None:
    p.add_argument("--name", required=create)
    p.add_argument("--app-url", required=create)
    p.add_argument("--description")
    p.add_argument("--thumbnail-url")
    p.add_argument("--sharing", choices=SHARING)
    p.add_argument("--group", action="append", dest="groups", metavar="G", help="a group to share with (repeatable)")
    adv = p.add_argument_group("advanced settings (any of these turns advanced settings on)")
    adv.add_argument("--type", dest="app_type", choices=APP_TYPES)
    adv.add_argument("--login-url")
    adv.add_argument("--callback-url", action="append", dest="callback_urls", metavar="U")
    adv.add_argument("--logout-url", action="append", dest="logout_urls", metavar="U")
    adv.add_argument("--web-origin", action="append", dest="web_origins", metavar="U")
    adv.add_argument("--cors-origin", action="append", dest="cors_origins", metavar="U")
    adv.add_argument("--token-auth", choices=TOKEN_AUTHS)
    if not create:
        p.add_argument("--no-advanced", action="store_true", help="turn advanced settings off (drops them)")
        p.add_argument("--clear-urls", action="store_true",
                       help="with --type m2m: clear the login URL and the URL lists (Machine to Machine apps have none)")
        p.add_argument("--if-version", type=int, metavar="N", help="refuse as a conflict unless the app is at version N")
    p.add_argument("--json", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    parser = argparse.ArgumentParser(prog="appdeck", description="Manage your organization's built applications.")
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--store", help="store file (env APPDECK_STORE; default: the platform's user data dir)")
    parser.add_argument("--user", help="act as this user (env APPDECK_USER; default: your login name)")
    parser.add_argument("--readonly", action="store_true", help="open the TUI with every change disabled")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND")

    apps = sub.add_parser("apps", help="built applications").add_subparsers(dest="cmd", required=True, metavar="CMD")
    p = apps.add_parser("list", help="apps you can see")
    p.add_argument("--view", choices=VIEWS, default=VIEWS[0])
    p.add_argument("--json", action="store_true")
    p = apps.add_parser("show", help="one app's details")
    p.add_argument("app")
    p.add_argument("--json", action="store_true")
    p.add_argument("--reveal-secret", action="store_true")
    _app_options(apps.add_parser("create", help="create a built application"), create=True)
    p = apps.add_parser("update", help="change some fields of an app you own")
    p.add_argument("app")
    _app_options(p, create=False)
    p = apps.add_parser("share", help="set who sees an app")
    p.add_argument("app")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--private", action="store_const", const=PRIVATE_SHARING, dest="sharing")
    g.add_argument("--organization", action="store_const", const=ORGANIZATION_SHARING, dest="sharing")
    g.add_argument("--group", action="append", dest="groups", metavar="G")
    p.add_argument("--json", action="store_true")
    for name, help_ in (("delete", f"move an app you own to the trash ({TRASH_DAYS} days, restorable)"),
                        ("rotate-secret", "replace an app's client secret"),
                        ("purge", "end an app in your trash at once (re-creating it gives new credentials)")):
        p = apps.add_parser(name, help=help_)
        p.add_argument("app")
        p.add_argument("--yes", action="store_true")
        p.add_argument("--json", action="store_true")
    p = apps.add_parser("trash", help="your deleted apps, with their deletion and purge dates")
    p.add_argument("--json", action="store_true")
    for name, help_ in (("restore", "bring an app back from your trash, credentials and all"),
                        ("disable", "stop an app you own from authenticating, keeping it"),
                        ("enable", "let a disabled app authenticate again")):
        p = apps.add_parser(name, help=help_)
        p.add_argument("app")
        p.add_argument("--json", action="store_true")
    p = apps.add_parser("duplicate", help="a new app with the settings of one you see (new credentials, you own it)")
    p.add_argument("app")
    p.add_argument("--name", required=True)
    p.add_argument("--json", action="store_true")
    p = apps.add_parser("transfer", help="hand an app you own to another editor or admin")
    p.add_argument("app")
    p.add_argument("--to", required=True, metavar="USER")
    p.add_argument("--yes", action="store_true")
    p.add_argument("--json", action="store_true")
    p = apps.add_parser("env", help="the app's settings for its code, as a .env snippet (owner; audited as a reveal)")
    p.add_argument("app")
    p.add_argument("--format", choices=ENV_FORMATS, default=ENV_FORMATS[0])
    p = apps.add_parser("check-url", help="would this URL be allowed? (exit 0 allowed, 1 refused)")
    p.add_argument("app")
    k = p.add_mutually_exclusive_group(required=True)
    for const in CHECK_KINDS:
        k.add_argument("--" + const.replace("_", "-"), action="store_const", const=const, dest="kind")
    p.add_argument("url")
    p.add_argument("--json", action="store_true")

    users = sub.add_parser("users", help="members and roles").add_subparsers(dest="cmd", required=True, metavar="CMD")
    p = users.add_parser("list")
    p.add_argument("--json", action="store_true")
    p = users.add_parser("add")
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES, default=DEFAULT_ROLE)
    p.add_argument("--display-name", default="")
    p = users.add_parser("set-role")
    p.add_argument("name")
    p.add_argument("role", choices=ROLES)
    p.add_argument("--inherit-to", metavar="USER")
    p = users.add_parser("remove")
    p.add_argument("name")
    p.add_argument("--inherit-to", metavar="USER")
    p.add_argument("--yes", action="store_true")

    groups = sub.add_parser("groups", help="groups").add_subparsers(dest="cmd", required=True, metavar="CMD")
    p = groups.add_parser("list")
    p.add_argument("--json", action="store_true")
    groups.add_parser("add").add_argument("name")
    p = groups.add_parser("rename")
    p.add_argument("old")
    p.add_argument("new")
    p = groups.add_parser("remove")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true")
    for name in ("add-member", "remove-member"):
        p = groups.add_parser(name)
        p.add_argument("group_name")
        p.add_argument("member")

    reg = sub.add_parser("registered", help="registered applications (admins)").add_subparsers(dest="cmd", required=True, metavar="CMD")
    p = reg.add_parser("list")
    p.add_argument("--json", action="store_true")
    for name in ("add", "update"):
        p = reg.add_parser(name)
        if name == "update":
            p.add_argument("id")
        p.add_argument("--name", required=name == "add")
        p.add_argument("--url", required=name == "add")
        p.add_argument("--description")
        p.add_argument("--thumbnail-url")
        p.add_argument("--sharing", choices=SHARING)
        p.add_argument("--group", action="append", dest="groups", metavar="G")
        p.add_argument("--pinned", action=argparse.BooleanOptionalAction, default=None)
        p.add_argument("--json", action="store_true")
    p = reg.add_parser("remove")
    p.add_argument("id")
    p.add_argument("--yes", action="store_true")

    org = sub.add_parser("org", help="the organization").add_subparsers(dest="cmd", required=True, metavar="CMD")
    org.add_parser("rename").add_argument("name")

    p = sub.add_parser("audit", help="the audit trail you may see, newest first")
    p.add_argument("--app")
    p.add_argument("--json", action="store_true")
    sub.add_parser("info", help="version, store, acting user and role")
    sub.add_parser("demo", help="create a demo store to look around")
    st = sub.add_parser("store", help="check the store file, restore its backup").add_subparsers(dest="cmd", required=True, metavar="CMD")
    p = st.add_parser("verify", help="check the file and its invariants (exit 0 fine, 7 not)")
    p.add_argument("--json", action="store_true")
    p = st.add_parser("restore-backup", help="put <store>.bak in place (admins; lists what it undoes first, audited; "
                      "the current file becomes the backup)")
    p.add_argument("--yes", action="store_true")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout: what it undoes, and whether it did")
    sub.add_parser("ssh-serve", help="the forced command of one SSH key (needs --user; see the README, Teams over SSH)")
    ex = sub.add_parser("export", help="the apps for another system (admins owning the store file; holds every secret)")
    p = ex.add_subparsers(dest="cmd", required=True, metavar="CMD").add_parser(
        "oidc", help="enabled apps as OpenID client metadata (JSON; audited; see the README, Export to an OpenID provider)")
    p.add_argument("--out", metavar="FILE", help="write FILE atomically, mode 0600, instead of stdout")
    p.add_argument("--watch", action="store_true", help="with --out: keep FILE up to date with the store until SIGTERM")
    return parser


# -- commands ------------------------------------------------------------------------------------------



def app_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The app fields given on the command line; any advanced option turns advanced settings on."""
    out: dict[str, Any] = {}
    for key in ("name", "app_url", "description", "sharing", *ADVANCED_FIELDS):
        value = getattr(args, key, None)
        if value is not None:
            out[key] = value
    if args.thumbnail_url is not None:
        out["thumbnail_url"] = args.thumbnail_url or None
    if "login_url" in out and not out["login_url"]:
        out["login_url"] = None
    if args.groups is not None:
        out["groups"] = args.groups
        out.setdefault("sharing", GROUPS_SHARING)
    if any(k in out for k in ADVANCED_FIELDS):
        out["advanced"] = True
    if getattr(args, "no_advanced", False):
        if any(k in out for k in ADVANCED_FIELDS):
            raise UsageError("--no-advanced cannot be combined with advanced options")
        out["advanced"] = False
    return out


def app_row(ctl: Controller, app: Any, groups: dict[str, str] | None = None) -> dict[str, Any]:
    """The list/JSON summary of an app: never the secret. Pass `groups` (id -> name) when listing many."""
    if groups is None:
        groups = {g["id"]: g["name"] for g in ctl.list_groups()}
    return {
        "id": app.id,
        "name": app.name,
        "type": app.kind,
        "sharing": app.sharing,
        "groups": [groups.get(g, g) for g in app.groups],
        "owner": app.owner,
        "client_id": app.client_id,
        "app_url": app.app_url,
        "description": app.description,
        "updated_at": app.updated_at,
        "version": app.version,
        "enabled": app.enabled,
    }


def show_app(ctl: Controller, app: Any, *, as_json: bool, reveal: bool = False, warnings: list[str] | None = None) -> None:
    """Print one app's details (effective URLs included)."""
    d = ctl.details(app, reveal_secret=reveal)
    for w in warnings or []:
        print(f"warning: {w}", file=sys.stderr)
    if as_json:
        print_json(d)
        return
    eff = d["effective"]

    def mark(field: str) -> str:
        return (" (from app URL)" if field == "login_url" else " (derived)") if eff["derived"][field] else ""

    pairs: list[tuple[str, Any]] = [
        ("id", d["id"]),
        ("name", d["name"]),
        ("description", d["description"]),
        ("type", d["type_label"]),
        ("owner", d["owner"]),
        ("sharing", d["sharing"] + (f" ({', '.join(d['group_names'])})" if d["group_names"] else "")),
        ("app URL", d["app_url"]),
        ("thumbnail URL", d["thumbnail_url"]),
        ("client ID", d["client_id"]),
        ("client secret", d["client_secret"] if reveal else "•" * 12 + " (hidden; --reveal-secret, owner only)"),
        ("token auth", d["token_auth_effective"]),
        ("advanced", "on" if d["advanced"] else "off"),
        ("state", "enabled" if d["enabled"] else "disabled: it cannot authenticate until enabled"),
    ]
    if d["has_urls"]:
        pairs += [
            ("login URL" + mark("login_url"), eff["login_url"]),
            ("callback URLs" + mark("callback_urls"), eff["callback_urls"]),
            ("logout URLs" + mark("logout_urls"), eff["logout_urls"]),
            ("web origins" + mark("web_origins"), eff["web_origins"]),
            ("CORS origins" + mark("cors_origins"), eff["cors_origins"]),
        ]
    pairs += [("created", d["created_at"]), ("updated", f"{d['updated_at']} by {d['updated_by']}"), ("version", d["version"])]
    print_pairs(pairs)


def report_saved(ctl: Controller, saved: Any, as_json: bool, line: str) -> int:
    """After a create or update: the app as JSON, or one line; warnings (RWA sunset) go to stderr."""
    if as_json:
        show_app(ctl, saved.app, as_json=True, warnings=saved.warnings)
        return 0
    for w in saved.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(line)
    return 0


def cmd_apps(ctl: Controller, args: argparse.Namespace) -> int:
    """`appdeck apps ...`"""
    if args.cmd == "list":
        if args.view == "applications":
            entries = ctl.list_applications()
            if args.json:
                print_json([e.__dict__ for e in entries])
            else:
                print_table(["name", "kind", "pinned", "url", "description"],
                            [[e.name, e.kind, "yes" if e.pinned else "", e.url, e.description] for e in entries])
            return 0
        names = {g["id"]: g["name"] for g in ctl.list_groups()}
        rows = [app_row(ctl, a, names) for a in ctl.list_apps("developers")]
        if args.json:
            print_json(rows)
        else:
            print_table(["name", "type", "sharing", "owner", "client id", "updated", "id", "state"],
                        [[r["name"], r["type"], r["sharing"], r["owner"], r["client_id"], r["updated_at"], r["id"],
                          "" if r["enabled"] else "disabled"] for r in rows])
        return 0
    if args.cmd == "show":
        show_app(ctl, ctl.get_app(args.app), as_json=args.json, reveal=args.reveal_secret)
        return 0
    if args.cmd == "create":
        saved = ctl.create_app(app_changes(args))
        return report_saved(ctl, saved, args.json, f"created {saved.app.id} \"{safe(saved.app.name)}\" (client ID {saved.app.client_id})")
    if args.cmd == "update":
        app = ctl.get_app(args.app)
        changes = app_changes(args)
        if not changes:
            raise UsageError("nothing to change: give at least one field option")
        saved = ctl.update_app(app.id, changes, expected_version=args.if_version, clear_urls=args.clear_urls)
        return report_saved(ctl, saved, args.json, f"updated {saved.app.id} \"{safe(saved.app.name)}\" (version {saved.app.version})")
    if args.cmd == "share":
        app = ctl.get_app(args.app)
        sharing = args.sharing or GROUPS_SHARING
        saved = ctl.share_app(app.id, sharing, args.groups or [])
        if args.json:
            print_json(app_row(ctl, saved.app))
        else:
            print(f"\"{safe(saved.app.name)}\" is now shared: {sharing}"
                  + (f" ({', '.join(safe(g) for g in app_row(ctl, saved.app)['groups'])})" if saved.app.groups else ""))
            print("Sharing controls who sees the app here, not who can log in to it.")
        return 0
    if args.cmd == "delete":
        app = ctl.get_app(args.app)
        ctl.check_app_action(app, "delete")  # the refusal comes before any question; nothing is changed to learn it
        confirm(
            f"Delete \"{safe(app.name)}\"? It goes to the trash until {ctl.trash_until()}: users and services using "
            "it can no longer authenticate until it is restored.", args.yes)
        deleted = ctl.delete_app(app.id, expected_version=app.version)
        if args.json:
            print_json({"deleted": deleted.app.id, "purge_at": deleted.purge_at})
        else:
            print(f"moved {deleted.app.id} \"{safe(deleted.app.name)}\" to the trash until {deleted.purge_at}; "
                  f"undo with: appdeck apps restore {deleted.app.id}")
        return 0
    if args.cmd == "trash":
        trashed = ctl.list_trash()
        if args.json:
            print_json([{"id": t.app.id, "name": t.app.name, "client_id": t.app.client_id, "deleted_at": t.deleted_at,
                         "purge_at": t.purge_at} for t in trashed])
        else:
            print_table(["name", "deleted", "purged", "id"], [[t.app.name, t.deleted_at, t.purge_at, t.app.id] for t in trashed])
        return 0
    if args.cmd in ("restore", "purge"):
        entry = ctl.get_trashed(args.app)  # resolved among your trashed apps
        if args.cmd == "restore":
            restored = ctl.restore_app(entry.app.id)
            if args.json:
                print_json(app_row(ctl, restored))
            else:
                print(f"restored {restored.id} \"{safe(restored.name)}\" with its client ID and secret")
            return 0
        confirm(f"Purge \"{safe(entry.app.name)}\" now? This cannot be undone: re-creating it gives a new client ID "
                "and secret.", args.yes)
        purged = ctl.purge_app(entry.app.id)
        print_json({"purged": purged.app.id}) if args.json else print(f"purged {purged.app.id} \"{safe(purged.app.name)}\"")
        return 0
    if args.cmd in ("disable", "enable"):
        app = ctl.get_app(args.app)
        changed = ctl.set_enabled(app.id, args.cmd == "enable")
        if args.json:
            print_json(app_row(ctl, changed))
        else:
            print(f"{args.cmd}d {changed.id} \"{safe(changed.name)}\""
                  + ("" if changed.enabled else ": it cannot authenticate until enabled"))
        return 0
    if args.cmd == "duplicate":
        saved = ctl.duplicate_app(ctl.get_app(args.app).id, args.name)
        return report_saved(ctl, saved, args.json, f"created {saved.app.id} \"{safe(saved.app.name)}\" (client ID {saved.app.client_id})")
    if args.cmd == "transfer":
        app = ctl.get_app(args.app)
        ctl.check_app_action(app, "transfer")
        heir = ctl.get_user(args.to)
        confirm(f"Transfer \"{safe(app.name)}\" from {safe(ctl.user)} to {safe(heir['login'])}? Only they will act on it.",
                args.yes)
        moved = ctl.transfer_app(app.id, heir["login"])
        print_json(app_row(ctl, moved)) if args.json else print(f"\"{safe(moved.name)}\" now belongs to {safe(moved.owner)}")
        return 0
    if args.cmd == "env":
        sys.stdout.write(ctl.app_env(ctl.get_app(args.app).id, args.format))
        return 0
    if args.cmd == "rotate-secret":
        app = ctl.get_app(args.app)
        ctl.check_app_action(app, "rotate_secret")
        confirm(f"Rotate the secret of \"{safe(app.name)}\"? The old secret stops working at once.", args.yes)
        rotated = ctl.rotate_secret(app.id, expected_version=app.version)
        if args.json:
            print_json({"rotated": rotated.id, "version": rotated.version})
        else:
            print(f"rotated the secret of {rotated.id}; see it with: appdeck apps show {rotated.id} --reveal-secret")
        return 0
    if args.cmd == "check-url":
        result = ctl.check_url(ctl.get_app(args.app).id, args.kind, args.url)
        if args.json:
            print_json({"allowed": result.allowed, "kind": result.kind, "url": result.url, "matched": result.matched,
                        "closest": result.closest, "differences": list(result.differences), "disabled": result.disabled,
                        "explanation": result.explain()})
        else:
            print(safe(result.explain()))
        return 0 if result.allowed else 1
    raise UsageError(f"unknown command apps {args.cmd}")


def cmd_users(ctl: Controller, args: argparse.Namespace) -> int:
    """`appdeck users ...`"""
    if args.cmd == "list":
        users = ctl.list_users()
        if args.json:
            print_json(users)
        else:
            print_table(["login", "name", "role", "apps"], [[u["login"], u.get("display_name"), u["role"], u["apps_owned"]] for u in users])
    elif args.cmd == "add":
        u = ctl.add_user(args.name, args.role, args.display_name)
        print(f"added {safe(u['login'])} as {u['role']}")
    elif args.cmd == "set-role":
        ctl.set_role(args.name, args.role, args.inherit_to)
        print(f"{safe(args.name)} is now {args.role}")
    elif args.cmd == "remove":
        user = ctl.check_user_change(args.name, None, args.inherit_to)
        moving = ctl.inheritor_needed(user["login"], None)
        confirm(f"Remove the user {safe(user['login'])} from the organization?"
                + (f" Their {moving} built application(s) go to {safe(args.inherit_to)}." if moving else ""), args.yes)
        ctl.remove_user(user["login"], args.inherit_to)
        print(f"removed {safe(user['login'])}")
    return 0


def cmd_groups(ctl: Controller, args: argparse.Namespace) -> int:
    """`appdeck groups ...`"""
    if args.cmd == "list":
        groups = ctl.list_groups()
        if args.json:
            print_json(groups)
        else:
            print_table(["name", "members", "id"], [[g["name"], ", ".join(g.get("members", [])), g["id"]] for g in groups])
    elif args.cmd == "add":
        print(f"added group {safe(ctl.add_group(args.name)['name'])}")
    elif args.cmd == "rename":
        print(f"renamed group to {safe(ctl.rename_group(args.old, args.new)['name'])}")
    elif args.cmd == "remove":
        ctl.check_admin()
        group = ctl.get_group(args.name)
        confirm(f"Delete the group {safe(group['name'])}? Apps shared only with it become private.", args.yes)
        n = ctl.remove_group(group["id"])
        print(f"removed group {safe(group['name'])}; {n} app(s) no longer shared with it")
    elif args.cmd == "add-member":
        ctl.set_members(args.group_name, add=[args.member])
        print(f"added {safe(args.member)} to {safe(args.group_name)}")
    elif args.cmd == "remove-member":
        ctl.set_members(args.group_name, remove=[args.member])
        print(f"removed {safe(args.member)} from {safe(args.group_name)}")
    return 0


def cmd_registered(ctl: Controller, args: argparse.Namespace) -> int:
    """`appdeck registered ...`"""
    if args.cmd == "list":
        regs = ctl.list_registered()
        if args.json:
            print_json([r.model_dump() for r in regs])
        else:
            print_table(["name", "pinned", "sharing", "url", "id"], [[r.name, "yes" if r.pinned else "", r.sharing, r.url, r.id] for r in regs])
        return 0
    if args.cmd == "remove":
        ctl.check_admin()
        reg = ctl.get_registered(args.id)  # resolved once, as the change resolves it; nothing changes to learn it
        confirm(f"Remove the registered application \"{safe(reg.name)}\"?", args.yes)
        removed = ctl.remove_registered(reg.id)
        print(f"removed {removed.id}")
        return 0
    data: dict[str, Any] = {}
    for key in ("name", "url", "description", "sharing", "pinned"):
        if getattr(args, key) is not None:
            data[key] = getattr(args, key)
    if args.thumbnail_url is not None:
        data["thumbnail_url"] = args.thumbnail_url or None
    if args.groups is not None:
        data["groups"] = args.groups
        data.setdefault("sharing", GROUPS_SHARING)
    reg = ctl.add_registered(data) if args.cmd == "add" else ctl.update_registered(args.id, data)
    if args.json:
        print_json(reg.model_dump())
    else:
        print(f"{'added' if args.cmd == 'add' else 'updated'} {reg.id} \"{safe(reg.name)}\"")
    return 0


def cmd_org(ctl: Controller, args: argparse.Namespace) -> int:
    """`appdeck org rename NAME`"""
    print(f"organization renamed to {safe(ctl.rename_organization(args.name))}")
    return 0


def cmd_audit(ctl: Controller, args: argparse.Namespace) -> int:
    """`appdeck audit`"""
    entries = ctl.audit(args.app)
    if args.json:
        print_json([e.model_dump() for e in entries])
    else:
        from store.policy import describe_changes

        print_table(["at", "actor", "action", "object", "name", "changes", "detail"],
                    [[e.at, e.actor, e.action, f"{e.object_type} {e.object_id}", e.object_name,
                      describe_changes(e.changes) if e.changes else ",".join(e.fields), e.detail] for e in entries])
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """`appdeck info`: like `k9s info`."""
    from store.controller import Controller
    from store.resolve import resolve_store, resolve_user

    path, source = resolve_store(args.store)
    user, user_source = resolve_user(args.user)
    pairs: list[tuple[str, Any]] = [("version", version()), ("store", f"{path} (from {source})"), ("user", f"{user} (from {user_source})")]
    try:
        ctl = Controller(path, user, readonly=not path.exists())
        pairs += [("organization", ctl.organization), ("role", ctl.role)]
    except AppdeckError as exc:
        pairs += [("role", f"unknown: {exc}")]
    print_pairs(pairs)
    return 0


def cmd_store(args: argparse.Namespace) -> int:
    """`appdeck store verify|restore-backup`: on the file itself, never through a Controller, so both work on a
    store that does not parse. verify: "ok" or one problem per line, exit 0 or 7. restore-backup (spec section 8):
    lists on stderr what it undoes (the apps changed since the backup, their owners, which fields) before it asks,
    then puts the backup in place with the restore audited in it; --json: one document on stdout, plan and result."""
    import datetime

    from store.errors import StoreError
    from store.resolve import resolve_store, resolve_user
    from store.storage import StoreFile
    from store.verify import RestorePlan, check_restore, check_verifier, restore_backup, restore_plan, verify

    path, _ = resolve_store(args.store)
    user, _ = resolve_user(args.user)
    if args.cmd == "verify":
        check_verifier(path, user)
        try:
            before = os.stat(path)
        except OSError:
            before = None
        problems = verify(path)
        if not problems and before is not None:
            try:
                StoreFile(path).trust_if_unchanged(before)  # a verified store is trusted on read (no shape check)
            except StoreError:
                pass  # read-only or busy: verification stands, the next read just checks again
        if args.json:
            print_json({"store": str(path), "ok": not problems, "problems": problems})
        else:
            for line in problems or ["ok"]:
                print(safe(line))
        return StoreError.exit_code if problems else 0
    store = StoreFile(path)
    check_restore(store, user)

    def describe(p: Any) -> str:
        try:
            st = os.stat(p)
        except OSError as exc:
            return f"{p} ({exc.strerror})"
        stamp = datetime.datetime.fromtimestamp(st.st_mtime).astimezone().isoformat(timespec="seconds")
        return f"{p} (modified {stamp}, {st.st_size} bytes)"

    def show(plan: RestorePlan) -> None:  # stderr: a --json pipeline on stdout stays one document
        for line in plan.lines():
            print(safe(line), file=sys.stderr)

    print(f"current: {safe(describe(store.path))}", file=sys.stderr)
    print(f"backup:  {safe(describe(store.backup_path))}", file=sys.stderr)
    shown: RestorePlan | None = None
    if not args.yes:  # with --yes, the list is made and shown under the lock, just before the swap
        shown = restore_plan(store)
        show(shown)
        try:
            confirm("Put the backup in place? The current file becomes the backup (run again to undo).", args.yes)
        except UsageError:
            if args.json:
                print_json({**shown.to_json(), "restored": False})
            raise
    done = restore_backup(store, user, expected=shown, show=show if shown is None else None)
    if args.json:
        print_json({**done.to_json(), "restored": True, "audit_entries_written": 1 + len(done.apps)})
    else:
        print(f"restored {store.backup_path} into {store.path}; the previous file is now {store.backup_path}")
    return 0


def cmd_export(ctl: Controller, args: argparse.Namespace) -> int:
    """`appdeck export oidc [--out FILE] [--watch]` (spec section 11): one audited export; --watch rewrites FILE
    within about a second of every change to the store (the TUI's change detection: the file's identity), only
    when the document changed, and ends with exit 0 on SIGTERM or SIGINT. ssh-serve refuses `export` (exit 5)."""
    import signal
    import time
    from pathlib import Path

    import orjson

    from store.errors import PermissionDeniedError, StoreError
    from tui.config import write_private

    def dump(doc: dict[str, Any]) -> bytes:
        text = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
        return CONTROL_BEYOND_C0_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()

    if args.watch and not args.out:
        raise UsageError("--watch keeps a file up to date: give it --out FILE")
    out = Path(os.path.realpath(Path(args.out).expanduser().absolute())) if args.out else None
    store = ctl.store
    if out is not None and out in (store.path, store.lock_path, store.backup_path):
        raise UsageError(f"--out {out} is the store's own file; choose another path")
    doc = ctl.export_oidc()
    data = dump(doc)
    if out is None:
        sys.stdout.buffer.write(data)
        return 0
    write_private(out, data)
    print(f"exported {len(doc['clients'])} clients to {out}", file=sys.stderr)
    if not args.watch:
        return 0
    stopping: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stopping.append(signum))
    trouble = ""
    while not stopping:
        time.sleep(0.2)
        try:
            if not store.changed_on_disk():
                continue
            new = dump(ctl.export_oidc(audited=False))
        except PermissionDeniedError:
            raise  # no longer an admin (or no longer the file's owner): the watch ends, exit 5
        except StoreError as exc:  # a store that went bad: keep the last good export, say so once, try again
            if exc.message != trouble:
                print(f"appdeck: {safe(exc.message)} (the export keeps its last good version)", file=sys.stderr)
            trouble = exc.message
            continue
        trouble = ""
        if new != data:
            write_private(out, new)
            data = new
    return 0


COMMANDS: dict[str, Callable[[Controller, argparse.Namespace], int]] = {
    "apps": cmd_apps,
    "export": cmd_export,
    "users": cmd_users,
    "groups": cmd_groups,
    "registered": cmd_registered,
    "audit": cmd_audit,
    "org": lambda ctl, args: cmd_org(ctl, args),
}


# The CLI's way out of a rule the controller names (FieldError.rule).
CLI_HINTS = {
    "m2m_urls": "pass --clear-urls to clear them in the same update",
    "inheritor": "pass --inherit-to USER",
}

GLOBAL_VALUE_OPTIONS = ("--store", "--user")


def hoist_global_options(argv: Sequence[str]) -> list[str]:
    """Let `--store`/`--user` stand anywhere (`appdeck demo --store PATH`), as argparse wants them first."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest.extend(argv[i:])
            break
        if arg in GLOBAL_VALUE_OPTIONS and i + 1 < len(argv):
            front += [arg, argv[i + 1]]
            i += 2
            continue
        if arg.startswith(tuple(o + "=" for o in GLOBAL_VALUE_OPTIONS)):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def tui_only_options(argv: Sequence[str]) -> argparse.Namespace | None:
    """The namespace argparse gives when argv holds nothing but `--store`/`--user` values and `--readonly` (the TUI
    with no command, help or version), else None: the TUI then skips building the whole command tree (about 7 ms
    before its first paint). Anything unusual (`--`, an abbreviation, a value starting with `-`) returns None, so
    argparse parses it, and reports it, as ever."""
    values: dict[str, str | None] = {"store": None, "user": None}
    readonly = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--readonly":
            readonly = True
        elif arg in GLOBAL_VALUE_OPTIONS:
            if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                return None
            values[arg[2:]] = argv[i + 1]
            i += 1
        else:
            option, eq, value = arg.partition("=")
            if not eq or option not in GLOBAL_VALUE_OPTIONS:
                return None
            values[option[2:]] = value
        i += 1
    return argparse.Namespace(version=None, store=values["store"], user=values["user"], readonly=readonly, group=None)


def not_utf8(word: str) -> bool:
    """Whether `word` came from bytes that are not valid UTF-8 (Python decodes argv and the environment with
    surrogateescape, so such bytes arrive as lone surrogates), or holds lone surrogates some other way."""
    if word.isascii():
        return False
    try:
        os.fsencode(word).decode("utf-8")
    except UnicodeError:
        return True
    return False


def shown_bytes(word: str, limit: int = 40) -> str:
    """`word` for a message about its bytes: each byte that is not UTF-8 as `\\xNN`, safe for the terminal, short."""
    try:
        raw = os.fsencode(word)
    except UnicodeError:
        raw = word.encode("utf-8", "backslashreplace")
    text = safe(raw.decode("utf-8", "backslashreplace"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


TEXT_ENV = ("APPDECK_USER", "APPDECK_STORE")
"""The environment's spellings of `--user`/`--store`: held to the same UTF-8 rule as argv."""


def undecodable_input(argv: Sequence[str]) -> str | None:
    """The usage error (one sentence) for an argument or `APPDECK_*` value that is not valid UTF-8, else None.

    Spec section 9: text that is not valid UTF-8 is a usage error, found before anything else runs (so the store
    is neither read nor created)."""
    for i, word in enumerate(argv, 1):
        if not_utf8(word):
            return f"argument {i} ({shown_bytes(word)}) is not valid UTF-8; give every argument as UTF-8 text"
    for name in TEXT_ENV:
        value = os.environ.get(name)
        if value is not None and not_utf8(value):
            return f"{name} ({shown_bytes(value)}) is not valid UTF-8; set it as UTF-8 text"
    return None


def run(argv: Sequence[str] | None = None) -> int:
    """Parse and run one command; return the exit code. `None` group means: start the TUI."""
    argv = list(sys.argv[1:] if argv is None else argv)
    problem = undecodable_input(argv)
    if problem is not None:
        print(f"appdeck: {problem}", file=sys.stderr)
        return EXIT_USAGE
    args = tui_only_options(argv)
    if args is None:
        args = build_parser().parse_args(hoist_global_options(argv))
    try:
        if args.group == "ssh-serve":
            from tui.ssh_serve import serve

            return serve(args.user, args.store)
        if args.group is None:
            from store.resolve import resolve_store, resolve_user  # light: no orjson or pydantic before the first paint

            path, _ = resolve_store(args.store)
            user, _ = resolve_user(args.user)
            from tui.app import run_tui  # Textual is imported only for the TUI

            return run_tui(path, user, readonly=args.readonly)
        from store.controller import Controller
        from store.resolve import resolve_store, resolve_user

        if args.group == "info":
            return cmd_info(args)
        if args.group == "store":
            return cmd_store(args)
        if args.group == "demo":
            from store.demo import create_demo

            path, _ = resolve_store(args.store)
            user, _ = resolve_user(args.user)
            create_demo(path, user)
            print(f"created a demo store at {path} with {user} as an admin; try: appdeck --store {path}")
            return 0
        path, _ = resolve_store(args.store)
        user, _ = resolve_user(args.user)
        ctl = Controller(path, user)
        return COMMANDS[args.group](ctl, args)
    except ValidationError as exc:
        for message in dict.fromkeys(err.message for err in exc.errors):
            print(f"appdeck: {safe(message)}", file=sys.stderr)
        for hint in dict.fromkeys(CLI_HINTS[err.rule] for err in exc.errors if err.rule in CLI_HINTS):
            print(f"appdeck: {hint}", file=sys.stderr)
        return exc.exit_code
    except AppdeckError as exc:
        print(f"appdeck: {safe(exc.message)}", file=sys.stderr)
        return exc.exit_code
    except UsageError as exc:
        print(f"appdeck: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("appdeck: interrupted", file=sys.stderr)
        return 130
    except (EOFError, BrokenPipeError):
        return 1


