"""Seed 004: NAPI-local direct recycling (2023, Jakub Kicinski), as merged and today.

Commit 8c48eea3adf3 "page_pool: allow caching from safely localized NAPI" (v6.4): a pool
linked to a NAPI instance lets a page freed on the CPU where that NAPI is scheduled go
straight into the lockless alloc cache.  Designs, each a thin diff of mainline
(:mod:`ppcheck.models.mainline`):

``pp004_mainline``
    Mainline's ``page_pool_napi_local()``: false on PREEMPT_RT and outside softirq, true
    if ``pool->cpuid`` or the linked NAPI's ``list_owner`` is this CPU;
    ``page_pool_destroy()`` unlinks the NAPI (dd64b232deb8 "page_pool: unlink from napi
    during destroy", v6.4, and 56ef27e3abe6 "page_pool: disable direct recycling based on
    pool->cpuid on destroy", v6.9) and a driver that reuses its NAPI for a new pool unlinks the
    old one first (``page_pool_unlink_napi()``).
``pp004_first_merged``
    8c48eea3 as merged: in ``napi_pp_put_page()``, ``allow_direct = napi_safe && napi &&
    READ_ONCE(napi->list_owner) == smp_processor_id()``, where ``napi_safe`` is the
    caller's word (true from the softirq skb free, ``napi_consume_skb()``); no
    PREEMPT_RT check, no unlink on destroy.
``pp004_no_unlink`` / ``pp004_no_rt_check``
    Mainline with one of the two later fixes taken out, to see which fix each finding
    needs (the PREEMPT_RT fix is 32471b2f481d "net: page_pool: Don't recycle into cache on
    PREEMPT_RT", May 2025, v6.16, backported to stable).

The reuse scenario of dd64b232deb8 is an extra control step, ``napi_swap_pool``: after
the RX ring is cleaned the driver gives the (disabled) NAPI a new pool and enables it
again, then destroys the old pool ("when user changes ring configuration driver may
allocate a new page pool, stop NAPI, swap, start NAPI, and then destroy the old pool").
The NAPI's polls then allocate from the new pool, which is not modelled (``swapped``).
Also left out: the per-CPU pools (``pool_cpuid`` stays -1) and ``xdp_return_frame``'s
own ``napi_direct`` flag: every free path goes through the locality check here.

Check with: ``ppcheck check pp004_first_merged --config reuse`` (push after destroy) and
``--config rt`` (two softirqs of one CPU in the alloc cache).
"""

from __future__ import annotations

from typing import Any

from ppcheck.models.mainline import BASE, Mainline
from ppcheck.models.pagepool import PC, Kind, PagePoolState, Role, Stage
from ppcheck.spec import Bool, Expr, action, always, count, require
from ppcheck.spec.expr import const


class SwapState(PagePoolState):
    """Mainline's state plus: the NAPI now serves a new pool (its polls no longer touch
    this one)."""

    swapped = Bool()


def _cfg(**kw: Any) -> dict[str, Any]:
    d = dict(BASE)
    d.update(max_page_refs=0)
    d.update(kw)
    return d


CONFIGS = {
    # NAPI migration, destroy with pages in flight, the NAPI reused for a new pool
    "reuse": _cfg(),
    # PREEMPT_RT: a second softirq of the NAPI's CPU frees pages (no destroy)
    "rt": _cfg(preempt_rt=True, destroy=False, contexts=("softirq@0", "user@0")),
    # the same without PREEMPT_RT (softirqs of one CPU do not interleave)
    "nort": _cfg(destroy=False, contexts=("softirq@0", "user@0")),
}


