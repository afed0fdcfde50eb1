"""Seed 003: frag pages and non-frag pages, before and after unification (2023).

Thread: "[PATCH net-next v2 1/3] page_pool: unify frag page and non-frag page
handling", Yunsheng Lin, with Alexander Duyck's review (May-June 2023).  Designs:

``pp003_before``
    ``PP_FLAG_PAGE_FRAG`` per pool (v5.15-v6.6: 53e0961da1c7 to 09d96ee5674a): a frag pool
    hands out frags with ``page_pool_alloc_frag()`` (``pp_frag_count = BIAS_MAX``) and whole pages only
    after the driver's ``page_pool_fragment_page(page, 1)`` (mlx5);
    ``page_pool_defrag_page()`` returns 0 *without writing* when the count equals
    ``nr``.  With ``PAGE_POOL_DMA_USE_PP_FRAG_COUNT`` (32-bit, 64-bit DMA)
    ``page_pool_create()`` refuses ``PP_FLAG_PAGE_FRAG``: whole pages only.
``pp003_unified_v2``
    The patch as posted: ``page_pool_set_pp_info()`` sets ``pp_frag_count = 1`` for every
    page, the last user resets it to 1, ``page_pool_fragment_page()`` is a no-op and
    ``page_pool_is_last_frag()`` true under the DMA overlap; small allocations go
    through the frag path and report ``size`` as truesize ("passing the size value as
    truesize"), also under the overlap where each frag is a whole page.
``pp003_monofrag``
    Alexander Duyck's alternative: every page pool page is a "mono-frag" whose count
    is set at allocation and decremented by the free path itself (no read shortcut, no
    reset to 1); the driver charges the unused remainder of a page to its last frag
    when it closes the page ("bump truesize to include the remainder").  It writes the
    count on every page, overlap or not.
``pp003_mainline``
    What was merged (v6.6/v6.7): the unified count (58d53d8f7da6), no
    ``PP_FLAG_PAGE_FRAG`` (09d96ee5674a), 32-bit DMA addresses stored shifted so nothing
    overlaps ``pp_frag_count`` (90de47f020db), and ``page_pool_alloc()`` giving a whole
    page, truesize ``PAGE_SIZE``, to any request larger than half a page.

The truesize argument as a number (:mod:`ppcheck.checks.quantity`): per socket,
``PAGE_SIZE`` times the pages it keeps alive over the truesize reported for its frags,
maximised over the reachable states (``socket_pin_ratio``); and the same over all
sockets together (``total_pin_ratio``).  Sizes are in units of ``PAGE_SIZE / page``.

Modelled: pages (interchangeable) with ``pp_frag_count`` and the upper DMA address that
overlaps it, the pool's frag state, frag slots owned by sockets; a frag user's put is
two steps (``atomic_long_read`` then ``atomic_long_sub_return``).  Left out: page
references (``_refcount``; seed 000 and mainline), the ring/cache split, destroy.

Check with: ``ppcheck check pp003_unified_v2 --config overlap``;
``python -m ppcheck.checks.seeds_manifest --ratios``.
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

NONE = Ref.NONE


class Loc(enum.IntEnum):
    BUDDY = 0
    POOL = 1  # alloc cache / ring
    FRAG = 2  # pool->frag_page (frags may be out as well)
    OUT = 3  # only users reference it


class FPC(enum.IntEnum):
    """A frag slot: free, held by its socket, or inside the put (after the read)."""

    FREE = 0
    HELD = 1
    SUB = 2  # read pp_frag_count != nr: will atomic_long_sub_return()


def _bias(cfg) -> int:
    return int(cfg.page) + 1  # BIAS_MAX: above any number of frags of one page


class Page(Record):
    loc = Enum(Loc)
    count = Int(0, _bias)  # pp_frag_count
    mapped = Bool()
    dma_ok = Bool(True)  # the upper DMA address (overlapping pp_frag_count) is intact


class Pool(Record):
    frag_page = Ref("pages")
    frag_offset = Int(0, "page")
    frag_users = Int(0, "page")


class Frag(Record):
    pc = Enum(FPC)
    page = Ref("pages")
    size = Int(0, "page")
    truesize = Int(0, "page")
    owner = Int(0, lambda c: int(c.sockets) - 1)
    whole = Bool()  # a whole page (page_pool_alloc_pages / page_pool_alloc large)


class Ghost(Record):
    negative = Bool()  # WARN_ON(ret < 0) in page_pool_defrag_page()
    recycled_in_use = Bool()  # a page went back to the pool while a frag referenced it


class State(Record):
    pages = Array(Page, "pages", symmetric=True)
    pool = Pool
    frags = Array(Frag, "frags")
    ghost = Ghost


def _cfg(**kw):
    d = {"pages": 2, "page": 4, "frags": 3, "sockets": 2, "sizes": (1, 3), "overlap": False}
    d.update(kw)
    return d


class PP003Before(Model):
    """PP_FLAG_PAGE_FRAG per pool, before the unification."""

    name = "pp003_before"
    State = State
    configs = {"mixed": _cfg(), "halves": _cfg(sizes=(2,)), "overlap": _cfg(overlap=True)}
    default_configs = ("mixed", "halves", "overlap")

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

    def reported(self, size: int, whole: bool) -> int:
        """The truesize the caller reports for an allocation."""
        return self.cfg.page if whole else size

    def write_count(self, s, pg, v):
        """Every store to pp_frag_count: under the overlap it clobbers the DMA address."""
        pg.count = v
        if self.cfg.overlap:
            with when(pg.mapped):
                pg.dma_ok = False

    def init_count_whole(self, s, pg):
        """A whole page on a frag pool: the driver's page_pool_fragment_page(page, 1)."""
        if self.frag_pool():
            self.write_count(s, pg, 1)

    def counts_used(self) -> bool:
        """page_pool_is_last_frag() consults pp_frag_count (else every put is the last)."""
        return self.frag_pool()

    def read_shortcut(self, s, pg, nr):
        """page_pool_defrag_page(): ``atomic_long_read() == nr``: last, no write."""

    def sub_result(self, s, pg, ret):
        """After ``atomic_long_sub_return``: nothing more (0 means last)."""

    def on_close(self, s):
        """page_pool_drain_frag() closes the frag page: nothing charged to anyone."""

    # -- helpers --------------------------------------------------------------------------
    def frags_on(self, s, i):
        return count((f.pc != FPC.FREE) & (f.page == i) for f in s.frags)

    def recycle(self, s, i):
        pg = s.pages[i]
        with when(self.frags_on(s, i) > 0):
            s.ghost.recycled_in_use = True
        pg.loc = Loc.POOL

    def get_page(self, s, p):
        """Alloc cache/ring, else the buddy allocator (DMA map, page_pool_set_pp_info())."""
        pg = s.pages[p]
        pool_empty = all_(q.loc != Loc.POOL for q in s.pages)
        require((pg.loc == Loc.POOL) | (pool_empty & (pg.loc == Loc.BUDDY)))
        with when(pg.loc == Loc.BUDDY):
            pg.mapped = True
            pg.dma_ok = True
            self.set_pp_info(s, pg)

    def set_pp_info(self, s, pg):
        """page_pool_set_pp_info(): pp and pp_magic (the count is not touched here)."""

    def observables(self, s):
        out = {}
        for i, p in enumerate(s.pages):
            out[f"pages[{i}].loc"] = p.loc
            out[f"pages[{i}].frags"] = self.frags_on(s, i)
        for i, f in enumerate(s.frags):
            out[f"frags[{i}].held"] = f.pc != FPC.FREE
            out[f"frags[{i}].truesize"] = f.truesize
        return out

    # -- allocation ---------------------------------------------------------------------------
    @action(f="frags", k="sockets", size=lambda c: c.sizes, p="pages", who="napi")
    def page_pool_alloc_frag_new(self, s, f, k, size, p):
        """No frag page: take a page, ``page_pool_fragment_page(page, BIAS_MAX)``,
        ``frag_users = 1``, hand out the first frag."""
        if not self.use_frag(size):
            require(False)
            return
        fr, pool, pg = s.frags[f], s.pool, s.pages[p]
        require((fr.pc == FPC.FREE) & (pool.frag_page == NONE))
        self.get_page(s, p)
        self.write_count(s, pg, self.bias)
        pg.loc = Loc.FRAG
        pool.frag_page = p
        pool.frag_users = 1
        pool.frag_offset = size
        self.hand_out(fr, p, size, k, False)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_alloc_frag(self, s, f, k, size):
        """The frag page has room: ``frag_users++``, ``frag_offset += size``."""
        if not self.use_frag(size):
            require(False)
            return
        fr, pool = s.frags[f], s.pool
        require((fr.pc == FPC.FREE) & (pool.frag_page != NONE)
                & (pool.frag_offset + size <= self.cfg.page))
        pool.frag_users = pool.frag_users + 1
        pool.frag_offset = pool.frag_offset + size
        self.hand_out(fr, pool.frag_page, size, k, False)

    @action(size=lambda c: c.sizes, who="napi")
    def page_pool_drain_frag(self, s, size):
        """The request does not fit: ``page_pool_defrag_page(page, BIAS_MAX - frag_users)``
        drops the unused bias; the page goes back to the pool if that was the last
        reference, else its frag users keep it.  ``frag_page = NULL``."""
        if not self.use_frag(size):
            require(False)
            return
        pool = s.pool
        require((pool.frag_page != NONE) & (pool.frag_offset + size > self.cfg.page))
        self.on_close(s)
        i = pool.frag_page
        pg = s.pages[i]
        nr = self.bias - pool.frag_users
        last = self.defrag_atomic(s, pg, nr)
        for j in range(len(s.pages)):
            with when((i == j) & last):
                self.recycle(s, j)
        with when(~last):
            pg.loc = Loc.OUT
        pool.frag_page = NONE
        pool.frag_users = 0
        pool.frag_offset = 0

    def defrag_atomic(self, s, pg, nr):
        """page_pool_defrag_page() in one step (the NAPI's drain); returns ``last``."""
        eq = pg.count == nr
        ret = pg.count - nr
        with when(~eq):
            with when(ret < 0):
                s.ghost.negative = True
            self.write_count(s, pg, ite(ret < 0, 0, ret))
            self.sub_result(s, pg, ret)
        with when(eq):
            self.read_shortcut(s, pg, nr)
        return eq | (ret == 0)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, p="pages", who="napi")
    def page_pool_alloc_pages(self, s, f, k, size, p):
        """A whole page for a request the design does not carve."""
        if self.use_frag(size):
            require(False)
            return
        fr, pg = s.frags[f], s.pages[p]
        require(fr.pc == FPC.FREE)
        self.get_page(s, p)
        self.init_count_whole(s, pg)
        pg.loc = Loc.OUT
        self.hand_out(fr, p, size, k, True)

    def hand_out(self, fr, p, size, k, whole):
        fr.pc = FPC.HELD
        fr.page = p
        fr.size = size
        fr.truesize = self.reported(size, whole)
        fr.owner = k
        fr.whole = whole

    # -- the free path: page_pool_put_page -> page_pool_is_last_frag -------------------------
    def release_frag(self, fr):
        fr.pc = FPC.FREE
        fr.page = NONE
        fr.size = 0
        fr.truesize = 0
        fr.owner = 0
        fr.whole = False

    def last_put(self, s, fr):
        """The last user: the page goes back to the pool unless it is still the frag page."""
        i = fr.page
        for j, pg in enumerate(s.pages):
            with when((i == j) & (pg.loc != Loc.FRAG)):
                self.recycle(s, j)

    @action(f="frags", who="f")
    def page_pool_put_read(self, s, f):
        """page_pool_is_last_frag(): without the count every put is the last; else
        page_pool_defrag_page(page, 1) step 1, ``atomic_long_read() == 1``."""
        fr = s.frags[f]
        require(fr.pc == FPC.HELD)
        pg = s.pages[fr.page]
        if not self.counts_used():
            self.release_frag_last(s, fr)
            return
        eq = pg.count == 1
        with when(eq):
            self.read_shortcut(s, pg, 1)
            self.release_frag_last(s, fr)
        with when(~eq):
            fr.pc = FPC.SUB

    def release_frag_last(self, s, fr):
        holder = fr.pc
        fr.pc = FPC.FREE  # no longer references the page
        self.last_put(s, fr)
        fr.pc = holder
        self.release_frag(fr)

    @action(f="frags", who="f")
    def page_pool_put_sub(self, s, f):
        """page_pool_defrag_page() step 2: ``ret = atomic_long_sub_return(1)``,
        WARN_ON(ret < 0); 0 means last."""
        fr = s.frags[f]
        require(fr.pc == FPC.SUB)
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
        """No page goes back to the pool while a frag of it is still held."""
        return ~s.ghost.recycled_in_use & all_(
            implies(p.loc == Loc.POOL, self.frags_on(s, i) == 0) for i, p in enumerate(s.pages))

    @always
    def pp_frag_count_never_negative(self, s):
        """page_pool_defrag_page()'s WARN_ON(ret < 0) never fires."""
        return ~s.ghost.negative

    @always
    def dma_addr_intact(self, s):
        """With PAGE_POOL_DMA_USE_PP_FRAG_COUNT nothing writes pp_frag_count of a mapped
        page: it is the upper half of its DMA address."""
        return all_(implies(p.mapped, p.dma_ok) for p in s.pages)

    @sometimes
    def page_shared_by_frags(self, s):
        return any_(self.frags_on(s, i) >= 2 for i in range(len(s.pages)))

    @sometimes
    def recycled(self, s):
        return any_(p.loc == Loc.POOL for p in s.pages)

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

    def init_count_whole(self, s, pg):
        """Nothing: pages from the cache/ring already have count 1."""

    def read_shortcut(self, s, pg, nr):
        """``if (!__builtin_constant_p(nr)) atomic_long_set(&page->pp_frag_count, 1)``."""
        if not isinstance(nr, int) or nr != 1:
            self.write_count(s, pg, 1)

    def sub_result(self, s, pg, ret):
        """"Reset frag count back to 1" when the sub reached 0."""
        with when(ret == 0):
            self.write_count(s, pg, 1)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, p="pages", who="napi")
    def page_pool_alloc_frag_new(self, s, f, k, size, p):
        """Under the overlap a "frag" is a whole page (one frag user), size reported."""
        if self.cfg.overlap:
            fr, pg = s.frags[f], s.pages[p]
            require(fr.pc == FPC.FREE)
            self.get_page(s, p)
            pg.loc = Loc.OUT
            self.hand_out(fr, p, size, k, True)
            return
        PP003Before.page_pool_alloc_frag_new.fn(self, s, f, k, size, p)

    @action(f="frags", k="sockets", size=lambda c: c.sizes, who="napi")
    def page_pool_alloc_frag(self, s, f, k, size):
        if self.cfg.overlap:
            require(False)
            return
        PP003Before.page_pool_alloc_frag.fn(self, s, f, k, size)


