"""Seed 004: NAPI-local direct recycling (2023, Jakub Kicinski), as merged and today.

Commit 8c48eea3adf3 "page_pool: allow caching from safely localized NAPI" (v6.4): a pool
linked to a NAPI instance lets a page freed on the CPU where that NAPI is scheduled go
straight into the lockless alloc cache.  Designs, each a thin diff of mainline
(:mod:`ppcheck.models.mainline`):

``pp004_mainline``
    Mainline's ``page_pool_napi_local()``: false on PREEMPT_RT and outside softirq, true
    if ``pool->cpuid`` or the linked NAPI's ``list_owner`` is this CPU, checked after the last
    reference is dropped (4a96a4e807c3 "page_pool: check for PP direct cache locality later",
    v6.10); ``page_pool_destroy()`` unlinks the NAPI (dd64b232deb8 "page_pool: unlink from napi
    during destroy", v6.4) and sets ``cpuid = -1`` (56ef27e3abe6 "page_pool: disable direct
    recycling based on pool->cpuid on destroy", v6.9); a driver that reuses its NAPI for a new
    pool unlinks the old one first (``page_pool_unlink_napi()``).
``pp004_first_merged``
    8c48eea3 as merged: in ``napi_pp_put_page()``, ``allow_direct = napi_safe && napi &&
    READ_ONCE(napi->list_owner) == smp_processor_id()``, taken *before*
    ``page_pool_put_full_page()`` drops the reference (``page_pool_defrag_page()``), where
    ``napi_safe`` is the caller's word (true from the softirq skb free,
    ``napi_consume_skb()``); no PREEMPT_RT check, no unlink on destroy, no ``cpuid``.
``pp004_v64``
    v6.4 as released: 8c48eea3's early check with dd64b232deb8's unlink (a week later, in the
    same merge window).
``pp004_no_unlink`` / ``pp004_no_rt_check`` / ``pp004_no_cpuid_reset``
    Mainline with one of the later fixes taken out, to see which fix each finding needs (the
    PREEMPT_RT fix is 32471b2f481d "net: page_pool: Don't recycle into cache on PREEMPT_RT",
    May 2025, v6.16, backported to stable).

The reuse scenario of dd64b232deb8 is an extra control step, ``napi_swap_pool``: after
the RX ring is cleaned the driver gives the (disabled) NAPI a new pool and enables it
again, then destroys the old pool ("when user changes ring configuration driver may
allocate a new page pool, stop NAPI, swap, start NAPI, and then destroy the old pool").
The NAPI's polls then allocate from the new pool, which is not modelled (``swapped``).

The per-CPU pools of ``page_pool_create_percpu()`` (``pool->cpuid``) are the configurations
``percpu`` and ``percpu_rt``: no NAPI is linked, the pool's consumer is the allocating softirq
of CPU 0 (the model's NAPI context, pinned to CPU 0 with ``napi_cpus``) and a second softirq of
CPU 0 frees into it.  Also left out: ``xdp_return_frame``'s own ``napi_direct`` flag: every
free path goes through the locality check here.

Check with: ``ppcheck check pp004_first_merged --config reuse`` (push after destroy),
``--config rt`` (two softirqs of one CPU in the alloc cache), ``ppcheck check
pp004_no_cpuid_reset --config percpu``.
"""

from __future__ import annotations

from typing import Any

from ppcheck.models.mainline import BASE, Mainline
from ppcheck.models.mainline.configs import POOL_PATH_ACTIONS, POOL_PATHS_ELSEWHERE
from ppcheck.models.mainline.state import MainlineCtx, MainlineState
from ppcheck.models.pagepool import (
    PC,
    After,
    Kind,
    Loc,
    Role,
    Stage,
    destroy_started,
    in_cache_access,
    in_softirq,
)
from ppcheck.spec import (
    Array,
    Bool,
    Expr,
    action,
    all_,
    always,
    count,
    implies,
    require,
    sometimes,
    when,
)
from ppcheck.spec.expr import const


class LocalCtx(MainlineCtx):
    """Mainline's context plus ``local``: this free's ``allow_direct`` came from the locality
    check (not from its caller), so it is only right while the NAPI stays on this CPU."""

    local = Bool()


