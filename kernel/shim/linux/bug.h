/* shim of <linux/bug.h> / asm-generic/bug.h: WARN_ON, WARN, WARN_ONCE, BUG_ON record the
 * warning through pp_warn() (file, line, condition text) and evaluate like the kernel's. */
#ifndef _LINUX_BUG_H
#define _LINUX_BUG_H
#include "../pp_shim.h"
#define WARN_ON(c) ({ int __c = !!(c); if (__c) pp_warn(__FILE__, __LINE__, #c); __c; })
#define WARN_ON_ONCE(c) WARN_ON(c)
#define WARN(c, ...) WARN_ON(c)
#define WARN_ONCE(c, ...) WARN_ON(c)
#define BUG_ON(c) do { if (c) pp_warn(__FILE__, __LINE__, "BUG_ON(" #c ")"); } while (0)
#define BUG() pp_warn(__FILE__, __LINE__, "BUG()")
#endif
