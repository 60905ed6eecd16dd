"""URL rules of product spec sections 2-4: list splitting, validation, wildcards and runtime matching."""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass
from functools import cache

from publicsuffixlist import PublicSuffixList

from store.errors import FieldError
from store.text import CONTROL_RE, has_control
from store.vocabulary import FIELD_LABELS, LIST_LABELS

MAX_ENTRIES = 100
MAX_URL = 2048

LOGIN_LABEL = FIELD_LABELS["login_url"]

_ORIGIN_FIELDS = frozenset({"web_origins", "cors_origins"})
_WEB_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Schemes a browser would execute or read locally instead of handing to a native app:
# accepting them as "custom" callback schemes would turn a redirect into script execution.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about", "filesystem"})

_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")
# "https:example.com" or "http:/example.com": a scheme typed without its "//".
_HALF_SCHEME_RE = re.compile(r"(https?):/?(?!/)", re.IGNORECASE)
_LABEL_RE = re.compile(r"[\w-]+")
_STAR_PART_RE = re.compile(r"[\w-]*")
_SEPARATORS_RE = re.compile(r"[,\r\n]")
# Whitespace that is safe to trim: every Unicode space except the control characters, which
# must reach the control-character rule instead of vanishing silently; tab is the exception
# since pasted lists often carry it around separators.
_TRIM = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and (c == "\t" or not has_control(c)))
_WHITESPACE_RE = re.compile(r"\s")

