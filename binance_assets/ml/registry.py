"""Versioned model registry with champion/challenger status, promotion and rollback.

Layout (identical on a local folder and under an S3 prefix)::

    <root>/<name>/versions/v0001/model.joblib   joblib bytes of the model (e.g. the fitted Pipeline)
    <root>/<name>/versions/v0001/card.json      the ModelCard (JSON), written after the model
    <root>/<name>/champion.json                 pointer: champion version, champion history, events

Crash safety: a version exists once its card exists (the card is written after the model and carries
the model's sha256, checked on load); the champion pointer is written last by promote/rollback, and it
is the authority on which version is champion (a card left saying "champion" by a crash between the
writes is reported as "retired"). Versions are claimed with an exclusive create (a hard link locally,
``IfNoneMatch="*"`` on S3), so two concurrent registrations never share a version. Promotion and
rollback of the same model name assume one writer at a time (run them from one Dagster asset/pool).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
from abc import ABC, abstractmethod
from typing import Any

import joblib

from binance_assets.ml.card import ModelCard, utc_now

STATUSES = ("champion", "challenger", "retired")
MODEL_FILE = "model.joblib"
CARD_FILE = "card.json"
POINTER_FILE = "champion.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_VERSION = re.compile(r"^v(\d+)$")


class RegistryError(Exception):
    """Base class of the registry's errors."""


