"""Spec section 8. Issue 4 item 1: 8 writer processes x 200 mixed operations (create, update, share, rotate, delete) through the
Controller on one store, while 2 reader processes list the apps in a loop.

Each writer is an editor owning its own apps and keeps the state it expects of each of them (name, description,
version, sharing, groups, secret and rotation count). After the run every surviving app must match exactly and
every deleted one must be gone: a mismatch is a lost update. Some updates are sent on purpose with a stale
`expected_version`: each must be refused as a conflict and change nothing (counted separately). The readers count
failed reads and reads that saw a half-written or older file (the audit trail only grows)."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import time
from pathlib import Path
from typing import Any

from store.controller import Controller
from store.errors import ConflictError
from store.storage import StoreFile

WRITERS = 8
OPS = 200
READERS = 2
LOCK_TIMEOUT = 60.0
MAX_OWNED = 6  # keep the store small: each writer owns at most this many apps at a time
GROUPS = ("load-a", "load-b")


def _ctl(path: str, user: str) -> Controller:
    return Controller(StoreFile(path, lock_timeout=LOCK_TIMEOUT), user)


def writer(path: str, k: int, out: Any) -> None:
    """200 seeded random operations on the writer's own apps; report what it expects the store to hold."""
    try:
        rng = random.Random(1000 + k)
        me = _ctl(path, f"w{k}")
        expected: dict[str, dict[str, Any]] = {}
        deleted: list[str] = []
        counts = {"create": 0, "update": 0, "share": 0, "rotate": 0, "delete": 0, "stale_update": 0}
        stale_refused = unexpected_conflicts = 0
        for i in range(OPS):
            kind = "create" if not expected else rng.choices(
                ["create", "update", "share", "rotate", "delete", "stale_update"],
                weights=[3 if len(expected) < MAX_OWNED else 0, 5, 2, 2, 1 if len(expected) > 1 else 0, 1],
            )[0]
            app_id = rng.choice(sorted(expected)) if expected else ""
            exp = expected.get(app_id)
            try:
                if kind == "create":
                    name = f"w{k}-app{i}"
                    saved = me.create_app({"name": name, "app_url": f"https://w{k}.example.com", "description": "new"})
                    a = saved.app
                    expected[a.id] = {"name": name, "description": "new", "version": 1, "sharing": "organization",
                                      "groups": [], "secret": a.client_secret, "rotations": 0, "client_id": a.client_id}
                elif kind == "update":
                    assert exp is not None
                    changes = {"description": f"w{k} step {i}"}
                    if rng.random() < 0.3:
                        changes["name"] = f"w{k}-renamed{i}"
                    saved = me.update_app(app_id, changes, expected_version=exp["version"])
                    exp.update(changes, version=exp["version"] + 1)
                    assert saved.app.version == exp["version"]
                elif kind == "share":
                    assert exp is not None
                    sharing = rng.choice(["private", "organization", "groups", "groups"])
                    if sharing == "groups":
                        groups = sorted(rng.sample(list(GROUPS), rng.randint(1, 2)))
                    else:
                        groups = []
                    if sharing == exp["sharing"] and groups == exp["groups"]:
                        sharing, groups = ("private", []) if exp["sharing"] != "private" else ("organization", [])
                    saved = me.share_app(app_id, sharing, groups, expected_version=exp["version"])
                    exp.update(sharing=sharing, groups=groups, version=exp["version"] + 1)
                    assert saved.app.version == exp["version"]
                elif kind == "rotate":
                    assert exp is not None
                    rotated = me.rotate_secret(app_id, expected_version=exp["version"])
                    assert rotated.client_secret != exp["secret"]
                    exp.update(secret=rotated.client_secret, rotations=exp["rotations"] + 1, version=exp["version"] + 1)
                elif kind == "delete":
                    me.delete_app(app_id, expected_version=exp["version"] if exp else None)
                    del expected[app_id]
                    deleted.append(app_id)
                else:  # a save from a form opened before the last change: must be a conflict
                    assert exp is not None
                    stale = exp["version"] - 1 if exp["version"] > 1 else exp["version"] + 1
                    try:
                        me.update_app(app_id, {"description": "STALE"}, expected_version=stale)
                    except ConflictError:
                        stale_refused += 1
                    else:
                        raise AssertionError("a stale save was not refused as a conflict")
                counts[kind] += 1
            except ConflictError:
                unexpected_conflicts += 1  # only this writer changes its apps: any other conflict is a bug
        out.put({"k": k, "expected": expected, "deleted": deleted, "counts": counts,
                 "stale_refused": stale_refused, "unexpected_conflicts": unexpected_conflicts, "error": None})
    except Exception as exc:
        out.put({"k": k, "error": f"{type(exc).__name__}: {exc}"})


def reader(path: str, stop: Any, out: Any) -> None:
    """List the apps in a loop (the controller's read path) and parse the raw file; count what goes wrong."""
    reads = failures = half_written = went_back = 0
    last_audit = 0
    errors: list[str] = []
    ctl = Controller(path, "alice")
    while not stop.is_set():
        try:
            raw = Path(path).read_bytes()
            try:
                data = json.loads(raw)
                assert data["meta"]["1"]["schema_version"] == 1
            except Exception as exc:
                half_written += 1
                errors.append(f"raw: {type(exc).__name__}: {exc}"[:200])
                continue
            n_audit = len(data["audit"])
            if n_audit < last_audit:
                went_back += 1
            last_audit = max(last_audit, n_audit)
            apps = ctl.list_apps("developers")
            assert all(a.name and a.client_id and a.owner for a in apps)
            reads += 1
            time.sleep(0.001)  # a listing loop, not a busy spin: on 2 cores the writers need the CPU too
        except Exception as exc:
            failures += 1
            errors.append(f"{type(exc).__name__}: {exc}"[:200])
    out.put({"reads": reads, "failures": failures, "half_written": half_written, "went_back": went_back,
             "errors": errors[:5]})


