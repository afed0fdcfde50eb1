/* shim of <linux/interrupt.h>: in_softirq() and friends are in the spinlock shim. */
#include <linux/spinlock.h>
