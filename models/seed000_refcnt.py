"""Seed 000: where a recycled page's refcount lives (2016 RFC, Jesper Dangaard Brouer).

Thread: "[RFC PATCH 4/4] page_pool: change refcnt model" (linux-mm, Dec 2016), after
Mel Gorman's review.  Three designs, each a thin diff of the one before:

``pp000_refcnt1``
    The RFC's starting point (the ``-`` side of patch 4/4): ``put_page()`` and
    ``__free_pages()`` divert ``PagePool`` pages to ``page_pool_put_page()``;
    ``__page_pool_put_page()`` recycles when ``page_ref_count(page) == 1`` (alloc cache
    if ``allow_direct``, else the ptr_ring: *ring pages have refcnt 1*), otherwise it
    does ``put_page_testzero()`` and WARNs if that reaches zero.  The test and the
    decrement are two steps, so two holders of a refcnt-2 page can both decrement.
``pp000_refcnt0``
    Patch 4/4: "refcnt must reach zero (and not 1) before the page gets into the
    recycle ring"; ``__put_page()`` calls ``page_pool_recycle()``, ring pages have
    refcnt 0 and ``__page_pool_get_cached()`` does ``set_page_refcounted()`` on refill.
    Both RFC designs keep ``page_pool_destroy()``'s ``FIXME-mem-leak``: the alloc cache
    is never emptied, and the pool is freed while pages are still in flight.
``pp000_merged``
    What mainline kept: refcnt==1 in cache and ring, no hook in ``put_page()`` (a pp
    reference comes back through the pp path, a plain page reference through
    ``put_page()``; a page with ``refcnt != 1`` leaves the pool: ``page_pool_return_page``),
    ``page_pool_destroy()`` empties the alloc cache and the ring and frees the pool only
    at inflight 0 (99c07c43c4ea "xdp: tracking page_pool resources and safe removal",
    v5.3; ``page_pool_empty_alloc_cache_once``).

Modelled: pages (interchangeable) with their location, ``_refcount``, two holders (the
skb that got the page from the driver, and a second holder that took ``get_page()``,
e.g. a clone or splice), the DMA mapping and ``page->pool``; the pool's lifetime.  Left
out: NUMA, pfmemalloc, the order of pages inside the cache and ring (symmetric), the
counters (inflight is computed from page locations here; mainline's model checks them).

Check with: ``ppcheck check pp000_refcnt0`` (finds the leak and the use after free),
``ppcheck diff pp000_refcnt1 pp000_refcnt0``.
"""

from __future__ import annotations

import enum

from ppcheck.spec import (
    Array,
    Bool,
    Enum,
    Int,
    Model,
    Record,
    action,
    all_,
    always,
    any_,
    assert_,
    count,
    implies,
    ite,
    require,
    sometimes,
    when,
)


class Loc(enum.IntEnum):
    """Where a page is."""

    BUDDY = 0  # the page allocator
    DRIVER = 1  # the driver's RX ring (allocated, not yet passed up)
    OUT = 2  # held by the stack: skb and/or a get_page() holder
    CACHE = 3  # pool->alloc.cache
    RING = 4  # pool->ring


class Put(enum.IntEnum):
    """A holder's progress through ``put_page()`` (two steps where the design has a race)."""

    NONE = 0  # holds no reference
    HELD = 1  # holds one reference
    SAW_ONE = 2  # read page_ref_count(page) == 1: will recycle
    SAW_MORE = 3  # read page_ref_count(page) != 1: will put_page_testzero()


class Page(Record):
    loc = Enum(Loc)
    refcnt = Int(0, 3)  # page->_refcount
    skb = Enum(Put)  # the reference the skb got from the driver
    extra = Enum(Put)  # a second reference taken with get_page()
    pool_page = Bool()  # PagePool(page) / page->pool set
    mapped = Bool()  # DMA mapped by the pool


class Pool(Record):
    napi_off = Bool()  # napi_disable(): nothing may touch alloc.cache any more
    destroyed = Bool()  # page_pool_destroy() ran
    freed = Bool()  # struct page_pool freed
    uaf = Bool()  # ghost: a page was recycled into a freed pool


class State(Record):
    pages = Array(Page, "pages", symmetric=True)
    pool = Pool


def _held(h):
    return h != Put.NONE


