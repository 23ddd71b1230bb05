"""The small interface through which the engine asks the harmonised rules (pricing/)
whether a request may be made, whether staff must approve it, and what it costs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from booking.db.models import Booking, Organisation, Person, Premises
from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from pricing import BookingDetails


def details_of(booking: Booking) -> BookingDetails:
    """What the booker said about a booking's event, as the rules read it."""
    return BookingDetails(booking.purpose, booking.attendees, booking.target_group, booking.alcohol)


@dataclass(frozen=True)
class Responsible:
    """The adult who answers for the event on the spot; the caretaker sees this."""

    name: str
    phone: str = ""

    def note(self) -> str:
        """In Norwegian, as the caretaker's feed says it."""
        return f"Ansvarlig person (18+): {self.name}{', tlf. ' + self.phone if self.phone else ''}"


def check_capacity(premises: Premises, details: BookingDetails) -> None:
    """Never more people than the premises holds (its capacity, set for fire safety)."""
    if premises.capacity and details.attendees > premises.capacity:
        raise DomainError(
            "over_capacity",
            f"{premises.name} har plass til {premises.capacity} personer. Velg færre deltakere eller et større lokale.",
            f"{premises.name} holds {premises.capacity} people. Choose fewer attendees or larger premises.",
            capacity=premises.capacity,
        )


@dataclass(frozen=True)
class Request:
    """Everything the rules may look at; nothing they could write to."""

    premises: Premises
    interval: Interval
    person: Person
    organisation: Organisation | None
    details: BookingDetails
    now: datetime
    upcoming_bookings: int  # see bookings.situation_query
    payment_method: str | None = None  # None (free, or not chosen) | "card" | "invoice"


@dataclass(frozen=True)
class Assessment:
    needs_approval: bool
    approval_reasons: tuple[str, ...]  # in Norwegian, as the history keeps them
    needs_payment: bool
    hold_minutes: int
    price_total: Decimal
    price_snapshot: dict | None
    approval_reasons_en: tuple[str, ...] = ()  # the same in English, for the booker's e-mail
    approval_codes: tuple[str, ...] = ()  # the same as the approval criteria's codes, as the history keeps them


class LendingRules(Protocol):
    def assess(self, request: Request) -> Assessment:
        """Raise a coded error for a refusal; otherwise say what happens next."""
        ...


class PremisesApprovalOnly:
    """Only the premises' own approval flag, free of charge: the engine without a rule set."""

    def __init__(self, hold_minutes: int = 15) -> None:
        self.hold_minutes = hold_minutes

    def assess(self, request: Request) -> Assessment:
        approval = request.premises.requires_approval
        return Assessment(
            needs_approval=approval,
            approval_reasons=("Lokalet krever godkjenning.",) if approval else (),
            approval_reasons_en=("The premises require approval.",) if approval else (),
            approval_codes=("premises",) if approval else (),
            needs_payment=False,
            hold_minutes=self.hold_minutes,
            price_total=Decimal("0"),
            price_snapshot=None,
        )
