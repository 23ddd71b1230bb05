"""Domain errors carry a stable code, a Norwegian and an English message, and an HTTP
status hint; the web layer's single error mapper turns them into responses."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class DomainError(Exception):
    """A request the engine refuses. `code` is stable; clients may switch on it."""

    status = 422

    def __init__(self, code: str, message_nb: str, message_en: str, **details: Any) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_nb = message_nb
        self.message_en = message_en
        self.details = details


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class InvalidTransition(DomainError):
    status = 409


class KeyReused(DomainError):
    """An idempotency key sent again with a different request."""

    status = 409

    def __init__(self, key: str, booking_id: int) -> None:
        super().__init__(
            "idempotency_key_reused",
            "Denne forespørselen er allerede sendt med andre opplysninger. Last inn siden på nytt og prøv igjen.",
            f"Idempotency key {key!r} was used before for a different booking request (booking {booking_id}).",
            booking=booking_id)


@dataclass(frozen=True)
class Collision:
    """What a refused booking collides with, for the error message and the API."""

    kind: str  # "booking" or "closure"
    premises: str
    start: Any
    end: Any
    reference: str = ""


class Conflict(DomainError):
    status = 409

    def __init__(self, collisions: list[Collision]) -> None:
        first = collisions[0]
        what_nb = "en annen bestilling" if first.kind == "booking" else "en stenging"
        what_en = "another booking" if first.kind == "booking" else "a closure"
        super().__init__(
            "conflict",
            f"Tiden er ikke ledig: den overlapper {what_nb} i {first.premises}.",
            f"The time is not free: it overlaps {what_en} in {first.premises}.",
            collisions=[
                {"kind": c.kind, "premises": c.premises, "start": c.start.isoformat(),
                 "end": c.end.isoformat(), "reference": c.reference}
                for c in collisions
            ],
        )
        self.collisions = collisions


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    message_nb: str
    message_en: str = field(default="")
