"""The explorer on toy models with hand-counted answers."""

from __future__ import annotations

import pytest
from fairness_toys import spin_model

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.symmetry import all_permutations, permute
from ppcheck.models.toys import MODELS, Counters, Increment, IncrementLock, Slots, Unreachable
from ppcheck.spec import action, build, leads_to, require


def _verdicts(run):
    return {r.name: r.status for r in run.results}


def test_increment_counts_and_shortest_lost_update():
    ex = Explorer(build(Increment), symmetry=False)
    run = ex.run()
    assert (run.states, run.depth, run.complete) == (13, 4, True)
    assert _verdicts(run)["no_lost_update"] == "violated"
    tr = ex.traces["no_lost_update"]
    # read, read, write, write: both threads read 0 before either writes
    assert [s.action for s in tr.steps[1:]] == ["read", "read", "write", "write"]
    assert {s.args["t"] for s in tr.steps[1:3]} == {0, 1}
    assert tr.steps[-1].state["x"] == 1


def test_increment_symmetry_reduces_13_to_8_with_same_verdicts():
    full = Explorer(build(Increment), symmetry=False).run()
    sym = Explorer(build(Increment), symmetry=True).run()
    assert sym.states == 8 and full.states == 13
    assert _verdicts(sym) == _verdicts(full)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_symmetry_never_changes_verdicts_or_grows_counts(model):
    full = Explorer(build(model), symmetry=False).run()
    sym = Explorer(build(model), symmetry=True).run()
    assert _verdicts(sym) == _verdicts(full)
    assert sym.states <= full.states
    lengths_full = {r.name: r.trace_length for r in full.results}
    lengths_sym = {r.name: r.trace_length for r in sym.results}
    assert lengths_full == lengths_sym  # shortest traces have the same length


def test_symmetry_is_exact_on_slots_with_refs():
    sysm = build(Slots)
    ex = Explorer(sysm, symmetry=False)
    full = ex.run()
    orbits = {min(permute(sysm, s, p) for p in all_permutations(sysm)) for s in ex.states}
    sym = Explorer(sysm, symmetry=True).run()
    assert (full.states, len(orbits), sym.states) == (73, 16, 16)


def test_increment_lock_holds_everything():
    run = Explorer(build(IncrementLock)).run()
    assert run.complete and run.exit_code == 0
    assert set(_verdicts(run).values()) <= {"holds", "reached"}


def test_unreachable_witness_is_vacuous():
    run = Explorer(build(Unreachable)).run()
    assert _verdicts(run)["reaches_three"] == "vacuous"
    assert run.exit_code == 1


def test_counters_exact_counts():
    run = Explorer(build(Counters)).run()
    assert (run.states, run.transitions, run.depth) == (1000, 5400, 27)
    assert run.coverage == {"inc": 2700, "dec": 2700}


def test_state_budget_is_incomplete_not_holds():
    run = Explorer(build(Counters), max_states=100, chunk=16).run()
    assert not run.complete and "state budget" in run.reason
    assert _verdicts(run)["in_range"] == "unknown"
    assert run.exit_code == 3


def test_time_budget_is_incomplete():
    run = Explorer(build(Counters, "bench"), timeout=0.05).run()
    assert not run.complete and "time budget" in run.reason
    assert _verdicts(run)["all_nine"] == "unknown"


def test_never_fired_action_is_reported():
    run = Explorer(build(Unreachable)).run()
    assert run.never_fired() == []

    class Dead(Unreachable):
        name = "dead"

        @action
        def never(self, s):
            require(s.x == 3)
            s.x = 0

    run = Explorer(build(Dead)).run()
    assert run.never_fired() == ["never"]


def test_leads_to_violation_is_a_lasso():
    class Progress(Increment):
        name = "progress"

        @leads_to
        def reaches_two(self, s):
            """Once started, x eventually reaches 2: false, the lost update stops at 1."""
            return s.x == 0, s.x == 2

    ex = Explorer(build(Progress), symmetry=False)
    run = ex.run()
    assert _verdicts(run)["reaches_two"] == "violated"
    tr = ex.traces["reaches_two"]
    assert tr.steps[-1].state["x"] == 1  # ends in the deadlock after the lost update


def test_stop_at_first_violation():
    run = Explorer(build(Increment), stop_at_first=True).run()
    assert not run.complete and run.exit_code == 1


def test_progress_callback_reports():
    seen = []
    Explorer(build(Counters, "bench"), progress=seen.append, progress_every=0.0,
             max_states=50_000).run()
    assert seen and {"states", "depth", "frontier", "states_per_s"} <= set(seen[0])


def test_generated_source_is_compiled_python():
    ex = Explorer(build(Counters))
    ex.run()
    assert "def expand(lo, hi):" in ex.compiled.source


def test_depth_bound_is_incomplete_and_checks_up_to_it():
    run = Explorer(build(Counters), max_depth=3).run()
    assert not run.complete and "depth bound of 3" in run.reason
    # counters n=3: states within 3 steps of 000 = C(3+3, 3) = 20 checked; their successors stored
    assert run.depth == 3 and _verdicts(run)["in_range"] == "unknown"
    run = Explorer(build(Increment), max_depth=4).run()
    assert _verdicts(run)["no_lost_update"] == "violated"


