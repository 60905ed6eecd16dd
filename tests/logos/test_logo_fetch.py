"""Fetching logos: from a local server on 127.0.0.1 (allow_private_hosts on), and the refusals, which open no
socket at all (a resolver stub gives the addresses; socket.socket and create_connection fail the test)."""

from __future__ import annotations

import ipaddress
import os
import stat
import threading
from collections.abc import Sequence
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from logo_fixtures import _fresh_memory, cache_dir, local, logo_server, no_sockets  # noqa: F401 - the logo tests' fixtures
from logo_helpers import LogoServer, png, png_header

from tui.logos import fetch
from tui.logos.fetch import fetch_logo, preview_info, refusal, size_warning, sniff
from tui.logos.settings import ThumbnailSettings, thumbnail_settings


def stub(mapping: dict[str, Sequence[str]]) -> Any:
    """A resolver that knows only `mapping` (and records what it was asked)."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        if host not in mapping:
            raise OSError("unknown host")
        return mapping[host]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


# --- from the local server --------------------------------------------------------------------------------------


def test_png_is_fetched_and_decoded(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/logo.png", png(200, 200))
    result = fetch_logo(url, local)
    assert result.ok and result.error is None
    assert (result.width, result.height, result.format) == (200, 200, "PNG")
    assert result.image is not None and result.image.mode == "RGBA"


def test_a_second_fetch_is_served_by_the_cache(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/logo.png", png(150, 150))
    assert fetch_logo(url, local).ok
    fetch.forget_memory()  # the disk cache, not only this process's memory
    again = fetch_logo(url, local)
    assert again.ok and again.cached
    assert logo_server.hits["/logo.png"] == 1


def test_two_threads_asking_at_once_make_one_request(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/logo.png", png(64, 64))
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(fetch_logo(url, local))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(results) == 4 and all(r.ok for r in results)
    assert logo_server.hits["/logo.png"] == 1


def test_cache_files_are_private_and_atomic(logo_server: LogoServer, local: ThumbnailSettings, cache_dir: Path) -> None:
    url = logo_server.image("/logo.png", png(32, 32))
    fetch_logo(url, local)
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    files = list(cache_dir.iterdir())
    assert len(files) == 1 and files[0].suffix == ".logo"  # no temp file left behind
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_a_symlinked_cache_directory_is_not_followed(logo_server: LogoServer, local: ThumbnailSettings,
                                                     cache_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache_dir.parent.mkdir(parents=True)
    cache_dir.symlink_to(elsewhere)
    url = logo_server.image("/logo.png", png(32, 32))
    assert fetch_logo(url, local).ok  # the logo is still shown, only not cached
    assert list(elsewhere.iterdir()) == []


def test_an_expired_entry_is_fetched_again(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/logo.png", png(32, 32))
    stale = replace(local, ok_ttl=-1)
    fetch_logo(url, stale)
    fetch.forget_memory()
    fetch_logo(url, stale)
    assert logo_server.hits["/logo.png"] == 2


def test_a_failure_is_remembered_for_a_few_minutes(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.url("/missing.png")
    first = fetch_logo(url, local)
    assert not first.ok and first.error and "404" in first.error
    fetch.forget_memory()
    second = fetch_logo(url, local)
    assert second.cached and second.error == first.error
    assert logo_server.hits["/missing.png"] == 1
    assert ThumbnailSettings().fail_ttl == 300 and ThumbnailSettings().ok_ttl == 24 * 3600


def test_too_large_with_a_content_length(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/big.png", png(10, 10) + b"\0" * (1 << 20))
    result = fetch_logo(url, local)
    assert not result.ok and "1 MiB" in (result.error or "")


def test_too_large_without_a_content_length_stops_reading(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    sent: list[int] = []

    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "image/png")
        h.end_headers()
        total = 0
        try:
            while total < 8 << 20 and not logo_server.release.is_set():
                h.wfile.write(b"\0" * 65536)
                total += 65536
        except OSError:
            pass
        sent.append(total)

    logo_server.routes["/endless"] = endless
    result = fetch_logo(logo_server.url("/endless"), local)
    assert not result.ok and "1 MiB" in (result.error or "")


def test_not_an_image_whatever_the_content_type(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/page.png", b"<html><body>hello</body></html>", content_type="image/png")
    result = fetch_logo(url, local)
    assert not result.ok and "not an image" in (result.error or "")


def test_an_svg_is_not_shown(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', content_type="image/svg+xml")
    assert "not an image" in (fetch_logo(url, local).error or "")


def test_a_broken_png_is_an_error_not_an_exception(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/broken.png", png(40, 40)[:60])
    result = fetch_logo(url, local)
    assert not result.ok and "cannot be decoded" in (result.error or "")


@pytest.mark.parametrize("size", [(100_000, 100_000), (10_000, 10_000), (5_000, 5_000)])
def test_a_decompression_bomb_is_refused(logo_server: LogoServer, local: ThumbnailSettings, size: tuple[int, int]) -> None:
    # 1e10 pixels: Pillow's DecompressionBombError; 1e8: its warning, taken as an error; 2.5e7: appdeck's own limit.
    url = logo_server.image("/bomb.png", png_header(*size))
    result = fetch_logo(url, local)
    assert not result.ok and "too large" in (result.error or "")


def test_a_redirect_loop_ends(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.redirect("/loop", "/loop")
    result = fetch_logo(url, local)
    assert not result.ok and "loop" in (result.error or "")
    assert logo_server.hits["/loop"] == 1


def test_at_most_three_redirects(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    for n in range(5):
        logo_server.redirect(f"/r{n}", f"/r{n + 1}")
    logo_server.image("/r3", png(20, 20))
    logo_server.image("/r4", png(20, 20))
    assert fetch_logo(logo_server.url("/r0"), local).ok  # three redirects: r0 -> r1 -> r2 -> r3
    result = fetch_logo(logo_server.url("/r1"), replace(local, max_redirects=1))
    assert not result.ok and "more than 1 redirects" in (result.error or "")
    four = fetch_logo(logo_server.url("/r0"), replace(local, cache_dir=local.cache_path() / "x"))
    assert four.ok
    chain = {f"/c{n}": f"/c{n + 1}" for n in range(4)}
    for path, to in chain.items():
        logo_server.redirect(path, to)
    logo_server.image("/c4", png(20, 20))
    result = fetch_logo(logo_server.url("/c0"), local)  # four redirects
    assert not result.ok and "more than 3 redirects" in (result.error or "")
    assert logo_server.hits["/c4"] == 0


def test_a_slow_server_times_out(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        logo_server.release.wait(10)

    logo_server.routes["/slow.png"] = slow
    result = fetch_logo(logo_server.url("/slow.png"), local)
    assert not result.ok and "longer than" in (result.error or "")
    assert ThumbnailSettings().timeout == 3.0 and ThumbnailSettings().max_bytes == 1 << 20


def test_a_server_dripping_bytes_is_cut_at_the_deadline(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    data = png(30, 30)

    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        for byte in data:
            if logo_server.release.wait(0.05):
                return
            try:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
            except OSError:
                return

    logo_server.routes["/drip.png"] = drip
    result = fetch_logo(logo_server.url("/drip.png"), local)
    assert not result.ok and "longer than" in (result.error or "")


def test_mode_off_never_fetches(logo_server: LogoServer, local: ThumbnailSettings, no_sockets: list[Any]) -> None:
    url = logo_server.image("/logo.png", png(20, 20))
    result = fetch_logo(url, replace(local, mode="off"))
    assert not result.ok and no_sockets == [] and logo_server.hits["/logo.png"] == 0


def test_preview_info_and_size_warning(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    square = preview_info(logo_server.image("/square.png", png(150, 150)), local)
    assert square.text == "150x150 PNG" and square.warning is None
    small = preview_info(logo_server.image("/small.png", png(120, 80)), local)
    assert small.text == "120x80 PNG"
    assert small.warning == "The image is not square and smaller than the recommended 150x150."
    missing = preview_info(logo_server.url("/nothing.png"), local)
    assert missing.warning is None and missing.text.startswith("No preview: the server answered 404")
    assert size_warning(300, 300) is None
    assert size_warning(300, 200) == "The image is not square."
    assert size_warning(100, 100) == "The image is smaller than the recommended 150x150."


@pytest.mark.parametrize(("data", "kind"), [
    (b"\x89PNG\r\n\x1a\n....", "PNG"), (b"\xff\xd8\xff\xe0", "JPEG"), (b"GIF89a..", "GIF"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "WEBP"), (b"<svg", None), (b"BM....", None), (b"", None),
])
def test_sniff(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize("fmt", ["JPEG", "GIF", "WEBP"])
def test_the_other_formats(logo_server: LogoServer, local: ThumbnailSettings, fmt: str) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (60, 40), "green").save(buf, fmt)
    result = fetch_logo(logo_server.image(f"/logo.{fmt}", buf.getvalue(), "application/octet-stream"), local)
    assert result.ok and result.format == fmt and (result.width, result.height) == (60, 40)


# --- refusals: no socket is ever opened ---------------------------------------------------------------------------

PRIVATE_NAMES = {
    "intranet.example": ["10.1.2.3"],
    "router.example": ["192.168.1.1"],
    "corp.example": ["172.16.5.4"],
    "metadata.example": ["169.254.169.254"],
    "v6-link.example": ["fe80::1"],
    "v6-ula.example": ["fd00::5"],
    "loop.example": ["127.0.0.1"],
    "loop6.example": ["::1"],
    "mapped.example": ["::ffff:10.0.0.1"],
    "zero.example": ["0.0.0.0"],
    "cgnat.example": ["100.64.0.1"],
    "multicast.example": ["224.0.0.251"],
    "reserved.example": ["240.0.0.1"],
    "sixtofour.example": ["2002:7f00:1::1"],
    "mixed.example": ["93.184.216.34", "10.0.0.1"],  # one private address is enough to refuse
}


@pytest.mark.parametrize("name", sorted(PRIVATE_NAMES))
def test_a_name_resolving_to_a_private_address_is_refused(name: str, no_sockets: list[Any], cache_dir: Path) -> None:
    settings = ThumbnailSettings(cache_dir=cache_dir, resolver=stub(PRIVATE_NAMES))
    result = fetch_logo(f"https://{name}/logo.png", settings)
    assert not result.ok and (result.error or "").startswith("refused:")
    assert no_sockets == []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/logo.png", "http://10.0.0.8:8080/logo.png", "http://[::1]/logo.png",
    "http://[::ffff:127.0.0.1]/logo.png", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
    "http://2130706433/logo.png", "http://0x7f.1/logo.png", "http://[fe80::1]/", "http://localhost./logo.png",
])
def test_an_address_literal_is_refused(url: str, no_sockets: list[Any], cache_dir: Path) -> None:
    resolver = stub({"localhost.": ["127.0.0.1"], "localhost": ["127.0.0.1"]})
    result = fetch_logo(url, ThumbnailSettings(cache_dir=cache_dir, resolver=resolver))
    assert not result.ok and (result.error or "").startswith("refused:"), result.error
    assert no_sockets == []


@pytest.mark.parametrize(("url", "why"), [
    ("ftp://files.example/logo.png", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("data:image/png;base64,iVBORw0KGgo=", "only http and https"),
    ("https://user:secret@cdn.example/logo.png", "user name or password"),
    ("not a url", "cannot be read"),
    ("https://unknown.example/logo.png", "could not be resolved"),
])
def test_other_urls_are_refused(url: str, why: str, no_sockets: list[Any], cache_dir: Path) -> None:
    result = fetch_logo(url, ThumbnailSettings(cache_dir=cache_dir, resolver=stub({})))
    assert not result.ok and why in (result.error or ""), result.error
    assert "secret" not in (result.error or "")
    assert no_sockets == []


def test_a_redirect_to_a_private_name_is_refused_before_connecting(logo_server: LogoServer, cache_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """cdn.example resolves to a public address; the connection to it is diverted to the local server (no traffic
    leaves 127.0.0.1), which redirects to intranet.example (10.1.2.3): refused, no second connection."""
    import socket

    real = socket.create_connection
    connected: list[tuple[str, int]] = []

    def divert(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address)
        assert ipaddress.ip_address(address[0]) == ipaddress.ip_address("93.184.216.34")  # the pinned address
        return real(("127.0.0.1", logo_server.port), *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", divert)
    logo_server.redirect("/logo.png", "http://intranet.example/logo.png")
    resolver = stub({"cdn.example": ["93.184.216.34"], **PRIVATE_NAMES})
    settings = ThumbnailSettings(cache_dir=cache_dir, resolver=resolver)
    result = fetch_logo("http://cdn.example/logo.png", settings)
    assert not result.ok and result.error == "refused: intranet.example resolves to a private address (10.1.2.3)"
    assert connected == [("93.184.216.34", 80)]
    assert resolver.asked == ["cdn.example", "intranet.example"]  # each name resolved once


def test_the_host_header_keeps_the_name(logo_server: LogoServer, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    real = socket.create_connection
    hosts: list[str | None] = []

    def send(h: BaseHTTPRequestHandler) -> None:
        hosts.append(h.headers.get("Host"))
        h.send_response(200)
        data = png(16, 16)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    logo_server.routes["/logo.png"] = send
    monkeypatch.setattr(socket, "create_connection", lambda a, *r, **k: real(("127.0.0.1", logo_server.port), *r, **k))
    settings = ThumbnailSettings(cache_dir=cache_dir, resolver=stub({"cdn.example": ["93.184.216.34"]}))
    assert fetch_logo("http://cdn.example/logo.png", settings).ok
    assert hosts == ["cdn.example"]


def test_https_checks_the_certificate_for_the_name() -> None:
    conn = fetch._pinned(fetch._Target("https", "cdn.example", 443, "/"), "93.184.216.34", 1.0, [])
    assert conn.host == "cdn.example"  # SNI and the hostname check use it; the socket goes to the address
    context = conn._context  # type: ignore[attr-defined]
    assert context.check_hostname and context.verify_mode.name == "CERT_REQUIRED"


@pytest.mark.parametrize(("address", "refused"), [
    ("8.8.8.8", False), ("2606:4700:4700::1111", False), ("127.0.0.2", True), ("::ffff:192.168.0.1", True),
    ("198.18.0.1", True), ("192.0.2.1", True), ("ff02::1", True), ("::", True), ("64:ff9b::a00:1", True),
])
def test_refusal(address: str, refused: bool) -> None:
    assert (refusal(ipaddress.ip_address(address)) is not None) is refused


# --- settings -----------------------------------------------------------------------------------------------------


def test_settings_from_the_config_and_the_environment() -> None:
    assert thumbnail_settings({}, env={}) == ThumbnailSettings()
    assert thumbnail_settings({"thumbnails": {"mode": "halfcell"}}, env={}).mode == "halfcell"
    assert thumbnail_settings({"thumbnails": {"mode": "halfcell"}}, env={"APPDECK_THUMBNAILS": "off"}).mode == "off"
    assert thumbnail_settings({"thumbnails": {"allow_private_hosts": True}}, env={}).allow_private_hosts
    odd = thumbnail_settings({"thumbnails": {"mode": "sixel", "allow_private_hosts": "yes"}}, env={})
    assert odd.mode == "auto" and not odd.allow_private_hosts and odd.problem
    assert thumbnail_settings({"thumbnails": "off"}, env={}) == ThumbnailSettings()
    assert thumbnail_settings({}, env={"APPDECK_THUMBNAILS": "bogus"}).mode == "auto"


def test_allow_private_hosts_comes_from_the_shared_file_only_when_given() -> None:
    merged = {"thumbnails": {"allow_private_hosts": True, "mode": "halfcell"}}
    settings = thumbnail_settings(merged, env={}, shared={})
    assert not settings.allow_private_hosts and settings.mode == "halfcell"


def test_the_default_cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if os.uname().sysname == "Linux":
        assert ThumbnailSettings().cache_path() == tmp_path / "xdg" / "appdeck" / "logos"


def test_a_fetch_no_longer_wanted_gives_up_its_turn(logo_server: LogoServer, local: ThumbnailSettings) -> None:
    url = logo_server.image("/logo.png", png(20, 20))
    assert fetch_logo(url, local, wanted=lambda: False).error == "not wanted"
    assert logo_server.hits["/logo.png"] == 0
    assert fetch_logo(url, local).ok  # nothing was cached for it


def test_what_private_hosts_gave_is_not_served_once_they_are_refused(logo_server: LogoServer,
                                                                    local: ThumbnailSettings) -> None:
    url = logo_server.image("/logo.png", png(20, 20))
    assert fetch_logo(url, local).ok
    refused = fetch_logo(url, replace(local, allow_private_hosts=False))
    assert not refused.ok and (refused.error or "").startswith("refused: 127.0.0.1 is a loopback address")
    assert logo_server.hits["/logo.png"] == 1