class SwapState(MainlineState):
    """Mainline's state plus: the NAPI now serves a new pool (its polls no longer touch
    this one); contexts remember where their ``allow_direct`` came from."""

    ctxs = Array(LocalCtx, lambda c: len(c.contexts))
    swapped = Bool()
    #: ghost: page_pool_napi_local() answered "local" after page_pool_destroy() started
    local_after_destroy = Bool()


def _cfg(**kw: Any) -> dict[str, Any]:
    d = dict(BASE)
    d.update(max_page_refs=0, napi_cpus=2)
    d.update(kw)
    return d


_PERCPU = dict(pool_cpuid=0, napi_linked=False, napi_cpus=1)

CONFIGS = {
    # NAPI migration, destroy with pages in flight, the NAPI reused for a new pool
    "reuse": _cfg(),
    # PREEMPT_RT: a second softirq of the NAPI's CPU frees pages (no destroy)
    "rt": _cfg(preempt_rt=True, destroy=False, contexts=("softirq@0", "user@0")),
    # the same without PREEMPT_RT (softirqs of one CPU do not interleave); the NAPI migrates
    "nort": _cfg(destroy=False, contexts=("softirq@0", "user@0")),
    # a per-CPU pool of CPU 0 (pool->cpuid = 0, no NAPI): its consumer and a freeing softirq on
    # CPU 0, a freeing softirq on CPU 1; never destroyed (like the system page pools)
    "percpu": _cfg(**_PERCPU, destroy=False, contexts=("softirq@0", "user@0", "user@1")),
    # the same on PREEMPT_RT (CPU 0 only)
    "percpu_rt": _cfg(**_PERCPU, preempt_rt=True, destroy=False,
                      contexts=("softirq@0", "user@0")),
    # a per-CPU pool destroyed (from CPU 1) while softirqs of its CPU free into it: no in-tree
    # caller does this (the system page pools are destroyed only when net_dev_init() fails)
    "percpu_destroy": _cfg(**_PERCPU, contexts=("softirq@0", "user@0", "control@1", "worker@0")),
}


#: why mainline paths never fire here (Model.out_of_scope)
_CACHE_ONLY = ("seed 004's configurations are about the alloc cache and NAPI locality: whole "
               "pages, no skbs, no stack page references (mainline's frag, skb and base "
               "configurations check these paths)")
_RT = ("on PREEMPT_RT page_pool_napi_local() answers false (softirqs are preemptible, "
       "32471b2f481d), so no free outside the poll recycles directly")


