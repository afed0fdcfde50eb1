"""Seed 001: recycling page_pool pages from skbs (2021, Ilias Apalodimas, Matteo Croce).

Thread: "[PATCH net-next v5 3/5] page_pool: Allow drivers to hint on SKB recycling"
with Yunsheng Lin's review (May 2021).  The designs, each a thin diff:

``pp001_v5``
    As posted: the driver calls ``skb_mark_for_recycle()`` (``skb->pp_recycle = 1``,
    ``page->pp = pool``); ``skb_release_data()`` hands each frag to
    ``page_pool_return_skb_page()`` when ``pp_recycle`` is set and ``pp_magic`` matches,
    which sets ``page->pp = NULL`` and calls ``page_pool_put_full_page()``: recycle if
    ``page_ref_count == 1``, else ``page_pool_release_page()`` (DMA unmap, clear
    ``pp_magic``) and ``put_page()``; ``__skb_clone`` copies ``pp_recycle``;
    ``pskb_expand_head()`` clears it; ``skb_try_coalesce()`` refuses
    ``to->pp_recycle != from->pp_recycle`` but, like every kernel of the time, takes page
    references on a cloned ``from``'s frags.
``pp001_keep_page_pp``
    Reviewer: "Why not only clear the page->pp when the page can not be recycled?"
``pp001_expand_keeps_recycle``
    Reviewer: "I am not sure why we clear the skb->pp_recycle here" (pskb_expand_head):
    the bit stays set on the expanded clone.
``pp001_coalesce_adopt``
    Reviewer: "we could just set the to->pp_recycle according to from->pp_recycle and
    do the coalesce".
``pp001_last_dataref``
    The rules mainline ended with: only the last ``dataref`` holder recycles
    (2cc3aeb5eccc "skbuff: Fix a potential race while recycling page_pool packets":
    ``skb_release_data()`` clears ``pp_recycle`` on an skb that is not the last holder),
    and ``skb_try_coalesce()`` refuses a cloned pp ``from`` (1effe8ca4e34 "skbuff: fix
    coalescing for page_pool fragment recycling"); built on the expand-keeps-bit variant.

Modelled: pages (interchangeable) with refcount, ``pp_magic``, ``page->pp``, DMA
mapping; shared infos (``skb_shared_info``: ``dataref``, two frag slots); skbs with
``cloned``, ``pp_recycle`` and the steps of ``skb_release_data()``: the dataref drop,
then per frag the pp check and the act, as separate steps (other CPUs interleave).  The
pool's cache and ring are one location (their difference is seed 000's and mainline's).
Left out: the skb head (a kmalloc head here), split-page drivers (the series does not
support them: "This will *not* work for NIC using a split-page memory model"), GRO,
frag_list, ``pskb_expand_head`` on an skb that is the last dataref holder.

Check with: ``ppcheck check pp001_v5``; ``ppcheck diff pp001_v5 pp001_last_dataref``.
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
    assert_,
    implies,
    ite,
    require,
    sometimes,
    when,
)


class Loc(enum.IntEnum):
    BUDDY = 0  # the page allocator
    POOL = 1  # recycled: alloc cache or ptr_ring
    OUT = 2  # referenced by skbs


class PC(enum.IntEnum):
    """An skb's progress through ``skb_release_data()``."""

    IDLE = 0
    UNREF = 1  # about to unref frag ``cur``
    SAW_ONE = 2  # page_pool_put_full_page(): read page_ref_count == 1, will recycle
    SAW_MORE = 3  # read page_ref_count != 1, will page_pool_release_page() + put_page()


class Page(Record):
    loc = Enum(Loc)
    refcnt = Int(0, 3)  # page->_refcount
    magic = Bool()  # page->pp_magic == PP_SIGNATURE
    pp = Bool()  # page->pp != NULL
    mapped = Bool()  # DMA mapped by the pool
    released = Bool()  # ghost: left the pool through page_pool_release_page()


