"""The skb paths of the mainline model (models/mainline/skb.py): each is reachable in a
default configuration (its witnesses are reached there: tests/test_mainline.py runs them) and
each has a seeded bug (tests/skb_bugs.py) that the explorer catches with a short trace."""

from __future__ import annotations

import pytest
from skb_bugs import SKB_BUGS

from ppcheck.checks.explorer import Explorer
from ppcheck.models.mainline import Mainline
from ppcheck.spec import build
from ppcheck.spec.model import SOMETIMES

#: witness -> the default configuration that must reach it
WITNESSES = {
    "skb_head_in_pool_page": "skbhead", "head_page_recycled": "skbhead",
    "head_stolen_by_coalesce": "skbhead", "gro_steals_head": "skbhead",
    "gro_moves_frags": "skbhead", "nonpool_next_to_pool_skb": "skbhead",
    "coalesce_takes_pp_ref": "coalesce", "split_of_rx_page": "skb",
    "shift_merges_frag": "skb", "shift_moves_frag": "skb", "segment_refs_pool_page": "skb",
}


def test_every_skb_witness_has_a_default_configuration():
    sysms = {cfg: build(Mainline, cfg) for cfg in set(WITNESSES.values())}
    assert set(WITNESSES.values()) <= set(Mainline.default_configs)
    for name, cfg in WITNESSES.items():
        kinds = {p.name: p.kind for p in sysms[cfg].properties}
        assert kinds.get(name) == SOMETIMES, (name, cfg)


@pytest.mark.parametrize("cfg", ["coalesce"])
def test_coalesce_reaches_the_pp_ref_increment_and_unref_sub(cfg):
    """The increment of skb_try_coalesce() is reached, so page_pool_unref_sub runs against
    skb-held pp references, in a search that completes."""
    r = Explorer(build(Mainline, cfg), symmetry=True,
                 properties=["coalesce_takes_pp_ref", "pp_ref_accounting"]).run()
    assert r.complete and r.symmetry
    st = {x.name: x.status for x in r.results}
    assert st["coalesce_takes_pp_ref"] == "reached" and st["pp_ref_accounting"] == "holds"
    assert r.coverage["page_pool_unref_sub"] > 0 and r.coverage["skb_try_coalesce"] > 0


@pytest.mark.parametrize("bug", SKB_BUGS, ids=lambda b: b.model.__name__)
def test_skb_seeded_bug_is_caught(bug):
    ex = Explorer(build(bug.model, bug.config), symmetry=True, properties=[bug.prop],
                  stop_at_first=True, timeout=120)
    r = ex.run()
    res = {x.name: x for x in r.results}[bug.prop]
    assert res.status == "violated", res.detail
    tr = ex.traces[bug.prop]
    assert (tr.length, tr.steps[-1].action) == (bug.length, bug.last)
    assert bug.config in Mainline.default_configs
