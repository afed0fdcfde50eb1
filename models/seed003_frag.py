"""Seed 003: frag pages and whole pages from one pool, before and after unification (2023).

Thread: "[PATCH net-next v2 1/3] page_pool: unify frag page and non-frag page handling",
Yunsheng Lin, with Alexander Duyck's review (May-June 2023).  What the patch is for: a driver
that wants *whole* pages (``page_pool_dev_alloc_pages()``) and frags
(``page_pool_dev_alloc_frag()``) from one pool created with ``PP_FLAG_PAGE_FRAG`` ("Currently
page_pool_dev_alloc_pages() can not be called when PP_FLAG_PAGE_FRAG is set"), without
setting ``pp_frag_count`` itself the way mlx5 does with ``page_pool_fragment_page()``.

Why this model does not derive from the mainline model (``models/mainline/``): it describes
v5.15-v6.6 (``PP_FLAG_PAGE_FRAG``, ``page_pool_defrag_page()``, the 32-bit DMA overlap), which
mainline no longer has; it shares mainline's vocabulary instead (:class:`Loc` from
:mod:`ppcheck.models.pagepool`; the put is the same two steps as mainline's
``page_pool_unref_read``/``page_pool_unref_sub``).

Designs, each a thin diff:

``pp003_before``
    ``PP_FLAG_PAGE_FRAG`` per pool (53e0961da1c7, v5.15, to 09d96ee5674a, v6.7).  Frags come from
    ``page_pool_alloc_frag()`` (``pp_frag_count = BIAS_MAX``, drained by
    ``page_pool_drain_frag()``); every put of a frag pool goes through
    ``page_pool_is_last_frag()`` -> ``page_pool_defrag_page(page, 1)``, which returns 0
    *without writing* when the count equals ``nr``.  Nothing sets the count of a whole page:
    a fresh page has 0 (the word is ``page->private``, which the buddy allocator clears), a
    recycled one whatever its last user left.  The contract: a driver that takes whole pages
    from a frag pool calls ``page_pool_fragment_page(page, 1)`` itself (mlx5).  With
    ``PAGE_POOL_DMA_USE_PP_FRAG_COUNT`` (32-bit, 64-bit DMA) ``page_pool_create()`` refuses the
    flag: whole pages only.
``pp003_unified_v2``
    The patch as posted: ``page_pool_set_pp_info()`` sets ``pp_frag_count = 1`` for every page,
    the last user resets it to 1 (the read shortcut for a non-constant ``nr``, and a sub that
    reached 0), ``page_pool_fragment_page()`` and ``page_pool_is_last_frag()`` skip the count
    under the overlap; requests go through the frag path and report ``size`` as truesize, also
    under the overlap where each "frag" is a whole page.
``pp003_monofrag``
    Alexander Duyck's alternative as he proposed it: first solve the overlap (so the frag
    mode works on 32-bit with 64-bit DMA; modelled as mainline solved it, 90de47f020db), then
    make every page a "mono-frag": the count is set at every allocation (1 for a whole page,
    ``BIAS_MAX`` for a frag page) and the free path itself decrements it
    (``atomic_long_sub_return`` and test, one atomic step: no read shortcut, no reset to 1);
    the driver charges the unused remainder of a page to its last frag when it closes the
    page ("bump truesize to include the remainder").
``pp003_monofrag_overlap``
    The same mono-frags applied *before* the overlap is solved: the count written for every
    page is the upper half of its DMA address on 32-bit machines with 64-bit DMA.
``pp003_mainline``
    What was merged (v6.7): the unified count (58d53d8f7da6), no ``PP_FLAG_PAGE_FRAG``
    (09d96ee5674a), 32-bit DMA addresses stored shifted so nothing overlaps ``pp_frag_count``
    (90de47f020db), and ``page_pool_alloc()`` giving a whole page, truesize ``PAGE_SIZE``, to
    any request larger than half a page.

Configurations (``whole`` says how the driver takes whole pages):
``mixed`` (frag requests of 1 and 3 units and whole pages with ``page_pool_dev_alloc_pages()``
alone: the driver the patch is for), ``mlx5`` (the same with ``page_pool_fragment_page(page,
1)`` after each whole page: the old contract kept), ``halves`` (a driver splitting pages in
half, frags only), ``overlap`` (``mixed`` on 32-bit with 64-bit DMA).

The truesize argument as a number (:mod:`ppcheck.checks.quantity`): per socket, ``PAGE_SIZE``
times the pages it keeps alive over the truesize reported for its frags, maximised over the
reachable states (``socket_pin_ratio``); and the same over all sockets (``total_pin_ratio``).
Sizes are in units of ``PAGE_SIZE / page``.

Modelled: pages (interchangeable) with ``pp_frag_count`` and the upper DMA address that
overlaps it, the pool's frag state, allocations (frags and whole pages) owned by sockets; a
put is two steps (``atomic_long_read``, ``atomic_long_sub_return``) where the design has the
read shortcut, and so is ``page_pool_drain_frag()``; puts race each other and the drain.
Left out: page references (``_refcount``, so the drain's ``page_ref_count() == 1`` test always
passes; seed 000 and mainline cover them), the split of the pool into alloc cache and ptr_ring
(a frag user frees with ``allow_direct = false``, so a returned page is in the ring:
:attr:`Loc.RING`), destroy (``page_pool_free_frag()``; the mainline ``frag`` configuration).

Check with: ``ppcheck check pp003_before --config mixed`` (the broken contract);
``ppcheck diff pp003_before pp003_unified_v2 --config mixed``;
``ppcheck diff pp003_before pp003_unified_v2 --config mlx5``; the truesize ratios are recorded in
``manifest.json` (sections `seeds`, `diffs`)` (``ppcheck manifest --update``).
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
    count,
    implies,
    ite,
    require,
    sometimes,
    sum_,
    when,
)
from ppcheck.spec.expr import const

NONE = Ref.NONE

#: where a page can be in this model (a subset of mainline's :class:`Loc`)
LOCS = (Loc.BUDDY, Loc.RING, Loc.FRAG, Loc.USERS)


class FPC(enum.IntEnum):
    """An allocation slot: free, held by its socket, or inside the put (after the read)."""

    FREE = 0
    HELD = 1
    SUB = 2  #: read pp_frag_count != 1: will atomic_long_sub_return(1)


class Whole(enum.IntEnum):
    """How the driver takes whole pages from the pool (the ``whole`` parameter)."""

    NONE = 0  #: it does not (frags only)
    PLAIN = 1  #: page_pool_dev_alloc_pages() and page_pool_put_full_page(), nothing else
    FRAGMENT_PAGE = 2  #: and page_pool_fragment_page(page, 1) after the allocation (mlx5)


def _bias(cfg) -> int:
    return int(cfg.page) + 1  # BIAS_MAX: above any number of frags of one page


class Page(Record):
    """``struct page`` as the frag code sees it: where it is, ``pp_frag_count`` (``count``),
    whether it is DMA mapped and whether the upper half of its DMA address (the word that
    overlaps ``pp_frag_count`` under ``PAGE_POOL_DMA_USE_PP_FRAG_COUNT``) is intact."""

    loc = Enum(Loc)
    count = Int(0, _bias)
    mapped = Bool()
    dma_ok = Bool(True)


class Pool(Record):
    """The frag state of ``struct page_pool``; ``drain`` is the size of the request that made
    page_pool_drain_frag() read a count other than its ``nr`` (it will subtract next), 0 when
    no drain is in progress."""

    frag_page = Ref("pages")
    frag_offset = Int(0, "page")
    frag_users = Int(0, "page")
    drain = Int(0, "page")


class Frag(Record):
    """One allocation: a frag or a whole page, owned by socket ``owner``; ``truesize`` is what
    the caller reported for it (``skb->truesize``)."""

    pc = Enum(FPC)
    page = Ref("pages")
    size = Int(0, "page")
    truesize = Int(0, "page")
    owner = Int(0, lambda c: int(c.sockets) - 1)
    whole = Bool()  #: a whole page (page_pool_alloc_pages, page_pool_alloc above half a page)


class Ghost(Record):
    negative = Bool()  #: WARN_ON(ret < 0) in page_pool_defrag_page()
    recycled_in_use = Bool()  #: a page went back to the pool while an allocation referenced it
    double_recycle = Bool()  #: a page already in the pool was recycled again (two last users)


class State(Record):
    pages = Array(Page, "pages", symmetric=True)
    pool = Pool
    frags = Array(Frag, "frags")
    ghost = Ghost


def _cfg(**kw):
    d = {"pages": 2, "page": 4, "frags": 3, "sockets": 2, "sizes": (1, 3), "overlap": False,
         "whole": int(Whole.PLAIN)}
    d.update(kw)
    return d


CONFIGS = {
    # the driver the patch is for: frags and whole pages from one pool, no fragment_page()
    "mixed": _cfg(),
    # the same driver keeping the old contract: page_pool_fragment_page(page, 1) (mlx5)
    "mlx5": _cfg(whole=int(Whole.FRAGMENT_PAGE)),
    # a driver splitting pages in half, frags only (the truesize bound of "less than 100%")
    "halves": _cfg(sizes=(2,), whole=int(Whole.NONE)),
    # `mixed` on a 32-bit machine with 64-bit DMA (PAGE_POOL_DMA_USE_PP_FRAG_COUNT)
    "overlap": _cfg(overlap=True),
}


class PP003Before(Model):
    """PP_FLAG_PAGE_FRAG per pool, before the unification."""

    name = "pp003_before"
    State = State
    configs = CONFIGS
    default_configs = ("mixed", "mlx5", "halves", "overlap")

    def __init__(self, cfg):
        super().__init__(cfg)
        self.bias = _bias(cfg)

    # -- design hooks ------------------------------------------------------------------------
    def frag_pool(self) -> bool:
        """page_pool_create() accepts PP_FLAG_PAGE_FRAG only without the DMA overlap."""
        return not self.cfg.overlap

    def use_frag(self, size: int) -> bool:
        """Does a request of ``size`` go through page_pool_alloc_frag()?"""
        return self.frag_pool()

    def counts_used(self) -> bool:
        """page_pool_is_last_frag() consults pp_frag_count (else every put is the last)."""
        return self.frag_pool()

    def shortcut(self) -> bool:
        """page_pool_defrag_page() starts with ``atomic_long_read() == nr`` (a separate step)."""
        return True

    def reported(self, size: int, whole: bool) -> int:
        """The truesize the caller reports for a request of ``size``."""
        return self.cfg.page if whole else size

    def write_count(self, s, pg, v):
        """Every store to pp_frag_count: under the overlap it clobbers the DMA address."""
        pg.count = v
        if self.cfg.overlap:
            with when(pg.mapped):
                pg.dma_ok = False

    def set_pp_info(self, s, pg):
        """page_pool_set_pp_info(): pp and pp_magic; the count keeps the 0 of a fresh page."""

    def init_count_whole(self, s, pg):
        """A whole page the design hands out for a request it does not carve: nothing."""

    def fragment_page(self, s, pg, nr):
        """page_pool_fragment_page(page, nr): ``atomic_long_set(&page->pp_frag_count, nr)``."""
        self.write_count(s, pg, nr)

    def read_shortcut(self, s, pg, nr):
        """page_pool_defrag_page(): ``atomic_long_read() == nr``: last, no write."""

    def sub_result(self, s, pg, ret):
        """After ``atomic_long_sub_return``: nothing more (0 means last)."""

    def on_close(self, s):
        """page_pool_drain_frag() closes the frag page: nothing charged to anyone."""

    # -- helpers --------------------------------------------------------------------------
    def frags_on(self, s, i):
        """Allocations referencing page ``i`` (held, or inside their put)."""
        return count((f.pc != FPC.FREE) & (f.page == i) for f in s.frags)

    def napi_idle(self, s):
        """The NAPI is between allocations (not inside page_pool_drain_frag())."""
        return s.pool.drain == 0

    def recycle(self, s, i):
        """The last user returns page ``i``: page_pool_put_defragged_page() into the pool."""
        pg = s.pages[i]
        with when(self.frags_on(s, i) > 0):
            s.ghost.recycled_in_use = True
        with when(pg.loc == Loc.RING):
            s.ghost.double_recycle = True
        pg.loc = Loc.RING

    def get_page(self, s, p):
        """page_pool_alloc_pages(): a page from the pool (alloc cache or ring), else from the
        buddy allocator (DMA map, page_pool_set_pp_info())."""
        pg = s.pages[p]
        pool_empty = all_(q.loc != Loc.RING for q in s.pages)
        require((pg.loc == Loc.RING) | (pool_empty & (pg.loc == Loc.BUDDY)))
        with when(pg.loc == Loc.BUDDY):
            pg.mapped = True
            pg.dma_ok = True
            self.set_pp_info(s, pg)

    def observables(self, s):
        out = {}
        for i, p in enumerate(s.pages):
            out[f"pages[{i}].loc"] = p.loc
            out[f"pages[{i}].frags"] = self.frags_on(s, i)
        for i, f in enumerate(s.frags):
            out[f"frags[{i}].held"] = f.pc != FPC.FREE
            out[f"frags[{i}].whole"] = f.whole
            out[f"frags[{i}].truesize"] = f.truesize
        return out

    def hand_out(self, fr, p, size, k, whole, truesize):
        fr.pc = FPC.HELD
        fr.page = p
        fr.size = size
        fr.truesize = truesize
        fr.owner = k
        fr.whole = whole

    def frag_reset(self, s, p, fr, size, k):
        """``frag_reset:`` in page_pool_alloc_frag(): ``frag_users = 1``, ``frag_offset = size``,
        page_pool_fragment_page(page, BIAS_MAX), the first frag handed out."""
        pool, pg = s.pool, s.pages[p]
        pg.loc = Loc.FRAG
        pool.frag_page = p
        pool.frag_users = 1
        pool.frag_offset = size
        self.fragment_page(s, pg, self.bias)
        self.hand_out(fr, p, size, k, False, self.reported(size, False))

    # -- allocation ---------------------------------------------------------------------------
    @action(f="frags", k="sockets", size=lambda c: c.sizes, p="pages", who="napi")
    def page_pool_alloc_frag_new(self, s, f, k, size, p):
        """page_pool_alloc_frag() with no frag page: page_pool_alloc_pages(), then
        ``frag_reset``."""
        require(const(self.use_frag(size)))
        fr, pool = s.frags[f], s.pool
        require((fr.pc == FPC.FREE) & (pool.frag_page == NONE) & self.napi_idle(s))
        self.get_page(s, p)
        self.frag_reset(s, p, fr, size, k)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_alloc_frag(self, s, f, k, size):
        """The frag page has room: ``frag_users++``, ``frag_offset += size``."""
        require(const(self.use_frag(size)))
        fr, pool = s.frags[f], s.pool
        require((fr.pc == FPC.FREE) & (pool.frag_page != NONE) & self.napi_idle(s)
                & (pool.frag_offset + size <= self.cfg.page))
        pool.frag_users = pool.frag_users + 1
        pool.frag_offset = pool.frag_offset + size
        self.hand_out(fr, pool.frag_page, size, k, False, self.reported(size, False))

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_drain_frag(self, s, f, k, size):
        """The request does not fit: page_pool_drain_frag() calls
        ``page_pool_defrag_page(page, BIAS_MAX - frag_users)``.  Step 1, the read: if the
        count equals ``nr`` no frag is out and the page is reused at once (``frag_reset``, the
        request served from it); otherwise the subtraction follows (``drain``)."""
        require(const(self.use_frag(size)))
        fr, pool = s.frags[f], s.pool
        require((fr.pc == FPC.FREE) & (pool.frag_page != NONE) & self.napi_idle(s)
                & (pool.frag_offset + size > self.cfg.page))
        self.on_close(s)
        i = pool.frag_page
        pg = s.pages[i]
        nr = self.bias - pool.frag_users
        if self.shortcut():
            eq = pg.count == nr
            with when(eq):
                self.read_shortcut(s, pg, nr)
                self.drained_last(s, i, fr, size, k)
            with when(~eq):
                pool.drain = size
        else:
            self.drain_sub(s, i, nr, fr, size, k)

    @action(f="frags", k="sockets", who="napi")
    def page_pool_drain_frag_sub(self, s, f, k):
        """page_pool_drain_frag() step 2: ``ret = atomic_long_sub_return(nr)``, WARN_ON(ret <
        0); 0: the page is reused for the request; otherwise the frag users keep it and a new
        page is allocated (``frag_page = NULL``)."""
        require(const(self.shortcut()))
        fr, pool = s.frags[f], s.pool
        require((fr.pc == FPC.FREE) & (pool.drain > 0) & (pool.frag_page != NONE))
        size = pool.drain
        pool.drain = 0
        self.drain_sub(s, pool.frag_page, self.bias - pool.frag_users, fr, size, k)

    def drain_sub(self, s, i, nr, fr, size, k):
        pool = s.pool
        pg = s.pages[i]
        ret = pg.count - nr
        with when(ret < 0):
            s.ghost.negative = True
        self.write_count(s, pg, ite(ret < 0, 0, ret))
        self.sub_result(s, pg, ret)
        with when(ret == 0):
            self.drained_last(s, i, fr, size, k)
        with when(ret != 0):
            pg.loc = Loc.USERS
            pool.frag_page = NONE
            pool.frag_users = 0
            pool.frag_offset = 0

    def drained_last(self, s, i, fr, size, k):
        """No frag of the page is out: page_pool_drain_frag() returns it (``page_ref_count()
        == 1``, always so here) and page_pool_alloc_frag() jumps to ``frag_reset``."""
        self.frag_reset(s, i, fr, size, k)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, p="pages", who="napi")
    def page_pool_alloc_pages(self, s, f, k, size, p):
        """A whole page for a request the design does not carve (a pool without
        PP_FLAG_PAGE_FRAG; page_pool_alloc() above half a page)."""
        require(const(not self.use_frag(size)))
        fr, pg = s.frags[f], s.pages[p]
        require((fr.pc == FPC.FREE) & self.napi_idle(s))
        self.get_page(s, p)
        self.init_count_whole(s, pg)
        pg.loc = Loc.USERS
        self.hand_out(fr, p, size, k, True, self.reported(size, True))

    @action(f="frags", k="sockets", p="pages", who="napi")
    def page_pool_dev_alloc_pages(self, s, f, k, p):
        """The driver asks for a whole page (``page_pool_dev_alloc_pages()``) and reports
        ``PAGE_SIZE``; with ``whole = FRAGMENT_PAGE`` it then calls
        page_pool_fragment_page(page, 1) (the mlx5 contract of a frag pool)."""
        require(const(self.cfg.whole != Whole.NONE))
        fr, pg = s.frags[f], s.pages[p]
        require((fr.pc == FPC.FREE) & self.napi_idle(s))
        self.get_page(s, p)
        self.init_count_whole(s, pg)
        if self.cfg.whole == Whole.FRAGMENT_PAGE:
            self.fragment_page(s, pg, 1)
        pg.loc = Loc.USERS
        page = self.cfg.page
        self.hand_out(fr, p, page, k, True, page)

    # -- the free path: page_pool_put_page -> page_pool_is_last_frag -------------------------
    def release_frag(self, fr):
        fr.pc = FPC.FREE
        fr.page = NONE
        fr.size = 0
        fr.truesize = 0
        fr.owner = 0
        fr.whole = False

    def release_frag_last(self, s, fr):
        """The last user: page_pool_put_defragged_page() returns the page to the pool, unless
        it is still the frag page (its unused bias keeps it)."""
        i = fr.page
        self.release_frag(fr)
        for j, pg in enumerate(s.pages):
            with when((i == j) & (pg.loc != Loc.FRAG)):
                self.recycle(s, j)

    @action(f="frags", who="f")
    def page_pool_put_read(self, s, f):
        """page_pool_put_full_page() -> page_pool_is_last_frag(): without the count every put is
        the last; else page_pool_defrag_page(page, 1) step 1, ``atomic_long_read() == 1``
        (a design without the shortcut does its atomic_long_sub_return() here)."""
        fr = s.frags[f]
        require((fr.pc == FPC.HELD) & (fr.page != NONE))
        pg = s.pages[fr.page]
        if not self.counts_used():
            self.release_frag_last(s, fr)
            return
        if not self.shortcut():
            self.sub_one(s, fr)
            return
        eq = pg.count == 1
        with when(eq):
            self.read_shortcut(s, pg, 1)
            self.release_frag_last(s, fr)
        with when(~eq):
            fr.pc = FPC.SUB

    @action(f="frags", who="f")
    def page_pool_put_sub(self, s, f):
        """page_pool_defrag_page() step 2: ``ret = atomic_long_sub_return(1)``,
        WARN_ON(ret < 0); 0 means last."""
        require(const(self.shortcut() and self.counts_used()))
        fr = s.frags[f]
        require((fr.pc == FPC.SUB) & (fr.page != NONE))
        self.sub_one(s, fr)

    def sub_one(self, s, fr):
        pg = s.pages[fr.page]
        ret = pg.count - 1
        with when(ret < 0):
            s.ghost.negative = True
        self.write_count(s, pg, ite(ret < 0, 0, ret))
        self.sub_result(s, pg, ret)
        with when(ret == 0):
            self.release_frag_last(s, fr)
        with when(ret != 0):
            self.release_frag(fr)

    # -- properties ----------------------------------------------------------------------------
    @always
    def no_recycle_while_referenced(self, s):
        """No page goes back to the pool while an allocation still references it: the next
        allocation would hand out memory a socket still reads."""
        return ~s.ghost.recycled_in_use & all_(
            implies(p.loc == Loc.RING, self.frags_on(s, i) == 0) for i, p in enumerate(s.pages))

    @always
    def pp_frag_count_never_negative(self, s):
        """page_pool_defrag_page()'s WARN_ON(ret < 0) never fires."""
        return ~s.ghost.negative

    @always
    def dma_addr_intact(self, s):
        """With PAGE_POOL_DMA_USE_PP_FRAG_COUNT nothing writes pp_frag_count of a mapped
        page: it is the upper half of its DMA address."""
        return all_(implies(p.mapped, p.dma_ok) for p in s.pages)

    @always
    def no_double_recycle(self, s):
        """A page is returned to the pool by one last user only: two would put it in the ring
        twice and hand it out to two owners."""
        return ~s.ghost.double_recycle

    @always
    def no_leaked_page(self, s):
        """Every page the pool handed out has an owner: it is the frag page, or an allocation
        (held or inside its put) references it.  A page outside the pool that nobody
        references is never returned (its DMA mapping and memory are lost for ever): what a
        lost update of pp_frag_count, or a put that is never the last, leaves behind."""
        return all_(implies(p.loc == Loc.USERS, self.frags_on(s, i) > 0)
                    & ((p.loc == Loc.FRAG) == (s.pool.frag_page == i))
                    for i, p in enumerate(s.pages))

    @always
    def pp_frag_count_accounting(self, s):
        """Where the free path reads pp_frag_count, a page in use has a count equal to the
        references on it: one per allocation (held or inside its put) plus the frag page's
        unused bias (``BIAS_MAX - frag_users``).  page_pool_is_last_frag() picks the last user
        by that count: a count below the references makes a put go negative and the page never
        come back; above them no put is ever the last."""
        if not self.counts_used():
            return const(True)
        conds = []
        for i, p in enumerate(s.pages):
            bias = ite(p.loc == Loc.FRAG, self.bias - s.pool.frag_users, 0)
            conds.append(implies((p.loc == Loc.USERS) | (p.loc == Loc.FRAG),
                                 p.count == self.frags_on(s, i) + bias))
        return all_(conds)

    @sometimes
    def page_shared_by_frags(self, s):
        """Two allocations share one page (the frag path carves)."""
        return any_(self.frags_on(s, i) >= 2 for i in range(len(s.pages)))

    @sometimes
    def recycled(self, s):
        """A page went back to the pool."""
        return any_(p.loc == Loc.RING for p in s.pages)

    @sometimes(applies=lambda c: c.whole != Whole.NONE)
    def whole_page_next_to_frags(self, s):
        """A whole page and a frag of a carved page are out at once, from the same pool: the
        mix the patch is for."""
        return (any_((f.pc != FPC.FREE) & f.whole for f in s.frags)
                & any_((f.pc != FPC.FREE) & ~f.whole for f in s.frags))

    @sometimes
    def drain_raced(self, s):
        """page_pool_drain_frag() read a count other than its nr and has not subtracted yet."""
        return s.pool.drain > 0

    # -- the truesize argument -------------------------------------------------------------
    def ratios(self, s):
        """PAGE_SIZE x pages a socket keeps alive, over the truesize reported for it; the
        same over all sockets; a whole page over its reported truesize; a request larger
        than half a page: its page over its reported truesize."""
        per_socket = []
        for k in range(self.cfg.sockets):
            pinned = self.cfg.page * count(
                any_((f.pc != FPC.FREE) & (f.owner == k) & (f.page == i) for f in s.frags)
                for i in range(len(s.pages)))
            rep = sum_(ite((f.pc != FPC.FREE) & (f.owner == k), f.truesize, 0) for f in s.frags)
            per_socket.append((pinned, rep))
        pinned_all = self.cfg.page * count(
            any_((f.pc != FPC.FREE) & (f.page == i) for f in s.frags) for i in range(len(s.pages)))
        rep_all = sum_(ite(f.pc != FPC.FREE, f.truesize, 0) for f in s.frags)
        page = self.cfg.page
        whole = [(ite((f.pc != FPC.FREE) & f.whole, page, 0), f.truesize) for f in s.frags]
        large = [(ite((f.pc != FPC.FREE) & (f.size * 2 > page), page, 0), f.truesize)
                 for f in s.frags]
        return {"socket_pin_ratio": per_socket, "total_pin_ratio": [(pinned_all, rep_all)],
                "whole_page_ratio": whole, "large_request_ratio": large}


