# Each target bootstraps .venv from pyproject.toml when missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run paper test test-fast bench lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flowrl demo

# the demo with 2 seeds and the plain-PPO baseline: the achievement table with intervals
paper: $(STAMP)
	$(BIN)/flowrl demo --seeds 0 1 --baseline

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/env_throughput.py

lint: $(STAMP)
	$(BIN)/ruff check flowrl tests benchmarks
	$(BIN)/ruff format --check flowrl tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format flowrl tests benchmarks
	$(BIN)/ruff check --fix flowrl tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
