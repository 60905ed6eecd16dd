"""Write a realistic appdeck store of N built apps directly as JSON (deterministic: seeded).

    python bench/generate.py N OUT.json [--seed S]

Same shape the app writes (TinyDB tables keyed by numeric string doc ids, orjson with 2-space indent):
meta (schema_version 1), users (alice + 40 admins, 40 editors, 40 viewers), groups (12, alice in some),
apps (all three types, advanced on and off, all sharing modes, URL lists, thumbnails), registered apps and
a few thousand audit entries. Apps are owned by admins and editors only (alice owns about 5%), client IDs are
unique 32-character alphanumerics and secrets 64 URL-safe characters, so `appdeck store verify` accepts it and
every app passes the write-side validation (an owned one can be updated in a benchmark).
"""

from __future__ import annotations

import argparse
import random
import string
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
ADJ = ("Billing", "Payroll", "Customer", "Partner", "Internal", "Mobile", "Legacy", "Analytics", "Support", "Sales",
       "Marketing", "Inventory", "Shipping", "Identity", "Reporting", "Finance", "HR", "Compliance", "Audit", "Search",
       "Catalog", "Checkout", "Loyalty", "Fleet", "Booking", "Warehouse", "Vendor", "Learning", "Feedback", "Security")
NOUN = ("Portal", "Dashboard", "Sync", "API", "Gateway", "Console", "Worker", "Bot", "Exporter", "Importer", "Hub",
        "Tracker", "Manager", "Scheduler", "Notifier", "Service", "Admin", "Studio", "Viewer", "Connector")
SUFFIX = ("", "", "", " v2", " (staging)", " (prod)", " EU", " US", " beta", " next")
DOMAINS = ("example.com", "corp.example.com", "apps.example.org", "example.net", "internal.example.io")
TEAMS = ("platform", "payments", "identity", "data", "mobile", "web", "sre", "security", "finance-it", "growth",
         "support-tools", "partners")
DESC = (
    "Lets {who} {verb} {what} without leaving the browser.",
    "Nightly job that {verb}s {what} for {who}.",
    "Self-service {what} for {who}; owned by the {team} team.",
    "Replaces the old {what} spreadsheet used by {who}.",
    "",
)
WHO = ("customers", "partners", "support agents", "the finance team", "warehouse staff", "every employee", "drivers")
VERB = ("review", "export", "approve", "reconcile", "track", "search", "update")
WHAT = ("invoices", "orders", "tickets", "shipments", "payslips", "contracts", "leads", "assets", "timesheets")
BASE = datetime(2024, 1, 1, tzinfo=UTC)


