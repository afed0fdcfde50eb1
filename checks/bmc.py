"""Bounded model checking: the IR unrolled k = 0, 1, 2, ... steps from the initial states.

At depth ``k`` every open obligation asks whether its predicate can fail in state
``k`` of a path from an initial state; depths are tried in order, so the first
violation found is a shortest one (the explorer's BFS length).  When no path of
length ``k`` exists at all, every state is reachable within ``k - 1`` steps and all
open obligations are *proved* (the model terminates).

A Z3 model is decoded into the same JSON :class:`Trace` the explorer writes and then
replayed by :func:`checks.replay.replay` (the explorer's concrete step function).  A
trace that does not replay is an :class:`EngineBug`, never a counterexample.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import z3

from ppcheck.spec.model import LEADS_TO, SOMETIMES, TRANSITION, Property

from .explorer import Concrete
from .replay import replay
from .traces import Step, Trace, TraceError
from .verdict import ACTION_ASSERTIONS, HOLDS_TO_DEPTH, PROVED, REACHED, UNKNOWN, VACUOUS, VIOLATED
from .z3_encode import Encoding, Obligation
from .z3_symmetry import LexLeader, lex_leader

ENGINE = "z3-bmc"


class EngineBug(RuntimeError):
    """A Z3 answer that the concrete semantics contradicts: a bug in the Z3 engine."""


class Deadline:
    """A wall-clock budget; ``ms()`` is what is left, for Z3's ``timeout``."""

    def __init__(self, timeout: float | None):
        self.t0 = time.perf_counter()
        self.end = None if timeout is None else self.t0 + timeout

    def left(self) -> float | None:
        return None if self.end is None else self.end - time.perf_counter()

    def expired(self) -> bool:
        left = self.left()
        return left is not None and left <= 0

    def ms(self) -> int:
        left = self.left()
        return 0 if left is None else max(1, int(left * 1000))  # 0 = no limit for Z3

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


def why_unknown(deadline: Deadline, solver: z3.Solver | z3.Fixedpoint) -> str:
    """Why a check came back unknown: the budget, or Z3's own reason."""
    try:
        r = solver.reason_unknown()
    except z3.Z3Exception:
        r = ""
    left = deadline.left()
    if deadline.expired() or (left is not None and left < 0.1) or r in ("timeout", "canceled"):
        return "time budget reached"
    return f"Z3 returned unknown ({r})" if r else "Z3 returned unknown"


@dataclass
class Hit:
    """An obligation that fails at ``depth``: a replayed trace of it."""

    ob: Obligation
    trace: Trace
    depth: int


@dataclass
class DepthResult:
    hits: list[Hit] = field(default_factory=list)
    unknown: str = ""  # non-empty: this depth could not be decided (timeout, Z3 unknown)
    no_path: bool = False  # no path of this length exists: the unrolling is complete


