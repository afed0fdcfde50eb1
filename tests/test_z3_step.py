"""Per-step agreement: Z3's transition relation equals the explorer's step function.

For random concrete states (Hypothesis strategies built from the state schema: every
field drawn from its domain, mixed with reachable states from a short BFS), and for
every action binding:

* Z3's ``trans(s, s')`` with ``s`` fixed and the binding selected is satisfiable
  exactly when the explorer's ``step`` yields a successor, and then only for that
  successor (uniqueness is checked by asking for a different one);
* the binding's guard agrees with the explorer's enabled set, and the Z3 obligation
  "assertions and domains hold" agrees with the explorer's reported failures;
* every state predicate (invariants, witnesses) evaluates the same in both engines.

This is the test that catches "the encodings drifted" (STYLE.md, recommendation 11.1).
"""

from __future__ import annotations

import pytest
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppcheck.checks.explorer import Concrete, Explorer
from ppcheck.checks.z3_encode import Encoding
from ppcheck.models import get_model
from ppcheck.spec.model import ALWAYS, SOMETIMES, System, build

CASES = [
    ("increment", "default"), ("increment_lock", "default"), ("slots", "default"),
    ("counters", "default"), ("unreachable", "default"),
    ("mainline", "base"), ("mainline", "frag"),
]


class Harness:
    """One system, its encoding, a solver holding ``trans(s0, s1)``, and the explorer."""

    def __init__(self, system: System, arith: str = "int"):
        self.system = system
        self.enc = Encoding(system, arith=arith)
        self.conc = Concrete(system)
        self.s0, self.s1 = self.enc.state(0), self.enc.state(1)
        self.solver = self.enc.solver()
        self.solver.add(self.enc.domain(self.s0), self.enc.trans(self.s0, self.s1, 0))
        ex = Explorer(system, symmetry=False, max_states=3000)
        ex.run()
        self.reachable = list(ex.states)

    def states(self) -> st.SearchStrategy[int]:
        lay = self.system.layout
        rand = st.tuples(*[st.integers(f.lo, f.hi) for f in lay.fields]).map(lambda v: lay.pack(list(v)))
        return st.one_of(rand, st.sampled_from(self.reachable))

    def value(self, e: z3.ExprRef, s: int) -> bool:
        """Evaluate a template predicate on a concrete state, inside Z3."""
        r = z3.simplify(z3.substitute(e, *self.pairs(s)))
        assert z3.is_true(r) or z3.is_false(r), f"not a constant: {r}"
        return z3.is_true(r)

    def pairs(self, s: int) -> list[tuple[z3.ExprRef, z3.ExprRef]]:
        vals = self.system.layout.unpack(s)
        out = []
        for f, x, v in zip(self.system.layout.fields, self.enc.x, vals):
            out.append((x, z3.BoolVal(bool(v)) if f.sort == "bool" else self.enc.num(v)))
        return out

    def check_state(self, s: int) -> None:
        enc, sysm = self.enc, self.system
        fix = enc.fixed(self.s0, s)
        self.solver.push()
        self.solver.add(fix)
        try:
            for b in sysm.bindings:
                t, err = self.conc.step(s, b)
                where = f"{b.label()} from {sysm.layout.to_json(s)}"
                assert self.value(enc.guards[b.id], s) == (t is not None or err is not None), \
                    f"guard disagrees: {where}"
                assert self.value(enc.step_ok(b.id), s) == (err is None), \
                    f"assertion/domain check disagrees: {where} (explorer: {err})"
                r = self.solver.check(enc.taken(0, b.id))
                assert r != z3.unknown
                if t is None:
                    assert r == z3.unsat, f"Z3 has a successor the explorer does not: {where}"
                    continue
                assert r == z3.sat, f"Z3 has no successor, the explorer has one: {where}"
                zt = enc.decode_state(self.solver.model(), self.s1)
                assert zt == t, f"successors differ: {where}"
                again = self.solver.check(enc.taken(0, b.id), z3.Not(enc.fixed(self.s1, t)))
                assert again == z3.unsat, f"Z3 allows a second successor: {where}"
        finally:
            self.solver.pop()
        for k, p in enumerate(sysm.properties):
            if p.kind in (ALWAYS, SOMETIMES):
                assert self.value(enc.predicate(p.expr), s) == self.conc.holds(k, s), \
                    f"{p.name} evaluates differently"


_HARNESS: dict[tuple[str, str, str], Harness] = {}


def harness(model: str, cfg: str, arith: str = "int") -> Harness:
    if (model, cfg, arith) not in _HARNESS:
        _HARNESS[model, cfg, arith] = Harness(build(get_model(model), cfg), arith)
    return _HARNESS[model, cfg, arith]


@pytest.mark.parametrize("arith", ["int", "bv"])
@pytest.mark.parametrize("model,cfg", CASES)
def test_z3_step_agrees_with_explorer(model: str, cfg: str, arith: str) -> None:
    h = harness(model, cfg, arith)
    n = 8 if model == "mainline" else 30

    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(h.states())
    def run(s: int) -> None:
        h.check_state(s)

    run()


def test_every_reachable_prefix_state_agrees_on_a_toy() -> None:
    """Exhaustively, not just by sampling: every reachable state of ``slots``."""
    h = harness("slots", "default")
    for s in h.reachable:
        h.check_state(s)


def test_the_step_test_can_fail() -> None:
    """A deliberately wrong encoding (one update dropped) is caught."""
    h = Harness(build(get_model("increment"), "default"))
    b = next(b for b in h.system.bindings if b.ir.updates)
    i = next(iter(b.ir.updates))
    h.enc.updates[b.id][i] = h.enc.x[i]  # forget the update...
    h.enc._build_trans()  # ...and rebuild the relation from it
    h.solver = h.enc.solver()
    h.solver.add(h.enc.domain(h.s0), h.enc.trans(h.s0, h.s1, 0))
    with pytest.raises(AssertionError):
        for s in h.reachable:
            h.check_state(s)
