"""Switches: which design the implementation runs, and which deliberate bug it carries.

Design variants mirror models that exist in ``models/`` (a variant can then be checked
at both levels); mutations are the seeded implementation bugs of the mutation-testing
report (``benchmarks/mutation_report.py``), each of which conformance must catch.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

#: mutation name -> what it breaks, in the kernel's words
MUTATIONS: dict[str, str] = {
    "no_refcnt_check":
        "__page_pool_put_page() recycles without page_ref_count(page) == 1: a page another "
        "user holds a page reference to goes back into the pool",
    "no_clone_rule":
        "skb_release_data() releases the frags of a cloned skb even when dataref shows "
        "another clone still shares skb_shared_info",
    "unref_sub_before_read":
        "page_pool_unref_netmem() goes straight to atomic_long_sub_return() without the "
        "pp_ref_count == nr read (the reordered unref steps)",
    "unref_nonatomic":
        "page_pool_unref_netmem() does a plain load then a plain store of pp_ref_count "
        "instead of atomic_long_sub_return(): concurrent users lose an update",
    "no_producer_lock":
        "page_pool_recycle_in_ring() produces into the ptr_ring without producer_lock",
    "release_skips_producer_lock":
        "page_pool_release() does not take the producer lock \"to make sure producers have "
        "exited\" before freeing the pool",
    "cache_ignores_full":
        "page_pool_recycle_in_cache() does not check alloc.count == PP_ALLOC_CACHE_SIZE",
    "napi_local_ignores_owner":
        "page_pool_napi_local() allows direct recycling whenever a NAPI is linked, without "
        "checking napi->list_owner == this CPU",
    "no_direct_recycle_disable":
        "page_pool_destroy() does not call page_pool_disable_direct_recycling()",
    "return_skips_clear_pp_info":
        "page_pool_return_netmem() forgets page_pool_clear_pp_info(): the page reaches the "
        "buddy allocator still carrying pp_magic",
    "skip_release_cnt":
        "page_pool_return_netmem() forgets atomic_inc_return(&pages_state_release_cnt)",
    "unmap_untracked":
        "__page_pool_release_netmem_dma() unmaps without claiming the mapping in "
        "pool->dma_mapped (no xa_cmpxchg), so it unmaps again after the scrub",
}


@dataclass(frozen=True)
class Switches:
    """The implementation's configuration: design variant plus at most one mutation."""

    #: IS_ENABLED(CONFIG_PREEMPT_RT): page_pool_napi_local() always says no
    preempt_rt: bool = False
    #: the seeded bug, one of :data:`MUTATIONS` (or None)
    mutation: str | None = None

    def __post_init__(self) -> None:
        if self.mutation is not None and self.mutation not in MUTATIONS:
            raise ValueError(f"unknown mutation {self.mutation!r} (known: {', '.join(MUTATIONS)})")

    def bug(self, name: str) -> bool:
        """Is the mutation ``name`` switched on?"""
        return self.mutation == name

    def with_mutation(self, name: str | None) -> Switches:
        return replace(self, mutation=name)

    def describe(self) -> str:
        d = Switches()
        diff = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                if getattr(self, f.name) != getattr(d, f.name)]
        return ", ".join(diff) or "mainline"


MAINLINE = Switches()
