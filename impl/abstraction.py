"""The abstraction function: implementation state -> ``models/mainline/`` state.

Everything the spec keeps as a field is read off the implementation, never tracked on
the side:

* a page's ``loc`` is *where it is found*: free in the buddy allocator, in
  ``alloc.cache[0..count)`` (``slot`` = index), in the ptr_ring (``slot`` = FIFO
  position from ``consumer_head``), ``pool->frag_page``, the driver's RX ring, or held
  by a context whose pending label is past ``page_pool_unref_netmem()`` (``CTX``);
  anything else is ``USERS``;
* a context's ``pc`` is its pending label (:data:`~ppcheck.impl.world.LABEL_PC`); its
  ``nr``/``direct``/``after`` are read from the suspended call stack (the
  ``allow_direct`` local, which caller of ``page_pool_unref_netmem()`` is on the
  stack, its ``drain_count``); ``stage``/``flag`` of the control path and the worker
  are their pending labels and the ``inflight`` local of ``page_pool_release()``;
* the counters wrap at ``counter_bits`` as the spec's do (the kernel's are u32);
* the ghost flags are the WARNs the implementation recorded, by name.

Pool fields the spec saturates (``destroy_cnt``) are saturated here too.
"""

from __future__ import annotations

from typing import Any

from ppcheck.models.pagepool import PC, After, AllocStat, Loc, Role, Stage
from ppcheck.spec.model import System

from .kernel import PP_SIGNATURE
from .world import World, frames

#: ghost flags of the spec (models/pagepool.py ``Ghost``)
GHOSTS = ("double_free", "double_unmap", "pp_ref_negative", "kind_mismatch", "pool_uaf",
          "dma_after_unbind", "cache_after_destroy", "pp_page_freed", "recycled_in_use")

#: pending label of the remove path / the worker -> stage
STAGE_OF_LABEL = {
    "napi_disable": Stage.IDLE,
    "napi_disable_wait": Stage.NAPI_DISABLE,
    "driver_rx_ring_free": Stage.RX_CLEAN,
    "driver_rx_ring_done": Stage.RX_CLEAN,
    "page_pool_destroy": Stage.DESTROY,
    "page_pool_free_frag": Stage.FREE_FRAG,
    "page_pool_scrub": Stage.SCRUB_CACHE,
    "page_pool_scrub_unmap": Stage.SCRUB_DMA,
    "page_pool_empty_ring": Stage.EMPTY_RING,
    "page_pool_release_lock": Stage.LOCK,
    "page_pool_release_unlock": Stage.UNLOCK,
    "page_pool_release_retry": Stage.PENDING,
    "driver_unbind": Stage.UNBIND,
}

OWNED = (PC.NAPI_LOCAL, PC.NAPI_LOCAL_NAPI, PC.NAPI_LOCAL_OWNER, PC.PUT_PAGE, PC.CACHE_PUSH,
         PC.CACHE_STORE, PC.RING_LOCK, PC.RING_PRODUCE, PC.RING_UNLOCK_FULL, PC.RETURN,
         PC.RETURN_RELEASE, PC.RETURN_PUT)


#: pcs whose ``cache_idx`` is the ``count`` local of the cache function on the stack
CACHE_IDX_PCS = (PC.CACHE_STORE, PC.CACHE_POP, PC.REFILL, PC.REFILL_POP)
CACHE_FRAMES = ("page_pool_recycle_in_cache", "__page_pool_get_cached", "page_pool_refill_alloc_cache")


