"""Store write timings at N apps, in-process, run by bench/run.py in a child process:

    python bench/store_ops.py STORE.json [--trials T] [--user alice]

Times one create, one update and one share through the Controller (lock, validate, write, fsync, rename, backup
link), against two floors on the same file: a raw orjson read-modify-write (read, parse with the garbage collector
paused, change one record, dump, temp file, fsync, os.replace) and writing the same bytes atomically by hand (temp
file, fsync, os.replace, directory fsync); also, for reference, dumping an already parsed store and writing it. Works on a copy of the store; prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson


def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def atomic_write(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f".{path.name}.bench-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def raw_rmw(path: Path, i: int) -> None:
    with open(path, "rb") as fh:
        raw = fh.read()
    gc.disable()
    try:
        data = orjson.loads(raw)
    finally:
        gc.enable()
    apps = data["apps"]
    rec = apps[next(iter(apps))]
    rec["description"] = f"raw rmw {i}"
    rec["version"] = int(rec.get("version", 1)) + 1
    atomic_write(path, orjson.dumps(data, option=orjson.OPT_INDENT_2))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("store", type=Path)
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--user", default="alice")
    args = p.parse_args()
    from store.controller import Controller

    work = Path(tempfile.mkdtemp(prefix="appdeck-bench-ops-", dir=args.store.parent))
    try:
        path = work / "store.json"
        floor_path = work / "floor.json"
        shutil.copyfile(args.store, path)
        shutil.copyfile(args.store, floor_path)
        ctl = Controller(path, args.user)
        mine = [a for a in ctl.list_apps("developers") if a.owner == args.user]
        app_id = mine[0].id
        group = next(g["name"] for g in ctl.list_groups() if args.user in g.get("members", []))
        res: dict[str, list[float]] = {k: [] for k in ("create", "update", "share", "raw_rmw", "atomic_by_hand", "dump_and_write")}
        for i in range(args.trials):
            res["create"].append(timed(lambda: ctl.create_app(
                {"name": f"Bench app {i}", "app_url": f"https://bench-{i}.example.com", "description": "made by bench"})))
            res["update"].append(timed(lambda: ctl.update_app(app_id, {"description": f"bench update {i}"})))
            res["share"].append(timed(lambda: ctl.share_app(
                app_id, "groups" if i % 2 == 0 else "organization", [group] if i % 2 == 0 else [])))
            res["raw_rmw"].append(timed(lambda: raw_rmw(floor_path, i)))
            payload = path.read_bytes()  # the bytes the product just wrote
            res["atomic_by_hand"].append(timed(lambda: atomic_write(floor_path, payload)))
            data = orjson.loads(payload)  # a parsed store kept in memory: what a write costs without re-reading
            res["dump_and_write"].append(timed(lambda: atomic_write(floor_path, orjson.dumps(data, option=orjson.OPT_INDENT_2))))
            del data
        out = {k: {"ms": statistics.median(v), "samples": v} for k, v in res.items()}
        out["size_bytes"] = path.stat().st_size
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.stdout.write(orjson.dumps(out).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
