"""The export to an OpenID provider (spec section 11): the enabled built apps as standard client metadata.

Pure: `oidc_document(apps, organization)` turns app records (as stored, with their secrets) into one JSON-ready
document, `{"x_appdeck_export": {...}, "clients": [...]}`. Every client carries the names of OAuth 2.0 Dynamic
Client Registration (RFC 7591) and OpenID Connect Dynamic Client Registration 1.0, so a standard provider can load
it; what those names cannot say (appdeck's wildcards, its web and CORS origins, its matching rules) travels in
extension fields named `x_appdeck_*`, which a provider that does not know them ignores.

appdeck's matching rule (spec section 4) stays here: each allow-list is exported as regular expressions over the
canonical URL (the WHATWG parser's `href`, without its fragment), written in the subset that Python's `re` and
JavaScript's `RegExp` (without flags) read the same way: anchors, escaped literals, one character class
`[a-z0-9_-]` and `+`, `?`, `(?:...)`. A provider applies them to the URL it is given, read with its own WHATWG
parser: the tested text, with the `x_appdeck_export.tested_url.trim` characters cut from both ends, must hold no
`control` character and start with `scheme://` (`typed`), and then its canonical href must match one pattern.

- A callback pattern is the entry's href with the query compared exactly (no query and an empty "?" are equal),
  a wildcard label becomes `prefix[a-z0-9_-]+suffix` (exactly one label of one or more characters), and the host
  of a custom scheme (which the parser does not lowercase) compares case-insensitively.
- A logout pattern ignores the query; an origin pattern compares scheme, host and port only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from store import policy, urls
from store.text import CONTROLS
from store.vocabulary import M2M

EXPORT_FORMAT = 1
# The one character class a wildcard label's variable part may hold: what appdeck accepts in a host label.
WILDCARD_LABEL = "[a-z0-9_-]+"
_SYNTAX = frozenset("^$\\.*+?()[]{}|/")  # RegExp syntax characters: escaped the same way in Python and JavaScript


def _escape(text: str) -> str:
    """`text` as a literal in the shared regex subset (only RegExp syntax characters are escaped: an identity
    escape of anything else means something else in one of the two languages)."""
    return "".join("\\" + c if c in _SYNTAX else c for c in text)


def _ci(text: str) -> str:
    """A literal that matches without regard to ASCII case (a custom scheme's host: `str.lower` on both sides)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isascii() and c.isalpha() else _escape(c) for c in text)


def _char_class(chars: Iterable[str]) -> str:
    """A character class of \\uXXXX ranges (every character here is in the BMP), for both languages."""
    points = sorted(ord(c) for c in chars)
    ranges: list[list[int]] = []
    for p in points:
        if ranges and p == ranges[-1][1] + 1:
            ranges[-1][1] = p
        else:
            ranges.append([p, p])
    return "[" + "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]"


def tested_url_rules() -> dict[str, str]:
    """How a URL to test must be typed before its canonical form is matched (store.urls `check_url`): the characters
    of `trim` cut from both ends (as `str.strip`), then no `control` character (store.text, spec section 9) and
    `scheme://` typed first (`typed`). Each value is a pattern of the shared subset."""
    return {
        "control": _char_class(CONTROLS),
        "trim": _char_class(urls._TRIM),
        "typed": "^" + urls._SCHEME_RE.pattern,
    }


def _host_pattern(scheme: str, host: str) -> str | None:
    """The host as a pattern: a starred left-most label becomes `prefix[a-z0-9_-]+suffix` (web schemes only)."""
    if "*" not in host:
        return _escape(host) if scheme in ("http", "https") else _ci(host)
    starred, dot, rest = host.partition(".")
    if scheme not in ("http", "https") or starred.count("*") != 1 or "*" in rest or not dot:
        return None  # not a wildcard appdeck accepts (a hand-edited store): it matches nothing
    prefix, suffix = starred.split("*")
    return _escape(prefix) + WILDCARD_LABEL + _escape(suffix) + _escape(dot + rest)


def url_pattern(entry: str, kind: str) -> str | None:
    """The regular expression over a canonical href (without fragment) that matches exactly the URLs appdeck's
    checker allows for one entry of a list of `kind` ("callback", "logout", "web_origin", "cors"); None for an
    entry that is not a URL (a hand-edited store), which matches nothing there either."""
    url = urls._read(entry.strip(urls._TRIM))
    if url is None or url.credentials or not url.href.startswith(url.scheme + "://"):
        return None
    host_re = _host_pattern(url.scheme, url.host)
    if host_re is None:
        return None
    head = "^" + _escape(url.scheme + "://") + host_re + ("" if url.port is None else f":{url.port}")
    if kind in ("web_origin", "cors"):
        return head + "(?:[/?][^#]*)?$"
    if kind == "logout":
        return head + _escape(url.path) + "(?:\\?[^#]*)?$"
    return head + _escape(url.path) + ("\\??" if not url.query else _escape("?" + url.query)) + "$"


def _canonical(entries: Iterable[str]) -> list[str]:
    """Entries as a browser reads them (unreadable ones are dropped), first occurrence kept."""
    out = (urls.canonical_url(e.strip(urls._TRIM)) for e in entries)
    return list(dict.fromkeys(h for h in out if h is not None))


def _origins(entries: Iterable[str]) -> list[str]:
    """Origins serialized as a browser's Origin header (`scheme://host[:port]`), first occurrence kept."""
    return list(dict.fromkeys(o for o in (urls.origin_of(e) for e in entries) if o is not None))


def _patterns(entries: Iterable[str], kind: str) -> list[str]:
    return list(dict.fromkeys(p for p in (url_pattern(e, kind) for e in entries) if p is not None))


def _is_web(href: str) -> bool:
    return href.startswith(("http://", "https://"))


def client_metadata(app: Mapping[str, Any]) -> dict[str, Any]:
    """One app as client metadata (RFC 7591 / OpenID Connect Dynamic Client Registration names) plus `x_appdeck_*`."""
    kind = policy.effective_type(app)
    method = policy.effective_token_auth(kind, app.get("token_auth"))
    eff = policy.effective_urls(app)
    out: dict[str, Any] = {"client_id": str(app.get("client_id", ""))}
    if method != "none":
        out["client_secret"] = str(app.get("client_secret", ""))
    out["client_name"] = str(app.get("name", ""))
    out["client_uri"] = str(app.get("app_url", ""))
    if app.get("thumbnail_url"):
        out["logo_uri"] = str(app["thumbnail_url"])
    login = eff["login_url"]
    login_href = urls.canonical_url(login) if login else None
    if login_href is not None and login_href.startswith("https://"):  # the standard allows only https here
        out["initiate_login_uri"] = login_href
    callbacks = _canonical(eff["callback_urls"])
    logout = _canonical(eff["logout_urls"])
    out["redirect_uris"] = [u for u in callbacks if "*" not in u]
    out["post_logout_redirect_uris"] = [u for u in logout if "*" not in u]
    if kind == M2M:
        out["grant_types"], out["response_types"] = ["client_credentials"], []
    else:
        out["grant_types"], out["response_types"] = ["authorization_code"], ["code"]
    out["token_endpoint_auth_method"] = method
    out["application_type"] = "native" if any(not _is_web(u) for u in callbacks) else "web"
    out.update(
        {
            "x_appdeck_app_id": str(app.get("id", "")),
            "x_appdeck_app_type": kind,
            "x_appdeck_redirect_uri_wildcards": [u for u in callbacks if "*" in u],
            "x_appdeck_post_logout_redirect_uri_wildcards": [u for u in logout if "*" in u],
            "x_appdeck_web_origins": _origins(eff["web_origins"]),
            "x_appdeck_cors_origins": _origins(eff["cors_origins"]),
            "x_appdeck_redirect_uri_patterns": _patterns(eff["callback_urls"], "callback"),
            "x_appdeck_post_logout_redirect_uri_patterns": _patterns(eff["logout_urls"], "logout"),
            "x_appdeck_web_origin_patterns": _patterns(eff["web_origins"], "web_origin"),
            "x_appdeck_cors_origin_patterns": _patterns(eff["cors_origins"], "cors"),
        }
    )
    return out


def exported(app: Mapping[str, Any]) -> bool:
    """Only an enabled app authenticates (spec section 10); trashed apps are in another table and never reach here."""
    return app.get("enabled", True) is not False


def oidc_document(apps: Iterable[Mapping[str, Any]], organization: str = "") -> dict[str, Any]:
    """The export document: the enabled apps, sorted by client ID so the same store gives the same bytes."""
    clients = [client_metadata(a) for a in apps if exported(a)]
    clients.sort(key=lambda c: str(c["client_id"]))
    return {
        "x_appdeck_export": {
            "format": EXPORT_FORMAT,
            "kind": "oidc",
            "organization": organization,
            "tested_url": tested_url_rules(),
        },
        "clients": clients,
    }


def patterns_match(patterns: Iterable[str], href: str) -> bool:
    """Whether a canonical href (its fragment is ignored) matches one exported pattern (as a provider applies them)."""
    base = href.partition("#")[0]
    return any(re.search(p, base) is not None for p in patterns)


__all__ = ["EXPORT_FORMAT", "client_metadata", "exported", "oidc_document", "patterns_match", "tested_url_rules", "url_pattern"]
