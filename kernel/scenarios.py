"""The conformance scenarios: which kernel contexts run which page_pool calls.

Each is a small driver use of the pool inside the kernel's contract (the consumer is the
NAPI poll of CPU 0; other contexts free; the control path disables the NAPI before
destroying). ``FINDINGS`` are scenarios outside the contract, or about old trees, whose
outcome docs/kernel.md discusses (they are run by ``ppcheck kernel --findings``).
"""

from __future__ import annotations

from dataclasses import replace

from .driver import PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, PP_FLAG_PAGE_FRAG, Op
from .world import CtxSpec, Instr, Scenario

DMA = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV


def alloc(v: str) -> Instr:
    return Instr(Op.ALLOC, v)


def put(v: str, direct: bool = False) -> Instr:
    return Instr(Op.PUT, v, direct=direct)


def frag(v: str) -> Instr:
    """page_pool_alloc_frag() of half a page."""
    return Instr(Op.ALLOC_FRAG, v, size=2048)


def softirq(*prog: Instr, cpu: int = 1, second: bool = False) -> CtxSpec:
    """A softirq of ``cpu`` that frees (``second``: another one on the NAPI's CPU 0)."""
    return CtxSpec(f"softirq@{cpu}" + ("b" if second else ""), cpu, True, prog)


def napi(*prog: Instr, cpu: int = 0) -> CtxSpec:
    return CtxSpec(f"softirq@{cpu}", cpu, True, prog, consumer=True)


def control(*extra: Instr, cpu: int = 1) -> CtxSpec:
    """The driver's remove path: napi_disable() (after the poll ended), page_pool_destroy()."""
    return CtxSpec(f"control@{cpu}", cpu, False,
                   (Instr(Op.NAPI_DISABLE, after_consumer=True), Instr(Op.DESTROY), *extra))


WORKER = CtxSpec("worker@0", 0, False, (Instr(Op.WORKER, when_work=True),))

#: a page freed on CPU 1 after the driver unbinds the device (page_pool_destroy() first)
_UNBIND_INFLIGHT = (napi(alloc("a")), softirq(put("a")), control(Instr(Op.UNBIND)), WORKER)

