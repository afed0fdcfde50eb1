"""The implementation on its own: kernel-shaped behaviour, no spec involved."""

from __future__ import annotations

import pytest

from ppcheck.impl import page_pool as pp
from ppcheck.impl.kernel import Kernel, Step
from ppcheck.impl.sched import RandomScheduler
from ppcheck.impl.switches import MUTATIONS, Switches
from ppcheck.impl.world import World


def small(**kw) -> World:
    args = dict(npages=3, cache_size=2, ring_size=2, refill=2)
    args.update(kw)
    return World(**args)


def actions(steps: list[Step]) -> list[str]:
    return [s.action for s in steps]


def test_alloc_slow_then_fast_path():
    w = small()
    w.start_alloc()
    assert actions(w.finish("napi")) == ["refill_empty", "alloc_slow"]
    w.start_put("napi", 0)
    assert actions(w.finish("napi")) == ["unref_read_last", "napi_local", "put_recyclable",
                                         "recycle_in_cache"]
    w.start_alloc()
    assert actions(w.finish("napi")) == ["alloc_fast"]
    assert w.held == {0: 1} and w.pool.pages_state_hold_cnt == 1


def test_remote_free_goes_to_ring_and_refills():
    w = small()
    w.start_alloc()
    w.finish("napi")
    w.start_put("cpu1", 0)  # a remote CPU: napi_local() says no
    assert actions(w.finish("cpu1")) == ["unref_read_last", "napi_local", "put_recyclable",
                                         "ring_lock", "ring_produce", "ring_unlock"]
    assert w.pool.ring.entries() == [w.k.memmap[0]]
    w.start_alloc()
    assert actions(w.finish("napi")) == ["refill_consume"]
    assert w.held == {0: 1}


def test_elevated_refcount_releases_the_page():
    """refcnt != 1: "API user have elevated refcnt": the page leaves the pool."""
    w = small()
    w.start_alloc()
    w.finish("napi")
    page = w.k.memmap[0]
    page._refcount += 1  # get_page() by someone else
    w.start_put("cpu1", 0)
    assert actions(w.finish("cpu1"))[-4:] == ["put_released_refcnt", "return_unmap",
                                              "return_release_cnt", "return_put_page"]
    assert page.pp_magic == 0 and page._refcount == 1 and not page.free
    assert pp.page_pool_inflight(w.pool) == 0 and not w.k.errors


def test_destroy_waits_for_inflight_pages():
    w = small()
    w.start_alloc()
    w.finish("napi")
    w.start_destroy()
    w.finish("ctl")
    assert w.worker_pending and not w.pool.freed
    w.start_put("cpu1", 0)
    w.finish("cpu1")
    w.start_release_retry()
    w.finish("ctl")
    assert w.pool.freed and not w.worker_pending
    assert all(p.free for p in w.k.memmap) and not w.k.device.mapped and not w.k.errors


def test_clone_rule_frees_frags_once():
    w = small()
    w.start_alloc()
    w.finish("napi")
    w.build_skb(0, 0)
    w.clone_skb(0, 1)
    w.start_kfree_skb("cpu1", 0)
    assert actions(w.finish("cpu1")) == ["skb_dataref_dec"]
    w.start_kfree_skb("cpu1", 1)
    assert actions(w.finish("cpu1"))[0] == "skb_dataref_dec"
    assert w.pool.ring.entries() == [w.k.memmap[0]] and not w.k.errors


def test_no_clone_rule_mutant_double_puts():
    w = small(sw=Switches(mutation="no_clone_rule"))
    w.start_alloc()
    w.finish("napi")
    w.build_skb(0, 0)
    w.clone_skb(0, 1)
    for skb in (0, 1):
        w.start_kfree_skb("cpu1", skb)
        w.finish("cpu1")
    assert any("negative" in e or "page" in e for e in w.k.errors) or \
        w.pool.ring.entries().count(w.k.memmap[0]) == 2


def test_frag_allocation_and_drain():
    w = small(bias_max=4)
    k = w.k
    k.current = w.ctx["napi"]
    out = []
    for _ in range(3):
        g = pp.page_pool_alloc_frag(w.pool, size=2048, max_size=4096)
        try:
            while True:
                next(g)
        except StopIteration as e:
            out.append(e.value)
    (p0, o0), (p1, o1), (p2, o2) = out
    assert p0 is p1 and (o0, o1) == (0, 2048)
    assert p2 is not p0 and o2 == 0
    # the first page is drained: BIAS_MAX - frag_users(2) subtracted from BIAS_MAX
    assert p0.pp_ref_count == 2 and w.pool.frag_users == 1 and p2.pp_ref_count == 4


def test_unref_reads_then_subtracts():
    """Two users of a page with pp_ref_count 2: read and sub are separate steps."""
    k = Kernel(1)
    pool = pp.PagePool(k, cache_size=2, ring_size=2, refill=2, bias_max=4)
    page = k.memmap[0]
    pp.page_pool_set_pp_info(pool, page)
    page.pp_ref_count = 2
    g = pp.page_pool_unref_netmem(pool, page, 1)
    assert next(g) == Step.of("unref_read", page=0) and page.pp_ref_count == 2
    assert next(g) == Step.of("unref_sub", page=0) and page.pp_ref_count == 1


@pytest.mark.parametrize("seed", range(30))
def test_random_schedules_keep_the_kernel_quiet(seed):
    """Random interleavings of NAPI allocs/puts, remote frees and destroy: no WARN,
    and once everyone is done and the worker has run, every page is back."""
    sched = RandomScheduler(seed)
    rng = sched.rng
    w = small(npages=4)
    destroyed = False
    for _ in range(60):
        idle = [c for c in ("napi", "cpu1", "ctl") if not w.busy(c)]
        if idle and rng.random() < 0.5:
            c = rng.choice(idle)
            if c == "napi" and destroyed:
                continue
            if c == "napi" and rng.random() < 0.6:
                w.start_alloc("napi")
            elif c in ("napi", "cpu1") and w.held:
                w.start_put(c, rng.choice(sorted(w.held)), allow_direct=(c == "napi" and not destroyed))
            elif c == "ctl" and not destroyed and not w.busy("napi") and rng.random() < 0.1:
                # the driver disables its NAPI before page_pool_destroy()
                w.start_destroy("ctl")
                destroyed = True
        t = sched.pick([t for t in w.tasks.values()])
        if t is not None:
            w.step(next(n for n, x in w.tasks.items() if x is t))
    for c in ("napi", "cpu1", "ctl"):
        if w.busy(c):
            w.finish(c)
    for pfn in sorted(w.held):
        while w.held.get(pfn):
            w.start_put("cpu1", pfn)
            w.finish("cpu1")
    if not destroyed:
        w.start_destroy("ctl")
        w.finish("ctl")
    if w.worker_pending:
        w.start_release_retry("ctl")
        w.finish("ctl")
    assert not w.k.errors
    assert w.pool.freed and all(p.free for p in w.k.memmap)


def test_every_mutation_is_a_known_switch():
    for m in MUTATIONS:
        assert Switches(mutation=m).bug(m)
    with pytest.raises(ValueError):
        Switches(mutation="nonsense")
