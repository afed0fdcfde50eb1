"""Cross-engine agreement: the explorer, BMC and k-induction on one (model, configuration).

The three engines read the same traced IR, so on every property they must tell the
same story.  :func:`agree` runs all three and returns the verdict of each
(``Cell``) with every :class:`Disagreement` found:

* explorer *holds* (complete search) but BMC finds a violation within its bound;
* explorer violated (or a witness reached) at length ``n <= k`` but BMC's shortest
  trace has another length, or BMC finds none; BMC violated where the explorer is not;
* k-induction *proved* (or *vacuous*) where the explorer has a trace; k-induction's
  base case violated at another length than the explorer's;
* a progress lasso from BMC on a property the explorer says holds.

Counterexamples cross over: every Z3 trace is replayed on the explorer's concrete
semantics (:func:`checks.replay.replay`), and every explorer trace is replayed on the Z3
encoding (:func:`z3_admits`: each recorded state and step fixed, the transition
relation and the property's negation must be satisfiable).  An explorer trace of length
``n`` within the bound is also a BMC bound: BMC must find that property at exactly ``n``
(no shorter, since the explorer's BFS trace is shortest; not longer, since the trace
exists).  The cases and bounds CI runs are :data:`CASES`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from ppcheck.spec.expr import BOOL
from ppcheck.spec.model import LEADS_TO, TRANSITION, System, build

from .bmc import Deadline, EngineBug, EngineRun, run_bmc
from .explorer import Explorer
from .kinduction import run_kinduction
from .replay import replay
from .traces import Trace, TraceError
from .verdict import (
    ACTION_ASSERTIONS,
    HOLDS,
    HOLDS_TO_DEPTH,
    PROVED,
    REACHED,
    UNKNOWN,
    VACUOUS,
    VIOLATED,
    RunResult,
)
from .z3_encode import Encoding, Obligation

EXPLORER, BMC, KIND = "explorer", "bmc", "kind"


@dataclass(frozen=True)
class Case:
    """One (model, configuration) and the bounds its engines run with."""

    model: str
    config: str
    bmc_depth: int  # BMC checks every property at depths 0..bmc_depth
    kind_depth: int = 2  # k-induction tries k = 1..kind_depth
    kind_timeout: float = 30.0  # k-induction's wall-clock budget (s)


#: the CI set (mark ``agreement``): the toys, mainline's five default configurations and
#: the small seed designs, with bounds that keep the set near two minutes on 2 cores
CASES: list[Case] = [
    Case("increment", "default", 10, 10),
    Case("increment_lock", "default", 10, 10),
    Case("counters", "default", 27, 3),
    Case("unreachable", "default", 5, 5),
    Case("slots", "default", 8, 4),
    Case("mainline", "base", 6, 2, 90),
    Case("mainline", "frag", 6, 2, 90),
    Case("mainline", "skb", 4, 2, 90),
    Case("mainline", "process", 5, 2, 90),
    Case("mainline", "rt", 5, 2, 90),
    Case("pp000_refcnt1", "default", 8),
    Case("pp000_refcnt0", "default", 8),
    Case("pp000_merged", "default", 8),
    Case("pp003_before", "halves", 6),
    Case("pp003_unified_v2", "halves", 6),
    Case("pp003_monofrag", "halves", 6),
    Case("pp003_mainline", "halves", 6),
    Case("pp003_monofrag", "overlap", 3),
]

#: the rest of every model x default configuration, and deeper bounds (``-m slow``)
SLOW_CASES: list[Case] = [
    *(Case(m, "default", 4) for m in ("pp001_v5", "pp001_keep_page_pp", "pp001_expand_keeps_recycle",
                                      "pp001_coalesce_adopt", "pp001_last_dataref")),
    *(Case(m, "small", 4) for m in ("pp002_page", "pp002_netmem", "pp002_netmem_no_direct",
                                    "pp002_netmem_pp_ref")),
    *(Case(m, c, 6) for m in ("pp003_before", "pp003_unified_v2", "pp003_monofrag", "pp003_mainline")
      for c in ("mixed", "overlap") if (m, c) != ("pp003_monofrag", "overlap")),
    *(Case(m, "reuse", 4) for m in ("pp004_mainline", "pp004_first_merged", "pp004_no_unlink",
                                    "pp004_no_rt_check")),
    Case("mainline", "base", 10, 3, 120),
    Case("mainline", "frag", 10, 3, 120),
    Case("mainline", "skb", 10, 3, 120),
    Case("mainline", "process", 9, 3, 120),
    Case("mainline", "rt", 9, 3, 120),
]


@dataclass
class Cell:
    """One engine's verdict on one property: status and the trace length (or bound)."""

    engine: str
    status: str
    depth: int | None = None  # trace length for a finding, else the bound checked
    detail: str = ""

    def show(self) -> str:
        if self.status in (VIOLATED, REACHED):
            return f"{self.status} @{self.depth}"
        if self.status == HOLDS_TO_DEPTH:
            return f"holds ≤{self.depth}"
        return self.status


