"""The spec-trace replay table of docs/kernel.md: every mainline witness (each default
configuration and percpu_destroy, found by the explorer now), every witness of seed 003's
pp003_before (mixed, mlx5, halves: the 6.1 code) and every stored counterexample
(counterexamples/*.json) replayed step for step on a kernel tree.

    python benchmarks/kernel_spec_replay.py /usr/src/linux-source-6.12.tar.xz [TREE...]

Prints, per tree, one Markdown row per trace (verdict and why) and the counts; the traces
go to a temporary directory.
"""

from __future__ import annotations

import collections
import os
import sys
import tempfile
import time
from pathlib import Path


def witnesses(out: Path) -> list[Path]:
    from ppcheck.checks.traces import write_trace
    from ppcheck.models.mainline import DEFAULT_CONFIGS
    from ppcheck.testing import check

    paths = []
    for cfg in (*DEFAULT_CONFIGS, "percpu_destroy"):
        _run, ex = check("mainline", cfg)
        for name, tr in sorted(ex.traces.items()):
            if tr.kind == "sometimes":
                paths.append(write_trace(tr, out / f"mainline-{cfg}-{name}.json"))
    for cfg in ("mixed", "mlx5", "halves"):
        _run, ex = check("pp003_before", cfg)
        for name, tr in sorted(ex.traces.items()):
            if tr.kind == "sometimes":
                paths.append(write_trace(tr, out / f"pp003_before-{cfg}-{name}.json"))
    return paths


def main(trees: list[str]) -> None:
    from ppcheck.checks.traces import load_trace
    from ppcheck.kernel.spec_replay import EXPLAINED, replay_spec_trace
    from ppcheck.kernel.tree import open_tree

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        wit = witnesses(Path(tmp))
        cex = sorted((root / "counterexamples").glob("*.json"))
        print(f"load {os.getloadavg()[0]:.1f}; {len(wit)} witnesses (mainline, pp003_before), "
              f"{len(cex)} stored counterexamples")
        for path in trees:
            tree = open_tree(path)
            print(f"\n### linux {tree.name}\n")
            print("| trace | kind | verdict | why |\n|---|---|---|---|")
            counts: dict[str, collections.Counter] = {"witness": collections.Counter(),
                                                      "counterexample": collections.Counter()}
            steps = kernel_steps = 0
            t0 = time.perf_counter()
            for p in [*wit, *cex]:
                tr = load_trace(p)
                kind = "witness" if tr.kind == "sometimes" and "witness" in (tr.message or "") \
                    else "counterexample"
                out = replay_spec_trace(tree, p)
                verdict = out.verdict
                if verdict in ("diverged", "not reproduced") and \
                        (tr.model, tr.config.get("name"), tr.property) in EXPLAINED:
                    verdict += " (explained)"
                counts[kind][verdict] += 1
                steps += out.steps
                kernel_steps += out.kernel_steps
                print(f"| {p.name} | {kind} | {verdict} | {out.detail.replace('|', '/')} |")
            dt = time.perf_counter() - t0
            print()
            for kind, c in counts.items():
                label = "witnesses" if kind == "witness" else "counterexamples"
                parts = ", ".join(f"{n} {v}" for v, n in sorted(c.items()))
                print(f"- {label}: {sum(c.values())}: {parts}")
            print(f"- {steps} spec steps as {kernel_steps} kernel steps in {dt:.1f} s "
                  f"(builds cached after the first; load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main(sys.argv[1:] or ["/usr/src/linux-source-6.12.tar.xz"])