class PP003UnifiedV2(PP003Before):
    """Yunsheng Lin's v2: every page starts at pp_frag_count 1; the last user resets to 1."""

    name = "pp003_unified_v2"

    def frag_pool(self) -> bool:
        return True  # no per-pool flag any more

    def use_frag(self, size: int) -> bool:
        return True  # small and large requests alike go through the frag API

    def reported(self, size: int, whole: bool) -> int:
        return size  # "All you are doing is passing the "size" value as "truesize""

    def counts_used(self) -> bool:
        return not self.cfg.overlap  # PAGE_POOL_DMA_USE_PP_FRAG_COUNT || defrag == 0

    def write_count(self, s, pg, v):
        """page_pool_fragment_page() and the resets are skipped under the overlap."""
        if not self.cfg.overlap:
            pg.count = v

    def set_pp_info(self, s, pg):
        """``page_pool_fragment_page(page, 1)`` in page_pool_set_pp_info()."""
        self.write_count(s, pg, 1)

    def read_shortcut(self, s, pg, nr):
        """``if (!__builtin_constant_p(nr)) atomic_long_set(&page->pp_frag_count, 1)``."""
        if not isinstance(nr, int) or nr != 1:
            self.write_count(s, pg, 1)

    def sub_result(self, s, pg, ret):
        """"Reset frag count back to 1" when the sub reached 0."""
        with when(ret == 0):
            self.write_count(s, pg, 1)

    @always
    def pooled_pages_count_one(self, s):
        """The patch's invariant: "pp_frag_count of page from pool->alloc/pool->ring or newly
        allocated from page allocator is one", so a whole page needs no set-up and its put
        (read == 1) is the last."""
        if not self.counts_used():
            return const(True)
        return all_(implies(p.loc == Loc.RING, p.count == 1) for p in s.pages)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, p="pages", who="napi")
    def page_pool_alloc_frag_new(self, s, f, k, size, p):
        """Under the overlap a "frag" is a whole page (one user), ``size`` reported."""
        if self.cfg.overlap:
            fr, pg = s.frags[f], s.pages[p]
            require((fr.pc == FPC.FREE) & self.napi_idle(s))
            self.get_page(s, p)
            pg.loc = Loc.USERS
            self.hand_out(fr, p, size, k, True, self.reported(size, True))
            return
        PP003Before.page_pool_alloc_frag_new.fn(self, s, f, k, size, p)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_alloc_frag(self, s, f, k, size):
        require(const(not self.cfg.overlap))
        PP003Before.page_pool_alloc_frag.fn(self, s, f, k, size)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_drain_frag(self, s, f, k, size):
        require(const(not self.cfg.overlap))
        PP003Before.page_pool_drain_frag.fn(self, s, f, k, size)


