# csm: `make demo` sets up and runs the main job on sample_data/; `make test` runs every check.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck pytest docs sample bench screenshots clean

demo: $(VENV)/.csm
	$(BIN)/csm report --period 2024-06 --format table

# The demo needs csm alone; the tests also need the dev tools and the spark extra (pyspark is
# about 300 MB), which the first command of a newcomer should not wait for.
$(VENV)/.csm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[html]'
	touch $@

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.csm

test: lint typecheck pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

pytest: $(VENV)/.installed
	$(BIN)/pytest

docs: $(VENV)/.installed
	$(BIN)/python -m csmetrics_cli.docs
	$(BIN)/python -m csmetrics_cli.presets

screenshots: $(VENV)/.installed
	$(BIN)/python docs/screenshots.py

sample: $(VENV)/.installed
	rm -rf sample_data
	$(BIN)/csm sample --output sample_data --customers 1500 --seed 7 --workbook

bench: $(VENV)/.installed
	$(BIN)/pip install --quiet duckdb
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
