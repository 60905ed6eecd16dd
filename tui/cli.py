"""The scriptable CLI: `appdeck <group> <command>`; it shares the controller's rules and never imports Textual."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from store.errors import AppdeckError, ConflictError, ValidationError
from store.text import CONTROL_BEYOND_C0_RE, safe
from store.vocabulary import (
    ADVANCED_FIELDS,
    APP_TYPE_LABELS,
    APP_TYPE_SHORT,
    APP_TYPES,
    CHECK_KINDS,
    CHECK_LISTS,
    DEFAULT_ROLE,
    ENV_FORMATS,
    GROUPS_SHARING,
    LIST_LABELS,
    ORGANIZATION_SHARING,
    PRIVATE_SHARING,
    ROLES,
    SHARING,
    SHARING_SHORT,
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


def is_terminal(stream: Any) -> bool:
    """Whether `stream` is a terminal (the one place the CLI asks; tests replace it)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def plain_output() -> bool:
    """Tab-separated, colourless output when piped or when NO_COLOR is set."""
    return not is_terminal(sys.stdout) or bool(os.environ.get("NO_COLOR"))


def terminal_width() -> int:
    """The terminal's columns (COLUMNS first, as shutil reads it; 80 when it cannot tell)."""
    import shutil

    return max(shutil.get_terminal_size((80, 24)).columns, 20)


def cell_width(text: str) -> int:
    """Columns `text` takes on a terminal: East Asian wide and full-width characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def cut(text: str, width: int) -> str:
    """`text` in at most `width` columns, ending in "…" when it was cut."""
    if cell_width(text) <= width:
        return text
    out, used = "", 0
    for c in text:
        w = cell_width(c)
        if used + w > width - 1:
            break
        out, used = out + c, used + w
    return out.rstrip() + "…"


def pad(text: str, width: int) -> str:
    return text + " " * max(width - cell_width(text), 0)


@dataclass(frozen=True)
class Column:
    """One column of a table fitted to the terminal. Its cells may be cut (with "…") down to `comfortable` columns
    before any column is left out, and down to `shrink_to` after (0: never cut); `drop` > 0 lets the column be left
    out when the table does not fit otherwise (the highest first)."""

    header: str
    shrink_to: int = 0
    comfortable: int = 0
    drop: int = 0


def fit_columns(columns: Sequence[Column], natural: Sequence[int], width: int) -> tuple[list[int], list[int]]:
    """The columns kept (indexes) and their widths, so that the table fits `width` columns: cut the cuttable columns
    to their comfortable width, leaving out as few columns as that needs (by `drop`); when even leaving out all of
    them is not enough, cut further, down to their floors, then to two columns each as a last resort."""
    order = sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: (-columns[i].drop, i))

    def attempt(kept: list[int], floor_of: Callable[[int], int]) -> tuple[list[int], bool]:
        widths = {i: natural[i] for i in kept}
        over = sum(widths.values()) + 2 * (len(kept) - 1) - width
        while over > 0:
            cuttable = [i for i in kept if columns[i].shrink_to and widths[i] > floor_of(i)]
            if not cuttable:
                break
            widest = max(cuttable, key=lambda i: (widths[i] - floor_of(i), -i))
            widths[widest] -= 1
            over -= 1
        return [widths[i] for i in kept], over <= 0

    def header(i: int) -> int:
        return cell_width(columns[i].header)

    for n in range(len(order) + 1):
        kept = [i for i in range(len(columns)) if i not in order[:n]]
        widths, fits = attempt(kept, lambda i: max(columns[i].comfortable, columns[i].shrink_to, header(i)))
        if fits:
            return kept, widths
    widths, fits = attempt(kept, lambda i: max(columns[i].shrink_to, header(i)))
    if not fits:
        widths, _ = attempt(kept, lambda i: 2)
    return kept, widths


def print_table(headers: Sequence[str | Column], rows: Sequence[Sequence[Any]], *,
                terminal_rows: Sequence[Sequence[Any]] | None = None, wide: bool = False) -> None:
    """An aligned table on a terminal, tab-separated lines otherwise; every cell made safe.

    On a terminal (and not `wide`), a table given `Column`s fits the terminal's width: it shows `terminal_rows` (the
    same rows in short words, when given), cuts cells with "…" and leaves columns out as the columns allow. Piped
    output is always every column, complete, from `rows`."""
    columns = [h if isinstance(h, Column) else Column(h) for h in headers]
    if plain_output():
        for row in rows:
            print("\t".join(("" if c is None else safe(c)).replace("\t", " ") for c in row))
        return
    fitted = not wide and any(c.shrink_to or c.drop for c in columns)
    source = terminal_rows if fitted and terminal_rows is not None else rows
    cells = [[" ".join(safe(c).split()) if c is not None else "" for c in row] for row in source] if fitted else \
        [[safe(c) if c is not None else "" for c in row] for row in source]
    natural = [max([cell_width(col.header), *(cell_width(r[i]) for r in cells)]) for i, col in enumerate(columns)]
    kept, widths = fit_columns(columns, natural, terminal_width()) if fitted else (list(range(len(columns))), natural)
    print("\033[1m" + "  ".join(pad(cut(columns[i].header.upper(), w), w) for i, w in zip(kept, widths)).rstrip() + "\033[0m")
    for row in cells:
        print("  ".join(pad(cut(row[i], w), w) for i, w in zip(kept, widths)).rstrip())


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
    if not is_terminal(sys.stdin):
        raise UsageError("refusing to continue without confirmation: stdin is not a terminal; pass --yes")
    sys.stderr.write(f"{question} [y/N] ")  # stderr, so a --json pipeline on stdout stays one document
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise UsageError("cancelled; nothing was changed")


# -- argument parsing ----------------------------------------------------------------------------------


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help as written: the examples keep their lines; options are listed one per line, their help beside them."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


def _examples(*lines: str) -> str:
    """The epilog every command's help ends with: two or three command lines to copy."""
    return "examples:\n" + "\n".join(f"  $ {line}" for line in lines)


