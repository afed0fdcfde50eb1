"""A concrete, kernel-shaped page_pool implementation checked against the spec."""
