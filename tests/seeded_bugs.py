"""Seeded bugs: each class breaks one safety property of the mainline model.

Every variant overrides one action (or helper) of :class:`~ppcheck.models.mainline.Mainline`
in a few lines, the way a reviewer would write a proposed patch; ``BUGS`` maps each one to the
property it must violate, the configuration it is checked in, and the last action of the
shortest counterexample the explorer must report; its length is recorded in ``manifest.json``
(section ``bugs``) by ``ppcheck manifest --update``, never typed here.  Most are bugs the kernel had or was
reviewed for; the docstrings say which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ppcheck.models.mainline import Mainline
from ppcheck.models.mainline.destroy import DestroyActions
from ppcheck.models.mainline.state import BulkPC, BulkStage, MemModel
from ppcheck.models.pagepool import PC, After, Loc, Role, Stage
from ppcheck.spec import Ref, action, ite, max_, require, when
from ppcheck.spec.expr import const


class NoRefcntCheck(Mainline):
    """__page_pool_put_page() without the page_ref_count() == 1 check: a page someone holds a
    page reference on is recycled (what the check has prevented since page_pool's start)."""

    name = "bug_no_refcnt_check"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_put_page(self, s, c, p):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.PUT_PAGE) & (ctx.page == p) & self.can_run(s, c))
        self.touch(s)
        ctx.pc = ite(ctx.direct, int(PC.CACHE_PUSH), int(PC.RING_LOCK))


class LostCacheCount(Mainline):
    """page_pool_recycle_in_cache() stores the page but loses the ``alloc.count++`` (a racy
    read-modify-write): the next push reuses the slot."""

    name = "bug_lost_cache_count"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_recycle_in_cache_store(self, s, c, p):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.CACHE_STORE) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        pg.loc = Loc.CACHE
        pg.slot = ctx.cache_idx
        self.finish(ctx)


class ReturnPutsTwice(Mainline):
    """The release path (page_ref_count() != 1) drops the caller's page reference as well as
    the pool's: the stack user's own put_page() later frees a free page."""

    name = "bug_return_puts_twice"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_put(self, s, c, p):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN_PUT) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        pg.loc = Loc.USERS
        self.put_page(s, p)
        with when(pg.refcnt > 0):
            self.put_page(s, p)
        self.finish(ctx)


class UnmapWithoutClaim(Mainline):
    """page_pool_return_netmem() unmaps without claiming the mapping in ``pool->dma_mapped``
    (xa_cmpxchg): a page page_pool_scrub() already unmapped is unmapped again."""

    name = "bug_unmap_without_claim"
    default = False

    def unmap(self, s, p: int) -> None:
        self.dma(s)
        with when(~s.pages[p].mapped):
            s.ghost.double_unmap = True
        s.pages[p].mapped = False


class DatarefIgnored(Mainline):
    """skb_release_data() without skb_data_unref(): every clone releases the shared frags, so
    the first clone freed recycles a page the other clone still reads (seed 001's race)."""

    name = "bug_dataref_ignored"
    default = False

    @action(c="ctxs", k="skbs", j="shinfos", p="pages", who="c")
    def kfree_skb(self, s, c, k, j, p):
        self.skb_ok()
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI, Role.USER)))
        require((ctx.pc == PC.READY) & (ctx.sh == Ref.NONE) & self.can_run(s, c))
        skb, sh = s.skbs[k], s.shinfos[j]
        require(skb.live & (skb.sh == j) & (sh.page == p))
        last = ~skb.cloned | (sh.dataref == 1)
        recycle = skb.pp_recycle
        skb.live = False
        skb.sh = Ref.NONE
        skb.cloned = False
        skb.pp_recycle = False
        with when(~last):  # not the last dataref holder, but releases the frag anyway
            sh.dataref = sh.dataref - 1
            with when(recycle & s.pages[p].magic):
                self.start_unref(s, c, p, 1, After.PUT)
        with when(last):
            ctx.sh = j
            ctx.recycle = recycle


