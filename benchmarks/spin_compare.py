"""Head to head with SPIN on the same model (exported from the same IR).

Usage::

    python benchmarks/spin_compare.py counters:bench mainline:default

For each MODEL[:CONFIG]: SPIN's states and verifier time (BFS, no partial-order
reduction, compile time excluded) and the explorer's states and time without and
with symmetry.  SPIN stores one extra state (its process start) by construction.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.promela import run_spin
from ppcheck.models import get_model
from ppcheck.spec.model import build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("specs", nargs="*", default=["counters:bench"])
    ap.add_argument("--hash-bits", type=int, default=24)
    a = ap.parse_args()
    for spec in a.specs:
        name, _, cfg = spec.partition(":")
        system = build(get_model(name), cfg or "default")
        with tempfile.TemporaryDirectory() as d:
            sp = run_spin(system, d, hash_bits=a.hash_bits)
        row = [f"{spec:<24} SPIN {sp['states']:>10,} states {sp['seconds']:>7.2f}s"]
        for sym in (False, True):
            t0 = time.perf_counter()
            r = Explorer(system, symmetry=sym).run()
            el = time.perf_counter() - t0
            row.append(f"ppcheck{'+sym' if r.symmetry else '    '} {r.states:>10,} states {el:>7.2f}s")
        print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