class PP003Monofrag(PP003UnifiedV2):
    """Alexander Duyck's mono-frag: the free path owns the count; the driver charges the
    remainder of a closed page to its last frag."""

    name = "pp003_monofrag"

    def counts_used(self) -> bool:
        return True

    def write_count(self, s, pg, v):
        PP003Before.write_count(self, s, pg, v)

    def read_shortcut(self, s, pg, nr):
        """No shortcut: the count is always decremented (set again at allocation)."""
        self.write_count(s, pg, 0)

    def sub_result(self, s, pg, ret):
        """The count stays at 0 in the pool."""

    def set_pp_info(self, s, pg):
        """Counts are set at every allocation (below)."""

    def init_count_whole(self, s, pg):
        """"force you to set the pp_frag value for these pages": count = 1."""
        self.write_count(s, pg, 1)

    def reported(self, size: int, whole: bool) -> int:
        return self.cfg.page if whole else size

    def on_close(self, s):
        """Bump the truesize of the page's last frag by the unused remainder."""
        pool = s.pool
        rem = self.cfg.page - pool.frag_offset
        # the frag handed out last from this page: the one with the largest... we charge
        # every held frag of the page whose end is the current offset; the model keeps no
        # offsets, so it charges the remainder to one held frag of the page (the lowest slot)
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


MODELS = [PP003Before, PP003UnifiedV2, PP003Monofrag, PP003Mainline]
