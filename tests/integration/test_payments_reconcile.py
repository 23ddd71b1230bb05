"""`booking payments reconcile`: a card payment whose webhook never came is fetched from
Stripe (localstripe behind the recording Checkout server) and applied by the webhook's
own code; running it again, on two machines at once, or after the webhook changes
nothing twice. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from booking.db.engine import make_engine, session_factory
from booking.db.models import Booking, BookingHistory, OutboxMail, Payment, WebhookEvent
from booking.services.payment_events import reconcile_payments
from booking.settings import ROOT
from booking.web.app import create_app
from tests.conftest import alone
from tests.integration.test_payments_stripe import book, one, pay_start, post_event, rows, status_of, utcnow
from tests.integration.test_payments_support import (  # noqa: F401 - fixtures
    SECRET_KEY,
    WEBHOOK_SECRET,
    Customer,
    checkout_server,
    event_body,
    free_port,
    localstripe,
    stripe_settings,
)
from tests.world import build_world

# The reconcile command runs as a process of its own, on the real clock (conftest.py).
REAL_CLOCK = True

LATER = timedelta(minutes=6)  # past the five minutes a payment is left to its webhook


@pytest.fixture
async def paid_without_webhook(db, localstripe):
    """A held booking whose checkout was paid on Stripe; no webhook is ever delivered."""
    world = await build_world(db.session)
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        booking = await book(db, world)
        await pay_start(db, settings, booking)
        payment = await one(db, Payment)
        intent = await Customer(localstripe.url).pay(payment.id, 30000)
        stripe_api.complete(payment.provider_ref, intent)
        yield settings, booking, payment, intent, stripe_api


async def snapshot(db) -> tuple:
    """Everything a payment can change: bookings, history, payments, mail."""
    async with db.sessions() as s:
        return (
            [(b.id, b.status, b.sequence) for b in (await s.execute(select(Booking).order_by(Booking.id))).scalars()],
            [
                (h.booking_id, h.from_status, h.to_status)
                for h in (await s.execute(select(BookingHistory).order_by(BookingHistory.id))).scalars()
            ],
            [
                (p.id, p.kind, p.state, p.provider_ref, p.amount)
                for p in (await s.execute(select(Payment).order_by(Payment.id))).scalars()
            ],
            sorted((await s.execute(select(OutboxMail.dedupe_key))).scalars()),
        )


async def test_a_paid_payment_whose_webhook_never_came_is_reconciled_once(db, paid_without_webhook):
    settings, booking, payment, intent, _ = paid_without_webhook
    young = await reconcile_payments(db.session, settings, now=utcnow(), older_than=timedelta(minutes=5))
    assert young == Counter() and await status_of(db, booking.id) == "held"  # left to its webhook for now

    outcomes = await reconcile_payments(db.session, settings, now=utcnow() + LATER, older_than=timedelta(minutes=5))
    assert outcomes == Counter({"confirmed": 1})
    paid = await one(db, Payment)
    assert (paid.state, paid.provider_ref) == ("paid", intent)
    history = await rows(db, BookingHistory, BookingHistory.booking_id == booking.id)
    assert [(h.from_status, h.to_status) for h in history] == [(None, "held"), ("held", "confirmed")]
    assert {m.dedupe_key for m in await rows(db, OutboxMail)} == {
        f"booking-{booking.id}-1-confirmed",
        f"receipt-{payment.id}",
    }

    before = await snapshot(db)
    again = await reconcile_payments(db.session, settings, now=utcnow() + LATER, older_than=timedelta(minutes=5))
    assert again == Counter() and await snapshot(db) == before  # nothing open, nothing changed

    # The webhook arriving after all finds the payment done: the same code, no second change.
    async with AsyncTestClient(app=create_app(settings)) as client:
        late = await post_event(client, event_body("evt_after_reconcile", "payment_intent.succeeded", intent))
    assert late.json()["outcome"] == "unchanged"
    assert (await snapshot(db))[:3] == before[:3] and len(await rows(db, WebhookEvent)) == 1


async def test_reconcile_after_the_webhook_changes_nothing(db, paid_without_webhook):
    settings, booking, payment, intent, _ = paid_without_webhook
    async with AsyncTestClient(app=create_app(settings)) as client:
        first = await post_event(client, event_body("evt_first", "payment_intent.succeeded", intent))
    assert first.json()["outcome"] == "confirmed"
    before = await snapshot(db)
    assert (
        await reconcile_payments(db.session, settings, now=utcnow() + LATER, older_than=timedelta(minutes=5))
        == Counter()
    )
    assert await snapshot(db) == before


async def test_two_machines_reconciling_at_once_confirm_once(db, paid_without_webhook):
    settings, booking, payment, intent, _ = paid_without_webhook
    other_machine = make_engine(db.url)
    try:
        results = await asyncio.gather(
            alone(db.sessions, reconcile_payments, settings, now=utcnow() + LATER, older_than=timedelta(minutes=5)),
            alone(
                session_factory(other_machine),
                reconcile_payments,
                settings,
                now=utcnow() + LATER,
                older_than=timedelta(minutes=5),
            ),
        )
    finally:
        await other_machine.dispose()
    assert sum(results, Counter())["confirmed"] == 1  # the other one found it done (or already closed)
    changes = await rows(
        db, BookingHistory, BookingHistory.booking_id == booking.id, BookingHistory.to_status == "confirmed"
    )
    assert len(changes) == 1
    assert len(await rows(db, OutboxMail, OutboxMail.dedupe_key == f"receipt-{payment.id}")) == 1


async def test_an_abandoned_checkout_is_closed_and_a_provider_that_does_not_answer_is_tried_again(db, localstripe):
    world = await build_world(db.session)
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        booking = await book(db, world)
        await pay_start(db, settings, booking)
        payment = await one(db, Payment)
        down = stripe_settings(db.url, f"http://127.0.0.1:{free_port()}")
        unanswered = await reconcile_payments(db.session, down, now=utcnow() + LATER, older_than=timedelta(minutes=5))
        assert unanswered == Counter({"unavailable": 1}) and (await one(db, Payment)).state == "pending"
        stripe_api.sessions[payment.provider_ref]["status"] = "expired"  # the booker never paid
        closed = await reconcile_payments(db.session, settings, now=utcnow() + LATER, older_than=timedelta(minutes=5))
    assert closed == Counter({"cancelled": 1}) and (await one(db, Payment)).state == "cancelled"
    assert await status_of(db, booking.id) == "held"  # the hold runs out on its own (expire-holds)


async def test_the_command_reconciles_and_a_second_run_finds_nothing(db, paid_without_webhook):
    settings, booking, payment, intent, stripe_api = paid_without_webhook
    env = {
        **os.environ,
        "BOOKING_DATABASE_URL": db.url,
        "BOOKING_STRIPE_SECRET_KEY": SECRET_KEY,
        "BOOKING_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BOOKING_STRIPE_API_BASE": stripe_api.url,
    }

    def reconcile(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "booking.cli", "payments", "reconcile", *extra],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    waiting = reconcile()
    assert waiting.returncode == 0 and waiting.stdout.strip() == "0 open card payment(s) checked"
    first = reconcile("--older-than", "0")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "1 open card payment(s) checked: 1 confirmed"
    second = reconcile("--older-than", "0")
    assert second.stdout.strip() == "0 open card payment(s) checked"
    refused = reconcile("--older-than", "soon")
    assert refused.returncode == 2 and "--older-than" in refused.stderr
