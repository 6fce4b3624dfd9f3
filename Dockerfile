# API image (`docker build --target api -t binance-api .`): the FastAPI service only, without Dagster
# or dbt (binance_api imports neither). Run: docker run -p 8000:8000 -e BINANCE_ASSETS_ENV=prod binance-api
FROM python:3.11-slim AS api

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BINANCE_ASSETS_ENV=prod \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

WORKDIR /opt/api

COPY deploy/api/requirements.txt deploy/api/requirements.txt
RUN python -m pip install --upgrade "pip>=24" && python -m pip install -r deploy/api/requirements.txt

COPY setup.py pyproject.toml ./
COPY binance_assets binance_assets
COPY binance_api binance_api
RUN python -m pip install --no-deps . \
    && useradd --create-home --uid 10001 api \
    && mkdir -p /tmp/prometheus && chown 10001 /tmp/prometheus

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]
CMD ["uvicorn", "--factory", "binance_api.main:create_app", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-access-log"]

# Code location image (the default, last stage): runs the `market_data` Dagster gRPC code server; the same image serves the `ml`
# location with the command overridden to `-m binance_assets.ml.definitions`.
# Build: docker build -t binance-assets . ; run: docker run -p 4000:4000 -e BINANCE_ASSETS_ENV=prod binance-assets
FROM python:3.11-slim AS code-location

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BINANCE_ASSETS_ENV=prod \
    DAGSTER_HOME=/opt/dagster/home

WORKDIR /opt/dagster/app

# Dependencies first, so code changes do not reinstall them.
COPY setup.py pyproject.toml ./
COPY binance_assets/__init__.py binance_assets/__init__.py
RUN python -m pip install --upgrade "pip>=24" && python -m pip install .

COPY binance_assets binance_assets
COPY dbt_project dbt_project
COPY deploy deploy
COPY workspace.yaml dagster_cloud.yaml ./
RUN python -m pip install --no-deps --editable . \
    && dagster-dbt project prepare-and-package --file binance_assets/transform/project.py \
    && mkdir -p "$DAGSTER_HOME" \
    && cp deploy/dagster/prod.yaml "$DAGSTER_HOME/dagster.yaml" \
    && useradd --create-home --uid 10001 dagster \
    && chown -R dagster "$DAGSTER_HOME"

USER 10001
EXPOSE 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "binance_assets.definitions", "-a", "defs"]
