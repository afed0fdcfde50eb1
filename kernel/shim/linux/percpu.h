/* shim of <linux/percpu.h> and <linux/smp.h>: smp_processor_id() is the running context's
 * CPU; per-CPU data is a plain variable (CONFIG_PAGE_POOL_STATS is off, so page_pool.c
 * declares none). */
#ifndef _LINUX_PERCPU_H
#define _LINUX_PERCPU_H
#include <linux/types.h>
#define smp_processor_id() (pp_cur->cpu)
#define raw_smp_processor_id() (pp_cur->cpu)
#define DEFINE_PER_CPU(t, n) t n
#define DECLARE_PER_CPU(t, n) extern t n
#define this_cpu_inc(x) ((x)++)
#define this_cpu_add(x, v) ((x) += (v))
#define per_cpu_ptr(p, cpu) (p)
#define for_each_possible_cpu(c) for ((c) = 0; (c) < 1; (c)++)
#define numa_mem_id() 0
#define NUMA_NO_NODE (-1)
#endif
