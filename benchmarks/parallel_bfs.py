"""The native explorer's parallel BFS: one worker against N, alternating, with the serial part.

Usage::

    python benchmarks/parallel_bfs.py                          # the three default configurations
    python benchmarks/parallel_bfs.py mainline:coalesce --reps 5 --workers 2
    python benchmarks/parallel_bfs.py counters:bench:sym --json out.json

A configuration is ``model:config`` (symmetry off) or ``model:config:sym``.  Every run is a
fresh process (the cached C build loaded before the clock starts), the one-worker and the
N-worker runs alternating run by run so that the machine's load falls on both alike.

Printed per configuration and worker count: states, wall seconds (median, min..max), CPU
seconds, states per second, and the 1-minute load average around the runs; then the ratio
(the median of the pairwise one-worker / N-worker walls), and the figures the load does not
move much, taken from the C search's own CPU accounts (``NativeExplorer.profile``):

* ``serial``: the share of the N-worker run's work that one thread does while the others
  wait (growth of the table and arrays below the pool's threshold, the bookkeeping between
  rounds, the Python loop between chunks);
* ``overhead``: the N-worker run's work (CPU) over the one-worker run's;
* ``bound``: the speed-up over one worker that N workers reach with N free cores if the
  parallel part divides perfectly: one-worker work / (serial + parallel / N), CPU seconds.

The wall ratio is the measured speed-up; on a shared machine it is only as good as the
load: with more runnable processes than cores a second thread gets no second core.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

DEFAULT = ["mainline:bench", "mainline:coalesce", "counters:bench"]


def _worker(spec: str, workers: int) -> dict[str, Any]:
    """One exploration in this process; the figures as a dict."""
    from ppcheck.checks.native.explorer import NativeExplorer
    from ppcheck.models import get_model
    from ppcheck.spec import build

    name, cfg, sym = _parse(spec)
    ex = NativeExplorer(build(get_model(name), cfg), symmetry=sym, workers=workers)
    ex._load()  # the build is cached: keep its loading out of the figures
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    run = ex.run()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    return {"states": run.states, "transitions": run.transitions, "complete": run.complete,
            "wall": wall, "cpu": cpu, "search": ex.search_seconds, "profile": ex.profile}


def _parse(spec: str) -> tuple[str, str, bool]:
    parts = spec.split(":")
    if not 1 <= len(parts) <= 3 or (len(parts) == 3 and parts[2] not in ("sym", "nosym")):
        raise SystemExit(f"parallel_bfs: bad configuration {spec!r} (model:config[:sym])")
    return parts[0], (parts[1] if len(parts) > 1 else "default"), len(parts) == 3 and parts[2] == "sym"


def _run(spec: str, workers: int) -> dict[str, Any]:
    load = os.getloadavg()[0]
    out = subprocess.run([sys.executable, __file__, "--worker", spec, str(workers)],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"parallel_bfs: the run of {spec} failed: {out.stderr.strip()[-400:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["load"] = max(load, os.getloadavg()[0])
    return r


def _serial(p: dict[str, float], n: int, base_work: float) -> tuple[float, float]:
    """(serial share of the work, speed-up bound over one worker of ``base_work``)."""
    serial = p["serial_cpu"] + p["python"]
    par = p["expand_cpu"] + p["settle_cpu"] + p["room_cpu"]
    return serial / (serial + par), base_work / (serial + par / n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("specs", nargs="*", default=DEFAULT, help="model:config[:sym]")
    ap.add_argument("--reps", type=int, default=3, help="runs of each worker count")
    ap.add_argument("--workers", type=int, default=2, help="the worker count set against one")
    ap.add_argument("--json", dest="json_out", help="write every run's figures here")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(_worker(a.worker[0], int(a.worker[1]))))
        return
    if a.reps < 1 or a.workers < 2:
        raise SystemExit("parallel_bfs: --reps must be >= 1 and --workers >= 2")
    for spec in a.specs:
        _parse(spec)
    n, every = a.workers, {}
    print(f"{os.cpu_count()} cores; workers 1 against {n}, {a.reps} runs each, alternating")
    for spec in a.specs:
        _run(spec, 1)  # warm: the build cache, the page cache
        rows: dict[int, list[dict[str, Any]]] = {1: [], n: []}
        for _ in range(a.reps):
            for w in (1, n):
                rows[w].append(_run(spec, w))
        every[spec] = rows
        one, many = rows[1], rows[n]
        if {r["states"] for r in one} != {r["states"] for r in many}:
            raise SystemExit(f"parallel_bfs: {spec}: the worker counts stored different state counts")
        states = one[0]["states"]
        print(f"\n{spec}  ({states:,} states, complete: {one[0]['complete']})")
        for w, rs in rows.items():
            walls = [r["wall"] for r in rs]
            wall = statistics.median(walls)
            cpu = statistics.median(r["cpu"] for r in rs)
            loads = [r["load"] for r in rs]
            print(f"  workers {w:<2} wall {wall:7.2f}s ({min(walls):.2f}..{max(walls):.2f})  "
                  f"cpu {cpu:7.2f}s  {states / wall:>10,.0f} states/s  "
                  f"load {min(loads):.1f}..{max(loads):.1f}")
        ratios = [x["wall"] / y["wall"] for x, y in zip(one, many)]
        base_work = statistics.median(r["profile"]["work"] for r in one)
        fr = [_serial(r["profile"], n, base_work) for r in many]
        over = statistics.median(r["profile"]["work"] for r in many) / base_work
        print(f"  ratio 1/{n} workers (wall, pairwise) {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}..{max(ratios):.2f})")
        print(f"  serial {statistics.median(f for f, _ in fr):.1%} of the work  overhead x{over:.3f}  "
              f"bound with {n} free cores {statistics.median(b for _, b in fr):.2f}x  "
              f"(one-worker serial {statistics.median(r['profile']['serial'] for r in one):.1%})")
    if a.json_out:
        with open(a.json_out, "w") as fh:
            json.dump(every, fh, indent=1)


if __name__ == "__main__":
    main()
