"""`binance-assets models ...`: the model registry from the command line (list, promote, roll back, history,
canary). Mounted on the main CLI by `binance_assets.cli`."""

from __future__ import annotations

from typing import Annotated

import typer

from binance_assets.settings import get_settings

models_app = typer.Typer(no_args_is_help=True, help="The model registry: list, promote, roll back, history, canary.")


def _registry():
    from binance_assets.ml.resources import registry_from_url

    settings = get_settings()
    return registry_from_url(settings.resolved_model_registry_url, s3_endpoint_url=settings.s3_endpoint_url)


@models_app.command("list")
def models_list(name: Annotated[str | None, typer.Argument(help="One model; default all.")] = None) -> None:
    """Every registered version with its status, primary metric against its baseline, and window."""
    from binance_assets.model_registry.card import format_metric  # metrics print as n/a when null

    registry = _registry()
    names = [name] if name else registry.model_names()
    if not names:
        typer.echo(f"no models registered in {get_settings().resolved_model_registry_url}")
    for model_name in names:
        typer.echo(model_name)
        for card in registry.list_versions(model_name):
            metric = card.primary_metric
            window = card.training_window
            typer.echo(
                f"  {card.version}  {card.status:<10} {metric}={format_metric(card.primary_value)} "
                f"baseline={format_metric(card.baseline_value)}  {window.get('start')}..{window.get('end')}  "
                f"{card.created_at}  {card.status_reason or ''}"
            )


@models_app.command("promote")
def models_promote(
    name: Annotated[str, typer.Argument()],
    version: Annotated[str, typer.Argument()],
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "promoted by hand",
) -> None:
    """Make VERSION the champion of NAME (bypasses the gate; the reason is recorded)."""
    _registry_call(lambda r: r.promote(name, version, reason))
    typer.echo(f"{name}: {version} is champion")


@models_app.command("rollback")
def models_rollback(name: Annotated[str, typer.Argument()]) -> None:
    """Restore the previous champion of NAME."""
    card = _registry_call(lambda r: r.rollback(name))
    typer.echo(f"{name}: {card.version} is champion again")


@models_app.command("history")
def models_history(name: Annotated[str, typer.Argument()]) -> None:
    """Every promotion, rollback and canary decision of NAME, oldest first (metrics n/a when null)."""
    pointer = _registry_call(lambda r: r.history(name))
    typer.echo(f"{name}: champion {pointer['champion'] or 'none'}, previous {pointer['history'] or 'none'}")
    for event in pointer["events"]:
        typer.echo(_event_line(event))


@models_app.command("canary")
def models_canary(name: Annotated[str | None, typer.Argument(help="One model; default all.")] = None) -> None:
    """The challenger in shadow (canary) of each model, and the canary's decisions so far."""
    registry = _registry()
    for model_name in [name] if name else registry.model_names():
        pointer = _registry_call(lambda r, n=model_name: r.history(n))
        canary = pointer["canary"]
        shadow = f"{canary['version']} in shadow since {canary['started_at']}" if canary else "none in shadow"
        typer.echo(f"{model_name}: champion {pointer['champion'] or 'none'} (judged from "
                   f"{pointer['champion_since'] or 'its first day'}); canary: {shadow}")
        for event in pointer["events"]:
            if event.get("who") == "canary" or event["action"] == "canary_start":
                typer.echo(_event_line(event))


def _event_line(event: dict) -> str:
    from binance_assets.model_registry.card import format_metric  # metrics print as n/a when null

    metrics = " ".join(
        f"{key}={value}" if isinstance(value, int) and not isinstance(value, bool) else f"{key}={format_metric(value)}"
        for key, value in (event.get("metrics") or {}).items()
    )
    parts = [event.get("at", ""), event["action"], event.get("version") or "-",
             f"(was {event.get('previous') or '-'})", f"by {event.get('who') or 'user'}"]
    if event.get("as_of"):
        parts.append(f"as_of {event['as_of']} days {event.get('days', 0)}")
    return "  " + "  ".join([*parts, *([metrics] if metrics else []), event.get("reason", "")])


def _registry_call(action):
    try:
        return action(_registry())
    except (KeyError, ValueError, LookupError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
