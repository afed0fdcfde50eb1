"""``net/core/page_pool.c`` and ``include/net/page_pool/helpers.h`` as Python generators.

Read it next to the kernel (``net/core/page_pool.c`` @ 039f248a6cc1, ``helpers.h`` @
07cf71bf25cd, the versions ``models/mainline/`` follows): the same function names, the
same control flow, the same data structures (``alloc.cache[]`` with ``alloc.count``, a
``ptr_ring`` with ``producer_lock``, the atomic ``pages_state_release_cnt``, the
``dma_mapped`` tracking of v6.15).  The netmem layer (seed 002) is a type-level refactor
and is not repeated: a netmem here is a page.

Every ``yield Step(...)`` is a program label: the code after it, up to the next yield,
is one atomic step, and the label names the spec action that step claims to be (see
:mod:`ppcheck.impl.kernel`).  The labels sit where ``models/mainline/`` splits a
function into steps: ``page_pool_unref_netmem()`` is a read step and a sub step,
``page_pool_recycle_in_ring()`` is lock / produce / unlock, ``page_pool_return_netmem()``
is unmap, "release_cnt++, clear pp info", ``put_page()``, ``page_pool_napi_local()`` one
step per ``READ_ONCE()``, the alloc cache's push (count read, store) and pop (count read,
pop) and the refill (one step per page, then the pop).  Where the model treats a whole call
as one step (the scrub returning pages it owns, the slow allocation path) the code has no
label inside it, and says so.

Left out: per-CPU stats (the alloc-path outcome is visible as the claimed action),
memory providers/net_iov, NUMA checks (one node), high-order pages, the XDP bulk API,
``page_pool_update_nid()``, pfmemalloc pages.
"""

from __future__ import annotations

from typing import Any

from .kernel import NO_CPU, PP_SIGNATURE, Kernel, KernelFn, Page, PtrRing, Step
from .switches import MAINLINE, Switches


class Napi:
    """``struct napi_struct``: ``list_owner`` (the CPU it is scheduled on, or -1) and
    NAPIF_STATE_DISABLE."""

    def __init__(self) -> None:
        self.list_owner = NO_CPU
        self.disabled = False


class PagePool:
    """``struct page_pool`` (include/net/page_pool/types.h) with the fields we run on."""

    def __init__(self, k: Kernel, *, cache_size: int, ring_size: int, refill: int, bias_max: int,
                 frag_size: int = 1, max_size: int = 1, cpuid: int = NO_CPU,
                 napi: Napi | None = None, dma_map: bool = True, dma_sync: bool = True,
                 sw: Switches = MAINLINE):
        self.k, self.sw = k, sw
        # the alloc side: "require driver to protect allocation side"
        self.alloc_cache: list[Page | None] = [None] * cache_size  # alloc.cache[]
        self.alloc_count = 0  # alloc.count
        #: ghost: pages whose alloc.cache slot another context's store overwrote (pfn: slot).
        #: The kernel loses the pointer (the page leaks); the spec keeps the page in the
        #: cache at that slot, two pages sharing it (page_in_one_place's violation).
        self.cache_overwritten: dict[int, int] = {}
        self.PP_ALLOC_CACHE_SIZE = cache_size
        self.PP_ALLOC_CACHE_REFILL = refill
        self.BIAS_MAX = bias_max
        self.max_size = max_size  # PAGE_SIZE << pool->p.order
        # the free side: "free's can happen on remote CPUs"
        self.ring = PtrRing(k, ring_size)
        self.pages_state_hold_cnt = 0  # u32, written by the allocation side only
        self.pages_state_release_cnt = 0  # atomic_t
        self.cpuid = cpuid
        self.napi = napi  # pool->p.napi
        self.dma_map, self.dma_sync = dma_map, dma_sync
        self.dma_mapped: set[int] = set()  # pool->dma_mapped xarray (pfns)
        self.destroy_cnt = 0
        #: the RCU readers page_pool_scrub()'s synchronize_net() waits for (None: no grace period)
        self.gp_wait: tuple[Any, ...] | None = None
        self.user_cnt = 1
        self.frag_page: Page | None = None
        self.frag_offset = 0
        self.frag_users = 0
        self.defer_start: int | None = None  # set when destroy found pages in flight
        self.freed = False  # kfree(pool) has run
        #: ghost (seed 004): page_pool_napi_local() said "local" after page_pool_destroy() began
        self.local_after_destroy = False

    def cache_store(self, idx: int, page: Page) -> None:
        """``pool->alloc.cache[idx] = netmem``: a page already in that slot is lost."""
        old = self.alloc_cache[idx]
        if old is not None and old is not page:
            self.cache_overwritten[old.pfn] = idx
        self.cache_overwritten.pop(page.pfn, None)
        self.alloc_cache[idx] = page

    def touch(self) -> None:
        """Every access to pool memory goes through here: after kfree() it is a UAF."""
        if self.freed:
            self.k.warn("pool_uaf", "use-after-free: the pool is touched after __page_pool_destroy()")

    def snapshot(self) -> tuple:
        """The pool's state for the explorer's visited set.  ``destroy_cnt`` is only ever
        tested against zero, so counts above 1 behave alike and are folded together
        (otherwise every retry of the release worker would look like a new state)."""
        return (tuple(p.pfn if p else -1 for p in self.alloc_cache), self.alloc_count,
                self.ring.snapshot(), self.pages_state_hold_cnt, self.pages_state_release_cnt,
                self.cpuid, self.napi is not None, tuple(sorted(self.dma_mapped)), self.dma_sync,
                min(self.destroy_cnt, 1), self.user_cnt, self.frag_page.pfn if self.frag_page else -1,
                self.frag_offset, self.frag_users, self.defer_start, self.freed,
                tuple(sorted(self.cache_overwritten.items())))


