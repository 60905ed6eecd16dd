"""appdeck benchmark: every figure of issue 5 next to a floor measured in the same run, and the ratio.

    .venv/bin/python bench/run.py [--sizes 1000,10000,100000] [--out bench/results.json] [--trials 5]

Generates the stores (bench/generate.py, cached in --workdir), then per size:
- CLI: `appdeck apps list --json` wall time (subprocess, interpreter start included) vs `python -c` loading the
  same file with orjson;
- TUI start: the real `appdeck` in a pseudo-terminal (120x40), timed from fork to the first bytes on the terminal
  showing the product's text, the footer ("Quit": the first screen) and a row of data, vs bench/minimal_app.py
  (one line of text) in the same pty harness; peak RSS (VmHWM) of each once its rows are on screen;
- in-process TUI (bench/inproc.py, headless run_test): filter keystrokes, cursor move, details, live refresh,
  the RowList's own memory; floor: an Input whose handler does nothing (bench/inproc.py floor);
- store (bench/store_ops.py): create, update, share vs writing the same file atomically by hand.
Medians of several trials; gc.collect() between in-process trials. Writes a JSON file and prints a markdown
table. Other people may be running tests on this machine at the same time: the load average is recorded.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import platform
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import orjson

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
PY = sys.executable
APPDECK = str(VENV_BIN / "appdeck") if (VENV_BIN / "appdeck").exists() else None
ROWS, COLS = 40, 120
SETTLE = 2.0  # seconds the TUI runs after its first rows before its peak memory is read and it is told to quit
MB = 1024 * 1024

sys.path.insert(0, str(BENCH))
from generate import write_store  # noqa: E402
from minimal_app import MARKER  # noqa: E402


def med(xs: list[float | None]) -> float | None:
    ys = [x for x in xs if x is not None]
    return statistics.median(ys) if ys else None


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- stores ---------------------------------------------------------------------------------------------------


def store_for(n: int, workdir: Path) -> Path:
    path = workdir / f"store-{n}.json"
    if not path.exists() or path.stat().st_mtime < (BENCH / "generate.py").stat().st_mtime:
        t0 = time.perf_counter()
        write_store(n, path)
        log(f"  generated {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
    verify_store(path)
    return path


def verify_store(path: Path, user: str = "alice") -> None:
    """`appdeck store verify`, as an admin would after importing a store: a verified store is trusted on read."""
    out = subprocess.run(
        [sys.executable, "-m", "tui", "--store", str(path), "--user", user, "store", "verify"],
        capture_output=True, text=True, timeout=600,
    )
    if out.returncode != 0:
        raise SystemExit(f"store verify refused {path}: {out.stdout.strip()} {out.stderr.strip()}")


def first_row_name(path: Path, user: str, env: dict[str, str]) -> str:
    """The name of the first row the Developers view shows (the list is sorted by name). In a child process: this
    process forks the measured ones and must stay small (a fork copies its page tables)."""
    code = ("import sys; from store.controller import Controller; "
            "a = Controller(sys.argv[1], sys.argv[2], readonly=True).list_apps('developers'); print(a[0].name if a else '')")
    return subprocess.run([PY, "-c", code, str(path), user], capture_output=True, env=env, check=True,
                          text=True).stdout.strip()


def vm_hwm_kb(pid: int) -> int | None:
    """Peak RSS of the running program since its exec (VmHWM). wait4's ru_maxrss would also count the forked
    copy of this process from before the exec."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# -- a process in a pseudo-terminal -------------------------------------------------------------------------------


def pty_run(argv: list[str], markers: dict[str, bytes], env: dict[str, str], timeout: float = 120.0) -> dict[str, Any]:
    """Fork argv on a 120x40 pty; time from fork to the first output matching each marker; SETTLE seconds later
    read its peak RSS (VmHWM) and press q. Returns {marker: seconds}, the peak RSS (KB) and its exit status."""
    found: dict[str, float] = {}
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    buf = b""
    quit_sent = killed = False
    hwm = None
    t_all: float | None = None
    tail = max(len(p) for p in markers.values()) + 64
    scanned = 0
    while True:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            now = time.perf_counter()
            buf += chunk
            window = buf[max(0, scanned - tail):]
            for name, pat in markers.items():
                if name not in found and re.search(pat, window):
                    found[name] = now - t0
            scanned = len(buf)
        elapsed = time.perf_counter() - t0
        if len(found) == len(markers) and t_all is None:
            t_all = time.perf_counter()
        # The peak memory once the app has settled (the search keys are made in a thread after the first rows).
        if t_all is not None and not quit_sent and time.perf_counter() - t_all >= SETTLE:
            hwm = vm_hwm_kb(pid)
            os.write(fd, b"q")
            quit_sent, t_quit = True, time.perf_counter()
        if (quit_sent and time.perf_counter() - t_quit > 10) or elapsed > timeout:
            if not killed:
                os.kill(pid, signal.SIGKILL)
                killed = True
        if killed and not r:
            break
    _, status, ru = os.wait4(pid, 0)
    os.close(fd)
    return {"found": found, "maxrss_kb": hwm if hwm is not None else ru.ru_maxrss, "status": status, "killed": killed, "bytes": len(buf)}