class Unrolling:
    """The init-anchored unrolling ``s_0 .. s_k`` in one incremental solver."""

    def __init__(self, enc: Encoding, engine: str = ENGINE, lex: LexLeader | None = None,
                 invariants: Sequence[Obligation] = ()):
        self.enc = enc
        self.system = enc.system
        self.engine = engine
        #: symmetry breaking (``checks/z3_symmetry.py``), when proved sound for this run
        self.lex = lex
        #: obligations *proved* invariant in this run, asserted on every state copy
        self.invariants = list(invariants)
        self.solver = enc.solver()
        s0 = enc.state(0)
        self.solver.add(enc.init(s0), enc.domain(s0))
        self.solver.add(*[enc.at(o.ok, s0) for o in self.invariants])
        self.k = 0
        self.concrete = Concrete(self.system)

    def extend(self) -> None:
        """Add state ``k + 1`` and the transition into it."""
        enc, k = self.enc, self.k
        self.solver.add(enc.trans(enc.state(k), enc.state(k + 1), k))
        if self.lex is not None:
            self.solver.add(*self.lex.at(k + 1))
        self.solver.add(*[enc.at(o.ok, enc.state(k + 1)) for o in self.invariants])
        self.k = k + 1

    def _check(self, deadline: Deadline, *assumptions: z3.BoolRef) -> z3.CheckSatResult:
        if deadline.expired():
            return z3.unknown
        self.solver.set("timeout", deadline.ms())
        return self.solver.check(*assumptions)

    def check_depth(self, obs: list[Obligation], deadline: Deadline) -> DepthResult:
        """Can any of ``obs`` fail in state ``k``?  Decodes and replays every hit."""
        enc, k = self.enc, self.k
        out = DepthResult()
        if k > 0:
            r = self._check(deadline)
            if r == z3.unsat:
                out.no_path = True
                return out
            if r == z3.unknown:
                out.unknown = self._why(deadline, self.solver)
                return out
        if not obs:
            return out
        sk = enc.state(k)
        lits = []
        for i, ob in enumerate(obs):
            lit = z3.Bool(f"bad#{i}:{ob.name}@{k}", enc.ctx)
            self.solver.add(lit == z3.Not(enc.at(ob.ok, sk)))
            lits.append(lit)
        anyl = z3.Bool(f"bad#any@{k}", enc.ctx)
        self.solver.add(anyl == z3.Or(lits))
        r = self._check(deadline, anyl)
        if r == z3.unsat:
            return out
        if r == z3.unknown:
            out.unknown = self._why(deadline, self.solver)
            return out
        model = self.solver.model()
        pending = []
        for ob, lit in zip(obs, lits):
            if z3.is_true(model.eval(lit, model_completion=True)):
                out.hits.append(Hit(ob, self.trace(model, ob), k))
            else:
                pending.append((ob, lit))
        for ob, lit in pending:
            r = self._check(deadline, lit)
            if r == z3.sat:
                out.hits.append(Hit(ob, self.trace(self.solver.model(), ob), k))
            elif r == z3.unknown:
                out.unknown = self._why(deadline, self.solver)
        return out

    @staticmethod
    def _why(deadline: Deadline, solver: z3.Solver) -> str:
        return why_unknown(deadline, solver)

    # -- progress properties: lassos -------------------------------------------------------
    def check_lasso(self, props: list[tuple[int, Property]], deadline: Deadline) -> DepthResult:
        """Is there, at depth ``k``, a lasso violating ``p ~> q``: a p-state from which q never
        holds, up to a deadlock at ``s_k`` or a loop ``s_l = s_k`` with ``l`` at or after it?"""
        enc, k = self.enc, self.k
        sk = enc.state(k)
        out = DepthResult()
        if not hasattr(self, "_started"):
            self._started: dict[str, list[z3.BoolRef]] = {}
            self._notq: dict[str, list[z3.BoolRef]] = {}
            self._dead = enc.deadlock()
        for _idx, p in props:
            st, nq = self._started.setdefault(p.name, []), self._notq.setdefault(p.name, [])
            pk, qk = enc.at(enc.predicate(p.pre), sk), enc.at(enc.predicate(p.post), sk)
            nq.append(z3.Not(qk))
            prev = st[-1] if st else z3.BoolVal(False, enc.ctx)
            cur = z3.Bool(f"started:{p.name}@{k}", enc.ctx)
            self.solver.add(cur == z3.And(z3.Not(qk), z3.Or(pk, prev)))
            st.append(cur)
        for idx, p in props:
            st, nq = self._started[p.name], self._notq[p.name]
            loops = []
            for j in range(k):
                loops.append(z3.And(st[j], *nq[j + 1:k + 1], self._fair(p, j, k),
                                    z3.And([a == b for a, b in zip(enc.state(j), sk)])))
            dead = z3.And(st[k], enc.at(self._dead, sk))
            lit = z3.Bool(f"lasso:{p.name}@{k}", enc.ctx)
            self.solver.add(lit == z3.Or(dead, *loops))
            r = self._check(deadline, lit)
            if r == z3.sat:
                out.hits.append(Hit(Obligation(p.name, LEADS_TO, z3.BoolVal(True, enc.ctx),
                                               prop_index=idx),
                                    self.lasso_trace(self.solver.model(), p, idx, loops), k))
            elif r == z3.unknown:
                out.unknown = self._why(deadline, self.solver)
        return out

    def _fair(self, p: Property, j: int, k: int) -> z3.BoolRef:
        """The loop ``s_j .. s_k`` is a fair run for ``p.fairness`` (as ``checks.liveness``):
        weak: a group enabled in every loop state is taken in the loop; strong: a group
        enabled in some loop state is taken in it.  Groups are contexts or actions."""
        if p.fairness is None:
            return z3.BoolVal(True, self.enc.ctx)
        from .liveness import group_of

        enc = self.enc
        groups: dict[str, list[int]] = {}
        for b in self.system.bindings:
            groups.setdefault(group_of(b, p.fairness), []).append(b.id)
        strong = p.fairness.startswith("strong")
        conj = []
        for ids in groups.values():
            en_t = z3.Or([enc.guards[b] for b in ids])
            en = [enc.at(en_t, enc.state(m)) for m in range(j, k)]
            taken = z3.Or([enc.taken(m, b) for m in range(j, k) for b in ids])
            conj.append(z3.Implies(z3.Or(en) if strong else z3.And(en), taken))
        return z3.And(conj)

    def lasso_trace(self, model: z3.ModelRef, p: Property, idx: int, loops: list[z3.BoolRef]) -> Trace:
        """Decode a lasso (``loop_start`` at the repeated state, None for a deadlock); replay it."""
        enc, sysm, conc, k = self.enc, self.system, self.concrete, self.k
        states = [enc.decode_state(model, enc.state(i)) for i in range(k + 1)]
        steps: list[Step] = [conc.step_record(None, states[0])]
        for i in range(k):
            a = enc.decode_action(model, i)
            if not 0 <= a < len(sysm.bindings):
                raise EngineBug(f"step {i + 1}: the Z3 model names no binding")
            steps.append(conc.step_record(sysm.bindings[a], states[i + 1]))
        loop = next((j for j, c in enumerate(loops) if z3.is_true(model.eval(c, model_completion=True))),
                    None)
        start = next(i for i in range(k + 1)
                     if z3.is_true(model.eval(self._started[p.name][i], model_completion=True)))
        kind = "a cycle" if loop is not None else "a deadlock"
        tr = Trace(sysm.name, sysm.fingerprint, sysm.config.to_json(), self.engine, p.name, LEADS_TO,
                   steps, loop_start=loop, message=f"{p.name}: from step {start} q never holds ({kind})")
        try:
            replay(tr, sysm)
        except TraceError as e:
            raise EngineBug(f"the Z3 lasso for {p.name} does not replay: {e}") from None
        return tr

    # -- traces ----------------------------------------------------------------------------
    def trace(self, model: z3.ModelRef, ob: Obligation) -> Trace:
        """Decode the path to state ``k`` (plus the failing step), then replay it."""
        enc, sysm, conc, k = self.enc, self.system, self.concrete, self.k
        states = [enc.decode_state(model, enc.state(i)) for i in range(k + 1)]
        acts = [enc.decode_action(model, i) for i in range(k)]
        steps: list[Step] = [conc.step_record(None, states[0])]
        for i, a in enumerate(acts):
            if not 0 <= a < len(sysm.bindings):
                raise EngineBug(f"step {i + 1}: the Z3 model names binding {a}, which does not exist")
            steps.append(conc.step_record(sysm.bindings[a], states[i + 1]))
        last = states[-1]
        if ob.name == ACTION_ASSERTIONS:
            for b in sysm.bindings:
                t, err = conc.step(last, b)
                if err is not None:
                    steps.append(conc.step_record(b, t, f"{err[0]}: {err[1]}"))
                    msg = f"{b.action}: {err[0]}: {err[1]}"
                    break
            else:
                raise EngineBug(f"Z3 claims an action assertion fails after {k} steps, but no binding "
                                "fails there concretely")
        elif ob.kind == TRANSITION:
            for b in sysm.bindings:
                t, _ = conc.step(last, b)
                if t is not None and not conc.holds(ob.prop_index, last, t):
                    steps.append(conc.step_record(b, t))
                    msg = f"{b.action} breaks {ob.name}"
                    break
            else:
                raise EngineBug(f"Z3 claims {ob.name} fails after {k} steps, but no step breaks it "
                                "concretely")
        elif ob.kind == SOMETIMES:
            msg = f"witness: {ob.name} reached"
        else:
            msg = f"{ob.name} does not hold in the last state"
        tr = Trace(sysm.name, sysm.fingerprint, sysm.config.to_json(), self.engine, ob.name,
                   "always" if ob.name == ACTION_ASSERTIONS else ob.kind, steps, message=msg)
        try:
            replay(tr, sysm)
        except TraceError as e:
            raise EngineBug(f"the Z3 trace for {ob.name} does not replay: {e}") from None
        return tr


