"""`appdeck export oidc` (spec section 11): the mapping to client metadata, who may export, the audit, the file.

The provider side is proved in tests/e2e/test_oidc_provider.py; here the export document itself, and the exported
patterns applied the way a provider applies them (store/export.py) against appdeck's own checker, with hypothesis.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import export, urls
from store.controller import Controller
from store.errors import PermissionDeniedError
from tui.cli import run
from tui.ssh_serve import Refused, build_argv


def _doc(ctl: Controller) -> dict[str, dict[str, Any]]:
    return {c["x_appdeck_app_id"]: c for c in ctl.export_oidc()["clients"]}


def test_mapping_per_type(make_ctl: Callable[..., Controller]) -> None:
    """Section 11: M2M is client_credentials with its secret and no redirect URIs; an SPA is a public code client
    (none, no secret); an RWA a code client with its method and secret; fields carry RFC 7591 / OIDC names."""
    ctl = make_ctl()
    m2m = ctl.create_app({"name": "B", "app_url": "https://b.example.com", "advanced": True, "app_type": "m2m"}).app
    spa = ctl.create_app({"name": "S", "app_url": "http://localhost:3000", "thumbnail_url": "https://s.example.com/l.png",
                          "advanced": True, "login_url": "https://s.example.com/login",
                          "callback_urls": ["https://S.example.com/cb", "https://*.s.example.com/cb"],
                          "cors_origins": ["https://s.example.com"]}).app
    rwa = ctl.create_app({"name": "R", "app_url": "https://r.example.com", "advanced": True, "app_type": "rwa",
                          "token_auth": "client_secret_basic"}).app
    public_rwa = ctl.create_app({"name": "P", "app_url": "https://p.example.com", "advanced": True, "app_type": "rwa",
                                 "token_auth": "none"}).app
    doc = _doc(ctl)
    c = doc[m2m.id]
    assert c["grant_types"] == ["client_credentials"] and c["response_types"] == [] and c["redirect_uris"] == []
    assert c["token_endpoint_auth_method"] == "client_secret_post" and c["client_secret"] == ctl.reveal_secret(m2m.id)
    assert c["client_id"] == m2m.client_id and c["client_name"] == "B" and c["client_uri"] == "https://b.example.com"
    c = doc[spa.id]
    assert "client_secret" not in c and c["token_endpoint_auth_method"] == "none"
    assert c["grant_types"] == ["authorization_code"] and c["response_types"] == ["code"]
    assert c["redirect_uris"] == ["https://s.example.com/cb"]  # canonical; the wildcard only in the extension
    assert c["x_appdeck_redirect_uri_wildcards"] == ["https://*.s.example.com/cb"]
    assert c["initiate_login_uri"] == "https://s.example.com/login" and c["logo_uri"] == "https://s.example.com/l.png"
    assert c["x_appdeck_cors_origins"] == ["https://s.example.com"]
    assert c["x_appdeck_web_origins"] == ["https://s.example.com", "https://*.s.example.com"]  # derived (section 3)
    assert c["application_type"] == "web"
    c = doc[rwa.id]
    assert c["token_endpoint_auth_method"] == "client_secret_basic" and c["client_secret"]
    assert c["redirect_uris"] == ["https://r.example.com/"] == c["post_logout_redirect_uris"]  # the app URL, canonical
    assert "client_secret" not in doc[public_rwa.id]


def test_http_login_url_is_not_an_initiate_login_uri(make_ctl: Callable[..., Controller]) -> None:
    """Section 11 and OIDC Registration: initiate_login_uri must be https, so an http effective login URL (the app URL)
    is left out rather than making the client invalid."""
    ctl = make_ctl()
    app = ctl.create_app({"name": "L", "app_url": "http://localhost:3000"}).app
    assert "initiate_login_uri" not in _doc(ctl)[app.id]


def test_custom_scheme_is_native(make_ctl: Callable[..., Controller]) -> None:
    """Section 11: application_type is native when a callback uses a custom scheme."""
    ctl = make_ctl()
    app = ctl.create_app({"name": "N", "app_url": "https://n.example.com", "advanced": True,
                          "callback_urls": ["com.example.app://callback", "https://n.example.com/cb"]}).app
    assert _doc(ctl)[app.id]["application_type"] == "native"


def test_disabled_and_trashed_are_left_out(make_ctl: Callable[..., Controller]) -> None:
    """Sections 10 and 11: a disabled app and a trashed app are not in the export."""
    ctl = make_ctl()
    keep = ctl.create_app({"name": "K", "app_url": "https://k.example.com"}).app
    off = ctl.create_app({"name": "O", "app_url": "https://o.example.com"}).app
    gone = ctl.create_app({"name": "G", "app_url": "https://g.example.com"}).app
    ctl.set_enabled(off.id, False)
    ctl.delete_app(gone.id)
    assert set(_doc(ctl)) == {keep.id}


def test_only_an_admin_owning_the_store_file_exports_and_each_export_is_audited(
        org: dict[str, Controller], monkeypatch: pytest.MonkeyPatch) -> None:
    """Section 11: an editor is refused; an admin is audited once per export (a rewrite is not audited); an admin
    whose process does not own the store file is refused."""
    with pytest.raises(PermissionDeniedError):
        org["eve"].export_oidc()
    admin = org["alice"]
    before = len([e for e in admin.audit() if e.action == "export"])
    admin.export_oidc()
    admin.export_oidc(audited=False)
    assert len([e for e in admin.audit() if e.action == "export"]) == before + 1
    monkeypatch.setattr(os, "getuid", lambda: os.stat(admin.store.path).st_uid + 1)
    with pytest.raises(PermissionDeniedError):
        admin.export_oidc()
    with pytest.raises(PermissionDeniedError):
        admin.export_oidc(audited=False)


def test_cli_out_file_is_0600_and_ssh_serve_refuses(make_ctl: Callable[..., Controller], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Section 11: --out writes the document with mode 0600 whatever the umask; the store path itself is refused;
    under ssh-serve the command is refused (exit 5) before anything runs."""
    ctl = make_ctl()
    ctl.create_app({"name": "A", "app_url": "https://a.example.com"})
    out = tmp_path / "clients.json"
    old = os.umask(0)
    try:
        assert run(["--store", str(ctl.store.path), "--user", "alice", "export", "oidc", "--out", str(out)]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert len(json.loads(out.read_text())["clients"]) == 1
    assert run(["--store", str(ctl.store.path), "--user", "alice", "export", "oidc", "--out", str(ctl.store.path)]) == 2
    assert run(["--store", str(ctl.store.path), "--user", "alice", "export", "oidc", "--watch"]) == 2
    with pytest.raises(Refused):
        build_argv("alice", str(ctl.store.path), "export oidc")
    with pytest.raises(Refused):
        build_argv("alice", str(ctl.store.path), "--readonly export oidc --out /tmp/x")


# -- the exported patterns, applied as a provider applies them, agree with appdeck's checker -----------------


def provider_verdict(rules: dict[str, str], patterns: list[str], value: str) -> bool:
    """What contrib/oidc-provider/server.js does, in Python: trim, typing rules, canonical href, patterns."""
    text = re.sub(f"^{rules['trim']}+|{rules['trim']}+$", "", value)
    if re.search(rules["control"], text) or not re.search(rules["typed"], text):
        return False
    href = urls.canonical_url(text)
    return href is not None and export.patterns_match(patterns, href)


_LABELS = st.sampled_from(["a", "b", "x1", "pr-1", "A", "ü", "", "a_b", "-", "xn--bcher-kva"])
_ENTRIES = st.sampled_from([
    "https://a.example.com/cb", "https://*.example.com/cb", "https://pr-*-x.example.com/cb?q=1", "http://localhost:8080/",
    "https://EXAMPLE.com/A/b/", "com.example.App://Call", "https://ｅｘａｍｐｌｅ.com/cb?", "http://127.0.0.1/cb",
    "https://*.example.co.uk/", "myapp:///cb", "https://[::1]:8443/x",
])


@st.composite
def _tested(draw: st.DrawFn, entry: str) -> str:
    url = entry.replace("*", draw(_LABELS), 1)
    edits = draw(st.lists(st.sampled_from(["slash", "query", "empty_query", "frag", "upper", "port", "default_port",
                                           "depth", "http", "dot", "space", "tab", "ctrl", "half"]), max_size=3))
    for e in edits:
        url = {
            "slash": url + "/", "query": url + "?q=1", "empty_query": url + "?", "frag": url + "#f", "upper": url.upper(),
            "port": url.replace(".com", ".com:8443", 1), "default_port": url.replace(".com", ".com:443", 1),
            "depth": url.replace("://", "://z.", 1), "http": url.replace("https:", "http:", 1),
            "dot": url.replace("/cb", "/./cb"), "space": " " + url + "\u3000", "tab": "\t" + url, "ctrl": url + "\x7f",
            "half": url.replace("://", ":", 1),
        }[e]
    return url


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_patterns_agree_with_check_url(data: st.DataObject) -> None:
    """Sections 4 and 11: for every kind, the exported pattern of an entry matches exactly the URLs appdeck's checker
    allows for it (wildcards, ports, trailing slashes, queries, case, full-width hosts, typing rules)."""
    entry = data.draw(_ENTRIES)
    tested = data.draw(_tested(entry))
    rules = export.tested_url_rules()
    for kind in ("callback", "logout", "cors"):
        if kind == "cors" and not entry.startswith("http"):
            continue
        listed = urls.origin_of(entry) or entry if kind == "cors" else entry
        pattern = export.url_pattern(listed, kind)
        expected = urls.check_url([listed], kind, tested).allowed
        assert provider_verdict(rules, [pattern] if pattern else [], tested) == expected, (kind, listed, tested, pattern)


def test_patterns_use_the_shared_regex_subset() -> None:
    """Section 11: the patterns hold only anchors, escaped literals, [a-z0-9_-], ?, + and (?:...) so that Python's re
    and JavaScript's RegExp read them the same; a wildcard label is exactly one label of one or more characters."""
    p = export.url_pattern("https://pr-*-x.example.com/cb", "callback")
    assert p == r"^https:\/\/pr-[a-z0-9_-]+-x\.example\.com\/cb\??$"
    assert not export.patterns_match([p], "https://pr--x.example.com/cb")
    assert not export.patterns_match([p], "https://a.pr-1-x.example.com/cb")
    assert export.url_pattern("not a url", "callback") is None
