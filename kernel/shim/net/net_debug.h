/* shim of <net/net_debug.h>: DEBUG_NET_WARN_ON_ONCE records like WARN_ON. */
#ifndef _NET_NET_DEBUG_H
#define _NET_NET_DEBUG_H
#include <linux/bug.h>
#define DEBUG_NET_WARN_ON_ONCE(c) ((void)WARN_ON(c))
#endif
