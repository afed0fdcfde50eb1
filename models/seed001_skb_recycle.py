"""Seed 001: recycling page_pool pages from skbs (2021, Ilias Apalodimas, Matteo Croce).

Thread: "[PATCH net-next v5 3/5] page_pool: Allow drivers to hint on SKB recycling"
with Yunsheng Lin's review (May 2021), and what mainline did with ``skb_try_coalesce()``
afterwards.  The designs, each a thin diff:

``pp001_v5``
    As posted: the driver calls ``skb_mark_for_recycle()`` (``skb->pp_recycle = 1``,
    ``page->pp = pool``); ``skb_release_data()`` hands each frag, and ``skb_free_head()`` a
    page-frag head, to ``page_pool_return_skb_page()`` when ``pp_recycle`` is set and
    ``pp_magic`` matches; it sets ``page->pp = NULL`` and calls ``page_pool_put_full_page()``:
    recycle if ``page_ref_count == 1``, else ``page_pool_release_page()`` (DMA unmap, clear
    ``pp_magic``) and ``put_page()``.  ``skb_free_head()`` tests ``head_frag`` first, so a
    kmalloc'd head is ``kfree()``'d whatever the bit says.  ``__skb_clone`` copies
    ``pp_recycle``; ``pskb_expand_head()`` clears it; ``skb_try_coalesce()`` refuses
    ``to->pp_recycle != from->pp_recycle`` ("We can't coalesce skb that are allocated from
    slab and page_pool") and, like every kernel of the time, takes page references on a cloned
    ``from``'s frags.
``pp001_keep_page_pp``
    Reviewer: "Why not only clear the page->pp when the page can not be recycled?"
``pp001_expand_keeps_recycle``
    Reviewer: "I am not sure why we clear the skb->pp_recycle here" (pskb_expand_head):
    the bit stays set on the expanded clone.
``pp001_coalesce_adopt`` / ``pp001_coalesce_or``
    Reviewer: "we could just set the to->pp_recycle according to from->pp_recycle and do the
    coalesce", in its two readings: ``to`` takes ``from``'s bit (adopt), or ``to`` keeps the bit
    if either has it (or), relying on ``pp_magic`` to send non-pool pages to ``put_page()``.
``pp001_v5_no_magic`` / ``pp001_coalesce_or_no_magic``
    Why v5 refused: the same designs if the bit alone decided (``page_pool_return_skb_page()``
    without the ``pp_magic`` test; the series adds the signature in its patch 1/5).  With the
    refusal every page of a ``pp_recycle`` skb is a pool page and the bit is enough; without it
    a non-pool page-frag head or frag reaches the pool's recycle path.
``pp001_merged_514``
    What v5.14 merged: ``page->pp`` kept across recycles (the reviewer's suggestion), only the
    last ``dataref`` holder recycles (2cc3aeb5eccc "skbuff: Fix a potential race while
    recycling page_pool packets": ``skb_release_data()`` clears ``pp_recycle`` on an skb that is
    not the last holder, which covers ``pskb_expand_head()``), the refusal of mismatched bits.
``pp001_v518``
    1effe8ca4e34 "skbuff: fix coalescing for page_pool fragment recycling" (v5.18):
    ``to->pp_recycle != (from->pp_recycle && !skb_cloned(from))`` refuses a cloned pp ``from``
    into a pp ``to`` and lets it into a non-pp ``to``, whose frag becomes a page reference.
``pp001_v63``
    0646dc31ca88 "skbuff: Fix a race between coalescing and releasing SKBs" (v6.3): also refuse
    ``from->pp_recycle && skb_cloned(from)`` into a non-pp ``to``.  ``skb_try_coalesce()`` reads
    ``skb_cloned(from)`` twice (at the check, and where it decides between taking frag
    references and emptying ``from``'s frags); the clone can be freed in between.

Why this model does not derive from the mainline model: it describes v5.13-v6.3
(``page->pp`` cleared per recycle, refcount-based release instead of ``pp_ref_count``, page
references on cloned frags), and its skb state (a head per shared info, two frags, the steps
of ``skb_try_coalesce()``) is finer than mainline's skb path.  It shares mainline's page
locations (:class:`Loc` of :mod:`ppcheck.models.pagepool`): a page recycled from an skb is in
the ptr_ring (``page_pool_put_full_page(..., false)``), ``Loc.RING``.

Modelled: pages (interchangeable) with refcount, ``pp_magic``, ``page->pp``, DMA
mapping; shared infos (``skb_shared_info``: ``dataref``, two frag slots, the head: a page-frag
head is a page, a kmalloc head is none); skbs with ``cloned``, ``pp_recycle`` and the steps of
``skb_release_data()`` (the dataref drop, then per frag and for the head the pp check, the
``page->pp`` and ``page_ref_count()`` reads, and the act, as separate steps) and of
``skb_try_coalesce()`` (the checks with the frag move, then the second ``skb_cloned(from)``
read with ``kfree_skb_partial()``); other CPUs interleave.  Left
out: split-page drivers (the series does not support them: "This will *not* work for NIC using
a split-page memory model"), GRO, frag_list, ``skb_split()``/``skb_shift()``, the copy path of
``skb_try_coalesce()`` (``len <= skb_tailroom(to)``), ``pskb_expand_head`` on the last dataref
holder.

Check with: ``ppcheck check pp001_v5``; ``ppcheck diff pp001_v518 pp001_v63``.
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
    implies,
    ite,
    require,
    sometimes,
    when,
)


class PC(enum.IntEnum):
    """An skb's progress through ``skb_release_data()`` / ``skb_try_coalesce()``."""

    IDLE = 0
    UNREF = 1  # about to release slot ``cur`` (frag 0, frag 1, then the head)
    SAW_ONE = 2  # page_pool_put_full_page(): read page_ref_count == 1, will recycle
    SAW_MORE = 3  # read page_ref_count != 1, will page_pool_release_page() + put_page()
    COALESCE_FROM = 4  # skb_try_coalesce(): this skb's frag was copied into `to`
    COALESCE_TO = 5  # skb_try_coalesce(): this skb received a frag, the call is not finished
    MAGIC_OK = 6  # page_pool_return_skb_page(): pp_magic matched; next page->pp, page_ref_count


