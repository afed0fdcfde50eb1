"""The mainline model's shared base: contexts, the per-CPU interleaving rule, kernel helpers."""

from __future__ import annotations

from typing import Any

from ppcheck.models.pagepool import (
    PC,
    After,
    CtxSpec,
    Kind,
    Loc,
    PagePoolInvariants,
    Role,
    Stage,
    bias,
    context_specs,
    referenced,
)
from ppcheck.spec import (
    Expr,
    Model,
    Ref,
    SpecError,
    all_,
    max_,
    require,
    when,
)
from ppcheck.spec.expr import const

from .state import MainlineState

TRUE = const(True)


class MainlineBase(PagePoolInvariants, Model):
    """What every part of the mainline model shares: the contexts of the configuration, the
    interleaving rule of one CPU (:meth:`can_run`), and the kernel helpers that are not
    steps of their own (put_page(), the DMA calls, entering page_pool_unref_netmem()...)."""

    State = MainlineState

    def __init__(self, cfg: Any):
        super().__init__(cfg)
        self.specs: list[CtxSpec] = context_specs(cfg)
        self.bias = bias(cfg)
        self.bits = int(cfg.counter_bits)
        if (1 << (self.bits - 1)) <= int(cfg.pages):
            raise SpecError(f"{cfg.name}: counter_bits={self.bits} is too narrow for "
                            f"{cfg.pages} pages (_distance() needs inflight < 2^(bits-1))")
        for sp in self.specs:
            if not 0 <= sp.cpu < int(cfg.cpus):
                raise SpecError(f"{cfg.name}: context {cfg.contexts[sp.index]!r} names a CPU "
                                f"outside 0..{int(cfg.cpus) - 1}")

    # -- initial state ------------------------------------------------------------------------
    def init(self, s):
        s.pool.cpuid = self.cfg.pool_cpuid
        s.pool.napi_linked = self.cfg.napi_linked
        s.pool.dma_sync = self.cfg.dma_sync
        s.napi.owner = 0  # the first interrupt scheduled the NAPI on CPU 0
        for sp in self.specs:
            c = s.ctxs[sp.index]
            c.cpu = sp.cpu
            c.kind = sp.kind
            c.role = sp.role

    # -- how a trace is drawn (ppcheck show / explain): lanes per context and per page ------------
    def context_lanes(self) -> dict[str, tuple[str, str]]:
        """Each context's trace label (``ctxs[0]``) -> (its CPU, ``CPU0 softirq (NAPI)``)."""
        kinds = {(Kind.SOFTIRQ, Role.NAPI): "softirq (NAPI)", (Kind.SOFTIRQ, Role.USER): "softirq",
                 (Kind.PROCESS, Role.USER): "process", (Kind.PROCESS_BH, Role.USER): "process (BH off)",
                 (Kind.PROCESS, Role.CONTROL): "process (driver control)",
                 (Kind.PROCESS, Role.WORKER): "process (release worker)"}
        out = {f"ctxs[{sp.index}]": (f"CPU{sp.cpu}",
                                     f"CPU{sp.cpu} {kinds.get((sp.kind, sp.role), sp.kind.name)}")
               for sp in sorted(self.specs, key=lambda sp: (sp.cpu, sp.index))}
        out["irq"] = ("IRQ", "device interrupt")
        return out

    def object_lanes(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """The allocator's view: a lane per page with its location and counts."""
        return {"pages": ("page", ("loc", "slot", "refcnt", "pp_ref", "magic", "mapped"))}

    # -- helpers (not actions) ----------------------------------------------------------------
    def spec(self, c: int) -> CtxSpec:
        return self.specs[c]

    def is_role(self, c: int, *roles: Role) -> bool:
        return self.specs[c].role in roles

    def active(self, s, d: int) -> Expr:
        """Context ``d`` is inside a kernel function (or a NAPI poll)."""
        cd = s.ctxs[d]
        return (cd.pc != PC.READY) | cd.in_poll

    def can_run(self, s, c: int) -> Expr:
        """May context ``c`` take a step now?  Models softirq/process exclusion on one CPU.

        Not PREEMPT_RT: a softirq does not run while another softirq of its CPU is active, nor
        over a process context that disabled BH (local_bh_disable, spin_lock_bh held); a process
        context does not run while a softirq of its CPU is active (the softirq interrupted it),
        nor while another process context of its CPU holds a spinlock or disabled BH (both
        disable preemption).  PREEMPT_RT: softirqs run in preemptible threads: no exclusion.
        """
        if self.cfg.preempt_rt:
            return TRUE
        me = self.specs[c]
        conds: list[Expr] = []
        for d in self.specs:
            if d.index == c or d.cpu != me.cpu:
                continue
            if d.kind in (Kind.SOFTIRQ, Kind.PROCESS_BH):
                conds.append(~self.active(s, d.index))
            else:
                conds.append(s.pool.ring_lock != d.index)
        return all_(conds)

    # -- who holds the NAPI (hooks: models/mainline/threaded.py adds the kthread and busy poll) --
    def napi_sched_clear(self, s) -> Expr:
        """NAPI_STATE_SCHED is clear: nobody owns the NAPI (``list_owner`` is -1)."""
        return s.napi.owner == -1

    def napi_sched_set(self, s, cpu: int) -> None:
        """____napi_schedule() on ``cpu``: the poll-list path, ``list_owner = cpu``."""
        s.napi.owner = cpu

    def napi_listed_here(self, s, c: int) -> Expr:
        """net_rx_action() of context ``c``'s CPU polls the NAPI: it is on that CPU's poll list."""
        return s.napi.owner == self.spec(c).cpu

    def napi_poll_done(self, s, c: int, complete: bool) -> None:
        """The driver's poll returns: napi_complete_done() clears NAPI_STATE_SCHED and
        ``list_owner`` (``complete``), or the budget ran out; a NAPI being disabled completes."""
        require(const(complete) | s.napi.enabled)
        if complete:
            s.napi.owner = -1

    def napi_polled_by(self, s, i: int) -> Expr:
        """Context ``i`` is the one the NAPI is scheduled for (its CPU is ``list_owner``)."""
        return s.napi.owner == s.ctxs[i].cpu

    def may_start(self, s, c: int) -> Expr:
        """Context ``c`` may call into the free path (page_pool_put_full_page): it is between
        kernel functions (:mod:`.bulk` adds: not inside page_pool_put_page_bulk())."""
        return s.ctxs[c].pc == PC.READY

    def may_drop(self, s, p: int) -> Expr:
        """A user may drop one of the pp references counted in ``pp_holders`` of page ``p``
        (:mod:`.bulk`: not the one a bulk queue holds)."""
        return s.pages[p].pp_holders > 0

    def lock_holder(self, s, c: int) -> Expr:
        """Context ``c`` holds ``ring.producer_lock`` outside page_pool_recycle_in_ring() and
        page_pool_release() (:mod:`.bulk`: the bulk's one lock hold)."""
        return const(False)

    def touch(self, s) -> None:
        """The step dereferences ``pool``: after __page_pool_destroy() that is a use after free."""
        with when(s.pool.freed):
            s.ghost.pool_uaf = True

    def dma(self, s) -> None:
        """A DMA API call on ``pool->p.dev``: illegal once the driver unbound the device."""
        self.touch(s)
        with when(~s.dev.bound):
            s.ghost.dma_after_unbind = True

    def unmap(self, s, p: int) -> None:
        """__page_pool_unmap_netmem_dma(): claim the mapping (xa_cmpxchg) and unmap it once."""
        pg = s.pages[p]
        with when(pg.mapped):
            self.dma(s)
        pg.mapped = False

    def can_be_recycled(self, s, p: int) -> Expr:
        """__page_pool_page_can_be_recycled(): ``netmem_is_net_iov(netmem) ||
        (page_ref_count(page) == 1 && !page_is_pfmemalloc(page))``.  The net_iov arm is
        :mod:`.provider`'s; a pfmemalloc page (from the memory reserves) is never recycled."""
        pg = s.pages[p]
        return (pg.refcnt == 1) & ~pg.pfmemalloc

    def sync_for_device(self, s, p: int) -> None:
        """page_pool_dma_sync_for_device(): a DMA sync if ``pool->dma_sync`` and the page is
        still mapped (the scrub may have unmapped it)."""
        with when(s.pool.dma_sync & s.pages[p].mapped):
            self.dma(s)

    def ring_produce(self, s, p: int) -> None:
        """__ptr_ring_produce() that found room: the page joins the ring's tail (its FIFO
        position is the count before), under the producer lock the caller holds."""
        pg, pool = s.pages[p], s.pool
        with when(referenced(s, p)):
            s.ghost.recycled_in_use = True
        pg.loc = Loc.RING
        pg.slot = pool.ring_count
        pool.ring_count = pool.ring_count + 1

    def put_page(self, s, p: int) -> None:
        """put_page(): drop a page reference; at 0 the page goes back to the buddy allocator."""
        pg = s.pages[p]
        with when(pg.refcnt == 0):
            s.ghost.double_free = True
        new = max_(pg.refcnt - 1, 0)
        pg.refcnt = new
        with when(new == 0):
            with when(pg.magic):
                s.ghost.pp_page_freed = True
            pg.loc = Loc.BUDDY
            pg.slot = 0
            pg.magic = False
            pg.pp_ref = 0
            pg.mapped = False
            pg.pfmemalloc = False

    def finish(self, ctx) -> None:
        """The context returns from the kernel function (locals cleared)."""
        ctx.pc = PC.READY
        ctx.page = Ref.NONE
        ctx.nr = 0
        ctx.direct = False
        ctx.after = After.NONE
        ctx.cache_idx = 0
        ctx.alloc_frag = False

    def leave_rcu_section(self, ctx) -> None:
        """The context is no longer inside the page_pool call it was in when a grace period of
        page_pool_scrub()'s synchronize_net() began (``rcu_gp``, destroy.py): that grace
        period no longer waits for it, and a later call is a later reader.  Every step that
        takes a context back to ``READY`` calls it (:meth:`finish`, the skb_data_unref()
        steps); a stale mark would make the grace period wait for a call the kernel does
        not wait for."""
        ctx.rcu_gp = False

    def start_unref(self, s, c: int, p: int, nr: Any, after: After, direct: Any = False) -> None:
        """Enter page_pool_unref_netmem(page, nr) holding ``nr`` pp references."""
        ctx = s.ctxs[c]
        ctx.page = p
        ctx.nr = nr
        ctx.after = after
        ctx.direct = direct
        ctx.pc = PC.UNREF_READ

    def return_now(self, s, p: int) -> None:
        """page_pool_return_netmem() as one step, for callers that own the page and the pool
        (the scrub, page_pool_empty_ring(), page_pool_update_nid()): unmap, release_cnt++,
        clear pp info, put_page()."""
        pg = s.pages[p]
        self.touch(s)
        self.unmap(s, p)
        s.pool.release = s.pool.release + 1
        pg.magic = False
        pg.pp_ref = 0
        pg.loc = Loc.USERS
        pg.slot = 0
        self.put_page(s, p)

    def place(self, s, p: int, dest: Loc) -> None:
        """Where page_pool_alloc_pages()'s page goes: posted to the RX ring, or made the frag
        page by page_pool_alloc_frag() (pp_ref_count = BIAS_MAX, frag_users = 1, one frag out)."""
        pg = s.pages[p]
        pg.slot = 0
        if dest == Loc.RX:
            pg.loc = Loc.RX
        else:
            pg.loc = Loc.FRAG
            s.pool.frag_page = p
            pg.pp_ref = self.bias
            s.pool.frag_users = 1
            s.pool.frag_offset = 1
            pg.pp_holders = pg.pp_holders + 1

    def place_alloc(self, s, c: int, p: int) -> None:
        """:meth:`place` to where context ``c``'s allocation in progress goes (its
        ``alloc_frag``, set when the allocation started)."""
        if self.cfg.frag:
            with when(s.ctxs[c].alloc_frag):
                self.place(s, p, Loc.FRAG)
            with when(~s.ctxs[c].alloc_frag):
                self.place(s, p, Loc.RX)
        else:
            self.place(s, p, Loc.RX)

    def in_napi_poll(self, s, c: int) -> None:
        """Context ``c`` is the NAPI's softirq, inside its poll, between kernel functions, and may
        run now: the guard of every step the driver's poll takes (allocation, RX processing,
        building skbs, completing the poll)."""
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require(ctx.in_poll & (ctx.pc == PC.READY) & self.can_run(s, c))

    def alloc_ok(self, s, c: int, dest: Loc) -> None:
        """Guards shared by the allocation paths: the NAPI poll of context ``c`` allocates."""
        self.in_napi_poll(s, c)
        if dest == Loc.FRAG:
            require(s.pool.frag_page == Ref.NONE)
        require(s.pool.user_cnt > 0)  # a re-enabled NAPI allocates from its new pool
        self.touch(s)

    def skb_ok(self) -> None:
        require(const(int(self.cfg.skbs) > 0))


    def ctl_ok(self, s, c: int, stage: Stage, *roles: Role) -> None:
        ctx = s.ctxs[c]
        require(const(bool(self.cfg.destroy) and self.is_role(c, *(roles or (Role.CONTROL,)))))
        require((ctx.pc == PC.READY) & (ctx.stage == stage) & self.can_run(s, c))
