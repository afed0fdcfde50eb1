"""ppcheck.kernel: the kernel's own net/core/page_pool.c, compiled against ppcheck's shim
headers as a userspace library and driven through the model's schedules (docs/kernel.md)."""
