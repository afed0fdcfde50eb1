/* shim of <linux/error-injection.h>: ALLOW_ERROR_INJECTION is a no-op. */
#define ALLOW_ERROR_INJECTION(f, t)
