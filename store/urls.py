"""URL rules of product spec sections 2-4: list splitting, validation, wildcards and runtime matching.

Every URL is read the way a browser reads it: `ada_url` (ada, the WHATWG URL parser inside Node.js) splits it, maps
its host under IDNA/UTS 46 ("ｅｘａｍｐｌｅ.com" is "example.com"), reads IPv4 in every numeric form ("0x7f.1" is
"127.0.0.1"), resolves dot segments and drops a default port. appdeck's rules then judge that canonical form (the
parser's `href`), and a message shows it when it differs from what was typed. Entries are stored as typed; matching
compares canonical forms on both sides.

A few rules are about how an entry is written, which the canonical form cannot show because the parser forgives it:
"scheme://" is typed in full ("https:example.com" is refused with a suggestion), a web URL's host follows the "//" at
once, a ":" is followed by a port from 1 to 65535, and no "@" (user name or password), space, backslash or control
character is typed. `_read_typed` cuts the typed authority out of the text for these rules and for naming the part a
browser could not read; it never decides what a URL means.

The wildcard. `*` is not a forbidden host code point of the WHATWG host parser, so the parser keeps it verbatim in an
ASCII label: "https://pr-*-x.example.com" reads as itself, and the starred label is judged where the canonical host
has it. So "https://*.ｃｏ.ｕｋ" is judged as "*.co.uk", and a full-width "＊" in a host is a wildcard like "*".
Two cases need more than the parse. A host that ends in a number is an IPv4 address to the parser, so
"https://*.0.0.1" does not parse at all: when a URL holding "*" fails, the "*" is replaced by the placeholder "0" and
the URL parsed again, and an IP host then means "a wildcard in an IP address" (likewise "[*::1]"). And a starred
label holding anything beyond ASCII becomes Punycode ("ü*" reads as "xn--*-dha"), where a prefix and a suffix no
longer mean what was typed, so it is refused.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

import ada_url
from publicsuffixlist import PublicSuffixList

from store.errors import FieldError
from store.text import CONTROL_RE, has_control
from store.vocabulary import FIELD_LABELS, LIST_LABELS

MAX_ENTRIES = 100
MAX_URL = 2048

LOGIN_LABEL = FIELD_LABELS["login_url"]

_ORIGIN_FIELDS = frozenset({"web_origins", "cors_origins"})
_WEB_SCHEMES = frozenset({"http", "https"})
# Schemes a browser handles itself instead of handing them to a native app (spec section 4): accepting one as a
# "custom" callback scheme would turn a redirect into script execution, a local read, a browser page or an
# OS settings/launch handler. The WHATWG special schemes other than http(s) (ftp, file, ws, wss) and the fetch
# standard's local schemes (about, blob, data) come first.
_BROWSER_SCHEMES = frozenset(
    {
        "ftp", "file", "ws", "wss",
        "about", "blob", "data",
        "javascript", "vbscript", "filesystem", "view-source", "intent", "android-app",
        "chrome", "devtools", "edge", "microsoft-edge", "brave", "opera", "vivaldi", "isolated-app",
        "resource", "jar", "wyciwyg", "googlechrome", "googlechromes", "firefox",
        "res", "mhtml", "mk", "its", "hcp", "search", "search-ms", "read",
    }
)  # fmt: skip
# Families: ms-settings, ms-appx, chrome-extension, chrome-untrusted, moz-extension, safari-web-extension,
# x-safari-https, microsoft-edge-https, and handlers registered with the browser (web+*, ext+*).
_BROWSER_SCHEME_PREFIXES = ("ms-", "chrome-", "moz-", "edge-", "opera-", "safari-", "x-safari-", "microsoft-edge-", "web+", "ext+")

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
# "https:example.com" or "http:/example.com": a scheme typed without its "//".
_HALF_SCHEME_RE = re.compile(r"(https?):/?(?!/)", re.IGNORECASE)
# The authority as typed, after "scheme://": up to the first "/", "\", "?" or "#" (the parser's delimiters).
_AUTHORITY_RE = re.compile(r"[^/\\?#]*")
# A label of a canonical (mapped, lowercased, Punycode) host: what appdeck accepts of what the parser allows.
_LABEL_RE = re.compile(r"[a-z0-9_-]+")
_STARRED_RE = re.compile(r"[a-z0-9_-]*\*[a-z0-9_-]*")
_SEPARATORS_RE = re.compile(r"[,\r\n]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")  # a lone surrogate (from undecodable bytes) cannot be printed
# Whitespace that is safe to trim: every Unicode space except the control characters, which
# must reach the control-character rule instead of vanishing silently; tab is the exception
# since pasted lists often carry it around separators.
_TRIM = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and (c == "\t" or not has_control(c)))
_WHITESPACE_RE = re.compile(r"\s")

# What the checker calls one entry of each list, and the list's entries (the labels of store.vocabulary.LIST_LABELS).
_KINDS: dict[str, tuple[str, str]] = {
    "callback": ("allowed callback URL", "allowed callback URLs"),
    "logout": ("allowed logout URL", "allowed logout URLs"),
    "web_origin": ("allowed web origin", "allowed web origins"),
    "cors": ("allowed origin (CORS)", "allowed origins (CORS)"),
}
# Order in which differences are reported, heaviest first; weights make the ranking lexicographic.
_DIFF_ORDER = ("host", "subdomain depth", "scheme", "port", "path", "trailing slash", "query")
_DIFF_WEIGHT = {name: 1 << (len(_DIFF_ORDER) - i) for i, name in enumerate(_DIFF_ORDER)}
_REPORT_ORDER = ("scheme", "host", "subdomain depth", "port", "path", "trailing slash", "query")
_DIFF_WORDS = {
    "scheme": "the scheme",
    "host": "the host",
    "subdomain depth": "the subdomain depth (number of host labels)",
    "port": "the port",
    "path": "the path",
    "trailing slash": "the trailing slash",
    "query": "the query",
}
_PARTS = ("href", "hostname", "port", "pathname", "host_type")
_CREDENTIALS = ("username", "password")


@cache
def _psl() -> PublicSuffixList:
    """The bundled Public Suffix List, loaded once; nothing is fetched."""
    return PublicSuffixList()


class _Bad(Exception):
    """A URL broke a rule; `rule` is the rule part of a user message, `canonical` the URL as a browser read it.

    A rule that offers a fix ("did you mean ...?") keeps it apart: `suggestion` is the fixed text and `bare` the rule
    without the offer; the validator that raised it offers the fix only when the fix itself passes (`_offer`)."""

    def __init__(self, rule: str, canonical: str | None = None, *, suggestion: str | None = None,
                 bare: str | None = None) -> None:
        super().__init__(rule)
        self.rule = rule
        self.canonical = canonical
        self.suggestion = suggestion
        self.bare = rule if bare is None else bare

    def at(self, canonical: str) -> _Bad:
        """The same rule (and offer), with the URL as a browser read it."""
        return _Bad(self.rule, canonical, suggestion=self.suggestion, bare=self.bare)


def _offer(bad: _Bad, passes: Callable[[str], bool]) -> _Bad:
    """`bad` with its "did you mean" offer only if the suggested text passes the same validator; else without it."""
    if bad.suggestion is None or passes(bad.suggestion):
        return bad
    return _Bad(bad.bare, bad.canonical)


@dataclass(frozen=True)
class _Url:
    """A URL as a browser reads it: the WHATWG parser's canonical `href` and its parts."""

    href: str
    scheme: str  # lowercased, without the ":"
    host: str  # mapped and lowercased for http(s); "" when there is none; an IPv6 address keeps its brackets
    ip: bool  # the host is an IPv4 or IPv6 address
    port: int | None  # None when absent or the scheme's default (the parser drops a default port)
    path: str  # "/" for an http(s) URL typed without a path; dot segments resolved
    query: str | None  # None when absent, "" for a bare "?"
    fragment: str | None  # None when absent, "" for a bare "#"
    credentials: bool

    @property
    def web(self) -> bool:
        """True for http and https."""
        return self.scheme in _WEB_SCHEMES


