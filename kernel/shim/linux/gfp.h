/* shim of <linux/gfp.h>: the GFP flag values page_pool.c tests or masks (the fake buddy
 * allocator ignores them). */
#ifndef _LINUX_GFP_H
#define _LINUX_GFP_H
#define __GFP_DMA 0x01u
#define __GFP_HIGHMEM 0x02u
#define __GFP_DMA32 0x04u
#define __GFP_NOWARN 0x200u
#define __GFP_COMP 0x4000u
#define __GFP_HIGH 0x20u
#define __GFP_KSWAPD_RECLAIM 0x800u
#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL 0x400u
#endif
#define __GFP_ZERO 0x100u