def tui_start(path: Path, trials: int, user: str, env: dict[str, str]) -> dict[str, Any]:
    name = first_row_name(path, user, env)
    row_pat = re.escape(name[:14].encode()) + rb"|\b(?:SPA|M2M|RWA)\b" if name else rb"\b(?:SPA|M2M|RWA)\b"
    product = [APPDECK or PY, *([] if APPDECK else ["-m", "tui"]), "--store", str(path), "--user", user]
    minimal = [PY, str(BENCH / "minimal_app.py")]
    p_markers = {"frame": rb"appdeck", "screen": rb"Quit", "rows": row_pat}
    m_markers = {"frame": re.escape(MARKER.encode())}
    pty_run(product, p_markers, env)  # warm-up: page cache, .pyc files
    pty_run(minimal, m_markers, env)
    prod, mini = [], []
    for _ in range(trials):
        mini.append(pty_run(minimal, m_markers, env))
        prod.append(pty_run(product, p_markers, env))
    ms = lambda runs, k: med([r["found"].get(k) * 1000 if k in r["found"] else None for r in runs])  # noqa: E731
    return {
        "first_frame_ms": ms(prod, "frame"), "first_screen_ms": ms(prod, "screen"), "first_rows_ms": ms(prod, "rows"),
        "minimal_ms": ms(mini, "frame"),
        "maxrss_mb": med([r["maxrss_kb"] / 1024 for r in prod]), "minimal_maxrss_mb": med([r["maxrss_kb"] / 1024 for r in mini]),
        "samples": [r["found"] for r in prod], "minimal_samples": [r["found"] for r in mini],
        "missing": [sorted(set(p_markers) - set(r["found"])) for r in prod if len(r["found"]) < len(p_markers)],
    }


# -- the CLI --------------------------------------------------------------------------------------------------


