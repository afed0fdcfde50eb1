"""ppcheck: a model-checked specification of the Linux kernel page_pool."""

__version__ = "0.1.0"
