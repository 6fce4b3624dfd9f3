"""`binance-api`: the serving API's own commands (local tokens). The platform's CLI is `binance-assets`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


@app.callback()
def _main() -> None:
    """The serving API's commands."""


@app.command("token")
def token(
    subject: Annotated[str, typer.Option(help="The token's subject (who calls).")] = "local-user",
    scopes: Annotated[str, typer.Option(help="Comma-separated: market_data, predictions, admin.")] = (
        "market_data,predictions,admin"
    ),
    ttl_hours: Annotated[float, typer.Option(min=0.001, help="Lifetime in hours.")] = 24.0,
) -> None:
    """Mint a local HS256 bearer token for the API (signed with the local secret; not for prod)."""
    from binance_api.core.security import mint_token
    from binance_api.settings import ApiConfig, AuthMode

    config = ApiConfig()
    if config.auth_mode is not AuthMode.HS256:
        typer.echo("error: the API verifies Cognito tokens here (auth mode cognito): get one from Cognito", err=True)
        raise typer.Exit(2)
    try:
        minted = mint_token(config, subject, [s.strip() for s in scopes.split(",") if s.strip()],
                            dt.timedelta(hours=ttl_hours))
    except (ValueError, RuntimeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(minted)


@app.command("check-warehouse")
def check_warehouse() -> None:
    """Before serving (`make api` runs it first): on PostgreSQL the warehouse's database exists, created when
    this role may; else one line says what to run and the command exits 2 (uvicorn's supervisor itself would
    exit 0 after its workers refused)."""
    from binance_api.services.data_service import make_reader
    from binance_api.settings import ApiConfig

    reader = make_reader(ApiConfig())
    try:
        problem = reader.ensure_database()
    finally:
        reader.close()
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