def _usv(text: str) -> str:
    """The text as the URL parser's USVString: a lone surrogate becomes U+FFFD (as in a browser's `new URL`)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _read(text: str) -> _Url | None:
    """Parse an absolute URL with the WHATWG parser (ada); None when a browser could not read it.

    Entries are read again by every check and every save, so a URL of at most MAX_URL characters is remembered
    (a few thousand of them); a longer one, which only a tested URL can be, is parsed each time.
    """
    return _read_cached(text) if len(text) <= MAX_URL else _parse(text)


@lru_cache(maxsize=4096)
def _read_cached(text: str) -> _Url | None:
    return _parse(text)


def _parse(text: str) -> _Url | None:
    """The parse behind `_read`."""
    try:
        parts = ada_url.parse_url(_usv(text), attributes=_PARTS)
    except ValueError:
        return None
    href = parts["href"]
    # A user name or password is serialized before an "@": without one in the href there is none (saves two calls).
    credentials = "@" in href and any(ada_url.parse_url(href, attributes=_CREDENTIALS).values())
    # The href delimits the query and the fragment (the getters return "" for both an absent and an empty one):
    # "#" and "?" are percent-encoded everywhere before them, so the first "#" starts the fragment and the first "?"
    # before it starts the query.
    before_hash, hash_mark, fragment = href.partition("#")
    _, question, query = before_hash.partition("?")
    return _Url(
        href=href,
        scheme=href.partition(":")[0],  # the href starts with the scheme and its ":"
        host=parts["hostname"],
        ip=parts["host_type"] != ada_url.HostType.DEFAULT,
        port=int(parts["port"]) if parts["port"] else None,
        path=parts["pathname"],
        query=query if question else None,
        fragment=fragment if hash_mark else None,
        credentials=credentials,
    )


def canonical_url(text: str) -> str | None:
    """A URL as a browser reads it (the WHATWG URL Standard's serialization, `href`); None when it cannot be read."""
    url = _read(text)
    return None if url is None else url.href


def _quote(entry: str) -> str:
    """An entry as quoted in a message: controls made visible, very long entries shortened."""
    shown = CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", entry)
    shown = _SURROGATE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", shown)
    if len(shown) > 100:
        shown = shown[:97] + "…"
    return f'"{shown}"'


def _loose(url: str) -> str:
    """A URL for the "read as" comparison: case and a final "/" (an empty web path reads as "/") do not count."""
    return url.lower().removesuffix("/")


def _shown(entry: str, canonical: str | None) -> str:
    """The quoted entry, followed by how a browser reads it when that differs in more than case or a final "/"."""
    if canonical is None or _loose(canonical) == _loose(entry):
        return _quote(entry)
    return f"{_quote(entry)} (read as {_quote(canonical)})"


def _message(label: str, entry: str, bad: _Bad) -> str:
    """'<list label>: "<entry>" — <rule>.' (no period after a rule that ends in a question)."""
    return f"{label}: {_shown(entry, bad.canonical)} — {bad.rule}" + ("" if bad.rule.endswith("?") else ".")


def _trim(text: str) -> str:
    """Strip surrounding whitespace but never a control character."""
    return text.strip(_TRIM)


def _suggest_scheme(text: str) -> _Bad:
    """The rule for a URL typed without "scheme://", suggesting the https form."""
    half = _HALF_SCHEME_RE.match(text)
    if half is not None:
        fixed = f"{half.group(1).lower()}://{text[half.end():].lstrip('/')}"
        return _Bad(f'needs "//" after the scheme; did you mean "{fixed}"?', suggestion=fixed,
                    bare='needs "//" after the scheme')
    if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:(?![0-9])", text) and not text.startswith("//"):
        return _Bad('is not an absolute URL: write it as scheme://host/path, like "https://example.com/callback"')
    fixed = f'https://{text.lstrip("/")}'
    return _Bad(f'has no scheme; every entry must be an absolute URL — did you mean "{fixed}"?', suggestion=fixed,
                bare="has no scheme; every entry must be an absolute URL")


def _common(text: str) -> None:
    """Rules every URL shares: no control characters, length, no spaces or backslashes."""
    if has_control(text):
        raise _Bad("contains a control character, which is not allowed")
    if _usv(text) != text:
        raise _Bad("contains a character that is not valid Unicode text")
    if len(text) > MAX_URL:
        raise _Bad(f"is {len(text)} characters long; a URL can be at most {MAX_URL}")
    if _WHITESPACE_RE.search(text):
        raise _Bad("contains a space; percent-encode it (%20) or remove it")
    # Browsers read "\" as "/" in web URLs: an entry holding one would be stored as something it does not read as.
    if "\\" in text:
        raise _Bad('contains a backslash "\\"; use "/"')


def _typed_port(authority: str) -> str | None:
    """The port as typed in an authority ("" after a bare ":"), None when no port was typed."""
    if authority.startswith("["):
        after = authority.partition("]")[2]
        return after[1:] if after.startswith(":") else None
    return authority.partition(":")[2] if authority.count(":") == 1 else None


def _port_rule(port: str) -> str:
    return f"has port {_quote(port)}; a port must be a number from 1 to 65535"


def _unreadable(text: str, scheme: str, authority: str) -> str:
    """Why the parser could not read a URL, naming the typed part at fault (the parser's verdict is final)."""
    if not authority and scheme in _WEB_SCHEMES:
        return 'has no host after "//"'
    port = _typed_port(authority)
    if port is not None and "*" in port:
        return "a wildcard can stand only in the host, never in the port"
    if port is not None and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        return _port_rule(port)
    if "*" in text:
        placeholder = _read(text.replace("*", "0"))
        if placeholder is not None and placeholder.ip:
            return "a wildcard can never stand in an IP address"
    if authority.startswith("[") and "%" in authority.partition("]")[0]:
        return "has an IPv6 zone id (the part after %); browsers do not read one, so write the address without it"
    if authority.startswith("[") and "]" not in authority:
        return 'has an IPv6 address without its closing "]"'
    if not authority.startswith("[") and authority.count(":") > 1:
        return 'has an IPv6 address that is not in brackets (write it like "[::1]")'
    host = authority if port is None else authority[: -len(port) - 1]
    return f"has an invalid host {_quote(host)}; a browser cannot read it"


def _read_typed(text: str) -> tuple[_Url, str]:
    """Read an entry written as `scheme://...`: the rules on how it is typed, then the parser; raise _Bad.

    Returns the URL as read and the path as typed (the text between the authority and a "?" or "#").
    """
    m = _SCHEME_RE.match(text)
    if m is None:
        raise _suggest_scheme(text)
    found = _AUTHORITY_RE.match(text, m.end())
    authority = found.group() if found else ""
    if "@" in authority:
        raise _Bad('must not carry a user name or password before the host ("user@host")')
    url = _read(text)
    if url is None:
        raise _Bad(_unreadable(text, m.group(1).lower(), authority))
    port = _typed_port(authority)
    if port == "" or url.port == 0:
        raise _Bad(_port_rule("0" if port is None else port), url.href)
    if url.web and not authority:
        raise _Bad('has no host after "//"', url.href)
    return url, re.split(r"[?#]", text[found.end() if found else m.end():], maxsplit=1)[0]


def _check_host(url: _Url) -> None:
    """A web host without wildcard: an IP address, or dot-separated labels none of which is empty."""
    if url.ip:
        return
    # Empty labels ("a..com", a trailing dot) are refused: "example.com." would otherwise be a second spelling of
    # the same host that never compares equal.
    if not all(_LABEL_RE.fullmatch(label) for label in url.host.split(".")):
        raise _Bad(f"has an invalid host {_quote(url.host)}")


def _check_wildcard_host(host: str) -> None:
    """Spec section 4 wildcard rules 2, 3 and 5 on a canonical web host holding one '*' (an IP host never parses)."""
    starred, _, rest = host.partition(".")
    if "*" not in starred:
        raise _Bad('a wildcard can stand only in the left-most label of the host (like "https://*.example.com")')
    if starred.startswith("xn--"):
        raise _Bad('the label holding the wildcard can hold only ASCII letters, digits, "-" and "_" around the "*"')
    if not _STARRED_RE.fullmatch(starred) or (rest and not all(_LABEL_RE.fullmatch(label) for label in rest.split("."))):
        raise _Bad(f"has an invalid host {_quote(host)}")
    if not rest:
        raise _Bad(
            "a wildcard cannot stand in place of the registrable domain "
            f'(a domain you can register must follow "{starred}.", like "{starred}.example.com")'
        )
    if _psl().privatesuffix(rest) is None:
        raise _Bad(
            "a wildcard cannot stand in place of the registrable domain "
            f'(what follows "{starred}." must be a domain you can register, not "{rest}")'
        )


def _is_browser_scheme(scheme: str) -> bool:
    """True for a scheme a browser handles itself (spec section 4), never a native app's callback."""
    return scheme in _BROWSER_SCHEMES or scheme.startswith(_BROWSER_SCHEME_PREFIXES)


def _origin(url: _Url) -> str:
    """`scheme://host[:port]` of a web URL (the parser already dropped a default port)."""
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port is not None else "")


