"""Explorer backends side by side: ppcheck native (1 and N workers), ppcheck python, SPIN, Rumur.

Usage::

    python benchmarks/backends_bench.py                        # mainline:bench, counters:bench
    python benchmarks/backends_bench.py mainline:base --reps 5 --json out.json
    python benchmarks/backends_bench.py mainline:bench --engines native1,nativeN,spin
    python benchmarks/backends_bench.py counters:bench --engines native1,rumur --symmetry off

Every engine explores the same configuration (SPIN the ``ppcheck export`` Promela of it,
DFS, no partial-order reduction, compiled once, compile time excluded), each run in a fresh
process, the engines alternating run by run so that the machine's load falls on all of
them alike.  The repetitions are gathered into pyperf benchmarks (mean ± standard
deviation, and pyperf's JSON with ``--json``).  Printed per engine: distinct states, wall
and CPU seconds, states per second, bytes per state, and the ratio to the first engine.

Figures: ppcheck "run" is the whole ``Explorer.run()`` (symmetry soundness checks, trace
rebuilding and replay included; the cached C build and the interpreter start excluded),
"search" only its BFS loop.  ppcheck bytes/state is (peak RSS - RSS before the run) /
states; SPIN's is its own "equivalent memory usage for states" / states.  Rumur runs the
``ppcheck export --format murphi`` program (one verifier thread, deadlock detection off,
compiled once with ``cc -O3``, compile time excluded); its bytes/state is the verifier's
peak RSS / states.  Rumur has no symmetry run: the export has no scalarsets
(``checks/murphi.py``, ``symmetry_obstacle``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ENGINES = ("native1", "nativeN", "python", "spin", "rumur")


def _worker(engine: str, spec: str, sym: bool) -> dict[str, Any]:
    """One exploration in this process; the figures as a dict."""
    from ppcheck.checks.explorer import Explorer, peak_rss
    from ppcheck.checks.native.explorer import NativeExplorer, default_workers
    from ppcheck.models import get_model
    from ppcheck.spec import build

    name, _, cfg = spec.partition(":")
    system = build(get_model(name), cfg or "default")
    if engine == "python":
        ex: Any = Explorer(system, symmetry=sym)
    else:
        workers = 1 if engine == "native1" else default_workers()
        ex = NativeExplorer(system, symmetry=sym, workers=workers)
        ex._load()  # the build is cached: keep its loading out of the figures
    before = _rss()
    cpu0 = _cpu(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    run = ex.run()
    wall = time.perf_counter() - t0
    cpu = _cpu(resource.RUSAGE_SELF) - cpu0
    return {"states": run.states, "transitions": run.transitions, "complete": run.complete,
            "symmetry": run.symmetry, "wall": wall, "cpu": cpu,
            "search": getattr(ex, "search_seconds", wall),
            "bytes_per_state": (peak_rss() - before) / max(run.states, 1),
            "store_bytes_per_state": getattr(ex, "store_bytes", 0) / max(run.states, 1)}


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _ppcheck(engine: str, spec: str, sym: bool) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--worker", engine, spec, str(int(sym))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class Spin:
    """SPIN on the exported Promela of one configuration, built once."""

    def __init__(self, spec: str, workdir: str):
        from ppcheck.checks.promela import to_promela
        from ppcheck.models import get_model
        from ppcheck.spec import build

        name, _, cfg = spec.partition(":")
        self.dir = workdir
        Path(workdir, "model.pml").write_text(to_promela(build(get_model(name), cfg or "default")))
        subprocess.run(["spin", "-a", "model.pml"], cwd=workdir, check=True, capture_output=True)
        subprocess.run(["cc", "-O2", "-DNOREDUCE", "-DSAFETY", "-DVECTORSZ=4096", "-o", "pan", "pan.c"],
                       cwd=workdir, check=True, capture_output=True)

    def run(self, states_hint: int) -> dict[str, Any]:
        """One verifier run; the hash table and DFS stack sized from the state count."""
        w = max(16, (2 * states_hint).bit_length())
        depth = max(10_000, 2 * states_hint)
        cpu0 = _cpu(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run(["./pan", "-E", "-c0", f"-m{depth}", f"-w{w}"], cwd=self.dir,
                           capture_output=True, text=True)
        wall = time.perf_counter() - t0
        cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu0

        def grab(pat: str) -> float:
            m = re.search(pat, r.stdout)
            if not m:
                raise RuntimeError(f"unexpected SPIN output: {r.stdout[-400:]}")
            return float(m.group(1))

        states = int(grab(r"(\d+) states, stored"))
        mem = grab(r"([\d.]+)\s+equivalent memory usage for states")
        return {"states": states, "transitions": int(grab(r"(\d+) transitions")), "complete": True,
                "symmetry": False, "wall": wall, "cpu": cpu, "search": wall,
                "bytes_per_state": mem * 1048576 / max(states, 1), "store_bytes_per_state": 0.0}


class Rumur:
    """Rumur's verifier for the exported Murphi of one configuration, built once."""

    def __init__(self, spec: str, workdir: str):
        from ppcheck.checks.murphi import build_rumur
        from ppcheck.models import get_model
        from ppcheck.spec import build

        name, _, cfg = spec.partition(":")
        os.makedirs(workdir, exist_ok=True)
        self.exe = build_rumur(build(get_model(name), cfg or "default"), workdir, threads=1)
        self.dir = workdir

    def run(self, states_hint: int) -> dict[str, Any]:
        """One verifier run; wall, CPU and peak RSS of that process alone (wait4)."""
        from ppcheck.checks.murphi import parse_rumur

        t0 = time.perf_counter()
        p = subprocess.Popen([self.exe], cwd=self.dir, stdout=subprocess.PIPE, text=True)
        out = p.stdout.read() if p.stdout else ""
        _, _, ru = os.wait4(p.pid, 0)
        p.returncode = 0
        wall = time.perf_counter() - t0
        got = parse_rumur(out)
        return {"states": got["states"], "transitions": got["transitions"], "complete": got["errors"] == 0,
                "symmetry": False, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "search": wall,
                "bytes_per_state": ru.ru_maxrss * 1024 / max(got["states"], 1), "store_bytes_per_state": 0.0}


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("specs", nargs="*", default=["mainline:bench", "counters:bench"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--symmetry", choices=["off", "on", "both"], default="both")
    ap.add_argument("--json", dest="json_out", help="write the pyperf benchmark suite here")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        engine, spec, sym = a.worker
        print(json.dumps(_worker(engine, spec, sym == "1")))
        return
    import pyperf

    engines = a.engines.split(",")
    if "spin" in engines and not (shutil.which("spin") and shutil.which("cc")):
        print("spin: skipped (spin or cc not installed)")
        engines.remove("spin")
    from ppcheck.checks.murphi import rumur_available

    if "rumur" in engines and not rumur_available():
        print("rumur: skipped (rumur or cc not installed)")
        engines.remove("rumur")
    syms = {"off": [False], "on": [True], "both": [False, True]}[a.symmetry]
    benches = []
    for spec in a.specs:
        with tempfile.TemporaryDirectory() as d:
            spin = Spin(spec, d) if "spin" in engines else None
            rumur = Rumur(spec, os.path.join(d, "rumur")) if "rumur" in engines else None
            for sym in syms:
                # SPIN has no symmetry; nor has the Murphi export (no scalarsets)
                todo = [e for e in engines if not (sym and e in ("spin", "rumur"))]
                # warm the native build cache once, outside the figures
                if any(e.startswith("native") for e in todo):
                    _ppcheck("native1", "counters:default", False)
                rows: dict[str, list[dict[str, Any]]] = {e: [] for e in todo}
                loads: list[str] = []
                for _ in range(a.reps):
                    for e in todo:  # alternating, run by run
                        loads.append(_load())
                        hint = next((r[0]["states"] for r in rows.values() if r), 1 << 20)
                        if e in ("spin", "rumur"):
                            rows[e].append((spin if e == "spin" else rumur).run(hint))  # type: ignore[union-attr]
                        else:
                            rows[e].append(_ppcheck(e, spec, sym))
                title = f"{spec} symmetry {'on' if sym else 'off'}"
                print(f"\n{title}  (1-min load during the runs: {min(loads)}..{max(loads)}, "
                      f"{os.cpu_count()} cores)")
                base = None
                for e in todo:
                    rs = rows[e]
                    bench = pyperf.Benchmark([pyperf.Run([r["wall"] for r in rs], warmups=None,
                                                         metadata={"name": f"{title} {e}", "unit": "second",
                                                                   "loops": 1})])
                    benches.append(bench)
                    wall = bench.mean()
                    cpu = sum(r["cpu"] for r in rs) / len(rs)
                    states = rs[0]["states"]
                    bps = sum(r["bytes_per_state"] for r in rs) / len(rs)
                    base = base or wall
                    sd = bench.stdev() if len(rs) > 1 else 0.0
                    print(f"  {e:<8} {states:>10,} states  wall {wall:7.2f}s ±{sd:5.2f}  cpu {cpu:7.2f}s  "
                          f"{states / wall:>10,.0f} states/s  search {rs[0]['search']:6.2f}s  "
                          f"{bps:6.1f} B/state  x{base / wall:5.2f} vs {todo[0]}")
    if a.json_out:
        pyperf.BenchmarkSuite(benches).dump(a.json_out, replace=True)


if __name__ == "__main__":
    main()
