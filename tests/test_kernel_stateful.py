"""Hypothesis state machines driving the compiled page_pool.c (kernel/stateful.py).

The machine holds on 6.12 as shipped and fails, with a shrunk program and interleaving, on a
build with a seeded C bug. Marked ``kernel`` (skipped without a tree).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from ppcheck.kernel import bugs
from ppcheck.kernel.build import build
from ppcheck.kernel.stateful import machine_for
from ppcheck.kernel.tree import find_tree, open_tree

pytestmark = pytest.mark.kernel

T612 = find_tree("6.12")
needs612 = pytest.mark.skipif(T612 is None,
                              reason="no linux-source-6.12 tree (apt-get install linux-source-6.12)")
FAST = settings(max_examples=30, stateful_step_count=30, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@needs612
def test_machine_holds_on_612():
    m = machine_for(build(open_tree(T612)))
    run_state_machine_as_test(m, settings=FAST)
    assert m.calls > 30


@needs612
def test_machine_catches_a_seeded_bug():
    """page_pool_return_page() without page_pool_clear_pp_info(): a page freed to the buddy
    allocator still carries the signature, found by some program and interleaving."""
    tree = open_tree(T612)
    patch = bugs.patch_for(bugs.by_name("no_clear_pp_info"), tree)
    with pytest.raises(AssertionError, match="pp_page_not_freed_by_put_page|spec_invariants|inflight"):
        run_state_machine_as_test(machine_for(build(tree, patch=patch)),
                                  settings=settings(FAST, max_examples=200,
                                                   phases=[Phase.generate]))