class DrainOffByOne(Mainline):
    """page_pool_drain_frag() drops one reference too many (``BIAS_MAX - frag_users + 1``):
    the last frag user's atomic_long_sub_return() goes negative."""

    name = "bug_drain_off_by_one"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_drain_frag(self, s, c, p):
        require(const(bool(self.cfg.frag)))
        self.in_napi_poll(s, c)
        pool = s.pool
        require((pool.frag_page == p) & (pool.frag_offset == self.cfg.frags_per_page))
        self.start_unref(s, c, p, self.bias - pool.frag_users + 1, After.DRAIN)


class NapiLocalInProcess(Mainline):
    """page_pool_napi_local() without the in_softirq() check: a process context on the NAPI's
    CPU recycles into the cache, and the NAPI softirq interrupts it mid-push."""

    name = "bug_napi_local_in_process"
    default = False

    def napi_local_allowed(self, c: int) -> bool:
        return not self.cfg.preempt_rt


class NapiLocalOnRt(Mainline):
    """page_pool_napi_local() without the PREEMPT_RT check: a preempted NAPI softirq and a
    freeing softirq of the same CPU both touch the cache."""

    name = "bug_napi_local_on_rt"
    default = False

    def napi_local_allowed(self, c: int) -> bool:
        from ppcheck.models.pagepool import in_softirq

        return in_softirq(self.spec(c).kind)


class ExpandKeepsRecycle(Mainline):
    """pskb_expand_head() keeps ``pp_recycle`` (before commit 2cc3aeb5eccc): the expanded
    skb's frags hold page references but are released through the pp path."""

    name = "bug_expand_keeps_recycle"
    default = False

    @action(k="skbs", j="shinfos", n="shinfos", who="stack")
    def pskb_expand_head(self, s, k, j, n):
        keep = s.skbs[k].pp_recycle
        Mainline.pskb_expand_head.fn(self, s, k, j, n)
        s.skbs[k].pp_recycle = keep


class NoClearPpInfo(Mainline):
    """page_pool_return_netmem() forgets page_pool_clear_pp_info() before put_page(): the
    buddy allocator gets a page that still carries pp_magic."""

    name = "bug_no_clear_pp_info"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_release(self, s, c, p):
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN_RELEASE) & (ctx.page == p) & self.can_run(s, c))
        self.touch(s)
        s.pool.release = s.pool.release + 1
        ctx.pc = PC.RETURN_PUT


class NoHoldCount(Mainline):
    """__page_pool_alloc_netmems_slow() forgets ``pages_state_hold_cnt++``: inflight is
    under-counted and the pool can be freed with pages out."""

    name = "bug_no_hold_count"
    default = False

    @action(c="ctxs", p="pages", dest=lambda cfg: [Loc.RX], who="c")
    def page_pool_alloc_slow(self, s, c, p, dest):
        hold = s.pool.hold
        Mainline.page_pool_alloc_slow.fn(self, s, c, p, dest)
        s.pool.hold = hold


class InflightIgnored(Mainline):
    """page_pool_release() frees the pool without looking at inflight (a release that trusts
    the driver to have returned everything)."""

    name = "bug_inflight_ignored"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_inflight(self, s, c):
        self.ctl_ok(s, c, Stage.EMPTY_RING, Role.CONTROL, Role.WORKER)
        require(s.pool.ring_count == 0)
        s.ctxs[c].flag = True
        s.ctxs[c].stage = Stage.LOCK


class NoProducerBarrier(Mainline):
    """page_pool_release() without taking the producer lock (before the 2025 fix "page_pool:
    fix use-after-free in page_pool_recycle_in_ring"): a producer between
    __ptr_ring_produce() and its unlock touches the freed pool."""

    name = "bug_no_producer_barrier"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_release_lock(self, s, c):
        self.ctl_ok(s, c, Stage.LOCK, Role.CONTROL, Role.WORKER)
        s.ctxs[c].stage = Stage.UNLOCK

    @action(c="ctxs", who="c")
    def page_pool_release_unlock(self, s, c):
        self.ctl_ok(s, c, Stage.UNLOCK, Role.CONTROL, Role.WORKER)
        ring_lock = s.pool.ring_lock
        Mainline.page_pool_release_unlock.fn(self, s, c)
        s.pool.ring_lock = ring_lock