# ---------------------------------------------------------------------------------------
# helpers.h: pp_ref_count
# ---------------------------------------------------------------------------------------

def page_pool_fragment_netmem(page: Page, nr: int) -> None:
    """``page_pool_fragment_netmem()``: atomic_long_set(pp_ref_count, nr)."""
    page.pp_ref_count = nr


def page_pool_unref_netmem(pool: PagePool, page: Page, nr: int) -> KernelFn:
    """``page_pool_unref_netmem()``: drop ``nr`` pp references, return what is left.

    The read and the ``atomic_long_sub_return()`` are separate steps: concurrent
    users interleave there.  "If nr == pp_ref_count then we have cleared all remaining
    references to the page" -- the read path returns 0 *without writing* (for the
    draining, non-constant ``nr`` it resets the count to 1).  The sub path WARNs below
    zero and resets to 1 at zero.
    """
    k = pool.k
    if not pool.sw.bug("unref_sub_before_read"):
        yield Step.of("page_pool_unref_read", page=page.pfn)
        if page.pp_ref_count == nr:  # atomic_long_read()
            if nr != 1:
                page.pp_ref_count = 1
            return 0
    if pool.sw.bug("unref_nonatomic"):
        yield Step.of("page_pool_unref_sub", page=page.pfn, stutter=True)
        old = page.pp_ref_count  # a plain load (a step the spec does not see) ...
        yield Step.of("page_pool_unref_sub", page=page.pfn)
        ret = old - nr
    else:
        yield Step.of("page_pool_unref_sub", page=page.pfn)
        ret = page.pp_ref_count - nr  # atomic_long_sub_return()
    page.pp_ref_count = ret  # ... (the mutant's plain store)
    if ret < 0:
        k.warn("pp_ref_negative", f"WARN_ON(ret < 0): pp_ref_count of page {page.pfn} is {ret}")
    if ret == 0:
        page.pp_ref_count = 1  # "reset pp_ref_count back to 1"
    return ret


def page_pool_unref_and_test(pool: PagePool, page: Page) -> KernelFn:
    """``page_pool_unref_and_test()``: did we drop the last pp reference?"""
    return (yield from page_pool_unref_netmem(pool, page, 1)) == 0


def page_pool_ref_netmem(page: Page) -> None:
    """``page_pool_ref_netmem()``: atomic_long_inc(pp_ref_count)."""
    page.pp_ref_count += 1


# ---------------------------------------------------------------------------------------
# the allocation side (NAPI poll): the cache pop and the refill in steps, as in the model
# ---------------------------------------------------------------------------------------