class PP000Refcnt1(Model):
    """RFC starting point: ring pages keep refcnt 1; put_page() diverted to the pool."""

    name = "pp000_refcnt1"
    State = State
    configs = {"default": {"pages": 2, "cache": 1, "ring": 1},
               "three": {"pages": 3, "cache": 1, "ring": 1}}
    default_configs = ("default",)

    # -- helpers -------------------------------------------------------------------------
    def n_in(self, s, loc):
        return count(p.loc == loc for p in s.pages)

    def return_page(self, s, p):
        """``__page_pool_return_page()``: unmap, clear page->pool, free to the buddy."""
        assert_(p.mapped, "DMA unmap of a page that is not mapped (double unmap)")
        p.mapped = False
        p.pool_page = False
        p.refcnt = 0
        p.loc = Loc.BUDDY

    def recycle_into_ring(self, s, p, refcnt):
        """``__page_pool_recycle_into_ring()``; ring full: return the page."""
        s.pool.uaf = s.pool.uaf | s.pool.freed
        room = self.n_in(s, Loc.RING) < self.cfg.ring
        with when(room):
            p.loc = Loc.RING
            p.refcnt = refcnt
        with when(~room):
            self.return_page(s, p)

    def observables(self, s):
        """Page location, refcount, holders, mapping; pool lifetime."""
        out = {}
        for i, p in enumerate(s.pages):
            out[f"pages[{i}].loc"] = p.loc
            out[f"pages[{i}].refcnt"] = p.refcnt
            out[f"pages[{i}].holders"] = ite(_held(p.skb), 1, 0) + ite(_held(p.extra), 1, 0)
            out[f"pages[{i}].mapped"] = p.mapped
        out["pool.destroyed"] = s.pool.destroyed
        out["pool.freed"] = s.pool.freed
        return out

    # -- NAPI: allocation and XDP_DROP ---------------------------------------------------
    @action(p="pages", who="napi")
    def page_pool_alloc_pages(self, s, p):
        """Fast path from alloc.cache; else refill from the ring; else the buddy allocator."""
        pg = s.pages[p]
        require(~s.pool.napi_off & ~s.pool.destroyed)
        cache_empty = self.n_in(s, Loc.CACHE) == 0
        ring_empty = self.n_in(s, Loc.RING) == 0
        require((pg.loc == Loc.CACHE)
                | (cache_empty & (pg.loc == Loc.RING))
                | (cache_empty & ring_empty & (pg.loc == Loc.BUDDY)))
        self.on_refill(s, pg)
        with when(pg.loc == Loc.BUDDY):
            pg.refcnt = 1
            pg.pool_page = True
            pg.mapped = True
        pg.loc = Loc.DRIVER

    def on_refill(self, s, pg):
        """Refcount fix-up when a ring page enters the cache (none: ring pages have 1)."""

    @action(p="pages", who="napi")
    def xdp_drop(self, s, p):
        """``page_pool_recycle_direct()``: the driver drops a page it owns (refcnt 1)."""
        pg = s.pages[p]
        require((pg.loc == Loc.DRIVER) & ~s.pool.destroyed & ~s.pool.napi_off)
        room = self.n_in(s, Loc.CACHE) < self.cfg.cache
        with when(room):
            pg.loc = Loc.CACHE
        with when(~room):
            self.put_unreferenced(s, pg)

    def put_unreferenced(self, s, pg):
        """The driver's page does not fit the cache: the non-direct put of a refcnt-1 page."""
        self.recycle_into_ring(s, pg, 1)

    @action(p="pages", who="napi")
    def napi_gro_receive(self, s, p):
        """The driver builds an skb around the page and passes it up the stack."""
        pg = s.pages[p]
        require((pg.loc == Loc.DRIVER) & ~s.pool.napi_off)
        pg.loc = Loc.OUT
        pg.skb = Put.HELD

    # -- the stack ------------------------------------------------------------------------
    @action(p="pages", who="stack")
    def get_page(self, s, p):
        """A second holder takes a page reference (skb_clone + frag ref, splice)."""
        pg = s.pages[p]
        require((pg.loc == Loc.OUT) & (pg.skb == Put.HELD) & (pg.extra == Put.NONE))
        pg.refcnt = pg.refcnt + 1
        pg.extra = Put.HELD

    @action(p="pages", h=("skb", "extra"), who="h")
    def put_page_read(self, s, p, h):
        """``__page_pool_put_page()``: ``if (likely(page_ref_count(page) == 1))``."""
        pg = s.pages[p]
        hd = getattr(pg, h)
        require(hd == Put.HELD)
        setattr(pg, h, ite(pg.refcnt == 1, Put.SAW_ONE, Put.SAW_MORE))

    @action(p="pages", h=("skb", "extra"), who="h")
    def put_page_act(self, s, p, h):
        """Recycle into the ring (refcnt 1), or ``put_page_testzero()`` and WARN at zero."""
        pg = s.pages[p]
        hd = getattr(pg, h)
        require((hd == Put.SAW_ONE) | (hd == Put.SAW_MORE))
        with when(hd == Put.SAW_ONE):
            setattr(pg, h, Put.NONE)
            self.recycle_into_ring(s, pg, 1)
        with when(hd == Put.SAW_MORE):
            setattr(pg, h, Put.NONE)
            assert_(pg.refcnt != 1, "__page_pool_put_page() violating page_pool invariance "
                                    "refcnt:0 (put_page_testzero reached zero)")
            pg.refcnt = pg.refcnt - 1

    # -- control path ---------------------------------------------------------------------
    @action(who="control")
    def napi_disable(self, s):
        """The driver stops its NAPI instance before tearing the pool down."""
        require(~s.pool.napi_off)
        s.pool.napi_off = True

    @action(who="control")
    def page_pool_destroy(self, s):
        """``ptr_ring_cleanup(&pool->ring, __destructor_put_page)``; FIXME-mem-leak: the
        alloc cache is not emptied; the pool is freed at once."""
        require(s.pool.napi_off & ~s.pool.destroyed
                & all_(p.loc != Loc.DRIVER for p in s.pages))
        s.pool.destroyed = True
        for pg in s.pages:
            with when(pg.loc == Loc.RING):
                assert_(pg.refcnt == self.ring_refcnt(), "page_pool refcnt violation (BUG)")
                self.return_page(s, pg)
        s.pool.freed = True

    def ring_refcnt(self):
        return 1

    # -- properties -----------------------------------------------------------------------
    @always
    def pooled_pages_unreferenced(self, s):
        """No page is in the alloc cache or the ring while a user still references it."""
        return all_(implies((p.loc == Loc.CACHE) | (p.loc == Loc.RING),
                            ~_held(p.skb) & ~_held(p.extra)) for p in s.pages)

    @always
    def cache_pages_refcnt_one(self, s):
        """"Pages on the pp_alloc_cache have refcnt==1 invariance" (both designs)."""
        return all_(implies(p.loc == Loc.CACHE, p.refcnt == 1) for p in s.pages)

    @always
    def ring_pages_refcnt_one(self, s):
        """This design's ring invariant: pages on the ptr_ring have refcnt 1."""
        return all_(implies(p.loc == Loc.RING, p.refcnt == 1) for p in s.pages)

    @always
    def no_pool_use_after_free(self, s):
        """Nothing touches the pool after it is freed (page->pool dangles otherwise)."""
        return ~s.pool.uaf

    @always
    def no_leak_after_free(self, s):
        """Once the pool is freed no page is stranded in its cache or ring (memory and
        DMA mappings leaked: the FIXME-mem-leak)."""
        return implies(s.pool.freed, all_((p.loc != Loc.CACHE) & (p.loc != Loc.RING)
                                          for p in s.pages))

    @always
    def buddy_pages_clean(self, s):
        """A page in the page allocator is unmapped, not a pool page, refcount 0."""
        return all_(implies(p.loc == Loc.BUDDY,
                            ~p.mapped & ~p.pool_page & (p.refcnt == 0)) for p in s.pages)

    @always
    def held_pages_counted(self, s):
        """A page held by the stack has one reference per holder (no lost reference)."""
        return all_(implies(p.loc == Loc.OUT,
                            p.refcnt >= ite(_held(p.skb), 1, 0) + ite(_held(p.extra), 1, 0))
                    for p in s.pages)

    @sometimes
    def ring_used(self, s):
        return any_(p.loc == Loc.RING for p in s.pages)

    @sometimes
    def page_shared(self, s):
        return any_(_held(p.skb) & _held(p.extra) for p in s.pages)

    @sometimes
    def pool_freed(self, s):
        return s.pool.freed