def _judge_entry(field: str, url: _Url, typed_path: str) -> None:
    """Every rule of spec section 4 on the canonical form of one list entry; raise _Bad with the first broken.

    `typed_path` is the path as typed: an origin typed as "https://a.com/." reads as "https://a.com/" but would be
    stored as typed, so an origin's path must be typed as nothing or "/" as well.
    """
    if url.href.count("*") > 1:
        raise _Bad('a URL can hold at most one wildcard "*"')
    for part, value in (("path", url.path), ("query", url.query), ("fragment", url.fragment)):
        if value is not None and "*" in value:
            raise _Bad(f"a wildcard can stand only in the host, never in the {part}")
    if not url.web:
        if field != "callback_urls":
            raise _Bad(f'uses the "{url.scheme}" scheme; only http and https URLs are allowed in this list')
        if _is_browser_scheme(url.scheme):
            raise _Bad(f'uses the "{url.scheme}" scheme, which a browser handles itself, so it is never allowed for a callback')
        if "*" in url.host:
            raise _Bad(f'a wildcard is allowed only with http or https, not with the "{url.scheme}" scheme')
        # Native callbacks name whatever their app registered; "myapp:///cb" (empty host) is common.
        if not url.host and not url.path:
            raise _Bad("has nothing after the scheme")
    elif "*" in url.host:
        _check_wildcard_host(url.host)
    else:
        _check_host(url)
    if field == "callback_urls" and url.fragment is not None:
        raise _Bad("a callback URL cannot have a #fragment")
    if field in _ORIGIN_FIELDS:
        for part, present in (
            ("path", url.path != "/" or typed_path not in ("", "/")),
            ("query", url.query is not None),
            ("#fragment", url.fragment is not None),
        ):
            if present:
                bare = f"an origin is scheme://host[:port] only, so it cannot have a {part}"
                raise _Bad(f'{bare} (did you mean "{_origin(url)}"?)', suggestion=_origin(url), bare=bare)


