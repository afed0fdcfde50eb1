"""Seeded bugs for the progress properties (issue 9.4, issue 16's release worker contract):
each variant overrides one step of :class:`~ppcheck.models.mainline.Mainline` and must break
one ``leads_to`` property with a lasso (or a deadlock) while mainline keeps it."""

from __future__ import annotations

from ppcheck.models.mainline import Mainline
from ppcheck.models.mainline.configs import alloc_destinations
from ppcheck.models.pagepool import PC, Role, Stage, inflight
from ppcheck.spec import Ref, action, require, when


class LostRingUnlock(Mainline):
    """page_pool_recycle_in_ring() forgets page_pool_producer_unlock() after a successful
    produce: the next free that needs the ring waits on producer_lock for ever."""

    name = "bug_lost_ring_unlock"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_producer_unlock(self, s, c):
        ctx = s.ctxs[c]
        require(((ctx.pc == PC.RING_UNLOCK) | (ctx.pc == PC.RING_UNLOCK_FULL)) & self.can_run(s, c))
        self.touch(s)
        full = ctx.pc == PC.RING_UNLOCK_FULL
        with when(full):
            s.pool.ring_lock = Ref.NONE
            ctx.pc = PC.RETURN
        with when(~full):
            self.finish(ctx)


class RefillNeedsFullBatch(Mainline):
    """page_pool_refill_alloc_cache() only refills when the ring holds more than a batch
    (an off-by-one on PP_ALLOC_CACHE_REFILL): recycled pages sit in the ring while the slow
    path, which needs an empty ring, cannot run either."""

    name = "bug_refill_needs_full_batch"
    default = False

    @action(c="ctxs", dest=alloc_destinations, who="c")
    def page_pool_refill_alloc_cache(self, s, c, dest):
        require(s.pool.ring_count > self.cfg.refill)
        Mainline.page_pool_refill_alloc_cache.fn(self, s, c, dest)


class WorkerGivesUp(Mainline):
    """page_pool_release_retry() does not re-arm itself: pages returned after its one retry
    never free the pool."""

    name = "bug_worker_gives_up"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_release_unlock(self, s, c):
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
            ctx.stage = Stage.DONE
        ctx.flag = False


class ReleaseCountedTwice(Mainline):
    """page_pool_scrub() returns a page of alloc.cache or the ring and counts it twice in
    pages_state_release_cnt (a page returned twice at destroy): inflight goes negative.
    page_pool_inflight() WARNs and the release worker stops: the worker stops, yet the pool
    is never freed."""

    name = "bug_release_counted_twice"
    default = False

    def return_now(self, s, p: int) -> None:
        super().return_now(s, p)
        s.pool.release = s.pool.release + 1


class WorkerRetriesOnNegative(ReleaseCountedTwice):
    """The same double return, with a release worker that re-arms itself whenever inflight is
    not 0 (before page_pool_release_retry() learnt to stop on a negative count)."""

    name = "bug_worker_retries_on_negative"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_inflight(self, s, c):
        self.ctl_ok(s, c, Stage.EMPTY_RING, Role.CONTROL, Role.WORKER)
        require(s.pool.ring_count == 0)
        self.touch(s)
        s.ctxs[c].flag = inflight(s, self.bits) == 0
        s.ctxs[c].stage = Stage.LOCK


__all__ = ["LostRingUnlock", "RefillNeedsFullBatch", "ReleaseCountedTwice", "WorkerGivesUp",
           "WorkerRetriesOnNegative"]
