"""A small machine running the page_pool: CPUs, one pool, its NAPI, a driver, the stack.

:class:`World` is the driver/stack API the conformance drivers use.  It is configured
with the same parameters as a ``models/mainline/`` configuration (pages, cache and
ring sizes, the contexts ``"softirq@0"``, ``"user@1"``, ``"control@1"``, ...).  Each
context runs at most one call at a time (:class:`~ppcheck.impl.sched.Task`); calls are
started with :meth:`World.start` and advanced one atomic step at a time with
:meth:`World.step`.  Events that are one step of nobody in particular (an interrupt
scheduling the NAPI, a stack user's ``get_page()``, ``skb_clone()``) run at once with
:meth:`World.event`.

The driver code here (the NAPI poll's RX handling, the remove path) is the
environment the kernel functions run in; it keeps the ghost bookkeeping the spec keeps:
who holds which reference (``pp_holders``, ``page_holders``), which pages sit in the
driver's RX ring.  Which context may run is decided as the kernel decides it
(:meth:`World.can_run`): a softirq runs to completion over the process context of its
CPU, BH-disabled sections and spin_lock_bh() holders keep softirqs out.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from ppcheck.models.pagepool import PC, Kind, Role, context_specs, in_softirq

from . import page_pool as pp
from . import skbuff
from .kernel import NO_CPU, Context, Kernel, Step
from .page_pool import Napi, PagePool
from .sched import Task, frame_key, prime, resume
from .switches import MAINLINE, Switches

#: the program counter a pending label stands for (labels not listed: between calls)
LABEL_PC: dict[str, PC] = {
    "page_pool_unref_read": PC.UNREF_READ,
    "page_pool_unref_sub": PC.UNREF_SUB,
    "page_pool_napi_local": PC.NAPI_LOCAL,
    "page_pool_napi_local_napi": PC.NAPI_LOCAL_NAPI,
    "page_pool_napi_local_owner": PC.NAPI_LOCAL_OWNER,
    "page_pool_put_page": PC.PUT_PAGE,
    "page_pool_recycle_in_cache": PC.CACHE_PUSH,
    "page_pool_recycle_in_cache_store": PC.CACHE_STORE,
    "page_pool_cache_pop": PC.CACHE_POP,  # REFILL_POP when refill=True
    "page_pool_refill_consume": PC.REFILL,
    "page_pool_producer_lock": PC.RING_LOCK,
    "ptr_ring_produce": PC.RING_PRODUCE,
    "page_pool_producer_unlock": PC.RING_UNLOCK,  # RING_UNLOCK_FULL when full=True
    "page_pool_return_page": PC.RETURN,
    "page_pool_return_release": PC.RETURN_RELEASE,
    "page_pool_return_put": PC.RETURN_PUT,
    "skb_data_unref_read": PC.DATAREF_READ,
    "skb_data_unref_sub": PC.DATAREF_SUB,
}


def label_pc(label: Step | None) -> PC:
    if label is None:
        return PC.READY
    pc = LABEL_PC.get(label.action, PC.READY)
    if pc == PC.RING_UNLOCK and label.arg("full"):
        return PC.RING_UNLOCK_FULL
    if pc == PC.CACHE_POP and label.arg("refill"):
        return PC.REFILL_POP
    return pc


@dataclass
class Op:
    """A call the driver or the stack may start in a context: its entry label."""

    ctx: int
    name: str
    action: str  # the spec action of the entry step
    args: dict[str, Any]


class World:
    """The implementation's whole state, and the API to start and step calls."""

    def __init__(self, params: dict[str, Any], sw: Switches = MAINLINE):
        self.params = dict(params)
        self.sw = sw
        P = self.params
        self.k = Kernel(int(P["pages"]), preempt_rt=bool(P.get("preempt_rt")))
        self.napi = Napi()
        self.napi.list_owner = 0  # the first interrupt scheduled the NAPI on CPU 0
        self.bias = int(P["frags_per_page"]) + 1
        self.pool = PagePool(self.k, cache_size=int(P["cache_size"]), ring_size=int(P["ring_size"]),
                             refill=int(P["refill"]), bias_max=self.bias,
                             max_size=int(P["frags_per_page"]), cpuid=int(P["pool_cpuid"]),
                             napi=self.napi if P["napi_linked"] else None,
                             dma_sync=bool(P["dma_sync"]), sw=sw)
        self.specs = context_specs(type("C", (), {"contexts": P["contexts"]})())
        self.ctx = [Context(f"{P['contexts'][sp.index]}#{sp.index}", sp.cpu, in_softirq(sp.kind),
                            sp.kind == Kind.SOFTIRQ) for sp in self.specs]
        self.tasks: list[Task | None] = [None] * len(self.specs)
        self.in_poll = [False] * len(self.specs)
        self.rx: list[int] = []  # pfns posted to the driver's RX ring
        self.pp_holders: dict[int, int] = {}  # pfn -> pp references held outside skbs
        self.page_holders: dict[int, int] = {}  # pfn -> get_page() references of the stack
        self.skbs: dict[int, skbuff.SkBuff] = {}
        self.shinfos = [skbuff.SkbSharedInfo(j) for j in range(int(P["skbs"]))]
        self.poll_stat = "NONE"  # the alloc_stats counter the last allocation bumped
        self.worker_scheduled = False  # the release worker was scheduled at least once
        self.swapped = False  # the NAPI serves a new pool now (seed 004's reuse)
        self.k.referenced = lambda page: self.referenced(page.pfn)
        self.k.rcu_readers = self.rcu_readers
        self.k.rcu_waiting = lambda gp: any(self.rcu_gp(d, gp) and self.rcu_reader(d)
                                            for d in range(len(self.specs)))
        self._frozen: dict[int, tuple[int, int, bool] | None] | None = None
        if P.get("destroy"):
            for sp in self.specs:
                if sp.role == Role.CONTROL:
                    self._start(sp.index, "driver_remove", self.driver_remove(sp.index))

    # -- contexts --------------------------------------------------------------------------
    def role(self, c: int) -> Role:
        return self.specs[c].role

    def pending(self, c: int) -> Step | None:
        t = self.tasks[c]
        return None if t is None or t.done else t.pending

    def pc(self, c: int) -> PC:
        return label_pc(self.pending(c))

    def busy(self, c: int) -> bool:
        t = self.tasks[c]
        return t is not None and not t.done

    def active(self, c: int) -> bool:
        """Inside a kernel function (past its entry) or inside a NAPI poll."""
        return self.pc(c) != PC.READY or self.in_poll[c]

    def rcu_reader(self, c: int) -> bool:
        """Context ``c`` is inside a page_pool call as an RCU reader (Mainline.rcu_reader): a
        softirq or BH-disabled context for the whole call, a process context while it holds
        the producer lock (spin_lock_bh)."""
        sp = self.specs[c]
        if sp.role in (Role.CONTROL, Role.WORKER) or self.pc(c) == PC.READY:
            return False
        return sp.kind in (Kind.SOFTIRQ, Kind.PROCESS_BH) or \
            self.pool.ring.producer_lock.owner == self.ctx[c].name

    def rcu_readers(self) -> tuple[Task | None, ...]:
        """synchronize_net() begins: the call of each context that is an RCU reader now."""
        return tuple(self.tasks[c] if self.rcu_reader(c) else None for c in range(len(self.specs)))

    def rcu_gp(self, c: int, gp: tuple[Task | None, ...] | None = None) -> bool:
        """Context ``c`` is still in the call page_pool_scrub()'s grace period waits for (the
        spec's ``rcu_gp``: set at the snapshot, cleared when that call returns)."""
        gp = self.pool.gp_wait if gp is None else gp
        t = gp[c] if gp is not None and c < len(gp) else None
        return t is not None and t is self.tasks[c] and not t.done

    def can_run(self, c: int) -> bool:
        """The kernel's exclusion on one CPU (see ``Mainline.can_run``): no step while a
        softirq (or BH-disabled section) of this CPU is active, nor while a process
        context of this CPU holds the producer lock (spin_lock_bh)."""
        if self.k.preempt_rt:
            return True
        me = self.specs[c]
        owner = self.pool.ring.producer_lock.owner
        for d in self.specs:
            if d.index == c or d.cpu != me.cpu:
                continue
            if d.kind in (Kind.SOFTIRQ, Kind.PROCESS_BH):
                if self.active(d.index):
                    return False
            elif owner == self.ctx[d.index].name:
                return False
        return True

    def enabled(self, c: int) -> bool:
        t = self.tasks[c]
        return t is not None and not t.done and t.pending.enabled() and self.can_run(c)

    def ready_contexts(self) -> list[int]:
        return [c for c in range(len(self.specs)) if self.enabled(c)]

    # -- running ---------------------------------------------------------------------------
    def _start(self, c: int, op: str, gen: Generator) -> Task:
        if self.busy(c):
            raise RuntimeError(f"context {c} is busy with {self.tasks[c].op}")
        t = Task(self.ctx[c], gen, op)
        self.tasks[c] = t
        prime(self.k, t)
        return t

    def step(self, c: int) -> Step:
        """Run the pending step of context ``c``; returns the step it turned out to be."""
        t = self.tasks[c]
        if t is None or t.done:
            raise RuntimeError(f"context {c} has nothing to run")
        self._frozen = {j: self._releasing(j) for j in range(len(self.shinfos))}
        try:
            s = resume(self.k, t)
        finally:
            self._frozen = None
        stat = {"page_pool_alloc_slow": "SLOW", "page_pool_alloc_fail": "EMPTY"}.get(s.action)
        if s.action == "page_pool_cache_pop":
            stat = "REFILL" if s.arg("refill") else "FAST"
        if stat:
            self.poll_stat = stat
        gp = self.pool.gp_wait
        if gp is not None and gp[c] is not None and self.pc(c) == PC.READY:
            # the call left page_pool: its read-side section is over (a later one is not waited for)
            self.pool.gp_wait = gp[:c] + (None,) + gp[c + 1:]
        return s

    def event(self, label: Step, fn: Callable[[], None]) -> Step:
        """A one-step event outside any context (an interrupt, a stack user)."""
        fn()
        return label

    def finish(self, c: int, limit: int = 200) -> list[Step]:
        """Run ``c``'s call to completion (sequential use: tests, examples)."""
        out = []
        for _ in range(limit):
            if not self.busy(c):
                return out
            if not self.enabled(c):
                raise RuntimeError(f"context {c} cannot run {self.pending(c)}")
            out.append(self.step(c))
        raise RuntimeError(f"context {c} did not finish in {limit} steps")

    # -- ghost bookkeeping -----------------------------------------------------------------
    def skb_refs(self, pfn: int) -> int:
        n = 0
        for j in range(len(self.shinfos)):
            pages, _ = self.shinfo_view(j)
            if self.shinfo_dataref(j) > 0:
                n += sum(1 for p in pages if p == pfn)
        return n

    def in_unref(self, pfn: int) -> int:
        return sum(1 for c in range(len(self.specs))
                   if self.pc(c) in (PC.UNREF_READ, PC.UNREF_SUB) and self.pending(c).arg("page") == pfn)

    def referenced(self, pfn: int) -> bool:
        """Someone other than the pool references the page (``referenced()`` of the spec)."""
        return (self.pp_holders.get(pfn, 0) > 0 or self.page_holders.get(pfn, 0) > 0
                or self.in_unref(pfn) > 0 or self.skb_refs(pfn) > 0)

    def releasing(self, j: int) -> tuple[int, int, bool] | None:
        """(context, frags released, pp_recycle) when a context is inside
        skb_release_data() of shared info ``j`` as its last user.  While a step runs its
        own generator cannot be inspected: the answer from before the step is used."""
        if self._frozen is not None:
            return self._frozen.get(j)
        return self._releasing(j)

    def _releasing(self, j: int) -> tuple[int, int, bool] | None:
        for c, t in enumerate(self.tasks):
            if t is None or t.done:
                continue
            for name, locs in frames(t.gen):
                if name == "skb_release_data" and "released" in locs and locs["shinfo"].id == j:
                    return c, locs["released"], locs["recycle"]
        return None

    def shinfo_dataref(self, j: int) -> int:
        return 1 if self.releasing(j) is not None else self.shinfos[j].dataref

    def shinfo_view(self, j: int) -> tuple[list[int | None], list[bool]]:
        """The frags shared info ``j`` still holds (released ones read None)."""
        sh = self.shinfos[j]
        rel = self.releasing(j)
        done = rel[1] if rel else 0
        pages: list[int | None] = [None, None]
        kinds = [False, False]
        for i, p in enumerate(sh.frags[:2]):
            if i >= done:
                pages[i], kinds[i] = p.pfn, sh.pp_kind[i]
        return pages, kinds

    def _hold(self, d: dict[int, int], pfn: int, n: int) -> None:
        d[pfn] = d.get(pfn, 0) + n
        if d[pfn] == 0:
            del d[pfn]

    # -- the driver: NAPI poll -------------------------------------------------------------
    def napi_poll_begin(self, c: int) -> Generator:
        cpu = self.specs[c].cpu
        yield Step.of("napi_poll_begin", guard=lambda: self.napi.list_owner == cpu)
        self.in_poll[c] = True

    def napi_poll_end(self, c: int, complete: bool) -> Generator:
        yield Step.of("napi_poll_end", complete=complete,
                      guard=lambda: complete or not self.napi.disabled)
        self.in_poll[c] = False
        self.poll_stat = "NONE"
        if complete:
            self.napi.list_owner = NO_CPU  # napi_complete_done()

    def driver_alloc_rx(self, c: int) -> Generator:
        """The driver refills its RX ring: page_pool_dev_alloc_pages()."""
        page = yield from pp.page_pool_alloc_pages(self.pool)
        if page is not None:
            self.rx.append(page.pfn)

    def driver_alloc_frag(self, c: int) -> Generator:
        """The driver carves an RX buffer: page_pool_dev_alloc_frag(); the frag's pp
        reference goes to whoever receives it."""
        res = yield from pp.page_pool_alloc_frag(self.pool, 1)
        if res is not None:
            self._hold(self.pp_holders, res[0].pfn, 1)

    def napi_xdp_drop(self, c: int, pfn: int) -> Generator:
        """XDP_DROP: page_pool_recycle_direct() = page_pool_put_full_page(.., true)."""
        yield Step.of("napi_xdp_drop", page=pfn)
        self.rx.remove(pfn)
        yield from pp.page_pool_put_page(self.pool, self.k.memmap[pfn], allow_direct=True)

    def napi_rx_pass(self, c: int, pfn: int) -> Generator:
        """The page goes up the stack (an xdp_frame, a GRO frag): its pp reference too."""
        yield Step.of("napi_rx_pass", page=pfn)
        self.rx.remove(pfn)
        self._hold(self.pp_holders, pfn, 1)

    def napi_build_skb(self, c: int, pfn: int, k: int, j: int) -> Generator:
        yield Step.of("napi_build_skb", page=pfn, k=k, j=j)
        self.rx.remove(pfn)
        self.skbs[k] = skbuff.napi_build_skb(k, self.shinfos[j], self.k.memmap[pfn])

    # -- the stack -------------------------------------------------------------------------
    def put_full_page(self, c: int, pfn: int) -> Generator:
        """A user drops its pp reference: page_pool_put_full_page(pool, page, false)."""
        yield Step.of("page_pool_put_full_page", page=pfn)
        if self.pp_holders.get(pfn, 0) > 0:  # else: a put without a reference (misuse)
            self._hold(self.pp_holders, pfn, -1)
        yield from pp.page_pool_put_page(self.pool, self.k.memmap[pfn], allow_direct=False)

    def kfree_skb(self, c: int, k: int) -> Generator:
        skb = self.skbs[k]
        yield from skbuff.kfree_skb(self.k, skb, no_clone_rule=self.sw.bug("no_clone_rule"))

    def skb_clone(self, k: int, m: int) -> Step:
        sh = self.skbs[k].shinfo.id
        return self.event(Step.of("skb_clone", k=k, m=m, j=sh),
                          lambda: self.skbs.__setitem__(m, skbuff.skb_clone(self.skbs[k], m)))

    def pskb_expand_head(self, k: int, n: int) -> Step:
        j = self.skbs[k].shinfo.id
        return self.event(Step.of("pskb_expand_head", k=k, j=j, n=n),
                          lambda: skbuff.pskb_expand_head(self.skbs[k], self.shinfos[n]))

    def skb_try_coalesce(self, k: int, m: int) -> Step:
        j, n = self.skbs[k].shinfo.id, self.skbs[m].shinfo.id
        return self.event(Step.of("skb_try_coalesce", k=k, m=m, j=j, n=n),
                          lambda: skbuff.skb_try_coalesce(self.skbs[k], self.skbs[m]))

    def get_page(self, pfn: int) -> Step:
        """A stack user takes a page reference (get_page(), e.g. __skb_frag_ref())."""
        def fn() -> None:
            self.k.memmap[pfn]._refcount += 1
            self._hold(self.page_holders, pfn, 1)
        return self.event(Step.of("get_page", p=pfn), fn)

    def stack_put_page(self, pfn: int) -> Step:
        def fn() -> None:
            if self.page_holders.get(pfn, 0) > 0:  # else: misuse
                self._hold(self.page_holders, pfn, -1)
            self.k.put_page(self.k.memmap[pfn])
        return self.event(Step.of("stack_put_page", p=pfn), fn)

    def napi_schedule(self, cpu: int) -> Step:
        """napi_schedule() from the device interrupt: NAPI_STATE_SCHED, list_owner."""
        def fn() -> None:
            if not self.napi.disabled and self.napi.list_owner == NO_CPU:
                self.napi.list_owner = cpu
        return self.event(Step.of("napi_schedule", cpu=cpu), fn)

    # -- the driver's remove path (control) and the release worker -------------------------
    def driver_remove(self, c: int) -> Generator:
        """napi_disable(), free the RX ring, page_pool_destroy(), unbind the device."""
        yield Step.of("napi_disable")
        self.napi.disabled = True
        yield Step.of("napi_disable_wait", guard=lambda: self.napi.list_owner == NO_CPU)
        while self.rx:
            pfn = self.rx[0]
            yield Step.of("driver_rx_ring_free", page=pfn)
            self.rx.remove(pfn)
            # a per-CPU pool's consumer (its CPU's softirqs) is not stopped by napi_disable()
            direct = int(self.params["pool_cpuid"]) < 0
            yield from pp.page_pool_put_page(self.pool, self.k.memmap[pfn], allow_direct=direct)
        yield Step.of("driver_rx_ring_done")
        retry = yield from pp.page_pool_destroy(self.pool)
        if retry:  # schedule_delayed_work(&pool->release_dw, DEFER_TIME)
            self.schedule_worker()
        yield Step.of("driver_unbind")
        self.k.device.bound = False

    def napi_enable_new_pool(self, c: int) -> Step:
        """Ring reconfiguration: the remove path gives the NAPI a new pool and
        napi_enable()s it (the old pool's pages still come back)."""
        def fn() -> None:
            self.napi.disabled = False
        return self.event(Step.of("napi_enable_new_pool", c=c), fn)

    def napi_swap_pool(self, c: int) -> Step:
        """Ring reconfiguration (seed 004): the disabled NAPI gets a new pool (after
        page_pool_unlink_napi() of the old one, if the design does it) and is enabled
        again; the old pool is destroyed next."""
        def fn() -> None:
            if self.sw.unlink_on_reuse:
                pp.page_pool_unlink_napi(self.pool)
            self.swapped = True
            self.napi.disabled = False
        return self.event(Step.of("napi_swap_pool", c=c), fn)

    def schedule_worker(self) -> None:
        for sp in self.specs:
            if sp.role == Role.WORKER:
                self.worker_scheduled = True
                self._start(sp.index, "release_worker", self.release_worker())

    def release_worker(self) -> Generator:
        """The delayed work: page_pool_release_retry(), rescheduled until inflight is 0."""
        while (yield from pp.page_pool_release_retry(self.pool)):
            pass

    # -- which calls may start -------------------------------------------------------------
    def ops(self, c: int) -> list[Op]:
        """The calls context ``c`` could start now, with their entry actions (the caller
        decides which the API contract allows: the spec's guard, or nothing for misuse)."""
        if self.busy(c):
            return []
        role = self.role(c)
        out: list[Op] = []
        if role == Role.NAPI:
            out.append(Op(c, "napi_poll_begin", "napi_poll_begin", {}))
            for complete in (False, True):
                out.append(Op(c, f"napi_poll_end({complete})", "napi_poll_end",
                              {"complete": complete}))
            if not self.swapped:  # after a swap the NAPI allocates from its new pool
                out.append(Op(c, "alloc", "page_pool_alloc_pages", {}))
            if self.params.get("frag") and not self.swapped:
                out.append(Op(c, "alloc_frag", "page_pool_alloc_frag", {}))
            for pfn in sorted(set(self.rx)):
                out.append(Op(c, f"xdp_drop({pfn})", "napi_xdp_drop", {"p": pfn}))
                out.append(Op(c, f"rx_pass({pfn})", "napi_rx_pass", {"p": pfn}))
                for k in range(len(self.shinfos)):
                    for j in range(len(self.shinfos)):
                        out.append(Op(c, f"build_skb({pfn},{k},{j})", "napi_build_skb",
                                      {"p": pfn, "k": k, "j": j}))
        if role in (Role.NAPI, Role.USER):
            for pfn in sorted(self.pp_holders):
                out.append(Op(c, f"put({pfn})", "page_pool_put_full_page", {"p": pfn}))
            for k, skb in sorted(self.skbs.items()):
                if not skb.freed:
                    out.append(Op(c, f"kfree_skb({k})", "kfree_skb", {"k": k}))
        return out

    def start(self, op: Op) -> Task:
        c, a = op.ctx, op.args
        gen = {
            "napi_poll_begin": lambda: self.napi_poll_begin(c),
            "napi_poll_end": lambda: self.napi_poll_end(c, a.get("complete", False)),
            "page_pool_alloc_pages": lambda: self.driver_alloc_rx(c),
            "page_pool_alloc_frag": lambda: self.driver_alloc_frag(c),
            "napi_xdp_drop": lambda: self.napi_xdp_drop(c, a["p"]),
            "napi_rx_pass": lambda: self.napi_rx_pass(c, a["p"]),
            "napi_build_skb": lambda: self.napi_build_skb(c, a["p"], a["k"], a["j"]),
            "page_pool_put_full_page": lambda: self.put_full_page(c, a["p"]),
            "kfree_skb": lambda: self.kfree_skb(c, a["k"]),
        }[op.action]()
        return self._start(c, op.name, gen)

    # -- state -----------------------------------------------------------------------------
    def snapshot(self) -> tuple:
        """All of the implementation's state, suspended calls included (for caching)."""
        return (self.k.snapshot(), self.pool.snapshot(), self.napi.list_owner, self.napi.disabled,
                tuple(self.rx), tuple(sorted(self.pp_holders.items())),
                tuple(sorted(self.page_holders.items())), tuple(self.in_poll), self.poll_stat,
                self.worker_scheduled, self.swapped, tuple(self.rcu_gp(c) for c in range(len(self.specs))),
                tuple((t.op, t.done, t.pending, frame_key(t.gen)) if t else None for t in self.tasks),
                tuple((k, s.shinfo.id, s.cloned, s.pp_recycle, s.freed)
                      for k, s in sorted(self.skbs.items())),
                tuple((sh.dataref, tuple(p.pfn for p in sh.frags), tuple(sh.pp_kind))
                      for sh in self.shinfos))


def frames(gen: Generator | None) -> list[tuple[str, dict[str, Any]]]:
    """The call stack of a suspended generator, outermost first: (function, locals)."""
    out = []
    while gen is not None:
        fr = gen.gi_frame
        if fr is None:
            break
        out.append((gen.gi_code.co_name, fr.f_locals))
        nxt = gen.gi_yieldfrom
        gen = nxt if isinstance(nxt, Generator) else None
    return out