def _check_entry(field: str, entry: str) -> None:
    """Every rule of spec section 4 for one list entry; raise _Bad with the first broken rule."""
    _common(entry)
    scheme_end = entry.find("://")
    if "*" in entry[: max(scheme_end, 0)]:
        raise _Bad("a wildcard can stand only in the host, never in the scheme")
    if entry.count("*") > 1:
        raise _Bad('a URL can hold at most one wildcard "*"')
    url, typed_path = _read_typed(entry)
    try:
        _judge_entry(field, url, typed_path)
    except _Bad as bad:
        raise bad.at(url.href) from None


def _entry_passes(field: str, entry: str) -> bool:
    try:
        _check_entry(field, entry)
    except _Bad:
        return False
    return True


def split_url_list(value: str | list[str] | None) -> list[str]:
    """Split a comma/newline-separated list: entries trimmed, empties and later duplicates dropped."""
    if value is None:
        return []
    pieces = [value] if isinstance(value, str) else [item if isinstance(item, str) else str(item) for item in value]
    seen: set[str] = set()
    entries: list[str] = []
    for piece in pieces:
        for raw in _SEPARATORS_RE.split(piece):
            entry = _trim(raw)
            if entry and entry not in seen:
                seen.add(entry)
                entries.append(entry)
    return entries


