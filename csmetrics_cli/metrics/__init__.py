"""The metric catalog. Importing this package registers every family's metrics, in order."""

from csmetrics_cli.metrics import (  # noqa: F401  (each module registers its family)
    engagement,
    health,
    revenue,
    satisfaction,
)
