/* shim of <linux/kernel.h>: container_of, min/max, ALIGN, bit helpers, printk (dropped),
 * and pulls in the shims page_pool.c expects kernel.h to bring (bug, atomics, spinlocks). */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H
#include <linux/types.h>
#include <linux/bug.h>
#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/percpu.h>
#include <linux/jiffies.h>
#include <linux/jump_label.h>
#include <asm/errno.h>
#include <linux/err.h>
#include <linux/workqueue.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define MIN(a, b) min(a, b)
#define ALIGN(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1UL << (n))
#define GENMASK(h, l) (((~0UL) << (l)) & (~0UL >> (63 - (h))))
#define __fls(x) (63 - __builtin_clzl(x))
#define __ffs(x) (__builtin_ctzl(x))
#define _AC(x, y) x##y
#define pr_warn(...) do { } while (0)
#define pr_crit(...) pp_warn(__FILE__, __LINE__, "pr_crit")
#define pr_info(...) do { } while (0)
#define pr_err(...) do { } while (0)
#define EXPORT_SYMBOL(x)
#define EXPORT_SYMBOL_GPL(x)
#define might_sleep() do { } while (0)
#define ASSERT_RTNL() do { } while (0)
#define IS_ENABLED(opt) (__is_defined_##opt + 0)
#ifdef CONFIG_PREEMPT_RT
#define __is_defined_CONFIG_PREEMPT_RT 1
#else
#define __is_defined_CONFIG_PREEMPT_RT 0
#endif
#define __is_defined_CONFIG_PAGE_POOL 1
#define __is_defined_CONFIG_PAGE_POOL_STATS 0
#define __is_defined_CONFIG_DEBUG_NET 0
/* CONFIG_NUMA: the refill checks the page's node against pool->p.nid (page_pool_update_nid()) */
#define CONFIG_NUMA 1
#define __is_defined_CONFIG_NUMA 1
#define __is_defined_CONFIG_LOCKDEP 0
#define __is_defined_CONFIG_ARCH_DMA_ADDR_T_64BIT 1
#define is_kernel_rodata(x) 1
#endif
