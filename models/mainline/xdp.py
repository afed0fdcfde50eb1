"""A second pool user, NUMA and pfmemalloc pages: page_pool_use_xdp_mem() /
xdp_rxq_info_reg_mem_model() and xdp_rxq_info_unreg_mem_model() (net/core/xdp.c),
page_pool_destroy()'s page_pool_put() (include/net/page_pool/helpers.h), page_pool_update_nid()
and the pfmemalloc refusal in __page_pool_page_can_be_recycled() (net/core/page_pool.c, 6.12).

``xdp_mem``: the driver registers the pool as its RX queue's XDP memory model, which takes a
second user reference (``user_cnt`` 2).  At teardown the driver calls page_pool_destroy() and
xdp_rxq_info_unreg_mem_model() (which calls page_pool_destroy() on the pool it finds by mem.id)
in either order; page_pool_put() (refcount_dec_and_test) lets only the last one destroy.
``pfmemalloc``: the page allocator may hand out a page from the memory reserves; the pool must
not recycle it.  ``numa``: the NAPI may call page_pool_update_nid(), which flushes alloc.cache.
The NUMA check in page_pool_refill_alloc_cache() releases a ring page of another node
(``page_pool_refill_alloc_cache_waive``).  Left out: the rhashtable's RCU lifetime, and
``mem->id`` reuse.
"""

from __future__ import annotations

from typing import Any

from ppcheck.models.pagepool import (
    PC,
    After,
    Loc,
    Stage,
)
from ppcheck.spec import (
    action,
    all_,
    always,
    any_,
    implies,
    ite,
    require,
    sometimes,
    when,
)
from ppcheck.spec.expr import const

from .alloc import AllocActions
from .base import MainlineBase
from .configs import alloc_destinations
from .destroy import DestroyActions
from .state import BulkStage, MemModel


def has_xdp_mem(cfg: Any) -> bool:
    return bool(getattr(cfg, "xdp_mem", False))


def has_pfmemalloc(cfg: Any) -> bool:
    return bool(getattr(cfg, "pfmemalloc", False))


def has_numa(cfg: Any) -> bool:
    return bool(getattr(cfg, "numa", False))


