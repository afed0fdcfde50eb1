/* shim of <net/xdp.h>: struct xdp_mem_info (page_pool_use_xdp_mem) and skb_shared_info's
 * alignment (page_pool_alloc_frag aligns fragments to it). */
#ifndef _NET_XDP_H
#define _NET_XDP_H
#include <linux/types.h>
struct xdp_mem_info { u32 type; u32 id; };
struct skb_shared_info { unsigned long pad[40]; } __attribute__((aligned(64)));
#endif