def stamp(rng: random.Random, after: datetime | None = None) -> tuple[str, datetime]:
    start = after or BASE
    t = start + timedelta(seconds=rng.randrange(0, 60 * 60 * 24 * 500))
    return t.isoformat(timespec="seconds"), t


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def make_store(n: int, seed: int = 1) -> dict[str, dict[str, dict[str, object]]]:
    rng = random.Random(seed)
    created, _ = stamp(rng)
    meta = {"1": {"schema_version": 1, "organization": "Example Corp", "created_at": "2024-01-01T00:00:00+00:00"}}

    logins: list[tuple[str, str]] = [("alice", "admin")]
    logins += [(f"admin{i:02d}", "admin") for i in range(1, 40)]
    logins += [(f"dev{i:02d}", "editor") for i in range(1, 41)]
    logins += [(f"viewer{i:02d}", "viewer") for i in range(1, 41)]
    users = {}
    for i, (login, role) in enumerate(logins, 1):
        users[str(i)] = {"login": login, "display_name": login.capitalize() if login == "alice" else f"{login.title()} Person",
                         "role": role, "created_at": stamp(rng)[0]}
    owners = [login for login, role in logins if role in ("admin", "editor")]

    groups = {}
    group_ids = []
    for i, team in enumerate(TEAMS, 1):
        gid = f"grp_{rng.getrandbits(48):012x}"
        group_ids.append(gid)
        members = sorted(set(rng.sample([login for login, _ in logins], rng.randint(5, 20))))
        if i % 3 == 1 and "alice" not in members:
            members.append("alice")  # alice is in groups 1, 4, 7, 10
        if i % 3 != 1 and "alice" in members:
            members.remove("alice")
        groups[str(i)] = {"id": gid, "name": team, "members": members}

    apps = {}
    client_ids: set[str] = set()
    for i in range(1, n + 1):
        name = f"{rng.choice(ADJ)} {rng.choice(NOUN)}{rng.choice(SUFFIX)}"
        if rng.random() < 0.7:
            name += f" {rng.randint(1, 999)}"
        host = f"{slug(name)}-{i}.{rng.choice(DOMAINS)}"
        app_url = f"https://{host}"
        r = rng.random()
        sharing = "organization" if r < 0.6 else ("groups" if r < 0.85 else "private")
        groups_of = sorted(rng.sample(group_ids, rng.randint(1, 2))) if sharing == "groups" else []
        advanced = rng.random() < 0.45
        app_type = rng.choice(("spa", "m2m", "rwa")) if advanced else "spa"
        token_auth = rng.choice(("client_secret_post", "client_secret_basic")) if app_type == "rwa" else None
        login_url = callbacks = logouts = web = cors = None
        if advanced and app_type != "m2m":
            login_url = f"{app_url}/login" if rng.random() < 0.4 else None
            callbacks = [f"{app_url}/callback"] + ([f"{app_url}/auth/cb{k}" for k in range(rng.randint(0, 2))])
            logouts = [f"{app_url}/logout"] if rng.random() < 0.5 else []
            web = [app_url] if rng.random() < 0.3 else []
            cors = [app_url, f"https://cdn.{rng.choice(DOMAINS)}"] if rng.random() < 0.2 else []
        while True:
            cid = "".join(rng.choices(ALNUM, k=32))
            if cid not in client_ids:
                client_ids.add(cid)
                break
        owner = "alice" if rng.random() < 0.05 else rng.choice(owners)
        c_at, c_t = stamp(rng)
        u_at, _ = stamp(rng, c_t) if rng.random() < 0.6 else (c_at, c_t)
        tmpl = rng.choice(DESC)
        desc = tmpl.format(who=rng.choice(WHO), verb=rng.choice(VERB), what=rng.choice(WHAT), team=rng.choice(TEAMS))
        apps[str(i)] = {
            "id": f"app_{rng.getrandbits(48):012x}",
            "name": name,
            "description": desc,
            "app_url": app_url,
            "thumbnail_url": f"{app_url}/logo.png" if rng.random() < 0.3 else None,
            "sharing": sharing,
            "groups": groups_of,
            "advanced": advanced,
            "app_type": app_type,
            "token_auth": token_auth,
            "login_url": login_url,
            "callback_urls": callbacks or [],
            "logout_urls": logouts or [],
            "web_origins": web or [],
            "cors_origins": cors or [],
            "owner": owner,
            "client_id": cid,
            "client_secret": "".join(rng.choices(URLSAFE, k=64)),
            "created_at": c_at,
            "updated_at": u_at,
            "updated_by": owner,
            "version": 1 if u_at == c_at else rng.randint(2, 9),
        }

    registered = {}
    for i in range(1, 26):
        name = f"{rng.choice(ADJ)} {rng.choice(('Wiki', 'Intranet', 'Status page', 'Docs', 'Helpdesk'))}"
        sharing = rng.choice(("organization", "organization", "groups", "private"))
        c_at, c_t = stamp(rng)
        registered[str(i)] = {
            "id": f"reg_{rng.getrandbits(48):012x}", "name": name, "description": f"Shortcut to the {name.lower()}.",
            "url": f"https://{slug(name)}.{rng.choice(DOMAINS)}", "thumbnail_url": None, "sharing": sharing,
            "groups": [rng.choice(group_ids)] if sharing == "groups" else [], "pinned": rng.random() < 0.2,
            "created_at": c_at, "updated_at": c_at, "updated_by": "alice", "version": 1,
        }

    audit = {}
    n_audit = min(3000, max(1000, n // 5))
    app_list = list(apps.values())
    for i in range(1, n_audit + 1):
        a = rng.choice(app_list)
        action = rng.choice(("create", "update", "update", "share", "rotate_secret", "reveal_secret"))
        fields = {"create": ["app_url", "name"], "update": ["description"], "share": ["groups", "sharing"],
                  "rotate_secret": ["client_secret"], "reveal_secret": []}[action]
        audit[str(i)] = {"at": stamp(rng)[0], "actor": a["owner"], "action": action, "object_type": "app",
                         "object_id": a["id"], "object_name": a["name"], "app_owner": a["owner"], "fields": fields,
                         "detail": ""}
    return {"meta": meta, "users": users, "groups": groups, "apps": apps, "registered": registered, "audit": audit}


def write_store(n: int, out: Path, seed: int = 1) -> Path:
    data = make_store(n, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".gen-tmp")
    # The layout appdeck itself writes (store/layout.py: compact, one record per line), as a store it has used.
    from store import layout

    tmp.write_bytes(layout.dumps(data))
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", type=int, help="number of built apps")
    p.add_argument("out", type=Path)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    write_store(args.n, args.out, args.seed)
    print(f"wrote {args.n} apps to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