class Shinfo(Record):
    dataref = Int(0, 2)  # skb_shared_info.dataref (0: free)
    frag0 = Ref("pages")
    frag1 = Ref("pages")


class Skb(Record):
    used = Bool()
    data = Ref("shinfos")
    cloned = Bool()
    pp_recycle = Bool()
    pc = Enum(PC)
    cur = Int(0, 1)  # the frag slot skb_release_data() is at


class State(Record):
    pages = Array(Page, "pages", symmetric=True)
    shinfos = Array(Shinfo, "shinfos", symmetric=True)
    skbs = Array(Skb, "skbs", symmetric=True)


NONE = Ref.NONE
#: the model bounds page references (a model limit, not a kernel one)
MAX_REFS = 3


class PP001V5(Model):
    """skb recycling as posted in v5."""

    name = "pp001_v5"
    State = State
    configs = {"default": {"pages": 2, "shinfos": 2, "skbs": 3, "plain": 1}}

    # -- helpers -----------------------------------------------------------------------
    def frag(self, d, i):
        return d.frag0 if i == 0 else d.frag1

    def put_page(self, pg):
        """``put_page()``: at zero the page goes back to the buddy allocator."""
        assert_(pg.refcnt > 0, "put_page() on a page with refcount 0")
        assert_(implies(pg.refcnt == 1, ~pg.magic),
                "put_page() frees a page_pool page that still carries pp_magic "
                "(DMA mapping and inflight count leaked)")
        pg.refcnt = pg.refcnt - 1
        with when(pg.refcnt == 0):
            pg.loc = Loc.BUDDY
            pg.pp = False
            pg.released = False

    def observables(self, s):
        """Per page: location, refcount, pp_magic, mapping; per skb: in use, pp_recycle."""
        out = {}
        for i, p in enumerate(s.pages):
            out[f"pages[{i}].loc"] = p.loc
            out[f"pages[{i}].refcnt"] = p.refcnt
            out[f"pages[{i}].magic"] = p.magic
            out[f"pages[{i}].mapped"] = p.mapped
        for i, k in enumerate(s.skbs):
            out[f"skbs[{i}].used"] = k.used
            out[f"skbs[{i}].pp_recycle"] = k.pp_recycle
            out[f"skbs[{i}].cloned"] = k.cloned
        return out

    def shinfo_free(self, s, d):
        """No dataref and no skb (still releasing it) points at the shared info."""
        return (s.shinfos[d].dataref == 0) & all_(k.data != d for k in s.skbs)

    # -- the driver ------------------------------------------------------------------------
    @action(k="skbs", p="pages", d="shinfos", who="napi")
    def rx_pp(self, s, k, p, d):
        """``page_pool_dev_alloc_pages()`` + ``build_skb`` + ``skb_mark_for_recycle()``."""
        sk, pg, sh = s.skbs[k], s.pages[p], s.shinfos[d]
        pool_empty = all_(q.loc != Loc.POOL for q in s.pages)
        require(~sk.used & (sk.pc == PC.IDLE) & self.shinfo_free(s, d)
                & ((pg.loc == Loc.POOL) | (pool_empty & (pg.loc == Loc.BUDDY))))
        with when(pg.loc == Loc.BUDDY):  # slow path: page_pool_set_pp_info(), DMA map
            pg.refcnt = 1
            pg.magic = True
            pg.mapped = True
        pg.loc = Loc.OUT
        pg.pp = True  # skb_mark_for_recycle(): page_pool_store_mem_info()
        sk.used = True
        sk.data = d
        sk.cloned = False
        sk.pp_recycle = True
        sh.dataref = 1
        sh.frag0 = p
        sh.frag1 = NONE

    @action(k="skbs", p="pages", d="shinfos", who="driver2")
    def rx_plain(self, s, k, p, d):
        """Another driver's skb: an ordinary page, ``pp_recycle`` clear."""
        sk, pg, sh = s.skbs[k], s.pages[p], s.shinfos[d]
        require((self.cfg.plain > 0) & ~sk.used & (sk.pc == PC.IDLE) & self.shinfo_free(s, d)
                & (pg.loc == Loc.BUDDY)
                & all_(~(q.loc == Loc.OUT) | q.magic for q in s.pages))  # one plain page
        pg.refcnt = 1
        pg.loc = Loc.OUT
        sk.used = True
        sk.data = d
        sk.cloned = False
        sk.pp_recycle = False
        sh.dataref = 1
        sh.frag0 = p
        sh.frag1 = NONE

    # -- skb operations ----------------------------------------------------------------------
    @action(k="skbs", c="skbs", who="stack")
    def skb_clone(self, s, k, c):
        """``__skb_clone()``: share the data, ``dataref++``, ``C(pp_recycle)``."""
        sk, cl = s.skbs[k], s.skbs[c]
        require((k != c) & sk.used & (sk.pc == PC.IDLE) & ~cl.used & (cl.pc == PC.IDLE))
        sh = s.shinfos[sk.data]
        require(sh.dataref < 2)
        sh.dataref = sh.dataref + 1
        cl.used = True
        cl.data = sk.data
        cl.cloned = True
        sk.cloned = True
        cl.pp_recycle = sk.pp_recycle

    @action(k="skbs", d="shinfos", who="stack")
    def pskb_expand_head(self, s, k, d):
        """On a cloned skb whose data is still shared: new head and shinfo, the frags
        copied with ``skb_frag_ref()`` (``get_page``), the old data released."""
        sk, new = s.skbs[k], s.shinfos[d]
        require(sk.used & sk.cloned & (sk.pc == PC.IDLE) & self.shinfo_free(s, d))
        old = s.shinfos[sk.data]
        require((old.dataref == 2) & (old.frag0 != old.frag1)
                & all_(implies(self.frag(old, i) != NONE,
                               s.pages[self.frag(old, i)].refcnt < MAX_REFS) for i in (0, 1)))
        for i in (0, 1):
            f = self.frag(old, i)
            with when(f != NONE):
                s.pages[f].refcnt = s.pages[f].refcnt + 1
        new.dataref = 1
        new.frag0 = old.frag0
        new.frag1 = old.frag1
        old.dataref = 1  # skb_release_data(): cloned and not the last holder
        sk.data = d
        sk.cloned = False
        self.expand_recycle_bit(s, sk)

    def expand_recycle_bit(self, s, sk):
        """v5: ``skb->pp_recycle = 0`` in ``pskb_expand_head()``."""
        sk.pp_recycle = False

    @action(to="skbs", fr="skbs", who="stack")
    def skb_try_coalesce(self, s, to, fr):
        """Move ``from``'s frag into ``to`` (a cloned ``from``: take a page reference
        instead); then ``kfree_skb_partial(from)``."""
        t, f = s.skbs[to], s.skbs[fr]
        require((to != fr) & t.used & f.used & ~t.cloned & (t.pc == PC.IDLE)
                & (f.pc == PC.IDLE) & (t.data != f.data))
        dt, df = s.shinfos[t.data], s.shinfos[f.data]
        require((dt.frag1 == NONE) & (df.frag0 != NONE) & (df.frag1 == NONE)
                & implies(f.cloned, (df.dataref == 2) & (s.pages[df.frag0].refcnt < MAX_REFS)))
        self.coalesce_check(s, t, f)
        dt.frag1 = df.frag0
        with when(f.cloned):  # skb_frag_ref() on each of from's frags
            s.pages[df.frag0].refcnt = s.pages[df.frag0].refcnt + 1
            df.dataref = df.dataref - 1  # kfree_skb_partial: not the last holder
        with when(~f.cloned):  # the frags now belong to `to`
            df.frag0 = NONE
            df.dataref = 0
        f.used = False
        f.data = NONE
        f.cloned = False
        f.pp_recycle = False
        self.after_coalesce(s, t, f)

    def coalesce_check(self, s, t, f):
        """v5: "We can't coalesce skb that are allocated from slab and page_pool"."""
        require(t.pp_recycle == f.pp_recycle)

    def after_coalesce(self, s, t, f):
        """v5: ``to`` keeps its own recycle bit."""

    # -- kfree_skb -> skb_release_data ----------------------------------------------------
    @action(k="skbs", who="k")
    def skb_release_data(self, s, k):
        """Drop the dataref; only the last holder goes on to unref the frags."""
        sk = s.skbs[k]
        require(sk.used & (sk.pc == PC.IDLE))
        sh = s.shinfos[sk.data]
        last = sh.dataref == 1
        sh.dataref = sh.dataref - 1
        with when(last):
            sk.pc = PC.UNREF
            sk.cur = 0
        with when(~last):
            self.not_last_holder(s, sk)
            self.free_skb(sk)

    def not_last_holder(self, s, sk):
        """v5: nothing more to do for an skb that is not the last dataref holder."""

    def free_skb(self, sk):
        sk.used = False
        sk.data = NONE
        sk.cloned = False
        sk.pp_recycle = False
        sk.pc = PC.IDLE
        sk.cur = 0

    def next_frag(self, s, sk):
        sh = s.shinfos[sk.data]
        with when(sk.cur == 1):
            sh.frag0 = NONE
            sh.frag1 = NONE
            self.free_skb(sk)
        with when(sk.cur == 0):
            sk.cur = 1
            sk.pc = PC.UNREF

    @action(k="skbs", who="k")
    def skb_frag_unref(self, s, k):
        """``__skb_frag_unref(frag, skb->pp_recycle)``: pp path when the bit is set and
        ``pp_magic`` matches (``page_pool_return_skb_page``), else ``put_page()``."""
        sk = s.skbs[k]
        require(sk.used & (sk.pc == PC.UNREF))
        sh = s.shinfos[sk.data]
        f = ite(sk.cur == 0, sh.frag0, sh.frag1)
        with when(f == NONE):
            self.next_frag(s, sk)
        with when(f != NONE):
            pg = s.pages[f]
            pp_path = sk.pp_recycle & pg.magic
            with when(pp_path):
                assert_(pg.pp, "page_pool_put_full_page(NULL, ...): page->pp was cleared "
                               "by a concurrent recycle (NULL pointer dereference)")
                self.return_skb_page(s, pg)
                sk.pc = ite(pg.refcnt == 1, PC.SAW_ONE, PC.SAW_MORE)
            with when(~pp_path):
                self.put_page(pg)
                self.next_frag(s, sk)

    def return_skb_page(self, s, pg):
        """v5: "Driver set this to memory recycling info. Reset it on recycle."."""
        pg.pp = False

    @action(k="skbs", who="k")
    def page_pool_put_full_page(self, s, k):
        """Recycle a refcnt-1 page into the pool, or ``page_pool_release_page()`` (DMA
        unmap, clear ``pp_magic``) and ``put_page()``."""
        sk = s.skbs[k]
        require(sk.used & ((sk.pc == PC.SAW_ONE) | (sk.pc == PC.SAW_MORE)))
        sh = s.shinfos[sk.data]
        f = ite(sk.cur == 0, sh.frag0, sh.frag1)
        pg = s.pages[f]
        with when(sk.pc == PC.SAW_ONE):
            pg.loc = Loc.POOL
        with when(sk.pc == PC.SAW_MORE):
            assert_(pg.mapped, "page_pool_release_page(): DMA unmap of a page that is "
                               "already unmapped (double unmap, release_cnt counted twice)")
            pg.mapped = False
            pg.magic = False
            pg.pp = False
            pg.released = True
            self.put_page(pg)
        self.next_frag(s, sk)

    # -- properties ----------------------------------------------------------------------------
    def referenced(self, s, i):
        return any_((d.dataref > 0) & ((d.frag0 == i) | (d.frag1 == i)) for d in s.shinfos)

    @always
    def recycled_pages_unreferenced(self, s):
        """A page back in the pool has refcount 1 and no skb data references it."""
        return all_(implies(p.loc == Loc.POOL, (p.refcnt == 1) & ~self.referenced(s, i))
                    for i, p in enumerate(s.pages))

    @always
    def pool_pages_mapped(self, s):
        """A page in the pool is still a pool page: ``pp_magic`` set, DMA mapped."""
        return all_(implies(p.loc == Loc.POOL, p.magic & p.mapped) for p in s.pages)

    @always
    def buddy_pages_clean(self, s):
        """A page in the page allocator is unmapped, without ``pp_magic``, refcount 0."""
        return all_(implies(p.loc == Loc.BUDDY, ~p.mapped & ~p.magic & (p.refcnt == 0))
                    for p in s.pages)

    @sometimes
    def clone_expanded(self, s):
        """A page is referenced from two shinfos (pskb_expand_head or coalesce of a clone)."""
        return any_(p.refcnt == 2 for p in s.pages)

    @sometimes
    def recycled_from_skb(self, s):
        return any_(p.loc == Loc.POOL for p in s.pages)

    @sometimes
    def released_from_pool(self, s):
        """A pool page left the pool because someone else still held a reference."""
        return any_(p.released for p in s.pages)