def validate_url_list(field: str, value: str | list[str] | None) -> tuple[list[str], list[FieldError]]:
    """Clean one URL list of the advanced settings and report every entry that breaks a rule."""
    if field not in LIST_LABELS:
        raise ValueError(f"unknown URL list field {field!r}")
    label = LIST_LABELS[field]
    entries = split_url_list(value)
    if field in _ORIGIN_FIELDS:
        # An origin typed with its trailing "/" is stored without it, then deduplicated again.
        entries = split_url_list([e[:-1] if e.endswith("/") and e.count("/") == 3 else e for e in entries])
    errors: list[FieldError] = []
    if len(entries) > MAX_ENTRIES:
        errors.append(FieldError(field, f"{label}: {len(entries)} entries — a list can hold at most {MAX_ENTRIES}."))
    for entry in entries:
        try:
            _check_entry(field, entry)
        except _Bad as bad:
            errors.append(FieldError(field, _message(label, entry, _offer(bad, lambda s: _entry_passes(field, s)))))
    return entries, errors


def _check_web_url(text: str, *, https_only: bool) -> _Url:
    """Rules shared by the app, thumbnail and login URLs: absolute http(s), a host, no '*'."""
    _common(text)
    if "*" in text:
        raise _Bad('cannot contain a wildcard "*"')
    url, _ = _read_typed(text)
    try:
        if https_only and url.scheme == "http":
            fixed = "https://" + text[len("http://"):]
            raise _Bad(f'must use https, not http (did you mean "{fixed}"?)', suggestion=fixed, bare="must use https, not http")
        if not url.web:
            allowed = "https" if https_only else "http or https"
            raise _Bad(f'uses the "{url.scheme}" scheme; it must be an {allowed} URL')
        if "*" in url.host:  # a full-width "＊" reads as "*"
            raise _Bad('cannot contain a wildcard "*"')
        _check_host(url)
    except _Bad as bad:
        raise bad.at(url.href) from None
    return url


