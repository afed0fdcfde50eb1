"""``net/core/page_pool.c`` and ``include/net/page_pool/helpers.h`` as Python generators.

Read it next to the kernel (v6.12 and later; the function bodies follow
``net/core/page_pool.c`` @ 039f248a6cc1): the same function names, the same control
flow, the same data structures (``alloc.cache[]`` with ``alloc.count``, a ``ptr_ring``
with ``producer_lock``, the atomic ``pages_state_release_cnt``).  The ``netmem`` layer
(seed 002) is a type-level refactor and is not repeated: a netmem here is a page.

Every ``yield Step(...)`` ends one atomic step: the code since the previous yield ran
without interleaving and the step's name is the spec action it claims to be.  The
step names are those of ``models/mainline.py`` (see :mod:`ppcheck.impl.abstraction`).

Left out: per-CPU stats (no behaviour), memory providers/net_iov, NUMA node checks
(one node), high-order pages, the XDP bulk API, ``page_pool_update_nid()``.
"""

from __future__ import annotations

from typing import Any

from .kernel import NO_CPU, PP_SIGNATURE, Kernel, KernelFn, Page, PtrRing, Step
from .switches import MAINLINE, Switches


class Napi:
    """``struct napi_struct``: the CPU it is scheduled on (``list_owner``), or none."""

    def __init__(self) -> None:
        self.list_owner = NO_CPU


class PagePool:
    """``struct page_pool`` (include/net/page_pool/types.h) with the fields we run on."""

    def __init__(self, k: Kernel, *, cache_size: int, ring_size: int, refill: int, bias_max: int,
                 cpuid: int = NO_CPU, napi: Napi | None = None, dma_map: bool = True,
                 dma_sync: bool = True, sw: Switches = MAINLINE):
        self.k, self.sw = k, sw
        # the alloc side: "require driver to protect allocation side"
        self.alloc_cache: list[Page | None] = [None] * cache_size  # alloc.cache[]
        self.alloc_count = 0  # alloc.count
        self.PP_ALLOC_CACHE_SIZE = cache_size
        self.PP_ALLOC_CACHE_REFILL = refill
        self.BIAS_MAX = bias_max
        # the free side: "free's can happen on remote CPUs"
        self.ring = PtrRing(k, ring_size)
        self.pages_state_hold_cnt = 0  # u32, written by the allocation side only
        self.pages_state_release_cnt = 0  # atomic_t
        self.cpuid = cpuid
        self.napi = napi  # pool->p.napi
        self.dma_map, self.dma_sync = dma_map, dma_sync
        self.dma_mapped: set[int] = set()  # pool->dma_mapped xarray (pfns)
        self.destroy_cnt = 0
        self.user_cnt = 1
        self.frag_page: Page | None = None
        self.frag_offset = 0
        self.frag_users = 0
        self.freed = False  # kfree(pool) has run

    def touch(self, what: str) -> None:
        """Every access to pool memory goes through here: after kfree() it is a UAF."""
        if self.freed:
            self.k.warn(f"use-after-free: {what} touches the pool after __page_pool_destroy()")

    def snapshot(self) -> tuple:
        return (tuple(p.pfn if p else -1 for p in self.alloc_cache), self.alloc_count,
                self.ring.snapshot(), self.pages_state_hold_cnt, self.pages_state_release_cnt,
                self.cpuid, self.napi is not None, self.napi.list_owner if self.napi else None,
                tuple(sorted(self.dma_mapped)), self.dma_sync, self.destroy_cnt, self.user_cnt,
                self.frag_page.pfn if self.frag_page else -1, self.frag_offset, self.frag_users,
                self.freed)


# ---------------------------------------------------------------------------------------
# helpers.h: pp_ref_count
# ---------------------------------------------------------------------------------------

def page_pool_fragment_netmem(page: Page, nr: int) -> None:
    """``page_pool_fragment_netmem()``: atomic_long_set(pp_ref_count, nr)."""
    page.pp_ref_count = nr


