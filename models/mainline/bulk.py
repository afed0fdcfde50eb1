"""The bulk paths: xdp_return_frame_bulk() / xdp_flush_frame_bulk() (net/core/xdp.c) into
page_pool_put_page_bulk() (v6.12; page_pool_put_netmem_bulk() with page_pool_recycle_ring_bulk()
in later trees), and the bulk slow allocation of __page_pool_alloc_pages_slow().

One context (``bulk_ctx``, a softirq: the TX completion of the device that transmitted
XDP_REDIRECTed frames) collects up to ``bulk`` frames (XDP_BULK_QUEUE_SIZE, 16 upstream) and
flushes them.  page_pool_put_page_bulk() as in the 6.12 tree: ``allow_direct =
page_pool_napi_local(pool)`` once; for each page page_pool_is_last_ref() (the two atomic steps
of page_pool_unref_netmem()) and __page_pool_put_page(pool, netmem, -1, allow_direct) (the cache
if allowed and not full; the page approved for the ring otherwise, or released); then the
producer lock is taken **once** for the batch, each approved page is __ptr_ring_produce()d
(the consumer, the NAPI's refill, may run between them: it takes no lock), the first failure
breaks the loop, recycle_stat_add() and the unlock follow, and the pages the full ring refused
are returned with page_pool_return_page() outside the lock.  Later trees split this into
page_pool_put_netmem_bulk() (every unref first, then page_pool_napi_local() per pool) and
page_pool_recycle_ring_bulk() (lock, produce, unlock, return); with one pool and the unrefs
done before any put the order of this model is one of theirs.

Each page's step is kept in the page (``Page.bulk``, :class:`~.state.BulkStage`), the context's
in ``bpc``.  A page whose last reference the bulk dropped is ``Loc.BULK`` until it is cached,
produced or returned.
"""

from __future__ import annotations

from typing import Any

from ppcheck.models.pagepool import (
    PC,
    AllocStat,
    Loc,
    Role,
    destroy_started,
    in_cache_access,
    referenced,
)
from ppcheck.spec import (
    Expr,
    Ref,
    action,
    all_,
    always,
    any_,
    count,
    implies,
    ite,
    max_,
    require,
    sometimes,
    when,
)
from ppcheck.spec.expr import const

from .base import MainlineBase
from .configs import alloc_destinations
from .state import BulkPC, BulkStage


def has_bulk(cfg: Any) -> bool:
    return int(getattr(cfg, "bulk", 0)) > 0


def bulk_alloc(cfg: Any) -> bool:
    """alloc_pages_bulk_array_node() asks for PP_ALLOC_CACHE_REFILL pages (``refill``)."""
    return int(cfg.refill) >= 2


