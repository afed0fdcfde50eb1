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

The net_iov vocabulary (``Page.niov``, the ``mp`` configuration key, the ghost
``niov_page_op``, ``net_iov_no_page_ops``, ``can_be_recycled``/``dma_page``/``sync_for_device``/
``mp_release_netmem``, ``mp_dmabuf_devmem_alloc_netmems``, ``net_iov_get``) is the mainline
model's (models/mainline/provider.py): ``pp002_net_iov`` is mainline with ``devmem`` among its
configurations, and each slip overrides one mainline helper or action.

Check with: ``ppcheck diff pp002_page pp002_netmem`` (exit 0, "behaviours equal", by
construction: the same functions renamed); ``ppcheck diff pp002_page pp002_net_iov --config
nodestroy``; ``ppcheck check pp002_iov_put_page --config devmem``.
"""

from __future__ import annotations

import functools
from typing import Any

from ppcheck.models.mainline import BASE, Mainline
from ppcheck.models.mainline.provider import ProviderActions
from ppcheck.models.mainline.recycle import RecycleActions
from ppcheck.models.pagepool import (
    PC,
)
from ppcheck.spec import (
    action,
    ite,
    require,
    when,
)
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

#: the functions that branch on netmem_is_net_iov() in mainline (models/mainline/provider.py)
PROVIDER_BRANCHES = ("put_page", "dma_page", "unmap", "sync_for_device", "can_be_recycled",
                     "return_now", "page_pool_alloc_slow", "page_pool_return_page", "get_page",
                     "net_iov_get", "mp_dmabuf_devmem_alloc_netmems", "cached_pages_exclusive")


def _page_only(model: type) -> None:
    """``pp002_page`` is the code before the split: the page-only bodies of every function
    mainline's provider paths branch (so ``ppcheck diff pp002_page pp002_net_iov`` on page
    configurations compares two different pieces of code)."""
    for name in PROVIDER_BRANCHES:
        mro = Mainline.__mro__
        for base in mro[mro.index(ProviderActions) + 1:]:
            if name in vars(base):
                setattr(model, name, vars(base)[name])
                break
        else:
            setattr(model, name, None)


_page_only(PP002Page)

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
# The vocabulary is mainline's (models/mainline/provider.py): ``Page.niov``, the ``mp``
# configuration key, the ghost ``niov_page_op``, ``net_iov_no_page_ops``, the helpers
# ``can_be_recycled``/``dma_page``/``sync_for_device``/``mp_release_netmem`` and the actions
# ``mp_dmabuf_devmem_alloc_netmems``/``net_iov_get``.  ``pp002_net_iov`` is mainline with
# ``devmem`` among its configurations; the slips below override one mainline helper each.


PP002NetIov = type("PP002NetIov", (PP002Page,), {
    "__doc__": "The netmem paths with net_iov: the same functions branch on the netmem's kind.",
    "__module__": __name__, "name": "pp002_net_iov", "configs": dict(CONFIGS),
    "default_configs": ("small", "devmem"),
    **{n: vars(ProviderActions)[n] for n in PROVIDER_BRANCHES}})


class PP002IovPutPage(PP002NetIov):
    """A slip: page_pool_return_netmem() without the provider branch, so a net_iov is
    "unmapped", cleared and put_page()'d like a page."""

    name = "pp002_iov_put_page"

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_page(self, s, c, p):
        RecycleActions.page_pool_return_page.fn(self, s, c, p)


class PP002IovRefcount(PP002NetIov):
    """A slip: __page_pool_page_can_be_recycled() without netmem_is_net_iov(), reading
    page_ref_count() of a net_iov."""

    name = "pp002_iov_refcount"

    def can_be_recycled(self, s, p: int):
        pg = s.pages[p]
        with when(pg.niov):
            s.ghost.niov_page_op = True
        return (pg.refcnt == 1) & ~pg.pfmemalloc


class PP002IovDmaSync(PP002NetIov):
    """A slip: the memory provider leaves ``pool->dma_sync`` on (devmem's init clears it), so
    the recycle path syncs a net_iov's dma-buf address for the device."""

    name = "pp002_iov_dma_sync"
    configs = {**CONFIGS, "devmem": {**CONFIGS["devmem"], "dma_sync": True}}


MODELS = [PP002Page, PP002Netmem, PP002NetmemNoDirect, PP002NetmemPPRef, PP002NetIov,
          PP002IovPutPage, PP002IovRefcount, PP002IovDmaSync]