JSON_HELP = "print one JSON document instead of a table or a line"
YES_HELP = "do not ask for confirmation (needed when stdin is not a terminal)"
APP_HELP = "the app: its id, client ID or name (a name must be unique among the apps you see)"


def _command(sub: Any, name: str, help_: str, *examples: str, description: str | None = None) -> argparse.ArgumentParser:
    """One subcommand with its one-line help, its description (the help, unless given) and its examples."""
    if description is None:
        description = help_[:1].upper() + help_[1:] + ("" if "?" in help_ or help_.endswith(".") else ".")
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_, description=description, epilog=_examples(*examples),
                                                     formatter_class=_Formatter)
    return parser


def _lowered(label: str) -> str:
    """A label inside a sentence: "Allowed origins (CORS)" -> "allowed origins (CORS)"."""
    return label[:1].lower() + label[1:]


def _subcommands(parser: argparse.ArgumentParser) -> Any:
    return parser.add_subparsers(dest="cmd", required=True, metavar="CMD")


def _app_options(p: argparse.ArgumentParser, *, create: bool) -> None:
    p.add_argument("--name", required=create, help="the app's name (1 to 100 characters)")
    p.add_argument("--app-url", required=create, metavar="URL", help="the app's URL (http or https)")
    p.add_argument("--description", help="a description of the app (\"\" clears it)")
    p.add_argument("--thumbnail-url", metavar="URL", help="an image URL shown with the app (\"\" clears it)")
    p.add_argument("--sharing", choices=SHARING, help="who sees the app here: " + ", ".join(SHARING))
    p.add_argument("--group", action="append", dest="groups", metavar="GROUP",
                   help="a group to share with, by name or id (repeatable; implies --sharing groups)")
    adv = p.add_argument_group("advanced settings (any of these turns advanced settings on)")
    adv.add_argument("--type", dest="app_type", choices=APP_TYPES, help="the application type: " + ", ".join(
        f"{t} ({APP_TYPE_LABELS[t]})" for t in APP_TYPES))
    adv.add_argument("--login-url", metavar="URL", help="the application login URL (https; \"\" clears it)")
    adv.add_argument("--callback-url", action="append", dest="callback_urls", metavar="URL",
                     help="an allowed callback URL (repeatable, or comma-separated; replaces the list)")
    adv.add_argument("--logout-url", action="append", dest="logout_urls", metavar="URL",
                     help="an allowed logout URL (repeatable, or comma-separated; replaces the list)")
    adv.add_argument("--web-origin", action="append", dest="web_origins", metavar="URL",
                     help="an allowed web origin, scheme://host[:port] (repeatable; replaces the list)")
    adv.add_argument("--cors-origin", action="append", dest="cors_origins", metavar="URL",
                     help="an allowed origin (CORS), scheme://host[:port] (repeatable; replaces the list)")
    adv.add_argument("--token-auth", choices=TOKEN_AUTHS,
                     help="token endpoint authentication method (Regular Web Applications only)")
    if not create:
        p.add_argument("--no-advanced", action="store_true", help="turn advanced settings off (drops them)")
        p.add_argument("--clear-urls", action="store_true",
                       help="with --type m2m: clear the login URL and the URL lists (Machine to Machine apps have none)")
        p.add_argument("--if-version", type=int, metavar="N",
                       help="refuse as a conflict unless the app is at version N (see `apps show`)")
    p.add_argument("--json", action="store_true", help="print the saved app as JSON")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree; every option has a one-line help and every command ends with examples."""
    parser = argparse.ArgumentParser(
        prog="appdeck", formatter_class=_Formatter,
        description="Manage your organization's built applications. With no command, open the TUI (it needs a terminal).",
        epilog=_examples("appdeck", "appdeck apps list", "appdeck apps show \"Customer Portal\" --json"))
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--store", metavar="PATH", help="store file (env APPDECK_STORE; default: the platform's user data dir)")
    parser.add_argument("--user", metavar="LOGIN", help="act as this user (env APPDECK_USER; default: your login name)")
    parser.add_argument("--readonly", action="store_true", help="open the TUI with every change disabled")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND")

    apps = _subcommands(_command(sub, "apps", "built applications: list, show, create, change, share, delete",
                                 "appdeck apps list", "appdeck apps create --name Portal --app-url https://portal.example.com",
                                 "appdeck apps update Portal --description \"Customer portal\""))
    p = _command(apps, "list", "the apps you can see (a table that fits the terminal; TSV when piped)",
                 "appdeck apps list", "appdeck apps list --wide", "appdeck apps list --view applications --json")
    p.add_argument("--view", choices=VIEWS, default=VIEWS[0], help="which view: " + ", ".join(VIEWS) + f" (default {VIEWS[0]})")
    p.add_argument("--wide", action="store_true", help="on a terminal, every column in full (piped output always is)")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = _command(apps, "show", "one app's details, effective URLs included",
                 "appdeck apps show Portal", "appdeck apps show Portal --reveal-secret", "appdeck apps show app_0c9780d296e3 --json")
    p.add_argument("app", metavar="APP", help=APP_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p.add_argument("--reveal-secret", action="store_true", help="show the client secret (owner only; audited)")
    _app_options(_command(apps, "create", "create a built application (you own it)",
                          "appdeck apps create --name Portal --app-url https://portal.example.com",
                          "appdeck apps create --name Worker --app-url https://w.example.com --type m2m",
                          "appdeck apps create --name Mobile --app-url https://m.example.com --group mobile --json"), create=True)
    p = _command(apps, "update", "change some fields of an app you own",
                 "appdeck apps update Portal --description \"Customer portal\"",
                 "appdeck apps update Portal --callback-url https://portal.example.com/cb --if-version 3",
                 "appdeck apps update Worker --type m2m --clear-urls")
    p.add_argument("app", metavar="APP", help=APP_HELP)
    _app_options(p, create=False)
    p = _command(apps, "share", "set who sees an app you own (not who can log in to it)",
                 "appdeck apps share Portal --organization", "appdeck apps share Portal --group mobile --group payments",
                 "appdeck apps share Portal --private")
    p.add_argument("app", metavar="APP", help=APP_HELP)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--private", action="store_const", const=PRIVATE_SHARING, dest="sharing", help="only you see it")
    g.add_argument("--organization", action="store_const", const=ORGANIZATION_SHARING, dest="sharing",
                   help="everyone in the organization sees it")
    g.add_argument("--group", action="append", dest="groups", metavar="GROUP",
                   help="the members of this group see it, by name or id (repeatable)")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    for name, help_, verb in (("delete", f"move an app you own to the trash ({TRASH_DAYS} days, restorable)", "delete"),
                              ("rotate-secret", "replace the client secret of an app you own (the old one stops at once)",
                               "rotate-secret"),
                              ("purge", "end an app in your trash at once (re-creating it gives new credentials)", "purge")):
        p = _command(apps, name, help_, f"appdeck apps {verb} Portal", f"appdeck apps {verb} Portal --yes --json")
        p.add_argument("app", metavar="APP", help=APP_HELP if name != "purge" else "the trashed app: its id, client ID or name")
        p.add_argument("--yes", action="store_true", help=YES_HELP)
        p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = _command(apps, "trash", "your deleted apps, with their deletion and purge dates", "appdeck apps trash", "appdeck apps trash --json")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    for name, help_ in (("restore", "bring an app back from your trash, credentials and all"),
                        ("disable", "stop an app you own from authenticating, keeping it"),
                        ("enable", "let a disabled app you own authenticate again")):
        p = _command(apps, name, help_, f"appdeck apps {name} Portal", f"appdeck apps {name} app_0c9780d296e3 --json")
        p.add_argument("app", metavar="APP", help=APP_HELP if name != "restore" else "the trashed app: its id, client ID or name")
        p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = _command(apps, "duplicate", "a new app with the settings of one you see (new credentials, you own it)",
                 "appdeck apps duplicate Portal --name \"Portal staging\"", "appdeck apps duplicate Portal --name Copy --json")
    p.add_argument("app", metavar="APP", help=APP_HELP)
    p.add_argument("--name", required=True, help="the new app's name")
    p.add_argument("--json", action="store_true", help="print the new app as JSON")
    p = _command(apps, "transfer", "hand an app you own to another editor or admin",
                 "appdeck apps transfer Portal --to dev-ana", "appdeck apps transfer Portal --to dev-ana --yes")
    p.add_argument("app", metavar="APP", help=APP_HELP)
    p.add_argument("--to", required=True, metavar="LOGIN", help="the editor or admin who will own it")
    p.add_argument("--yes", action="store_true", help=YES_HELP)
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = _command(apps, "env", "the app's settings for its code, as a .env snippet (owner; audited as a reveal)",
                 "appdeck apps env Portal > .env", "appdeck apps env Portal --format " + ENV_FORMATS[-1])
    p.add_argument("app", metavar="APP", help=APP_HELP)
    p.add_argument("--format", choices=ENV_FORMATS, default=ENV_FORMATS[0],
                   help="the snippet's format: " + ", ".join(ENV_FORMATS) + f" (default {ENV_FORMATS[0]})")
    p = _command(apps, "check-url", "would this URL be allowed? (exit 0 allowed, 1 refused)",
                 "appdeck apps check-url Portal --callback https://portal.example.com/cb",
                 "appdeck apps check-url Portal --cors https://evil.example.com --json")
    p.add_argument("app", metavar="APP", help=APP_HELP)
    k = p.add_mutually_exclusive_group(required=True)
    for const in CHECK_KINDS:
        k.add_argument("--" + const.replace("_", "-"), action="store_const", const=const, dest="kind",
                       help=f"check it against the {_lowered(LIST_LABELS[CHECK_LISTS[const]])}")
    p.add_argument("url", metavar="URL", help="the URL to test, as a browser would send it")
    p.add_argument("--json", action="store_true", help=JSON_HELP)

    users = _subcommands(_command(sub, "users", "members and roles (changes: admins)", "appdeck users list",
                                  "appdeck users add dev-kai --role editor", "appdeck users set-role dev-kai viewer --inherit-to dev-ana"))
    p = _command(users, "list", "every member, their role and how many apps they own", "appdeck users list", "appdeck users list --json")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = _command(users, "add", "add a member to the organization",
                 "appdeck users add dev-kai", "appdeck users add dev-kai --role admin --display-name \"Kai Lee\"")
    p.add_argument("name", metavar="LOGIN", help="their login name (1 to 64 letters, digits, _ . @ -)")
    p.add_argument("--role", choices=ROLES, default=DEFAULT_ROLE, help="their role: " + ", ".join(ROLES) + f" (default {DEFAULT_ROLE})")
    p.add_argument("--display-name", default="", metavar="NAME", help="the name shown beside the login")
    p = _command(users, "set-role", "change a member's role",
                 "appdeck users set-role dev-kai admin", "appdeck users set-role dev-kai viewer --inherit-to dev-ana")
    p.add_argument("name", metavar="LOGIN", help="the member")
    p.add_argument("role", choices=ROLES, help="the new role: " + ", ".join(ROLES))
    p.add_argument("--inherit-to", metavar="LOGIN", help="who gets their apps when they can no longer own any (a viewer owns none)")
    p = _command(users, "remove", "remove a member from the organization",
                 "appdeck users remove dev-kai", "appdeck users remove dev-kai --inherit-to dev-ana --yes")
    p.add_argument("name", metavar="LOGIN", help="the member")
    p.add_argument("--inherit-to", metavar="LOGIN", help="who gets their apps (needed when they own any)")
    p.add_argument("--yes", action="store_true", help=YES_HELP)

    groups = _subcommands(_command(sub, "groups", "groups of members to share apps with (changes: admins)", "appdeck groups list",
                                   "appdeck groups add mobile", "appdeck groups add-member mobile dev-kai"))
    p = _command(groups, "list", "every group and its members", "appdeck groups list", "appdeck groups list --json")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = _command(groups, "add", "create a group (names are compared ignoring case)", "appdeck groups add mobile",
                 "appdeck groups add \"Data team\"")
    p.add_argument("name", metavar="NAME", help="the group's name")
    p = _command(groups, "rename", "rename a group", "appdeck groups rename mobile apps-mobile",
                 "appdeck groups rename grp_2448021f0065 Mobile")
    p.add_argument("old", metavar="GROUP", help="the group, by name or id")
    p.add_argument("new", metavar="NAME", help="its new name")
    p = _command(groups, "remove", "delete a group (apps shared only with it become private)",
                 "appdeck groups remove mobile", "appdeck groups remove mobile --yes")
    p.add_argument("name", metavar="GROUP", help="the group, by name or id")
    p.add_argument("--yes", action="store_true", help=YES_HELP)
    for name, help_ in (("add-member", "add a member to a group"), ("remove-member", "take a member out of a group")):
        p = _command(groups, name, help_, f"appdeck groups {name} mobile dev-kai", f"appdeck groups {name} grp_2448021f0065 dev-kai")
        p.add_argument("group_name", metavar="GROUP", help="the group, by name or id")
        p.add_argument("member", metavar="LOGIN", help="the member")

    reg = _subcommands(_command(sub, "registered", "registered applications: links in the Applications view (admins)",
                                "appdeck registered list",
                                "appdeck registered add --name Runbook --url https://runbooks.example.com --pinned"))
    p = _command(reg, "list", "every registered application", "appdeck registered list", "appdeck registered list --json")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    for name in ("add", "update"):
        if name == "add":
            p = _command(reg, name, "register an application",
                         "appdeck registered add --name Runbook --url https://runbooks.example.com",
                         "appdeck registered add --name Wiki --url https://wiki.example.com --group platform --pinned")
        else:
            p = _command(reg, name, "change some fields of a registered application",
                         "appdeck registered update reg_1a2b3c4d5e6f --no-pinned",
                         "appdeck registered update reg_1a2b3c4d5e6f --sharing organization")
            p.add_argument("id", metavar="ID", help="the registered application's id (see `registered list`)")
        p.add_argument("--name", required=name == "add", help="its name")
        p.add_argument("--url", required=name == "add", help="its URL (http or https)")
        p.add_argument("--description", help="a description (\"\" clears it)")
        p.add_argument("--thumbnail-url", metavar="URL", help="an image URL shown with it (\"\" clears it)")
        p.add_argument("--sharing", choices=SHARING, help="who sees it: " + ", ".join(SHARING))
        p.add_argument("--group", action="append", dest="groups", metavar="GROUP",
                       help="a group that sees it, by name or id (repeatable; implies --sharing groups)")
        p.add_argument("--pinned", action=argparse.BooleanOptionalAction, default=None,
                       help="pinned to the top of the Applications view, or not")
        p.add_argument("--json", action="store_true", help="print it as JSON")
    p = _command(reg, "remove", "remove a registered application", "appdeck registered remove reg_1a2b3c4d5e6f",
                 "appdeck registered remove reg_1a2b3c4d5e6f --yes")
    p.add_argument("id", metavar="ID", help="the registered application's id")
    p.add_argument("--yes", action="store_true", help=YES_HELP)

    org = _subcommands(_command(sub, "org", "the organization (admins)", "appdeck org rename \"Acme Inc\"", "appdeck info"))
    _command(org, "rename", "rename the organization", "appdeck org rename \"Acme Inc\"", "appdeck org rename Acme").add_argument(
        "name", metavar="NAME", help="its new name")

    p = _command(sub, "audit", "the audit trail you may see, newest first",
                 "appdeck audit", "appdeck audit --app Portal", "appdeck audit --json")
    p.add_argument("--app", metavar="APP", help="only the entries about this app (its id, client ID or name)")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    _command(sub, "info", "version, store, acting user and role", "appdeck info", "appdeck --store ./team.json info")
    _command(sub, "demo", "create a demo store to look around", "appdeck demo --store /tmp/demo.json",
             "appdeck --store /tmp/demo.json")
    st = _subcommands(_command(sub, "store", "check the store file, restore its backup", "appdeck store verify",
                               "appdeck store restore-backup"))
    p = _command(st, "verify", "check the file and its invariants (exit 0 fine, 7 not)", "appdeck store verify",
                 "appdeck store verify --json")
    p.add_argument("--json", action="store_true", help=JSON_HELP)
    p = _command(st, "restore-backup", "put <store>.bak in place (admins; lists what it undoes first, audited; "
                 "the current file becomes the backup)", "appdeck store restore-backup", "appdeck store restore-backup --yes --json")
    p.add_argument("--yes", action="store_true", help=YES_HELP)
    p.add_argument("--json", action="store_true", help="one JSON document on stdout: what it undoes, and whether it did")
    _command(sub, "ssh-serve", "the forced command of one SSH key (needs --user; see the README, Teams over SSH)",
             "appdeck ssh-serve --user dev-ana --store /srv/appdeck/store.json",
             "command=\"appdeck ssh-serve --user dev-ana\" ssh-ed25519 AAAA... (in authorized_keys)")
    ex = _subcommands(_command(sub, "export", "the apps for another system (admins owning the store file; holds every secret)",
                               "appdeck export oidc --out clients.json", "appdeck export oidc --out clients.json --watch"))
    p = _command(ex, "oidc", "enabled apps as OpenID client metadata (JSON; audited; see the README, Export to an OpenID provider)",
                 "appdeck export oidc > clients.json", "appdeck export oidc --out /srv/oidc/clients.json --watch")
    p.add_argument("--out", metavar="FILE", help="write FILE atomically, mode 0600, instead of stdout")
    p.add_argument("--watch", action="store_true", help="with --out: keep FILE up to date with the store until SIGTERM")
    p = _command(sub, "completion", "print a shell completion script (bash, zsh or fish)",
                 "appdeck completion bash > ~/.local/share/bash-completion/completions/appdeck",
                 "appdeck completion zsh > ~/.zfunc/_appdeck", "appdeck completion fish > ~/.config/fish/completions/appdeck.fish")
    p.add_argument("shell", choices=COMPLETION_SHELLS, help="the shell: " + ", ".join(COMPLETION_SHELLS))
    return parser


COMPLETION_SHELLS = ("bash", "zsh", "fish")


def completion_script(shell: str) -> str:
    """The completion script for `shell`, generated from the parser by shtab (every command and option)."""
    import shtab

    return str(shtab.complete(build_parser(), shell=shell))


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


SHORT_CLIENT_ID = 8
"""Characters of the client ID the fitted table shows (then "…"); `--wide`, piped output and --json show it whole."""


def short_time(stamp: str | None) -> str:
    """'2026-12-01T17:53:08+00:00' -> '2026-12-01 17:53' (UTC), as the TUI and every message show times."""
    from store.controller import shown_time

    return shown_time(stamp) if stamp else ""


def print_apps(rows: Sequence[dict[str, Any]], *, wide: bool) -> None:
    """The Developers list. Piped: every column complete, as TSV. On a terminal it fits the width (the TUI's short
    words for type and sharing, a short client ID and time, names cut with "…"; the app id, then the client ID, then
    the time left out when even that is too wide); `wide`: every column in full."""
    state = any(not r["enabled"] for r in rows)
    columns = [Column("name", shrink_to=10, comfortable=16), Column("type"), Column("sharing"),
               Column("owner", shrink_to=6, comfortable=10, drop=1), Column("client id", drop=3), Column("updated", drop=2),
               Column("id", drop=4), Column("state")]
    full = [[r["name"], r["type"], r["sharing"], r["owner"], r["client_id"], r["updated_at"], r["id"],
             "" if r["enabled"] else "disabled"] for r in rows]
    short = [[r["name"], APP_TYPE_SHORT.get(r["type"], r["type"]), SHARING_SHORT.get(r["sharing"], r["sharing"]), r["owner"],
              cut(str(r["client_id"]), SHORT_CLIENT_ID + 1), short_time(r["updated_at"]), r["id"],
              "" if r["enabled"] else "disabled"] for r in rows]
    if not state and not wide and not plain_output():
        columns, short = columns[:-1], [row[:-1] for row in short]
        full = [row[:-1] for row in full]
    print_table(columns, full, terminal_rows=short, wide=wide)


def cmd_apps(ctl: Controller, args: argparse.Namespace) -> int:
    """`appdeck apps ...`"""
    if args.cmd == "list":
        if args.view == "applications":
            entries = ctl.list_applications()
            if args.json:
                print_json([e.__dict__ for e in entries])
            else:
                print_table([Column("name", shrink_to=10, comfortable=24), Column("kind"), Column("pinned"),
                             Column("url", shrink_to=16, comfortable=40, drop=1),
                             Column("description", shrink_to=12, comfortable=30, drop=2)],
                            [[e.name, e.kind, "yes" if e.pinned else "", e.url, e.description] for e in entries], wide=args.wide)
            return 0
        names = {g["id"]: g["name"] for g in ctl.list_groups()}
        rows = [app_row(ctl, a, names) for a in ctl.list_apps("developers")]
        if args.json:
            print_json(rows)
        else:
            print_apps(rows, wide=args.wide)
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
            print(f"{result.verdict}  {safe(result.explain())}")
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
        from store.policy import audit_changes

        print_table(["at", "actor", "action", "object", "name", "changes", "detail"],
                    [[e.at, e.actor, e.action, f"{e.object_type} {e.object_id}", e.object_name,
                      audit_changes(e.changes, e.fields), e.detail] for e in entries])
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


def conflict_hints(exc: ConflictError, args: argparse.Namespace) -> list[str]:
    """The CLI's way out of an app's version conflict: see the app as it is, then run again (against its version,
    for a command that takes --if-version)."""
    if exc.app_id is None:
        return []
    never = exc.expected_version is not None and exc.current_version is not None and exc.expected_version > exc.current_version
    hints = [f"see {'it' if never else 'their version'} with: appdeck apps show {exc.app_id}"]
    if getattr(args, "if_version", None) is not None and exc.current_version is not None:
        hints.append(f"to save over {'it' if never else 'theirs'}, run the command again with --if-version {exc.current_version}")
    else:
        hints.append("then run the command again")
    return hints


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
            not_terminal = [name for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout)) if not is_terminal(stream)]
            if not_terminal:
                print(f"appdeck: the TUI needs a terminal ({' and '.join(not_terminal)} "
                      f"{'is' if len(not_terminal) == 1 else 'are'} not one); for a list of your apps run "
                      "`appdeck apps list`, for every command `appdeck --help`", file=sys.stderr)
                return EXIT_USAGE
            from store.resolve import resolve_store, resolve_user  # light: no orjson or pydantic before the first paint

            path, _ = resolve_store(args.store)
            user, _ = resolve_user(args.user)
            from tui.app import run_tui  # Textual is imported only for the TUI

            return run_tui(path, user, readonly=args.readonly)
        from store.controller import Controller
        from store.resolve import resolve_store, resolve_user

        if args.group == "completion":
            sys.stdout.write(completion_script(args.shell))
            return 0
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
    except ConflictError as exc:
        print(f"appdeck: {safe(exc.message)}", file=sys.stderr)
        for hint in conflict_hints(exc, args):
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


