"""The mainline page_pool: allocation, recycling, the skb path, NAPI and destroy.

Follows torvalds/linux ``net/core/page_pool.c`` @ 039f248a6cc1 (post-v6.15),
``include/net/page_pool/helpers.h`` @ 07cf71bf25cd and ``net/core/skbuff.c`` @ e40bffaeaed9
(see :mod:`ppcheck.spec.pagepool` for the state).  Every action is named after the kernel
function (or the step of one) it models; multi-step functions carry a program counter in their
context (:class:`~ppcheck.spec.pagepool.PC`, :class:`~ppcheck.spec.pagepool.Stage`).

Contexts interleave as the kernel lets them (:meth:`Mainline.can_run`): on one CPU a softirq
runs to completion over a process context (unless that process disabled BH or holds a lock
taken with spin_lock_bh), two softirqs of one CPU never interleave, and contexts on different
CPUs interleave freely.  With ``preempt_rt`` every context is preemptible.

Check with ``ppcheck check mainline``; docs/mainline.md lists every action and property.
"""

from __future__ import annotations

from typing import Any

from ppcheck.spec import (
    Expr,
    Model,
    Ref,
    SpecError,
    action,
    all_,
    always,
    any_,
    count,
    implies,
    ite,
    leads_to,
    lemma,
    max_,
    min_,
    require,
    sometimes,
    sum_,
    when,
)
from ppcheck.spec.expr import const
from ppcheck.spec.pagepool import (
    PC,
    After,
    AllocStat,
    CtxSpec,
    Kind,
    Loc,
    PagePoolInvariants,
    PagePoolState,
    Role,
    Stage,
    bias,
    context_specs,
    destroy_started,
    in_softirq,
    in_unref,
    inflight,
    referenced,
    skb_pp_refs,
    skb_refs,
)

TRUE = const(True)

#: parameters every configuration sets (documented in docs/mainline.md)
BASE: dict[str, Any] = {
    "pages": 2,
    "cache_size": 1,  # PP_ALLOC_CACHE_SIZE (128 upstream)
    "ring_size": 1,  # ptr_ring size (pool_size, 1024 by default)
    "refill": 1,  # PP_ALLOC_CACHE_REFILL (64 upstream)
    "cpus": 2,
    "counter_bits": 3,  # width of pages_state_{hold,release}_cnt (32 upstream)
    "contexts": ("softirq@0", "softirq@1", "control@1", "worker@0"),
    "frag": False,  # page_pool_alloc_frag() in the NAPI poll
    "frags_per_page": 1,
    "skbs": 0,  # skb/shinfo slots: 0 turns the skb path off
    "max_page_refs": 0,  # get_page() references a stack user may hold on one page
    "destroy": True,  # the control path (napi_disable, page_pool_destroy, unbind) runs
    "preempt_rt": False,  # CONFIG_PREEMPT_RT
    "dma_sync": True,  # PP_FLAG_DMA_SYNC_DEV
    "napi_linked": True,  # page_pool_params.napi set (seed 004)
    "pool_cpuid": -1,  # page_pool_create_percpu() cpuid
    "reconfig": False,  # after destroy the driver re-enables the NAPI for a new pool
    "liveness": False,  # check the progress property (a graph search after the BFS)
}


def _cfg(**kw: Any) -> dict[str, Any]:
    d = dict(BASE)
    d.update(kw)
    return d


def _dest(cfg: Any) -> list[Loc]:
    """Where a page allocated in the NAPI poll goes: the RX ring, or the frag allocator."""
    return [Loc.RX, Loc.FRAG] if cfg.frag else [Loc.RX]


