"""The states of a payment row and of a refund row. PURE.

Only listed transitions exist. A payment the provider reports as paid is paid even if
we had given up on it (cancelled or failed): the money arrived, and the services then
decide whether to keep it or refund it. Paid and refunded are never left backwards.
"""

from __future__ import annotations

from booking.domain.errors import InvalidTransition

CREATED, PENDING, PAID, FAILED, CANCELLED, REFUNDED = "created", "pending", "paid", "failed", "cancelled", "refunded"
STATES = (CREATED, PENDING, PAID, FAILED, CANCELLED, REFUNDED)

PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    CREATED: frozenset({PENDING, PAID, FAILED, CANCELLED}),
    PENDING: frozenset({PAID, FAILED, CANCELLED}),
    FAILED: frozenset({PENDING, PAID, CANCELLED}),
    CANCELLED: frozenset({PAID}),
    PAID: frozenset({REFUNDED}),
    REFUNDED: frozenset(),
}

# A refund row: decided (created), sent and in progress (pending), done (refunded), or
# refused or unreachable (failed, retried until done). Cancelled: staff gave it up.
REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    CREATED: frozenset({PENDING, REFUNDED, FAILED, CANCELLED}),
    PENDING: frozenset({REFUNDED, FAILED}),
    FAILED: frozenset({PENDING, REFUNDED, CANCELLED}),
    REFUNDED: frozenset(),
    CANCELLED: frozenset(),
}

OPEN_PAYMENT = frozenset({CREATED, PENDING})
OPEN_REFUND = frozenset({CREATED, PENDING, FAILED})


def allowed(kind: str, current: str, target: str) -> bool:
    table = REFUND_TRANSITIONS if kind == "refund" else PAYMENT_TRANSITIONS
    return target in table.get(current, frozenset())


def advance(kind: str, current: str, target: str) -> str:
    if not allowed(kind, current, target):
        raise InvalidTransition(
            "invalid_payment_transition",
            f"En {'tilbakebetaling' if kind == 'refund' else 'betaling'} som er «{current}», kan ikke bli «{target}».",
            f"A {kind} cannot go from {current} to {target}.",
            current=current,
            target=target,
        )
    return target
