"""BMC levers measured on one configuration (``python benchmarks/z3_bench.py --levers``).

Each lever is a variation of the one encoding (``checks/z3_encode.py``) or of how the
unrolling is solved; none is a second encoding of a model: every variant reads the same
``Encoding`` (its guards, updates, obligations) and only reshapes the transition
relation's selection, adds sound constraints, or hands the same terms to another solver.
They are here, not in the engine, because none measured clearly faster than the engine's
default (docs/z3.md, "BMC levers").  Every run checks all safety obligations at once at
each depth, as ``run_bmc`` does, and reports the depth fully checked within a CPU-time
budget with the CPU seconds each depth took (CPU time, because the machine is shared: wall
time is printed too).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import z3

from ppcheck.checks.bmc import Deadline, DepthResult, Unrolling, prove_for_bmc
from ppcheck.checks.z3_encode import Encoding
from ppcheck.spec.expr import walk
from ppcheck.spec.model import System


def _argval(v: object) -> int:
    if isinstance(v, enum.Enum):
        return list(type(v)).index(v)
    return int(v)  # type: ignore[call-overload]


class ActionSelect(Encoding):
    """One-hot over *actions* (37 on mainline ``base``, not 134 bindings), parameters
    chosen by value (``c@k == 1``): binding ``b`` is ``act_A ∧ c == v ∧ p == w``.
    ``merged`` also writes one update per (action, field) as an ``ite`` over the
    parameter values, with the frame per action group."""

    def __init__(self, system: System, merged: bool = False, **kw):
        self.merged = merged
        super().__init__(system, **kw)

    def _build_trans(self) -> None:
        sysm, x, xn, ctx = self.system, self.x, self.xn, self.ctx
        acts = list(dict.fromkeys(b.action for b in sysm.bindings))
        by_act = {a: [b for b in sysm.bindings if b.action == a] for a in acts}
        act = {a: z3.Bool(f"act:{a}", ctx) for a in acts}
        par = {p: z3.Int(f"par:{p}", ctx) for p in sorted({k for b in sysm.bindings for k in b.args})}
        self.choice_t = list(act.values()) + list(par.values())

        def chosen(b) -> z3.BoolRef:  # noqa: ANN001
            return z3.And([par[k] == _argval(v) for k, v in b.args.items()])

        self.sel_t = [z3.And(act[b.action], chosen(b)) for b in sysm.bindings]
        conj = [z3.Or(list(act.values())), z3.AtMost(*act.values(), 1)]
        for p, v in par.items():  # bounded, for the finite-domain solver
            vals = [_argval(b.args[p]) for b in sysm.bindings if p in b.args]
            conj += [v >= min(vals), v <= max(vals)]
        for a in acts:
            conj.append(z3.Implies(act[a], z3.Or([self.sel_t[b.id] for b in by_act[a]])))
        if not self.merged:
            for b in sysm.bindings:
                eqs = [self.guards[b.id]] + [xn[i] == u for i, u in self.updates[b.id].items()]
                conj.append(z3.Implies(self.sel_t[b.id], z3.And(eqs)))
            for i in range(len(self.fields)):
                w = [self.sel_t[b.id] for b in sysm.bindings if i in self.updates[b.id]]
                conj.append(z3.Or(*w, xn[i] == x[i]))
        else:
            for a in acts:
                bs = by_act[a]
                conj.append(z3.Implies(act[a], z3.And([z3.Implies(chosen(b), self.guards[b.id])
                                                        for b in bs])))
                for i in sorted({i for b in bs for i in self.updates[b.id]}):
                    e = x[i]
                    for b in reversed(bs):
                        if i in self.updates[b.id]:
                            e = z3.If(chosen(b), self.updates[b.id][i], e)
                    conj.append(z3.Implies(act[a], xn[i] == e))
            for i in range(len(self.fields)):
                w = [act[a] for a in acts if any(i in self.updates[b.id] for b in by_act[a])]
                conj.append(z3.Or(*w, xn[i] == x[i]))
        self.trans_t = z3.And(conj)

    def _choices(self, tag: int | str) -> list[z3.ExprRef]:
        key = f"choice@{tag}"
        if key not in self._copies:
            self._copies[key] = [z3.Const(f"{v}@{tag}", v.sort()) for v in self.choice_t]
        return self._copies[key]

    def selectors(self, tag: int | str) -> list[z3.BoolRef]:
        key = f"take@{tag}"
        if key not in self._copies:
            pairs = list(zip(self.choice_t, self._choices(tag)))
            self._copies[key] = [z3.substitute(e, *pairs) for e in self.sel_t]
        return self._copies[key]  # type: ignore[return-value]

    def at(self, template, s, t=None, tag=None):  # noqa: ANN001 - as Encoding.at
        pairs = list(zip(self.x, s))
        if t is not None:
            pairs += list(zip(self.xn, t))
        if tag is not None:
            pairs += list(zip(self.choice_t, self._choices(tag)))
        return z3.substitute(template, *pairs)


def independent_pairs(system: System) -> list[tuple[int, int]]:
    """Binding pairs (a, b), a > b, that commute: neither writes what the other reads
    or writes (guards, updates and assertions all counted as reads)."""
    reads, writes = [], []
    for b in system.bindings:
        r = set()
        for e in [b.ir.guard, *b.ir.updates.values(), *(c for c, _ in b.ir.assertions)]:
            r |= {n.value for n in walk(e) if n.op == "var"}
        reads.append(r)
        writes.append(set(b.ir.updates))
    n = len(system.bindings)
    return [(a, b) for a in range(n) for b in range(a)
            if not writes[a] & (reads[b] | writes[b]) and not writes[b] & reads[a]]


class PushPop(Unrolling):
    """The depth query in a push/pop scope (``push; add(∨ ¬ok_i(s_k)); check; pop``) instead
    of an assumption literal; the path-existence check comes after an unsat answer, and a sat
    answer falls back to the engine's own decoding (``Unrolling.check_depth``)."""

    def check_depth(self, obs, deadline):  # noqa: ANN001, ANN201 - as Unrolling.check_depth
        enc, sk = self.enc, self.enc.state(self.k)
        if obs:
            self.solver.push()
            self.solver.add(z3.Or([z3.Not(enc.at(o.ok, sk)) for o in obs]))
            r = self._check(deadline)
            self.solver.pop()
            if r == z3.sat:
                return super().check_depth(obs, deadline)
            if r == z3.unknown:
                return DepthResult(unknown=self._why(deadline, self.solver))
        return PathAfter.path(self, deadline)


