/* shim of <linux/spinlock.h> (and bottom_half.h, rcupdate.h): a spinlock is a word with its owner; taking
 * it is a scheduling point and a held lock makes the taker spin (yield) until it is free.
 * spin_lock_bh() yields before it disables BH (a softirq may come first), then it and
 * local_bh_disable() raise the context's BH depth, which in_softirq() reads. */
#ifndef _LINUX_SPINLOCK_H
#define _LINUX_SPINLOCK_H
#include <linux/types.h>
typedef struct { volatile int locked; struct pp_ctx_state *owner; } spinlock_t;
#define __SPIN_LOCK_UNLOCKED(x) { 0, 0 }
#define DEFINE_SPINLOCK(x) spinlock_t x = { 0, 0 }
PP_PRIM void spin_lock_init(spinlock_t *l) { l->locked = 0; l->owner = 0; }
PP_PRIM void spin_lock(spinlock_t *l)
{
	pp_yield(PPY_LOCK, l, "spin_lock");
	while (l->locked)
		pp_yield(PPY_SPIN, l, "spin_lock (spinning)");
	l->locked = 1;
	l->owner = pp_cur;
	pp_cur->preempt++;
}
PP_PRIM void spin_unlock(spinlock_t *l)
{
	pp_yield(PPY_UNLOCK, l, "spin_unlock");
	if (!l->locked || l->owner != pp_cur)
		pp_warn(__FILE__, __LINE__, "spin_unlock of a lock not held");
	l->locked = 0;
	l->owner = 0;
	pp_cur->preempt--;
}
PP_PRIM void local_bh_disable(void) { pp_cur->bh++; }
PP_PRIM void local_bh_enable(void) { pp_cur->bh--; }
/* a softirq of this CPU may still run before local_bh_disable(): a scheduling point first */
PP_PRIM void spin_lock_bh(spinlock_t *l)
{
	pp_yield(PPY_LOCK, l, "spin_lock_bh");
	local_bh_disable();
	spin_lock(l);
}
PP_PRIM void spin_unlock_bh(spinlock_t *l) { spin_unlock(l); local_bh_enable(); }
PP_PRIM void spin_lock_irq(spinlock_t *l) { spin_lock(l); }
PP_PRIM void spin_unlock_irq(spinlock_t *l) { spin_unlock(l); }
#define spin_lock_irqsave(l, f) do { (f) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { (void)(f); spin_unlock(l); } while (0)
PP_PRIM void preempt_disable(void) { pp_cur->preempt++; }
PP_PRIM void preempt_enable(void) { pp_cur->preempt--; }
#define in_softirq() (pp_cur->softirq || pp_cur->bh > 0)
#define in_hardirq() 0
#define in_interrupt() in_softirq()
#define in_task() (!in_softirq())
#define lockdep_assert_no_hardirq() do { } while (0)
#define lockdep_assert_held(l) do { } while (0)
/* RCU: a reader is a context in rcu_read_lock(), in softirq, with BH or preemption
 * disabled; synchronize_rcu() waits until every reader of the moment has left (harness). */
PP_PRIM void rcu_read_lock(void) { pp_cur->rcu++; }
PP_PRIM void rcu_read_unlock(void) { pp_cur->rcu--; }
PP_PRIM void synchronize_rcu(void) { pp_synchronize_rcu(); }
#define rcu_dereference(p) (p)
#define rcu_assign_pointer(p, v) ((p) = (v))
#endif