def ctx_locals(w: World, c: int) -> dict[str, Any]:
    """pc, page, nr, direct, after, stage, flag, sh, recycle of context ``c``."""
    label = w.pending(c)
    pc = w.pc(c)
    out: dict[str, Any] = {"pc": pc, "page": None, "nr": 0, "direct": False, "after": After.NONE,
                           "stage": Stage.IDLE, "flag": False, "sh": None, "recycle": False,
                           "local": False, "cache_idx": 0, "alloc_frag": False,
                           "rcu_gp": w.rcu_gp(c)}
    t = w.tasks[c]
    stack = frames(t.gen) if t is not None and not t.done else []
    names = [n for n, _ in stack]
    if pc != PC.READY:
        out["page"] = None if pc == PC.RING_UNLOCK else label.arg("page")
        for name, locs in stack:
            if name == "page_pool_put_page":
                out["after"], out["nr"] = After.PUT, 1
            elif name in ("page_pool_drain_frag", "page_pool_free_frag"):
                out["after"] = After.DRAIN if name == "page_pool_drain_frag" else After.FREE_FRAG
                out["nr"] = locs.get("drain_count", 0)
            if "allow_direct" in locs:
                out["direct"] = bool(locs["allow_direct"])
            if "local" in locs:
                out["local"] = bool(locs["local"])
    if pc in CACHE_IDX_PCS:
        for name, locs in stack:
            if name in CACHE_FRAMES and "count" in locs:
                out["cache_idx"] = locs["count"]
        out["alloc_frag"] = pc != PC.CACHE_STORE and "page_pool_alloc_frag" in names
    role = w.role(c)
    if role in (Role.CONTROL, Role.WORKER):
        if t is None:
            out["stage"] = Stage.DONE if (role == Role.WORKER and w.worker_scheduled) else Stage.IDLE
        elif t.done:
            out["stage"] = Stage.DONE
        elif pc != PC.READY or label.action not in STAGE_OF_LABEL:
            out["stage"] = Stage.SCRUB_CACHE if "page_pool_free_frag" in names else Stage.RX_CLEAN
        else:
            out["stage"] = STAGE_OF_LABEL[label.action]
        if out["stage"] in (Stage.LOCK, Stage.UNLOCK):
            for name, locs in stack:
                if name == "page_pool_release":
                    out["flag"] = locs.get("inflight") == 0
    in_unref = pc in (PC.DATAREF_READ, PC.DATAREF_SUB)  # inside skb_data_unref()
    for name, locs in stack:
        if name == "skb_release_data" and ("released" in locs or in_unref):
            out["sh"] = locs["shinfo"].id
            out["recycle"] = bool(locs["recycle"])
    return out