#: slots of a shared info, in the order skb_release_data() releases them
FRAG0, FRAG1, HEAD = 0, 1, 2


class Page(Record):
    loc = Enum(Loc)
    refcnt = Int(0, 3)  # page->_refcount
    magic = Bool()  # page->pp_magic == PP_SIGNATURE
    pp = Bool()  # page->pp != NULL
    mapped = Bool()  # DMA mapped by the pool
    released = Bool()  # ghost: left the pool through page_pool_release_page()


class Shinfo(Record):
    """``skb_shared_info`` and the head it lives in: ``head`` is the page of a page-frag head
    (``head_frag``), none for a kmalloc'd head."""

    dataref = Int(0, 2)  # skb_shared_info.dataref (0: free)
    frag0 = Ref("pages")
    frag1 = Ref("pages")
    head = Ref("pages")


class Skb(Record):
    used = Bool()
    data = Ref("shinfos")
    cloned = Bool()
    pp_recycle = Bool()
    pc = Enum(PC)
    cur = Int(0, 2)  # the slot skb_release_data() is at


class Ghost(Record):
    """Sticky flags, named as mainline's (:class:`ppcheck.models.pagepool.Ghost`) where it has
    the same one."""

    foreign_recycled = Bool()  #: a page without pp_magic reached page_pool_return_skb_page()
    double_unmap = Bool()  #: page_pool_release_page() on a page that is no longer mapped
    pp_page_freed = Bool()  #: put_page() took a page with pp_magic set to refcount 0
    double_free = Bool()  #: put_page() on a page whose refcount is already 0


class State(Record):
    pages = Array(Page, "pages", symmetric=True)
    # not a scalarset: the explorer's canonical form sorts pages by which shinfo slots point at
    # them, which is exact only if the shinfos' positions are fixed (skbs and pages still are)
    shinfos = Array(Shinfo, "shinfos")
    skbs = Array(Skb, "skbs", symmetric=True)
    ghost = Ghost