@dataclass
class Disagreement:
    model: str
    config: str
    property: str
    what: str

    def __str__(self) -> str:
        return f"{self.model}/{self.config} {self.property}: {self.what}"


@dataclass
class Row:
    property: str
    kind: str
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Agreement:
    """The outcome of :func:`agree` on one case."""

    case: Case
    rows: list[Row]
    disagreements: list[Disagreement]
    seconds: dict[str, float]
    states: int = 0

    @property
    def ok(self) -> bool:
        return not self.disagreements


# -- explorer traces on the Z3 encoding ----------------------------------------------------------

def z3_admits(enc: Encoding, trace: Trace, ob: Obligation | None) -> str | None:
    """Replay an explorer trace on the Z3 encoding: None if Z3 admits every step and the
    property fails where the trace says, else what Z3 rejects.

    Each recorded state is fixed, each step's binding is the one taken, and
    ``trans`` (with the domain) must be satisfiable; then the obligation ``ob`` must be
    false in the state the trace ends in (for a failing step, the state before it).
    """
    ground = _ground_admits(enc, trace, ob)
    if ground is not None:
        return ground or None
    sysm, lay = enc.system, enc.system.layout
    solver = enc.solver()
    states = [s for s in trace.steps if s.state is not None]
    s0 = enc.state("r0")
    solver.add(enc.init(s0), enc.domain(s0), enc.fixed(s0, lay.from_json(states[0].state)))
    steps: list[tuple[int, str, z3.BoolRef]] = []  # (step, binding, its constraint literal)
    for i, st in enumerate(trace.steps[1:], start=1):
        if st.state is None:
            break  # a failing last step: the obligation below covers it
        b = sysm.binding_by_label(st.action or "", st.args)
        prev, cur = enc.state(f"r{i - 1}"), enc.state(f"r{i}")
        lit = z3.Bool(f"step:r{i}", enc.ctx)
        solver.add(enc.domain(cur))  # unconditional: the finite-domain solver needs the bounds
        step = z3.And(enc.trans(prev, cur, f"r{i - 1}"), enc.taken(f"r{i - 1}", b.id),
                      enc.fixed(cur, lay.from_json(st.state)))
        solver.add(z3.Implies(lit, step))
        steps.append((i, b.label(), lit))
    lits = [lit for _, _, lit in steps]
    r = solver.check(*lits)
    if r == z3.unknown:
        return f"Z3 answered unknown ({solver.reason_unknown()})"
    if r == z3.unsat:  # which step?  (literal assumptions only: see below)
        if solver.check() != z3.sat:
            return "the trace's initial state is not an initial state of the encoding"
        for j, (i, label, _) in enumerate(steps):
            if solver.check(*lits[:j + 1]) != z3.sat:
                return f"step {i}: the encoding has no transition {label} to the recorded state"
        return "Z3 rejects the trace"  # pragma: no cover - unsat, yet every prefix is sat
    if ob is None:
        return None
    last = len(states) - 1
    if ob.step and trace.steps[-1].state is not None:  # a transition property's breaking step
        last -= 1
    # a literal, not the formula, as the assumption: after earlier checks Z3's incremental
    # finite-domain solver answers ``unknown`` to a compound assumption
    lit = z3.Bool(f"fails:{ob.name}", enc.ctx)
    solver.add(z3.Implies(lit, z3.Not(enc.at(ob.ok, enc.state(f"r{last}")))))
    r = solver.check(*lits, lit)
    if r == z3.unknown:
        return f"Z3 answered unknown ({solver.reason_unknown()})"
    if r != z3.sat:
        return f"{ob.name} holds in state {last} of the encoding: it shows no violation"
    return None


