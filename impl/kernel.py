"""Kernel primitives the page_pool code runs on: contexts, atomics, locks, pages, DMA.

Concurrency is explicit.  Kernel code is written as Python generators; every point
where the real kernel could be interleaved (an atomic operation, a lock, a read of
shared state) is a ``yield Step(...)``: a program label, like PlusCal's, naming the
atomic step that runs when the context is resumed (the code up to the next yield).
A suspended context's pending label *is* its program counter.  A scheduler
(:mod:`ppcheck.impl.sched`) resumes one context at a time and so decides the
interleaving; a step with a false guard (a held spinlock) is not enabled, so waiting
is never a step.

The model of memory follows ``include/linux/mm_types.h``: a fixed ``memmap`` of
``struct page`` records, a buddy allocator handing out free ones with
``_refcount == 1``, and ``put_page()`` freeing at zero.  Misuse the kernel would
report (``WARN_ON``, "BUG: Bad page state", a DMA-API debug splat) is recorded in
:attr:`Kernel.errors` rather than raised, so a checker can compare it with the spec.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

#: ``PP_SIGNATURE`` (include/linux/poison.h): the magic a pool page carries in ``pp_magic``.
PP_SIGNATURE = 0x40

#: ``NAPI_STATE_*``/``list_owner == -1``: the NAPI instance is not scheduled anywhere.
NO_CPU = -1


@dataclass(frozen=True)
class Step:
    """A program label: the atomic step a suspended context runs when resumed.

    ``action`` is the spec action the step claims to be and ``args`` the arguments
    known before it runs; ``guard`` (not part of equality) says whether the step can
    run now (a spinlock that must be free, a NAPI that must be scheduled here).  A
    step whose spec action depends on what it finds (the allocation path: fast,
    refill, slow or failure) names the kernel function and :meth:`Kernel.claim`s the
    action while it runs.
    """

    action: str
    args: tuple[tuple[str, Any], ...] = ()
    guard: Callable[[], bool] | None = field(default=None, compare=False, hash=False)

    @staticmethod
    def of(action: str, guard: Callable[[], bool] | None = None, **args: Any) -> Step:
        return Step(action, tuple(sorted(args.items())), guard)

    def arg(self, k: str, default: Any = None) -> Any:
        return dict(self.args).get(k, default)

    def enabled(self) -> bool:
        return self.guard is None or self.guard()

    def __str__(self) -> str:
        return f"{self.action}({', '.join(f'{k}={v}' for k, v in self.args)})"


#: A kernel function: a generator yielding the label of each step before running it,
#: returning its C return value.
KernelFn = Generator[Step, None, Any]


@dataclass
class Context:
    """``current``: who is running (a CPU in softirq or process context, or a worker)."""

    name: str
    cpu: int
    softirq: bool = False  # in_softirq(): BH disabled or serving a softirq
    serving_softirq: bool = False  # a softirq proper (not a BH-disabled process context)
    #: the label this context is suspended at (None: not inside a kernel call)
    pending: Step | None = None


class Kernel:
    """Global kernel state shared by every context (``current`` included)."""

    def __init__(self, npages: int, preempt_rt: bool = False):
        self.memmap = [Page(pfn) for pfn in range(npages)]
        self.preempt_rt = preempt_rt  # IS_ENABLED(CONFIG_PREEMPT_RT)
        self.current: Context | None = None
        self.errors: list[tuple[str, str]] = []  # (ghost flag, message)
        self.device = Device(self)
        self.claimed: Step | None = None
        self.fail_alloc = False  # ALLOW_ERROR_INJECTION(page_pool_alloc_netmems)
        self.next_pfn: int | None = None  # which free page the allocator picks (replay)
        #: who references a page besides the pool (ghost instrumentation, set by the world)
        self.referenced: Callable[[Page], bool] = lambda page: False
        #: synchronize_net() (set by the world): the calls that are RCU readers now, one slot
        #: per context, and whether a grace period begun at such a snapshot is still waiting
        self.rcu_readers: Callable[[], tuple[Any, ...]] = lambda: ()
        self.rcu_waiting: Callable[[tuple[Any, ...]], bool] = lambda gp: False

    # -- context queries (include/linux/preempt.h, smp.h) -------------------------------
    def in_softirq(self) -> bool:
        assert self.current is not None
        return self.current.softirq

    def smp_processor_id(self) -> int:
        assert self.current is not None
        return self.current.cpu

    def warn(self, flag: str, msg: str) -> None:
        """``WARN()``/``pr_crit()``/``BUG``: recorded under the spec's ghost flag name."""
        self.errors.append((flag, msg))

    def claim(self, action: str, **args: Any) -> None:
        """The running step says which spec action it turned out to be."""
        self.claimed = Step.of(action, **args)

    # -- the page allocator (mm/page_alloc.c) -------------------------------------------
    def alloc_pages(self) -> Page | None:
        """``alloc_pages_node()``: the lowest free pfn with ``_refcount = 1``, or NULL."""
        if self.fail_alloc:
            self.fail_alloc = False
            return None
        want, self.next_pfn = self.next_pfn, None
        if want is not None and self.memmap[want].free:
            p = self.memmap[want]
            p.free, p._refcount = False, 1
            return p
        for p in self.memmap:
            if p.free:
                p.free = False
                p._refcount = 1
                return p
        return None

    def put_page(self, page: Page) -> None:
        """``put_page()``: drop a page reference; at zero the page goes back to the buddy.

        ``free_pages_prepare()`` reports "Bad page state" if ``pp_magic`` is still set
        (a pool page freed behind the pool's back).
        """
        if page.free or page._refcount <= 0:
            self.warn("double_free", f"put_page: page {page.pfn} has no reference")
            return
        page._refcount -= 1
        if page._refcount == 0:
            if page.pp_magic == PP_SIGNATURE:
                self.warn("pp_page_freed", f"BUG: Bad page state: page {page.pfn} has pp_magic")
            self.device.mapped.discard(page.pfn)
            page.free = True
            page.pp_magic, page.pp, page.pp_ref_count, page.dma_addr = 0, None, 0, 0

    def snapshot(self) -> tuple:
        """Every field of kernel state, hashable (for state caching in exhaustive runs)."""
        return (tuple(p.snapshot() for p in self.memmap), tuple(sorted({f for f, _ in self.errors})),
                self.device.snapshot(), self.fail_alloc)


