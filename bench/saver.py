"""Another appdeck user saving every so often (the load of the "key latency while another process saves" figure).

    python bench/saver.py STORE --every 0.2 [--seconds 60]

Acts as the first editor or admin other than alice who owns an app; each save changes that app's description
through the controller (lock, fresh read, atomic write), like a person saving a form. Prints one JSON line at the
end: how many saves it made and their median time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store.controller import Controller


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("store", type=Path)
    p.add_argument("--every", type=float, default=0.2)
    p.add_argument("--seconds", type=float, default=120.0)
    args = p.parse_args()
    admin = Controller(args.store, "alice")
    app = next(a for a in admin.list_apps("developers") if a.owner != "alice")
    ctl = Controller(args.store, app.owner)
    times: list[float] = []
    end = time.monotonic() + args.seconds
    i = 0
    try:
        while time.monotonic() < end:
            t0 = time.perf_counter()
            ctl.update_app(app.id, {"description": f"saved by the bench saver, {i}"})
            times.append((time.perf_counter() - t0) * 1000)
            i += 1
            time.sleep(max(0.0, args.every - (time.perf_counter() - t0)))
    except KeyboardInterrupt:
        pass
    sys.stdout.write(orjson.dumps({"saves": len(times), "save_ms": statistics.median(times) if times else None}).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