def _ground_admits(enc: Encoding, trace: Trace, ob: Obligation | None) -> str | None:
    """:func:`z3_admits` by evaluation: every state of the trace is recorded and every step's
    binding named, so each constraint the solver would be given (``init``, ``domain``,
    ``trans`` with the step's selectors, the obligation) is a closed formula once those values
    are substituted: Z3's simplifier decides it without a search.  Returns "" when Z3 admits
    the trace, the same message as the solver path when it does not, and None when a formula
    does not simplify to a constant (the caller asks the solver)."""
    sysm, lay = enc.system, enc.system.layout
    undecided = object()

    def value(e: z3.ExprRef) -> bool | object:
        r = z3.simplify(e)
        return True if z3.is_true(r) else False if z3.is_false(r) else undecided

    def consts(packed: int) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        out = []
        for f, v, val in zip(enc.fields, enc.x, lay.unpack(packed)):
            if f.sort == BOOL:
                c = z3.BoolVal(bool(val), enc.ctx)
            elif z3.is_bv(v):
                c = z3.BitVecVal(val, v.size(), enc.ctx)
            else:
                c = z3.IntVal(val, enc.ctx)
            out.append((v, c))
        return out

    states = [s for s in trace.steps if s.state is not None]
    cs = [consts(lay.from_json(st.state)) for st in states]
    base = [value(z3.substitute(enc.init_t, *cs[0]))] + [value(z3.substitute(enc.domain_t, *c)) for c in cs]
    if undecided in base:
        return None
    if not all(base):
        return "the trace's initial state is not an initial state of the encoding"
    for i, st in enumerate(trace.steps[1:], start=1):
        if st.state is None:
            break
        b = sysm.binding_by_label(st.action or "", st.args)
        sel = [(v, z3.BoolVal(k == b.id, enc.ctx)) for k, v in enumerate(enc.sel)]
        nxt = [(xn, c) for xn, (_, c) in zip(enc.xn, cs[i])]
        ok = value(z3.substitute(enc.trans_t, *cs[i - 1], *nxt, *sel))
        if ok is undecided:
            return None
        if not ok:
            return f"step {i}: the encoding has no transition {b.label()} to the recorded state"
    if ob is None:
        return ""
    last = len(states) - 1
    if ob.step and trace.steps[-1].state is not None:  # a transition property's breaking step
        last -= 1
    holds = value(z3.substitute(ob.ok, *cs[last]))
    if holds is undecided:
        return None
    return f"{ob.name} holds in state {last} of the encoding: it shows no violation" if holds else ""


# -- running the engines -------------------------------------------------------------------------

def _z3_cells(engine: str, er: EngineRun, bound: int) -> dict[str, Cell]:
    out = {}
    for name, o in er.outcomes.items():
        depth = o.trace.length if o.trace is not None else (er.depth if er.depth >= 0 else bound)
        out[name] = Cell(engine, o.status, depth, o.detail)
    return out


def _engine(fn, *args) -> EngineRun | str:  # noqa: ANN001 - run_bmc / run_kinduction
    try:
        return fn(*args)
    except EngineBug as e:
        return f"ENGINE BUG: {e}"


