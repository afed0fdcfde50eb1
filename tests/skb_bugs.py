"""Seeded bugs of the skb paths (models/mainline/skb.py): each variant overrides one kernel
function of :class:`~ppcheck.models.mainline.Mainline` the way a wrong patch would, and
``SKB_BUGS`` names the property it breaks, the default configuration it is caught in, and the
last action of the shortest counterexample (whose length ``ppcheck manifest --update`` records
in manifest.json, section ``bugs``; this file is one of checks/manifest.py's BUG_FILES)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ppcheck.models.mainline import Mainline
from ppcheck.models.pagepool import PC, Role
from ppcheck.spec import Ref, action, require, when
from ppcheck.spec.expr import const

FALSE = const(False)


@dataclass(frozen=True)
class Bug:
    """A seeded bug: the variant, the property it breaks, the configuration and the last
    action of the shortest counterexample (the fields of tests/seeded_bugs.py's Bug; this file
    is loaded on its own by checks/manifest.py, so it does not import that one)."""

    model: type[Mainline]
    prop: str
    config: str
    last: str
    overrides: dict[str, Any] | None = None


class StolenHeadFreedAgain(Mainline):
    """The caller of skb_try_coalesce() ignores ``*fragstolen`` and frees ``from`` with
    kfree_skb() instead of kfree_skb_partial(from, true): the head page is ``to``'s frag and
    still ``from``'s head, one pp reference for both, so it is recycled twice."""

    name = "bug_stolen_head_freed_again"
    default = False

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", who="stack")
    def skb_try_coalesce(self, s, k, m, j, n):
        self.skb_ok()
        require(const(k != m and j != n))
        require(self.coalesce_ok(s, k, m, j, n) & (s.shinfos[n].head != Ref.NONE))
        sht, shf = s.shinfos[j], s.shinfos[n]
        sht.page2 = shf.head
        sht.pp_kind2 = shf.head_pp  # ... and ``from`` keeps its data for kfree_skb()


class HeadFreedByPutPage(Mainline):
    """skb_free_head() without skb_pp_recycle(): a head in a pool page always goes to
    skb_free_frag() -> put_page(), dropping its pp reference through the page path (what a
    driver-side build_skb() without skb_mark_for_recycle() would need, applied to all)."""

    name = "bug_head_freed_by_put_page"
    default = False

    @action(c="ctxs", j="shinfos", who="c")
    def skb_free_head(self, s, c, j):
        self.skb_ok()
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & (ctx.sh == j) & self.can_run(s, c))
        sh = s.shinfos[j]
        require((sh.page == Ref.NONE) & (sh.page2 == Ref.NONE))
        for i, _pg in enumerate(s.pages):
            with when(sh.head == i):
                with when(sh.head_pp):
                    s.ghost.kind_mismatch = True
                self.put_page(s, i)
        sh.head = Ref.NONE
        sh.head_pp = False
        sh.dataref = 0
        ctx.sh = Ref.NONE
        ctx.recycle = False


class GroMixesKinds(Mainline):
    """skb_gro_receive() without the ``p->pp_recycle != skb->pp_recycle`` refusal (added with
    the pp recycling of GRO'd skbs): a non-pool packet takes a pool skb's frag, and its
    release puts a pp reference with put_page()."""

    name = "bug_gro_mixes_kinds"
    default = False

    def gro_ok(self, s, c, k, m, j, n):
        if k == m or j == n:
            return FALSE
        p, skb, shp, shs = s.skbs[k], s.skbs[m], s.shinfos[j], s.shinfos[n]
        stolen = shs.head != Ref.NONE
        return (self.napi_polling(s, c)
                & p.live & skb.live & (p.sh == j) & (skb.sh == n) & ~p.cloned & ~skb.cloned
                & (shp.page2 == Ref.NONE) & ~stolen
                & (shs.page != Ref.NONE) & (shs.page2 == Ref.NONE))


class CoalesceNoPpRef(Mainline):
    """skb_try_coalesce() from a cloned pp skb copies the frag without skb_pp_frag_ref(): two
    skbs' frags now share one pp reference (the bug class of commit 2cc3aeb5eccc's
    neighbourhood: a reference taken of the wrong kind, or not at all)."""

    name = "bug_coalesce_no_pp_ref"
    default = False

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", who="stack")
    def skb_try_coalesce(self, s, k, m, j, n):
        self.skb_ok()
        require(const(k != m and j != n))
        require(self.coalesce_ok(s, k, m, j, n))
        require(s.shinfos[n].head == Ref.NONE)
        frm, sht, shf = s.skbs[m], s.shinfos[j], s.shinfos[n]
        shared = frm.cloned & (shf.dataref > 1)
        sht.page2 = shf.page
        sht.pp_kind2 = shf.pp_kind
        with when(~shared):
            shf.page = Ref.NONE
            shf.pp_kind = False


