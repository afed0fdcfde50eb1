"""Mutation testing: every seeded implementation bug is caught by conformance.

Each mutation (:data:`ppcheck.impl.switches.MUTATIONS`) is run through its designated
detector, which must report a non-conformance; the very same detector passes on the
real implementation (tests/test_impl_conformance.py runs it).  The full kill table,
every detector against every mutation, is ``python benchmarks/mutation_report.py``.
"""

from __future__ import annotations

import pytest

from ppcheck.impl.mutation import DESIGNATED, detector
from ppcheck.impl.switches import MAINLINE, MUTATIONS, Switches


def test_every_mutation_has_a_designated_detector():
    assert set(DESIGNATED) == set(MUTATIONS)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutation_is_killed(mutation):
    det = detector(DESIGNATED[mutation])
    msg = det(Switches(mutation=mutation))
    assert msg is not None, f"{mutation} survived {det.__name__}"
    assert "transition" in msg or "invariant" in msg or "WARN" in msg or "counterpart" in msg


@pytest.mark.parametrize("name", sorted(set(DESIGNATED.values())))
def test_designated_detectors_pass_on_the_real_implementation(name):
    assert detector(name)(MAINLINE) is None


def test_unknown_mutation_is_rejected():
    with pytest.raises(ValueError):
        Switches(mutation="nonsense")
