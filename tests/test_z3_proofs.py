"""The Z3 engines' verdicts: seeded bugs found with replaying traces, toy invariants proved,
lemmas, honest *unknown*, and engine bugs never printed as counterexamples."""

from __future__ import annotations

import expected
import pytest
import z3
from seeded_bugs import BUGS, Bug

from ppcheck.checks import bmc as bmc_mod
from ppcheck.checks.prove import prove
from ppcheck.checks.replay import replay
from ppcheck.checks.traces import load_trace
from ppcheck.checks.verdict import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_VIOLATION,
    HOLDS_TO_DEPTH,
    PROVED,
    REACHED,
    UNKNOWN,
    VACUOUS,
    VIOLATED,
)
from ppcheck.models import get_model
from ppcheck.models.mainline.configs import DEFAULT_CONFIGS
from ppcheck.models.toys import Counters, Slots
from ppcheck.spec import Ref, implies, leads_to, lemma
from ppcheck.spec.model import build

#: seeded bugs cheap enough for CI (short recorded traces); the rest are marked slow
FAST = [b for b in BUGS if expected.bug_length(b) <= 9]
SLOW = [b for b in BUGS if expected.bug_length(b) > 9]


def _check_bug(bug: Bug, tmp_path) -> None:
    length = expected.bug(bug)["length"]  # the explorer's shortest, as recorded
    system = build(bug.model, bug.config)
    run = prove(system, "bmc", depth=length, timeout=300, out_dir=tmp_path,
                properties=[bug.prop])
    (r,) = run.results
    assert r.status == VIOLATED, (r.status, r.detail)
    assert r.trace_length == length, "BMC's trace is not the explorer's shortest"
    assert run.exit_code == EXIT_VIOLATION
    tr = load_trace(r.trace_file)
    assert tr.engine == "z3-bmc" and tr.property == bug.prop
    replay(tr, system)


