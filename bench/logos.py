"""Logo timings: do keys keep their latency while a logo server is slow? And what does drawing a logo cost?

    python bench/logos.py [--keys 60]

A tiny App (one Logo widget, one key binding that moves the Logo to the next app, as a list's highlight would)
is driven by Pilot. Each key is timed from just before `pilot.press` to its return (the key handled and the
app idle again). Three cases: no logo server at all (mode off), a local server that answers at once (cached
after the first fetch), and a local server that never answers within the 3 s limit (every fetch pending in a
thread worker while the keys go on). Also timed: decoding a 150x150 PNG and building its 16x8 half-cell rows.
Only 127.0.0.1 is contacted. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult

from tui.logos import fetch
from tui.logos.settings import ThumbnailSettings
from tui.logos.widget import Logo, halfcell_rows


def _png(size: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), (40, 90, 160)).save(buf, "PNG")
    return buf.getvalue()


class _Server:
    def __init__(self, slow: bool) -> None:
        data = _png(150)
        release = self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if slow:
                    release.wait(10)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{n}.png"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class _Bench(App[None]):
    BINDINGS = [("j", "next", "")]

    def __init__(self, logo: Logo, urls: list[str | None]) -> None:
        super().__init__()
        self.logo, self.urls, self.n = logo, urls, 0

    def compose(self) -> ComposeResult:
        yield self.logo

    def action_next(self) -> None:
        self.n += 1
        self.logo.set_app(self.urls[self.n % len(self.urls)], f"App {self.n}")


async def _keys(settings: ThumbnailSettings, urls: list[str | None], keys: int) -> dict[str, float]:
    logo = Logo(urls[0], "App 0", settings=settings, delay=0)
    app = _Bench(logo, urls)
    times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        for _ in range(keys):
            t0 = time.perf_counter()
            await pilot.press("j")
            times.append((time.perf_counter() - t0) * 1000)
        pending = sum(1 for w in app.workers if not w.is_finished)
    times.sort()
    return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            "max_ms": round(times[-1], 2), "workers_pending_at_end": pending}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=60)
    args = parser.parse_args()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = ThumbnailSettings(allow_private_hosts=True, cache_dir=Path(tmp) / "logos")
        out["off"] = asyncio.run(_keys(ThumbnailSettings(mode="off"), [None], args.keys))
        fast = _Server(slow=False)
        try:
            out["fast_server"] = asyncio.run(_keys(base, [fast.url(n) for n in range(10)], args.keys))
        finally:
            fast.close()
        fetch.forget_memory()
        slow = _Server(slow=True)
        try:
            out["slow_server"] = asyncio.run(_keys(base, [slow.url(n) for n in range(args.keys + 1)], args.keys))
        finally:
            slow.close()
    data = _png(150)
    t0 = time.perf_counter()
    for _ in range(20):
        image, *_ = fetch.decode(data)
    out["decode_150px_png_ms"] = round((time.perf_counter() - t0) / 20 * 1000, 2)
    t0 = time.perf_counter()
    for _ in range(20):
        halfcell_rows(image, 16, 8)
    out["halfcell_16x8_ms"] = round((time.perf_counter() - t0) / 20 * 1000, 2)
    print(orjson.dumps(out).decode())


if __name__ == "__main__":
    main()
