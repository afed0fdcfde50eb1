/* shim of <linux/compiler.h> (and compiler_types.h): attributes, likely/unlikely, and
 * READ_ONCE/WRITE_ONCE as scheduling points: the context yields before every marked
 * access of shared state, so another context may run between any two of them. */
#ifndef _LINUX_COMPILER_H
#define _LINUX_COMPILER_H
#include "../pp_shim.h"
#define __force
#define __bitwise
#define __percpu
#define __rcu
#define __iomem
#define __user
#define __must_check
#define __acquires(x)
#define __releases(x)
#define __always_inline inline __attribute__((always_inline))
#define noinline __attribute__((noinline))
#define __cold
#define __read_mostly
#define __aligned(x) __attribute__((aligned(x)))
#define ____cacheline_aligned_in_smp __attribute__((aligned(64)))
#define ____cacheline_aligned __attribute__((aligned(64)))
#define __cacheline_aligned_in_smp __attribute__((aligned(64)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" ::: "memory")
#define READ_ONCE(x) ({ __typeof__(&(x)) __pp_p = &(x); \
	pp_yield(PPY_READ, __pp_p, "READ_ONCE(" #x ")"); *(const volatile __typeof__(x) *)__pp_p; })
#define WRITE_ONCE(x, val) do { __typeof__(&(x)) __pp_p = &(x); \
	pp_yield(PPY_WRITE, __pp_p, "WRITE_ONCE(" #x ")"); \
	*(volatile __typeof__(x) *)__pp_p = (val); } while (0)
#define smp_rmb() barrier()
#define smp_wmb() barrier()
#define smp_mb() barrier()
#define smp_load_acquire(p) READ_ONCE(*(p))
#define smp_store_release(p, v) WRITE_ONCE(*(p), v)
#define __same_type(a, b) __builtin_types_compatible_p(__typeof__(a), __typeof__(b))
#define BUILD_BUG_ON(c) ((void)sizeof(char[1 - 2 * !!(c)]))
#define static_assert(c, ...) _Static_assert(c, "static_assert")
#define __struct_group(TAG, NAME, ATTRS, MEMBERS...) \
	union { struct { MEMBERS } ATTRS; struct TAG { MEMBERS } ATTRS NAME; }
#define __cacheline_group_begin(g) __u8 __cacheline_group_begin__##g[0]
#define __cacheline_group_end(g) __u8 __cacheline_group_end__##g[0]
#define __cacheline_group_begin_aligned(g, ...) __u8 __cacheline_group_begin__##g[0]
#define __cacheline_group_end_aligned(g, ...) __u8 __cacheline_group_end__##g[0]
#define CACHELINE_ASSERT_GROUP_MEMBER(...) do { } while (0)
#define CACHELINE_ASSERT_GROUP_SIZE(...) do { } while (0)
typedef unsigned char __u8;
#endif
#ifndef struct_group_tagged
#define struct_group_tagged(TAG, NAME, MEMBERS...) __struct_group(TAG, NAME, , MEMBERS)
#define struct_group(NAME, MEMBERS...) __struct_group(, NAME, , MEMBERS)
#endif
#define BITS_PER_LONG 64
#define __init
#define __exit
