"""page_pool_scrub() split at its synchronize_net() (docs/kernel.md, finding 8).

The kernel's page_pool_scrub() clears ``dma_sync`` and, when the device needs syncs and
``pool->dma_mapped`` is not empty, calls synchronize_net() before it unmaps: the grace period
waits for every RCU reader of that moment (a softirq or BH-disabled context inside a
page_pool call, a process context holding the producer lock), not for one that entered
later.  The model's page_pool_scrub marks those readers (``rcu_gp``) and
page_pool_scrub_unmap waits for them.  Here: the wait is there, it is the kernel's (entry
order, no wait without mapped pages), it is not vacuous (a variant without it reaches what
the kernel cannot), and finding 3's window (a push between page_pool_empty_alloc_cache_once()
and the grace period) stays reachable.
"""

from __future__ import annotations

from typing import Any

import pytest

from ppcheck.checks.explorer import Concrete, Explorer
from ppcheck.models.mainline import Mainline
from ppcheck.models.pagepool import Role, Stage
from ppcheck.spec import action, build

# percpu_destroy: ctxs[0] softirq@0 (the pool's consumer), ctxs[1] user@0, ctxs[2] control@1
_ALLOC = [("napi_poll_begin", {"c": 0}), ("page_pool_alloc_slow", {"c": 0, "p": 0, "dest": "RX"}),
          ("page_pool_alloc_slow", {"c": 0, "p": 1, "dest": "RX"}),
          ("napi_rx_pass", {"c": 0, "p": 0}), ("napi_rx_pass", {"c": 0, "p": 1}),
          ("napi_poll_end", {"c": 0, "complete": True})]
# ctxs[0] frees page 0: page_pool_napi_local() reads cpuid == 0 (direct), then the push begins
_FREE_TO_PUSH = [("page_pool_put_full_page", {"c": 0, "p": 0}), ("page_pool_unref_read", {"c": 0, "p": 0}),
                 ("page_pool_napi_local", {"c": 0}), ("page_pool_put_page", {"c": 0, "p": 0}),
                 ("page_pool_recycle_in_cache", {"c": 0, "p": 0})]
_DESTROY = [("napi_disable", {"c": 2}), ("napi_disable_wait", {"c": 2}), ("driver_rx_ring_done", {"c": 2}),
            ("page_pool_destroy", {"c": 2}), ("page_pool_free_frag", {"c": 2, "p": -1}),
            ("page_pool_scrub", {"c": 2})]
_PUSH = ("page_pool_recycle_in_cache_store", {"c": 0, "p": 0})
_UNMAP = ("page_pool_scrub_unmap", {"c": 2})


def _name(v: Any) -> Any:
    return v.name if hasattr(v, "name") else v


def _walk(model: type, cfg: str, path: list[tuple[str, dict[str, Any]]], **overrides: Any):
    """The system, its concrete stepper and the state after ``path`` (each step must be enabled)."""
    system = build(model, model.config(cfg, **overrides))
    conc = Concrete(system)
    s = system.init_states[0]
    for act, args in path:
        s = _next(conc, s, act, args)
        assert s is not None, f"{act}{args} is not enabled"
    return system, conc, s


def _next(conc: Concrete, s: int, act: str, args: dict[str, Any]) -> int | None:
    for b, t, _err in conc.successors(s):
        if b.action == act and all(_name(b.args.get(k)) == v for k, v in args.items()):
            return t
    return None


def _state(system, s: int) -> dict[str, Any]:
    return system.layout.to_json(s)


def test_grace_period_waits_for_the_reader_in_flight_and_the_late_push_stays():
    """A softirq inside its free when the grace period begins is marked; the unmap waits for it.
    Its push into the emptied cache (finding 3's window, no_leaked_page) comes first."""
    system, conc, s = _walk(Mainline, "percpu_destroy", _ALLOC + _FREE_TO_PUSH + _DESTROY)
    st = _state(system, s)
    assert st["ctxs"][0]["rcu_gp"] and not st["ctxs"][1]["rcu_gp"]
    assert st["ctxs"][2]["stage"] == "SCRUB_DMA" and st["pool"]["destroy_cnt"] == 1
    assert not st["pool"]["dma_sync"] and any(p["mapped"] for p in st["pages"])
    assert _next(conc, s, *_UNMAP) is None  # synchronize_net() still waits
    t = _next(conc, s, *_PUSH)
    assert t is not None
    after = _state(system, t)
    assert not after["ctxs"][0]["rcu_gp"] and after["pages"][0]["loc"] == "CACHE"
    idx = {p.name: i for i, p in enumerate(system.properties)}
    assert not conc.holds(idx["no_leaked_page"], t)  # the page stays in the cache for ever
    u = _next(conc, t, *_UNMAP)
    assert u is not None and not any(p["mapped"] for p in _state(system, u)["pages"])


