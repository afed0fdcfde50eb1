"""Properties of the mainline model beyond the shared page_pool invariants."""

from __future__ import annotations

from ppcheck.models.pagepool import (
    PC,
    After,
    AllocStat,
    Loc,
    Ref,
    Role,
    Stage,
    destroy_started,
    inflight,
    referenced,
    skb_pp_refs,
)
from ppcheck.spec import (
    all_,
    always,
    any_,
    count,
    implies,
    ite,
    leads_to,
    sometimes,
    sum_,
    transition,
)
from ppcheck.spec.expr import const

from .base import TRUE, MainlineBase
from .lemmas import MainlineLemmas

FALSE = const(False)

#: page_pool_put_unrefed_netmem() to page_pool_return_netmem(): a context owns a page whose
#: last pp reference it dropped
#: (after a successful __ptr_ring_produce() the context holds no page: the page is back)
PUT_PATH = (PC.NAPI_LOCAL, PC.NAPI_LOCAL_NAPI, PC.NAPI_LOCAL_OWNER, PC.PUT_PAGE, PC.CACHE_PUSH,
            PC.CACHE_STORE, PC.RING_LOCK, PC.RING_PRODUCE, PC.RING_UNLOCK_FULL, PC.RETURN,
            PC.RETURN_RELEASE, PC.RETURN_PUT)

#: the fields of a context's record that the configuration fixes (not locals a step changes)
FIXED_CTX_FIELDS = ("cpu", "kind", "role")


