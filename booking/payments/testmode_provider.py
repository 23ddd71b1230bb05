"""Test mode: an offline card provider for development, so a fresh `make run` can try a
card payment without Stripe. Configured only when no Stripe keys are set, and never with
BOOKING_ENV=production. No money moves, and every page it touches says so.

It behaves as Stripe Checkout does, through the same interface: `start_checkout` opens a
hosted checkout, here served by the app itself (`/testbetaling/{reference}`,
booking/web/payment_pages.py); paying there records the payment in this provider's store
and delivers a signed event (HMAC-SHA256 with a key derived from BOOKING_SECRET_KEY) to the
webhook handling, which re-fetches the payment with `fetch_payment`; leaving goes back to
the cancel URL with the checkout still open; a checkout nobody pays expires at its
`expires_at`; refunds are recorded at once.

The store is one JSON file per checkout under `settings.testpay_dir`: shared by every
worker process on the machine (test mode is one machine by nature), needing no table or
migration in the production schema. A change is made under an exclusive `flock` on the
file, written in place; a new file appears whole (written aside, then hard-linked in).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping

from booking.payments.base import (
    REFUND_DONE,
    REMOTE_CANCELLED,
    REMOTE_PAID,
    REMOTE_PENDING,
    BadSignature,
    Checkout,
    CheckoutLine,
    CheckoutRequest,
    ProviderEvent,
    ProviderRefused,
    RemotePayment,
    RemoteRefund,
)
from booking.settings import Settings

NAME = "testpay"
SIGNATURE_HEADER = "testpay-signature"
OPEN, PAID, EXPIRED = "open", "paid", "expired"


def configure(settings: Settings) -> TestModeProvider | None:
    if settings.is_production or settings.stripe_secret_key or settings.stripe_webhook_secret:
        return None
    return TestModeProvider(settings.testpay_dir, settings.secret_key, settings.base_url)


@dataclass(frozen=True)
class TestCheckout:
    """One checkout as its page shows it."""

    reference: str
    payment_id: int
    lines: tuple[CheckoutLine, ...]
    amount: Decimal
    currency: str
    success_url: str
    cancel_url: str
    expires_at: datetime
    status: str  # OPEN | PAID | EXPIRED

    def state(self, now: datetime) -> str:
        """An open checkout past its expiry is expired, as Stripe's is, without a timer."""
        return EXPIRED if self.status == OPEN and now >= self.expires_at else self.status


def _checkout(data: dict[str, Any]) -> TestCheckout:
    return TestCheckout(
        reference=data["reference"],
        payment_id=data["payment_id"],
        lines=tuple(
            CheckoutLine(line["description"], Decimal(line["unit_amount"]), line["quantity"]) for line in data["lines"]
        ),
        amount=Decimal(data["amount"]),
        currency=data["currency"],
        success_url=data["success_url"],
        cancel_url=data["cancel_url"],
        expires_at=datetime.fromisoformat(data["expires_at"]),
        status=data["status"],
    )


