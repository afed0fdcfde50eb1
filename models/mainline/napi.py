"""The NAPI: the poll's RX processing (XDP_DROP, passing pages up) and its scheduling between CPUs."""

from __future__ import annotations

from typing import Any

from ppcheck.models.pagepool import (
    PC,
    After,
    AllocStat,
    Loc,
    Role,
)
from ppcheck.spec import (
    action,
    require,
)
from ppcheck.spec.expr import const

from .base import MainlineBase


def consumer_cpus(cfg: Any) -> range:
    """The CPUs the pool's consumer (the model's NAPI context) may poll on: every CPU, or only
    ``pool->cpuid`` for a per-CPU pool."""
    cpuid = int(cfg.pool_cpuid)
    return range(cpuid, cpuid + 1) if cpuid >= 0 else range(int(cfg.cpus))


class NapiActions(MainlineBase):
    """The NAPI: the poll's RX processing (XDP_DROP, passing pages up) and its scheduling between CPUs."""

    # -- the NAPI poll's RX processing --------------------------------------------------------
    @action(c="ctxs", p="pages", who="c")
    def napi_xdp_drop(self, s, c, p):
        """The driver's poll receives a packet into an RX page and XDP returns XDP_DROP:
        page_pool_recycle_direct() = page_pool_put_full_page(pool, page, allow_direct=true)."""
        self.in_napi_poll(s, c)
        pg = s.pages[p]
        require(pg.loc == Loc.RX)
        pg.loc = Loc.USERS
        self.start_unref(s, c, p, 1, After.PUT, direct=True)

    @action(c="ctxs", p="pages", who="c")
    def napi_rx_pass(self, s, c, p):
        """The poll passes an RX page up (an xdp_frame redirected to another CPU, or a frag of a
        GRO'd skb marked for recycling): the page's pp reference now belongs to that user."""
        require(const(self.cfg.skbs == 0))
        self.in_napi_poll(s, c)
        pg = s.pages[p]
        require(pg.loc == Loc.RX)
        pg.loc = Loc.USERS
        pg.pp_holders = pg.pp_holders + 1

    # -- NAPI scheduling ----------------------------------------------------------------------
    @action(cpu=consumer_cpus, who="irq")
    def napi_schedule(self, s, cpu):
        """napi_schedule() from the device interrupt on ``cpu``: NAPI_STATE_SCHED is set and
        ``list_owner = cpu`` (the NAPI moves between CPUs from one poll to the next).  The
        consumer of a per-CPU pool (``pool_cpuid >= 0``, page_pool_create_percpu()) runs on that
        CPU only: the system page pool is reached through this_cpu_read(system_page_pool)
        (net/core/dev.c), which is what makes page_pool_napi_local()'s ``cpuid`` test safe.
        A threaded NAPI takes ____napi_schedule()'s other branch (threaded.py)."""
        require(s.napi.enabled & self.napi_sched_clear(s))
        self.napi_sched_set(s, cpu)

    @action(c="ctxs", who="c")
    def napi_poll_begin(self, s, c):
        """net_rx_action() on the NAPI's CPU calls the driver's poll (__napi_poll)."""
        ctx = s.ctxs[c]
        require(const(self.is_role(c, Role.NAPI)))
        require((ctx.pc == PC.READY) & ~ctx.in_poll & self.can_run(s, c))
        require(self.napi_listed_here(s, c))
        ctx.in_poll = True

    @action(c="ctxs", complete=bool, who="c")
    def napi_poll_end(self, s, c, complete):
        """The poll returns: napi_complete_done() clears NAPI_STATE_SCHED and ``list_owner``
        (``complete``), or the budget ran out and the NAPI stays scheduled here.  A NAPI being
        disabled always completes."""
        ctx = s.ctxs[c]
        self.in_napi_poll(s, c)
        self.napi_poll_done(s, c, complete)
        ctx.in_poll = False
        s.pool.alloc_stat = AllocStat.NONE
