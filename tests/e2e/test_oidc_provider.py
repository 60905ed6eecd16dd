"""appdeck's credentials log in through a real OpenID provider (spec section 11; issue 13).

One provider process (contrib/oidc-provider: panva/oidc-provider 9 on Node) runs on 127.0.0.1 at a free port,
loading the file that one `appdeck export oidc --out FILE --watch` process keeps up to date with the store. The
tests drive both over HTTP with the standard library's http.client (redirects followed by hand, a small cookie jar)
and change the store through the controller or the CLI: what they prove is that a change in appdeck reaches the
provider within seconds, without a restart, and that the provider judges URLs exactly as appdeck's checker does
(spec section 4). Skipped only where `node` or contrib/oidc-provider/node_modules is missing (`.ci/run` installs
both). Every wait is bounded; both processes are killed in teardown.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from store.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = ROOT / "contrib" / "oidc-provider"
NODE = shutil.which("node")
WAIT = 8.0  # seconds: the longest any change may take to reach the provider before a test fails

pytestmark = pytest.mark.skipif(
    NODE is None or not (PROVIDER / "node_modules" / "oidc-provider").is_dir(),
    reason="needs node and contrib/oidc-provider/node_modules (.ci/run installs Debian's nodejs and runs npm ci)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def appdeck(store: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, as alice."""
    return subprocess.run([sys.executable, "-m", "tui", "--store", str(store), "--user", "alice", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def wait_until(test: Callable[[], bool], what: str, timeout: float = WAIT) -> float:
    """Poll `test` until it holds; the seconds it took. Fails after `timeout`."""
    start = time.monotonic()
    while not test():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)
    return time.monotonic() - start


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


@dataclass
class Browser:
    """A user agent talking to the provider: one connection per request, cookies kept by name, no auto-redirect."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            out = Response(r.status, r.headers, r.read())
        finally:
            conn.close()
        for line in out.headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=Thu, 01 Jan 1970" not in line:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return out

    def local(self, location: str) -> str | None:
        """The path of a redirect that stays on the provider, None for one that leaves it."""
        if location.startswith("/"):
            return location
        own = f"http://127.0.0.1:{self.port}"
        return location[len(own):] if location.startswith(own + "/") else None


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def auth_query(client_id: str, redirect_uri: str, challenge: str | None) -> str:
    params = {"client_id": client_id, "response_type": "code", "scope": "openid", "redirect_uri": redirect_uri,
              "state": secrets.token_hex(8), "nonce": secrets.token_hex(8)}
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return "/auth?" + urllib.parse.urlencode(params)


def login(browser: Browser, client_id: str, redirect_uri: str, challenge: str | None = None, user: str = "dana") -> str:
    """A full authorization-code login with the development interaction; the final redirect (to the app)."""
    r = browser.request("GET", auth_query(client_id, redirect_uri, challenge))
    for step in range(12):
        assert r.status in (302, 303), (r.status, r.body[:300])
        assert r.location is not None
        path = browser.local(r.location)
        if path is None:
            return r.location
        if path.startswith("/interaction/"):
            r = browser.request("POST", path, {"prompt": "login" if step < 2 else "consent", "login": user, "password": "x"})
        else:
            r = browser.request("GET", path)
    raise AssertionError("the login never came back to the app")


def code_of(location: str, redirect_uri: str) -> str:
    assert location.split("?", 1)[0] == redirect_uri.split("?", 1)[0], location
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert "error" not in query, query
    return query["code"][0]


def token(browser: Browser, form: dict[str, str], *, basic: tuple[str, str] | None = None,
          origin: str | None = None) -> Response:
    headers = {}
    if basic is not None:
        pair = f"{urllib.parse.quote(basic[0], safe='')}:{urllib.parse.quote(basic[1], safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    if origin is not None:
        headers["Origin"] = origin
    return browser.request("POST", "/token", form, headers)


def authorize_verdict(browser: Browser, client_id: str, redirect_uri: str) -> bool:
    """Does the authorization endpoint accept this redirect_uri (and go on to the login), or refuse it?"""
    _, challenge = pkce_pair()
    r = browser.request("GET", auth_query(client_id, redirect_uri, challenge))
    if r.status in (302, 303) and r.location and r.location.startswith("/interaction/"):
        return True
    assert r.status == 400 and b"invalid_redirect_uri" in r.body, (
        redirect_uri, r.status, r.location, r.body[r.body.find(b"<pre>"):][:300])
    assert r.location is None  # a refused callback never redirects
    return False


def provider_knows(browser: Browser, client_id: str) -> bool:
    """Whether the provider has loaded this client (an authorization request names it without a redirect_uri)."""
    r = browser.request("GET", "/auth?" + urllib.parse.urlencode({"client_id": client_id, "response_type": "code"}))
    return b"invalid_client" not in r.body


# -- the running pair: export --watch and the provider ------------------------------------------------------------


@dataclass
class Stack:
    store: Path
    out: Path
    port: int
    ctl: Controller
    watch: subprocess.Popen[str]
    provider: subprocess.Popen[str]
    apps: dict[str, Any]

    def browser(self) -> Browser:
        return Browser(self.port)

    def clients(self) -> dict[str, dict[str, Any]]:
        try:
            return {c["client_id"]: c for c in json.loads(self.out.read_text())["clients"]}
        except (OSError, ValueError):
            return {}


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


APPS: dict[str, dict[str, Any]] = {
    "m2m": {"name": "Backend", "app_url": "https://api.example.com", "advanced": True, "app_type": "m2m"},
    "rwa_basic": {"name": "Legacy basic", "app_url": "https://rwa.example.com", "advanced": True, "app_type": "rwa",
                  "token_auth": "client_secret_basic", "callback_urls": ["https://rwa.example.com/cb"],
                  "logout_urls": ["https://rwa.example.com/bye"]},
    "rwa_post": {"name": "Legacy post", "app_url": "https://rwa2.example.com", "advanced": True, "app_type": "rwa",
                 "callback_urls": ["https://rwa2.example.com/callback?tenant=a"]},
    "spa": {"name": "Portal", "app_url": "https://spa.example.com", "advanced": True,
            "callback_urls": ["https://spa.example.com/cb", "https://pr-*-preview.example.com/cb"],
            "logout_urls": ["https://spa.example.com/bye", "https://*.example.com/bye"],
            "cors_origins": ["https://spa.example.com", "https://*.cdn.example.com"]},
    "disabled": {"name": "Off", "app_url": "https://off.example.com", "advanced": True, "app_type": "m2m"},
    "trashed": {"name": "Binned", "app_url": "https://bin.example.com", "advanced": True, "app_type": "m2m"},
    "purged": {"name": "Gone", "app_url": "https://gone.example.com", "advanced": True, "app_type": "m2m"},
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("oidc")
    store, out = base / "store.json", base / "clients.json"
    ctl = Controller(store, "alice")
    apps = {key: ctl.create_app(dict(data)).app for key, data in APPS.items()}
    watch = subprocess.Popen([sys.executable, "-m", "tui", "--store", str(store), "--user", "alice", "export", "oidc",
                              "--out", str(out), "--watch"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    port = free_port()
    provider = None
    try:
        wait_until(lambda: out.exists() and len(json.loads(out.read_text())["clients"]) == len(APPS), "the first export")
        provider = subprocess.Popen([str(NODE), "server.js", "--export", str(out), "--port", str(port)], cwd=PROVIDER,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def up() -> bool:
            assert provider is not None and provider.poll() is None, "the provider exited"
            try:
                return Browser(port).request("GET", "/.well-known/openid-configuration").status == 200
            except OSError:
                return False

        wait_until(up, "the provider to listen", timeout=20)
        yield Stack(store, out, port, ctl, watch, provider, apps)
    finally:
        _kill(watch)
        if provider is not None:
            _kill(provider)


# -- Machine to Machine ------------------------------------------------------------------------------------------


def test_m2m_client_credentials_and_a_rotated_secret(stack: Stack) -> None:
    """Section 11: an M2M app is a client_credentials client; its secret gets a token, a wrong one is invalid_client,
    and after `apps rotate-secret` the old secret stops working and the new one works, with no restart."""
    app = stack.apps["m2m"]
    b = stack.browser()
    secret = stack.ctl.reveal_secret(app.id)

    def grant(s: str) -> Response:
        return token(b, {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": s})

    r = grant(secret)
    assert r.status == 200, r.body
    assert r.json()["token_type"] == "Bearer" and r.json()["access_token"]
    r = grant(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert r.status == 401 and r.json()["error"] == "invalid_client"
    # the export carries no redirect URIs for it, so the authorization endpoint has nothing to send a user to
    assert stack.clients()[app.client_id]["redirect_uris"] == []

    rotated = appdeck(stack.store, "apps", "rotate-secret", app.id, "--yes")
    assert rotated.returncode == 0, rotated.stderr
    new = stack.ctl.reveal_secret(app.id)
    assert new != secret
    took = wait_until(lambda: grant(new).status == 200, "the rotated secret to work")
    assert grant(secret).json()["error"] == "invalid_client"
    assert stack.provider.poll() is None  # the same process all along
    print(f"rotation reached the provider in {took:.2f} s")


# -- Regular Web Applications ------------------------------------------------------------------------------------


def test_rwa_login_with_client_secret_basic(stack: Stack) -> None:
    """Section 11: an RWA logs a user in with the authorization code flow, the code exchanged with
    client_secret_basic (its method); a wrong secret is invalid_client."""
    app = stack.apps["rwa_basic"]
    secret = stack.ctl.reveal_secret(app.id)
    b = stack.browser()
    cb = "https://rwa.example.com/cb"
    code = code_of(login(b, app.client_id, cb), cb)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": cb}
    wrong = token(b, form, basic=(app.client_id, secret[::-1]))
    assert wrong.status == 401 and wrong.json()["error"] == "invalid_client"
    r = token(b, form, basic=(app.client_id, secret))
    assert r.status == 200, r.body
    assert r.json()["id_token"] and r.json()["access_token"]


def test_rwa_login_with_client_secret_post(stack: Stack) -> None:
    """Section 11: an RWA on the default method (client_secret_post) exchanges its code with the secret in the body;
    its callback keeps its query, compared exactly (section 4)."""
    app = stack.apps["rwa_post"]
    secret = stack.ctl.reveal_secret(app.id)
    b = stack.browser()
    cb = "https://rwa2.example.com/callback?tenant=a"
    code = code_of(login(b, app.client_id, cb), cb)
    r = token(b, {"grant_type": "authorization_code", "code": code, "redirect_uri": cb, "client_id": app.client_id,
                  "client_secret": secret})
    assert r.status == 200, r.body
    assert not authorize_verdict(b, app.client_id, "https://rwa2.example.com/callback?tenant=b")


# -- Single Page Applications ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cb", ["https://spa.example.com/cb", "https://pr-42-preview.example.com/cb"])
def test_spa_login_with_pkce_needs_no_secret(stack: Stack, cb: str) -> None:
    """Sections 4 and 11: an SPA is a public client (token_endpoint_auth_method none): a login with PKCE to an exact
    callback and to one its wildcard entry allows, the code exchanged with the verifier and no secret."""
    app = stack.apps["spa"]
    b = stack.browser()
    verifier, challenge = pkce_pair()
    code = code_of(login(b, app.client_id, cb, challenge), cb)
    r = token(b, {"grant_type": "authorization_code", "code": code, "redirect_uri": cb, "client_id": app.client_id,
                  "code_verifier": verifier})
    assert r.status == 200, r.body
    assert r.json()["id_token"]


def test_spa_refusals(stack: Stack) -> None:
    """Sections 4 and 11: PKCE is required for a public client; an unregistered callback, a wrong wildcard depth,
    an empty starred part and another port never redirect."""
    app = stack.apps["spa"]
    b = stack.browser()
    r = b.request("GET", auth_query(app.client_id, "https://spa.example.com/cb", None))
    assert r.location is not None and "requires PKCE" in urllib.parse.unquote_plus(r.location)  # refused, back to the app
    for cb in ("https://evil.example.net/cb", "https://a.pr-1-preview.example.com/cb", "https://pr--preview.example.com/cb",
               "https://spa.example.com/cb/", "https://spa.example.com:8443/cb", "http://spa.example.com/cb"):
        assert stack.ctl.check_url(app.id, "callback", cb).allowed is False
        assert not authorize_verdict(b, app.client_id, cb), cb


# -- logout and CORS ---------------------------------------------------------------------------------------------


def _id_token(stack: Stack, b: Browser) -> str:
    app = stack.apps["spa"]
    verifier, challenge = pkce_pair()
    cb = "https://spa.example.com/cb"
    code = code_of(login(b, app.client_id, cb, challenge), cb)
    r = token(b, {"grant_type": "authorization_code", "code": code, "redirect_uri": cb, "client_id": app.client_id,
                  "code_verifier": verifier})
    return str(r.json()["id_token"])


@pytest.mark.parametrize(("target", "allowed"), [
    ("https://spa.example.com/bye", True),
    ("https://spa.example.com/bye?from=menu", True),  # logout URLs ignore the query (section 4)
    ("https://shop.example.com/bye", True),  # the wildcard entry
    ("https://spa.example.com/other", False),
    ("https://a.b.example.com/bye", False),
])
def test_logout_redirect(stack: Stack, target: str, allowed: bool) -> None:
    """Sections 4 and 11: RP-initiated logout redirects to a post_logout_redirect_uri the app's logout list allows,
    and refuses (no redirect) any other, as appdeck's checker judges it."""
    app = stack.apps["spa"]
    assert stack.ctl.check_url(app.id, "logout", target).allowed is allowed
    b = stack.browser()
    hint = _id_token(stack, b)
    r = b.request("GET", "/session/end?" + urllib.parse.urlencode(
        {"id_token_hint": hint, "post_logout_redirect_uri": target, "state": "s1"}))
    if not allowed:
        assert r.status == 400 and r.location is None and b"post_logout_redirect_uri not registered" in r.body
        return
    assert r.status == 200, r.body[:300]
    xsrf = re.search(rb'name="xsrf" value="([^"]+)"', r.body)
    assert xsrf is not None
    r = b.request("POST", "/session/end/confirm", {"xsrf": xsrf.group(1).decode(), "logout": "yes"})
    assert r.status in (302, 303) and r.location is not None
    assert r.location.split("?", 1)[0] == target.split("?", 1)[0]


@pytest.mark.parametrize(("origin", "allowed"), [
    ("https://spa.example.com", True),
    ("https://img.cdn.example.com", True),
    ("https://evil.example.com", False),
    ("https://spa.example.com:8443", False),
    ("null", False),
])
def test_cors_on_the_token_endpoint(stack: Stack, origin: str, allowed: bool) -> None:
    """Sections 3, 4 and 11: the token endpoint answers a browser's cross-origin request with CORS headers only for
    an origin the app's CORS list allows (exact or wildcard), as appdeck's checker judges it."""
    app = stack.apps["spa"]
    assert stack.ctl.check_url(app.id, "cors", origin).allowed is allowed
    b = stack.browser()
    verifier, challenge = pkce_pair()
    cb = "https://spa.example.com/cb"
    code = code_of(login(b, app.client_id, cb, challenge), cb)
    r = token(b, {"grant_type": "authorization_code", "code": code, "redirect_uri": cb, "client_id": app.client_id,
                  "code_verifier": verifier}, origin=origin)
    if allowed:
        assert r.status == 200, r.body
        assert r.headers.get("Access-Control-Allow-Origin") == origin
    else:
        assert r.headers.get("Access-Control-Allow-Origin") is None
        assert r.status == 400 and r.json()["error"] == "invalid_request"


# -- apps that cannot authenticate -------------------------------------------------------------------------------


def test_disabled_trashed_and_purged_apps_are_unknown_clients(stack: Stack) -> None:
    """Sections 10 and 11: an app that worked stops being a client the moment it is disabled, deleted (trash) or
    purged: client_credentials with its right secret is invalid_client, without a restart; enabled again, it works."""
    b = stack.browser()
    creds = {k: (stack.apps[k].client_id, stack.ctl.reveal_secret(stack.apps[k].id)) for k in ("disabled", "trashed", "purged")}

    def works(key: str) -> bool:
        cid, secret = creds[key]
        r = token(b, {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret})
        assert r.status in (200, 401), r.body
        return r.status == 200

    def refused(key: str) -> bool:
        return not works(key)

    for key in creds:
        wait_until(functools.partial(works, key), f"{key} to work first")
    stack.ctl.set_enabled(stack.apps["disabled"].id, False)
    stack.ctl.delete_app(stack.apps["trashed"].id)
    stack.ctl.delete_app(stack.apps["purged"].id)
    stack.ctl.purge_app(stack.apps["purged"].id)
    for key in creds:
        wait_until(functools.partial(refused, key), f"{key} to be refused")
        assert creds[key][0] not in stack.clients()
    r = b.request("GET", auth_query(creds["disabled"][0], "https://off.example.com/", pkce_pair()[1]))
    assert r.status == 400 and b"invalid_client" in r.body and r.location is None
    stack.ctl.set_enabled(stack.apps["disabled"].id, True)
    wait_until(lambda: works("disabled"), "the enabled app to work again")


# -- a new app logs a user in within seconds --------------------------------------------------------------------


def test_an_app_created_with_the_cli_logs_a_user_in_within_seconds(stack: Stack) -> None:
    """Issue 13, done when: with `export oidc --watch` running, an app created through the CLI logs a user in
    through the provider within a few seconds."""
    created = appdeck(stack.store, "apps", "create", "--name", "Fresh", "--app-url", "https://fresh.example.com",
                      "--callback-url", "https://fresh.example.com/signed-in", "--json")
    assert created.returncode == 0, created.stderr
    start = time.monotonic()
    client_id = json.loads(created.stdout)["client_id"]
    cb = "https://fresh.example.com/signed-in"
    b = stack.browser()
    wait_until(lambda: client_id in stack.clients(), "the export to hold the new app", timeout=3)
    wait_until(lambda: provider_knows(b, client_id), "the provider to know it", timeout=3)
    verifier, challenge = pkce_pair()
    code = code_of(login(b, client_id, cb, challenge), cb)
    r = token(b, {"grant_type": "authorization_code", "code": code, "redirect_uri": cb, "client_id": client_id,
                  "code_verifier": verifier})
    assert r.status == 200, r.body
    took = time.monotonic() - start
    assert took < 5
    print(f"created -> logged in: {took:.2f} s")


# -- agreement: appdeck's checker and the provider give the same verdict --------------------------------------


AGREEMENT_APPS: list[list[str]] = [
    ["https://app.example.com/cb", "https://app.example.com:8443/auth/callback/", "https://*.example.com/cb?x=1"],
    ["https://pr-*-preview.Example.org/login", "http://localhost:3000/cb", "https://ｅｘａｍｐｌｅ.net/cb"],
    ["https://*.shop.example.co.uk/", "https://shop.example.co.uk/a/../b", "http://127.0.0.1:8080/cb?"],
    ["com.example.app://callback", "https://*-beta.example.com/cb", "https://bücher.example/cb"],
]


def _variants(entry: str, rnd: random.Random) -> list[str]:
    """URLs near an entry: the kinds of difference section 4 names, and spellings that read the same."""
    base = entry.replace("*", rnd.choice(["a", "x1", "pr-9", "A", "under_score", "", "a.b", "ü"]), 1)
    split = urllib.parse.urlsplit(base)
    host = split.hostname or ""
    out = [base, base + "/", base.rstrip("/"), base + "?", base + "?x=1", base + "#frag", base.upper(),
           base.replace("https://", "http://", 1), base.replace("://", "://www.", 1), base.replace("://", "://a.b.", 1),
           base.replace(host, host.upper(), 1) if host else base,
           base.replace(host, "".join(chr(ord(c) + 0xFEE0) if c.isalnum() and c.isascii() else c for c in host), 1) if host else base,
           base.replace(host, host + ":443", 1) if host and split.port is None else base,
           base.replace(host, host + ":8443", 1) if host and split.port is None else base,
           base.replace("/cb", "/CB"), base.replace("/cb", "/./cb"), base.replace("/cb", "/x/../cb"),
           base.replace("/cb", "/c%62"), " " + base + "\u3000", base + "\t", "\x01" + base,
           base.replace("://", ":", 1), base.replace("://", "://user@", 1), base.replace(host, host + ".", 1) if host else base,
           base.replace(host, host.replace(".", "..", 1), 1) if host else base]
    return out


def test_agreement_with_appdecks_checker(stack: Stack) -> None:
    """Section 4, issue 13: for a few hundred generated (app, URL) pairs, appdeck's check-url verdict for a callback
    equals the provider's: the authorization endpoint goes on to the login exactly when appdeck allows the URL."""
    rnd = random.Random(13)
    made = [stack.ctl.create_app({"name": f"Agree {i}", "app_url": "https://agree.example.com", "advanced": True,
                                  "callback_urls": entries}).app for i, entries in enumerate(AGREEMENT_APPS)]
    b = stack.browser()
    wait_until(lambda: all(provider_knows(b, a.client_id) for a in made), "the provider to load the agreement apps")
    pairs: dict[tuple[str, str], None] = {}
    for app, entries in zip(made, AGREEMENT_APPS):
        for entry in entries:
            for _ in range(3):
                pairs |= dict.fromkeys((app.id, url) for url in _variants(entry, rnd))
    by_id = {a.id: a for a in made}
    disagree = []
    allowed = 0
    start = time.monotonic()
    for app_id, url in pairs:
        appdeck_says = stack.ctl.check_url(app_id, "callback", url).allowed
        allowed += appdeck_says
        if authorize_verdict(b, by_id[app_id].client_id, url) != appdeck_says:
            disagree.append((url, appdeck_says))
    print(f"{len(pairs)} pairs ({allowed} allowed) in {time.monotonic() - start:.1f} s")
    assert len(pairs) >= 300 and 30 <= allowed <= len(pairs) - 30
    assert disagree == []


# -- the watch ends cleanly ------------------------------------------------------------------------------------


def test_watch_stops_cleanly_on_sigterm(stack: Stack) -> None:
    """Issue 13: `export oidc --watch` ends with exit 0 on SIGTERM; it audited one export, not one per rewrite."""
    exports = [e for e in stack.ctl.audit() if e.action == "export"]
    assert len(exports) == 1
    stack.watch.send_signal(signal.SIGTERM)
    assert stack.watch.wait(timeout=5) == 0
    assert os.stat(stack.out).st_mode & 0o777 == 0o600
