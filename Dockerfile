# syntax=docker/dockerfile:1
# binance-merchant-platform images: one build, three runtime targets (ECR repository binance-merchant-platform/<target>):
#   docker build --target code-location -t binance-merchant-platform/code-location:$GIT_COMMIT .
#   docker build --target api           -t binance-merchant-platform/api:$GIT_COMMIT .
#   docker build --target dagster       -t binance-merchant-platform/dagster:$GIT_COMMIT .
# Stages: base (Python, pip, the non-root user and its writable data folders) -> wheels (every dependency as a wheel; depends on setup.py only,
# so a code change reuses it) -> builder (the project's own wheel) -> the slim runtimes, which install from those
# wheels without an index, run as uid 10001 and have a HEALTHCHECK each. What each target's CMD and HEALTHCHECK
# start is tested outside a container by tests/deploy/test_image_commands.py.

FROM python:3.11.14-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m pip install --no-cache-dir --upgrade "pip>=24,<26" \
    && groupadd --gid 10001 app \
    && useradd --no-log-init --create-home --uid 10001 --gid 10001 app \
    && mkdir -p /opt/dagster/data /opt/dagster/compute-logs \
    && chown 10001:10001 /opt/dagster/data /opt/dagster/compute-logs

# Every dependency as a wheel: of the Dagster side (`dagster-services` extra: webserver, daemon, exporter) and of
# the API image (deploy/api/requirements.txt), plus the build backend for the project's own installs.
# A stub package stands in for the code, so this layer only changes with setup.py or the requirements.
FROM base AS wheels
WORKDIR /src
COPY setup.py pyproject.toml ./
COPY deploy/api/requirements.txt deploy/api/requirements.txt
RUN mkdir binance_assets && touch binance_assets/__init__.py \
    && python -m pip wheel --no-cache-dir --wheel-dir /wheels ".[dagster-services]" \
        -r deploy/api/requirements.txt "setuptools>=68" "wheel>=0.42"

# The project's own wheel (binance_assets and binance_api with the dashboard's templates and static files).
FROM wheels AS builder
COPY binance_assets binance_assets
COPY binance_api binance_api
RUN python -m pip wheel --no-cache-dir --no-deps --no-index --find-links=/wheels --wheel-dir /dist .

# --- code-location: a Dagster gRPC code server (the `market_data` location; the `ml` location is the same image
# with `-m binance_assets.ml.definitions`). Runs launched by the EcsRunLauncher use this image too.
FROM base AS code-location
ENV BINANCE_ASSETS_ENV=prod \
    BINANCE_ASSETS_DATA_DIR=/opt/dagster/data \
    DAGSTER_HOME=/opt/dagster/home
WORKDIR /opt/dagster/app
# Dependencies first (from the wheels only), then the code, installed editable: the dbt project and the instance
# configs are found beside the package (binance_assets.settings.PROJECT_ROOT).
# DL3013: --no-index installs exactly the versions the wheels stage resolved (and the project's stub wheel).
# hadolint ignore=DL3013
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    python -m pip install --no-cache-dir --no-index --find-links=/wheels binance_assets
COPY setup.py pyproject.toml ./
COPY binance_assets binance_assets
COPY dbt_project dbt_project
COPY deploy/dagster deploy/dagster
# The dbt manifest is prepared here, in the build, never committed. dbt writes run artifacts under target/.
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    python -m pip install --no-cache-dir --no-index --find-links=/wheels --no-deps --editable . \
    && dagster-dbt project prepare-and-package --file binance_assets/transform/project.py \
    && mkdir -p "$DAGSTER_HOME" dbt_project/logs \
    && cp deploy/dagster/prod.yaml "$DAGSTER_HOME/dagster.yaml" \
    && chown -R 10001:10001 "$DAGSTER_HOME" dbt_project/target dbt_project/logs
USER 10001:10001
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
    CMD ["dagster", "api", "grpc-health-check", "-p", "4000"]
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "binance_assets.definitions", "-a", "defs"]

# --- api: the FastAPI service and the dashboard (/dashboard) only: no Dagster, no dbt (binance_api imports neither).
FROM base AS api
ENV BINANCE_ASSETS_ENV=prod \
    BINANCE_ASSETS_DATA_DIR=/opt/dagster/data \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
WORKDIR /opt/api
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    --mount=type=bind,source=deploy/api/requirements.txt,target=/tmp/requirements.txt \
    python -m pip install --no-cache-dir --no-index --find-links=/wheels -r /tmp/requirements.txt
RUN --mount=type=bind,from=builder,source=/dist,target=/dist \
    python -m pip install --no-cache-dir --no-index --no-deps /dist/binance_assets-0.1.0-py3-none-any.whl \
    && mkdir -p "$PROMETHEUS_MULTIPROC_DIR" && chown 10001:10001 "$PROMETHEUS_MULTIPROC_DIR"
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]
CMD ["uvicorn", "--factory", "binance_api.main:create_app", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-access-log"]

# --- dagster: the webserver (CMD). The daemon is the same image with the command `dagster-daemon run -w
# /opt/dagster/app/workspace.yaml` and the healthcheck `dagster-daemon liveness-check` (set by the ECS task definition
# and by deploy/compose/docker-compose.yml); the metrics exporter is `binance-assets exporter --port 9108`.
# The workspace names the code servers by host (deploy/dagster/workspace.prod.yaml).
FROM base AS dagster
ENV BINANCE_ASSETS_ENV=prod \
    BINANCE_ASSETS_DATA_DIR=/opt/dagster/data \
    DAGSTER_HOME=/opt/dagster/home
WORKDIR /opt/dagster/app
# DL3013: --no-index installs exactly the versions the wheels stage resolved; the stub is replaced below.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    python -m pip install --no-cache-dir --no-index --find-links=/wheels "binance_assets[dagster-services]"
RUN --mount=type=bind,from=builder,source=/dist,target=/dist \
    python -m pip install --no-cache-dir --no-index --no-deps --force-reinstall \
        /dist/binance_assets-0.1.0-py3-none-any.whl \
    && mkdir -p "$DAGSTER_HOME" && chown 10001:10001 "$DAGSTER_HOME"
COPY deploy/dagster/prod.yaml /opt/dagster/home/dagster.yaml
COPY deploy/dagster/workspace.prod.yaml /opt/dagster/app/workspace.yaml
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/server_info', timeout=4)"]
CMD ["dagster-webserver", "-h", "0.0.0.0", "-p", "3000", "-w", "/opt/dagster/app/workspace.yaml"]
