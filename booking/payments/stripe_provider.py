"""Stripe: card payments through Stripe Checkout (a hosted page), refunds, webhooks.

Every call carries an idempotency key the caller derived from our payment or refund
id, so a retried call never charges or refunds twice. Webhook events are verified with
the webhook secret and then used only as triggers: the object is fetched from Stripe.
The async methods of the `stripe` library are used, with one HTTP client per call, so
nothing is shared between event loops or processes.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, AsyncIterator, Mapping

from booking.payments.base import (
    REFUND_DONE,
    REFUND_FAILED,
    REFUND_PENDING,
    REMOTE_CANCELLED,
    REMOTE_FAILED,
    REMOTE_PAID,
    REMOTE_PENDING,
    BadSignature,
    Checkout,
    CheckoutRequest,
    ProviderEvent,
    ProviderRefused,
    ProviderUnavailable,
    RemotePayment,
    RemoteRefund,
)
from booking.settings import Settings

log = logging.getLogger("booking.payments.stripe")

HUNDRED = Decimal(100)
ORE = Decimal("0.01")

PAYMENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    }
)
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"})


def configure(settings: Settings) -> StripeProvider | None:
    if not (settings.stripe_secret_key and settings.stripe_webhook_secret):
        return None
    return StripeProvider(settings.stripe_secret_key, settings.stripe_webhook_secret, api_base=settings.stripe_api_base)


def to_minor_units(amount: Decimal) -> int:
    """NOK to øre, exactly: an amount with fractions of øre is a bug, not something to round."""
    ore = amount * HUNDRED
    if ore != ore.to_integral_value():
        raise ValueError(f"{amount} NOK is not a whole number of øre")
    return int(ore)


def from_minor_units(ore: int | None) -> Decimal | None:
    return None if ore is None else (Decimal(ore) / HUNDRED).quantize(ORE, rounding=ROUND_HALF_UP)


def _plain(stripe_object: Any) -> dict[str, Any]:
    """The library's objects are not dicts; work with plain data."""
    return stripe_object.to_dict() if hasattr(stripe_object, "to_dict") else dict(stripe_object)


def _our_id(metadata: Any, key: str) -> int | None:
    value = (metadata or {}).get(key)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _intent_state(intent: Any) -> tuple[str, str | None]:
    status = intent.get("status")
    if status == "succeeded":
        return REMOTE_PAID, None
    if status == "canceled":
        return REMOTE_CANCELLED, None
    error = intent.get("last_payment_error")
    if status == "requires_payment_method" and error:
        return REMOTE_FAILED, error.get("message") or error.get("code") or "payment failed"
    return REMOTE_PENDING, None


