"""The skb side of page_pool recycling: ``net/core/skbuff.c`` and ``skbuff_ref.h``.

An skb's paged frags live in ``skb_shared_info``, shared between clones and counted
by ``dataref``.  ``skb_release_data()`` drops ``dataref`` for a cloned skb and only
the last holder releases the frags (the *clone rule*); each frag goes back through
the pp path (``napi_pp_put_page()``) when ``skb->pp_recycle`` is set and the page
carries ``PP_SIGNATURE``, else through ``put_page()``.  Seed 001 introduced
``pp_recycle``; the clone copies it, ``pskb_expand_head()`` on a clone takes page
references and clears it (the frags then hold refcount references, not pp ones).

Left out: the linear head (kmalloc'ed here, never a pool page), frag lists, GRO,
zero-copy ``ubuf_info``, deferred skb free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .kernel import PP_SIGNATURE, Kernel, KernelFn, Page, Step
from .page_pool import PagePool, page_pool_put_page, page_pool_ref_page


@dataclass
class SkbSharedInfo:
    """``struct skb_shared_info``: the frags and ``dataref`` (atomic_t)."""

    frags: list[Page] = field(default_factory=list)
    dataref: int = 1


@dataclass
class SkBuff:
    """``struct sk_buff``: the fields the recycling path reads."""

    id: int
    shinfo: SkbSharedInfo
    cloned: bool = False
    pp_recycle: bool = False
    freed: bool = False


def skb_mark_for_recycle(skb: SkBuff) -> None:
    """``skb_mark_for_recycle()``."""
    skb.pp_recycle = True


def skb_add_rx_frag(skb: SkBuff, page: Page) -> None:
    """``skb_add_rx_frag()``: the driver hands its pp reference over to the skb."""
    skb.shinfo.frags.append(page)


def skb_clone(skb: SkBuff, new_id: int) -> SkBuff:
    """``skb_clone()``: share the data, ``dataref++``, both marked cloned."""
    n = SkBuff(new_id, skb.shinfo, cloned=True, pp_recycle=skb.pp_recycle)
    skb.cloned = True
    skb.shinfo.dataref += 1
    return n


def is_pp_page(page: Page) -> bool:
    """``is_pp_page()``: ``(pp_magic & ~0x3UL) == PP_SIGNATURE``."""
    return (page.pp_magic & ~0x3) == PP_SIGNATURE


def napi_pp_put_page(pool_of: dict[int, PagePool], page: Page) -> KernelFn:
    """``napi_pp_put_page()``: put a pp reference through the pool, if it is a pool page.

    ``page_pool_put_full_netmem(pp, netmem, false)``: never direct here; the pool
    decides itself with ``page_pool_napi_local()``.
    """
    if not is_pp_page(page):
        return False
    pool = page.pp
    assert pool is not None and pool in pool_of.values()
    yield from page_pool_put_page(pool, page, allow_direct=False)
    return True


def skb_page_unref(k: Kernel, pool_of: dict[int, PagePool], page: Page, recycle: bool) -> KernelFn:
    """``skb_page_unref()``: the pp path when ``recycle`` and a pool page, else put_page."""
    if recycle and (yield from napi_pp_put_page(pool_of, page)):
        return
    k.put_page(page)
    yield Step.of("skb_put_page", page=page.pfn)


def skb_data_unref(skb: SkBuff, no_clone_rule: bool = False) -> KernelFn:
    """``skb_data_unref()``: true when this skb drops the last ``dataref``."""
    if not skb.cloned:
        return True
    skb.shinfo.dataref -= 1  # atomic_sub_return()
    last = skb.shinfo.dataref == 0
    yield Step.of("skb_dataref_dec", skb=skb.id, last=last)
    return last or no_clone_rule


def skb_release_data(k: Kernel, pool_of: dict[int, PagePool], skb: SkBuff,
                     no_clone_rule: bool = False) -> KernelFn:
    """``skb_release_data()``: the last ``dataref`` holder releases every frag."""
    if not (yield from skb_data_unref(skb, no_clone_rule)):
        return
    for page in list(skb.shinfo.frags):
        yield from skb_page_unref(k, pool_of, page, skb.pp_recycle)


def kfree_skb(k: Kernel, pool_of: dict[int, PagePool], skb: SkBuff,
              no_clone_rule: bool = False) -> KernelFn:
    """``kfree_skb()``/``consume_skb()`` -> ``skb_release_all()`` -> ``skb_release_data()``."""
    if skb.freed:
        k.warn(f"double free of skb {skb.id}")
    skb.freed = True
    yield from skb_release_data(k, pool_of, skb, no_clone_rule)


def skb_frag_ref(skb: SkBuff, i: int) -> None:
    """``skb_frag_ref()`` -> ``skb_page_ref()``: a pp reference for a pp_recycle skb."""
    page = skb.shinfo.frags[i]
    if skb.pp_recycle and is_pp_page(page):
        page_pool_ref_page(page)
    else:
        page._refcount += 1  # get_page()