def page_pool_unref_netmem(pool: PagePool, page: Page, nr: int, drain: bool = False) -> KernelFn:
    """``page_pool_unref_netmem()``: drop ``nr`` pp references, return what is left.

    The read and the ``atomic_long_sub_return()`` are separate steps: concurrent
    users interleave there.  "If nr == pp_ref_count then we have cleared all remaining
    references to the page" -- the fast path returns 0 *without writing*, except when
    draining (non-constant ``nr``), which resets the count to 1.
    """
    k = pool.k
    if pool.sw.bug("unref_sub_before_read"):
        ret = page.pp_ref_count - nr
        page.pp_ref_count = ret
        yield Step.of("unref_sub", page=page.pfn)
        if ret == 0:
            page.pp_ref_count = 1
        return ret
    val = page.pp_ref_count  # atomic_long_read()
    if val == nr:
        if drain:
            page.pp_ref_count = 1
        yield Step.of("unref_read_last", page=page.pfn)
        return 0
    yield Step.of("unref_read", page=page.pfn)
    if pool.sw.bug("unref_nonatomic"):
        old = page.pp_ref_count  # a plain load ...
        yield Step.of("unref_sub", page=page.pfn)
        ret = old - nr
        page.pp_ref_count = ret  # ... and a plain store
    else:
        ret = page.pp_ref_count - nr  # atomic_long_sub_return()
        page.pp_ref_count = ret
    if ret < 0:
        k.warn(f"WARN_ON(ret < 0): pp_ref_count of page {page.pfn} went negative")
    if ret == 0:
        page.pp_ref_count = 1  # "reset pp_ref_count back to 1"
    yield Step.of("unref_sub", page=page.pfn)
    return ret


def page_pool_unref_and_test(pool: PagePool, page: Page) -> KernelFn:
    """``page_pool_unref_and_test()``: did we drop the last pp reference?"""
    return (yield from page_pool_unref_netmem(pool, page, 1)) == 0


# ---------------------------------------------------------------------------------------
# the allocation side
# ---------------------------------------------------------------------------------------

def page_pool_refill_alloc_cache(pool: PagePool) -> KernelFn:
    """``page_pool_refill_alloc_cache()``: move up to PP_ALLOC_CACHE_REFILL pages
    from the ring into the cache, one ``__ptr_ring_consume()`` per step."""
    pool.touch("refill")
    r = pool.ring
    if r.empty():  # "Quicker fallback, avoid locks when ring is empty"
        yield Step.of("refill_empty")
        return None
    netmem: Page | None = None
    while True:
        netmem = r.consume()
        if netmem is None:
            break
        pool.alloc_cache[pool.alloc_count] = netmem
        pool.alloc_count += 1
        if pool.alloc_count >= pool.PP_ALLOC_CACHE_REFILL or r.empty():
            break
        yield Step.of("refill_consume", page=netmem.pfn)
    # Return last page
    netmem = None
    if pool.alloc_count > 0:
        pool.alloc_count -= 1
        netmem = pool.alloc_cache[pool.alloc_count]
        pool.alloc_cache[pool.alloc_count] = None
    yield Step.of("refill_consume", page=netmem.pfn if netmem else None)
    return netmem


def __page_pool_get_cached(pool: PagePool) -> KernelFn:
    """``__page_pool_get_cached()``: "Caller MUST guarantee safe non-concurrent access"."""
    pool.touch("alloc fast path")
    if pool.alloc_count:
        pool.alloc_count -= 1
        netmem = pool.alloc_cache[pool.alloc_count]
        pool.alloc_cache[pool.alloc_count] = None
        yield Step.of("alloc_fast", page=netmem.pfn)
        return netmem
    return (yield from page_pool_refill_alloc_cache(pool))


def page_pool_set_pp_info(pool: PagePool, page: Page) -> None:
    """``page_pool_set_pp_info()``: pp, PP_SIGNATURE, and pp_ref_count = 1 (v6.7+)."""
    page.pp = pool
    page.pp_magic |= PP_SIGNATURE
    page_pool_fragment_netmem(page, 1)


def page_pool_clear_pp_info(page: Page) -> None:
    """``page_pool_clear_pp_info()``."""
    page.pp_magic = 0
    page.pp = None


def __page_pool_alloc_pages_slow(pool: PagePool) -> KernelFn:
    """``__page_pool_alloc_netmems_slow()``: one page from the buddy allocator, DMA
    mapped, ``page_pool_set_pp_info()``, ``pages_state_hold_cnt++`` (bulk of 1).

    The page is private to this context until returned, so the whole slow path is
    one step; allocation failure (the injectable ``alloc_pages`` NULL) is another.
    """
    k = pool.k
    pool.touch("alloc slow path")
    page = k.alloc_pages()
    if page is None:
        yield Step.of("alloc_fail")
        return None
    if pool.dma_map:
        page.dma_addr = k.device.dma_map_page(page)
        pool.dma_mapped.add(page.pfn)
    page_pool_set_pp_info(pool, page)
    pool.pages_state_hold_cnt += 1  # "Track how many pages are held 'in-flight'"
    yield Step.of("alloc_slow", page=page.pfn)
    return page


