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
    "base": _cfg(max_page_refs=1, reconfig=True),
    "default": _cfg(max_page_refs=1, reconfig=True),  # = base (the name tools default to)
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
DEFAULT_CONFIGS = ("base", "frag", "skb", "process", "rt", "percpu", "polling", "coalesce", "skbhead")