class BulkActions(MainlineBase):
    """The bulk free (xdp_return_frame_bulk -> page_pool_put_page_bulk) and bulk allocation."""

    def __init__(self, cfg: Any):
        super().__init__(cfg)
        if has_bulk(cfg):
            b = int(cfg.bulk_ctx)
            if not (0 <= b < len(self.specs) and self.specs[b].role == Role.USER):
                raise ValueError(f"{cfg.name}: bulk_ctx={b} must name a 'user@cpu' context")

    # -- helpers --------------------------------------------------------------------------------
    def is_bulk_ctx(self, c: int) -> bool:
        return has_bulk(self.cfg) and c == int(self.cfg.bulk_ctx)

    def active(self, s, d: int) -> Expr:
        """A context inside page_pool_put_page_bulk() (or collecting frames for it in one
        softirq run) is active too."""
        return super().active(s, d) | (s.ctxs[d].bpc != BulkPC.IDLE)

    def may_start(self, s, c: int) -> Expr:
        """A context may call into the free path: between kernel functions and not inside
        page_pool_put_page_bulk() (xdp_return_frame() between two xdp_return_frame_bulk() calls
        is allowed: the driver mixes them)."""
        return super().may_start(s, c) & (s.ctxs[c].bpc <= BulkPC.QUEUE)

    def may_drop(self, s, p: int) -> Expr:
        """The pp reference a bulk queue holds is the bulk's to drop."""
        pg = s.pages[p]
        queued = (pg.bulk == BulkStage.QUEUED) | (pg.bulk == BulkStage.UNREF_SUB)
        return pg.pp_holders > ite(queued, 1, 0)

    def lock_holder(self, s, c: int) -> Expr:
        """The bulk holds the producer lock from its lock to its unlock."""
        b = s.ctxs[c].bpc
        return super().lock_holder(s, c) | (b == BulkPC.PRODUCE) | (b == BulkPC.UNLOCK)

    def in_bulk(self, s, stage: BulkStage) -> Expr:
        return count(p.bulk == stage for p in s.pages)

    def bulk_step(self, s, c: int, bpc: BulkPC) -> None:
        require(const(self.is_bulk_ctx(c)))
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & (ctx.bpc == bpc) & self.can_run(s, c))

    def bulk_done(self, ctx) -> None:
        ctx.bpc = BulkPC.IDLE
        ctx.bdirect = False

    # -- xdp_return_frame_bulk / xdp_flush_frame_bulk -------------------------------------------
    @action(c="ctxs", p="pages", who="c")
    def xdp_return_frame_bulk(self, s, c, p):
        """xdp_return_frame_bulk(): a MEM_TYPE_PAGE_POOL frame's page joins ``bq->q`` (under
        rcu_read_lock, its pool found by mem.id); its pp reference stays held until the flush."""
        require(const(self.is_bulk_ctx(c)))
        ctx = s.ctxs[c]
        pg = s.pages[p]
        require((ctx.pc == PC.READY) & (ctx.bpc <= BulkPC.QUEUE) & self.can_run(s, c))
        require((pg.bulk == BulkStage.NONE) & self.may_drop(s, p) & (pg.loc == Loc.USERS))
        require(self.in_bulk(s, BulkStage.QUEUED) < self.cfg.bulk)
        pg.bulk = BulkStage.QUEUED
        ctx.bpc = BulkPC.QUEUE

    @action(c="ctxs", who="c")
    def xdp_flush_frame_bulk(self, s, c):
        """xdp_flush_frame_bulk() (``bq->count == XDP_BULK_QUEUE_SIZE``, or the driver's final
        flush) -> page_pool_put_page_bulk(): ``allow_direct = page_pool_napi_local(pool)``, read
        once for the whole batch."""
        self.bulk_step(s, c, BulkPC.QUEUE)
        ctx = s.ctxs[c]
        ctx.bdirect = self.napi_local(s, c)
        ctx.bpc = BulkPC.PUT

    # -- page_pool_put_page_bulk: the per-page loop ---------------------------------------------
    def one_at_a_time(self, s) -> None:
        """The loop handles one page at a time: the previous one has been put."""
        require((self.in_bulk(s, BulkStage.UNREF_SUB) == 0) & (self.in_bulk(s, BulkStage.LAST) == 0))

    def last_ref(self, s, p: int) -> None:
        """page_pool_is_last_ref() returned true: the bulk owns the page."""
        pg = s.pages[p]
        pg.pp_ref = 1
        pg.loc = Loc.BULK
        pg.bulk = BulkStage.LAST

    @action(c="ctxs", p="pages", who="c")
    def page_pool_is_last_ref(self, s, c, p):
        """page_pool_put_page_bulk(): page_pool_is_last_ref() = page_pool_unref_netmem(netmem, 1)
        == 0, step 1: ``atomic_long_read(pp_ref_count) == 1``: the last reference, no write."""
        self.bulk_step(s, c, BulkPC.PUT)
        self.one_at_a_time(s)
        pg = s.pages[p]
        require(pg.bulk == BulkStage.QUEUED)
        last = pg.pp_ref == 1
        with when(last):
            pg.pp_holders = pg.pp_holders - 1
            self.last_ref(s, p)
        with when(~last):
            pg.bulk = BulkStage.UNREF_SUB

    @action(c="ctxs", p="pages", who="c")
    def page_pool_is_last_ref_sub(self, s, c, p):
        """page_pool_is_last_ref() step 2: ``ret = atomic_long_sub_return(1, pp_ref_count)``;
        WARN_ON(ret < 0); 0 means the last user after all (reset to 1), otherwise the page is
        skipped ("It is not the last user for the page frag case")."""
        self.bulk_step(s, c, BulkPC.PUT)
        pg = s.pages[p]
        require(pg.bulk == BulkStage.UNREF_SUB)
        ret = pg.pp_ref - 1
        with when(ret < 0):
            s.ghost.pp_ref_negative = True
        pg.pp_holders = pg.pp_holders - 1
        pg.pp_ref = max_(ret, 0)
        with when(ret == 0):
            self.last_ref(s, p)
        with when(ret != 0):
            pg.bulk = BulkStage.NONE

    @action(c="ctxs", p="pages", who="c")
    def page_pool_put_page_bulk(self, s, c, p):
        """page_pool_put_page_bulk(): ``__page_pool_put_page(pool, netmem, -1, allow_direct)``:
        if __page_pool_page_can_be_recycled(), sync for the device and, if allow_direct and the
        cache has room, page_pool_recycle_in_cache(); else the page is approved for the ring
        (``data[bulk_len++]``).  Not recyclable: released (page_pool_return_page)."""
        self.bulk_step(s, c, BulkPC.PUT)
        ctx, pg, pool = s.ctxs[c], s.pages[p], s.pool
        require(pg.bulk == BulkStage.LAST)
        self.touch(s)
        ok = self.can_be_recycled(s, p)
        cache = ok & ctx.bdirect & (pool.alloc_count < self.cfg.cache_size)
        with when(ok):
            self.sync_for_device(s, p)
        with when(cache):
            with when(destroy_started(s)):
                s.ghost.cache_after_destroy = True
            with when(referenced(s, p)):
                s.ghost.recycled_in_use = True
            pg.loc = Loc.CACHE
            pg.slot = pool.alloc_count
            pool.alloc_count = pool.alloc_count + 1
            pg.bulk = BulkStage.NONE
        with when(ok & ~cache):
            pg.bulk = BulkStage.RING
        with when(~ok):
            pg.bulk = BulkStage.NONE
            self.return_now(s, p)

    # -- page_pool_recycle_ring_bulk: one producer lock for the batch ----------------------------
    @action(c="ctxs", who="c")
    def page_pool_recycle_ring_bulk_lock(self, s, c):
        """Every page is put: ``if (!bulk_len) return``; otherwise page_pool_producer_lock()
        (spin_lock in softirq), once for the whole batch."""
        self.bulk_step(s, c, BulkPC.PUT)
        require(self.in_bulk(s, BulkStage.QUEUED) + self.in_bulk(s, BulkStage.UNREF_SUB)
                + self.in_bulk(s, BulkStage.LAST) == 0)
        ctx = s.ctxs[c]
        none = self.in_bulk(s, BulkStage.RING) == 0
        require(none | (s.pool.ring_lock == Ref.NONE))
        with when(none):
            self.bulk_done(ctx)
        with when(~none):
            self.touch(s)
            s.pool.ring_lock = c
            ctx.bpc = BulkPC.PRODUCE

    @action(c="ctxs", p="pages", who="c")
    def page_pool_recycle_ring_bulk_produce(self, s, c, p):
        """__ptr_ring_produce() of one approved page under the held lock; the ring full: break
        (recycle_stats.ring_full), every page not yet produced is returned after the unlock."""
        self.bulk_step(s, c, BulkPC.PRODUCE)
        ctx, pg, pool = s.ctxs[c], s.pages[p], s.pool
        require(pg.bulk == BulkStage.RING)
        self.touch(s)
        full = pool.ring_count == self.cfg.ring_size
        with when(full):
            for q in s.pages:
                with when(q.bulk == BulkStage.RING):
                    q.bulk = BulkStage.RETURN
            ctx.bpc = BulkPC.UNLOCK
        with when(~full):
            self.ring_produce(s, p)
            pg.bulk = BulkStage.NONE
            with when(self.in_bulk(s, BulkStage.RING) == 0):
                ctx.bpc = BulkPC.UNLOCK

    @action(c="ctxs", who="c")
    def page_pool_recycle_ring_bulk_unlock(self, s, c):
        """recycle_stat_add(pool, ring, i) then page_pool_producer_unlock() (in this order in
        the 6.12 tree: the stats are the pool's memory, and once the lock is dropped
        page_pool_release() may free the pool)."""
        self.bulk_step(s, c, BulkPC.UNLOCK)
        ctx = s.ctxs[c]
        self.touch(s)
        s.pool.ring_lock = Ref.NONE
        left = self.in_bulk(s, BulkStage.RETURN) > 0
        ctx.bpc = ite(left, int(BulkPC.RETURN), int(BulkPC.IDLE))
        ctx.bdirect = ctx.bdirect & left

    @action(c="ctxs", p="pages", who="c")
    def page_pool_recycle_ring_bulk_return(self, s, c, p):
        """The ring was full: page_pool_return_page() of each page left, outside the producer
        lock ("put_page() with refcnt == 1 can be an expensive operation")."""
        self.bulk_step(s, c, BulkPC.RETURN)
        ctx, pg = s.ctxs[c], s.pages[p]
        require(pg.bulk == BulkStage.RETURN)
        pg.bulk = BulkStage.NONE
        self.return_now(s, p)
        with when(self.in_bulk(s, BulkStage.RETURN) == 0):
            self.bulk_done(ctx)

    @action(p="pages", who="stack")
    def page_pool_ref_netmem(self, s, p):
        """page_pool_ref_netmem() (skb_pp_frag_ref(), a frame's frag shared with a second user):
        one more pp reference on a page a user holds, so a bulk free meets a page that is not
        its last reference (``bulk`` configurations; a net_iov's is ``net_iov_get``)."""
        require(const(has_bulk(self.cfg)))
        pg = s.pages[p]
        require(~pg.niov & (pg.pp_holders > 0) & (pg.pp_ref == 1) & (pg.loc == Loc.USERS))
        pg.pp_ref = pg.pp_ref + 1
        pg.pp_holders = pg.pp_holders + 1

    # -- the bulk slow allocation ---------------------------------------------------------------
    @action(c="ctxs", p="pages", q="pages", dest=alloc_destinations, who="c")
    def page_pool_alloc_pages_bulk(self, s, c, p, q, dest):
        """__page_pool_alloc_pages_slow() when alloc_pages_bulk_array_node() returns two pages
        (PP_ALLOC_CACHE_REFILL asked): each is page_pool_dma_map()ped, page_pool_set_pp_info()
        and counted (``hold_cnt++``) into ``alloc.cache``; the last one is returned
        (alloc_stats.slow), the other stays cached.  One page returned is page_pool_alloc_slow."""
        require(const(bulk_alloc(self.cfg) and p != q))
        require(const(not bool(getattr(self.cfg, "mp", False))))
        self.alloc_ok(s, c, dest)
        pool, a, b = s.pool, s.pages[p], s.pages[q]
        require((pool.alloc_count == 0) & (pool.ring_count == 0)
                & (a.loc == Loc.BUDDY) & (b.loc == Loc.BUDDY))
        for pg in (a, b):
            self.dma(s)
            pg.mapped = True
            pg.refcnt = 1
            pg.magic = True
            pg.pp_ref = 1
        pool.hold = pool.hold + 2
        b.loc = Loc.CACHE
        b.slot = 0
        pool.alloc_count = 1
        pool.alloc_stat = AllocStat.SLOW
        self.place(s, p, dest)

    # -- properties -----------------------------------------------------------------------------
    @always
    def alloc_cache_single_owner(self, s):
        """At most one context touches the lockless alloc.cache at a time: the NAPI poll (the
        consumer), any context inside a cache access (push, pop, refill), or a bulk free that read
        ``allow_direct`` and is putting its pages.  "Caller MUST guarantee safe non-concurrent
        access" (__page_pool_get_cached); page_pool_napi_local() must only allow direct
        recycling where the consumer cannot run concurrently.  (A NAPI polling after
        page_pool_destroy() serves a new pool and does not touch this one.)"""
        return count((c.in_poll & ~destroy_started(s)) | in_cache_access(c)
                     | ((c.bpc == BulkPC.PUT) & c.bdirect) for c in s.ctxs) <= 1

    @always
    def bulk_pages_owned(self, s):
        """A page in a bulk past its last reference (Loc.BULK) is the pool's alone: refcount 1
        (0 for a net_iov), pp_ref_count 1, pp_magic, no holder; and a queued page still holds
        the frame's pp reference.  __page_pool_put_page() and __ptr_ring_produce() in the batch
        rely on it."""
        conds = []
        for i, p in enumerate(s.pages):
            owned = (p.bulk == BulkStage.LAST) | (p.bulk == BulkStage.RING) | (p.bulk == BulkStage.RETURN)
            conds.append(owned == (p.loc == Loc.BULK))
            conds.append(implies(owned & (p.bulk != BulkStage.LAST),
                                 (p.refcnt == ite(p.niov, 0, 1)) & ~referenced(s, i)))
            conds.append(implies(owned, p.magic & (p.pp_ref == 1) & (p.pp_holders == 0)))
            conds.append(implies((p.bulk == BulkStage.QUEUED) | (p.bulk == BulkStage.UNREF_SUB),
                                 (p.loc == Loc.USERS) & (p.pp_holders > 0)))
        return all_(conds)

    @sometimes(applies=has_bulk)
    def bulk_batch_under_one_lock(self, s):
        """page_pool_put_page_bulk() holds the producer lock with two pages approved for the
        ring: one lock hold for the batch."""
        return any_(c.bpc == BulkPC.PRODUCE for c in s.ctxs) & (self.in_bulk(s, BulkStage.RING) == 2)

    @sometimes(applies=has_bulk)
    def bulk_ring_full_return(self, s):
        """The ring filled up mid-batch: pages are returned after the unlock."""
        return any_(c.bpc == BulkPC.RETURN for c in s.ctxs)

    @sometimes(applies=has_bulk)
    def bulk_direct_recycle(self, s):
        """page_pool_put_page_bulk() with allow_direct put a page into alloc.cache."""
        return any_((c.bpc == BulkPC.PUT) & c.bdirect for c in s.ctxs) & any_(
            p.loc == Loc.CACHE for p in s.pages)

    @sometimes(applies=has_bulk)
    def bulk_not_last_ref(self, s):
        """page_pool_is_last_ref() was false for a queued frame: another user keeps the page."""
        return any_(p.bulk == BulkStage.UNREF_SUB for p in s.pages)

    @sometimes(applies=bulk_alloc)
    def bulk_slow_allocation(self, s):
        """alloc_pages_bulk_array_node() gave more than one page: one returned, the rest left in
        alloc.cache (a single-page slow allocation leaves the cache empty)."""
        return (s.pool.alloc_stat == AllocStat.SLOW) & (s.pool.alloc_count > 0)
