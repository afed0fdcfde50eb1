"""The mainline model's state: the page_pool vocabulary (:mod:`ppcheck.models.pagepool`) plus
the fields of the paths in :mod:`.provider`, :mod:`.bulk`, :mod:`.xdp` and :mod:`.threaded`.

Every added field is constant in a configuration that turns its mechanism off (``mp``,
``bulk``, ``pfmemalloc``, ``xdp_mem``), so those configurations keep their state counts.
"""

from __future__ import annotations

import enum

from ppcheck.models.pagepool import Ctx, Ghost, Page, Pool
from ppcheck.spec import Array, Bool, Enum, Int, Record

from .skbstate import MainlineState as SkbState


class BulkStage(enum.IntEnum):
    """Where a page is in one context's bulk free (xdp_return_frame_bulk() ->
    xdp_flush_frame_bulk() -> page_pool_put_page_bulk(), net/core/xdp.c, net/core/page_pool.c)."""

    NONE = 0  #: not in a bulk
    QUEUED = 1  #: in ``bq->q`` (its pp reference still held, counted in ``pp_holders``)
    UNREF_SUB = 2  #: page_pool_is_last_ref(): the read was not == 1; atomic_long_sub_return next
    LAST = 3  #: the last pp reference was dropped: __page_pool_put_page() next (Loc.BULK)
    RING = 4  #: approved for the ptr_ring: ``data[bulk_len++]`` (Loc.BULK)
    RETURN = 5  #: the ring was full: returned after the producer unlock (Loc.BULK)


class BulkPC(enum.IntEnum):
    """The program counter of a context's bulk free."""

    IDLE = 0  #: no bulk in progress
    QUEUE = 1  #: xdp_return_frame_bulk() calls: frames collected in ``bq`` (one softirq run)
    PUT = 2  #: page_pool_put_page_bulk(): allow_direct read; the per-page loop
    LOCK = 3  #: page_pool_producer_lock() once for the batch (or nothing approved: return)
    PRODUCE = 4  #: __ptr_ring_produce() of each approved page under the lock
    UNLOCK = 5  #: recycle_stat_add(); page_pool_producer_unlock()
    RETURN = 6  #: page_pool_return_page() of each page the full ring refused


class MemModel(enum.IntEnum):
    """The RX queue's XDP memory model (``xdp_rxq_info.mem``) as the pool sees it."""

    NONE = 0  #: never registered (the pool's only user is the driver)
    REGISTERED = 1  #: xdp_rxq_info_reg_mem_model(): a second user reference, mem.id in mem_id_ht
    UNREGISTERED = 2  #: xdp_rxq_info_unreg_mem_model() dropped it


class NapiHolder(enum.IntEnum):
    """Who holds NAPI_STATE_SCHED when it is not the poll list's (``napi.owner``, list_owner)."""

    LIST = 0  #: the poll-list path, or nobody: ``napi.owner`` (list_owner) tells
    THREADED = 1  #: NAPI_STATE_SCHED | NAPI_STATE_SCHED_THREADED: the kthread was woken to poll
    BUSY = 2  #: NAPI_STATE_SCHED | NAPI_STATE_IN_BUSY_POLL: __napi_busy_loop() took the NAPI
    BUSY_STOP = 3  #: busy_poll_stop() cleared IN_BUSY_POLL: its last poll may complete


def napi_pollers(cfg: object) -> int:
    """1 if the configuration has a threaded NAPI (``thread@cpu``) or a busy poller
    (``busy@cpu``) context (models/mainline/threaded.py), else 0: the ``napi_sched`` array is
    empty elsewhere, which leaves those configurations' state (and fingerprints) as they were."""
    return int(any(str(x).split("@")[0] in ("thread", "busy") for x in getattr(cfg, "contexts", ())))


class NapiSched(Record):
    """The NAPI state bits of threaded NAPI and busy polling (``napi->state``)."""

    holder = Enum(NapiHolder)


class MainlinePage(Page):
    """``niov``: a net_iov of a memory provider (netmem_is_net_iov()), no struct page behind
    it (``refcnt`` stays 0); ``pfmemalloc``: page_is_pfmemalloc(), the page came from the
    memory reserves; ``bulk``: its step in a bulk free."""

    niov = Bool()
    pfmemalloc = Bool()
    bulk = Enum(BulkStage)


class MainlinePool(Pool):
    """``user_cnt`` counts page_pool_use_xdp_mem() users too (up to 2: the driver and the
    xdp_rxq_info memory model); ``mem_model``: that registration; ``nid_changed``: ``p.nid``."""

    user_cnt = Int(0, 2, default=1)
    mem_model = Enum(MemModel)
    nid_changed = Bool()  #: page_pool_update_nid() set ``pool->p.nid`` to another node


class MainlineCtx(Ctx):
    """``bpc``/``bdirect``: the program counter and the ``allow_direct`` of a bulk free;
    ``cache_idx``: the ``alloc.count`` a context read in page_pool_recycle_in_cache(),
    __page_pool_get_cached() or page_pool_refill_alloc_cache() (the register the kernel's
    ``pool->alloc.cache[pool->alloc.count++]`` works on); ``alloc_frag``: the allocation in
    progress is page_pool_alloc_frag()'s new frag page (else the driver's RX ring);
    ``rcu_gp``: the context was an RCU reader inside a page_pool call when page_pool_scrub()'s
    synchronize_net() began, and has not left that call since (models/mainline/destroy.py)."""

    bpc = Enum(BulkPC)
    bdirect = Bool()
    cache_idx = Int(0, "cache_size")
    alloc_frag = Bool()
    rcu_gp = Bool()


class MainlineGhost(Ghost):
    niov_page_op = Bool()  #: a page-only operation (put_page, page_ref_*, DMA) on a net_iov


class MainlineState(SkbState):
    """skbpaths' state (skbs a scalarset) plus the pool paths' fields."""

    pages = Array(MainlinePage, "pages", symmetric=True)
    pool = MainlinePool
    ctxs = Array(MainlineCtx, lambda c: len(c.contexts))
    ghost = MainlineGhost
    napi_sched = Array(NapiSched, napi_pollers)