def abstract_flat(w: World) -> dict[str, Any]:
    """The spec state of world ``w`` as {field name: value} (enum members, bools, ints,
    None for an empty Ref), the names of :meth:`Layout.names`."""
    k, pool = w.k, w.pool
    bits = int(w.params["counter_bits"])
    mask = (1 << bits) - 1
    out: dict[str, Any] = {}
    ctxs = [ctx_locals(w, c) for c in range(len(w.specs))]
    cache = dict(pool.cache_overwritten)
    cache.update({p.pfn: i for i, p in enumerate(pool.alloc_cache[:pool.alloc_count]) if p is not None})
    ring = {p.pfn: i for i, p in enumerate(pool.ring.entries())}
    owned = {cl["page"]: c for c, cl in enumerate(ctxs) if cl["pc"] in OWNED}
    for p in k.memmap:
        slot = 0
        if p.free:
            loc = Loc.BUDDY
        elif p.pfn in cache:
            loc, slot = Loc.CACHE, cache[p.pfn]
        elif p.pfn in ring:
            loc, slot = Loc.RING, ring[p.pfn]
        elif pool.frag_page is p:
            loc = Loc.FRAG
        elif p.pfn in w.rx:
            loc = Loc.RX
        elif p.pfn in owned:
            loc = Loc.CTX
        else:
            loc = Loc.USERS
        magic = (p.pp_magic & ~0x3) == PP_SIGNATURE and not p.free
        pre = f"pages[{p.pfn}]."
        out[pre + "loc"] = loc
        out[pre + "slot"] = slot
        out[pre + "refcnt"] = 0 if p.free else p._refcount
        out[pre + "pp_ref"] = max(p.pp_ref_count, 0) if magic else 0
        out[pre + "magic"] = magic
        out[pre + "mapped"] = p.pfn in k.device.mapped
        out[pre + "pp_holders"] = w.pp_holders.get(p.pfn, 0)
        out[pre + "page_holders"] = w.page_holders.get(p.pfn, 0)
        # the mainline paths the implementation does not have (docs/impl.md): no memory
        # provider, no pfmemalloc pages, no bulk free
        out[pre + "niov"] = False
        out[pre + "pfmemalloc"] = False
        out[pre + "bulk"] = 0
    owner = pool.ring.producer_lock.owner
    ring_lock = next((c for c in range(len(w.specs)) if w.ctx[c].name == owner), None)
    out.update({
        "pool.alloc_count": pool.alloc_count, "pool.ring_count": len(ring),
        "pool.ring_lock": ring_lock,
        "pool.hold": pool.pages_state_hold_cnt & mask,
        "pool.release": pool.pages_state_release_cnt & mask,
        "pool.cpuid": pool.cpuid, "pool.napi_linked": pool.napi is not None,
        "pool.user_cnt": pool.user_cnt, "pool.destroy_cnt": min(pool.destroy_cnt, 1),
        "pool.freed": pool.freed, "pool.dma_sync": pool.dma_sync,
        "pool.frag_page": pool.frag_page.pfn if pool.frag_page is not None else None,
        "pool.frag_users": pool.frag_users, "pool.frag_offset": pool.frag_offset,
        "pool.deferred": pool.defer_start is not None, "pool.alloc_stat": AllocStat[w.poll_stat],
        "napi.owner": w.napi.list_owner, "napi.enabled": not w.napi.disabled,
        "dev.bound": k.device.bound,
        "swapped": w.swapped,  # seed 004's SwapState (ignored by layouts without it)
        "local_after_destroy": pool.local_after_destroy,  # seed 004's ghost (likewise)
        "pool.mem_model": 0,  # no xdp_rxq_info memory model in the implementation
        "pool.nid_changed": False,  # no page_pool_update_nid() in the implementation
        "ghost.niov_page_op": False,  # no net_iov in the implementation
    })
    for c, sp in enumerate(w.specs):
        cl = ctxs[c]
        pre = f"ctxs[{c}]."
        out.update({pre + "cpu": sp.cpu, pre + "kind": sp.kind, pre + "role": sp.role,
                    pre + "pc": cl["pc"], pre + "page": cl["page"], pre + "nr": cl["nr"],
                    pre + "direct": cl["direct"], pre + "after": cl["after"],
                    pre + "in_poll": w.in_poll[c], pre + "stage": cl["stage"],
                    pre + "flag": cl["flag"], pre + "sh": cl["sh"], pre + "recycle": cl["recycle"],
                    pre + "local": cl["local"],  # seed 004's LocalCtx (likewise)
                    pre + "cache_idx": cl["cache_idx"], pre + "alloc_frag": cl["alloc_frag"],
                    pre + "rcu_gp": cl["rcu_gp"]})
        out.update({pre + "bpc": 0, pre + "bdirect": False})  # no bulk free in the implementation
    for j in range(len(w.shinfos)):
        (p1, p2), (k1, k2) = w.shinfo_view(j)
        pre = f"shinfos[{j}]."
        out.update({pre + "dataref": w.shinfo_dataref(j), pre + "page": p1, pre + "pp_kind": k1,
                    pre + "page2": p2, pre + "pp_kind2": k2,
                    pre + "head": None, pre + "head_pp": False})  # heads are slab memory here
        skb = w.skbs.get(j)
        live = skb is not None and not skb.freed
        pre = f"skbs[{j}]."
        out.update({pre + "live": live, pre + "sh": skb.shinfo.id if live else None,
                    pre + "pp_recycle": live and skb.pp_recycle, pre + "cloned": live and skb.cloned})
    flags = {f for f, _ in k.errors}
    for g in GHOSTS:
        out["ghost." + g] = g in flags
    return out


def abstract_json(w: World, system: System) -> dict[str, Any]:
    """The spec state of ``w`` as the nested JSON traces use."""
    return system.layout.to_json(abstract(w, system))


_NAMES: dict[int, list[str]] = {}


def abstract(w: World, system: System) -> int:
    """The packed spec state of ``w`` in ``system``'s layout (raises SpecError when a
    value leaves its spec domain)."""
    key = id(system.layout)
    names = _NAMES.get(key)
    if names is None:
        names = _NAMES[key] = system.layout.names()
    flat = abstract_flat(w)
    missing = [n for n in names if n not in flat]
    if missing:
        from ppcheck.spec.expr import SpecError

        raise SpecError(f"the abstraction does not map the spec field(s) {', '.join(missing[:5])} "
                        f"of {system.name} (the state schema changed: extend impl/abstraction.py)")
    return system.layout.pack([-1 if (v := flat[n]) is None else int(v) for n in names])


def unmodelled_warnings(w: World) -> list[str]:
    """WARNs the implementation raised that have no ghost flag in the spec."""
    return [f"{f}: {m}" for f, m in w.k.errors if f not in GHOSTS]
