"""Fetching a logo, safely. Blocking: call it from a thread worker (the `Logo` widget does), never on the UI thread.

`fetch_logo(url, settings) -> LogoResult` returns the decoded image, or the reason there is none (`error`); it
never raises. The rules:

- only `http` and `https` URLs, without a user name or password; the URL is read as a browser reads it (ada);
- the host is resolved once (`settings.resolver`, default `socket.getaddrinfo`) and the connection is made to
  that address (the Host header, TLS SNI and the certificate check keep the name): a second lookup cannot
  point somewhere else;
- loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT) and every other non-global
  address, IPv4-mapped / 6to4 / Teredo IPv6 forms included, is refused before any connection, unless
  `allow_private_hosts`; a name resolving to several addresses is refused if any of them is;
- at most 3 redirects, each one checked the same way; no proxy from the environment is used;
- at most 1 MiB (reading stops past it) and 3 s for the whole fetch;
- only PNG, JPEG, GIF and WebP, told by the bytes (not the Content-Type), decoded by Pillow with its
  decompression-bomb limit (a `DecompressionBombWarning` is an error too) and at most 16 megapixels;
- the bytes are cached per URL for a day, a failure for five minutes (`tui.logos.cache`); the same URL asked
  twice at once is fetched once.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import ada_url

from tui.logos.cache import LogoCache
from tui.logos.settings import ThumbnailSettings

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

RECOMMENDED: Final = 150  # the product page's recommended size: 150x150 pixels
MAX_PIXELS: Final = 16_000_000  # a logo larger than 4000x4000 is refused before it is decoded
KEEP: Final = 256  # the decoded image kept in memory is at most this many pixels a side
FORMATS: Final = ("PNG", "JPEG", "GIF", "WEBP")
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 16 * 1024


class LogoError(Exception):
    """Why a logo could not be had (a sentence for a person; no secret is in it)."""


@dataclass(frozen=True)
class LogoResult:
    """A logo, or why there is none. `width`/`height` are the image's real size in pixels."""

    url: str
    image: PILImage | None = None
    width: int = 0
    height: int = 0
    format: str = ""
    error: str | None = None
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.image is not None


# --- addresses ------------------------------------------------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def refusal(address: IPAddress) -> str | None:
    """Why a connection to `address` is refused (without allow_private_hosts); None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            inner = refusal(embedded)
            if inner:
                return inner
    kinds = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for kind, hit in kinds:
        if hit:
            return f"{kind} address"
    if not address.is_global:
        return "non-public address"
    return None


def system_resolver(host: str, port: int) -> Sequence[str]:
    """The addresses `host` resolves to (TCP), through the system's resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _resolve(host: str, port: int, settings: ThumbnailSettings) -> str:
    """The one address to connect to for `host`, checked; LogoError when there is none or one is refused."""
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        addresses: Sequence[str] = [str(ipaddress.ip_address(literal))]
    except ValueError:
        resolver = settings.resolver or system_resolver
        try:
            addresses = list(resolver(literal, port))
        except (OSError, UnicodeError) as exc:
            raise LogoError(f"the host {literal} could not be resolved") from exc
    if not addresses:
        raise LogoError(f"the host {literal} could not be resolved")
    parsed: list[IPAddress] = []
    for text in addresses:
        try:
            parsed.append(ipaddress.ip_address(text.partition("%")[0]))
        except ValueError as exc:
            raise LogoError(f"the host {literal} resolved to something that is not an address") from exc
    if not settings.allow_private_hosts:
        for address in parsed:
            why = refusal(address)
            if why:
                raise LogoError(
                    f"refused: {literal} is a {why} ([thumbnails] allow_private_hosts is off)"
                    if literal == str(address) else f"refused: {literal} resolves to a {why} ({address})"
                )
    return str(parsed[0])


# --- one request ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # ASCII (IDNA-mapped); an IPv6 address in brackets
    port: int
    path: str  # path and query


def _target(url: str) -> _Target:
    try:
        parts = ada_url.parse_url(url, attributes=("protocol", "hostname", "port", "pathname", "search", "username",
                                                   "password"))
    except ValueError as exc:
        raise LogoError("the thumbnail URL cannot be read") from exc
    scheme = str(parts["protocol"]).rstrip(":")
    if scheme not in ("http", "https"):
        raise LogoError("only http and https logo URLs are fetched")
    if parts["username"] or parts["password"]:
        raise LogoError("a logo URL with a user name or password is not fetched")
    host = str(parts["hostname"])
    if not host:
        raise LogoError("the thumbnail URL has no host")
    port = int(parts["port"]) if parts["port"] else (443 if scheme == "https" else 80)
    return _Target(scheme, host, port, (str(parts["pathname"]) or "/") + str(parts["search"]))


