"""The abstraction function: the C structures -> the mainline spec's state.

At every quiescent point of a kernel run (no context inside a page_pool call) the state
read off the C structures (:class:`~ppcheck.kernel.driver.KState`) is mapped into the state
of ``models/mainline`` in a configuration of the scenario's shape (its pages, CPUs and
contexts), and the spec's own ``always`` properties are evaluated on it (the one
definition, no second encoding):

* a page's ``loc`` is where it is found: free in the fake buddy allocator, in
  ``alloc.cache[0..count)`` (``slot`` its index), in the ptr_ring (``slot`` its FIFO
  position from ``consumer_head``), ``pool->frag_page``, else with its users (``USERS``);
  ``pp_holders``/``page_holders`` are the references the scenario's contexts hold (an
  ``alloc`` not yet put, a ``get_page()`` not yet dropped);
* ``refcnt``, ``pp_ref`` (less ``BIAS_MAX`` minus the spec's bias on a frag page), ``magic``
  (PP_SIGNATURE and ``pp == pool``) and ``mapped`` (the harness's DMA table) are the page's;
* the pool's counters, ``cpuid``, ``p.napi``, ``user_cnt``, ``destroy_cnt``, ``dma_sync``,
  the frag fields, whether the release work was ever scheduled (``deferred``) and whether
  it was freed are read from ``struct page_pool``; ``napi.owner`` is ``list_owner``;
* every context is idle (``pc`` READY) by definition of a quiescent point;
* the ghost flags are the harness's error records.

The mapping from kernel calls to spec actions (the refinement of each step between two
quiescent points) is in :data:`ACTION_OF`; the states at both ends must satisfy the spec.
"""

from __future__ import annotations

from typing import Any

from ppcheck.checks.explorer import Concrete
from ppcheck.models.pagepool import PC, After, AllocStat, Loc, Stage, context_specs
from ppcheck.spec.expr import SpecError
from ppcheck.spec.model import ALWAYS, System

from .driver import Op
from .tree import Tree
from .world import Run, Scenario

BIAS_MAX = (2**63 - 1) >> 1

