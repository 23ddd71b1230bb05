"""Card payments with the real `stripe` library over real HTTP: Checkout creation against
a recording server (localstripe has no Checkout), PaymentIntents, refunds and webhooks
against localstripe, with Stripe's signatures. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text

from booking.db.engine import write_transaction
from booking.db.models import (
    Booking,
    BookingHistory,
    Organisation,
    OutboxMail,
    Payment,
    Person,
    Premises,
    SlotClaim,
    WebhookEvent,
)
from booking.domain.errors import DomainError
from booking.notify.sender import render_pending
from booking.payments import card_available
from booking.services.approvals import decide
from booking.services.bookings import NewBooking, create_booking, place_booking, release_expired_holds
from booking.services.cancellation import cancel_booking, cancellation_terms
from booking.services.payment_events import refresh_payment
from booking.services.payments import PaymentUnavailable, choose_invoice, payment_choices, start_payment
from booking.services.premises_admin import StaffScope
from booking.services.refunds import payments_needing_attention, process_refunds
from booking.services.rulebook import HarmonisedRules, current_rules
from booking.settings import from_environment
from booking.web.app import create_app
from pricing import BookingDetails
from tests.integration.test_payments_support import (  # noqa: F401 - fixtures
    Customer,
    checkout_server,
    delivering_localstripe,
    event_body,
    eventually,
    free_port,
    localstripe,
    served,
    sign,
    slot,
    stripe_settings,
)
from tests.world import build_world

SUCCESS = "http://127.0.0.1:8000/bestillinger/{id}/betalt"
CANCEL = "http://127.0.0.1:8000/bestillinger/{id}/betaling"


def ore(amount: Decimal) -> int:
    return int(amount * 100)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def book(
    db, world, *, method="card", days=7, hour=18, now=None, person_id=None, organisation_id=None, target_group="adults"
):
    rules = await current_rules(db.session)
    start, end = slot(days, hour)
    return await create_booking(
        db.session,
        NewBooking(
            world.room,
            start,
            end,
            person_id or world.person_id,
            organisation_id,
            BookingDetails("Styremøte", 10, target_group),
            payment_method=method,
        ),
        rules=rules,
        now=now or utcnow(),
    )


async def pay_start(db, settings, booking, now=None) -> str:
    return await start_payment(
        db.session,
        settings,
        booking.id,
        person_id=booking.person_id,
        success_url=SUCCESS.format(id=booking.id),
        cancel_url=CANCEL.format(id=booking.id),
        now=now or utcnow(),
    )


async def rows(db, model, *where):
    async with db.sessions() as s:
        return list((await s.execute(select(model).where(*where).order_by(model.id))).scalars())


async def one(db, model, *where):
    (row,) = await rows(db, model, *where)
    return row


async def count(db, model, *where) -> int:
    async with db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model).where(*where))


async def status_of(db, booking_id: int) -> str:
    async with db.sessions() as s:
        return await s.scalar(select(Booking.status).where(Booking.id == booking_id))


@pytest.fixture
async def world(db):
    return await build_world(db.session)


# ---------------------------------------------------------------- Checkout creation


async def test_checkout_session_is_created_with_what_stripe_needs(db, world):
    with checkout_server() as checkout:
        settings = stripe_settings(db.url, checkout.url)
        booking = await book(db, world)
        assert (booking.status, booking.payment_method, booking.price_total) == ("held", "card", Decimal("300"))
        now = utcnow()
        url = await pay_start(db, settings, booking, now)

        (sent,) = checkout.created()
        payment = await one(db, Payment, Payment.booking_id == booking.id)
        assert url == f"{checkout.url}/pay/cs_test_0001" == payment.checkout_url
        assert (payment.state, payment.provider, payment.provider_ref, payment.amount) == (
            "pending",
            "stripe",
            "cs_test_0001",
            Decimal("300"),
        )
        assert sent.headers["idempotency-key"] == f"lokaler-payment-{payment.id}-checkout"
        assert sent.headers["authorization"] == "Bearer sk_test_lokaler"
        params = sent.params
        assert params["mode"] == "payment"
        assert params["line_items[0][price_data][currency]"] == "nok"
        assert params["line_items[0][price_data][unit_amount]"] == "30000"  # øre
        assert params["line_items[0][quantity]"] == "1"
        assert "Møtesalen" in params["line_items[0][price_data][product_data][name]"]
        assert params["success_url"] == SUCCESS.format(id=booking.id)
        assert params["cancel_url"] == CANCEL.format(id=booking.id)
        assert params["client_reference_id"] == str(payment.id)
        assert params["metadata[payment_id]"] == params["payment_intent_data[metadata][payment_id]"] == str(payment.id)
        assert params["customer_email"] == "kari@example.no" and params["locale"] == "nb"
        # Stripe keeps a Checkout open at least 30 minutes; the hold is shorter.
        assert int(params["expires_at"]) >= int((now + timedelta(minutes=30)).timestamp())


async def test_starting_payment_again_reuses_the_checkout(db, world):
    with checkout_server() as checkout:
        settings = stripe_settings(db.url, checkout.url)
        booking = await book(db, world)
        first = await pay_start(db, settings, booking)
        again = await pay_start(db, settings, booking)
        assert first == again
        assert len(checkout.created()) == 1 and await count(db, Payment) == 1


async def test_a_provider_that_does_not_answer_fails_the_start_cleanly(db, world):
    settings = stripe_settings(db.url, f"http://127.0.0.1:{free_port()}")
    booking = await book(db, world)
    with pytest.raises(PaymentUnavailable) as refused:
        await pay_start(db, settings, booking)
    assert refused.value.code == "payment_unavailable" and refused.value.status == 503
    payment = await one(db, Payment)
    assert payment.state == "created" and "ProviderUnavailable" in payment.last_error
    assert await status_of(db, booking.id) == "held"  # the booker may try again while the hold lasts


async def test_an_expired_hold_cannot_be_paid_for(db, world):
    with checkout_server() as checkout:
        settings = stripe_settings(db.url, checkout.url)
        booking = await book(db, world, now=utcnow() - timedelta(minutes=20))
        with pytest.raises(DomainError) as refused:
            await pay_start(db, settings, booking)
        assert refused.value.code == "hold_expired" and checkout.created() == []


async def test_in_production_without_stripe_keys_card_is_unavailable_but_free_and_invoice_work(db, world):
    plain = from_environment({"BOOKING_DATABASE_URL": db.url, "BOOKING_ENV": "production"})
    assert not card_available(plain)
    assert card_available(stripe_settings(db.url, None))
    async with db.sessions() as s:
        club = await s.get(Organisation, world.organisation_id)
    private = payment_choices(plain, total=Decimal("300"), organisation=None)
    assert (private.methods, private.bookable) == ((), False) and "ikke tilgjengelig" in private.message_nb
    assert payment_choices(plain, total=Decimal("300"), organisation=club).methods == ("invoice",)
    assert payment_choices(stripe_settings(db.url, None), total=Decimal("300"), organisation=club).methods == (
        "card",
        "invoice",
    )
    assert payment_choices(plain, total=Decimal("0"), organisation=None).free
    held = await book(db, world)
    with pytest.raises(PaymentUnavailable) as refused:
        await pay_start(db, plain, held)
    assert refused.value.code == "card_unavailable"
    invoiced = await book(db, world, method="invoice", days=8, organisation_id=world.organisation_id)
    assert (invoiced.status, invoiced.payment_method) == ("confirmed", "invoice")
    free = await book(
        db, world, method="card", days=9, organisation_id=world.organisation_id, target_group="children_youth"
    )
    assert (free.status, free.payment_method, free.price_total) == ("confirmed", None, Decimal("0"))


async def test_a_private_persons_invoice_follows_the_rule_set(db, world):
    invoiced = await book(db, world, method="invoice")  # the sample rules let private persons be invoiced
    assert (invoiced.status, invoiced.payment_method) == ("confirmed", "invoice")
    rules = await current_rules(db.session)
    rule_set = rules.in_force(utcnow())
    card_only = replace(
        rule_set, groups={**rule_set.groups, "privat": replace(rule_set.groups["privat"], payment_methods=("card",))}
    )
    start, end = slot(8, 18)
    for method in ("invoice", "cash"):
        with pytest.raises(DomainError) as refused:
            await create_booking(
                db.session,
                NewBooking(
                    world.room,
                    start,
                    end,
                    world.person_id,
                    None,
                    BookingDetails("Styremøte", 10, "adults"),
                    payment_method=method,
                ),
                rules=HarmonisedRules([card_only]),
                now=utcnow(),
            )
        assert refused.value.code == "payment_method_not_allowed"
        assert refused.value.details == {"method": method, "allowed": ["card"]}
        assert "You can pay by card." in refused.value.message_en and "kort" in refused.value.message_nb
    assert await count(db, Booking) == 1


# ---------------------------------------------------------------- webhooks


async def test_paid_on_checkout_and_delivered_by_webhook_confirms_the_booking(db, world, delivering_localstripe):
    localstripe = delivering_localstripe
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        booking = await book(db, world)
        await pay_start(db, settings, booking)
        payment = await one(db, Payment)
        with served(create_app(settings)) as app_url:
            localstripe.configure_webhook(
                f"{app_url}/webhooks/stripe", events=["payment_intent.succeeded", "payment_intent.payment_failed"]
            )
            try:
                intent = await Customer(localstripe.url).pay(payment.id, 30000)
                assert await eventually(lambda: _is(db, booking.id, "confirmed"))
            finally:
                localstripe.stop_webhooks()
        payment = await one(db, Payment)
        assert (payment.state, payment.provider_ref) == ("paid", intent)
        event = await one(db, WebhookEvent)
        assert (event.provider, event.type) == ("stripe", "payment_intent.succeeded")
        history = await rows(db, BookingHistory, BookingHistory.booking_id == booking.id)
        assert [(h.from_status, h.to_status) for h in history] == [(None, "held"), ("held", "confirmed")]
        keys = {m.dedupe_key for m in await rows(db, OutboxMail)}
        assert keys == {f"booking-{booking.id}-1-confirmed", f"receipt-{payment.id}"}


async def _is(db, booking_id, status):
    return await status_of(db, booking_id) == status


@pytest.fixture
async def paid_setup(db, world, localstripe):
    """A held booking with its Checkout started and its PaymentIntent paid on localstripe,
    and the app, but no webhook delivered yet."""
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        booking = await book(db, world)
        await pay_start(db, settings, booking)
        payment = await one(db, Payment)
        customer = Customer(localstripe.url)
        async with AsyncTestClient(app=create_app(settings)) as client:
            yield settings, booking, payment, customer, client, stripe_api


async def post_event(client, body: bytes, signature: str | None = None):
    return await client.post(
        "/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": signature or sign(body), "Content-Type": "application/json"},
    )


async def test_a_bad_signature_is_refused_and_changes_nothing(db, paid_setup):
    _, booking, payment, customer, client, _ = paid_setup
    intent = await customer.pay(payment.id, 30000)
    body = event_body("evt_bad", "payment_intent.succeeded", intent)
    for signature in (sign(body, "whsec_someone_else"), "t=1,v1=deadbeef", sign(body, at=1)):
        answer = await post_event(client, body, signature)
        assert answer.status_code == 400
    assert (await client.post("/webhooks/stripe", content=body)).status_code == 400  # no header at all
    tampered = body.replace(b"payment_intent.succeeded", b"payment_intent.canceled")
    assert (await post_event(client, tampered, sign(body))).status_code == 400
    assert await count(db, WebhookEvent) == 0
    assert (await one(db, Payment)).state == "pending" and await status_of(db, booking.id) == "held"


async def test_the_same_event_twice_changes_the_booking_once(db, paid_setup):
    _, booking, payment, customer, client, _ = paid_setup
    intent = await customer.pay(payment.id, 30000)
    # The body's status is stale on purpose: the handler fetches the PaymentIntent itself.
    body = event_body("evt_once", "payment_intent.succeeded", intent, status="requires_payment_method")
    first, second = await asyncio.gather(post_event(client, body), post_event(client, body))
    third = await post_event(client, body)
    outcomes = sorted(r.json()["outcome"] for r in (first, second, third))
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert outcomes == ["confirmed", "duplicate", "duplicate"]
    # Another event about the same payment finds it done.
    other = event_body("evt_other", "payment_intent.succeeded", intent)
    assert (await post_event(client, other)).json()["outcome"] == "unchanged"
    assert await count(db, WebhookEvent) == 2
    changes = await rows(
        db, BookingHistory, BookingHistory.booking_id == booking.id, BookingHistory.to_status == "confirmed"
    )
    assert len(changes) == 1
    assert await count(db, OutboxMail, OutboxMail.dedupe_key == f"receipt-{payment.id}") == 1


async def test_events_out_of_order_never_move_a_payment_backwards(db, paid_setup):
    _, booking, payment, customer, client, _ = paid_setup
    declined = await customer.pay(payment.id, 30000, card="4000000000000341")
    failed = event_body("evt_failed", "payment_intent.payment_failed", declined)
    # A "succeeded" event that arrives before the money: fetched, it says otherwise.
    early = event_body("evt_early", "payment_intent.succeeded", declined)
    assert (await post_event(client, early)).json()["outcome"] == "failed"
    assert (await post_event(client, failed)).json()["outcome"] == "unchanged"
    assert (await one(db, Payment)).state == "failed" and await status_of(db, booking.id) == "held"
    # The booker tries another card: paid. The old failure arriving late changes nothing.
    paid = await customer.pay(payment.id, 30000)
    assert (await post_event(client, event_body("evt_paid", "payment_intent.succeeded", paid))).json()[
        "outcome"
    ] == "confirmed"
    late = event_body("evt_failed_again", "payment_intent.payment_failed", declined)
    assert (await post_event(client, late)).json()["outcome"] == "unchanged"
    session_done = event_body("evt_session", "checkout.session.expired", payment.provider_ref)
    assert (await post_event(client, session_done)).json()["outcome"] == "unchanged"
    payment = await one(db, Payment)
    assert (payment.state, payment.provider_ref) == ("paid", paid)
    assert await status_of(db, booking.id) == "confirmed"


async def test_an_event_we_do_not_handle_or_cannot_find_is_accepted_and_ignored(db, paid_setup):
    _, booking, _, _, client, _ = paid_setup
    ignored = await post_event(client, event_body("evt_x", "customer.created", "cus_123"))
    unknown = await post_event(client, event_body("evt_y", "payment_intent.succeeded", "pi_doesnotexist"))
    assert (ignored.json()["outcome"], unknown.json()["outcome"]) == ("ignored", "unknown")
    assert await status_of(db, booking.id) == "held"


async def test_stripe_unreachable_answers_503_so_stripe_retries(db, world):
    settings = stripe_settings(db.url, f"http://127.0.0.1:{free_port()}")
    async with AsyncTestClient(app=create_app(settings)) as client:
        answer = await post_event(client, event_body("evt_z", "payment_intent.succeeded", "pi_1"))
    assert answer.status_code == 503 and await count(db, WebhookEvent) == 0


async def test_the_webhook_needs_no_csrf_token_or_session(db, paid_setup):
    _, _, _, _, client, _ = paid_setup
    body = event_body("evt_csrf", "customer.created", "cus_1")
    client.cookies.set("csrftoken", "something-else")
    answer = await client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
    assert answer.status_code == 200 and answer.json() == {"outcome": "ignored"}


async def test_the_return_from_checkout_confirms_without_waiting_for_the_webhook(db, paid_setup):
    settings, booking, payment, customer, _, stripe_api = paid_setup
    intent = await customer.pay(payment.id, 30000)
    stripe_api.complete(payment.provider_ref, intent)
    refreshed = await refresh_payment(db.session, settings, booking.id, now=utcnow())
    assert refreshed.status == "confirmed"
    assert (await one(db, Payment)).provider_ref == intent
    again = await refresh_payment(db.session, settings, booking.id, now=utcnow())
    assert again.status == "confirmed"


# ---------------------------------------------------------------- late payments


async def test_a_payment_after_the_hold_expired_with_the_slot_taken_is_refunded(db, world, delivering_localstripe):
    localstripe = delivering_localstripe
    started = utcnow() - timedelta(minutes=20)
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        late = await book(db, world, now=started)
        await pay_start(db, settings, late, now=started + timedelta(minutes=1))
        payment = await one(db, Payment)
        async with db.sessions() as s, write_transaction(s):
            s.add(
                Person(
                    name="Per Annen", email="per@example.no", roles=["person"], birth_date=datetime(1970, 1, 1).date()
                )
            )
            other = await s.scalar(select(Person.id).where(Person.email == "per@example.no"))
        taken = await book(db, world, person_id=other)  # the expired hold gives way
        assert (taken.status, await status_of(db, late.id)) == ("held", "expired")
        with served(create_app(settings)) as app_url:
            localstripe.configure_webhook(f"{app_url}/webhooks/stripe", events=["payment_intent.succeeded"])
            try:
                customer = Customer(localstripe.url)
                intent = await customer.pay(payment.id, 30000)
                assert await eventually(lambda: _state(db, payment.id, "refunded"))
            finally:
                localstripe.stop_webhooks()
        (refund,) = await customer.refunds(intent)
        refund_row = await one(db, Payment, Payment.kind == "refund")
        assert (refund["amount"], refund["status"]) == (30000, "succeeded")
        assert refund["metadata"]["refund_id"] == str(refund_row.id)
        assert (refund_row.state, refund_row.provider_ref) == ("refunded", refund["id"])
        assert refund_row.refund_of == payment.id
        assert await status_of(db, late.id) == "expired" and await status_of(db, taken.id) == "held"
        await render_pending(db.session)  # the sender writes the mail from the stored event
        mail = await one(db, OutboxMail, OutboxMail.dedupe_key == f"refunded-in-full-{payment.id}")
        assert mail.to_address == "kari@example.no" and "tatt av noen andre" in mail.body_text
        assert "300\u00a0kr" in mail.body_text


async def _state(db, payment_id, state):
    async with db.sessions() as s:
        return await s.scalar(select(Payment.state).where(Payment.id == payment_id)) == state


async def test_a_payment_after_the_hold_expired_with_the_slot_free_confirms_the_same_booking(db, paid_setup):
    settings, booking, payment, customer, client, _ = paid_setup
    async with write_transaction(db.session) as s:
        await release_expired_holds(s, utcnow() + timedelta(hours=1))
    assert await status_of(db, booking.id) == "expired"
    assert await count(db, SlotClaim, SlotClaim.booking_id == booking.id) == 0  # the slot was given up
    intent = await customer.pay(payment.id, 30000)
    answer = await post_event(client, event_body("evt_late", "payment_intent.succeeded", intent))
    assert answer.json()["outcome"] == "confirmed"
    payment = await one(db, Payment)
    assert (payment.state, payment.booking_id, payment.provider_ref) == ("paid", booking.id, intent)
    (again,) = await rows(db, Booking)  # the same booking, not a new one
    assert (again.id, again.status, again.start_at, again.price_total, again.payment_method) == (
        booking.id,
        "confirmed",
        booking.start_at,
        booking.price_total,
        "card",
    )
    (claim,) = await rows(db, SlotClaim, SlotClaim.booking_id == booking.id)  # the slot is claimed again
    buffer = timedelta(minutes=15)  # Møtesalen's set-up and clearing time
    assert (claim.busy_from, claim.busy_to) == (booking.start_at - buffer, booking.end_at + buffer)
    history = await rows(db, BookingHistory, BookingHistory.booking_id == booking.id)
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, "held"),
        ("held", "expired"),
        ("expired", "confirmed"),
    ]
    assert "etter at reservasjonen utløp" in history[-1].reason and history[-1].actor_id is None
    keys = {m.dedupe_key for m in await rows(db, OutboxMail)}
    assert keys == {f"booking-{booking.id}-2-confirmed", f"receipt-{payment.id}"}
    assert await count(db, Payment, Payment.kind == "refund") == 0
    # The same news again (another event, the return page) changes nothing.
    repeat = await post_event(client, event_body("evt_late_again", "payment_intent.succeeded", intent))
    assert repeat.json()["outcome"] == "unchanged"
    assert len(await rows(db, BookingHistory, BookingHistory.booking_id == booking.id)) == 3


async def _waiting_on_a_lock(db) -> bool:
    """PostgreSQL: another connection to this database waits for a lock (ours)."""
    async with db.engine.connect() as connection:
        return bool(
            await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        )


async def test_a_late_payment_racing_a_new_booking_for_the_slot_loses_cleanly_and_is_refunded(db, world, paid_setup):
    """The new booking is written, not yet committed, when the late payment is applied:
    on PostgreSQL the exclusion constraint makes the late payment's claim wait and then
    fail; on SQLite it waits for the write lock and then finds the slot taken. Either
    way the slot is booked once, and the money goes back."""
    settings, late, payment, customer, _, _ = paid_setup
    async with write_transaction(db.session) as s:
        await release_expired_holds(s, utcnow() + timedelta(hours=1))
        s.add(Person(name="Per Annen", email="per@example.no", roles=["person"], birth_date=date(1970, 1, 1)))
    async with db.sessions() as s:
        other = await s.scalar(select(Person.id).where(Person.email == "per@example.no"))
    intent = await customer.pay(payment.id, 30000)
    rules = await current_rules(db.session)
    body = event_body("evt_race", "payment_intent.succeeded", intent)
    # Over real HTTP: the test client would run the request to its end before anything else.
    with served(create_app(settings)) as app_url:
        async with httpx.AsyncClient(timeout=60) as http:
            async with write_transaction(db.session) as s:
                taken_id, _ = await place_booking(
                    s,
                    NewBooking(
                        world.room,
                        late.start_at,
                        late.end_at,
                        other,
                        details=BookingDetails("Annet møte", 5, "adults"),
                        payment_method="card",
                    ),
                    rules,
                    utcnow(),
                )
                delivery = asyncio.create_task(
                    http.post(
                        f"{app_url}/webhooks/stripe",
                        content=body,
                        headers={"Stripe-Signature": sign(body), "Content-Type": "application/json"},
                    )
                )
                if db.dialect == "postgresql":
                    assert await eventually(lambda: _waiting_on_a_lock(db), timeout=20)
                else:
                    await asyncio.sleep(1.5)  # the delivery waits for SQLite's write lock
                assert not delivery.done()
            answer = await delivery
    assert answer.json()["outcome"] == "refunded"
    assert await status_of(db, late.id) == "expired" and await status_of(db, taken_id) == "held"
    assert await count(db, SlotClaim, SlotClaim.booking_id == late.id) == 0
    assert len(await rows(db, BookingHistory, BookingHistory.booking_id == late.id)) == 2  # held, expired
    refund = await one(db, Payment, Payment.kind == "refund")
    assert (refund.state, refund.amount, refund.refund_of) == ("refunded", Decimal("300"), payment.id)
    assert [r["amount"] for r in await customer.refunds(intent)] == [30000]
    await render_pending(db.session)  # the sender writes the mail from the stored event
    mail = await one(db, OutboxMail, OutboxMail.dedupe_key == f"refunded-in-full-{payment.id}")
    assert "tatt av noen andre" in mail.body_text


# ---------------------------------------------------------------- cancellation and refunds


async def _paid_booking(db, settings, world, customer, stripe_api, *, days, hour=18):
    booking = await book(db, world, days=days, hour=hour)
    await pay_start(db, settings, booking)
    payment = await one(db, Payment, Payment.booking_id == booking.id, Payment.kind == "payment")
    intent = await customer.pay(payment.id, ore(payment.amount))
    stripe_api.complete(payment.provider_ref, intent)
    rules = await current_rules(db.session)
    assert (await refresh_payment(db.session, settings, booking.id, now=utcnow())).status == "confirmed"
    return booking, payment, intent, rules


async def test_cancelling_late_keeps_the_fee_and_refunds_the_rest_to_the_card(db, world, localstripe):
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        customer = Customer(localstripe.url)
        booking, payment, intent, rules = await _paid_booking(
            db, settings, world, customer, stripe_api, days=1, hour=20
        )
        async with db.sessions() as s:
            preview = await cancellation_terms(s, booking.id, rules=rules, now=utcnow())
        assert (preview.fee, preview.refund, preview.paid) == (Decimal("150"), Decimal("150"), Decimal("300"))
        assert "Avbestillingsgebyr 150" in preview.explanation_nb
        terms = await cancel_booking(
            db.session,
            settings,
            booking.id,
            actor_id=world.person_id,
            reason="Avlyst møte.",
            rules=rules,
            now=utcnow(),
        )
        assert terms == preview
        (refund,) = await customer.refunds(intent)
        assert refund["amount"] == 15000
        refund_row = await one(db, Payment, Payment.kind == "refund")
        assert (refund_row.state, refund_row.amount, refund_row.refund_of) == ("refunded", Decimal("150"), payment.id)
        assert (await one(db, Payment, Payment.kind == "payment")).state == "paid"  # partly refunded
        await render_pending(db.session)  # the sender writes the mail from the stored event
        mail = await one(db, OutboxMail, OutboxMail.dedupe_key.like(f"booking-{booking.id}-%-cancelled"))
        assert "Avbestillingsgebyr: 150\u00a0kr" in mail.body_text
        assert "Tilbakebetales til kortet ditt: 150\u00a0kr" in mail.body_text
        assert mail.attachments[0]["filename"].endswith(".ics") and "STATUS:CANCELLED" in mail.attachments[0]["content"]


async def test_cancelling_early_refunds_everything(db, world, localstripe):
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        customer = Customer(localstripe.url)
        booking, payment, intent, rules = await _paid_booking(db, settings, world, customer, stripe_api, days=10)
        terms = await cancel_booking(
            db.session, settings, booking.id, actor_id=world.person_id, reason="", rules=rules, now=utcnow()
        )
        assert (terms.fee, terms.refund) == (Decimal("0"), payment.amount)
        assert [r["amount"] for r in await customer.refunds(intent)] == [ore(payment.amount)]
        assert (await one(db, Payment, Payment.kind == "payment")).state == "refunded"


async def test_a_refund_that_fails_is_retried_once_and_shown_to_staff(db, world, localstripe):
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        customer = Customer(localstripe.url)
        booking, payment, intent, rules = await _paid_booking(db, settings, world, customer, stripe_api, days=10)
        down = stripe_settings(db.url, f"http://127.0.0.1:{free_port()}")
        await cancel_booking(
            db.session, down, booking.id, actor_id=world.person_id, reason="", rules=rules, now=utcnow()
        )
        assert await status_of(db, booking.id) == "cancelled"  # the cancellation stands
        refund = await one(db, Payment, Payment.kind == "refund")
        assert refund.state == "failed" and "ProviderUnavailable" in refund.last_error and refund.attempts == 1
        async with db.sessions() as s:
            assert [p.id for p in await payments_needing_attention(s, utcnow())] == [refund.id]
        assert await customer.refunds(intent) == []
        report = await process_refunds(db.session, settings, now=utcnow())
        assert report.refunded == [refund.id]
        assert (await process_refunds(db.session, settings, now=utcnow())).refunded == []  # nothing left to do
        assert [r["amount"] for r in await customer.refunds(intent)] == [ore(payment.amount)]
        async with db.sessions() as s:
            assert await payments_needing_attention(s, utcnow()) == []


async def test_a_retry_finds_a_refund_stripe_made_but_we_never_heard_of(db, world, localstripe):
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        customer = Customer(localstripe.url)
        booking, payment, intent, rules = await _paid_booking(db, settings, world, customer, stripe_api, days=10)
        down = stripe_settings(db.url, f"http://127.0.0.1:{free_port()}")
        await cancel_booking(
            db.session, down, booking.id, actor_id=world.person_id, reason="", rules=rules, now=utcnow()
        )
        refund = await one(db, Payment, Payment.kind == "refund")
        # Stripe made it (our answer was lost); more than 24 hours later the key is forgotten.
        await customer.client.v1.refunds.create_async(
            params={"payment_intent": intent, "amount": ore(refund.amount), "metadata": {"refund_id": str(refund.id)}}
        )
        assert (await process_refunds(db.session, settings, now=utcnow())).refunded == [refund.id]
        assert len(await customer.refunds(intent)) == 1


async def test_rejecting_a_paid_request_refunds_it_in_full(db, world, localstripe):
    async with db.sessions() as s, write_transaction(s):
        room = (await s.execute(select(Premises).where(Premises.slug == world.room))).scalar_one()
        room.requires_approval = True
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        customer = Customer(localstripe.url)
        booking = await book(db, world, days=10)
        await pay_start(db, settings, booking)
        payment = await one(db, Payment)
        intent = await customer.pay(payment.id, ore(payment.amount))
        stripe_api.complete(payment.provider_ref, intent)
        assert (
            await refresh_payment(db.session, settings, booking.id, now=utcnow())
        ).status == "requested"  # paid, and now awaiting approval
        admin = StaffScope(world.person_id, "Admin", is_admin=True, department_id=None)
        await decide(db.session, settings, admin, booking.id, approve=False, reason="Lokalet er stengt.", now=utcnow())
        assert [r["amount"] for r in await customer.refunds(intent)] == [ore(payment.amount)]
        await render_pending(db.session)  # the sender writes the mail from the stored event
        mail = await one(db, OutboxMail, OutboxMail.dedupe_key.like(f"booking-{booking.id}-%-rejected"))
        assert "Begrunnelse: Lokalet er stengt." in mail.body_text
        assert f"Du får tilbake {int(payment.amount)}\u00a0kr" in mail.body_text


# ---------------------------------------------------------------- invoice instead of card


async def test_an_organisation_may_switch_a_held_booking_to_invoice(db, world):
    with checkout_server() as checkout:
        settings = stripe_settings(db.url, checkout.url)
        booking = await book(db, world, organisation_id=world.organisation_id)
        assert (booking.status, booking.price_total) == ("held", Decimal("150"))  # frivillig: half price
        await pay_start(db, settings, booking)
        switched = await choose_invoice(db.session, settings, booking.id, person_id=world.person_id, now=utcnow())
        assert (switched.status, switched.payment_method) == ("confirmed", "invoice")
        assert (await one(db, Payment)).state == "cancelled"
        assert any(r.path.endswith("/expire") for r in checkout.requests)  # the open Checkout is closed
        private = await book(db, world, days=8)
        with pytest.raises(DomainError) as refused:
            await choose_invoice(db.session, settings, private.id, person_id=world.person_id, now=utcnow())
        assert refused.value.code == "invoice_needs_organisation"
