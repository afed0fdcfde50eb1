"""Seeded bugs in the C code: each one a patch applied to a copy of the tree's files.

A bug is an edit of a few tokens of page_pool.c (or helpers.h) that reverts a piece of
the kernel's protocol. :func:`patch_for` turns it into a unified diff against the tree
the user named (nothing of the kernel is stored here beyond the edited fragment), and
:func:`ppcheck.kernel.build.build` applies it with ``patch -p1`` before compiling. The
kill table (docs/kernel.md, tests/test_kernel.py) runs the suite on each patched build:
every bug must be caught, by the property and scenario listed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .tree import Tree, TreeError


@dataclass(frozen=True)
class Bug:
    name: str
    doc: str
    file: str
    old: str
    new: str
    scenario: str  # the scenario that catches it
    prop: str  # the property that fails
    min_kver: int = 612
    more: tuple[tuple[str, str], ...] = ()  # further (old, new) edits of the same file


BUGS: tuple[Bug, ...] = (
    Bug("no_producer_lock",
        "page_pool_recycle_in_ring() produces into the ptr_ring without the producer lock.",
        "net/core/page_pool.c",
        "\tin_softirq = page_pool_producer_lock(pool);\n\tret = !__ptr_ring_produce(",
        "\tin_softirq = in_softirq();\n\tret = !__ptr_ring_produce(",
        "two_producers", "spec_invariants",
        more=(("\t\trecycle_stat_inc(pool, ring);\n\tpage_pool_producer_unlock(pool, in_softirq);\n",
               "\t\trecycle_stat_inc(pool, ring);\n"),)),
    Bug("no_rt_check",
        "page_pool_napi_local() without its PREEMPT_RT test (32471b2f481d's hole).",
        "net/core/page_pool.c",
        "\tif (IS_ENABLED(CONFIG_PREEMPT_RT))\n\t\treturn false;\n",
        "",
        "napi_local_rt", "alloc_cache_single_owner"),
    Bug("nonatomic_pp_ref_sub",
        "page_pool_unref_netmem() subtracts from pp_ref_count with a read and a set.",
        "include/net/page_pool/helpers.h",
        "\tret = atomic_long_sub_return(nr, pp_ref_count);",
        "\tret = atomic_long_read(pp_ref_count) - nr;\n\tatomic_long_set(pp_ref_count, ret);",
        "frag_shared", "spec_invariants"),
    Bug("scrub_no_unmap",
        "page_pool_scrub() skips the DMA unmap of the pages still in flight.",
        "net/core/page_pool.c",
        "\t\txa_for_each(&pool->dma_mapped, id, ptr)\n\t\t\t__page_pool_unmap_netmem_dma(",
        "\t\txa_for_each(&pool->dma_mapped, id, ptr)\n\t\t\tif (0) __page_pool_unmap_netmem_dma(",
        "unbind_inflight", "no_dma_after_unbind"),
    Bug("no_release_count",
        "page_pool_return_page() does not count the page as released.",
        "net/core/page_pool.c",
        "\tcount = atomic_inc_return_relaxed(&pool->pages_state_release_cnt);",
        "\tcount = atomic_read(&pool->pages_state_release_cnt);",
        "cross_cpu_free", "inflight_exact"),
    Bug("no_clear_pp_info",
        "page_pool_return_page() gives the page back without page_pool_clear_pp_info().",
        "net/core/page_pool.c",
        "\t\tpage_pool_clear_pp_info(netmem);\n\t\tput_page(",
        "\t\tput_page(",
        "cross_cpu_free", "pp_page_not_freed_by_put_page"),
    Bug("recycle_any_refcount",
        "__page_pool_page_can_be_recycled() no longer requires page_ref_count() == 1.",
        "net/core/page_pool.c",
        "(page_ref_count(netmem_to_page(netmem)) == 1 &&",
        "(page_ref_count(netmem_to_page(netmem)) >= 1 &&",
        "extra_page_ref", "cached_pages_exclusive"),
    Bug("release_no_lock_wait",
        "page_pool_release() frees the pool without taking the producer lock first.",
        "net/core/page_pool.c",
        "\tin_softirq = page_pool_producer_lock(pool);\n\tpage_pool_producer_unlock(pool, in_softirq);\n"
        "\tif (!inflight)",
        "\tin_softirq = false;\n\tif (!inflight)",
        "destroy_inflight_nosync", "no_pool_use_after_free"),
    Bug("no_disable_direct",
        "page_pool_destroy() leaves cpuid and p.napi set (no page_pool_disable_direct_recycling()).",
        "net/core/page_pool.c",
        "\tpage_pool_disable_direct_recycling(pool);\n\tpage_pool_free_frag(pool);",
        "\tpage_pool_free_frag(pool);",
        "napi_reenabled", "no_cache_push_after_destroy"),
    Bug("empty_ring_skip",
        "page_pool_scrub() does not empty the ptr_ring.",
        "net/core/page_pool.c",
        "\t */\n\tpage_pool_empty_ring(pool);\n}",
        "\t */\n}",
        "cross_cpu_free", "destroy_completes"),
)


#: proposed fixes, applied the same way; ``scenario`` is the finding they close and ``prop``
#: the property that then holds
FIXES: tuple[Bug, ...] = (
    Bug("rcu_napi_local",
        "Yunsheng Lin's unmerged \"page_pool: fix timing for checking and disabling napi_local\": "
        "rcu_read_lock() from page_pool_napi_local() to the end of the recycle, synchronize_rcu() "
        "in page_pool_destroy() after page_pool_disable_direct_recycling().",
        "net/core/page_pool.c",
        "\tif (!allow_direct)\n\t\tallow_direct = page_pool_napi_local(pool);\n\n\tnetmem =\n"
        "\t\t__page_pool_put_page(pool, netmem, dma_sync_size, allow_direct);\n",
        "\trcu_read_lock();\n\tif (!allow_direct)\n\t\tallow_direct = page_pool_napi_local(pool);\n\n"
        "\tnetmem =\n\t\t__page_pool_put_page(pool, netmem, dma_sync_size, allow_direct);\n"
        "\trcu_read_unlock();\n",
        "percpu_destroy_local_free", "no_cache_push_after_destroy",
        more=(("\tpage_pool_disable_direct_recycling(pool);\n\tpage_pool_free_frag(pool);",
               "\tpage_pool_disable_direct_recycling(pool);\n\tsynchronize_rcu();\n"
               "\tpage_pool_free_frag(pool);"),)),
)


#: model variants' old code put back into a 6.12 tree (the spec-trace replay of a variant's
#: counterexample runs on the tree with that code: kernel/spec_replay.py VARIANT_TREES)
REVERTS: tuple[Bug, ...] = (
    Bug("no_cpuid_reset",
        "page_pool_disable_direct_recycling() does not set cpuid = -1 (before 56ef27e3abe6).",
        "net/core/page_pool.c",
        "\tWRITE_ONCE(pool->cpuid, -1);\n",
        "",
        "percpu_destroy_local_free", "no_cache_push_after_destroy"),
)


def names() -> list[str]:
    return [b.name for b in (*BUGS, *FIXES, *REVERTS)]


def by_name(name: str) -> Bug | None:
    return next((b for b in (*BUGS, *FIXES, *REVERTS) if b.name == name), None)


def patch_for(bug: Bug, tree: Tree) -> str:
    """The bug as a unified diff (``patch -p1``) against ``tree``'s file."""
    path = tree.root / bug.file
    if not path.is_file():
        raise TreeError(f"seeded bug {bug.name}: {bug.file} is not in {tree.origin}")
    text = new = path.read_text()
    for old, repl in ((bug.old, bug.new), *bug.more):
        if new.count(old) != 1:
            raise TreeError(f"seeded bug {bug.name} does not apply to {tree.origin} "
                            f"(the code it edits is not there once)")
        new = new.replace(old, repl)
    diff = difflib.unified_diff(text.splitlines(keepends=True), new.splitlines(keepends=True),
                                f"a/{bug.file}", f"b/{bug.file}")
    return "".join(diff)
