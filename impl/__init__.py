"""A concrete, kernel-shaped page_pool implementation checked against the spec.

``kernel`` (pages, buddy allocator, DMA, locks, ptr_ring, program labels),
``page_pool`` and ``skbuff`` (the kernel functions as generators), ``world`` (CPUs,
contexts, the driver and the stack), ``abstraction`` (implementation state -> spec
state), ``conformance`` (the step checker), ``explore`` (random and exhaustive
drivers), ``machines`` (Hypothesis), ``switches`` (design variants and mutations),
``mutation`` (mutation testing), ``replay`` (``ppcheck replay --impl``).  See
docs/impl.md.
"""