_KINDS: dict[str, str] = {
    "callback": "callback URL",
    "logout": "logout URL",
    "web_origin": "web origin",
    "cors": "allowed origin (CORS)",
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


@cache
def _psl() -> PublicSuffixList:
    """The bundled Public Suffix List, loaded once; nothing is fetched."""
    return PublicSuffixList()


class _Bad(Exception):
    """A URL broke a rule; the text is the rule part of a user message."""


@dataclass(frozen=True)
class _Url:
    """The pieces of an absolute URL, split without judging them (scheme lowercased)."""

    scheme: str
    host: str
    raw_port: str | None
    path: str
    query: str | None
    fragment: str | None

    @property
    def port(self) -> int | None:
        """The numeric port; only meaningful once `_check_port` accepted it."""
        return int(self.raw_port) if self.raw_port else None

    @property
    def web(self) -> bool:
        """True for http and https."""
        return self.scheme in _WEB_SCHEMES


def _quote(entry: str) -> str:
    """An entry as quoted in a message: controls made visible, very long entries shortened."""
    shown = CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", entry)
    if len(shown) > 100:
        shown = shown[:97] + "…"
    return f'"{shown}"'


def _message(label: str, entry: str, rule: str) -> str:
    """'<list label>: "<entry>" — <rule>.' (no period after a rule that ends in a question)."""
    return f"{label}: {_quote(entry)} — {rule}" + ("" if rule.endswith("?") else ".")


def _trim(text: str) -> str:
    """Strip surrounding whitespace but never a control character."""
    return text.strip(_TRIM)


def _split(text: str) -> _Url:
    """Split `scheme://authority/path?query#fragment`; raise _Bad when there is no scheme."""
    m = _SCHEME_RE.match(text)
    if m is None:
        raise _Bad("no scheme")
    scheme = m.group(1).lower()
    rest = text[m.end():]
    fragment: str | None = None
    if "#" in rest:
        rest, fragment = rest.split("#", 1)
    query: str | None = None
    if "?" in rest:
        rest, query = rest.split("?", 1)
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    if "@" in authority:
        raise _Bad('must not carry a user name or password before the host ("user@host")')
    raw_port: str | None = None
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise _Bad('has an IPv6 address without its closing "]"')
        host, after = authority[: close + 1], authority[close + 1:]
        if after:
            if not after.startswith(":"):
                raise _Bad(f"has an invalid host {_quote(authority)}")
            raw_port = after[1:]
    elif ":" in authority:
        host, raw_port = authority.rsplit(":", 1)
        if ":" in host:
            raise _Bad('has an IPv6 address that is not in brackets (write it like "[::1]")')
    else:
        host = authority
    return _Url(scheme, host, raw_port, path, query, fragment)


def _check_port(url: _Url) -> None:
    """Ports are decimal numbers from 1 to 65535 (an empty port after ":" is refused too)."""
    if url.raw_port is None:
        return
    if "*" in url.raw_port:
        raise _Bad("a wildcard can stand only in the host, never in the port")
    if not (url.raw_port.isascii() and url.raw_port.isdigit()) or not 1 <= int(url.raw_port) <= 65535:
        raise _Bad(f"has port {_quote(url.raw_port)}; a port must be a number from 1 to 65535")


def _ends_in_number(host: str) -> bool:
    """True when browsers would read the host as an IPv4 address (WHATWG: last label numeric)."""
    last = host.rsplit(".", 1)[-1]
    return bool(re.fullmatch(r"[0-9]+|0[xX][0-9A-Fa-f]*", last))


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Parse an IPv4 host the way browsers do (127.1, 0x7f.0.0.1, 2130706433); None if invalid."""
    parts = host.split(".")
    if len(parts) > 4:
        return None
    numbers: list[int] = []
    for part in parts:
        try:
            if re.fullmatch(r"0[xX][0-9A-Fa-f]*", part):
                numbers.append(int(part[2:] or "0", 16))
            elif re.fullmatch(r"0[0-9]+", part):
                # A leading zero means octal to browsers; "08" is no number at all.
                if not re.fullmatch(r"0[0-7]+", part):
                    return None
                numbers.append(int(part, 8))
            elif re.fullmatch(r"[0-9]+", part):
                numbers.append(int(part, 10))
            else:
                return None
        except ValueError:
            return None
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    value = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _parse_ipv6(host: str) -> ipaddress.IPv6Address | None:
    """Parse a bracketed IPv6 host; zone ids are refused (browsers refuse them too)."""
    try:
        return ipaddress.IPv6Address(host[1:-1])
    except ValueError:
        return None


def _ip_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a (checked) host names, or None for a domain name."""
    if host.startswith("["):
        return _parse_ipv6(host)
    if _ends_in_number(host):
        return _parse_ipv4(host)
    return None


def _check_host(host: str) -> None:
    """A web host without wildcard: an IPv6 in brackets, an IPv4, or dot-separated labels."""
    if not host:
        raise _Bad("has no host")
    if host.startswith("["):
        if _parse_ipv6(host) is None:
            raise _Bad(f"has an invalid IPv6 address {_quote(host)}")
        return
    labels = host.split(".")
    # Empty labels ("a..com", a trailing dot) are refused: "example.com." would otherwise
    # be a second spelling of the same host that never compares equal.
    if not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise _Bad(f"has an invalid host {_quote(host)}")
    if _ends_in_number(host) and _parse_ipv4(host) is None:
        raise _Bad(f"has an invalid IP address {_quote(host)}")


def _check_wildcard_host(host: str) -> None:
    """Spec section 4 wildcard rules 2, 3 and the IP rule, for a web host holding one '*'."""
    if host.startswith("["):
        raise _Bad("a wildcard can never stand in an IP address")
    labels = host.split(".")
    starred = labels[0]
    if "*" not in starred:
        raise _Bad('a wildcard can stand only in the left-most label of the host (like "https://*.example.com")')
    rest = ".".join(labels[1:])
    if rest and _ends_in_number(rest):
        raise _Bad("a wildcard can never stand in an IP address")
    if not all(_LABEL_RE.fullmatch(label) for label in labels[1:]) or not all(
        _STAR_PART_RE.fullmatch(part) for part in starred.split("*")
    ):
        raise _Bad(f"has an invalid host {_quote(host)}")
    if not rest:
        raise _Bad(
            "a wildcard cannot stand in place of the registrable domain "
            f'(a domain you can register must follow "{starred}.", like "{starred}.example.com")'
        )
    if _psl().privatesuffix(rest.lower()) is None:
        raise _Bad(
            "a wildcard cannot stand in place of the registrable domain "
            f'(what follows "{starred}." must be a domain you can register, not "{rest}")'
        )


def _suggest_scheme(text: str) -> str:
    """The rule text for a URL typed without a scheme, suggesting the https form."""
    half = _HALF_SCHEME_RE.match(text)
    if half is not None:
        fixed = f"{half.group(1).lower()}://{text[half.end():].lstrip('/')}"
        return f'needs "//" after the scheme; did you mean "{fixed}"?'
    if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:(?![0-9])", text) and not text.startswith("//"):
        return 'is not an absolute URL: write it as scheme://host/path, like "https://example.com/callback"'
    return f'has no scheme; every entry must be an absolute URL — did you mean "https://{text.lstrip("/")}"?'


def _common(text: str) -> None:
    """Rules every URL shares: no control characters, length, no spaces or backslashes."""
    if has_control(text):
        raise _Bad("contains a control character, which is not allowed")
    if len(text) > MAX_URL:
        raise _Bad(f"is {len(text)} characters long; a URL can be at most {MAX_URL}")
    if _WHITESPACE_RE.search(text):
        raise _Bad("contains a space; percent-encode it (%20) or remove it")
    # Browsers read "\" as "/" in web URLs, so an entry holding one would match differently
    # than it reads.
    if "\\" in text:
        raise _Bad('contains a backslash "\\"; use "/"')


def _parse_absolute(text: str) -> _Url:
    """`_split` with the missing-scheme suggestion and the port rule."""
    try:
        url = _split(text)
    except _Bad as bad:
        if str(bad) == "no scheme":
            raise _Bad(_suggest_scheme(text)) from None
        raise
    _check_port(url)
    return url


def _check_entry(field: str, entry: str) -> None:
    """Every rule of spec section 4 for one list entry; raise _Bad with the first broken rule."""
    _common(entry)
    scheme_end = entry.find("://")
    if "*" in entry[: max(scheme_end, 0)]:
        raise _Bad("a wildcard can stand only in the host, never in the scheme")
    if entry.count("*") > 1:
        raise _Bad('a URL can hold at most one wildcard "*"')
    url = _parse_absolute(entry)
    for part, value in (("path", url.path), ("query", url.query), ("fragment", url.fragment)):
        if value is not None and "*" in value:
            raise _Bad(f"a wildcard can stand only in the host, never in the {part}")
    if not url.web:
        if field != "callback_urls":
            raise _Bad(f'uses the "{url.scheme}" scheme; only http and https URLs are allowed in this list')
        if url.scheme in _FORBIDDEN_SCHEMES:
            raise _Bad(f'uses the "{url.scheme}" scheme, which is never allowed for a callback')
        if "*" in url.host:
            raise _Bad(f'a wildcard is allowed only with http or https, not with the "{url.scheme}" scheme')
        # Native callbacks name whatever their app registered; "myapp:///cb" (empty host) is common.
        if not url.host and not url.path:
            raise _Bad("has nothing after the scheme")
    elif "*" in url.host:
        _check_wildcard_host(url.host)
    else:
        _check_host(url.host)
    if field == "callback_urls" and url.fragment is not None:
        raise _Bad("a callback URL cannot have a #fragment")
    if field in _ORIGIN_FIELDS:
        origin = f"{url.scheme}://{url.host}" + (f":{url.raw_port}" if url.raw_port else "")
        for part, present in (
            ("path", url.path not in ("", "/")),
            ("query", url.query is not None),
            ("#fragment", url.fragment is not None),
        ):
            if present:
                raise _Bad(
                    f'an origin is scheme://host[:port] only, so it cannot have a {part} (did you mean "{origin}"?)'
                )


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
            errors.append(FieldError(field, _message(label, entry, str(bad))))
    return entries, errors


def _check_web_url(text: str, *, https_only: bool) -> _Url:
    """Rules shared by the app, thumbnail and login URLs: absolute http(s), a host, no '*'."""
    _common(text)
    if "*" in text:
        raise _Bad('cannot contain a wildcard "*"')
    url = _parse_absolute(text)
    if https_only and url.scheme == "http":
        raise _Bad(f'must use https, not http (did you mean "https://{text[len("http://"):]}"?)')
    if not url.web:
        allowed = "https" if https_only else "http or https"
        raise _Bad(f'uses the "{url.scheme}" scheme; it must be an {allowed} URL')
    _check_host(url.host)
    return url


def validate_app_url(field: str, label: str, value: str | None, *, required: bool) -> tuple[str | None, list[FieldError]]:
    """Validate the app URL (required) or the thumbnail URL (optional): absolute http(s), no '*'."""
    text = _trim(value or "")
    if not text:
        return None, ([FieldError(field, f"{label} is required.")] if required else [])
    try:
        _check_web_url(text, https_only=False)
    except _Bad as bad:
        return text, [FieldError(field, _message(label, text, str(bad)))]
    return text, []


def _is_loopback(host: str) -> bool:
    """localhost, *.localhost, 127.0.0.0/8, ::1 and the unspecified addresses (0.0.0.0, ::)."""
    lowered = host.lower()
    if lowered == "localhost" or lowered.endswith(".localhost"):
        return True
    ip = _ip_of(lowered)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip is not None and (ip.is_loopback or ip.is_unspecified)


def validate_login_url(field: str, value: str | None) -> tuple[str | None, list[FieldError]]:
    """Validate the optional application login URL: https, not loopback, no fragment, no '*'."""
    text = _trim(value or "")
    if not text:
        return None, []
    try:
        url = _check_web_url(text, https_only=True)
        if _is_loopback(url.host):
            raise _Bad("cannot point at localhost or a loopback address; users' browsers could not reach it")
        if url.fragment is not None:
            raise _Bad("cannot have a #fragment")
    except _Bad as bad:
        return text, [FieldError(field, _message(LOGIN_LABEL, text, str(bad)))]
    return text, []


def _canonical_host(url: _Url) -> str:
    """Lowercased host, with IP addresses in their one canonical spelling."""
    host = url.host.lower()
    if url.web and "*" not in host:
        ip = _ip_of(host)
        if isinstance(ip, ipaddress.IPv6Address):
            return f"[{ip.compressed}]"
        if ip is not None:
            return str(ip)
    return host


def _explicit_port(url: _Url) -> int | None:
    """The port, with the scheme's default port counted as no port."""
    # Comparing ports this way means "http://a.com" vs "https://a.com" differs in the scheme
    # only: the implied 80/443 change with the scheme and are not a second difference.
    return None if url.port == _DEFAULT_PORTS.get(url.scheme) else url.port


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL (default port dropped); None otherwise."""
    try:
        parts = _split(_trim(url))
        _check_port(parts)
    except _Bad:
        return None
    if not parts.web or not parts.host:
        return None
    port = parts.port
    suffix = f":{port}" if port is not None and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{_canonical_host(parts)}{suffix}"


@dataclass(frozen=True)
class CheckResult:
    """The URL checker's answer: allowed or refused, and why."""

    allowed: bool
    kind: str
    url: str
    matched: str | None
    closest: str | None
    differences: list[str]

    def explain(self) -> str:
        """One or two sentences a person can act on."""
        noun = _KINDS.get(self.kind, "entry")
        if self.allowed:
            return f'Allowed: {_quote(self.url)} matches the allowed {noun} {_quote(self.matched or "")}.'
        if self.closest is None and _parse_tested(_trim(self.url)) is None:
            return (
                f"Refused: {_quote(self.url)} is not a URL; write it with a scheme and a host, "
                'like "https://example.com/callback".'
            )
        if self.closest is None:
            return f"Refused: {_quote(self.url)} is not allowed because the list of allowed {noun}s is empty."
        words = [_DIFF_WORDS[d] for d in self.differences]
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        return (
            f"Refused: {_quote(self.url)} matches no allowed {noun}. "
            f"The closest entry is {_quote(self.closest)}, which differs in {listed}."
        )


def _parse_tested(text: str) -> _Url | None:
    """Parse a URL to test, or None when it is not a URL (wildcards are not URLs here)."""
    try:
        if has_control(text) or _WHITESPACE_RE.search(text):
            return None
        url = _split(text)
        _check_port(url)
        if url.web:
            _check_host(url.host)
        elif not url.host and not url.path:
            return None
    except _Bad:
        return None
    return url


def _norm_path(url: _Url) -> str:
    """Browsers send "/" for an empty web path, so "https://a.com" and "https://a.com/" are one URL."""
    return (url.path or "/") if url.web else url.path


def _host_matches(entry: _Url, tested: _Url) -> bool:
    """Case-insensitive host equality; a '*' stands for one or more characters of one label."""
    entry_host, tested_host = _canonical_host(entry), _canonical_host(tested)
    if "*" not in entry_host or not entry.web:
        return entry_host == tested_host
    entry_labels, tested_labels = entry_host.split("."), tested_host.split(".")
    if len(entry_labels) != len(tested_labels) or entry_labels[1:] != tested_labels[1:]:
        return False
    prefix, suffix = entry_labels[0].split("*", 1)
    first = tested_labels[0]
    return len(first) > len(prefix) + len(suffix) and first.startswith(prefix) and first.endswith(suffix)


def _registrable(host: str) -> str | None:
    """The registrable domain of a host (a wildcard label counts as one label), None for IPs."""
    if host.startswith("[") or _ends_in_number(host.replace("*", "0")):
        return None
    result = _psl().privatesuffix(host.replace("*", "x"))
    return result if isinstance(result, str) else None


def _differences(kind: str, entry: _Url, tested: _Url) -> list[str]:
    """What the tested URL does differently from one entry, under the kind's comparison rules."""
    found: set[str] = set()
    if entry.scheme != tested.scheme:
        found.add("scheme")
    if not _host_matches(entry, tested):
        entry_host, tested_host = _canonical_host(entry), _canonical_host(tested)
        entry_site = _registrable(entry_host) if entry.web else None
        same_site = entry_site is not None and tested.web and entry_site == _registrable(tested_host)
        depth_differs = entry_host.count(".") != tested_host.count(".")
        found.add("subdomain depth" if same_site and depth_differs else "host")
    if _explicit_port(entry) != _explicit_port(tested):
        found.add("port")
    if kind in ("callback", "logout"):
        entry_path, tested_path = _norm_path(entry), _norm_path(tested)
        if entry_path != tested_path:
            slash_only = entry_path + "/" == tested_path or tested_path + "/" == entry_path
            found.add("trailing slash" if slash_only else "path")
    # An empty query ("?") is treated as no query: both reach the app with no parameters.
    if kind == "callback" and (entry.query or "") != (tested.query or ""):
        found.add("query")
    return [d for d in _REPORT_ORDER if d in found]


def check_url(entries: list[str], kind: str, url: str) -> CheckResult:
    """Test a URL against an allow-list with the matching rules of spec section 4."""
    if kind not in _KINDS:
        raise ValueError(f"unknown check kind {kind!r}")
    tested = _parse_tested(_trim(url))
    if tested is None:
        return CheckResult(False, kind, url, None, None, [])
    best: tuple[int, float, int] | None = None
    closest: str | None = None
    closest_diffs: list[str] = []
    for index, entry in enumerate(entries):
        try:
            parsed = _split(_trim(entry))
            _check_port(parsed)
        except _Bad:
            continue  # an entry that is not a URL (hand-edited store) can neither match nor guide
        diffs = _differences(kind, parsed, tested)
        if not diffs:
            return CheckResult(True, kind, url, entry, None, [])
        # Lightest differences first, then the most similar spelling, then list order.
        similarity = difflib.SequenceMatcher(None, entry.lower(), url.lower()).ratio()
        rank = (sum(_DIFF_WEIGHT[d] for d in diffs), -similarity, index)
        if best is None or rank < best:
            best, closest, closest_diffs = rank, entry, diffs
    return CheckResult(False, kind, url, None, closest, closest_diffs)
