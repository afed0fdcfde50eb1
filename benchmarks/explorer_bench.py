"""Explorer benchmark: distinct states, transitions, states/s and memory per state.

Usage::

    python benchmarks/explorer_bench.py                     # counters/bench (the 1M-state target)
    python benchmarks/explorer_bench.py mainline:default mainline:big --both

Each run happens in a fresh subprocess so peak memory is its own.  "bytes/state" is
(peak RSS - RSS before exploring) / distinct states: the visited set, the state list,
parent links and every transient the search needed, not an estimate of one of them.
Target on counters/bench, one core: >= 150k distinct states/s, <= 200 bytes/state.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def one(spec: str, symmetry: bool) -> dict:
    from ppcheck.checks.explorer import Explorer
    from ppcheck.models import get_model
    from ppcheck.spec.model import build

    name, _, cfg = spec.partition(":")
    system = build(get_model(name), cfg or "default")
    Explorer(system, symmetry=symmetry, max_states=10).run()  # warm up imports and codegen
    base = _rss()
    t0 = time.perf_counter()
    run = Explorer(system, symmetry=symmetry).run()
    el = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"model": name, "config": system.config.name, "symmetry": run.symmetry,
            "states": run.states, "transitions": run.transitions, "depth": run.depth,
            "seconds": round(el, 3), "states_per_s": round(run.states / el),
            "peak_mib": round(peak / 2**20, 1),
            "bytes_per_state": round(max(0, peak - base) / max(1, run.states), 1),
            "complete": run.complete,
            "verdicts": {r.name: r.status for r in run.results}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("specs", nargs="*", default=["counters:bench"], help="MODEL[:CONFIG] ...")
    ap.add_argument("--no-symmetry", action="store_true")
    ap.add_argument("--both", action="store_true", help="run with and without symmetry")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one, not a.no_symmetry)))
        return
    modes = [True, False] if a.both else [not a.no_symmetry]
    rows = []
    for spec in a.specs:
        for sym in modes:
            cmd = [sys.executable, __file__, "--one", spec] + ([] if sym else ["--no-symmetry"])
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{spec}: failed: {r.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                continue
            rows.append(json.loads(r.stdout))
            row = rows[-1]
            if not a.json:
                print(f"{row['model']}:{row['config']:<10} symmetry {'on ' if row['symmetry'] else 'off'}"
                      f" {row['states']:>11,} states {row['transitions']:>12,} transitions"
                      f" depth {row['depth']:>3} {row['seconds']:>8.2f}s {row['states_per_s']:>9,} states/s"
                      f" peak {row['peak_mib']:>7.1f} MiB {row['bytes_per_state']:>6.1f} B/state",
                      flush=True)
    if a.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