def page_pool_refill_alloc_cache(pool: PagePool) -> KernelFn:
    """``page_pool_refill_alloc_cache()``: move up to PP_ALLOC_CACHE_REFILL pages from
    the ring into the cache with ``__ptr_ring_consume()``, one step per page, and return
    the last one (a step of its own).  ``count`` is ``pool->alloc.count`` as the loop
    keeps it; the consume that finds the ring empty ends the loop in the step before."""
    r = pool.ring
    if r.empty():  # "Quicker fallback, avoid locks when ring is empty"
        return None
    pool.k.claim("page_pool_refill_alloc_cache")
    count = pool.alloc_count
    limit = min(pool.PP_ALLOC_CACHE_REFILL, pool.PP_ALLOC_CACHE_SIZE)
    while True:
        yield Step.of("page_pool_refill_consume")
        pool.touch()
        netmem = r.consume()
        pool.cache_store(count, netmem)  # pool->alloc.cache[pool->alloc.count++] = netmem
        count += 1
        pool.alloc_count = count
        if count >= limit or r.empty():
            break
    # Return last page
    yield Step.of("page_pool_cache_pop", refill=True)
    pool.touch()
    count -= 1
    pool.alloc_count = count
    netmem = pool.alloc_cache[count]
    pool.alloc_cache[count] = None
    return netmem


def __page_pool_get_cached(pool: PagePool) -> KernelFn:
    """``__page_pool_get_cached()``: "Caller MUST guarantee safe non-concurrent access".
    The count read (``count``) and the pop ``alloc.cache[--alloc.count]`` are two steps."""
    count = pool.alloc_count
    if count:
        pool.k.claim("page_pool_alloc_fast")
        yield Step.of("page_pool_cache_pop")
        pool.touch()
        count -= 1  # Fast-path
        pool.alloc_count = count
        netmem = pool.alloc_cache[count]
        pool.alloc_cache[count] = None
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


def page_pool_dma_map(pool: PagePool, page: Page) -> None:
    """``page_pool_dma_map()``: map, register in ``dma_mapped``, sync for the device."""
    page.dma_addr = pool.k.device.dma_map_page(page)
    pool.dma_mapped.add(page.pfn)


def __page_pool_alloc_pages_slow(pool: PagePool) -> Page | None:
    """``__page_pool_alloc_netmems_slow()`` with a bulk of one page: from the buddy
    allocator, DMA mapped, ``page_pool_set_pp_info()``, ``pages_state_hold_cnt++``."""
    k = pool.k
    page = k.alloc_pages()
    if page is None:
        k.claim("page_pool_alloc_fail")
        return None
    if pool.dma_map:
        page_pool_dma_map(pool, page)
    page_pool_set_pp_info(pool, page)
    pool.pages_state_hold_cnt += 1  # "Track how many pages are held 'in-flight'"
    k.claim("page_pool_alloc_slow", page=page.pfn)
    return page


def page_pool_alloc_pages(pool: PagePool) -> KernelFn:
    """``page_pool_alloc_pages()``: fast path from the cache, else the slow path.

    The entry step reads ``alloc.count`` (and the ring) and claims which path it took:
    the fast pop and the refill go on in steps of their own; the slow path is one step
    (the model's: the NAPI poll is the only consumer of the cache and the ring).
    """
    yield Step.of("page_pool_alloc_pages")
    pool.touch()
    netmem = yield from __page_pool_get_cached(pool)
    if netmem is not None:
        return netmem
    return __page_pool_alloc_pages_slow(pool)


# ---------------------------------------------------------------------------------------
# the free side
# ---------------------------------------------------------------------------------------

def __page_pool_release_page_dma(pool: PagePool, page: Page) -> None:
    """``__page_pool_release_netmem_dma()``: unmap if still tracked in ``dma_mapped``
    (``xa_cmpxchg()``: of the scrub and a concurrent return only one unmaps)."""
    if not pool.dma_map:
        return
    if page.pfn in pool.dma_mapped or pool.sw.bug("unmap_untracked"):
        pool.dma_mapped.discard(page.pfn)
        pool.k.device.dma_unmap_page(page)
    page.dma_addr = 0


