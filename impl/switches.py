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
        "page_pool_release() neither takes nor drops the producer lock \"to make sure "
        "producers have exited\" before freeing the pool (tests/seeded_bugs.py's "
        "NoProducerBarrier)",
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
    """The implementation's configuration: design variant plus at most one mutation.

    Each design switch mirrors a model (see :data:`MODEL_SWITCHES`):

    * ``napi_local``: ``"mainline"`` (page_pool_napi_local() of v6.16+: 56ef27e3abe6,
      32471b2f481d), ``"first_merged"`` (8c48eea3adf3, net-next before v6.4: ``napi_safe &&
      napi && list_owner == this CPU``, no PREEMPT_RT test, no cpuid test),
      ``"no_rt_check"`` (mainline without the PREEMPT_RT test);
    * ``destroy_disables``: what page_pool_destroy() resets: ``"mainline"`` (cpuid and
      p.napi: 56ef27e3abe6 and dd64b232deb8), ``"cpuid_only"`` (no unlink), ``"none"``
      (8c48eea3adf3 alone);
    * ``unlink_on_reuse``: page_pool_unlink_napi() when the driver gives its NAPI a new
      pool (``napi_swap_pool`` of the seed 004 models);
    * ``napi_local_steps``: page_pool_napi_local() in mainline's three steps (one read
      each: ``pool->cpuid``, ``pool->p.napi``, ``napi->list_owner``) or in one (seed 004);
    * ``recycle_test``: ``"page_ref"`` (page_ref_count() == 1) or ``"pp_ref"`` (the
      pp002_netmem_pp_ref conversion slip: pp_ref_count == 1).
    """

    napi_local: str = "mainline"
    #: page_pool_napi_local()'s three READ_ONCE()s as three steps (mainline's split,
    #: issue 16); seed 004's models take the check as one step
    napi_local_steps: bool = True
    destroy_disables: str = "mainline"
    unlink_on_reuse: bool = True
    recycle_test: str = "page_ref"
    #: the seeded bug, one of :data:`MUTATIONS` (or None)
    mutation: str | None = None

    def __post_init__(self) -> None:
        if self.mutation is not None and self.mutation not in MUTATIONS:
            raise ValueError(f"unknown mutation {self.mutation!r} (known: {', '.join(MUTATIONS)})")
        if self.napi_local not in ("mainline", "first_merged", "no_rt_check"):
            raise ValueError(f"unknown napi_local {self.napi_local!r}")
        if self.destroy_disables not in ("mainline", "cpuid_only", "none"):
            raise ValueError(f"unknown destroy_disables {self.destroy_disables!r}")
        if self.recycle_test not in ("page_ref", "pp_ref"):
            raise ValueError(f"unknown recycle_test {self.recycle_test!r}")

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
#: seed 004's designs: page_pool_napi_local() is one step there (models/seed004_napi_local.py)
_ONE_STEP = Switches(napi_local_steps=False)

#: models whose design the implementation can run: model name -> switches.  Models with
#: another state schema (seeds 000, 001, 003) have no implementation.
MODEL_SWITCHES: dict[str, Switches] = {
    "mainline": MAINLINE,
    "pp002_page": MAINLINE,
    "pp002_netmem": MAINLINE,
    "pp002_netmem_pp_ref": Switches(recycle_test="pp_ref"),
    "pp004_mainline": _ONE_STEP,
    "pp004_first_merged": replace(_ONE_STEP, napi_local="first_merged", destroy_disables="none",
                                  unlink_on_reuse=False),
    "pp004_no_unlink": replace(_ONE_STEP, destroy_disables="cpuid_only", unlink_on_reuse=False),
    "pp004_no_rt_check": replace(_ONE_STEP, napi_local="no_rt_check"),
}