class PP001KeepPagePP(PP001V5):
    """Reviewer: leave ``page->pp`` set across recycles (cleared only on release)."""

    name = "pp001_keep_page_pp"

    def return_skb_page(self, s, pg):
        """``page->pp`` is not touched on the recycle path."""


class PP001ExpandKeepsRecycle(PP001V5):
    """Reviewer: ``pskb_expand_head()`` leaves ``pp_recycle`` set."""

    name = "pp001_expand_keeps_recycle"

    def expand_recycle_bit(self, s, sk):
        """The bit stays: the old frags "still could be from page pool"."""


class PP001CoalesceAdopt(PP001V5):
    """Reviewer: coalesce mixed skbs, ``to->pp_recycle = from->pp_recycle``."""

    name = "pp001_coalesce_adopt"

    def coalesce_check(self, s, t, f):
        """No refusal."""

    def after_coalesce(self, s, t, f):
        """``to`` takes ``from``'s bit (read before ``from`` is freed)."""

    @action(to="skbs", fr="skbs", who="stack")
    def skb_try_coalesce(self, s, to, fr):
        """As v5, without the refusal, ``to->pp_recycle = from->pp_recycle``."""
        bit = s.skbs[fr].pp_recycle
        PP001V5.skb_try_coalesce.fn(self, s, to, fr)
        s.skbs[to].pp_recycle = bit


class PP001LastDataref(PP001ExpandKeepsRecycle):
    """Mainline: only the last dataref holder recycles (2cc3aeb5eccc); a cloned pp
    ``from`` is not coalesced (1effe8ca4e34)."""

    name = "pp001_last_dataref"
    default = True

    def not_last_holder(self, s, sk):
        """"disable the recycling bit if an SKB is cloned and we have additional
        references to the fragmented part of the SKB"."""
        sk.pp_recycle = False

    @action(k="skbs", d="shinfos", who="stack")
    def pskb_expand_head(self, s, k, d):
        """As before; ``skb_release_data()`` of the old data now clears ``pp_recycle``
        because this skb was not the last holder."""
        PP001V5.pskb_expand_head.fn(self, s, k, d)
        self.not_last_holder(s, s.skbs[k])

    def coalesce_check(self, s, t, f):
        """``if (to->pp_recycle != from->pp_recycle || (from->pp_recycle &&
        skb_cloned(from))) return false;``"""
        require((t.pp_recycle == f.pp_recycle) & ~(f.pp_recycle & f.cloned))


MODELS = [PP001V5, PP001KeepPagePP, PP001ExpandKeepsRecycle, PP001CoalesceAdopt,
          PP001LastDataref]