class Mainline(PagePoolInvariants, Model):
    """Today's page_pool (v6.15+): unified pp_ref_count, NAPI-local direct recycling with the
    PREEMPT_RT and in_softirq() checks, the producer-lock barrier in page_pool_release(), and
    DMA-mapping tracking so page_pool_scrub() unmaps pages still in flight."""

    name = "mainline"
    State = PagePoolState
    default = True
    configs = {
        # the free path, NAPI migration, destroy with pages in flight, stack page references
        "base": _cfg(max_page_refs=1, reconfig=True),
        "default": _cfg(max_page_refs=1, reconfig=True),  # = base (the name tools default to)
        # the skb path: napi_build_skb, skb_clone, pskb_expand_head, skb_try_coalesce, kfree_skb
        "skb": _cfg(skbs=2, pages=1, counter_bits=2,
                    contexts=("softirq@0", "user@1", "control@1", "worker@0")),
        # page_pool_alloc_frag()/page_pool_drain_frag() racing frag users, free_frag at destroy
        "frag": _cfg(frag=True, frags_per_page=2, counter_bits=2, pages=1, max_page_refs=1, liveness=True,
                     contexts=("softirq@0", "user@1", "control@1", "worker@0")),
        # process contexts next to the NAPI (BH enabled and disabled)
        "process": _cfg(max_page_refs=1,
                        contexts=("softirq@0", "process@0", "process_bh@1", "control@1", "worker@0")),
        # PREEMPT_RT: a second softirq of the NAPI's CPU may preempt the poll; napi_local says no
        "rt": _cfg(max_page_refs=1, preempt_rt=True,
                   contexts=("softirq@0", "user@0", "control@1", "worker@0")),
        # a larger skb scope (not in the default set)
        "skb2": _cfg(skbs=2, pages=2, contexts=("softirq@0", "user@1", "control@1", "worker@0")),
        # benchmarks: 4 pages and 3 concurrent contexts (the NAPI softirq of CPU 0, a softirq
        # of CPU 1 and another of CPU 0 freeing pages); 4.4M states, 230k with symmetry
        "bench": _cfg(pages=4, counter_bits=4, destroy=False,
                      contexts=("softirq@0", "user@1", "user@0")),
        # larger: two cache and ring slots, refill by two, stack page references
        "bench_large": _cfg(pages=4, cache_size=2, ring_size=2, refill=2, counter_bits=4,
                            max_page_refs=1, destroy=False,
                            contexts=("softirq@0", "user@1", "user@1")),
    }
    configs["big"] = configs["bench"]  # the name benchmarks/explorer_bench.py uses
    default_configs = ("base", "frag", "skb", "process", "rt")

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

    def finish(self, ctx) -> None:
        """The context returns from the kernel function (locals cleared)."""
        ctx.pc = PC.READY
        ctx.page = Ref.NONE
        ctx.nr = 0
        ctx.direct = False
        ctx.after = After.NONE

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

    def alloc_ok(self, s, c: int, dest: Loc) -> None:
        """Guards shared by the allocation paths: the NAPI poll of context ``c`` allocates."""
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require(ctx.in_poll & (ctx.pc == PC.READY) & self.can_run(s, c))
        if dest == Loc.FRAG:
            require(s.pool.frag_page == Ref.NONE)
        require(s.pool.user_cnt > 0)  # a re-enabled NAPI allocates from its new pool
        self.touch(s)

    # -- allocation (NAPI poll) ---------------------------------------------------------------
    @action(c="ctxs", p="pages", dest=_dest, who="c")
    def page_pool_alloc_fast(self, s, c, p, dest):
        """__page_pool_get_cached() fast path: pop ``alloc.cache[--alloc.count]`` (no lock: the
        NAPI poll is the only consumer).  ``dest`` says who asked: the driver refilling its RX
        ring (page_pool_dev_alloc_pages) or page_pool_alloc_frag() needing a new frag page."""
        self.alloc_ok(s, c, dest)
        pg = s.pages[p]
        require((pg.loc == Loc.CACHE) & (pg.slot == s.pool.alloc_count - 1))
        s.pool.alloc_count = s.pool.alloc_count - 1
        s.pool.alloc_stat = AllocStat.FAST
        self.place(s, p, dest)

    @action(c="ctxs", p="pages", dest=_dest, who="c")
    def page_pool_refill_alloc_cache(self, s, c, p, dest):
        """page_pool_refill_alloc_cache(): the cache is empty; __ptr_ring_consume() up to
        PP_ALLOC_CACHE_REFILL pages from the ring head into the cache, then return the last one
        (the NUMA-mismatch release is left out).  The consumer side of the ptr_ring takes no lock
        here: only producers serialise on producer_lock."""
        self.alloc_ok(s, c, dest)
        pool = s.pool
        k = min_(self.cfg.refill, pool.ring_count)
        require((pool.alloc_count == 0) & (pool.ring_count > 0))
        pg = s.pages[p]
        require((pg.loc == Loc.RING) & (pg.slot == k - 1))
        for q in s.pages:
            moved = (q.loc == Loc.RING) & (q.slot < k)
            stays = (q.loc == Loc.RING) & (q.slot >= k)
            with when(moved):
                q.loc = Loc.CACHE
            with when(stays):
                q.slot = q.slot - k
        pool.ring_count = pool.ring_count - k
        pool.alloc_count = k - 1
        pool.alloc_stat = AllocStat.REFILL
        self.place(s, p, dest)

    @action(c="ctxs", p="pages", dest=_dest, who="c")
    def page_pool_alloc_slow(self, s, c, p, dest):
        """__page_pool_alloc_netmems_slow(): cache and ring are empty; the buddy allocator gives a
        page (one page of the bulk), page_pool_dma_map() maps it and syncs it for the device,
        page_pool_set_pp_info() sets pp/pp_magic and pp_ref_count = 1, and
        ``pages_state_hold_cnt++`` counts it in flight."""
        self.alloc_ok(s, c, dest)
        pool = s.pool
        pg = s.pages[p]
        require((pool.alloc_count == 0) & (pool.ring_count == 0) & (pg.loc == Loc.BUDDY))
        self.dma(s)
        pg.mapped = True
        pg.refcnt = 1
        pg.magic = True
        pg.pp_ref = 1
        pool.hold = pool.hold + 1
        pool.alloc_stat = AllocStat.SLOW
        self.place(s, p, dest)

    @action(c="ctxs", who="c")
    def page_pool_alloc_fail(self, s, c):
        """__page_pool_alloc_netmems_slow() when alloc_pages_bulk_node() returns nothing (GFP_ATOMIC
        can fail at any time): page_pool_alloc_pages() returns NULL; the RX ring stays short."""
        self.alloc_ok(s, c, Loc.RX)
        require((s.pool.alloc_count == 0) & (s.pool.ring_count == 0))
        s.pool.alloc_stat = AllocStat.EMPTY

    # -- page_pool_alloc_frag -----------------------------------------------------------------
    @action(c="ctxs", who="c")
    def page_pool_alloc_frag(self, s, c):
        """page_pool_alloc_frag_netmem() on the current frag page with room left:
        ``frag_users++``, advance ``frag_offset``; the new frag is handed to a user (a pp
        reference, counted in the BIAS_MAX set when the page became the frag page)."""
        require(const(bool(self.cfg.frag)))
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require(ctx.in_poll & (ctx.pc == PC.READY) & self.can_run(s, c))
        pool = s.pool
        require((pool.frag_page != Ref.NONE) & (pool.frag_offset < self.cfg.frags_per_page))
        self.touch(s)
        pool.frag_users = pool.frag_users + 1
        pool.frag_offset = pool.frag_offset + 1
        for i, pg in enumerate(s.pages):
            with when(pool.frag_page == i):
                pg.pp_holders = pg.pp_holders + 1

    @action(c="ctxs", p="pages", who="c")
    def page_pool_drain_frag(self, s, c, p):
        """page_pool_alloc_frag_netmem() finds the frag page full and calls
        page_pool_drain_frag(): page_pool_unref_netmem(page, BIAS_MAX - frag_users) drops the
        unused bias.  If that was the last reference the page is reused (or returned if
        page_ref_count() != 1); otherwise the frag users keep it and ``frag_page`` is dropped."""
        require(const(bool(self.cfg.frag)))
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require(ctx.in_poll & (ctx.pc == PC.READY) & self.can_run(s, c))
        pool = s.pool
        require((pool.frag_page == p) & (pool.frag_offset == self.cfg.frags_per_page))
        self.touch(s)
        self.start_unref(s, c, p, self.bias - pool.frag_users, After.DRAIN)

    # -- the NAPI poll's RX processing --------------------------------------------------------
    @action(c="ctxs", p="pages", who="c")
    def napi_xdp_drop(self, s, c, p):
        """The driver's poll receives a packet into an RX page and XDP returns XDP_DROP:
        page_pool_recycle_direct() = page_pool_put_full_page(pool, page, allow_direct=true)."""
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require(ctx.in_poll & (ctx.pc == PC.READY) & self.can_run(s, c))
        pg = s.pages[p]
        require(pg.loc == Loc.RX)
        pg.loc = Loc.USERS
        self.start_unref(s, c, p, 1, After.PUT, direct=True)

    @action(c="ctxs", p="pages", who="c")
    def napi_rx_pass(self, s, c, p):
        """The poll passes an RX page up (an xdp_frame redirected to another CPU, or a frag of a
        GRO'd skb marked for recycling): the page's pp reference now belongs to that user."""
        require(const(self.cfg.skbs == 0))
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require(ctx.in_poll & (ctx.pc == PC.READY) & self.can_run(s, c))
        pg = s.pages[p]
        require(pg.loc == Loc.RX)
        pg.loc = Loc.USERS
        pg.pp_holders = pg.pp_holders + 1

    # -- NAPI scheduling ----------------------------------------------------------------------
    @action(cpu="cpus", who="irq")
    def napi_schedule(self, s, cpu):
        """napi_schedule() from the device interrupt on ``cpu``: NAPI_STATE_SCHED is set and
        ``list_owner = cpu`` (the NAPI moves between CPUs from one poll to the next)."""
        require(s.napi.enabled & (s.napi.owner == -1))
        s.napi.owner = cpu

    @action(c="ctxs", who="c")
    def napi_poll_begin(self, s, c):
        """net_rx_action() on the NAPI's CPU calls the driver's poll (__napi_poll)."""
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require((ctx.pc == PC.READY) & ~ctx.in_poll & self.can_run(s, c))
        require(s.napi.owner == self.spec(c).cpu)
        ctx.in_poll = True

    @action(c="ctxs", complete=bool, who="c")
    def napi_poll_end(self, s, c, complete):
        """The poll returns: napi_complete_done() clears NAPI_STATE_SCHED and ``list_owner``
        (``complete``), or the budget ran out and the NAPI stays scheduled here.  A NAPI being
        disabled always completes."""
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require(ctx.in_poll & (ctx.pc == PC.READY) & self.can_run(s, c))
        require(const(complete) | s.napi.enabled)
        ctx.in_poll = False
        s.pool.alloc_stat = AllocStat.NONE
        if complete:
            s.napi.owner = -1

    # -- the free path ------------------------------------------------------------------------
    @action(c="ctxs", p="pages", who="c")
    def page_pool_put_full_page(self, s, c, p):
        """A user drops its pp reference (xdp_return_frame, a frag user, page_pool_put_full_page
        with allow_direct=false): enter page_pool_put_netmem() -> page_pool_unref_and_test()."""
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI, Role.USER)))
        require((ctx.pc == PC.READY) & self.can_run(s, c))
        pg = s.pages[p]
        require(pg.pp_holders > 0)
        pg.pp_holders = pg.pp_holders - 1
        self.start_unref(s, c, p, 1, After.PUT)

    @action(c="ctxs", p="pages", who="c")
    def page_pool_unref_read(self, s, c, p):
        """page_pool_unref_netmem() step 1: ``atomic_long_read(pp_ref_count) == nr``: the caller
        holds every remaining reference; return 0 *without writing* (nr != 1, the drain case,
        resets the count to 1)."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.UNREF_READ) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        last = pg.pp_ref == ctx.nr
        with when(last):
            pg.pp_ref = 1
            self.unref_last(s, c, p)
        with when(~last):
            ctx.pc = PC.UNREF_SUB

    @action(c="ctxs", p="pages", who="c")
    def page_pool_unref_sub(self, s, c, p):
        """page_pool_unref_netmem() step 2: ``ret = atomic_long_sub_return(nr, pp_ref_count)``;
        WARN_ON(ret < 0); the caller that sees 0 is the last user and resets the count to 1."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.UNREF_SUB) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        ret = pg.pp_ref - ctx.nr
        with when(ret < 0):
            s.ghost.pp_ref_negative = True
        pg.pp_ref = ite(ret == 0, 1, max_(ret, 0))
        with when(ret == 0):
            self.unref_last(s, c, p)
        with when(ret != 0):
            self.unref_not_last(s, c, p)

    def unref_last(self, s, c: int, p: int) -> None:
        """page_pool_unref_netmem() returned 0: the caller owns the page; continue per caller."""
        ctx = s.ctxs[c]
        pg = s.pages[p]
        after = ctx.after
        pg.loc = Loc.CTX
        with when(after == After.PUT):  # page_pool_put_unrefed_netmem()
            ctx.pc = PC.NAPI_LOCAL
        with when(after == After.FREE_FRAG):  # page_pool_free_frag(): return the page
            ctx.pc = PC.RETURN
        with when(after == After.DRAIN):  # page_pool_drain_frag()
            self.touch(s)
            ok = pg.refcnt == 1
            with when(ok):  # reuse it as the new frag page: frag_reset
                with when(s.pool.dma_sync & pg.mapped):
                    self.dma(s)
                pg.loc = Loc.FRAG
                pg.pp_ref = self.bias
                s.pool.frag_users = 1
                s.pool.frag_offset = 1
                pg.pp_holders = pg.pp_holders + 1
                self.finish(ctx)
            with when(~ok):
                s.pool.frag_page = Ref.NONE
                ctx.pc = PC.RETURN

    def unref_not_last(self, s, c: int, p: int) -> None:
        """page_pool_unref_netmem() returned non-zero: other users keep the page."""
        ctx = s.ctxs[c]
        with when(ctx.after == After.DRAIN):
            s.pool.frag_page = Ref.NONE
            s.pages[p].loc = Loc.USERS
        self.finish(ctx)

    @action(c="ctxs", who="c")
    def page_pool_napi_local(self, s, c):
        """page_pool_put_unrefed_netmem(): unless the caller allowed direct recycling,
        page_pool_napi_local() decides: false on PREEMPT_RT and outside softirq; true if
        ``pool->cpuid`` is this CPU or the linked NAPI's ``list_owner`` is this CPU."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.NAPI_LOCAL) & self.can_run(s, c))
        ctx.direct = ctx.direct | self.napi_local(s, c)
        ctx.pc = PC.PUT_PAGE

    def napi_local(self, s, c: int) -> Expr:
        """page_pool_napi_local() (net/core/page_pool.c), reading ``pool->cpuid``, ``pool->p.napi``
        and ``napi->list_owner``."""
        me = self.spec(c)
        if self.cfg.preempt_rt or not in_softirq(me.kind):
            return const(False)
        self.touch(s)
        return (s.pool.cpuid == me.cpu) | (s.pool.napi_linked & (s.napi.owner == me.cpu))

    @action(c="ctxs", p="pages", who="c")
    def page_pool_put_page(self, s, c, p):
        """__page_pool_put_page(): if page_ref_count() == 1 the pool owns the page: sync it for the
        device (when dma_sync, under rcu_read_lock), then recycle it into the cache if
        allow_direct, else into the ring.  Otherwise someone holds a page reference: release the
        page from the pool (recycle_stats.released_refcnt)."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.PUT_PAGE) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        self.touch(s)
        ok = pg.refcnt == 1
        with when(ok):
            with when(s.pool.dma_sync & pg.mapped):
                self.dma(s)
            ctx.pc = ite(ctx.direct, int(PC.CACHE_PUSH), int(PC.RING_LOCK))
        with when(~ok):
            ctx.pc = PC.RETURN

    @action(c="ctxs", p="pages", who="c")
    def page_pool_recycle_in_cache(self, s, c, p):
        """page_pool_recycle_in_cache(): if ``alloc.count == PP_ALLOC_CACHE_SIZE`` fail (the caller
        falls back to the ring), else ``alloc.cache[alloc.count++] = page``."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.CACHE_PUSH) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        pool = s.pool
        self.touch(s)
        full = pool.alloc_count == self.cfg.cache_size
        with when(full):
            ctx.pc = PC.RING_LOCK
        with when(~full):
            with when(destroy_started(s)):
                s.ghost.cache_after_destroy = True
            with when(referenced(s, p)):
                s.ghost.recycled_in_use = True
            pg.loc = Loc.CACHE
            pg.slot = pool.alloc_count
            pool.alloc_count = pool.alloc_count + 1
            self.finish(ctx)

    @action(c="ctxs", who="c")
    def page_pool_producer_lock(self, s, c):
        """page_pool_recycle_in_ring(): page_pool_producer_lock(): spin_lock(producer_lock) in
        softirq, spin_lock_bh() otherwise."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RING_LOCK) & self.can_run(s, c) & (s.pool.ring_lock == Ref.NONE))
        self.touch(s)
        s.pool.ring_lock = c
        ctx.pc = PC.RING_PRODUCE

    @action(c="ctxs", p="pages", who="c")
    def ptr_ring_produce(self, s, c, p):
        """page_pool_recycle_in_ring(): __ptr_ring_produce() under the producer lock: the page
        joins the FIFO tail, or the ring is full."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RING_PRODUCE) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        pool = s.pool
        self.touch(s)
        full = pool.ring_count == self.cfg.ring_size
        with when(full):
            ctx.pc = PC.RING_UNLOCK_FULL
        with when(~full):
            with when(referenced(s, p)):
                s.ghost.recycled_in_use = True
            pg.loc = Loc.RING
            pg.slot = pool.ring_count
            pool.ring_count = pool.ring_count + 1
            ctx.page = Ref.NONE
            ctx.pc = PC.RING_UNLOCK

    @action(c="ctxs", who="c")
    def page_pool_producer_unlock(self, s, c):
        """page_pool_recycle_in_ring(): page_pool_producer_unlock().  If the produce failed,
        page_pool_put_unrefed_netmem() then returns the page (recycle_stats.ring_full)."""
        ctx = s.ctxs[c]
        require(((ctx.pc == PC.RING_UNLOCK) | (ctx.pc == PC.RING_UNLOCK_FULL)) & self.can_run(s, c))
        self.touch(s)
        s.pool.ring_lock = Ref.NONE
        full = ctx.pc == PC.RING_UNLOCK_FULL
        with when(full):
            ctx.pc = PC.RETURN
        with when(~full):
            self.finish(ctx)

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_page(self, s, c, p):
        """page_pool_return_netmem() up to the release count: DMA unmap (if still mapped:
        the scrub may have unmapped it), ``atomic_inc_return(pages_state_release_cnt)``,
        page_pool_clear_pp_info().  After the increment the pool may be freed."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        self.touch(s)
        self.unmap(s, p)
        s.pool.release = s.pool.release + 1
        pg.magic = False
        pg.pp_ref = 0
        ctx.pc = PC.RETURN_PUT

    @action(c="ctxs", p="pages", who="c")
    def page_pool_return_put(self, s, c, p):
        """page_pool_return_netmem(): put_page() drops the pool's page reference; the page goes
        to the buddy allocator or lives on as an ordinary page held by its page references.
        The pool is not touched."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.RETURN_PUT) & (ctx.page == p) & self.can_run(s, c))
        pg = s.pages[p]
        pg.loc = Loc.USERS
        self.put_page(s, p)
        self.finish(ctx)

    # -- the skb path -------------------------------------------------------------------------
    def skb_ok(self) -> None:
        require(const(int(self.cfg.skbs) > 0))

    @action(c="ctxs", p="pages", k="skbs", j="shinfos", who="c")
    def napi_build_skb(self, s, c, p, k, j):
        """The poll builds an skb for a received RX page: the page holds the payload as the skb's
        page frag (napi_alloc_skb() + skb_add_rx_frag(), or napi_build_skb() with the payload in
        a frag; the small head is slab memory and not modelled) and skb_mark_for_recycle() sets
        ``pp_recycle``.  The page's pp reference moves to the shared info (``dataref = 1``)."""
        self.skb_ok()
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require(ctx.in_poll & (ctx.pc == PC.READY) & self.can_run(s, c))
        pg, skb, sh = s.pages[p], s.skbs[k], s.shinfos[j]
        require((pg.loc == Loc.RX) & ~skb.live & (sh.dataref == 0) & (sh.page == Ref.NONE)
                & (sh.page2 == Ref.NONE) & all_(c2.sh != j for c2 in s.ctxs))
        pg.loc = Loc.USERS
        skb.live = True
        skb.sh = j
        skb.pp_recycle = True
        skb.cloned = False
        sh.dataref = 1
        sh.page = p
        sh.pp_kind = True

    @action(k="skbs", m="skbs", j="shinfos", who="stack")
    def skb_clone(self, s, k, m, j):
        """skb_clone(): the clone ``m`` shares ``k``'s data (``dataref++``), copies
        ``pp_recycle``, and both are marked ``cloned``."""
        self.skb_ok()
        require(const(k != m))
        a, b, sh = s.skbs[k], s.skbs[m], s.shinfos[j]
        require(a.live & ~b.live & (a.sh == j))
        b.live = True
        b.sh = j
        b.pp_recycle = a.pp_recycle
        a.cloned = True
        b.cloned = True
        sh.dataref = sh.dataref + 1

    @action(k="skbs", j="shinfos", n="shinfos", who="stack")
    def pskb_expand_head(self, s, k, j, n):
        """pskb_expand_head() on a cloned skb (skb_cloned(): ``cloned`` and ``dataref != 1``):
        the new shared info takes a *page* reference on every frag (skb_frag_ref -> get_page),
        then skb_release_data() drops the old data without being its last user, which clears
        ``pp_recycle`` (commit 2cc3aeb5eccc): the expanded skb's frags are page references."""
        self.skb_ok()
        require(const(j != n))
        skb, old, new = s.skbs[k], s.shinfos[j], s.shinfos[n]
        require(skb.live & skb.cloned & (skb.sh == j) & (old.dataref > 1) & (new.dataref == 0)
                & (new.page == Ref.NONE) & (new.page2 == Ref.NONE)
                & all_(c2.sh != n for c2 in s.ctxs))
        for i, pg in enumerate(s.pages):
            refs = ite(old.page == i, 1, 0) + ite(old.page2 == i, 1, 0)
            pg.refcnt = pg.refcnt + refs
        new.dataref = 1
        new.page = old.page
        new.pp_kind = False
        new.page2 = old.page2
        new.pp_kind2 = False
        old.dataref = old.dataref - 1
        skb.sh = n
        skb.cloned = False
        skb.pp_recycle = False

    @action(k="skbs", m="skbs", j="shinfos", n="shinfos", who="stack")
    def skb_try_coalesce(self, s, k, m, j, n):
        """skb_try_coalesce(to=k, from=m): refuses when ``to->pp_recycle != from->pp_recycle``;
        otherwise ``from``'s frag joins ``to``.  If ``from`` is cloned its frag gets a new
        reference, a pp one when ``from->pp_recycle`` and the page is a pp page
        (skb_pp_frag_ref), else a page one; if not, the reference itself moves."""
        self.skb_ok()
        require(const(k != m and j != n))
        to, frm, sht, shf = s.skbs[k], s.skbs[m], s.shinfos[j], s.shinfos[n]
        require(to.live & frm.live & (to.sh == j) & (frm.sh == n))
        require(to.pp_recycle == frm.pp_recycle)
        require((sht.page2 == Ref.NONE) & (shf.page != Ref.NONE) & (shf.page2 == Ref.NONE))
        require(~to.cloned | (sht.dataref == 1))  # skb_cloned(to): the caller unclones first
        shared = frm.cloned & (shf.dataref > 1)
        for i, pg in enumerate(s.pages):
            mine = shf.page == i
            pp_ref = frm.pp_recycle & pg.magic
            with when(mine & shared & pp_ref):
                pg.pp_ref = pg.pp_ref + 1
            with when(mine & shared & ~pp_ref):
                pg.refcnt = pg.refcnt + 1
            with when(mine):
                sht.pp_kind2 = ite(shared, pp_ref, shf.pp_kind)
        sht.page2 = shf.page
        with when(~shared):
            shf.page = Ref.NONE
            shf.pp_kind = False

    @action(c="ctxs", k="skbs", j="shinfos", who="c")
    def kfree_skb(self, s, c, k, j):
        """kfree_skb()/consume_skb() -> skb_release_data(): skb_data_unref() (a cloned skb that
        is not the last ``dataref`` holder only drops its dataref), otherwise release every frag
        with ``skb->pp_recycle`` deciding the path (skb_page_unref)."""
        self.skb_ok()
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI, Role.USER)))
        require((ctx.pc == PC.READY) & (ctx.sh == Ref.NONE) & self.can_run(s, c))
        skb, sh = s.skbs[k], s.shinfos[j]
        require(skb.live & (skb.sh == j))
        last = ~skb.cloned | (sh.dataref == 1)
        recycle = skb.pp_recycle
        skb.live = False
        skb.sh = Ref.NONE
        skb.cloned = False
        skb.pp_recycle = False
        with when(~last):
            sh.dataref = sh.dataref - 1
        with when(last):
            ctx.sh = j
            ctx.recycle = recycle

    @action(c="ctxs", j="shinfos", p="pages", second=bool, who="c")
    def skb_page_unref(self, s, c, j, p, second):
        """skb_release_data() releases one frag: skb_page_unref(netmem, pp_recycle):
        napi_pp_put_page() (the pp path, if the page carries pp_magic) or put_page()."""
        self.skb_ok()
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & (ctx.sh == j) & self.can_run(s, c))
        sh, pg = s.shinfos[j], s.pages[p]
        slot_page = sh.page2 if second else sh.page
        kind = sh.pp_kind2 if second else sh.pp_kind
        require(slot_page == p)
        if second:
            require(sh.page == Ref.NONE)
            sh.page2 = Ref.NONE
            sh.pp_kind2 = False
        else:
            sh.page = Ref.NONE
            sh.pp_kind = False
        pp_path = ctx.recycle & pg.magic
        with when(pp_path != kind):
            s.ghost.kind_mismatch = True
        with when(pp_path):
            self.start_unref(s, c, p, 1, After.PUT)
        with when(~pp_path):
            self.put_page(s, p)

    @action(c="ctxs", j="shinfos", who="c")
    def skb_free_head(self, s, c, j):
        """skb_release_data() has released every frag: the shared info is free
        (``pp_recycle`` is cleared on the way out)."""
        self.skb_ok()
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & (ctx.sh == j) & self.can_run(s, c))
        sh = s.shinfos[j]
        require((sh.page == Ref.NONE) & (sh.page2 == Ref.NONE))
        sh.dataref = 0
        ctx.sh = Ref.NONE
        ctx.recycle = False

    # -- stack users holding page references --------------------------------------------------
    @action(p="pages", who="stack")
    def get_page(self, s, p):
        """A stack user that already references the page takes a page reference (get_page(),
        e.g. __skb_frag_ref() for a zero-copy or splice user)."""
        pg = s.pages[p]
        require(pg.page_holders < self.cfg.max_page_refs)
        require((pg.pp_holders > 0) | (pg.page_holders > 0) | (skb_refs(s, p) > 0))
        pg.refcnt = pg.refcnt + 1
        pg.page_holders = pg.page_holders + 1

    @action(p="pages", who="stack")
    def stack_put_page(self, s, p):
        """The stack user drops its page reference with put_page()."""
        pg = s.pages[p]
        require(pg.page_holders > 0)
        pg.page_holders = pg.page_holders - 1
        self.put_page(s, p)

    # -- the control path: napi_disable, RX cleanup, page_pool_destroy, unbind ----------------
    def ctl_ok(self, s, c: int, stage: Stage, *roles: Role) -> None:
        ctx = s.ctxs[c]
        require(const(bool(self.cfg.destroy) and self.is_role(c, *(roles or (Role.CONTROL,)))))
        require((ctx.pc == PC.READY) & (ctx.stage == stage) & self.can_run(s, c))

    @action(c="ctxs", who="c")
    def napi_disable(self, s, c):
        """napi_disable(): set NAPIF_STATE_DISABLE so the NAPI is not scheduled again."""
        self.ctl_ok(s, c, Stage.IDLE)
        s.napi.enabled = False
        s.ctxs[c].stage = Stage.NAPI_DISABLE

    @action(c="ctxs", who="c")
    def napi_disable_wait(self, s, c):
        """napi_disable(): wait until a pending poll finished and NAPI_STATE_SCHED is clear."""
        self.ctl_ok(s, c, Stage.NAPI_DISABLE)
        require(s.napi.owner == -1)
        s.ctxs[c].stage = Stage.RX_CLEAN

    @action(c="ctxs", p="pages", who="c")
    def driver_rx_ring_free(self, s, c, p):
        """The driver frees a page still posted to its RX ring: page_pool_put_full_page(pool,
        page, allow_direct=true) is allowed because the NAPI is disabled (the consumer is us)."""
        self.ctl_ok(s, c, Stage.RX_CLEAN)
        pg = s.pages[p]
        require(pg.loc == Loc.RX)
        pg.loc = Loc.USERS
        self.start_unref(s, c, p, 1, After.PUT, direct=True)

    @action(c="ctxs", who="c")
    def driver_rx_ring_done(self, s, c):
        """The RX ring is empty: the driver goes on to page_pool_destroy()."""
        self.ctl_ok(s, c, Stage.RX_CLEAN)
        require(all_(p.loc != Loc.RX for p in s.pages))
        s.ctxs[c].stage = Stage.DESTROY

    @action(c="ctxs", who="c")
    def page_pool_destroy(self, s, c):
        """page_pool_destroy(): page_pool_put() drops user_cnt to 0, then
        page_pool_disable_direct_recycling(): ``cpuid = -1`` and ``p.napi = NULL``."""
        self.ctl_ok(s, c, Stage.DESTROY)
        self.touch(s)
        s.pool.user_cnt = 0
        s.pool.cpuid = -1
        s.pool.napi_linked = False
        s.ctxs[c].stage = Stage.FREE_FRAG

    @action(c="ctxs", p=lambda cfg: range(-1, int(cfg.pages)), who="c")
    def page_pool_free_frag(self, s, c, p):
        """page_pool_free_frag(): take ``frag_page`` (``frag_page = 0``) and drop its unused bias
        with page_pool_unref_netmem(page, BIAS_MAX - frag_users); the last user returns it."""
        self.ctl_ok(s, c, Stage.FREE_FRAG)
        pool = s.pool
        require(pool.frag_page == p)
        self.touch(s)
        s.ctxs[c].stage = Stage.SCRUB_CACHE
        if p >= 0:
            pool.frag_page = Ref.NONE
            s.pages[p].loc = Loc.USERS
            self.start_unref(s, c, p, self.bias - pool.frag_users, After.FREE_FRAG)

    # page_pool_release(), run by page_pool_destroy() (control) and the release worker
    @action(c="ctxs", p="pages", who="c")
    def page_pool_empty_alloc_cache_once(self, s, c, p):
        """page_pool_scrub() -> page_pool_empty_alloc_cache_once(): on the first release only
        (destroy_cnt == 0), return every page of alloc.cache (the NAPI can no longer run)."""
        self.ctl_ok(s, c, Stage.SCRUB_CACHE, Role.CONTROL, Role.WORKER)
        pool = s.pool
        pg = s.pages[p]
        require((pool.destroy_cnt == 0) & (pool.alloc_count > 0))
        require((pg.loc == Loc.CACHE) & (pg.slot == pool.alloc_count - 1))
        pool.alloc_count = pool.alloc_count - 1
        self.return_now(s, p)

    @action(c="ctxs", who="c")
    def page_pool_scrub(self, s, c):
        """page_pool_scrub() after the cache: on the first release (``destroy_cnt++ == 0``)
        clear dma_sync (synchronize_net() waits for syncs in flight) and unmap every page
        still in ``pool->dma_mapped``, in flight or not ("No page ref, dma-unmap only")."""
        self.ctl_ok(s, c, Stage.SCRUB_CACHE, Role.CONTROL, Role.WORKER)
        pool = s.pool
        require((pool.destroy_cnt != 0) | (pool.alloc_count == 0))
        self.touch(s)
        first = pool.destroy_cnt == 0
        with when(first):
            pool.dma_sync = False
            for i in range(len(s.pages)):
                self.unmap(s, i)
        pool.destroy_cnt = 1
        s.ctxs[c].stage = Stage.EMPTY_RING

    @action(c="ctxs", p="pages", who="c")
    def page_pool_empty_ring(self, s, c, p):
        """page_pool_empty_ring(): ptr_ring_consume_bh() the ring head and return it
        (pr_crit if its refcount is not 1)."""
        self.ctl_ok(s, c, Stage.EMPTY_RING, Role.CONTROL, Role.WORKER)
        pool = s.pool
        pg = s.pages[p]
        require((pool.ring_count > 0) & (pg.loc == Loc.RING) & (pg.slot == 0))
        for q in s.pages:
            with when((q.loc == Loc.RING) & (q.slot > 0)):
                q.slot = q.slot - 1
        pool.ring_count = pool.ring_count - 1
        self.return_now(s, p)

    @action(c="ctxs", who="c")
    def page_pool_inflight(self, s, c):
        """page_pool_release(): the ring is empty; ``inflight = page_pool_inflight(pool, true)``."""
        self.ctl_ok(s, c, Stage.EMPTY_RING, Role.CONTROL, Role.WORKER)
        require(s.pool.ring_count == 0)
        self.touch(s)
        s.ctxs[c].flag = inflight(s, self.bits) == 0
        s.ctxs[c].stage = Stage.LOCK

    @action(c="ctxs", who="c")
    def page_pool_release_lock(self, s, c):
        """page_pool_release(): take the producer lock "to make sure producers have exited"
        (a producer between __ptr_ring_produce() and its unlock still touches the pool)."""
        self.ctl_ok(s, c, Stage.LOCK, Role.CONTROL, Role.WORKER)
        require(s.pool.ring_lock == Ref.NONE)
        self.touch(s)
        s.pool.ring_lock = c
        s.ctxs[c].stage = Stage.UNLOCK

    @action(c="ctxs", who="c")
    def page_pool_release_unlock(self, s, c):
        """page_pool_release(): drop the producer lock; if inflight was 0, __page_pool_destroy()
        frees the pool.  Otherwise page_pool_destroy() schedules the release worker
        (page_pool_release_retry), which reschedules itself until inflight is 0."""
        self.ctl_ok(s, c, Stage.UNLOCK, Role.CONTROL, Role.WORKER)
        ctx = s.ctxs[c]
        pool = s.pool
        self.touch(s)
        pool.ring_lock = Ref.NONE
        zero = ctx.flag
        with when(zero):
            pool.freed = True
        with when(~zero):
            pool.deferred = True
        if self.is_role(c, Role.CONTROL):
            ctx.stage = Stage.UNBIND
            for w in self.specs:
                if w.role == Role.WORKER:
                    with when(~zero):
                        s.ctxs[w.index].stage = Stage.PENDING
        else:
            ctx.stage = ite(zero, int(Stage.DONE), int(Stage.PENDING))
        ctx.flag = False

    @action(c="ctxs", who="c")
    def page_pool_release_retry(self, s, c):
        """The delayed work fires (DEFER_TIME later): page_pool_release_retry() runs
        page_pool_release() again."""
        self.ctl_ok(s, c, Stage.PENDING, Role.WORKER)
        s.ctxs[c].stage = Stage.SCRUB_CACHE

    @action(c="ctxs", who="c")
    def napi_enable_new_pool(self, s, c):
        """Ring reconfiguration: after destroying the old pool the driver gives the NAPI a new
        pool and napi_enable()s it; pages of the old pool still in flight come back while the
        NAPI polls again (why page_pool_disable_direct_recycling() unlinks ``p.napi``)."""
        self.ctl_ok(s, c, Stage.UNBIND)
        require(const(bool(self.cfg.reconfig)) & ~s.napi.enabled)
        s.napi.enabled = True

    @action(c="ctxs", who="c")
    def driver_unbind(self, s, c):
        """The driver's remove() finishes and the device is unbound from it: from now on no DMA
        API call may name it."""
        self.ctl_ok(s, c, Stage.UNBIND)
        s.dev.bound = False
        s.ctxs[c].stage = Stage.DONE

    # -- model-specific invariants ------------------------------------------------------------
    @always
    def inflight_exact(self, s):
        """``pages_state_hold_cnt - pages_state_release_cnt`` (serial arithmetic, the kernel's
        _distance) equals the pages the pool owns outside the buddy allocator (pp_magic set):
        page_pool_release() frees the pool when it reads 0."""
        return inflight(s, self.bits) == count(p.magic for p in s.pages)

    @leads_to(fairness="strong action", applies=lambda c: getattr(c, "liveness", False))
    def destroy_completes(self, s):
        """Once page_pool_destroy() has run, the pool is eventually freed.

        page_pool_release() frees the pool when inflight reaches 0; until then
        page_pool_release_retry() re-arms the delayed work (net/core/page_pool.c). This holds
        only if every page comes back: users drop their references and the driver returns
        what its RX ring holds. Checked under strong fairness per action: an action enabled
        again and again eventually runs (a queued spinlock's waiter gets the lock, a user
        holding a page eventually frees it). Without fairness a context may be starved, and
        the retry loop spins forever: that is a scheduling artefact, not a leak. A page that
        is never returned (a leak) shows up as a lasso in which the worker retries forever.
        Set ``liveness=True`` (on in ``frag``) to check it: the graph search costs about a
        minute on ``base``. With the skb path on (``skb``) it fails for a reason outside
        page_pool: the stack may clone an skb and free the previous clone forever, so some
        skb always references the page; bounding the stack's clones is future work.
        """
        return destroy_started(s), s.pool.freed

    @sometimes
    def counters_wrapped(self, s):
        """``pages_state_hold_cnt`` wrapped around below ``pages_state_release_cnt``: inflight is
        only right in serial arithmetic (the kernel's ``_distance()``, valid below 2^31)."""
        return s.pool.hold < s.pool.release

    @always
    def no_leaked_page(self, s):
        """Every page the pool still counts in flight is somewhere it will come back from: held
        by a user, a context, an skb, the RX ring or the frag allocator, or waiting in the cache
        or ring, and never in alloc.cache once the first page_pool_scrub() emptied it (nobody
        drains the cache again: the page would keep inflight above 0 for ever and the pool would
        never be freed, seed 000's "FIXME-mem-leak").  The safety half of "every page
        eventually returns"."""
        conds = []
        for i, p in enumerate(s.pages):
            somewhere = ((p.loc == Loc.RX) | (p.loc == Loc.CTX) | (p.loc == Loc.CACHE)
                         | (p.loc == Loc.RING) | (p.loc == Loc.FRAG) | referenced(s, i))
            conds.append(implies(p.magic, somewhere))
            conds.append(implies(s.pool.destroy_cnt > 0, p.loc != Loc.CACHE))
        return all_(conds)

    @always
    def pool_freed_only_at_zero(self, s):
        """The pool is freed only when no page is in flight: every page has left it."""
        return ~s.pool.freed | all_(~p.magic for p in s.pages)

    @always
    def pp_ref_accounting(self, s):
        """For every pool page outside the pool's free lists, pp_ref_count equals the pp
        references held (users, contexts inside page_pool_unref_netmem, skb frags) plus the
        unused bias of the frag page, or is 1 while its last user owns it.  The kernel's
        page_pool_unref_netmem() is only correct if this holds."""
        conds = []
        for i, p in enumerate(s.pages):
            draining = any_((c.page == i) & (c.after == After.DRAIN)
                            & ((c.pc == PC.UNREF_READ) | (c.pc == PC.UNREF_SUB)) for c in s.ctxs)
            held = sum_([p.pp_holders,
                         sum_(ite((c.page == i) & ((c.pc == PC.UNREF_READ) | (c.pc == PC.UNREF_SUB)),
                                  c.nr, 0) for c in s.ctxs),
                         skb_pp_refs(s, i),
                         ite((p.loc == Loc.FRAG) & ~draining, self.bias - s.pool.frag_users, 0)])
            conds.append(implies(p.magic & ((p.loc == Loc.USERS) | (p.loc == Loc.FRAG)),
                                 p.pp_ref == held))
        return all_(conds)


    # -- lemmas for the Z3 proofs ---------------------------------------------------------------
    # Strengthening invariants (``@lemma``): facts about every reachable state that k-induction
    # needs to rule out unreachable starting states of its induction step.  The explorer checks
    # each one like any invariant (docs/z3.md, "Lemmas").

    @lemma
    def lemma_buddy_page_is_free(self, s):
        """A page in the buddy allocator is an ordinary free page: _refcount 0, pp_ref_count 0,
        no pp_magic, not DMA mapped, slot 0, nobody holds it (no user, no context's local, no
        skb frag); and a page with _refcount 0 is in the buddy allocator."""
        conds = []
        for i, p in enumerate(s.pages):
            free = ((p.refcnt == 0) & (p.pp_ref == 0) & ~p.magic & ~p.mapped & (p.slot == 0)
                    & (p.pp_holders == 0) & (p.page_holders == 0) & (skb_refs(s, i) == 0)
                    & all_(c.page != i for c in s.ctxs))
            conds.append(implies(p.loc == Loc.BUDDY, free))
            conds.append((p.refcnt == 0) == (p.loc == Loc.BUDDY))
        return all_(conds)

    @lemma
    def lemma_unmagic_page(self, s):
        """A page without pp_magic (returned by page_pool_return_netmem(), or free) has
        pp_ref_count 0, is not DMA mapped, is in no pool structure (cache, ring, RX ring, frag
        page) and carries no pp reference; a page with pp_magic has pp_ref_count >= 1."""
        conds = []
        for i, p in enumerate(s.pages):
            conds.append(implies(~p.magic, (p.pp_ref == 0) & ~p.mapped & (p.pp_holders == 0)
                                 & (in_unref(s, i) == 0) & (skb_pp_refs(s, i) == 0)
                                 & (p.loc != Loc.CACHE) & (p.loc != Loc.RING)
                                 & (p.loc != Loc.RX) & (p.loc != Loc.FRAG)))
            conds.append(implies(p.magic, p.pp_ref >= 1))
        return all_(conds)

    @lemma
    def lemma_ctx_page_matches_pc(self, s):
        """A context's free-path locals match its program counter: between kernel functions it
        holds no page (page, nr, after, direct cleared); inside page_pool_unref_netmem() it holds
        nr >= 1 pp references to a pool page (pp_magic set); from page_pool_put_unrefed_netmem()
        up to page_pool_return_netmem()'s release_cnt++ it owns a pool page (Loc.CTX, pp_magic
        set); in page_pool_return_netmem()'s put_page() the page is no longer the pool's; after
        a successful __ptr_ring_produce() it holds nothing."""
        conds = []
        for c in s.ctxs:
            conds.append(implies(c.pc == PC.READY, (c.page == Ref.NONE) & (c.nr == 0)
                                 & (c.after == After.NONE) & ~c.direct))
            conds.append(implies(c.pc == PC.RING_UNLOCK, c.page == Ref.NONE))
            unref = (c.pc == PC.UNREF_READ) | (c.pc == PC.UNREF_SUB)
            conds.append(implies(unref, (c.page != Ref.NONE) & (c.nr >= 1) & (c.after != After.NONE)))
            owns = ((c.pc == PC.NAPI_LOCAL) | (c.pc == PC.PUT_PAGE) | (c.pc == PC.CACHE_PUSH)
                    | (c.pc == PC.RING_LOCK) | (c.pc == PC.RING_PRODUCE)
                    | (c.pc == PC.RING_UNLOCK_FULL) | (c.pc == PC.RETURN) | (c.pc == PC.RETURN_PUT))
            conds.append(implies(owns, c.page != Ref.NONE))
            put_path = ((c.pc == PC.NAPI_LOCAL) | (c.pc == PC.PUT_PAGE) | (c.pc == PC.CACHE_PUSH)
                        | (c.pc == PC.RING_LOCK) | (c.pc == PC.RING_PRODUCE)
                        | (c.pc == PC.RING_UNLOCK) | (c.pc == PC.RING_UNLOCK_FULL))
            conds.append(implies(put_path, c.after == After.PUT))
            conds.append(implies(c.pc == PC.CACHE_PUSH, c.direct))
            recycling = ((c.pc == PC.CACHE_PUSH) | (c.pc == PC.RING_LOCK) | (c.pc == PC.RING_PRODUCE)
                         | (c.pc == PC.RING_UNLOCK_FULL))
            for i, p in enumerate(s.pages):
                here = c.page == i
                conds.append(implies(here & unref, p.magic))
                conds.append(implies(here & owns, p.loc == Loc.CTX))
                conds.append(implies(here & owns & (c.pc != PC.RETURN_PUT), p.magic))
                conds.append(implies(here & (c.pc == PC.RETURN_PUT), ~p.magic & ~p.mapped & (p.pp_ref == 0)))
                conds.append(implies(here & unref, (p.loc == Loc.USERS) | (p.loc == Loc.FRAG)))
                conds.append(implies(here & unref & (c.after == After.DRAIN),
                                     (p.loc == Loc.FRAG) & (s.pool.frag_page == i)))
                conds.append(implies(here & owns & (c.pc != PC.RETURN_PUT),
                                     (p.pp_holders == 0) & (skb_pp_refs(s, i) == 0)
                                     & (in_unref(s, i) == 0) & (p.pp_ref == 1)))
                conds.append(implies(here & recycling, (p.refcnt == 1) & (p.page_holders == 0)
                                     & (skb_refs(s, i) == 0)))
        return all_(conds)

    @lemma
    def lemma_producer_lock_holder(self, s):
        """``ring.producer_lock`` is held by exactly the context between
        page_pool_producer_lock() and page_pool_producer_unlock(), or by the control/worker
        context inside page_pool_release()'s lock/unlock."""
        conds = []
        for i, c in enumerate(s.ctxs):
            holds = ((c.pc == PC.RING_PRODUCE) | (c.pc == PC.RING_UNLOCK)
                     | (c.pc == PC.RING_UNLOCK_FULL) | (c.stage == Stage.UNLOCK))
            conds.append((s.pool.ring_lock == i) == holds)
        return all_(conds)

    @lemma
    def lemma_pool_freed(self, s):
        """Once __page_pool_destroy() freed the pool, nothing of it is left: user_cnt 0,
        destroy_cnt 1, alloc.cache, ring and frag page empty, the producer lock free, no page
        with pp_magic or in a pool structure, and no context inside the free path except
        page_pool_return_netmem()'s final put_page() (which does not touch the pool)."""
        pool = s.pool
        conds = [(pool.user_cnt == 0), (pool.destroy_cnt == 1), (pool.alloc_count == 0),
                 (pool.ring_count == 0), (pool.frag_page == Ref.NONE), (pool.ring_lock == Ref.NONE)]
        for p in s.pages:
            conds.append(~p.magic & (p.loc != Loc.RX) & (p.loc != Loc.FRAG))
        for i, c in enumerate(s.ctxs):
            conds.append((c.pc == PC.READY) | (c.pc == PC.RETURN_PUT))
            if self.is_role(i, Role.CONTROL):
                conds.append((c.stage == Stage.UNBIND) | (c.stage == Stage.DONE))
            if self.is_role(i, Role.WORKER):
                conds.append((c.stage == Stage.IDLE) | (c.stage == Stage.DONE))
        return implies(pool.freed, all_(conds))

    @lemma
    def lemma_ctx_identity(self, s):
        """The fixed facts of each context (its CPU, kind and role, as configured), and what
        each role can be doing: only the NAPI's contexts poll; only the control path and the
        release worker have a destroy stage; the release worker never enters the free path
        (it returns pages with page_pool_return_netmem() in one step).  ``pool->cpuid`` and
        ``p.napi``/PP_FLAG_DMA_SYNC_DEV are as created, or cleared by destroy/scrub."""
        conds = []
        for sp in self.specs:
            c = s.ctxs[sp.index]
            conds += [c.cpu == sp.cpu, c.kind == int(sp.kind), c.role == int(sp.role)]
            if sp.role != Role.NAPI:
                conds.append(~c.in_poll)
            if sp.role in (Role.NAPI, Role.USER):
                conds.append(c.stage == Stage.IDLE)
            if sp.role == Role.WORKER:
                conds.append(c.pc == PC.READY)
                conds.append(c.stage != Stage.NAPI_DISABLE)
                conds.append(c.stage != Stage.RX_CLEAN)
                conds.append(c.stage != Stage.DESTROY)
                conds.append(c.stage != Stage.FREE_FRAG)
                conds.append(c.stage != Stage.UNBIND)
            if sp.role == Role.CONTROL:
                conds.append(c.stage != Stage.PENDING)
                conds.append(implies(c.pc != PC.READY,
                                     (c.stage == Stage.RX_CLEAN) | (c.stage == Stage.SCRUB_CACHE)))
        conds.append((s.pool.cpuid == -1) | (s.pool.cpuid == int(self.cfg.pool_cpuid)))
        if not self.cfg.napi_linked:
            conds.append(~s.pool.napi_linked)
        if not self.cfg.dma_sync:
            conds.append(~s.pool.dma_sync)
        if not self.cfg.frag:  # no frag allocator: no frag page, no drain, nothing to free
            conds.append(s.pool.frag_page == Ref.NONE)
            conds += [(c.after == After.NONE) | (c.after == After.PUT) for c in s.ctxs]
        return all_(conds)

    @lemma
    def lemma_direct_is_napi_local(self, s):
        """A context inside the free path with allow_direct set runs where the NAPI is
        scheduled (``list_owner`` is its CPU: it is the poll, or page_pool_napi_local() said
        so) or on the pool's ``cpuid``, or is the driver freeing its RX ring with the NAPI off;
        page_pool_destroy() has not run yet.  Where page_pool_napi_local() is always false
        (PREEMPT_RT, process context) only the NAPI's own XDP_DROP recycles directly.
        Once napi_disable() has waited for the poll and until the NAPI is re-enabled, the
        NAPI is not scheduled."""
        conds = []
        for i, c in enumerate(s.ctxs):
            busy = c.pc != PC.READY
            if self.is_role(i, Role.CONTROL):
                conds.append(implies(c.direct & busy, (c.stage == Stage.RX_CLEAN) & (s.pool.user_cnt == 1)))
                off = ((c.stage != Stage.IDLE) & (c.stage != Stage.NAPI_DISABLE)
                       & (c.stage != Stage.UNBIND) & (c.stage != Stage.DONE))
                conds.append(implies(off, (s.napi.owner == -1) & ~s.napi.enabled))
                conds.append(implies(c.stage != Stage.IDLE, ~s.napi.enabled | (c.stage == Stage.UNBIND)
                                     | (c.stage == Stage.DONE)))
            else:
                conds.append(implies(c.direct & busy, (s.pool.user_cnt == 1)
                                     & ((s.napi.owner == c.cpu) | (s.pool.cpuid == c.cpu))))
                sp = self.spec(i)
                no_napi_local = bool(self.cfg.preempt_rt) or not in_softirq(sp.kind)
                if no_napi_local and sp.role == Role.USER:  # nobody hands it allow_direct
                    conds.append(~c.direct)
                if no_napi_local and sp.role == Role.NAPI:  # only XDP_DROP in its own poll
                    conds.append(implies(c.direct & busy, c.in_poll))
        return all_(conds)

    @lemma
    def lemma_release_stages(self, s):
        """The control path and the release worker inside page_pool_release(): from the scrub
        on, page_pool_destroy() has run (user_cnt 0); from page_pool_empty_ring() on, the
        scrub has run (destroy_cnt 1, alloc.cache empty, no frag page).  When
        page_pool_inflight() read 0 (``flag``), no page carries pp_magic, the cache and ring
        are empty, and no context is in the free path except a producer about to drop the
        producer lock (the reason for the barrier) or page_pool_return_netmem()'s put_page()."""
        conds = []
        pool = s.pool
        for i, c in enumerate(s.ctxs):
            if not self.is_role(i, Role.CONTROL, Role.WORKER):
                conds.append(~c.flag)
                continue
            rel = ((c.stage == Stage.SCRUB_CACHE) | (c.stage == Stage.EMPTY_RING)
                   | (c.stage == Stage.LOCK) | (c.stage == Stage.UNLOCK))
            conds.append(implies(rel, pool.user_cnt == 0))
            late = (c.stage == Stage.EMPTY_RING) | (c.stage == Stage.LOCK) | (c.stage == Stage.UNLOCK)
            conds.append(implies(late, (pool.destroy_cnt == 1) & (pool.alloc_count == 0)
                                 & (pool.frag_page == Ref.NONE)))
            conds.append(implies(c.flag, (c.stage == Stage.LOCK) | (c.stage == Stage.UNLOCK)))
            if self.is_role(i, Role.CONTROL):
                before = ~((c.stage == Stage.UNBIND) | (c.stage == Stage.DONE))
                conds.append(implies(before, ~pool.deferred & ~pool.freed))
            else:
                conds.append(implies(c.stage != Stage.IDLE, pool.deferred))
            conds.append(implies(c.flag, (pool.ring_count == 0) & ~pool.freed
                                 & all_(~p.magic for p in s.pages)
                                 & all_((d.pc == PC.READY) | (d.pc == PC.RETURN_PUT)
                                        | (d.pc == PC.RING_UNLOCK) for d in s.ctxs)))
        return all_(conds)

    @lemma
    def lemma_cpu_exclusion(self, s):
        """Without PREEMPT_RT, two contexts of one CPU that run with BH disabled (softirqs,
        local_bh_disable'd process contexts) are never both inside a kernel function or a poll:
        a softirq runs to completion on its CPU."""
        if self.cfg.preempt_rt:
            return TRUE
        conds = []
        bh = [sp for sp in self.specs if sp.kind in (Kind.SOFTIRQ, Kind.PROCESS_BH)]
        for a in bh:
            for b in bh:
                if a.index < b.index and a.cpu == b.cpu:
                    conds.append(~(self.active(s, a.index) & self.active(s, b.index)))
        return all_(conds)

    @lemma
    def lemma_direct_recycler_exclusive(self, s):
        """A context that decided to recycle directly (allow_direct, or page_pool_napi_local()
        said yes) is the only consumer-side user of alloc.cache: no other context polls the
        NAPI (before destroy) or is about to push into the cache."""
        return count((c.in_poll & ~destroy_started(s))
                     | (c.direct & ((c.pc == PC.PUT_PAGE) | (c.pc == PC.CACHE_PUSH)))
                     for c in s.ctxs) <= 1

    @lemma
    def lemma_refcnt_accounting(self, s):
        """_refcount counts the pool's own reference (pp_magic set, or page_pool_return_netmem()
        not yet past its put_page()), the stack users' get_page() references and the skb frags
        holding page (not pp) references."""
        conds = []
        for i, p in enumerate(s.pages):
            pool_ref = p.magic | any_((c.page == i) & (c.pc == PC.RETURN_PUT) for c in s.ctxs)
            page_frags = sum_([count((sh.dataref > 0) & (sh.page == i) & ~sh.pp_kind for sh in s.shinfos),
                               count((sh.dataref > 0) & (sh.page2 == i) & ~sh.pp_kind2 for sh in s.shinfos)])
            conds.append(p.refcnt == sum_([ite(pool_ref, 1, 0), p.page_holders, page_frags]))
        return all_(conds)

    @lemma
    def lemma_destroyed_pool(self, s):
        """After page_pool_destroy() (user_cnt 0): direct recycling is disabled (cpuid -1, no
        linked NAPI), the RX ring was emptied and nothing allocates, so no page is posted to
        the RX ring; once page_pool_scrub() ran (destroy_cnt 1) alloc.cache is empty."""
        pool = s.pool
        gone = pool.user_cnt == 0
        conds = [implies(gone, (pool.cpuid == -1) & ~pool.napi_linked
                         & all_(p.loc != Loc.RX for p in s.pages)),
                 implies(pool.destroy_cnt == 1, gone & (pool.alloc_count == 0))]
        return all_(conds)

    @lemma
    def lemma_destroy_stage(self, s):
        """page_pool_destroy()'s page_pool_put() has run (user_cnt 0) exactly when the control
        path is past its DESTROY stage; by then the driver emptied its RX ring.  Once the first
        page_pool_scrub() ran (destroy_cnt 1), PP_FLAG_DMA_SYNC_DEV is clear and no page is
        DMA mapped; the driver unbinds the device only after that."""
        conds = []
        pool = s.pool
        for i, c in enumerate(s.ctxs):
            if not self.is_role(i, Role.CONTROL):
                continue
            early = ((c.stage == Stage.IDLE) | (c.stage == Stage.NAPI_DISABLE)
                     | (c.stage == Stage.RX_CLEAN) | (c.stage == Stage.DESTROY))
            conds.append((pool.user_cnt == 1) == early)
            conds.append(implies(~early | (c.stage == Stage.DESTROY),
                                 all_(p.loc != Loc.RX for p in s.pages)))
            conds.append(implies(~s.dev.bound, c.stage == Stage.DONE))
            scrubbed = ((c.stage == Stage.EMPTY_RING) | (c.stage == Stage.LOCK) | (c.stage == Stage.UNLOCK)
                        | (c.stage == Stage.UNBIND) | (c.stage == Stage.DONE))
            conds.append(implies(scrubbed, pool.destroy_cnt == 1))
        conds.append(implies(pool.destroy_cnt == 1, ~pool.dma_sync & all_(~p.mapped for p in s.pages)))
        conds.append(implies(~s.dev.bound, (pool.destroy_cnt == 1) & (pool.user_cnt == 0)))
        return all_(conds)

    @lemma
    def lemma_rx_page_exclusive(self, s):
        """A page posted to the driver's RX ring belongs to the pool alone: _refcount 1,
        pp_ref_count 1, pp_magic set, no holder, no context, no skb frag."""
        return all_(implies(p.loc == Loc.RX,
                            (p.refcnt == 1) & (p.pp_ref == 1) & p.magic & (p.pp_holders == 0)
                            & (p.page_holders == 0) & (in_unref(s, i) == 0) & (skb_refs(s, i) == 0)
                            & (p.slot == 0) & all_(c.page != i for c in s.ctxs))
                    for i, p in enumerate(s.pages))

    @lemma
    def lemma_frag_page(self, s):
        """The frag allocator's bookkeeping: while there is a frag page, ``frag_users`` equals
        the frags handed out (``frag_offset``, at least 1) and bounds the frag users' pp
        references; page_pool_drain_frag() runs in the NAPI poll on a full frag page and drops
        exactly the unused bias; page_pool_free_frag() has already cleared ``frag_page``; after the control
        path's page_pool_free_frag() there is no frag page."""
        conds = []
        pool = s.pool
        conds.append(implies(pool.frag_page != Ref.NONE,
                             (pool.frag_users == pool.frag_offset) & (pool.frag_users >= 1)))
        for p in s.pages:
            conds.append(implies(p.loc == Loc.FRAG, p.pp_holders <= pool.frag_users))
        for i, c in enumerate(s.ctxs):
            unref = (c.pc == PC.UNREF_READ) | (c.pc == PC.UNREF_SUB)
            conds.append(implies(unref & (c.after == After.DRAIN),
                                 (c.nr == self.bias - pool.frag_users) & c.in_poll
                                 & (pool.frag_offset == int(self.cfg.frags_per_page))))
            conds.append(implies(unref & (c.after == After.FREE_FRAG),
                                 (pool.frag_page == Ref.NONE)
                                 & all_(implies(c.page == j, q.loc == Loc.USERS)
                                        for j, q in enumerate(s.pages))))
            if self.is_role(i, Role.CONTROL):
                past = ((c.stage == Stage.SCRUB_CACHE) | (c.stage == Stage.EMPTY_RING)
                        | (c.stage == Stage.LOCK) | (c.stage == Stage.UNLOCK)
                        | (c.stage == Stage.UNBIND) | (c.stage == Stage.DONE))
                conds.append(implies(past, pool.frag_page == Ref.NONE))
        return all_(conds)

    @lemma
    def lemma_skb_records(self, s):
        """The skb records agree: a live skb points to a shared info with ``dataref`` >= 1, a
        freed one to none; ``dataref`` counts the live skbs sharing it plus the context inside
        its skb_release_data() (one at most, and only once no live skb uses it); an skb that
        is not cloned is its shared info's only user; a free shared info has no frags; a frag
        holds a pp reference exactly when the skbs using it are marked for recycling and the
        page carries pp_magic (what napi_pp_put_page() will test)."""
        conds = []
        for i, c in enumerate(s.ctxs):
            conds.append(implies(c.sh == Ref.NONE, ~c.recycle))
            if self.is_role(i, Role.CONTROL, Role.WORKER):
                conds.append(c.sh == Ref.NONE)
            for j in range(len(s.shinfos)):
                conds.append(implies(c.sh == j, all_(~(k.live & (k.sh == j)) for k in s.skbs)))
        for k in s.skbs:
            for j, sh in enumerate(s.shinfos):
                conds.append(implies(k.live & (k.sh == j) & ~k.cloned, sh.dataref == 1))
        for k in s.skbs:
            conds.append(implies(~k.live, (k.sh == Ref.NONE) & ~k.cloned & ~k.pp_recycle))
            conds.append(implies(k.live, k.sh != Ref.NONE))
        for j, sh in enumerate(s.shinfos):
            users = sum_([count(k.live & (k.sh == j) for k in s.skbs),
                          count(c.sh == j for c in s.ctxs)])
            conds.append(sh.dataref == users)
            conds.append(count(c.sh == j for c in s.ctxs) <= 1)
            conds.append(implies(sh.page == Ref.NONE, ~sh.pp_kind))
            conds.append(implies(sh.page2 == Ref.NONE, ~sh.pp_kind2))
            conds.append(implies(sh.dataref == 0, (sh.page == Ref.NONE) & (sh.page2 == Ref.NONE)))
            for i, p in enumerate(s.pages):
                for slot, kind in ((sh.page, sh.pp_kind), (sh.page2, sh.pp_kind2)):
                    conds.append(implies(kind & (slot == i), p.magic))
                    for k in s.skbs:
                        conds.append(implies(k.live & (k.sh == j) & (slot == i),
                                             kind == (k.pp_recycle & p.magic)))
                    for c in s.ctxs:
                        conds.append(implies((c.sh == j) & (slot == i), kind == (c.recycle & p.magic)))
        return all_(conds)

    @lemma
    def lemma_napi_poll_owner(self, s):
        """A context inside a NAPI poll is the NAPI's ``list_owner`` (NAPI_STATE_SCHED is set
        on its CPU until napi_complete_done())."""
        return all_(implies(c.in_poll, s.napi.owner == c.cpu) for c in s.ctxs)


MODELS = [Mainline]
