"""Run `python -m csmetrics_cli` as the `csm` command."""

from csmetrics_cli.cli.app import main

main()
