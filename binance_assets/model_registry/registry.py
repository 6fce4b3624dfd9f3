"""Versioned model registry with champion/challenger status, promotion and rollback.

Layout (identical on a local folder and under an S3 prefix)::

    <root>/<name>/versions/v0001/model.joblib   joblib bytes of the model (e.g. the fitted Pipeline)
    <root>/<name>/versions/v0001/card.json      the ModelCard (JSON), written after the model
    <root>/<name>/champion.json                 pointer: champion version, champion history, events, canary

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

from binance_assets.model_registry.card import ModelCard, utc_now

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

    def promote(self, name: str, version: str, reason: str, *, who: str = "user", **details: Any) -> ModelCard:
        """Make ``version`` the champion; the previous champion is retired and kept for rollback.

        ``who`` (user, gate, canary) and ``details`` (e.g. ``since``: the data day from which the canary
        judges the new champion, metrics, days) go into the event; a canary of ``version`` ends."""
        card = self.get(name, version)
        pointer = self._pointer(name)
        previous = pointer["champion"]
        if previous == version:
            return card
        if previous:
            self._set_status(name, previous, "retired", f"replaced by {version}: {reason}")
            pointer["history"].append(previous)
        card = self._set_status(name, version, "champion", reason)
        pointer["champion"], pointer["champion_since"] = version, details.get("since")
        if (pointer["canary"] or {}).get("version") == version:
            pointer["canary"] = None
        self._write_pointer(name, pointer, "promote", version, previous, reason, who=who, **details)  # last write
        return card

    def rollback(self, name: str, reason: str = "rollback", *, who: str = "user", **details: Any) -> ModelCard:
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
        pointer["champion"], pointer["champion_since"] = previous, details.get("since")
        self._write_pointer(name, pointer, "rollback", previous, current, reason, who=who, **details)  # last write
        return card

    def demote(self, name: str, reason: str, *, who: str = "user", **details: Any) -> ModelCard:
        """Retire the champion, leaving none (when there is no previous champion to roll back to)."""
        pointer = self._pointer(name)
        current = pointer["champion"]
        if not current:
            raise NoChampionError(f"model {name!r} has no champion to demote")
        card = self._set_status(name, current, "retired", f"demoted: {reason}")
        pointer["champion"], pointer["champion_since"] = None, details.get("since")
        self._write_pointer(name, pointer, "demote", None, current, reason, who=who, **details)
        return card

    def start_canary(self, name: str, version: str, reason: str, **details: Any) -> dict[str, Any]:
        """``version`` (a challenger) shadows the champion from now on; replaces no running canary."""
        card = self.get(name, version)
        pointer = self._pointer(name)
        if pointer["canary"]:
            raise RegistryError(f"model {name!r}: {pointer['canary']['version']} is already in canary")
        pointer["canary"] = {"version": version, "started_at": utc_now(), "reason": reason}
        self._set_status(name, version, card.status, f"canary: shadowing the champion: {reason}")
        self._write_pointer(name, pointer, "canary_start", version, pointer["champion"], reason, who="gate", **details)
        return pointer["canary"]

    def end_canary(self, name: str, reason: str, **details: Any) -> None:
        """Stop the running canary; its version stays a challenger with ``reason``."""
        pointer = self._pointer(name)
        canary, pointer["canary"] = pointer["canary"], None
        if not canary:
            return
        self._set_status(name, canary["version"], "challenger", reason)
        self._write_pointer(name, pointer, "canary_end", canary["version"], pointer["champion"], reason,
                            who="canary", **details)

    def record_event(self, name: str, action: str, version: str | None, reason: str, *, who: str, **details) -> bool:
        """Add a decision that changes no status to the history; False (nothing written) when the last
        event already says the same (action, version, ``details["as_of"]``)."""
        pointer = self._pointer(name)
        last = pointer["events"][-1] if pointer["events"] else {}
        if (last.get("action"), last.get("version"), last.get("as_of")) == (action, version, details.get("as_of")):
            return False
        self._write_pointer(name, pointer, action, version, pointer["champion"], reason, who=who, **details)
        return True

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
        """The champion pointer: {"champion", "history" (previous champions, oldest first), "events",
        "canary" (the version shadowing the champion, or None), "champion_since" (data day or None)}."""
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
            "canary": pointer.get("canary"),
            "champion_since": pointer.get("champion_since"),
        }

    def _write_pointer(self, name: str, pointer: dict, action: str, version, previous, reason: str, **details) -> None:
        event = {"at": utc_now(), "action": action, "version": version, "previous": previous, "reason": reason,
                 **details}
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


