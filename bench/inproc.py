"""In-process TUI timings (headless `App.run_test`), run by bench/run.py in a child process per size.

    python bench/inproc.py tui STORE.json [--trials T] [--user alice]   # the real TUI with N apps
    python bench/inproc.py floor [--trials T]                            # an Input whose handler does nothing
    python bench/inproc.py mem STORE.json                                 # tracemalloc: the RowList's own share

Prints one JSON object on stdout. Nothing in the product is patched: the harness only wraps the current
screen's compositor `render_update` (Textual internals, in this process) to timestamp the end of each repaint.

A keystroke is timed from just before `pilot.press(key)` (which posts the key event the way a terminal would)
to the end of the first repaint at which the expected state is on screen. Two numbers per keystroke:
- wall: key to end of repaint. It includes waiting for Textual's frame clock (screens repaint on a 60 Hz
  timer grid, so 0-16.7 ms of each keystroke is waiting, for the floor too);
- work: CPU time of the process over the same interval (the app's own work: handlers, filtering, layout,
  rendering), which is what the absolute targets (16 ms, 33 ms, 3 ms) are judged on.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

SIZE = (120, 40)
TIMEOUT = 30.0


def med(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class RenderHook:
    """Timestamps the end of every compositor repaint of one screen; resolves a waiter when its predicate holds."""

    def __init__(self) -> None:
        self.waiter: tuple[Callable[[], bool], asyncio.Future[tuple[float, float]]] | None = None
        self.renders = 0
        self.last_render = 0.0
        self.screens: set[int] = set()

    def install(self, screen: Any) -> None:
        if id(screen) in self.screens:
            return
        self.screens.add(id(screen))
        comp = screen._compositor
        orig = comp.render_update

        def render_update(*args: Any, **kwargs: Any) -> Any:
            result = orig(*args, **kwargs)
            self.renders += 1
            self.last_render = time.perf_counter()
            w = self.waiter
            if w is not None:
                pred, fut = w
                try:
                    ok = pred()
                except Exception:
                    ok = False
                if ok and not fut.done():
                    fut.set_result((time.perf_counter(), time.process_time()))
                    self.waiter = None
            return result

        comp.render_update = render_update

    async def timed_press(self, pilot: Any, key: str, pred: Callable[[], bool]) -> tuple[float | None, float | None]:
        """(wall ms, work ms) from the key to the end of the repaint where pred() holds; (None, None) on timeout."""
        fut: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
        gc.collect()
        # Textual repaints on a 60 Hz grid: a key pressed less than a frame after the last repaint waits for the next
        # grid point (up to 16.7 ms) whatever it costs. A person types slower than that; so does this harness: every
        # timed key (the floor's too) comes at least 20 ms after the last repaint, so the figure is the key's cost.
        await asyncio.sleep(max(0.0, self.last_render + 0.020 - time.perf_counter()))
        self.waiter = (pred, fut)
        t0, c0 = time.perf_counter(), time.process_time()
        press = asyncio.ensure_future(pilot.press(key))
        try:
            t1, c1 = await asyncio.wait_for(asyncio.shield(fut), TIMEOUT)
        except TimeoutError:
            self.waiter = None
            await press
            return None, None
        await press
        return (t1 - t0) * 1000, (c1 - c0) * 1000

    async def next_render(self, pred: Callable[[], bool] = lambda: True) -> tuple[float, float] | None:
        fut: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
        self.waiter = (pred, fut)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), TIMEOUT)
        except TimeoutError:
            self.waiter = None
            return None


async def wait_until(pred: Callable[[], bool], timeout: float = 120.0, step: float = 0.002) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if pred():
                return True
        except Exception:
            pass
        await asyncio.sleep(step)
    return False


def make_app(path: Path, user: str) -> Any:
    """The app as `run_tui` builds it (store path and user when the app takes them, else a ready controller)."""
    from tui.app import AppdeckApp

    params = inspect.signature(AppdeckApp.__init__).parameters
    if "store_path" in params:
        return AppdeckApp(store_path=path, user=user, config={})
    from store.controller import Controller

    return AppdeckApp(Controller(path, user), config={})


def plain(static: Any) -> str:
    try:
        return str(static.content)
    except Exception:
        return ""


# -- the real TUI ------------------------------------------------------------------------------------------


async def bench_tui(path: Path, user: str, trials: int) -> dict[str, Any]:
    from textual.widgets import Input

    from tui.widgets.row_list import RowList

    out: dict[str, Any] = {"size_bytes": path.stat().st_size}
    app = make_app(path, user)
    hook = RenderHook()
    t_start = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:

        def row_list() -> Any:
            found = app.screen.query(RowList)
            return found.first() if found else None

        ok = await wait_until(lambda: row_list() is not None and row_list().total_count > 0)
        out["headless_first_rows_ms"] = (time.perf_counter() - t_start) * 1000
        if not ok:
            out["error"] = "the RowList never got rows"
            return out
        screen = app.screen
        hook.install(screen)
        rl = row_list()
        out["rows_total"] = rl.total_count
        await pilot.pause()
        box = screen.query_one("#filter", Input)
        details = screen.query_one("#details")

        def query_of() -> str | None:
            return getattr(rl, "_query", None)

        def filtered(value: str) -> Callable[[], bool]:
            def pred() -> bool:
                q = query_of()
                return box.value == value and (q is None or q == value.lower())

            return pred

        # open the filter box the way a user does
        await pilot.press("slash")
        await wait_until(lambda: app.focused is box, timeout=10)
        await pilot.pause()

        # pick a narrow query: 5 characters of one visible app's client ID (matches one or a few rows)
        keys = rl.visible_keys()
        target = rl.tag_of(keys[len(keys) // 2]) if hasattr(rl, "tag_of") else None
        narrow = (target.client_id[3:8] if target is not None else "zq9x").lower()

        res: dict[str, list[Any]] = {k: [] for k in ("broad", "all", "narrow", "backspace_empty")}
        counts: dict[str, int] = {}
        lines: dict[str, list[int]] = {k: [] for k in res}

        async def keystroke(kind: str, key: str, expect: str) -> None:
            before = rl.lines_rendered
            wall, work = await hook.timed_press(pilot, key, filtered(expect))
            res[kind].append((wall, work))
            lines[kind].append(rl.lines_rendered - before)
            if kind != "backspace_empty":
                counts[kind] = rl.row_count
            await pilot.pause()

        for _ in range(trials):
            await keystroke("broad", "e", "e")
            await keystroke("backspace_empty", "backspace", "")
            await keystroke("all", "h", "h")
            await keystroke("backspace_empty", "backspace", "")
            box.value = narrow[:-1]  # untimed set-up: the first characters of the narrow query
            box.cursor_position = len(box.value)
            await wait_until(filtered(narrow[:-1]), timeout=30)
            await pilot.pause()
            await keystroke("narrow", narrow[-1], narrow)
            box.value = ""
            await wait_until(filtered(""), timeout=30)
            await pilot.pause()

        for kind, pairs in res.items():
            out[f"filter_{kind}"] = {
                "wall_ms": med([p[0] for p in pairs]),
                "work_ms": med([p[1] for p in pairs]),
                "wall_samples": [p[0] for p in pairs],
                "work_samples": [p[1] for p in pairs],
                "rows_after": counts.get(kind, rl.total_count),
                "lines_rendered_per_key": med([float(x) for x in lines[kind]]),
            }
        out["narrow_query"] = narrow

        # cursor moves and the details pane
        await pilot.press("escape")
        await wait_until(lambda: app.focused is rl, timeout=10)
        rl.focus()
        await pilot.pause()
        cur: dict[str, tuple[list[Any], list[int]]] = {"in_page": ([], []), "scrolls": ([], [])}
        det: list[float] = []
        page = rl.size.height - 1  # rows on screen (the header takes a line)

        async def move(kind: str) -> None:
            want = rl.cursor + 1
            key = rl.visible_keys()[want] if want < rl.row_count else None
            name = rl.tag_of(key).name if key is not None else None

            def moved(want: int = want, name: str | None = name) -> bool:
                return rl.cursor == want and (name is None or name in plain(details))

            before = rl.lines_rendered
            cur[kind][0].append(await hook.timed_press(pilot, "j", moved))
            cur[kind][1].append(rl.lines_rendered - before)
            await pilot.pause()

        # within the page: from the top, the cursor walks down the rows on screen (two lines change)
        await pilot.press("g")
        await pilot.pause()
        for _ in range(min(max(trials * 2, 10), page - 2)):
            await move("in_page")
            gc.collect()
            t0 = time.perf_counter()
            screen.show_details()
            det.append((time.perf_counter() - t0) * 1000)
            await pilot.pause()
        # at the bottom row: every move scrolls the list by one (every line changes)
        while rl.cursor < int(rl.scroll_y) + page - 1:
            await pilot.press("j")
        await pilot.pause()
        for _ in range(max(trials * 2, 10)):
            await move("scrolls")
        # floor of the details figure: setting the pane to the lines it already shows
        det_floor = []
        for _ in range(len(det)):
            fields = getattr(details, "fields", None)
            content = details.content
            gc.collect()
            t0 = time.perf_counter()
            if fields is not None:
                details.update_fields(fields)
            else:
                details.update(content)
            det_floor.append((time.perf_counter() - t0) * 1000)
            await pilot.pause()
        for kind, (pairs, lines_per_key) in cur.items():
            out[f"cursor_move_{kind}"] = {
                "wall_ms": med([p[0] for p in pairs]),
                "work_ms": med([p[1] for p in pairs]),
                "work_samples": [p[1] for p in pairs],
                "lines_rendered_per_key": med([float(x) for x in lines_per_key]),
            }
        out["details"] = {"ms": med(det), "samples": det, "floor_ms": med(det_floor)}

        # live refresh: another controller (own StoreFile) saves; time app.poll_store() (+ the repaint)
        from store.controller import Controller
        from store.storage import StoreFile

        other = Controller(StoreFile(path), user)
        mine = [a for a in other.list_apps("developers") if a.owner == user]
        live, live_wall, parse_floor, reloads = [], [], [], []
        store = app.controller.store
        for i in range(max(3, trials)):
            if not mine:
                break
            other.update_app(mine[0].id, {"description": f"bench live refresh {i}"})
            gc.collect()
            loads_before = getattr(store, "loads", None)
            t0 = time.perf_counter()
            app.poll_store()  # no await between the write and this call: the app's own poll timer cannot run first
            t1 = time.perf_counter()
            r = await hook.next_render()
            live.append((t1 - t0) * 1000)
            live_wall.append(((r[0] if r else t1) - t0) * 1000)
            reloads.append(None if loads_before is None else getattr(store, "loads", 0) - loads_before)
            await pilot.pause()
            # the floor: read and parse the same file with orjson, garbage collector paused
            gc.collect()
            t0 = time.perf_counter()
            gc.disable()
            try:
                with open(path, "rb") as fh:
                    orjson.loads(fh.read())
            finally:
                gc.enable()
            parse_floor.append((time.perf_counter() - t0) * 1000)
        out["live_refresh"] = {
            "poll_ms": med(live), "samples": live, "to_repaint_ms": med(live_wall),
            "floor_parse_ms": med(parse_floor), "floor_samples": parse_floor, "store_loads_per_change": reloads,
        }

        out["rowlist_walk_bytes"] = deep_size(rl)
        try:
            import resource

            out["inproc_maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        except Exception:
            pass
        await pilot.press("q")
    return out


def deep_size(rl: Any) -> int:
    """sys.getsizeof over the RowList's own data attributes (lists, tuples, rows, strings); an upper bound, since
    strings shared with the store's records are counted too."""
    seen: set[int] = set()
    total = 0
    stack = [v for k, v in vars(rl).items() if k.startswith("_") and isinstance(v, (list, tuple, dict))]
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        if isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        elif isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif hasattr(o, "__dataclass_fields__"):
            stack.extend(getattr(o, f) for f in o.__dataclass_fields__)
    return total


