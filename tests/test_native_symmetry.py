"""The symmetry soundness probe in C (checks/native/symmetry.c) against checks/symmetry.py.

``asymmetry`` asks, for each state and each adjacent swap of a symmetric array, whether a
property, the set of canonical successors or a transition property tells the swapped
records apart.  The native backend asks the same in C; here both answer on the same states
(initial, random, reachable) and must give the same answer word for word: None for sound
models, the same first reason for a model whose property, transition property or action
names one record.
"""

from __future__ import annotations

import pytest

from ppcheck.checks import symmetry as sym
from ppcheck.checks.compile import compile_system
from ppcheck.checks.native import unavailable
from ppcheck.checks.native.explorer import CCompiled, NativeExplorer
from ppcheck.models import get_model
from ppcheck.models.toys import IncrementLock, Slots
from ppcheck.spec import action, always, build, require, transition

pytestmark = pytest.mark.skipif(unavailable() is not None, reason=f"native backend: {unavailable()}")


class _SlotsPair(Slots):
    name = "slots_asym"

    @always
    def never_two_used(self, s):
        return ~(s.slots[0].used & s.slots[1].used)


class _SlotZero(Slots):
    name = "slots_zero"

    @transition
    def slot0_never_taken(self, before, after):
        return ~(~before.slots[0].used & after.slots[0].used)


class _GrabFirst(Slots):
    name = "slots_first"

    @action
    def leak_first(self, s):
        """Only slot 0 leaks (used, no holder): the actions tell the slots apart."""
        require(~s.slots[0].used)
        s.slots[0].used = True


def _states(sysm) -> list[int]:
    ex = NativeExplorer(sysm, workers=1, symmetry=False, max_states=3000)
    ex.run()
    reach = list(ex.states)
    return sysm.init_states + sym.random_states(sysm, 40) + reach[::max(1, len(reach) // 200)]


CASES = [
    (Slots, None, None),
    (IncrementLock, None, None),
    (get_model("mainline"), "bench", None),
    (_SlotsPair, None, "property never_two_used distinguishes records of slots"),
    (_SlotZero, None, "transition property slot0_never_taken distinguishes records of slots"),
    (_GrabFirst, None, "the actions treat records of slots differently"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0].name + (f":{c[1]}" if c[1] else ""))
def test_native_probe_answers_as_python(case):
    model, cfg, expected = case
    sysm = build(model, cfg) if cfg else build(model)
    states = _states(sysm)
    ex = NativeExplorer(sysm, workers=1)
    native = ex._probe()
    assert native.asymmetry is not None
    got = sym.asymmetry(sysm, native, states)
    c_funcs = CCompiled(ex, True)
    c_funcs.asymmetry = None  # the Python probe on the C functions
    python = compile_system(sysm, True)  # the Python probe on the Python explorer's functions
    assert got == sym.asymmetry(sysm, c_funcs, states) == sym.asymmetry(sysm, python, states) \
        == expected
    # and state by state: the first state that tells records apart is the same one
    if expected is not None:
        first = next(i for i in range(len(states)) if sym.asymmetry(sysm, python, states[:i + 1]))
        assert sym.asymmetry(sysm, native, states[:first]) is None
        assert sym.asymmetry(sysm, native, states[:first + 1]) == expected
