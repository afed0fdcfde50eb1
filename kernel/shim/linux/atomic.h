/* shim of <linux/atomic.h> and <linux/refcount.h>: every atomic operation is one
 * indivisible step preceded by a scheduling point (pp_yield), so two contexts interleave
 * between atomics exactly as two CPUs may. */
#ifndef _LINUX_ATOMIC_H
#define _LINUX_ATOMIC_H
#include <linux/types.h>
#define PP_AT(v, what) pp_yield(PPY_ATOMIC, &(v)->counter, what)
PP_PRIM int atomic_read(const atomic_t *v) { PP_AT(v, "atomic_read"); return v->counter; }
PP_PRIM void atomic_set(atomic_t *v, int i) { PP_AT(v, "atomic_set"); v->counter = i; }
PP_PRIM void atomic_inc(atomic_t *v) { PP_AT(v, "atomic_inc"); v->counter++; }
PP_PRIM void atomic_dec(atomic_t *v) { PP_AT(v, "atomic_dec"); v->counter--; }
PP_PRIM int atomic_inc_return(atomic_t *v) { PP_AT(v, "atomic_inc_return"); return ++v->counter; }
PP_PRIM int atomic_inc_return_relaxed(atomic_t *v) { PP_AT(v, "atomic_inc_return"); return ++v->counter; }
PP_PRIM int atomic_dec_return(atomic_t *v) { PP_AT(v, "atomic_dec_return"); return --v->counter; }
PP_PRIM int atomic_dec_and_test(atomic_t *v) { PP_AT(v, "atomic_dec_and_test"); return --v->counter == 0; }
PP_PRIM int atomic_sub_return(int i, atomic_t *v) { PP_AT(v, "atomic_sub_return"); return v->counter -= i; }
PP_PRIM long atomic_long_read(const atomic_long_t *v) { PP_AT(v, "atomic_long_read"); return v->counter; }
PP_PRIM void atomic_long_set(atomic_long_t *v, long i) { PP_AT(v, "atomic_long_set"); v->counter = i; }
PP_PRIM void atomic_long_inc(atomic_long_t *v) { PP_AT(v, "atomic_long_inc"); v->counter++; }
PP_PRIM long atomic_long_sub_return(long i, atomic_long_t *v)
{ PP_AT(v, "atomic_long_sub_return"); return v->counter -= i; }
PP_PRIM long atomic_long_add_return(long i, atomic_long_t *v)
{ PP_AT(v, "atomic_long_add_return"); return v->counter += i; }
PP_PRIM long atomic_long_inc_return(atomic_long_t *v) { PP_AT(v, "atomic_long_inc_return"); return ++v->counter; }
PP_PRIM long atomic_long_dec_return(atomic_long_t *v) { PP_AT(v, "atomic_long_dec_return"); return --v->counter; }
PP_PRIM void refcount_set(refcount_t *r, int n) { atomic_set(&r->refs, n); }
PP_PRIM void refcount_inc(refcount_t *r) { atomic_inc(&r->refs); }
PP_PRIM bool refcount_dec_and_test(refcount_t *r) { return atomic_dec_and_test(&r->refs); }
PP_PRIM unsigned int refcount_read(const refcount_t *r) { return atomic_read(&r->refs); }
#endif
