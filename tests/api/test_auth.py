"""Auth: RS256 tokens as AWS Cognito issues them, verified against a JWKS served over HTTP on loopback
(real RSA key pairs, key rotation by kid, a cached JWKS), and refusals of bad HS256 tokens."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

pytestmark = pytest.mark.xdist_group("api")
CLIENT_ID = "app-client-123"


class JwksServer:
    """Serves {"keys": [...]} at /.well-known/jwks.json and counts the fetches; with `delay`, each fetch
    waits that long before it answers (`fetching` is set when one arrives, `answered` when one was sent)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.keys: list[dict] = []
        self.fetches = 0
        self.fetching, self.answered = threading.Event(), threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                outer.fetching.set()
                time.sleep(delay)
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200 if self.path == "/pool/.well-known/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                outer.answered.set()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/pool"

    def add_key(self, private_key, kid: str) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
        self.keys.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def cognito(api_warehouse, redis_url, redis_prefix, tmp_path_factory, make_config):
    from fastapi.testclient import TestClient

    from binance_api.main import create_app

    server = JwksServer()
    server.thread.start()
    key1 = _key()
    server.add_key(key1, "kid-1")
    config = make_config(
        api_warehouse, tmp_path_factory.mktemp("cognito"), redis_url=redis_url, redis_prefix=f"{redis_prefix}:cg",
        auth_mode="cognito", cognito_issuer=server.issuer, jwks_url=server.issuer + "/.well-known/jwks.json",
        cognito_client_id=CLIENT_ID, market_data_public=False, jwks_refresh_cooldown_seconds=0,
    )
    with TestClient(create_app(config)) as client:
        yield client, server, key1
    server.httpd.shutdown()


def _token(key, kid, issuer, **over):
    now = int(time.time())
    claims = {"sub": "user-1", "iss": issuer, "client_id": CLIENT_ID, "token_use": "access",
              "scope": "binance-api/market_data binance-api/predictions", "iat": now, "exp": now + 600,
              "auth_time": now}
    claims.update(over)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _get(client, token, path="/api/v1/daily/BTCUSDT"):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_cognito_access_token_is_accepted_and_jwks_cached(cognito):
    client, server, key1 = cognito
    r = _get(client, _token(key1, "kid-1", server.issuer))
    assert r.status_code == 200, r.text
    before = server.fetches
    for _ in range(3):
        assert _get(client, _token(key1, "kid-1", server.issuer)).status_code == 200
    assert server.fetches == before >= 1  # served from the cached JWKS
    # Binance paths are not public here: they need the market_data scope too, with Binance's error body.
    r = client.get("/api/v3/ping")
    assert r.status_code == 401 and r.json()["code"] == -2015
    assert client.get("/api/v3/ping", headers={"Authorization": f"Bearer {_token(key1, 'kid-1', server.issuer)}"}
                      ).status_code == 200


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
        ({"client_id": "another-client"}, "audience"),
        ({"token_use": "id", "aud": CLIENT_ID}, "token_use"),
        ({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/other"}, "issuer"),
    ],
)
def test_bad_cognito_tokens_are_refused(cognito, over, reason):
    client, server, key1 = cognito
    r = _get(client, _token(key1, "kid-1", server.issuer, **over))
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token" and reason in r.json()["reason"]
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_wrong_signature_and_unknown_kid_are_refused(cognito):
    client, server, _ = cognito
    forged = _token(_key(), "kid-1", server.issuer)  # another key claiming kid-1
    r = _get(client, forged)
    assert r.status_code == 401 and "signature" in r.json()["reason"]
    r = _get(client, _token(_key(), "kid-unknown", server.issuer))
    assert r.status_code == 401 and "signing key" in r.json()["reason"]


def test_key_rotation_by_kid(cognito):
    client, server, _ = cognito
    key2 = _key()
    server.add_key(key2, "kid-2")  # Cognito rotates: a new kid appears in the JWKS
    before = server.fetches
    r = _get(client, _token(key2, "kid-2", server.issuer))
    assert r.status_code == 200, r.text
    assert server.fetches == before + 1  # refetched once for the unknown kid


