"""Token security: HS256 tokens minted locally, RS256 tokens issued by AWS Cognito (verified against its JWKS).

The verifiers and `authenticate` are used by the routes' dependencies (binance_api.deps), the dashboard's
sign-in and the rate limiter (binance_api.middleware.rate_limiting, which keys requests by subject).

Scopes per route family: `market_data` (/api/v3 when it is not public, bars, daily stats, gaps,
quality), `predictions` (predictions), `admin` (the model registry). Cognito's resource-server scopes
(`<resource-server>/<scope>`) count by their last part. Failures are 401 (no/invalid token) or 403
(valid token without the scope), as JSON with a reason; the token itself is never logged.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Protocol, cast

import jwt

from binance_api.settings import ApiConfig, AuthMode

SCOPES = ("market_data", "predictions", "admin")
HS256_LEEWAY_SECONDS = 5


class AuthError(Exception):
    """Authentication (401) or authorisation (403) failed; `reason` is safe to show the client."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str]


class TokenVerifier(Protocol):
    """Checks a bearer token and returns its principal; raises a `jwt.InvalidTokenError` (or `AuthError`).

    `blocking`: verifying may do I/O (a JWKS fetch), so callers on the event loop run it in the thread pool."""

    blocking: ClassVar[bool]

    def verify(self, token: str) -> Principal: ...


def _scopes(claims: dict) -> frozenset[str]:
    raw = claims.get("scope", "")
    items = raw.split() if isinstance(raw, str) else list(raw or [])
    return frozenset(s.rsplit("/", 1)[-1] for s in items)


def mint_token(config: ApiConfig, subject: str, scopes: Iterable[str], ttl: dt.timedelta) -> str:
    """A local HS256 token (`binance-api token`)."""
    scopes = list(scopes)
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s) {unknown}: expected some of {', '.join(SCOPES)}")
    if ttl.total_seconds() <= 0:
        raise ValueError("ttl must be positive")
    now = int(time.time())
    claims = {
        "sub": subject,
        "iss": config.api.jwt_issuer,
        "aud": config.api.jwt_audience,
        "iat": now,
        "exp": now + int(ttl.total_seconds()),
        "scope": " ".join(scopes),
        "token_use": "access",  # nosec B105 # a claim value, not a password
    }
    return jwt.encode(claims, config.hs256_secret(), algorithm="HS256")


class HS256Verifier:
    """Local HS256 tokens. CPU only (no key fetch), so routes verify on the event loop (`blocking` False).
    A token that verified is remembered until it expires (the rate limiter and the route both verify it;
    with a static secret only the expiry can change the answer); at most `memo_size` tokens."""

    blocking: ClassVar[bool] = False

    def __init__(self, secret: str, issuer: str, audience: str, memo_size: int = 4096) -> None:
        self.secret, self.issuer, self.audience = secret, issuer, audience
        self.memo_size = memo_size
        self._memo: dict[str, tuple[Principal, float]] = {}

    def verify(self, token: str) -> Principal:
        known = self._memo.get(token)
        if known is not None:
            if time.time() < known[1] + HS256_LEEWAY_SECONDS:
                return known[0]
            self._memo.pop(token, None)  # expired: decode again, which raises ExpiredSignatureError
        principal, exp = self._decode(token)
        if len(self._memo) >= self.memo_size:
            self._memo.clear()
        self._memo[token] = (principal, exp)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        claims = jwt.decode(
            token,
            self.secret,
            algorithms=["HS256"],
            audience=self.audience,
            issuer=self.issuer,
            leeway=HS256_LEEWAY_SECONDS,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
        return Principal(str(claims["sub"]), _scopes(claims)), float(claims["exp"])


class CognitoVerifier:
    """RS256 tokens as Cognito issues them: `iss` = the user pool, `token_use`, audience = the app client
    (`aud` in id tokens, `client_id` in access tokens), `exp`; keys from the JWKS by `kid`, cached
    (`jwks_cache_seconds`) and refetched when a token names a `kid` the cache does not hold (rotation):
    verifying may fetch over HTTP, so routes verify in the thread pool (`blocking`)."""

    blocking: ClassVar[bool] = True

    def __init__(
        self, jwks_url: str, issuer: str, client_id: str, token_use: str, cache_seconds: float, cooldown: float = 30.0
    ) -> None:
        self.issuer, self.client_id, self.token_use = issuer, client_id, token_use
        self._jwks = jwt.PyJWKClient(
            jwks_url, cache_jwk_set=True, lifespan=max(cache_seconds, 1), timeout=5, cooldown_duration=cooldown
        )
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal:
        try:
            with self._lock:  # one JWKS fetch at a time; PyJWKClient refetches on an unknown kid
                key = self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthError(503, "jwks_unavailable", f"could not fetch the signing keys: {exc}") from None
        except jwt.PyJWKClientError as exc:
            raise jwt.InvalidTokenError(f"no signing key for this token: {exc}") from None
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            issuer=self.issuer,
            options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
        )
        if claims.get("token_use") != self.token_use:
            raise jwt.InvalidTokenError(f"token_use is {claims.get('token_use')!r}, expected {self.token_use!r}")
        audience = claims.get("client_id") if claims["token_use"] == "access" else claims.get("aud")
        if audience != self.client_id:
            raise jwt.InvalidAudienceError("token is not for this app client (audience/client_id mismatch)")
        return Principal(str(claims["sub"]), _scopes(claims))