class StripeProvider:
    name = "stripe"
    method = "card"

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        *,
        api_base: str | None = None,
        timeout: float = 20.0,
        network_retries: int = 2,
    ) -> None:
        import stripe  # only needed once Stripe is configured

        self._stripe = stripe
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self._api_base = api_base
        self._timeout = timeout
        self._retries = network_retries

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[Any]:
        stripe = self._stripe
        http = stripe.HTTPXClient(timeout=self._timeout)
        client = stripe.StripeClient(
            self._secret_key,
            http_client=http,
            max_network_retries=self._retries,
            base_addresses={"api": self._api_base} if self._api_base else None,
        )
        try:
            yield client.v1
        except stripe.SignatureVerificationError as error:  # pragma: no cover - not raised by API calls
            raise BadSignature(str(error)) from error
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise ProviderUnavailable(f"Stripe unreachable: {error}") from error
        except stripe.StripeError as error:
            status = getattr(error, "http_status", None) or 0
            if status >= 500 or status in (0, 409, 429):
                raise ProviderUnavailable(f"Stripe {status}: {error.user_message or error}") from error
            raise ProviderRefused(f"Stripe {status}: {error.user_message or error}") from error
        finally:
            await http.close_async()

    async def start_checkout(self, request: CheckoutRequest, *, idempotency_key: str) -> Checkout:
        metadata = {"payment_id": str(request.payment_id), "booking_id": str(request.booking_id)}
        params = {
            "mode": "payment",
            "payment_method_types": ["card"],
            "line_items": [
                {
                    "quantity": line.quantity,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": to_minor_units(line.unit_amount),
                        "product_data": {"name": line.description},
                    },
                }
                for line in request.lines
            ],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": str(request.payment_id),
            "customer_email": request.customer_email,
            "locale": "nb" if request.language == "nb" else "en",
            "expires_at": int(request.expires_at.timestamp()),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "description": request.description},
        }
        async with self._client() as stripe:
            session = _plain(
                await stripe.checkout.sessions.create_async(params=params, options={"idempotency_key": idempotency_key})
            )
        return Checkout(reference=session["id"], url=session["url"])

    async def cancel_checkout(self, reference: str, *, idempotency_key: str) -> None:
        if not reference.startswith("cs_"):
            return
        async with self._client() as stripe:
            session = _plain(await stripe.checkout.sessions.retrieve_async(reference))
            if session.get("status") == "open":
                await stripe.checkout.sessions.expire_async(reference, options={"idempotency_key": idempotency_key})

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        stripe = self._stripe
        signature = headers.get("stripe-signature")
        if not signature:
            raise BadSignature("no Stripe-Signature header")
        try:
            stripe.WebhookSignature.verify_header(
                body.decode("utf-8"), signature, self._webhook_secret, stripe.Webhook.DEFAULT_TOLERANCE
            )
            event = json.loads(body)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as error:
            raise BadSignature(str(error)) from error
        kind = event.get("type", "")
        subject = "payment" if kind in PAYMENT_EVENTS else "refund" if kind in REFUND_EVENTS else "ignored"
        data = (event.get("data") or {}).get("object") or {}
        return ProviderEvent(
            event_id=str(event.get("id", "")), type=kind, subject=subject, object_id=str(data.get("id", ""))
        )

    async def fetch_payment(self, reference: str) -> RemotePayment:
        async with self._client() as stripe:
            if reference.startswith("cs_"):
                session = _plain(await stripe.checkout.sessions.retrieve_async(reference))
                return await self._session_payment(stripe, session)
            intent = _plain(await stripe.payment_intents.retrieve_async(reference))
        return self._intent_payment(intent)

    async def _session_payment(self, stripe: Any, session: Any) -> RemotePayment:
        payment_id = _our_id(session.get("metadata"), "payment_id") or _our_id(
            {"payment_id": session.get("client_reference_id")}, "payment_id"
        )
        intent_id = session.get("payment_intent")
        if isinstance(intent_id, dict):
            intent_id = intent_id.get("id")
        if intent_id:
            # The PaymentIntent is what was actually charged, and what a refund is made against.
            remote = self._intent_payment(_plain(await stripe.payment_intents.retrieve_async(intent_id)))
            return RemotePayment(
                payment_id or remote.payment_id,
                remote.reference,
                remote.state,
                remote.amount,
                remote.currency,
                remote.error,
            )
        state = REMOTE_CANCELLED if session.get("status") == "expired" else REMOTE_PENDING
        return RemotePayment(payment_id, session["id"], state, None, (session.get("currency") or "nok").upper())

    def _intent_payment(self, intent: Any) -> RemotePayment:
        state, error = _intent_state(intent)
        received = intent.get("amount_received")
        if received is None and state == REMOTE_PAID:
            received = intent.get("amount")
        return RemotePayment(
            payment_id=_our_id(intent.get("metadata"), "payment_id"),
            reference=intent["id"],
            state=state,
            amount=from_minor_units(received),
            currency=(intent.get("currency") or "").upper(),
            error=error,
        )

    async def fetch_refund(self, reference: str) -> RemoteRefund:
        async with self._client() as stripe:
            refund = _plain(await stripe.refunds.retrieve_async(reference))
        return self._refund(refund)

    def _refund(self, refund: Any) -> RemoteRefund:
        status = refund.get("status")
        state = (
            REFUND_DONE
            if status == "succeeded"
            else REFUND_FAILED
            if status in ("failed", "canceled")
            else REFUND_PENDING
        )
        return RemoteRefund(
            refund_id=_our_id(refund.get("metadata"), "refund_id"),
            reference=refund["id"],
            state=state,
            error=refund.get("failure_reason") if state == REFUND_FAILED else None,
        )

    async def refund(
        self, payment_reference: str, amount: Decimal, *, refund_id: int, idempotency_key: str
    ) -> RemoteRefund:
        async with self._client() as stripe:
            # An idempotency key lives 24 hours at Stripe; a retry after that must not refund
            # again, so look for a refund already made for this row first.
            listed = _plain(await stripe.refunds.list_async(params={"payment_intent": payment_reference, "limit": 100}))
            for existing in listed.get("data", []):
                if _our_id(existing.get("metadata"), "refund_id") == refund_id:
                    return self._refund(existing)
            made = _plain(
                await stripe.refunds.create_async(
                    params={
                        "payment_intent": payment_reference,
                        "amount": to_minor_units(amount),
                        "metadata": {"refund_id": str(refund_id)},
                    },
                    options={"idempotency_key": idempotency_key},
                )
            )
        return self._refund(made)
