"""The mainline model's configurations: the parameters every configuration sets (``BASE``) and
the named scopes (docs/mainline.md lists what each one exercises)."""

from __future__ import annotations

from typing import Any

from ppcheck.models.pagepool import (
    Loc,
)

#: parameters every configuration sets (documented in docs/mainline.md)
BASE: dict[str, Any] = {
    "pages": 2,
    "cache_size": 1,  # PP_ALLOC_CACHE_SIZE (128 upstream)
    "ring_size": 1,  # ptr_ring size (pool_size, 1024 by default)
    "refill": 1,  # PP_ALLOC_CACHE_REFILL (64 upstream)
    "cpus": 2,
    "counter_bits": 3,  # width of pages_state_{hold,release}_cnt (32 upstream)
    "contexts": ("softirq@0", "softirq@1", "control@1", "worker@0"),
    "frag": False,  # page_pool_alloc_frag() in the NAPI poll
    "frags_per_page": 1,
    "skbs": 0,  # skb/shinfo slots: 0 turns the skb path off
    "skb_paths": (),  # the newer skb paths: head, nonpool, gro, split, shift, segment (skb.py)
    "skb_expand": True,  # pskb_expand_head() runs
    "shinfos": 0,  # skb_shared_info slots (0: as many as skbs)
    "max_page_refs": 0,  # get_page() references a stack user may hold on one page
    "destroy": True,  # the control path (napi_disable, page_pool_destroy, unbind) runs
    "preempt_rt": False,  # CONFIG_PREEMPT_RT
    "dma_sync": True,  # PP_FLAG_DMA_SYNC_DEV
    "napi_linked": True,  # page_pool_params.napi set (seed 004)
    "pool_cpuid": -1,  # page_pool_create_percpu() cpuid
    "reconfig": False,  # after destroy the driver re-enables the NAPI for a new pool
    "liveness": False,  # check the progress property (a graph search after the BFS)
    "mp": False,  # a memory provider (devmem): every netmem is a net_iov (provider.py)
    "bulk": 0,  # XDP_BULK_QUEUE_SIZE of xdp_return_frame_bulk(); 0: no bulk free (bulk.py)
    "bulk_ctx": -1,  # the context (a 'user@cpu' softirq) that frees in bulk
    "xdp_mem": False,  # the pool is also the RX queue's XDP memory model (xdp.py)
    "pfmemalloc": False,  # the page allocator may hand out pfmemalloc pages (xdp.py)
    "numa": False,  # the NAPI may call page_pool_update_nid() (xdp.py)
    "dma_index": True,  # PP_DMA_INDEX_BITS != 0: the pool tracks its DMA mappings (dmabuild.py)
}


def _cfg(**kw: Any) -> dict[str, Any]:
    d = dict(BASE)
    d.update(kw)
    return d


def alloc_destinations(cfg: Any) -> list[Loc]:
    """Where a page allocated in the NAPI poll goes: the RX ring, or the frag allocator."""
    return [Loc.RX, Loc.FRAG] if cfg.frag else [Loc.RX]


#: a per-CPU pool of CPU 0: page_pool_create_percpu() callers do not link a NAPI (p.napi)
_PERCPU: dict[str, Any] = {"pool_cpuid": 0, "napi_linked": False}

