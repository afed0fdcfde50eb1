"""BMC with proved invariants assumed (``run_bmc(..., assume_proved=True)``): only what
k-induction proved in the same run is asserted on the unrolled states; a false lemma, or a
true one that is not 1-inductive, is never assumed; shortest traces are unchanged."""

from __future__ import annotations

import expected
import pytest
from seeded_bugs import BUGS, Bug
from test_z3_proofs import SlotsWithLemma, SlotsWrongLemma

from ppcheck.checks import bmc as bmc_mod
from ppcheck.checks.bmc import Deadline, prove_for_bmc, run_bmc
from ppcheck.checks.prove import prove
from ppcheck.checks.replay import replay
from ppcheck.checks.traces import load_trace
from ppcheck.checks.verdict import EXIT_VIOLATION, PROVED, REACHED, VIOLATED
from ppcheck.checks.z3_encode import Encoding
from ppcheck.models import get_model
from ppcheck.spec.model import build


def test_false_lemma_is_not_assumed_and_its_violation_is_found(tmp_path) -> None:
    """``never_both`` is false (both holders hold a slot after 2 steps).  Assumed, it would hide
    the ``both_hold`` witness; BMC must report it violated and still reach the witness at 2."""
    system = build(SlotsWrongLemma)
    enc = Encoding(system)
    names = {o.name for o in prove_for_bmc(enc, Deadline(60)).obs}
    assert "never_both" not in names and "action_assertions" in names
    run = prove(system, "bmc", depth=4, timeout=60, out_dir=tmp_path, assume_proved=True)
    r = {x.name: x for x in run.results}
    assert r["never_both"].status == VIOLATED and r["never_both"].trace_length == 2
    replay(load_trace(r["never_both"].trace_file), system)
    assert r["both_hold"].status == REACHED and r["both_hold"].trace_length == 2
    assert "assumed in every state" in run.bound


def test_only_1_inductive_obligations_are_assumed() -> None:
    """On ``slots`` ``holders_exclusive`` is true but not 1-inductive alone: not assumed.  With
    the true lemma ``held_slots_used`` both are proved at k = 1, and both are assumed."""
    plain = {o.name for o in prove_for_bmc(Encoding(build(get_model("slots"))), Deadline(60)).obs}
    assert "holders_exclusive" not in plain
    lem = prove_for_bmc(Encoding(build(SlotsWithLemma)), Deadline(60))
    assert {"holders_exclusive", "held_slots_used"} <= {o.name for o in lem.obs}
    assert all(lem.outcomes[o.name].status == PROVED for o in lem.obs)


def test_nothing_is_assumed_when_the_proof_does_not_finish(monkeypatch) -> None:
    """No proof in the budget (k-induction given no time): nothing is assumed, and BMC still
    finds the witness ``both_hold`` of the lemma model at 2 steps."""
    monkeypatch.setattr(bmc_mod, "PROOF_BUDGET", 0.0)
    enc = Encoding(build(SlotsWithLemma))
    seen: list[int] = []
    real = bmc_mod.Unrolling.__init__

    def spy(self, *a, **kw) -> None:  # noqa: ANN001, ANN002, ANN003
        real(self, *a, **kw)
        if self.engine == bmc_mod.ENGINE:  # not k-induction's base case
            seen.append(len(self.invariants))

    monkeypatch.setattr(bmc_mod.Unrolling, "__init__", spy)
    er = run_bmc(enc, enc.obligations(), 4, Deadline(None), None, assume_proved=True)
    assert seen == [0] and er.assumed == 0
    assert er.outcomes["both_hold"].status == REACHED and er.outcomes["both_hold"].trace.length == 2
    assert er.outcomes["holders_exclusive"].status != PROVED  # only BMC-bounded, not proved


#: cheap seeded bugs in CI; every other one behind -m slow
_FAST = {"bug_no_hold_count", "bug_frag_users_lost", "bug_bulk_always_direct"}


@pytest.mark.parametrize("bug", [b if b.model.name in _FAST else pytest.param(b, marks=pytest.mark.slow)
                                 for b in BUGS], ids=lambda b: b.model.name)
def test_seeded_bug_found_with_proved_invariants_assumed(bug: Bug, tmp_path) -> None:
    """Each seeded mainline bug: found at the explorer's shortest length with the proved
    invariants of the buggy model assumed, and the trace replays."""
    length = expected.bug(bug)["length"]
    system = build(bug.model, bug.config)
    run = prove(system, "bmc", depth=length, timeout=600, out_dir=tmp_path, properties=[bug.prop],
                assume_proved=True)
    (r,) = run.results
    assert r.status == VIOLATED, (r.status, r.detail)
    assert r.trace_length == length
    assert run.exit_code == EXIT_VIOLATION
    replay(load_trace(r.trace_file), system)
