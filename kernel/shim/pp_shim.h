/* ppcheck kernel shim: forced-included (-include pp_shim.h) before page_pool.c.
 * Fakes: the kernel build environment (compiler attributes, CONFIG_*), and declares the
 * harness hooks every other shim header calls: pp_yield() (a scheduling point: the
 * running kernel context may be switched out here), pp_warn() (a WARN that records),
 * and the current context (CPU, softirq/BH state). Implemented in harness/harness.c. */
#ifndef PP_SHIM_H
#define PP_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <limits.h>

#define CONFIG_PAGE_POOL 1
#define CONFIG_HAS_DMA 1
#define CONFIG_DMA_NEED_SYNC 1
#define CONFIG_ILLEGAL_POINTER_VALUE 0xdead000000000000
/* CONFIG_PREEMPT_RT is set by the RT build of the harness (-DCONFIG_PREEMPT_RT=1) */

/* yield kinds: what the kernel context was about to do when it was switched out */
enum pp_yield_kind { PPY_ATOMIC = 1, PPY_LOCK, PPY_UNLOCK, PPY_READ, PPY_WRITE, PPY_XA, PPY_DMA,
                     PPY_PAGE, PPY_SPIN };

/* shim primitives are indivisible: never instrumented by the "fine" build (-fsanitize=thread) */
#define PP_PRIM static inline __attribute__((no_sanitize_thread))

struct pp_ctx_state {          /* the running kernel context, as the shim sees it */
	int cpu;               /* smp_processor_id() */
	int softirq;           /* serving a softirq (NAPI poll) */
	int bh;                /* local_bh_disable() depth (spin_lock_bh) */
	int preempt;           /* preempt_disable() depth (spinlocks held) */
	int rcu;               /* rcu_read_lock() depth */
};
extern struct pp_ctx_state *pp_cur;
void pp_yield(int kind, const volatile void *addr, const char *what);
void pp_warn(const char *file, int line, const char *cond);
void pp_note_free(const void *obj);   /* kfree of an object: later accesses are a UAF */
void pp_synchronize_rcu(void);        /* waits for the RCU readers of the moment (harness) */
#endif
