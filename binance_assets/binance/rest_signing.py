"""Signing Binance SIGNED requests: HMAC-SHA256 (hex) or Ed25519 (base64), and checking them.

The signature covers the exact query string that is sent (`urlencode` of the parameters, with
`timestamp` and `recvWindow` in it); it is appended as the last parameter `signature`. Ed25519 is the
key type Binance recommends. Secrets live only in these objects, which never print them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class Signer(Protocol):
    kind: str

    def sign(self, payload: str) -> str: ...


class Verifier(Protocol):
    def verify(self, payload: str, signature: str) -> bool: ...


@dataclass(frozen=True)
class HmacSigner:
    """HMAC-SHA256 of the payload with the API secret, as lowercase hex."""

    secret: str = field(repr=False)
    kind: str = "HMAC_SHA256"

    def __post_init__(self) -> None:
        if not self.secret:
            raise ValueError("HMAC signing needs a non-empty API secret")

    def sign(self, payload: str) -> str:
        return hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()

    def verify(self, payload: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(payload), signature.lower())


@dataclass(frozen=True)
class Ed25519Signer:
    """Ed25519 signature of the payload, base64; the key is a PEM private key (optionally encrypted)."""

    private_key: Ed25519PrivateKey = field(repr=False)
    kind: str = "ED25519"

    @classmethod
    def from_pem(cls, pem: str | bytes, password: str | None = None) -> Ed25519Signer:
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            key = serialization.load_pem_private_key(data, password=password.encode() if password else None)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a readable PEM private key ({type(exc).__name__})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"expected an Ed25519 private key, got {type(key).__name__}")
        return cls(key)

    def sign(self, payload: str) -> str:
        return base64.b64encode(self.private_key.sign(payload.encode())).decode()

    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )


@dataclass(frozen=True)
class Ed25519Verifier:
    """Checks base64 Ed25519 signatures against a registered public key (what Binance stores)."""

    public_key: Ed25519PublicKey

    @classmethod
    def from_pem(cls, pem: str | bytes) -> Ed25519Verifier:
        key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"expected an Ed25519 public key, got {type(key).__name__}")
        return cls(key)

    def verify(self, payload: str, signature: str) -> bool:
        try:
            self.public_key.verify(base64.b64decode(signature, validate=True), payload.encode())
        except (InvalidSignature, ValueError):
            return False
        return True


def new_ed25519_pem() -> str:
    """A fresh unencrypted Ed25519 private key in PEM (tests, the demo's simulated merchant)."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )


def make_signer(api_secret: str | None = None, private_key_pem: str | None = None, password: str | None = None):
    """Ed25519 when a private key is given (Binance's recommended kind), else HMAC with the secret."""
    if private_key_pem:
        return Ed25519Signer.from_pem(private_key_pem, password)
    if api_secret:
        return HmacSigner(api_secret)
    raise ValueError("signed requests need an Ed25519 private key or an HMAC API secret")
