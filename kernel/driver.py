"""The boundary: the compiled page_pool.c driven through ctypes.

:class:`Kernel` wraps the harness API (``harness/harness.c``): reset the world and create a
pool, start an operation on a context, run a context to its next yield point, and read
the C structures back into a :class:`KState` (the concrete state the checks and the
abstraction function read).
"""

from __future__ import annotations

import ctypes as C
from dataclasses import dataclass
from enum import IntEnum

from .build import Build

PP_FLAG_DMA_MAP, PP_FLAG_DMA_SYNC_DEV, PP_FLAG_PAGE_FRAG = 1, 2, 4


class Op(IntEnum):
    """Operations a context runs (``run_op()`` in harness.c): each calls one kernel entry."""

    ALLOC = 1  # page_pool_alloc_pages()
    PUT = 2  # page_pool_put_full_page(pool, page, allow_direct)
    DESTROY = 3  # page_pool_destroy()
    WORKER = 4  # the scheduled release work: page_pool_release_retry()
    NAPI_DISABLE = 5  # napi_disable(): napi->list_owner = -1
    UNBIND = 6  # the driver unbinds the device: DMA after this is a bug
    GET_PAGE = 7  # get_page(): a stack user takes a page reference
    PUT_PAGE = 8  # put_page() of that reference
    ALLOC_FRAG = 9  # page_pool_alloc_frag()
    REF = 10  # page_pool_ref_page(): one more pp reference (6.12)
    DISABLE_DIRECT = 11  # page_pool_disable_direct_recycling()
    NAPI_ENABLE = 12  # the NAPI is scheduled on a CPU again: list_owner = cpu
    BULK = 13  # xdp_flush_frame_bulk(): page_pool_put_page_bulk(pool, data, n)
    XDP_REG = 14  # xdp_rxq_info_reg_mem_model(): page_pool_use_xdp_mem()
    XDP_UNREG = 15  # xdp_rxq_info_unreg_mem_model(): page_pool_destroy() of the mem.id's pool
    UPDATE_NID = 16  # page_pool_update_nid(pool, nid) from the NAPI poll
    ALLOC_FRAGMENTED = 17  # page_pool_alloc_pages(), then page_pool_fragment_page(page, 1) (mlx5)


#: yield kinds (pp_shim.h enum pp_yield_kind)
YIELD_KINDS = {0: "start/done", 1: "atomic", 2: "lock", 3: "unlock", 4: "read", 5: "write", 6: "xa",
               7: "dma", 8: "page", 9: "spin"}


@dataclass(frozen=True)
class PageState:
    pfn: int
    free: bool
    refcount: int
    pp_ref: int  # pp_ref_count (6.12) / pp_frag_count (6.1)
    magic: bool  # pp_magic carries PP_SIGNATURE
    pp_is_pool: bool
    mapped: bool  # the harness's DMA table says mapped
    dma_index: int  # 6.12: the id of the page in pool->dma_mapped
    pfmemalloc: bool = False  # its last allocation came from the reserves (page_is_pfmemalloc())


@dataclass(frozen=True)
class KState:
    """The concrete state read off the C structures after a step."""

    pages: tuple[PageState, ...]
    alloc_count: int
    cache: tuple[int, ...]  # pfns in alloc.cache[0..count)
    ring: tuple[int, ...]  # pfns in the ptr_ring, FIFO order from consumer_head
    hold: int
    release: int
    cpuid: int
    napi_linked: bool
    destroy_cnt: int
    user_cnt: int
    dma_sync: bool
    frag_page: int | None
    frag_users: int
    frag_offset: int
    dma_index_entries: int  # -1 on trees without DMA index tracking
    pool_freed: bool
    work_pending: bool
    ring_lock: int | None  # the context holding the ptr_ring producer lock
    napi_owner: int
    dev_bound: bool

    @property
    def inflight(self) -> int:
        d = (self.hold - self.release) & 0xFFFFFFFF
        return d - (1 << 32) if d >= 1 << 31 else d


