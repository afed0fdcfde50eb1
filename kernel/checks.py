"""What is checked on the compiled kernel after every step, at the end, and over a search.

The properties carry the names of the spec properties they observe on the C structures
(``models/pagepool.py`` ``PagePoolInvariants``, ``models/mainline/properties.py``); the
spec's own expressions are in addition evaluated on the abstracted state at every
quiescent point (:mod:`ppcheck.kernel.spec_map`). The harness's records (a put_page() that
frees a free page, an unmap of what is not mapped, a DMA call after unbind, a yield on
freed pool memory) are the spec's ghost flags; a kernel ``WARN`` that has no spec
counterpart fails ``no_unmodelled_warn``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .driver import KState
from .world import Run, StepInfo

#: harness error record -> the spec property (ghost flag) it is
ERROR_PROPERTY = {
    "double_free": "no_double_free",
    "double_unmap": "no_double_unmap",
    "pp_page_freed": "pp_page_not_freed_by_put_page",
    "pool_uaf": "no_pool_use_after_free",
    "double_kfree": "no_pool_use_after_free",
    "dma_after_unbind": "no_dma_after_unbind",
    "sync_unmapped": "no_dma_after_unbind",
    "unmap_bad_address": "no_double_unmap",
    # two stores into one alloc.cache slot: the C code loses the first page (fine build)
    "cache_slot_overwrite": "page_in_one_place",
}

#: kernel WARNs that are spec assertions: (file, condition text) -> spec property
WARN_PROPERTY = {
    ("helpers.h", "ret < 0"): "pp_ref_never_negative",
    ("page_pool.h", "ret < 0"): "pp_ref_never_negative",
    ("page_pool.c", "inflight < 0"): "inflight_exact",
    ("page_pool.c", "pr_crit"): "cached_pages_exclusive",  # page_pool_empty_ring refcnt != 1
}


@dataclass(frozen=True)
class Prop:
    name: str
    kind: str  # always | final | sometimes
    doc: str


PROPS: dict[str, Prop] = {p.name: p for p in [
    Prop("no_double_free", "always", "put_page() never frees a page already in the buddy allocator."),
    Prop("no_double_unmap", "always", "A DMA mapping is unmapped once (xa_cmpxchg claims it)."),
    Prop("pp_page_not_freed_by_put_page", "always",
         "A page reaches the buddy allocator only after page_pool_clear_pp_info()."),
    Prop("no_pool_use_after_free", "always", "Nothing touches the pool after __page_pool_destroy()."),
    Prop("no_dma_after_unbind", "always", "No DMA map/sync/unmap after the driver unbound the device."),
    Prop("pp_ref_never_negative", "always", "page_pool_unref_netmem()'s WARN_ON(ret < 0) never fires."),
    Prop("cached_pages_exclusive", "always",
         "Pages in alloc.cache and the ptr_ring have refcount 1, pp_magic and pp_ref_count 1."),
    Prop("page_in_one_place", "always", "No page is twice in alloc.cache/ptr_ring or there while free."),
    Prop("alloc_cache_single_owner", "always",
         "alloc.cache is changed by one context at a time (no other context mid-call on it)."),
    Prop("no_cache_push_after_destroy", "always",
         "Nothing enters alloc.cache once page_pool_scrub() emptied it (destroy_cnt > 0)."),
    Prop("pool_freed_only_at_zero", "always", "The pool is freed only when no page carries its pp_magic."),
    Prop("inflight_exact", "always",
         "At quiescent points hold - release equals the pages carrying pp_magic."),
    Prop("no_unmodelled_warn", "always", "The kernel raises no WARN the spec has no counterpart for."),
    Prop("no_deadlock", "always", "Some context can always run until every program has ended."),
    Prop("destroy_completes", "final",
         "After destroy and every page returned, the worker frees the pool and every page is back "
         "in the buddy allocator, unmapped, with hold == release."),
    Prop("spec_invariants", "always",
         "The mainline spec's invariants hold on the abstracted state at every quiescent point."),
    Prop("refines_spec", "always",
         "A kernel call that ran alone between two quiescent points is a run of the spec actions "
         "it corresponds to (spec_map.ACTION_OF), from the abstracted state before to the one after."),
    Prop("ring_full", "sometimes", "The ptr_ring fills up."),
    Prop("refill_from_ring", "sometimes", "The alloc cache is refilled from the ptr_ring."),
    Prop("direct_recycling", "sometimes", "A context other than the consumer recycles into alloc.cache."),
    Prop("destroy_deferred_then_freed", "sometimes",
         "page_pool_destroy() defers to the release worker, which later frees the pool."),
]}


def _warn_key(line: str) -> tuple[str, str]:
    # "WARN ctx=1 helpers.h:258 ret < 0"
    parts = line.split(" ", 3)
    loc = parts[2] if len(parts) > 2 else ""
    return loc.split(":", 1)[0], parts[3] if len(parts) > 3 else ""


def log_violations(lines: list[str]) -> list[tuple[str, str]]:
    """(property, detail) for every error or WARN record."""
    out = []
    for ln in lines:
        if ln.startswith("ERR "):
            kind = ln.split(" ")[2]
            out.append((ERROR_PROPERTY.get(kind, "no_unmodelled_warn"), ln))
        elif ln.startswith("WARN "):
            out.append((WARN_PROPERTY.get(_warn_key(ln), "no_unmodelled_warn"), ln))
    return out


def state_violations(run: Run, s: KState, info: StepInfo | None) -> list[tuple[str, str]]:
    """Invariants over the C structures after a step."""
    out: list[tuple[str, str]] = []
    pages = s.pages
    frag = run.k.kver >= 606  # 6.1's pp_frag_count is 0 on cached pages
    # a slot a context is about to store into holds a stale pointer (count raised first)
    stale = {run.k.lib.pph_pending_cache_slot(c) for c in range(len(run.sc.contexts)) if run.k.busy(c)}
    cache = tuple(pf for i, pf in enumerate(s.cache) if i not in stale)
    for pfn in (*cache, *s.ring):
        if not 0 <= pfn < len(pages):
            out.append(("page_in_one_place", f"pfn {pfn} in the cache/ring is not a page of the memmap"))
            continue
        p = pages[pfn]
        if p.free:
            out.append(("page_in_one_place", f"page {pfn} is in the cache/ring and free in the buddy"))
        elif p.refcount != 1 or not p.magic or (frag and p.pp_ref != 1):
            out.append(("cached_pages_exclusive",
                        f"page {pfn} in the cache/ring has refcount {p.refcount}, pp_ref {p.pp_ref}, "
                        f"pp_magic {'set' if p.magic else 'clear'}"))
    seen = [*cache, *s.ring]
    dup = {x for x in seen if seen.count(x) > 1}
    if dup:
        out.append(("page_in_one_place", f"page(s) {sorted(dup)} twice in alloc.cache/ptr_ring"))
    if s.destroy_cnt > 0 and s.alloc_count > 0 and not s.pool_freed:
        out.append(("no_cache_push_after_destroy",
                    f"alloc.count = {s.alloc_count} after page_pool_scrub() (destroy_cnt {s.destroy_cnt})"))
    if s.pool_freed:
        left = [p.pfn for p in pages if p.magic and p.pp_is_pool]
        if left or s.cache or s.ring:
            out.append(("pool_freed_only_at_zero",
                        f"the pool was freed with page(s) {left} still carrying its pp_magic"))
    if info is not None and info.cache_changed:
        others = [o for o in range(len(run.sc.contexts))
                  if o != info.ctx and run.k.busy(o) and run.touched_cache[o]]
        if others:
            names = ", ".join(run.sc.contexts[o].name for o in others)
            out.append(("alloc_cache_single_owner",
                        f"{run.sc.contexts[info.ctx].name} changed alloc.cache while {names} was inside "
                        "a call using it"))
    if not any(run.k.busy(c) for c in range(len(run.sc.contexts))) and not s.pool_freed:
        magic = sum(p.magic for p in pages)
        if s.inflight != magic:
            out.append(("inflight_exact",
                        f"hold - release = {s.inflight} but {magic} page(s) carry pp_magic"))
    return out


def final_violations(run: Run, s: KState) -> list[tuple[str, str]]:
    if not run.sc.destroys:
        return []
    bad = []
    if not s.pool_freed:
        bad.append(f"the pool is not freed (inflight {s.inflight}, work pending {s.work_pending})")
    nf = [p.pfn for p in s.pages if not p.free]
    if nf:
        bad.append(f"page(s) {nf} never returned to the buddy allocator")
    mp = [p.pfn for p in s.pages if p.mapped]
    if mp:
        bad.append(f"page(s) {mp} still DMA-mapped")
    return [("destroy_completes", "; ".join(bad))] if bad else []


#: witnesses: (name, test on (run, state, step))
WITNESSES: dict[str, Callable[[Run, KState, StepInfo | None], bool]] = {
    "ring_full": lambda r, s, i: len(s.ring) >= r.sc.pool_size,
    "refill_from_ring": lambda r, s, i: (i is not None and i.ring_delta < 0 and "alloc" in i.instr),
    "direct_recycling": lambda r, s, i: (i is not None and i.cache_delta > 0
                                         and not r.sc.contexts[i.ctx].consumer),
    "destroy_deferred_then_freed": lambda r, s, i: s.pool_freed and r.k.lib.pph_work_runs() > 0,
    # a page from the reserves went back to the buddy allocator (not recycled)
    "pfmemalloc_page_released": lambda r, s, i: r.k.lib.pph_pfmemalloc_released() > 0,
    # the NAPI's allocation call gave a page back (page_pool_refill_alloc_cache()'s NUMA waive)
    "refill_waived_remote_page": lambda r, s, i: r.k.lib.pph_alloc_released() > 0,
}
