"""The skb side of page_pool recycling: ``net/core/skbuff.c`` and ``skbuff_ref.h``.

An skb's paged frags live in ``skb_shared_info``, shared between clones and counted by
``dataref``.  ``skb_release_data()`` drops ``dataref`` for a cloned skb and only the
last holder releases the frags (the *clone rule*); each frag goes back through the pp
path (``napi_pp_put_page()``) when ``skb->pp_recycle`` is set and the page carries
``PP_SIGNATURE``, else through ``put_page()``.  Seed 001 introduced ``pp_recycle``;
``skb_clone()`` copies it, ``pskb_expand_head()`` on a clone takes page references and
clears it, ``skb_try_coalesce()`` refuses to mix.  Follows ``net/core/skbuff.c`` @
e40bffaeaed9, as ``models/mainline/`` does.

Each frag carries a ghost ``pp_kind`` (is the reference it holds a pp reference?), so a
reference dropped through the path of the other kind is reported (``kind_mismatch``).

Left out: the linear head (kmalloc'ed here, never a pool page), frag lists, GRO,
zero-copy ``ubuf_info``, deferred skb free; at most two frags per shinfo (as the model).
The skb paths the model added in issue 9.2 are not implemented here: :data:`SPEC_ONLY` and
:data:`SPEC_ONLY_BRANCHES` name them with the reason, and tests/test_skb_paths.py checks the
lists against the model and against the step labels this package emits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .kernel import PP_SIGNATURE, Kernel, KernelFn, Page, Step
from .page_pool import page_pool_put_page, page_pool_ref_netmem

_LATER = ("not implemented yet (issue 9.2 added it to the model first); the conformance runs "
          "never claim it, so they check the other actions with it left out")

#: mainline actions (models/mainline/skb.py) this implementation never performs, and why
SPEC_ONLY: dict[str, str] = {
    "napi_alloc_skb": "a non-pool copybreak skb: " + _LATER,
    "skb_gro_receive": "GRO merging: " + _LATER,
    "skb_split": "skb_split() on the TCP write queue: " + _LATER,
    "skb_shift": "skb_shift() on the TCP retransmit queue: " + _LATER,
    "skb_segment": "GSO segmentation: " + _LATER,
}

#: branches of shared actions this implementation never takes (its skb heads are kmalloc'ed)
SPEC_ONLY_BRANCHES: dict[str, str] = {
    "napi_build_skb(head=True)": "an skb built around a pool page: " + _LATER,
    "skb_free_head of a head page": "skb_pp_recycle()/skb_free_frag() of a head page: " + _LATER,
    "skb_try_coalesce stealing a head": "kfree_skb_partial(from, true): " + _LATER,
}


@dataclass
class SkbSharedInfo:
    """``struct skb_shared_info``: the frags, ``dataref`` (atomic_t), ghost ref kinds."""

    id: int
    frags: list[Page] = field(default_factory=list)
    pp_kind: list[bool] = field(default_factory=list)  # ghost
    dataref: int = 0

    def frame_key(self) -> tuple:
        return ("shinfo", self.id)


@dataclass
class SkBuff:
    """``struct sk_buff``: the fields the recycling path reads."""

    id: int
    shinfo: SkbSharedInfo
    cloned: bool = False
    pp_recycle: bool = False
    freed: bool = False

    def frame_key(self) -> tuple:
        return ("skb", self.id)


def is_pp_page(page: Page) -> bool:
    """``is_pp_page()``: ``(pp_magic & ~0x3UL) == PP_SIGNATURE``."""
    return (page.pp_magic & ~0x3) == PP_SIGNATURE


def napi_build_skb(skb_id: int, shinfo: SkbSharedInfo, page: Page) -> SkBuff:
    """``napi_build_skb()`` around an RX page, then ``skb_mark_for_recycle()``: the
    page's pp reference now belongs to the skb's shared info."""
    shinfo.frags, shinfo.pp_kind, shinfo.dataref = [page], [True], 1
    skb = SkBuff(skb_id, shinfo)
    skb.pp_recycle = True  # skb_mark_for_recycle()
    return skb


def skb_clone(skb: SkBuff, new_id: int) -> SkBuff:
    """``skb_clone()``: share the data, ``dataref++``, both marked cloned."""
    n = SkBuff(new_id, skb.shinfo, cloned=True, pp_recycle=skb.pp_recycle)
    skb.cloned = True
    skb.shinfo.dataref += 1
    return n


def skb_cloned(skb: SkBuff) -> bool:
    """``skb_cloned()``: cloned and the data really is shared."""
    return skb.cloned and skb.shinfo.dataref != 1


def pskb_expand_head(skb: SkBuff, new: SkbSharedInfo) -> None:
    """``pskb_expand_head()`` on a cloned skb: the new data takes a page reference on
    every frag (``skb_frag_ref()`` -> ``get_page()``), the old data loses this skb's
    ``dataref`` without being released, and ``pp_recycle`` is cleared (commit
    2cc3aeb5eccc): the frags of the new data hold page references."""
    old = skb.shinfo
    for page in old.frags:
        page._refcount += 1  # get_page()
    new.frags, new.pp_kind, new.dataref = list(old.frags), [False] * len(old.frags), 1
    old.dataref -= 1
    skb.shinfo = new
    skb.cloned = False
    skb.pp_recycle = False


def skb_try_coalesce(to: SkBuff, frm: SkBuff) -> bool:
    """``skb_try_coalesce()``: refuse when ``to->pp_recycle != from->pp_recycle``; else
    ``from``'s frag joins ``to``: a new reference when ``from`` is cloned (a pp one via
    ``skb_pp_frag_ref()`` if ``from->pp_recycle`` and a pp page, else ``get_page()``),
    otherwise the reference itself moves."""
    if to.pp_recycle != frm.pp_recycle:
        return False
    sht, shf = to.shinfo, frm.shinfo
    page = shf.frags[0]
    if skb_cloned(frm):
        pp_ref = frm.pp_recycle and is_pp_page(page)
        if pp_ref:
            page_pool_ref_netmem(page)
        else:
            page._refcount += 1
        kind = pp_ref
    else:
        kind = shf.pp_kind[0]
        shf.frags, shf.pp_kind = [], []
    sht.frags.append(page)
    sht.pp_kind.append(kind)
    return True


def napi_pp_put_page(page: Page) -> KernelFn:
    """``napi_pp_put_page()``: put a pp reference through its pool, if a pool page
    (``page_pool_put_full_netmem(pp, netmem, false)``: the pool decides about direct
    recycling itself, with ``page_pool_napi_local()``)."""
    if not is_pp_page(page):
        return False
    yield from page_pool_put_page(page.pp, page, allow_direct=False)
    return True


def skb_page_unref(k: Kernel, page: Page, recycle: bool, kind: bool) -> KernelFn:
    """``skb_page_unref()``: the pp path when ``recycle`` and a pool page, else put_page."""
    if (recycle and is_pp_page(page)) != kind:
        k.warn("kind_mismatch", f"page {page.pfn}: a {'pp' if kind else 'page'} reference "
               "dropped through the other path")
    if recycle and (yield from napi_pp_put_page(page)):
        return
    k.put_page(page)


def skb_data_unref(skb: SkBuff, no_clone_rule: bool = False) -> KernelFn:
    """``skb_data_unref()``: true when this skb drops the last ``dataref``: it was never
    cloned, or ``atomic_read(&shinfo->dataref) == 1``, or ``atomic_sub_return()`` reached 0.
    The read and the sub are steps of their own (another clone's free may come between)."""
    if not skb.cloned:
        return True
    shinfo = skb.shinfo
    yield Step.of("skb_data_unref_read", j=shinfo.id)
    if shinfo.dataref == 1:  # atomic_read() == bias; smp_rmb()
        return True
    yield Step.of("skb_data_unref_sub", j=shinfo.id)
    shinfo.dataref -= 1  # atomic_sub_return()
    return shinfo.dataref == 0 or no_clone_rule


def skb_release_data(k: Kernel, skb: SkBuff, no_clone_rule: bool = False) -> KernelFn:
    """``skb_release_data()``: the last ``dataref`` holder releases every frag."""
    shinfo = skb.shinfo
    recycle = skb.pp_recycle
    if not (yield from skb_data_unref(skb, no_clone_rule)):
        return
    released = 0
    for i in range(len(shinfo.frags)):
        yield Step.of("skb_page_unref", page=shinfo.frags[i].pfn, second=i == 1)
        released = i + 1
        yield from skb_page_unref(k, shinfo.frags[i], recycle, shinfo.pp_kind[i])
    yield Step.of("skb_free_head")
    released = len(shinfo.frags)
    shinfo.frags, shinfo.pp_kind, shinfo.dataref = [], [], 0  # the data is freed
    del released


def kfree_skb(k: Kernel, skb: SkBuff, no_clone_rule: bool = False) -> KernelFn:
    """``kfree_skb()``/``consume_skb()`` -> ``skb_release_all()`` -> ``skb_release_data()``."""
    yield Step.of("kfree_skb", skb=skb.id)
    if skb.freed:
        k.warn("skb_double_free", f"double free of skb {skb.id}")
    skb.freed = True
    yield from skb_release_data(k, skb, no_clone_rule)
