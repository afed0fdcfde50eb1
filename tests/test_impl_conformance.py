"""The executable page_pool conforms to the mainline model (and its variants to theirs).

Every check here drives :mod:`ppcheck.impl` through :class:`Conformance`: each step must
be a transition of the spec action it claims, and the spec's invariants must hold on
the abstraction.  The same detector functions kill the seeded mutations
(tests/test_impl_mutations.py), so a kill there is the mutation's doing.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from ppcheck.impl.conformance import Conformance, NonConformance
from ppcheck.impl.explore import SCOPES, random_run
from ppcheck.impl.machines import machine_for, system_for
from ppcheck.impl.mutation import random_detector
from ppcheck.impl.switches import MAINLINE, MODEL_SWITCHES
from ppcheck.impl.world import Op
from ppcheck.models import get_model
from ppcheck.models.pagepool import Loc
from ppcheck.spec import build


def ops(w, c):
    return {o.name: o for o in w.ops(c)}


def test_walkthrough_alloc_recycle_release_destroy():
    """A sequential life: slow alloc, XDP_DROP into the cache, a remote put through the
    ring, a page with a stack reference released, destroy frees the pool at inflight 0."""
    h = Conformance(system_for("base"))
    w = h.world
    labels = [h.start(ops(w, 0)["napi_poll_begin"]), h.start(ops(w, 0)["alloc"]),
              h.start(ops(w, 0)["alloc"]), h.start(ops(w, 0)["rx_pass(0)"]),
              h.start(ops(w, 0)["xdp_drop(1)"])]
    while w.busy(0):
        labels.append(h.step(0))
    assert [s.action for s in labels] == [
        "napi_poll_begin", "page_pool_alloc_slow", "page_pool_alloc_slow", "napi_rx_pass",
        "napi_xdp_drop", "page_pool_unref_read", "page_pool_napi_local", "page_pool_put_page",
        "page_pool_recycle_in_cache", "page_pool_recycle_in_cache_store"]
    h.start(ops(w, 1)["put(0)"])  # CPU 1: not NAPI-local, through the ring
    while w.busy(1):
        h.step(1)
    assert [p.pfn for p in w.pool.ring.entries()] == [0]
    assert h.start(ops(w, 0)["alloc"]).action == "page_pool_alloc_fast"  # reads alloc.count
    assert h.step(0).action == "page_pool_cache_pop"  # alloc.cache[--alloc.count]
    h.start(ops(w, 0)["rx_pass(1)"])
    h.event(w.get_page, 1)
    h.start(ops(w, 0)["napi_poll_end(True)"])
    h.start(ops(w, 1)["put(1)"])
    tail = []
    while w.busy(1):
        tail.append(h.step(1).action)
    assert tail[-4:] == ["page_pool_put_page", "page_pool_return_page", "page_pool_return_release",
                         "page_pool_return_put"]
    while w.busy(2):
        h.step(2)
    h.event(w.stack_put_page, 1)
    assert w.pool.freed and not w.k.errors and all(p.free for p in w.k.memmap)
    assert not h.checker.invariants_violated(h.state)


def test_every_step_claims_an_action_of_the_model():
    names = {d.name for d in get_model("mainline").action_defs()}
    h = random_run(system_for("base"), 3, 200)
    assert len(h.log) > 100
    assert {label.action for _, label, _ in h.log} <= names


#: the implementation's configurations, and the default mainline configurations whose paths
#: it does not implement, with the reason (docs/impl.md, "Left out")
CONFORMING = ["base", "frag", "skb", "process", "rt", "percpu", "percpu_destroy", "polling", "reconfig1"]
NOT_IMPLEMENTED = {
    "devmem": "no memory provider or net_iov in impl/ (models/mainline/provider.py)",
    "bulk": "no xdp_return_frame_bulk()/page_pool_put_page_bulk() or bulk slow allocation in "
            "impl/ (models/mainline/bulk.py)",
    "xdp": "no XDP memory model (second pool user) in impl/ (models/mainline/xdp.py)",
    "numa": "no page_pool_update_nid() or pfmemalloc pages in impl/ (models/mainline/xdp.py)",
    "coalesce": "skbpaths' configuration (3 skbs, skb_try_coalesce pp references): not in this "
                "conformance list yet; impl/skbuff.py coverage of it is undecided",
    "skbhead": "skbpaths' configuration (the skb head in a pool page, GRO): not in this "
               "conformance list yet; impl/skbuff.py coverage of it is undecided",
    "threaded": "no threaded NAPI kthread in impl/ (models/mainline/threaded.py)",
    "busypoll": "no busy poller (napi_busy_loop()) in impl/ (models/mainline/threaded.py)",
}


def test_every_default_configuration_conforms_or_is_excluded():
    defaults = set(get_model("mainline").default_configs)
    assert defaults == (set(CONFORMING) | set(NOT_IMPLEMENTED)) - {"percpu_destroy"}
    assert not set(CONFORMING) & set(NOT_IMPLEMENTED)


#: configurations where mainline itself has a kernel window (docs/findings.md): a random
#: schedule that reaches it breaks these invariants in the implementation too (faithfully);
#: every step must still conform
WINDOWS = {"percpu_destroy": ("no_cache_push_after_destroy", "no_leaked_page", "lemma_")}


@pytest.mark.parametrize("config", CONFORMING)
def test_random_schedules_conform(config):
    """The random detector of the mutation report passes on the real implementation."""
    res = random_detector(config, 6)(MAINLINE)
    if res is not None and config in WINDOWS:
        assert "invariant(s) " in res, res
        names = res.split("invariant(s) ", 1)[1].split(" violated", 1)[0].split(", ")
        assert all(n.startswith(WINDOWS[config]) for n in names), res
        return
    assert res is None


@pytest.mark.parametrize("model", sorted(set(MODEL_SWITCHES) - {"mainline"}))
def test_variants_conform_to_their_models(model):
    """Each design switch conforms to the model it mirrors (random schedules); the
    seeded violations of those designs are the replay tests' business, so invariants
    are checked only where the design keeps them."""
    m = get_model(model)
    system = build(m, m.default_configs[0])
    sound = model in ("pp002_page", "pp002_netmem", "pp004_mainline")  # keep every invariant
    for seed in range(3):
        try:
            random_run(system, seed, 200, sw=MODEL_SWITCHES[model])
        except NonConformance as e:
            assert not sound and "invariant" in str(e), str(e)


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_exhaustive_small_scopes(scope):
    """Every interleaving of the scope's calls, each to its end: each step conforming (the
    exhaustive detector of the mutation report, on the real implementation)."""
    from ppcheck.impl.explore import explore_scope

    st = explore_scope(SCOPES[scope])
    assert st.failure is None, st.failure
    assert st.complete and st.states > 200 and st.transitions > st.states
    assert st.truncated == 0  # every schedule ran to its end within the bound


HYP = settings(max_examples=60, stateful_step_count=80, deadline=None,
               suppress_health_check=list(HealthCheck), database=None)


@pytest.mark.parametrize("config", ["base", "frag", "skb"])
def test_hypothesis_machine_conforms(config):
    run_state_machine_as_test(machine_for(config), settings=HYP)


def test_misuse_is_refused_by_the_spec_and_caught_by_its_invariants():
    """A driver puts the same reference twice: the spec's guard refuses the second put
    (pp_holders == 0: the API contract is in the spec), and when the implementation does
    it anyway the spec's invariants on the abstraction catch the damage."""
    h = Conformance(system_for("base"), lenient=True)
    w = h.world
    for name in ("napi_poll_begin", "alloc", "rx_pass(0)", "napi_poll_end(True)"):
        h.start(ops(w, 0)[name])
    h.start(ops(w, 1)["put(0)"])
    while w.busy(1):
        h.step(1)
    assert w.pool.ring.entries() == [w.k.memmap[0]]
    assert not h.spec_enabled("page_pool_put_full_page", c=1, p=0)  # the contract
    with pytest.raises(NonConformance, match="invariant"):
        h.start(Op(1, "put(0)", "page_pool_put_full_page", {"p": 0}))
        while w.busy(1):
            h.step(1)
    assert h.outside and "page_pool_put_full_page" in h.outside[0]
    assert set(h.violated) & {"cached_pages_exclusive", "no_recycle_while_referenced",
                              "page_in_one_place", "pp_ref_accounting"}