#: kernel call -> the spec actions (models/mainline) its steps are transitions of
ACTION_OF: dict[Op, tuple[str, ...]] = {
    Op.ALLOC: ("page_pool_alloc_fast", "page_pool_cache_pop", "page_pool_refill_alloc_cache",
               "page_pool_refill_consume", "page_pool_alloc_slow", "page_pool_alloc_fail"),
    # page_pool_drain_frag() and page_pool_free_frag() drop the unused bias through
    # page_pool_unref_netmem() (the spec's unref steps) and may return the page
    Op.ALLOC_FRAG: ("page_pool_alloc_frag", "page_pool_drain_frag", "page_pool_unref_read",
                    "page_pool_unref_sub", "page_pool_return_page", "page_pool_return_release",
                    "page_pool_return_put", "page_pool_alloc_fast", "page_pool_cache_pop",
                    "page_pool_refill_alloc_cache", "page_pool_refill_consume", "page_pool_alloc_slow",
                    "page_pool_alloc_fail"),
    Op.PUT: ("page_pool_put_full_page", "page_pool_unref_read", "page_pool_unref_sub",
             "page_pool_napi_local", "page_pool_napi_local_napi", "page_pool_napi_local_owner",
             "page_pool_put_page", "page_pool_recycle_in_cache", "page_pool_recycle_in_cache_store",
             "page_pool_producer_lock", "ptr_ring_produce", "page_pool_producer_unlock",
             "page_pool_return_page", "page_pool_return_release", "page_pool_return_put"),
    Op.GET_PAGE: ("get_page",),
    Op.PUT_PAGE: ("stack_put_page",),
    Op.DESTROY: ("page_pool_destroy", "page_pool_free_frag", "page_pool_unref_read", "page_pool_unref_sub",
                 "page_pool_return_page", "page_pool_return_release", "page_pool_return_put",
                 "page_pool_empty_alloc_cache_once",
                 "page_pool_scrub", "page_pool_scrub_unmap", "page_pool_empty_ring", "page_pool_inflight",
                 "page_pool_release_lock", "page_pool_release_unlock"),
    Op.WORKER: ("page_pool_release_retry", "page_pool_scrub", "page_pool_scrub_unmap", "page_pool_empty_ring",
                "page_pool_inflight", "page_pool_release_lock", "page_pool_release_unlock"),
    Op.NAPI_DISABLE: ("napi_disable", "napi_disable_wait"),
    Op.NAPI_ENABLE: ("napi_enable_new_pool",),
    Op.UNBIND: ("driver_unbind",),
    # the pool paths the spec-trace replay drives (models/mainline/bulk.py, xdp.py)
    Op.BULK: ("xdp_flush_frame_bulk", "page_pool_napi_local", "page_pool_napi_local_napi",
              "page_pool_napi_local_owner", "page_pool_is_last_ref", "page_pool_is_last_ref_sub",
              "page_pool_put_page_bulk", "page_pool_recycle_ring_bulk_lock",
              "page_pool_recycle_ring_bulk_produce", "page_pool_recycle_ring_bulk_unlock",
              "page_pool_recycle_ring_bulk_return", "page_pool_return_page",
              "page_pool_return_release", "page_pool_return_put"),
    Op.XDP_REG: ("xdp_rxq_info_reg_mem_model",),
    Op.XDP_UNREG: ("xdp_rxq_info_unreg_mem_model", "page_pool_free_frag", "page_pool_empty_alloc_cache_once",
                   "page_pool_scrub", "page_pool_scrub_unmap", "page_pool_empty_ring", "page_pool_inflight",
                   "page_pool_release_lock", "page_pool_release_unlock"),
    Op.UPDATE_NID: ("page_pool_update_nid", "page_pool_return_page", "page_pool_return_release",
                    "page_pool_return_put"),
}

#: the NAPI's own steps around a call of the poll (the spec models the poll's bracket)
NAPI_STEPS = frozenset({"napi_schedule", "napi_poll_begin", "napi_poll_end", "napi_rx_pass",
                        "napi_xdp_drop"})
#: pool fields the call-level refinement does not compare (statistics, the lock, the worker flag)
SKIP = frozenset({"pool.alloc_stat", "pool.ring_lock", "pool.deferred"})
#: check each call that ran alone between two quiescent points against the spec
REFINE = True
#: calls whose scenarios the refinement check skips (none: the frag path refines since the
#: drain's and free_frag's unref steps are in ACTION_OF and the frag fields are read as they are)
REFINE_SKIP: frozenset[Op] = frozenset()

#: harness error record -> spec ghost flag
GHOST_OF = {"double_free": "double_free", "double_unmap": "double_unmap", "pool_uaf": "pool_uaf",
            "double_kfree": "pool_uaf", "dma_after_unbind": "dma_after_unbind",
            "sync_unmapped": "dma_after_unbind", "pp_page_freed": "pp_page_freed"}


def spec_context(name: str, consumer: bool, softirq: bool) -> str:
    """The spec's context string for a scenario context (``softirq@1`` -> ``user@1``)."""
    kind, _, cpu = name.partition("@")
    cpu = cpu.rstrip("abcdefgh") or "0"
    if kind in ("control", "worker", "process"):
        return f"{kind}@{cpu}"
    return f"softirq@{cpu}" if consumer else f"user@{cpu}"


