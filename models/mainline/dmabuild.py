"""Builds without DMA index tracking: ``PP_DMA_INDEX_BITS == 0`` (include/linux/mm.h, 6.12).

The DMA index lives in spare bits of ``page->pp_magic``; where POISON_POINTER_DELTA is 0 and
PAGE_OFFSET is not a compile-time constant with 8 free bits above PP_SIGNATURE, there are
none, and ``PP_DMA_INDEX_BITS`` is 0: page_pool_register_dma_index() records nothing
(``goto out``), ``pool->dma_mapped`` stays empty, and __page_pool_unmap_netmem_dma() unmaps
without the xa_cmpxchg() claim.  page_pool_scrub()'s ``xa_for_each(&pool->dma_mapped)`` then
finds no page: the pages in flight stay mapped and are unmapped when they come back, which
may be after the driver unbound the device, as before v6.15 (seeded bug
``ScrubKeepsMappings``).  Configuration parameter ``dma_index`` (True: the index is tracked);
configuration ``nodmaindex`` (base with ``dma_index=False``) violates ``no_dma_after_unbind``
by design: it is not in the default set; its trace is stored in counterexamples/builds/
(docs/mainline.md, "Builds without DMA index tracking").
"""

from __future__ import annotations

from typing import Any

from .base import MainlineBase


def has_dma_index(cfg: Any) -> bool:
    """PP_DMA_INDEX_BITS != 0: page_pool_register_dma_index() tracks every mapping."""
    return bool(getattr(cfg, "dma_index", True))


class DmaIndexBuild(MainlineBase):
    """page_pool_scrub() of a build with ``PP_DMA_INDEX_BITS == 0``: nothing to unmap."""

    def scrub_dma_mapped(self, s) -> None:
        """``xa_for_each(&pool->dma_mapped)``: an empty xarray without DMA index tracking."""
        if has_dma_index(self.cfg):
            super().scrub_dma_mapped(s)
