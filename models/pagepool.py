"""The page_pool state vocabulary: records, enums and invariants every page_pool model uses.

Kernel version followed: torvalds/linux ``net/core/page_pool.c`` @ 039f248a6cc1 (post-v6.15:
the pool tracks its DMA-mapped pages in ``pool->dma_mapped`` and ``page_pool_scrub()`` unmaps
them at destroy), ``include/net/page_pool/helpers.h`` @ 07cf71bf25cd and ``net/core/skbuff.c``
@ e40bffaeaed9.  Where a behaviour changed over time the docstring names the change.

The state is a fixed schema (see :mod:`ppcheck.spec.schema`):

* ``pages``: a symmetric array (scalarset) of :class:`Page`.  Every fact about a page is kept
  *in* the page record: where it is (:class:`Loc`, plus its slot in the alloc cache or its
  position in the ptr_ring), its two reference counts, and the references held on it by kind.
  Nothing else stores lists of page ids, so symmetry reduction is a sort of page records.
* ``pool``: :class:`Pool` (``struct page_pool``), ``napi``: :class:`Napi`, ``dev``:
  :class:`Device`, ``ctxs``: :class:`Ctx` (one per execution context: a CPU's softirq, a
  process, the control path, the release worker), ``skbs``/``shinfos``: :class:`Skb` and
  :class:`Shinfo`, and ``ghost``: :class:`Ghost`, sticky flags recording that the kernel did
  something it must never do (a double free, a DMA call after unbind, ...).

Sizes and widths come from the configuration: ``pages``, ``cache_size`` (PP_ALLOC_CACHE_SIZE,
128 upstream), ``ring_size`` (the ptr_ring, 1024 by default), ``counter_bits`` (the width of
``pages_state_{hold,release}_cnt``, 32 upstream), ``cpus``, ``contexts`` (see
:func:`context_specs`), ``frags_per_page``, ``skbs``, ``max_page_refs``.

:class:`PagePoolInvariants` is a mixin of the safety properties and witnesses of issue 3; a
model that uses this vocabulary inherits them (and may remove one with ``name = None``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ppcheck.spec import (
    Array,
    Bool,
    Enum,
    Expr,
    Int,
    Record,
    Ref,
    UInt,
    all_,
    always,
    any_,
    count,
    implies,
    serial_distance,
    sometimes,
    sum_,
)

# -- enums ------------------------------------------------------------------------------------


class Loc(enum.IntEnum):
    """Where a page is.  Exactly one of these at a time (``struct page`` has no such field:
    the kernel knows it from which data structure points at the page)."""

    BUDDY = 0  #: free in the page allocator (not the pool's, refcount 0)
    RX = 1  #: posted to the driver's RX ring (allocated, waiting for a packet)
    CTX = 2  #: owned by one context in the middle of a kernel function (ctx.page)
    CACHE = 3  #: ``pool->alloc.cache[slot]`` (LIFO, lockless, consumer only)
    RING = 4  #: ``pool->ring`` at FIFO position ``slot`` (0 = next to be consumed)
    USERS = 5  #: referenced by users only (skbs, xdp frames, stack users); maybe released
    FRAG = 6  #: ``pool->frag_page``: the frag allocator holds the unused bias
    BULK = 7  #: owned by a context's bulk free (page_pool_put_page_bulk()'s ``data[]``, after
    #: the last pp reference was dropped; ``Page.bulk`` says at which step, models/mainline/bulk.py)


class Kind(enum.IntEnum):
    """The kind of an execution context, which decides ``in_softirq()``."""

    SOFTIRQ = 0  #: softirq (NAPI poll, net_rx_action's deferred skb free): in_softirq()
    PROCESS = 1  #: process context, BH enabled: !in_softirq(), a softirq may interrupt it
    PROCESS_BH = 2  #: process context with BH disabled (local_bh_disable): in_softirq()


class Role(enum.IntEnum):
    """What a context does in the model (fixed per context by the configuration)."""

    NAPI = 0  #: softirq of a CPU: polls the NAPI when it is scheduled here, frees pages
    USER = 1  #: frees pages / skbs handed to the stack (any CPU, any kind)
    CONTROL = 2  #: the driver's control path: napi_disable, RX cleanup, destroy, unbind
    WORKER = 3  #: the pool's delayed release worker (page_pool_release_retry)


class PC(enum.IntEnum):
    """Program counters of the multi-step kernel functions (PlusCal-style labels)."""

    READY = 0  #: between kernel functions (in a NAPI poll if ``in_poll``)
    UNREF_READ = 1  #: page_pool_unref_netmem(): atomic_long_read(pp_ref_count) == nr ?
    UNREF_SUB = 2  #: page_pool_unref_netmem(): atomic_long_sub_return(nr, pp_ref_count)
    NAPI_LOCAL = 3  #: page_pool_put_unrefed_netmem(): allow_direct |= page_pool_napi_local():
    #: the PREEMPT_RT and in_softirq() tests, READ_ONCE(pool->cpuid)
    PUT_PAGE = 4  #: __page_pool_put_page(): the page_ref_count() == 1 check
    CACHE_PUSH = 5  #: page_pool_recycle_in_cache(): read alloc.count, the full check
    RING_LOCK = 6  #: page_pool_recycle_in_ring(): page_pool_producer_lock()
    RING_PRODUCE = 7  #: __ptr_ring_produce() under the producer lock
    RING_UNLOCK = 8  #: page_pool_producer_unlock() after a successful produce
    RING_UNLOCK_FULL = 9  #: page_pool_producer_unlock() after the ring was full
    RETURN = 10  #: page_pool_return_netmem(): DMA unmap (__page_pool_release_netmem_dma)
    RETURN_PUT = 11  #: page_pool_return_netmem(): put_page() of the pool's page reference
    # the steps of issue 16 (appended: the numbers above are unchanged)
    NAPI_LOCAL_NAPI = 12  #: page_pool_napi_local(): cpuid was not ours; READ_ONCE(pool->p.napi)
    NAPI_LOCAL_OWNER = 13  #: page_pool_napi_local(): p.napi was set; READ_ONCE(napi->list_owner)
    RETURN_RELEASE = 14  #: page_pool_return_netmem(): unmapped; release_cnt++, clear pp info
    CACHE_STORE = 15  #: page_pool_recycle_in_cache(): count read (``cache_idx``), not full;
    #: ``alloc.cache[cache_idx] = page; alloc.count = cache_idx + 1``
    CACHE_POP = 16  #: __page_pool_get_cached(): count read (``cache_idx`` > 0);
    #: ``page = alloc.cache[cache_idx - 1]; alloc.count = cache_idx - 1``
    REFILL = 17  #: page_pool_refill_alloc_cache(): the ring was not empty; next
    #: __ptr_ring_consume() into ``alloc.cache[cache_idx++]``
    REFILL_POP = 18  #: page_pool_refill_alloc_cache(): "Return last page": pop ``cache_idx - 1``
    DATAREF_READ = 19  #: skb_data_unref(): skb->cloned was set; atomic_read(&shinfo->dataref) == 1 ?
    DATAREF_SUB = 20  #: skb_data_unref(): it was not 1; atomic_sub_return(1, &shinfo->dataref)


class After(enum.IntEnum):
    """What the caller of page_pool_unref_netmem() does when it returns 0 (last user)."""

    NONE = 0
    PUT = 1  #: page_pool_put_netmem(): continue with page_pool_put_unrefed_netmem()
    DRAIN = 2  #: page_pool_drain_frag(): reuse the frag page or return it
    FREE_FRAG = 3  #: page_pool_free_frag() at destroy: return the page


class Stage(enum.IntEnum):
    """Stages of the control path and of the release worker (outside the free path)."""

    IDLE = 0  #: control: not started / worker: not scheduled
    NAPI_DISABLE = 1  #: napi_disable(): NAPIF_STATE_DISABLE set, waiting for the poll to end
    RX_CLEAN = 2  #: the driver frees the pages still posted to its RX ring
    DESTROY = 3  #: page_pool_destroy(): page_pool_put(), disable direct recycling
    FREE_FRAG = 4  #: page_pool_free_frag()
    SCRUB_CACHE = 5  #: page_pool_scrub(): page_pool_empty_alloc_cache_once()
    SCRUB_DMA = 6  #: page_pool_scrub(): dma_sync = false, unmap every still-mapped page
    EMPTY_RING = 7  #: page_pool_scrub(): page_pool_empty_ring()
    INFLIGHT = 8  #: page_pool_release(): page_pool_inflight()
    LOCK = 9  #: page_pool_release(): page_pool_producer_lock() (wait for producers)
    UNLOCK = 10  #: page_pool_release(): unlock; free the pool if inflight was 0
    PENDING = 11  #: worker: scheduled (schedule_delayed_work), not yet running
    UNBIND = 12  #: control: the driver unbinds the device (DMA is illegal afterwards)
    DONE = 13  #: finished


class AllocStat(enum.IntEnum):
    """The alloc_stats counter the last allocation of this poll bumped (CONFIG_PAGE_POOL_STATS)."""

    NONE = 0
    FAST = 1  #: alloc_stats.fast: popped from alloc.cache
    REFILL = 2  #: alloc_stats.refill: page_pool_refill_alloc_cache() moved ring pages
    SLOW = 3  #: alloc_stats.slow: from the buddy allocator
    EMPTY = 4  #: allocation failed (the buddy allocator returned nothing)


# -- records ----------------------------------------------------------------------------------


def _slots(cfg: Any) -> int:
    return max(int(cfg.cache_size), int(cfg.ring_size), 1) - 1


def bias(cfg: Any) -> int:
    """The model's BIAS_MAX: larger than any number of frags a page can be split into.

    The kernel uses ``LONG_MAX >> 1``; only ``BIAS_MAX - frag_users`` and comparisons matter,
    so ``frags_per_page + 1`` behaves the same on our bounded scopes.
    """
    return int(cfg.frags_per_page) + 1


def _pp_max(cfg: Any) -> int:
    return bias(cfg) + 2 * int(cfg.skbs) + 1


def _ref_max(cfg: Any) -> int:
    return 1 + int(cfg.max_page_refs) + 2 * int(cfg.skbs)


class Page(Record):
    """``struct page`` / ``netmem`` as page_pool sees it.

    * ``refcnt``: ``_refcount`` (page_ref_count()); 1 while only the pool holds the page.
    * ``pp_ref``: ``pp_ref_count`` (``pp_frag_count`` before v6.7): pp-kind references; set to
      1 by page_pool_set_pp_info(), to BIAS_MAX by page_pool_alloc_frag().
    * ``magic``: ``pp_magic == PP_SIGNATURE`` and ``pp == pool`` (page_pool_set_pp_info() /
      page_pool_clear_pp_info()).
    * ``mapped``: DMA mapped (and registered in ``pool->dma_mapped``).
    * ``loc``/``slot``: where the page is; ``slot`` is its index in ``alloc.cache`` or its FIFO
      position in the ptr_ring (0 is consumed next), else 0.
    * ``pp_holders``/``page_holders``: ghost counts of references held by users outside skbs
      (xdp frames, frag users: pp kind; stack users after get_page(): page kind), so every
      release can be matched to an acquire of the same kind.
    """

    loc = Enum(Loc)
    slot = Int(0, _slots)
    refcnt = Int(0, _ref_max)
    pp_ref = Int(0, _pp_max)
    magic = Bool()
    mapped = Bool()
    pp_holders = Int(0, _pp_max)
    page_holders = Int(0, "max_page_refs")


class Pool(Record):
    """``struct page_pool``.

    ``alloc_count`` is ``alloc.count``; ``ring_count`` the ptr_ring's occupancy and
    ``ring_lock`` the context holding ``ring.producer_lock``; ``hold``/``release`` are
    ``pages_state_hold_cnt``/``pages_state_release_cnt`` (``counter_bits`` wide, wrapping);
    ``cpuid`` is ``pool->cpuid`` (-1 unless a per-CPU pool); ``napi_linked`` is
    ``pool->p.napi != NULL``; ``user_cnt`` (1 until page_pool_destroy()'s page_pool_put());
    ``destroy_cnt`` (saturated at 1: only zero/non-zero is read); ``freed`` (kfree'd by
    __page_pool_destroy()); ``dma_sync`` (PP_FLAG_DMA_SYNC_DEV, cleared by the scrub);
    ``frag_page``/``frag_users``/``frag_offset`` (the offset counted in frags);
    ``deferred`` (ghost: page_pool_release() once found pages in flight) and ``alloc_stat``.
    """

    alloc_count = Int(0, "cache_size")
    ring_count = Int(0, "ring_size")
    ring_lock = Ref("ctxs")
    hold = UInt("counter_bits")
    release = UInt("counter_bits")
    cpuid = Int(-1, lambda c: int(c.cpus) - 1, default=-1)
    napi_linked = Bool()
    user_cnt = Int(0, 1, default=1)
    destroy_cnt = Int(0, 1)
    freed = Bool()
    dma_sync = Bool()
    frag_page = Ref("pages")
    frag_users = Int(0, "frags_per_page")
    frag_offset = Int(0, "frags_per_page")
    deferred = Bool()
    alloc_stat = Enum(AllocStat)


class Napi(Record):
    """``struct napi_struct``: ``owner`` is ``list_owner`` (the CPU it is scheduled on, -1 when
    not scheduled, NAPI_STATE_SCHED clear); ``enabled`` is !NAPI_STATE_DISABLE."""

    owner = Int(-1, lambda c: int(c.cpus) - 1, default=-1)
    enabled = Bool(True)


class Device(Record):
    """The DMA device behind ``pool->p.dev``: bound to its driver or not."""

    bound = Bool(True)


class Ctx(Record):
    """An execution context.  ``cpu``, ``kind`` and ``role`` are fixed by the configuration;
    ``pc``/``page``/``nr``/``direct``/``after`` are the locals of the free path;
    ``in_poll`` is true inside a NAPI poll; ``stage``/``flag`` drive the control path and
    the release worker (``flag``: the inflight count read was 0); ``sh``/``recycle`` are the
    locals of skb_release_data() (the shinfo whose frags are being released, and the
    ``skb->pp_recycle`` of the skb that released it)."""

    cpu = Int(0, lambda c: int(c.cpus) - 1)
    kind = Enum(Kind)
    role = Enum(Role)
    pc = Enum(PC)
    page = Ref("pages")
    nr = Int(0, bias)
    direct = Bool()
    after = Enum(After)
    in_poll = Bool()
    stage = Enum(Stage)
    flag = Bool()
    sh = Ref("shinfos")
    recycle = Bool()


class Shinfo(Record):
    """``struct skb_shared_info`` with up to two page frags: ``dataref`` (the skbs sharing it),
    ``page``/``page2`` (the frags' pages: the RX page the driver attached, and one frag added
    by skb_try_coalesce()/skb_gro_receive()/skb_shift()) and ``pp_kind``/``pp_kind2`` (ghost:
    the frag holds a pp reference, as opposed to a page reference taken by
    get_page()/skb_frag_ref()).  ``head`` is the page holding the linear head (and the shared
    info itself) when the skb was built around a pool page (napi_build_skb(), ``head_frag``);
    ``NONE`` for a kmalloc'ed or page_frag cache head, which is not modelled; ``head_pp``
    (ghost) says the head holds a pp reference (skb_free_head() -> skb_pp_recycle())."""

    #: the skbs sharing it plus the contexts still inside skb_data_unref() of a freed one (a
    #: freed skb's slot may hold a new clone meanwhile)
    dataref = Int(0, lambda c: int(c.skbs) + len(tuple(c.contexts)))
    page = Ref("pages")
    pp_kind = Bool()
    page2 = Ref("pages")
    pp_kind2 = Bool()
    head = Ref("pages")
    head_pp = Bool()


class Skb(Record):
    """``struct sk_buff``: ``live``, ``sh`` (its ``skb_shinfo()``), ``pp_recycle``, ``cloned``."""

    live = Bool()
    sh = Ref("shinfos")
    pp_recycle = Bool()
    cloned = Bool()


class Ghost(Record):
    """Sticky flags: the kernel did something it must never do (each one is a property)."""

    double_free = Bool()  #: put_page() on a page whose refcount is already 0
    double_unmap = Bool()  #: DMA unmap of a page that is not mapped
    pp_ref_negative = Bool()  #: WARN_ON(ret < 0) in page_pool_unref_netmem()
    kind_mismatch = Bool()  #: a reference released through the path of the other kind
    pool_uaf = Bool()  #: something touched the pool after __page_pool_destroy() freed it
    dma_after_unbind = Bool()  #: a DMA map/sync/unmap after the driver unbound the device
    cache_after_destroy = Bool()  #: a page pushed into alloc.cache after destroy started
    pp_page_freed = Bool()  #: put_page() took a page with pp_magic set to refcount 0
    recycled_in_use = Bool()  #: a page entered the cache/ring while someone referenced it


class PagePoolState(Record):
    """The whole state of a page_pool model."""

    pages = Array(Page, "pages", symmetric=True)
    pool = Pool
    napi = Napi
    dev = Device
    ctxs = Array(Ctx, lambda c: len(c.contexts))
    shinfos = Array(Shinfo, "skbs")
    skbs = Array(Skb, "skbs")
    ghost = Ghost


# -- configuration helpers --------------------------------------------------------------------

_KINDS = {"softirq": (Kind.SOFTIRQ, Role.NAPI), "user": (Kind.SOFTIRQ, Role.USER),
          "process": (Kind.PROCESS, Role.USER), "process_bh": (Kind.PROCESS_BH, Role.USER),
          "control": (Kind.PROCESS, Role.CONTROL), "worker": (Kind.PROCESS, Role.WORKER),
          # the NAPI polled with BH disabled outside net_rx_action (models/mainline/threaded.py)
          "thread": (Kind.PROCESS_BH, Role.NAPI), "busy": (Kind.PROCESS_BH, Role.NAPI)}


@dataclass(frozen=True)
class CtxSpec:
    """One configured context: ``"softirq@0"`` is CPU 0's softirq (polls the NAPI when it is
    scheduled there, frees pages); ``"user@1"`` a softirq on CPU 1 that only frees;
    ``"process@1"``/``"process_bh@1"`` a process context (BH enabled / disabled) that frees;
    ``"control@1"`` the driver's control path; ``"worker@0"`` the release worker;
    ``"thread@1"`` the threaded NAPI's kthread while it runs on CPU 1 and ``"busy@1"`` a task
    busy polling the NAPI on CPU 1 (both poll with BH disabled, models/mainline/threaded.py)."""

    index: int
    kind: Kind
    role: Role
    cpu: int


def context_specs(cfg: Any) -> list[CtxSpec]:
    out = []
    for i, spec in enumerate(cfg.contexts):
        name, _, cpu = spec.partition("@")
        if name not in _KINDS:
            raise ValueError(f"unknown context kind {name!r} in {spec!r}")
        kind, role = _KINDS[name]
        out.append(CtxSpec(i, kind, role, int(cpu or 0)))
    return out


def in_softirq(kind: Kind) -> bool:
    """``in_softirq()``: true in softirq and with BH disabled (softirq_count() != 0)."""
    return kind in (Kind.SOFTIRQ, Kind.PROCESS_BH)


# -- state predicates shared by models --------------------------------------------------------


def owners_of(s: Any, p: int) -> Expr:
    """How many contexts hold page ``p`` as their exclusive local (Loc.CTX)."""
    return count((c.page == p) & (c.pc != PC.UNREF_READ) & (c.pc != PC.UNREF_SUB) for c in s.ctxs)


def in_unref(s: Any, p: int) -> Expr:
    """Contexts inside page_pool_unref_netmem() on page ``p`` (each still holds its ref)."""
    return count((c.page == p) & ((c.pc == PC.UNREF_READ) | (c.pc == PC.UNREF_SUB)) for c in s.ctxs)


def skb_refs(s: Any, p: int) -> Expr:
    """skb_shared_info frags and heads referencing page ``p``."""
    return sum_([count((sh.dataref > 0) & (sh.page == p) for sh in s.shinfos),
                 count((sh.dataref > 0) & (sh.page2 == p) for sh in s.shinfos),
                 count((sh.dataref > 0) & (sh.head == p) for sh in s.shinfos)])


def skb_pp_refs(s: Any, p: int) -> Expr:
    """skb_shared_info frags and heads holding a pp reference on page ``p``."""
    return sum_([count((sh.dataref > 0) & (sh.page == p) & sh.pp_kind for sh in s.shinfos),
                 count((sh.dataref > 0) & (sh.page2 == p) & sh.pp_kind2 for sh in s.shinfos),
                 count((sh.dataref > 0) & (sh.head == p) & sh.head_pp for sh in s.shinfos)])


def referenced(s: Any, p: int) -> Expr:
    """Someone other than the pool references page ``p``."""
    pg = s.pages[p]
    return (pg.pp_holders > 0) | (pg.page_holders > 0) | (in_unref(s, p) > 0) | (skb_refs(s, p) > 0)


def inflight(s: Any, bits: int) -> Expr:
    """page_pool_inflight(): ``_distance(hold_cnt, release_cnt)`` in ``bits``-wide arithmetic."""
    return serial_distance(s.pool.hold, s.pool.release, bits)


#: the program counters inside an alloc.cache access: page_pool_recycle_in_cache() (its count
#: read and its store), __page_pool_get_cached()'s pop, page_pool_refill_alloc_cache()
CACHE_PCS = (PC.CACHE_PUSH, PC.CACHE_STORE, PC.CACHE_POP, PC.REFILL, PC.REFILL_POP)


def in_cache_access(c: Any) -> Expr:
    """Context ``c`` is inside an alloc.cache access (:data:`CACHE_PCS`), whatever its role."""
    return any_(c.pc == pc for pc in CACHE_PCS)


def destroy_started(s: Any) -> Expr:
    """page_pool_destroy() has dropped the last user reference."""
    return s.pool.user_cnt == 0


class PagePoolInvariants:
    """The safety properties and witnesses of issue 3, over :class:`PagePoolState`.

    Mixed into a :class:`~ppcheck.spec.Model`; each docstring says why the kernel needs it.
    """

    # -- safety -------------------------------------------------------------------------------
    @always
    def cached_pages_exclusive(self, s):
        """Pages in alloc.cache and the ptr_ring have refcount 1, pp_ref_count 1, pp_magic set
        and no other holder.  page_pool_alloc_pages() hands them out as fresh pages without any
        check (__page_pool_get_cached()); page_pool_empty_ring() pr_crit()s if refcnt != 1."""
        return all_(implies((p.loc == Loc.CACHE) | (p.loc == Loc.RING),
                            (p.refcnt == 1) & (p.pp_ref == 1) & p.magic
                            & (p.pp_holders == 0) & (p.page_holders == 0)
                            & (in_unref(s, i) == 0) & (skb_refs(s, i) == 0))
                    for i, p in enumerate(s.pages))

    @always
    def page_in_one_place(self, s):
        """Every page is in exactly one place: alloc.cache slots are distinct and below
        alloc.count, ring positions distinct and below the ring's count, a page owned by a
        context (Loc.CTX) by exactly one, ``pool->frag_page`` is the Loc.FRAG page.  A page in
        two places is handed out twice (page_pool_alloc_pages() from both, or recycled twice)."""
        pages = list(s.pages)
        conds = [count(p.loc == Loc.CACHE for p in pages) == s.pool.alloc_count,
                 count(p.loc == Loc.RING for p in pages) == s.pool.ring_count]
        for i, p in enumerate(pages):
            conds.append(implies(p.loc == Loc.CACHE, p.slot < s.pool.alloc_count))
            conds.append(implies(p.loc == Loc.RING, p.slot < s.pool.ring_count))
            conds.append((p.loc == Loc.CTX) == (owners_of(s, i) == 1))
            conds.append(owners_of(s, i) <= 1)
            conds.append((p.loc == Loc.FRAG) == (s.pool.frag_page == i))
            for j in range(i + 1, len(pages)):
                q = pages[j]
                conds.append(implies((p.loc == q.loc) & ((p.loc == Loc.CACHE) | (p.loc == Loc.RING)),
                                     p.slot != q.slot))
        return all_(conds)

    @always
    def no_double_free(self, s):
        """put_page() never finds refcount 0: a page freed twice to the buddy allocator
        corrupts its free lists (the return path calls put_page() once, page_pool_return_netmem)."""
        return ~s.ghost.double_free

    @always
    def no_double_unmap(self, s):
        """A DMA mapping is unmapped once: __page_pool_unmap_netmem_dma() claims the mapping
        with xa_cmpxchg() so page_pool_scrub() and a concurrent return do not both unmap."""
        return ~s.ghost.double_unmap

    @always
    def no_recycle_while_referenced(self, s):
        """No page is recycled (cache/ring), posted to the RX ring or freed while a user still
        references it: the next owner would overwrite data an skb or frame still reads.  The
        kernel relies on pp_ref_count reaching 0 (page_pool_unref_netmem) and page_ref_count()
        == 1 (__page_pool_page_can_be_recycled) before recycling."""
        return ~s.ghost.recycled_in_use & all_(
            implies((p.loc == Loc.CACHE) | (p.loc == Loc.RING) | (p.loc == Loc.BUDDY)
                    | (p.loc == Loc.RX), ~referenced(s, i))
            for i, p in enumerate(s.pages))

    @always
    def pp_ref_never_negative(self, s):
        """page_pool_unref_netmem() never sees atomic_long_sub_return() go below 0 (its
        WARN_ON): the read == nr shortcut and the reset to 1 must leave exactly one last user
        even when frag users and page_pool_drain_frag() race."""
        return ~s.ghost.pp_ref_negative

    @always
    def alloc_cache_single_owner(self, s):
        """At most one context touches the lockless alloc.cache at a time: the NAPI poll (the
        consumer, for its whole poll) or any context inside a cache access (push, pop, refill:
        :func:`in_cache_access`), whatever its role.  "Caller MUST guarantee safe
        non-concurrent access" (__page_pool_get_cached); page_pool_napi_local() must only allow
        direct recycling where the consumer cannot run concurrently.  (A NAPI polling after
        page_pool_destroy() serves a new pool and does not touch this one.)"""
        return count((c.in_poll & ~destroy_started(s)) | in_cache_access(c) for c in s.ctxs) <= 1

    @always
    def ref_kinds_match(self, s):
        """A pp reference is dropped through the pp path (napi_pp_put_page) and a page
        reference through put_page(): skb_release_data() picks the path by skb->pp_recycle,
        which pskb_expand_head() and skb_try_coalesce() must keep truthful."""
        return ~s.ghost.kind_mismatch

    @always
    def pp_page_not_freed_by_put_page(self, s):
        """A pool page never reaches refcount 0 through put_page() while it carries pp_magic:
        the buddy allocator would get a DMA-mapped page the pool still counts in flight
        (page_pool_return_netmem clears pp info before its put_page)."""
        return ~s.ghost.pp_page_freed

    @always
    def no_pool_use_after_free(self, s):
        """Nothing touches the pool after __page_pool_destroy() freed it: page_pool_release()
        takes the producer lock so ring producers have left, and page_pool_return_netmem() does
        not touch the pool after its release_cnt increment."""
        return ~s.ghost.pool_uaf

    @always
    def no_cache_push_after_destroy(self, s):
        """Nothing is pushed into alloc.cache after page_pool_destroy() started: the cache is
        emptied once (page_pool_empty_alloc_cache_once), a later push leaks the page and keeps
        inflight above 0 for ever."""
        return ~s.ghost.cache_after_destroy

    @always
    def no_dma_after_unbind(self, s):
        """No DMA map/sync/unmap reaches the device after the driver unbound it: page_pool_scrub()
        unmaps every page still mapped and clears dma_sync before the driver goes away (the
        dma_mapped tracking of v6.15)."""
        return ~s.ghost.dma_after_unbind

    # -- witnesses (a vacuous model is caught) ------------------------------------------------
    @sometimes
    def ring_full(self, s):
        """The ptr_ring fills up (page_pool_recycle_in_ring fails: recycle_stats.ring_full)."""
        return s.pool.ring_count == self.cfg.ring_size

    @sometimes
    def refill_from_ring(self, s):
        """page_pool_refill_alloc_cache() moves ring pages into the cache (alloc_stats.refill)."""
        return s.pool.alloc_stat == AllocStat.REFILL

    @sometimes
    def slow_allocation(self, s):
        """__page_pool_alloc_netmems_slow() takes a page from the buddy allocator."""
        return s.pool.alloc_stat == AllocStat.SLOW

    @sometimes
    def allocation_failure(self, s):
        """The buddy allocator fails and page_pool_alloc_pages() returns NULL."""
        return s.pool.alloc_stat == AllocStat.EMPTY

    @sometimes
    def direct_recycling(self, s):
        """A page is recycled into alloc.cache (page_pool_recycle_in_cache) by a context that is
        not the NAPI poll itself: NAPI-local direct recycling (seed 004)."""
        return any_((c.pc == PC.CACHE_PUSH) & ~c.in_poll for c in s.ctxs)

    @sometimes(applies=lambda c: getattr(c, "max_page_refs", 1) > 0
               or (getattr(c, "skbs", 0) > 0 and getattr(c, "skb_expand", True)))
    def release_for_extra_page_ref(self, s):
        """__page_pool_put_page() finds page_ref_count() != 1 and releases the page from the pool
        (recycle_stats.released_refcnt)."""
        return any_(any_((c.pc == PC.RETURN) & (c.page == i) & (p.refcnt > 1)
                         for i, p in enumerate(s.pages)) for c in s.ctxs)

    @sometimes(applies=lambda c: getattr(c, "destroy", True))
    def destroy_deferred_then_freed(self, s):
        """page_pool_destroy() finds pages in flight, defers to the release worker, and the pool
        is freed once they come back."""
        return s.pool.deferred & s.pool.freed

    @sometimes(applies=lambda c: int(getattr(c, "pool_cpuid", -1)) < 0 and int(getattr(c, "cpus", 2)) > 1
               and not any(str(x).startswith("thread@") for x in getattr(c, "contexts", ())))
    def napi_migrated(self, s):
        """The NAPI instance is scheduled on another CPU than the one it started on (not for a
        per-CPU pool, whose consumer stays on ``pool->cpuid``, nor on one CPU, nor for a
        threaded NAPI, which never sets ``list_owner``: its kthread's moves between CPUs are
        models/mainline/threaded.py's ``threaded_poll_moved``)."""
        return s.napi.owner > 0
