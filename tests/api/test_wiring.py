"""How the API is wired: routes and pages get what they need from the typed dependencies of binance_api.deps (never
from `request.app.state`), the app's state (binance_api.state.Services) is typed field by field, and token
verification lives in binance_api.core.security while binance_api.middleware holds only ASGI middleware."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "binance_api"


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (API / folder).rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def _app_state_reads(path: Path) -> list[str]:
    """`<...>.app.state` and `app.state` attribute reads in one module, as `path:line`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "state":
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id == "app") or (
                isinstance(owner, ast.Attribute) and owner.attr == "app"
            ):
                found.append(f"{_name(path)}:{node.lineno}")
    return found


def test_no_route_or_page_reads_the_app_state_itself():
    offenders = [hit for path in _modules("routers", "dashboard", "services", "middleware")
                 for hit in _app_state_reads(path)]
    assert offenders == [], f"read the services through binance_api.deps (ServicesDep, ...), not app.state: {offenders}"


def test_the_scan_finds_an_app_state_read(tmp_path):
    """The scan above can fail: a handler reading request.app.state.services is reported."""
    sample = tmp_path / "handler.py"
    sample.write_text("def handler(request):\n    return request.app.state.services.config\n")
    assert _app_state_reads(sample) == ["handler.py:2"]


def _holds_any(hint: object) -> bool:
    if hint is typing.Any:
        return True
    return any(_holds_any(arg) for arg in typing.get_args(hint))


def test_the_services_are_typed_field_by_field():
    import dataclasses

    import redis

    from binance_api.state import Services

    hints = typing.get_type_hints(Services, localns={"redis": redis})
    fields = {f.name for f in dataclasses.fields(Services)}
    assert fields >= {"config", "reader", "verifier", "engine", "limiter", "cache", "redis", "blocks", "dashboard"}
    assert "extra" not in fields
    untyped = sorted(name for name in fields if _holds_any(hints[name]))
    assert untyped == [], f"fields typed Any: {untyped}"


def test_services_of_an_app_without_services_says_how_to_build_it():
    from fastapi import FastAPI

    from binance_api.state import services_of

    with pytest.raises(RuntimeError, match="create_app"):
        services_of(FastAPI())


def test_both_verifiers_live_in_core_and_middleware_verifies_nothing():
    from binance_api.core import security

    for name in ("HS256Verifier", "CognitoVerifier", "TokenVerifier", "Principal", "AuthError", "authenticate",
                 "mint_token", "build_verifier"):
        assert hasattr(security, name), name
    with pytest.raises(ModuleNotFoundError):
        __import__("binance_api.middleware.auth")
    # middleware/ is ASGI middleware only: no token decoding (jwt) and no verifier classes of its own.
    for path in _modules("middleware"):
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "jwt" not in imported, path
        verifiers = [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                     and any(isinstance(f, ast.FunctionDef) and f.name == "verify" for f in node.body)]
        assert verifiers == [], (path, verifiers)


def test_every_route_but_the_public_ones_carries_an_auth_dependency():
    """Each route of the routers and the dashboard is guarded by a scope dependency of binance_api.deps or by the
    dashboard's sign-in (binance_api.dashboard.session), except the few that are public by design."""
    from fastapi.routing import APIRoute

    from binance_api import deps
    from binance_api.dashboard import router as dashboard_router
    from binance_api.dashboard import session as dashboard_session
    from binance_api.routers import analytics, health, market_data, predictions, trading_data

    auth = {deps.require_market_data, deps.require_public_market_data, deps.require_predictions, deps.require_admin,
            dashboard_session.page_principal, dashboard_session.data_principal}
    public = {"/health/live", "/health/ready", "/dashboard", "/dashboard/login", "/dashboard/logout"}

    def calls(dependant) -> set:
        found = {dependant.call}
        for sub in dependant.dependencies:
            found |= calls(sub)
        return found

    routes = [route for module in (analytics, health, market_data, predictions, trading_data, dashboard_router)
              for route in module.router.routes if isinstance(route, APIRoute)]
    assert len(routes) > 20
    unguarded = sorted(r.path for r in routes if r.path not in public and not calls(r.dependant) & auth)
    assert unguarded == []
    ready = next(r for r in routes if r.path == "/health/ready")
    assert deps.get_services in calls(ready.dependant)