def page_pool_alloc_pages(pool: PagePool) -> KernelFn:
    """``page_pool_alloc_pages()``: fast path from the cache, else the slow path."""
    netmem = yield from __page_pool_get_cached(pool)
    if netmem is not None:
        return netmem
    return (yield from __page_pool_alloc_pages_slow(pool))


# ---------------------------------------------------------------------------------------
# the free side
# ---------------------------------------------------------------------------------------

def __page_pool_release_page_dma(pool: PagePool, page: Page) -> None:
    """``__page_pool_release_netmem_dma()``: unmap if still tracked in dma_mapped."""
    if not pool.dma_map:
        return
    if page.pfn in pool.dma_mapped:  # xa_cmpxchg(): only one of scrub/return unmaps
        pool.dma_mapped.discard(page.pfn)
        pool.k.device.dma_unmap_page(page)
    page.dma_addr = 0


def page_pool_return_page(pool: PagePool, page: Page) -> KernelFn:
    """``page_pool_return_netmem()``: disconnect a page from the pool.

    DMA unmap, then ``atomic_inc_return(&pages_state_release_cnt)`` -- "This may be
    the last page returned, releasing the pool, so it is not safe to reference pool
    afterwards" -- then ``page_pool_clear_pp_info()`` and ``put_page()``.
    """
    k = pool.k
    if pool.sw.bug("release_cnt_before_unmap"):
        pool.touch("release_cnt")
        pool.pages_state_release_cnt += 1
        yield Step.of("return_release_cnt", page=page.pfn)
        pool.touch("dma unmap")
        __page_pool_release_page_dma(pool, page)
        yield Step.of("return_unmap", page=page.pfn)
    else:
        pool.touch("dma unmap")
        __page_pool_release_page_dma(pool, page)
        yield Step.of("return_unmap", page=page.pfn)
        if not pool.sw.bug("skip_release_cnt"):
            pool.touch("release_cnt")
            pool.pages_state_release_cnt += 1
        yield Step.of("return_release_cnt", page=page.pfn)
    if not pool.sw.bug("return_skips_clear_pp_info"):
        page_pool_clear_pp_info(page)
    k.put_page(page)
    yield Step.of("return_put_page", page=page.pfn)


def page_pool_recycle_in_ring(pool: PagePool, page: Page) -> KernelFn:
    """``page_pool_recycle_in_ring()``: producer lock, ``__ptr_ring_produce()``, unlock."""
    r = pool.ring
    locked = not pool.sw.bug("no_producer_lock")
    if locked:
        yield from r.producer_lock.lock(Step.of("ring_lock", page=page.pfn))
    pool.touch("ptr_ring produce")
    ret = r.produce(page) == 0
    yield Step.of("ring_produce" if ret else "ring_full", page=page.pfn)
    if locked:
        yield from r.producer_lock.unlock(Step.of("ring_unlock", page=page.pfn))
    return ret


def page_pool_recycle_in_cache(page: Page, pool: PagePool) -> KernelFn:
    """``page_pool_recycle_in_cache()``: "Caller MUST have verified/know
    (page_ref_count(page) == 1)"; false when the cache is full."""
    pool.touch("alloc cache")
    if pool.alloc_count == pool.PP_ALLOC_CACHE_SIZE and not pool.sw.bug("cache_ignores_full"):
        yield Step.of("cache_full", page=page.pfn)
        return False
    if pool.alloc_count < len(pool.alloc_cache):
        pool.alloc_cache[pool.alloc_count] = page
    else:  # the mutant writes past the array: the page is lost
        pool.k.warn("alloc.cache overflow")
    pool.alloc_count += 1
    yield Step.of("recycle_in_cache", page=page.pfn)
    return True


def __page_pool_page_can_be_recycled(pool: PagePool, page: Page) -> bool:
    """``__page_pool_page_can_be_recycled()``: refcount 1 (no pfmemalloc pages here)."""
    if pool.sw.bug("no_refcnt_check"):
        return True
    return page._refcount == 1


def page_pool_dma_sync_for_device(pool: PagePool, page: Page) -> None:
    """``page_pool_dma_sync_for_device()``: sync if ``pool->dma_sync`` (re-checked
    under RCU against ``page_pool_scrub()``, which clears it)."""
    if pool.dma_sync:
        pool.k.device.dma_sync_for_device(page)