async def bench_mem(path: Path, user: str) -> dict[str, Any]:
    """tracemalloc from before the app is made until the first rows: what the rows cost (allocations made with a
    frame of tui/widgets/row_list.py on the stack and still alive: rows, search keys, the index view), and the
    biggest allocators by file, for the profile."""
    import tui.app  # noqa: F401 - imports are code, not data: load them before tracing
    from tui.widgets.row_list import RowList

    app = make_app(path, user)
    tracemalloc.start(6)
    async with app.run_test(size=SIZE) as pilot:
        def row_list() -> Any:
            found = app.screen.query(RowList)
            return found.first() if found else None

        await wait_until(lambda: row_list() is not None and row_list().total_count > 0)
        # the search keys come a moment after the first rows (a thread makes them): they are the list's too
        await wait_until(lambda: getattr(row_list(), "snapshot", lambda: (0, 0, []))()[2] is not None)
        await pilot.pause()
        gc.collect()
        snap = tracemalloc.take_snapshot()
        tracemalloc.stop()
        own = snap.filter_traces([tracemalloc.Filter(True, "*row_list.py", all_frames=True)])
        by_file = snap.statistics("filename")
        screens = snap.filter_traces([tracemalloc.Filter(True, "*tui/screens/*", all_frames=True)])
        out = {
            "rowlist_bytes": sum(s.size for s in own.statistics("filename")),
            "screens_bytes": sum(s.size for s in screens.statistics("filename")),
            "traced_total_bytes": sum(s.size for s in by_file),
            "top_files": [(str(s.traceback[0].filename).split("site-packages/")[-1], s.size) for s in by_file[:8]],
            "rowlist_walk_bytes": deep_size(row_list()),
        }
        await pilot.press("q")
    return out