class SpecView:
    """The mainline system of a scenario's shape and its invariants."""

    def __init__(self, sc: Scenario):
        from ppcheck.loading import build_system, resolve_one

        m = resolve_one("mainline")
        ctxs = tuple(spec_context(c.name, c.consumer, c.softirq) for c in sc.contexts)
        cpus = max(c.cpu for c in sc.contexts) + 1
        frag = any(i.op == Op.ALLOC_FRAG for c in sc.contexts for i in c.program)
        refs = sum(i.op == Op.GET_PAGE for c in sc.contexts for i in c.program)
        self.cfg = m.config("base", pages=sc.npages, cache_size=sc.npages, ring_size=max(sc.pool_size, 1),
                            refill=sc.npages, cpus=cpus, counter_bits=8, contexts=ctxs, frag=frag,
                            frags_per_page=2 if frag else 1, max_page_refs=max(refs, 1),
                            preempt_rt=sc.rt, pool_cpuid=sc.cpuid, napi_linked=sc.napi_cpu >= 0,
                            reconfig=True)
        self.system: System = build_system(m, self.cfg)
        self.conc = Concrete(self.system)
        self.names = self.system.layout.names()
        self.bias = int(self.cfg.frags_per_page) + 1
        self.ctx_specs = context_specs(self.cfg)
        self.refine_on = not any(i.op in REFINE_SKIP for c in sc.contexts for i in c.program)
        self.props = [(i, p.name) for i, p in enumerate(self.system.properties)
                      if p.kind == ALWAYS and not p.lemma]
        #: (pre, post, context, call) -> the refinement verdict: a search meets the same
        #: abstract call many times
        self._refined: dict[tuple[int, int, int, Op], str] = {}
        self._holds: dict[int, list[str]] = {}

    def flat(self, run: Run) -> dict[str, Any]:
        s = run.last
        assert s is not None
        pp_held: dict[int, int] = {}
        page_held: dict[int, int] = {}
        for c, spec in enumerate(run.sc.contexts):
            for ins in spec.program[:run.pc[c]]:
                pfn = run.vars.get(ins.page or "", -1)
                if pfn < 0:
                    continue
                if ins.op in (Op.ALLOC, Op.ALLOC_FRAG, Op.REF):
                    pp_held[pfn] = pp_held.get(pfn, 0) + 1
                elif ins.op == Op.PUT:
                    pp_held[pfn] = pp_held.get(pfn, 0) - 1
                elif ins.op == Op.GET_PAGE:
                    page_held[pfn] = page_held.get(pfn, 0) + 1
                elif ins.op == Op.PUT_PAGE:
                    page_held[pfn] = page_held.get(pfn, 0) - 1
        cache = {p: i for i, p in enumerate(s.cache)}
        ring = {p: i for i, p in enumerate(s.ring)}
        out: dict[str, Any] = {}
        for p in s.pages:
            slot = 0
            if p.free:
                loc = Loc.BUDDY
            elif p.pfn in cache:
                loc, slot = Loc.CACHE, cache[p.pfn]
            elif p.pfn in ring:
                loc, slot = Loc.RING, ring[p.pfn]
            elif s.frag_page == p.pfn and not s.pool_freed:
                loc = Loc.FRAG
            else:
                loc = Loc.USERS
            magic = p.magic and p.pp_is_pool and not p.free
            pp_ref = p.pp_ref - BIAS_MAX + self.bias if p.pp_ref > 1 << 40 else p.pp_ref
            pre = f"pages[{p.pfn}]."
            out.update({pre + "loc": loc, pre + "slot": slot, pre + "refcnt": 0 if p.free else p.refcount,
                        pre + "pp_ref": max(pp_ref, 0) if magic else 0, pre + "magic": magic,
                        pre + "mapped": p.mapped, pre + "pp_holders": max(pp_held.get(p.pfn, 0), 0),
                        pre + "page_holders": max(page_held.get(p.pfn, 0), 0),
                        # the pool paths (models/mainline/{provider,bulk,xdp}.py) no scenario
                        # drives: no net_iov, no pfmemalloc page, no bulk free
                        pre + "niov": False, pre + "pfmemalloc": False, pre + "bulk": 0})
        mask = (1 << int(self.cfg.counter_bits)) - 1
        napi_owner = s.napi_owner if s.napi_owner < int(self.cfg.cpus) else -1
        out.update({
            "pool.alloc_count": s.alloc_count, "pool.ring_count": len(s.ring), "pool.ring_lock": None,
            "pool.hold": s.hold & mask, "pool.release": s.release & mask, "pool.cpuid": s.cpuid,
            "pool.napi_linked": s.napi_linked, "pool.user_cnt": min(max(s.user_cnt, 0), 1),
            "pool.destroy_cnt": min(s.destroy_cnt, 1), "pool.freed": s.pool_freed,
            "pool.dma_sync": s.dma_sync,
            "pool.frag_page": None if s.pool_freed or s.frag_page is None else s.frag_page,
            # read as they are, also once frag_page is NULL: page_pool_free_frag() and a drain
            # that was not the last reference leave frag_users/frag_offset behind, in the
            # kernel as in the spec (zeroing them here made those calls look unrefined)
            "pool.frag_users": s.frag_users,
            "pool.frag_offset": min(s.frag_offset // 2048, int(self.cfg.frags_per_page)),
            "pool.deferred": bool(run.k.lib.pph_work_runs()) or s.work_pending,
            "pool.alloc_stat": next(iter(AllocStat)),
            "napi.owner": napi_owner, "napi.enabled": self._napi_enabled(run), "dev.bound": s.dev_bound,
            "pool.mem_model": 0, "pool.nid_changed": False,  # no XDP memory model, no update_nid
        })
        for c in range(len(run.sc.contexts)):
            pre = f"ctxs[{c}]."
            sp = self.ctx_specs[c]
            role_stage = self._stage(run, c, s)
            out.update({pre + "cpu": sp.cpu, pre + "kind": sp.kind, pre + "role": sp.role,
                        pre + "pc": PC.READY, pre + "page": None, pre + "nr": 0, pre + "direct": False,
                        pre + "after": After.NONE, pre + "in_poll": False, pre + "stage": role_stage,
                        pre + "flag": False, pre + "sh": None, pre + "recycle": False, pre + "local": False,
                        pre + "bpc": 0, pre + "bdirect": False,
                        # a quiescent context holds no count read, no allocation in progress and
                        # no mark of a grace period (issue 16's cache_idx/alloc_frag, rcu_gp)
                        pre + "cache_idx": 0, pre + "alloc_frag": False, pre + "rcu_gp": False})
        errs = {ln.split(" ")[2] for ln in run.k.log() if ln.startswith("ERR ")}
        ghosts = {GHOST_OF[e] for e in errs if e in GHOST_OF}
        if s.destroy_cnt > 0 and s.alloc_count > 0:
            ghosts.add("cache_after_destroy")
        for n in self.names:
            if n.startswith("ghost."):
                out[n] = n[6:] in ghosts
        return out

    @staticmethod
    def _done_ops(run: Run, c: int) -> list[Op]:
        return [i.op for i in run.sc.contexts[c].program[:run.pc[c]]]

    def _napi_enabled(self, run: Run) -> bool:
        """Disabled from the end of the control path's napi_disable() to its napi_enable()."""
        for c, spec in enumerate(run.sc.contexts):
            if spec.name.startswith("control"):
                ops = self._done_ops(run, c)
                return Op.NAPI_DISABLE not in ops or Op.NAPI_ENABLE in ops
        return True

    def _stage(self, run: Run, c: int, s: Any) -> Stage:
        """The spec's stage of the control path / the worker between calls: the control path
        is at DESTROY once napi_disable() returned (the poll ended, the RX ring is empty), at
        UNBIND once page_pool_destroy() returned, DONE after the unbind; the worker is PENDING
        while the release work is scheduled."""
        name = run.sc.contexts[c].name
        if name.startswith("control"):
            ops = self._done_ops(run, c)
            if Op.UNBIND in ops:
                return Stage.DONE
            if Op.DESTROY in ops:
                return Stage.UNBIND
            return Stage.DESTROY if Op.NAPI_DISABLE in ops else Stage.IDLE
        if name.startswith("worker"):
            if s.work_pending:
                return Stage.PENDING
            return Stage.DONE if run.k.lib.pph_work_runs() else Stage.IDLE
        return Stage.IDLE

    def pack(self, run: Run) -> int:
        flat = self.flat(run)
        lay = self.system.layout
        vals = []
        for n in self.names:
            if n in flat:
                v = flat[n]
            else:
                raise SpecError(f"the kernel abstraction does not map the spec field {n}")
            vals.append(-1 if v is None else int(v))
        return lay.pack(vals)

    def violations(self, run: Run) -> list[tuple[str, str]]:
        try:
            st = self.pack(run)
        except (SpecError, ValueError, KeyError) as e:
            return [("spec_invariants", f"the abstract state leaves the spec's domain: {e}")]
        bad = self._holds.get(st)
        if bad is None:
            bad = self._holds[st] = [name for i, name in self.props if not self.conc.holds(i, st)]
        out = [("spec_invariants", f"{name} fails on the abstracted state") for name in bad]
        calls, prev = run.segment_calls, run.last_quiescent
        if REFINE and self.refine_on and not out and prev is not None and len(calls) == 1:
            c, op = calls[0]
            key = (prev, st, c, op)
            why = self._refined.get(key)
            if why is None:
                why = self._refined[key] = self.refines(prev, st, c, op)
            if why:
                out.append(("refines_spec", f"{run.sc.contexts[c].name}'s {op.name.lower()} call: {why}"))
        run.last_quiescent, run.segment_calls = st, []
        return out

    def _project(self, st: int) -> tuple:
        vals = self.system.layout.unpack(st)
        return tuple(v for n, v in zip(self.names, vals) if n.startswith("pages[")
                     or (n.startswith("pool.") and n not in SKIP))

    def refines(self, pre: int, post: int, c: int, op: Op, budget: int = 4000) -> str:
        """'' when the spec goes from ``pre`` to a state agreeing with ``post`` on the pages
        and the pool using only the actions of ``op`` (ACTION_OF, plus the NAPI's own
        scheduling) run by context ``c``; else why not."""
        allowed = set(ACTION_OF.get(op, ())) | NAPI_STEPS
        lay = self.system.layout
        hold = self.names.index("pool.hold")
        if (lay.unpack(post)[hold] - lay.unpack(pre)[hold]) % (1 << int(self.cfg.counter_bits)) > 1:
            return ""  # a bulk slow-path allocation: the spec allocates one page at a time (docs)
        goal = self._project(post)
        if self._project(pre) == goal and op in (Op.NAPI_DISABLE, Op.NAPI_ENABLE, Op.UNBIND, Op.WORKER):
            return ""
        seen = {pre}
        frontier = [pre]
        while frontier and len(seen) < budget:
            nxt = []
            for s in frontier:
                for b, t, _err in self.conc.successors(s):
                    if t is None or t in seen or b.action not in allowed or b.args.get("c", c) != c:
                        continue
                    if self._project(t) == goal:
                        return ""
                    seen.add(t)
                    nxt.append(t)
            frontier = nxt
        return (f"no run of {', '.join(sorted(ACTION_OF.get(op, ())))} from the abstracted pre-state "
                f"reaches the abstracted post-state ({len(seen)} spec states tried)")


_VIEWS: dict[str, SpecView | None] = {}


def spec_hook_for(sc: Scenario, tree: Tree):
    """The spec check of a scenario (None where mainline does not describe the tree:
    before unified pp_ref_count, v6.7)."""
    if tree.kver < 607:
        return None
    if sc.name not in _VIEWS:
        try:
            _VIEWS[sc.name] = SpecView(sc)
        except (SpecError, ValueError, TypeError) as e:
            raise SpecError(f"scenario {sc.name}: no mainline configuration of its shape ({e})") from None
    view = _VIEWS[sc.name]
    return None if view is None else view.violations