class PP003Monofrag(PP003UnifiedV2):
    """Alexander Duyck's mono-frags, as proposed: the overlap solved first, then the count set
    at every allocation and decremented by the free path itself; the driver charges the
    remainder of a closed page to its last frag."""

    name = "pp003_monofrag"
    pooled_pages_count_one = None  # the count is set at allocation, not kept at 1 in the pool
    drain_raced = None  # the drain is one atomic step

    def counts_used(self) -> bool:
        return True

    def shortcut(self) -> bool:
        """"the two operations essentially have to be combined into one operation": one
        atomic_long_sub_return() and test, no read shortcut."""
        return False

    def write_count(self, s, pg, v):
        """The overlap is solved first (the DMA address does not share the count's word)."""
        pg.count = v

    def read_shortcut(self, s, pg, nr):
        """No shortcut."""

    def sub_result(self, s, pg, ret):
        """The count stays at 0 in the pool: the next allocation sets it."""

    def set_pp_info(self, s, pg):
        """Counts are set at every allocation (below)."""

    def init_count_whole(self, s, pg):
        """"force you to set the pp_frag value for these pages": count = 1."""
        self.write_count(s, pg, 1)

    def reported(self, size: int, whole: bool) -> int:
        return self.cfg.page if whole else size

    def on_close(self, s):
        """Bump the truesize of the page's last frag by the unused remainder.  The model keeps
        no offsets, so it charges the remainder to one held frag of the page (the lowest
        slot)."""
        pool = s.pool
        rem = self.cfg.page - pool.frag_offset
        done = None
        for f in s.frags:
            hit = (f.pc != FPC.FREE) & (f.page == pool.frag_page) & ~f.whole
            if done is not None:
                hit = hit & ~done
            with when(hit):
                f.truesize = f.truesize + rem
            done = hit if done is None else (done | hit)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, p="pages", who="napi")
    def page_pool_alloc_frag_new(self, s, f, k, size, p):
        PP003Before.page_pool_alloc_frag_new.fn(self, s, f, k, size, p)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_alloc_frag(self, s, f, k, size):
        PP003Before.page_pool_alloc_frag.fn(self, s, f, k, size)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_drain_frag(self, s, f, k, size):
        PP003Before.page_pool_drain_frag.fn(self, s, f, k, size)


