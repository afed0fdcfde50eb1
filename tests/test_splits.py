"""Issue 16: the steps the kernel does not do atomically, split in the mainline model.

Per split, a variant that breaks the contract guarding it (written as a reviewer would: a
small subclass, as tests/seeded_bugs.py does) is caught by a generic property, one written
for the kernel's rule rather than for that bug, with a short trace; and mainline keeps the
property on the same configuration.  The lengths are pinned here: each one is the shortest
trace of that variant (breadth-first search), so a change in the steps shows as a change here.
"""

from __future__ import annotations

import pytest
from splits_driver import explore, violations

from ppcheck.models.mainline import Mainline
from ppcheck.models.mainline.configs import alloc_destinations
from ppcheck.models.pagepool import PC, Loc, Role
from ppcheck.spec import Ref, action, assert_, require
from ppcheck.spec.expr import const


def _holds(model: type, cfg: str, prop: str, **overrides) -> bool:
    r, _ = explore(model, cfg, [prop], **overrides)
    return r.complete and not violations(r)


# -- page_pool_return_netmem(): unmap, release_cnt++ and clear pp info, put_page() ----------

class ReturnStatAfterRelease(Mainline):
    """page_pool_return_netmem() bumps a pool statistic in its put_page() step, after the
    release count ("This may be the last page returned, releasing the pool, so it is not
    safe to reference pool afterwards"): the release worker may free the pool in between."""

    name = "split_return_stat_after_release"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_put(self, s, c, p):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN_PUT) & (ctx.page == p) & self.can_run(s, c))
        self.touch(s)  # recycle_stat_inc(pool, released): pool memory
        pg = s.pages[p]
        pg.loc = Loc.USERS
        self.put_page(s, p)
        self.finish(ctx)


class ReturnPutsBeforeRelease(Mainline):
    """page_pool_return_netmem() with put_page() before the release count: the page is back in
    the page allocator (pp info cleared) while the pool still counts it in flight."""

    name = "split_return_puts_before_release"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_release(self, s, c, p):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN_RELEASE) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        pg.magic = False
        pg.pp_ref = 0
        pg.loc = Loc.USERS
        self.put_page(s, p)
        ctx.pc = PC.RETURN_PUT

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_put(self, s, c, p):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN_PUT) & (ctx.page == p) & self.can_run(s, c))
        self.touch(s)
        s.pool.release = s.pool.release + 1
        self.finish(ctx)


def test_return_touching_the_pool_after_the_release_count_is_a_use_after_free():
    r, ex = explore(ReturnStatAfterRelease, "base", ["no_pool_use_after_free"])
    assert violations(r) == {"no_pool_use_after_free": 23}
    acts = [st.action for st in ex.traces["no_pool_use_after_free"].steps[1:]]
    # the worker (or page_pool_destroy) frees the pool between the count and the put_page()
    i = acts.index("page_pool_return_release")
    assert "page_pool_release_unlock" in acts[i:] and acts[-1] == "page_pool_return_put"
    assert _holds(Mainline, "base", "no_pool_use_after_free")


def test_return_putting_before_the_release_count_breaks_inflight():
    r, ex = explore(ReturnPutsBeforeRelease, "base", ["inflight_exact"])
    assert violations(r) == {"inflight_exact": 12}
    assert ex.traces["inflight_exact"].steps[-1].action == "page_pool_return_release"
    assert _holds(Mainline, "base", "inflight_exact")


# -- page_pool_napi_local(): READ_ONCE(pool->cpuid), READ_ONCE(pool->p.napi),
#    READ_ONCE(napi->list_owner) ------------------------------------------------------------

class OneReadNapiLocal(Mainline):
    """page_pool_napi_local() as one step (the granularity before issue 16): the three reads
    see one state."""

    name = "split_one_read_napi_local"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_napi_local(self, s, c):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.NAPI_LOCAL) & self.can_run(s, c))
        ctx.direct = ctx.direct | self.napi_local(s, c)
        ctx.pc = PC.PUT_PAGE


class NapiLocalRereadsNapi(Mainline):
    """page_pool_napi_local() reading ``pool->p.napi`` again for the list_owner load instead
    of using the pointer it tested (``pool->p.napi && pool->p.napi->list_owner == cpuid``):
    page_pool_destroy()'s WRITE_ONCE(pool->p.napi, NULL) between the two loads is a NULL
    dereference."""

    name = "split_napi_local_rereads_napi"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_napi_local_owner(self, s, c):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.NAPI_LOCAL_OWNER) & self.can_run(s, c))
        self.touch(s)
        assert_(s.pool.napi_linked, "page_pool_napi_local(): NULL pointer dereference of "
                                    "pool->p.napi->list_owner")
        ctx.direct = s.pool.napi_linked & (s.napi.owner == self.spec(c).cpu)
        ctx.pc = PC.PUT_PAGE


def test_napi_local_reads_are_steps_finding_4():
    """docs/findings.md, finding 4: a free that read ``p.napi`` before page_pool_destroy()
    unlinked it reads the reused NAPI's ``list_owner`` after the driver re-enabled it for a
    new pool, and pushes into the old pool's emptied cache.  The one-step check cannot.
    The window needs page_pool_scrub() to skip synchronize_net() (no PP_FLAG_DMA_SYNC_DEV, or
    dma_dev_need_sync() false): with it the grace period waits for that free, a softirq inside
    a page_pool call, before page_pool_destroy() returns (docs/kernel.md, finding 8)."""
    assert _holds(Mainline, "reconfig", "no_cache_push_after_destroy")
    r, ex = explore(Mainline, "reconfig", ["no_cache_push_after_destroy"], dma_sync=False)
    assert violations(r) == {"no_cache_push_after_destroy": 24}
    acts = [st.action for st in ex.traces["no_cache_push_after_destroy"].steps[1:]]
    napi_read, owner_read = acts.index("page_pool_napi_local_napi"), acts.index(
        "page_pool_napi_local_owner")
    between = acts[napi_read:owner_read]
    assert "page_pool_destroy" in between and "napi_enable_new_pool" in between
    assert "napi_schedule" in between
    assert _holds(OneReadNapiLocal, "reconfig", "no_cache_push_after_destroy", dma_sync=False)
    assert _holds(Mainline, "base", "no_cache_push_after_destroy")


