"""A small machine running the page_pool: CPUs, one pool, its NAPI, skbs, a driver.

:class:`World` is the driver/stack API the conformance drivers use.  Each context
(the NAPI poll on its CPU, a CPU freeing skbs, the control path, the release worker)
runs at most one kernel call at a time; ``start_*`` begins a call as a
:class:`~ppcheck.impl.sched.Task` and :meth:`World.step` runs one atomic step of a
context.  Page handles the driver holds are pfns; the API contract ("call
page_pool_put_page() once on a page") is the caller's business, exactly as in the
kernel: the misuse machine breaks it on purpose.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from . import page_pool as pp
from . import skbuff
from .kernel import NO_CPU, Context, Kernel, Step
from .page_pool import Napi, PagePool
from .sched import Task, frame_key, resume
from .switches import MAINLINE, Switches


class World:
    """The implementation's whole state, and the API to start and step kernel calls."""

    def __init__(self, *, npages: int, cache_size: int, ring_size: int, refill: int = 64,
                 bias_max: int = 4, contexts: dict[str, tuple[int, bool]] | None = None,
                 napi_cpu: int = 0, pool_cpuid: int = NO_CPU, link_napi: bool = True,
                 sw: Switches = MAINLINE):
        self.sw = sw
        self.k = Kernel(npages, preempt_rt=sw.preempt_rt)
        self.napi = Napi()
        self.napi.list_owner = napi_cpu
        self.pool = PagePool(self.k, cache_size=cache_size, ring_size=ring_size, refill=refill,
                             bias_max=bias_max, cpuid=pool_cpuid,
                             napi=self.napi if link_napi else None, sw=sw)
        ctxs = contexts or {"napi": (napi_cpu, True), "cpu1": (1, True), "ctl": (1, False)}
        self.ctx: dict[str, Context] = {n: Context(n, cpu, sirq) for n, (cpu, sirq) in ctxs.items()}
        self.tasks: dict[str, Task] = {}
        self.held: dict[int, int] = {}  # pfn -> pp references the driver/stack holds
        self.skbs: dict[int, skbuff.SkBuff] = {}
        self.pool_of = {0: self.pool}
        self.worker_pending = False  # the release worker is scheduled
        self.log: list[tuple[str, Step]] = []

    # -- running ---------------------------------------------------------------------------
    def busy(self, ctx: str) -> bool:
        t = self.tasks.get(ctx)
        return t is not None and not t.done

    def enabled(self, ctx: str) -> bool:
        t = self.tasks.get(ctx)
        return t is not None and t.enabled()

    def start(self, ctx: str, op: str, gen: Generator, on_done: Any = None) -> Task:
        if self.busy(ctx):
            raise RuntimeError(f"{ctx} is busy with {self.tasks[ctx].op}")
        t = Task(self.ctx[ctx], gen, op, on_done=on_done)
        self.tasks[ctx] = t
        return t

    def step(self, ctx: str) -> Step | None:
        """One atomic step of ``ctx`` (None when it blocked or finished silently)."""
        t = self.tasks[ctx]
        s = resume(self.k, t)
        if s is not None:
            self.log.append((ctx, s))
        while s is None and not t.done and t.pending is None:  # pragma: no cover
            s = resume(self.k, t)
        return s

    def finish(self, ctx: str, limit: int = 1000) -> list[Step]:
        """Run ``ctx``'s call to completion without interleaving (sequential use)."""
        out = []
        t = self.tasks[ctx]
        for _ in range(limit):
            if t.done:
                return out
            s = self.step(ctx)
            if s is None and not t.done:
                raise RuntimeError(f"{ctx} blocked on {t.pending.what if t.pending else '?'}")
            if s is not None:
                out.append(s)
        raise RuntimeError(f"{ctx} did not finish in {limit} steps")

    # -- the driver / stack API ------------------------------------------------------------
    def start_alloc(self, ctx: str = "napi") -> Task:
        """The driver refills its RX ring: ``page_pool_alloc_pages()``."""
        def done(page: Any) -> None:
            if page is not None:
                self.held[page.pfn] = self.held.get(page.pfn, 0) + 1
        return self.start(ctx, "alloc", pp.page_pool_alloc_pages(self.pool), done)

    def start_put(self, ctx: str, pfn: int, allow_direct: bool = False) -> Task:
        """The driver drops a page: ``page_pool_put_full_page(pool, page, allow_direct)``."""
        self._drop(pfn)
        page = self.k.memmap[pfn]
        return self.start(ctx, f"put(page={pfn}, direct={allow_direct})",
                          pp.page_pool_put_page(self.pool, page, allow_direct))

    def start_destroy(self, ctx: str = "ctl") -> Task:
        """The driver unbinds: ``page_pool_destroy()``; the worker retries if needed."""
        def done(retry: Any) -> None:
            self.worker_pending = bool(retry)
        return self.start(ctx, "destroy", pp.page_pool_destroy(self.pool), done)

    def start_release_retry(self, ctx: str = "ctl") -> Task:
        """``page_pool_release_retry()`` from the delayed work."""
        self.worker_pending = False

        def done(retry: Any) -> None:
            self.worker_pending = bool(retry)
        return self.start(ctx, "release_retry", pp.page_pool_release_retry(self.pool), done)

    def start_kfree_skb(self, ctx: str, skb_id: int) -> Task:
        skb = self.skbs[skb_id]
        return self.start(ctx, f"kfree_skb({skb_id})",
                          skbuff.kfree_skb(self.k, self.pool_of, skb,
                                           no_clone_rule=self.sw.bug("no_clone_rule")))

    def build_skb(self, pfn: int, skb_id: int) -> skbuff.SkBuff:
        """The driver builds an skb around a page: ``napi_build_skb()`` +
        ``skb_mark_for_recycle()`` + the frag; its pp reference moves to the skb."""
        self._drop(pfn)
        skb = skbuff.SkBuff(skb_id, skbuff.SkbSharedInfo())
        skbuff.skb_mark_for_recycle(skb)
        skbuff.skb_add_rx_frag(skb, self.k.memmap[pfn])
        self.skbs[skb_id] = skb
        return skb

    def clone_skb(self, skb_id: int, new_id: int) -> skbuff.SkBuff:
        n = skbuff.skb_clone(self.skbs[skb_id], new_id)
        self.skbs[new_id] = n
        return n

    def _drop(self, pfn: int) -> None:
        if self.held.get(pfn, 0) > 0:
            self.held[pfn] -= 1
            if not self.held[pfn]:
                del self.held[pfn]

    # -- state -----------------------------------------------------------------------------
    def snapshot(self) -> tuple:
        """All of the implementation's state, suspended calls included (for caching)."""
        return (self.k.snapshot(), self.pool.snapshot(),
                tuple(sorted(self.held.items())), self.worker_pending,
                tuple((n, t.op, t.done, t.pending is not None, frame_key(t.gen))
                      for n, t in sorted(self.tasks.items())),
                tuple((i, s.cloned, s.pp_recycle, s.freed, s.shinfo.dataref,
                       tuple(p.pfn for p in s.shinfo.frags)) for i, s in sorted(self.skbs.items())))