class PP004Mainline(Mainline):
    """Mainline's page_pool_napi_local(), with the NAPI-reuse control step."""

    name = "pp004_mainline"
    State = SwapState
    configs = CONFIGS
    #: the main job checks "reuse" and "percpu"; "rt", "nort", "percpu_rt" and "percpu_destroy"
    #: are recorded in manifest.json (on PREEMPT_RT the direct_recycling witness is vacuous
    #: by design, declared in out_of_scope: the cache is never used by a remote free;
    #: percpu_destroy records the window of docs/seeds/004.md, no in-tree caller destroys a
    #: per-CPU pool in use)
    default_configs = ("reuse", "percpu")
    default = True
    #: these configurations take no stack page references (seed 004 is about the cache)
    release_for_extra_page_ref = None
    out_of_scope = {
        "*": {**dict.fromkeys(
            ("page_pool_alloc_frag", "page_pool_drain_frag", "page_pool_unref_sub", "napi_build_skb",
             "skb_clone", "pskb_expand_head", "skb_try_coalesce", "kfree_skb", "skb_data_unref_read",
             "skb_data_unref_sub", "skb_page_unref", "skb_free_head", "get_page", "stack_put_page",
             "napi_alloc_skb", "skb_gro_receive",
             "skb_split", "skb_shift", "skb_segment"), _CACHE_ONLY),
              "napi_enable_new_pool": "the NAPI's reuse for a new pool is napi_swap_pool() here",
              **dict.fromkeys(("page_pool_napi_local_napi", "page_pool_napi_local_owner"),
                              "seed 004 takes page_pool_napi_local() as one step with its "
                              "locality ghost (mainline splits its three READ_ONCE()s)"),
              **dict.fromkeys(POOL_PATH_ACTIONS, POOL_PATHS_ELSEWHERE)},
        "rt": {"direct_recycling": _RT},
        "percpu_rt": {"direct_recycling": _RT},
    }

    def alloc_ok(self, s, c: int, dest: Any) -> None:
        """After the swap the NAPI allocates from the new pool (not modelled)."""
        require(~s.swapped)
        super().alloc_ok(s, c, dest)

    def finish(self, ctx) -> None:
        super().finish(ctx)
        ctx.local = False

    @action(cpu=lambda c: range(int(c.napi_cpus)), who="irq")
    def napi_schedule(self, s, cpu):
        """napi_schedule() from the device interrupt on ``cpu`` (``napi_cpus`` of them: a per-CPU
        pool's consumer stays on its CPU)."""
        require(s.napi.enabled & (s.napi.owner == -1))
        s.napi.owner = cpu

    @action(c="ctxs", who="c")
    def page_pool_napi_local(self, s, c):
        """page_pool_put_unrefed_netmem(): ``if (!allow_direct) allow_direct =
        page_pool_napi_local(pool)`` after the last reference was dropped."""
        ctx = s.ctxs[c]
        require((ctx.pc == PC.NAPI_LOCAL) & self.can_run(s, c))
        local = self.napi_local(s, c)
        self.note_local(s, local & ~ctx.direct)  # only called when !allow_direct
        ctx.local = ctx.local | (~ctx.direct & local)
        ctx.direct = ctx.direct | local
        ctx.pc = PC.PUT_PAGE

    def note_local(self, s, local: Expr) -> None:
        """Record a "local" answer given after page_pool_destroy() started."""
        with when(local & destroy_started(s)):
            s.local_after_destroy = True

    @action(c="ctxs", p="pages", who="c")
    def driver_rx_ring_free(self, s, c, p):
        """The driver frees a page still posted to its RX ring, with ``allow_direct`` only when
        a NAPI is linked (its napi_disable() made the caller the cache's only user); a per-CPU
        pool has no such NAPI."""
        self.ctl_ok(s, c, Stage.RX_CLEAN)
        pg = s.pages[p]
        require(pg.loc == Loc.RX)
        pg.loc = Loc.USERS
        self.start_unref(s, c, p, 1, After.PUT, direct=bool(self.cfg.napi_linked))

    def unlink_on_reuse(self, s) -> None:
        """``page_pool_unlink_napi()`` before the NAPI is enabled for the new pool."""
        s.pool.napi_linked = False

    @action(c="ctxs", who="c")
    def napi_swap_pool(self, s, c):
        """Ring reconfiguration: the disabled NAPI gets a new pool and is enabled again;
        the old pool is destroyed next (control continues with page_pool_destroy)."""
        ctx = s.ctxs[c]
        require(const(bool(self.cfg.destroy) and self.is_role(c, Role.CONTROL)
                      and bool(self.cfg.napi_linked)))
        require((ctx.pc == PC.READY) & (ctx.stage == Stage.DESTROY) & ~s.swapped
                & self.can_run(s, c))
        self.unlink_on_reuse(s)
        s.swapped = True
        s.napi.enabled = True

    @always
    def alloc_cache_single_owner(self, s):
        """At most one context touches *this* pool's alloc cache: its NAPI poll (until the
        NAPI moved to a new pool) or any context inside a cache access (push, pop, refill)."""
        return count((c.in_poll & ~s.swapped) | in_cache_access(c) for c in s.ctxs) <= 1

    @sometimes(applies=lambda c: int(c.napi_cpus) > 1)
    def napi_migrated(self, s):
        """The NAPI instance is scheduled on another CPU than the one it started on (not in
        the per-CPU configurations: a per-CPU pool's consumer stays on its CPU)."""
        return s.napi.owner > 0

    @always
    def destroyed_pool_never_local(self, s):
        """page_pool_napi_local() never answers "local" once page_pool_destroy() has started:
        page_pool_disable_direct_recycling() clears ``cpuid`` (56ef27e3abe6) and ``p.napi``
        (dd64b232deb8) so no later free pushes into the cache the scrub has emptied."""
        return ~s.local_after_destroy

    @always
    def locality_holds_until_push(self, s):
        """A free that the locality check found local still is when it pushes into
        alloc.cache: the NAPI it read is still scheduled on this CPU, or the pool is this CPU's
        (``cpuid``).  The check is one READ_ONCE; the push comes steps later (after the
        unref, for 8c48eea3's early check).  If the NAPI could complete and poll elsewhere in
        between, the decision would be stale and the cache shared."""
        return all_(implies((c.pc == PC.CACHE_PUSH) & c.local,
                            (s.napi.owner == c.cpu) | (s.pool.cpuid == c.cpu))
                    for c in s.ctxs)


