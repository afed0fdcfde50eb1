"""Threaded NAPI and busy polling: the NAPI polled with BH disabled outside net_rx_action()
(net/core/dev.c, 6.12).

``thread@cpu``: the NAPI's kthread (napi_threaded_poll()) while it runs on ``cpu``.  It is one
task, so the ``thread@`` contexts of a configuration are its CPUs: it polls on one of them at
a time, and between two polls (cond_resched(), or asleep in napi_thread_wait()) the scheduler
may move it to any CPU.  It polls with BH disabled (local_bh_disable(): in_softirq() is true,
no softirq of its CPU runs meanwhile).  ____napi_schedule() takes its threaded branch: it
sets NAPI_STATE_SCHED_THREADED and wakes the thread, and does *not* set ``list_owner`` (which
stays -1), so page_pool_napi_local() is false for every other context, and only the driver's
own ``allow_direct`` (XDP_DROP's page_pool_recycle_direct()) recycles into alloc.cache.

``busy@cpu``: a task busy polling the NAPI on ``cpu`` (napi_busy_loop() from sk_busy_loop()).
__napi_busy_loop() takes the NAPI with its own cmpxchg of NAPI_STATE_SCHED |
NAPI_STATE_IN_BUSY_POLL (only when none of DISABLE, SCHED, IN_BUSY_POLL is set), then calls the
driver's poll with BH disabled, once per iteration; preemption stays disabled, and BH is
enabled between iterations (a softirq of its CPU may run there).  ``list_owner`` is not set.
While IN_BUSY_POLL is set napi_complete_done() returns false; busy_poll_stop() clears it and
polls once more, and if the budget ran out __busy_poll_stop() hands the NAPI to the softirq of
its CPU (__napi_schedule(): ``list_owner = cpu``).

Both reuse the driver's poll steps (allocation, XDP_DROP, ...) and napi_poll_end (the poll
returns, with napi_complete_done() or not); they replace net_rx_action()'s napi_poll_begin.
Left out: switching a NAPI between threaded and softirq mode (dev_set_threaded(): the switch
takes effect at the next ____napi_schedule(), after napi_complete_done() cleared
``list_owner``), busy polling a threaded NAPI, more than one busy poller (the cmpxchg lets one
win), NAPI_F_PREFER_BUSY_POLL's timer (__busy_poll_stop() with ``skip_schedule``: SCHED
cleared, the same as a complete poll for the pool) and PREEMPT_RT (no preempt_disable(): the
busy poller may migrate, but page_pool_napi_local() is false there anyway).
"""

from __future__ import annotations

from typing import Any

from ppcheck.models.pagepool import PC, Loc, Role
from ppcheck.spec import Expr, SpecError, action, all_, any_, require, sometimes, when
from ppcheck.spec.expr import const

from .base import MainlineBase
from .state import NapiHolder
from .state import napi_pollers as napi_pollers

FALSE = const(False)


def ctx_indices(cfg: Any, kind: str) -> tuple[int, ...]:
    """The indices of the contexts configured as ``kind@cpu`` (``thread`` or ``busy``)."""
    return tuple(i for i, x in enumerate(getattr(cfg, "contexts", ())) if str(x).split("@")[0] == kind)


def has_thread(cfg: Any) -> bool:
    return bool(ctx_indices(cfg, "thread"))


def has_busy(cfg: Any) -> bool:
    return bool(ctx_indices(cfg, "busy"))