def validate_app_url(field: str, label: str, value: str | None, *, required: bool) -> tuple[str | None, list[FieldError]]:
    """Validate the app URL (required) or the thumbnail URL (optional): absolute http(s), no '*'."""
    text = _trim(value or "")
    if not text:
        return None, ([FieldError(field, f"{label} is required.")] if required else [])
    try:
        _check_web_url(text, https_only=False)
    except _Bad as bad:
        return text, [FieldError(field, _message(label, text, _offer(bad, lambda s: not validate_app_url(field, label, s, required=True)[1])))]
    return text, []


def _is_loopback(url: _Url) -> bool:
    """localhost, *.localhost, 127.0.0.0/8, ::1 and the unspecified addresses (0.0.0.0, ::), in canonical form."""
    if url.host == "localhost" or url.host.endswith(".localhost"):
        return True
    if not url.ip:
        return False
    ip = ipaddress.ip_address(url.host.strip("[]"))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def validate_login_url(field: str, value: str | None) -> tuple[str | None, list[FieldError]]:
    """Validate the optional application login URL: https, not loopback, no fragment, no '*'."""
    text = _trim(value or "")
    if not text:
        return None, []
    try:
        url = _check_web_url(text, https_only=True)
        if _is_loopback(url):
            raise _Bad("cannot point at localhost or a loopback address; users' browsers could not reach it", url.href)
        if url.fragment is not None:
            raise _Bad("cannot have a #fragment", url.href)
    except _Bad as bad:
        return text, [FieldError(field, _message(LOGIN_LABEL, text, _offer(bad, lambda s: not validate_login_url(field, s)[1])))]
    return text, []


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL as a browser reads it (default port dropped); None otherwise."""
    parsed = _read(_trim(url))
    if parsed is None or not parsed.web or not parsed.host:
        return None
    return _origin(parsed)


@dataclass(frozen=True)
class CheckResult:
    """The URL checker's answer: allowed or refused, and why."""

    allowed: bool
    kind: str
    url: str
    matched: str | None
    closest: str | None
    differences: list[str]
    disabled: bool = False  # the app is disabled: it accepts nothing, whatever its lists say (spec section 10)

    @property
    def verdict(self) -> str:
        """The word a front end shows before `explain()`: "ALLOWED" or "REFUSED"."""
        return "ALLOWED" if self.allowed else "REFUSED"

    def explain(self) -> str:
        """One or two sentences a person can act on; the tested URL as a browser reads it when that differs. They do
        not start with the verdict: a front end shows `verdict` before them ("REFUSED  <reason>")."""
        noun, nouns = _KINDS.get(self.kind, ("entry", "entries"))
        if self.disabled:
            return "The app is disabled; it accepts nothing until its owner enables it."
        tested = _read_tested(_trim(self.url))
        shown = _shown(self.url, None if tested is None else tested.href)
        if self.allowed:
            return f'{shown} matches the {noun} {_quote(self.matched or "")}.'
        if self.closest is None and tested is None:
            return f'{shown} is not a URL; write it with a scheme and a host, like "https://example.com/callback".'
        if self.closest is None:
            return f"{shown} is not allowed because the list of {nouns} is empty."
        words = [_DIFF_WORDS[d] for d in self.differences]
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        return (
            f"{shown} matches no {noun}. "
            f"The closest entry is {_quote(self.closest)}, which differs in {listed}."
        )


