"""The control path (napi_disable, RX ring cleanup, page_pool_destroy(), unbind) and
page_pool_release() with its delayed worker."""

from __future__ import annotations

from ppcheck.models.pagepool import (
    PC,
    After,
    Kind,
    Loc,
    Role,
    Stage,
    inflight,
)
from ppcheck.spec import (
    Expr,
    Ref,
    action,
    all_,
    any_,
    assert_,
    ite,
    require,
    when,
)
from ppcheck.spec.expr import const

from .base import MainlineBase
from .dmabuild import has_dma_index


class DestroyActions(MainlineBase):
    """The control path (napi_disable, RX ring cleanup, page_pool_destroy(), unbind) and
page_pool_release() with its delayed worker."""

    # -- the control path: napi_disable, RX cleanup, page_pool_destroy, unbind ----------------
    @action(c="ctxs", who="c")
    def napi_disable(self, s, c):
        """napi_disable(): set NAPIF_STATE_DISABLE so the NAPI is not scheduled again."""
        self.ctl_ok(s, c, Stage.IDLE)
        s.napi.enabled = False
        s.ctxs[c].stage = Stage.NAPI_DISABLE

    @action(c="ctxs", who="c")
    def napi_disable_wait(self, s, c):
        """napi_disable(): wait until a pending poll finished and NAPI_STATE_SCHED is clear."""
        self.ctl_ok(s, c, Stage.NAPI_DISABLE)
        require(self.napi_sched_clear(s))
        s.ctxs[c].stage = Stage.RX_CLEAN

    @action(c="ctxs", p="pages", who="c")
    def driver_rx_ring_free(self, s, c, p):
        """The driver frees a page still posted to its RX ring: page_pool_put_full_page(pool,
        page, allow_direct=true) is allowed because the NAPI is disabled (the consumer is us).
        A per-CPU pool (``pool_cpuid >= 0``) has its consumer in the softirqs of its CPU, which
        napi_disable() does not stop: its teardown from another CPU passes allow_direct=false."""
        self.ctl_ok(s, c, Stage.RX_CLEAN)
        pg = s.pages[p]
        require(pg.loc == Loc.RX)
        pg.loc = Loc.USERS
        self.start_unref(s, c, p, 1, After.PUT, direct=int(self.cfg.pool_cpuid) < 0)

    @action(c="ctxs", who="c")
    def driver_rx_ring_done(self, s, c):
        """The RX ring is empty: the driver goes on to page_pool_destroy()."""
        self.ctl_ok(s, c, Stage.RX_CLEAN)
        require(all_(p.loc != Loc.RX for p in s.pages))
        s.ctxs[c].stage = Stage.DESTROY

    @action(c="ctxs", who="c")
    def page_pool_destroy(self, s, c):
        """page_pool_destroy(): page_pool_put() drops user_cnt to 0, then
        page_pool_disable_direct_recycling(): ``cpuid = -1`` and ``p.napi = NULL``."""
        self.ctl_ok(s, c, Stage.DESTROY)
        self.touch(s)
        s.pool.user_cnt = 0
        self.disable_direct_recycling(s)
        s.ctxs[c].stage = Stage.FREE_FRAG

    def disable_direct_recycling(self, s) -> None:
        """page_pool_disable_direct_recycling(): ``WRITE_ONCE(pool->cpuid, -1)`` (56ef27e3abe6)
        and page_pool_unlink_napi() (``WRITE_ONCE(pool->p.napi, NULL)``, dd64b232deb8): no
        later page_pool_napi_local() calls this pool local."""
        s.pool.cpuid = -1
        s.pool.napi_linked = False

    @action(c="ctxs", p=lambda cfg: range(-1, int(cfg.pages)), who="c")
    def page_pool_free_frag(self, s, c, p):
        """page_pool_free_frag(): take ``frag_page`` (``frag_page = 0``) and drop its unused bias
        with page_pool_unref_netmem(page, BIAS_MAX - frag_users); the last user returns it."""
        self.ctl_ok(s, c, Stage.FREE_FRAG)
        self.wait_direct_recyclers(s)
        pool = s.pool
        require(pool.frag_page == p)
        self.touch(s)
        s.ctxs[c].stage = Stage.SCRUB_CACHE
        if p >= 0:
            pool.frag_page = Ref.NONE
            s.pages[p].loc = Loc.USERS
            self.start_unref(s, c, p, self.bias - pool.frag_users, After.FREE_FRAG)

    def wait_direct_recyclers(self, s) -> None:
        """What page_pool_destroy() waits for after page_pool_disable_direct_recycling():
        nothing.  A free that read ``cpuid`` (or ``p.napi``) before the WRITE_ONCE() may still
        push into alloc.cache after the scrub emptied it; only a NAPI-linked pool is ordered, by
        napi_disable() (docs/findings.md, finding 3).  The proposed RCU fix overrides this
        (:mod:`.rcu_fix`)."""

    # page_pool_release(), run by page_pool_destroy() (control) and the release worker
    @action(c="ctxs", p="pages", who="c")
    def page_pool_empty_alloc_cache_once(self, s, c, p):
        """page_pool_scrub() -> page_pool_empty_alloc_cache_once(): on the first release only
        (destroy_cnt == 0), return every page of alloc.cache (the NAPI can no longer run)."""
        self.ctl_ok(s, c, Stage.SCRUB_CACHE, Role.CONTROL, Role.WORKER)
        pool = s.pool
        pg = s.pages[p]
        require((pool.destroy_cnt == 0) & (pool.alloc_count > 0))
        require((pg.loc == Loc.CACHE) & (pg.slot == pool.alloc_count - 1))
        pool.alloc_count = pool.alloc_count - 1
        self.return_now(s, p)

    @action(c="ctxs", who="c")
    def page_pool_scrub(self, s, c):
        """page_pool_scrub() after page_pool_empty_alloc_cache_once(), up to its
        synchronize_net(): ``if (!pool->destroy_cnt++ && pool->dma_map)`` and ``dma_sync`` is
        on, ``dma_sync = false`` ("Disable page_pool_dma_sync_for_device()"); then, if the
        device needs syncs and ``pool->dma_mapped`` is not empty, synchronize_net() begins: the
        RCU readers inside a page_pool call at this moment are the ones its grace period waits
        for (``rcu_gp``, :meth:`rcu_reader`).  The first release goes on at
        :meth:`page_pool_scrub_unmap`; a later one (destroy_cnt already set) has nothing to
        unmap and goes on to page_pool_empty_ring()."""
        self.ctl_ok(s, c, Stage.SCRUB_CACHE, Role.CONTROL, Role.WORKER)
        pool = s.pool
        require((pool.destroy_cnt != 0) | (pool.alloc_count == 0))
        self.touch(s)
        first = pool.destroy_cnt == 0
        wait = first & pool.dma_sync & self.dma_mapped_nonempty(s)
        for d in self.rcu_contexts():
            s.ctxs[d].rcu_gp = wait & self.rcu_reader(s, d)
        with when(first):
            pool.dma_sync = False
        pool.destroy_cnt = 1
        s.ctxs[c].stage = ite(first, int(Stage.SCRUB_DMA), int(Stage.EMPTY_RING))

    @action(c="ctxs", who="c")
    def page_pool_scrub_unmap(self, s, c):
        """page_pool_scrub() after synchronize_net() returned: "Make sure all concurrent returns
        that may see the old value of dma_sync (and thus perform a sync) have finished before
        doing the unmapping below".  Enabled once no context marked when the grace period
        began (``rcu_gp``) is still inside that call as a reader; one that entered a call after
        it began is not waited for.  Then ``xa_for_each(&pool->dma_mapped)``
        __page_pool_unmap_netmem_dma() of every page still mapped, in flight or not ("No page
        ref, dma-unmap only")."""
        self.ctl_ok(s, c, Stage.SCRUB_DMA, Role.CONTROL, Role.WORKER)
        require(all_(~(s.ctxs[d].rcu_gp & self.rcu_reader(s, d)) for d in self.rcu_contexts()))
        self.touch(s)
        self.scrub_dma_mapped(s)
        for d in self.rcu_contexts():
            s.ctxs[d].rcu_gp = False
        s.ctxs[c].stage = Stage.EMPTY_RING

    def rcu_contexts(self) -> list[int]:
        """The contexts that enter page_pool calls (all but the control path and the worker)."""
        return [sp.index for sp in self.specs if sp.role not in (Role.CONTROL, Role.WORKER)]

    def rcu_reader(self, s, d: int) -> Expr:
        """Context ``d`` is inside a page_pool call in an RCU read-side critical section, which
        synchronize_net() waits for: a softirq (and, under PREEMPT_RT, its softirq thread, whose
        local_bh_disable() takes rcu_read_lock()) or a context with BH disabled (a
        process_bh context, the threaded NAPI, busy polling) for the whole call; a process
        context only while it holds the producer lock (spin_lock_bh() disables BH).  Its
        page_pool_dma_sync_for_device()'s own rcu_read_lock() section is inside one step.
        Approximations, both of which wait for fewer readers than the kernel does (so the model
        keeps every kernel interleaving, and more): a softirq between two page_pool calls (in
        its NAPI poll, say) is not a reader here, and neither is a bulk free
        (page_pool_put_page_bulk(), ``bpc``) outside its own ``pc`` steps."""
        sp = self.specs[d]
        inside = s.ctxs[d].pc != PC.READY
        if sp.kind in (Kind.SOFTIRQ, Kind.PROCESS_BH):
            return inside
        return inside & (s.pool.ring_lock == d)

    def dma_mapped_nonempty(self, s) -> Expr:
        """``!xa_empty(&pool->dma_mapped)``: some page is DMA mapped and tracked (a build
        without the DMA index tracks none, :mod:`.dmabuild`)."""
        if not has_dma_index(self.cfg):
            return const(False)
        return any_(p.mapped for p in s.pages)

    def finish(self, ctx) -> None:
        """Returning from the kernel function also ends the RCU read-side section the call was
        in: a grace period that began before the call no longer waits for this context (a
        later call is a later reader)."""
        super().finish(ctx)
        self.leave_rcu_section(ctx)

    def scrub_dma_mapped(self, s) -> None:
        """page_pool_scrub(): ``xa_for_each(&pool->dma_mapped)`` __page_pool_unmap_netmem_dma()
        of every page still mapped, in flight or not (dmabuild.py: builds without the index)."""
        for i in range(len(s.pages)):
            self.unmap(s, i)

    @action(c="ctxs", p="pages", who="c")
    def page_pool_empty_ring(self, s, c, p):
        """page_pool_empty_ring(): ptr_ring_consume_bh() the ring head and return it
        (pr_crit if its refcount is not 1)."""
        self.ctl_ok(s, c, Stage.EMPTY_RING, Role.CONTROL, Role.WORKER)
        pool = s.pool
        pg = s.pages[p]
        require((pool.ring_count > 0) & (pg.loc == Loc.RING) & (pg.slot == 0))
        for q in s.pages:
            with when((q.loc == Loc.RING) & (q.slot > 0)):
                q.slot = q.slot - 1
        pool.ring_count = pool.ring_count - 1
        self.return_now(s, p)

    @action(c="ctxs", who="c")
    def page_pool_inflight(self, s, c):
        """page_pool_release(): the ring is empty; ``inflight = page_pool_inflight(pool, true)``,
        which WARNs "Negative(%d) inflight packet-pages" when inflight < 0 (a driver bug: a page
        returned twice).  page_pool_release() then returns the negative count: it never frees
        the pool, page_pool_destroy() schedules the release worker (non-zero), and
        page_pool_release_retry() does not reschedule itself ("if negative, we will never
        recover").  The producer-lock barrier is skipped in that case: it only orders a free."""
        self.ctl_ok(s, c, Stage.EMPTY_RING, Role.CONTROL, Role.WORKER)
        require(s.pool.ring_count == 0)
        self.touch(s)
        ctx = s.ctxs[c]
        n = inflight(s, self.bits)
        neg = n < 0
        assert_(~neg, "page_pool_inflight(): Negative inflight packet-pages (WARN)")
        ctx.flag = n == 0
        if self.is_role(c, Role.CONTROL):
            ctx.stage = ite(neg, int(Stage.UNBIND), int(Stage.LOCK))
            with when(neg):
                self.schedule_release_worker(s)
        else:
            ctx.stage = ite(neg, int(Stage.DONE), int(Stage.LOCK))

    def schedule_release_worker(self, s) -> None:
        """page_pool_destroy(): page_pool_release() returned non-zero: INIT_DELAYED_WORK() and
        schedule_delayed_work(&pool->release_dw, DEFER_TIME)."""
        s.pool.deferred = True
        for w in self.specs:
            if w.role == Role.WORKER:
                s.ctxs[w.index].stage = Stage.PENDING

    @action(c="ctxs", who="c")
    def page_pool_release_lock(self, s, c):
        """page_pool_release(): take the producer lock "to make sure producers have exited"
        (a producer between __ptr_ring_produce() and its unlock still touches the pool)."""
        self.ctl_ok(s, c, Stage.LOCK, Role.CONTROL, Role.WORKER)
        require(s.pool.ring_lock == Ref.NONE)
        self.touch(s)
        s.pool.ring_lock = c
        s.ctxs[c].stage = Stage.UNLOCK

    @action(c="ctxs", who="c")
    def page_pool_release_unlock(self, s, c):
        """page_pool_release(): drop the producer lock; if inflight was 0, __page_pool_destroy()
        frees the pool.  Otherwise page_pool_destroy() schedules the release worker
        (page_pool_release_retry), which reschedules itself until inflight is 0."""
        self.ctl_ok(s, c, Stage.UNLOCK, Role.CONTROL, Role.WORKER)
        ctx = s.ctxs[c]
        pool = s.pool
        self.touch(s)
        pool.ring_lock = Ref.NONE
        zero = ctx.flag
        with when(zero):
            pool.freed = True
        with when(~zero):
            pool.deferred = True
        if self.is_role(c, Role.CONTROL):
            ctx.stage = Stage.UNBIND
            with when(~zero):
                self.schedule_release_worker(s)
        else:
            ctx.stage = ite(zero, int(Stage.DONE), int(Stage.PENDING))
        ctx.flag = False

    @action(c="ctxs", who="c")
    def page_pool_release_retry(self, s, c):
        """The delayed work fires (DEFER_TIME later): page_pool_release_retry() runs
        page_pool_release() again."""
        self.ctl_ok(s, c, Stage.PENDING, Role.WORKER)
        s.ctxs[c].stage = Stage.SCRUB_CACHE

    @action(c="ctxs", who="c")
    def napi_enable_new_pool(self, s, c):
        """Ring reconfiguration: after destroying the old pool the driver gives the NAPI a new
        pool and napi_enable()s it; pages of the old pool still in flight come back while the
        NAPI polls again (why page_pool_disable_direct_recycling() unlinks ``p.napi``)."""
        self.ctl_ok(s, c, Stage.UNBIND)
        require(const(bool(self.cfg.reconfig)) & ~s.napi.enabled)
        s.napi.enabled = True

    @action(c="ctxs", who="c")
    def driver_unbind(self, s, c):
        """The driver's remove() finishes and the device is unbound from it: from now on no DMA
        API call may name it."""
        self.ctl_ok(s, c, Stage.UNBIND)
        s.dev.bound = False
        s.ctxs[c].stage = Stage.DONE
