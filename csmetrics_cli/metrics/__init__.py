"""Metrics: the catalog (spec, catalog), the compute loop, and one module per family."""