NONE = Ref.NONE
#: the model bounds page references (a model limit, not a kernel one)
MAX_REFS = 3


class PP001V5(Model):
    """skb recycling as posted in v5."""

    name = "pp001_v5"
    State = State
    configs = {"default": {"pages": 2, "shinfos": 2, "skbs": 3, "plain": 1}}

    # -- helpers -----------------------------------------------------------------------
    def slot(self, d, i):
        return (d.frag0, d.frag1, d.head)[i]

    def skb_cloned(self, s, sk):
        """``skb_cloned()``: the cloned bit and a ``dataref`` other than 1."""
        return sk.cloned & (s.shinfos[sk.data].dataref != 1)

    def put_page(self, s, pg):
        """``put_page()``: at zero the page goes back to the buddy allocator."""
        with when(pg.refcnt == 0):
            s.ghost.double_free = True
        with when((pg.refcnt == 1) & pg.magic):
            s.ghost.pp_page_freed = True
        pg.refcnt = ite(pg.refcnt > 0, pg.refcnt - 1, 0)
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

    def new_skb(self, sk, sh, d, p, as_head, pp):
        sk.used = True
        sk.data = d
        sk.cloned = False
        sk.pp_recycle = pp
        sh.dataref = 1
        sh.frag1 = NONE
        sh.frag0 = NONE if as_head else p
        sh.head = p if as_head else NONE

    # -- the driver ------------------------------------------------------------------------
    @action(k="skbs", p="pages", d="shinfos", as_head=bool, who="napi")
    def rx_pp(self, s, k, p, d, as_head):
        """``page_pool_dev_alloc_pages()``, an skb around it, ``skb_mark_for_recycle()``: the
        page is the head (``build_skb()``, ``head_frag``) or a frag of a kmalloc'd head
        (``napi_alloc_skb()`` + ``skb_add_rx_frag()``)."""
        sk, pg, sh = s.skbs[k], s.pages[p], s.shinfos[d]
        pool_empty = all_(q.loc != Loc.RING for q in s.pages)
        require(~sk.used & (sk.pc == PC.IDLE) & self.shinfo_free(s, d)
                & ((pg.loc == Loc.RING) | (pool_empty & (pg.loc == Loc.BUDDY))))
        with when(pg.loc == Loc.BUDDY):  # slow path: page_pool_set_pp_info(), DMA map
            pg.refcnt = 1
            pg.magic = True
            pg.mapped = True
        pg.loc = Loc.USERS
        pg.pp = True  # skb_mark_for_recycle(): page_pool_store_mem_info()
        self.new_skb(sk, sh, d, p, as_head, True)

    @action(k="skbs", p="pages", d="shinfos", as_head=bool, who="driver2")
    def rx_plain(self, s, k, p, d, as_head):
        """Another driver's skb: an ordinary page (a page-frag head from
        ``netdev_alloc_frag()``, or a frag), ``pp_recycle`` clear."""
        sk, pg, sh = s.skbs[k], s.pages[p], s.shinfos[d]
        require((self.cfg.plain > 0) & ~sk.used & (sk.pc == PC.IDLE) & self.shinfo_free(s, d)
                & (pg.loc == Loc.BUDDY)
                & all_(~(q.loc == Loc.USERS) | q.magic for q in s.pages))  # one plain page
        pg.refcnt = 1
        pg.loc = Loc.USERS
        self.new_skb(sk, sh, d, p, as_head, False)

    # -- skb operations ----------------------------------------------------------------------
    @action(k="skbs", c="skbs", who="stack")
    def skb_clone(self, s, k, c):
        """``__skb_clone()``: share the data, ``dataref++``, ``C(pp_recycle)``."""
        sk, cl = s.skbs[k], s.skbs[c]
        require((k != c) & sk.used & (sk.data != NONE) & (sk.pc == PC.IDLE) & ~cl.used
                & (cl.pc == PC.IDLE))
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
        """On a cloned skb whose data is still shared: a new kmalloc'd head and shinfo, the
        frags copied with ``skb_frag_ref()`` (``get_page``), the old data released."""
        sk, new = s.skbs[k], s.shinfos[d]
        require(sk.used & (sk.data != NONE) & sk.cloned & (sk.pc == PC.IDLE)
                & self.shinfo_free(s, d))
        old = s.shinfos[sk.data]
        require((old.dataref == 2) & (old.frag0 != old.frag1)
                & all_(implies(self.slot(old, i) != NONE,
                               s.pages[self.slot(old, i)].refcnt < MAX_REFS) for i in (0, 1)))
        for i in (0, 1):
            f = self.slot(old, i)
            with when(f != NONE):
                s.pages[f].refcnt = s.pages[f].refcnt + 1
        new.dataref = 1
        new.frag0 = old.frag0
        new.frag1 = old.frag1
        new.head = NONE
        old.dataref = 1  # skb_release_data(): cloned and not the last holder
        sk.data = d
        sk.cloned = False
        self.expand_recycle_bit(s, sk)

    def expand_recycle_bit(self, s, sk):
        """v5: ``skb->pp_recycle = 0`` in ``pskb_expand_head()``."""
        sk.pp_recycle = False

    def coalescing(self, s):
        return any_((k.pc == PC.COALESCE_FROM) | (k.pc == PC.COALESCE_TO) for k in s.skbs)

    @action(to="skbs", fr="skbs", who="stack")
    def skb_try_coalesce(self, s, to, fr):
        """``skb_try_coalesce(to, from)`` up to the frag copy: ``skb_cloned(to)`` refuses, the
        design's ``pp_recycle`` test, then ``from``'s payload joins ``to``: its head page if it
        is a page-frag head and ``from`` is not cloned (``skb_head_is_locked()``; the head is
        stolen and ``kfree_skb_partial()`` frees only the skb), else its frag."""
        t, f = s.skbs[to], s.skbs[fr]
        require((to != fr) & t.used & f.used & (t.pc == PC.IDLE) & (f.pc == PC.IDLE)
                & (t.data != NONE) & (f.data != NONE) & (t.data != f.data)
                & ~self.coalescing(s))
        require(~self.skb_cloned(s, t))
        dt, df = s.shinfos[t.data], s.shinfos[f.data]
        has_frag = (df.frag0 != NONE) & (df.frag1 == NONE) & (df.head == NONE)
        head_only = (df.frag0 == NONE) & (df.frag1 == NONE) & (df.head != NONE)
        require((dt.frag1 == NONE) & (has_frag | (head_only & ~self.skb_cloned(s, f))))
        require(implies(has_frag, s.pages[df.frag0].refcnt < MAX_REFS))
        self.coalesce_check(s, t, f)
        bit = f.pp_recycle
        with when(head_only):  # *fragstolen = true; kfree_skb_partial(from, true)
            dt.frag1 = df.head
            df.head = NONE
            df.dataref = 0
            f.used = False
            f.data = NONE
            f.cloned = False
            f.pp_recycle = False
        with when(has_frag):
            dt.frag1 = df.frag0
            f.pc = PC.COALESCE_FROM
            t.pc = PC.COALESCE_TO
        self.after_coalesce(s, t, bit)

    @action(fr="skbs", who="stack")
    def skb_try_coalesce_end(self, s, fr):
        """The rest of ``skb_try_coalesce()``: ``if (!skb_cloned(from)) nr_frags = 0``, then
        ``__skb_frag_ref()`` (a page reference) on each frag ``from`` still has; then the caller's
        ``kfree_skb_partial(from, false)``: ``from`` drops its dataref."""
        f = s.skbs[fr]
        require(f.used & (f.pc == PC.COALESCE_FROM) & (f.data != NONE))
        df = s.shinfos[f.data]
        require(df.frag0 != NONE)
        cloned = self.skb_cloned(s, f)
        with when(cloned):
            s.pages[df.frag0].refcnt = s.pages[df.frag0].refcnt + 1
        with when(~cloned):  # the frag now belongs to `to`
            df.frag0 = NONE
        df.dataref = df.dataref - 1  # kfree_skb_partial(): the data is freed at 0 (no frags)
        f.used = False
        f.data = NONE
        f.cloned = False
        f.pp_recycle = False
        f.pc = PC.IDLE
        for k in s.skbs:
            with when(k.pc == PC.COALESCE_TO):
                k.pc = PC.IDLE

    def coalesce_check(self, s, t, f):
        """v5: "We can't coalesce skb that are allocated from slab and page_pool"."""
        require(t.pp_recycle == f.pp_recycle)

    def after_coalesce(self, s, t, bit):
        """v5: ``to`` keeps its own recycle bit."""

    # -- kfree_skb -> skb_release_data ----------------------------------------------------
    @action(k="skbs", who="k")
    def skb_release_data(self, s, k):
        """Drop the dataref; only the last holder goes on to release the frags and head."""
        sk = s.skbs[k]
        require(sk.used & (sk.pc == PC.IDLE) & (sk.data != NONE))
        sh = s.shinfos[sk.data]
        last = sh.dataref == 1
        sh.dataref = sh.dataref - 1
        with when(last):
            sk.pc = PC.UNREF
            sk.cur = FRAG0
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

    def next_slot(self, s, sk):
        sh = s.shinfos[sk.data]
        with when(sk.cur == HEAD):
            sh.frag0 = NONE
            sh.frag1 = NONE
            sh.head = NONE
            self.free_skb(sk)
        with when(sk.cur != HEAD):
            sk.cur = sk.cur + 1
            sk.pc = PC.UNREF

    def pp_path(self, s, sk, pg):
        """``skb->pp_recycle && page_pool_return_skb_page()``: the page carries pp_magic."""
        return sk.pp_recycle & pg.magic

    def slot_page(self, s, sk):
        """The page of the slot skb_release_data() is at (frag 0, frag 1, the head)."""
        sh = s.shinfos[sk.data]
        return ite(sk.cur == FRAG0, sh.frag0, ite(sk.cur == FRAG1, sh.frag1, sh.head))

    @action(k="skbs", who="k")
    def skb_frag_unref(self, s, k):
        """``__skb_frag_unref(frag, skb->pp_recycle)`` for a frag, ``skb_free_head()`` for a
        page-frag head: the pp path when the bit is set and ``pp_magic`` matches (the test at
        the top of ``page_pool_return_skb_page()``), else ``put_page()`` (``skb_free_frag()``).
        A kmalloc'd head is ``kfree()``'d: ``head_frag`` is tested before the bit.  The pp path
        goes on to page_pool_return_skb_page's reads (a step of its own: another CPU may
        release the page between the magic test and them)."""
        sk = s.skbs[k]
        require(sk.used & (sk.pc == PC.UNREF) & (sk.data != NONE))
        f = self.slot_page(s, sk)
        with when(f == NONE):
            self.next_slot(s, sk)
        with when(f != NONE):
            pg = s.pages[f]
            pp_path = self.pp_path(s, sk, pg)
            with when(pp_path):
                with when(~pg.magic):
                    s.ghost.foreign_recycled = True
                sk.pc = PC.MAGIC_OK
            with when(~pp_path):
                self.put_page(s, pg)
                self.next_slot(s, sk)

    @action(k="skbs", who="k")
    def page_pool_return_skb_page(self, s, k):
        """``page_pool_return_skb_page()`` past the magic test: ``pp = page->pp`` (v5 then
        clears it, "Reset it on recycle"), and ``page_pool_put_full_page(pp, page, false)``
        -> ``__page_pool_put_page()`` reads ``page_ref_count(page) == 1`` to decide between
        recycling and page_pool_release_page() + put_page() (page_pool_put_full_page)."""
        sk = s.skbs[k]
        require(sk.used & (sk.pc == PC.MAGIC_OK) & (sk.data != NONE))
        f = self.slot_page(s, sk)
        require(f != NONE)
        pg = s.pages[f]
        with when(pg.magic):
            assert_(pg.pp, "page_pool_put_full_page(NULL, ...): page->pp was cleared "
                           "by a concurrent recycle (NULL pointer dereference)")
        with when(~pg.magic):
            assert_(pg.pp, "page_pool_put_full_page(NULL, ...): not a page_pool page (or "
                           "released since the magic test), page->pp is not set (NULL "
                           "pointer dereference)")
        self.return_skb_page(s, pg)
        sk.pc = ite(pg.refcnt == 1, PC.SAW_ONE, PC.SAW_MORE)

    def return_skb_page(self, s, pg):
        """v5: "Driver set this to memory recycling info. Reset it on recycle."."""
        pg.pp = False

    @action(k="skbs", who="k")
    def page_pool_put_full_page(self, s, k):
        """Recycle a refcnt-1 page into the pool (the ptr_ring: ``allow_direct`` is false), or
        ``page_pool_release_page()`` (DMA unmap, clear ``pp_magic``) and ``put_page()``."""
        sk = s.skbs[k]
        require(sk.used & ((sk.pc == PC.SAW_ONE) | (sk.pc == PC.SAW_MORE)) & (sk.data != NONE))
        sh = s.shinfos[sk.data]
        f = ite(sk.cur == FRAG0, sh.frag0, ite(sk.cur == FRAG1, sh.frag1, sh.head))
        require(f != NONE)
        pg = s.pages[f]
        with when(sk.pc == PC.SAW_ONE):
            pg.loc = Loc.RING
        with when(sk.pc == PC.SAW_MORE):
            with when(~pg.mapped):  # the DMA unmap and release_cnt of a page already released
                s.ghost.double_unmap = True
            pg.mapped = False
            pg.magic = False
            pg.pp = False
            pg.released = True
            self.put_page(s, pg)
        self.next_slot(s, sk)

    # -- properties ----------------------------------------------------------------------------
    def referenced(self, s, i):
        return any_((d.dataref > 0) & ((d.frag0 == i) | (d.frag1 == i) | (d.head == i))
                    for d in s.shinfos)

    @always
    def recycled_pages_unreferenced(self, s):
        """A page back in the pool has refcount 1 and no skb data references it."""
        return all_(implies(p.loc == Loc.RING, (p.refcnt == 1) & ~self.referenced(s, i))
                    for i, p in enumerate(s.pages))

    @always
    def pool_pages_mapped(self, s):
        """A page in the pool is still a pool page: ``pp_magic`` set, DMA mapped."""
        return all_(implies(p.loc == Loc.RING, p.magic & p.mapped) for p in s.pages)

    @always
    def buddy_pages_clean(self, s):
        """A page in the page allocator is unmapped, without ``pp_magic``, refcount 0."""
        return all_(implies(p.loc == Loc.BUDDY, ~p.mapped & ~p.magic & (p.refcnt == 0))
                    for p in s.pages)

    @always
    def no_double_unmap(self, s):
        """A pool page leaves the pool once: page_pool_release_page() DMA-unmaps it and counts
        it in ``pages_state_release_cnt``; twice unmaps a dead mapping and drives inflight
        negative."""
        return ~s.ghost.double_unmap

    @always
    def pp_page_not_freed_by_put_page(self, s):
        """A pool page never reaches refcount 0 through put_page() while it carries pp_magic:
        the buddy allocator would get a DMA-mapped page the pool still counts in flight (the
        "bad page" of 0646dc31ca88's report)."""
        return ~s.ghost.pp_page_freed

    @always
    def no_double_free(self, s):
        """put_page() never finds refcount 0 (the page was freed already)."""
        return ~s.ghost.double_free

    @always
    def only_pool_pages_recycled(self, s):
        """Only page_pool pages reach ``page_pool_return_skb_page()``: any other page (a
        page-frag head, another driver's frag) has no ``page->pp`` to recycle into, and the
        head of a kmalloc'd skb is not a page at all ("might end up trying to recycle slab
        allocated skb->head")."""
        return ~s.ghost.foreign_recycled

    @sometimes
    def clone_expanded(self, s):
        """A page is referenced from two shinfos (pskb_expand_head or coalesce of a clone)."""
        return any_(p.refcnt == 2 for p in s.pages)

    @sometimes
    def recycled_from_skb(self, s):
        return any_(p.loc == Loc.RING for p in s.pages)

    @sometimes
    def released_from_pool(self, s):
        """A pool page left the pool because someone else still held a reference."""
        return any_(p.released for p in s.pages)

    @sometimes
    def head_recycled(self, s):
        """A page-frag head of a pp skb goes down the pp path (skb_free_head)."""
        return any_((k.pc == PC.SAW_ONE) & (k.cur == HEAD) for k in s.skbs)

    @sometimes
    def coalesce_in_flight(self, s):
        """skb_try_coalesce() has copied a frag and not yet read skb_cloned(from) again."""
        return self.coalescing(s)


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
    """Reviewer, first reading: coalesce mixed skbs, ``to->pp_recycle = from->pp_recycle``."""

    name = "pp001_coalesce_adopt"

    def coalesce_check(self, s, t, f):
        """No refusal."""

    def after_coalesce(self, s, t, bit):
        """``to`` takes ``from``'s bit (read before ``from`` is freed)."""
        t.pp_recycle = bit