# -- the BMC engine --------------------------------------------------------------------------

#: depth bound when neither a depth nor a time budget is given
DEFAULT_DEPTH = 30


@dataclass
class Outcome:
    """One obligation's verdict from a Z3 engine (status names from ``checks.verdict``)."""

    status: str
    detail: str = ""
    trace: Trace | None = None
    created: float = field(default_factory=time.perf_counter)  #: when decided (perf_counter)


@dataclass
class EngineRun:
    outcomes: dict[str, Outcome]
    depth: int  # deepest depth fully checked by BMC / the base case (-1: none)
    reason: str = ""  # why incomplete, if it is
    symmetry: bool = False  # the unrolling broke scalarset symmetry (proved sound)
    assumed: int = 0  # invariants proved in this run and asserted on every state (BMC)


def hit_outcome(h: Hit, how: str = "") -> Outcome:
    """The verdict for an obligation that BMC shows failing: violated, or reached for a witness."""
    if h.ob.witness:
        return Outcome(REACHED, f"first reached at depth {h.trace.length}{how}", h.trace)
    return Outcome(VIOLATED, h.trace.message + how, h.trace)


def bounded_outcome(ob: Obligation, depth: int, why: str) -> Outcome:
    """An obligation left open after checking every depth up to ``depth``."""
    if ob.witness:
        return Outcome(UNKNOWN, f"not reached within {max(depth, 0)} steps; {why}")
    if depth < 0:
        return Outcome(UNKNOWN, why)
    return Outcome(HOLDS_TO_DEPTH, f"no violation within {depth} steps (not a proof); {why}")


