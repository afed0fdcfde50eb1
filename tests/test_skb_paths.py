"""The skb paths of the mainline model (models/mainline/skb.py): each is reachable in a
default configuration (its witnesses are reached there) and each has a seeded bug
(tests/skb_bugs.py) that the explorer catches with a short trace.  Counts, verdicts and
trace lengths come from the manifest (``ppcheck manifest --update``; tests/test_manifest.py
re-runs every recorded entry)."""

from __future__ import annotations

import expected
import pytest
from skb_bugs import SKB_BUGS

from ppcheck.models.mainline import Mainline
from ppcheck.spec import build
from ppcheck.spec.model import ALWAYS, SOMETIMES

#: witness -> the default configuration that must reach it
WITNESSES = {
    "skb_head_in_pool_page": "skbhead", "head_page_recycled": "skbhead",
    "head_stolen_by_coalesce": "skbhead", "gro_steals_head": "skbhead",
    "gro_moves_frags": "skbhead", "nonpool_next_to_pool_skb": "skbhead",
    "coalesce_takes_pp_ref": "coalesce", "split_of_rx_page": "skb",
    "shift_merges_frag": "skb", "shift_moves_frag": "skb", "segment_refs_pool_page": "skb",
}

#: the actions of the skb paths and the default configuration each fires in
PATH_ACTIONS = {
    "napi_build_skb": "skbhead", "napi_alloc_skb": "skbhead", "skb_gro_receive": "skbhead",
    "skb_free_head": "skbhead", "skb_try_coalesce": "coalesce", "skb_split": "skb",
    "skb_shift": "skb", "skb_segment": "skb",
}

#: a short trace: a reviewer reads it in one screen
SHORT = 17  # ShiftMergeKeepsRef: 17 steps since skb_data_unref() is three steps


@pytest.mark.parametrize("name", sorted(WITNESSES))
def test_skb_witness_reached_in_a_default_configuration(name):
    cfg = WITNESSES[name]
    assert cfg in Mainline.default_configs
    kinds = {p.name: p.kind for p in build(Mainline, cfg).properties}
    assert kinds.get(name) == SOMETIMES, (name, cfg)
    assert expected.run("mainline", cfg)["verdicts"][name] == "reached"


@pytest.mark.parametrize("action", sorted(PATH_ACTIONS))
def test_skb_path_action_fires(action):
    assert action not in expected.run("mainline", PATH_ACTIONS[action])["never_fired"]


def test_coalesce_reaches_the_pp_ref_increment_and_unref_sub():
    """The increment of skb_try_coalesce() is reached, so page_pool_unref_sub runs against
    skb-held pp references, in a search that completes with symmetry over skbs."""
    r = expected.run("mainline", "coalesce")
    assert r["complete"] and r["symmetry"]
    assert r["verdicts"]["coalesce_takes_pp_ref"] == "reached"
    assert r["verdicts"]["pp_ref_accounting"] == "holds"
    assert "page_pool_unref_sub" not in r["never_fired"]


def test_every_skb_safety_property_has_a_seeded_bug():
    """The safety properties the skb configurations add to base have a bug here."""
    def safety(cfg):
        return {p.name for p in build(Mainline, cfg).properties if p.kind == ALWAYS and not p.lemma}

    added = set().union(*(safety(c) for c in ("skb", "coalesce", "skbhead"))) - safety("base")
    assert added and added <= {b.prop for b in SKB_BUGS}


@pytest.mark.parametrize("bug", SKB_BUGS, ids=lambda b: b.model.__name__)
def test_skb_seeded_bug_is_caught_with_a_short_trace(bug):
    rec = expected.bug(bug)
    assert rec["verdict"] == "violated" and 0 < rec["length"] <= SHORT
    assert rec["last"] == bug.last
    assert bug.config in Mainline.default_configs
    assert expected.run("mainline", bug.config)["verdicts"][bug.prop] == "holds"


def test_impl_declares_the_skb_actions_it_leaves_out():
    """impl/ conforms to mainline on the actions it performs; the skb paths it does not
    implement are declared with a reason (impl/skbuff.py), and exactly those are absent from
    the step labels it emits, so a conformance run never claims them."""
    import re
    from pathlib import Path

    from ppcheck.impl import skbuff

    impl = Path(skbuff.__file__).resolve().parent
    labels = set()
    for f in impl.glob("*.py"):
        labels |= set(re.findall(r'Step\.of\("([a-z_0-9]+)"', f.read_text()))
    actions = {d.name for d in Mainline.action_defs()}
    skb_actions = set(PATH_ACTIONS) | {"skb_clone", "pskb_expand_head", "kfree_skb", "skb_page_unref"}
    assert set(skbuff.SPEC_ONLY) <= actions
    assert skb_actions - labels == set(skbuff.SPEC_ONLY)
    assert all(why.strip() for why in {**skbuff.SPEC_ONLY, **skbuff.SPEC_ONLY_BRANCHES}.values())
