"""Rumur, a Murphi model checker, agrees with the explorer on exported models.

The Murphi program is generated from the same traced IR (``checks/murphi.py``); Rumur stores
exactly the explorer's distinct states and fires exactly its transitions without symmetry, and
reports an invariant violation exactly where the explorer finds one.  Skipped where rumur or a
C compiler is absent (``apt-get install rumur``), like the SPIN tests.
"""

from __future__ import annotations

import itertools

import pytest
from seeded_bugs import FragUsersLost

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.murphi import OP_TABLE, expr, rumur_available, run_rumur, symmetry_obstacle, to_murphi
from ppcheck.models import get_model
from ppcheck.models.toys import Counters, Increment, IncrementLock, Slots, Unreachable
from ppcheck.spec import build
from ppcheck.spec.expr import BOOL, INT, OPS, Expr, const, evaluate

needs_rumur = pytest.mark.skipif(not rumur_available(),
                                 reason="rumur or a C compiler is not installed (apt-get install rumur)")


def _agree(system, tmp_path):
    ours = Explorer(system, symmetry=False).run()
    assert ours.complete and not any(r.status == "violated" for r in ours.results)
    got = run_rumur(system, str(tmp_path))
    assert (got["states"], got["transitions"], got["errors"]) == (ours.states, ours.transitions, 0)


@needs_rumur
@pytest.mark.parametrize("model", [IncrementLock, Slots, Counters, Unreachable], ids=lambda m: m.name)
def test_rumur_agrees_on_toys(model, tmp_path):
    _agree(build(model), tmp_path)


@needs_rumur
@pytest.mark.parametrize("config", ["polling", pytest.param("frag", marks=pytest.mark.slow)])
def test_rumur_agrees_on_mainline(config, tmp_path):
    _agree(build(get_model("mainline"), config), tmp_path)


@needs_rumur
def test_rumur_finds_the_lost_update(tmp_path):
    got = run_rumur(build(Increment), str(tmp_path))
    assert got["errors"] == 1 and got["message"] == "no_lost_update" and got["exit"] != 0


@needs_rumur
def test_rumur_finds_a_seeded_bug(tmp_path):
    """FragUsersLost (page_pool_alloc_frag() without frag_users++) breaks pp_ref_accounting."""
    system = build(FragUsersLost, "frag")
    ours = {r.name: r.status for r in Explorer(system, symmetry=False, stop_at_first=True).run().results}
    assert ours["pp_ref_accounting"] == "violated"
    got = run_rumur(system, str(tmp_path))
    assert got["errors"] == 1 and got["message"] == "pp_ref_accounting"


def _samples():
    """(node over constants, reference value) for every operator but var/next."""
    ints = [-3, 0, 2, 5]
    for op in OPS:
        if op in ("var", "next"):
            continue
        if op == "const":
            yield from ((const(v), v) for v in ints)
        elif op in ("and", "or"):
            for vals in itertools.product([0, 1], repeat=3):
                yield Expr(op, tuple(const(bool(v)) for v in vals), BOOL), None
        elif op == "not":
            yield from ((Expr(op, (const(bool(v)),), BOOL), None) for v in (0, 1))
        elif op == "ite":
            for c, a, b in itertools.product([0, 1], ints, ints):
                yield Expr(op, (const(bool(c)), const(a), const(b)), INT), None
        elif op == "neg":
            yield from ((Expr(op, (const(v),), INT), None) for v in ints)
        else:
            sort = BOOL if op in ("eq", "ne", "lt", "le") else INT
            for a, b in itertools.product(ints, ints):
                if not (op == "mod" and b <= 0):  # the IR's mod is by a positive width
                    yield Expr(op, (const(a), const(b)), sort), None


@needs_rumur
def test_operator_table_agrees_with_the_reference(tmp_path):
    """Each row of OP_TABLE, evaluated by Rumur, gives the reference value (one program: an
    invariant per sample)."""
    import subprocess

    lines = ["var v_x : boolean;", 'startstate begin v_x := false; end;', 'rule "stay" false ==> begin end;']
    for k, (e, _) in enumerate(_samples()):
        want = evaluate(e, [])
        src = expr(e, [])
        rhs = expr(const(bool(want)) if e.sort == BOOL else const(want), [])
        lines.append(f'invariant "s{k}: {e.op}" ({src}) = {rhs};')
    (tmp_path / "ops.m").write_text("\n".join(lines) + "\n")
    subprocess.run(["rumur", "--quiet", "--deadlock-detection", "off", "--threads", "1", "--max-errors",
                    "100000", "--counterexample-trace", "off", "--value-type", "int32_t",
                    "-o", "ops.c", "ops.m"],
                   cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(["cc", "-O0", "-o", "ops", "ops.c", "-lpthread"], cwd=tmp_path, check=True,
                   capture_output=True)
    r = subprocess.run(["./ops"], cwd=tmp_path, capture_output=True, text=True)
    assert "No error found" in r.stdout, r.stdout[-2000:]
    assert set(OP_TABLE) == set(OPS)


def test_export_is_plain_murphi():
    src = to_murphi(build(IncrementLock))
    assert "startstate" in src and "rule \"read(t=0)\"" in src and "invariant \"no_lost_update\"" in src
    assert "not exported: all_done, x_never_decreases, lock_released" in src
    assert "v_locked : boolean;" in src and "v_threads_0__pc : 0..2;" in src


def test_wrapping_counters_carry_the_mod():
    """mainline's u32 counters (counter_bits wide here) wrap by the IR's explicit mod."""
    src = to_murphi(build(get_model("mainline"), "polling"))
    assert "u2, wraps" in src and "% 4 + 4) % 4)" in src


def test_symmetry_is_not_expressible():
    """The IR names records by constant index: no scalarset export, and the reason says so."""
    why = symmetry_obstacle(build(Slots))
    assert why is not None and "slots[0].used" in why and "scalarset" in why
    assert symmetry_obstacle(build(Counters)) is None