def _pinned(target: _Target, address: str, timeout: float, raw: list[socket.socket]) -> http.client.HTTPConnection:
    """A connection for `target` that connects to `address` (the name still goes in Host, SNI and the cert check)."""
    host = target.host[1:-1] if target.host.startswith("[") else target.host
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = http.client.HTTPSConnection(host, target.port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, target.port, timeout=timeout)

    def create_connection(addr: tuple[str, int], timeout: Any = None, source: Any = None) -> socket.socket:
        sock = socket.create_connection((address, addr[1]), timeout, source)
        raw.append(sock)
        return sock

    conn._create_connection = create_connection  # type: ignore[attr-defined]
    return conn


class _Watchdog:
    """Ends a fetch at its deadline whatever the server does (a server dripping a byte a second included): at the
    deadline the connection's socket is shut down, so a blocked read returns at once; `fired` says it was."""

    def __init__(self, conn: http.client.HTTPConnection, raw: list[socket.socket], left: float) -> None:
        self.fired = False
        self._conn = conn
        self._raw = raw
        self._timer = threading.Timer(left, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        for sock in (self._conn.sock, *self._raw):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


_TIMEOUT = "the logo took longer than 3 seconds"


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise LogoError(_TIMEOUT)
    return left


def _download(url: str, settings: ThumbnailSettings) -> bytes:
    deadline = time.monotonic() + settings.timeout
    seen: set[str] = set()
    for hop in range(settings.max_redirects + 1):
        target = _target(url)
        address = _resolve(target.host, target.port, settings)
        seen.add(url)
        left = _remaining(deadline)
        raw: list[socket.socket] = []
        conn = _pinned(target, address, left, raw)
        watchdog = _Watchdog(conn, raw, left)
        try:
            try:
                conn.request("GET", target.path, headers={
                    "User-Agent": "appdeck (logo)",
                    "Accept": "image/png, image/jpeg, image/gif, image/webp",
                    "Accept-Encoding": "identity",
                })
                response = conn.getresponse()
                if response.status in _REDIRECTS:
                    location = response.getheader("Location")
                    if not location:
                        raise LogoError(f"the server answered {response.status} without a Location")
                    try:
                        url = ada_url.join_url(url, location)
                    except ValueError as exc:
                        raise LogoError("the redirect's Location cannot be read") from exc
                    if url in seen:
                        raise LogoError("the logo URL redirects in a loop")
                    if hop == settings.max_redirects:
                        break
                    continue
                if response.status != 200:
                    raise LogoError(f"the server answered {response.status} {response.reason}"[:120])
                length = response.getheader("Content-Length")
                if length and length.strip().isdigit() and int(length) > settings.max_bytes:
                    raise LogoError("the logo is larger than 1 MiB")
                body = _read_body(response, settings.max_bytes)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if watchdog.fired or isinstance(exc, TimeoutError):
                    raise LogoError(_TIMEOUT) from exc
                raise LogoError(f"the logo could not be fetched ({type(exc).__name__})") from exc
            if watchdog.fired:
                raise LogoError(_TIMEOUT)
            return body
        finally:
            watchdog.cancel()
            conn.close()
    raise LogoError(f"more than {settings.max_redirects} redirects")


def _read_body(response: http.client.HTTPResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise LogoError("the logo is larger than 1 MiB")
        chunks.append(chunk)


# --- decoding ---------------------------------------------------------------------------------------------------


def sniff(data: bytes) -> str | None:
    """The format the bytes begin with: PNG, JPEG, GIF or WEBP; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def decode(data: bytes) -> tuple[PILImage, int, int, str]:
    """The image (RGBA, at most KEEP pixels a side), its real width and height, and its format; LogoError else."""
    kind = sniff(data)
    if kind is None:
        raise LogoError("not an image (only PNG, JPEG, GIF and WebP are shown)")
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as im:
                width, height = im.size
                if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                    raise LogoError(f"the image is too large to decode ({width}x{height} pixels)")
                im.seek(0)
                im.load()
                out = im.convert("RGBA")
    except LogoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise LogoError("the image is too large to decode (a decompression bomb?)") from exc
    except Exception as exc:  # Pillow raises OSError, ValueError, SyntaxError, struct.error... on a broken file
        raise LogoError(f"the {kind} image cannot be decoded") from exc
    out.thumbnail((KEEP, KEEP))
    return out, width, height, kind


# --- the entry point ----------------------------------------------------------------------------------------------

_DOWNLOADS = threading.BoundedSemaphore(4)  # at most four logo downloads at once per process (a screen of tiles)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_memory: OrderedDict[tuple[str, str], tuple[float, LogoResult]] = OrderedDict()
_MEMORY_SIZE = 64


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = threading.Lock()
        return lock


def forget_memory() -> None:
    """Drop the decoded logos kept in this process (tests; the disk cache stays)."""
    with _locks_guard:
        _memory.clear()


def _from_memory(key: tuple[str, str], settings: ThumbnailSettings) -> LogoResult | None:
    with _locks_guard:
        hit = _memory.get(key)
        if hit is None:
            return None
        at, result = hit
        ttl = settings.ok_ttl if result.ok else settings.fail_ttl
        if time.time() - at > ttl:
            del _memory[key]
            return None
        _memory.move_to_end(key)
        return LogoResult(result.url, result.image, result.width, result.height, result.format, result.error, True)


def _remember(key: tuple[str, str], result: LogoResult, at: float) -> None:
    with _locks_guard:
        _memory[key] = (at, result)
        _memory.move_to_end(key)
        while len(_memory) > _MEMORY_SIZE:
            _memory.popitem(last=False)


def _stored_as(url: str, settings: ThumbnailSettings) -> str:
    """The cache key: what was fetched with private hosts allowed is never served once they are refused again."""
    return url + "\x00private-hosts" if settings.allow_private_hosts else url


def cached_logo(url: str, settings: ThumbnailSettings) -> LogoResult | None:
    """The logo for `url` if this process already has it decoded (no I/O: safe on the UI thread), else None."""
    if not settings.enabled or not url:
        return None
    return _from_memory((str(settings.cache_path()), _stored_as(url, settings)), settings)


def fetch_logo(url: str, settings: ThumbnailSettings, *, wanted: Callable[[], bool] | None = None) -> LogoResult:
    """The logo at `url` (see the module's rules). Blocking, thread-safe, never raises; mode "off" never fetches.

    At most four downloads run at once; `wanted`, asked when this one's turn comes, lets a caller whose logo is no
    longer on screen give up its turn (the result then says "not wanted" and nothing is cached)."""
    if not settings.enabled:
        return LogoResult(url, error="logos are off")
    if not url:
        return LogoResult(url, error="no thumbnail")
    root = settings.cache_path()
    stored = _stored_as(url, settings)
    key = (str(root), stored)
    hit = _from_memory(key, settings)
    if hit is not None:
        return hit
    cache = LogoCache(root, ok_ttl=settings.ok_ttl, fail_ttl=settings.fail_ttl, max_bytes=settings.max_bytes)
    with _lock_for(stored):
        hit = _from_memory(key, settings)  # fetched by another thread while this one waited
        if hit is not None:
            return hit
        entry = cache.get(stored)
        now = time.time()
        result: LogoResult
        if entry is not None and entry.data is None:
            result = LogoResult(url, error=entry.error, cached=True)
        elif entry is not None and entry.data is not None:
            try:
                image, width, height, kind = decode(entry.data)
                result = LogoResult(url, image, width, height, kind, cached=True)
            except LogoError:
                entry = None
        if entry is None:
            try:
                with _DOWNLOADS:
                    if wanted is not None and not wanted():
                        return LogoResult(url, error="not wanted")
                    data = _download(url, settings)
                image, width, height, kind = decode(data)
            except LogoError as exc:
                cache.put(stored, None, str(exc), now=now)
                result = LogoResult(url, error=str(exc))
            else:
                cache.put(stored, data, now=now)
                result = LogoResult(url, image, width, height, kind)
        _remember(key, result, entry.fetched_at if result.cached and entry is not None else now)
        return result


# --- the form's preview ---------------------------------------------------------------------------------------------


def size_warning(width: int, height: int) -> str | None:
    """The form's warning for an image of this size: not square, or smaller than 150x150; None when it is fine."""
    problems = []
    if width != height:
        problems.append("not square")
    if width < RECOMMENDED or height < RECOMMENDED:
        problems.append(f"smaller than the recommended {RECOMMENDED}x{RECOMMENDED}")
    return ("The image is " + " and ".join(problems) + ".") if problems else None


@dataclass(frozen=True)
class PreviewInfo:
    """What the app form says under its thumbnail field: `text` (the size and format, or why there is no image)
    and `warning` (not square / smaller than 150x150), and the result itself for the preview."""

    result: LogoResult
    text: str
    warning: str | None


def preview_info(url: str, settings: ThumbnailSettings) -> PreviewInfo:
    """Fetch `url` (blocking: from a worker) and describe it for the form: "150x150 PNG", or why not."""
    result = fetch_logo(url, settings)
    if not result.ok:
        return PreviewInfo(result, f"No preview: {result.error}.", None)
    fmt = "WebP" if result.format == "WEBP" else result.format
    return PreviewInfo(result, f"{result.width}x{result.height} {fmt}", size_warning(result.width, result.height))
