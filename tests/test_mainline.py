"""The mainline page_pool model: every property holds and every witness is reached in each
default configuration, and each safety property is broken by a seeded bug whose shortest
counterexample is recorded in the manifest (``ppcheck manifest --update``; tests/test_manifest.py
re-runs every recorded entry, these tests read what the runs establish)."""

from __future__ import annotations

import expected
import pytest
import shared
from seeded_bugs import BUGS, LIVENESS_BUGS, Bug, NoProducerBarrier

from ppcheck.models import get_model
from ppcheck.models.mainline import Mainline
from ppcheck.models.pagepool import context_specs
from ppcheck.spec import build
from ppcheck.spec.model import ALWAYS, SOMETIMES, TRANSITION


def test_registered():
    assert get_model("mainline") is Mainline
    assert Mainline.default


@pytest.mark.parametrize("cfg", Mainline.default_configs)
def test_default_config_holds_and_reaches_every_witness(cfg):
    r = expected.run("mainline", cfg)
    assert r["complete"]
    kinds = {p.name: p.kind for p in build(Mainline, cfg).properties}
    assert set(r["verdicts"]) == set(kinds) | {"action_assertions"}
    for name, status in r["verdicts"].items():
        if kinds.get(name, ALWAYS) in (ALWAYS, TRANSITION):
            assert status == "holds", (cfg, name)
        elif kinds[name] == SOMETIMES:
            assert status == "reached", (cfg, name)


def test_every_action_fires_in_some_default_config():
    """``never_fired`` lists every action, including those dropped at build time."""
    never = [set(expected.run("mainline", cfg)["never_fired"]) for cfg in Mainline.default_configs]
    assert set.intersection(*never) == set()


def test_every_safety_property_has_a_seeded_bug():
    # lemmas are facts about the reachable states that exist to help proofs, not kernel rules
    # (or a seeded mutant: tests/test_mutate_properties.py plants one per property it adds)
    from test_mutate_properties import CASES as MUTANTS

    safety = {p.name for p in build(Mainline, "base").properties if p.kind == ALWAYS and not p.lemma}
    assert safety == {b.prop for b in BUGS} | (safety & {case[0] for case in MUTANTS})


def _violate(bug: Bug):
    """The seeded bug's shortest counterexample: the manifest's search (tests/shared.py), which
    test_manifest's bugs/<key> shares (the same xdist group)."""
    return shared.bug_search(bug)


def _bug(pred) -> Bug:  # noqa: ANN001 - a predicate on a Bug
    return next(b for b in BUGS if pred(b))


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.model.__name__)
def test_seeded_bug_shortest_counterexample(bug):
    """Each bug violates its property, its shortest trace ending in the action it names (the
    recorded run, re-run by test_manifest); the correct model keeps the property there."""
    rec = expected.bug(bug)
    assert rec["verdict"] == "violated" and rec["length"] > 0
    assert rec["last"] == bug.last
    assert bug.config in Mainline.default_configs
    assert expected.run("mainline", bug.config)["verdicts"][bug.prop] == "holds"


def _actions(tr):
    return [(st.who, st.action) for st in tr.steps[1:]]


@shared.bug_group(_bug(lambda b: b.model is NoProducerBarrier))
def test_producer_barrier_trace():
    """Without the producer lock in page_pool_release(), a producer that put its page into the
    ring is still inside page_pool_recycle_in_ring() when the worker frees the pool."""
    bug = _bug(lambda b: b.model is NoProducerBarrier)
    _, ex = _violate(bug)
    acts = [a for _, a in _actions(ex.traces[bug.prop])]
    i = acts.index("ptr_ring_produce")
    assert "page_pool_empty_ring" in acts[i:]
    assert acts[-2] == "page_pool_release_unlock" or "page_pool_release_unlock" in acts[i:]
    assert acts[-1] == "page_pool_producer_unlock"
    last = ex.traces[bug.prop].steps[-1].state
    assert last["pool"]["freed"] and last["ghost"]["pool_uaf"]


@shared.bug_group(_bug(lambda b: b.prop == "ref_kinds_match"))
def test_expand_keeps_recycle_trace():
    """Seed 001: pskb_expand_head() keeping pp_recycle releases a page reference through the pp
    path once the clone is freed."""
    bug = _bug(lambda b: b.prop == "ref_kinds_match")
    _, ex = _violate(bug)
    assert [a for _, a in _actions(ex.traces[bug.prop])] == [
        "napi_poll_begin", "page_pool_alloc_slow", "napi_build_skb", "skb_clone",
        "pskb_expand_head", "kfree_skb", "skb_page_unref"]


@shared.bug_group(_bug(lambda b: b.config == "process"))
def test_napi_local_in_process_trace():
    """page_pool_napi_local() without in_softirq(): the NAPI softirq interrupts a process
    context that is pushing into the cache on the same CPU."""
    bug = _bug(lambda b: b.config == "process")
    _, ex = _violate(bug)
    steps = ex.traces[bug.prop].steps
    pusher = steps[-2]
    assert pusher.action == "page_pool_napi_local" or any(
        st.action == "page_pool_put_page" for st in steps)
    procs = {f"ctxs[{sp.index}]" for sp in context_specs(Mainline.config("process"))
             if sp.kind.name == "PROCESS"}
    assert any(st.who in procs and st.action == "page_pool_put_page" for st in steps)
    assert steps[-1].action == "napi_poll_begin"
    assert steps[-1].state["ctxs"][0]["in_poll"]


@pytest.mark.parametrize("cfg", Mainline.default_configs)
def test_symmetry_preserves_verdicts(cfg):
    """Symmetry reduction changes the state count, not the verdicts (the recorded runs with and
    without it, which test_manifest re-runs)."""
    a, b = expected.run("mainline", cfg), expected.run("mainline", cfg, symmetry=False)
    assert a["complete"] and b["complete"]
    assert a["verdicts"] == b["verdicts"]
    assert a["states"] < b["states"] if cfg == "rt" else a["states"] <= b["states"]


def test_docs_name_every_action_and_property():
    """docs/mainline.md explains every action and property in kernel terms."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "mainline.md").read_text()
    names = [d.name for d in Mainline.action_defs()] + [p.name for p in Mainline.property_defs()]
    assert [n for n in names if f"`{n}`" not in text] == []


@pytest.mark.parametrize("bug", [pytest.param(b, marks=shared.bug_group(b)) for b in LIVENESS_BUGS],
                         ids=lambda b: b.model.__name__)
def test_seeded_leak_breaks_progress(bug):
    """A page that never comes back is a lasso: the release worker retries forever."""
    rec = expected.bug(bug)
    _, ex = _violate(bug)
    tr = ex.traces[bug.prop]
    assert (tr.length, tr.loop_start, tr.steps[-1].action) == (rec["length"], rec["loop_start"], bug.last)
    loop = [st.action for st in tr.steps[tr.loop_start + 1:]]
    assert loop == ["page_pool_release_retry", "page_pool_scrub", "page_pool_inflight",
                    "page_pool_release_lock", "page_pool_release_unlock"]
    # the correct model keeps the property in the same configuration
    assert expected.run("mainline", bug.config)["verdicts"][bug.prop] == "holds"