class PathAfter(Unrolling):
    """The engine's assumption literal, but the path-existence check ("is there any path of
    length k", needed only to prove a terminating model) after the unsat answer, not before."""

    def check_depth(self, obs, deadline):  # noqa: ANN001, ANN201 - as Unrolling.check_depth
        enc, k = self.enc, self.k
        if obs:
            sk = enc.state(k)
            lit = z3.Bool(f"bad#any@{k}", enc.ctx)
            self.solver.add(z3.Implies(lit, z3.Or([z3.Not(enc.at(o.ok, sk)) for o in obs])))
            r = self._check(deadline, lit)
            if r == z3.sat:
                return super().check_depth(obs, deadline)
            if r == z3.unknown:
                return DepthResult(unknown=self._why(deadline, self.solver))
        return self.path(deadline)

    def path(self, deadline: Deadline) -> DepthResult:
        out = DepthResult()
        if self.k > 0:
            r = self._check(deadline)
            out.no_path = r == z3.unsat
            if r == z3.unknown:
                out.unknown = self._why(deadline, self.solver)
        return out


@dataclass
class Lever:
    name: str
    encoding: Callable[[System], Encoding] = Encoding
    solver: str = "QF_FD"  # "QF_FD", "QF_BV", "smt" (Z3's default solver)
    params: dict = field(default_factory=dict)  # global Z3 parameters
    strengthen: bool = False  # obligations checked at depth < k asserted in those states
    symmetry: bool = False  # lex-leader on the first time each page leaves its initial value
    por: bool = False  # peephole partial order: commuting adjacent steps in binding order
    lemmas: bool = False  # lemmas proved by k-induction first, then assumed in every state
    unrolling: type[Unrolling] = Unrolling  # how each depth is asked


LEVERS = [
    Lever("baseline (engine default)"),
    Lever("one-hot actions, parameters by value", lambda s: ActionSelect(s)),
    Lever("... and one update per action (frame per action group)",
          lambda s: ActionSelect(s, merged=True)),
    Lever("bit-vectors, QF_FD", lambda s: Encoding(s, arith="bv")),
    Lever("bit-vectors, QF_BV", lambda s: Encoding(s, arith="bv"), solver="QF_BV"),
    Lever("SMT core, sat.euf", params={"sat.euf": True}, solver="smt"),
    Lever("cardinality as clauses", params={"sat.cardinality.solver": False}),
    Lever("strengthening: checked obligations assumed", strengthen=True),
    Lever("symmetry breaking on pages", symmetry=True),
    Lever("peephole partial order", por=True),
    Lever("proved lemmas assumed in every state (k-induction first)", lemmas=True),
    Lever("depth query by push/pop, path check after", unrolling=PushPop),
    Lever("depth query by assumption, path check after", unrolling=PathAfter),
    Lever("sat.phase=always_false", params={"sat.phase": "always_false"}),
    Lever("sat.restart=luby", params={"sat.restart": "luby"}),
    Lever("sat.branching.heuristic=chb", params={"sat.branching.heuristic": "chb"}),
    Lever("sat.elim_vars=false (no variable elimination)", params={"sat.elim_vars": False}),
]


