/* shim of <linux/types.h>: the kernel's fixed-width types, gfp_t, dma_addr_t, atomics'
 * storage types (the operations are in <linux/atomic.h>), list/hlist heads. */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H
#include "../pp_shim.h"
#include <linux/compiler.h>
typedef uint8_t u8; typedef uint16_t u16; typedef uint32_t u32; typedef uint64_t u64;
typedef int8_t s8; typedef int16_t s16; typedef int32_t s32; typedef int64_t s64;
typedef unsigned int gfp_t;
typedef u64 dma_addr_t;
typedef unsigned long phys_addr_t;
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
typedef struct { atomic_t refs; } refcount_t;
struct list_head { struct list_head *next, *prev; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct hlist_head { struct hlist_node *first; };
struct rcu_head { void *next; void (*func)(struct rcu_head *); };
#endif
