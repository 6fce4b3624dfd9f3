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

.PHONY: install tools demo dev api test lint bench bench-live docs clean

# Install once per change of setup.py; pip is upgraded first (the old resolver backtracks for minutes), then
# uv installs: same PyPI packages, ~15 s instead of ~140 s of pip's CPU on a fresh clone (its cache is shared).
# --compile-bytecode (as pip does by default, and the Dockerfile's pip does): uv leaves the .pyc files out,
# so where PYTHONDONTWRITEBYTECODE is set (this CI's machines, most containers) every process compiled
# dagster, pandas and dbt again: importing the definitions took 9.2 s instead of 4.5 s. It costs ~19 s once.
$(VENV)/.installed: setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "uv>=0.9,<1"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[dev]"
	touch $@

install: $(VENV)/.installed $(MANIFEST)

# checkov (tests/terraform/test_checkov.py) in a venv of its own: its pins clash with the stack's (see the file).
TOOLS_VENV := .venv-tools
$(TOOLS_VENV)/.installed: deploy/terraform/requirements-checkov.txt $(VENV)/.installed
	test -x $(TOOLS_VENV)/bin/python || $(PYTHON) -m venv $(TOOLS_VENV)
	$(BIN)/uv pip install --quiet --python $(TOOLS_VENV)/bin/python -r $<
	touch $@

tools: $(TOOLS_VENV)/.installed

# The dbt manifest Dagster builds the graph from: prepared here (and in the Docker build), never committed.
$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	$(BIN)/dagster-dbt project prepare-and-package --file binance_assets/transform/project.py

$(DAGSTER_HOME)/dagster.yaml: deploy/dagster/local.yaml
	mkdir -p $(DAGSTER_HOME) && cp $< $@

demo: install $(DAGSTER_HOME)/dagster.yaml  ## simulate 2 symbols x 3 days and materialize everything into .data/warehouse.duckdb
	$(BIN)/binance-assets demo

dev: install $(DAGSTER_HOME)/dagster.yaml  ## Dagster UI + daemon on http://127.0.0.1:3000
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

API_METRICS_DIR := $(CURDIR)/.data/api/metrics
api: install  ## the serving API on http://127.0.0.1:8000 (uvicorn, 2 workers) over the local warehouse (after `make demo`)
	rm -rf $(API_METRICS_DIR) && mkdir -p $(API_METRICS_DIR)
	PROMETHEUS_MULTIPROC_DIR=$(API_METRICS_DIR) $(BIN)/uvicorn --factory binance_api.main:create_app \
		--host 127.0.0.1 --port $${API_PORT:-8000} --workers 2 --no-access-log

test: install tools  ## the whole suite, as CI runs it
	# The dashboard's browser tests drive Debian's chromium (Playwright never downloads one).
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/actionlint
	shellcheck .github/scripts/*.sh
	# Two workers on two cores: one OpenMP thread each (scikit-learn), or they oversubscribe.
	OMP_NUM_THREADS=1 $(BIN)/pytest -n 2 --dist loadgroup --durations=25

# The docs site (docs/, mkdocs.yml) into site/: --strict fails on any warning (a broken link or anchor, a page
# left out of the nav, a reference generator that fails). The two variables silence the MkDocs-2 banners.
docs: install  ## the docs site, built strictly into site/
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(BIN)/mkdocs build --strict --quiet

bench: install  ## benchmarks (big simulated days; minutes)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/incremental.py
	$(BIN)/python benchmarks/refresh_latency.py
	$(BIN)/python benchmarks/rest_gapfill.py

bench-live: install  ## latency a user waits: a new day landed -> raw, marts, features, predictions through `dagster dev`
	$(BIN)/python benchmarks/live_refresh.py

clean:
	rm -rf .data .dagster_home .pytest_cache dbt_project/target dbt_project/logs