def __page_pool_put_page(pool: PagePool, page: Page, allow_direct: bool) -> KernelFn:
    """``__page_pool_put_page()``: "refcnt == 1 means page_pool owns page, and can
    recycle it"; otherwise the page leaves the pool (``released_refcnt``)."""
    if __page_pool_page_can_be_recycled(pool, page):
        page_pool_dma_sync_for_device(pool, page)
        yield Step.of("put_recyclable", page=page.pfn)
        if allow_direct and (yield from page_pool_recycle_in_cache(page, pool)):
            return None
        return page  # "Page found as candidate for recycling"
    yield Step.of("put_released_refcnt", page=page.pfn)
    yield from page_pool_return_page(pool, page)
    return None


def page_pool_napi_local(pool: PagePool) -> KernelFn:
    """``page_pool_napi_local()``: may this context use the lockless alloc cache?

    Never on PREEMPT_RT ("the softirq can be preempted by the consumer"), never
    outside softirq; yes if ``pool->cpuid`` is this CPU or the pool's NAPI is
    scheduled here (``list_owner``, seed 004).
    """
    k = pool.k
    if k.preempt_rt or pool.sw.preempt_rt or not k.in_softirq():
        return False
    cpuid = k.smp_processor_id()
    napi = pool.napi
    local = pool.cpuid == cpuid or (
        pool.sw.napi_local_list_owner and napi is not None and napi.list_owner == cpuid)
    yield Step.of("napi_local", local=local)
    return local


def page_pool_put_unrefed_page(pool: PagePool, page: Page, allow_direct: bool) -> KernelFn:
    """``page_pool_put_unrefed_netmem()``: cache, else ring, else give it back."""
    if not allow_direct:
        allow_direct = yield from page_pool_napi_local(pool)
    netmem = yield from __page_pool_put_page(pool, page, allow_direct)
    if netmem is not None and not (yield from page_pool_recycle_in_ring(pool, netmem)):
        # "Cache full, fallback to free pages"
        yield from page_pool_return_page(pool, netmem)


def page_pool_put_page(pool: PagePool, page: Page, allow_direct: bool) -> KernelFn:
    """``page_pool_put_page()``/``page_pool_put_full_page()`` (helpers.h)."""
    if not (yield from page_pool_unref_and_test(pool, page)):
        return
    yield from page_pool_put_unrefed_page(pool, page, allow_direct)


def page_pool_ref_page(page: Page) -> None:
    """``page_pool_ref_netmem()``: atomic_long_inc(pp_ref_count)."""
    page.pp_ref_count += 1


# ---------------------------------------------------------------------------------------
# frags
# ---------------------------------------------------------------------------------------

def page_pool_drain_frag(pool: PagePool, page: Page) -> KernelFn:
    """``page_pool_drain_frag()``: drop the unused bias; recycle if we were last."""
    drain_count = pool.BIAS_MAX - pool.frag_users
    if (yield from page_pool_unref_netmem(pool, page, drain_count, drain=True)):
        return None  # "Some user is still using the page frag"
    if __page_pool_page_can_be_recycled(pool, page):
        page_pool_dma_sync_for_device(pool, page)
        return page
    yield from page_pool_return_page(pool, page)
    return None


def page_pool_free_frag(pool: PagePool) -> KernelFn:
    """``page_pool_free_frag()``: on destroy, drop the frag page's unused bias."""
    drain_count = pool.BIAS_MAX - pool.frag_users
    page = pool.frag_page
    pool.frag_page = None
    if page is None:
        return
    if (yield from page_pool_unref_netmem(pool, page, drain_count, drain=True)):
        return
    yield from page_pool_return_page(pool, page)


def page_pool_alloc_frag(pool: PagePool, size: int, max_size: int) -> KernelFn:
    """``page_pool_alloc_frag_netmem()``: carve ``size`` out of ``frag_page``.

    Returns ``(page, offset)`` or None.  A fresh frag page gets pp_ref_count =
    BIAS_MAX; ``frag_users`` counts the frags handed out.
    """
    netmem = pool.frag_page
    offset = pool.frag_offset
    if netmem is not None and offset + size > max_size:
        netmem = yield from page_pool_drain_frag(pool, netmem)
        if netmem is not None:
            pool.frag_page = netmem
            pool.frag_users, pool.frag_offset = 1, size
            page_pool_fragment_netmem(netmem, pool.BIAS_MAX)
            yield Step.of("frag_reset", page=netmem.pfn)
            return netmem, 0
    if netmem is None:
        netmem = yield from page_pool_alloc_pages(pool)
        if netmem is None:
            pool.frag_page = None
            return None
        pool.frag_page = netmem
        pool.frag_users, pool.frag_offset = 1, size
        page_pool_fragment_netmem(netmem, pool.BIAS_MAX)
        yield Step.of("frag_reset", page=netmem.pfn)
        return netmem, 0
    pool.frag_users += 1
    pool.frag_offset = offset + size
    yield Step.of("frag_carve", page=netmem.pfn)
    return netmem, offset