class XdpActions(MainlineBase):
    """The XDP memory model as a second pool user; page_pool_update_nid(); pfmemalloc pages."""

    # -- the XDP memory model -------------------------------------------------------------------
    @action(c="ctxs", who="c")
    def xdp_rxq_info_reg_mem_model(self, s, c):
        """xdp_rxq_info_reg_mem_model(MEM_TYPE_PAGE_POOL) at RX queue setup:
        __xdp_reg_mem_model() -> page_pool_use_xdp_mem(): ``refcount_inc(&pool->user_cnt)``,
        ``pool->disconnect = mem_allocator_disconnect``, the mem.id entry in mem_id_ht."""
        require(const(has_xdp_mem(self.cfg)))
        self.ctl_ok(s, c, Stage.IDLE)
        require((s.pool.mem_model == MemModel.NONE) & (s.pool.user_cnt == 1) & s.napi.enabled)
        self.touch(s)
        s.pool.user_cnt = s.pool.user_cnt + 1
        s.pool.mem_model = MemModel.REGISTERED

    def destroy_put(self, s, c: int) -> None:
        """page_pool_destroy(): ``if (!page_pool_put(pool)) return;``, else the real destroy."""
        self.touch(s)
        last = s.pool.user_cnt == 1
        with when(last):
            DestroyActions.page_pool_destroy.fn(self, s, c)
        with when(~last):
            s.pool.user_cnt = s.pool.user_cnt - 1

    @action(c="ctxs", who="c")
    def page_pool_destroy(self, s, c):
        """page_pool_destroy() by the driver: page_pool_put() = refcount_dec_and_test(user_cnt);
        another user left (the XDP memory model): return.  The last user goes on:
        page_pool_disable_direct_recycling() (``cpuid = -1``, ``p.napi = NULL``), then
        page_pool_free_frag() and page_pool_release()."""
        self.ctl_ok(s, c, Stage.DESTROY)
        xdp_ref = ite(s.pool.mem_model == MemModel.REGISTERED, 1, 0)
        require(s.pool.user_cnt - xdp_ref == 1)  # the driver's reference is still held
        self.destroy_put(s, c)

    @action(c="ctxs", who="c")
    def xdp_rxq_info_unreg_mem_model(self, s, c):
        """xdp_rxq_info_unreg_mem_model() -> xdp_unreg_mem_model(): ``mem->id = 0``, look the
        allocator up by id in mem_id_ht and page_pool_destroy(xa->page_pool): the last user
        destroys (its __page_pool_destroy() later calls ``pool->disconnect()``, which removes the
        mem.id entry)."""
        require(const(has_xdp_mem(self.cfg)))
        self.ctl_ok(s, c, Stage.DESTROY)
        require(s.pool.mem_model == MemModel.REGISTERED)
        s.pool.mem_model = MemModel.UNREGISTERED
        self.destroy_put(s, c)

    # -- NUMA -----------------------------------------------------------------------------------
    @action(c="ctxs", p="pages", who="c")
    def page_pool_update_nid(self, s, c, p):
        """page_pool_update_nid() from the NAPI poll ("Caller must provide appropriate safe
        context, e.g. NAPI"): ``pool->p.nid = new_nid``, then flush alloc.cache, since the refill
        checks the node: pop ``alloc.cache[--count]`` and page_pool_return_page() it (one page
        per step)."""
        require(const(has_numa(self.cfg)))
        self.in_napi_poll(s, c)
        pool, pg = s.pool, s.pages[p]
        require((pool.user_cnt > 0) & (pool.alloc_count > 0))
        require((pg.loc == Loc.CACHE) & (pg.slot == pool.alloc_count - 1))
        self.touch(s)
        pool.nid_changed = True
        pool.alloc_count = pool.alloc_count - 1
        self.return_now(s, p)

    # -- the NUMA check of the refill -----------------------------------------------------------
    @action(c="ctxs", p="pages", who="c")
    def page_pool_refill_alloc_cache_waive(self, s, c, p):
        """page_pool_refill_alloc_cache() with the cache empty: the ring head
        __ptr_ring_consume()d is not of the preferred node (``!netmem_is_pref_nid(netmem,
        pref_nid)``, ``pref_nid`` being ``pool->p.nid``): "NUMA mismatch; (1) release 1 page to
        page-allocator and (2) break out to fallthrough to alloc_pages_node":
        page_pool_return_page() of that page (its own steps, ``page_pool_return_page`` and
        ``page_pool_return_put``, before the poll goes on), ``alloc_stats.waive``, return NULL
        (the slow path allocates next).  After page_pool_update_nid() any page the ring holds
        may be of the old node (the page's node is not tracked: every ring page may be)."""
        require(const(has_numa(self.cfg)))
        self.in_napi_poll(s, c)
        pool, pg = s.pool, s.pages[p]
        require((pool.user_cnt > 0) & pool.nid_changed)
        require((pool.alloc_count == 0) & (pool.ring_count > 0))
        require((pg.loc == Loc.RING) & (pg.slot == 0))
        self.touch(s)
        for q in s.pages:
            with when((q.loc == Loc.RING) & (q.slot > 0)):
                q.slot = q.slot - 1
        pool.ring_count = pool.ring_count - 1
        pg.loc = Loc.CTX
        pg.slot = 0
        ctx = s.ctxs[c]
        ctx.page = p
        ctx.pc = PC.RETURN

    # -- pfmemalloc -----------------------------------------------------------------------------
    @action(c="ctxs", p="pages", dest=alloc_destinations, who="c")
    def page_pool_alloc_pfmemalloc(self, s, c, p, dest):
        """__page_pool_alloc_pages_slow() under memory pressure: alloc_pages_bulk_array_node()
        hands out a page from the memory reserves (page_is_pfmemalloc(): ALLOC_NO_WATERMARKS).
        The pool takes it like any page; __page_pool_page_can_be_recycled() refuses it when it
        comes back."""
        require(const(has_pfmemalloc(self.cfg)))
        AllocActions.page_pool_alloc_slow.fn(self, s, c, p, dest)
        s.pages[p].pfmemalloc = True

    # -- properties -----------------------------------------------------------------------------
    @always
    def pool_alive_while_registered(self, s):
        """The pool is not freed while the XDP memory model still holds it: xdp_unreg_mem_model()
        calls page_pool_destroy() on the pool it looks up by mem.id.  page_pool_put()'s user
        count keeps the pool until its last user."""
        return implies(s.pool.mem_model == MemModel.REGISTERED, ~s.pool.freed & (s.pool.user_cnt >= 1))

    @always
    def pfmemalloc_not_recycled(self, s):
        """A pfmemalloc page never enters alloc.cache, the ptr_ring or a bulk's ring batch: it
        came from the reserves kept for memory reclaim and must go back to the page allocator
        (__page_pool_page_can_be_recycled(): ``!page_is_pfmemalloc()``)."""
        return all_(implies(p.pfmemalloc, (p.loc != Loc.CACHE) & (p.loc != Loc.RING)
                            & (p.bulk != BulkStage.RING))
                    for p in s.pages)

    @sometimes(applies=has_xdp_mem)
    def destroy_deferred_to_last_user(self, s):
        """The driver's page_pool_destroy() ran while the XDP memory model still held the pool:
        page_pool_put() returned false and the destroy waits for xdp_rxq_info_unreg_mem_model()."""
        return (s.pool.mem_model == MemModel.REGISTERED) & (s.pool.user_cnt == 1)

    @sometimes(applies=has_xdp_mem)
    def xdp_unreg_not_last(self, s):
        """xdp_rxq_info_unreg_mem_model() ran first: its page_pool_destroy() was not the last
        user's, and the driver's page_pool_destroy() is still to come."""
        return (s.pool.mem_model == MemModel.UNREGISTERED) & (s.pool.user_cnt == 1)

    @sometimes(applies=has_pfmemalloc)
    def pfmemalloc_page_released(self, s):
        """A pfmemalloc page came back and __page_pool_page_can_be_recycled() sent it to
        page_pool_return_page()."""
        return any_(any_((c.pc == PC.RETURN) & (c.page == i) & p.pfmemalloc
                         for i, p in enumerate(s.pages)) for c in s.ctxs)

    @sometimes(applies=has_numa)
    def refill_waived_remote_page(self, s):
        """page_pool_refill_alloc_cache() met a ring page of another node and is releasing it
        (alloc_stats.waive) instead of caching it."""
        return any_(c.in_poll & (c.pc == PC.RETURN) & (c.after == After.NONE) for c in s.ctxs)

    @sometimes(applies=has_numa)
    def nid_updated_cache_flushed(self, s):
        """page_pool_update_nid() changed the node and flushed alloc.cache."""
        return s.pool.nid_changed & (s.pool.alloc_count == 0)