def build_verifier(config: ApiConfig) -> HS256Verifier | CognitoVerifier:
    if config.auth_mode is AuthMode.HS256:
        return HS256Verifier(config.hs256_secret(), config.api.jwt_issuer, config.api.jwt_audience)
    missing = [
        name
        for name, value in (
            ("BINANCE_ASSETS_API_JWKS_URL (or _COGNITO_REGION + _COGNITO_USER_POOL_ID)", config.jwks_url),
            ("BINANCE_ASSETS_API_COGNITO_ISSUER (or _COGNITO_REGION + _COGNITO_USER_POOL_ID)", config.cognito_issuer),
            ("BINANCE_ASSETS_API_COGNITO_CLIENT_ID", config.api.cognito_client_id),
        )
        if not value
    ]
    if missing:
        raise RuntimeError(f"auth mode cognito needs {', '.join(missing)}")
    return CognitoVerifier(
        # None of the three is missing (checked above).
        cast(str, config.jwks_url), cast(str, config.cognito_issuer), cast(str, config.api.cognito_client_id),
        config.api.cognito_token_use,
        config.api.jwks_cache_seconds, config.api.jwks_refresh_cooldown_seconds,
    )


def authenticate(verifier: TokenVerifier, authorization: str | None, scope: str) -> Principal:
    """The principal of an `Authorization: Bearer <jwt>` header holding `scope`, else `AuthError`."""
    if not authorization:
        raise AuthError(401, "missing_token", "this route needs a bearer token (Authorization: Bearer <jwt>)")
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise AuthError(401, "invalid_request", "the Authorization header must be 'Bearer <jwt>'")
    try:
        principal = verifier.verify(token.strip())
    except jwt.ExpiredSignatureError:
        raise AuthError(401, "invalid_token", "the token has expired") from None
    except jwt.InvalidAudienceError:
        raise AuthError(401, "invalid_token", "the token is not for this API (wrong audience)") from None
    except jwt.InvalidIssuerError:
        raise AuthError(401, "invalid_token", "the token comes from another issuer") from None
    except jwt.InvalidSignatureError:
        raise AuthError(401, "invalid_token", "the token's signature is not valid") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(401, "invalid_token", f"the token is not valid: {exc}") from None
    if scope not in principal.scopes:
        raise AuthError(403, "insufficient_scope", f"the token lacks the scope {scope!r}")
    return principal