class PP000Refcnt0(PP000Refcnt1):
    """RFC 4/4: ring pages have refcnt 0, recycled from ``__put_page()`` at refcount zero."""

    name = "pp000_refcnt0"
    ring_pages_refcnt_one = None

    def on_refill(self, s, pg):
        """``set_page_refcounted(page)``: "Pages on ring refcnt==0, on alloc.cache refcnt==1"."""
        with when(pg.loc == Loc.RING):
            pg.refcnt = 1

    def ring_refcnt(self):
        return 0

    def put_unreferenced(self, s, pg):
        """Cache full: ``put_page_testzero()`` reaches zero, ``page_pool_recycle()``."""
        self.recycle_into_ring(s, pg, 0)

    put_page_read = None

    @action(p="pages", h=("skb", "extra"), who="h")
    def put_page_act(self, s, p, h):
        """``put_page()``: ``put_page_testzero()`` (atomic); at zero ``__put_page()`` ->
        ``page_pool_recycle()`` into the ring, refcnt 0 (ring full: clean and free)."""
        pg = s.pages[p]
        require(getattr(pg, h) == Put.HELD)
        setattr(pg, h, Put.NONE)
        pg.refcnt = pg.refcnt - 1
        with when(pg.refcnt == 0):
            self.recycle_into_ring(s, pg, 0)

    @always
    def ring_pages_refcnt_zero(self, s):
        """This design's ring invariant: pages on the ptr_ring have refcnt 0."""
        return all_(implies(p.loc == Loc.RING, p.refcnt == 0) for p in s.pages)