@dataclass
class Page:
    """``struct page`` with the fields page_pool uses (include/linux/mm_types.h)."""

    pfn: int
    free: bool = True
    _refcount: int = 0  # page_ref_count()
    pp_magic: int = 0  # PP_SIGNATURE while the pool owns the page
    pp: Any = None  # struct page_pool *
    pp_ref_count: int = 0  # atomic_long_t, references of the pp kind
    dma_addr: int = 0  # page_pool_get_dma_addr(); 0 when unmapped

    def snapshot(self) -> tuple:
        return (self.free, self._refcount, self.pp_magic, self.pp is not None,
                self.pp_ref_count, self.dma_addr)

    def __repr__(self) -> str:
        return f"page{self.pfn}"


@dataclass
class Device:
    """The DMA device behind ``pool->p.dev``: which pages are mapped, and is it bound."""

    kernel: Kernel
    mapped: set[int] = field(default_factory=set)
    bound: bool = True

    def check_bound(self, what: str) -> None:
        if not self.bound:
            self.kernel.warn("dma_after_unbind", f"DMA-API: {what} after the device was unbound")

    def dma_map_page(self, page: Page) -> int:
        """``dma_map_page_attrs()``: returns a non-zero DMA address."""
        self.check_bound(f"map of page {page.pfn}")
        self.mapped.add(page.pfn)
        return 0x1000 * (page.pfn + 1)

    def dma_unmap_page(self, page: Page) -> None:
        """``dma_unmap_page_attrs()``: a second unmap is a DMA-API error."""
        self.check_bound(f"unmap of page {page.pfn}")
        if page.pfn not in self.mapped:
            self.kernel.warn("double_unmap", f"DMA-API: page {page.pfn} unmapped twice")
        self.mapped.discard(page.pfn)

    def dma_sync_for_device(self, page: Page) -> None:
        """``__dma_sync_single_for_device()``."""
        self.check_bound(f"sync of page {page.pfn}")

    def snapshot(self) -> tuple:
        return (tuple(sorted(self.mapped)), self.bound)


class SpinLock:
    """``spinlock_t``: the context holding it, or None."""

    def __init__(self, kernel: Kernel, name: str):
        self.kernel, self.name, self.owner = kernel, name, None

    def free(self) -> bool:
        return self.owner is None

    def acquire(self) -> None:
        """The body of ``spin_lock()``: the step's guard made sure it is free."""
        if self.owner is not None:
            self.kernel.warn("lock", f"{self.name} taken while held by {self.owner}")
        self.owner = self.kernel.current.name if self.kernel.current else "?"

    def release(self) -> None:
        self.owner = None


class PtrRing:
    """``struct ptr_ring`` (include/linux/ptr_ring.h): a bounded FIFO of pointers.

    A slot is NULL when free; ``producer`` is the next slot to fill and
    ``consumer_head`` the next to consume.  Producers serialise on ``producer_lock``;
    page_pool has a single consumer (the NAPI poll, or the destroy path once it has
    stopped), so consumption here is lock-free as ``__ptr_ring_consume()`` is.
    """

    def __init__(self, kernel: Kernel, size: int):
        self.queue: list[Page | None] = [None] * size
        self.size = size
        self.producer = 0
        self.consumer_head = 0
        self.producer_lock = SpinLock(kernel, "producer_lock")

    def __ptr_ring_empty(self) -> bool:
        return self.queue[self.consumer_head] is None

    def empty(self) -> bool:
        """``__ptr_ring_empty()``."""
        return self.__ptr_ring_empty()

    def produce(self, ptr: Page) -> int:
        """``__ptr_ring_produce()``: 0, or -ENOSPC when the slot is still occupied."""
        if self.queue[self.producer] is not None:
            return -28
        self.queue[self.producer] = ptr
        self.producer = (self.producer + 1) % self.size
        return 0

    def consume(self) -> Page | None:
        """``__ptr_ring_consume()``: the oldest entry, or NULL when empty."""
        ptr = self.queue[self.consumer_head]
        if ptr is not None:
            self.queue[self.consumer_head] = None
            self.consumer_head = (self.consumer_head + 1) % self.size
        return ptr

    def entries(self) -> list[Page]:
        """The pages on the ring, oldest first (for the abstraction, not kernel code)."""
        out = []
        for i in range(self.size):
            p = self.queue[(self.consumer_head + i) % self.size]
            if p is None:
                break
            out.append(p)
        return out

    def snapshot(self) -> tuple:
        return (tuple(p.pfn if p else -1 for p in self.queue), self.producer, self.consumer_head,
                self.producer_lock.owner)
