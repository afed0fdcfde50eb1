/* shim of <linux/page-flags.h>: nothing page_pool.c needs beyond <linux/mm.h>. */
#include <linux/mm.h>
