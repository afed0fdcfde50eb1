"""Kernel primitives the page_pool code runs on: contexts, atomics, locks, pages, DMA.

Concurrency is explicit.  Kernel code is written as Python generators; every point
where the real kernel could be interleaved (an atomic operation, a lock, a read of
shared state) is a ``yield Step(...)`` *after* the atomic step it names.  The code
between two yields is one atomic step.  A scheduler (:mod:`ppcheck.impl.sched`)
resumes one context at a time and so decides the interleaving.

A step that cannot happen yet (spinning on a held lock) yields :class:`Wait` first;
the scheduler resumes it only once the condition holds, and the acquire that follows
happens in the same resumption: waiting is never a step.

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
    """The label of the atomic step just executed: a spec action name and its arguments."""

    action: str
    args: tuple[tuple[str, Any], ...] = ()

    @staticmethod
    def of(action: str, **args: Any) -> Step:
        return Step(action, tuple(sorted(args.items())))

    def arg(self, k: str, default: Any = None) -> Any:
        return dict(self.args).get(k, default)

    def __str__(self) -> str:
        return f"{self.action}({', '.join(f'{k}={v}' for k, v in self.args)})"


@dataclass(frozen=True)
class Wait:
    """Not a step: the context cannot proceed until ``cond()`` holds (a spinning lock)."""

    cond: Callable[[], bool]
    what: str


#: A kernel function: a generator yielding steps (and waits), returning its C return value.
KernelFn = Generator["Step | Wait", None, Any]


@dataclass
class Context:
    """``current``: who is running (a CPU in softirq or process context, or a worker)."""

    name: str
    cpu: int
    softirq: bool = False  # in_softirq(): BH disabled or serving a softirq
    #: the last step this context executed (the abstraction reads its pc from it)
    last: Step | None = None


class Kernel:
    """Global kernel state shared by every context (``current`` included)."""

    def __init__(self, npages: int, preempt_rt: bool = False):
        self.memmap = [Page(pfn) for pfn in range(npages)]
        self.preempt_rt = preempt_rt  # IS_ENABLED(CONFIG_PREEMPT_RT)
        self.current: Context | None = None
        self.errors: list[str] = []
        self.device = Device(self)

    # -- context queries (include/linux/preempt.h, smp.h) -------------------------------
    def in_softirq(self) -> bool:
        assert self.current is not None
        return self.current.softirq

    def smp_processor_id(self) -> int:
        assert self.current is not None
        return self.current.cpu

    def warn(self, msg: str) -> None:
        """``WARN()``/``pr_crit()``/``BUG``: recorded, execution continues."""
        self.errors.append(msg)

    # -- the page allocator (mm/page_alloc.c) -------------------------------------------
    def alloc_pages(self) -> Page | None:
        """``alloc_pages_node()``: the lowest free pfn with ``_refcount = 1``, or NULL."""
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
            self.warn(f"put_page: page {page.pfn} has no reference (use after free)")
            return
        page._refcount -= 1
        if page._refcount == 0:
            if page.pp_magic == PP_SIGNATURE:
                self.warn(f"BUG: Bad page state: page {page.pfn} freed with pp_magic set")
            if page.pfn in self.device.mapped:
                self.warn(f"DMA-API: page {page.pfn} freed while still DMA-mapped")
            page.free = True
            page.pp_magic, page.pp, page.pp_ref_count, page.dma_addr = 0, None, 0, 0

    def snapshot(self) -> tuple:
        """Every field of kernel state, hashable (for state caching in exhaustive runs)."""
        return (tuple(p.snapshot() for p in self.memmap), tuple(self.errors),
                self.device.snapshot())


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

    def dma_map_page(self, page: Page) -> int:
        """``dma_map_page_attrs()``: returns a non-zero DMA address."""
        if not self.bound:
            self.kernel.warn(f"DMA-API: map of page {page.pfn} after the device was unbound")
        if page.pfn in self.mapped:
            self.kernel.warn(f"DMA-API: page {page.pfn} mapped twice")
        self.mapped.add(page.pfn)
        return 0x1000 * (page.pfn + 1)

    def dma_unmap_page(self, page: Page) -> None:
        """``dma_unmap_page_attrs()``: a second unmap is a DMA-API error."""
        if not self.bound:
            self.kernel.warn(f"DMA-API: unmap of page {page.pfn} after the device was unbound")
        if page.pfn not in self.mapped:
            self.kernel.warn(f"DMA-API: page {page.pfn} unmapped twice")
        self.mapped.discard(page.pfn)

    def dma_sync_for_device(self, page: Page) -> None:
        """``__dma_sync_single_for_device()``: the page must be mapped."""
        if not self.bound or page.pfn not in self.mapped:
            self.kernel.warn(f"DMA-API: sync of unmapped page {page.pfn}")

    def snapshot(self) -> tuple:
        return (tuple(sorted(self.mapped)), self.bound)


class SpinLock:
    """``spinlock_t``: an owner, acquired only when free (the wait is not a step)."""

    def __init__(self, kernel: Kernel, name: str, checked: bool = True):
        self.kernel, self.name, self.owner = kernel, name, None
        self.checked = checked  # lockdep-style check of the holder on unlock

    def lock(self, step: Step) -> KernelFn:
        """``spin_lock()``/``spin_lock_bh()``: wait until free, take it, one step."""
        yield Wait(lambda: self.owner is None, f"{self.name} free")
        if self.owner is not None:  # pragma: no cover - the scheduler honours Wait
            self.kernel.warn(f"{self.name} taken while held")
        self.owner = self.kernel.current.name if self.kernel.current else "?"
        yield step

    def unlock(self, step: Step) -> KernelFn:
        self.owner = None
        yield step


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
