/* shim of <linux/jiffies.h>: time stands still (jiffies is 0); the release worker runs
 * when the scheduler chooses it, not after a delay. */
#ifndef _LINUX_JIFFIES_H
#define _LINUX_JIFFIES_H
#define HZ 100
#define jiffies 0UL
#define msecs_to_jiffies(m) ((m) / 10)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#endif
