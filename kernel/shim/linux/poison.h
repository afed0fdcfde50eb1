/* shim of <linux/poison.h>: PP_SIGNATURE and the poison pointer delta of x86-64. */
#ifndef _LINUX_POISON_H
#define _LINUX_POISON_H
#define POISON_POINTER_DELTA 0xdead000000000000UL
#define PP_SIGNATURE (0x40UL + POISON_POINTER_DELTA)
#define NET_PTR_POISON ((void *)(0x801UL + POISON_POINTER_DELTA))
#endif
