"""k-induction over all safety obligations at once, with lemmas.

For k = 1, 2, ...:

* **base case**: BMC at depth k - 1 (every obligation holds in the first k states of
  every run); a failure is a violation with a replayed trace;
* **induction step**: on an *unanchored* simple path ``t_0 .. t_k`` (any states in
  their domains, distinct, joined by transitions), assume a candidate set of
  obligations in ``t_0 .. t_{k-1}`` and show each of them in ``t_k``.

The candidate set starts as every open obligation (invariants, ``@lemma``\\ s, action
assertions, transition properties, and the negations of witnesses) and is pruned
Houdini-style: an obligation whose step fails is dropped and the rest re-checked until
the set is stable.  The surviving set is k-inductive *as a whole*, which is sound
because each member also passed the base case; proved obligations stay assumed in
every later step.  This is how model-declared lemmas strengthen the others: a lemma is
only assumed while it is itself being proved in the same inductive set (or after).
The unsat core of each member's step names which other obligations it needed.

A witness whose negation is proved is *vacuous*.  An obligation neither violated nor
proved by the last k is reported as holding to the depth of the base case.
"""

from __future__ import annotations

import z3

from .bmc import (
    DEFAULT_DEPTH,
    Deadline,
    EngineRun,
    Outcome,
    Unrolling,
    bounded_outcome,
    complete_outcome,
    hit_outcome,
    why_unknown,
)
from .z3_encode import Encoding, Obligation
from .z3_symmetry import lex_leader

ENGINE = "z3-kind"


class _Step:
    """The unanchored path of the induction step, with one assumption literal per
    (obligation, position)."""

    def __init__(self, enc: Encoding, obs: list[Obligation]):
        self.enc = enc
        self.solver = enc.solver()
        self.obs = obs
        self.n = 0  # states t_0 .. t_{n-1} exist
        self.lits: dict[tuple[str, int], z3.BoolRef] = {}
        self.bad: dict[tuple[str, int], z3.BoolRef] = {}
        self._add_state()

    def t(self, i: int) -> list[z3.ExprRef]:
        return self.enc.state(f"i{i}")

    def _add_state(self) -> None:
        enc, i = self.enc, self.n
        ti = self.t(i)
        self.solver.add(enc.domain(ti))
        if i > 0:
            self.solver.add(enc.trans(self.t(i - 1), ti, f"i{i - 1}"))
            for j in range(i):  # simple path: complete for finite state spaces
                self.solver.add(enc.distinct(self.t(j), ti))
        for ob in self.obs:
            ok = enc.at(ob.ok, ti)
            lit = z3.Bool(f"assume:{ob.name}@i{i}", enc.ctx)
            bad = z3.Bool(f"bad:{ob.name}@i{i}", enc.ctx)
            self.solver.add(z3.Implies(lit, ok), z3.Implies(bad, z3.Not(ok)))
            self.lits[ob.name, i], self.bad[ob.name, i] = lit, bad
        self.n += 1

    def extend_to(self, k: int) -> None:
        while self.n <= k:
            self._add_state()

    def cti(self, k: int) -> str:
        """The counterexample to induction of the last sat check: the binding taken into
        ``t_k`` and the fields of ``t_{k-1}`` that differ from the (first) initial state."""
        enc, m = self.enc, self.solver.model()
        b = enc.decode_action(m, f"i{k - 1}")
        lay = enc.system.layout
        pre = lay.unpack(enc.decode_state(m, self.t(k - 1)))
        init = lay.unpack(enc.system.init_states[0])
        diff = ", ".join(f"{f.name}={f.show(v)}" for f, v, v0 in zip(lay.fields, pre, init) if v != v0)
        label = enc.system.bindings[b].label() if b >= 0 else "?"
        return f"counterexample to induction at k={k}: {label} from {{{diff}}}"

    def check(self, ob: Obligation, k: int, assumed: list[Obligation], proved: list[Obligation],
              deadline: Deadline) -> tuple[z3.CheckSatResult, list[str]]:
        """Does ``ob`` hold in ``t_k`` given ``assumed`` in ``t_0..t_{k-1}``
        and ``proved`` everywhere?  Returns the result and, if unsat, the names used."""
        lits = [self.lits[a.name, i] for a in assumed for i in range(k)]
        lits += [self.lits[p.name, i] for p in proved for i in range(k + 1)]
        if deadline.expired():
            return z3.unknown, []
        self.solver.set("timeout", deadline.ms())
        r = self.solver.check(*lits, self.bad[ob.name, k])
        used: list[str] = []
        if r == z3.unsat:
            core = {str(c) for c in self.solver.unsat_core()}
            for a in {o.name: o for o in [*assumed, *proved]}.values():
                if a.name != ob.name and any(str(self.lits[a.name, i]) in core for i in range(k + 1)):
                    used.append(a.name)
        return r, used


