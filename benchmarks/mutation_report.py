"""The mutation kill table: every seeded implementation bug against every detector.

Usage: ``python benchmarks/mutation_report.py [--deep] [--markdown]``.  With the CI
bounds by default (the bounds of tests/test_impl_*.py); ``--deep`` runs the exhaustive
scopes to depth 40, 20 random seeds per configuration and 200 Hypothesis examples.
Prints one row per mutation: the detectors that killed it (with seconds) and the kill
rate.  A detector "kills" a mutation when it reports a non-conformance; each detector
passes on the unmutated implementation (tests/test_impl_conformance.py).
"""

from __future__ import annotations

import argparse
import sys
import time

from ppcheck.impl.mutation import detectors, run_mutation
from ppcheck.impl.switches import MUTATIONS


def kind(msg: str) -> str:
    if "invariant" in msg:
        return "inv"
    if "no spec counterpart" in msg:
        return "domain"
    if "not a transition" in msg or "spec has no action" in msg:
        return "step"
    if "WARN" in msg:
        return "warn"
    return "state"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deep", action="store_true", help="larger bounds than CI")
    ap.add_argument("--markdown", action="store_true", help="a Markdown table")
    ap.add_argument("--invariants-only", action="store_true",
                    help="also run detectors that check only the spec's invariants")
    ap.add_argument("mutations", nargs="*", default=list(MUTATIONS))
    a = ap.parse_args(argv)
    dets = detectors(ci=not a.deep, invariants_only=a.invariants_only)
    names = [d.__name__ for d in dets]
    t0 = time.perf_counter()
    killed = 0
    rows = []
    for m in a.mutations:
        ks = run_mutation(m, dets, stop_at_first=False)
        hit = [k for k in ks if k.killed]
        killed += bool(hit)
        rows.append((m, ks))
        first = hit[0] if hit else None
        print(f"{m}: killed by {len(hit)}/{len(ks)} detectors"
              + (f"; first {first.detector} ({kind(first.message)}, {first.seconds:.1f}s)" if first
                 else " -- SURVIVED"), file=sys.stderr, flush=True)
    if a.markdown:
        print("| mutation | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for m, ks in rows:
            cells = [f"{kind(k.message)} {k.seconds:.1f}s" if k.killed else "-" for k in ks]
            print(f"| `{m}` | " + " | ".join(cells) + " |")
    else:
        for m, ks in rows:
            print(m, " ".join(f"{k.detector}={'KILL' if k.killed else 'miss'}" for k in ks))
    print(f"\nkill rate: {killed}/{len(a.mutations)} ({time.perf_counter() - t0:.0f}s)")
    return 0 if killed == len(a.mutations) else 1


if __name__ == "__main__":
    sys.exit(main())
