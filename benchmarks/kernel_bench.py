"""Figures of the kernel harness (docs/kernel.md): shim size, build time, kernel steps per
second through the ctypes boundary, states of every exhaustive scope, gcov line coverage.

    python benchmarks/kernel_bench.py /usr/src/linux-source-6.12.tar.xz [more trees]

Prints a Markdown table per tree. The build time is measured in a fresh cache directory.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main(paths: list[str]) -> None:
    from ppcheck.kernel import build as kbuild
    from ppcheck.kernel.coverage import line_coverage
    from ppcheck.kernel.driver import Kernel
    from ppcheck.kernel.explore import exhaustive, random_search
    from ppcheck.kernel.scenarios import FINDINGS, SCENARIOS
    from ppcheck.kernel.spec_map import spec_hook_for
    from ppcheck.kernel.tree import open_tree

    print(f"load: {os.getloadavg()[0]:.1f}; shim + harness lines: {kbuild.shim_lines()}")
    for path in paths:
        t0 = time.perf_counter()
        tree = open_tree(path)
        t_open = time.perf_counter() - t0
        old = os.environ.get("PPCHECK_CACHE")
        with tempfile.TemporaryDirectory() as d:
            os.environ["PPCHECK_CACHE"] = d
            b = kbuild.build(tree)
        if old is None:
            os.environ.pop("PPCHECK_CACHE")
        else:
            os.environ["PPCHECK_CACHE"] = old
        print(f"\n## linux {tree.name} ({path})\n")
        print(f"- open (extract if a tarball, cached afterwards): {t_open:.1f}s; build (2 TUs, gcc): "
              f"{b.seconds:.2f}s")
        k = Kernel(kbuild.build(tree))
        sc = next(s for s in SCENARIOS if s.name == "cross_cpu_free")
        r = random_search(k, sc, 300, seed=1)
        print(f"- random schedules of cross_cpu_free: {r.runs} runs, {r.steps:,} kernel steps in "
              f"{r.seconds:.2f}s = {r.steps / r.seconds:,.0f} steps/s (each step: one context to its "
              "next yield, then the C state read back)")
        print("\n| scenario | build | states | steps | depth | seconds | verdict |")
        print("|---|---|---|---|---|---|---|")
        for s in (*SCENARIOS, *FINDINGS):
            if not s.applies(tree.kver):
                continue
            kk = Kernel(kbuild.build(tree, rt=s.rt, fine=s.fine))
            res = exhaustive(kk, s, max_states=50000, spec=spec_hook_for(s, tree), timeout=600)
            verdict = ", ".join(sorted(res.violations)) or "holds"
            kind = "rt" if s.rt else "fine" if s.fine else "plain"
            print(f"| {s.name}{' (finding)' if s in FINDINGS else ''} | {kind} | {res.states:,} | "
                  f"{res.steps:,} | {res.max_depth} | {res.seconds:.1f} | {verdict}"
                  f"{'' if res.complete else ' (incomplete)'} |")
        done, total = line_coverage(tree)
        print(f"\n- gcov line coverage of page_pool.c under the suite: {done}/{total} = "
              f"{100 * done / total:.0f}%")


if __name__ == "__main__":
    main(sys.argv[1:] or ["/usr/src/linux-source-6.12.tar.xz", "/usr/src/linux-source-6.1.tar.xz"])
