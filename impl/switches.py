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
        "page_pool_unref_netmem() subtracts first and tests the result against nr, "
        "instead of reading pp_ref_count == nr first",
    "unref_nonatomic":
        "page_pool_unref_netmem() does read-modify-write of pp_ref_count as two steps "
        "(a plain load and store) instead of atomic_long_sub_return()",
    "no_producer_lock":
        "page_pool_recycle_in_ring() produces into the ptr_ring without producer_lock",
    "cache_ignores_full":
        "page_pool_recycle_in_cache() does not check alloc.count == PP_ALLOC_CACHE_SIZE",
    "release_cnt_before_unmap":
        "page_pool_return_page() increments pages_state_release_cnt before the DMA unmap, "
        "so the pool may be freed while the page is still being unmapped",
    "no_direct_recycle_disable":
        "page_pool_destroy() does not disable direct recycling (cpuid/p.napi stay set)",
    "return_skips_clear_pp_info":
        "page_pool_return_page() forgets page_pool_clear_pp_info(): the page reaches the "
        "buddy allocator still carrying pp_magic",
    "skip_release_cnt":
        "page_pool_return_page() forgets atomic_inc_return(&pages_state_release_cnt)",
}


@dataclass(frozen=True)
class Switches:
    """The implementation's configuration: design variant plus at most one mutation."""

    #: IS_ENABLED(CONFIG_PREEMPT_RT): page_pool_napi_local() always says no
    preempt_rt: bool = False
    #: page_pool_napi_local() also checks pool->p.napi->list_owner (seed 004 and later)
    napi_local_list_owner: bool = True
    #: page_pool_destroy() unlinks p.napi / resets cpuid before releasing (mainline)
    destroy_disables_direct: bool = True
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
