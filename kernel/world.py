"""A scenario (kernel contexts and what each runs) and its execution on the compiled code.

A :class:`Scenario` names the pool parameters and the contexts: the NAPI softirq of CPU 0,
a softirq freeing on CPU 1, a process context, the control path (napi_disable, destroy,
unbind) and the release worker. Each context runs a small program of :class:`Instr`
(one kernel entry each); a page is named by the variable an ``alloc`` bound, so a page
allocated by the NAPI can be freed by another context. :class:`Run` executes a scenario
step by step: a step runs one context to its next yield point (an atomic, a spinlock, a
READ_ONCE/WRITE_ONCE of shared pool state, an xarray or DMA call), the scheduler being
whoever calls :meth:`Run.step` (random, exhaustive or a replayed trace).

Which contexts may run follows the kernel's execution rules: a softirq runs to its end
before the interrupted task of its CPU resumes, and cannot start while a task of its CPU
has BH disabled; tasks of one CPU preempt each other only outside spinlocks and BH-off
sections. With ``rt`` (CONFIG_PREEMPT_RT) softirqs are preemptible threads: any context
may run at any yield point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .driver import Kernel, KState, Op


@dataclass(frozen=True)
class Instr:
    """One kernel call: ``op`` with a page variable (``page``), a direct flag or a size."""

    op: Op
    page: str | None = None  # PUT/GET_PAGE/PUT_PAGE/REF: the variable; ALLOC: binds it
    direct: bool = False  # PUT: allow_direct
    size: int = 0  # ALLOC_FRAG
    when_work: bool = False  # WORKER: only when work is pending
    after_consumer: bool = False  # only once the consumer (NAPI) contexts have ended (napi_disable)
    pages: tuple[str, ...] = ()  # BULK: the variables of the frames, in data[] order
    nid: int = 0  # UPDATE_NID: the new node

    def text(self) -> str:
        a = [self.page] if self.page else []
        if self.op == Op.BULK:
            a.append("[" + ", ".join(self.pages) + "]")
        if self.op == Op.UPDATE_NID:
            a.append(str(self.nid))
        if self.op == Op.PUT:
            a.append(f"allow_direct={str(self.direct).lower()}")
        if self.op == Op.ALLOC_FRAG:
            a.append(f"size={self.size}")
        return f"{OP_NAMES[self.op]}({', '.join(a)})"


#: the kernel function each operation calls
OP_NAMES = {Op.ALLOC: "page_pool_alloc_pages", Op.PUT: "page_pool_put_full_page",
            Op.DESTROY: "page_pool_destroy", Op.WORKER: "page_pool_release_retry",
            Op.NAPI_DISABLE: "napi_disable", Op.UNBIND: "driver_unbind", Op.GET_PAGE: "get_page",
            Op.PUT_PAGE: "put_page", Op.ALLOC_FRAG: "page_pool_alloc_frag",
            Op.REF: "page_pool_ref_page", Op.DISABLE_DIRECT: "page_pool_disable_direct_recycling",
            Op.NAPI_ENABLE: "napi_enable", Op.BULK: "page_pool_put_page_bulk",
            Op.XDP_REG: "xdp_rxq_info_reg_mem_model", Op.XDP_UNREG: "xdp_rxq_info_unreg_mem_model",
            Op.UPDATE_NID: "page_pool_update_nid",
            Op.ALLOC_FRAGMENTED: "page_pool_alloc_pages+page_pool_fragment_page"}


@dataclass(frozen=True)
class CtxSpec:
    name: str  # e.g. "softirq@0"
    cpu: int
    softirq: bool
    program: tuple[Instr, ...]
    consumer: bool = False  # the pool's allocation side (the NAPI poll)
    bh: bool = False  # a process context calling with BH disabled (local_bh_disable)


@dataclass(frozen=True)
class Scenario:
    """Pool parameters and contexts; ``min_kver`` is the first tree it applies to."""

    name: str
    doc: str
    contexts: tuple[CtxSpec, ...]
    npages: int = 2
    flags: int = 3  # PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV
    pool_size: int = 2
    napi_cpu: int = 0  # -1: params.napi not set
    cpuid: int = -1  # >= 0: page_pool_create_percpu()
    rt: bool = False
    destroys: bool = True  # the pool must end freed, every page back in the buddy allocator
    min_kver: int = 0
    max_kver: int = 10_000
    witnesses: tuple[str, ...] = ()  # checks.WITNESSES each search of it must reach
    fine: bool = False  # plain loads/stores of shared memory are yield points too (build fine)

    def applies(self, kver: int) -> bool:
        return self.min_kver <= kver <= self.max_kver


@dataclass
class StepInfo:
    ctx: int
    instr: str  # the kernel call the context is in
    at: str  # the yield point it stopped at (or "returned")
    finished: bool
    cache_changed: bool = False
    cache_delta: int = 0
    ring_delta: int = 0


@dataclass
class Run:
    """One execution of a scenario on a loaded kernel."""

    k: Kernel
    sc: Scenario
    pc: list[int] = field(default_factory=list)  # next instruction per context
    vars: dict[str, int] = field(default_factory=dict)
    touched_cache: list[bool] = field(default_factory=list)  # in its current call
    steps: list[StepInfo] = field(default_factory=list)
    last: KState | None = None
    nsteps: int = 0
    segment_calls: list[tuple[int, Op]] = field(default_factory=list)  # since the last quiescent check
    last_quiescent: int | None = None  # the spec state there (spec_map)

    def reset(self) -> None:
        sc, k = self.sc, self.k
        k.lib.pph_set_fine(0)
        err = k.setup(sc.npages, sc.flags, sc.pool_size, sc.napi_cpu, sc.cpuid)
        if err:
            raise RuntimeError(f"page_pool_create() failed: {err}")
        k.lib.pph_set_fine(int(sc.fine))
        for i, c in enumerate(sc.contexts):
            k.ctx_init(i, c.cpu, c.softirq)
            if c.bh:
                k.lib.pph_ctx_bh(i, 1)
        self.pc = [0] * len(sc.contexts)
        self.vars = {}
        self.touched_cache = [False] * len(sc.contexts)
        self.steps = []
        self.segment_calls = []
        self.last_quiescent = None
        self.last = k.state()

    # -- who may run ------------------------------------------------------------------------
    def _instr(self, c: int) -> Instr | None:
        prog = self.sc.contexts[c].program
        return prog[self.pc[c]] if self.pc[c] < len(prog) else None

    def _can_start(self, c: int) -> bool:
        ins = self._instr(c)
        if ins is None:
            return False
        if ins.op == Op.WORKER and ins.when_work and not self.last_work_pending():
            return False
        if ins.after_consumer and not all(
                self._finished(o)
                for o, spec in enumerate(self.sc.contexts) if spec.consumer):
            return False
        if ins.page is not None and ins.op not in (Op.ALLOC, Op.ALLOC_FRAG, Op.ALLOC_FRAGMENTED):
            return ins.page in self.vars
        if ins.op == Op.BULK:
            return all(v in self.vars for v in ins.pages)
        return True

    def last_work_pending(self) -> bool:
        return bool(self.k.lib.pph_work_pending())

    def _cpu_allows(self, c: int) -> bool:
        if self.sc.rt:
            return True
        me = self.sc.contexts[c]
        for o, spec in enumerate(self.sc.contexts):
            if o == c or spec.cpu != me.cpu or not self.k.busy(o):
                continue
            if spec.softirq:
                return False  # a softirq of this CPU is running: it finishes first
            if me.softirq:
                if self.k.bh(o) > 0:
                    return False  # that task has BH disabled
            elif self.k.bh(o) > 0 or self.k.lib.pph_preempt(o) > 0:
                return False  # that task cannot be preempted
        return True

    def enabled(self) -> list[int]:
        """Contexts that can take a step now."""
        out = []
        for c in range(len(self.sc.contexts)):
            if self.k.busy(c):
                if not self.k.blocked(c) and self._cpu_allows(c):
                    out.append(c)
            elif self._can_start(c) and self._cpu_allows(c):
                out.append(c)
        return out

    def _finished(self, c: int) -> bool:
        """Context ``c`` has nothing left to do (a release worker with no work counts)."""
        if self.k.busy(c):
            return False
        prog = self.sc.contexts[c].program
        return all(i.op == Op.WORKER and i.when_work for i in prog[self.pc[c]:])

    def done(self) -> bool:
        return all(self._finished(c) for c in range(len(self.sc.contexts)))

    # -- one step -----------------------------------------------------------------------------
    def step(self, c: int) -> StepInfo:
        k = self.k
        before = self.last
        if not k.busy(c):
            ins = self._instr(c)
            assert ins is not None
            a0 = a1 = 0
            if ins.op in (Op.PUT, Op.GET_PAGE, Op.PUT_PAGE, Op.REF):
                a0 = self.vars.get(ins.page or "", -1)
                if a0 < 0:  # the page was never allocated (the pool was empty): nothing to do
                    self.pc[c] += 1
                    info = StepInfo(c, ins.text(), "skipped (no page)", True)
                    self.steps.append(info)
                    return info
                a1 = int(ins.direct)
            elif ins.op == Op.ALLOC_FRAG:
                a0 = ins.size
            elif ins.op == Op.NAPI_ENABLE:
                a0 = self.sc.contexts[0].cpu
            elif ins.op == Op.BULK:  # pfn + 1 per 5 bits (harness.c PPH_BULK_BITS), data[] order
                pfns = [self.vars[v] for v in ins.pages if self.vars.get(v, -1) >= 0]
                a0 = sum((pf + 1) << (5 * i) for i, pf in enumerate(pfns))
            elif ins.op == Op.UPDATE_NID:
                a0 = ins.nid
            k.start(c, ins.op, a0, a1)
            self.touched_cache[c] = ins.op in (Op.ALLOC, Op.ALLOC_FRAG)
        ins = self._instr(c)
        assert ins is not None
        finished = k.step(c)
        self.nsteps += 1
        after = k.state()
        changed = before is not None and (after.cache != before.cache)
        if changed:
            self.touched_cache[c] = True
        info = StepInfo(c, ins.text(), "returned" if finished else k.at(c), finished, changed,
                        len(after.cache) - len(before.cache) if before else 0,
                        len(after.ring) - len(before.ring) if before else 0)
        if finished:
            if ins.op in (Op.ALLOC, Op.ALLOC_FRAG, Op.ALLOC_FRAGMENTED) and ins.page:
                self.vars[ins.page] = k.result(c)
            self.segment_calls.append((c, ins.op))
            self.pc[c] += 1
            self.touched_cache[c] = False
        self.steps.append(info)
        self.last = after
        return info

    def drain_worker(self, budget: int = 4) -> None:
        """After every program ended: the release worker runs while work is pending (the
        delayed work fires again and again), up to ``budget`` times."""
        w = next((i for i, c in enumerate(self.sc.contexts) if c.name.startswith("worker")), None)
        if w is None:
            return
        for _ in range(budget):
            if not self.last_work_pending():
                return
            self.k.start(w, Op.WORKER)
            while True:
                before = self.last
                fin = self.k.step(w)
                self.nsteps += 1
                self.last = self.k.state()
                self.steps.append(StepInfo(w, "page_pool_release_retry()",
                                           "returned" if fin else self.k.at(w), fin,
                                           before is not None and before.cache != self.last.cache))
                if fin:
                    break

    def key(self) -> Any:
        """The visited key of the exhaustive search: the concrete state read off the C
        structures, each context's program position, and where each suspended context is
        (its yield address and live stack)."""
        lib = self.k.lib
        return (self.last, tuple(self.pc), tuple(sorted(self.vars.items())),
                tuple(lib.pph_ctx_key(c) for c in range(len(self.sc.contexts))),
                tuple(self.k.blocked(c) for c in range(len(self.sc.contexts))),
                tuple(self.touched_cache))
