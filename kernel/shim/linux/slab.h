/* shim of <linux/slab.h>: kmalloc/kzalloc/kvmalloc come from the harness (zeroed, never fail, released at reset); kfree of a page
 * pool is recorded by the harness (pp_note_free) and the memory kept, so that a later access
 * through a yield point is reported as a use-after-free instead of crashing. */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H
#include <linux/kernel.h>
#include <linux/gfp.h>
void *pp_kalloc(size_t n);  /* harness: tracked, released at reset */
static inline void *kzalloc_node(size_t n, gfp_t g, int nid) { (void)g; (void)nid; return pp_kalloc(n); }
static inline void *kzalloc(size_t n, gfp_t g) { (void)g; return pp_kalloc(n); }
static inline void *kmalloc(size_t n, gfp_t g) { (void)g; return pp_kalloc(n); }
static inline void *kcalloc(size_t k, size_t n, gfp_t g) { (void)g; return pp_kalloc(k * n); }
static inline void *kvmalloc_array(size_t k, size_t n, gfp_t g) { (void)g; return pp_kalloc(k * n); }
static inline void *kvmalloc(size_t n, gfp_t g) { (void)g; return pp_kalloc(n); }
#define kmalloc_array(k, n, g) kcalloc(k, n, g)
#define kmalloc_array_noprof kmalloc_array
static inline void kfree(const void *p) { if (p) pp_note_free(p); }
static inline void kvfree(const void *p) { if (p) pp_note_free(p); }
#endif
#ifndef KMALLOC_MAX_SIZE
#define KMALLOC_MAX_SIZE (1UL << 22)
#endif
#define alloc_hooks(x) (x)
#define kvmalloc_array_noprof kvmalloc_array
#define kmalloc_noprof kmalloc
#define kzalloc_noprof kzalloc
