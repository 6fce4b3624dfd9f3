# binance-merchant-platform: the commands a newcomer needs. `make demo`, `make test`, `make dev`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# dbt (called by dagster-dbt) and the console scripts come from the venv.
export PATH := $(CURDIR)/$(BIN):$(PATH)
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' \) -print)

.PHONY: install demo dev test lint bench clean

# Install once per change of setup.py; pip is upgraded first (the old resolver backtracks for minutes).
$(VENV)/.installed: setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed $(MANIFEST)

# The dbt manifest Dagster builds the graph from: prepared here (and in the Docker build), never committed.
$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	$(BIN)/dagster-dbt project prepare-and-package --file binance_assets/transform/project.py

$(DAGSTER_HOME)/dagster.yaml: deploy/dagster/local.yaml
	mkdir -p $(DAGSTER_HOME) && cp $< $@

demo: install $(DAGSTER_HOME)/dagster.yaml  ## simulate 2 symbols x 3 days and materialize everything into .data/warehouse.duckdb
	$(BIN)/binance-assets demo

dev: install $(DAGSTER_HOME)/dagster.yaml  ## Dagster UI + daemon on http://127.0.0.1:3000
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

test: install  ## the whole suite, as CI runs it
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	# Two workers on two cores: one OpenMP thread each (scikit-learn), or they oversubscribe.
	OMP_NUM_THREADS=1 $(BIN)/pytest -n 2 --dist loadgroup

bench: install  ## benchmarks (big simulated days; minutes)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/incremental.py
	$(BIN)/python benchmarks/refresh_latency.py
	$(BIN)/python benchmarks/rest_gapfill.py

clean:
	rm -rf .data .dagster_home .pytest_cache dbt_project/target dbt_project/logs
