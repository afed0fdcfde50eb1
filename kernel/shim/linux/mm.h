/* shim of <linux/mm.h> and <linux/mm_types.h>: struct page with the page_pool fields of both
 * the 6.1 (pp_frag_count) and 6.12 (pp_ref_count) layouts, over a fake memmap owned by the
 * harness (pp_memmap[]); alloc_pages_node()/alloc_pages_bulk_array_node() take free pages
 * from the harness's fake buddy allocator and put_page() gives them back at refcount 0
 * (the harness records a free of a page still marked pp, still DMA-mapped, or already free).
 * A page's node is the harness's (pp_nid, the node of the NAPI when it was allocated).
 * page refcounts are atomics (scheduling points). The DMA-index bits of pp_magic are the
 * x86-64 values (POISON_POINTER_DELTA 0xdead000000000000). */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H
#include <linux/kernel.h>
#include <linux/poison.h>
#include <linux/gfp.h>
struct page_pool;
struct page {
	unsigned long flags;
	unsigned long pp_magic;
	struct page_pool *pp;
	unsigned long _pp_mapping_pad;
	unsigned long dma_addr;
	union {
		atomic_long_t pp_ref_count;   /* 6.12 */
		atomic_long_t pp_frag_count;  /* 6.1 */
		unsigned long dma_addr_upper;
	};
	atomic_t _refcount;
	int pp_buddy_free;                    /* harness: the page is in the fake buddy allocator */
	int pp_nid;                           /* harness: its NUMA node (page_to_nid()) */
	int pp_pfmemalloc;                    /* harness: it came from the reserves (last allocation) */
};
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PP_NR_PAGES_MAX 16
extern struct page pp_memmap[PP_NR_PAGES_MAX];
struct page *pp_buddy_alloc(void);
void pp_buddy_free(struct page *page);
extern int pp_buddy_limit;  /* the harness's cap on the next bulk request (-1: none) */
static inline unsigned long page_to_pfn(const struct page *p) { return p - pp_memmap; }
static inline int page_ref_count(const struct page *p) { return atomic_read(&p->_refcount); }
static inline void page_ref_inc(struct page *p) { atomic_inc(&p->_refcount); }
static inline void get_page(struct page *p) { atomic_inc(&p->_refcount); }
static inline void put_page(struct page *p)
{
	if (atomic_dec_and_test(&p->_refcount))
		pp_buddy_free(p);
}
static inline void __free_pages(struct page *p, unsigned int order) { put_page(p); }
static inline struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	(void)nid; (void)gfp; (void)order;
	return pp_buddy_alloc();
}
static inline unsigned long alloc_pages_bulk_array_node(gfp_t gfp, int nid, unsigned long nr,
							struct page **array)
{
	unsigned long n = 0;
	(void)gfp; (void)nid;
	if (pp_buddy_limit >= 0 && nr > (unsigned long)pp_buddy_limit)
		nr = pp_buddy_limit;  /* the buddy allocator had fewer pages at hand */
	pp_buddy_limit = -1;
	for (unsigned long i = 0; i < nr; i++) {
		if (array[i]) { n++; continue; }
		array[i] = pp_buddy_alloc();
		if (!array[i])
			break;
		n++;
	}
	return n;
}
#define alloc_pages_bulk_node(g, n, nr, a) alloc_pages_bulk_array_node(g, n, nr, a)
static inline int page_to_nid(const struct page *p) { return p->pp_nid; }
static inline bool page_is_pfmemalloc(const struct page *p) { return p->pp_magic & 0x2UL; }
static inline struct page *compound_head(struct page *p) { return p; }
static inline struct page *virt_to_head_page(const void *x) { return (struct page *)x; }
static inline struct page *virt_to_page(const void *x) { return (struct page *)x; }
static inline void *page_address(const struct page *p) { return (void *)p; }
#define PP_DMA_INDEX_SHIFT 7
#define PP_DMA_INDEX_BITS 32
#define PP_DMA_INDEX_MASK GENMASK(PP_DMA_INDEX_BITS + PP_DMA_INDEX_SHIFT - 1, PP_DMA_INDEX_SHIFT)
#define PP_MAGIC_MASK ~(PP_DMA_INDEX_MASK | 0x3UL)
#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))
#endif