class Kernel:
    """One loaded harness library (a build of one tree)."""

    def __init__(self, b: Build, max_pages: int = 16):
        self.build = b
        self.lib = lib = C.CDLL(str(b.lib))
        lib.pph_log.restype = C.c_char_p
        lib.pph_yield_what.restype = C.c_char_p
        lib.pph_run.restype = C.c_long
        lib.pph_result.restype = C.c_long
        lib.pph_result2.restype = C.c_long
        lib.pph_yields.restype = C.c_ulong
        lib.pph_nwarn.restype = C.c_ulong
        lib.pph_nerr.restype = C.c_ulong
        lib.pph_ctx_key.restype = C.c_ulong
        lib.pph_yield_off.restype = C.c_long
        for f in ("pph_start", "pph_run"):
            getattr(lib, f).argtypes = [C.c_int, C.c_int, C.c_long, C.c_long]
        self.kver = lib.pph_kver()
        self.npages = 0
        self._pg = (C.c_long * 9)()
        self._pool = (C.c_long * 16)()
        self._cache = (C.c_long * 256)()
        self._ring = (C.c_long * 64)()
        self._stk = (C.c_long * 24)()

    # -- world ------------------------------------------------------------------------------
    def setup(self, npages: int, flags: int, pool_size: int, napi_cpu: int, cpuid: int) -> int:
        self.npages = npages
        return self.lib.pph_setup(npages, flags, pool_size, napi_cpu, cpuid)

    def ctx_init(self, c: int, cpu: int, softirq: bool) -> None:
        self.lib.pph_ctx_init(c, cpu, int(softirq))

    def start(self, c: int, op: Op, a0: int = 0, a1: int = 0) -> None:
        if self.lib.pph_start(c, int(op), a0, a1) != 0:
            raise RuntimeError(f"context {c} is busy")

    def step(self, c: int) -> bool:
        """Run context ``c`` to its next yield point; True when its operation returned."""
        return self.lib.pph_step(c) == 1

    def run(self, c: int, op: Op, a0: int = 0, a1: int = 0) -> int:
        return self.lib.pph_run(c, int(op), a0, a1)

    # -- per context --------------------------------------------------------------------------
    def busy(self, c: int) -> bool:
        return bool(self.lib.pph_busy(c))

    def blocked(self, c: int) -> bool:
        return bool(self.lib.pph_blocked(c))

    def bh(self, c: int) -> int:
        return self.lib.pph_bh(c)

    def result(self, c: int) -> int:
        return self.lib.pph_result(c)

    def at(self, c: int) -> str:
        """What context ``c`` was about to do when it yielded (``READ_ONCE(pool->cpuid)``)."""
        return (self.lib.pph_yield_what(c) or b"").decode()

    def yield_off(self, c: int) -> int:
        """The code offset (in the library) of context ``c``'s yield point, -1 if idle."""
        return self.lib.pph_yield_off(c)

    def yield_stack(self, c: int) -> list[int]:
        """The return addresses (library offsets) on context ``c``'s suspended stack, innermost
        first (a build with frame pointers: ``scope``)."""
        n = self.lib.pph_yield_stack(c, self._stk, 24)
        return [self._stk[i] for i in range(n)]

    def set_napi_owner(self, cpu: int) -> None:
        """napi_schedule() on ``cpu`` (list_owner = cpu), or the poll completed (-1)."""
        self.lib.pph_set_napi_owner(cpu)

    def buddy_next(self, pfn: int, fail: int = 0) -> None:
        """The next page allocation takes page ``pfn`` (-1: the lowest free), after failing
        ``fail`` times (GFP_ATOMIC failing)."""
        self.lib.pph_buddy_next(pfn, fail)

    def buddy_plan(self, then: int = -1, limit: int = -1, pfmemalloc: bool = False) -> None:
        """After :meth:`buddy_next`'s page the next allocation takes ``then``; the next bulk
        request (alloc_pages_bulk_array_node()) returns at most ``limit`` pages (-1: as many
        as asked); the next page comes from the reserves (page_is_pfmemalloc())."""
        self.lib.pph_buddy_plan(then, limit, int(pfmemalloc))

    def yields(self, c: int) -> int:
        return self.lib.pph_yields(c)

    # -- log --------------------------------------------------------------------------------
    def log(self) -> list[str]:
        return [ln for ln in (self.lib.pph_log() or b"").decode().splitlines() if ln]

    def counts(self) -> tuple[int, int]:
        """(WARNs, harness errors) recorded so far."""
        return self.lib.pph_nwarn(), self.lib.pph_nerr()

    # -- state --------------------------------------------------------------------------------
    def state(self) -> KState:
        lib, pg = self.lib, self._pg
        pages = []
        for i in range(self.npages):
            lib.pph_page(i, pg)
            pages.append(PageState(i, bool(pg[0]), pg[1], pg[2], bool(pg[3]), bool(pg[4]), bool(pg[5]),
                                   pg[6], bool(pg[8])))
        o = self._pool
        lib.pph_pool(o, self._cache, 256, self._ring, 64)
        owner = lib.pph_ring_lock_owner()
        return KState(
            pages=tuple(pages), alloc_count=o[0], cache=tuple(self._cache[i] for i in range(min(o[0], 256))),
            ring=tuple(self._ring[i] for i in range(min(o[1], 64))), hold=o[2], release=o[3],
            cpuid=o[4], napi_linked=bool(o[5]), destroy_cnt=o[6], user_cnt=o[7], dma_sync=bool(o[8]),
            frag_page=None if o[9] < 0 else o[9], frag_users=o[10], frag_offset=o[11],
            dma_index_entries=o[13], pool_freed=bool(lib.pph_pool_freed()),
            work_pending=bool(lib.pph_work_pending()), ring_lock=None if owner == -1 else owner,
            napi_owner=lib.pph_napi_owner(), dev_bound=bool(lib.pph_dev_bound()))