def test_a_reader_that_entered_after_the_grace_period_began_is_not_waited_for():
    """ctxs[1] enters page_pool_put_full_page() on page 1 after synchronize_net() began: the
    grace period ends without it (RCU waits for pre-existing readers only)."""
    path = _ALLOC + _FREE_TO_PUSH + _DESTROY + [_PUSH, ("page_pool_put_full_page", {"c": 1, "p": 1}),
                                                  ("page_pool_unref_read", {"c": 1, "p": 1})]
    system, conc, s = _walk(Mainline, "percpu_destroy", path)
    st = _state(system, s)
    assert st["ctxs"][1]["pc"] != "READY" and not st["ctxs"][1]["rcu_gp"]
    assert _next(conc, s, *_UNMAP) is not None


def test_no_grace_period_without_dma_sync():
    """Without PP_FLAG_DMA_SYNC_DEV page_pool_scrub() skips synchronize_net(): nobody is marked
    and the unmap may run while the free is in flight."""
    system, conc, s = _walk(Mainline, "percpu_destroy", _ALLOC + _FREE_TO_PUSH + _DESTROY, dma_sync=False)
    assert not any(c["rcu_gp"] for c in _state(system, s)["ctxs"])
    assert _next(conc, s, *_UNMAP) is not None


class ScrubWithoutGrace(Mainline):
    """page_pool_scrub() as the model had it before finding 8: the unmap does not wait for the
    RCU readers synchronize_net() waits for."""

    name = "scrub_without_grace"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_scrub_unmap(self, s, c):
        self.ctl_ok(s, c, Stage.SCRUB_DMA, Role.CONTROL, Role.WORKER)
        self.touch(s)
        self.scrub_dma_mapped(s)
        for d in self.rcu_contexts():
            s.ctxs[d].rcu_gp = False
        s.ctxs[c].stage = Stage.EMPTY_RING


def _violated(model: type, cfg: str, prop: str, **overrides: Any) -> dict[str, int]:
    ex = Explorer(build(model, model.config(cfg, **overrides)), symmetry=True, properties=[prop],
                  stop_at_first=True)
    r = ex.run()
    return {x.name: x.trace_length for x in r.results if x.status == "violated"}


def test_the_wait_is_not_vacuous_finding_4_needs_it_skipped():
    """docs/findings.md finding 4 (reconfig: a free between page_pool_napi_local()'s reads
    follows the reused NAPI): with DMA sync on, the grace period waits for that free before
    page_pool_destroy() returns, so the NAPI cannot be re-enabled under it.  Without the wait
    (the variant) or without DMA sync (no synchronize_net()) the window is there."""
    assert _violated(Mainline, "reconfig", "no_cache_push_after_destroy") == {}
    assert _violated(ScrubWithoutGrace, "reconfig", "no_cache_push_after_destroy") == {
        "no_cache_push_after_destroy": 24}
    assert _violated(Mainline, "reconfig", "no_cache_push_after_destroy", dma_sync=False) == {
        "no_cache_push_after_destroy": 24}


def test_finding_3_window_stays_with_the_grace_period():
    """percpu_destroy still violates no_cache_push_after_destroy and no_leaked_page (the
    traces of counterexamples/, with issue 16's split push)."""
    assert _violated(Mainline, "percpu_destroy", "no_cache_push_after_destroy") == {
        "no_cache_push_after_destroy": 14}
    assert _violated(Mainline, "percpu_destroy", "no_leaked_page") == {"no_leaked_page": 16}


# -- on the kernel: the three witnesses finding 8 made diverge, and the NAPI paths mapped since --

def _replayed(cfg: str, name: str, tmp_path) -> Any:
    from ppcheck.checks.traces import write_trace
    from ppcheck.kernel.spec_replay import replay_spec_trace
    from ppcheck.kernel.tree import find_tree, open_tree
    from ppcheck.testing import check

    where = find_tree("6.12")
    if where is None:
        pytest.skip("no linux-source-6.12 tree (apt-get install linux-source-6.12)")
    _run, ex = check("mainline", cfg)
    path = write_trace(ex.traces[name], tmp_path / f"mainline-{cfg}-{name}.json")
    return replay_spec_trace(open_tree(where), path)



@pytest.mark.kernel
@pytest.mark.parametrize("cfg", ["percpu_destroy", "rt", "busypoll"])
def test_destroy_deferred_witness_reproduced_on_612(cfg, tmp_path):
    """docs/kernel.md finding 8: with the grace period in the model, the shortest
    destroy_deferred_then_freed witness is one the kernel runs step for step."""
    out = _replayed(cfg, "destroy_deferred_then_freed", tmp_path)
    assert out.verdict == "reproduced", out.detail
    assert "destroy_deferred_then_freed reached" in out.detail


@pytest.mark.kernel
@pytest.mark.parametrize("cfg,name", [("busypoll", "softirq_free_between_busy_polls"),
                                      ("busypoll", "busy_poll_recycles_direct"),
                                      ("threaded", "threaded_poll_recycles_direct"),
                                      ("threaded", "threaded_poll_moved")])
def test_napi_polling_variants_replay_on_612(cfg, name, tmp_path):
    """napi_threaded_poll, napi_busy_loop and busy_poll_stop are world steps (the kthread and
    the busy poller poll with BH disabled and leave list_owner alone): their witnesses run on
    6.12 step for step (they were "not applicable")."""
    out = _replayed(cfg, name, tmp_path)
    assert out.verdict == "reproduced", out.detail
    assert out.compared >= 2