class EarlyCheck:
    """8c48eea3's placement: napi_pp_put_page() computes ``allow_direct`` before
    page_pool_put_full_page() drops the reference; nothing is checked after the unref."""

    def early_local(self, s, c: int) -> Expr:
        """``napi_safe && napi && READ_ONCE(napi->list_owner) == smp_processor_id()``;
        ``napi_safe`` is true for the softirq free path (napi_consume_skb)."""
        me = self.spec(c)
        if me.kind != Kind.SOFTIRQ:
            return const(False)
        self.touch(s)
        return s.pool.napi_linked & (s.napi.owner == me.cpu)

    def start_unref(self, s, c: int, p: int, nr: Any, after: After, direct: Any = False) -> None:
        super().start_unref(s, c, p, nr, after, direct)
        if after == After.PUT and direct is not True:
            ctx = s.ctxs[c]
            local = self.early_local(s, c)
            self.note_local(s, local)
            ctx.local = local & ~ctx.direct
            ctx.direct = ctx.direct | local

    def napi_local(self, s, c: int) -> Expr:
        """No check after the unref: the early decision stands."""
        return const(False)


class PP004FirstMerged(EarlyCheck, PP004Mainline):
    """8c48eea3 as merged: caller's napi_safe and list_owner, read before the unref."""

    name = "pp004_first_merged"
    default = False

    def unlink_on_reuse(self, s) -> None:
        """No page_pool_unlink_napi() yet."""

    def disable_direct_recycling(self, s) -> None:
        """page_pool_destroy() of 8c48eea3adf3 alone (net-next, April 2023: dd64b232deb8 followed a
        week later, before v6.4): ``page_pool_put()`` only, no unlink from the NAPI."""


class PP004V64(EarlyCheck, PP004Mainline):
    """v6.4 as released: 8c48eea3's early check and dd64b232deb8's unlink (no cpuid yet)."""

    name = "pp004_v64"
    default = False

    def disable_direct_recycling(self, s) -> None:
        """page_pool_destroy() of v6.4: page_pool_unlink_napi() only (no cpuid yet)."""
        s.pool.napi_linked = False


class PP004NoUnlink(PP004Mainline):
    """Mainline without the unlink (destroy and reuse leave ``pool->p.napi`` set)."""

    name = "pp004_no_unlink"
    default = False

    def unlink_on_reuse(self, s) -> None:
        """No page_pool_unlink_napi()."""

    def disable_direct_recycling(self, s) -> None:
        """``cpuid = -1`` only; ``p.napi`` stays."""
        s.pool.cpuid = -1


class PP004NoCpuidReset(PP004Mainline):
    """Mainline without 56ef27e3abe6: page_pool_destroy() unlinks the NAPI but leaves
    ``pool->cpuid``."""

    name = "pp004_no_cpuid_reset"
    default = False

    def disable_direct_recycling(self, s) -> None:
        """``p.napi = NULL`` only; ``cpuid`` stays."""
        s.pool.napi_linked = False


class PP004NoRtCheck(PP004Mainline):
    """Mainline without the PREEMPT_RT test in page_pool_napi_local()."""

    name = "pp004_no_rt_check"
    default = False

    def napi_local(self, s, c: int) -> Expr:
        me = self.spec(c)
        if not in_softirq(me.kind):
            return const(False)
        self.touch(s)
        return (s.pool.cpuid == me.cpu) | (s.pool.napi_linked & (s.napi.owner == me.cpu))


def drop_lemmas(model: type) -> None:
    """Remove the parent's ``@lemma`` properties: they are proof aids for mainline's own
    k-induction, stated over mainline's exact reachable states (a variant, or the NAPI swap
    step added here, reaches others); every safety property is kept."""
    for d in Mainline.property_defs():
        if d.lemma:
            setattr(model, d.name, None)


drop_lemmas(PP004Mainline)

MODELS = [PP004Mainline, PP004FirstMerged, PP004V64, PP004NoUnlink, PP004NoCpuidReset,
          PP004NoRtCheck]