def test_napi_local_rereading_the_napi_pointer_is_caught():
    r, _ = explore(NapiLocalRereadsNapi, "base", ["action_assertions"])
    assert violations(r) == {"action_assertions": 13}
    assert _holds(Mainline, "base", "action_assertions")


@pytest.mark.parametrize("cfg,kw", [("reconfig", {"dma_sync": False}), ("reconfig", {}),
                                    ("percpu_destroy", {})])
def test_rcu_fix_closes_the_windows(cfg, kw):
    from ppcheck.models.mainline import MainlineRcuNapiLocal

    r, _ = explore(MainlineRcuNapiLocal, cfg, **kw)
    assert r.complete and not violations(r)


def test_one_cpu_reconfiguration_holds():
    """reconfig1 (a default configuration): with the control path on the NAPI's CPU nothing
    comes between the reads, and the NAPI's reuse is checked."""
    r, _ = explore(Mainline, "reconfig1")
    assert r.complete and not violations(r)
    assert r.coverage.get("napi_enable_new_pool", 0) > 0


# -- the alloc cache: page_pool_recycle_in_cache() (count read, store), __page_pool_get_cached()
#    (count read, pop), page_pool_refill_alloc_cache() (one step per page, then the pop) ------

class TwoConsumers(Mainline):
    """A driver's own refill worker (a softirq on another CPU) allocates from the pool next to
    the NAPI poll: two consumers of the lockless alloc cache ("Caller MUST guarantee safe
    non-concurrent access, e.g. softirq")."""

    name = "split_two_consumers"
    default = False

    def alloc_ok(self, s, c: int, dest) -> None:
        if not self.is_role(c, Role.USER):
            super().alloc_ok(s, c, dest)
            return
        require((s.ctxs[c].pc == PC.READY) & self.can_run(s, c) & (s.pool.user_cnt > 0))
        if dest == Loc.FRAG:
            require(s.pool.frag_page == Ref.NONE)
        self.touch(s)


class TwoConsumersUnwatched(TwoConsumers):
    """The same, with the exclusivity property removed: what the corruption itself breaks."""

    name = "split_two_consumers_unwatched"
    alloc_cache_single_owner = None


class TwoRefillers(TwoConsumers):
    """The second consumer only refills (its cache pops are the refill's last page)."""

    name = "split_two_refillers"

    @action(c="ctxs", dest=alloc_destinations, who="c")
    def page_pool_alloc_fast(self, s, c, dest):
        require(const(not self.is_role(c, Role.USER)))
        Mainline.page_pool_alloc_fast.fn(self, s, c, dest)


class NapiLocalIgnoresOwner(Mainline):
    """page_pool_napi_local() answers "local" whenever a NAPI is linked, without reading
    ``list_owner``: a free on another CPU pushes into the cache while the NAPI pops it."""

    name = "split_napi_local_ignores_owner"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_napi_local_owner(self, s, c):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.NAPI_LOCAL_OWNER) & self.can_run(s, c))
        ctx.direct = True
        ctx.pc = PC.PUT_PAGE


class NapiLocalIgnoresOwnerUnwatched(NapiLocalIgnoresOwner):
    name = "split_napi_local_ignores_owner_unwatched"
    alloc_cache_single_owner = None


def _last_pcs(ex, prop: str) -> set[str]:
    return {c["pc"] for c in ex.traces[prop].steps[-1].state["ctxs"]}


def test_two_consumers_popping_are_caught_by_exclusivity():
    r, ex = explore(TwoConsumers, "percpu", ["alloc_cache_single_owner"])
    assert violations(r) == {"alloc_cache_single_owner": 9}
    assert "CACHE_POP" in _last_pcs(ex, "alloc_cache_single_owner")
    assert _holds(Mainline, "percpu", "alloc_cache_single_owner")


def test_two_consumers_corrupt_alloc_count():
    """Unwatched, the second consumer's pop and a push that read the same ``alloc.count`` lose
    an update: the count and the cached pages disagree."""
    r, _ = explore(TwoConsumersUnwatched, "percpu", ["page_in_one_place"])
    assert violations(r) == {"page_in_one_place": 20}
    assert _holds(Mainline, "percpu", "page_in_one_place")


def test_a_second_refiller_is_counted():
    r, ex = explore(TwoRefillers, "percpu", ["alloc_cache_single_owner"])
    assert violations(r) == {"alloc_cache_single_owner": 12}
    assert _last_pcs(ex, "alloc_cache_single_owner") & {"REFILL", "REFILL_POP"}


def test_racing_free_pushing_while_the_napi_pops():
    r, ex = explore(NapiLocalIgnoresOwner, "base", ["alloc_cache_single_owner"])
    assert violations(r) == {"alloc_cache_single_owner": 9}
    assert _holds(Mainline, "base", "alloc_cache_single_owner")
    r, ex = explore(NapiLocalIgnoresOwnerUnwatched, "base", ["page_in_one_place"])
    assert violations(r) == {"page_in_one_place": 18}
    assert _holds(Mainline, "base", "page_in_one_place")
