"""The free path: page_pool_put_netmem(), page_pool_unref_netmem(), direct and ring
recycling, returning a page to the page allocator."""

from __future__ import annotations

from ppcheck.models.pagepool import (
    PC,
    After,
    Loc,
    Role,
    destroy_started,
    in_softirq,
    referenced,
)
from ppcheck.spec import (
    Expr,
    Ref,
    action,
    ite,
    max_,
    require,
    when,
)
from ppcheck.spec.expr import const

from .base import MainlineBase


class RecycleActions(MainlineBase):
    """The free path: page_pool_put_netmem(), page_pool_unref_netmem(), direct and ring
recycling, returning a page to the page allocator."""

    # -- the free path ------------------------------------------------------------------------
    @action(c="ctxs", p="pages", who="c")
    def page_pool_put_full_page(self, s, c, p):
        """A user drops its pp reference (xdp_return_frame, a frag user, page_pool_put_full_page
        with allow_direct=false): enter page_pool_put_netmem() -> page_pool_unref_and_test()."""
        require(const(self.is_role(c, Role.NAPI, Role.USER)))
        require(self.may_start(s, c) & self.can_run(s, c))
        pg = s.pages[p]
        require(self.may_drop(s, p))
        pg.pp_holders = pg.pp_holders - 1
        self.start_unref(s, c, p, 1, After.PUT)

    @action(c="ctxs", p="pages", who="c")
    def page_pool_unref_read(self, s, c, p):
        """page_pool_unref_netmem() step 1: ``atomic_long_read(pp_ref_count) == nr``: the caller
        holds every remaining reference; return 0 *without writing* (nr != 1, the drain case,
        resets the count to 1)."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.UNREF_READ) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        last = pg.pp_ref == ctx.nr
        with when(last):
            pg.pp_ref = 1
            self.unref_last(s, c, p)
        with when(~last):
            ctx.pc = PC.UNREF_SUB

    @action(c="ctxs", p="pages", who="c")
    def page_pool_unref_sub(self, s, c, p):
        """page_pool_unref_netmem() step 2: ``ret = atomic_long_sub_return(nr, pp_ref_count)``;
        WARN_ON(ret < 0); the caller that sees 0 is the last user and resets the count to 1."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.UNREF_SUB) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        ret = pg.pp_ref - ctx.nr
        with when(ret < 0):
            s.ghost.pp_ref_negative = True
        pg.pp_ref = ite(ret == 0, 1, max_(ret, 0))
        with when(ret == 0):
            self.unref_last(s, c, p)
        with when(ret != 0):
            self.unref_not_last(s, c, p)

    def unref_last(self, s, c: int, p: int) -> None:
        """page_pool_unref_netmem() returned 0: the caller owns the page; continue per caller."""
        ctx = s.ctxs[c]
        pg = s.pages[p]
        after = ctx.after
        pg.loc = Loc.CTX
        with when(after == After.PUT):  # page_pool_put_unrefed_netmem()
            ctx.pc = PC.NAPI_LOCAL
        with when(after == After.FREE_FRAG):  # page_pool_free_frag(): return the page
            ctx.pc = PC.RETURN
        with when(after == After.DRAIN):  # page_pool_drain_frag()
            self.touch(s)
            ok = self.can_be_recycled(s, p)
            with when(ok):  # reuse it as the new frag page: frag_reset
                self.sync_for_device(s, p)
                pg.loc = Loc.FRAG
                pg.pp_ref = self.bias
                s.pool.frag_users = 1
                s.pool.frag_offset = 1
                pg.pp_holders = pg.pp_holders + 1
                self.finish(ctx)
            with when(~ok):
                s.pool.frag_page = Ref.NONE
                ctx.pc = PC.RETURN

    def unref_not_last(self, s, c: int, p: int) -> None:
        """page_pool_unref_netmem() returned non-zero: other users keep the page."""
        ctx = s.ctxs[c]
        with when(ctx.after == After.DRAIN):
            s.pool.frag_page = Ref.NONE
            s.pages[p].loc = Loc.USERS
        self.finish(ctx)

    @action(c="ctxs", who="c")
    def page_pool_napi_local(self, s, c):
        """page_pool_put_unrefed_netmem(): ``if (!allow_direct) allow_direct =
        page_pool_napi_local(pool)``.  page_pool_napi_local() answers false on PREEMPT_RT and
        outside softirq (:meth:`napi_local_allowed`), else its first read:
        ``READ_ONCE(pool->cpuid) == smp_processor_id()`` is true.  Otherwise the next step
        reads ``pool->p.napi`` (page_pool_napi_local_napi): each READ_ONCE() is a step of its
        own, another CPU's page_pool_disable_direct_recycling() or napi_complete_done() may
        come between them."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.NAPI_LOCAL) & self.can_run(s, c))
        if not self.napi_local_allowed(c):
            ctx.pc = PC.PUT_PAGE
            return
        with when(ctx.direct):
            ctx.pc = PC.PUT_PAGE
        with when(~ctx.direct):
            self.touch(s)
            mine = s.pool.cpuid == self.spec(c).cpu
            ctx.direct = mine
            ctx.pc = ite(mine, int(PC.PUT_PAGE), int(PC.NAPI_LOCAL_NAPI))

    @action(c="ctxs", who="c")
    def page_pool_napi_local_napi(self, s, c):
        """page_pool_napi_local(): ``napi = READ_ONCE(pool->p.napi)``; NULL (no NAPI linked, or
        page_pool_destroy() unlinked it) answers false."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.NAPI_LOCAL_NAPI) & self.can_run(s, c))
        self.touch(s)
        ctx.pc = ite(s.pool.napi_linked, int(PC.NAPI_LOCAL_OWNER), int(PC.PUT_PAGE))

    @action(c="ctxs", who="c")
    def page_pool_napi_local_owner(self, s, c):
        """page_pool_napi_local(): ``READ_ONCE(napi->list_owner) == cpuid``: the NAPI the
        pool pointed to is scheduled on this CPU (the napi_struct is the driver's, not the
        pool's memory)."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.NAPI_LOCAL_OWNER) & self.can_run(s, c))
        ctx.direct = s.napi.owner == self.spec(c).cpu
        ctx.pc = PC.PUT_PAGE

    def napi_local_allowed(self, c: int) -> bool:
        """page_pool_napi_local()'s static tests: false on PREEMPT_RT ("the softirq can be
        preempted by the consumer") and when !in_softirq()."""
        return not self.cfg.preempt_rt and in_softirq(self.spec(c).kind)

    def napi_local(self, s, c: int) -> Expr:
        """page_pool_napi_local() (net/core/page_pool.c) as one expression, reading
        ``pool->cpuid``, ``pool->p.napi`` and ``napi->list_owner`` at once: what the three steps
        above compute when nothing comes between them (variants with their own one-step
        check, seed 004, use it)."""
        me = self.spec(c)
        if not self.napi_local_allowed(c):
            return const(False)
        self.touch(s)
        return (s.pool.cpuid == me.cpu) | (s.pool.napi_linked & (s.napi.owner == me.cpu))

    @action(c="ctxs", p="pages", who="c")
    def page_pool_put_page(self, s, c, p):
        """__page_pool_put_page(): if __page_pool_page_can_be_recycled() (page_ref_count() == 1,
        not pfmemalloc, or a net_iov) the pool owns the page: sync it for the device (when
        dma_sync, under rcu_read_lock), then recycle it into the cache if allow_direct, else
        into the ring.  Otherwise release the page from the pool (recycle_stats.released_refcnt)."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.PUT_PAGE) & (ctx.page == p) & self.can_run(s, c))
        self.touch(s)
        ok = self.can_be_recycled(s, p)
        with when(ok):
            self.sync_for_device(s, p)
            ctx.pc = ite(ctx.direct, int(PC.CACHE_PUSH), int(PC.RING_LOCK))
        with when(~ok):
            ctx.pc = PC.RETURN

    @action(c="ctxs", p="pages", who="c")
    def page_pool_recycle_in_cache(self, s, c, p):
        """page_pool_recycle_in_cache(): read ``alloc.count``; ``== PP_ALLOC_CACHE_SIZE`` fails
        (recycle_stats.cache_full: the caller falls back to the ring), else the store is next
        (page_pool_recycle_in_cache_store) at the index read (``cache_idx``)."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.CACHE_PUSH) & (ctx.page == p) & self.can_run(s, c))
        pool = s.pool
        self.touch(s)
        full = pool.alloc_count == self.cfg.cache_size
        with when(full):
            ctx.pc = PC.RING_LOCK
        with when(~full):
            ctx.cache_idx = pool.alloc_count
            ctx.pc = PC.CACHE_STORE

    @action(c="ctxs", p="pages", who="c")
    def page_pool_recycle_in_cache_store(self, s, c, p):
        """page_pool_recycle_in_cache(): ``pool->alloc.cache[pool->alloc.count++] = netmem``
        with the count read before (``cache_idx``): the slot and ``alloc.count = cache_idx + 1``
        (recycle_stats.cached).  Two plain stores in one step: nothing reads a slot at or
        above the count it read.  "Caller MUST have verified/know (page_ref_count(page) ==
        1)"."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.CACHE_STORE) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        pool = s.pool
        self.touch(s)
        with when(destroy_started(s)):
            s.ghost.cache_after_destroy = True
        with when(referenced(s, p)):
            s.ghost.recycled_in_use = True
        pg.loc = Loc.CACHE
        pg.slot = ctx.cache_idx
        pool.alloc_count = ctx.cache_idx + 1
        self.finish(ctx)

    @action(c="ctxs", who="c")
    def page_pool_producer_lock(self, s, c):
        """page_pool_recycle_in_ring(): page_pool_producer_lock(): spin_lock(producer_lock) in
        softirq, spin_lock_bh() otherwise."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RING_LOCK) & self.can_run(s, c) & (s.pool.ring_lock == Ref.NONE))
        self.touch(s)
        s.pool.ring_lock = c
        ctx.pc = PC.RING_PRODUCE

    @action(c="ctxs", p="pages", who="c")
    def ptr_ring_produce(self, s, c, p):
        """page_pool_recycle_in_ring(): __ptr_ring_produce() under the producer lock: the page
        joins the FIFO tail, or the ring is full."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RING_PRODUCE) & (ctx.page == p) & self.can_run(s, c))
        pool = s.pool
        self.touch(s)
        full = pool.ring_count == self.cfg.ring_size
        with when(full):
            ctx.pc = PC.RING_UNLOCK_FULL
        with when(~full):
            self.ring_produce(s, p)
            ctx.page = Ref.NONE
            ctx.pc = PC.RING_UNLOCK

    @action(c="ctxs", who="c")
    def page_pool_producer_unlock(self, s, c):
        """page_pool_recycle_in_ring(): page_pool_producer_unlock().  If the produce failed,
        page_pool_put_unrefed_netmem() then returns the page (recycle_stats.ring_full)."""
        ctx = s.ctxs[c]
        require(((ctx.pc == PC.RING_UNLOCK) | (ctx.pc == PC.RING_UNLOCK_FULL)) & self.can_run(s, c))
        self.touch(s)
        s.pool.ring_lock = Ref.NONE
        full = ctx.pc == PC.RING_UNLOCK_FULL
        with when(full):
            ctx.pc = PC.RETURN
        with when(~full):
            self.finish(ctx)

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_page(self, s, c, p):
        """page_pool_return_netmem() step 1: __page_pool_release_netmem_dma(): DMA unmap if
        still mapped (the scrub may have unmapped it: ``xa_cmpxchg`` on ``pool->dma_mapped``
        lets one of them unmap)."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN) & (ctx.page == p) & self.can_run(s, c))
        self.touch(s)
        self.unmap(s, p)
        ctx.pc = PC.RETURN_RELEASE

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_release(self, s, c, p):
        """page_pool_return_netmem() step 2: ``atomic_inc_return_relaxed(&pool->
        pages_state_release_cnt)`` ("This may be the last page returned, releasing the pool,
        so it is not safe to reference pool afterwards"), then page_pool_clear_pp_info()
        (pp_magic and pp cleared: page memory, not the pool's)."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN_RELEASE) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        self.touch(s)
        s.pool.release = s.pool.release + 1
        pg.magic = False
        pg.pp_ref = 0
        ctx.pc = PC.RETURN_PUT

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_put(self, s, c, p):
        """page_pool_return_netmem() step 3: put_page() drops the pool's page reference; the
        page goes to the buddy allocator or lives on as an ordinary page held by its page
        references.  The pool is not touched."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN_PUT) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        pg.loc = Loc.USERS
        self.put_page(s, p)
        self.finish(ctx)
