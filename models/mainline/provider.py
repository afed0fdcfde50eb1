"""Memory providers and net_iov (devmem TCP, v6.12): the netmem paths that branch on
netmem_is_net_iov() (net/core/page_pool.c, net/core/devmem.c, include/net/netmem.h).

With ``mp`` set every netmem of the pool is a ``net_iov`` of a dma-buf binding: it has no
``struct page``, no page refcount and no per-page DMA mapping by the pool.  The provider
supplies it (``mp_ops->alloc_netmems()``, mp_dmabuf_devmem_alloc_netmems()) and takes it back
(``mp_ops->release_netmem()``, mp_dmabuf_devmem_release_page(), which returns false so
page_pool_return_page() skips put_page()); __page_pool_page_can_be_recycled() recycles a
net_iov without a refcount check; devmem's init clears ``pool->dma_sync``; a second reference
on a net_iov is a pp reference (get_netmem() -> net_iov_get() -> page_pool_ref_netmem()).
Left out: io_uring zero-copy RX (a second provider), the binding's own free-list locking
(gen_pool is atomic per call) and the unbinding of the dma-buf.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ppcheck.models.pagepool import (
    PC,
    AllocStat,
    Loc,
    PagePoolInvariants,
    in_unref,
    skb_refs,
)
from ppcheck.spec import (
    Expr,
    action,
    all_,
    always,
    any_,
    assert_,
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
from .recycle import RecycleActions
from .skb import SkbActions


def has_mp(cfg: Any) -> bool:
    """The pool has ``mp_ops`` (page_pool_init() found a memory provider on the RX queue)."""
    return bool(getattr(cfg, "mp", False))


def pages_witness(name: str) -> Any:
    """A shared witness (PagePoolInvariants) of a page-only path, not checked with ``mp``."""
    base = getattr(PagePoolInvariants, name)
    applies = base.applies or (lambda c: True)
    return dataclasses.replace(base, applies=lambda c: applies(c) and not has_mp(c))


class ProviderActions(MainlineBase):
    """Memory providers: net_iov allocation, recycling and release (devmem)."""

    def init(self, s):
        super().init(s)
        for pg in s.pages:
            pg.niov = has_mp(self.cfg)

    # -- page-only operations, each a violation on a net_iov ------------------------------------
    def put_page(self, s, p: int) -> None:
        """put_page(netmem_to_page()): there is no page reference to drop on a net_iov."""
        with when(s.pages[p].niov):
            s.ghost.niov_page_op = True
        super().put_page(s, p)

    def dma_page(self, s, p: int) -> None:
        """A DMA call on the netmem's own mapping (map, sync, unmap): the pool maps pages; a
        net_iov's dma-buf is mapped by its provider, once."""
        self.dma(s)
        with when(s.pages[p].niov):
            s.ghost.niov_page_op = True

    def unmap(self, s, p: int) -> None:
        """__page_pool_unmap_netmem_dma(): claim the mapping and unmap it once."""
        pg = s.pages[p]
        with when(pg.mapped):
            self.dma_page(s, p)
        pg.mapped = False

    def sync_for_device(self, s, p: int) -> None:
        """page_pool_dma_sync_for_device(): if ``pool->dma_sync`` and the netmem is mapped or a
        net_iov (whose DMA address comes from its provider: a sync of provider memory)."""
        pg = s.pages[p]
        with when(s.pool.dma_sync & (pg.mapped | pg.niov)):
            self.dma_page(s, p)

    def can_be_recycled(self, s, p: int) -> Expr:
        """__page_pool_page_can_be_recycled(): ``netmem_is_net_iov(netmem) || (page_ref_count()
        == 1 && !page_is_pfmemalloc())``: a net_iov is recycled without a refcount check."""
        return s.pages[p].niov | super().can_be_recycled(s, p)

    # -- the provider ---------------------------------------------------------------------------
    def free_netmem(self, s, p: int) -> None:
        """The net_iov is in its binding's free list again: no pool state."""
        pg = s.pages[p]
        pg.loc = Loc.BUDDY
        pg.slot = 0
        pg.magic = False
        pg.pp_ref = 0
        pg.mapped = False

    def mp_release_netmem(self, s, p: int) -> None:
        """``mp_ops->release_netmem()`` (mp_dmabuf_devmem_release_page()): WARN_ON_ONCE unless a
        net_iov with pp_ref_count 1; page_pool_clear_pp_info(), net_devmem_free_dmabuf() back to
        the binding; return false so page_pool_return_page() does not put_page() it."""
        pg = s.pages[p]
        self.touch(s)
        assert_(pg.niov & (pg.pp_ref == 1),
                "WARN_ON_ONCE in mp_dmabuf_devmem_release_page(): not a net_iov, or "
                "pp_ref_count != 1")
        self.free_netmem(s, p)

    @action(c="ctxs", p="pages", dest=alloc_destinations, who="c")
    def page_pool_alloc_slow(self, s, c, p, dest):
        """page_pool_alloc_netmems(): a pool with ``mp_ops`` never calls
        __page_pool_alloc_pages_slow() (the buddy allocator)."""
        require(const(not has_mp(self.cfg)))
        AllocActions.page_pool_alloc_slow.fn(self, s, c, p, dest)

    @action(c="ctxs", p="pages", dest=alloc_destinations, who="c")
    def mp_dmabuf_devmem_alloc_netmems(self, s, c, p, dest):
        """page_pool_alloc_netmems() with the alloc cache empty on a pool with ``mp_ops``:
        ``pool->mp_ops->alloc_netmems()`` (mp_dmabuf_devmem_alloc_netmems()) takes a free net_iov
        of the binding (net_devmem_alloc_dmabuf()), page_pool_set_pp_info() (pp_ref_count = 1),
        ``pages_state_hold_cnt++``; no DMA mapping (the binding's dma-buf is mapped once) and no
        sync.  __page_pool_get_cached() ran first: the cache and the ring are empty."""
        require(const(has_mp(self.cfg)))
        self.alloc_ok(s, c, dest)
        pool, pg = s.pool, s.pages[p]
        require((pool.alloc_count == 0) & (pool.ring_count == 0) & (pg.loc == Loc.BUDDY))
        pg.magic = True
        pg.pp_ref = 1
        pool.hold = pool.hold + 1
        pool.alloc_stat = AllocStat.SLOW  # (devmem bumps no alloc_stats counter: the model's slot)
        self.place(s, p, dest)

    # -- the free path --------------------------------------------------------------------------
    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_page(self, s, c, p):
        """page_pool_return_page() (page_pool_return_netmem() in later trees): a net_iov goes to
        ``mp_ops->release_netmem()`` (no DMA unmap, and no put_page(): the hook returned false);
        a page is unmapped, counted and cleared, then put_page()'d (the next step).  Both
        increment ``pages_state_release_cnt``."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        with when(pg.niov):
            self.mp_release_netmem(s, p)
            s.pool.release = s.pool.release + 1
            self.finish(ctx)
        with when(~pg.niov):
            RecycleActions.page_pool_return_page.fn(self, s, c, p)

    def return_now(self, s, p: int) -> None:
        """page_pool_return_page() in one step (scrub, page_pool_empty_ring()), with the
        provider branch."""
        pg = s.pages[p]
        with when(pg.niov):
            self.touch(s)
            self.mp_release_netmem(s, p)
            s.pool.release = s.pool.release + 1
        with when(~pg.niov):
            super().return_now(s, p)

    # -- the stack's references -----------------------------------------------------------------
    @action(p="pages", who="stack")
    def get_page(self, s, p):
        """get_page() by a stack user: pages only (a net_iov has no page refcount)."""
        require(~s.pages[p].niov)
        SkbActions.get_page.fn(self, s, p)

    @action(p="pages", who="stack")
    def net_iov_get(self, s, p):
        """get_netmem()/skb_frag_ref() on a net_iov: net_iov_get() -> page_pool_ref_netmem(), a
        pp reference (devmem TCP handing a frag to the user, released through the pp path)."""
        require(const(has_mp(self.cfg)))
        pg = s.pages[p]
        require(pg.niov & (pg.pp_holders > 0) & (pg.pp_ref <= self.cfg.max_page_refs))
        pg.pp_ref = pg.pp_ref + 1
        pg.pp_holders = pg.pp_holders + 1

    # -- properties -----------------------------------------------------------------------------
    @always
    def cached_pages_exclusive(self, s):
        """Netmems in alloc.cache and the ptr_ring have page refcount 1 (0 for a net_iov: it has
        none), pp_ref_count 1, pp_magic set and no other holder.  page_pool_alloc_pages() hands
        them out as fresh without any check (__page_pool_get_cached()); page_pool_empty_ring()
        pr_crit()s if the refcount is not 1."""
        return all_(implies((p.loc == Loc.CACHE) | (p.loc == Loc.RING),
                            (p.refcnt == ite(p.niov, 0, 1)) & (p.pp_ref == 1) & p.magic
                            & (p.pp_holders == 0) & (p.page_holders == 0)
                            & (in_unref(s, i) == 0) & (skb_refs(s, i) == 0))
                    for i, p in enumerate(s.pages))

    @always
    def net_iov_no_page_ops(self, s):
        """A net_iov never reaches a page-only operation: put_page()/get_page() (no struct page,
        no page refcount), a DMA map, sync or unmap by the pool (the provider maps its dma-buf
        once and devmem's init clears ``dma_sync``).  The kernel relies on netmem_is_net_iov()
        in __page_pool_page_can_be_recycled(), on ``release_netmem()`` returning false so
        page_pool_return_page() skips put_page(), and on the provider's init turning
        ``dma_sync`` off."""
        return ~s.ghost.niov_page_op

    #: witnesses of page-only paths: not on a pool of net_iovs (no buddy allocation, no page
    #: references)
    slow_allocation = pages_witness("slow_allocation")
    release_for_extra_page_ref = pages_witness("release_for_extra_page_ref")

    @sometimes(applies=has_mp)
    def provider_allocation(self, s):
        """``mp_ops->alloc_netmems()`` supplied a net_iov that is now in the pool's hands."""
        return any_(p.niov & p.magic for p in s.pages)

    @sometimes(applies=has_mp)
    def net_iov_recycled(self, s):
        """A net_iov was recycled into alloc.cache or the ptr_ring without a refcount check."""
        return any_(p.niov & ((p.loc == Loc.CACHE) | (p.loc == Loc.RING)) for p in s.pages)

    @sometimes(applies=has_mp)
    def net_iov_released_to_provider(self, s):
        """A net_iov left the pool through ``mp_ops->release_netmem()`` (the destroy scrub, a
        full ring)."""
        return s.pool.release > 0
