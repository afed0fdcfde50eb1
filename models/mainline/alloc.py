"""Allocation in the NAPI poll: the alloc cache, the ring refill, the slow path, the frag allocator."""

from __future__ import annotations

from ppcheck.models.pagepool import (
    PC,
    After,
    AllocStat,
    Loc,
)
from ppcheck.spec import (
    Ref,
    action,
    ite,
    require,
    when,
)
from ppcheck.spec.expr import const

from .base import MainlineBase
from .configs import alloc_destinations


class AllocActions(MainlineBase):
    """Allocation in the NAPI poll: the alloc cache, the ring refill, the slow path, the frag allocator."""

    # -- allocation (NAPI poll) ---------------------------------------------------------------
    @action(c="ctxs", dest=alloc_destinations, who="c")
    def page_pool_alloc_fast(self, s, c, dest):
        """__page_pool_get_cached() (no lock: "Caller MUST guarantee safe non-concurrent
        access, e.g. softirq"): ``if (likely(pool->alloc.count))``, the fast path.  The count
        read is kept (``cache_idx``) for the pop, the next step (page_pool_cache_pop).
        ``dest`` says who asked: the driver refilling its RX ring (page_pool_dev_alloc_pages)
        or page_pool_alloc_frag() needing a new frag page."""
        self.alloc_ok(s, c, dest)
        require(s.pool.alloc_count > 0)
        self.start_alloc(s, c, dest, PC.CACHE_POP, s.pool.alloc_count)

    def start_alloc(self, s, c: int, dest: Loc, pc: PC, idx) -> None:
        """The NAPI poll of context ``c`` is inside an allocation for ``dest``, at ``pc``."""
        ctx = s.ctxs[c]
        ctx.pc = pc
        ctx.cache_idx = idx
        ctx.alloc_frag = dest == Loc.FRAG

    @action(c="ctxs", p="pages", who="c")
    def page_pool_cache_pop(self, s, c, p):
        """``netmem = pool->alloc.cache[--pool->alloc.count]`` with the count this context
        read (``cache_idx``): __page_pool_get_cached()'s fast path (alloc_stats.fast), or
        page_pool_refill_alloc_cache()'s "Return last page" (alloc_stats.refill).  The store
        of the count and the load of the slot are one step: the model keeps no stale pointer
        in a slot at or above ``alloc.count``, so only the order against another context's
        count read could differ, and the exclusivity property flags any such context."""
        ctx = s.ctxs[c]
        require(((ctx.pc == PC.CACHE_POP) | (ctx.pc == PC.REFILL_POP)) & self.can_run(s, c))
        pg = s.pages[p]
        require((pg.loc == Loc.CACHE) & (pg.slot == ctx.cache_idx - 1))
        self.touch(s)
        s.pool.alloc_count = ctx.cache_idx - 1
        s.pool.alloc_stat = ite(ctx.pc == PC.REFILL_POP, int(AllocStat.REFILL), int(AllocStat.FAST))
        self.place_alloc(s, c, p)
        self.finish(ctx)

    @action(c="ctxs", dest=alloc_destinations, who="c")
    def page_pool_refill_alloc_cache(self, s, c, dest):
        """__page_pool_get_cached() read ``alloc.count == 0``: page_pool_refill_alloc_cache(),
        whose ``__ptr_ring_empty()`` finds pages ("Quicker fallback, avoid locks when ring is
        empty" otherwise: the slow path).  The consumer side of the ptr_ring takes no lock
        here: only producers serialise on producer_lock.  Each page is a step of its own
        (page_pool_refill_consume); the NUMA-mismatch release is left out."""
        self.alloc_ok(s, c, dest)
        require((s.pool.alloc_count == 0) & (s.pool.ring_count > 0))
        self.start_alloc(s, c, dest, PC.REFILL, 0)

    @action(c="ctxs", p="pages", who="c")
    def page_pool_refill_consume(self, s, c, p):
        """page_pool_refill_alloc_cache()'s loop, one page: ``__ptr_ring_consume()`` the ring
        head, ``pool->alloc.cache[pool->alloc.count++] = netmem`` (at ``cache_idx``), ``while
        (pool->alloc.count < PP_ALLOC_CACHE_REFILL)``.  The consume that finds the ring empty
        ends the loop in the same step (folded into the store before it)."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.REFILL) & self.can_run(s, c))
        pool = s.pool
        pg = s.pages[p]
        require((pool.ring_count > 0) & (pg.loc == Loc.RING) & (pg.slot == 0))
        self.touch(s)
        for q in s.pages:
            with when((q.loc == Loc.RING) & (q.slot > 0)):
                q.slot = q.slot - 1
        pool.ring_count = pool.ring_count - 1
        pg.loc = Loc.CACHE
        pg.slot = ctx.cache_idx
        idx = ctx.cache_idx + 1
        pool.alloc_count = idx
        ctx.cache_idx = idx
        stop = (idx >= min(int(self.cfg.refill), int(self.cfg.cache_size))) | (pool.ring_count == 0)
        ctx.pc = ite(stop, int(PC.REFILL_POP), int(PC.REFILL))

    @action(c="ctxs", p="pages", dest=alloc_destinations, who="c")
    def page_pool_alloc_slow(self, s, c, p, dest):
        """__page_pool_alloc_netmems_slow(): cache and ring are empty; the buddy allocator gives a
        page (one page of the bulk), page_pool_dma_map() maps it and syncs it for the device,
        page_pool_set_pp_info() sets pp/pp_magic and pp_ref_count = 1, and
        ``pages_state_hold_cnt++`` counts it in flight."""
        self.alloc_ok(s, c, dest)
        pool = s.pool
        pg = s.pages[p]
        require((pool.alloc_count == 0) & (pool.ring_count == 0) & (pg.loc == Loc.BUDDY))
        self.dma(s)
        pg.mapped = True
        pg.refcnt = 1
        pg.magic = True
        pg.pp_ref = 1
        pool.hold = pool.hold + 1
        pool.alloc_stat = AllocStat.SLOW
        self.place(s, p, dest)

    @action(c="ctxs", who="c")
    def page_pool_alloc_fail(self, s, c):
        """__page_pool_alloc_netmems_slow() when alloc_pages_bulk_node() returns nothing (GFP_ATOMIC
        can fail at any time): page_pool_alloc_pages() returns NULL; the RX ring stays short."""
        self.alloc_ok(s, c, Loc.RX)
        require((s.pool.alloc_count == 0) & (s.pool.ring_count == 0))
        s.pool.alloc_stat = AllocStat.EMPTY

    # -- page_pool_alloc_frag -----------------------------------------------------------------
    @action(c="ctxs", who="c")
    def page_pool_alloc_frag(self, s, c):
        """page_pool_alloc_frag_netmem() on the current frag page with room left:
        ``frag_users++``, advance ``frag_offset``; the new frag is handed to a user (a pp
        reference, counted in the BIAS_MAX set when the page became the frag page)."""
        require(const(bool(self.cfg.frag)))
        self.in_napi_poll(s, c)
        pool = s.pool
        require((pool.frag_page != Ref.NONE) & (pool.frag_offset < self.cfg.frags_per_page))
        self.touch(s)
        pool.frag_users = pool.frag_users + 1
        pool.frag_offset = pool.frag_offset + 1
        for i, pg in enumerate(s.pages):
            with when(pool.frag_page == i):
                pg.pp_holders = pg.pp_holders + 1

    @action(c="ctxs", p="pages", who="c")
    def page_pool_drain_frag(self, s, c, p):
        """page_pool_alloc_frag_netmem() finds the frag page full and calls
        page_pool_drain_frag(): page_pool_unref_netmem(page, BIAS_MAX - frag_users) drops the
        unused bias.  If that was the last reference the page is reused (or returned if
        page_ref_count() != 1); otherwise the frag users keep it and ``frag_page`` is dropped."""
        require(const(bool(self.cfg.frag)))
        self.in_napi_poll(s, c)
        pool = s.pool
        require((pool.frag_page == p) & (pool.frag_offset == self.cfg.frags_per_page))
        self.touch(s)
        self.start_unref(s, c, p, self.bias - pool.frag_users, After.DRAIN)