def agree(case: Case, system: System | None = None, enc: Encoding | None = None,
          explored: tuple[RunResult, Explorer] | None = None) -> Agreement:
    """Run the explorer, BMC and k-induction on ``case`` and compare them (``system`` and
    ``enc`` default to the case's model built afresh and its Z3 encoding; ``explored``: the
    explorer's (run, explorer) on ``system`` with symmetry and every property, when already
    run: its search, exactly as this function would run it)."""
    from ppcheck.models import get_model

    sysm = system or (explored[1].system if explored else build(get_model(case.model), case.config))
    dis: list[Disagreement] = []
    secs: dict[str, float] = {}

    def bad(prop: str, what: str) -> None:
        dis.append(Disagreement(case.model, case.config, prop, what))

    t0 = time.perf_counter()
    if explored is None:
        ex = Explorer(sysm)
        er_x = ex.run()
    else:
        er_x, ex = explored
        budgets = (ex.max_states, ex.max_depth, ex.timeout)
        if ex.system is not sysm or ex.only is not None or ex.stop_at_first or any(budgets):
            raise ValueError("agree(explored=...): not the explorer's default search of the system")
    secs[EXPLORER] = er_x.seconds if explored else time.perf_counter() - t0
    if not er_x.complete:
        bad("*", f"the explorer did not finish ({er_x.reason}): no reference verdicts")

    enc = enc or Encoding(sysm)
    obs = enc.obligations()
    by_name = {o.name: o for o in obs}
    lassos = [(i, p) for i, p in enumerate(sysm.properties) if p.kind == LEADS_TO]

    t0 = time.perf_counter()
    er_b = _engine(run_bmc, enc, obs, case.bmc_depth, Deadline(None), lassos)
    secs[BMC] = time.perf_counter() - t0
    t0 = time.perf_counter()
    er_k = _engine(run_kinduction, enc, obs, case.kind_depth, Deadline(case.kind_timeout))
    secs[KIND] = time.perf_counter() - t0
    cells: dict[str, dict[str, Cell]] = {}
    for engine, er in ((BMC, er_b), (KIND, er_k)):
        if isinstance(er, str):
            bad("*", f"{engine}: {er}")
            cells[engine] = {}
        else:
            bound = case.bmc_depth if engine == BMC else case.kind_depth - 1
            cells[engine] = _z3_cells(engine, er, bound)
    traces = {engine: ({n: o.trace for n, o in er.outcomes.items() if o.trace is not None}
                       if not isinstance(er, str) else {}) for engine, er in ((BMC, er_b), (KIND, er_k))}

    rows: list[Row] = []
    for r in er_x.results:
        row = Row(r.name, r.kind)
        rows.append(row)
        xc = Cell(EXPLORER, r.status, r.trace_length if r.status in (VIOLATED, REACHED) else None,
                  r.detail)
        row.cells[EXPLORER] = xc
        for engine in (BMC, KIND):
            if r.name in cells[engine]:
                row.cells[engine] = cells[engine][r.name]
        compare_row(row, case, bad)
        # every counterexample on the other engine
        for engine in (BMC, KIND):
            tr = traces[engine].get(r.name)
            if tr is not None:
                try:
                    replay(tr, sysm)
                except TraceError as e:
                    bad(r.name, f"the {engine} trace does not replay on the explorer: {e}")
        xt = ex.traces.get(r.name)
        if xt is not None and r.kind != LEADS_TO:
            why = z3_admits(enc, xt, by_name.get(r.name))
            if why:
                bad(r.name, f"the explorer's trace does not replay on Z3: {why}")
    return Agreement(case, rows, dis, secs, er_x.states)


