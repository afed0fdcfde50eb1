"""The seed designs' part of the expectations manifest: what is explored and diffed, and how.

:data:`PLAN` lists every (seed, model, configuration) explored and :data:`PAIRS` every design
pair diffed; :func:`record_run` and :func:`record_pair` make the entries that
``ppcheck manifest --update`` stores in the ``seeds`` and ``diffs`` sections of
``manifest.json`` (see :mod:`ppcheck.checks.manifest`), each violation's shortest
counterexample written to ``counterexamples/``.  Nothing in the manifest is typed by hand.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ppcheck.models import get_model
from ppcheck.spec.model import build

from .diff import diff
from .explorer import Explorer
from .quantity import max_ratios

CE_DIR = Path("counterexamples")

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
