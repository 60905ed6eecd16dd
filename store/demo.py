"""A ready-made organization so a newcomer can look around at once (`appdeck demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from store.controller import Controller
from store.errors import StoreError
from store.storage import StoreFile

DEMO_USERS = [
    ("maria", "Maria Admin", "admin"),
    ("dev-ana", "Ana Developer", "editor"),
    ("dev-raj", "Raj Developer", "editor"),
    ("dev-lee", "Lee Developer", "editor"),
    ("view-kim", "Kim Viewer", "viewer"),
    ("view-sam", "Sam Viewer", "viewer"),
]
DEMO_GROUPS = {
    "payments": ["dev-ana", "view-kim"],
    "mobile": ["dev-raj", "view-sam"],
    "platform": ["dev-ana", "dev-raj", "dev-lee"],
}


def create_demo(path: str | Path, user: str) -> Controller:
    """Create a demo store at `path` with `user` as an admin who owns some apps; refuse an existing file."""
    store = StoreFile(path)
    if store.exists():
        raise StoreError(f"{store.path} already exists; appdeck demo only creates new stores.")
    admin = Controller(store, user)
    admin.rename_organization("Acme Robotics")
    for login, display, role in DEMO_USERS:
        if login != user:
            admin.add_user(login, role, display)
    for name, members in DEMO_GROUPS.items():
        admin.add_group(name, [m for m in members if m != user] + [user] * (name == "platform"))
    as_user = {login: Controller(store, login) for login, _, role in DEMO_USERS if role == "editor" and login != user}
    as_user[user] = admin
    owners = [user, "dev-ana", "dev-raj", "dev-lee"]
    apps: list[tuple[str, str, str, str, list[str], dict[str, Any]]] = [
        ("Customer Portal", "Single page app customers log in to.", "https://portal.acme.example", "organization", [], {}),
        ("Billing Worker", "Nightly invoicing job.", "https://billing.acme.example", "groups", ["payments"], {"app_type": "m2m"}),
        ("Mobile Companion", "iOS and Android app.", "https://mobile.acme.example", "groups", ["mobile"],
         {"app_type": "spa", "callback_urls": ["com.acme.mobile://callback", "https://mobile.acme.example/cb"]}),
        ("Legacy Intranet", "Old server-rendered intranet.", "https://intranet.acme.example", "organization", [],
         {"app_type": "rwa", "token_auth": "client_secret_basic", "callback_urls": ["https://intranet.acme.example/auth/callback"]}),
        ("Preview Deployments", "Per-PR previews.", "https://app.acme.example", "groups", ["platform"],
         {"callback_urls": ["https://pr-*-preview.acme.example/callback", "https://app.acme.example/callback"],
          "logout_urls": ["https://app.acme.example/bye"], "web_origins": ["https://app.acme.example"]}),
        ("Metrics Exporter", "Pushes metrics to the warehouse.", "https://metrics.acme.example", "private", [], {"app_type": "m2m"}),
        ("Partner Dashboard", "Dashboard for partners.", "https://partners.acme.example", "organization", [],
         {"login_url": "https://partners.acme.example/login", "cors_origins": ["https://partners.acme.example"]}),
        ("Support Console", "Helpdesk tooling.", "https://support.acme.example", "groups", ["payments", "platform"], {}),
        ("Scratch App", "Experiments; not shared.", "http://localhost:3000", "private", [], {}),
        ("Docs Site", "Public documentation login.", "https://docs.acme.example", "organization", [], {}),
        ("Inventory Sync", "Syncs stock levels.", "https://inventory.acme.example", "organization", [], {"app_type": "m2m"}),
        ("Wiki", "Team wiki (legacy).", "https://wiki.acme.example", "groups", ["platform"],
         {"app_type": "rwa", "callback_urls": ["https://wiki.acme.example/oauth/cb"]}),
    ]
    for i, (name, desc, url, sharing, groups, adv) in enumerate(apps):
        owner = owners[i % len(owners)]
        data: dict[str, Any] = {"name": name, "description": desc, "app_url": url, "sharing": sharing, "groups": groups}
        if adv:
            data.update(advanced=True, **adv)
        as_user.get(owner, admin).create_app(data)
    admin.add_registered({"name": "Status Page", "description": "Service status.", "url": "https://status.acme.example", "pinned": True})
    admin.add_registered({"name": "HR Portal", "description": "Leave and payroll.", "url": "https://hr.acme.example"})
    admin.add_registered({"name": "Payments Runbook", "url": "https://runbooks.acme.example/payments", "sharing": "groups", "groups": ["payments"]})
    return admin