# -- the floor: an Input whose handler does nothing --------------------------------------------------------


def p99(xs: list[float | None]) -> float | None:
    """The 99th percentile (nearest rank) of the samples that finished."""
    got = sorted(x for x in xs if x is not None)
    if not got:
        return None
    return got[min(len(got) - 1, max(0, int(round(0.99 * len(got))) - 1))]


async def bench_load(path: Path, user: str, keys: int, every: float) -> dict[str, Any]:
    """Key to repaint (j / k, the cursor moving and the details following) while another process saves every
    `every` seconds: the app's poll sees a new file each second, re-reads it and rebuilds the rows in a worker
    thread, and the UI thread swaps them in. Median and p99 over `keys` keys, pressed at a person's pace (20 ms
    after the last repaint) and at random moments of the save cycle."""
    import random
    import subprocess

    from tui.widgets.row_list import RowList

    app = make_app(path, user)
    hook = RenderHook()
    refreshes = 0
    out: dict[str, Any] = {}
    async with app.run_test(size=SIZE) as pilot:
        ok = await wait_until(lambda: bool(app.screen.query(RowList)) and app.screen.query_one(RowList).total_count > 0)
        if not ok:
            return {"error": "the RowList never got rows"}
        screen = app.screen
        rl = screen.query_one(RowList)
        rl.focus()
        real_refresh = app._refresh_screens

        def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal refreshes
            refreshes += 1
            return real_refresh(*args, **kwargs)

        app._refresh_screens = counting  # type: ignore[method-assign]
        await pilot.pause()
        hook.install(screen)
        saver = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent / "saver.py"), str(path),
                                  "--every", str(every), "--seconds", "600"], stdout=subprocess.PIPE)
        try:
            await wait_until(lambda: refreshes > 0, timeout=60)
            rng = random.Random(5)
            samples: list[float | None] = []
            for i in range(keys):
                down = rl.cursor < 3 or (i % 8 < 4 and rl.cursor < rl.row_count - 2)
                want = rl.cursor + (1 if down else -1)
                wall, _work = await hook.timed_press(pilot, "j" if down else "k", lambda want=want: rl.cursor == want)
                samples.append(wall)
                await asyncio.sleep(rng.random() * min(every, 0.2))
        finally:
            saver.send_signal(2)
            try:
                saved = orjson.loads(saver.communicate(timeout=30)[0] or b"{}")
            except Exception:
                saver.kill()
                saved = {}
        out = {"wall_ms": med(samples), "wall_p99_ms": p99(samples), "samples": samples, "keys": keys,
               "timeouts": sum(s is None for s in samples), "refreshes": refreshes, "saver": saved}
        await pilot.press("q")
    return out


