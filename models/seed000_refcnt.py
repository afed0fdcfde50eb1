"""Seed 000: where a recycled page's refcount lives, and from which contexts (2016 RFC, Brouer).

Thread: "[RFC PATCH 4/4] page_pool: change refcnt model" (linux-mm, Dec 2016), after
Mel Gorman's review.  Three designs, each a thin diff of the one before:

``pp000_refcnt1``
    The RFC's starting point (the ``-`` side of patch 4/4): ``put_page()`` and
    ``__free_pages()`` divert ``PagePool`` pages to ``page_pool_put_page()``;
    ``__page_pool_put_page()`` recycles when ``page_ref_count(page) == 1`` (alloc cache
    if ``allow_direct``, else the ptr_ring: *ring pages have refcnt 1*), otherwise it
    does ``put_page_testzero()`` and WARNs if that reaches zero.  The test and the
    decrement are two steps, so two holders of a refcnt-2 page can both decrement.
    ``__page_pool_get_cached()`` uses the lockless alloc cache only
    ``if (likely(in_serving_softirq()))``; other callers take a page from the ring with
    ``ptr_ring_consume()``.
``pp000_refcnt0``
    Patch 4/4: "refcnt must reach zero (and not 1) before the page gets into the
    recycle ring"; ``__put_page()`` calls ``page_pool_recycle()``, ring pages have
    refcnt 0 and ``__page_pool_get_cached()`` does ``set_page_refcounted()`` on refill.
    It drops the ``in_serving_softirq()`` guard ("Caller guarantee safe context for
    accessing alloc.cache").  Both RFC designs keep ``page_pool_destroy()``'s
    ``FIXME-mem-leak``: the alloc cache is never emptied, and the pool is freed while pages
    are still in flight.
``pp000_merged``
    What mainline kept: refcnt==1 in cache and ring, no hook in ``put_page()`` (a pp
    reference comes back through the pp path, a plain page reference through
    ``put_page()``; a page with ``refcnt != 1`` leaves the pool: ``page_pool_return_page``),
    the ``in_serving_softirq()`` guard of the first merged page_pool (v4.18), and
    ``page_pool_destroy()`` emptying the alloc cache and the ring and freeing the pool only at
    inflight 0 (99c07c43c4ea "xdp: tracking page_pool resources and safe removal", v5.3).

Execution contexts.  All three run on CPU 0 and nest the way the kernel nests them
(:meth:`PP000Refcnt1.can_run`): a hardirq interrupts anything, a softirq interrupts a process
context that has BH enabled, nothing interrupts a hardirq.  The configuration names them
(``contexts``): the NAPI softirq (allocates, XDP_DROP, passes pages up, frees the skb's
reference: ``napi_consume_skb()``), a process context (frees the skb from a socket read; the
second holder's ``put_page()``; with ``process_alloc`` the driver also allocates here while
its NAPI is live), and a hardirq (the second holder's ``put_page()``: with the hook in
``put_page()``/``__put_page()``, any final put of a pool page, from any context, reaches the
pool).  ``in_serving_softirq()`` is true in the softirq and in a hardirq that interrupted it.
The ring's producer side follows the first merged page_pool (v4.18), whose
``__page_pool_recycle_into_ring()`` the RFC diff does not change: ``ptr_ring_produce()``
(``spin_lock``) if ``in_serving_softirq()``, else ``ptr_ring_produce_bh()`` (``spin_lock_bh``);
the consumer lock is taken with ``spin_lock`` by the refill and by ``ptr_ring_consume()``.
Neither lock is IRQ-safe.  Mainline's context vocabulary (``Kind`` in
:mod:`ppcheck.models.pagepool`) has no hardirq because mainline's pool is never reached from
one; this seed needs it, so it names its contexts by nesting level (:class:`Level`).

Why this model does not derive from the mainline model: the designs are 2016's (a hook in
the page allocator, refcount 0 on the ring, ``in_serving_softirq()``, no inflight counters).
It shares mainline's page locations (:class:`Loc` of :mod:`ppcheck.models.pagepool`).

Modelled: pages (interchangeable) with their location, ``_refcount``, two holders (the
skb that got the page from the driver, and a second holder that took ``get_page()``,
e.g. a clone or splice), the DMA mapping and ``page->pool``; the pool's lifetime; the
producer and consumer locks.  Left out: NUMA, pfmemalloc, the order of pages inside the cache
and ring (symmetric), the counters (inflight is computed from page locations here; mainline's
model checks them), a second CPU (the destroy path runs on another CPU and takes no lock).

Check with: ``ppcheck check pp000_refcnt0`` (finds the leak, the use after free and the
hardirq put under a non-IRQ-safe lock), ``ppcheck check pp000_refcnt0 --config
process_alloc`` (the dropped guard), ``ppcheck diff pp000_refcnt1 pp000_refcnt0``.
"""