class PP001CoalesceOr(PP001V5):
    """Reviewer, second reading: coalesce mixed skbs and set ``to->pp_recycle`` when
    ``from`` has it ("Since we are also depending on page->pp_magic to decide whether to
    recycle a page"): the non-pool pages of a recycling skb go to ``put_page()`` by their
    missing signature."""

    name = "pp001_coalesce_or"

    def coalesce_check(self, s, t, f):
        """No refusal."""

    def after_coalesce(self, s, t, bit):
        """``to->pp_recycle |= from->pp_recycle``."""
        t.pp_recycle = t.pp_recycle | bit


class PP001V5NoMagic(PP001V5):
    """v5 if the skb bit alone decided (no ``pp_magic`` test in page_pool_return_skb_page())."""

    name = "pp001_v5_no_magic"

    def pp_path(self, s, sk, pg):
        return sk.pp_recycle


class PP001CoalesceOrNoMagic(PP001CoalesceOr):
    """The second reading if the bit alone decided: non-pool pages reach the pp path."""

    name = "pp001_coalesce_or_no_magic"

    def pp_path(self, s, sk, pg):
        return sk.pp_recycle


class PP001Merged514(PP001ExpandKeepsRecycle):
    """v5.14 as merged: ``page->pp`` kept, only the last dataref holder recycles
    (2cc3aeb5eccc), mismatched bits refused."""

    name = "pp001_merged_514"

    def return_skb_page(self, s, pg):
        """``page->pp`` is not touched on the recycle path."""

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


class PP001V518(PP001Merged514):
    """1effe8ca4e34 (v5.18): a cloned pp ``from`` may join a non-pp ``to`` only."""

    name = "pp001_v518"

    def coalesce_check(self, s, t, f):
        """``if (to->pp_recycle != (from->pp_recycle && !skb_cloned(from))) return false;``"""
        require(t.pp_recycle == (f.pp_recycle & ~self.skb_cloned(s, f)))


class PP001V63(PP001V518):
    """0646dc31ca88 (v6.3): never coalesce a cloned pp ``from``."""

    name = "pp001_v63"
    default = True

    def coalesce_check(self, s, t, f):
        """``if (to->pp_recycle != from->pp_recycle || (from->pp_recycle &&
        skb_cloned(from))) return false;``"""
        require((t.pp_recycle == f.pp_recycle) & ~(f.pp_recycle & self.skb_cloned(s, f)))


MODELS = [PP001V5, PP001KeepPagePP, PP001ExpandKeepsRecycle, PP001CoalesceAdopt,
          PP001CoalesceOr, PP001V5NoMagic, PP001CoalesceOrNoMagic, PP001Merged514, PP001V518,
          PP001V63]
