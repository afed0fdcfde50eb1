"""Allocation in the NAPI poll: the alloc cache, the ring refill, the slow path, the frag allocator."""

from __future__ import annotations

from ppcheck.models.pagepool import (
    After,
    AllocStat,
    Loc,
)
from ppcheck.spec import (
    Ref,
    action,
    min_,
    require,
    when,
)
from ppcheck.spec.expr import const

from .base import MainlineBase
from .configs import alloc_destinations


class AllocActions(MainlineBase):
    """Allocation in the NAPI poll: the alloc cache, the ring refill, the slow path, the frag allocator."""

    # -- allocation (NAPI poll) ---------------------------------------------------------------
    @action(c="ctxs", p="pages", dest=alloc_destinations, who="c")
    def page_pool_alloc_fast(self, s, c, p, dest):
        """__page_pool_get_cached() fast path: pop ``alloc.cache[--alloc.count]`` (no lock: the
        NAPI poll is the only consumer).  ``dest`` says who asked: the driver refilling its RX
        ring (page_pool_dev_alloc_pages) or page_pool_alloc_frag() needing a new frag page."""
        self.alloc_ok(s, c, dest)
        pg = s.pages[p]
        require((pg.loc == Loc.CACHE) & (pg.slot == s.pool.alloc_count - 1))
        s.pool.alloc_count = s.pool.alloc_count - 1
        s.pool.alloc_stat = AllocStat.FAST
        self.place(s, p, dest)

    @action(c="ctxs", p="pages", dest=alloc_destinations, who="c")
    def page_pool_refill_alloc_cache(self, s, c, p, dest):
        """page_pool_refill_alloc_cache(): the cache is empty; __ptr_ring_consume() up to
        PP_ALLOC_CACHE_REFILL pages from the ring head into the cache, then return the last one
        (the NUMA-mismatch release is left out).  The consumer side of the ptr_ring takes no lock
        here: only producers serialise on producer_lock."""
        self.alloc_ok(s, c, dest)
        pool = s.pool
        k = min_(self.cfg.refill, pool.ring_count)
        require((pool.alloc_count == 0) & (pool.ring_count > 0))
        pg = s.pages[p]
        require((pg.loc == Loc.RING) & (pg.slot == k - 1))
        for q in s.pages:
            moved = (q.loc == Loc.RING) & (q.slot < k)
            stays = (q.loc == Loc.RING) & (q.slot >= k)
            with when(moved):
                q.loc = Loc.CACHE
            with when(stays):
                q.slot = q.slot - k
        pool.ring_count = pool.ring_count - k
        pool.alloc_count = k - 1
        pool.alloc_stat = AllocStat.REFILL
        self.place(s, p, dest)

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
