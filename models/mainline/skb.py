"""The skb path (skb_release_data(), clones, pskb_expand_head(), skb_try_coalesce()) and
stack page references."""

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
    ite,
    require,
    when,
)
from ppcheck.spec.expr import const

from .base import MainlineBase


class SkbActions(MainlineBase):
    """The skb path (skb_release_data(), clones, pskb_expand_head(), skb_try_coalesce()) and
stack page references."""

    # -- the skb path -------------------------------------------------------------------------
    @action(c="ctxs", p="pages", k="skbs", j="shinfos", who="c")
    def napi_build_skb(self, s, c, p, k, j):
        """The poll builds an skb for a received RX page: the page holds the payload as the skb's
        page frag (napi_alloc_skb() + skb_add_rx_frag(), or napi_build_skb() with the payload in
        a frag; the small head is slab memory and not modelled) and skb_mark_for_recycle() sets
        ``pp_recycle``.  The page's pp reference moves to the shared info (``dataref = 1``)."""
        self.skb_ok()
        self.in_napi_poll(s, c)
        pg, skb, sh = s.pages[p], s.skbs[k], s.shinfos[j]
        require((pg.loc == Loc.RX) & ~skb.live & (sh.dataref == 0) & (sh.page == Ref.NONE)
                & (sh.page2 == Ref.NONE) & all_(c2.sh != j for c2 in s.ctxs))
        pg.loc = Loc.USERS
        skb.live = True
        skb.sh = j
        skb.pp_recycle = True
        skb.cloned = False
        sh.dataref = 1
        sh.page = p
        sh.pp_kind = True

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
        the new shared info takes a *page* reference on every frag (skb_frag_ref -> get_page),
        then skb_release_data() drops the old data without being its last user, which clears
        ``pp_recycle`` (commit 2cc3aeb5eccc): the expanded skb's frags are page references."""
        self.skb_ok()
        require(const(j != n))
        skb, old, new = s.skbs[k], s.shinfos[j], s.shinfos[n]
        require(skb.live & skb.cloned & (skb.sh == j) & (old.dataref > 1) & (new.dataref == 0)
                & (new.page == Ref.NONE) & (new.page2 == Ref.NONE)
                & all_(c2.sh != n for c2 in s.ctxs))
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

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", who="stack")
    def skb_try_coalesce(self, s, k, m, j, n):
        """skb_try_coalesce(to=k, from=m): refuses when ``to->pp_recycle != from->pp_recycle``;
        otherwise ``from``'s frag joins ``to``.  If ``from`` is cloned its frag gets a new
        reference, a pp one when ``from->pp_recycle`` and the page is a pp page
        (skb_pp_frag_ref), else a page one; if not, the reference itself moves."""
        self.skb_ok()
        require(const(k != m and j != n))
        to, frm, sht, shf = s.skbs[k], s.skbs[m], s.shinfos[j], s.shinfos[n]
        require(to.live & frm.live & (to.sh == j) & (frm.sh == n))
        require(to.pp_recycle == frm.pp_recycle)
        require((sht.page2 == Ref.NONE) & (shf.page != Ref.NONE) & (shf.page2 == Ref.NONE))
        require(~to.cloned | (sht.dataref == 1))  # skb_cloned(to): the caller unclones first
        shared = frm.cloned & (shf.dataref > 1)
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

    @action(c="ctxs", k="skbs", j="shinfos", who="c")
    def kfree_skb(self, s, c, k, j):
        """kfree_skb()/consume_skb() -> skb_release_data(): skb_data_unref() (a cloned skb that
        is not the last ``dataref`` holder only drops its dataref), otherwise release every frag
        with ``skb->pp_recycle`` deciding the path (skb_page_unref)."""
        self.skb_ok()
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI, Role.USER)))
        require((ctx.pc == PC.READY) & (ctx.sh == Ref.NONE) & self.can_run(s, c))
        skb, sh = s.skbs[k], s.shinfos[j]
        require(skb.live & (skb.sh == j))
        last = ~skb.cloned | (sh.dataref == 1)
        recycle = skb.pp_recycle
        skb.live = False
        skb.sh = Ref.NONE
        skb.cloned = False
        skb.pp_recycle = False
        with when(~last):
            sh.dataref = sh.dataref - 1
        with when(last):
            ctx.sh = j
            ctx.recycle = recycle

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
        """skb_release_data() has released every frag: the shared info is free
        (``pp_recycle`` is cleared on the way out)."""
        self.skb_ok()
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & (ctx.sh == j) & self.can_run(s, c))
        sh = s.shinfos[j]
        require((sh.page == Ref.NONE) & (sh.page2 == Ref.NONE))
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