def complete_outcome(ob: Obligation, depth: int, how: str) -> Outcome:
    if ob.witness:
        return Outcome(VACUOUS, f"proved unreachable ({how})")
    return Outcome(PROVED, how)


#: ``assume_proved``: the budget (s) of the k = 1 proof when the run has no deadline, and
#: the largest share of a deadline it may take
PROOF_BUDGET = 60.0
PROOF_SHARE = 0.5


@dataclass
class Assumed:
    """Invariants proved in this run (k-induction at k = 1, base case and step), asserted
    on every state copy of the unrolling; ``outcomes`` are their k-induction verdicts."""

    obs: list[Obligation]
    outcomes: dict[str, Outcome]
    seconds: float  # wall
    cpu: float  # process CPU seconds
    reason: str = ""  # why nothing or not everything was proved


def prove_for_bmc(enc: Encoding, deadline: Deadline) -> Assumed:
    """Prove what can be proved 1-inductive among *all* the system's safety obligations
    (invariants, lemmas, action assertions, transition properties, negated witnesses),
    Houdini-pruned, within a share of ``deadline``.  Only obligations whose proof succeeded
    (base case at depth 0 and the step) are returned: each is a true invariant, so asserting
    it on every state of a path from an initial state removes no reachable path, keeps every
    shortest violation, and keeps "no path of length k".  A false or non-inductive lemma is
    dropped by the step's Houdini loop and never assumed."""
    from .kinduction import run_kinduction

    left = deadline.left()
    budget = PROOF_BUDGET if left is None else max(0.0, left * PROOF_SHARE)
    t0, c0 = time.perf_counter(), time.process_time()
    cands = enc.obligations()
    kr = run_kinduction(enc, cands, 1, Deadline(budget))
    proved = [o for o in cands if kr.outcomes[o.name].status in (PROVED, VACUOUS)]
    rest = len(cands) - len(proved)
    why = f"{rest} other candidates not proved: {kr.reason}" if rest else ""
    return Assumed(proved, {o.name: kr.outcomes[o.name] for o in proved}, time.perf_counter() - t0,
                   time.process_time() - c0, why)