class NoNapiUnlink(Mainline):
    """page_pool_destroy() without unlinking ``p.napi`` (before commit dd64b232deb8): once the
    NAPI runs again for a new pool, old-pool pages freed on its CPU go to the old cache."""

    name = "bug_no_napi_unlink"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_destroy(self, s, c):
        self.ctl_ok(s, c, Stage.DESTROY)
        self.touch(s)
        s.pool.user_cnt = 0
        s.pool.cpuid = -1
        s.ctxs[c].stage = Stage.FREE_FRAG


class ScrubKeepsMappings(Mainline):
    """page_pool_scrub() before v6.15: pages in flight stay DMA mapped and are unmapped when
    they come back, possibly after the driver unbound the device."""

    name = "bug_scrub_keeps_mappings"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_scrub(self, s, c):
        self.ctl_ok(s, c, Stage.SCRUB_CACHE, Role.CONTROL, Role.WORKER)
        pool = s.pool
        require((pool.destroy_cnt != 0) | (pool.alloc_count == 0))
        self.touch(s)
        with when(pool.destroy_cnt == 0):
            pool.dma_sync = False
        pool.destroy_cnt = 1
        s.ctxs[c].stage = Stage.EMPTY_RING


class FragUsersLost(Mainline):
    """page_pool_alloc_frag() hands out a frag without ``frag_users++``: the drain then drops a
    reference a frag user still holds."""

    name = "bug_frag_users_lost"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_alloc_frag(self, s, c):
        users = s.pool.frag_users
        Mainline.page_pool_alloc_frag.fn(self, s, c)
        s.pool.frag_users = users


class ScrubSkipsCache(Mainline):
    """page_pool_release() without page_pool_empty_alloc_cache_once(): the pages in the alloc
    cache are never returned (seed 000's RFC destroy, "FIXME-mem-leak")."""

    name = "bug_scrub_skips_cache"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_scrub(self, s, c):
        self.ctl_ok(s, c, Stage.SCRUB_CACHE, Role.CONTROL, Role.WORKER)
        pool = s.pool
        self.touch(s)
        with when(pool.destroy_cnt == 0):
            pool.dma_sync = False
            for i in range(len(s.pages)):
                self.unmap(s, i)
        pool.destroy_cnt = 1
        s.ctxs[c].stage = Stage.EMPTY_RING


class FragBiasLeak(Mainline):
    """page_pool_free_frag() at destroy takes ``frag_page`` but never drops its unused bias
    (BIAS_MAX - frag_users): the page's pp_ref_count never reaches 0, inflight never does,
    and page_pool_release_retry() re-arms itself forever (the "page_pool_release_retry()
    stalled" warning). A leak, so it breaks the progress property destroy_completes."""

    name = "bug_frag_bias_leak"
    default = False

    @action(c="ctxs", p=lambda cfg: range(-1, int(cfg.pages)), who="c")
    def page_pool_free_frag(self, s, c, p):
        self.ctl_ok(s, c, Stage.FREE_FRAG)
        require(s.pool.frag_page == p)
        self.touch(s)
        s.ctxs[c].stage = Stage.SCRUB_CACHE
        if p >= 0:
            s.pool.frag_page = Ref.NONE
            s.pages[p].loc = Loc.USERS


# -- the pool paths (models/mainline/{provider,bulk,xdp}.py) ---------------------------------


class NetIovRefcount(Mainline):
    """__page_pool_page_can_be_recycled() without netmem_is_net_iov(): page_ref_count() is read
    on a net_iov, which has no struct page (the bug the devmem series had to avoid)."""

    name = "bug_net_iov_refcount"
    default = False

    def can_be_recycled(self, s, p: int):
        pg = s.pages[p]
        with when(pg.niov):
            s.ghost.niov_page_op = True
        return (pg.refcnt == 1) & ~pg.pfmemalloc


