"""Strengthening invariants (@lemma) for the Z3 k-induction proofs (docs/z3.md, "Lemmas")."""

from __future__ import annotations

from ppcheck.models.pagepool import (
    PC,
    After,
    Kind,
    Loc,
    Role,
    Stage,
    destroy_started,
    in_softirq,
    in_unref,
    skb_pp_refs,
    skb_refs,
)
from ppcheck.spec import (
    Ref,
    all_,
    any_,
    count,
    implies,
    ite,
    lemma,
    sum_,
)

from .base import TRUE, MainlineBase
from .state import BulkPC, BulkStage, MemModel, NapiHolder

#: program counters of a context that owns a page whose last pp reference it dropped
#: (page_pool_put_unrefed_netmem() up to page_pool_return_netmem()'s put_page())
OWNS_PCS = (PC.NAPI_LOCAL, PC.NAPI_LOCAL_NAPI, PC.NAPI_LOCAL_OWNER, PC.PUT_PAGE, PC.CACHE_PUSH,
            PC.CACHE_STORE, PC.RING_LOCK, PC.RING_PRODUCE, PC.RING_UNLOCK_FULL, PC.RETURN,
            PC.RETURN_RELEASE, PC.RETURN_PUT)
#: ... on page_pool_put_netmem()'s recycling path (``after`` is After.PUT)
PUT_PCS = (PC.NAPI_LOCAL, PC.NAPI_LOCAL_NAPI, PC.NAPI_LOCAL_OWNER, PC.PUT_PAGE, PC.CACHE_PUSH,
           PC.CACHE_STORE, PC.RING_LOCK, PC.RING_PRODUCE, PC.RING_UNLOCK, PC.RING_UNLOCK_FULL)
#: past __page_pool_page_can_be_recycled(): into alloc.cache or the ptr_ring
RECYCLING_PCS = (PC.CACHE_PUSH, PC.CACHE_STORE, PC.RING_LOCK, PC.RING_PRODUCE, PC.RING_UNLOCK_FULL)
#: inside an allocation of the NAPI poll: __page_pool_get_cached()'s pop, the refill
ALLOC_PCS = (PC.CACHE_POP, PC.REFILL, PC.REFILL_POP)
#: skb_data_unref() of a cloned skb (skb.py): the atomic_read() of dataref, the atomic_sub_return()
DATAREF_PCS = (PC.DATAREF_READ, PC.DATAREF_SUB)


def in_pcs(c, pcs: tuple[PC, ...]):
    """Context ``c``'s program counter is one of ``pcs``."""
    return any_(c.pc == pc for pc in pcs)