def run_bmc(enc: Encoding, obs: list[Obligation], depth: int | None, deadline: Deadline,
            lassos: list[tuple[int, Property]] | None = None, assume_proved: bool = False) -> EngineRun:
    """BMC at depths 0, 1, ... up to ``depth`` (or until the deadline).

    ``lassos`` are progress properties ``(index, property)``: BMC looks for lasso-shaped
    violations of them (a deadlock or a loop after a p-state, q never holding).
    ``assume_proved`` first proves every 1-inductive safety obligation of the system
    (:func:`prove_for_bmc`) and asserts those on every state copy; the requested
    obligations among them are reported *proved* by that k-induction, the rest are
    checked by BMC as usual (off by default: docs/z3.md, "BMC levers").
    """
    if depth is None and deadline.end is None:
        depth = DEFAULT_DEPTH
    out: dict[str, Outcome] = {}
    assumed = prove_for_bmc(enc, deadline) if assume_proved else None
    open_ = list(obs)
    if assumed is not None:
        for ob in open_:
            if ob.name in assumed.outcomes:
                o = assumed.outcomes[ob.name]
                out[ob.name] = Outcome(o.status, o.detail + " (proved before BMC)")
        open_ = [ob for ob in open_ if ob.name not in out]
    # symmetry breaking keeps every shortest violation of a symmetric obligation; lassos are
    # left unbroken (their loops and fairness are not covered by the proof)
    u = Unrolling(enc, ENGINE, None if lassos or not open_ else lex_leader(enc, open_),
                  assumed.obs if assumed is not None else ())
    open_l = list(lassos or [])
    done = -1
    reason = ""
    while True:
        k = u.k
        r = u.check_depth(open_, deadline)
        if r.no_path:
            how = f"no run is longer than {k - 1} steps: every reachable state was checked"
            for ob in open_:
                out[ob.name] = complete_outcome(ob, k - 1, how)
            for _, p in open_l:
                out[p.name] = Outcome(PROVED, f"every run ends in a deadlock within {k - 1} steps, "
                                              "and no deadlock or loop violates it")
            open_, open_l = [], []
            done = k
            break
        if open_l and not r.unknown:
            r2 = u.check_lasso(open_l, deadline)
            r.hits += r2.hits
            r.unknown = r2.unknown
        for h in r.hits:
            out[h.ob.name] = hit_outcome(h)
        hit = {h.ob.name for h in r.hits}
        open_ = [ob for ob in open_ if ob.name not in hit]
        open_l = [(i, p) for i, p in open_l if p.name not in hit]
        if r.unknown:
            reason = f"depth {k}: {r.unknown}"
            break
        done = k
        if not (open_ or open_l) or (depth is not None and k >= depth):
            if open_ or open_l:
                reason = f"bounded: checked to depth {k}"
            break
        if deadline.expired():
            reason = f"depth {k + 1}: time budget reached"
            break
        u.extend()
    for ob in open_:
        out[ob.name] = bounded_outcome(ob, done, reason)
    for _, p in open_l:
        out[p.name] = (Outcome(HOLDS_TO_DEPTH, f"no lasso within {done} steps (not a proof); {reason}")
                       if done >= 0 else Outcome(UNKNOWN, reason))
    if assumed is not None:
        reason = (reason + "; " if reason else "") + (
            f"{len(assumed.obs)} invariants proved 1-inductive in {assumed.seconds:.1f}s "
            f"({assumed.cpu:.1f} CPU s) and "
            "assumed in every state" + (f" ({assumed.reason})" if assumed.reason else ""))
    return EngineRun(out, done, reason, u.lex is not None, len(assumed.obs) if assumed else 0)