async def bench_floor(trials: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from textual.widgets import Input

    from minimal_app import InputFloorApp

    app = InputFloorApp()
    hook = RenderHook()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        box = app.query_one(Input)
        box.focus()
        await pilot.pause()
        hook.install(app.screen)
        type_pairs, back_pairs = [], []
        for _ in range(trials * 2):
            type_pairs.append(await hook.timed_press(pilot, "e", lambda: box.value == "e"))
            await pilot.pause()
            back_pairs.append(await hook.timed_press(pilot, "backspace", lambda: box.value == ""))
            await pilot.pause()
        both = type_pairs + back_pairs
        return {
            "key": {"wall_ms": med([p[0] for p in both]), "work_ms": med([p[1] for p in both]),
                    "wall_p99_ms": p99([p[0] for p in both]),
                    "wall_samples": [p[0] for p in both], "work_samples": [p[1] for p in both]},
        }


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["tui", "floor", "mem", "load"])
    p.add_argument("--keys", type=int, default=200, help="load: keys pressed while the other process saves")
    p.add_argument("--every", type=float, default=0.2, help="load: seconds between the other process's saves")
    p.add_argument("store", nargs="?", type=Path)
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--user", default="alice")
    args = p.parse_args()
    os.environ.setdefault("APPDECK_CONFIG", os.devnull)
    if args.what in ("tui", "mem", "load") and (args.store is None or not args.store.is_file()):
        p.error(f"no store file {args.store} (the app would create an empty one)")
    if args.what == "load":  # the other process writes: work on a copy
        import shutil
        import tempfile

        work = Path(tempfile.mkdtemp(prefix="appdeck-bench-load-", dir=args.store.resolve().parent))
        try:
            copy = work / "store.json"
            shutil.copyfile(args.store, copy)
            from run import verify_store

            verify_store(copy, args.user)
            result = asyncio.run(bench_load(copy, args.user, args.keys, args.every))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    elif args.what == "tui":
        # the live-refresh figure writes to the store: work on a copy
        import shutil
        import tempfile

        work = Path(tempfile.mkdtemp(prefix="appdeck-bench-tui-", dir=args.store.resolve().parent))
        try:
            copy = work / "store.json"
            shutil.copyfile(args.store, copy)
            from run import verify_store  # a copy is a new file: verify it, as the original was

            verify_store(copy, args.user)
            result = asyncio.run(bench_tui(copy, args.user, args.trials))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    elif args.what == "mem":
        result = asyncio.run(bench_mem(args.store.resolve(), args.user))
    else:
        result = asyncio.run(bench_floor(args.trials))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