CONFIGS: dict[str, dict[str, Any]] = {
    # the free path, NAPI migration, destroy with pages in flight, stack page references
    "base": _cfg(max_page_refs=1),
    "default": _cfg(max_page_refs=1),  # = base (the name tools default to)
    # base plus the driver re-enabling the NAPI for a new pool after destroy (ring
    # reconfiguration).  Not in the default set: with page_pool_napi_local()'s three reads as
    # steps and dma_sync=false mainline violates no_cache_push_after_destroy and no_leaked_page
    # here (a free that read p.napi before the unlink reads the reused NAPI's list_owner after
    # it: docs/findings.md, finding 4); with DMA sync on, page_pool_scrub()'s synchronize_net()
    # waits for that free and it holds.  mainline_rcu_napi_local (the proposed RCU fix) checks it
    # by default and holds.
    "reconfig": _cfg(max_page_refs=1, reconfig=True),
    # ring reconfiguration on one CPU: the driver's control path and the NAPI share CPU 0, so
    # no free is between page_pool_napi_local()'s reads while the control path runs (the
    # reuse of the NAPI, page_pool_disable_direct_recycling()'s unlink, in the default set)
    "reconfig1": _cfg(max_page_refs=1, reconfig=True, cpus=1,
                      contexts=("softirq@0", "control@0", "worker@0")),
    # the skb path: napi_build_skb, skb_clone, pskb_expand_head, skb_try_coalesce, kfree_skb,
    # and the protocol code taking over frag references (skb_split, skb_shift, skb_segment)
    "skb": _cfg(skbs=2, pages=1, counter_bits=2, skb_paths=("split", "shift", "segment"),
                contexts=("softirq@0", "user@1", "control@1", "worker@0")),
    # the skb head in a pool page (napi_build_skb around the page, head stealing by
    # skb_try_coalesce and skb_gro_receive, skb_free_head recycling) and non-pool RX skbs
    # next to pool ones in GRO: two pool skbs need two pages.  One CPU: these paths move
    # references between skbs (ownership, not a cross-CPU race; the put path they end in
    # races on two CPUs in skb and coalesce); two CPUs: 680k+ states, 75 s unfinished
    "skbhead": _cfg(skbs=2, pages=2, cpus=1, destroy=False, skb_expand=False,
                    skb_paths=("head", "gro", "nonpool"), contexts=("softirq@0", "user@0")),
    # page_pool_alloc_frag()/page_pool_drain_frag() racing frag users, free_frag at destroy
    "frag": _cfg(frag=True, frags_per_page=2, counter_bits=2, pages=1, max_page_refs=1, liveness=True,
                 contexts=("softirq@0", "user@1", "control@1", "worker@0")),
    # process contexts next to the NAPI (BH enabled and disabled)
    "process": _cfg(max_page_refs=1,
                    contexts=("softirq@0", "process@0", "process_bh@1", "control@1", "worker@0")),
    # PREEMPT_RT: a second softirq of the NAPI's CPU may preempt the poll; napi_local says no
    "rt": _cfg(max_page_refs=1, preempt_rt=True,
               contexts=("softirq@0", "user@0", "control@1", "worker@0")),
    # skb_try_coalesce()'s pp-reference increment: to, from and from's clone (3 skbs over 2
    # shared infos), two pages, two CPUs (the NAPI and a softirq freeing skbs race in
    # page_pool_unref_netmem on the page both frags hold); no destroy, no pskb_expand_head:
    # 257k states.  With 3 shared infos 1.3M+ states at 100 s unfinished, with
    # pskb_expand_head 600k+ at 85 s, both on skbs-as-scalarset (docs/mainline.md, "coalesce")
    "coalesce": _cfg(skbs=3, shinfos=2, pages=2, destroy=False, skb_expand=False,
                     contexts=("softirq@0", "user@1")),
    # per-CPU pools (page_pool_create_percpu(), pool->cpuid = 0, no NAPI linked): the consumer
    # is a softirq of CPU 0 (generic XDP on the system page pool, net/core/dev.c); another
    # softirq of CPU 0 frees into the cache (cpuid), one of CPU 1 into the ring.
    # The system page pool is never destroyed (only when net_dev_init() fails, before use).
    "percpu": _cfg(**_PERCPU, max_page_refs=1, destroy=False,
                   contexts=("softirq@0", "user@0", "user@1")),
    # a driver's per-CPU pool destroyed from CPU 1 while a softirq of CPU 0 frees into it.
    # Not in the default set: mainline violates no_cache_push_after_destroy and no_leaked_page
    # here (docs/findings.md, finding 3; no in-tree caller destroys a per-CPU pool in use);
    # mainline_rcu_napi_local (the proposed RCU fix) checks it by default and holds.
    "percpu_destroy": _cfg(**_PERCPU, max_page_refs=1,
                           contexts=("softirq@0", "user@0", "control@1", "worker@0")),
    # progress while the NAPI keeps polling (never destroyed): recycled pages are reused
    # (recycled_page_reallocated), dropped pages come back (dropped_page_returns)
    "polling": _cfg(pages=1, max_page_refs=1, counter_bits=2, destroy=False, liveness=True,
                    contexts=("softirq@0", "softirq@1")),
    # a memory provider (devmem TCP): every netmem a net_iov of a dma-buf binding; devmem's init
    # cleared dma_sync; a stack user may take a second (pp) reference
    "devmem": _cfg(mp=True, dma_sync=False, max_page_refs=1,
                   contexts=("softirq@0", "user@1", "control@1", "worker@0")),
    # the bulk paths: a softirq on CPU 1 frees XDP frames in bulk (two per flush, one producer
    # lock hold), the NAPI's slow path allocates two pages per alloc_pages_bulk
    "bulk": _cfg(bulk=2, bulk_ctx=1, refill=2,
                 contexts=("softirq@0", "user@1", "control@1", "worker@0")),
    # a second pool user (the XDP memory model) and the two teardown orders
    "xdp": _cfg(xdp_mem=True, contexts=("softirq@0", "user@1", "control@1", "worker@0")),
    # pfmemalloc pages from the page allocator; page_pool_update_nid() from the NAPI
    "numa": _cfg(pfmemalloc=True, numa=True, destroy=False,
                 contexts=("softirq@0", "user@1", "user@0")),
    # threaded NAPI (napi_threaded_poll()): the kthread polls on CPU 0 or CPU 1 (it may move
    # between polls) with BH disabled and list_owner never set; a softirq of CPU 0 frees next
    # to it; napi_disable() and destroy (threaded.py)
    "threaded": _cfg(contexts=("thread@0", "thread@1", "user@0", "control@1", "worker@0")),
    # busy polling (napi_busy_loop(), busy_poll_stop()): a task on CPU 1 takes the NAPI with
    # its own SCHED bit next to the NAPI's softirqs on CPUs 0 and 1, and hands it back to the
    # softirq of CPU 1; napi_disable() and destroy (threaded.py)
    "busypoll": _cfg(contexts=("softirq@0", "softirq@1", "busy@1", "control@1", "worker@0")),
    # a build without DMA index tracking (PP_DMA_INDEX_BITS == 0): the scrub finds no mapping
    # and pages in flight are unmapped after the unbind.  Not in the default set: it violates
    # no_dma_after_unbind by design (docs/mainline.md; trace in counterexamples/builds/)
    "nodmaindex": _cfg(max_page_refs=1, reconfig=True, dma_index=False),
    # a larger skb scope (not in the default set)
    "skb2": _cfg(skbs=2, pages=2, contexts=("softirq@0", "user@1", "control@1", "worker@0")),
    # benchmarks: 4 pages and 3 concurrent contexts (the NAPI softirq of CPU 0, a softirq
    # of CPU 1 and another of CPU 0 freeing pages); 4.4M states, 230k with symmetry
    "bench": _cfg(pages=4, counter_bits=4, destroy=False,
                  contexts=("softirq@0", "user@1", "user@0")),
    # larger: two cache and ring slots, refill by two, stack page references
    "bench_large": _cfg(pages=4, cache_size=2, ring_size=2, refill=2, counter_bits=4,
                        max_page_refs=1, destroy=False,
                        contexts=("softirq@0", "user@1", "user@1")),
}
CONFIGS["big"] = CONFIGS["bench"]  # the name benchmarks/explorer_bench.py uses

