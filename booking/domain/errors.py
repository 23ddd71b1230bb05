"""The booking engine's refusals, on the one coded-error base class (common.errors):
a stable code, a Norwegian and an English message, and an HTTP status hint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.errors import DomainError


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
            booking=booking_id,
        )


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
                {
                    "kind": c.kind,
                    "premises": c.premises,
                    "start": c.start.isoformat(),
                    "end": c.end.isoformat(),
                    "reference": c.reference,
                }
                for c in collisions
            ],
        )
        self.collisions = collisions


@dataclass(frozen=True)
class FieldProblem:
    field: str
    code: str
    message_nb: str
    message_en: str = ""
