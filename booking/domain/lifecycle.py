"""The booking state machine. Only the listed transitions exist; anything else is a
domain error, so no code path can move a booking sideways."""

from __future__ import annotations

from enum import Enum

from booking.domain.errors import InvalidTransition


class Status(str, Enum):
    HELD = "held"  # reserved while the booker pays; expires
    REQUESTED = "requested"  # awaits staff approval
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


STATUS_NAMES_NB = {
    Status.HELD: "reservert (venter på betaling)",
    Status.REQUESTED: "venter på godkjenning",
    Status.CONFIRMED: "bekreftet",
    Status.REJECTED: "avslått",
    Status.CANCELLED: "avbestilt",
    Status.EXPIRED: "utløpt",
}

# The states in which a booking occupies its slot (and so its rows in slot_claim).
SLOT_HOLDING = frozenset({Status.HELD, Status.REQUESTED, Status.CONFIRMED})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.HELD: frozenset({Status.REQUESTED, Status.CONFIRMED, Status.CANCELLED, Status.EXPIRED}),
    Status.REQUESTED: frozenset({Status.CONFIRMED, Status.REJECTED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.CANCELLED}),
}


# Only a payment that arrives after its hold expired may bring an expired booking back,
# and only while its slot is still free (booking.services.late_payment checks that).
# Kept apart from TRANSITIONS so that no other path (staff, the booker, an API call)
# can revive an expired booking through `transition`.
LATE_PAYMENT_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.EXPIRED: frozenset({Status.CONFIRMED, Status.REQUESTED}),
}


# Staff decide requests only: a held booking is confirmed by its payment, never by staff.
DECISION_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.REQUESTED: frozenset({Status.CONFIRMED, Status.REJECTED}),
}


def initial_status(*, needs_payment: bool, needs_approval: bool) -> Status:
    if needs_payment:
        return Status.HELD
    return Status.REQUESTED if needs_approval else Status.CONFIRMED


def _allowed(table: dict[Status, frozenset[Status]], current: Status, target: Status) -> Status:
    if target not in table.get(current, frozenset()):
        raise InvalidTransition(
            "invalid_transition",
            f"En bestilling som er {STATUS_NAMES_NB[current]}, kan ikke bli {STATUS_NAMES_NB[target]}.",
            f"A booking cannot go from {current.value} to {target.value}.",
            current=current.value,
            target=target.value,
        )
    return target


def transition(current: Status, target: Status) -> Status:
    return _allowed(TRANSITIONS, current, target)


def late_payment_transition(current: Status, target: Status) -> Status:
    """expired → confirmed (or requested, when the rules asked for approval): the money
    for an expired hold arrived and the slot is still free. Nothing else."""
    return _allowed(LATE_PAYMENT_TRANSITIONS, current, target)


def decision_transition(current: Status, target: Status) -> Status:
    """requested → confirmed (approved) or rejected: staff's decision on a request. Nothing else."""
    return _allowed(DECISION_TRANSITIONS, current, target)