@dataclass
class LeverRun:
    lever: str
    depth: int  # deepest depth fully checked
    cpu: float
    wall: float
    per_depth: list[float]


def run_lever(system: System, lever: Lever, budget: float, max_depth: int = 1000) -> LeverRun:
    """BMC over every safety obligation until ``budget`` CPU seconds or ``max_depth``."""
    for k, v in lever.params.items():
        z3.set_param(k, v)
    try:
        enc = lever.encoding(system)
        if lever.solver != "QF_FD":
            enc.solver = ((lambda: z3.Solver(ctx=enc.ctx)) if lever.solver == "smt"  # type: ignore[method-assign]
                          else (lambda: z3.SolverFor(lever.solver, ctx=enc.ctx)))
        obs = [o for o in enc.obligations() if not o.witness]
        pairs = independent_pairs(system) if lever.por else []
        assumed: list = []
        c0, w0 = time.process_time(), time.perf_counter()
        if lever.lemmas:  # only lemmas the engine's k = 1 proof proves; the rest is checked
            # by BMC (the engine's assume_proved would report them proved and check nothing)
            assumed = [o for o in prove_for_bmc(enc, Deadline(None)).obs if o.lemma]
            obs = [o for o in obs if not o.lemma]
        pages = system.layout.arrays["pages"].field_indices if lever.symmetry else []
        touched: list[list[z3.BoolRef]] = [[z3.BoolVal(False, enc.ctx)] * len(pages)]
        u = lever.unrolling(enc, invariants=assumed)
        per, last, deadline = [], time.process_time(), Deadline(None)  # k-induction in cpu only
        while True:
            r = u.check_depth(obs, deadline)
            if r.unknown:
                break
            now = time.process_time()
            per.append(now - last)
            last = now
            hit = {h.ob.name for h in r.hits}
            if lever.strengthen:
                sk = enc.state(u.k)
                u.solver.add(*[enc.at(o.ok, sk) for o in obs if o.name not in hit])
            obs = [o for o in obs if o.name not in hit]
            if now - c0 > budget or u.k >= max_depth or r.no_path:
                break
            u.extend()
            k = u.k
            if pairs and k >= 2:
                p, q = enc.selectors(k - 2), enc.selectors(k - 1)
                u.solver.add(*[z3.Or(z3.Not(p[a]), z3.Not(q[b])) for a, b in pairs])
            if pages:
                s0, sk = enc.state(0), enc.state(k)
                cur = [z3.Or(touched[-1][p], z3.Or([sk[i] != s0[i] for i in pages[p]]))
                       for p in range(len(pages))]
                touched.append(cur)
                u.solver.add(*[z3.Implies(cur[p], cur[p - 1]) for p in range(1, len(pages))])
        return LeverRun(lever.name, len(per) - 1, time.process_time() - c0,
                        time.perf_counter() - w0, per)
    finally:
        if lever.params:
            z3.reset_params()


class _Bitwuzla:
    """Bitwuzla (PyPI ``bitwuzla``) fed SMT-LIB2 text, incremental with assumptions."""

    def __init__(self, preprocess: bool):
        import bitwuzla as bz

        opt = bz.Options()
        opt.set(bz.Option.PRODUCE_MODELS, True)
        opt.set(bz.Option.PREPROCESS, preprocess)
        self.parser = bz.Parser(bz.TermManager(), opt)
        self.parser.parse("(set-logic QF_BV)", True, False)
        self.solver = self.parser.bitwuzla()
        self.name = f"Bitwuzla, same bit-vector terms (pre-processing {'on' if preprocess else 'off'})"

    def parse(self, text: str) -> None:
        self.parser.parse(text, True, False)

    def check(self, name: str) -> str:
        return str(self.solver.check_sat(self.parser.parse_term(name)))


class _Cvc5:
    """cvc5 (PyPI ``cvc5``) fed SMT-LIB2 text through its parser, incremental with assumptions."""

    def __init__(self) -> None:
        import cvc5

        self.cvc5 = cvc5
        self.tm = cvc5.TermManager()
        self.solver = cvc5.Solver(self.tm)
        self.solver.setOption("incremental", "true")
        self.solver.setLogic("QF_BV")
        self.sm = cvc5.SymbolManager(self.tm)
        self.parser = cvc5.InputParser(self.solver, self.sm)
        self.name = "cvc5, same bit-vector terms, incremental"

    def _input(self, text: str) -> None:
        self.parser.setIncrementalStringInput(self.cvc5.InputLanguage.SMT_LIB_2_6, "ppcheck")
        self.parser.appendIncrementalStringInput(text)

    def parse(self, text: str) -> None:
        self._input(text)
        while not (cmd := self.parser.nextCommand()).isNull():
            cmd.invoke(self.solver, self.sm)

    def check(self, name: str) -> str:
        self._input(name + " ")
        return str(self.solver.checkSatAssuming(self.parser.nextTerm())).lower()


