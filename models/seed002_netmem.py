"""Seed 002: the netmem split, a refactor that claims no behaviour change (2023).

Series: "[v3,00/26] Split netmem from struct page", Matthew Wilcox (Oracle), Jan 2023
(later reworked into the ``netmem_ref`` conversion merged for v6.9-v6.12).  The series
renames every page_pool function that handles a page into its netmem form
(``page_pool_return_page()`` -> ``page_pool_return_netmem()``, ``__page_pool_put_page()``
-> ``__page_pool_put_netmem()``, ``page_pool_alloc_pages()`` -> ``page_pool_alloc_netmem()``,
...) and moves the page_pool fields of ``struct page`` into ``struct netmem`` with the
same layout (``NETMEM_MATCH``).  "They don't appear to affect performance at all": the
claim to check is that behaviour does not change either.

``pp002_page``
    The mainline model (:mod:`ppcheck.models.mainline`) on small configurations, with
    the page_pool observables declared: per page its location, both reference counts,
    ``pp_magic`` and DMA mapping; the pool's cache and ring counts, hold/release
    counters, ``user_cnt`` and whether it is freed; the NAPI; every ghost flag.  A
    context's program counter and locals are not observable: a refactor may reshape
    the steps of a kernel function.
``pp002_netmem``
    The split: every action renamed to the function the series converts it to; state
    and semantics unchanged.  ``ppcheck diff pp002_page pp002_netmem`` must report equal
    behaviours (projected states, transitions, and stutter-insensitive observation
    traces) and no verdict change.
``pp002_netmem_no_direct``
    A conversion slip that keeps every invariant: the converted
    ``__page_pool_put_netmem()`` loses ``allow_direct``, so pages never go back through
    the alloc cache.  Only the equivalence check notices.
``pp002_netmem_pp_ref``
    A conversion slip that breaks one: the converted ``__page_pool_put_netmem()`` tests
    ``pp_ref_count`` where ``page_ref_count()`` was meant, recycling pages a stack user
    still holds a page reference on.

``pp002_net_iov``
    What the split is for (devmem TCP, v6.12: ``netmem_ref`` and ``net_iov``): the same netmem
    paths carry netmems that are not pages.  A ``net_iov`` of a memory provider has no
    ``struct page``, no page refcount and no per-page DMA mapping by the pool; the provider
    supplies it (``mp_ops->alloc_netmems()``) and takes it back
    (``mp_ops->release_netmem()``).  The paths branch on ``netmem_is_net_iov()``:
    __page_pool_page_can_be_recycled() skips page_ref_count(), page_pool_return_netmem() skips
    the DMA unmap and put_page(), get_netmem() takes a pp reference.  On the page
    configurations (``small``, ``nodestroy``) ``ppcheck diff pp002_page pp002_net_iov`` checks
    that these branches leave page behaviour unchanged (the IR differs: every branch tests the
    netmem's kind); on ``devmem`` (every netmem a net_iov) ``net_iov_no_page_ops`` checks that
    no net_iov reaches put_page(), a page reference, or a DMA map/sync/unmap by the pool.
``pp002_iov_put_page`` / ``pp002_iov_refcount`` / ``pp002_iov_dma_sync``
    Conversion slips on the net_iov paths: page_pool_return_netmem() without the provider
    branch (put_page() on a net_iov), __page_pool_page_can_be_recycled() without the
    netmem_is_net_iov() test (page_ref_count() of a net_iov), a provider that leaves
    ``dma_sync`` on (devmem's init clears it).

The net_iov vocabulary here (``Page.niov``, the ``mp`` configuration key, the ghost
``niov_page_op``, ``net_iov_no_page_ops``, ``can_be_recycled``/``dma_page``/``sync_for_device``/
``mp_release_netmem``/``free_netmem``, ``page_pool_alloc_mp``, ``net_iov_get``) is the one the
mainline model gains on branch ``poolpaths`` (models/mainline/provider.py), written as the
mixin :class:`NetIovPaths` until that lands; then the mixin goes and ``pp002_net_iov`` is the
mainline model with ``mp`` in its configurations.

Check with: ``ppcheck diff pp002_page pp002_netmem`` (exit 0, "behaviours equal", by
construction: the same functions renamed); ``ppcheck diff pp002_page pp002_net_iov --config
nodestroy``; ``ppcheck check pp002_iov_put_page --config devmem``.
"""

