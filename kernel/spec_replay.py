"""Replaying a *spec* trace (``ppcheck check --out``, counterexamples/*.json) step for step
on a kernel tree's compiled page_pool.c.

The translation, written once in :data:`STEPS` (a table keyed by spec action name, so finer
spec steps map by adding rows):

* every spec action is either a **world** step with no kernel call (the NAPI's
  ``napi_schedule``/``napi_poll_end`` set ``napi->list_owner``; ``napi_poll_begin``,
  ``napi_rx_pass``, ``driver_rx_ring_done``, ``napi_disable`` change nothing the C code
  reads), the **entry** of a kernel call (``page_pool_alloc_slow`` -> ``page_pool_alloc_pages()``,
  ``page_pool_put_full_page`` / ``napi_xdp_drop`` / ``driver_rx_ring_free`` ->
  ``page_pool_put_full_page()``, ``page_pool_destroy`` -> ``page_pool_destroy()``,
  ``page_pool_release_retry`` -> the release work, ``get_page``/``stack_put_page``, ...), or
  a **step inside** the call its context is in;
* each action names the kernel yield points where its part of the C code *starts*: a
  ``(function, yield label)`` pair matched against the inline chain of the yield point
  (:mod:`.symbols`, ``addr2line -i``), e.g. ``page_pool_unref_sub`` starts at the
  ``atomic_long_sub_return`` in ``page_pool_unref_netmem``, ``page_pool_producer_lock`` at the
  ``spin_lock`` in ``page_pool_producer_lock``;
* a spec step of context X runs X's kernel call on until X is about to execute the start of
  an action that the spec trace shows X doing *later in the same call* (its own start, for a
  repeated action such as one ``page_pool_empty_ring`` per ring page); a step that ends the
  call in the spec runs the kernel call to its return. Actions without yield points of their
  own (``page_pool_recycle_in_cache``'s plain stores) run inside the step before them.

The kernel scope is the spec configuration's: ``PP_ALLOC_CACHE_SIZE``/``_REFILL`` are built as
``cache_size``/``refill`` (:func:`~ppcheck.kernel.build.build` ``scope``), the ptr_ring has
``ring_size`` slots, the buddy allocator hands out the page the spec's allocation names (so
a kernel pfn is the spec's page index) and fails where the spec's ``page_pool_alloc_fail``
does. At every point where both sides are quiescent (no context inside a call) the C state,
abstracted, must equal the spec state on every page field and pool field compared
(:func:`compare`); the kernel's execution rules must let each context run when the spec
runs it; every C-side check and the spec's invariants on the abstracted state run after
every step. The verdict of a counterexample is whether the kernel fails the same property;
of a witness, whether the steps all ran with every quiescent state agreeing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ppcheck.checks.traces import Trace, load_trace

from .build import build
from .checks import WITNESSES, log_violations, state_violations
from .driver import PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, PP_FLAG_PAGE_FRAG, Kernel, KState, Op
from .spec_map import BIAS_MAX
from .symbols import Symbols
from .tree import Tree
from .world import CtxSpec, Instr, Run, Scenario

#: a yield point an action starts at: (kernel function in the inline chain, yield label or None)
Start = tuple[str, str | None]


@dataclass(frozen=True)
class Step:
    """How one spec action maps onto the kernel: ``op`` the call it enters (None: a step inside
    the current call, or a world step when ``world``), ``starts`` the yield points where its
    part of the C code starts."""

    op: Op | None = None
    starts: tuple[Start, ...] = ()
    world: bool = False
    queue: bool = False  # a step of the caller that queues a page for its next bulk call


_UNREF_READ: tuple[Start, ...] = (("page_pool_unref_netmem", "atomic_long_read"),)
_UNREF_SUB: tuple[Start, ...] = (("page_pool_unref_netmem", "atomic_long_sub_return"),)
# the ring-empty test of page_pool_refill_alloc_cache() runs before every slow allocation
_ALLOC: tuple[Start, ...] = (("page_pool_refill_alloc_cache", None), ("__ptr_ring_empty", None))

#: spec action (models/mainline) -> its kernel call and yield points (6.12 function names)
STEPS: dict[str, Step] = {
    # the NAPI and the driver: no page_pool call
    "napi_schedule": Step(world=True),
    "napi_poll_begin": Step(world=True),
    "napi_poll_end": Step(world=True),
    "napi_rx_pass": Step(world=True),
    "napi_disable": Step(world=True),
    "driver_rx_ring_done": Step(world=True),
    "napi_enable_new_pool": Step(world=True),
    # threaded NAPI and busy polling (models/mainline/threaded.py): the kthread or the busy
    # poller takes the NAPI with its own state bits; the only NAPI field page_pool.c reads,
    # ``list_owner``, follows the spec's ``napi.owner`` after every world step
    "napi_threaded_poll": Step(world=True),
    "napi_busy_loop": Step(world=True),
    "busy_poll_stop": Step(world=True),
    # allocation: page_pool_alloc_pages(), page_pool_alloc_frag()
    "page_pool_alloc_fast": Step(Op.ALLOC),
    "page_pool_refill_alloc_cache": Step(Op.ALLOC, _ALLOC),
    "page_pool_alloc_slow": Step(Op.ALLOC, _ALLOC),
    "page_pool_alloc_fail": Step(Op.ALLOC, _ALLOC),
    # the pop's slot load (only pops load from alloc.cache; the refill loop stores to it)
    "page_pool_cache_pop": Step(None, (("__page_pool_get_cached", "load pool->alloc.cache"),)),
    "page_pool_refill_consume": Step(None, (("__ptr_ring_consume", None),)),
    "page_pool_alloc_frag": Step(Op.ALLOC_FRAG),
    "page_pool_drain_frag": Step(Op.ALLOC_FRAG),
    # the free path: page_pool_put_full_page()
    "page_pool_put_full_page": Step(Op.PUT),
    "napi_xdp_drop": Step(Op.PUT),
    "driver_rx_ring_free": Step(Op.PUT),
    "page_pool_unref_read": Step(None, _UNREF_READ),
    "page_pool_unref_sub": Step(None, _UNREF_SUB),
    "page_pool_napi_local": Step(None, (("page_pool_napi_local", None),)),
    # issue 16's splits: page_pool_napi_local()'s later reads, the push's store, the return's
    # release count, the alloc cache's pop and the refill's per-page consume
    "page_pool_napi_local_napi": Step(None, (("page_pool_napi_local", "READ_ONCE(pool->p.napi)"),)),
    "page_pool_napi_local_owner": Step(None, (("page_pool_napi_local", "READ_ONCE(napi->list_owner)"),)),
    "page_pool_put_page": Step(None, (("__page_pool_put_page", None),)),
    "page_pool_recycle_in_cache": Step(None, (("page_pool_recycle_in_cache", None),)),
    "page_pool_recycle_in_cache_store": Step(None, (
        ("page_pool_recycle_in_cache", "store pool->alloc.cache"),
        ("page_pool_recycle_in_cache", "store pool->alloc.count"))),
    "page_pool_producer_lock": Step(None, (("page_pool_producer_lock", None),)),
    "ptr_ring_produce": Step(None, (("__ptr_ring_produce", None),)),
    "page_pool_producer_unlock": Step(None, (("page_pool_producer_unlock", None),)),
    "page_pool_return_page": Step(None, (("page_pool_return_page", None),)),
    "page_pool_return_release": Step(None, (("page_pool_return_page", "atomic_inc_return"),)),
    "page_pool_return_put": Step(None, (("put_page", "atomic_dec_and_test"),)),
    # stack page references
    "get_page": Step(Op.GET_PAGE),
    "stack_put_page": Step(Op.PUT_PAGE),
    # the control path and the release worker
    "napi_disable_wait": Step(Op.NAPI_DISABLE),
    "page_pool_destroy": Step(Op.DESTROY),
    "page_pool_release_retry": Step(Op.WORKER),
    "page_pool_free_frag": Step(None, (("page_pool_free_frag", None),)),
    "page_pool_empty_alloc_cache_once": Step(None, (("page_pool_empty_alloc_cache_once", None),)),
    "page_pool_scrub": Step(None, (("page_pool_scrub", None),)),
    # synchronize_net()'s grace period (dma_sync on, pages mapped), else the xa_for_each
    "page_pool_scrub_unmap": Step(None, (("pp_synchronize_rcu", None), ("page_pool_scrub", "xa_find"))),
    "page_pool_empty_ring": Step(None, (("ptr_ring_consume_bh", "spin_lock"),)),
    "page_pool_inflight": Step(None, (("page_pool_inflight", None),)),
    "page_pool_release_lock": Step(None, (("page_pool_producer_lock", None),)),
    "page_pool_release_unlock": Step(None, (("page_pool_producer_unlock", None),)),
    "driver_unbind": Step(Op.UNBIND),
    # the bulk free (models/mainline/bulk.py): xdp_return_frame_bulk() queues the frame in the
    # caller's bq (net/core/xdp.c, no pool state); xdp_flush_frame_bulk() is the call of
    # page_pool_put_page_bulk() with the queued frames, whose steps start at its
    # page_pool_is_last_ref() reads, __page_pool_put_page(), the one producer lock, each
    # __ptr_ring_produce(), the unlock and the returns after a full ring
    "xdp_return_frame_bulk": Step(queue=True),
    "xdp_flush_frame_bulk": Step(Op.BULK),
    "page_pool_is_last_ref": Step(None, (("page_pool_is_last_ref", "atomic_long_read"),)),
    "page_pool_is_last_ref_sub": Step(None, (("page_pool_is_last_ref", "atomic_long_sub_return"),)),
    "page_pool_put_page_bulk": Step(None, (("__page_pool_put_page", None),)),
    "page_pool_recycle_ring_bulk_lock": Step(None, (("page_pool_producer_lock", None),)),
    "page_pool_recycle_ring_bulk_produce": Step(None, (("__ptr_ring_produce", None),)),
    "page_pool_recycle_ring_bulk_unlock": Step(None, (("page_pool_producer_unlock", None),)),
    "page_pool_recycle_ring_bulk_return": Step(None, (("page_pool_return_page", None),)),
    "page_pool_ref_netmem": Step(Op.REF),
    # the bulk slow allocation: alloc_pages_bulk_array_node() hands out the spec's two pages
    # (the buddy allocator is told which, and how many: pph_buddy_plan)
    "page_pool_alloc_pages_bulk": Step(Op.ALLOC, _ALLOC),
    # the XDP memory model (models/mainline/xdp.py): page_pool_use_xdp_mem(), and the
    # unregistration's page_pool_destroy() of the pool mem.id names
    "xdp_rxq_info_reg_mem_model": Step(Op.XDP_REG),
    "xdp_rxq_info_unreg_mem_model": Step(Op.XDP_UNREG),
    # NUMA and pfmemalloc: page_pool_update_nid() from the poll (the NAPI moved to node 1);
    # the refill's node check returning a ring page of node 0; a page from the reserves
    "page_pool_update_nid": Step(Op.UPDATE_NID),
    "page_pool_refill_alloc_cache_waive": Step(Op.ALLOC, _ALLOC),
    "page_pool_alloc_pfmemalloc": Step(Op.ALLOC, _ALLOC),
}

#: the spec's allocation steps that name the page the buddy allocator hands out
_BUDDY_STEPS = ("page_pool_alloc_slow", "page_pool_alloc_fail", "page_pool_alloc_pages_bulk",
                "page_pool_alloc_pfmemalloc")

#: control/worker stages at which their kernel call has returned
_CALL_DONE_STAGES = {Op.DESTROY: {"UNBIND", "DONE"}, Op.WORKER: {"PENDING", "DONE", "IDLE"},
                     Op.NAPI_DISABLE: {"RX_CLEAN"}, Op.UNBIND: {"DONE"},
                     Op.XDP_UNREG: {"UNBIND", "DONE"}}
_QUIET_STAGES = {"IDLE", "NAPI_DISABLE", "RX_CLEAN", "DESTROY", "UNBIND", "DONE", "PENDING"}
STACK = "stack"


#: the actions inside a call (a trace that ends inside a call stops its context at the next)
INNER = [a for a, st in STEPS.items() if st.op is None and not st.world and not st.queue]
BLOCKED = "blocked"


class SpecReplayError(Exception):
    """A spec trace that cannot be translated (one line for the user)."""


@dataclass
class Call:
    """One kernel call of a spec context: the indices of its spec steps."""

    ctx: int  # harness context index
    op: Op
    instr: Instr
    steps: list[int] = field(default_factory=list)
    returns: bool = False  # the trace shows the call return (it may end inside it)


@dataclass
class Translation:
    """A spec trace as a kernel scenario and, per spec step, which call it is part of."""

    scenario: Scenario
    calls: list[Call]
    call_of: dict[int, int]  # spec step index -> index into calls
    spec_ctx: dict[str, int]  # spec 'who' -> harness context
    cfg: dict[str, Any]
    frags_per_page: int


@dataclass
class Outcome:
    """What a spec trace did on the kernel."""

    verdict: str  # reproduced | diverged | not reproduced | not applicable
    detail: str
    steps: int = 0  # spec steps run
    kernel_steps: int = 0
    compared: int = 0  # quiescent points compared
    failed: dict[str, str] = field(default_factory=dict)
    waits: list[str] = field(default_factory=list)  # kernel waits that reordered a spec step


@dataclass(frozen=True)
class Variant:
    """Which tree has a model's code: linux ``min_kver``..``max_kver``, with ``patch`` (a
    :mod:`.bugs` revert or fix) applied; ``why`` says why no tree has it."""

    min_kver: int = 0
    max_kver: int = 10_000
    patch: str | None = None
    why: str = ""


#: model (name or name prefix) -> the tree that has its code
VARIANTS: dict[str, Variant] = {
    "mainline": Variant(607),
    "mainline_rcu_napi_local": Variant(608, patch="rcu_napi_local"),
    "pp004_mainline": Variant(608),
    "pp004_no_rt_check": Variant(608, patch="no_rt_check"),
    "pp004_no_cpuid_reset": Variant(609, patch="no_cpuid_reset"),
    "pp004_no_unlink": Variant(why="its traces swap the NAPI to a new pool (napi_swap_pool): the "
                                   "harness has one pool"),
    "pp004_first_merged": Variant(why="8c48eea3adf3's early locality check in napi_pp_put_page() "
                                      "(v6.4 to v6.9) is in neither tree: 6.1 predates it, 6.12 has "
                                      "4a96a4e807c3's later check"),
    "pp004_v64": Variant(why="v6.4's early locality check is in neither tree (6.1 predates it, 6.12 "
                             "has the later check)"),
    "pp000": Variant(why="seed 000's designs are the 2016 RFC's, never merged in that form"),
    "pp001": Variant(why="seed 001 is the skb recycling path (net/core/skbuff.c), which the harness "
                         "does not compile"),
    "pp002": Variant(why="seed 002's netmem series (2023, v3) was not merged in that form"),
    "pp003_monofrag_overlap": Variant(why="the pp_frag_count/dma_addr_upper overlap exists on 32-bit "
                                          "architectures with 64-bit DMA only; the harness is 64-bit"),
    "pp003": Variant(why="of seed 003's designs only pp003_before (PP_FLAG_PAGE_FRAG, linux 5.15-6.6) "
                         "is mapped (spec_replay_frag); the unified v2 and the mono-frags were never "
                         "merged, and pp003_mainline's actions are seed 003's, not mainline's"),
}


def variant_of(model: str) -> Variant | None:
    """The longest entry of :data:`VARIANTS` naming ``model`` or a prefix of it."""
    best = None
    for name, v in VARIANTS.items():
        if (model == name or model.startswith(name + "_")) and (best is None or len(name) > len(best[0])):
            best = (name, v)
    return best[1] if best else None


def applies(trace: Trace, tree: Tree) -> str:
    """'' when the trace's model describes ``tree``'s code (with :func:`patch_name` applied);
    else why not."""
    v = variant_of(trace.model)
    if v is None:
        return f"no tree is known to have the code of model {trace.model} (spec_replay.VARIANTS)"
    if v.why:
        return v.why
    if not v.min_kver <= tree.kver <= v.max_kver:
        return f"{trace.model} describes linux {v.min_kver // 100}.{v.min_kver % 100} and later"
    if tree.kver < 607:
        return (f"linux {tree.name} has pp_frag_count and PP_FLAG_PAGE_FRAG, not the unified "
                f"pp_ref_count the mainline actions describe")
    params = trace.config.get("params", {})
    for k, why in (("skbs", "the skb paths (skbuff.c) are not compiled"),
                   ("mp", MP_WHY)):
        if params.get(k):
            return why
    for st in trace.steps[1:]:
        if st.action not in STEPS:
            return f"the spec action {st.action} has no kernel counterpart in spec_replay.STEPS"
    return ""


#: why a memory provider's traces do not run (docs/kernel.md, "Left out")
MP_WHY = ("memory providers (devmem) are not driven: a net_iov comes from a dma-buf binding's "
          "genpool (net/core/devmem.c, mp_dmabuf_devmem_alloc_netmems()), which is not compiled; "
          "the pool would need pool->mp_priv set by a netdev_rx_queue binding and netmem_ref "
          "values with the NET_IOV bit, neither of which the shim's struct page memmap has")


def _ctx_of(who: str) -> int | None:
    if who.startswith("ctxs["):
        return int(who[5:-1])
    return None


def translate(trace: Trace) -> Translation:
    """The kernel scenario of a spec trace: a context per spec context (plus one for the
    stack's page references), each with the sequence of kernel calls the trace makes it do."""
    params = trace.config.get("params", {})
    names: list[str] = list(params.get("contexts", ()))
    cpus = int(params.get("cpus", 2))
    specs: list[dict[str, Any]] = []
    for name in names:
        kind, _, cpu = name.partition("@")
        # the threaded NAPI's kthread and a busy poller poll with BH disabled (in_softirq())
        specs.append({"name": name, "cpu": int(cpu), "softirq": kind in ("softirq", "user"),
                      "consumer": kind in ("thread", "busy"), "prog": [],
                      "bh": kind in ("process_bh", "thread", "busy")})
    specs[0]["consumer"] = True  # context 0 is the NAPI (context_specs())
    uses_stack = any(st.who == STACK for st in trace.steps[1:])
    if uses_stack:
        specs.append({"name": f"process@{cpus}", "cpu": cpus, "softirq": False, "consumer": False,
                      "prog": [], "bh": False})
    spec_ctx = {f"ctxs[{i}]": i for i in range(len(names))}
    if uses_stack:
        spec_ctx[STACK] = len(names)
    fpp = int(params.get("frags_per_page", 1))
    calls: list[Call] = []
    call_of: dict[int, int] = {}
    open_call: dict[int, int] = {}
    frag_merge: dict[int, int] = {}  # ctx -> the page_pool_alloc_frag() call a drain left open
    pool_cpuid = int(params.get("pool_cpuid", -1))
    queued: dict[int, list[str]] = {}  # ctx -> the frames xdp_return_frame_bulk() queued
    for i, st in enumerate(trace.steps[1:], start=1):
        row = STEPS.get(st.action)
        if row is None:
            raise SpecReplayError(f"step {i}: the spec action {st.action} has no row in STEPS")
        if row.world:
            continue
        if st.who not in spec_ctx:
            raise SpecReplayError(f"step {i}: {st.who} is not a context the harness has")
        c = spec_ctx[st.who]
        a = st.args
        page = a.get("p")
        var = f"p{page}" if isinstance(page, int) and page >= 0 else None
        if row.queue:
            queued.setdefault(c, []).append(var or "")
            continue
        if st.action == "page_pool_refill_alloc_cache_waive":
            var = None  # the page it names is the one it gives back, not the one it allocates
        if c in open_call and row.op is None:
            calls[open_call[c]].steps.append(i)
            call_of[i] = open_call[c]
            k = open_call[c]
            if st.action == "page_pool_cache_pop" and var and calls[k].instr.page is None \
                    and calls[k].op in (Op.ALLOC, Op.ALLOC_FRAG):
                # the fast path and the refill name their page at the pop (issue 16's split)
                calls[k].instr = replace(calls[k].instr, page=var)
        elif row.op is not None and (c not in open_call or c in frag_merge):
            dest = a.get("dest")
            if c in frag_merge and row.op == Op.ALLOC and dest == "FRAG":
                k = frag_merge.pop(c)  # page_pool_alloc_frag() after its drain: one call
                calls[k].steps.append(i)
                calls[k].instr = Instr(Op.ALLOC_FRAG, var, size=4096 // fpp)
                call_of[i] = k
            else:
                if c in frag_merge:
                    raise SpecReplayError(f"step {i}: {st.action} after page_pool_drain_frag() where "
                                          "page_pool_alloc_frag() allocates its next frag page")
                op = row.op
                if op == Op.ALLOC and dest == "FRAG":
                    op = Op.ALLOC_FRAG
                if st.action == "page_pool_alloc_frag":
                    var = f"p{trace.steps[i - 1].state['pool']['frag_page']}"
                if op in (Op.ALLOC, Op.ALLOC_FRAG):
                    ins = Instr(op, var, size=4096 // fpp if op == Op.ALLOC_FRAG else 0)
                elif op == Op.PUT:
                    direct = st.action == "napi_xdp_drop" or (st.action == "driver_rx_ring_free"
                                                              and pool_cpuid < 0)
                    ins = Instr(Op.PUT, var, direct=direct)
                elif op in (Op.GET_PAGE, Op.PUT_PAGE, Op.REF):
                    ins = Instr(op, var)
                elif op == Op.BULK:
                    ins = Instr(op, pages=tuple(queued.pop(c, [])))
                elif op == Op.UPDATE_NID:
                    ins = Instr(op, nid=1)
                else:
                    ins = Instr(op)
                calls.append(Call(c, op, ins, [i]))
                call_of[i] = len(calls) - 1
            open_call[c] = call_of[i]
        else:
            raise SpecReplayError(f"step {i}: {st.action} of {st.who} is not inside a kernel call "
                                  "the translation knows")
        k = open_call[c]
        if _call_ended(trace, i, c, calls[k].op, st.who):
            calls[k].returns = True
            del open_call[c]
            first = trace.steps[calls[k].steps[0]].action
            if first == "page_pool_drain_frag" and st.state["pool"]["frag_page"] is None \
                    and len(calls[k].steps) > 0 and c not in frag_merge \
                    and trace.steps[calls[k].steps[-1]].action != "page_pool_alloc_slow":
                frag_merge[c] = k  # the drain left no frag page: the allocation follows
                open_call[c] = k
    for cl in calls:
        if cl.op == Op.BULK:  # data[] in the order the spec's loop takes the pages
            order = [f"p{trace.steps[j].args['p']}" for j in cl.steps
                     if trace.steps[j].action == "page_pool_is_last_ref"]
            rest = [v for v in cl.instr.pages if v not in order]
            cl.instr = replace(cl.instr, pages=tuple(order + rest))
    progs: dict[int, list[Instr]] = {i: [] for i in range(len(specs))}
    for cl in calls:
        progs[cl.ctx].append(cl.instr)
    ctxs = tuple(CtxSpec(s["name"], s["cpu"], s["softirq"], tuple(progs[i]), consumer=s["consumer"],
                         bh=s["bh"]) for i, s in enumerate(specs))
    flags = PP_FLAG_DMA_MAP | (PP_FLAG_DMA_SYNC_DEV if params.get("dma_sync", True) else 0)
    if params.get("frag"):
        flags |= PP_FLAG_PAGE_FRAG
    sc = Scenario(f"spec:{trace.model}-{trace.config.get('name')}-{trace.property}",
                  f"spec trace {trace.model}/{trace.config.get('name')} {trace.property}", ctxs,
                  npages=int(params.get("pages", 2)), flags=flags,
                  pool_size=int(params.get("ring_size", 1)),
                  napi_cpu=0 if params.get("napi_linked", True) else -1, cpuid=pool_cpuid,
                  rt=bool(params.get("preempt_rt")), destroys=False, fine=True)
    return Translation(sc, calls, call_of, spec_ctx, dict(params), fpp)


def _call_ended(trace: Trace, i: int, c: int, op: Op, who: str) -> bool:
    """Whether spec step ``i`` leaves context ``c`` outside its kernel call."""
    if who == STACK:
        return True
    st = trace.steps[i]
    ctx = st.state["ctxs"][c]
    if op in (Op.DESTROY, Op.XDP_UNREG) and STEPS[st.action].op == op \
            and int(st.state["pool"].get("user_cnt", 0)) > 0:
        return True  # page_pool_put(): another user holds the pool, the call returns
    if op in _CALL_DONE_STAGES:
        return ctx["stage"] in _CALL_DONE_STAGES[op]
    if op == Op.BULK:
        return ctx.get("bpc", "IDLE") == "IDLE"
    return ctx["pc"] == "READY"


def spec_quiescent(state: dict[str, Any]) -> bool:
    """No spec context is inside a kernel call."""
    return all(c["pc"] == "READY" and c["stage"] in _QUIET_STAGES
               and c.get("bpc", "IDLE") in ("IDLE", "QUEUE") for c in state["ctxs"])


def compare(state: dict[str, Any], s: KState, fpp: int, bits: int) -> str:
    """'' when the C state abstracts to the spec state on the compared fields; else the first
    difference. The abstraction is :class:`~ppcheck.kernel.spec_map.SpecView`'s: a page's place
    (the spec's RX ring and its users are both "with a user" in the C state), its counts, its
    signature and mapping; the pool's counters (mod 2^counter_bits), cache and ring sizes,
    cpuid, p.napi, destroy_cnt, whether it is freed, and the frag page."""
    mask = (1 << bits) - 1
    cache = set(s.cache)
    ring = list(s.ring)
    bias = fpp + 1
    for i, sp in enumerate(state["pages"]):
        kp = s.pages[i]
        if kp.free:
            loc = "BUDDY"
        elif i in cache:
            loc = "CACHE"
        elif i in ring:
            loc = "RING"
        elif s.frag_page == i and not s.pool_freed:
            loc = "FRAG"
        else:
            loc = "USERS"
        want_loc = "USERS" if sp["loc"] in ("RX", "CTX") else sp["loc"]
        magic = kp.magic and kp.pp_is_pool and not kp.free
        pp_ref = kp.pp_ref - BIAS_MAX + bias if kp.pp_ref > 1 << 40 else kp.pp_ref
        got = {"loc": loc, "refcnt": 0 if kp.free else kp.refcount, "magic": magic,
               "pp_ref": pp_ref if magic else 0, "mapped": kp.mapped}
        want = {"loc": want_loc, "refcnt": sp["refcnt"], "magic": sp["magic"],
                "pp_ref": sp["pp_ref"] if sp["magic"] else 0, "mapped": sp["mapped"]}
        if loc == "RING" and want_loc == "RING":
            got["slot"], want["slot"] = ring.index(i), sp["slot"]
        for k in want:
            if got[k] != want[k]:
                return f"page {i}: {k} is {got[k]} in the C state, {want[k]} in the spec"
    p = state["pool"]
    got = {"alloc_count": s.alloc_count, "ring_count": len(s.ring), "hold": s.hold & mask,
           "release": s.release & mask, "cpuid": s.cpuid, "napi_linked": s.napi_linked,
           "destroy_cnt": min(s.destroy_cnt, 1), "freed": s.pool_freed,
           "frag_page": None if s.pool_freed or s.frag_page is None else s.frag_page}
    want = {k: p[k] for k in got}
    if s.frag_page is not None and p["frag_page"] is not None:
        got["frag_users"], want["frag_users"] = s.frag_users, p["frag_users"]
    for k in want:
        if got[k] != want[k]:
            return f"pool.{k} is {got[k]} in the C state, {want[k]} in the spec"
    return ""


_SYMBOLS: dict[str, Symbols] = {}  # per library: addr2line answers are kept across traces


def action_starting_at(sym: Any, k: Any, c: int, actions: list[str], table: dict[str, Any]) -> str | None:
    """Which of ``actions`` starts at context ``c``'s current yield point: the first whose
    step row (``table[a].starts``: function, code prefix or None) matches a function of the
    yield point's call chain, innermost first."""
    chain = sym.stack(k.yield_stack(c))
    at = k.at(c)
    for fn in chain:
        for a in actions:
            for f, what in table[a].starts:
                if f == fn and (what is None or at.startswith(what)):
                    return a
    return None


class Replayer:
    """Runs a translated spec trace on a built kernel."""

    def __init__(self, tree: Tree, trace: Trace, patch: str | None = None):
        self.trace = trace
        self.tr = translate(trace)
        cfg = self.tr.cfg
        # the fine build: plain loads and stores of the pool are yield points too, so that an
        # action made of plain accesses (page_pool_recycle_in_cache()) starts where it starts
        self.build = build(tree, rt=bool(cfg.get("preempt_rt")), patch=patch, fine=True,
                           scope=(int(cfg.get("cache_size", 1)), int(cfg.get("refill", 1))))
        self.k = Kernel(self.build)
        self.sym = _SYMBOLS.setdefault(str(self.build.lib), Symbols(self.build.lib))
        self.bits = int(cfg.get("counter_bits", 3))
        from ppcheck.checks.explorer import Concrete
        from ppcheck.checks.replay import system_for

        self.system = system_for(trace)
        self.conc = Concrete(self.system)
        #: a page_pool_put_page_bulk() call the trace leaves in flight (it runs to its end)
        self.flushing = any(cl.op == Op.BULK and not cl.returns for cl in self.tr.calls)
        #: the trace model's property names (a kernel-side check counts only for those)
        self.props = {p.name for p in self.system.properties}

    def pack(self, state: dict[str, Any]) -> int:
        """A trace state as the current model's state: a stored trace recorded before a field
        was added (issue 16's ``cache_idx``/``alloc_frag``, the scrub's ``rcu_gp``) gets that
        field's initial value."""
        init = self.system.layout.to_json(self.system.init_states[0])
        return self.system.layout.from_json(_fill(init, state))

    def next_actions(self, c: int) -> list[str]:
        """The actions the spec lets harness context ``c`` take next from the trace's last
        state (the trace ends inside a call of ``c``: where that call goes on is the model's
        answer, not a second table)."""
        who = next((w for w, d in self.tr.spec_ctx.items() if d == c), None)
        if who is None or who == STACK:
            return []
        packed = self.pack(self.trace.steps[-1].state)
        idx = self.tr.spec_ctx[who]
        return sorted({b.action for b, t, _e in self.conc.successors(packed)
                       if t is not None and b.args.get("c") == idx and b.action in INNER})

    def spec_failures(self) -> set[str]:
        """The always properties some state of the trace violates (in the spec)."""
        from ppcheck.spec.model import ALWAYS

        system, conc = self.system, self.conc
        out = set()
        for st in self.trace.steps:
            packed = self.pack(st.state)
            out |= {p.name for i, p in enumerate(system.properties)
                    if p.kind == ALWAYS and not conc.holds(i, packed)}
        return out

    def final_spec_violations(self, run: Run) -> list[tuple[str, str]]:
        """The trace model's own invariants on the C state at the end (every call returned),
        abstracted into the trace's last spec state: pages and pool from the C structures,
        contexts between calls, the ghost flags from the harness's records."""
        from copy import deepcopy

        from ppcheck.spec.expr import SpecError
        from ppcheck.spec.model import ALWAYS

        from .spec_map import GHOST_OF

        s = run.last
        assert s is not None
        system = self.system
        last, init = self.trace.steps[-1].state, self.trace.steps[0].state
        # the initial spec state, so that no spec-only field (a ghost of the spec's own
        # violation) is carried over: pages, pool and ghosts from the C state, the world
        # (who holds which page, the NAPI, the device, the control path's stage) from the trace
        st = deepcopy(init)
        for i, pg in enumerate(st["pages"]):
            pg.update({k: last["pages"][i][k] for k in ("pp_holders", "page_holders", "loc") if k in pg})
            if last["pages"][i].get("bulk") in ("QUEUED", "UNREF_SUB") and self.flushing:
                pg["pp_holders"] -= 1  # the flush in flight ran on and dropped the bulk's reference
        for cl in self.tr.calls:
            # an allocation the trace leaves in flight ran on to its return (after a refill's
            # waive, through the slow path): its page is the driver's, on the RX ring
            r = run.k.result(cl.ctx) if cl.op == Op.ALLOC and not cl.returns else -1
            if 0 <= r < len(st["pages"]) and "loc" in st["pages"][r]:
                st["pages"][r]["loc"] = "RX"
        st["napi"] = deepcopy(last["napi"])
        st["napi"]["owner"] = run.k.lib.pph_napi_owner()
        st["dev"] = {"bound": s.dev_bound}
        for c, ctx in enumerate(st["ctxs"]):
            ctx["stage"] = last["ctxs"][c]["stage"]
            ctx["in_poll"] = last["ctxs"][c]["in_poll"]
        mask = (1 << self.bits) - 1
        bias = self.tr.frags_per_page + 1
        cache = {pf: i for i, pf in enumerate(s.cache)}
        ring = {pf: i for i, pf in enumerate(s.ring)}
        for i, pg in enumerate(st["pages"]):
            kp = s.pages[i]
            magic = kp.magic and kp.pp_is_pool and not kp.free
            pg["slot"] = 0
            if kp.free:
                pg["loc"] = "BUDDY"
            elif i in cache:
                pg["loc"], pg["slot"] = "CACHE", cache[i]
            elif i in ring:
                pg["loc"], pg["slot"] = "RING", ring[i]
            elif s.frag_page == i and not s.pool_freed:
                pg["loc"] = "FRAG"
            elif pg["loc"] != "RX":
                pg["loc"] = "USERS"
            pp_ref = kp.pp_ref - BIAS_MAX + bias if kp.pp_ref > 1 << 40 else kp.pp_ref
            pg.update({"refcnt": 0 if kp.free else kp.refcount, "magic": magic,
                       "pp_ref": max(pp_ref, 0) if magic else 0, "mapped": kp.mapped})
            if "pfmemalloc" in pg:  # a page from the reserves, until it goes back to the buddy
                pg["pfmemalloc"] = kp.pfmemalloc and not kp.free
        pool = st["pool"]
        pool.update({"alloc_count": s.alloc_count, "ring_count": len(s.ring), "ring_lock": None,
                     "hold": s.hold & mask, "release": s.release & mask, "cpuid": s.cpuid,
                     "napi_linked": s.napi_linked, "destroy_cnt": min(s.destroy_cnt, 1),
                     "freed": s.pool_freed, "dma_sync": s.dma_sync,
                     "frag_page": None if s.pool_freed or s.frag_page is None else s.frag_page})
        # the frag allocator's counters: the C state's while a frag page is open (offsets in
        # the spec's units, PAGE_SIZE / frags_per_page), else what the trace left
        if pool["frag_page"] is not None:
            pool["frag_users"] = s.frag_users
            pool["frag_offset"] = s.frag_offset // (4096 // self.tr.frags_per_page)
        else:
            pool["frag_users"], pool["frag_offset"] = last["pool"]["frag_users"], last["pool"]["frag_offset"]
        for ctx in st["ctxs"]:
            if ctx.get("stage") not in _QUIET_STAGES:
                ctx["stage"] = "UNBIND" if ctx.get("role") == "CONTROL" else (
                    "PENDING" if s.work_pending else "DONE")
        errs = {ln.split(" ")[2] for ln in run.k.log() if ln.startswith("ERR ")}
        ghosts = {GHOST_OF[e] for e in errs if e in GHOST_OF}
        if s.destroy_cnt > 0 and s.alloc_count > 0:
            ghosts.add("cache_after_destroy")
        for g in st["ghost"]:
            st["ghost"][g] = g in ghosts
        try:
            packed = self.pack(st)
        except SpecError as e:
            return [("spec_invariants", f"the final C state leaves the spec's domain: {e}")]
        conc = self.conc
        return [(p.name, f"{p.name} fails on the final C state, abstracted")
                for i, p in enumerate(system.properties)
                if p.kind == ALWAYS and not p.lemma and not conc.holds(i, packed)]

    def mid_call(self, run: Run, c: int, cur: dict[str, Any], decided: dict[int, bool]
                 ) -> list[tuple[str, str]]:
        """The spec's properties about a context inside a call, checked where context ``c`` is
        about to run on (its call stack): the locality check (page_pool_napi_local()) and the
        push into alloc.cache (page_pool_recycle_in_cache()). The NAPI's poll bracket is the
        world's, driven by the trace (``cur``, the spec state of the step being run)."""
        stack = self.sym.stack(self.k.yield_stack(c))
        s = run.last
        assert s is not None
        name = run.sc.contexts[c].name
        if "page_pool_napi_local" in stack:
            decided[c] = s.user_cnt <= 0  # the READ_ONCE()s run on a pool page_pool_destroy() put
            return []
        if "page_pool_recycle_in_cache" not in stack or not self.k.at(c).startswith("store pool->alloc.c"):
            return []  # not the push itself (the cache may be full)
        ins = run._instr(c)
        out: list[tuple[str, str]] = []
        cpu = run.sc.contexts[c].cpu
        spec_c = {v: w for w, v in self.tr.spec_ctx.items()}
        for d in range(len(run.sc.contexts)):
            who = spec_c.get(d)
            if d == c or who is None or who == STACK:
                continue
            if cur["ctxs"][self.tr.spec_ctx[who]]["in_poll"] and s.user_cnt > 0:
                out.append(("alloc_cache_single_owner",
                            f"{name} pushes into alloc.cache while {run.sc.contexts[d].name}'s NAPI "
                            "poll may pop from it"))
        if s.user_cnt <= 0:
            out.append(("no_cache_push_after_destroy",
                        f"{name} pushes into alloc.cache after page_pool_destroy() dropped the last user"))
        if ins is not None and ins.op == Op.PUT and not ins.direct:
            if not (s.napi_owner == cpu and s.napi_linked) and s.cpuid != cpu:
                out.append(("locality_holds_until_push",
                            f"{name} pushes into alloc.cache, but the NAPI is on CPU {s.napi_owner} "
                            f"(p.napi {'set' if s.napi_linked else 'clear'}) and cpuid is {s.cpuid}"))
            if decided.get(c):
                out.append(("destroyed_pool_never_local",
                            f"{name}'s page_pool_napi_local() answered local after "
                            "page_pool_destroy() began"))
        return out

    def owner(self, c: int, actions: list[str]) -> str | None:
        """Which of ``actions`` starts at context ``c``'s current yield point."""
        return action_starting_at(self.sym, self.k, c, actions, STEPS)

    def plan_buddy(self, st: Any) -> None:
        """Tell the buddy allocator what the spec's allocation step gets: one page (the bulk
        request returns at most one), none (it fails), the two of page_pool_alloc_pages_bulk
        (``alloc.cache[0]`` is ``q``, the one kept; the last, ``p``, is returned), or a
        pfmemalloc page."""
        p = int(st.args.get("p", -1))
        if st.action == "page_pool_alloc_pages_bulk":
            self.k.buddy_next(int(st.args["q"]))
            self.k.buddy_plan(then=p, limit=2)
            return
        self.k.buddy_next(p, int(st.action == "page_pool_alloc_fail"))
        self.k.buddy_plan(limit=1, pfmemalloc=st.action == "page_pool_alloc_pfmemalloc")

    def run(self) -> Outcome:
        self.stopped = ""
        out = self._run()
        if out.waits:
            out.detail += "; the kernel reordered: " + "; ".join(out.waits)
        out.detail += self.stopped
        return out

    def _run(self) -> Outcome:
        tr, k, trace = self.tr, self.k, self.trace
        run = Run(k, tr.scenario)
        run.reset()
        if tr.scenario.napi_cpu >= 0:  # list_owner as the spec starts it (-1: a threaded NAPI)
            k.set_napi_owner(int(trace.steps[0].state["napi"]["owner"]))
        out = Outcome("reproduced", "")
        seen_log = 0
        reached: set[str] = set()
        cur: dict[str, Any] = trace.steps[0].state  # the spec state of the step being run

        def check(info: Any) -> None:
            nonlocal seen_log
            log = k.log()
            for p, d in log_violations(log[seen_log:]) + state_violations(run, run.last, info):
                out.failed.setdefault(p, d)
            seen_log = len(log)
            for w, test in WITNESSES.items():
                if w != "direct_recycling" and test(run, run.last, info):
                    reached.add(w)
            # the spec's direct_recycling: a push into alloc.cache by a context outside the poll
            if info is not None and info.cache_delta > 0 and "put" in info.instr:
                who = next(w for w, c in tr.spec_ctx.items() if c == info.ctx)
                if who == STACK or not cur["ctxs"][tr.spec_ctx[who]]["in_poll"]:
                    reached.add("direct_recycling")

        def kstep(c: int) -> str:
            if c not in run.enabled():
                return (f"the kernel's execution rules do not let {tr.scenario.contexts[c].name} run "
                        f"now (at {k.at(c) or 'idle'})")
            if k.busy(c):
                for p, d in self.mid_call(run, c, cur, decided):
                    if p in self.props:
                        out.failed.setdefault(p, d)
            info = run.step(c)
            out.kernel_steps += 1
            check(info)
            return ""

        decided: dict[int, bool] = {}  # context -> its locality check ran after destroy started
        owed: dict[int, tuple[int, str, list[str], bool]] = {}  # blocked contexts' unfinished steps
        waits: dict[int, str] = {}
        ahead: set[int] = set()  # calls the kernel finished before the spec did (a wait)
        current: dict[int, int] = {}  # context -> the call it is in
        started: dict[int, tuple[str, int]] = {}  # context -> its last action and where it began

        def advance(c: int, action: str, later: list[str], ends: bool) -> str:
            """Run context c's call on: to the start of an action of ``later`` (any other
            action when the trace ends inside the call), or to its return when ``ends``.
            BLOCKED when it waits (a grace period, a held lock)."""
            cands = later if later or ends else self.next_actions(c)
            moved = False
            while k.busy(c):
                if not ends:
                    who = self.owner(c, cands)
                    # a repeated action (one __ptr_ring_produce() per page of a bulk) starts
                    # again at the yield point where it started: the same code address, not
                    # merely another yield of the same function
                    again = moved and (started.get(c, ("", -1))[0] != who
                                       or started[c][1] == k.yield_off(c))
                    if who is not None and (who != action or again):
                        started[c] = (who, k.yield_off(c))
                        return ""  # a later action of this call starts here
                if k.blocked(c):
                    waits[c] = k.at(c)
                    return BLOCKED
                why = kstep(c)
                if why:
                    return why
                moved = True
            return ""

        def diverge(i: int, why: str) -> Outcome:
            st = trace.steps[i]
            out.verdict = "diverged"
            out.detail = f"step {i} ({st.who} {st.action}): {why}"
            return out

        for i, st in enumerate(trace.steps[1:], start=1):
            out.steps = i
            cur = trace.steps[i - 1].state
            row = STEPS[st.action]
            if row.queue:
                continue  # the frame waits in the caller's bulk queue: no kernel code runs
            if row.world:
                # napi_schedule sets list_owner, a completing poll clears it, busy_poll_stop's
                # poll may __napi_schedule() it; the kthread and the busy poller leave it
                owner = int(st.state["napi"]["owner"])
                if owner != int(cur["napi"]["owner"]):
                    k.set_napi_owner(owner)
            else:
                ci = tr.call_of[i]
                call = tr.calls[ci]
                c = call.ctx
                if ci in ahead:
                    continue  # the kernel ran this call to its end already (a wait's reader)
                if c in owed:
                    # the spec runs a context the kernel keeps waiting (synchronize_rcu() for a
                    # reader mid-call, a lock's holder): the kernel's order is to let those it
                    # waits for finish their calls first
                    for d in range(len(tr.scenario.contexts)):
                        if d == c or d in owed or not k.busy(d):
                            continue
                        while k.busy(d) and d in run.enabled() and not k.blocked(d):
                            why = kstep(d)
                            if why:
                                return diverge(i, why)
                        if not k.busy(d):
                            ahead.add(current[d])
                            out.waits.append(f"{tr.scenario.contexts[c].name} waited at {waits[c]} for "
                                             f"{tr.scenario.contexts[d].name}'s "
                                             f"{tr.calls[current[d]].instr.text()} to return")
                    j, act, lat, end = owed.pop(c)
                    why = advance(c, act, lat, end)
                    if why:
                        return diverge(i, f"{tr.scenario.contexts[c].name} still waits at {k.at(c)} "
                                          f"(since step {j})" if why == BLOCKED else why)
                pos = call.steps.index(i)
                later = [trace.steps[j].action for j in call.steps[pos + 1:]]
                ends = pos == len(call.steps) - 1 and call.returns
                if not k.busy(c):
                    if call.instr.page is not None and call.instr.page not in run.vars and \
                            call.op not in (Op.ALLOC, Op.ALLOC_FRAG):
                        return diverge(i, f"{call.instr.text()}: the kernel never allocated that page")
                    if st.action in _BUDDY_STEPS:
                        self.plan_buddy(st)
                    current[c] = ci
                    why = kstep(c)  # to the first yield point: nothing shared is touched yet
                    if why:
                        return diverge(i, why)
                # the call goes on until an action the spec shows later starts (or it returns)
                if st.action in _BUDDY_STEPS and pos > 0:
                    self.plan_buddy(st)
                why = advance(c, st.action, later, ends)
                if why == BLOCKED:
                    owed[c] = (i, st.action, later, ends)
                elif why:
                    return diverge(i, why)
                if ends and call.instr.page is not None and call.op in (Op.ALLOC, Op.ALLOC_FRAG):
                    got = run.vars.get(call.instr.page)
                    want = int(call.instr.page[1:])
                    if got != want:
                        return diverge(i, f"{call.instr.text()} returned page {got}, the spec's "
                                          f"allocation page {want}")
                if ends and call.op == Op.ALLOC and call.instr.page is None and k.result(c) >= 0:
                    return diverge(i, f"page_pool_alloc_pages() returned page {k.result(c)} where the "
                                      "spec's allocation failed")
            for d, (j, act, lat, end) in list(owed.items()):  # a wait that may be over now
                if d not in run.enabled():
                    continue
                why = advance(d, act, lat, end)
                if why and why != BLOCKED:
                    return diverge(i, why)
                if not why:
                    del owed[d]
                    out.waits.append(f"{tr.scenario.contexts[d].name}'s {act} (step {j}) waited at "
                                     f"{waits[d]} until step {i}")
            if spec_quiescent(st.state) and not any(k.busy(c) for c in range(len(tr.scenario.contexts))):
                why = compare(st.state, run.last, tr.frags_per_page, self.bits)
                out.compared += 1
                if why and trace.kind != "sometimes" and trace.property in out.failed:
                    # a counterexample: the kernel failed its property already; the states
                    # after a violation need not agree (the spec's two pages in one slot are
                    # one lost page in the C code)
                    self.stopped = (f"; the replay stops at step {i}, after the kernel failed "
                                    f"{trace.property} (then: {why})")
                    break
                if why:
                    return diverge(i, f"the quiescent states differ: {why}")
        # the calls the trace leaves in flight run to their return
        for _ in range(500):
            busy = [c for c in range(len(tr.scenario.contexts)) if k.busy(c)]
            if not busy:
                break
            en = [c for c in busy if c in run.enabled()]
            if not en:
                out.failed.setdefault("no_deadlock", "a call in flight cannot finish")
                break
            why = kstep(en[0])
            if why:
                out.failed.setdefault("no_deadlock", why)
                break
        if not any(k.busy(c) for c in range(len(tr.scenario.contexts))):
            owed.clear()
            for name, why in self.final_spec_violations(run):
                out.failed.setdefault(name, why)
        want = trace.property
        if owed:
            out.failed.setdefault("no_deadlock", "contexts still waiting: " + ", ".join(
                tr.scenario.contexts[d].name for d in owed))
        if trace.kind == "sometimes":
            extra = (f"; the kernel-side witness {want} reached" if want in reached else
                     (f"; the kernel-side witness {want} was not reached" if want in WITNESSES else ""))
            if want in WITNESSES and want not in reached:
                out.verdict = "not reproduced"
            out.detail = (f"{out.steps} spec steps as {out.kernel_steps} kernel steps, "
                          f"{out.compared} quiescent states agree{extra}")
            extra = sorted(set(out.failed) - self.spec_failures())
            if extra:
                out.verdict = "diverged"
                out.detail += f"; but the kernel fails {', '.join(extra)}, which the trace does not"
            elif out.failed:
                out.detail += f"; the kernel also fails {', '.join(sorted(out.failed))}, as the trace does"
            return out
        if want in out.failed:
            out.detail = (f"{out.steps} spec steps as {out.kernel_steps} kernel steps, {out.compared} "
                          f"quiescent states agree; the kernel fails {want} ({out.failed[want]})")
        else:
            out.verdict = "not reproduced"
            fails = ", ".join(sorted(out.failed)) or "nothing"
            out.detail = (f"{out.steps} spec steps as {out.kernel_steps} kernel steps, {out.compared} "
                          f"quiescent states agree; the kernel fails {fails}, not {want}")
        return out


def _fill(default: Any, value: Any) -> Any:
    """``value`` with every field it lacks taken from ``default`` (same shape)."""
    if isinstance(default, dict) and isinstance(value, dict):
        return {k: _fill(d, value[k]) if k in value else d for k, d in default.items()}
    if isinstance(default, list) and isinstance(value, list) and default and len(default) == len(value):
        return [_fill(d, v) for d, v in zip(default, value)]
    return value


def is_spec_trace(path: str | Path) -> bool:
    """Whether the file is a model's trace (format ``ppcheck-trace``), not a kernel trace."""
    import json

    try:
        d = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(d, dict) and d.get("format") == "ppcheck-trace"


def patch_name(trace: Trace) -> str | None:
    """The :mod:`.bugs` edit that puts the trace's model's code into the tree (None: as is)."""
    v = variant_of(trace.model)
    return v.patch if v else None


def replay_spec_trace(tree: Tree, path: str | Path | Trace, patch: str | None = None) -> Outcome:
    """Replay the spec trace at ``path`` on ``tree`` (the verdict and why). Without ``patch``,
    a variant's old code is put back with its :data:`VARIANTS` edit."""
    from . import bugs

    trace = path if isinstance(path, Trace) else load_trace(path)
    from .spec_replay_frag import FRAG_MODELS, FragReplayer, frag_applies

    if trace.model in FRAG_MODELS:  # seed 003's own actions and state: its own table
        why = frag_applies(trace, tree)
        return Outcome("not applicable", why) if why else FragReplayer(tree, trace, patch or None).run()
    why = applies(trace, tree)
    if why:
        return Outcome("not applicable", why)
    name = patch_name(trace)
    if patch is None and name is not None:
        bug = bugs.by_name(name)
        assert bug is not None, name
        patch = bugs.patch_for(bug, tree)
    out = Replayer(tree, trace, patch).run()
    if name:
        out.detail = f"with {name}: {out.detail}"
    return out


#: traces that do not reproduce step for step, each with the explanation docs/kernel.md gives
#: (model, config, property) -> why; the sweep (tests/test_kernel_replay.py -m slow) requires
#: every divergence to be one of these
EXPLAINED: dict[tuple[str, str, str], str] = {
    # empty: reconfig1's destroy_deferred_then_freed reproduces since spin_lock_bh() yields
    # before local_bh_disable() (a softirq of the CPU may come first, as on a real CPU), and
    # threaded's counters_wrapped since the C-side checks skip an alloc.cache slot a context
    # is about to store into (the refill's ``cache[count++] = netmem`` raises the count first;
    # the slot held the stale pointer of a page freed before: docs/kernel.md, finding 12)
}


def sweep(tree: Tree, paths: list[Path]) -> list[tuple[str, Outcome]]:
    """Every trace of ``paths`` replayed on ``tree``: (file name, outcome)."""
    return [(p.name, replay_spec_trace(tree, p)) for p in paths]
