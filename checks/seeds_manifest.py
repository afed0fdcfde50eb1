"""The seeds manifest: expected verdicts of every seed design, recorded from real runs.

``python -m ppcheck.checks.seeds_manifest --update`` explores every (model, configuration)
of :data:`PLAN`, writes each violation's shortest counterexample to ``counterexamples/``,
computes the declared ratios (seed 003's truesize argument), runs ``ppcheck diff`` on
every pair of :data:`PAIRS`, and stores it all in ``seeds_manifest.json``.  Nothing in
that file is typed by hand.  ``--check`` re-runs and lists every difference (exit 1);
``tests/test_seeds.py`` does the same in CI for the entries fast enough.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from ppcheck.models import get_model
from ppcheck.spec.model import build

from .diff import diff
from .explorer import Explorer
from .quantity import max_ratios

MANIFEST = Path("seeds_manifest.json")
CE_DIR = Path("counterexamples")
VERSION = 1
#: entries slower than this (seconds, as recorded) are re-run by ``tests/test_seeds.py`` only
#: with ``-m slow`` (``--check`` re-runs everything); their stored traces are replayed always
SLOW = 3.0

#: (seed, model, configuration)
PLAN: list[tuple[str, str, str]] = [
    *[("000", m, c) for m in ("pp000_refcnt1", "pp000_refcnt0", "pp000_merged")
      for c in ("default", "process_alloc")],
    ("000", "pp000_merged", "three"),
    *[("001", m, "default") for m in (
        "pp001_v5", "pp001_keep_page_pp", "pp001_expand_keeps_recycle", "pp001_coalesce_adopt",
        "pp001_coalesce_or", "pp001_v5_no_magic", "pp001_coalesce_or_no_magic",
        "pp001_merged_514", "pp001_v518", "pp001_v63")],
    ("002", "pp002_page", "small"), ("002", "pp002_netmem", "small"),
    ("002", "pp002_netmem_no_direct", "small"), ("002", "pp002_netmem_pp_ref", "small"),
    ("002", "pp002_net_iov", "small"), ("002", "pp002_net_iov", "devmem"),
    *[("002", m, "devmem") for m in ("pp002_iov_put_page", "pp002_iov_refcount",
                                     "pp002_iov_dma_sync")],
    *[("003", m, c) for m in ("pp003_before", "pp003_unified_v2", "pp003_mainline")
      for c in ("mixed", "mlx5", "halves", "overlap")],
    *[("003", "pp003_monofrag", c) for c in ("mixed", "halves", "overlap")],
    ("003", "pp003_monofrag_overlap", "overlap"),
    *[("004", "pp004_mainline", c)
      for c in ("reuse", "rt", "nort", "percpu", "percpu_rt", "percpu_destroy")],
    *[("004", "pp004_first_merged", c) for c in ("reuse", "rt", "nort", "percpu")],
    *[("004", "pp004_v64", c) for c in ("reuse", "rt", "nort")],
    ("004", "pp004_no_unlink", "reuse"),
    ("004", "pp004_no_rt_check", "rt"), ("004", "pp004_no_rt_check", "percpu_rt"),
    ("004", "pp004_no_cpuid_reset", "percpu_destroy"),
]

#: (seed, model A, model B, configuration) for ``ppcheck diff``
PAIRS: list[tuple[str, str, str, str]] = [
    ("000", "pp000_refcnt1", "pp000_refcnt0", "default"),
    ("000", "pp000_refcnt1", "pp000_refcnt0", "process_alloc"),
    ("000", "pp000_refcnt0", "pp000_merged", "default"),
    ("001", "pp001_v5", "pp001_keep_page_pp", "default"),
    ("001", "pp001_v5", "pp001_expand_keeps_recycle", "default"),
    ("001", "pp001_v5", "pp001_coalesce_adopt", "default"),
    ("001", "pp001_v5", "pp001_coalesce_or", "default"),
    ("001", "pp001_v5", "pp001_merged_514", "default"),
    ("001", "pp001_merged_514", "pp001_v518", "default"),
    ("001", "pp001_v518", "pp001_v63", "default"),
    ("002", "pp002_page", "pp002_netmem", "nodestroy"),
    ("002", "pp002_page", "pp002_netmem_no_direct", "nodestroy"),
    ("002", "pp002_page", "pp002_netmem_pp_ref", "nodestroy"),
    ("002", "pp002_page", "pp002_net_iov", "nodestroy"),
    *[("002", "pp002_net_iov", m, "devmem") for m in ("pp002_iov_put_page", "pp002_iov_refcount",
                                                      "pp002_iov_dma_sync")],
    ("003", "pp003_before", "pp003_unified_v2", "mixed"),
    ("003", "pp003_before", "pp003_unified_v2", "mlx5"),
    ("003", "pp003_before", "pp003_unified_v2", "overlap"),
    ("003", "pp003_unified_v2", "pp003_monofrag", "mixed"),
    ("003", "pp003_unified_v2", "pp003_monofrag", "overlap"),
    ("003", "pp003_monofrag", "pp003_monofrag_overlap", "overlap"),
    ("003", "pp003_unified_v2", "pp003_mainline", "mixed"),
    ("004", "pp004_first_merged", "pp004_mainline", "rt"),
    ("004", "pp004_first_merged", "pp004_mainline", "nort"),
    ("004", "pp004_mainline", "pp004_no_rt_check", "rt"),
    ("004", "pp004_first_merged", "pp004_mainline", "reuse"),
    ("004", "pp004_mainline", "pp004_no_unlink", "reuse"),
    ("004", "pp004_first_merged", "pp004_v64", "reuse"),
    ("004", "pp004_v64", "pp004_mainline", "nort"),
    ("004", "pp004_v64", "pp004_mainline", "rt"),
    ("004", "pp004_mainline", "pp004_no_cpuid_reset", "percpu_destroy"),
]


def run_key(model: str, config: str) -> str:
    return f"{model}/{config}"


def pair_key(a: str, b: str, config: str) -> str:
    return f"{a}..{b}/{config}"


def record_run(seed: str, model: str, config: str, out_dir: Path | None = CE_DIR) -> dict[str, Any]:
    """Explore one design on one configuration: verdicts, counts, traces, ratios."""
    m = get_model(model)
    system = build(m, config)
    ex = Explorer(system, out_dir=out_dir)
    run = ex.run()
    entry: dict[str, Any] = {
        "seed": seed, "model": model, "config": config, "fingerprint": run.fingerprint,
        "complete": run.complete, "states": run.states, "transitions": run.transitions,
        "depth": run.depth, "symmetry": run.symmetry, "seconds": round(run.seconds, 2),
        "verdicts": {r.name: r.status for r in run.results},
        "trace_lengths": {r.name: r.trace_length for r in run.results
                          if r.status == "violated" and r.trace_length is not None},
        "traces": sorted(Path(f).name for r in run.results
                         if r.status == "violated" and (f := r.trace_file)),
        "never_fired": run.never_fired(),
    }
    ratios = max_ratios(m, config, explorer=ex)
    if ratios:
        entry["ratios"] = {k: (None if v.max is None else str(v.max)) for k, v in ratios.items()}
    return entry


def record_pair(seed: str, a: str, b: str, config: str) -> dict[str, Any]:
    """``ppcheck diff A B``, summarised."""
    t0 = time.perf_counter()
    d = diff(get_model(a), get_model(b), config)
    eq = d.equivalence.get("equivalent")
    return {
        "seed": seed, "a": a, "b": b, "config": config,
        "verdict_changes": {c["property"]: [c["a"], c["b"]] for c in d.verdict_changes},
        "new_violations": sorted(n["property"] for n in d.new_violations),
        "failure_changes": {f["property"]: [f["a"], f["b"]] for f in d.failure_changes},
        "states": {k: d.states[k] for k in ("a", "b", "common", "only_a", "only_b")},
        "transitions": {k: d.transitions[k] for k in ("a", "b", "common", "only_a", "only_b")},
        "equivalent": eq, "behaviours_equal": d.behaviours_equal,
        "coverage_changes": sorted(c["action"] for c in d.coverage if c["change"] != "count"),
        "exit_code": d.exit_code, "seconds": round(time.perf_counter() - t0, 2),
    }


def comparable(entry: dict[str, Any]) -> dict[str, Any]:
    """The fields a re-run must reproduce exactly (not timings)."""
    return {k: v for k, v in entry.items() if k != "seconds"}


def load(path: Path = MANIFEST) -> dict[str, Any]:
    return json.loads(path.read_text())


def update(path: Path = MANIFEST, out_dir: Path = CE_DIR, only: str | None = None) -> dict[str, Any]:
    old = load(path) if path.exists() else {"runs": {}, "pairs": {}}
    runs = dict(old.get("runs", {}))
    pairs = dict(old.get("pairs", {}))
    for seed, m, c in PLAN:
        if only and seed != only:
            continue
        print(f"run  {m}/{c}", file=sys.stderr, flush=True)
        runs[run_key(m, c)] = record_run(seed, m, c, out_dir)
    for seed, a, b, c in PAIRS:
        if only and seed != only:
            continue
        print(f"diff {a} {b} /{c}", file=sys.stderr, flush=True)
        pairs[pair_key(a, b, c)] = record_pair(seed, a, b, c)
    data = {"version": VERSION,
            "note": "recorded by `python -m ppcheck.checks.seeds_manifest --update`; "
                    "do not edit by hand",
            "runs": runs, "pairs": pairs}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return data


def check(path: Path = MANIFEST, include_slow: bool = True) -> list[str]:
    """Re-run every entry; return one line per difference."""
    data = load(path)
    out = []
    for key, want in data["runs"].items():
        if not include_slow and want.get("seconds", 0) > SLOW:
            continue
        got = record_run(want["seed"], want["model"], want["config"], out_dir=None)
        got["traces"] = want["traces"]  # not written on a check
        if comparable(got) != comparable(want):
            out.append(f"run {key}: {describe(comparable(want), comparable(got))}")
    for key, want in data["pairs"].items():
        if not include_slow and want.get("seconds", 0) > SLOW:
            continue
        got = record_pair(want["seed"], want["a"], want["b"], want["config"])
        if comparable(got) != comparable(want):
            out.append(f"diff {key}: {describe(comparable(want), comparable(got))}")
    return out


def describe(want: dict[str, Any], got: dict[str, Any]) -> str:
    keys = sorted(set(want) | set(got))
    return "; ".join(f"{k}: recorded {want.get(k)!r}, now {got.get(k)!r}"
                     for k in keys if want.get(k) != got.get(k))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ppcheck.checks.seeds_manifest",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="re-record the manifest and traces")
    ap.add_argument("--seed", help="only this seed (000..004) when updating")
    ap.add_argument("--manifest", default=str(MANIFEST))
    ap.add_argument("--out", default=str(CE_DIR), help="where counterexamples are written")
    args = ap.parse_args(argv)
    if args.update:
        update(Path(args.manifest), Path(args.out), args.seed)
        return 0
    diffs = check(Path(args.manifest))
    for d in diffs:
        print(d)
    print("seeds manifest: " + ("OK" if not diffs else f"{len(diffs)} differences"))
    return 1 if diffs else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
