"""Profiles behind the benchmark figures (cProfile), to find what to optimise. Not part of `bench/run.py`.

    python bench/profiles.py keys STORE.json [--top 25]     # the in-process harness, profiled only while keys are timed
    python bench/profiles.py live STORE.json                # app.poll_store() after another controller's save
    python bench/profiles.py write STORE.json               # one create, update and share through the Controller
    python bench/profiles.py start STORE.json               # Controller + list_apps + rows, as the first rows need
    python -X importtime -c "import tui.app" 2>&1 | sort -t'|' -k2 -n | tail -25   # import cost of the first screen

Prints the top functions by cumulative and by own time for each phase.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import inproc  # noqa: E402


def show(prof: cProfile.Profile, title: str, top: int) -> None:
    for key in ("cumulative", "tottime"):
        s = io.StringIO()
        pstats.Stats(prof, stream=s).strip_dirs().sort_stats(key).print_stats(top)
        text = s.getvalue()
        body = text[text.find("   ncalls"):]
        print(f"\n===== {title} — by {key} =====\n{body}")


def copy_of(store: Path) -> tuple[Path, Path]:
    work = Path(tempfile.mkdtemp(prefix="appdeck-bench-prof-", dir=store.resolve().parent))
    path = work / "store.json"
    shutil.copyfile(store, path)
    return work, path


def profile_keys(store: Path, top: int) -> None:
    profs: dict[str, cProfile.Profile] = {}
    orig = inproc.RenderHook.timed_press

    async def timed_press(self: Any, pilot: Any, key: str, pred: Any) -> Any:
        label = "cursor j" if key == "j" else ("backspace" if key == "backspace" else f"filter key {key!r}")
        prof = profs.setdefault(label, cProfile.Profile())
        prof.enable()
        try:
            return await orig(self, pilot, key, pred)
        finally:
            prof.disable()

    inproc.RenderHook.timed_press = timed_press  # type: ignore[method-assign]
    work, path = copy_of(store)
    try:
        asyncio.run(inproc.bench_tui(path, "alice", 3))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for label, prof in profs.items():
        show(prof, label, top)


def profile_live(store: Path, top: int) -> None:
    from store.controller import Controller
    from store.storage import StoreFile

    work, path = copy_of(store)
    prof = cProfile.Profile()

    async def run() -> None:
        app = inproc.make_app(path, "alice")
        async with app.run_test(size=inproc.SIZE) as pilot:
            from tui.widgets.row_list import RowList

            await inproc.wait_until(lambda: app.screen.query(RowList) and app.screen.query(RowList).first().total_count > 0)
            await pilot.pause()
            other = Controller(StoreFile(path), "alice")
            mine = [a for a in other.list_apps("developers") if a.owner == "alice"]
            for i in range(3):
                other.update_app(mine[0].id, {"description": f"profile {i}"})
                prof.enable()
                app.poll_store()
                prof.disable()
                await pilot.pause()
            await pilot.press("q")

    try:
        asyncio.run(run())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    show(prof, "live refresh: app.poll_store() x3", top)


def profile_write(store: Path, top: int) -> None:
    from store.controller import Controller

    work, path = copy_of(store)
    try:
        ctl = Controller(path, "alice")
        app_id = next(a.id for a in ctl.list_apps("developers") if a.owner == "alice")
        ctl.update_app(app_id, {"description": "warm-up (imports pydantic once)"})
        for name, fn in (
            ("create", lambda: ctl.create_app({"name": "Profiled", "app_url": "https://p.example.com"})),
            ("update", lambda: ctl.update_app(app_id, {"description": "profiled"})),
            ("share", lambda: ctl.share_app(app_id, "organization", [])),
        ):
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.runcall(fn)
            print(f"\n{name}: {(time.perf_counter() - t0) * 1000:.0f} ms under the profiler")
            show(prof, f"store {name}", top)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def profile_start(store: Path, top: int) -> None:
    prof = cProfile.Profile()

    def run() -> None:
        from store.controller import Controller
        from tui.screens.developers import DevelopersScreen

        ctl = Controller(store, "alice", readonly=True)
        apps = ctl.list_apps("developers")
        rows = [DevelopersScreen._row(a) for a in apps] if hasattr(DevelopersScreen, "_row") else []
        print(f"{len(apps)} apps, {len(rows)} rows")

    prof.runcall(run)
    show(prof, "first rows: Controller + list_apps + rows (no Textual)", top)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["keys", "live", "write", "start"])
    p.add_argument("store", type=Path)
    p.add_argument("--top", type=int, default=20)
    args = p.parse_args()
    {"keys": profile_keys, "live": profile_live, "write": profile_write, "start": profile_start}[args.what](args.store, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