# ---------------------------------------------------------------------------------------
# destroy
# ---------------------------------------------------------------------------------------

def page_pool_empty_ring(pool: PagePool) -> KernelFn:
    """``page_pool_empty_ring()``: "Verify the refcnt invariant of cached pages"."""
    while True:
        pool.touch("empty ring")
        page = pool.ring.consume()  # ptr_ring_consume_bh(): the single consumer now
        if page is None:
            yield Step.of("scrub_ring_done")
            return
        if page._refcount != 1:
            pool.k.warn(f"page_pool_empty_ring() page_pool refcnt {page._refcount} violation")
        yield Step.of("scrub_ring_consume", page=page.pfn)
        yield from page_pool_return_page(pool, page)


def page_pool_empty_alloc_cache_once(pool: PagePool) -> KernelFn:
    """``page_pool_empty_alloc_cache_once()``: only on the first release."""
    if pool.destroy_cnt:
        return
    while pool.alloc_count:
        pool.alloc_count -= 1
        page = pool.alloc_cache[pool.alloc_count]
        pool.alloc_cache[pool.alloc_count] = None
        yield Step.of("scrub_cache_pop", page=page.pfn)
        yield from page_pool_return_page(pool, page)


def page_pool_scrub(pool: PagePool) -> KernelFn:
    """``page_pool_scrub()``: empty the cache once, unmap what is mapped, empty the ring."""
    yield from page_pool_empty_alloc_cache_once(pool)
    pool.touch("scrub")
    first = pool.destroy_cnt == 0
    pool.destroy_cnt += 1
    if first and pool.dma_map:
        pool.dma_sync = False  # "Disable page_pool_dma_sync_for_device()"
        for pfn in sorted(pool.dma_mapped):  # "No page ref, dma-unmap only."
            pool.k.device.dma_unmap_page(pool.k.memmap[pfn])
        pool.dma_mapped.clear()
    yield Step.of("scrub_unmap")
    # "No more consumers should exist, but producers could still be in-flight."
    yield from page_pool_empty_ring(pool)


def page_pool_inflight(pool: PagePool) -> int:
    """``page_pool_inflight()``: ``_distance(hold_cnt, release_cnt)``, WARN if < 0."""
    inflight = pool.pages_state_hold_cnt - pool.pages_state_release_cnt
    if inflight < 0:
        pool.k.warn(f"Negative({inflight}) inflight packet-pages")
    return inflight


def __page_pool_destroy(pool: PagePool) -> None:
    """``__page_pool_destroy()``: kfree(pool)."""
    pool.freed = True


def page_pool_release(pool: PagePool) -> KernelFn:
    """``page_pool_release()``: scrub, count inflight, wait out producers, maybe free."""
    yield from page_pool_scrub(pool)
    inflight = page_pool_inflight(pool)
    yield Step.of("release_inflight", inflight=inflight)
    # "Acquire producer lock to make sure producers have exited."
    lock = pool.ring.producer_lock
    yield from lock.lock(Step.of("release_lock"))
    yield from lock.unlock(Step.of("release_unlock"))
    if not inflight:
        __page_pool_destroy(pool)
        yield Step.of("pool_free")
    return inflight


def page_pool_disable_direct_recycling(pool: PagePool) -> KernelFn:
    """``page_pool_disable_direct_recycling()``: cpuid = -1, unlink p.napi."""
    pool.cpuid = NO_CPU
    pool.napi = None
    yield Step.of("disable_direct_recycling")


def page_pool_destroy(pool: PagePool) -> KernelFn:
    """``page_pool_destroy()``: returns True when a release worker must retry."""
    pool.user_cnt -= 1  # page_pool_put()
    if pool.user_cnt:
        return False
    if pool.sw.destroy_disables_direct and not pool.sw.bug("no_direct_recycle_disable"):
        yield from page_pool_disable_direct_recycling(pool)
    yield from page_pool_free_frag(pool)
    inflight = yield from page_pool_release(pool)
    return bool(inflight)


def page_pool_release_retry(pool: PagePool) -> KernelFn:
    """``page_pool_release_retry()``: the delayed worker; True to reschedule."""
    inflight = yield from page_pool_release(pool)
    return inflight > 0


def pool_of(page: Page) -> Any:
    return page.pp
