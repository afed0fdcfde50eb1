/* shim of <linux/dma-mapping.h>: map/unmap/sync are recorded by the harness (pp_dma_*): a
 * mapping is the page's pfn in a mapped set; unmapping what is not mapped, or any DMA call
 * after the device was unbound, is recorded as an error. Mapping is a scheduling point. */
#ifndef _LINUX_DMA_MAPPING_H
#define _LINUX_DMA_MAPPING_H
#include <linux/mm.h>
#include <linux/dma-direction.h>
#include <linux/device.h>
#define DMA_ATTR_SKIP_CPU_SYNC (1UL << 5)
#define DMA_ATTR_WEAK_ORDERING (1UL << 1)
#define DMA_MAPPING_ERROR (~(dma_addr_t)0)
dma_addr_t pp_dma_map(struct page *page);
void pp_dma_unmap(dma_addr_t addr);
void pp_dma_sync(dma_addr_t addr);
static inline dma_addr_t dma_map_page_attrs(struct device *d, struct page *p, size_t off, size_t sz,
					    enum dma_data_direction dir, unsigned long attrs)
{ (void)d; (void)off; (void)sz; (void)dir; (void)attrs; return pp_dma_map(p); }
static inline void dma_unmap_page_attrs(struct device *d, dma_addr_t a, size_t sz,
					enum dma_data_direction dir, unsigned long attrs)
{ (void)d; (void)sz; (void)dir; (void)attrs; pp_dma_unmap(a); }
static inline int dma_mapping_error(struct device *d, dma_addr_t a) { (void)d; return a == DMA_MAPPING_ERROR; }
static inline void __dma_sync_single_for_device(struct device *d, dma_addr_t a, size_t sz,
						enum dma_data_direction dir)
{ (void)d; (void)sz; (void)dir; pp_dma_sync(a); }
static inline void dma_sync_single_range_for_device(struct device *d, dma_addr_t a, unsigned long off,
						    size_t sz, enum dma_data_direction dir)
{ (void)d; (void)off; (void)sz; (void)dir; pp_dma_sync(a); }
static inline bool dma_dev_need_sync(const struct device *d) { (void)d; return true; }
static inline int dma_get_cache_alignment(void) { return 64; }
#endif
