"""Unbounded proofs with Z3's CHC engine (Spacer), in the form of ``mini_ic3.py``'s header.

The reachable states are the least relation ``Inv`` with::

    Inv(x)  <-  init(x) ∧ domain(x)
    Inv(x') <-  Inv(x) ∧ trans(x, x', take) ∧ domain(x')

and each obligation is the query ``Inv(x) ∧ ¬ok(x)``.  ``unsat`` means Spacer found an
inductive invariant that excludes every bad state: *proved* (a witness: *vacuous*).
``sat`` means a bad state is reachable; the trace is then produced by BMC (shortest,
decoded and replayed like every other trace), so nothing is reported as violated
without a trace that replays.  ``unknown`` and timeouts are *unknown*.  Witnesses are
first looked for by BMC (half the budget): Spacer is slow to find deep ones.
"""

from __future__ import annotations

import z3

from .bmc import (
    DEFAULT_DEPTH,
    Deadline,
    EngineRun,
    Outcome,
    Unrolling,
    complete_outcome,
    hit_outcome,
    run_bmc,
    why_unknown,
)
from .verdict import REACHED, UNKNOWN, VACUOUS
from .z3_encode import Encoding, Obligation

ENGINE = "z3-chc"


def fixedpoint(enc: Encoding) -> tuple[z3.Fixedpoint, z3.FuncDeclRef]:
    """The Spacer fixed point of ``enc`` with its inductive-invariant relation ``Inv``: init and
    domain imply Inv; Inv, the transition relation and the next state's domain imply Inv'
    (what each CHC query of this module and benchmarks/z3_bench.py asks about)."""
    ctx = enc.ctx
    fp = z3.Fixedpoint(ctx=ctx)
    fp.set("engine", "spacer")
    fp.set("xform.inline_eager", False)
    fp.set("xform.inline_linear", False)
    inv = z3.Function("Inv", *[v.sort() for v in enc.x], z3.BoolSort(ctx))
    fp.register_relation(inv)
    fp.declare_var(*enc.x, *enc.xn, *enc.sel)
    fp.rule(inv(*enc.x), z3.And(enc.init_t, enc.domain_t))
    fp.rule(inv(*enc.xn), [inv(*enc.x), enc.trans_t, enc.at(enc.domain_t, enc.xn)])
    return fp, inv


def run_chc(enc: Encoding, obs: list[Obligation], deadline: Deadline) -> EngineRun:
    """One Spacer query per obligation; BMC for the traces of the reachable ones."""
    fp, inv = fixedpoint(enc)
    out: dict[str, Outcome] = {}
    reachable: list[Obligation] = []
    reason = ""
    witnesses = [ob for ob in obs if ob.witness]
    if witnesses:
        # Spacer is slow to find deep witnesses: BMC first, with half of the budget
        left = deadline.left()
        sub = Deadline(None if left is None else left / 2)
        er = run_bmc(enc, witnesses, None if left is not None else DEFAULT_DEPTH, sub)
        for ob in witnesses:
            o = er.outcomes[ob.name]
            if o.status in (REACHED, VACUOUS):
                out[ob.name] = o
    for ob in obs:
        if ob.name in out:
            continue
        if deadline.expired():
            out[ob.name] = Outcome(UNKNOWN, "time budget reached before Spacer ran")
            reason = "time budget reached"
            continue
        fp.set("timeout", deadline.ms())
        try:
            r = fp.query(z3.And(inv(*enc.x), z3.Not(ob.ok)))
        except z3.Z3Exception as e:  # Spacer gives up with an exception on some inputs
            r = z3.unknown
            why = f"Spacer failed: {e}"
        else:
            why = why_unknown(deadline, fp) if r == z3.unknown else ""
        if r == z3.unsat:
            out[ob.name] = complete_outcome(ob, -1, "CHC (Spacer): an inductive invariant excludes it")
        elif r == z3.sat:
            reachable.append(ob)
        else:
            out[ob.name] = Outcome(UNKNOWN, why)
            reason = reason or why
    depth = -1
    if reachable:
        # Spacer says reachable: find the shortest trace with BMC, and replay it
        u = Unrolling(enc, ENGINE)
        open_ = list(reachable)
        while open_ and not deadline.expired():
            r = u.check_depth(open_, deadline)
            for h in r.hits:
                out[h.ob.name] = hit_outcome(h, " (reachable per Spacer; trace by BMC)")
            hit = {h.ob.name for h in r.hits}
            open_ = [o for o in open_ if o.name not in hit]
            if r.no_path:
                for ob in open_:
                    out[ob.name] = Outcome(UNKNOWN, "ENGINE BUG: Spacer says reachable, but no run is "
                                                    f"longer than {u.k - 1} steps and BMC found none")
                open_ = []
                reason = "engine bug (Spacer and BMC disagree)"
            if r.unknown or r.no_path:
                break
            depth = u.k
            if open_:
                u.extend()
        for ob in open_:
            out[ob.name] = Outcome(UNKNOWN, f"Spacer says reachable, but BMC found no trace "
                                            f"within depth {u.k} before the budget ran out")
            reason = reason or "a trace could not be produced in time"
    return EngineRun(out, depth, reason)
