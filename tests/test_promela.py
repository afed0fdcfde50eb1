"""SPIN, an independent model checker, agrees with the explorer on exported models.

The Promela is generated from the same traced IR; SPIN's stored-state count is the
explorer's count without symmetry plus one (the process's start), and SPIN finds an
assertion violation exactly where the explorer finds an invariant violation.
"""

from __future__ import annotations

import shutil

import pytest

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.promela import run_spin, to_promela
from ppcheck.models.toys import Counters, Increment, IncrementLock, Slots
from ppcheck.spec import build

needs_spin = pytest.mark.skipif(shutil.which("spin") is None or shutil.which("cc") is None,
                                reason="spin or a C compiler is not installed (.ci/run installs spin)")


@needs_spin
@pytest.mark.parametrize("model", [IncrementLock, Slots, Counters, Increment], ids=lambda m: m.name)
def test_spin_agrees_on_states_and_verdict(model, tmp_path):
    sysm = build(model)
    ours = Explorer(sysm, symmetry=False).run()
    spin = run_spin(sysm, str(tmp_path))
    assert spin["states"] == ours.states + 1
    violated = any(r.status == "violated" for r in ours.results if r.kind == "always")
    assert (spin["errors"] > 0) == violated


def test_export_is_plain_promela():
    src = to_promela(build(IncrementLock))
    assert "active proctype model()" in src and "d_step" in src and "assert(" in src
    assert "not exported: all_done, x_never_decreases, lock_released" in src
