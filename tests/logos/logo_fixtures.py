"""The logo tests' fixtures (imported by each test module; a second conftest.py would shadow the tests' `conftest`): a local image server on 127.0.0.1 (the only address any test sends traffic to),
settings that allow it, and a guard that fails a test when a socket is opened."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from logo_helpers import LogoServer

from tui.logos import fetch
from tui.logos.settings import ThumbnailSettings


@pytest.fixture
def logo_server() -> Iterator[LogoServer]:
    state: dict[str, LogoServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server = state["server"]
            server.hits[self.path] += 1
            route = server.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            route(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server = LogoServer(port=httpd.server_address[1])
    state["server"] = server
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()  # a slow route waiting for it ends now
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    fetch.forget_memory()
    yield
    fetch.forget_memory()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "appdeck" / "logos"


@pytest.fixture
def local(cache_dir: Path) -> ThumbnailSettings:
    """Settings for the local server: private hosts allowed (127.0.0.1), a temporary cache, a short timeout."""
    return ThumbnailSettings(allow_private_hosts=True, cache_dir=cache_dir, timeout=0.6)


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Opening any socket fails the test (the refusals must come before any connection)."""
    import socket

    opened: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        raise AssertionError(f"a socket was opened: {args!r}")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return opened