def _read_tested(text: str) -> _Url | None:
    """Read a URL to test as a browser would, or None when it is not one (wildcards are not URLs here)."""
    if has_control(text) or _SCHEME_RE.match(text) is None:
        return None
    url = _read(text)
    if url is None or url.credentials:
        return None
    if url.web:
        if "*" in url.host:
            return None
        try:
            _check_host(url)
        except _Bad:
            return None
    elif not url.host and not url.path:
        return None
    return url


def _host_matches(entry: _Url, tested: _Url) -> bool:
    """Case-insensitive host equality; a '*' stands for one or more characters of one label."""
    # The parser lowercases a web host; a custom scheme's host is opaque to it and keeps its case.
    entry_host, tested_host = entry.host.lower(), tested.host.lower()
    if "*" not in entry_host or not entry.web:
        return entry_host == tested_host
    entry_labels, tested_labels = entry_host.split("."), tested_host.split(".")
    if tested.ip or len(entry_labels) != len(tested_labels) or entry_labels[1:] != tested_labels[1:]:
        return False
    prefix, suffix = entry_labels[0].split("*", 1)
    first = tested_labels[0]
    return len(first) > len(prefix) + len(suffix) and first.startswith(prefix) and first.endswith(suffix)


def _registrable(url: _Url) -> str | None:
    """The registrable domain of a web host (a wildcard label counts as one label), None for IPs."""
    if not url.web or url.ip:
        return None
    result = _psl().privatesuffix(url.host.replace("*", "x"))
    return result if isinstance(result, str) else None


def _differences(kind: str, entry: _Url, tested: _Url) -> list[str]:
    """What the tested URL does differently from one entry, under the kind's comparison rules."""
    found: set[str] = set()
    if entry.scheme != tested.scheme:
        found.add("scheme")
    if not _host_matches(entry, tested):
        entry_site = _registrable(entry)
        same_site = entry_site is not None and entry_site == _registrable(tested)
        depth_differs = entry.host.count(".") != tested.host.count(".")
        found.add("subdomain depth" if same_site and depth_differs else "host")
    # The parser drops a default port, so "http://a.com" vs "https://a.com" differs in the scheme only.
    if entry.port != tested.port:
        found.add("port")
    if kind in ("callback", "logout") and entry.path != tested.path:
        slash_only = entry.path + "/" == tested.path or tested.path + "/" == entry.path
        found.add("trailing slash" if slash_only else "path")
    # An empty query ("?") is treated as no query: both reach the app with no parameters.
    if kind == "callback" and (entry.query or "") != (tested.query or ""):
        found.add("query")
    return [d for d in _REPORT_ORDER if d in found]


def check_url(entries: list[str], kind: str, url: str) -> CheckResult:
    """Test a URL against an allow-list with the matching rules of spec section 4 (canonical forms on both sides)."""
    if kind not in _KINDS:
        raise ValueError(f"unknown check kind {kind!r}")
    tested = _read_tested(_trim(url))
    if tested is None:
        return CheckResult(False, kind, url, None, None, [])
    refused: list[tuple[int, int, str, _Url, list[str]]] = []
    for index, entry in enumerate(entries):
        parsed = _read(_trim(entry))
        if parsed is None:
            continue  # an entry that is not a URL (hand-edited store) can neither match nor guide
        diffs = _differences(kind, parsed, tested)
        if not diffs:
            return CheckResult(True, kind, url, entry, None, [])
        refused.append((sum(_DIFF_WEIGHT[d] for d in diffs), index, entry, parsed, diffs))
    if not refused:
        return CheckResult(False, kind, url, None, None, [])
    # Lightest differences first, then the most similar spelling (as read), then list order; the similarity is
    # measured only among the lightest.
    lightest = min(weight for weight, *_ in refused)
    _, _, closest, _, diffs = min(
        (
            (-difflib.SequenceMatcher(None, parsed.href, tested.href).ratio(), index, entry, parsed, diffs)
            for weight, index, entry, parsed, diffs in refused
            if weight == lightest
        ),
        key=lambda row: (row[0], row[1]),
    )
    return CheckResult(False, kind, url, None, closest, diffs)