def page_pool_return_page(pool: PagePool, page: Page, atomic: bool = False) -> KernelFn:
    """``page_pool_return_netmem()``: disconnect a page from the pool, in three steps.

    DMA unmap; ``atomic_inc_return(&pages_state_release_cnt)`` -- "This may be the last
    page returned, releasing the pool, so it is not safe to reference pool afterwards" --
    and ``page_pool_clear_pp_info()``; then ``put_page()``.  ``atomic``: the
    caller owns the pool and the page (the scrub) and the model takes the whole call as
    part of the caller's step.
    """
    k = pool.k
    if not atomic:
        yield Step.of("page_pool_return_page", page=page.pfn)
    pool.touch()
    __page_pool_release_page_dma(pool, page)
    if not atomic:
        yield Step.of("page_pool_return_release", page=page.pfn)
        pool.touch()
    if not pool.sw.bug("skip_release_cnt"):
        pool.pages_state_release_cnt += 1
    if not pool.sw.bug("return_skips_clear_pp_info"):
        page_pool_clear_pp_info(page)
    if not atomic:
        yield Step.of("page_pool_return_put", page=page.pfn)
    k.put_page(page)


def page_pool_recycle_in_ring(pool: PagePool, page: Page) -> KernelFn:
    """``page_pool_recycle_in_ring()``: producer lock, ``__ptr_ring_produce()``, unlock."""
    r = pool.ring
    lock = r.producer_lock
    locked = not pool.sw.bug("no_producer_lock")
    yield Step.of("page_pool_producer_lock", page=page.pfn, guard=lock.free if locked else None)
    pool.touch()
    if locked:
        lock.acquire()
    yield Step.of("ptr_ring_produce", page=page.pfn)
    pool.touch()
    ret = r.produce(page) == 0
    if ret and pool.k.referenced(page):
        pool.k.warn("recycled_in_use", f"page {page.pfn} produced into the ring while referenced")
    yield Step.of("page_pool_producer_unlock", page=page.pfn, full=not ret)
    pool.touch()
    if locked:
        lock.release()
    return ret


def page_pool_recycle_in_cache(page: Page, pool: PagePool) -> KernelFn:
    """``page_pool_recycle_in_cache()``: "Caller MUST have verified/know
    (page_ref_count(page) == 1)"; false when the cache is full.  The count read (``count``)
    and the store ``alloc.cache[alloc.count++] = netmem`` are two steps."""
    yield Step.of("page_pool_recycle_in_cache", page=page.pfn)
    pool.touch()
    count = pool.alloc_count
    if count == pool.PP_ALLOC_CACHE_SIZE and not pool.sw.bug("cache_ignores_full"):
        return False  # recycle_stat_inc(pool, cache_full)
    yield Step.of("page_pool_recycle_in_cache_store", page=page.pfn)
    pool.touch()
    if pool.user_cnt == 0:
        pool.k.warn("cache_after_destroy", f"page {page.pfn} pushed into alloc.cache after destroy")
    if pool.k.referenced(page):
        pool.k.warn("recycled_in_use", f"page {page.pfn} pushed into alloc.cache while referenced")
    if count < len(pool.alloc_cache):
        pool.cache_store(count, page)
        pool.alloc_count = count + 1
    else:  # the mutant writes past the array
        pool.k.warn("cache_overflow", "alloc.cache overflow")
    return True


def __page_pool_page_can_be_recycled(pool: PagePool, page: Page) -> bool:
    """``__page_pool_page_can_be_recycled()``: refcount 1 (no pfmemalloc pages here)."""
    if pool.sw.bug("no_refcnt_check"):
        return True
    if pool.sw.recycle_test == "pp_ref":  # the pp002_netmem_pp_ref conversion slip
        return page.pp_ref_count == 1
    return page._refcount == 1


def page_pool_dma_sync_for_device(pool: PagePool, page: Page) -> None:
    """``page_pool_dma_sync_for_device()``: sync if ``pool->dma_sync`` (re-checked under
    RCU against ``page_pool_scrub()``, which clears it) and the page is still mapped."""
    if pool.dma_sync and page.pfn in pool.dma_mapped:
        pool.k.device.dma_sync_for_device(page)


def __page_pool_put_page(pool: PagePool, page: Page, allow_direct: bool) -> KernelFn:
    """``__page_pool_put_page()``: "refcnt == 1 means page_pool owns page, and can
    recycle it"; otherwise the page leaves the pool (``released_refcnt``)."""
    yield Step.of("page_pool_put_page", page=page.pfn)
    pool.touch()
    if __page_pool_page_can_be_recycled(pool, page):
        page_pool_dma_sync_for_device(pool, page)
        if allow_direct and (yield from page_pool_recycle_in_cache(page, pool)):
            return None
        return page  # "Page found as candidate for recycling"
    yield from page_pool_return_page(pool, page)
    return None