def run_kinduction(enc: Encoding, obs: list[Obligation], max_k: int | None,
                   deadline: Deadline) -> EngineRun:
    """k-induction for k = 1 .. ``max_k`` (or until the deadline)."""
    if max_k is None and deadline.end is None:
        max_k = DEFAULT_DEPTH
    # the base case is BMC; its symmetry breaking only constrains paths, so it is proved
    # (lex_leader: 4-80 s on mainline) only once the base case needs a step
    base = Unrolling(enc, ENGINE, None)
    lex_tried = False
    step = _Step(enc, obs)
    open_ = list(obs)
    proved: list[Obligation] = []
    out: dict[str, Outcome] = {}
    done, reason = -1, ""
    lemmas = {o.name for o in obs if o.lemma}
    k = 1
    last_cti: dict[str, str] = {}  # the step's last counterexample for each unproved obligation
    while open_:
        # base case: depth k - 1
        r = base.check_depth(open_, deadline)
        if r.no_path:
            how = f"no run is longer than {k - 2} steps: every reachable state was checked"
            for ob in open_:
                out[ob.name] = complete_outcome(ob, k - 2, how)
            open_ = []
            done = k - 1
            break
        for h in r.hits:
            out[h.ob.name] = hit_outcome(h, " (base case)" if not h.ob.witness else "")
        hit = {h.ob.name for h in r.hits}
        open_ = [o for o in open_ if o.name not in hit]
        if r.unknown:
            reason = f"base case at depth {k - 1}: {r.unknown}"
            break
        done = k - 1
        if not open_:
            break
        # induction step with k states assumed, Houdini pruning
        step.extend_to(k)
        cand = list(open_)
        support: dict[str, list[str]] = {}
        ctis: dict[str, str] = {}
        timed_out = False
        while True:
            dropped = []
            for ob in cand:
                res, used = step.check(ob, k, cand, proved, deadline)
                if res == z3.unsat:
                    support[ob.name] = used
                else:
                    dropped.append(ob)
                    timed_out = timed_out or res == z3.unknown
                    if res == z3.sat:
                        ctis[ob.name] = step.cti(k)
            if not dropped:
                break
            cand = [o for o in cand if o not in dropped]
            if timed_out:
                cand = []
                break
        for ob in cand:
            used = support[ob.name]
            how = f"{k}-inductive" if k > 1 else "inductive"
            if used:
                lem = [u for u in used if u in lemmas]
                oth = [u for u in used if u not in lemmas]
                parts = ([f"lemmas {', '.join(lem)}"] if lem else []) + (
                    [f"invariants {', '.join(oth)}"] if oth else [])
                how += " using " + " and ".join(parts)
            out[ob.name] = complete_outcome(ob, k, f"k-induction: {how}")
            proved.append(ob)
        open_ = [o for o in open_ if o not in cand]
        last_cti = ctis
        if timed_out:
            reason = f"induction step at k={k}: {why_unknown(deadline, step.solver)}"
            break
        if not open_:
            break
        if max_k is not None and k >= max_k:
            reason = f"not k-inductive for k <= {max_k}"
            break
        if deadline.expired():
            reason = f"time budget reached at k={k}"
            break
        if not lex_tried:
            base.lex, lex_tried = lex_leader(enc, obs), True
        base.extend()
        k += 1
    for ob in open_:
        why = f"{reason}; {last_cti[ob.name]}" if ob.name in last_cti else reason
        out[ob.name] = bounded_outcome(ob, done, why)
    return EngineRun(out, done, reason, base.lex is not None)