from __future__ import annotations

import enum

from ppcheck.models.pagepool import Loc
from ppcheck.spec import (
    Array,
    Bool,
    Enum,
    Int,
    Model,
    Record,
    Ref,
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
from ppcheck.spec.expr import const

NONE = Ref.NONE


class Level(enum.IntEnum):
    """An execution context by its nesting level on one CPU (``preempt_count()``)."""

    PROCESS = 0  #: process context, BH enabled unless it holds a _bh lock
    SOFTIRQ = 1  #: the NAPI softirq (net_rx_action): in_serving_softirq()
    HARDIRQ = 2  #: a device interrupt handler: in_irq()


_LEVELS = {"process": Level.PROCESS, "softirq": Level.SOFTIRQ, "hardirq": Level.HARDIRQ}


class Put(enum.IntEnum):
    """A holder's progress through ``put_page()`` (two steps where the design has a race)."""

    NONE = 0  # holds no reference
    HELD = 1  # holds one reference
    SAW_ONE = 2  # read page_ref_count(page) == 1: will recycle
    SAW_MORE = 3  # read page_ref_count(page) != 1: will put_page_testzero()


class CPC(enum.IntEnum):
    """Where a context is inside a multi-step kernel function."""

    IDLE = 0
    PUT = 1  #: between the page_ref_count() test and the act (the holder's Put says which)
    RING_LOCKED = 2  #: holds ring.producer_lock; __ptr_ring_produce() and unlock next
    CACHE_POP = 3  #: read alloc.count > 0; will take alloc.cache[--alloc.count] (``page``)
    CONSUMER_LOCKED = 4  #: holds ring.consumer_lock in ptr_ring_consume(); consume and unlock next


class Page(Record):
    loc = Enum(Loc)
    refcnt = Int(0, 3)  # page->_refcount
    skb = Enum(Put)  # the reference the skb got from the driver
    extra = Enum(Put)  # a second reference taken with get_page()
    pool_page = Bool()  # PagePool(page) / page->pool set
    mapped = Bool()  # DMA mapped by the pool


class Ctx(Record):
    """A context's locals: ``pc``; ``page``, the page it works on; ``holder``, whose reference
    it is dropping (0: the skb's, 1: the get_page() holder's); ``bh``: it took a lock with
    spin_lock_bh() (BH disabled on its CPU until the unlock)."""

    pc = Enum(CPC)
    page = Ref("pages")
    holder = Int(0, 1)
    bh = Bool()


class Pool(Record):
    napi_off = Bool()  # napi_disable(): nothing may touch alloc.cache any more
    destroyed = Bool()  # page_pool_destroy() ran
    freed = Bool()  # struct page_pool freed
    uaf = Bool()  # ghost: a page was recycled into a freed pool
    producer = Ref("ctxs")  # the context holding ring.producer_lock
    consumer = Ref("ctxs")  # the context holding ring.consumer_lock


class Ghost(Record):
    deadlock = Bool()  #: a context spun on a lock held by a context it interrupted (same CPU)
    bh_in_irq = Bool()  #: spin_lock_bh()/spin_unlock_bh() in hardirq: WARN_ON_ONCE(in_irq())
    double_alloc = Bool()  #: alloc.cache handed one page out twice


class State(Record):
    pages = Array(Page, "pages", symmetric=True)
    ctxs = Array(Ctx, lambda c: len(c.contexts))
    pool = Pool
    ghost = Ghost


#: the holders of a page, in the order ``Ctx.holder`` numbers them
HOLDERS = ("skb", "extra")


def _held(h):
    return h != Put.NONE


def _cfg(**kw):
    d = {"pages": 2, "cache": 1, "ring": 1, "contexts": ("softirq@0", "process@0", "hardirq@0"),
         "process_alloc": False, "destroy": True}
    d.update(kw)
    return d


CONFIGS = {
    # the NAPI softirq, a process context and a hardirq on one CPU; destroy on another
    "default": _cfg(),
    # the in_serving_softirq() question: the driver also allocates from process context while
    # its NAPI is live (no hardirq, no destroy: the allocation side only)
    "process_alloc": _cfg(process_alloc=True, destroy=False,
                          contexts=("softirq@0", "process@0")),
    # three pages
    "three": _cfg(pages=3),
}


class PP000Refcnt1(Model):
    """RFC starting point: ring pages keep refcnt 1; put_page() diverted to the pool."""

    name = "pp000_refcnt1"
    State = State
    configs = CONFIGS
    default_configs = ("default", "process_alloc")
    #: which contexts drop each holder's reference: the skb is freed by the NAPI
    #: (napi_consume_skb) or a socket read in process context; the get_page() holder's
    #: put_page() may come from process context or a hardirq
    put_levels = {"skb": (Level.SOFTIRQ, Level.PROCESS),
                  "extra": (Level.PROCESS, Level.HARDIRQ)}
    guard = True  #: __page_pool_get_cached() tests in_serving_softirq()

    def __init__(self, cfg):
        super().__init__(cfg)
        self.levels = []
        for spec in cfg.contexts:
            name, _, cpu = spec.partition("@")
            if name not in _LEVELS or (cpu or "0") != "0":
                raise ValueError(f"seed 000 contexts are softirq/process/hardirq on CPU 0, "
                                 f"not {spec!r}")
            self.levels.append(_LEVELS[name])

    # -- contexts -------------------------------------------------------------------------
    def ctx_of(self, level: Level) -> int | None:
        return self.levels.index(level) if level in self.levels else None

    def idle(self, s, c: int):
        return s.ctxs[c].pc == CPC.IDLE

    def can_run(self, s, c: int):
        """May context ``c`` step now?  On one CPU a hardirq runs over anything; a softirq
        runs unless the hardirq is active or a process context disabled BH; a process context
        runs only when neither is active (they interrupted it)."""
        me = self.levels[c]
        conds = [~s.ghost.deadlock]  # a CPU spinning on a lock it holds runs nothing else
        for d, lv in enumerate(self.levels):
            if d == c:
                continue
            if lv > me:
                conds.append(self.idle(s, d))
            elif me == Level.SOFTIRQ and lv == Level.PROCESS:
                conds.append(~s.ctxs[d].bh)
        return all_(conds)

    def in_serving_softirq(self, s, c: int):
        """The softirq itself, or a hardirq that interrupted it (SOFTIRQ_OFFSET still set)."""
        me = self.levels[c]
        if me == Level.SOFTIRQ:
            return const(True)
        sirq = self.ctx_of(Level.SOFTIRQ)
        if me == Level.HARDIRQ and sirq is not None:
            return ~self.idle(s, sirq)
        return const(False)

    def spin_lock(self, s, c: int, lock: str, bh):
        """spin_lock()/spin_lock_bh() on one of the ring's locks.  Every context is on CPU 0,
        so a lock held by another context is held by one this context interrupted: it can
        never be released (AA deadlock).  spin_lock_bh() in hardirq is the WARN of
        local_bh_disable()/enable() from interrupt context."""
        holder = getattr(s.pool, lock)
        with when(holder != NONE):
            s.ghost.deadlock = True
        with when(holder == NONE):
            setattr(s.pool, lock, c)
            s.ctxs[c].bh = bh
        if self.levels[c] == Level.HARDIRQ:
            with when(bh):
                s.ghost.bh_in_irq = True

    def spin_unlock(self, s, c: int, lock: str):
        setattr(s.pool, lock, NONE)
        s.ctxs[c].bh = False

    def finish(self, s, c: int):
        ctx = s.ctxs[c]
        ctx.pc = CPC.IDLE
        ctx.page = NONE
        ctx.holder = 0

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

    def recycle_into_ring(self, s, c: int, p: int):
        """``__page_pool_recycle_into_ring()``, step 1: ``ptr_ring_produce()`` takes
        ``producer_lock`` with spin_lock() when in_serving_softirq(), else
        ``ptr_ring_produce_bh()`` with spin_lock_bh()."""
        s.pool.uaf = s.pool.uaf | s.pool.freed
        self.spin_lock(s, c, "producer", ~self.in_serving_softirq(s, c))
        ctx = s.ctxs[c]
        ctx.pc = CPC.RING_LOCKED
        ctx.page = p

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

    # -- the ring producer ----------------------------------------------------------------------
    @action(c="ctxs", who="c")
    def ptr_ring_produce(self, s, c):
        """``__ptr_ring_produce()`` under the producer lock, then the unlock: the page joins the
        ring (refcount as the design keeps ring pages), or the ring is full and the page is
        returned to the page allocator."""
        ctx = s.ctxs[c]
        require((ctx.pc == CPC.RING_LOCKED) & (ctx.page != NONE) & (s.pool.producer == c)
                & self.can_run(s, c))
        s.pool.uaf = s.pool.uaf | s.pool.freed
        pg = s.pages[ctx.page]
        room = self.n_in(s, Loc.RING) < self.cfg.ring
        with when(room):
            pg.loc = Loc.RING
            pg.refcnt = self.ring_refcnt()
        with when(~room):
            self.ring_full(s, pg)
        if self.levels[c] == Level.HARDIRQ:
            with when(ctx.bh):
                s.ghost.bh_in_irq = True
        self.spin_unlock(s, c, "producer")
        self.finish(s, c)

    def ring_full(self, s, pg):
        """The ring is full: free the page (``__page_pool_return_page()``)."""
        self.return_page(s, pg)

    def ring_refcnt(self):
        """The refcount a page has while it sits on the ring."""
        return 1

    # -- NAPI: allocation and XDP_DROP ---------------------------------------------------
    def napi(self):
        return self.ctx_of(Level.SOFTIRQ)

    @action(p="pages", who="napi")
    def page_pool_alloc_pages(self, s, p):
        """The NAPI allocates (in_serving_softirq()): alloc.cache fast path; else refill from
        the ring under ``consumer_lock`` (spin_lock); else the buddy allocator."""
        c = self.napi()
        require(const(c is not None))
        pg = s.pages[p]
        require(~s.pool.napi_off & ~s.pool.destroyed & self.idle(s, c) & self.can_run(s, c))
        cache_empty = self.n_in(s, Loc.CACHE) == 0
        ring_empty = self.n_in(s, Loc.RING) == 0
        require((pg.loc == Loc.CACHE)
                | (cache_empty & (pg.loc == Loc.RING))
                | (cache_empty & ring_empty & (pg.loc == Loc.BUDDY)))
        spins = (pg.loc == Loc.RING) & (s.pool.consumer != NONE)
        with when(spins):  # spin_lock(consumer_lock) held by the process context it interrupted
            s.ghost.deadlock = True
        with when(~spins):
            self.on_refill(s, pg)
            with when(pg.loc == Loc.BUDDY):
                pg.refcnt = 1
                pg.pool_page = True
                pg.mapped = True
            pg.loc = Loc.RX

    def on_refill(self, s, pg):
        """Refcount fix-up when a ring page enters the cache (none: ring pages have 1)."""

    @action(p="pages", who="napi")
    def xdp_drop(self, s, p):
        """``page_pool_recycle_direct()``: the driver drops a page it owns (refcnt 1) into
        alloc.cache; the cache is full: the non-direct put."""
        c = self.napi()
        require(const(c is not None))
        pg = s.pages[p]
        require((pg.loc == Loc.RX) & ~s.pool.destroyed & ~s.pool.napi_off
                & self.idle(s, c) & self.can_run(s, c))
        room = self.n_in(s, Loc.CACHE) < self.cfg.cache
        with when(room):
            pg.loc = Loc.CACHE
        with when(~room):
            pg.loc = Loc.USERS
            self.put_unreferenced(s, c, p)

    def put_unreferenced(self, s, c, p):
        """The driver's page does not fit the cache: the non-direct put of a refcnt-1 page."""
        self.recycle_into_ring(s, c, p)

    @action(p="pages", who="napi")
    def napi_gro_receive(self, s, p):
        """The driver builds an skb around the page and passes it up the stack."""
        c = self.napi()
        require(const(c is not None))
        pg = s.pages[p]
        require((pg.loc == Loc.RX) & ~s.pool.napi_off & self.idle(s, c) & self.can_run(s, c))
        pg.loc = Loc.USERS
        pg.skb = Put.HELD

    # -- a process-context allocation (process_alloc): what in_serving_softirq() guards ----------
    def proc(self):
        return self.ctx_of(Level.PROCESS)

    @action(p="pages", who="process")
    def page_pool_alloc_pages_process(self, s, p):
        """The driver allocates from process context while its NAPI is live.  With the guard:
        not in_serving_softirq(), so the ring through ptr_ring_consume() (``consumer_lock``
        with spin_lock), else the buddy allocator.  Without it the alloc cache is read as in
        softirq: ``alloc.count`` first, the pop in the next step."""
        c = self.proc()
        require(const(bool(self.cfg.process_alloc) and c is not None))
        pg = s.pages[p]
        require(~s.pool.napi_off & ~s.pool.destroyed & self.idle(s, c) & self.can_run(s, c))
        ctx = s.ctxs[c]
        ring_empty = self.n_in(s, Loc.RING) == 0
        if self.guard:
            require((pg.loc == Loc.RING) | (ring_empty & (pg.loc == Loc.BUDDY)))
        else:
            cache_empty = self.n_in(s, Loc.CACHE) == 0
            require((pg.loc == Loc.CACHE) | (cache_empty & (pg.loc == Loc.RING))
                    | (cache_empty & ring_empty & (pg.loc == Loc.BUDDY)))
            with when(pg.loc == Loc.CACHE):
                ctx.pc = CPC.CACHE_POP
                ctx.page = p
        with when(pg.loc == Loc.RING):
            self.spin_lock(s, c, "consumer", const(False))
            ctx.pc = CPC.CONSUMER_LOCKED
            ctx.page = p
        with when(pg.loc == Loc.BUDDY):
            pg.refcnt = 1
            pg.pool_page = True
            pg.mapped = True
            pg.loc = Loc.RX

    @action(c="ctxs", who="c")
    def ptr_ring_consume(self, s, c):
        """``__ptr_ring_consume()`` under ``consumer_lock``, then spin_unlock()."""
        ctx = s.ctxs[c]
        require((ctx.pc == CPC.CONSUMER_LOCKED) & (ctx.page != NONE) & (s.pool.consumer == c)
                & self.can_run(s, c))
        pg = s.pages[ctx.page]
        with when(pg.loc != Loc.RING):
            s.ghost.double_alloc = True
        self.on_refill(s, pg)
        pg.loc = Loc.RX
        self.spin_unlock(s, c, "consumer")
        self.finish(s, c)

    # -- the stack ------------------------------------------------------------------------
    @action(p="pages", who="stack")
    def get_page(self, s, p):
        """A second holder takes a page reference (skb_clone + frag ref, splice)."""
        pg = s.pages[p]
        require((pg.loc == Loc.USERS) & (pg.skb == Put.HELD) & (pg.extra == Put.NONE)
                & ~s.ghost.deadlock)
        pg.refcnt = pg.refcnt + 1
        pg.extra = Put.HELD

    def may_put(self, s, c: int, h: str):
        """Context ``c`` may drop holder ``h``'s reference now."""
        return const(self.levels[c] in self.put_levels[h]) & self.idle(s, c) & self.can_run(s, c)

    @action(p="pages", h=("skb", "extra"), c="ctxs", who="c")
    def put_page_read(self, s, p, h, c):
        """``__page_pool_put_page()``: ``if (likely(page_ref_count(page) == 1))``."""
        pg = s.pages[p]
        hd = getattr(pg, h)
        require((hd == Put.HELD) & self.may_put(s, c, h))
        setattr(pg, h, ite(pg.refcnt == 1, Put.SAW_ONE, Put.SAW_MORE))
        ctx = s.ctxs[c]
        ctx.pc = CPC.PUT
        ctx.page = p
        ctx.holder = HOLDERS.index(h)

    @action(c="ctxs", h=("skb", "extra"), who="c")
    def put_page_act(self, s, c, h):
        """Recycle into the ring (refcnt 1), or ``put_page_testzero()`` and WARN at zero."""
        ctx = s.ctxs[c]
        require((ctx.pc == CPC.PUT) & (ctx.page != NONE) & (ctx.holder == HOLDERS.index(h))
                & self.can_run(s, c))
        p = ctx.page
        pg = s.pages[p]
        hd = getattr(pg, h)
        require((hd == Put.SAW_ONE) | (hd == Put.SAW_MORE))
        setattr(pg, h, Put.NONE)
        with when(hd == Put.SAW_ONE):
            pg.loc = Loc.USERS
            self.recycle_into_ring(s, c, p)
        with when(hd == Put.SAW_MORE):
            assert_(pg.refcnt != 1, "__page_pool_put_page() violating page_pool invariance "
                                    "refcnt:0 (put_page_testzero reached zero)")
            pg.refcnt = pg.refcnt - 1
            self.finish(s, c)

    # -- control path (another CPU) ---------------------------------------------------------
    @action(who="control")
    def napi_disable(self, s):
        """The driver stops its NAPI instance before tearing the pool down."""
        require(const(bool(self.cfg.destroy)) & ~s.pool.napi_off & ~s.ghost.deadlock)
        s.pool.napi_off = True

    def napi_quiet(self, s):
        """napi_disable() has returned (the NAPI softirq is not inside the pool) and no
        allocation is in flight: the driver stopped allocating before it destroys the pool."""
        c = self.napi()
        quiet = const(True) if c is None else self.idle(s, c)
        return quiet & all_((x.pc != CPC.CACHE_POP) & (x.pc != CPC.CONSUMER_LOCKED)
                            for x in s.ctxs)

    @action(who="control")
    def page_pool_destroy(self, s):
        """``ptr_ring_cleanup(&pool->ring, __destructor_put_page)``; FIXME-mem-leak: the
        alloc cache is not emptied; the pool is freed at once."""
        require(s.pool.napi_off & ~s.pool.destroyed & self.napi_quiet(s)
                & all_(p.loc != Loc.RX for p in s.pages))
        s.pool.destroyed = True
        for pg in s.pages:
            with when(pg.loc == Loc.RING):
                assert_(pg.refcnt == self.ring_refcnt(), "page_pool refcnt violation (BUG)")
                self.return_page(s, pg)
        s.pool.freed = True

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
        return all_(implies(p.loc == Loc.USERS,
                            p.refcnt >= ite(_held(p.skb), 1, 0) + ite(_held(p.extra), 1, 0))
                    for p in s.pages)

    @always
    def no_self_deadlock(self, s):
        """No context spins on a ring lock held by a context it interrupted on its own CPU:
        the holder cannot run again until the spinner returns, so the CPU hangs (lockdep's
        "inconsistent lock state", an IRQ- or softirq-unsafe lock taken in interrupt
        context).  A lock taken from hardirq must be taken with interrupts disabled
        everywhere (spin_lock_irqsave); one taken from softirq with BH disabled elsewhere."""
        return ~s.ghost.deadlock

    @always
    def no_bh_lock_in_hardirq(self, s):
        """spin_lock_bh()/spin_unlock_bh() are never called from hardirq: re-enabling BH
        there is a bug the kernel WARNs about (__local_bh_enable_ip(): in_irq())."""
        return ~s.ghost.bh_in_irq

    @always
    def alloc_cache_single_owner(self, s):
        """A page in alloc.cache is handed out once: only one context may touch the lockless
        cache ("Caller must provide appropiate safe context"); two that interleave between
        reading ``alloc.count`` and popping both get the same slot."""
        return ~s.ghost.double_alloc

    @sometimes
    def ring_used(self, s):
        return any_(p.loc == Loc.RING for p in s.pages)

    @sometimes
    def page_shared(self, s):
        return any_(_held(p.skb) & _held(p.extra) for p in s.pages)

    @sometimes(applies=lambda c: c.destroy)
    def pool_freed(self, s):
        return s.pool.freed

    @sometimes(applies=lambda c: "hardirq@0" in c.contexts)
    def hardirq_put_reaches_the_pool(self, s):
        """A hardirq is inside the pool's recycle path (holds or waits for the ring lock)."""
        c = self.ctx_of(Level.HARDIRQ)
        if c is None:
            return const(False)
        return s.ctxs[c].pc == CPC.RING_LOCKED

    @sometimes
    def softirq_interrupts_a_put(self, s):
        """The NAPI softirq runs while a process context is inside put_page()."""
        a, b = self.ctx_of(Level.SOFTIRQ), self.ctx_of(Level.PROCESS)
        if a is None or b is None:
            return const(False)
        return ~self.idle(s, a) & ~self.idle(s, b)


class PP000Refcnt0(PP000Refcnt1):
    """RFC 4/4: ring pages have refcnt 0, recycled from ``__put_page()`` at refcount zero; the
    in_serving_softirq() guard of the allocation path is gone."""

    name = "pp000_refcnt0"
    ring_pages_refcnt_one = None
    #: a put is one atomic put_page_testzero() and the ring lock is taken with BH off outside
    #: softirq: nothing for the softirq to interrupt
    softirq_interrupts_a_put = None
    guard = False

    def on_refill(self, s, pg):
        """``set_page_refcounted(page)``: "Pages on ring refcnt==0, on alloc.cache refcnt==1"."""
        with when(pg.loc == Loc.RING):
            pg.refcnt = 1

    def ring_refcnt(self):
        return 0

    def ring_full(self, s, pg):
        """``page_pool_recycle()`` fails: ``__page_pool_clean_page()`` and the page allocator
        frees it (``__put_page()`` continues)."""
        self.return_page(s, pg)

    def put_unreferenced(self, s, c, p):
        """Cache full: ``put_page_testzero()`` reaches zero, ``page_pool_recycle()``."""
        self.recycle_into_ring(s, c, p)

    put_page_read = None

    @action(p="pages", h=("skb", "extra"), c="ctxs", who="c")
    def put_page_act(self, s, p, h, c):
        """``put_page()``: ``put_page_testzero()`` (atomic); at zero ``__put_page()`` ->
        ``page_pool_recycle()`` into the ring, refcnt 0 (ring full: clean and free)."""
        pg = s.pages[p]
        require((getattr(pg, h) == Put.HELD) & self.may_put(s, c, h))
        setattr(pg, h, Put.NONE)
        assert_(pg.refcnt > 0, "put_page() on a page with refcount 0 "
                               "(VM_BUG_ON_PAGE(page_ref_count(page) == 0))")
        pg.refcnt = ite(pg.refcnt > 0, pg.refcnt - 1, 0)
        with when(pg.refcnt == 0):
            self.recycle_into_ring(s, c, p)

    @action(c="ctxs", who="c")
    def alloc_cache_pop(self, s, c):
        """``pool->alloc.cache[--pool->alloc.count]`` after the count was read: if another
        context popped that slot in between, the page is handed out twice."""
        ctx = s.ctxs[c]
        require((ctx.pc == CPC.CACHE_POP) & (ctx.page != NONE) & self.can_run(s, c))
        pg = s.pages[ctx.page]
        with when(pg.loc != Loc.CACHE):
            s.ghost.double_alloc = True
        pg.loc = Loc.RX
        self.finish(s, c)

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
    #: process_alloc records a finding in v4.18's code (see docs/seeds/000.md), not a default
    default_configs = ("default", "three")
    #: allocation from process context is checked in process_alloc, which is not a default
    #: configuration: there this design shows the self-deadlock of docs/seeds/000.md
    out_of_scope = {c: dict.fromkeys(
        ("page_pool_alloc_pages_process", "ptr_ring_consume"),
        "only an allocation from process context takes the ring's consumer_lock here; that is "
        "configuration process_alloc, left out of the default set for the self-deadlock finding "
        "of docs/seeds/000.md") for c in ("default", "three")}

    put_page_read = None

    @action(p="pages", c="ctxs", who="c")
    def page_pool_put_page_read(self, s, p, c):
        """The skb's pp reference: ``if (page_ref_count(page) == 1)`` (then act)."""
        pg = s.pages[p]
        require((pg.skb == Put.HELD) & self.may_put(s, c, "skb"))
        pg.skb = ite(pg.refcnt == 1, Put.SAW_ONE, Put.SAW_MORE)
        ctx = s.ctxs[c]
        ctx.pc = CPC.PUT
        ctx.page = p

    put_page_act = None

    @action(c="ctxs", who="c")
    def page_pool_put_page_act(self, s, c):
        """The skb's reference: recycle (refcnt 1) or ``page_pool_return_page()`` (unmap,
        clear pp info, ``put_page``)."""
        ctx = s.ctxs[c]
        require((ctx.pc == CPC.PUT) & (ctx.page != NONE) & self.can_run(s, c))
        p = ctx.page
        pg = s.pages[p]
        require((pg.skb == Put.SAW_ONE) | (pg.skb == Put.SAW_MORE))
        saw_one = pg.skb == Put.SAW_ONE
        pg.skb = Put.NONE
        with when(saw_one):
            pg.loc = Loc.USERS
            self.recycle_into_ring(s, c, p)
        with when(~saw_one):
            s.pool.uaf = s.pool.uaf | s.pool.freed
            assert_(pg.mapped, "DMA unmap of a page that is not mapped (double unmap)")
            pg.mapped = False
            pg.pool_page = False
            self.plain_put(s, pg)
            self.finish(s, c)

    @action(p="pages", c="ctxs", who="c")
    def put_page(self, s, p, c):
        """The get_page() holder's ``put_page()``: a plain page reference, not diverted to the
        pool (no hook in put_page()), so it is safe from any context."""
        pg = s.pages[p]
        require((pg.extra == Put.HELD) & self.may_put(s, c, "extra"))
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
        require(s.pool.napi_off & ~s.pool.destroyed & self.napi_quiet(s)
                & all_(p.loc != Loc.RX for p in s.pages))
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

    #: unreachable by design: put_page() is not diverted to the pool
    hardirq_put_reaches_the_pool = None


MODELS = [PP000Refcnt1, PP000Refcnt0, PP000Merged]
