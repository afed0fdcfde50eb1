"""Mutation testing: every seeded implementation bug is caught by conformance.

Each mutation (:data:`ppcheck.impl.switches.MUTATIONS`) is run through its designated
detector, which must report a non-conformance; the very same detector passes on the
real implementation (tests/test_impl_conformance.py runs it).  The full kill table,
every detector against every mutation, is ``python benchmarks/mutation_report.py``.
"""

from __future__ import annotations

import pytest

from ppcheck.impl.mutation import DESIGNATED, detector
from ppcheck.impl.switches import MUTATIONS, Switches


def test_every_mutation_has_a_designated_detector():
    assert set(DESIGNATED) == set(MUTATIONS)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_mutation_is_killed(mutation):
    det = detector(DESIGNATED[mutation])
    msg = det(Switches(mutation=mutation))
    assert msg is not None, f"{mutation} survived {det.__name__}"
    assert "transition" in msg or "invariant" in msg or "WARN" in msg or "counterpart" in msg


def test_designated_detectors_are_the_ones_run_unmutated():
    """The conformance tests run these very detectors on the real implementation
    (exhaustive scopes via explore_scope, random:<config>x6 via random_detector)."""
    from ppcheck.impl.explore import SCOPES

    for name in set(DESIGNATED.values()):
        kind, _, what = name.partition(":")
        assert (kind == "exhaustive" and what in SCOPES) or (kind == "random" and what.endswith("x6"))


def test_unknown_mutation_is_rejected():
    with pytest.raises(ValueError):
        Switches(mutation="nonsense")