from __future__ import annotations

import functools
from typing import Any

from ppcheck.models.mainline import BASE, Mainline
from ppcheck.models.mainline.configs import alloc_destinations
from ppcheck.models.pagepool import (
    PC,
    AllocStat,
    Ghost,
    Loc,
    Page,
    PagePoolState,
    in_unref,
    skb_refs,
)
from ppcheck.spec import (
    Array,
    Bool,
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
from ppcheck.spec.model import ActionDef


def renamed(defn: ActionDef, new: str) -> ActionDef:
    """The same action under the name of its netmem conversion."""
    fn = defn.fn

    @functools.wraps(fn)
    def conv(self: Any, s: Any, **kw: Any) -> Any:
        return fn(self, s, **kw)

    conv.__name__ = conv.__qualname__ = new
    conv.__doc__ = f"{new}(): the netmem conversion of {fn.__name__}(). " + (fn.__doc__ or "")
    return ActionDef(conv, dict(defn.params), defn.who)


def _cfg(**kw: Any) -> dict[str, Any]:
    d = dict(BASE)
    d.update(max_page_refs=1, contexts=("softirq@0", "user@1", "control@1", "worker@0"))
    d.update(kw)
    return d


CONFIGS = {
    "small": _cfg(),
    "nodestroy": _cfg(destroy=False, pages=2),
    # a memory provider (devmem TCP): every netmem is a net_iov of a dma-buf binding; the
    # provider cleared dma_sync at init; a stack user may take a second (pp) reference
    "devmem": _cfg(mp=True, dma_sync=False),
}


class PP002Page(Mainline):
    """Mainline before the split, with the page_pool observables declared."""

    name = "pp002_page"
    default = False
    configs = {k: v for k, v in CONFIGS.items() if k != "devmem"}
    default_configs = ("small",)

    def observables(self, s):
        """What a page_pool user can observe, independent of how the functions are cut."""
        out: dict[str, Any] = {}
        for i, p in enumerate(s.pages):
            for f in ("loc", "refcnt", "pp_ref", "magic", "mapped"):
                out[f"pages[{i}].{f}"] = getattr(p, f)
        pool = s.pool
        for f in ("alloc_count", "ring_count", "hold", "release", "user_cnt", "freed",
                  "napi_linked", "cpuid"):
            out[f"pool.{f}"] = getattr(pool, f)
        out["napi.owner"] = s.napi.owner
        out["napi.enabled"] = s.napi.enabled
        out["dev.bound"] = s.dev.bound
        for f in ("double_free", "double_unmap", "pp_ref_negative", "kind_mismatch", "pool_uaf",
                  "dma_after_unbind", "cache_after_destroy", "pp_page_freed", "recycled_in_use"):
            out[f"ghost.{f}"] = getattr(s.ghost, f)
        return out


def _drop_lemmas(model: type) -> None:
    """Mainline's ``@lemma`` properties are proof aids for its own k-induction, not safety
    properties; the conversion slips below need not keep them (every safety property is kept)."""
    for d in Mainline.property_defs():
        if d.lemma:
            setattr(model, d.name, None)


_drop_lemmas(PP002Page)

#: mainline action -> the function the netmem series converts it to
NETMEM_NAMES = {
    "page_pool_alloc_fast": "page_pool_alloc_netmem_fast",
    "page_pool_refill_alloc_cache": "page_pool_refill_alloc_cache_netmem",
    "page_pool_alloc_slow": "__page_pool_alloc_netmems_slow",
    "page_pool_put_full_page": "page_pool_put_full_netmem",
    "page_pool_unref_read": "page_pool_unref_netmem_read",
    "page_pool_unref_sub": "page_pool_unref_netmem_sub",
    "page_pool_put_page": "__page_pool_put_netmem",
    "page_pool_recycle_in_cache": "page_pool_recycle_in_cache_netmem",
    "ptr_ring_produce": "page_pool_recycle_in_ring_netmem",
    "page_pool_return_page": "page_pool_return_netmem",
    "page_pool_return_put": "page_pool_return_netmem_put",
    "page_pool_empty_alloc_cache_once": "page_pool_empty_alloc_cache_once_netmem",
    "page_pool_empty_ring": "page_pool_empty_ring_netmem",
}


def _netmem_namespace() -> dict[str, Any]:
    ns: dict[str, Any] = {}
    defs = {d.name: d for d in PP002Page.action_defs()}
    for old, new in NETMEM_NAMES.items():
        if old in defs:
            ns[old] = None
            ns[new] = renamed(defs[old], new)
    return ns


PP002Netmem = type("PP002Netmem", (PP002Page,), {
    "__doc__": "The netmem split: the same actions under their netmem names.",
    "__module__": __name__,
    "name": "pp002_netmem",
    "renames": dict(NETMEM_NAMES),
    **_netmem_namespace(),
})


def _named(new: str):
    """Decorate an action function so its kernel name may start with ``__``."""

    def deco(fn: Any) -> ActionDef:
        fn.__name__ = fn.__qualname__ = new
        return action(c="ctxs", p="pages", who="c")(fn)

    return deco


@_named("__page_pool_put_netmem")
def _put_no_direct(self, s, c, p):
    """As ``__page_pool_put_page()`` but always recycling into the ring."""
    s.ctxs[c].direct = False
    Mainline.page_pool_put_page.fn(self, s, c, p)


@_named("__page_pool_put_netmem")
def _put_pp_ref(self, s, c, p):
    """``if (netmem_ref_count(netmem) == 1)`` written as a pp_ref_count test."""
    ctx = s.ctxs[c]
    require((ctx.pc == PC.PUT_PAGE) & (ctx.page == p) & self.can_run(s, c))
    pg = s.pages[p]
    self.touch(s)
    ok = pg.pp_ref == 1
    with when(ok):
        with when(s.pool.dma_sync & pg.mapped):
            self.dma(s)
        ctx.pc = ite(ctx.direct, int(PC.CACHE_PUSH), int(PC.RING_LOCK))
    with when(~ok):
        ctx.pc = PC.RETURN


PP002NetmemNoDirect = type("PP002NetmemNoDirect", (PP002Netmem,), {
    "__doc__": "A slip in the conversion: ``__page_pool_put_netmem()`` ignores ``allow_direct``.",
    "__module__": __name__, "name": "pp002_netmem_no_direct",
    "__page_pool_put_netmem": _put_no_direct})

PP002NetmemPPRef = type("PP002NetmemPPRef", (PP002Netmem,), {
    "__doc__": "A slip in the conversion: the recycle test reads ``pp_ref_count``.",
    "__module__": __name__, "name": "pp002_netmem_pp_ref",
    "__page_pool_put_netmem": _put_pp_ref})


# -- the net_iov paths (what the split is for) ----------------------------------------------


class NetmemPage(Page):
    """A netmem: mainline's page record plus ``niov``: a net_iov of a memory provider
    (netmem_is_net_iov()), with no struct page behind it (``refcnt`` stays 0)."""

    niov = Bool()


class NetmemGhost(Ghost):
    niov_page_op = Bool()  #: a page-only operation (put_page, page_ref_*, DMA) on a net_iov


class NetmemState(PagePoolState):
    pages = Array(NetmemPage, "pages", symmetric=True)
    ghost = NetmemGhost


def _mp(cfg: Any) -> bool:
    return bool(getattr(cfg, "mp", False))


class NetIovPaths:
    """The netmem paths of v6.12 that branch on netmem_is_net_iov() (net/core/page_pool.c,
    net/core/devmem.c), over the mainline model.  Names follow branch ``poolpaths``."""

    State = NetmemState

    def init(self, s):
        super().init(s)
        for pg in s.pages:
            pg.niov = _mp(self.cfg)

    # -- page-only operations, each a net_iov's violation --------------------------------------
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
        """page_pool_dma_sync_for_device(): if ``pool->dma_sync`` (devmem's init clears it:
        dma-buf addresses must not be synced) and the netmem is mapped or a net_iov (whose
        address comes from its provider)."""
        pg = s.pages[p]
        with when(s.pool.dma_sync & (pg.mapped | pg.niov)):
            self.dma_page(s, p)

    def can_be_recycled(self, s, p: int):
        """__page_pool_page_can_be_recycled(): ``netmem_is_net_iov(netmem) ||
        page_ref_count(netmem_to_page(netmem)) == 1`` (pfmemalloc is left out)."""
        pg = s.pages[p]
        return pg.niov | (pg.refcnt == 1)

    # -- the provider ------------------------------------------------------------------------
    def free_netmem(self, s, p: int) -> None:
        """The netmem is free again (a net_iov in its provider's free list): no pool state."""
        pg = s.pages[p]
        pg.loc = Loc.BUDDY
        pg.slot = 0
        pg.magic = False
        pg.pp_ref = 0
        pg.mapped = False

    def mp_release_netmem(self, s, p: int) -> None:
        """``mp_ops->release_netmem()`` (devmem: mp_dmabuf_devmem_release_page()): WARN_ON_ONCE
        unless a net_iov with pp_ref_count 1; clear its pp info, give it back to the binding's
        free list, return false (page_pool_return_netmem() must not put_page() it)."""
        pg = s.pages[p]
        self.touch(s)
        assert_(pg.niov & (pg.pp_ref == 1),
                "WARN_ON_ONCE in mp_dmabuf_devmem_release_page(): not a net_iov, or "
                "pp_ref_count != 1")
        self.free_netmem(s, p)

    @action(c="ctxs", p="pages", dest=alloc_destinations, who="c")
    def page_pool_alloc_slow(self, s, c, p, dest):
        """__page_pool_alloc_netmems_slow(): a pool with a memory provider never takes pages
        from the buddy allocator."""
        require(const(not _mp(self.cfg)))
        Mainline.page_pool_alloc_slow.fn(self, s, c, p, dest)

    @action(c="ctxs", p="pages", dest=alloc_destinations, who="c")
    def page_pool_alloc_mp(self, s, c, p, dest):
        """page_pool_alloc_netmems() with the cache and the ring empty on a pool with
        ``mp_ops``: ``mp_ops->alloc_netmems()`` (mp_dmabuf_devmem_alloc_netmems()) takes a free
        net_iov of the binding, sets its pp info (pp_ref_count = 1) and counts it in
        ``pages_state_hold_cnt``; no DMA mapping, no sync."""
        require(const(_mp(self.cfg)))
        self.alloc_ok(s, c, dest)
        pool, pg = s.pool, s.pages[p]
        require((pool.alloc_count == 0) & (pool.ring_count == 0) & (pg.loc == Loc.BUDDY))
        pg.magic = True
        pg.pp_ref = 1
        pool.hold = pool.hold + 1
        pool.alloc_stat = AllocStat.SLOW  # (no alloc_stats counter: the model's slot for it)
        self.place(s, p, dest)

    # -- the free path -------------------------------------------------------------------------
    @action(c="ctxs", p="pages", who="c")
    def page_pool_put_page(self, s, c, p):
        """__page_pool_put_page(): if __page_pool_page_can_be_recycled() sync for the device and
        recycle (cache if allow_direct, else ring); otherwise release the netmem."""
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
    def page_pool_return_page(self, s, c, p):
        """page_pool_return_netmem(): a net_iov goes to ``mp_ops->release_netmem()`` (no DMA
        unmap, and no put_page() after: the hook returned false); a page is unmapped, counted,
        cleared and put_page()'d (next step).  Both increment ``pages_state_release_cnt``."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        self.touch(s)
        with when(pg.niov):
            self.mp_release_netmem(s, p)
            s.pool.release = s.pool.release + 1
            self.finish(ctx)
        with when(~pg.niov):
            self.unmap(s, p)
            s.pool.release = s.pool.release + 1
            pg.magic = False
            pg.pp_ref = 0
            ctx.pc = PC.RETURN_PUT

    def return_now(self, s, p: int) -> None:
        """page_pool_return_netmem() in one step (scrub, page_pool_empty_ring()), with the
        provider branch."""
        pg = s.pages[p]
        with when(pg.niov):
            self.touch(s)
            self.mp_release_netmem(s, p)
            s.pool.release = s.pool.release + 1
        with when(~pg.niov):
            super().return_now(s, p)

    # -- the stack's references ----------------------------------------------------------------
    @action(p="pages", who="stack")
    def get_page(self, s, p):
        """get_page() by a stack user: pages only (a net_iov has no page refcount)."""
        require(~s.pages[p].niov)
        Mainline.get_page.fn(self, s, p)

    @action(p="pages", who="stack")
    def net_iov_get(self, s, p):
        """get_netmem()/skb_frag_ref() on a net_iov: net_iov_get() -> page_pool_ref_netmem(), a
        pp reference (devmem TCP handing a frag to the user, released through the pp path)."""
        require(const(_mp(self.cfg)))
        pg = s.pages[p]
        require(pg.niov & (pg.pp_holders > 0) & (pg.pp_ref <= self.cfg.max_page_refs))
        pg.pp_ref = pg.pp_ref + 1
        pg.pp_holders = pg.pp_holders + 1

    # -- properties ------------------------------------------------------------------------------
    @always
    def cached_pages_exclusive(self, s):
        """As mainline's, with a net_iov's page refcount 0 (it has none): netmems in alloc.cache
        and the ptr_ring are the pool's alone."""
        return all_(implies((p.loc == Loc.CACHE) | (p.loc == Loc.RING),
                            (p.refcnt == ite(p.niov, 0, 1)) & (p.pp_ref == 1) & p.magic
                            & (p.pp_holders == 0) & (p.page_holders == 0)
                            & (in_unref(s, i) == 0) & (skb_refs(s, i) == 0))
                    for i, p in enumerate(s.pages))

    @always
    def net_iov_no_page_ops(self, s):
        """A net_iov never reaches a page-only operation: put_page()/get_page() (no struct
        page, no page refcount), a DMA map, sync or unmap by the pool (the provider maps its
        dma-buf once and devmem's init clears ``dma_sync``).  The kernel relies on
        netmem_is_net_iov() in __page_pool_page_can_be_recycled(), on ``release_netmem()``
        returning false so page_pool_return_netmem() skips put_page(), and on the provider's
        init turning ``dma_sync`` off."""
        return ~s.ghost.niov_page_op

    @sometimes(applies=lambda c: not _mp(c))
    def slow_allocation(self, s):
        """__page_pool_alloc_netmems_slow() takes a page from the buddy allocator."""
        return s.pool.alloc_stat == AllocStat.SLOW

    @sometimes(applies=lambda c: int(c.max_page_refs) > 0 and not _mp(c))
    def release_for_extra_page_ref(self, s):
        """As mainline's: a page with another page reference is released from the pool (a
        net_iov has no page references)."""
        return PP002Page.release_for_extra_page_ref.fn(self, s)

    @sometimes(applies=lambda c: _mp(c))
    def provider_allocation(self, s):
        """``mp_ops->alloc_netmems()`` supplied a net_iov that is now in the pool's hands."""
        return any_(p.niov & p.magic for p in s.pages)

    @sometimes(applies=lambda c: _mp(c))
    def net_iov_released_to_provider(self, s):
        """A net_iov left the pool through ``mp_ops->release_netmem()`` (the destroy scrub, a
        full ring)."""
        return s.pool.release > 0


PP002NetIov = type("PP002NetIov", (NetIovPaths, PP002Page), {
    "__doc__": "The netmem paths with net_iov: the same functions branch on the netmem's kind.",
    "__module__": __name__, "name": "pp002_net_iov", "configs": dict(CONFIGS),
    "default_configs": ("small", "devmem")})


class PP002IovPutPage(PP002NetIov):
    """A slip: page_pool_return_netmem() without the provider branch, so a net_iov is
    "unmapped", cleared and put_page()'d like a page."""

    name = "pp002_iov_put_page"

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_page(self, s, c, p):
        Mainline.page_pool_return_page.fn(self, s, c, p)


class PP002IovRefcount(PP002NetIov):
    """A slip: __page_pool_page_can_be_recycled() without netmem_is_net_iov(), reading
    page_ref_count() of a net_iov."""

    name = "pp002_iov_refcount"

    def can_be_recycled(self, s, p: int):
        pg = s.pages[p]
        with when(pg.niov):
            s.ghost.niov_page_op = True
        return pg.refcnt == 1


class PP002IovDmaSync(PP002NetIov):
    """A slip: the memory provider leaves ``pool->dma_sync`` on (devmem's init clears it), so
    the recycle path syncs a net_iov's dma-buf address for the device."""

    name = "pp002_iov_dma_sync"
    configs = {**CONFIGS, "devmem": {**CONFIGS["devmem"], "dma_sync": True}}


MODELS = [PP002Page, PP002Netmem, PP002NetmemNoDirect, PP002NetmemPPRef, PP002NetIov,
          PP002IovPutPage, PP002IovRefcount, PP002IovDmaSync]