JWKS_DELAY = 2.0  # seconds the slow JWKS endpoint takes to answer


def test_slow_jwks_fetch_does_not_stall_other_requests(api_warehouse, redis_url, redis_prefix, tmp_path, make_config):
    """While one request waits for the JWKS (a fetch or refresh that takes JWKS_DELAY), the same worker (one
    uvicorn, one event loop) answers another request at once: verification runs off the event loop."""
    import asyncio

    import httpx
    from support.live_server import LiveServer

    from binance_api.main import create_app

    server = JwksServer(delay=JWKS_DELAY)
    server.thread.start()
    key = _key()
    server.add_key(key, "kid-1")
    config = make_config(
        api_warehouse, tmp_path, redis_url=redis_url, redis_prefix=f"{redis_prefix}:slow-jwks", auth_mode="cognito",
        cognito_issuer=server.issuer, jwks_url=server.issuer + "/.well-known/jwks.json", cognito_client_id=CLIENT_ID,
        market_data_public=False,
    )
    headers = {"Authorization": f"Bearer {_token(key, 'kid-1', server.issuer)}"}

    async def scenario(url: str) -> tuple[httpx.Response, httpx.Response, float, bool]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            slow = asyncio.create_task(client.get("/api/v1/daily/BTCUSDT", headers=headers))
            assert await asyncio.to_thread(server.fetching.wait, 20), "the API never fetched the JWKS"
            began = time.perf_counter()
            live = await client.get("/health/live")
            elapsed = time.perf_counter() - began
            jwks_still_pending = not server.answered.is_set()
            return await slow, live, elapsed, jwks_still_pending

    try:
        with LiveServer(create_app(config)) as live_server:
            slow, live, elapsed, jwks_still_pending = asyncio.run(scenario(live_server.url))
    finally:
        server.httpd.shutdown()
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert jwks_still_pending, f"/health/live answered only after the JWKS fetch ({elapsed:.2f}s)"
    assert elapsed < JWKS_DELAY / 4, f"/health/live took {elapsed:.2f}s while the JWKS fetch slept {JWKS_DELAY}s"
    assert slow.status_code == 200, slow.text  # and the verified request itself went through
    assert server.fetches == 1


def test_scope_from_cognito_resource_server(cognito):
    client, server, key1 = cognito
    r = _get(client, _token(key1, "kid-1", server.issuer, scope="binance-api/predictions"))
    assert r.status_code == 403 and r.json()["error"] == "insufficient_scope"


def test_every_v1_route_refuses_missing_and_bad_hs256_tokens(client, app, api_config):
    secret = api_config.hs256_secret()
    now = int(time.time())
    good = {"sub": "u", "iss": api_config.api.jwt_issuer, "aud": api_config.api.jwt_audience, "iat": now,
            "exp": now + 600, "scope": "market_data predictions admin"}
    bad_tokens = {
        "expired": jwt.encode({**good, "exp": now - 600}, secret, algorithm="HS256"),
        "wrongly signed": jwt.encode(good, "another-secret-" + "y" * 32, algorithm="HS256"),
        "wrong audience": jwt.encode({**good, "aud": "someone-else"}, secret, algorithm="HS256"),
        "none alg": jwt.encode(good, None, algorithm="none"),
    }
    routes = [p for p in app.openapi()["paths"] if p.startswith("/api/v1")]
    assert len(routes) >= 8
    for path in routes:
        url = path.replace("{symbol}", "BTCUSDT")
        assert client.get(url).status_code == 401, url
        for name, tok in bad_tokens.items():
            r = client.get(url, headers={"Authorization": f"Bearer {tok}"})
            assert r.status_code == 401, (url, name, r.text)
    assert client.get("/api/v1/daily/BTCUSDT", headers={
        "Authorization": f"Bearer {jwt.encode(good, secret, algorithm='HS256')}"}).status_code == 200


def test_mint_token_refuses_unknown_scopes(api_config):
    from binance_api.core.security import mint_token

    with pytest.raises(ValueError, match="unknown scope"):
        mint_token(api_config, "u", ["everything"], dt.timedelta(hours=1))