class MainlineLemmas(MainlineBase):
    """Strengthening invariants (@lemma) for the Z3 k-induction proofs (docs/z3.md, "Lemmas")."""

    # -- lemmas for the Z3 proofs ---------------------------------------------------------------
    # Strengthening invariants (``@lemma``): facts about every reachable state that k-induction
    # needs to rule out unreachable starting states of its induction step.  The explorer checks
    # each one like any invariant (docs/z3.md, "Lemmas").

    @lemma
    def lemma_buddy_page_is_free(self, s):
        """A page in the buddy allocator is an ordinary free page: _refcount 0, pp_ref_count 0,
        no pp_magic, not DMA mapped, slot 0, nobody holds it (no user, no context's local, no
        skb frag); and a page with _refcount 0 is in the buddy allocator (a net_iov has no
        _refcount: it is free when its binding has it back)."""
        conds = []
        for i, p in enumerate(s.pages):
            free = ((p.refcnt == 0) & (p.pp_ref == 0) & ~p.magic & ~p.mapped & (p.slot == 0)
                    & (p.pp_holders == 0) & (p.page_holders == 0) & (skb_refs(s, i) == 0)
                    & all_(c.page != i for c in s.ctxs))
            conds.append(implies(p.loc == Loc.BUDDY, free))
            conds.append(implies(~p.niov, (p.refcnt == 0) == (p.loc == Loc.BUDDY)))
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
        set; unmapped once past the DMA release); in page_pool_return_netmem()'s put_page() the
        page is no longer the pool's; after a successful __ptr_ring_produce() it holds nothing.
        A net_iov never reaches the release count or that put_page(): ``mp_ops->release_netmem()``
        returned false.  Inside an allocation (the cache pop, the refill) it holds no freed
        page; only an allocation keeps ``alloc_frag`` and only an allocation or the cache store
        keeps the ``alloc.count`` it read (``cache_idx``)."""
        conds = []
        for c in s.ctxs:
            idle = (c.page == Ref.NONE) & (c.nr == 0) & (c.after == After.NONE) & ~c.direct
            conds.append(implies(c.pc == PC.READY, idle & (c.cache_idx == 0) & ~c.alloc_frag))
            conds.append(implies(in_pcs(c, ALLOC_PCS), idle))
            conds.append(implies(c.pc == PC.RING_UNLOCK, c.page == Ref.NONE))
            unref = (c.pc == PC.UNREF_READ) | (c.pc == PC.UNREF_SUB)
            conds.append(implies(unref, (c.page != Ref.NONE) & (c.nr >= 1) & (c.after != After.NONE)))
            owns = in_pcs(c, OWNS_PCS)
            conds.append(implies(owns, c.page != Ref.NONE))
            put_path = in_pcs(c, PUT_PCS)
            conds.append(implies(put_path, c.after == After.PUT))
            conds.append(implies((c.pc == PC.CACHE_PUSH) | (c.pc == PC.CACHE_STORE), c.direct))
            conds.append(implies(~in_pcs(c, ALLOC_PCS), ~c.alloc_frag))
            conds.append(implies(~in_pcs(c, ALLOC_PCS) & (c.pc != PC.CACHE_STORE), c.cache_idx == 0))
            recycling = in_pcs(c, RECYCLING_PCS)
            for i, p in enumerate(s.pages):
                here = c.page == i
                conds.append(implies(here & unref, p.magic))
                conds.append(implies(here & owns, p.loc == Loc.CTX))
                conds.append(implies(here & owns & (c.pc != PC.RETURN_PUT), p.magic))
                conds.append(implies(here & (c.pc == PC.RETURN_PUT), ~p.magic & ~p.mapped & (p.pp_ref == 0)
                                     & ~p.niov))
                conds.append(implies(here & (c.pc == PC.RETURN_RELEASE), ~p.mapped & ~p.niov))
                conds.append(implies(here & unref, (p.loc == Loc.USERS) | (p.loc == Loc.FRAG)))
                conds.append(implies(here & unref & (c.after == After.DRAIN),
                                     (p.loc == Loc.FRAG) & (s.pool.frag_page == i)))
                conds.append(implies(here & owns & (c.pc != PC.RETURN_PUT),
                                     (p.pp_holders == 0) & (skb_pp_refs(s, i) == 0)
                                     & (in_unref(s, i) == 0) & (p.pp_ref == 1)))
                conds.append(implies(here & recycling, (p.refcnt == ite(p.niov, 0, 1)) & (p.page_holders == 0)
                                     & (skb_refs(s, i) == 0)))
        return all_(conds)

    @lemma
    def lemma_producer_lock_holder(self, s):
        """``ring.producer_lock`` is held by exactly the context between
        page_pool_producer_lock() and page_pool_producer_unlock(), or by the control/worker
        context inside page_pool_release()'s lock/unlock, or by a bulk free from its lock to its
        unlock (:meth:`lock_holder`)."""
        conds = []
        for i, c in enumerate(s.ctxs):
            holds = ((c.pc == PC.RING_PRODUCE) | (c.pc == PC.RING_UNLOCK)
                     | (c.pc == PC.RING_UNLOCK_FULL) | (c.stage == Stage.UNLOCK)
                     | self.lock_holder(s, i))
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
            conds.append((c.pc == PC.READY) | (c.pc == PC.RETURN_PUT) | in_pcs(c, DATAREF_PCS))
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
                conds.append(c.stage != Stage.SCRUB_DMA)
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
        (PREEMPT_RT, process context) only the NAPI's own XDP_DROP recycles directly, and its
        reads of ``p.napi`` and ``list_owner`` are never reached; a context between those reads
        has no allow_direct yet and found ``cpuid`` not its CPU.
        Once napi_disable() has waited for the poll and until the NAPI is re-enabled (only
        with ``reconfig``: napi_enable() for a new pool), the NAPI is not scheduled."""
        conds = []
        for i, c in enumerate(s.ctxs):
            busy = c.pc != PC.READY
            if self.is_role(i, Role.CONTROL):
                conds.append(implies(c.direct & busy, (c.stage == Stage.RX_CLEAN) & (s.pool.user_cnt >= 1)))
                off = ((c.stage != Stage.IDLE) & (c.stage != Stage.NAPI_DISABLE)
                       & (c.stage != Stage.UNBIND) & (c.stage != Stage.DONE))
                conds.append(implies(off, self.napi_sched_clear(s) & ~s.napi.enabled))
                conds.append(implies(c.stage != Stage.IDLE, ~s.napi.enabled | (c.stage == Stage.UNBIND)
                                     | (c.stage == Stage.DONE)))
                if not self.cfg.reconfig:  # nobody re-enables the NAPI after napi_disable()
                    conds.append(implies(c.stage != Stage.IDLE, ~s.napi.enabled))
                    conds.append(implies(off | (c.stage == Stage.UNBIND) | (c.stage == Stage.DONE),
                                         self.napi_sched_clear(s)))
            else:
                conds.append(implies(c.direct & busy, (s.pool.user_cnt >= 1)
                                     & (self.napi_polled_by(s, i) | (s.pool.cpuid == c.cpu))))
                sp = self.spec(i)
                no_napi_local = bool(self.cfg.preempt_rt) or not in_softirq(sp.kind)
                reading = (c.pc == PC.NAPI_LOCAL_NAPI) | (c.pc == PC.NAPI_LOCAL_OWNER)
                if no_napi_local:  # page_pool_napi_local() returned false before any read
                    conds.append(~reading)
                else:  # its reads past ``cpuid``: no allow_direct yet, and cpuid was not ours
                    conds.append(implies(reading, ~c.direct & (s.pool.cpuid != c.cpu)))
                    same_cpu_ctl = [d for d in self.specs if d.role == Role.CONTROL and d.cpu == sp.cpu]
                    if same_cpu_ctl and not self.cfg.preempt_rt:  # the control path waits for us
                        conds.append(implies(c.pc == PC.NAPI_LOCAL_OWNER,
                                             s.pool.napi_linked & (s.pool.user_cnt >= 1)))
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
            rel = ((c.stage == Stage.SCRUB_CACHE) | (c.stage == Stage.SCRUB_DMA)
                   | (c.stage == Stage.EMPTY_RING) | (c.stage == Stage.LOCK) | (c.stage == Stage.UNLOCK))
            conds.append(implies(rel, pool.user_cnt == 0))
            late = ((c.stage == Stage.SCRUB_DMA) | (c.stage == Stage.EMPTY_RING) | (c.stage == Stage.LOCK)
                    | (c.stage == Stage.UNLOCK))
            conds.append(implies(late, (pool.destroy_cnt == 1) & (pool.alloc_count == 0)
                                 & (pool.frag_page == Ref.NONE)))
            conds.append(implies(c.flag, (c.stage == Stage.LOCK) | (c.stage == Stage.UNLOCK)))
            if self.is_role(i, Role.CONTROL):
                before = ~((c.stage == Stage.UNBIND) | (c.stage == Stage.DONE))
                conds.append(implies(before, ~pool.deferred & ~pool.freed))
            else:  # scheduled by the first release: its own scrub is never the first
                conds.append(implies(c.stage != Stage.IDLE, pool.deferred & (pool.destroy_cnt == 1)))
            conds.append(implies(c.flag, (pool.ring_count == 0) & ~pool.freed
                                 & all_(~p.magic for p in s.pages)
                                 & all_((d.pc == PC.READY) | (d.pc == PC.RETURN_PUT)
                                        | (d.pc == PC.RING_UNLOCK) | in_pcs(d, DATAREF_PCS)
                                        for d in s.ctxs)))
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
        said yes, or a bulk free's page_pool_napi_local()) is the only consumer-side user of
        alloc.cache: no other context polls the NAPI (before destroy) or is about to push into
        the cache."""
        return count((c.in_poll & ~destroy_started(s))
                     | (c.direct & in_pcs(c, (PC.PUT_PAGE, PC.CACHE_PUSH, PC.CACHE_STORE)))
                     | ((c.bpc == BulkPC.PUT) & c.bdirect)
                     for c in s.ctxs) <= 1

    @lemma
    def lemma_refcnt_accounting(self, s):
        """_refcount counts the pool's own reference (pp_magic set, or page_pool_return_netmem()
        not yet past its put_page()), the stack users' get_page() references and the skb frags
        holding page (not pp) references (a net_iov has no _refcount)."""
        conds = []
        for i, p in enumerate(s.pages):
            pool_ref = p.magic | any_((c.page == i) & (c.pc == PC.RETURN_PUT) for c in s.ctxs)
            page_frags = sum_([count((sh.dataref > 0) & (sh.page == i) & ~sh.pp_kind for sh in s.shinfos),
                               count((sh.dataref > 0) & (sh.page2 == i) & ~sh.pp_kind2 for sh in s.shinfos),
                               count((sh.dataref > 0) & (sh.head == i) & ~sh.head_pp for sh in s.shinfos)])
            conds.append(implies(~p.niov, p.refcnt == sum_([ite(pool_ref, 1, 0), p.page_holders,
                                                             page_frags])))
        return all_(conds)

    @lemma
    def lemma_destroyed_pool(self, s):
        """After page_pool_destroy() (user_cnt 0): direct recycling is disabled (cpuid -1, no
        linked NAPI), the RX ring was emptied and nothing allocates, so no page is posted to
        the RX ring; once page_pool_scrub() ran (destroy_cnt 1) alloc.cache is empty.  Where the
        driver never destroys the pool, its users, ``cpuid`` and ``p.napi`` stay as created."""
        pool = s.pool
        gone = pool.user_cnt == 0
        conds = [implies(gone, (pool.cpuid == -1) & ~pool.napi_linked
                         & all_(p.loc != Loc.RX for p in s.pages)),
                 implies(pool.destroy_cnt == 1, gone & (pool.alloc_count == 0))]
        if not self.cfg.destroy:  # nobody calls page_pool_destroy(): the pool stays as created
            conds.append(~gone & (pool.cpuid == int(self.cfg.pool_cpuid))
                         & (pool.napi_linked == bool(self.cfg.napi_linked)))
        return all_(conds)

    @lemma
    def lemma_destroy_stage(self, s):
        """page_pool_destroy()'s page_pool_put() has run (user_cnt 0) exactly when the control
        path is past its DESTROY stage; by then the driver emptied its RX ring.  Once the first
        page_pool_scrub() ran (destroy_cnt 1), PP_FLAG_DMA_SYNC_DEV is clear, and once its
        unmap after synchronize_net() ran no page is DMA mapped; the driver unbinds the device
        only after that."""
        conds = []
        pool = s.pool
        for i, c in enumerate(s.ctxs):
            if not self.is_role(i, Role.CONTROL):
                continue
            early = ((c.stage == Stage.IDLE) | (c.stage == Stage.NAPI_DISABLE)
                     | (c.stage == Stage.RX_CLEAN) | (c.stage == Stage.DESTROY))
            conds.append((pool.user_cnt >= 1) == early)
            conds.append(implies(~early | (c.stage == Stage.DESTROY),
                                 all_(p.loc != Loc.RX for p in s.pages)))
            conds.append(implies(~s.dev.bound, c.stage == Stage.DONE))
            scrubbed = ((c.stage == Stage.SCRUB_DMA) | (c.stage == Stage.EMPTY_RING) | (c.stage == Stage.LOCK)
                        | (c.stage == Stage.UNLOCK) | (c.stage == Stage.UNBIND) | (c.stage == Stage.DONE))
            conds.append(implies(scrubbed, pool.destroy_cnt == 1))
        # between page_pool_scrub()'s dma_sync store and its unmap (synchronize_net()) pages
        # may still be mapped
        unmapping = any_(c.stage == Stage.SCRUB_DMA for i, c in enumerate(s.ctxs)
                         if self.is_role(i, Role.CONTROL))
        conds.append(implies(pool.destroy_cnt == 1, ~pool.dma_sync))
        conds.append(implies((pool.destroy_cnt == 1) & ~unmapping, all_(~p.mapped for p in s.pages)))
        conds.append(implies(~s.dev.bound, (pool.destroy_cnt == 1) & (pool.user_cnt == 0)))
        return all_(conds)

    @lemma
    def lemma_rx_page_exclusive(self, s):
        """A page posted to the driver's RX ring belongs to the pool alone: _refcount 1,
        pp_ref_count 1, pp_magic set, no holder, no context, no skb frag (a net_iov: no
        _refcount)."""
        return all_(implies(p.loc == Loc.RX,
                            (p.refcnt == ite(p.niov, 0, 1)) & (p.pp_ref == 1) & p.magic & (p.pp_holders == 0)
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
                past = ((c.stage == Stage.SCRUB_CACHE) | (c.stage == Stage.SCRUB_DMA)
                        | (c.stage == Stage.EMPTY_RING)
                        | (c.stage == Stage.LOCK) | (c.stage == Stage.UNLOCK)
                        | (c.stage == Stage.UNBIND) | (c.stage == Stage.DONE))
                conds.append(implies(past, pool.frag_page == Ref.NONE))
        return all_(conds)

    @lemma
    def lemma_skb_records(self, s):
        """The skb records agree: a live skb points to a shared info with ``dataref`` >= 1, a
        freed one to none; ``dataref`` counts the live skbs sharing it plus the context inside
        its skb_release_data(): those still inside skb_data_unref() of a freed clone, and the
        one releasing the frags (only once no live skb and no other context uses it); an skb
        that is not cloned is its shared info's only user; a free shared info has no frags; a
        frag holds a pp reference exactly when the skbs using it are marked for recycling and
        the page carries pp_magic (what napi_pp_put_page() will test).  A context inside
        skb_data_unref() has a shared info and none of the free path's locals."""
        conds = []
        for i, c in enumerate(s.ctxs):
            conds.append(implies(c.sh == Ref.NONE, ~c.recycle))
            unref = in_pcs(c, DATAREF_PCS)
            conds.append(implies(unref, (c.sh != Ref.NONE) & (c.page == Ref.NONE) & (c.nr == 0)
                                 & (c.after == After.NONE) & ~c.direct & (c.cache_idx == 0)
                                 & ~c.alloc_frag))
            if self.is_role(i, Role.CONTROL, Role.WORKER):
                conds.append(c.sh == Ref.NONE)
            for j in range(len(s.shinfos)):
                releasing = (c.sh == j) & ~unref
                conds.append(implies(releasing, all_(~(k.live & (k.sh == j)) for k in s.skbs)
                                     & (count(d.sh == j for d in s.ctxs) == 1)))
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
            conds.append(implies(sh.page == Ref.NONE, ~sh.pp_kind))
            conds.append(implies(sh.page2 == Ref.NONE, ~sh.pp_kind2))
            conds.append(implies(sh.head == Ref.NONE, ~sh.head_pp))
            conds.append(implies(sh.dataref == 0, (sh.page == Ref.NONE) & (sh.page2 == Ref.NONE)
                                 & (sh.head == Ref.NONE)))
            for i, p in enumerate(s.pages):
                for slot, kind in ((sh.page, sh.pp_kind), (sh.page2, sh.pp_kind2), (sh.head, sh.head_pp)):
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
        return all_(implies(c.in_poll, self.napi_polled_by(s, i)) for i, c in enumerate(s.ctxs))

    @lemma
    def lemma_pool_paths_off(self, s):
        """The fields of a pool path the configuration turns off keep their initial values:
        without a memory provider no netmem is a net_iov (with one, every netmem is: a pool
        has ``mp_ops`` or not, page_pool_init(), and a net_iov has no _refcount, no DMA
        mapping of its own and no get_page() references); without pfmemalloc pages none is
        page_is_pfmemalloc(), and with them a pfmemalloc page is one the pool allocated
        (put_page() to the buddy allocator clears it); without a bulk free no page is in a
        bulk and no context is in page_pool_put_page_bulk(), with one only ``bulk_ctx`` is;
        without the XDP memory model ``user_cnt`` is the driver's alone and nothing was
        registered; without page_pool_update_nid() the node never changed."""
        cfg = self.cfg
        conds = []
        mp = bool(getattr(cfg, "mp", False))
        bulk = int(getattr(cfg, "bulk", 0))
        for p in s.pages:
            conds.append(p.niov if mp else ~p.niov)
            if mp:  # no struct page: no _refcount, no per-page DMA mapping, no get_page()
                conds.append((p.refcnt == 0) & (p.page_holders == 0) & ~p.mapped)
            if not bool(getattr(cfg, "pfmemalloc", False)):
                conds.append(~p.pfmemalloc)
            else:
                conds.append(implies(p.pfmemalloc, p.loc != Loc.BUDDY))
            if not bulk:
                conds.append(p.bulk == BulkStage.NONE)
        for i, c in enumerate(s.ctxs):
            if not bulk or i != int(getattr(cfg, "bulk_ctx", -1)):
                conds.append((c.bpc == BulkPC.IDLE) & ~c.bdirect)
        if not bool(getattr(cfg, "xdp_mem", False)):
            conds.append((s.pool.mem_model == MemModel.NONE) & (s.pool.user_cnt <= 1))
        if not bool(getattr(cfg, "numa", False)):
            conds.append(~s.pool.nid_changed)
        return all_(conds)

    @lemma
    def lemma_skb_head_off(self, s):
        """Without the skb-head path (``skb_paths`` without ``head``) no skb's head lives in a
        page: napi_build_skb() is never called around a pool page, so no shared info has a
        page head for skb_try_coalesce() or skb_gro_receive() to steal."""
        if "head" in tuple(getattr(self.cfg, "skb_paths", ())):
            return TRUE
        return all_((sh.head == Ref.NONE) & ~sh.head_pp for sh in s.shinfos)

    @lemma
    def lemma_pfmemalloc_not_recycling(self, s):
        """A context past __page_pool_put_page()'s recyclable check (about to push into
        alloc.cache or produce into the ptr_ring) does not hold a pfmemalloc page:
        __page_pool_page_can_be_recycled() sent that one to page_pool_return_netmem()."""
        if not bool(getattr(self.cfg, "pfmemalloc", False)):
            return TRUE
        return all_(implies((c.page == i) & in_pcs(c, RECYCLING_PCS), ~p.pfmemalloc)
                    for c in s.ctxs for i, p in enumerate(s.pages))

    @lemma
    def lemma_napi_owner_cpus(self, s):
        """The NAPI is scheduled (``list_owner``) only on a CPU its consumer polls on: the
        consumer of a per-CPU pool runs on ``pool->cpuid`` only (page_pool_create_percpu(),
        this_cpu_read(system_page_pool)), so napi_schedule() never names another CPU."""
        cpuid = int(self.cfg.pool_cpuid)
        if cpuid < 0:
            return TRUE
        return (s.napi.owner == -1) | (s.napi.owner == cpuid)

    @lemma
    def lemma_no_pp_holders_with_skbs(self, s):
        """With the skb path on (and no frag allocator, bulk free or memory provider) every pp
        reference outside the pool is an skb frag's or head's: the poll hands RX pages up only
        through napi_build_skb(), so no page has a non-skb pp holder (``pp_holders``)."""
        cfg = self.cfg
        if (int(cfg.skbs) == 0 or bool(cfg.frag) or int(getattr(cfg, "bulk", 0))
                or bool(getattr(cfg, "mp", False))):
            return TRUE
        return all_(p.pp_holders == 0 for p in s.pages)

    @lemma
    def lemma_bulk_stages(self, s):
        """The bulk free's program counter matches its pages (xdp_return_frame_bulk() ->
        xdp_flush_frame_bulk() -> page_pool_put_page_bulk()): idle, nothing is in a bulk;
        collecting, only queued frames (at least one); in the per-page loop, one page at a time
        past page_pool_is_last_ref() and none refused by the ring yet; under the producer lock,
        only pages approved for the ring or already produced; after the unlock, only pages the
        full ring refused.  From the flush on the context is inside page_pool_put_page_bulk()
        (no other free path); its ``allow_direct`` came from page_pool_napi_local(), so it runs
        where the NAPI is scheduled or on ``pool->cpuid``, before page_pool_destroy()."""
        bulk = int(getattr(self.cfg, "bulk", 0))
        if not bulk:
            return TRUE
        c = s.ctxs[int(self.cfg.bulk_ctx)]
        n = {st: count(p.bulk == st for p in s.pages) for st in BulkStage}
        busy = n[BulkStage.QUEUED] + n[BulkStage.UNREF_SUB] + n[BulkStage.LAST]
        conds = [
            implies(c.bpc == BulkPC.IDLE, ~c.bdirect & all_(p.bulk == BulkStage.NONE for p in s.pages)),
            implies(c.bpc == BulkPC.QUEUE, ~c.bdirect & (n[BulkStage.QUEUED] >= 1)
                    & (n[BulkStage.QUEUED] == busy + n[BulkStage.RING] + n[BulkStage.RETURN])),
            implies(c.bpc == BulkPC.PUT, (n[BulkStage.RETURN] == 0)
                    & (n[BulkStage.UNREF_SUB] + n[BulkStage.LAST] <= 1)),
            implies(c.bpc == BulkPC.PRODUCE, (busy == 0) & (n[BulkStage.RETURN] == 0)
                    & (n[BulkStage.RING] >= 1)),
            implies(c.bpc == BulkPC.UNLOCK, (busy == 0) & (n[BulkStage.RING] == 0)),
            implies(c.bpc == BulkPC.RETURN, (busy == 0) & (n[BulkStage.RING] == 0)
                    & (n[BulkStage.RETURN] >= 1)),
            implies(c.bpc >= BulkPC.PUT, c.pc == PC.READY),
            implies(c.bdirect, (s.pool.user_cnt >= 1)
                    & ((s.napi.owner == c.cpu) | (s.pool.cpuid == c.cpu))),
        ]
        return all_(conds)

    @lemma
    def lemma_napi_pollers(self, s):
        """The threaded NAPI and the busy poller (models/mainline/threaded.py): the kthread is
        one task, so at most one of its ``thread@`` contexts is inside a poll, and it never sets
        ``list_owner`` (____napi_schedule()'s threaded branch); while the kthread or a busy
        poller holds NAPI_STATE_SCHED the NAPI is on no poll list (``list_owner`` -1); and both
        free pages only inside the driver's poll (their BH-disabled sections)."""
        kinds = [str(x).split("@")[0] for x in getattr(self.cfg, "contexts", ())]
        threads = [i for i, k in enumerate(kinds) if k == "thread"]
        pollers = [i for i, k in enumerate(kinds) if k in ("thread", "busy")]
        if not pollers:
            return TRUE
        conds = [implies(s.napi_sched[0].holder != NapiHolder.LIST, s.napi.owner == -1)]
        if threads:
            conds.append(s.napi.owner == -1)
            conds.append(count(s.ctxs[i].in_poll for i in threads) <= 1)
        for i in pollers:
            conds.append(implies(s.ctxs[i].pc != PC.READY, s.ctxs[i].in_poll))
        return all_(conds)

    @lemma
    def lemma_cache_access(self, s):
        """A context inside an alloc.cache access still sees the ``alloc.count`` it read
        (``cache_idx``): nobody else touches the lockless cache meanwhile (the consumer is the
        NAPI poll, a direct recycler runs where the consumer cannot).  The store of
        page_pool_recycle_in_cache() found room; __page_pool_get_cached()'s pop found a page;
        page_pool_refill_alloc_cache() consumes while the ring has pages and the cache is
        below PP_ALLOC_CACHE_REFILL.  An allocation runs in the NAPI poll before
        page_pool_destroy(); one for a new frag page runs while there is none."""
        refill = min(int(self.cfg.refill), int(self.cfg.cache_size))
        pool = s.pool
        conds = []
        for i, c in enumerate(s.ctxs):
            conds.append(implies(c.pc == PC.CACHE_STORE, (c.cache_idx == pool.alloc_count)
                                 & (pool.alloc_count < self.cfg.cache_size)))
            conds.append(implies((c.pc == PC.CACHE_POP) | (c.pc == PC.REFILL_POP),
                                 (c.cache_idx == pool.alloc_count) & (pool.alloc_count >= 1)))
            conds.append(implies(c.pc == PC.REFILL, (c.cache_idx == pool.alloc_count)
                                 & (pool.alloc_count < refill) & (pool.ring_count >= 1)))
            alloc = in_pcs(c, ALLOC_PCS)
            if self.is_role(i, Role.NAPI):
                conds.append(implies(alloc, c.in_poll & (pool.user_cnt >= 1)))
            else:
                conds.append(~alloc)
            conds.append(implies(c.alloc_frag, pool.frag_page == Ref.NONE))
        return all_(conds)
