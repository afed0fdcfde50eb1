"""The main job, ``ppcheck check --json --out DIR`` (every default model and configuration),
timed: CPU seconds (user + system of the process and its children), wall seconds and the
load average around each run.

Usage::

    python benchmarks/main_job.py                 # one warm-up run, then 3 measured runs
    python benchmarks/main_job.py --reps 5 --backend python
    python benchmarks/main_job.py --profile out.raw   # one run under py-spy (if installed)
    python benchmarks/main_job.py --modes seq1,seq2,pool2,default --reps 3
                      # alternating rounds of the ways to use two cores (MODES below)

The warm-up run fills the native build cache (``$PPCHECK_CACHE``), so the measured runs
time the job as CI and a developer see it after the first build.  On a shared machine CPU
seconds are the honest figure: wall time depends on how many other processes run.

Issue 12 asks for the main job under 20 s.  Figures (2 cores shared by other sessions,
load ~5-12; CPU s user+system, the median of the measured runs), native backend:

==============================================  ======  ==================
step                                            CPU s   wall s (load)
==============================================  ======  ==================
before (7f55b5e: liveness on networkx)           14.5   46-50 (5-6)
leads_to decided in C (liveness.c)                7.2   29 (12)
+ build cache without regenerating the C          6.3   31 (11)
+ symmetry soundness probe in C                   6.5   26 (13)
main at 19:20 (25 runs: threaded, busypoll)       7.0   46 (12)
==============================================  ======  ==================
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

#: the ways of running the main job that ``--modes`` compares
MODES = {
    "seq1": ["--jobs", "1", "--workers", "1"],   # one run at a time, one BFS thread
    "seq2": ["--jobs", "1", "--workers", "2"],   # one run at a time, two BFS threads (the old default)
    "pool2": ["--jobs", "2"],                    # two runs at once, one thread each
    "default": [],                               # what ppcheck chooses (load-aware)
}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def run_once(extra: list[str]) -> tuple[float, float, tuple[float, float], int]:
    """(CPU s, wall s, load average before/after, exit code) of one main job."""
    out = tempfile.mkdtemp(prefix="ppcheck-main-job-")
    try:
        cmd = [sys.executable, "-m", "ppcheck.cli", "check", "--json", "--out", out, *extra]
        load0, c0, t0 = os.getloadavg()[0], _cpu(), time.perf_counter()
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        return cpu, wall, (load0, os.getloadavg()[0]), rc
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _line(cpu: float, wall: float, load: tuple[float, float], rc: int) -> str:
    return f"CPU {cpu:6.2f} s  wall {wall:6.1f} s  load {load[0]:.1f}-{load[1]:.1f}  exit {rc}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--backend", choices=["native", "python"], default=None)
    ap.add_argument("--no-warmup", action="store_true")
    ap.add_argument("--profile", metavar="RAW", help="one run under py-spy, raw samples to RAW")
    ap.add_argument("--modes", help=f"compare these, comma-separated, in alternating rounds: "
                                    f"{', '.join(MODES)}")
    a = ap.parse_args()
    extra = ["--backend", a.backend] if a.backend else []
    if a.modes:
        return compare([m.strip() for m in a.modes.split(",")], a.reps, extra, not a.no_warmup)
    if a.profile:
        spy = shutil.which("py-spy")
        if spy is None:
            print("py-spy is not installed", file=sys.stderr)
            return 2
        out = tempfile.mkdtemp(prefix="ppcheck-main-job-")
        subprocess.run([spy, "record", "-r", "200", "-f", "raw", "-o", a.profile, "--native", "--",
                        sys.executable, "-m", "ppcheck.cli", "check", "--json", "--out", out, *extra],
                       stdout=subprocess.DEVNULL)
        shutil.rmtree(out, ignore_errors=True)
        return 0
    if not a.no_warmup:
        cpu, wall, load, rc = run_once(extra)
        print(f"warm-up    {_line(cpu, wall, load, rc)}")
    cpus = []
    for i in range(a.reps):
        cpu, wall, load, rc = run_once(extra)
        cpus.append(cpu)
        print(f"run {i + 1:<6} {_line(cpu, wall, load, rc)}")
    if cpus:
        print(f"median CPU {statistics.median(cpus):.2f} s over {len(cpus)} runs "
              f"(min {min(cpus):.2f}, max {max(cpus):.2f})")
    return 0


def compare(modes: list[str], reps: int, extra: list[str], warmup: bool) -> int:
    """Alternating rounds of every mode (so a change of the machine's load falls on all of
    them alike); per mode the median wall and CPU, the load range and the largest process."""
    bad = [m for m in modes if m not in MODES]
    if bad:
        print(f"unknown mode {bad[0]!r} (known: {', '.join(MODES)})", file=sys.stderr)
        return 2
    if warmup:
        cpu, wall, load, rc = run_once(extra)
        print(f"warm-up    {_line(cpu, wall, load, rc)}")
    got: dict[str, list[tuple[float, float, tuple[float, float]]]] = {m: [] for m in modes}
    for r in range(reps):
        for m in modes:
            cpu, wall, load, rc = run_once([*MODES[m], *extra])
            got[m].append((cpu, wall, load))
            print(f"round {r + 1} {m:<8} {_line(cpu, wall, load, rc)}", flush=True)
    print(f"\n{'mode':<8} {'wall s (median)':>16} {'CPU s (median)':>15}  load      (largest process "
          f"{_rss_kib() / 1024:.0f} MiB)")
    for m in modes:
        walls = [w for _, w, _ in got[m]]
        cpus = [c for c, _, _ in got[m]]
        loads = [x for _, _, ld in got[m] for x in ld]
        print(f"{m:<8} {statistics.median(walls):16.1f} {statistics.median(cpus):15.2f}  "
              f"{min(loads):.1f}-{max(loads):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
