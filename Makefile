# Each target bootstraps .venv from pyproject.toml when missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run depth paper test test-fast bench lint typecheck format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flowrl demo

# a deep offline tree with the CPU trainer profile: about 90 minutes on 2 cores
depth: $(STAMP)
	$(BIN)/flowrl demo --preset depth

# the demo with 2 seeds and the plain-PPO baseline: the achievement table with intervals
paper: $(STAMP)
	$(BIN)/flowrl demo --seeds 0 1 --baseline

# Test files run on up to TEST_WORKERS processes (one file stays on one worker, so its
# session fixtures compile once); slow files start first so they do not end the run alone.
# --durations=15 lists the slowest tests on every run, so a test that grows is seen.
TEST_WORKERS ?= 4
PYTEST_XDIST := -n auto --maxprocesses $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
PYTEST := $(BIN)/python -m pytest -q --durations=15 $(PYTEST_XDIST)

test: $(STAMP)
	$(PYTEST)

test-fast: $(STAMP)
	$(PYTEST) -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/env_throughput.py

lint: $(STAMP)
	$(BIN)/ruff check flowrl tests benchmarks
	$(BIN)/ruff format --check flowrl tests benchmarks
	$(BIN)/snakefmt --check workflow
	$(BIN)/python -m snakemake --lint --configfile config/presets/quick.yaml

# mypy on flowrl/, configured in pyproject.toml ([tool.mypy])
typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format flowrl tests benchmarks
	$(BIN)/ruff check --fix flowrl tests benchmarks
	$(BIN)/snakefmt workflow

clean:
	rm -rf $(VENV) .pytest_cache
