"""The Z3 engines' one entry point: ``prove(system, engine, depth, timeout)``.

``engine`` is ``bmc`` (bounded model checking: violations, shortest first; *holds to
depth k* otherwise), ``kind`` (k-induction with lemmas: *proved*, or violated in the
base case) or ``chc`` (Spacer: unbounded proofs).  The verdict is the explorer's
:class:`RunResult`, with its statuses and exit codes: *proved* and *violated* are
definite; *holds-to-depth* and *unknown* make the run incomplete (exit 3), never
proved.  Every violation's trace has been replayed by the explorer's step function;
one that does not replay is reported as an engine bug (status unknown, exit 3), never
as a counterexample.

Progress properties (``leads_to``) are not state predicates.  BMC looks for lasso-shaped
violations of them (*violated* with a replayed lasso, *holds-to-depth* otherwise, *proved*
only when every run ends within the bound); k-induction and CHC leave them to the explorer
and list them in ``RunResult.bound`` as unchecked.
"""

from __future__ import annotations

from pathlib import Path

from ppcheck.spec.expr import SpecError
from ppcheck.spec.model import LEADS_TO, System

from .bmc import Deadline, EngineBug, EngineRun, Outcome, run_bmc
from .chc import run_chc
from .explorer import peak_rss
from .kinduction import run_kinduction
from .traces import default_name, write_trace
from .verdict import (
    ACTION_ASSERTIONS,
    PROVED,
    REACHED,
    UNKNOWN,
    VACUOUS,
    VIOLATED,
    PropertyResult,
    RunResult,
    apply_out_of_scope,
)
from .z3_encode import Encoding

ENGINES = ("bmc", "kind", "chc")
#: the time budget (s) when neither a depth nor a timeout is given
DEFAULT_TIMEOUT = 300.0
_DEFINITE = (PROVED, VIOLATED, REACHED, VACUOUS)


def prove(system: System, engine: str = "kind", depth: int | None = None, timeout: float | None = None,
          out_dir: str | Path | None = None, properties: list[str] | None = None,
          assume_proved: bool = False) -> RunResult:
    """Check ``system``'s safety properties with one Z3 engine.

    ``depth`` bounds BMC's depth or k-induction's k; ``timeout`` is the wall-clock
    budget for the whole run (:data:`DEFAULT_TIMEOUT` when neither is given).
    ``properties`` limits the check to those names (``action_assertions`` included).
    ``assume_proved`` (BMC only): first prove what is 1-inductive among all safety
    obligations and assert it on every unrolled state (``checks/bmc.py:prove_for_bmc``).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown Z3 engine {engine!r} (expected one of {', '.join(ENGINES)})")
    if depth is None and timeout is None:
        timeout = DEFAULT_TIMEOUT
    deadline = Deadline(timeout)
    only = set(properties) if properties is not None else None
    if only is not None:
        known = {p.name for p in system.properties} | {ACTION_ASSERTIONS}
        unknown = sorted(only - known)
        if unknown:
            raise SpecError(f"model {system.name} has no property {', '.join(unknown)}")
    enc = Encoding(system)
    obs = enc.obligations(only)
    lassos = [(i, p) for i, p in enumerate(system.properties)
              if p.kind == LEADS_TO and (only is None or p.name in only)]
    name = f"z3-{engine}"
    try:
        if engine == "bmc":
            er = run_bmc(enc, obs, depth, deadline, lassos, assume_proved)
        elif engine == "kind":
            er = run_kinduction(enc, obs, depth, deadline)
        else:
            er = run_chc(enc, obs, deadline)
    except EngineBug as e:
        er = EngineRun({n: Outcome(UNKNOWN, f"ENGINE BUG: {e}")
                        for n in [ob.name for ob in obs] + [p.name for _, p in lassos]}, -1,
                       f"engine bug: {e}")
    kinds = {ob.name: ob.kind for ob in obs} | {p.name: p.kind for _, p in lassos}
    order = [ACTION_ASSERTIONS] + [p.name for p in system.properties]
    results: list[PropertyResult] = []
    skipped: list[str] = []
    for n in order:
        if n not in kinds:
            continue
        o = er.outcomes.get(n)
        if o is None:  # a progress property under k-induction or CHC
            if only is not None:
                results.append(PropertyResult(n, kinds[n], UNKNOWN, "progress properties are checked "
                                              "by the explorer (and for violations by --engine bmc)",
                                              engine=name))
            else:
                skipped.append(n)
            continue
        pr = PropertyResult(n, kinds[n], o.status, o.detail, engine=name)
        if o.trace is not None:
            pr.trace_length = o.trace.length
            if o.status == VIOLATED and out_dir is not None:
                p = write_trace(o.trace, Path(out_dir) / default_name(
                    system.name, system.config.name, n))
                pr.trace_file = str(p)
        results.append(pr)
    complete = all(r.status in _DEFINITE for r in results)
    bound = []
    if depth is not None:
        bound.append(f"depth={depth}")
    if timeout is not None:
        bound.append(f"timeout={timeout:g}s")
    if er.assumed:
        bound.append(f"{er.assumed} invariants proved 1-inductive first and assumed in every state")
    if er.symmetry:
        bound.append("symmetry breaking on " + ", ".join(system.symmetric_arrays) + " (proved sound)")
    if skipped:
        bound.append("leads_to not checked: " + ", ".join(skipped))
    reason = "" if complete else (er.reason or "some properties are only bounded or unknown")
    return apply_out_of_scope(RunResult(
        model=system.name, config=system.config.name, engine=name, complete=complete,
        reason=reason, depth=max(er.depth, 0), seconds=deadline.elapsed(), peak_memory=peak_rss(),
        bound=", ".join(bound) or "none", fingerprint=system.fingerprint, results=results,
        coverage={}, params=dict(system.config.params)), system.out_of_scope)


__all__ = ["ENGINES", "prove"]