def wall(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return (time.perf_counter() - t0) * 1000


def cli_list(path: Path, trials: int, user: str, env: dict[str, str]) -> dict[str, Any]:
    product = [APPDECK or PY, *([] if APPDECK else ["-m", "tui"]), "--store", str(path), "--user", user, "apps", "list", "--json"]
    floor = [PY, "-c", "import sys, orjson; orjson.loads(open(sys.argv[1], 'rb').read())", str(path)]
    wall(product, env)
    wall(floor, env)
    p, f = [], []
    for _ in range(trials):
        f.append(wall(floor, env))
        p.append(wall(product, env))
    return {"ms": med(p), "floor_ms": med(f), "samples": p, "floor_samples": f}


def child_json(argv: list[str], env: dict[str, str], timeout: float = 900) -> dict[str, Any]:
    proc = subprocess.run(argv, capture_output=True, env=env, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        log(proc.stderr.decode(errors="replace")[-3000:])
        return {"error": f"exit {proc.returncode}"}
    return orjson.loads(proc.stdout.strip().splitlines()[-1])


# -- the table ------------------------------------------------------------------------------------------------


def row(figure: str, size: int | None, value: float | None, floor: float | None, unit: str, target: str,
        max_ratio: float | None = None, max_value: float | None = None, note: str = "") -> dict[str, Any]:
    ratio = value / floor if value is not None and floor else None
    met: bool | None = None
    if max_ratio is not None or max_value is not None:
        met = value is not None
        if max_ratio is not None:
            met = met and ratio is not None and ratio <= max_ratio
        if max_value is not None:
            met = met and value is not None and value <= max_value
    return {"figure": figure, "size": size, "value": value, "floor": floor, "unit": unit, "ratio": ratio,
            "target": target, "met": met, "note": note}


def fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "ms":
        return f"{v:.1f} ms" if v >= 1 else f"{v:.2f} ms"
    if unit == "MB":
        return f"{v:.1f} MB"
    return f"{v:.3g} {unit}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| figure | size | value | floor | ratio | target | met? |", "|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        met = {True: "yes", False: "**NO**", None: "info"}[r["met"]]
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "—"
        size = f"{r['size']:,}" if r["size"] else "—"
        lines.append(f"| {r['figure']} | {size} | {fmt(r['value'], r['unit'])} | {fmt(r['floor'], r['unit'])} | {ratio} | "
                     f"{r['target']} | {met} |")
    return "\n".join(lines)


def figures_for(n: int, cli: dict[str, Any], start: dict[str, Any], inp: dict[str, Any], floor: dict[str, Any],
                ops: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    out.append(row("CLI `apps list --json`", n, cli.get("ms"), cli.get("floor_ms"), "ms", "<= 3x orjson load", max_ratio=3))
    mini = start.get("minimal_ms")
    out.append(row("TUI start: first frame (product text)", n, start.get("first_frame_ms"), mini, "ms", "info"))
    out.append(row("TUI start: first screen (footer drawn)", n, start.get("first_screen_ms"), mini, "ms",
                   "<= 1.25x minimal app", max_ratio=1.25))
    lim = 4.0 if n > 10_000 else 1.5
    out.append(row("TUI start: first rows", n, start.get("first_rows_ms"), mini, "ms", f"<= {lim:g}x minimal app", max_ratio=lim))
    key_floor = floor.get("key", {})
    abs_lim = 33.0 if n > 10_000 else 16.0
    labels = {"broad": "broad 'e'", "all": "all rows 'h'", "narrow": "narrow (5 chars)", "backspace_empty": "backspace to empty"}
    for kind, label in labels.items():
        f = inp.get(f"filter_{kind}", {})
        out.append(row(f"filter {label}: key to repaint", n, f.get("wall_ms"), key_floor.get("wall_ms"), "ms",
                       f"<= 2x floor and < {abs_lim:g} ms", max_ratio=2, max_value=abs_lim,
                       note=f"rows after {f.get('rows_after')}, lines rendered {f.get('lines_rendered_per_key')}"))
    for kind, label in (("in_page", "within the page"), ("scrolls", "scrolling the list")):
        c = inp.get(f"cursor_move_{kind}", {})
        out.append(row(f"cursor move (j) {label}: key to repaint", n, c.get("work_ms"), key_floor.get("work_ms"), "ms",
                       "<= 3 ms", max_value=3.0, note=f"lines rendered {c.get('lines_rendered_per_key')}"))
    d = inp.get("details", {})
    out.append(row("details pane update (show_details)", n, d.get("ms"), d.get("floor_ms"), "ms", "<= 1 ms", max_value=1.0))
    lr = inp.get("live_refresh", {})
    out.append(row("live refresh: poll_store + reload", n, lr.get("poll_ms"), lr.get("floor_parse_ms"), "ms",
                   "<= 1.3x orjson parse, gc paused", max_ratio=1.3,
                   note=f"to repaint {fmt(lr.get('to_repaint_ms'), 'ms')}; loads per change {lr.get('store_loads_per_change')}"))
    ld = inp.get("under_load", {})
    if ld:
        fl = key_floor.get("wall_p99_ms")
        out.append(row("key to repaint while another process saves every 200 ms: median", n, ld.get("wall_ms"),
                       key_floor.get("wall_ms"), "ms", "info",
                       note=f"{ld.get('keys')} keys, {ld.get('refreshes')} refreshes seen, saver {ld.get('saver')}"))
        if n > 10_000:
            out.append(row("key to repaint while another process saves every 200 ms: p99", n, ld.get("wall_p99_ms"), fl,
                           "ms", "< 33 ms", max_value=33.0, note=f"timeouts {ld.get('timeouts')}"))
        else:
            out.append(row("key to repaint while another process saves every 200 ms: p99", n, ld.get("wall_p99_ms"), fl,
                           "ms", "<= 2x the do-nothing key's p99", max_ratio=2, note=f"timeouts {ld.get('timeouts')}"))
    hand = ops.get("atomic_by_hand", {}).get("ms")
    for op in ("create", "update", "share"):
        v = ops.get(op, {}).get("ms")
        rmw = ops.get("raw_rmw", {}).get("ms")
        dw = ops.get("dump_and_write", {}).get("ms")
        out.append(row(f"store: {op} one app", n, v, hand, "ms", "<= 1.5x atomic write by hand", max_ratio=1.5,
                       note=f"vs raw orjson RMW {fmt(rmw, 'ms')} = {v / rmw:.2f}x; dump+write {fmt(dw, 'ms')}" if v and rmw and dw else ""))
    out.append(row("memory: TUI process peak RSS", n, start.get("maxrss_mb"), start.get("minimal_maxrss_mb"), "MB",
                   "<= 400 MB at 100k" if n >= 100_000 else "info", max_value=400.0 if n >= 100_000 else None))
    m = inp.get("rowlist_mem", {})
    tm = m.get("rowlist_bytes")
    out.append(row("memory: RowList own share (tracemalloc)", n, tm / MB if tm is not None else None, None, "MB", "< 10 MB",
                   max_value=10.0, note=f"getsizeof walk (upper bound, shared strings counted) {m.get('rowlist_walk_bytes', 0) / MB:.1f} MB; "
                        f"all traced at first rows {m.get('traced_total_bytes', 0) / MB:.0f} MB"))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description="appdeck benchmark (issue 5)")
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--out", type=Path, default=BENCH / "results.json")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/appdeck-bench"))
    p.add_argument("--trials", type=int, default=5, help="trials per figure (fewer for the store writes at 100k)")
    p.add_argument("--user", default="alice")
    p.add_argument("--markdown", type=Path, default=BENCH / "RESULTS.md")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    args.workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TERM="xterm-256color", APPDECK_CONFIG=str(args.workdir / "no-config.toml"),
               COLUMNS=str(COLS), LINES=str(ROWS), PYTHONPATH=str(ROOT))
    env.pop("NO_COLOR", None)
    # As installed: pip compiles the package, so the measured processes load .pyc files; this environment may say
    # not to write them, which would make every start compile the changed modules again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "store"), str(ROOT / "tui")], check=False)
    t_run = time.perf_counter()
    load_before = os.getloadavg()
    log(f"appdeck bench: sizes {sizes}, load average {load_before[0]:.2f} (other processes share this "
        f"{os.cpu_count()}-core machine: figures are medians, each next to a floor measured in the same run)")
    log("floor: Input keystroke (headless) ...")
    floor = child_json([PY, str(BENCH / "inproc.py"), "floor", "--trials", str(max(args.trials, 5))], env)
    results: dict[str, Any] = {"sizes": {}, "floor_key": floor}
    rows: list[dict[str, Any]] = []
    for n in sizes:
        t_size = time.perf_counter()
        log(f"size {n:,}:")
        path = store_for(n, args.workdir)
        trials = args.trials if n <= 10_000 else max(3, args.trials - 2)
        log("  CLI apps list --json ...")
        cli = cli_list(path, args.trials, args.user, env)
        log("  TUI start in a pty ...")
        start = tui_start(path, trials, args.user, env)
        log("  in-process TUI timings ...")
        inp = child_json([PY, str(BENCH / "inproc.py"), "tui", str(path), "--trials", str(max(trials, 5)), "--user", args.user], env)
        if n >= 10_000:
            log("  key latency while another process saves every 200 ms ...")
            inp["under_load"] = child_json([PY, str(BENCH / "inproc.py"), "load", str(path), "--keys", "200",
                                            "--user", args.user], env)
        log("  RowList memory (tracemalloc) ...")
        inp["rowlist_mem"] = child_json([PY, str(BENCH / "inproc.py"), "mem", str(path), "--user", args.user], env)
        log("  store writes ...")
        ops = child_json([PY, str(BENCH / "store_ops.py"), str(path), "--trials", str(trials if n <= 10_000 else 5),
                          "--user", args.user], env)
        results["sizes"][str(n)] = {"cli": cli, "tui_start": start, "inproc": inp, "store_ops": ops,
                                    "seconds": time.perf_counter() - t_size}
        rows += figures_for(n, cli, start, inp, floor, ops)
        log(f"  size {n:,} done in {time.perf_counter() - t_size:.0f} s")
    load_after = os.getloadavg()
    results["rows"] = rows
    results["meta"] = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"), "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": load_after,
        "seconds": time.perf_counter() - t_run, "terminal": f"{COLS}x{ROWS}",
    }
    args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    md = table(rows)
    header = (f"appdeck bench {results['meta']['when']}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
              f"load average {load_before[0]:.2f} -> {load_after[0]:.2f} (other sessions may be running tests on this "
              f"machine), {results['meta']['seconds']:.0f} s. Medians; the floor of each figure was measured in the same run.")
    notes = "\n".join(f"- {r['figure']} @ {r['size']:,}: {r['note']}" for r in rows if r["note"])
    args.markdown.write_text(f"{header}\n\n{md}\n\nNotes:\n{notes}\n", encoding="utf-8")
    print(header)
    print()
    print(md)
    print()
    print(f"results: {args.out}; table: {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
