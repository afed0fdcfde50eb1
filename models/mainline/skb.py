"""The skb path: building RX skbs (frag or head in a pool page, non-pool copybreak skbs),
clones, pskb_expand_head(), skb_try_coalesce() and skb_gro_receive() (with head stealing),
the protocol code that takes over frag references (skb_split(), skb_shift(), skb_segment()),
skb_release_data()/skb_free_head(), and stack page references.

Follows ``net/core/skbuff.c``, ``net/core/gro.c`` and ``include/linux/skbuff_ref.h``.  Which
of the newer paths a configuration exercises is its ``skb_paths`` (``head``, ``nonpool``,
``gro``, ``split``, ``shift``, ``segment``); docs/mainline.md lists them.
"""

from __future__ import annotations

from ppcheck.models.pagepool import (
    PC,
    After,
    Loc,
    Role,
    skb_refs,
)
from ppcheck.spec import (
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
    when,
)
from ppcheck.spec.expr import const

from .base import MainlineBase

FALSE = const(False)


def _paths(cfg, name: str) -> bool:
    return name in tuple(getattr(cfg, "skb_paths", ()))


class SkbActions(MainlineBase):
    """The skb path and stack page references (see the module docstring)."""

    # -- helpers ------------------------------------------------------------------------------
    def path_on(self, name: str) -> None:
        """The configuration exercises the skb path ``name`` (``skb_paths``)."""
        require(const(int(self.cfg.skbs) > 0 and _paths(self.cfg, name)))

    def unused(self, s, n: int):
        """Shared info ``n`` is unused: no skb, no frag, no head, no context releasing it."""
        sh = s.shinfos[n]
        return ((sh.dataref == 0) & (sh.page == Ref.NONE) & (sh.page2 == Ref.NONE)
                & (sh.head == Ref.NONE) & all_(c2.sh != n for c2 in s.ctxs))

    def shinfo_free(self, s, n: int):
        """A new skb's data goes into shared info ``n``: the lowest-numbered unused one.

        Which slot the allocator returns is not observable (every action and property treats
        the slots alike, and unused slots are identical and unreferenced), so fixing the
        choice keeps one state of each orbit of the free choice while cutting the shared
        infos' permutations that symmetry reduction cannot (``shinfos`` is no scalarset: with
        ``Ref``s from the symmetric ``skbs`` into it the explorer's sort is not canonical and
        its soundness test refuses the reduction)."""
        return self.unused(s, n) & all_(~self.unused(s, i) for i in range(n))

    def new_skb(self, s, k: int, n: int, pp_recycle) -> None:
        """A fresh skb ``k`` with its own data ``n`` (dataref 1)."""
        skb, sh = s.skbs[k], s.shinfos[n]
        skb.live = True
        skb.sh = n
        skb.pp_recycle = pp_recycle
        skb.cloned = False
        sh.dataref = 1

    def drop_skb(self, s, k: int) -> None:
        """The sk_buff shell of ``k`` is freed (kmem_cache_free / napi_skb_cache_put)."""
        skb = s.skbs[k]
        skb.live = False
        skb.sh = Ref.NONE
        skb.cloned = False
        skb.pp_recycle = False

    def clear_shinfo(self, s, n: int) -> None:
        sh = s.shinfos[n]
        sh.dataref = 0
        sh.page = Ref.NONE
        sh.pp_kind = False
        sh.page2 = Ref.NONE
        sh.pp_kind2 = False
        sh.head = Ref.NONE
        sh.head_pp = False

    def frag_ref(self, s, page) -> None:
        """__skb_frag_ref(): get_page() on the frag's page (skbuff_ref.h, v6.12): always a
        *page* reference, whatever the skb's pp_recycle."""
        for i, pg in enumerate(s.pages):
            with when(page == i):
                pg.refcnt = pg.refcnt + 1

    def unclone_ok(self, s, k: int, j: int) -> None:
        """The caller unclones first (skb_unclone_keeptruesize(), skb_prepare_for_shift()):
        ``k`` is not skb_cloned()."""
        skb, sh = s.skbs[k], s.shinfos[j]
        require(skb.live & (skb.sh == j) & (~skb.cloned | (sh.dataref == 1)))

    # -- building RX skbs ---------------------------------------------------------------------
    @action(c="ctxs", p="pages", k="skbs", j="shinfos", head=bool, who="c")
    def napi_build_skb(self, s, c, p, k, j, head):
        """The poll builds an skb for a received RX page and skb_mark_for_recycle() sets
        ``pp_recycle``; the page's pp reference moves to the skb's data (``dataref = 1``).
        ``head``: napi_build_skb(page_address(page), truesize) builds the skb *around* the
        pool page (``head_frag``: the linear head and the shared info live in the page, the
        most common driver pattern); otherwise napi_alloc_skb() + skb_add_rx_frag() (or
        napi_build_skb() with the payload in a frag) attach the page as the first frag and the
        small head is slab memory, not modelled."""
        self.skb_ok()
        if head:
            self.path_on("head")
        self.in_napi_poll(s, c)
        pg, sh = s.pages[p], s.shinfos[j]
        require((pg.loc == Loc.RX) & ~s.skbs[k].live & self.shinfo_free(s, j))
        pg.loc = Loc.USERS
        self.new_skb(s, k, j, True)
        if head:
            sh.head = p
            sh.head_pp = True
        else:
            sh.page = p
            sh.pp_kind = True

    @action(c="ctxs", k="skbs", j="shinfos", who="c")
    def napi_alloc_skb(self, s, c, k, j):
        """A non-pool RX skb next to the pool ones: the driver's copybreak path copies a small
        packet into napi_alloc_skb() (head from the NAPI page_frag cache, not a pool page)
        and keeps its pool page for the ring; ``pp_recycle`` stays clear."""
        self.skb_ok()
        self.path_on("nonpool")
        self.in_napi_poll(s, c)
        require(~s.skbs[k].live & self.shinfo_free(s, j))
        self.new_skb(s, k, j, False)

    @action(k="skbs", m="skbs", j="shinfos", who="stack")
    def skb_clone(self, s, k, m, j):
        """skb_clone(): the clone ``m`` shares ``k``'s data (``dataref++``), copies
        ``pp_recycle``, and both are marked ``cloned``."""
        self.skb_ok()
        require(const(k != m))
        a, b, sh = s.skbs[k], s.skbs[m], s.shinfos[j]
        require(a.live & ~b.live & (a.sh == j))
        b.live = True
        b.sh = j
        b.pp_recycle = a.pp_recycle
        a.cloned = True
        b.cloned = True
        sh.dataref = sh.dataref + 1

    @action(k="skbs", j="shinfos", n="shinfos", who="stack")
    def pskb_expand_head(self, s, k, j, n):
        """pskb_expand_head() on a cloned skb (skb_cloned(): ``cloned`` and ``dataref != 1``):
        the new kmalloc'ed head and shared info take a *page* reference on every frag
        (skb_frag_ref -> get_page), then skb_release_data() drops the old data without being
        its last user, which clears ``pp_recycle`` (commit 2cc3aeb5eccc): the expanded skb's
        frags are page references.  The old head (a pool page or not) stays with the old
        data, whose last user frees it."""
        self.skb_ok()
        require(const(j != n and bool(getattr(self.cfg, "skb_expand", True))))
        skb, old, new = s.skbs[k], s.shinfos[j], s.shinfos[n]
        require(skb.live & skb.cloned & (skb.sh == j) & (old.dataref > 1) & self.shinfo_free(s, n))
        for i, pg in enumerate(s.pages):
            refs = ite(old.page == i, 1, 0) + ite(old.page2 == i, 1, 0)
            pg.refcnt = pg.refcnt + refs
        new.dataref = 1
        new.page = old.page
        new.pp_kind = False
        new.page2 = old.page2
        new.pp_kind2 = False
        old.dataref = old.dataref - 1
        skb.sh = n
        skb.cloned = False
        skb.pp_recycle = False

    # -- merging skbs -------------------------------------------------------------------------
    def coalesce_ok(self, s, k: int, m: int, j: int, n: int):
        """skb_try_coalesce(to=k, from=m) merges (the action's guard, also read by witnesses)."""
        if k == m or j == n:
            return FALSE
        to, frm, sht, shf = s.skbs[k], s.skbs[m], s.shinfos[j], s.shinfos[n]
        shared = frm.cloned & (shf.dataref > 1)
        stolen = shf.head != Ref.NONE
        return (to.live & frm.live & (to.sh == j) & (frm.sh == n)
                & (to.pp_recycle == frm.pp_recycle)
                & (sht.page2 == Ref.NONE)
                & (~to.cloned | (sht.dataref == 1))  # skb_cloned(to): the caller unclones first
                # head stealing: skb_head_is_locked(from) refuses; from has no frags of its own
                & implies(stolen, ~shared & (shf.page == Ref.NONE) & (shf.page2 == Ref.NONE))
                # the frag branch: one frag to move
                & implies(~stolen, (shf.page != Ref.NONE) & (shf.page2 == Ref.NONE)))

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", who="stack")
    def skb_try_coalesce(self, s, k, m, j, n):
        """skb_try_coalesce(to=k, from=m) (tcp_try_coalesce(), tcp_add_backlog()): refuses
        when skb_cloned(to) or ``to->pp_recycle != from->pp_recycle``.

        ``from`` with its head in a pool page (``head_frag``; its payload is in the head, so
        skb_headlen(from) != 0): refused when skb_head_is_locked(from) (cloned); otherwise the
        head page becomes a frag of ``to`` (``*fragstolen``) and the caller's
        kfree_skb_partial(from, true) frees the sk_buff shell only (skb_release_head_state(),
        no data release: the head's pp reference now belongs to ``to``'s frag).  One step:
        ``from`` is the caller's private skb.

        ``from`` with a kmalloc'ed head (skb_headlen(from) == 0 once the headers are pulled):
        ``from``'s frag joins ``to``.  If ``from`` is cloned its frag gets a new reference, a
        pp one when ``from->pp_recycle`` and the page is a pp page (skb_pp_frag_ref() ->
        page_pool_ref_netmem()), else a page one; if not, the reference itself moves
        (``from_shinfo->nr_frags = 0``).  At most two frags per shared info: ``to`` has room
        for one, a ``from`` whose head is stolen has no frags of its own."""
        self.skb_ok()
        require(const(k != m and j != n))
        require(self.coalesce_ok(s, k, m, j, n))
        frm, sht, shf = s.skbs[m], s.shinfos[j], s.shinfos[n]
        shared = frm.cloned & (shf.dataref > 1)
        stolen = shf.head != Ref.NONE
        with when(stolen):
            sht.page2 = shf.head
            sht.pp_kind2 = shf.head_pp
            self.drop_skb(s, m)
            self.clear_shinfo(s, n)
        with when(~stolen):
            for i, pg in enumerate(s.pages):
                mine = shf.page == i
                pp_ref = frm.pp_recycle & pg.magic
                with when(mine & shared & pp_ref):
                    pg.pp_ref = pg.pp_ref + 1
                with when(mine & shared & ~pp_ref):
                    pg.refcnt = pg.refcnt + 1
                with when(mine):
                    sht.pp_kind2 = ite(shared, pp_ref, shf.pp_kind)
            sht.page2 = shf.page
            with when(~shared):
                shf.page = Ref.NONE
                shf.pp_kind = False

    def napi_polling(self, s, c: int):
        """Context ``c`` is the NAPI's softirq inside its poll, between kernel functions, and
        may run (the condition base.in_napi_poll() requires)."""
        ctx = s.ctxs[c]
        return const(self.is_role(c, Role.NAPI)) & ctx.in_poll & (ctx.pc == PC.READY) & self.can_run(s, c)

    def gro_ok(self, s, c: int, k: int, m: int, j: int, n: int):
        """skb_gro_receive(p=k, skb=m) merges in the poll of ``c`` (guard, read by witnesses)."""
        if k == m or j == n or not _paths(self.cfg, "gro"):
            return FALSE
        p, skb, shp, shs = s.skbs[k], s.skbs[m], s.shinfos[j], s.shinfos[n]
        stolen = shs.head != Ref.NONE
        return (self.napi_polling(s, c)
                & p.live & skb.live & (p.sh == j) & (skb.sh == n) & ~p.cloned & ~skb.cloned
                & (p.pp_recycle == skb.pp_recycle)
                & (shp.page2 == Ref.NONE)
                & implies(stolen, (shs.page == Ref.NONE) & (shs.page2 == Ref.NONE))
                & implies(~stolen, (shs.page != Ref.NONE) & (shs.page2 == Ref.NONE)))

    @action(c="ctxs", k="skbs", m="skbs", j="shinfos", n="shinfos", who="c")
    def skb_gro_receive(self, s, c, k, m, j, n):
        """napi_gro_receive() -> tcp_gro_receive() -> skb_gro_receive(p=k, skb=m) in the NAPI
        poll: refuses (-ETOOMANYREFS, the skb goes up unmerged) when ``p->pp_recycle !=
        skb->pp_recycle``, so pool and non-pool skbs never share one frag array.  GRO skbs are
        fresh from the driver, never cloned.

        ``skb`` with its head in a pool page (``head_frag``, headlen > offset): the head page
        becomes a frag of ``p`` and napi_skb_free_stolen_head() frees the shell only.
        ``skb`` with a kmalloc'ed head and its payload in a frag (headlen <= offset): the frag
        moves to ``p`` (``skbinfo->nr_frags = 0``) and NAPI_GRO_FREE -> __napi_kfree_skb()
        releases the rest (the slab head).  Either way one step of the poll."""
        self.skb_ok()
        self.path_on("gro")
        require(const(k != m and j != n))
        require(self.gro_ok(s, c, k, m, j, n))
        shp, shs = s.shinfos[j], s.shinfos[n]
        stolen = shs.head != Ref.NONE
        shp.page2 = ite(stolen, shs.head, shs.page)
        shp.pp_kind2 = ite(stolen, shs.head_pp, shs.pp_kind)
        self.drop_skb(s, m)
        self.clear_shinfo(s, n)

    # -- protocol code taking over frag references ---------------------------------------------
    def split_ok(self, s, k: int, m: int, j: int, n: int):
        """skb_split(skb=k, skb1=m) can run (guard, read by witnesses)."""
        if k == m or j == n or not _paths(self.cfg, "split"):
            return FALSE
        skb, sh = s.skbs[k], s.shinfos[j]
        return (skb.live & (skb.sh == j) & (~skb.cloned | (sh.dataref == 1))  # unclone first
                & ~skb.pp_recycle & ~s.skbs[m].live & self.shinfo_free(s, n)
                & (sh.page != Ref.NONE) & (sh.page2 == Ref.NONE))

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", split=bool, who="stack")
    def skb_split(self, s, k, m, j, n, split):
        """tcp_fragment()/tso_fragment() -> skb_split(skb=k, skb1=m, len) ->
        skb_split_no_header(): the frags past ``len`` move to the new skb1 (a fresh
        tcp_stream_alloc_skb(), ``pp_recycle`` clear); a frag the split line crosses
        (``split``) stays in both, skb1's copy taking skb_frag_ref() -> get_page(), a page
        reference.  The caller unclones skb first.  Only the TCP write and retransmit queues
        split skbs, and their skbs are never marked for recycling, so skb is not
        ``pp_recycle`` here: on a pp skb, moving a pp frag into the non-pp skb1 would release
        it through put_page().  Moves the last frag of a one-frag skb."""
        self.skb_ok()
        self.path_on("split")
        require(const(k != m and j != n))
        require(self.split_ok(s, k, m, j, n))
        sh, sh1 = s.shinfos[j], s.shinfos[n]
        self.new_skb(s, m, n, False)
        sh1.page = sh.page
        if split:
            self.frag_ref(s, sh.page)
            sh1.pp_kind = False
        else:
            sh1.pp_kind = sh.pp_kind
            sh.page = Ref.NONE
            sh.pp_kind = False

    def shift_ok(self, s, k: int, m: int, j: int, n: int):
        """skb_shift(tgt=k, skb=m) can run (guard, read by witnesses)."""
        if k == m or j == n or not _paths(self.cfg, "shift"):
            return FALSE
        tgt, skb, sht, shs = s.skbs[k], s.skbs[m], s.shinfos[j], s.shinfos[n]
        return (tgt.live & (tgt.sh == j) & (~tgt.cloned | (sht.dataref == 1))
                & skb.live & (skb.sh == n) & (~skb.cloned | (shs.dataref == 1))
                & ~tgt.pp_recycle & ~skb.pp_recycle & (shs.head == Ref.NONE)
                & (shs.page != Ref.NONE) & (shs.page2 == Ref.NONE))

    def shift_merges(self, s, j: int, n: int):
        """skb_can_coalesce(): skb's frag continues tgt's last frag (the same page)."""
        sht, shs = s.shinfos[j], s.shinfos[n]
        return ite(sht.page2 != Ref.NONE, sht.page2, sht.page) == shs.page

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", split=bool, who="stack")
    def skb_shift(self, s, k, m, j, n, split):
        """tcp_shift_skb_data()/tcp_collapse_retrans() -> skb_shift(tgt=k, skb=m, shiftlen):
        skb has no linear data (skb_headlen(skb) != 0 returns 0) and both are uncloned
        (skb_prepare_for_shift()).  If skb's frag continues tgt's last frag on the same page
        (skb_can_coalesce()), it merges and skb's reference is dropped with
        __skb_frag_unref(fragfrom, skb->pp_recycle); else it moves whole, or (``split``) in
        part, tgt's copy taking __skb_frag_ref() -> get_page().  Both skbs are on the TCP
        retransmit queue, never ``pp_recycle`` (DEBUG_NET_WARN_ON_ONCE(tgt->pp_recycle !=
        skb->pp_recycle)); a merge never drops the last reference (tgt holds one)."""
        self.skb_ok()
        self.path_on("shift")
        require(const(k != m and j != n))
        require(self.shift_ok(s, k, m, j, n))
        sht, shs = s.shinfos[j], s.shinfos[n]
        merge = self.shift_merges(s, j, n)
        if split:
            require(~merge & (sht.page2 == Ref.NONE))
            sht.page2 = shs.page
            sht.pp_kind2 = False
            self.frag_ref(s, shs.page)
            return
        require(implies(~merge, sht.page2 == Ref.NONE))
        with when(merge):
            for i, _pg in enumerate(s.pages):
                with when(shs.page == i):
                    self.put_page(s, i)  # __skb_frag_unref(fragfrom, false)
        with when(~merge):
            sht.page2 = shs.page
            sht.pp_kind2 = shs.pp_kind
        shs.page = Ref.NONE
        shs.pp_kind = False

    def segment_ok(self, s, k: int, m: int, j: int, n: int):
        """skb_segment(head_skb=k) can build segment ``m`` (guard, read by witnesses)."""
        if k == m or j == n or not _paths(self.cfg, "segment"):
            return FALSE
        head, sh = s.skbs[k], s.shinfos[j]
        return (head.live & (head.sh == j) & ~s.skbs[m].live & self.shinfo_free(s, n)
                & (sh.page != Ref.NONE))

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", who="stack")
    def skb_segment(self, s, k, m, j, n):
        """GSO (forwarding a GRO'd skb, validate_xmit_skb() -> skb_gso_segment()) ->
        skb_segment(head_skb=k): each segment ``m`` is a fresh __alloc_skb() (``pp_recycle``
        clear, kmalloc'ed head) whose frags take __skb_frag_ref() -> get_page(), page
        references, on the pages of head_skb's frags it covers; head_skb keeps its own
        references (pool or not) until the caller consumes it.  One step per segment: the
        segment is private until skb_segment() returns.  One segment covering every frag."""
        self.skb_ok()
        self.path_on("segment")
        require(const(k != m and j != n))
        require(self.segment_ok(s, k, m, j, n))
        sh, seg = s.shinfos[j], s.shinfos[n]
        self.new_skb(s, m, n, False)
        self.frag_ref(s, sh.page)
        self.frag_ref(s, sh.page2)
        seg.page = sh.page
        seg.pp_kind = False
        seg.page2 = sh.page2
        seg.pp_kind2 = False

    # -- releasing skbs -----------------------------------------------------------------------
    @action(c="ctxs", k="skbs", j="shinfos", who="c")
    def kfree_skb(self, s, c, k, j):
        """kfree_skb()/consume_skb() -> skb_release_all(): skb_release_head_state() (dst,
        destructor: no page references), then skb_release_data() -> skb_data_unref()
        (include/linux/skbuff.h): ``if (!skb->cloned) return true``: an skb that was never
        cloned is its data's only user and goes on to release every frag and the head
        (skb_page_unref, skb_free_head) with ``skb->pp_recycle`` deciding the path; a cloned one
        goes on to read ``shinfo->dataref`` (skb_data_unref_read).  The sk_buff itself is this
        context's from here on (nobody else may use a freed skb): its shared info and
        ``pp_recycle`` are the locals ``ctx.sh``/``ctx.recycle``, and the context counts as
        one of the data's ``dataref`` users until skb_data_unref() drops it."""
        self.skb_ok()
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI, Role.USER)))
        require((ctx.pc == PC.READY) & (ctx.sh == Ref.NONE) & self.can_run(s, c))
        skb = s.skbs[k]
        require(skb.live & (skb.sh == j))
        ctx.sh = j
        ctx.recycle = skb.pp_recycle
        with when(skb.cloned):
            ctx.pc = PC.DATAREF_READ
        skb.live = False
        skb.sh = Ref.NONE
        skb.cloned = False
        skb.pp_recycle = False

    @action(c="ctxs", j="shinfos", who="c")
    def skb_data_unref_read(self, s, c, j):
        """skb_data_unref() of a cloned skb: ``atomic_read(&shinfo->dataref) == bias`` (bias 1:
        no ``nohdr`` skbs here).  1: every other clone is gone, this skb is the last user
        (smp_rmb(), return true: release the frags); otherwise the atomic_sub_return() decides
        (skb_data_unref_sub).  A separate step: another clone's free on another CPU (or
        pskb_expand_head()'s release of the old data) may drop its dataref in between."""
        self.skb_ok()
        ctx, sh = s.ctxs[c], s.shinfos[j]
        require((ctx.pc == PC.DATAREF_READ) & (ctx.sh == j) & self.can_run(s, c))
        last = sh.dataref == 1
        ctx.pc = ite(last, PC.READY, PC.DATAREF_SUB)
        with when(last):
            self.leave_rcu_section(ctx)

    @action(c="ctxs", j="shinfos", who="c")
    def skb_data_unref_sub(self, s, c, j):
        """skb_data_unref(): ``atomic_sub_return(bias, &shinfo->dataref)``: non-zero, another
        clone still uses the data: return false (skb_release_data() goes to ``exit``, clearing
        ``pp_recycle``; nothing released); zero, this skb dropped the last reference: release
        the frags.  The model keeps the last user's count in ``dataref`` until skb_free_head()
        clears it (as the atomic_read() fast path leaves it in the kernel): the releasing
        context is the data's one user."""
        self.skb_ok()
        ctx, sh = s.ctxs[c], s.shinfos[j]
        require((ctx.pc == PC.DATAREF_SUB) & (ctx.sh == j) & self.can_run(s, c))
        last = sh.dataref == 1
        ctx.pc = PC.READY
        self.leave_rcu_section(ctx)
        with when(~last):
            sh.dataref = sh.dataref - 1
            ctx.sh = Ref.NONE
            ctx.recycle = False

    @action(c="ctxs", j="shinfos", p="pages", second=bool, who="c")
    def skb_page_unref(self, s, c, j, p, second):
        """skb_release_data() releases one frag: skb_page_unref(netmem, pp_recycle):
        napi_pp_put_page() (the pp path, if the page carries pp_magic) or put_page()."""
        self.skb_ok()
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & (ctx.sh == j) & self.can_run(s, c))
        sh, pg = s.shinfos[j], s.pages[p]
        slot_page = sh.page2 if second else sh.page
        kind = sh.pp_kind2 if second else sh.pp_kind
        require(slot_page == p)
        if second:
            require(sh.page == Ref.NONE)
            sh.page2 = Ref.NONE
            sh.pp_kind2 = False
        else:
            sh.page = Ref.NONE
            sh.pp_kind = False
        pp_path = ctx.recycle & pg.magic
        with when(pp_path != kind):
            s.ghost.kind_mismatch = True
        with when(pp_path):
            self.start_unref(s, c, p, 1, After.PUT)
        with when(~pp_path):
            self.put_page(s, p)

    @action(c="ctxs", j="shinfos", who="c")
    def skb_free_head(self, s, c, j):
        """skb_release_data() has released every frag: skb_free_head().  A head in a page
        (``head_frag``) goes back through skb_pp_recycle() -> napi_pp_put_page() when
        ``skb->pp_recycle`` and the page carries pp_magic (page_pool_put_full_netmem(...,
        false)), else skb_free_frag() -> put_page(); a kmalloc'ed head is kfree'd (not
        modelled).  The shared info lives in the head: it is gone with it (``pp_recycle`` is
        cleared on the way out)."""
        self.skb_ok()
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & (ctx.sh == j) & self.can_run(s, c))
        sh = s.shinfos[j]
        require((sh.page == Ref.NONE) & (sh.page2 == Ref.NONE))
        if _paths(self.cfg, "head"):
            for i, pg in enumerate(s.pages):
                with when(sh.head == i):
                    pp_path = ctx.recycle & pg.magic
                    with when(pp_path != sh.head_pp):
                        s.ghost.kind_mismatch = True
                    with when(pp_path):
                        self.start_unref(s, c, i, 1, After.PUT)
                    with when(~pp_path):
                        self.put_page(s, i)
            sh.head = Ref.NONE
            sh.head_pp = False
        sh.dataref = 0
        ctx.sh = Ref.NONE
        ctx.recycle = False

    # -- stack users holding page references --------------------------------------------------
    @action(p="pages", who="stack")
    def get_page(self, s, p):
        """A stack user that already references the page takes a page reference (get_page(),
        e.g. __skb_frag_ref() for a zero-copy or splice user)."""
        pg = s.pages[p]
        require(pg.page_holders < self.cfg.max_page_refs)
        require((pg.pp_holders > 0) | (pg.page_holders > 0) | (skb_refs(s, p) > 0))
        pg.refcnt = pg.refcnt + 1
        pg.page_holders = pg.page_holders + 1

    @action(p="pages", who="stack")
    def stack_put_page(self, s, p):
        """The stack user drops its page reference with put_page()."""
        pg = s.pages[p]
        require(pg.page_holders > 0)
        pg.page_holders = pg.page_holders - 1
        self.put_page(s, p)

    # -- properties of the skb paths -----------------------------------------------------------
    @always(applies=lambda c: int(c.skbs) > 0)
    def skb_head_exclusive(self, s):
        """A pool page is the head of at most one skb data area, and while it is one it is
        with its users (not in the pool's cache, ring or RX ring), carries pp_magic when the
        head holds a pp reference, and no other skb holds a pp reference on it: an skb built
        around the page (napi_build_skb) owns the page's single pp reference, so the head page
        is recycled once, by the last user of that data (skb_free_head())."""
        conds = []
        for i, p in enumerate(s.pages):
            heads = count((sh.dataref > 0) & (sh.head == i) for sh in s.shinfos)
            pp_heads = count((sh.dataref > 0) & (sh.head == i) & sh.head_pp for sh in s.shinfos)
            pp_frags = count(((sh.page == i) & sh.pp_kind) | ((sh.page2 == i) & sh.pp_kind2)
                             for sh in s.shinfos)
            conds.append(heads <= 1)
            conds.append(implies(pp_heads > 0, (p.loc == Loc.USERS) & p.magic & (pp_frags == 0)
                                 & (p.pp_holders == 0)))
        return all_(conds)

    @sometimes(applies=lambda c: _paths(c, "head") and int(c.skbs) > 0)
    def skb_head_in_pool_page(self, s):
        """An skb is built around a pool page (napi_build_skb, ``head_frag``) and cloned: two
        skbs share the data whose head is the page."""
        return any_((sh.head != Ref.NONE) & sh.head_pp & (sh.dataref > 1) for sh in s.shinfos)

    def releasing(self, s, c: int, j: int):
        """Context ``c`` is in skb_release_data() of shared info ``j`` past skb_data_unref():
        it releases the frags and the head (between them, or inside a frag's or the head's
        put path)."""
        ctx = s.ctxs[c]
        return (ctx.sh == j) & (ctx.pc != PC.DATAREF_READ) & (ctx.pc != PC.DATAREF_SUB)

    @always(applies=lambda c: int(c.skbs) > 0)
    def skb_data_released_by_last_user(self, s):
        """Only the last ``dataref`` user releases a shared info: while a context releases its
        frags and head (skb_data_unref() returned true) no live skb uses the data and no other
        context is releasing it or still dropping its dataref.  The kernel needs it because
        skb_release_data() drops the frags' references without any lock: released while a
        clone still reads them, a frag's page goes back to the pool (or the page allocator)
        under the clone; released by two clones, each reference is dropped twice."""
        conds = []
        for j in range(len(s.shinfos)):
            users = (count(c.sh == j for c in s.ctxs)
                     + count(k.live & (k.sh == j) for k in s.skbs))
            for c in range(len(s.ctxs)):
                conds.append(implies(self.releasing(s, c, j), users == 1))
        return all_(conds)

    @sometimes(applies=lambda c: int(c.skbs) > 0 and int(c.cpus) >= 2)
    def clones_freed_concurrently(self, s):
        """Two clones of one data are freed at once on two CPUs: two contexts inside
        skb_data_unref() on one shared info (the interleaving the dataref atomic is for)."""
        return any_(count((c.sh == j) & ((c.pc == PC.DATAREF_READ) | (c.pc == PC.DATAREF_SUB))
                          for c in s.ctxs) >= 2 for j in range(len(s.shinfos)))

    def bindings(self, s):
        """Every (k, m, j, n) of two skbs and two shared infos (for the witnesses)."""
        ks, js = range(len(s.skbs)), range(len(s.shinfos))
        return [(k, m, j, n) for k in ks for m in ks for j in js for n in js if k != m and j != n]

    def head_free_ok(self, s, c: int, j: int):
        """skb_free_head() of context ``c`` recycles a head page through skb_pp_recycle()."""
        ctx, sh = s.ctxs[c], s.shinfos[j]
        return ((ctx.pc == PC.READY) & (ctx.sh == j) & self.can_run(s, c)
                & (sh.page == Ref.NONE) & (sh.page2 == Ref.NONE) & ctx.recycle
                & any_((sh.head == i) & p.magic for i, p in enumerate(s.pages)))

    # Each witness below is the guard of one branch of a path: a reachable state where it
    # holds is one where the explorer takes that branch next.

    @sometimes(applies=lambda c: _paths(c, "head") and int(c.skbs) > 0)
    def head_page_recycled(self, s):
        """skb_free_head() returns a head page through skb_pp_recycle() -> napi_pp_put_page()."""
        return any_(self.head_free_ok(s, c, j) for c in range(len(s.ctxs))
                    for j in range(len(s.shinfos)))

    @sometimes(applies=lambda c: _paths(c, "head") and int(c.skbs) > 0)
    def head_stolen_by_coalesce(self, s):
        """skb_try_coalesce() steals a pool-page head into ``to``'s frags."""
        return any_(self.coalesce_ok(s, k, m, j, n) & (s.shinfos[n].head != Ref.NONE)
                    for k, m, j, n in self.bindings(s))

    @sometimes(applies=lambda c: int(c.skbs) >= 3 and int(c.pages) >= 2)
    def coalesce_takes_pp_ref(self, s):
        """skb_try_coalesce() from a cloned pp skb has taken a pp reference (skb_pp_frag_ref()
        -> page_pool_ref_netmem()): needs ``to``, ``from`` and ``from``'s clone, two pages."""
        # two skb frags hold pp references on one page (pp_ref_accounting: no frag page,
        # no other pp holder): only skb_pp_frag_ref() takes a second one
        return (s.pool.frag_page == Ref.NONE) & any_(
            p.magic & (p.loc == Loc.USERS) & (p.pp_ref >= 2) & (p.pp_holders == 0) for p in s.pages)

    @sometimes(applies=lambda c: _paths(c, "gro") and _paths(c, "head") and int(c.skbs) > 0)
    def gro_steals_head(self, s):
        """skb_gro_receive() steals a pool-page head (napi_skb_free_stolen_head())."""
        return any_(self.gro_ok(s, c, k, m, j, n) & (s.shinfos[n].head != Ref.NONE)
                    for c in range(len(s.ctxs)) for k, m, j, n in self.bindings(s))

    @sometimes(applies=lambda c: _paths(c, "gro") and int(c.skbs) > 0)
    def gro_moves_frags(self, s):
        """skb_gro_receive() moves a frag to the held packet (NAPI_GRO_FREE)."""
        return any_(self.gro_ok(s, c, k, m, j, n) & (s.shinfos[n].head == Ref.NONE)
                    for c in range(len(s.ctxs)) for k, m, j, n in self.bindings(s))

    @sometimes(applies=lambda c: _paths(c, "nonpool") and int(c.skbs) > 0)
    def nonpool_next_to_pool_skb(self, s):
        """A non-pool RX skb (copybreak, ``pp_recycle`` clear) is live next to a pool one
        while the NAPI polls: GRO must not merge them."""
        return (any_(k.live & k.pp_recycle for k in s.skbs)
                & any_(k.live & ~k.pp_recycle for k in s.skbs)
                & any_(c.in_poll for c in s.ctxs))

    @sometimes(applies=lambda c: _paths(c, "split") and int(c.skbs) > 0)
    def split_of_rx_page(self, s):
        """skb_split() runs on an skb whose frag is a page reference on an RX page (taken by
        pskb_expand_head() of a clone of a pool skb)."""
        return any_(self.split_ok(s, k, m, j, n) for k, m, j, n in self.bindings(s))

    @sometimes(applies=lambda c: _paths(c, "shift") and int(c.skbs) > 0)
    def shift_merges_frag(self, s):
        """skb_shift() merges skb's frag into tgt's last frag of the same page and drops
        skb's reference (__skb_frag_unref())."""
        return any_(self.shift_ok(s, k, m, j, n) & self.shift_merges(s, j, n)
                    for k, m, j, n in self.bindings(s))

    @sometimes(applies=lambda c: _paths(c, "shift") and int(c.skbs) > 0)
    def shift_moves_frag(self, s):
        """skb_shift() moves a frag to tgt (whole or in part)."""
        return any_(self.shift_ok(s, k, m, j, n) & ~self.shift_merges(s, j, n)
                    & (s.shinfos[j].page2 == Ref.NONE) for k, m, j, n in self.bindings(s))

    @sometimes(applies=lambda c: _paths(c, "segment") and int(c.skbs) > 0)
    def segment_refs_pool_page(self, s):
        """skb_segment() segments a pp skb: the segment takes a page reference on a pool page
        the skb holds a pp reference on."""
        return any_(self.segment_ok(s, k, m, j, n) & s.skbs[k].pp_recycle
                    & any_((s.shinfos[j].page == i) & p.magic for i, p in enumerate(s.pages))
                    for k, m, j, n in self.bindings(s))