def run_bitwuzla(system: System, budget: float, preprocess: bool = False,
                 lemmas: bool = False) -> LeverRun | None:
    """The same bit-vector terms solved by Bitwuzla (optional: None when not installed);
    ``lemmas``: the lemmas Z3 proves 1-inductive (``prove_for_bmc``) asserted in every state."""
    try:
        backend = _Bitwuzla(preprocess)
    except ImportError:
        return None
    if lemmas:
        backend.name += ", proved lemmas assumed"
    return run_smtlib(system, budget, backend, lemmas)


def run_cvc5(system: System, budget: float) -> LeverRun | None:
    """The same bit-vector terms solved by cvc5 (optional: None when not installed)."""
    try:
        backend = _Cvc5()
    except ImportError:
        return None
    return run_smtlib(system, budget, backend)


def run_smtlib(system: System, budget: float, backend: _Bitwuzla | _Cvc5,
               lemmas: bool = False) -> LeverRun:
    """The bit-vector terms of ``Encoding(arith="bv")`` as SMT-LIB2 text for another solver,
    incremental with one assumption literal per depth.  Z3's ``AtMost`` is not SMT-LIB, so
    the one-hot selection uses a ladder (sequential) at-most-one here; everything else is the
    template."""
    enc = Encoding(system, arith="bv")
    sel, x, xn = enc.sel, enc.x, enc.xn
    aux = [z3.Bool(f"amo{i}", enc.ctx) for i in range(len(sel))]
    conj = [z3.Or(sel)]
    for i, s in enumerate(sel):
        conj.append(z3.Implies(s, aux[i]))
        if i:
            conj += [z3.Implies(aux[i - 1], aux[i]), z3.Implies(aux[i - 1], z3.Not(s))]
    for b in system.bindings:
        eqs = [enc.guards[b.id]] + [xn[i] == u for i, u in enc.updates[b.id].items()]
        conj.append(z3.Implies(sel[b.id], z3.And(eqs)))
    for i in range(len(enc.fields)):
        conj.append(z3.Or(*[sel[b.id] for b in system.bindings if i in enc.updates[b.id]], xn[i] == x[i]))
    trans = z3.simplify(z3.And(conj))  # simplify: no unary and/or, which Bitwuzla's parser refuses
    obs = [o for o in enc.obligations() if not o.witness]
    c0, w0 = time.process_time(), time.perf_counter()
    assumed = [o for o in prove_for_bmc(enc, Deadline(None)).obs if o.lemma] if lemmas else []
    if lemmas:
        obs = [o for o in obs if not o.lemma]
    declared: set[str] = set()

    def add(f: z3.BoolRef) -> None:
        s = z3.Solver(ctx=enc.ctx)
        s.add(z3.simplify(f))
        out = []
        for line in s.sexpr().splitlines(keepends=True):
            if line.startswith("(declare-fun"):
                name = line[len("(declare-fun "):line.rindex(" ()")]
                if name in declared:
                    continue
                declared.add(name)
            out.append(line)
        backend.parse("".join(out))

    s0 = enc.state(0)
    add(z3.And(enc.init(s0), enc.domain(s0), *[enc.at(o.ok, s0) for o in assumed]))
    per, last, k = [], time.process_time(), 0
    while True:
        sk = enc.state(k)
        add(z3.Bool(f"bad@{k}", enc.ctx) == z3.Or([z3.Not(enc.at(o.ok, sk)) for o in obs]))
        if backend.check(f"bad@{k}") != "unsat":
            break  # mainline base has no violation: sat or unknown ends the run
        now = time.process_time()
        per.append(now - last)
        last = now
        if now - c0 > budget:
            break
        t = enc.state(k + 1)
        pairs = (list(zip(x, sk)) + list(zip(xn, t)) + list(zip(sel, enc.selectors(k)))
                 + [(a, z3.Bool(f"amo{i}@{k}", enc.ctx)) for i, a in enumerate(aux)])
        add(z3.And(z3.substitute(trans, *pairs), enc.domain(t), *[enc.at(o.ok, t) for o in assumed]))
        k += 1
    return LeverRun(backend.name, len(per) - 1, time.process_time() - c0, time.perf_counter() - w0, per)
