"""Threaded NAPI, busy polling, the refill's NUMA check and builds without DMA index tracking
(models/mainline/{threaded,xdp,dmabuild}.py): the witnesses of the new paths, the stories of
their seeded bugs, and the by-design violation of a build with ``PP_DMA_INDEX_BITS == 0``.
Verdicts, state counts and the bugs' shortest counterexamples are recorded in manifest.json
(tests/test_mainline.py checks every default configuration holds and every witness is
reached)."""

from __future__ import annotations

from pathlib import Path

import expected
import pytest
import shared
from seeded_bugs import (
    BUGS,
    BusyPollIgnoresSched,
    ScrubKeepsMappings,
    ThreadedSetsListOwner,
    WaivePutsPage,
)

from ppcheck.checks.explorer import Explorer
from ppcheck.checks.traces import load_trace
from ppcheck.models.mainline import Mainline
from ppcheck.models.pagepool import context_specs
from ppcheck.spec import SpecError, build

CE = Path(__file__).resolve().parent.parent / "counterexamples"

WITNESSES = {
    "threaded": ("threaded_poll_recycles_direct", "threaded_napi_not_local", "threaded_poll_moved"),
    "busypoll": ("busy_poll_recycles_direct", "softirq_free_between_busy_polls"),
}
ACTIONS = {"threaded": ("napi_threaded_poll",), "busypoll": ("napi_busy_loop", "busy_poll_stop")}


@pytest.mark.parametrize("cfg", sorted(WITNESSES))
def test_new_paths_reached_in_their_default_configuration(cfg):
    assert cfg in Mainline.default_configs
    r = expected.run("mainline", cfg)
    assert r["complete"]
    assert {w: r["verdicts"][w] for w in WITNESSES[cfg]} == dict.fromkeys(WITNESSES[cfg], "reached")
    assert not set(ACTIONS[cfg]) & set(r["never_fired"])
    assert all(v in ("holds", "reached") for v in r["verdicts"].values()), r["verdicts"]


def test_threaded_napi_never_sets_list_owner():
    """In ``threaded`` the irq never takes the poll-list path: napi_poll_begin (net_rx_action)
    never fires and the softirq-scheduling witness does not apply."""
    r = expected.run("mainline", "threaded")
    assert "napi_poll_begin" in r["never_fired"]
    assert "napi_migrated" not in r["verdicts"]


def test_paths_cost_nothing_where_off():
    """Without thread@/busy@ contexts the NAPI state array is empty (the other configurations'
    fingerprints and counts are unchanged)."""
    assert not [f for f in build(Mainline, "base").layout.names() if f.startswith("napi_sched")]
    assert [f for f in build(Mainline, "threaded").layout.names() if f.startswith("napi_sched")] \
        == ["napi_sched[0].holder"]


@pytest.mark.parametrize("contexts", [("thread@0", "busy@1"), ("softirq@0", "busy@0", "busy@1"),
                                      ("softirq@0", "thread@1")])
def test_unmodelled_combinations_are_refused(contexts):
    with pytest.raises(SpecError):
        build(Mainline, Mainline.config("threaded", contexts=contexts))


def _trace(bug):
    """The manifest's search of the bug (tests/shared.py; bugs/<key> in test_manifest)."""
    return shared.bug_search(bug)[1].traces[bug.prop]


def _bug(model: type):  # noqa: ANN202 - a seeded_bugs.Bug
    return next(b for b in BUGS if b.model is model)


@shared.bug_group(_bug(ThreadedSetsListOwner))
def test_threaded_branch_setting_list_owner_breaks_the_cache():
    """The interrupt's CPU keeps a stale list_owner while the kthread polls on the other CPU: a
    softirq there recycles into alloc.cache during the kthread's poll."""
    bug = _bug(ThreadedSetsListOwner)
    tr = _trace(bug)
    assert tr.length == expected.bug(bug)["length"]
    steps = tr.steps[1:]
    cfg = Mainline.config("threaded")
    cpu = {f"ctxs[{sp.index}]": sp.cpu for sp in context_specs(cfg)}
    threads = {f"ctxs[{i}]" for i, x in enumerate(cfg.contexts) if x.startswith("thread@")}
    sched = max(i for i, st in enumerate(steps) if st.action == "napi_schedule")
    poller = next(st.who for st in steps[sched:] if st.action == "napi_threaded_poll")
    pusher = steps[-1].who
    assert poller in threads and pusher not in threads and cpu[poller] != cpu[pusher]
    assert any(st.who == pusher and st.action == "page_pool_napi_local" for st in steps[sched:])
    last = steps[-1].state["ctxs"]
    assert last[int(poller[5:-1])]["in_poll"] and last[int(pusher[5:-1])]["pc"] == "CACHE_PUSH"


@shared.bug_group(_bug(BusyPollIgnoresSched))
def test_busy_poll_without_the_sched_test_polls_twice():
    bug = _bug(BusyPollIgnoresSched)
    tr = _trace(bug)
    assert tr.length == expected.bug(bug)["length"]
    last = tr.steps[-1].state
    assert sum(c["in_poll"] for c in last["ctxs"]) == 2
    assert last["napi"]["owner"] >= 0 and last["napi_sched"][0]["holder"] == "BUSY"


def test_build_without_dma_index_unmaps_after_unbind():
    """``nodmaindex`` (PP_DMA_INDEX_BITS == 0) is the pre-v6.15 scrub: no_dma_after_unbind is
    violated there by design, at ScrubKeepsMappings' length, and nothing else but the lemma
    that states the scrub unmapped everything; the stored trace is that counterexample."""
    r = Explorer(build(Mainline, "nodmaindex"), symmetry=True, timeout=300).run()
    v = {x.name: x.trace_length for x in r.results if x.status == "violated"}
    safety = {k: n for k, n in v.items() if not k.startswith("lemma_")}
    bug = next(b for b in BUGS if b.model is ScrubKeepsMappings)
    # one step more than the seeded bug: page_pool_scrub_unmap (the scrub's grace-period split);
    # and finding 4 (docs/findings.md): with no index, dma_mapped is empty, so no synchronize_net()
    assert safety == {"no_dma_after_unbind": expected.bug(bug)["length"] + 1,
                      "no_cache_push_after_destroy": 24, "no_leaked_page": 24}
    assert "lemma_destroy_stage" in set(v) - set(safety)
    tr = load_trace(CE / "builds" / "mainline-nodmaindex-no_dma_after_unbind.json")
    assert tr.model == "mainline" and tr.property == "no_dma_after_unbind"
    assert tr.config["name"] == "nodmaindex" and tr.length == safety["no_dma_after_unbind"]
    assert tr.steps[-1].action == "page_pool_return_page"
    assert "nodmaindex" not in Mainline.default_configs


def test_refill_numa_waive_reached():
    r = expected.run("mainline", "numa")
    assert r["verdicts"]["refill_waived_remote_page"] == "reached"
    assert "page_pool_refill_alloc_cache_waive" not in r["never_fired"]


@shared.bug_group(_bug(WaivePutsPage))
def test_waive_with_put_page_frees_a_pool_page():
    """The NUMA-mismatch branch must return the page through page_pool_return_page(): a plain
    put_page() hands the buddy allocator a page still carrying pp_magic."""
    bug = _bug(WaivePutsPage)
    tr = _trace(bug)
    assert tr.length == expected.bug(bug)["length"]
    names = [st.action for st in tr.steps[1:]]
    assert "page_pool_update_nid" in names and names[-1] == "page_pool_refill_alloc_cache_waive"
    assert tr.steps[-1].state["ghost"]["pp_page_freed"]