class PP003MonofragOverlap(PP003Monofrag):
    """Mono-frags without solving the overlap first: every count store clobbers the upper DMA
    address on 32-bit machines with 64-bit DMA."""

    name = "pp003_monofrag_overlap"

    def write_count(self, s, pg, v):
        PP003Before.write_count(self, s, pg, v)


class PP003Mainline(PP003UnifiedV2):
    """Merged: unified count, no PP_FLAG_PAGE_FRAG, no overlap, page_pool_alloc()."""

    name = "pp003_mainline"
    default = True

    def counts_used(self) -> bool:
        return True

    def write_count(self, s, pg, v):
        """The DMA address is stored shifted in one word (90de47f020db): no overlap."""
        pg.count = v

    def use_frag(self, size: int) -> bool:
        """page_pool_alloc(): ``if (*size << 1 > max_size)`` a whole page."""
        return size * 2 <= self.cfg.page

    def reported(self, size: int, whole: bool) -> int:
        """``*size = max_size`` for the whole page: truesize PAGE_SIZE."""
        return self.cfg.page if whole else size

    @action(f="frags", k="sockets", size=lambda c: c.sizes, p="pages", who="napi")
    def page_pool_alloc_frag_new(self, s, f, k, size, p):
        PP003Before.page_pool_alloc_frag_new.fn(self, s, f, k, size, p)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_alloc_frag(self, s, f, k, size):
        PP003Before.page_pool_alloc_frag.fn(self, s, f, k, size)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_drain_frag(self, s, f, k, size):
        PP003Before.page_pool_drain_frag.fn(self, s, f, k, size)


MODELS = [PP003Before, PP003UnifiedV2, PP003Monofrag, PP003MonofragOverlap, PP003Mainline]