class TestModeProvider:
    name = NAME
    method = "card"

    def __init__(self, folder: Path, secret_key: str, base_url: str) -> None:
        self._folder = Path(folder)
        self._key = hashlib.sha256(b"lokaler-testpay:" + secret_key.encode()).digest()
        self._base_url = base_url.rstrip("/")

    # ------------------------------------------------------------ the store

    def _path(self, reference: str) -> Path:
        if not (reference.startswith("tp_") and reference[3:].isalnum()):
            raise ProviderRefused(f"no test checkout {reference!r}")
        return self._folder / f"{reference}.json"

    def _create(self, data: dict[str, Any]) -> None:
        """Write a new checkout whole; one that exists already (the same idempotency key) is kept."""
        path = self._path(data["reference"])
        self._folder.mkdir(parents=True, exist_ok=True)
        handle, aside = tempfile.mkstemp(dir=self._folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as file:
                json.dump(data, file)
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(aside)

    @contextmanager
    def _locked(self, reference: str, *, write: bool) -> Iterator[dict[str, Any]]:
        """The checkout's data, under a shared (reading) or exclusive (writing) lock; what
        a writer changes in it is saved on leaving."""
        try:
            file = self._path(reference).open("r+" if write else "r")
        except FileNotFoundError:
            raise ProviderRefused(f"no test checkout {reference!r}") from None
        with file:
            fcntl.flock(file, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
            data = json.load(file)
            yield data
            if write:
                file.seek(0)
                file.truncate()
                json.dump(data, file)
                file.flush()
                os.fsync(file.fileno())

    def checkout(self, reference: str) -> TestCheckout | None:
        """For the checkout page: None when there is no such checkout."""
        try:
            with self._locked(reference, write=False) as data:
                return _checkout(data)
        except ProviderRefused:
            return None

    def pay(self, reference: str, now: datetime) -> tuple[bytes, dict[str, str]]:
        """The booker pays on the checkout page: recorded here first, then the signed event
        for the webhook handling. Paying twice is paying once; an expired checkout cannot be paid."""
        with self._locked(reference, write=True) as data:
            state = _checkout(data).state(now)
            if state == EXPIRED:
                raise ProviderRefused(f"test checkout {reference} has expired")
            if state == OPEN:
                data.update(status=PAID, paid_at=now.isoformat())
        return self.signed_event(f"evt_{reference}_paid", "payment.paid", reference)

    def signed_event(self, event_id: str, kind: str, object_id: str) -> tuple[bytes, dict[str, str]]:
        body = json.dumps({"id": event_id, "type": kind, "object": object_id}).encode()
        return body, {SIGNATURE_HEADER: self._sign(body), "content-type": "application/json"}

    def _sign(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    # ------------------------------------------------------------ PaymentProvider

    async def start_checkout(self, request: CheckoutRequest, *, idempotency_key: str) -> Checkout:
        # The same key gives the same checkout, as at Stripe; the reference cannot be guessed.
        reference = "tp_" + hmac.new(self._key, idempotency_key.encode(), hashlib.sha256).hexdigest()[:32]
        self._create(
            {
                "reference": reference,
                "payment_id": request.payment_id,
                "booking_id": request.booking_id,
                "lines": [
                    {"description": line.description, "unit_amount": str(line.unit_amount), "quantity": line.quantity}
                    for line in request.lines
                ],
                "amount": str(request.amount),
                "currency": request.currency,
                "description": request.description,
                "customer_email": request.customer_email,
                "language": request.language,
                "success_url": request.success_url,
                "cancel_url": request.cancel_url,
                "expires_at": request.expires_at.astimezone(timezone.utc).isoformat(),
                "status": OPEN,
                "refunds": {},
            }
        )
        return Checkout(reference=reference, url=f"{self._base_url}/testbetaling/{reference}")

    async def cancel_checkout(self, reference: str, *, idempotency_key: str) -> None:
        with self._locked(reference, write=True) as data:
            if data["status"] == OPEN:
                data["status"] = EXPIRED

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            raise BadSignature(f"no {SIGNATURE_HEADER} header")
        if not hmac.compare_digest(signature, self._sign(body)):
            raise BadSignature("the signature does not match the body")
        try:
            event = json.loads(body)
            kind, object_id = str(event["type"]), str(event["object"])
        except (ValueError, KeyError, TypeError) as error:
            raise BadSignature(f"not a test-mode event: {error}") from error
        subject = "payment" if kind.startswith("payment.") else "refund" if kind.startswith("refund.") else "ignored"
        return ProviderEvent(event_id=str(event.get("id", "")), type=kind, subject=subject, object_id=object_id)

    async def fetch_payment(self, reference: str) -> RemotePayment:
        with self._locked(reference, write=False) as data:
            checkout = _checkout(data)
        state = {OPEN: REMOTE_PENDING, PAID: REMOTE_PAID, EXPIRED: REMOTE_CANCELLED}[
            checkout.state(datetime.now(timezone.utc))
        ]
        return RemotePayment(
            payment_id=checkout.payment_id,
            reference=reference,
            state=state,
            amount=checkout.amount if state == REMOTE_PAID else None,
            currency=checkout.currency,
        )

    async def fetch_refund(self, reference: str) -> RemoteRefund:
        checkout_reference, _, refund_id = reference.rpartition("_r")
        with self._locked(checkout_reference, write=False) as data:
            if refund_id not in data["refunds"]:
                raise ProviderRefused(f"no test refund {reference!r}")
        return RemoteRefund(refund_id=int(refund_id), reference=reference, state=REFUND_DONE)

    async def refund(
        self, payment_reference: str, amount: Decimal, *, refund_id: int, idempotency_key: str
    ) -> RemoteRefund:
        """Refunded at once; a second call for the same `refund_id` finds the first."""
        with self._locked(payment_reference, write=True) as data:
            refunds = data["refunds"]
            if str(refund_id) not in refunds:
                left = Decimal(data["amount"]) - sum((Decimal(r) for r in refunds.values()), Decimal(0))
                if data["status"] != PAID or not Decimal(0) < amount <= left:
                    raise ProviderRefused(
                        f"cannot refund {amount} of test checkout {payment_reference} ({data['status']}, {left} left)"
                    )
                refunds[str(refund_id)] = str(amount)
        return RemoteRefund(refund_id=refund_id, reference=f"{payment_reference}_r{refund_id}", state=REFUND_DONE)