def page_pool_napi_local(pool: PagePool) -> bool:
    """``page_pool_napi_local()`` in one go: may this context use the lockless alloc cache?

    Never on PREEMPT_RT ("the softirq can be preempted by the consumer"), never outside
    softirq; yes if ``pool->cpuid`` is this CPU or the pool's NAPI is scheduled here
    (``READ_ONCE(napi->list_owner)``, seed 004).  The early check of 8c48eea3adf3 and seed
    004's models take it as one step; mainline's three steps are :func:`napi_local_steps`.
    """
    local = _napi_local(pool)
    return _note_local(pool, local)


def _note_local(pool: PagePool, local: bool) -> bool:
    if local and pool.user_cnt == 0:
        pool.local_after_destroy = True
    return local


def _napi_local(pool: PagePool) -> bool:
    k = pool.k
    variant = pool.sw.napi_local
    if variant == "first_merged":
        # 8c48eea3adf3: napi_pp_put_page(page, napi_safe): napi_safe only from the softirq
        # skb free path; no PREEMPT_RT test, no pool->cpuid
        if not k.current.serving_softirq:
            return False
        pool.touch()
        napi = pool.napi
        return napi is not None and napi.list_owner == k.smp_processor_id()
    if not _napi_local_allowed(pool):
        return False
    pool.touch()
    cpuid = k.smp_processor_id()
    if pool.cpuid == cpuid:
        return True
    napi = pool.napi
    if pool.sw.bug("napi_local_ignores_owner"):
        return napi is not None
    return napi is not None and napi.list_owner == cpuid


def _napi_local_allowed(pool: PagePool) -> bool:
    """The PREEMPT_RT and ``in_softirq()`` tests (no memory read)."""
    k = pool.k
    return not (k.preempt_rt and pool.sw.napi_local != "no_rt_check") and k.in_softirq()


def napi_local_steps(pool: PagePool, page: Page) -> KernelFn:
    """``page_pool_napi_local()`` as the kernel reads it: each ``READ_ONCE()`` is its own
    step (the caller's ``page_pool_napi_local`` label covers the first, ``pool->cpuid``);
    another CPU's page_pool_disable_direct_recycling(), napi_complete_done() or
    napi_schedule() may come between them.  ``page``: the page being freed (the labels
    name it, as every step of the put path does)."""
    k = pool.k
    if not _napi_local_allowed(pool):
        return False
    pool.touch()
    cpuid = k.smp_processor_id()
    if pool.cpuid == cpuid:  # READ_ONCE(pool->cpuid)
        return _note_local(pool, True)
    yield Step.of("page_pool_napi_local_napi", page=page.pfn)
    pool.touch()
    napi = pool.napi  # READ_ONCE(pool->p.napi)
    if napi is None:
        return False
    if pool.sw.bug("napi_local_ignores_owner"):
        return _note_local(pool, True)
    yield Step.of("page_pool_napi_local_owner", page=page.pfn)
    return _note_local(pool, napi.list_owner == cpuid)  # READ_ONCE(napi->list_owner)


def page_pool_put_unrefed_page(pool: PagePool, page: Page, allow_direct: bool,
                               local: bool = False) -> KernelFn:
    """``page_pool_put_unrefed_netmem()``: cache, else ring, else give it back.  ``local``
    (read by the abstraction): ``allow_direct`` came from page_pool_napi_local()."""
    yield Step.of("page_pool_napi_local", page=page.pfn)
    if not allow_direct and pool.sw.napi_local != "first_merged":
        if pool.sw.napi_local_steps:
            local = yield from napi_local_steps(pool, page)
        else:
            local = page_pool_napi_local(pool)
        allow_direct = local
    netmem = yield from __page_pool_put_page(pool, page, allow_direct)
    if netmem is not None and not (yield from page_pool_recycle_in_ring(pool, netmem)):
        # "Cache full, fallback to free pages"
        yield from page_pool_return_page(pool, netmem)


def page_pool_put_page(pool: PagePool, page: Page, allow_direct: bool) -> KernelFn:
    """``page_pool_put_netmem()`` (helpers.h): unref, and the last user puts the page.  The
    first merged design (8c48eea3adf3) decides ``allow_direct`` here, before the unref, in
    napi_pp_put_page(); later kernels after it (4a96a4e807c3)."""
    local = False
    if pool.sw.napi_local == "first_merged" and not allow_direct:
        local = page_pool_napi_local(pool)
        allow_direct = local
    if not (yield from page_pool_unref_and_test(pool, page)):
        return
    yield from page_pool_put_unrefed_page(pool, page, allow_direct, local)