def compare_row(row: Row, case: Case, bad) -> None:  # noqa: ANN001 - the reporter
    """The rules of the module docstring, for one property."""
    x = row.cells[EXPLORER]
    b = row.cells.get(BMC)
    k = row.cells.get(KIND)
    name = row.property
    found = x.status in (VIOLATED, REACHED)
    n = x.depth
    # BMC's depth of a step-kind finding is its trace length: the failing step included
    if row.kind == LEADS_TO:  # lassos: verdicts only (the explorer's lassos are not shortest)
        if b is not None and b.status == VIOLATED and x.status != VIOLATED:
            bad(name, f"BMC finds a lasso of length {b.depth}, the explorer says {x.status}")
        if b is not None and b.status == PROVED and x.status == VIOLATED:
            bad(name, "BMC proves progress, the explorer has a lasso")
        return
    if b is None:
        bad(name, "BMC gave no verdict")
    elif found and n is not None and _within(row, n, case.bmc_depth):
        if (b.status, b.depth) != (x.status, n):
            bad(name, f"explorer {x.status} at length {n}, BMC {b.show()} (bound {case.bmc_depth})")
    elif b.status in (VIOLATED, REACHED):
        bad(name, f"BMC {b.show()}, the explorer says {x.show()}")
    elif b.status == PROVED and x.status != HOLDS:
        bad(name, f"BMC proved it (terminating model), the explorer says {x.show()}")
    elif b.status == VACUOUS and x.status != VACUOUS:
        bad(name, f"BMC says vacuous, the explorer says {x.show()}")
    if k is None:
        return
    if (k.status, x.status) in ((PROVED, VIOLATED), (PROVED, VACUOUS), (VACUOUS, REACHED)) or (
            k.status == PROVED and x.status != HOLDS) or (k.status == VACUOUS and x.status != VACUOUS):
        bad(name, f"k-induction {k.status}, the explorer says {x.show()}")
    if k.status in (VIOLATED, REACHED) and (k.status, k.depth) != (x.status, n):
        bad(name, f"k-induction's base case {k.show()}, the explorer {x.show()}")
    if k.status not in (PROVED, VACUOUS, VIOLATED, REACHED, HOLDS_TO_DEPTH, UNKNOWN):
        bad(name, f"k-induction gave {k.status!r}")  # pragma: no cover - a new status


def _within(row: Row, n: int, bound: int) -> bool:
    """Is a finding of length ``n`` within BMC's bound?  A step-kind finding (action
    assertions, transition properties) ends with one step past the last state checked."""
    step = row.property == ACTION_ASSERTIONS or row.kind == TRANSITION
    return (n - 1 if step else n) <= bound


# -- the matrix ----------------------------------------------------------------------------------

def matrix_markdown(results: list[Agreement]) -> str:
    """The agreement matrix: model x config x property x engine -> verdict (depth)."""
    lines = ["| model/config | property | explorer | BMC | k-induction | agree |",
             "|---|---|---|---|---|---|"]
    for a in results:
        bad = {d.property for d in a.disagreements}
        for row in a.rows:
            c = row.cells
            cols = [c[e].show() if e in c else "-" for e in (EXPLORER, BMC, KIND)]
            ok = "**NO**" if row.property in bad or "*" in bad else "yes"
            lines.append(f"| {a.case.model}/{a.case.config} | {row.property} | "
                         + " | ".join(cols) + f" | {ok} |")
    return "\n".join(lines)


def summary_line(a: Agreement) -> str:
    c = a.case
    s = a.seconds
    return (f"{c.model}/{c.config}: {len(a.rows)} properties, explorer {a.states} states "
            f"{s.get(EXPLORER, 0):.1f}s, BMC depth {c.bmc_depth} {s.get(BMC, 0):.1f}s, "
            f"k-induction k<={c.kind_depth} {s.get(KIND, 0):.1f}s: "
            + ("agree" if a.ok else f"{len(a.disagreements)} disagreement(s)"))


__all__ = ["CASES", "Agreement", "Case", "Cell", "Disagreement", "agree", "compare_row", "matrix_markdown",
           "summary_line", "z3_admits"]