class PP004Mainline(Mainline):
    """Mainline's page_pool_napi_local(), with the NAPI-reuse control step."""

    name = "pp004_mainline"
    State = SwapState
    configs = CONFIGS
    #: the main job checks "reuse"; "rt" and "nort" are recorded in seeds_manifest.json (on
    #: PREEMPT_RT the direct_recycling witness is vacuous by design: the cache is never used
    #: by a remote free)
    default_configs = ("reuse",)
    default = True
    #: these configurations take no stack page references (seed 004 is about the cache)
    release_for_extra_page_ref = None

    def alloc_ok(self, s, c: int, dest: Any) -> None:
        """After the swap the NAPI allocates from the new pool (not modelled)."""
        require(~s.swapped)
        super().alloc_ok(s, c, dest)

    def unlink_on_reuse(self, s) -> None:
        """``page_pool_unlink_napi()`` before the NAPI is enabled for the new pool."""
        s.pool.napi_linked = False

    @action(c="ctxs", who="c")
    def napi_swap_pool(self, s, c):
        """Ring reconfiguration: the disabled NAPI gets a new pool and is enabled again;
        the old pool is destroyed next (control continues with page_pool_destroy)."""
        ctx = s.ctxs[c]
        require(const(bool(self.cfg.destroy) and self.is_role(c, Role.CONTROL)))
        require((ctx.pc == PC.READY) & (ctx.stage == Stage.DESTROY) & ~s.swapped
                & self.can_run(s, c))
        self.unlink_on_reuse(s)
        s.swapped = True
        s.napi.enabled = True

    @always
    def alloc_cache_single_owner(self, s):
        """At most one context touches *this* pool's alloc cache: its NAPI poll (until the
        NAPI moved to a new pool) or a context in page_pool_recycle_in_cache()."""
        return count((c.in_poll & ~s.swapped) | (c.pc == PC.CACHE_PUSH) for c in s.ctxs) <= 1


class PP004FirstMerged(PP004Mainline):
    """8c48eea3 as merged: caller's napi_safe and list_owner, nothing else."""

    name = "pp004_first_merged"
    default = False

    def napi_local(self, s, c: int) -> Expr:
        """``napi_safe && napi && READ_ONCE(napi->list_owner) == smp_processor_id()``;
        ``napi_safe`` is true for the softirq free path (napi_consume_skb)."""
        me = self.spec(c)
        if me.kind != Kind.SOFTIRQ:
            return const(False)
        self.touch(s)
        return s.pool.napi_linked & (s.napi.owner == me.cpu)

    def unlink_on_reuse(self, s) -> None:
        """No page_pool_unlink_napi() yet."""

    @action(c="ctxs", who="c")
    def page_pool_destroy(self, s, c):
        """page_pool_destroy() of 8c48eea3adf3 alone (net-next, April 2023: dd64b232deb8 followed a
        week later, before v6.4): ``page_pool_put()``, no unlink from the NAPI."""
        self.ctl_ok(s, c, Stage.DESTROY)
        self.touch(s)
        s.pool.user_cnt = 0
        s.ctxs[c].stage = Stage.FREE_FRAG


class PP004NoUnlink(PP004Mainline):
    """Mainline without the unlink (destroy and reuse leave ``pool->p.napi`` set)."""

    name = "pp004_no_unlink"
    default = False

    def unlink_on_reuse(self, s) -> None:
        """No page_pool_unlink_napi()."""

    @action(c="ctxs", who="c")
    def page_pool_destroy(self, s, c):
        """``cpuid = -1`` only; ``p.napi`` stays."""
        self.ctl_ok(s, c, Stage.DESTROY)
        self.touch(s)
        s.pool.user_cnt = 0
        s.pool.cpuid = -1
        s.ctxs[c].stage = Stage.FREE_FRAG


class PP004NoRtCheck(PP004Mainline):
    """Mainline without the PREEMPT_RT test in page_pool_napi_local()."""

    name = "pp004_no_rt_check"
    default = False

    def napi_local(self, s, c: int) -> Expr:
        from ppcheck.models.pagepool import in_softirq

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

MODELS = [PP004Mainline, PP004FirstMerged, PP004NoUnlink, PP004NoRtCheck]