class BulkAlwaysDirect(Mainline):
    """page_pool_put_page_bulk() with ``allow_direct = true`` (the bulk API before it asked
    page_pool_napi_local()): a TX completion on another CPU pushes into the alloc cache while
    the NAPI polls."""

    name = "bug_bulk_always_direct"
    default = False

    @action(c="ctxs", who="c")
    def xdp_flush_frame_bulk(self, s, c):
        Mainline.xdp_flush_frame_bulk.fn(self, s, c)
        s.ctxs[c].bdirect = True


class BulkSkipsLastRef(Mainline):
    """page_pool_put_page_bulk() without page_pool_is_last_ref(): every queued page is put, even
    one whose frag another user still holds (the "page frag case" the check is for)."""

    name = "bug_bulk_skips_last_ref"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_is_last_ref(self, s, c, p):
        self.bulk_step(s, c, BulkPC.PUT)
        self.one_at_a_time(s)
        pg = s.pages[p]
        require(pg.bulk == BulkStage.QUEUED)
        pg.pp_holders = pg.pp_holders - 1
        self.last_ref(s, p)


class BulkStatAfterUnlock(Mainline):
    """page_pool_recycle_ring_bulk() with recycle_stat_add() after page_pool_producer_unlock():
    once the lock is dropped page_pool_release() may take it, find inflight 0 and free the
    pool, and the stats update writes freed memory (the order the 6.12 tree avoids)."""

    name = "bug_bulk_stat_after_unlock"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_recycle_ring_bulk_unlock(self, s, c):
        self.bulk_step(s, c, BulkPC.UNLOCK)
        self.touch(s)
        s.pool.ring_lock = Ref.NONE
        s.ctxs[c].bpc = BulkPC.RETURN

    @action(c="ctxs", p="pages", who="c")
    def page_pool_recycle_ring_bulk_return(self, s, c, p):
        self.bulk_step(s, c, BulkPC.RETURN)
        pg = s.pages[p]
        require(pg.bulk == BulkStage.RETURN)
        pg.bulk = BulkStage.NONE
        self.return_now(s, p)

    @action(c="ctxs", who="c")
    def recycle_stat_add(self, s, c):
        """recycle_stat_add(pool, ring, i) after the unlock."""
        self.bulk_step(s, c, BulkPC.RETURN)
        require(self.in_bulk(s, BulkStage.RETURN) == 0)
        self.touch(s)
        self.bulk_done(s.ctxs[c])


class DestroyIgnoresUsers(Mainline):
    """page_pool_destroy() without page_pool_put(): the driver's call destroys the pool while
    the XDP memory model still holds it (xdp_unreg_mem_model() later finds a freed pool)."""

    name = "bug_destroy_ignores_users"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_destroy(self, s, c):
        self.ctl_ok(s, c, Stage.DESTROY)
        require(s.pool.mem_model != MemModel.UNREGISTERED)
        DestroyActions.page_pool_destroy.fn(self, s, c)


class PfmemallocRecycled(Mainline):
    """__page_pool_page_can_be_recycled() without the page_is_pfmemalloc() test: a page from the
    memory reserves is kept by the pool."""

    name = "bug_pfmemalloc_recycled"
    default = False

    def can_be_recycled(self, s, p: int):
        return s.pages[p].niov | (s.pages[p].refcnt == 1)


class UpdateNidDropsCache(Mainline):
    """page_pool_update_nid() that empties alloc.cache by resetting ``alloc.count`` instead of
    returning each page: the cached pages are lost to the pool and stay in flight."""

    name = "bug_update_nid_drops_cache"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_update_nid(self, s, c, p):
        self.in_napi_poll(s, c)
        pool, pg = s.pool, s.pages[p]
        require((pool.user_cnt > 0) & (pool.alloc_count > 0))
        require((pg.loc == Loc.CACHE) & (pg.slot == pool.alloc_count - 1))
        pool.nid_changed = True
        pool.alloc_count = 0


