"""csm: customer-success KPIs from the exports you already have."""

__version__ = "0.1.0"