# ---------------------------------------------------------------------------------------
# frags
# ---------------------------------------------------------------------------------------

def page_pool_drain_frag(pool: PagePool, page: Page) -> KernelFn:
    """``page_pool_drain_frag()``: drop the unused bias; reuse the page if we were last."""
    drain_count = pool.BIAS_MAX - pool.frag_users
    if (yield from page_pool_unref_netmem(pool, page, drain_count)):
        return None  # "Some user is still using the page frag"
    pool.touch()
    if __page_pool_page_can_be_recycled(pool, page):
        page_pool_dma_sync_for_device(pool, page)
        return page
    pool.frag_page = None  # see page_pool_alloc_frag()
    yield from page_pool_return_page(pool, page)
    return None


def page_pool_alloc_frag(pool: PagePool, size: int) -> KernelFn:
    """``page_pool_alloc_frag_netmem()``: carve ``size`` bytes out of ``frag_page``.

    Returns ``(page, offset)`` or None.  A fresh frag page gets pp_ref_count =
    BIAS_MAX; ``frag_users`` counts the frags handed out.  Only the NAPI poll touches
    the frag state, so deciding which label comes first reads no racing state.
    """
    max_size = pool.max_size
    netmem = pool.frag_page
    offset = pool.frag_offset
    if netmem is not None and offset + size > max_size:
        yield Step.of("page_pool_drain_frag", page=netmem.pfn)
        pool.touch()
        netmem = yield from page_pool_drain_frag(pool, netmem)
        if netmem is not None:
            offset = 0
            pool.frag_page = netmem
            pool.frag_users = 1  # frag_reset
            pool.frag_offset = size
            page_pool_fragment_netmem(netmem, pool.BIAS_MAX)
            return netmem, offset
        # The kernel leaves the drained page in frag_page until the assignment below;
        # nothing reads it in between (only this poll and destroy touch frag state).
        pool.frag_page = None
    if netmem is None:
        netmem = yield from page_pool_alloc_pages(pool)
        if netmem is None:
            pool.frag_page = None
            return None
        pool.frag_page = netmem
        pool.frag_users = 1  # frag_reset
        pool.frag_offset = size
        page_pool_fragment_netmem(netmem, pool.BIAS_MAX)
        return netmem, 0
    yield Step.of("page_pool_alloc_frag")
    pool.touch()
    pool.frag_users += 1
    pool.frag_offset = offset + size
    return netmem, offset


def page_pool_free_frag(pool: PagePool) -> KernelFn:
    """``page_pool_free_frag()``: at destroy, drop the frag page's unused bias."""
    page = pool.frag_page
    yield Step.of("page_pool_free_frag", page=page.pfn if page is not None else -1)
    pool.touch()
    drain_count = pool.BIAS_MAX - pool.frag_users
    pool.frag_page = None
    if page is None or (yield from page_pool_unref_netmem(pool, page, drain_count)):
        return
    yield from page_pool_return_page(pool, page)


# ---------------------------------------------------------------------------------------
# destroy
# ---------------------------------------------------------------------------------------

def page_pool_empty_alloc_cache_once(pool: PagePool) -> KernelFn:
    """``page_pool_empty_alloc_cache_once()``: only on the first release; each page is
    popped and returned in one step (the NAPI is disabled: we own cache and pages)."""
    while True:
        yield Step.of("page_pool_scrub")
        if pool.destroy_cnt or not pool.alloc_count:
            return
        pool.alloc_count -= 1
        page = pool.alloc_cache[pool.alloc_count]
        pool.alloc_cache[pool.alloc_count] = None
        pool.k.claim("page_pool_empty_alloc_cache_once", page=page.pfn)
        yield from page_pool_return_page(pool, page, atomic=True)


def page_pool_empty_ring(pool: PagePool) -> KernelFn:
    """``page_pool_empty_ring()``: "Verify the refcnt invariant of cached pages".  Each
    consume-and-return is one step; the consume that finds the ring empty belongs to the
    caller's next step (``page_pool_inflight()`` in the model)."""
    while True:
        yield Step.of("page_pool_empty_ring")
        page = pool.ring.consume()  # ptr_ring_consume_bh()
        if page is None:
            return
        pool.k.claim("page_pool_empty_ring", page=page.pfn)
        if page._refcount != 1:
            pool.k.warn("ring_refcnt", f"page_pool_empty_ring() page_pool refcnt {page._refcount} "
                        "violation")
        yield from page_pool_return_page(pool, page, atomic=True)


