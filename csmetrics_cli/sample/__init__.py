"""Synthetic customer-success data behind `csm sample`: every canonical table from one model.

One latent `health` per customer drives churn, usage, NPS, tickets, failed payments and
onboarding, so the health score and satisfaction metrics correlate with churn the way they
do in real data. Everything is vectorised with numpy over customers, spells, users and
events; Python loops run only over plan-change rounds, months, company names and tables.

model.py draws the world as arrays, tables.py turns them into the canonical frames and
writing.py writes those as CSV files and a workbook.
"""

from csmetrics_cli.sample.tables import TABLES, generate
from csmetrics_cli.sample.writing import write_sample

__all__ = ["TABLES", "generate", "write_sample"]
