/* shim of <linux/xarray.h>: the allocating XArray page_pool.c uses to track DMA-mapped pages
 * (6.12's dma_mapped): a fixed array of slots with ids from 1 (XA_FLAGS_ALLOC1), xa_alloc,
 * xa_cmpxchg, xa_for_each, xa_empty. The xa_lock is one scheduling point per call. */
#ifndef _LINUX_XARRAY_H
#define _LINUX_XARRAY_H
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <asm/errno.h>
#define PP_XA_SLOTS 64
struct xarray { unsigned int flags; void *slot[PP_XA_SLOTS]; };
struct xa_limit { u32 max; u32 min; };
#define XA_LIMIT(_min, _max) (struct xa_limit) { .min = (_min), .max = (_max) }
#define XA_FLAGS_ALLOC1 1u
PP_PRIM void xa_init_flags(struct xarray *xa, unsigned int flags)
{ memset(xa, 0, sizeof(*xa)); xa->flags = flags; }
PP_PRIM void xa_destroy(struct xarray *xa) { memset(xa->slot, 0, sizeof(xa->slot)); }
PP_PRIM int xa_alloc(struct xarray *xa, u32 *id, void *entry, struct xa_limit lim, gfp_t gfp)
{
	(void)gfp;
	pp_yield(PPY_XA, xa, "xa_alloc");
	for (u32 i = lim.min ? lim.min : 1; i < PP_XA_SLOTS && i <= lim.max; i++)
		if (!xa->slot[i]) { xa->slot[i] = entry; *id = i; return 0; }
	return -EBUSY;
}
#define xa_alloc_bh xa_alloc
PP_PRIM void *xa_cmpxchg(struct xarray *xa, unsigned long id, void *old, void *entry, gfp_t gfp)
{
	void *cur;
	(void)gfp;
	pp_yield(PPY_XA, xa, "xa_cmpxchg");
	if (id >= PP_XA_SLOTS)
		return NULL;
	cur = xa->slot[id];
	if (cur == old)
		xa->slot[id] = entry;
	return cur;
}
#define xa_cmpxchg_bh xa_cmpxchg
PP_PRIM bool xa_empty(const struct xarray *xa)
{
	pp_yield(PPY_XA, xa, "xa_empty");
	for (int i = 0; i < PP_XA_SLOTS; i++)
		if (xa->slot[i]) return false;
	return true;
}
PP_PRIM void *pp_xa_next(struct xarray *xa, unsigned long *id)
{
	pp_yield(PPY_XA, xa, "xa_find");
	for (; *id < PP_XA_SLOTS; (*id)++)
		if (xa->slot[*id]) return xa->slot[*id];
	return NULL;
}
#define xa_for_each(xa, index, entry) \
	for ((index) = 0; ((entry) = pp_xa_next(xa, &(index))) != NULL; (index)++)
#endif