class ThreadedSetsListOwner(Mainline):
    """____napi_schedule()'s threaded branch also writing ``list_owner = smp_processor_id()``
    (as the poll-list path does): the kthread may poll on another CPU than the interrupt's, and
    a softirq of the interrupt's CPU then takes page_pool_napi_local()'s stale answer and
    pushes into alloc.cache while the kthread polls (the reason the threaded branch leaves
    list_owner alone)."""

    name = "bug_threaded_sets_list_owner"
    default = False

    def napi_sched_set(self, s, cpu: int) -> None:
        super().napi_sched_set(s, cpu)
        s.napi.owner = cpu

    def napi_poll_done(self, s, c: int, complete: bool) -> None:
        super().napi_poll_done(s, c, complete)
        if complete:  # napi_complete_done(): WRITE_ONCE(n->list_owner, -1)
            s.napi.owner = -1


class BusyPollIgnoresSched(Mainline):
    """__napi_busy_loop() taking the NAPI without testing NAPIF_STATE_SCHED first: the busy
    poller and the softirq of the CPU the NAPI is scheduled on both run the driver's poll, two
    consumers of the lockless alloc.cache."""

    name = "bug_busy_poll_ignores_sched"
    default = False

    def napi_take_ok(self, s):
        return s.napi.enabled


class WaivePutsPage(Mainline):
    """page_pool_refill_alloc_cache()'s NUMA-mismatch branch releasing the ring page with
    put_page() instead of page_pool_return_page(): the page reaches the page allocator still
    carrying pp_magic, DMA mapped and counted in flight."""

    name = "bug_waive_puts_page"
    default = False

    @action(c="ctxs", p="pages", who="c")
    def page_pool_refill_alloc_cache_waive(self, s, c, p):
        Mainline.page_pool_refill_alloc_cache_waive.fn(self, s, c, p)
        self.finish(s.ctxs[c])
        s.pages[p].loc = Loc.USERS
        self.put_page(s, p)


class PutPageKeepsPage(Mainline):
    """put_page() drops the last reference but the page never reaches the buddy allocator
    (``__folio_put()`` skipped: a leaked page that still looks mapped and owned)."""

    name = "bug_put_page_keeps_page"
    default = False

    def put_page(self, s, p: int) -> None:
        pg = s.pages[p]
        with when(pg.refcnt == 0):
            s.ghost.double_free = True
        pg.refcnt = max_(pg.refcnt - 1, 0)


class FragUsersNotCounted(Mainline):
    """page_pool_alloc_frag_netmem() hands out a frag without ``frag_users++``: the drain's
    BIAS_MAX - frag_users then drops a reference a frag user still holds."""

    name = "bug_frag_users_not_counted"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_alloc_frag(self, s, c):
        require(const(bool(self.cfg.frag)))
        self.in_napi_poll(s, c)
        pool = s.pool
        require((pool.frag_page != Ref.NONE) & (pool.frag_offset < self.cfg.frags_per_page))
        self.touch(s)
        pool.frag_offset = pool.frag_offset + 1
        for i, pg in enumerate(s.pages):
            with when(pool.frag_page == i):
                pg.pp_holders = pg.pp_holders + 1


class UnlockKeepsProducerLock(Mainline):
    """page_pool_producer_unlock() that does not release ``producer_lock`` (an unbalanced
    spin_unlock path): the context leaves page_pool_recycle_in_ring() still holding it."""

    name = "bug_unlock_keeps_producer_lock"
    default = False

    @action(c="ctxs", who="c")
    def page_pool_producer_unlock(self, s, c):
        ctx = s.ctxs[c]
        require(((ctx.pc == PC.RING_UNLOCK) | (ctx.pc == PC.RING_UNLOCK_FULL)) & self.can_run(s, c))
        self.touch(s)
        full = ctx.pc == PC.RING_UNLOCK_FULL
        with when(full):
            ctx.pc = PC.RETURN
        with when(~full):
            self.finish(ctx)


@dataclass(frozen=True)
class Bug:
    model: type[Mainline]
    prop: str  #: the property the bug must violate
    config: str
    last: str  #: the action of its last step
    overrides: dict[str, Any] | None = None


