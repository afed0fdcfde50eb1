/* shim of <linux/bottom_half.h>: what page_pool.c and ptr_ring.h need from it is in the spinlock/percpu shims. */
#include <linux/kernel.h>
#ifndef SMP_CACHE_BYTES
#define SMP_CACHE_BYTES 64
#endif