class PP000Merged(PP000Refcnt1):
    """Mainline's choice: refcnt==1 everywhere in the pool, no put_page() hook, a page
    with other references leaves the pool, destroy empties the cache and waits for
    inflight 0 (99c07c43c4ea, v5.3)."""

    name = "pp000_merged"
    default = True

    put_page_read = None

    @action(p="pages", who="skb")
    def page_pool_put_page_read(self, s, p):
        """The skb's pp reference: ``if (page_ref_count(page) == 1)`` (then act)."""
        pg = s.pages[p]
        require(pg.skb == Put.HELD)
        pg.skb = ite(pg.refcnt == 1, Put.SAW_ONE, Put.SAW_MORE)

    @action(p="pages", h=("skb", "extra"), who="h")
    def put_page_act(self, s, p, h):
        """skb: recycle (refcnt 1) or ``page_pool_return_page()`` (unmap, clear pp info,
        ``put_page``).  extra: a plain ``put_page()``, not diverted to the pool."""
        pg = s.pages[p]
        if h == "skb":
            require((pg.skb == Put.SAW_ONE) | (pg.skb == Put.SAW_MORE))
            with when(pg.skb == Put.SAW_ONE):
                pg.skb = Put.NONE
                self.recycle_into_ring(s, pg, 1)
            with when(pg.skb == Put.SAW_MORE):
                pg.skb = Put.NONE
                s.pool.uaf = s.pool.uaf | s.pool.freed
                assert_(pg.mapped, "DMA unmap of a page that is not mapped (double unmap)")
                pg.mapped = False
                pg.pool_page = False
                self.plain_put(s, pg)
        else:
            require(pg.extra == Put.HELD)
            pg.extra = Put.NONE
            self.plain_put(s, pg)

    def plain_put(self, s, pg):
        """``put_page()``: at zero the page goes to the buddy allocator."""
        assert_(implies(pg.refcnt == 1, ~pg.pool_page),
                "put_page() frees a page that still belongs to the pool")
        pg.refcnt = pg.refcnt - 1
        with when(pg.refcnt == 0):
            pg.loc = Loc.BUDDY

    @action(who="control")
    def page_pool_destroy(self, s):
        """``page_pool_destroy()``: empty the alloc cache once and the ring, then
        ``page_pool_release()``; the pool is freed later, at inflight 0."""
        require(s.pool.napi_off & ~s.pool.destroyed
                & all_(p.loc != Loc.DRIVER for p in s.pages))
        s.pool.destroyed = True
        self.scrub(s)

    def scrub(self, s):
        for pg in s.pages:
            with when((pg.loc == Loc.RING) | (pg.loc == Loc.CACHE)):
                assert_(pg.refcnt == 1, "page_pool refcnt violation (BUG)")
                self.return_page(s, pg)

    @action(who="worker")
    def page_pool_release_retry(self, s):
        """The delayed worker: scrub the ring again; free the pool when inflight is 0."""
        require(s.pool.destroyed & ~s.pool.freed)
        self.scrub(s)
        s.pool.freed = all_(~p.pool_page for p in s.pages)

    @always
    def freed_only_at_inflight_zero(self, s):
        """The pool is freed only when no page it handed out is still in flight."""
        return implies(s.pool.freed, all_(~p.pool_page for p in s.pages))


MODELS = [PP000Refcnt1, PP000Refcnt0, PP000Merged]
