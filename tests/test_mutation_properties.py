"""The three kernel properties the mainline mutation run proposed (docs/mutation-mainline.md):
each holds on the unmutated model and catches a seeded bug, planted with the mutation operators
(found by action, operator and description, not by ordinal, so the test survives new sites).

The bugs: put_page() at _refcount 0 that does not free the page (``buddy_page_is_free``),
page_pool_alloc_frag_netmem() without ``frag_users++`` (``frag_offset_counts_users``) and
page_pool_producer_unlock() that does not release the lock (``producer_lock_held_inside``).
"""

from __future__ import annotations

import pytest

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.mutate import plan, probe
from ppcheck.checks.verdict import HOLDS, VIOLATED
from ppcheck.models import get_model
from ppcheck.spec.model import build
from ppcheck.spec.mutation import build_mutant

CASES = [
    # property, configuration, action, operator, description
    ("buddy_page_is_free", "base", "page_pool_return_put", "drop_update",
     "drop update `pages[0].loc = 0`"),
    ("frag_offset_counts_users", "frag", "page_pool_alloc_frag", "drop_update",
     "drop update `pool.frag_users = (pool.frag_users + 1)`"),
    ("producer_lock_held_inside", "base", "page_pool_producer_unlock", "drop_update",
     "drop update `pool.ring_lock = -1`"),
]


def _verdict(system, prop: str) -> str:
    run = Explorer(system, properties=[prop], stop_at_first=True).run()
    return next(r.status for r in run.results if r.name == prop)


@pytest.mark.parametrize(("prop", "config", "action", "operator", "label"), CASES,
                         ids=[c[0] for c in CASES])
def test_property_holds_and_catches_its_seeded_bug(prop, config, action, operator, label):
    model = get_model("mainline")
    cfg = model.config(config)
    assert _verdict(build(model, cfg), prop) == HOLDS
    pr = probe(model, [cfg])
    found = [m for m in plan(pr) if (m.site.action, m.operator, m.label) == (action, operator, label)]
    assert found, f"no mutant {action} {operator} {label!r}: the model's site changed"
    assert _verdict(build_mutant(model, found[0], cfg, pr.bases[0].system), prop) == VIOLATED
