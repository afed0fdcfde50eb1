/* shim of <linux/workqueue.h>: schedule_delayed_work() hands the work to the harness, whose
 * release-worker context runs it when the scheduler chooses (no timer). */
#ifndef _LINUX_WORKQUEUE_H
#define _LINUX_WORKQUEUE_H
#include <linux/kernel.h>
struct work_struct { void (*func)(struct work_struct *); };
struct delayed_work { struct work_struct work; };
void pp_schedule_work(struct work_struct *w);
#define INIT_DELAYED_WORK(dw, fn) ((dw)->work.func = (fn))
#define to_delayed_work(w) container_of(w, struct delayed_work, work)
static inline bool schedule_delayed_work(struct delayed_work *dw, unsigned long delay)
{ (void)delay; pp_schedule_work(&dw->work); return true; }
#endif