class ThreadedActions(MainlineBase):
    """Threaded NAPI (napi_threaded_poll()) and busy polling (napi_busy_loop(),
    busy_poll_stop()) as contexts that poll the NAPI with BH disabled."""

    def __init__(self, cfg: Any):
        super().__init__(cfg)
        self.threads = ctx_indices(cfg, "thread")
        self.busies = ctx_indices(cfg, "busy")
        if self.threads and self.busies:
            raise SpecError(f"{cfg.name}: busy polling a threaded NAPI is not modelled")
        if len(self.busies) > 1:
            raise SpecError(f"{cfg.name}: one busy poller at most (__napi_busy_loop()'s cmpxchg "
                            "lets one win)")
        if self.threads and any(self.is_role(i, Role.NAPI) and i not in self.threads
                                for i in range(len(self.specs))):
            raise SpecError(f"{cfg.name}: a threaded NAPI is polled by its kthread only "
                            "(no softirq@ context)")

    def init(self, s):
        super().init(s)
        if self.threads:  # the first interrupt woke the kthread: SCHED_THREADED, no list_owner
            s.napi.owner = -1
            s.napi_sched[0].holder = NapiHolder.THREADED

    def context_lanes(self) -> dict[str, tuple[str, str]]:
        out = super().context_lanes()
        for i in self.threads + self.busies:
            cpu = self.spec(i).cpu
            what = "NAPI kthread (BH off)" if i in self.threads else "busy poll (BH off)"
            out[f"ctxs[{i}]"] = (f"CPU{cpu}", f"CPU{cpu} {what}")
        return out

    # -- the hooks of napi.py, destroy.py and lemmas.py ---------------------------------------
    def holder(self, s) -> Expr | None:
        return s.napi_sched[0].holder if napi_pollers(self.cfg) else None

    def napi_sched_clear(self, s) -> Expr:
        """NAPI_STATE_SCHED is clear: not on a poll list, not the kthread's, not a busy poller's."""
        h = self.holder(s)
        base = super().napi_sched_clear(s)
        return base if h is None else base & (h == NapiHolder.LIST)

    def napi_sched_set(self, s, cpu: int) -> None:
        """____napi_schedule(): with NAPI_STATE_THREADED (and the thread created) set
        NAPI_STATE_SCHED_THREADED and wake_up_process(napi->thread), *not* touching list_owner;
        otherwise the poll-list path."""
        if self.threads:
            s.napi_sched[0].holder = NapiHolder.THREADED
        else:
            super().napi_sched_set(s, cpu)

    def napi_listed_here(self, s, c: int) -> Expr:
        """The kthread and the busy poller never run net_rx_action()."""
        if c in self.threads or c in self.busies:
            return FALSE
        return super().napi_listed_here(s, c)

    def napi_poll_done(self, s, c: int, complete: bool) -> None:
        """The kthread's poll: napi_complete_done() clears SCHED and SCHED_THREADED (list_owner
        is -1 already), or the budget ran out and __napi_poll() asks to repoll (the thread keeps
        SCHED_THREADED; a NAPI being disabled completes: napi_disable_pending()).  The busy
        poller's: napi_complete_done() returns false while NAPI_STATE_IN_BUSY_POLL is set (the
        loop goes on); in busy_poll_stop()'s poll it completes, or __busy_poll_stop()
        __napi_schedule()s the NAPI onto this CPU's poll list (``list_owner = cpu``)."""
        if c in self.threads:
            require(const(complete) | s.napi.enabled)
            if complete:
                s.napi_sched[0].holder = NapiHolder.LIST
            return
        if c in self.busies:
            sched = s.napi_sched[0]
            stop = sched.holder == NapiHolder.BUSY_STOP
            if complete:
                require(stop)
                sched.holder = NapiHolder.LIST
            else:
                with when(stop):
                    sched.holder = NapiHolder.LIST
                    s.napi.owner = self.spec(c).cpu
            return
        super().napi_poll_done(s, c, complete)

    def napi_polled_by(self, s, i: int) -> Expr:
        h = self.holder(s)
        if i in self.threads:
            return h == NapiHolder.THREADED
        if i in self.busies:
            return (h == NapiHolder.BUSY) | (h == NapiHolder.BUSY_STOP)
        return super().napi_polled_by(s, i)

    def may_start(self, s, c: int) -> Expr:
        """The kthread and the busy poller free pages only inside the driver's poll (their BH
        disabled sections); a task's frees outside it are a ``process@cpu`` context's."""
        base = super().may_start(s, c)
        if c in self.threads or c in self.busies:
            return base & s.ctxs[c].in_poll
        return base

    # -- the threaded NAPI --------------------------------------------------------------------
    @action(c="ctxs", who="c")
    def napi_threaded_poll(self, s, c):
        """napi_threaded_poll(): the kthread returns from napi_thread_wait() because
        NAPI_STATE_SCHED_THREADED is set (testing SCHED would not do: a busy poller or
        napi_disable() may hold it), on whichever CPU it was woken on or moved to, and
        napi_threaded_poll_loop() calls __napi_poll() under local_bh_disable(): the driver's
        poll runs in process context with in_softirq() true.  One kthread: it polls on one CPU
        at a time."""
        require(const(c in self.threads))
        if c not in self.threads:
            return
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & ~ctx.in_poll & self.can_run(s, c))
        require(s.napi_sched[0].holder == NapiHolder.THREADED)
        require(all_(~self.active(s, d) for d in self.threads if d != c))
        ctx.in_poll = True

    # -- busy polling ---------------------------------------------------------------------------
    @action(c="ctxs", who="c")
    def napi_busy_loop(self, s, c):
        """__napi_busy_loop() (napi_busy_loop(), from sk_busy_loop()): one iteration under
        local_bh_disable().  The first one takes the NAPI: if none of NAPIF_STATE_DISABLE,
        NAPIF_STATE_SCHED, NAPIF_STATE_IN_BUSY_POLL is set, cmpxchg() sets SCHED and
        IN_BUSY_POLL (otherwise the iteration only counts and retries); then napi_poll() calls
        the driver's poll with BH disabled.  Later iterations poll again while holding the NAPI
        (napi_disable() waits for them).  ``list_owner`` is not set."""
        require(const(c in self.busies))
        if c not in self.busies:
            return
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & ~ctx.in_poll & self.can_run(s, c))
        sched = s.napi_sched[0]
        take = (sched.holder == NapiHolder.LIST) & self.napi_take_ok(s)
        require(take | (sched.holder == NapiHolder.BUSY))
        sched.holder = NapiHolder.BUSY
        ctx.in_poll = True

    def napi_take_ok(self, s) -> Expr:
        """__napi_busy_loop()'s test before its cmpxchg: neither DISABLE nor SCHED is set."""
        return s.napi.enabled & (s.napi.owner == -1)

    @action(c="ctxs", who="c")
    def busy_poll_stop(self, s, c):
        """busy_poll_stop(): the busy loop ends (loop_end() or need_resched()): clear
        NAPI_STATE_MISSED and NAPI_STATE_IN_BUSY_POLL, local_bh_disable() and call the driver's
        poll once more, which may now napi_complete_done() (napi_poll_end: ``complete``); if it
        used the whole budget, __busy_poll_stop() __napi_schedule()s it on this CPU."""
        require(const(c in self.busies))
        if c not in self.busies:
            return
        ctx = s.ctxs[c]
        require((ctx.pc == PC.READY) & ~ctx.in_poll & self.can_run(s, c))
        sched = s.napi_sched[0]
        require(sched.holder == NapiHolder.BUSY)
        sched.holder = NapiHolder.BUSY_STOP
        ctx.in_poll = True

    # -- witnesses ----------------------------------------------------------------------------
    def _direct_push_in_poll(self, s, ctxs: tuple[int, ...]) -> Expr:
        return any_(s.ctxs[i].in_poll & (s.ctxs[i].pc == PC.CACHE_PUSH) for i in ctxs)

    @sometimes(applies=has_thread)
    def threaded_poll_recycles_direct(self, s):
        """The kthread's poll pushes an XDP_DROP'd page into alloc.cache (allow_direct from the
        driver, in process context with BH disabled)."""
        return self._direct_push_in_poll(s, ctx_indices(self.cfg, "thread"))

    @sometimes(applies=has_thread)
    def threaded_napi_not_local(self, s):
        """A softirq frees a page while the NAPI is threaded: page_pool_napi_local() read
        ``list_owner`` -1 and sent the page to the ring, while the kthread polls (or may) on
        the other CPU."""
        threads = ctx_indices(self.cfg, "thread")
        cpu = [self.spec(i).cpu for i in range(len(self.specs))]
        poll_elsewhere = any_(
            any_(s.ctxs[t].in_poll for t in threads if cpu[t] != cpu[i])
            & (s.ctxs[i].pc == PC.PUT_PAGE) & ~s.ctxs[i].direct
            for i in range(len(self.specs)) if i not in threads)
        return poll_elsewhere

    @sometimes(applies=has_thread)
    def threaded_poll_moved(self, s):
        """The kthread polls on CPU 1 with a page in alloc.cache: the cache is the pool's, not
        a CPU's, and its consumer is whichever CPU the thread runs on."""
        threads = ctx_indices(self.cfg, "thread")
        return any_(s.ctxs[t].in_poll for t in threads if self.spec(t).cpu > 0) & any_(
            p.loc == Loc.CACHE for p in s.pages)

    @sometimes(applies=has_busy)
    def busy_poll_recycles_direct(self, s):
        """The busy poller's poll pushes an XDP_DROP'd page into alloc.cache."""
        return self._direct_push_in_poll(s, ctx_indices(self.cfg, "busy"))

    @sometimes(applies=has_busy)
    def softirq_free_between_busy_polls(self, s):
        """A softirq of the busy poller's CPU runs between two iterations (BH enabled there)
        and frees a page: page_pool_napi_local() said no (``list_owner`` is -1)."""
        busy = ctx_indices(self.cfg, "busy")
        b = busy[0]
        same = [i for i in range(len(self.specs)) if i != b and self.spec(i).cpu == self.spec(b).cpu]
        return (s.napi_sched[0].holder == NapiHolder.BUSY) & ~s.ctxs[b].in_poll & any_(
            (s.ctxs[i].pc == PC.PUT_PAGE) & ~s.ctxs[i].direct for i in same)