class FragRefWithoutGetPage(Mainline):
    """__skb_frag_ref() without its get_page() (skb_split(), skb_shift() and skb_segment()
    share it): two skbs point at the page with one page reference between them, and the
    second put_page() frees a free page."""

    name = "bug_frag_ref_without_get_page"
    default = False

    def frag_ref(self, s, page):
        return None


class SegmentKeepsRecycle(Mainline):
    """skb_segment() marks its segments ``pp_recycle`` like head_skb although their frags took
    page references (__skb_frag_ref() -> get_page()): a segment's release drops a page
    reference through napi_pp_put_page()."""

    name = "bug_segment_keeps_recycle"
    default = False

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", who="stack")
    def skb_segment(self, s, k, m, j, n):
        self.skb_ok()
        self.path_on("segment")
        require(const(k != m and j != n))
        require(self.segment_ok(s, k, m, j, n))
        sh, seg = s.shinfos[j], s.shinfos[n]
        self.new_skb(s, m, n, s.skbs[k].pp_recycle)
        self.frag_ref(s, sh.page)
        self.frag_ref(s, sh.page2)
        seg.page = sh.page
        seg.pp_kind = False
        seg.page2 = sh.page2
        seg.pp_kind2 = False


class ShiftMergeKeepsRef(Mainline):
    """skb_shift() merges a frag into tgt's last frag of the same page but skips
    __skb_frag_unref(): skb's page reference is lost (the page is never freed)."""

    name = "bug_shift_merge_keeps_ref"
    default = False

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", split=bool, who="stack")
    def skb_shift(self, s, k, m, j, n, split):
        self.skb_ok()
        self.path_on("shift")
        require(const(k != m and j != n and not split))
        require(self.shift_ok(s, k, m, j, n) & self.shift_merges(s, j, n))
        shs = s.shinfos[n]
        shs.page = Ref.NONE
        shs.pp_kind = False


#: (variant, property it breaks, default configuration, last action of the shortest trace)
class DatarefDecThenRead(Mainline):
    """skb_data_unref() as ``atomic_dec(&dataref); if (atomic_read(&dataref)) return false``:
    two atomics where the kernel has one atomic_sub_return().  Two clones freed at once both
    decrement before either reads, both read 0, and both release the data."""

    name = "bug_dataref_dec_then_read"
    default = False

    @action(c="ctxs", j="shinfos", who="c")
    def skb_data_unref_read(self, s, c, j):
        ctx, sh = s.ctxs[c], s.shinfos[j]
        require((ctx.pc == PC.DATAREF_READ) & (ctx.sh == j) & self.can_run(s, c))
        sh.dataref = sh.dataref - 1  # atomic_dec()
        ctx.pc = PC.DATAREF_SUB

    @action(c="ctxs", j="shinfos", who="c")
    def skb_data_unref_sub(self, s, c, j):
        ctx, sh = s.ctxs[c], s.shinfos[j]
        require((ctx.pc == PC.DATAREF_SUB) & (ctx.sh == j) & self.can_run(s, c))
        last = sh.dataref == 0  # atomic_read()
        ctx.pc = PC.READY
        self.leave_rcu_section(ctx)
        with when(last):
            sh.dataref = 1  # the model's count of the releasing context (skb.py)
        with when(~last):
            ctx.sh = Ref.NONE
            ctx.recycle = False


class KfreeSkbInsideRelease(Mainline):
    """kfree_skb() that does not wait for the context's own skb_release_data() to end: a
    driver frees a second skb from a destructor it runs inside the release of the first one's
    frags, and the context starts the second free while the first's shared info is still
    its (``ctx.sh``).  The first release's count is lost: the data it still holds looks
    unheld."""

    name = "bug_kfree_skb_inside_release"
    default = False

    @action(c="ctxs", k="skbs", j="shinfos", who="c")
    def kfree_skb(self, s, c, k, j):
        self.skb_ok()
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI, Role.USER)))
        require((ctx.pc == PC.READY) & self.can_run(s, c))  # the bug: no ctx.sh == NONE
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


SKB_BUGS: list[Bug] = [
    Bug(StolenHeadFreedAgain, "skb_head_exclusive", "skbhead", "skb_try_coalesce"),
    Bug(HeadFreedByPutPage, "ref_kinds_match", "skbhead", "skb_free_head"),
    Bug(GroMixesKinds, "ref_kinds_match", "skbhead", "skb_page_unref"),
    Bug(CoalesceNoPpRef, "pp_ref_accounting", "coalesce", "skb_try_coalesce"),
    Bug(FragRefWithoutGetPage, "no_double_free", "skb", "skb_page_unref"),
    Bug(SegmentKeepsRecycle, "ref_kinds_match", "skb", "skb_page_unref"),
    Bug(ShiftMergeKeepsRef, "lemma_refcnt_accounting", "skb", "skb_shift"),
    Bug(DatarefDecThenRead, "skb_data_released_by_last_user", "skb", "skb_data_unref_sub"),
    Bug(KfreeSkbInsideRelease, "skb_data_held", "skb", "kfree_skb"),
]

MANIFEST_BUGS = SKB_BUGS