#: the configurations `ppcheck check` runs by default
DEFAULT_CONFIGS = ("base", "frag", "skb", "process", "rt", "percpu", "polling", "coalesce", "skbhead",
                   "devmem", "bulk", "xdp", "numa", "threaded", "busypoll", "reconfig1")

#: the actions of the pool paths (provider.py, bulk.py, xdp.py, threaded.py), each on only in
#: mainline's devmem, bulk, xdp, numa, threaded or busypoll configuration: a variant that
#: checks other configurations only declares them out of scope with
#: :data:`POOL_PATHS_ELSEWHERE` (Model.out_of_scope)
POOL_PATH_ACTIONS = (
    "mp_dmabuf_devmem_alloc_netmems", "net_iov_get", "xdp_return_frame_bulk",
    "xdp_flush_frame_bulk", "page_pool_is_last_ref", "page_pool_is_last_ref_sub",
    "page_pool_put_page_bulk", "page_pool_recycle_ring_bulk_lock",
    "page_pool_recycle_ring_bulk_produce", "page_pool_recycle_ring_bulk_unlock",
    "page_pool_recycle_ring_bulk_return", "page_pool_ref_netmem", "page_pool_alloc_pages_bulk",
    "xdp_rxq_info_reg_mem_model", "xdp_rxq_info_unreg_mem_model", "page_pool_update_nid",
    "page_pool_alloc_pfmemalloc", "page_pool_refill_alloc_cache_waive", "napi_threaded_poll",
    "napi_busy_loop", "busy_poll_stop")
POOL_PATHS_ELSEWHERE = ("a pool path (memory provider, bulk free or bulk allocation, XDP memory "
                        "model, NUMA or pfmemalloc, threaded NAPI or busy polling) that this "
                        "configuration turns off; mainline's devmem, bulk, xdp, numa, threaded "
                        "and busypoll configurations check it")