#: each safety property of the mainline model, broken by one seeded bug
BUGS: list[Bug] = [
    Bug(NoRefcntCheck, "cached_pages_exclusive", "base", "page_pool_recycle_in_cache_store"),
    Bug(LostCacheCount, "page_in_one_place", "base", "page_pool_recycle_in_cache_store"),
    Bug(ReturnPutsTwice, "no_double_free", "base", "stack_put_page"),
    Bug(UnmapWithoutClaim, "no_double_unmap", "base", "page_pool_scrub_unmap"),
    Bug(DatarefIgnored, "no_recycle_while_referenced", "skb", "page_pool_recycle_in_cache_store"),
    Bug(DrainOffByOne, "pp_ref_never_negative", "frag", "page_pool_unref_sub"),
    Bug(NapiLocalInProcess, "alloc_cache_single_owner", "process", "napi_poll_begin"),
    Bug(NapiLocalOnRt, "alloc_cache_single_owner", "rt", "page_pool_put_page"),
    Bug(ExpandKeepsRecycle, "ref_kinds_match", "skb", "skb_page_unref"),
    Bug(NoClearPpInfo, "pp_page_not_freed_by_put_page", "base", "stack_put_page"),
    Bug(NoHoldCount, "inflight_exact", "base", "page_pool_alloc_slow"),
    Bug(InflightIgnored, "pool_freed_only_at_zero", "base", "page_pool_release_unlock"),
    Bug(NoProducerBarrier, "no_pool_use_after_free", "base", "page_pool_producer_unlock"),
    Bug(NoNapiUnlink, "no_cache_push_after_destroy", "reconfig1", "page_pool_recycle_in_cache_store"),
    Bug(ScrubKeepsMappings, "no_dma_after_unbind", "base", "page_pool_return_page"),
    Bug(FragUsersLost, "pp_ref_accounting", "frag", "page_pool_alloc_frag"),
    Bug(ScrubSkipsCache, "no_leaked_page", "base", "page_pool_scrub"),
    # the pool paths (models/mainline/{provider,bulk,xdp}.py)
    Bug(NetIovRefcount, "net_iov_no_page_ops", "devmem", "page_pool_put_page"),
    Bug(BulkAlwaysDirect, "alloc_cache_single_owner", "bulk", "xdp_flush_frame_bulk"),
    Bug(BulkSkipsLastRef, "bulk_pages_owned", "bulk", "page_pool_is_last_ref"),
    Bug(BulkStatAfterUnlock, "no_pool_use_after_free", "bulk", "recycle_stat_add"),
    Bug(DestroyIgnoresUsers, "pool_alive_while_registered", "xdp", "page_pool_destroy"),
    Bug(PfmemallocRecycled, "pfmemalloc_not_recycled", "numa", "page_pool_recycle_in_cache_store"),
    Bug(UpdateNidDropsCache, "page_in_one_place", "numa", "page_pool_update_nid"),
    # threaded NAPI and busy polling (models/mainline/threaded.py)
    Bug(ThreadedSetsListOwner, "alloc_cache_single_owner", "threaded", "page_pool_put_page"),
    Bug(BusyPollIgnoresSched, "alloc_cache_single_owner", "busypoll", "napi_busy_loop"),
    # the NUMA check of the refill (models/mainline/xdp.py)
    Bug(WaivePutsPage, "pp_page_not_freed_by_put_page", "numa", "page_pool_refill_alloc_cache_waive"),
    # the properties the mainline mutation run proposed (docs/mutation-mainline.md)
    Bug(PutPageKeepsPage, "buddy_page_is_free", "base", "stack_put_page"),
    Bug(FragUsersNotCounted, "frag_offset_counts_users", "frag", "page_pool_alloc_frag"),
    Bug(UnlockKeepsProducerLock, "producer_lock_held_inside", "base", "page_pool_producer_unlock"),
]

#: the progress property, broken by a leak (the lasso's length is in the manifest)
LIVENESS_BUGS: list[Bug] = [
    Bug(FragBiasLeak, "destroy_completes", "frag", "page_pool_release_unlock"),
]

#: the seeded-bug models, for the registry (checked by name, never by default)
MODELS = [b.model for b in BUGS + LIVENESS_BUGS]

#: what ``ppcheck manifest --update`` records (section ``bugs``)
MANIFEST_BUGS = BUGS + LIVENESS_BUGS
