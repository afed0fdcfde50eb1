/* shim of <linux/netdevice.h>: the napi_struct fields page_pool reads (list_owner: the CPU
 * running its poll, or -1), a net_device, synchronize_net() (an RCU grace period: it waits
 * until every context that was an RCU reader when it was called has left). */
#ifndef _LINUX_NETDEVICE_H
#define _LINUX_NETDEVICE_H
#include <linux/kernel.h>
#include <linux/device.h>
struct napi_struct { int list_owner; unsigned int napi_id; unsigned long state; };
struct net_device { int ifindex; };
#define napi_assert_will_not_race(n) do { (void)(n); } while (0)
static inline void synchronize_net(void) { synchronize_rcu(); }
#endif
