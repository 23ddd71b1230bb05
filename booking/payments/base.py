"""The payment provider interface, as pretix has it: the engine knows payments as rows
with states; a provider only starts a hosted checkout, says what it knows about a
payment or refund when asked, and refunds. Stripe is one module (stripe_provider.py) and
the offline test mode another (testmode_provider.py); another provider (Vipps, say) is one
more module ending in `_provider` with a `configure(settings)` function, found by
`booking.payments.providers`.

Money crosses this boundary as Decimal NOK; each provider converts to its own units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Mapping, Protocol, runtime_checkable

# What a provider says about a payment (ours, after mapping its own vocabulary).
REMOTE_PENDING, REMOTE_PAID, REMOTE_FAILED, REMOTE_CANCELLED = "pending", "paid", "failed", "cancelled"
# ... and about a refund.
REFUND_PENDING, REFUND_DONE, REFUND_FAILED = "pending", "refunded", "failed"


class ProviderError(Exception):
    """A provider call that did not give an answer we can act on."""

    transient = False


class ProviderUnavailable(ProviderError):
    """Network trouble, rate limits, the provider's own 5xx: try again later."""

    transient = True


class ProviderRefused(ProviderError):
    """The provider said no (a bad request, a refund it will not make): retrying the
    same call gives the same answer, so a person must look at it."""


class BadSignature(ProviderError):
    """A webhook whose signature does not verify: not from the provider, or altered."""


@dataclass(frozen=True)
class CheckoutLine:
    """What the booker sees on the checkout page: `quantity` times `unit_amount`."""

    description: str
    unit_amount: Decimal  # NOK, VAT included
    quantity: int = 1


@dataclass(frozen=True)
class CheckoutRequest:
    payment_id: int  # the leading row when one checkout pays for several (a weekly series)
    booking_id: int
    lines: tuple[CheckoutLine, ...]
    currency: str
    description: str
    customer_email: str
    language: str  # "nb" | "en"
    success_url: str
    cancel_url: str
    expires_at: datetime  # aware

    @property
    def amount(self) -> Decimal:
        return sum((line.unit_amount * line.quantity for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class Checkout:
    reference: str  # the provider's id for this checkout (Stripe: the Checkout Session id)
    url: str  # where the booker is sent to pay


@dataclass(frozen=True)
class RemotePayment:
    """A payment as fetched from the provider, never as read from an event body."""

    payment_id: int | None  # ours, from the metadata we sent; None when it is not ours
    reference: str  # what a refund is made against (Stripe: the PaymentIntent id)
    state: str  # REMOTE_*
    amount: Decimal | None  # what was received, when known
    currency: str
    error: str | None = None


@dataclass(frozen=True)
class RemoteRefund:
    refund_id: int | None  # ours, from the metadata we sent
    reference: str
    state: str  # REFUND_*
    error: str | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook: only a trigger. `subject` says what to re-fetch."""

    event_id: str
    type: str
    subject: str  # "payment" | "refund" | "ignored"
    object_id: str


@runtime_checkable
class PaymentProvider(Protocol):
    name: str  # stored in Payment.provider; the webhook path is /webhooks/{name}
    method: str  # the booking's payment_method it serves ("card": paid online before confirmation)

    async def start_checkout(self, request: CheckoutRequest, *, idempotency_key: str) -> Checkout:
        """Create a hosted checkout for one payment row."""
        ...

    async def cancel_checkout(self, reference: str, *, idempotency_key: str) -> None:
        """Close an open checkout so it can no longer be paid (best effort)."""
        ...

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the signature (BadSignature if it fails) and say what the event is about."""
        ...

    async def fetch_payment(self, reference: str) -> RemotePayment:
        """The provider's current view of a payment, by checkout or payment reference."""
        ...

    async def fetch_refund(self, reference: str) -> RemoteRefund: ...

    async def refund(
        self, payment_reference: str, amount: Decimal, *, refund_id: int, idempotency_key: str
    ) -> RemoteRefund:
        """Refund `amount` of a paid payment. Must find an earlier refund made for the same
        `refund_id` rather than make a second one."""
        ...