def test_only_named_properties():
    run = Explorer(build(Increment), properties=["x_never_decreases"]).run()
    assert [r.name for r in run.results] == ["action_assertions", "x_never_decreases"]
    with pytest.raises(Exception, match="no property 'nope'"):
        Explorer(build(Increment), properties=["nope"])


def test_simulation_finds_the_lost_update_and_proves_nothing(tmp_path):
    from ppcheck.checks.replay import replay
    from ppcheck.checks.simulate import simulate
    from ppcheck.checks.traces import load_trace

    run = simulate(build(Increment), walks=50, seed=1, out_dir=tmp_path)
    v = _verdicts(run)
    assert v["no_lost_update"] == "violated" and v["x_never_decreases"] == "unknown"
    assert not run.complete and run.exit_code == 1
    tr = load_trace(tmp_path / "increment-default-no_lost_update-simulation.json")
    assert replay(tr).steps == tr.length
    ok = simulate(build(IncrementLock), walks=50, seed=1)
    assert _verdicts(ok)["no_lost_update"] == "unknown" and ok.exit_code == 3


def test_symmetric_transition_property_holds_under_symmetry():
    from ppcheck.spec import count, transition

    class OneAtATime(Slots):
        name = "slots_one"

        @transition
        def one_slot_at_a_time(self, before, after):
            """Each step changes the `used` flag of at most one slot."""
            return count(b.used != a.used for b, a in zip(before.slots, after.slots)) <= 1

    full = Explorer(build(OneAtATime), symmetry=False).run()
    sym = Explorer(build(OneAtATime), symmetry=True).run()
    assert _verdicts(full)["one_slot_at_a_time"] == _verdicts(sym)["one_slot_at_a_time"] == "holds"
    assert sym.symmetry and sym.states < full.states


def test_asymmetric_transition_property_disables_symmetry():
    from ppcheck.spec import transition

    class SlotZero(Slots):
        name = "slots_zero"

        @transition
        def slot0_never_taken(self, before, after):
            return ~(~before.slots[0].used & after.slots[0].used)

    run = Explorer(build(SlotZero), symmetry=True).run()
    assert not run.symmetry and "slot0_never_taken" in run.symmetry_note
    assert _verdicts(run)["slot0_never_taken"] == "violated"


def test_domain_error_in_a_symmetric_record_rebuilds_a_trace():
    class Overflow(Increment):
        name = "overflow"

        @action(t="threads", who="t")
        def write(self, s, t):
            th = s.threads[t]
            require(th.pc == 1)
            th.t = th.t + 3  # leaves 0..threads

    ex = Explorer(build(Overflow), symmetry=True)
    run = ex.run()
    assert run.symmetry and _verdicts(run)["action_assertions"] == "violated"
    tr = ex.traces["action_assertions"]
    assert tr.length == 2 and "domain of threads[" in tr.steps[-1].error


@pytest.mark.parametrize("fairness, gated, verdict", [
    (None, False, "violated"),     # A may starve B forever
    ("who", False, "holds"),       # B is continuously enabled: weak fairness makes it run
    ("action", False, "holds"),
    ("who", True, "violated"),     # B enabled only every other step: weak fairness is not enough
    ("strong who", True, "holds"),  # ... strong fairness is (a queued spinlock's waiter gets in)
])
def test_leads_to_weak_fairness(fairness, gated, verdict):
    ex = Explorer(build(spin_model(fairness, gated)), symmetry=False)
    run = ex.run()
    assert _verdicts(run)["b_finishes"] == verdict
    if verdict == "violated":
        tr = ex.traces["b_finishes"]
        assert tr.loop_start is not None and all(st.action == "spin" for st in tr.steps[tr.loop_start + 1:])


def test_properties_can_apply_to_some_configurations():
    from ppcheck.spec import sometimes

    class Sized(Counters):
        name = "sized"

        @sometimes(applies=lambda cfg: cfg.n >= 3)
        def third_counter_moves(self, s):
            return s.c[2].v > 0

    assert "third_counter_moves" in {p.name for p in build(Sized).properties}
    small = build(Sized, Sized.config("default", n=2))
    assert "third_counter_moves" not in {p.name for p in small.properties}


@pytest.mark.parametrize("name", ["increment", "slots", "mainline"])
def test_fused_successors_agree_with_step_functions(name):
    """succ_all (one pass over all bindings) == the per-binding step functions."""
    from ppcheck.checks.explorer import Concrete
    from ppcheck.checks.symmetry import random_states
    from ppcheck.models import get_model

    m = get_model(name)
    sysm = build(m, m.default_configs[0])
    conc = Concrete(sysm)
    ex = Explorer(sysm, max_states=2000)
    ex.run()
    for s in random_states(sysm, 100) + ex.states[::10]:
        fused = sorted(((b.id, t, e) for b, t, e in conc.successors(s)), key=lambda x: x[0])
        one_by_one = [(b.id, *conc.step(s, b)) for b in sysm.bindings if conc.step(s, b) != (None, None)]
        assert fused == one_by_one
