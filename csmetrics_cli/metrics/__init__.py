"""The metric catalog. Importing this package registers every family's metrics."""

from csmetrics_cli.metrics import revenue  # noqa: F401  (registers the revenue family)
