"""Re-run chosen mutants of mainline on the current commit (all default configurations).

Usage: ``python benchmarks/mutation_rerun.py IDS.txt OUT.jsonl [BUDGET]``: IDS.txt holds mutant
ids (``action:siteN:operator:detail``, one per line or space separated, e.g. the ids of a
``ppcheck mutate --log`` file whose verdicts were not a kill).  Probes the model once (native
backend), runs those mutants through ``checks.mutate_native.run_all`` with one job and writes
each verdict as a JSON line in the ``--log`` format.  Prints the probe and total seconds.
Killed and exactly-equivalent verdicts cannot change when properties are added or the
equivalence gets finer, so re-running the rest of a sample gives the sample's new figure.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ppcheck.checks import mutate as mt
from ppcheck.checks import mutate_native as mn
from ppcheck.models import get_model


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: mutation_rerun.py IDS.txt OUT.jsonl [BUDGET]", file=sys.stderr)
        return 2
    ids = set(Path(argv[0]).read_text().split())
    budget = float(argv[2]) if len(argv) == 3 else 120.0
    model = get_model("mainline")
    t0 = time.perf_counter()
    pr = mt.probe(model, [model.config(n) for n in model.default_configs], backend="native")
    print(f"probe {time.perf_counter() - t0:.0f}s", flush=True)
    sel = [(i, m) for i, m in enumerate(mt.plan(pr)) if m.id in ids]
    missing = ids - {m.id for _, m in sel}
    if missing:
        print(f"not in today's plan: {', '.join(sorted(missing))}", file=sys.stderr)
    res, interrupted = mn.run_all(pr, sel, budget, 1)
    with open(argv[1], "w") as f:
        for r in res:
            f.write(json.dumps(r.to_json()) + "\n")
    print(f"{len(res)} mutants, {time.perf_counter() - t0:.0f}s, interrupted={interrupted}")
    return 3 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