class MainlineProperties(MainlineBase):
    """Properties of the mainline model beyond the shared page_pool invariants."""

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

    @leads_to(fairness="strong action", applies=lambda c: getattr(c, "liveness", False))
    def release_worker_stops(self, s):
        """Once the release worker is scheduled, it eventually stops rescheduling itself: it
        freed the pool, or page_pool_release_retry() gave up on a negative inflight count
        (after page_pool_inflight()'s WARN).  Apart from destroy_completes: a worker that
        spins for ever and a pool that leaks with a worker that gave up are different bugs
        (a worker re-arming on negative inflight never stops; a page returned twice stops the
        worker but the pool is never freed).  Same fairness as destroy_completes."""
        workers = [s.ctxs[sp.index] for sp in self.specs if sp.role == Role.WORKER]
        if not workers:
            return FALSE, TRUE
        return (any_((w.stage != Stage.IDLE) & (w.stage != Stage.DONE) for w in workers),
                all_(w.stage == Stage.DONE for w in workers))

    @leads_to(fairness="strong action", applies=lambda c: getattr(c, "liveness", False))
    def pool_freed_once_pages_returned(self, s):
        """Once page_pool_destroy() has run and every page has come back (none carries
        pp_magic: inflight is 0), the pool is eventually freed: page_pool_release(), or the
        release worker's next page_pool_release_retry(), reads inflight 0 and calls
        __page_pool_destroy().  Unlike destroy_completes it does not depend on the users
        returning their pages: only on the release path itself."""
        return destroy_started(s) & all_(~p.magic for p in s.pages), s.pool.freed

    @leads_to(fairness="strong who", applies=lambda c: getattr(c, "liveness", False))
    def dropped_page_returns(self, s):
        """A page whose last pp reference was dropped (a context owns it on the put path, from
        page_pool_put_unrefed_netmem() to page_pool_return_netmem()'s put_page()) eventually
        is back: in alloc.cache, in the ptr_ring, or released to the page allocator, and the
        context has left the put path.  Stated over every context at once (no context on the
        put path), which is per page in a one-page scope (``frag``); with more pages two
        overlapping puts could keep it false for ever.  Strong fairness per context: a context
        waiting for the producer lock gets it if the lock is free again and again (per action
        would let another context's steps of the same function starve it)."""
        on_path = [any_(c.pc == pc for pc in PUT_PATH) for c in s.ctxs]
        return any_(on_path), all_(~x for x in on_path)

    @leads_to(fairness="strong action",
              applies=lambda c: getattr(c, "liveness", False) and not getattr(c, "destroy", True))
    def recycled_page_reallocated(self, s):
        """A page recycled into alloc.cache or the ptr_ring is eventually allocated again
        (alloc_stats.fast or .refill) while the NAPI keeps polling: the recycling is of use to
        the driver.  Checked where the pool is never destroyed (``percpu``: page_pool_destroy()
        would take the page back instead); with several pages it says that some recycled page
        is reused, not which."""
        return (any_((p.loc == Loc.CACHE) | (p.loc == Loc.RING) for p in s.pages),
                (s.pool.alloc_stat == AllocStat.FAST) | (s.pool.alloc_stat == AllocStat.REFILL))

    @sometimes
    def counters_wrapped(self, s):
        """``pages_state_hold_cnt`` wrapped around below ``pages_state_release_cnt``: inflight is
        only right in serial arithmetic (the kernel's ``_distance()``, valid below 2^31)."""
        return s.pool.hold < s.pool.release

    @always
    def no_leaked_page(self, s):
        """Every page the pool still counts in flight is somewhere it will come back from: held
        by a user, a context (or its bulk free), an skb, the RX ring or the frag allocator, or
        waiting in the cache or ring, and never in alloc.cache once the first page_pool_scrub()
        emptied it (nobody drains the cache again: the page would keep inflight above 0 for ever
        and the pool would never be freed, seed 000's "FIXME-mem-leak").  The safety half of
        "every page eventually returns"."""
        conds = []
        for i, p in enumerate(s.pages):
            somewhere = ((p.loc == Loc.RX) | (p.loc == Loc.CTX) | (p.loc == Loc.CACHE)
                         | (p.loc == Loc.RING) | (p.loc == Loc.FRAG) | (p.loc == Loc.BULK)
                         | referenced(s, i))
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

    # -- proposed by the mutation run (docs/mutation-mainline.md): kernel truths that only a
    # proof lemma stated before, each killing mutants no other kernel property notices ----------
    @always
    def buddy_page_is_free(self, s):
        """A page in the page allocator is an ordinary free page (_refcount 0, no pp_magic, not
        DMA mapped), and a page whose _refcount reached 0 is in the page allocator.
        page_pool_return_netmem() unmaps the page (page_pool_release_dma()/
        __page_pool_release_page_dma()) and clears pp_magic (page_pool_clear_pp_info()) before
        put_page(); put_page() -> folio_put() -> __folio_put() (include/linux/mm.h) frees the
        page when _refcount drops to 0, and only then.  A page freed while still mapped is
        memory the device may DMA into after the allocator gave it to someone else.  A net_iov
        of a memory provider (devmem) has no struct page and no _refcount: not stated for it."""
        return all_(implies(~p.niov, implies(p.loc == Loc.BUDDY, (p.refcnt == 0) & ~p.magic
                                             & ~p.mapped)
                            & ((p.refcnt == 0) == (p.loc == Loc.BUDDY)))
                    for p in s.pages)

    @always
    def frag_offset_counts_users(self, s):
        """page_pool_alloc_frag_netmem() (net/core/page_pool.c) hands each frag user its own
        region of the frag page: a new frag page starts with ``frag_users = 1`` and
        ``frag_offset = size``, every further frag does ``frag_users++`` and advances
        ``frag_offset`` by one frag.  So while there is a frag page the offset counts its
        users (one frag unit each here) and is at least 1; page_pool_drain_frag() later drops
        ``BIAS_MAX - frag_users``, which is only the unused bias if ``frag_users`` counts every
        frag handed out."""
        pool = s.pool
        return implies(pool.frag_page != Ref.NONE,
                       (pool.frag_users == pool.frag_offset) & (pool.frag_users >= 1))

    @always
    def producer_lock_held_inside(self, s):
        """``ring.producer_lock`` (spin_lock()/spin_lock_bh(), include/linux/ptr_ring.h) is
        held by exactly the context between page_pool_producer_lock() and
        page_pool_producer_unlock() (page_pool_recycle_in_ring()), inside page_pool_release()'s
        lock/unlock barrier, or inside page_pool_put_netmem_bulk()'s one lock hold for the
        batch: a spinlock is released only by its holder, and a holder does not leave the
        critical section without releasing it."""
        conds = []
        for i, c in enumerate(s.ctxs):
            holds = ((c.pc == PC.RING_PRODUCE) | (c.pc == PC.RING_UNLOCK)
                     | (c.pc == PC.RING_UNLOCK_FULL) | (c.stage == Stage.UNLOCK)
                     | self.lock_holder(s, i))
            conds.append((s.pool.ring_lock == i) == holds)
        return all_(conds)

    # -- added after the mutation run of issue 14 (docs/mutation-mainline.md, "The fate of
    # every survivor"): each kills mutants that no property above notices -------------------
    @always
    def buddy_page_not_pfmemalloc(self, s):
        """A page in the page allocator does not read as page_is_pfmemalloc().  The mark is
        bit 1 of ``page->lru.next`` (include/linux/mm.h), which the allocator writes for every
        page it hands out (prep_new_page(): set_page_pfmemalloc() when the allocation dipped
        into the reserves with ALLOC_NO_WATERMARKS, clear_page_pfmemalloc() otherwise); on the
        free lists ``lru`` links the page, an aligned pointer.  So only a page the pool got
        from the allocator can be pfmemalloc, and __page_pool_page_can_be_recycled() (never a
        pfmemalloc page) decides on the mark of that allocation, not on a stale one.  A
        net_iov has no struct page: not stated for it."""
        return all_(implies(~p.niov & (p.loc == Loc.BUDDY), ~p.pfmemalloc) for p in s.pages)

    @always
    def free_path_holds_its_netmem(self, s):
        """A context inside page_pool_unref_netmem(netmem, nr) holds ``nr >= 1`` pp references
        to a netmem, and one from page_pool_put_unrefed_netmem() up to page_pool_return_netmem()
        owns the netmem it works on (net/core/page_pool.c): each of these functions takes the
        netmem as its argument and dereferences it (netmem_to_page(), the pp_ref_count
        atomic), and the caller passes the reference(s) it holds (page_pool_put_netmem(): 1;
        page_pool_drain_frag()/page_pool_free_frag(): ``BIAS_MAX - frag_users``).  A context
        at one of these steps with no netmem is a call on nothing: it would never return."""
        unref = (PC.UNREF_READ, PC.UNREF_SUB)
        owns = tuple(pc for pc in PUT_PATH if pc != PC.RING_UNLOCK)
        return all_(implies(any_(c.pc == pc for pc in unref), (c.page != Ref.NONE) & (c.nr >= 1))
                    & implies(any_(c.pc == pc for pc in owns), c.page != Ref.NONE)
                    for c in s.ctxs)

    @transition
    def steps_respect_cpu_exclusion(self, before, after):
        """A context of a CPU takes a step only when that CPU may run it (:meth:`can_run`): not
        while a softirq of its CPU is inside a kernel function or a NAPI poll, nor (a softirq)
        while a process context of its CPU has BH disabled, nor (a process context) while
        another process context of its CPU holds a spinlock.  __do_softirq() (kernel/softirq.c)
        runs the softirqs with BH disabled and to completion before the interrupted task
        resumes; local_bh_disable() and spin_lock_bh() keep softirqs off the CPU until
        local_bh_enable(); spin_lock() disables preemption.  page_pool relies on it: the
        lockless alloc.cache is safe in page_pool_napi_local()'s direct recycling only because
        nothing else of the NAPI's CPU runs inside a softirq's access, and the producer lock
        is taken with spin_lock() in softirq.  Stated on the steps that change a context's
        locals (its program counter, stage, poll flag...); page_pool_destroy() scheduling the
        release worker (its stage IDLE -> PENDING, schedule_delayed_work()) is the control
        context's step, not the worker's.  Vacuous on PREEMPT_RT (softirqs are threads)."""
        ctx_fields = [n for n in type(self).State._members["ctxs"].record._members
                      if n not in FIXED_CTX_FIELDS]
        conds = []
        for i, (b, a) in enumerate(zip(before.ctxs, after.ctxs)):
            scheduled = (b.stage == Stage.IDLE) & (a.stage == Stage.PENDING)
            moved = any_((getattr(b, n) != getattr(a, n)) & ~scheduled if n == "stage"
                         else getattr(b, n) != getattr(a, n) for n in ctx_fields)
            conds.append(implies(moved, self.can_run(before, i)))
        return all_(conds)

    @sometimes(applies=lambda c: bool(getattr(c, "frag", False))
               and int(getattr(c, "max_page_refs", 0)) > 0)
    def page_ref_on_open_frag_page(self, s):
        """A stack user holds a page reference (get_page(), e.g. __skb_frag_ref() for splice or
        zero-copy) on the current frag page while page_pool_alloc_frag_netmem() may still hand
        out frags of it (``frag_offset`` below the page's size): the next frag users share a
        page whose _refcount is 2, and page_pool_drain_frag() must then find
        page_ref_count() != 1 (__page_pool_page_can_be_recycled()) and return the page instead
        of making it the frag page again.  The scope must cover a page reference taken while
        the frag page has one user, not only once it is full."""
        return any_((p.loc == Loc.FRAG) & (p.page_holders > 0)
                    & (s.pool.frag_offset < self.cfg.frags_per_page) for p in s.pages)

    @transition
    def disabled_napi_poll_completes(self, before, after):
        """A poll of the NAPI that ends after napi_disable() set NAPIF_STATE_DISABLE completes
        it: NAPI_STATE_SCHED is clear afterwards.  __napi_poll() (net/core/dev.c), when the
        driver used its whole budget, checks napi_disable_pending() and calls napi_complete()
        instead of repolling; the threaded NAPI's loop polls through __napi_poll() too.
        napi_disable() waits for SCHED to clear, and the driver's teardown calls
        page_pool_destroy() only after it: a poll kept scheduled on a disabled NAPI would hang
        the teardown, and the pool's direct recycling would go on past it.  Stated for the
        softirq and kthread pollers; a busy poller hands the NAPI back in busy_poll_stop()."""
        busies = set(getattr(self, "busies", ()))
        conds = []
        for sp in self.specs:
            if sp.role != Role.NAPI or sp.index in busies:
                continue
            b, a = before.ctxs[sp.index], after.ctxs[sp.index]
            ended = b.in_poll & ~a.in_poll & ~before.napi.enabled
            conds.append(implies(ended, self.napi_sched_clear(after)))
        return all_(conds)

    @transition(applies=lambda c: bool(getattr(c, "frag", False)))
    def frags_come_from_frag_page(self, before, after):
        """``frag_users`` and ``frag_offset`` change only with a frag page in hand, inside the
        NAPI poll.  page_pool_alloc_frag_netmem() (net/core/page_pool.c) starts from ``netmem =
        pool->frag_page``; when that is NULL it first allocates a page (``pool->frag_page =
        netmem``, then frag_reset: ``frag_users = 1``, ``frag_offset = size``) or returns NULL
        with both untouched, and only then does ``frag_users++`` and advance ``frag_offset``
        on that page (page_pool_drain_frag()'s reuse resets them on the same page).  So every
        frag counted in ``frag_users`` is a region of the page in ``frag_page``: a frag handed
        out with no page behind it is a frag of nothing for the driver to DMA into.  The frag
        fields are plain, unlocked fields of the pool, and the function allocates through
        page_pool_alloc_netmems(), whose alloc cache only the consumer may touch: the driver
        calls it from its NAPI poll (its RX refill), as it does page_pool_dev_alloc_pages()."""
        pool_b, pool_a = before.pool, after.pool
        moved = (pool_b.frag_users != pool_a.frag_users) | (pool_b.frag_offset != pool_a.frag_offset)
        polling = any_(before.ctxs[sp.index].in_poll for sp in self.specs if sp.role == Role.NAPI)
        return implies(moved, (pool_a.frag_page != Ref.NONE) & polling)

    @always(applies=lambda c: int(getattr(c, "skbs", 0)) > 0)
    def skb_data_held(self, s):
        """Every skb data area (its skb_shared_info) is held by whoever its ``dataref`` counts:
        the live skbs sharing it (skb_clone() does ``atomic_inc(&shinfo->dataref)``), or the one
        context inside its skb_release_data(), which skb_data_unref() let in as the last
        holder (the model keeps that last count until the release ends); nobody else.  An area
        nobody holds has been released: no frag and no head left.  A context that left a
        release half done (its frags still attached, its count still taken) leaks the pages'
        references for ever, and two contexts releasing one area would drop its frags twice.
        A context inside skb_data_unref() (its atomic_read() or atomic_sub_return() to come)
        still holds its count too; several clones' frees may be there at once."""
        conds = []
        unref = (PC.DATAREF_READ, PC.DATAREF_SUB)
        for j, sh in enumerate(s.shinfos):
            holding = count(c.sh == j for c in s.ctxs)
            releasing = count((c.sh == j) & ~any_(c.pc == pc for pc in unref) for c in s.ctxs)
            conds.append(sh.dataref == count(k.live & (k.sh == j) for k in s.skbs) + holding)
            conds.append(releasing <= 1)
            conds.append(implies(sh.dataref == 0, (sh.page == Ref.NONE) & (sh.page2 == Ref.NONE)
                                 & (sh.head == Ref.NONE)))
        return all_(conds)

    @always
    def refcount_counts_references(self, s):
        """A page's _refcount counts its references: the pool's own (while pp_magic is set, and
        in page_pool_return_netmem() until its put_page()), each get_page() of the stack, and
        each skb frag or head holding a page (not pp) reference.  put_page() -> folio_put()
        (include/linux/mm.h) frees the page when the count drops to 0 and only then, and
        __page_pool_page_can_be_recycled() reads page_ref_count() == 1 as "the pool holds the
        only reference": a count above its references keeps a page out of the allocator for
        ever (a leak), one below frees it under a holder.  A net_iov has no _refcount.  The
        expression is the proof lemma ``lemma_refcnt_accounting``, stated once; this makes
        it a kernel property (the lemma alone does not count as a kill)."""
        return MainlineLemmas.lemma_refcnt_accounting.fn(self, s)

    @transition
    def failed_allocation_found_cache_empty(self, before, after):
        """An allocation that fails (returns NULL, the model's alloc_stat EMPTY) found
        pool->alloc.cache empty and leaves it empty.  page_pool_alloc_netmems()
        (net/core/page_pool.c) takes a cached netmem first (__page_pool_get_cached()) and goes
        to the slow path only when it got none; __page_pool_alloc_netmems_slow() returns
        ``alloc.cache[--alloc.count]`` while ``alloc.count > 0`` ("guarantees zero count")
        before it asks the page allocator.  alloc.cache is the NAPI's own (lockless), so no
        other context fills it in between: a driver that sees NULL with netmems cached would
        leave its RX ring short while the pool sits on free buffers.  (The ptr_ring is not
        part of it: a remote free may produce into the ring after the refill found it
        empty.)"""
        failed = (after.pool.alloc_stat == AllocStat.EMPTY) & (before.pool.alloc_stat != AllocStat.EMPTY)
        return implies(failed, (before.pool.alloc_count == 0) & (after.pool.alloc_count == 0))
