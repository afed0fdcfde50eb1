/* shim of <linux/refcount.h>: refcount_t operations live in the atomic shim. */
#include <linux/atomic.h>