@pytest.mark.parametrize("bug", FAST, ids=lambda b: b.model.name)
def test_bmc_finds_seeded_bug(bug: Bug, tmp_path) -> None:
    _check_bug(bug, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("bug", SLOW, ids=lambda b: b.model.name)
def test_bmc_finds_deep_seeded_bug(bug: Bug, tmp_path) -> None:
    _check_bug(bug, tmp_path)


# -- proofs on the toys -------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["kind", "chc"])
def test_increment_lock_invariants_proved(engine: str) -> None:
    run = prove(build(get_model("increment_lock")), engine, None, 60)
    st = {r.name: r.status for r in run.results}
    assert st == {"action_assertions": PROVED, "no_lost_update": PROVED, "all_done": REACHED,
                  "x_never_decreases": PROVED}
    assert run.exit_code == EXIT_OK


@pytest.mark.parametrize("engine", ["kind", "chc"])
def test_increment_lost_update_not_proved(engine: str, tmp_path) -> None:
    system = build(get_model("increment"))
    run = prove(system, engine, None, 60, out_dir=tmp_path)
    r = next(r for r in run.results if r.name == "no_lost_update")
    assert r.status == VIOLATED and r.trace_length == 4
    replay(load_trace(r.trace_file), system)
    assert run.exit_code == EXIT_VIOLATION


@pytest.mark.parametrize("engine", ["kind", "chc"])
def test_slots_invariants_proved(engine: str) -> None:
    run = prove(build(get_model("slots")), engine, None, 60)
    st = {r.name: r.status for r in run.results}
    assert st["holders_exclusive"] == PROVED and st["used_count"] == PROVED
    assert st["both_hold"] == REACHED


@pytest.mark.parametrize("engine", ["bmc", "kind", "chc"])
def test_vacuous_witness(engine: str) -> None:
    run = prove(build(get_model("unreachable")), engine, None, 30)
    assert {r.name: r.status for r in run.results}["reaches_three"] == VACUOUS
    assert run.exit_code == EXIT_VIOLATION


class SlotsWithLemma(Slots):
    """``slots`` plus the strengthening fact that makes its invariants 1-inductive."""

    name = "slots_with_lemma"

    @lemma
    def held_slots_used(self, s):
        """Every slot a holder points at is marked used."""
        return implies(s.holders[1].slot != Ref.NONE, s.slots[s.holders[1].slot].used)


def test_lemma_strengthens_k_induction() -> None:
    plain = prove(build(Slots), "kind", None, 60)
    with_lemma = prove(build(SlotsWithLemma), "kind", None, 60)
    p = {r.name: r for r in plain.results}
    w = {r.name: r for r in with_lemma.results}
    # without the lemma only a long simple-path argument closes; with it, plain induction does
    assert p["holders_exclusive"].status == PROVED and "-inductive" in p["holders_exclusive"].detail
    assert w["held_slots_used"].status == PROVED  # the lemma itself is proved, not assumed
    assert w["holders_exclusive"].status == PROVED
    assert w["holders_exclusive"].detail.startswith("k-induction: inductive using")
    assert "held_slots_used" in w["holders_exclusive"].detail
    assert build(SlotsWithLemma).property("held_slots_used").lemma


def _cti_state(system, detail: str) -> tuple[str, int]:
    """The binding label and the packed pre-state of a k-induction detail's counterexample to
    induction (``... counterexample to induction at k=1: LABEL from {field=value, ...}``)."""
    cti = detail.split("counterexample to induction at k=1: ", 1)[1]
    label, state = cti.split(" from {", 1)
    lay = system.layout
    vals = lay.unpack(system.init_states[0])
    index = {f.name: f.index for f in lay.fields}
    for item in filter(None, state.rstrip("}").split(", ")):
        name, v = item.split("=")
        vals[index[name]] = int(v) if v.isdigit() else {"True": 1, "False": 0, "None": -1}[v]
    return label, lay.pack(vals)


def test_k_induction_reports_the_counterexample_to_induction() -> None:
    """An obligation that is not k-inductive names the step's counterexample: a state where the
    assumed obligations hold, a binding, and a successor that breaks it.  On ``slots`` at k=1 the
    state is one the lemma ``held_slots_used`` rules out (a holder on an unused slot)."""
    from ppcheck.checks.explorer import Concrete

    system = build(Slots)
    run = prove(system, "kind", 1, 60)
    r = {x.name: x for x in run.results}["holders_exclusive"]
    assert r.status == HOLDS_TO_DEPTH and "counterexample to induction at k=1: " in r.detail, r.detail
    label, pre = _cti_state(system, r.detail)
    (b,) = [b for b in system.bindings if b.label() == label]
    conc = Concrete(system)
    names = [p.name for p in system.properties]
    assert conc.holds(names.index("holders_exclusive"), pre)
    post, _ = conc.step(pre, b)
    assert post is not None and not conc.holds(names.index("holders_exclusive"), post)
    lemma_sys = build(SlotsWithLemma)
    held = [p.name for p in lemma_sys.properties].index("held_slots_used")
    assert not Concrete(lemma_sys).holds(held, pre)  # unreachable: the true lemma excludes it


class SlotsWrongLemma(Slots):
    """A lemma that is false: it must be reported violated, never used to prove anything."""

    name = "slots_wrong_lemma"

    @lemma
    def never_both(self, s):
        return ~((s.holders[0].slot != Ref.NONE) & (s.holders[1].slot != Ref.NONE))


def test_false_lemma_is_violated_not_assumed(tmp_path) -> None:
    system = build(SlotsWrongLemma)
    run = prove(system, "kind", None, 60, out_dir=tmp_path)
    r = {x.name: x for x in run.results}
    assert r["never_both"].status == VIOLATED and r["never_both"].trace_length == 2
    replay(load_trace(r["never_both"].trace_file), system)
    assert r["holders_exclusive"].status == PROVED


# -- honesty --------------------------------------------------------------------------------------

def test_bmc_bound_is_not_a_proof() -> None:
    run = prove(build(get_model("slots")), "bmc", 3, None)
    st = {r.name: r.status for r in run.results}
    assert st["holders_exclusive"] == HOLDS_TO_DEPTH
    assert not run.complete and run.exit_code == EXIT_INCOMPLETE


def test_timeout_is_unknown_never_proved() -> None:
    run = prove(build(get_model("mainline"), "base"), "chc", None, 0.5)
    assert not run.complete and run.exit_code == EXIT_INCOMPLETE
    assert any(r.status == UNKNOWN for r in run.results)


def test_unreplayable_trace_is_an_engine_bug(monkeypatch) -> None:
    """A decoding error (here: a corrupted state) must surface as an engine bug."""
    real = bmc_mod.Encoding.decode_state

    def corrupt(self, model: z3.ModelRef, s) -> int:
        v = real(self, model, s)
        return v ^ 1  # flip the lowest bit of the packed state

    monkeypatch.setattr(bmc_mod.Encoding, "decode_state", corrupt)
    run = prove(build(get_model("increment")), "bmc", 6, None)
    r = {x.name: x for x in run.results}["no_lost_update"]
    assert r.status == UNKNOWN and "ENGINE BUG" in r.detail
    assert r.trace_file is None
    assert run.exit_code == EXIT_INCOMPLETE


def test_unknown_engine_rejected() -> None:
    with pytest.raises(ValueError):
        prove(build(get_model("increment")), "bdd", None, None)


def test_docs_z3_examples_run() -> None:
    from test_docs_examples import run_doc

    run_doc("z3.md")


# -- progress properties: lassos ------------------------------------------------------------------

class Drains(Counters):
    """Counter 0 can go 5, 4, 5, 4, ... forever: ``== 5 ~> == 0`` fails without fairness."""

    name = "drains"

    @leads_to
    def first_counter_drains(self, s):
        return s.c[0].v == 5, s.c[0].v == 0


class DrainsStrong(Drains):
    name = "drains_strong"

    @leads_to(fairness="strong action")
    def first_counter_drains(self, s):
        return s.c[0].v == 5, s.c[0].v == 0


class Settles(Counters):
    """``inc`` only (no ``dec``): every run ends at 9, 9, 9."""

    name = "settles"
    dec = None

    @leads_to(fairness="who")
    def reaches_nine(self, s):
        return s.c[0].v == 8, s.c[0].v == 9


@pytest.mark.parametrize("model", [Drains, DrainsStrong])
def test_bmc_finds_lasso_that_replays(model, tmp_path) -> None:
    from ppcheck.checks.explorer import explore

    system = build(model)
    run = prove(system, "bmc", 10, 60, out_dir=tmp_path)
    r = {x.name: x for x in run.results}["first_counter_drains"]
    e = {x.name: x for x in explore(system).results}["first_counter_drains"]
    assert r.status == e.status == VIOLATED
    tr = load_trace(r.trace_file)
    assert tr.loop_start is not None and tr.kind == "leads_to"
    replay(tr, system)


def test_lasso_bmc_respects_fairness_and_termination() -> None:
    run = prove(build(Settles), "bmc", 40, 60)
    r = {x.name: x for x in run.results}["reaches_nine"]
    # every run ends (at 9, 9, 9) within 27 steps: the property is proved, not just bounded
    assert r.status == PROVED, r.detail


def test_kind_leaves_progress_to_the_explorer() -> None:
    run = prove(build(get_model("increment_lock")), "kind", None, 30)
    assert "lock_released" not in {x.name for x in run.results}
    assert "leads_to not checked: lock_released" in run.bound


#: the two largest skb configurations take 25-30 s each at load 6-9 (the others 2-15 s)
_SLOW_PROOFS = ("coalesce", "skbhead")


@pytest.mark.parametrize("config", [pytest.param(c, marks=pytest.mark.slow) if c in _SLOW_PROOFS else c
                                    for c in DEFAULT_CONFIGS])
def test_mainline_safety_proved_by_k_induction_with_lemmas(config) -> None:
    """With the strengthening ``@lemma``s of models/mainline/lemmas.py, every safety obligation
    of mainline (the invariants, the action assertions and the lemmas) is 1-inductive as one
    set in every default configuration: k-induction proves them all at k = 1 (1-12 s each
    measured; the witnesses are left out, they would keep the base case running to the
    budget)."""
    system = build(get_model("mainline"), config)
    names = ["action_assertions"] + [p.name for p in system.properties if p.kind == "always"]
    lemmas = {p.name for p in system.properties if p.lemma}
    assert len(lemmas) >= 10 and len(names) - len(lemmas) >= 17  # kernel invariants, not lemmas
    run = prove(system, "kind", timeout=120, properties=names)
    status = {r.name: (r.status, r.detail) for r in run.results}
    assert set(status) == set(names)
    for name in names:
        assert status[name][0] == PROVED, (name, status[name])
        assert status[name][1].startswith("k-induction: inductive"), (name, status[name])
    assert run.exit_code == EXIT_OK


# -- symmetry breaking (checks/z3_symmetry.py) ------------------------------------------------

def test_symmetry_is_proved_on_mainline_and_refused_when_false() -> None:
    """The page transposition is proved an automorphism of mainline; an obligation or a
    binding that tells the pages apart makes the proof fail (and BMC then runs unbroken)."""
    import z3

    from ppcheck.checks.z3_encode import Encoding, Obligation
    from ppcheck.checks.z3_symmetry import lex_leader, prove_symmetric

    system = build(get_model("mainline"), "base")
    enc = Encoding(system)
    obs = enc.obligations()
    assert prove_symmetric(enc, obs) is None
    assert lex_leader(enc, obs) is not None
    f = next(f.index for f in system.layout.fields if f.name == "pages[0].refcnt")
    asym = Obligation("page0_free", "always", enc.x[f] == 0)
    assert "page0_free tells pages[0] from pages[1]" in prove_symmetric(enc, [asym])
    b = next(b for b in system.bindings if b.args.get("p") == 0)
    enc.guards[b.id] = z3.BoolVal(False, enc.ctx)  # page 0 can no longer do what page 1 does
    assert "no binding does" in (prove_symmetric(enc, []) or "")


def test_bmc_with_symmetry_breaking_keeps_shortest_traces() -> None:
    """slots (a scalarset of two slots): BMC breaks the symmetry and still reaches the witness
    at the explorer's length, with a trace that replays."""
    system = build(get_model("slots"), "default")
    run = prove(system, "bmc", depth=4, timeout=None)
    assert "symmetry breaking on slots (proved sound)" in run.bound
    assert {r.name: r.trace_length for r in run.results}["both_hold"] == 2
