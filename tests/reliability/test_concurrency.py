"""Spec section 8 under load: 4 processes x 100 mixed creates and updates on one store through the Controller.

Every write must be found afterwards (no lost update) and the file must parse at every instant."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from pathlib import Path

from store.controller import Controller
from store.errors import ConflictError
from store.storage import StoreFile

PROCS = 4
OPS = 100
LOCK_TIMEOUT = 30.0


def _ctl(path: str, user: str) -> Controller:
    return Controller(StoreFile(path, lock_timeout=LOCK_TIMEOUT), user)


def worker(path: str, k: int, shared_id: str, out: mp.Queue) -> None:
    """Mixed operations: creates, updates of its own counter app (checked versions), increments of a shared app."""
    try:
        me = _ctl(path, f"w{k}")
        owner = _ctl(path, "alice")  # only the owner edits the shared counter
        own = me.create_app({"name": f"w{k}-counter", "app_url": "https://w.example.com", "description": "0"}).app
        version = own.version
        created: list[tuple[str, str]] = []
        own_updates = shared_incs = retries = bad_versions = 0
        last_step = 0
        for i in range(OPS):
            kind = i % 3
            if kind == 0:
                name = f"w{k}-app{i}"
                created.append((me.create_app({"name": name, "app_url": "https://w.example.com"}).app.id, name))
            elif kind == 1:
                saved = me.update_app(own.id, {"description": str(i)}, expected_version=version)
                if saved.app.version != version + 1:
                    bad_versions += 1
                version = saved.app.version
                own_updates += 1
                last_step = i
            else:
                while True:
                    app = owner.get_app(shared_id)
                    try:
                        owner.update_app(shared_id, {"description": str(int(app.description) + 1)}, expected_version=app.version)
                        break
                    except ConflictError:
                        retries += 1  # someone else incremented first: read fresh and try again
                shared_incs += 1
        out.put(
            {
                "k": k,
                "own_id": own.id,
                "created": created,
                "own_updates": own_updates,
                "last_step": last_step,
                "version": version,
                "shared_incs": shared_incs,
                "retries": retries,
                "bad_versions": bad_versions,
                "error": None,
            }
        )
    except Exception as exc:
        out.put({"k": k, "error": f"{type(exc).__name__}: {exc}"})


def reader(path: str, stop: mp.Event, out: mp.Queue) -> None:
    """Parse the file in a loop while the writers run; count reads that fail."""
    reads = failures = 0
    ctl = Controller(path, "alice")
    while not stop.is_set():
        try:
            data = json.loads(Path(path).read_bytes())
            assert data["meta"]["1"]["schema_version"] == 1
            ctl.list_apps()  # the controller's own cached read path, too
            reads += 1
        except Exception:
            failures += 1
    out.put({"reads": reads, "failures": failures})


def test_four_processes_hundred_ops_each_no_lost_update(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    admin = Controller(path, "alice")
    for k in range(PROCS):
        admin.add_user(f"w{k}", "editor")
    shared = admin.create_app({"name": "shared-counter", "app_url": "https://s.example.com", "description": "0"}).app
    audit_before = len(json.loads(path.read_bytes())["audit"])

    ctx = mp.get_context("fork")
    results: mp.Queue = ctx.Queue()
    reads: mp.Queue = ctx.Queue()
    stop = ctx.Event()
    t0 = time.monotonic()
    rd = ctx.Process(target=reader, args=(str(path), stop, reads))
    rd.start()
    procs = [ctx.Process(target=worker, args=(str(path), k, shared.id, results)) for k in range(PROCS)]
    for p in procs:
        p.start()
    got = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    stop.set()
    read_stats = reads.get(timeout=30)
    rd.join(timeout=30)
    elapsed = time.monotonic() - t0

    errors = [r["error"] for r in got if r["error"]]
    assert not errors, errors

    data = json.loads(path.read_bytes())
    apps = {r["id"]: r for r in data["apps"].values()}
    lost = 0
    ops_done = 0
    for r in got:
        ops_done += len(r["created"]) + r["own_updates"] + r["shared_incs"]
        for app_id, name in r["created"]:
            if apps.get(app_id, {}).get("name") != name:
                lost += 1
        own = apps.get(r["own_id"])
        if own is None or own["description"] != str(r["last_step"]) or own["version"] != 1 + r["own_updates"]:
            lost += 1
        if own is not None and own["version"] != r["version"]:
            lost += 1
        lost += r["bad_versions"]
    total_incs = sum(r["shared_incs"] for r in got)
    shared_rec = apps[shared.id]
    lost += abs(int(shared_rec["description"]) - total_incs)
    lost += abs(shared_rec["version"] - (1 + total_incs))
    # Every change wrote exactly one audit entry.
    expected_audit = sum(1 + len(r["created"]) + r["own_updates"] + r["shared_incs"] for r in got)
    audit_found = len(data["audit"]) - audit_before
    client_ids = [a["client_id"] for a in apps.values()]
    tmp_left = [n for n in os.listdir(tmp_path) if n.startswith(".store.json.tmp-")]

    print(
        f"\nconcurrency: {PROCS} processes, ops done {ops_done} (+{PROCS} counter creates), "
        f"shared increments {total_incs} with {sum(r['retries'] for r in got)} conflict retries, "
        f"lost updates {lost}, reads {read_stats['reads']}, failed reads {read_stats['failures']}, "
        f"audit entries {audit_found}/{expected_audit}, {elapsed:.1f} s"
    )
    assert ops_done == PROCS * OPS
    assert lost == 0
    assert read_stats["failures"] == 0 and read_stats["reads"] > 0
    assert audit_found == expected_audit
    assert len(apps) == 1 + PROCS + sum(len(r["created"]) for r in got)
    assert len(set(client_ids)) == len(client_ids)
    assert tmp_left == []
    assert os.stat(path).st_mode & 0o777 == 0o600