def test_eight_writers_two_readers_no_lost_update(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    admin = Controller(path, "alice")
    for k in range(WRITERS):
        admin.add_user(f"w{k}", "editor")
    admin.add_group(GROUPS[0], [f"w{k}" for k in range(0, WRITERS, 2)])
    admin.add_group(GROUPS[1], [f"w{k}" for k in range(1, WRITERS, 2)])
    gid = {g["name"]: g["id"] for g in admin.list_groups()}
    audit_before = len(json.loads(path.read_bytes())["audit"])

    ctx = mp.get_context("fork")
    results = ctx.Queue()
    read_out = ctx.Queue()
    stop = ctx.Event()
    t0 = time.monotonic()
    readers = [ctx.Process(target=reader, args=(str(path), stop, read_out)) for _ in range(READERS)]
    for p in readers:
        p.start()
    writers = [ctx.Process(target=writer, args=(str(path), k, results)) for k in range(WRITERS)]
    for p in writers:
        p.start()
    got = [results.get(timeout=120) for _ in writers]
    write_time = time.monotonic() - t0
    for p in writers:
        p.join(timeout=30)
    stop.set()
    read_stats = [read_out.get(timeout=30) for _ in readers]
    for p in readers:
        p.join(timeout=30)

    errors = [r["error"] for r in got if r["error"]]
    assert not errors, errors

    data = json.loads(path.read_bytes())
    stored = {r["id"]: r for r in data["apps"].values()}
    audit = list(data["audit"].values())[audit_before:]
    rotations_audited: dict[str, int] = {}
    for e in audit:
        if e["action"] == "rotate_secret":
            rotations_audited[e["object_id"]] = rotations_audited.get(e["object_id"], 0) + 1

    lost: list[str] = []
    ops_done = {"create": 0, "update": 0, "share": 0, "rotate": 0, "delete": 0, "stale_update": 0}
    for r in got:
        for kind, n in r["counts"].items():
            ops_done[kind] += n
        for app_id, exp in r["expected"].items():
            rec = stored.get(app_id)
            if rec is None:
                lost.append(f"{app_id} of w{r['k']} is gone")
                continue
            want_groups = sorted(gid[g] for g in exp["groups"])
            checks = {
                "owner": (rec["owner"], f"w{r['k']}"),
                "name": (rec["name"], exp["name"]),
                "description": (rec["description"], exp["description"]),
                "version": (rec["version"], exp["version"]),
                "sharing": (rec["sharing"], exp["sharing"]),
                "groups": (sorted(rec["groups"]), want_groups),
                "client_id": (rec["client_id"], exp["client_id"]),
                "secret": (rec["client_secret"], exp["secret"]),
                "rotations": (rotations_audited.get(app_id, 0), exp["rotations"]),
            }
            lost += [f"{app_id} {f}: stored {a!r}, expected {b!r}" for f, (a, b) in checks.items() if a != b]
        lost += [f"{app_id} was deleted but is still there" for app_id in r["deleted"] if app_id in stored]
    expected_ids = {i for r in got for i in r["expected"]}
    strays = set(stored) - expected_ids
    changes = sum(ops_done[k] for k in ("create", "update", "share", "rotate", "delete"))
    total_ops = sum(ops_done.values())
    stale_refused = sum(r["stale_refused"] for r in got)
    unexpected_conflicts = sum(r["unexpected_conflicts"] for r in got)
    reads = sum(s["reads"] for s in read_stats)
    failed_reads = sum(s["failures"] for s in read_stats)
    half_written = sum(s["half_written"] for s in read_stats)
    went_back = sum(s["went_back"] for s in read_stats)
    tmp_left = [n for n in os.listdir(tmp_path) if ".tmp-" in n]
    print(
        f"\nload: {WRITERS} writers x {OPS} ops + {READERS} readers in {write_time:.1f} s "
        f"({total_ops / write_time:.0f} ops/s); ops done {total_ops} "
        + ", ".join(f"{k} {v}" for k, v in ops_done.items())
        + f"; stale saves refused as conflicts {stale_refused}/{ops_done['stale_update']}, unexpected conflicts "
        f"{unexpected_conflicts}; lost updates {len(lost)}; surviving apps {len(stored)}, strays {len(strays)}; "
        f"audit entries {len(audit)}/{changes}; reads {reads}, failed reads {failed_reads}, half-written reads "
        f"{half_written}, reads that went back in time {went_back}; file {path.stat().st_size // 1024} KiB"
    )
    assert total_ops == WRITERS * OPS
    assert lost == [], lost[:10]
    assert not strays
    assert unexpected_conflicts == 0
    assert stale_refused == ops_done["stale_update"] > 0
    assert len(audit) == changes  # one entry per change, none for a refused save
    assert reads > 0 and failed_reads == 0 and half_written == 0 and went_back == 0, [s["errors"] for s in read_stats]
    assert len({r["client_id"] for r in stored.values()}) == len(stored)
    assert tmp_left == []
    assert os.stat(path).st_mode & 0o777 == 0o600
