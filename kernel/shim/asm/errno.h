/* shim of <asm/errno.h>: the errno values page_pool.c, ptr_ring.h and the xarray return. */
#ifndef _ASM_ERRNO_H
#define _ASM_ERRNO_H
#define EFAULT 14
#define EBUSY 16
#define EINVAL 22
#define ENOSPC 28
#define ENOMEM 12
#define EOPNOTSUPP 95
#endif
