/* shim of net/core/dev.h (included as "dev.h"): nothing page_pool.c uses from it. */
#include <linux/netdevice.h>