class ModelNotFoundError(RegistryError, KeyError):
    """No such model name or version."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class NoChampionError(RegistryError):
    """The model has no champion (load without a version, or rollback with nothing to roll back)."""


class RollbackError(RegistryError):
    """No previous champion to restore."""


class CorruptModelError(RegistryError):
    """The stored model bytes do not match the sha256 in the card."""


class ModelRegistry(ABC):
    """Registry logic over four storage primitives; subclasses only store bytes under keys."""

    # --- storage primitives (keys are "/"-separated, relative to the registry root) -----------------
    @abstractmethod
    def _read(self, key: str) -> bytes | None:
        """The bytes under key, or None."""

    @abstractmethod
    def _write(self, key: str, data: bytes) -> None:
        """Store atomically (readers see the old or the new bytes, never a mix)."""

    @abstractmethod
    def _create(self, key: str, data: bytes) -> bool:
        """Store only if key does not exist yet (atomically); False if it existed."""

    @abstractmethod
    def _children(self, prefix: str) -> list[str]:
        """Names of the immediate children (files and folders) under the folder prefix."""

    # --- public API ----------------------------------------------------------------------------------
    def register(self, name: str, model: Any, card: ModelCard) -> ModelCard:
        """Store ``model`` as the next version of ``name``, with status challenger; returns the stored card."""
        _check_name(name)
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        data = buffer.getvalue()
        number = max(self._version_numbers(name), default=0) + 1
        for _ in range(1000):
            version = f"v{number:04d}"
            if self._create(self._key(name, version, MODEL_FILE), data):
                break
            number += 1
        else:  # pragma: no cover - a thousand concurrent writers
            raise RegistryError(f"could not claim a new version of {name}")
        stored = dataclasses.replace(
            card,
            name=name,
            version=version,
            created_at=utc_now(),
            status="challenger",
            status_reason=card.status_reason or "registered",
            model_sha256=hashlib.sha256(data).hexdigest(),
        )
        self._write_card(stored)
        return stored

    def model_names(self) -> list[str]:
        return sorted(n for n in self._children("") if _NAME.match(n) and self._children(f"{n}/versions"))

    def list_versions(self, name: str) -> list[ModelCard]:
        """Every complete version of ``name`` (oldest first); [] for an unknown name."""
        pointer = self._pointer(name)
        cards = []
        for number in sorted(self._version_numbers(name)):
            raw = self._read(self._key(name, f"v{number:04d}", CARD_FILE))
            if raw is not None:
                cards.append(self._reconcile(ModelCard.from_json(raw), pointer))
        return cards

    def get(self, name: str, version: str) -> ModelCard:
        _check_name(name)
        raw = self._read(self._key(name, version, CARD_FILE)) if _VERSION.match(version) else None
        if raw is None:
            known = [c.version for c in self.list_versions(name)]
            raise ModelNotFoundError(f"model {name!r} has no version {version!r}; versions: {known or 'none'}")
        return self._reconcile(ModelCard.from_json(raw), self._pointer(name))

    def champion(self, name: str) -> ModelCard | None:
        version = self._pointer(name)["champion"]
        return self.get(name, version) if version else None

    def load(self, name: str, version: str | None = None) -> tuple[Any, ModelCard]:
        """(model, card) of ``version``, or of the champion when version is None."""
        if version is None:
            card = self.champion(name)
            if card is None:
                known = [c.version for c in self.list_versions(name)]
                raise NoChampionError(
                    f"model {name!r} has no champion (versions: {known or 'none'}); promote one, or pass a version"
                )
        else:
            card = self.get(name, version)
        data = self._read(self._key(name, card.version, MODEL_FILE))
        if data is None:
            raise CorruptModelError(f"model {name} {card.version}: the card exists but the model bytes are gone")
        if card.model_sha256 and hashlib.sha256(data).hexdigest() != card.model_sha256:
            raise CorruptModelError(f"model {name} {card.version}: stored bytes do not match the card's sha256")
        return joblib.load(io.BytesIO(data)), card

    def promote(self, name: str, version: str, reason: str) -> ModelCard:
        """Make ``version`` the champion; the previous champion is retired and kept for rollback."""
        card = self.get(name, version)
        pointer = self._pointer(name)
        previous = pointer["champion"]
        if previous == version:
            return card
        if previous:
            self._set_status(name, previous, "retired", f"replaced by {version}: {reason}")
            pointer["history"].append(previous)
        card = self._set_status(name, version, "champion", reason)
        pointer["champion"] = version
        self._write_pointer(name, pointer, "promote", version, previous, reason)  # last write
        return card

    def rollback(self, name: str, reason: str = "rollback") -> ModelCard:
        """Restore the champion before the current one (repeatable while there is history)."""
        pointer = self._pointer(name)
        current = pointer["champion"]
        if not current:
            raise RollbackError(f"model {name!r} has no champion, so there is nothing to roll back")
        if not pointer["history"]:
            raise RollbackError(f"model {name!r}: champion {current} has no previous champion to roll back to")
        previous = pointer["history"].pop()
        self._set_status(name, current, "retired", f"rolled back to {previous}: {reason}")
        card = self._set_status(name, previous, "champion", f"restored by rollback from {current}: {reason}")
        pointer["champion"] = previous
        self._write_pointer(name, pointer, "rollback", previous, current, reason)  # last write
        return card

    def set_status_reason(self, name: str, version: str, reason: str) -> ModelCard:
        """Record why a version has its status (e.g. why the gate kept it a challenger)."""
        card = self.get(name, version)
        return self._set_status(name, version, card.status, reason)

    def champion_lineage(self, name: str) -> list[ModelCard]:
        """Every version that is or was champion and was not rolled back, in the order they became champion
        (the current champion last); [] when there has never been one."""
        pointer = self._pointer(name)
        versions = [*pointer["history"], *([pointer["champion"]] if pointer["champion"] else [])]
        return [self.get(name, version) for version in versions]

    def history(self, name: str) -> dict[str, Any]:
        """The champion pointer: {"champion", "history" (previous champions, oldest first), "events"}."""
        return self._pointer(name)

    # --- internals -----------------------------------------------------------------------------------
    @staticmethod
    def _key(name: str, version: str, file: str) -> str:
        return f"{name}/versions/{version}/{file}"

    def _version_numbers(self, name: str) -> list[int]:
        _check_name(name)
        return [int(m.group(1)) for child in self._children(f"{name}/versions") if (m := _VERSION.match(child))]

    def _write_card(self, card: ModelCard) -> None:
        self._write(self._key(card.name, card.version, CARD_FILE), card.to_json().encode())

    def _set_status(self, name: str, version: str, status: str, reason: str) -> ModelCard:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        raw = self._read(self._key(name, version, CARD_FILE))
        if raw is None:
            raise ModelNotFoundError(f"model {name!r} has no version {version!r}")
        card = dataclasses.replace(ModelCard.from_json(raw), status=status, status_reason=reason)
        self._write_card(card)
        return card

    def _pointer(self, name: str) -> dict[str, Any]:
        _check_name(name)
        raw = self._read(f"{name}/{POINTER_FILE}")
        pointer = json.loads(raw) if raw else {}
        return {
            "champion": pointer.get("champion"),
            "history": list(pointer.get("history", [])),
            "events": list(pointer.get("events", [])),
        }

    def _write_pointer(self, name: str, pointer: dict, action: str, version: str, previous, reason: str) -> None:
        event = {"at": utc_now(), "action": action, "version": version, "previous": previous, "reason": reason}
        pointer = {**pointer, "name": name, "updated_at": event["at"], "events": [*pointer["events"], event]}
        self._write(f"{name}/{POINTER_FILE}", json.dumps(pointer, indent=2).encode())

    @staticmethod
    def _reconcile(card: ModelCard, pointer: dict[str, Any]) -> ModelCard:
        """The pointer decides who is champion (a crash may have left a card saying otherwise)."""
        if card.version == pointer["champion"] and card.status != "champion":
            return dataclasses.replace(card, status="champion")
        if card.version != pointer["champion"] and card.status == "champion":
            return dataclasses.replace(card, status="retired", status_reason=f"not the champion: {card.status_reason}")
        return card


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"model name {name!r} must match {_NAME.pattern}")