def test_misuse_machine_finds_a_contract_breach():
    """The misuse machine (lenient: steps outside the spec are allowed) ends up with a
    spec invariant violated on the abstraction."""
    s = settings(max_examples=300, stateful_step_count=60, deadline=None, derandomize=True,
                 suppress_health_check=list(HealthCheck), database=None,
                 phases=[p for p in settings.default.phases if p.name != "shrink"])
    with pytest.raises((NonConformance, AssertionError), match="invariant|counterpart"):
        run_state_machine_as_test(machine_for("base", misuse=True), settings=s)


def test_abstraction_reads_locations_off_the_data_structures():
    h = Conformance(system_for("base"))
    w = h.world
    h.start(ops(w, 0)["napi_poll_begin"])
    h.start(ops(w, 0)["alloc"])
    js = system_for("base").layout.to_json(h.state)
    assert js["pages"][0]["loc"] == Loc.RX.name and js["pages"][1]["loc"] == Loc.BUDDY.name
    assert js["pool"]["hold"] == 1 and js["pages"][0]["mapped"] and js["pages"][0]["magic"]


def test_docs_impl_examples_run():
    """The python blocks of docs/impl.md run, in order, in one namespace."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "impl.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    assert blocks
    ns: dict = {}
    for src in blocks:
        exec(compile(src, "docs/impl.md", "exec"), ns)