def page_pool_scrub(pool: PagePool) -> KernelFn:
    """``page_pool_scrub()``: empty the cache once, unmap what is mapped, empty the ring."""
    yield from page_pool_empty_alloc_cache_once(pool)
    pool.touch()
    first = pool.destroy_cnt == 0
    pool.destroy_cnt += 1
    if first:
        if pool.dma_map and pool.dma_sync:
            pool.dma_sync = False  # "Disable page_pool_dma_sync_for_device()"
            if pool.dma_mapped:  # dma_dev_need_sync() && !xa_empty(): synchronize_net()
                pool.gp_wait = pool.k.rcu_readers()
        # synchronize_net() returns once the readers of the moment have left their calls
        yield Step.of("page_pool_scrub_unmap",
                      guard=lambda: pool.gp_wait is None or not pool.k.rcu_waiting(pool.gp_wait))
        pool.gp_wait = None
        pool.touch()
        if pool.dma_map:
            for pfn in sorted(pool.dma_mapped):  # "No page ref, dma-unmap only."
                pool.k.device.dma_unmap_page(pool.k.memmap[pfn])
            pool.dma_mapped.clear()
    # "No more consumers should exist, but producers could still be in-flight."
    yield from page_pool_empty_ring(pool)


def page_pool_inflight(pool: PagePool) -> int:
    """``page_pool_inflight()``: ``_distance(hold_cnt, release_cnt)``, WARN if < 0."""
    inflight = pool.pages_state_hold_cnt - pool.pages_state_release_cnt
    if inflight < 0:
        pool.k.warn("inflight_negative", f"Negative({inflight}) inflight packet-pages")
    return inflight


def __page_pool_destroy(pool: PagePool) -> None:
    """``__page_pool_destroy()``: kfree(pool)."""
    pool.freed = True


def page_pool_release(pool: PagePool) -> KernelFn:
    """``page_pool_release()``: scrub, count inflight, wait out producers, maybe free."""
    yield from page_pool_scrub(pool)
    pool.k.claim("page_pool_inflight")
    pool.touch()
    inflight = page_pool_inflight(pool)
    # "Acquire producer lock to make sure producers have exited."
    lock = pool.ring.producer_lock
    barrier = not pool.sw.bug("release_skips_producer_lock")
    yield Step.of("page_pool_release_lock", guard=lock.free if barrier else None)
    if barrier:
        pool.touch()
        lock.acquire()
    yield Step.of("page_pool_release_unlock")
    pool.touch()
    if barrier:
        lock.release()
    if not inflight:
        __page_pool_destroy(pool)
    return inflight


def page_pool_disable_direct_recycling(pool: PagePool) -> None:
    """``page_pool_disable_direct_recycling()``: cpuid = -1, unlink p.napi (56ef27e3abe6,
    dd64b232deb8; the ``cpuid_only`` design keeps p.napi, 8c48eea3adf3 alone did neither)."""
    if pool.sw.destroy_disables == "none":
        return
    pool.cpuid = NO_CPU
    if pool.sw.destroy_disables == "mainline":
        pool.napi = None


def page_pool_unlink_napi(pool: PagePool) -> None:
    """``page_pool_unlink_napi()``: the driver hands its NAPI to a new pool."""
    pool.napi = None


def page_pool_destroy(pool: PagePool) -> KernelFn:
    """``page_pool_destroy()``: returns True when the release worker must retry."""
    yield Step.of("page_pool_destroy")
    pool.touch()
    pool.user_cnt -= 1  # page_pool_put()
    if pool.user_cnt:
        return False
    if not pool.sw.bug("no_direct_recycle_disable"):
        page_pool_disable_direct_recycling(pool)
    yield from page_pool_free_frag(pool)
    inflight = yield from page_pool_release(pool)
    if not inflight:
        return False
    pool.defer_start = 0  # jiffies
    return True


def page_pool_release_retry(pool: PagePool) -> KernelFn:
    """``page_pool_release_retry()``: the delayed worker; True to reschedule."""
    yield Step.of("page_pool_release_retry")
    inflight = yield from page_pool_release(pool)
    return inflight > 0
