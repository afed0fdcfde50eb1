"""Seeded bugs on the pool paths of models/mainline/{provider,bulk,xdp}.py: each class breaks
one property in a default configuration, the way a reviewer would write a proposed patch.
``tests/seeded_bugs.py`` lists them in ``BUGS`` with the counterexample they must give."""

from __future__ import annotations

from ppcheck.models.mainline import Mainline
from ppcheck.models.mainline.destroy import DestroyActions
from ppcheck.models.mainline.state import BulkPC, BulkStage, MemModel
from ppcheck.models.pagepool import Loc, Stage
from ppcheck.spec import Ref, action, require, when


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