_DESTROY_INFLIGHT = Scenario(
    "destroy_inflight",
    "page_pool_destroy() runs while a softirq of CPU 1 still holds pages: the release "
    "worker frees the pool once they come back.",
    (napi(alloc("a"), alloc("b")), softirq(put("a"), put("b")), control(), WORKER),
    npages=2, witnesses=('destroy_deferred_then_freed',))

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "recycle_direct",
        "The NAPI poll allocates and recycles directly into alloc.cache; the pool is destroyed "
        "after napi_disable.",
        (napi(alloc("a"), put("a", True), alloc("b"), alloc("c"), put("b", True), put("c", True)),
         control(), WORKER),
        npages=2),
    Scenario(
        "cross_cpu_free",
        "Pages allocated by the NAPI of CPU 0 are freed by a softirq of CPU 1 into the ptr_ring "
        "(one slot: the second is returned to the buddy allocator) while the poll refills from it.",
        (napi(alloc("a"), alloc("b"), alloc("c"), put("c", True)),
         softirq(put("a"), put("b")), control(), WORKER),
        npages=2, pool_size=1, witnesses=('ring_full', 'refill_from_ring', 'destroy_deferred_then_freed')),
    _DESTROY_INFLIGHT,
    replace(
        _DESTROY_INFLIGHT, name="destroy_inflight_nosync",
        doc="destroy_inflight without PP_FLAG_DMA_SYNC_DEV: page_pool_scrub() skips "
            "synchronize_net(), so only page_pool_release()'s producer lock waits out a ring producer.",
        flags=PP_FLAG_DMA_MAP),
    Scenario(
        "process_free",
        "A process context of the NAPI's CPU frees with BH enabled (spin_lock_bh on the ring) "
        "while the poll, which may interrupt it, allocates.",
        (napi(alloc("a"), alloc("b"), alloc("c"), put("c", True)),
         CtxSpec("process@0", 0, False, (put("a"), put("b"))),
         control(), WORKER),
        npages=2, witnesses=('refill_from_ring', 'destroy_deferred_then_freed')),
    Scenario(
        "napi_local",
        "Another softirq of the NAPI's CPU frees: page_pool_napi_local() allows direct "
        "recycling (it cannot run concurrently with the poll).",
        (napi(alloc("a"), alloc("b")), softirq(put("a"), put("b"), cpu=0, second=True),
         control(), WORKER),
        npages=2, min_kver=608, witnesses=('direct_recycling',)),
    Scenario(
        "napi_local_rt",
        "PREEMPT_RT: the second softirq of CPU 0 may preempt the poll, so page_pool_napi_local() "
        "must refuse direct recycling.",
        (napi(alloc("a"), alloc("b"), alloc("c"), put("c", True)),
         softirq(put("a"), put("b"), cpu=0, second=True), control(), WORKER),
        npages=2, rt=True, min_kver=608),
    Scenario(
        "extra_page_ref",
        "A stack user holds a page reference (get_page) when the pool's user frees: "
        "__page_pool_put_page() releases the page from the pool, put_page() frees it later.",
        (napi(alloc("a"), alloc("b"), put("b", True)),
         softirq(Instr(Op.GET_PAGE, "a"), put("a"), Instr(Op.PUT_PAGE, "a")),
         control(), WORKER),
        npages=2, witnesses=('destroy_deferred_then_freed',)),
    Scenario(
        "frag",
        "page_pool_alloc_frag() splits a page in two; the halves are freed on CPU 1 while the "
        "poll allocates the next fragment (page_pool_drain_frag); destroy frees the frag page.",
        (napi(frag("a"), frag("b"), frag("c")),
         softirq(put("a"), put("b"), put("c")), control(), WORKER),
        npages=2, flags=DMA | PP_FLAG_PAGE_FRAG, witnesses=('destroy_deferred_then_freed',)),
    Scenario(
        "unbind_inflight",
        "The driver unbinds the device after page_pool_destroy() while a page is still in "
        "flight; it comes back later. page_pool_scrub() unmapped it (the dma_mapped xarray), "
        "so its return makes no DMA call.",
        _UNBIND_INFLIGHT,
        npages=1, min_kver=612, witnesses=("destroy_deferred_then_freed",)),
    Scenario(
        "two_producers",
        "Softirqs of CPUs 1 and 2 free into the ptr_ring at once (the producer lock orders them); "
        "plain loads and stores of the pool are scheduling points too.",
        (napi(alloc("a"), alloc("b")), softirq(put("a")),
         softirq(put("b"), cpu=2)),
        npages=2, pool_size=2, fine=True, destroys=False),
    Scenario(
        "frag_shared",
        "Two fragments of one page are freed by softirqs of CPUs 1 and 2 while the poll drains "
        "the frag page (page_pool_drain_frag): pp_ref_count reaches 0 once.",
        (napi(frag("a"), frag("b"), frag("c")),
         softirq(put("a")), softirq(put("b"), put("c"), cpu=2),
         control(), WORKER),
        npages=2, flags=DMA | PP_FLAG_PAGE_FRAG, min_kver=606),
    Scenario(
        "napi_reenabled",
        "After page_pool_destroy() the driver enables the NAPI again on CPU 0 (for a new pool); "
        "a softirq of CPU 0 frees an old page: the destroyed pool must not look NAPI-local "
        "(dd64b232deb8 clears p.napi).",
        (napi(alloc("a")), softirq(put("a"), cpu=0, second=True),
         control(Instr(Op.NAPI_ENABLE)), WORKER),
        npages=1, min_kver=608),
)

FINDINGS: tuple[Scenario, ...] = (
    Scenario(
        "unbind_inflight_untracked",
        "The driver unbinds the device after page_pool_destroy() while a page is still in "
        "flight. Trees without DMA index tracking (before the dma_mapped xarray) unmap it "
        "when it comes back, after the unbind.",
        _UNBIND_INFLIGHT,
        npages=1, max_kver=611),
    Scenario(
        "percpu_destroy_local_free",
        "Seed 004 question 5: a per-CPU pool (page_pool_create_percpu, cpuid 0) is destroyed "
        "from CPU 1 while a softirq of CPU 0 frees into it: page_pool_napi_local() read "
        "cpuid == 0 before page_pool_disable_direct_recycling() wrote -1.",
        (napi(alloc("a")), softirq(put("a"), cpu=0, second=True),
         CtxSpec("control@1", 1, False, (Instr(Op.NAPI_DISABLE, after_consumer=True), Instr(Op.DESTROY))),
         WORKER),
        npages=1, napi_cpu=-1, cpuid=0, min_kver=608),
)


def by_name(name: str) -> Scenario:
    for s in (*SCENARIOS, *FINDINGS):
        if s.name == name:
            return s
    raise KeyError(name)
