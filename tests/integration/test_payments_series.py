"""A priced weekly series paid by card in one Stripe Checkout: every date held while the
booker pays, all confirmed by one payment, a late payment taking back the dates still
free and refunding the part for a date taken, one date cancelled refunding that date.
Through the services, the webhook, the booking pages and the JSON API; Checkout on the
recording server, PaymentIntents and refunds on localstripe. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import icalendar
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, BookingSeries, OutboxMail, Payment, Person, SlotClaim
from booking.domain.errors import DomainError
from booking.domain.recurrence import WeeklyPattern
from booking.notify.sender import render_pending
from booking.services.accounts import issue_api_token
from booking.services.bookings import NewBooking, create_booking, release_expired_holds
from booking.services.cancellation import cancel_booking
from booking.services.payment_events import refresh_payment
from booking.services.payments import choose_invoice, start_payment
from booking.services.rulebook import current_rules
from booking.services.series import create_series, edit_series
from booking.web.app import create_app
from pricing import BookingDetails
from tests.integration.booking_web_support import app_for, csrf, log_in, weekday_ahead, world_with_passwords
from tests.integration.test_payments_stripe import count, one, post_event, rows, status_of, utcnow
from tests.integration.test_payments_support import (  # noqa: F401 - fixtures
    Customer,
    checkout_server,
    event_body,
    localstripe,
    stripe_settings,
)

PRICE = Decimal("300")  # Møtesalen 18–20 for a private person (the default rule set)
PAID = "http://127.0.0.1:8000/betaling/{id}/ferdig"


def tuesdays(weeks_ahead: int = 2, count_: int = 3) -> WeeklyPattern:
    first = weekday_ahead(1, weeks_ahead)
    return WeeklyPattern((1,), time(18), time(20), first, first + timedelta(weeks=count_ - 1))


async def private_series(db, world, *, now, method="card", pattern=None):
    rules = await current_rules(db.session)
    return await create_series(
        db.session,
        premises_slug=world.room,
        pattern=pattern or tuesdays(),
        person_id=world.person_id,
        organisation_id=None,
        details=BookingDetails("Korøvelse", 10, "adults"),
        rules=rules,
        now=now,
        payment_method=method,
    )


async def series_bookings(db, series_id) -> list[Booking]:
    return await rows(db, Booking, Booking.series_id == series_id)


async def pay(db, settings, booking, now=None) -> str:
    return await start_payment(
        db.session,
        settings,
        booking.id,
        person_id=booking.person_id,
        success_url=PAID.format(id=booking.id),
        cancel_url=PAID,
        now=now or utcnow(),
    )


@pytest.fixture
async def world(db):
    return await world_with_passwords(db)


async def test_a_private_series_is_held_and_paid_in_one_checkout_for_all_dates(db, world, localstripe):
    now = utcnow()
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        result = await private_series(db, world, now=now)
        bookings = await series_bookings(db, result.series_id)
        assert result.created == 3 and [b.status for b in bookings] == ["held"] * 3
        assert {(b.payment_method, b.hold_expires_at) for b in bookings} == {("card", now + timedelta(minutes=15))}
        quotes = [Decimal(b.price_snapshot["total"]) for b in bookings]
        assert quotes == [PRICE] * 3 and result.total == sum(quotes) == Decimal("900")

        url = await pay(db, settings, bookings[1])  # from any of its dates
        (sent,) = stripe_api.created()
        params = sent.params
        assert (params["line_items[0][quantity]"], params["line_items[0][price_data][unit_amount]"]) == ("3", "30000")
        assert "line_items[1][quantity]" not in params  # one price: one line with the count
        assert "3 ganger" in params["line_items[0][price_data][product_data][name]"]
        charged = Decimal(params["line_items[0][price_data][unit_amount]"]) * 3 / 100
        assert charged == sum(quotes)
        payments = await rows(db, Payment)
        lead = payments[0]
        assert [p.booking_id for p in payments] == [b.id for b in bookings]
        assert [p.part_of for p in payments] == [None, lead.id, lead.id]
        assert [p.amount for p in payments] == quotes
        assert {(p.state, p.provider_ref, p.checkout_url) for p in payments} == {("pending", "cs_test_0001", url)}
        assert params["metadata[payment_id]"] == str(lead.id)
        assert await pay(db, settings, bookings[2]) == url and len(stripe_api.created()) == 1  # the same checkout

        customer = Customer(localstripe.url)
        intent = await customer.pay(lead.id, 90000)
        stripe_api.complete("cs_test_0001", intent)
        assert (await refresh_payment(db.session, settings, bookings[2].id, now=utcnow())).status == "confirmed"
        assert [await status_of(db, b.id) for b in bookings] == ["confirmed"] * 3
        assert {(p.state, p.provider_ref) for p in await rows(db, Payment)} == {("paid", intent)}
        for booking in bookings:
            history = await rows(db, BookingHistory, BookingHistory.booking_id == booking.id)
            assert [(h.from_status, h.to_status) for h in history] == [(None, "held"), ("held", "confirmed")]
        await render_pending(db.session)  # a series' summary is written by the sender
        mails = await rows(db, OutboxMail)
        assert [m.dedupe_key for m in mails] == [
            f"series-{result.series_id}-created",
            f"series-{result.series_id}-paid-{lead.id}",
        ]
        made, paid = mails
        assert "venter på betaling" in made.body_text and "/betaling/" in made.body_text
        assert "Betalt: 900\u00a0kr" in paid.body_text and paid.body_text.count("bekreftet, 300\u00a0kr") == 3
        events = icalendar.Calendar.from_ical(paid.attachments[0]["content"]).walk("VEVENT")
        assert [(str(e["UID"]), str(e["STATUS"])) for e in events] == [
            (f"booking-{b.id}@lokaler", "CONFIRMED") for b in bookings
        ]

        # Cancelling one date (long before, so free) refunds that date's part only.
        rules = await current_rules(db.session)
        terms = await cancel_booking(
            db.session, settings, bookings[1].id, actor_id=world.person_id, reason="", rules=rules, now=utcnow()
        )
        assert (terms.fee, terms.refund) == (Decimal("0"), PRICE)
        assert [r["amount"] for r in await customer.refunds(intent)] == [30000]
        refund = await one(db, Payment, Payment.kind == "refund")
        assert (refund.refund_of, refund.amount, refund.state) == (payments[1].id, PRICE, "refunded")
        assert [p.state for p in await rows(db, Payment, Payment.kind == "payment")] == ["paid", "refunded", "paid"]


async def test_a_series_paid_after_its_holds_expired_keeps_the_free_dates_and_refunds_the_taken_one(
    db, world, localstripe
):
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        result = await private_series(db, world, now=utcnow())
        bookings = await series_bookings(db, result.series_id)
        await pay(db, settings, bookings[0])
        payments = await rows(db, Payment)
        async with write_transaction(db.session) as s:
            assert len(await release_expired_holds(s, utcnow() + timedelta(hours=1))) == 3
            s.add(Person(name="Per Annen", email="per@example.no", roles=["person"], birth_date=date(1970, 1, 1)))
        async with db.sessions() as s:
            other = await s.scalar(select(Person.id).where(Person.email == "per@example.no"))
        rules = await current_rules(db.session)
        taken = await create_booking(
            db.session,
            NewBooking(
                world.room,
                bookings[1].start_at,
                bookings[1].end_at,
                other,
                details=BookingDetails("Møte", 4, "adults"),
                payment_method="card",
            ),
            rules=rules,
            now=utcnow(),
        )
        customer = Customer(localstripe.url)
        intent = await customer.pay(payments[0].id, 90000)
        async with AsyncTestClient(app=create_app(settings)) as client:
            answer = await post_event(client, event_body("evt_series_late", "payment_intent.succeeded", intent))
        assert answer.json()["outcome"] == "partly_refunded"

        assert [await status_of(db, b.id) for b in bookings] == ["confirmed", "expired", "confirmed"]
        assert await status_of(db, taken.id) == "held" and await count(db, Booking) == 4  # no booking made anew
        for booking, claimed in zip(bookings, (1, 0, 1)):
            assert await count(db, SlotClaim, SlotClaim.booking_id == booking.id) == claimed
        refund = await one(db, Payment, Payment.kind == "refund")
        assert (refund.refund_of, refund.amount, refund.state) == (payments[1].id, PRICE, "refunded")
        assert [r["amount"] for r in await customer.refunds(intent)] == [30000]
        assert [p.state for p in await rows(db, Payment, Payment.kind == "payment")] == ["paid", "refunded", "paid"]
        await render_pending(db.session)  # the sender writes the summary from the stored event
        mail = await one(db, OutboxMail, OutboxMail.dedupe_key == f"series-{result.series_id}-paid-{payments[0].id}")
        text = mail.body_text
        assert "Betalt: 900\u00a0kr" in text and "til sammen 300\u00a0kr" in text and "tatt av noen andre" in text
        assert text.count("bekreftet, 300\u00a0kr") == 2
        assert await count(db, OutboxMail, OutboxMail.dedupe_key.like("refunded-in-full-%")) == 0


async def test_cancelling_a_held_date_closes_the_checkout_and_the_rest_are_paid_in_a_new_one(db, world):
    with checkout_server() as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        result = await private_series(db, world, now=utcnow())
        bookings = await series_bookings(db, result.series_id)
        await pay(db, settings, bookings[0])
        rules = await current_rules(db.session)
        await cancel_booking(
            db.session, settings, bookings[0].id, actor_id=world.person_id, reason="", rules=rules, now=utcnow()
        )
        assert [p.state for p in await rows(db, Payment)] == ["cancelled"] * 3  # a closed checkout pays for none
        assert stripe_api.sessions["cs_test_0001"]["status"] == "expired"
        url = await pay(db, settings, bookings[1])
        assert url.endswith("/pay/cs_test_0002")
        assert stripe_api.created()[-1].params["line_items[0][quantity]"] == "2"
        fresh = await rows(db, Payment, Payment.state == "pending")
        assert [p.booking_id for p in fresh] == [bookings[1].id, bookings[2].id]
        assert fresh[1].part_of == fresh[0].id


async def test_dates_paid_by_card_are_not_moved_by_a_series_edit(db, world):
    result = await private_series(db, world, now=utcnow())
    before = [(b.id, b.status, b.start_at) for b in await series_bookings(db, result.series_id)]
    rules = await current_rules(db.session)
    with pytest.raises(DomainError) as refused:
        await edit_series(
            db.session,
            result.series_id,
            day=tuesdays().first_date,
            scope="all",
            start_time=time(19),
            end_time=time(21),
            actor_id=world.person_id,
            rules=rules,
            now=utcnow(),
        )
    assert refused.value.code == "card_series_cannot_move"
    assert [(b.id, b.status, b.start_at) for b in await series_bookings(db, result.series_id)] == before
    assert await count(db, OutboxMail) == 1  # the summary of the series as made, nothing since


async def test_an_organisation_may_switch_a_held_series_to_invoice(db, world):
    with checkout_server() as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        rules = await current_rules(db.session)
        result = await create_series(
            db.session,
            premises_slug=world.room,
            pattern=tuesdays(),
            rules=rules,
            person_id=world.person_id,
            organisation_id=world.organisation_id,
            details=BookingDetails("Styremøte", 10, "adults"),
            now=utcnow(),
            payment_method="card",
        )
        bookings = await series_bookings(db, result.series_id)
        await pay(db, settings, bookings[0])
        await choose_invoice(db.session, settings, bookings[2].id, person_id=world.person_id, now=utcnow())
        assert [(b.status, b.payment_method) for b in await series_bookings(db, result.series_id)] == [
            ("confirmed", "invoice")
        ] * 3
        assert [p.state for p in await rows(db, Payment)] == ["cancelled"] * 3
        assert stripe_api.sessions["cs_test_0001"]["status"] == "expired"
    await render_pending(db.session)  # the sender writes the summary from the stored event
    mail = await one(db, OutboxMail, OutboxMail.dedupe_key == f"series-{result.series_id}-invoice-{bookings[2].id}")
    assert mail.subject.startswith("Fast ukentlig tid endret") and mail.body_text.count(": bekreftet, 150") == 3
    assert "faktureres Bragernes IL" in mail.body_text


async def test_an_organisation_may_pay_a_series_by_card_or_invoice_and_a_free_one_is_not_paid(db, world):
    rules = await current_rules(db.session)
    made = {}
    for method, weeks, group in (("card", 2, "adults"), ("invoice", 6, "adults"), ("card", 10, "children_youth")):
        made[(method, group)] = await create_series(
            db.session,
            premises_slug=world.room,
            pattern=tuesdays(weeks),
            person_id=world.person_id,
            organisation_id=world.organisation_id,
            details=BookingDetails("Styremøte", 10, group),
            rules=rules,
            now=utcnow(),
            payment_method=method,
        )
    assert {o.status for o in made[("card", "adults")].occurrences} == {"held"}
    assert made[("card", "adults")].total == Decimal("450")  # frivillig: half price, 150 a date
    assert {o.status for o in made[("invoice", "adults")].occurrences} == {"confirmed"}
    free = made[("card", "children_youth")]
    assert {o.status for o in free.occurrences} == {"confirmed"} and free.total == 0
    assert {b.payment_method for b in await series_bookings(db, free.series_id)} == {None}


# ---------------------------------------------------------------- the booking pages


def series_form(client, *, who: str, weeks: int = 2, **changes) -> dict:
    first = weekday_ahead(1, weeks)
    form = {
        "_csrf_token": csrf(client),
        "for": who,
        "ukedag": "tue",
        "fra": "18:00",
        "til": "20:00",
        "forste": first.isoformat(),
        "siste": (first + timedelta(weeks=2)).isoformat(),
        "deltakere": "10",
        "malgruppe": "adults",
        "alkohol": "nei",
        "formal": "Korøvelse",
        "ansvarlig_navn": "Kari Nordmann",
        "ansvarlig_voksen": "ja",
        "vilkar": "ja",
        "branninstruks": "ja",
        **changes,
    }
    return {k: v for k, v in form.items() if v is not None}


async def test_the_series_page_previews_prices_then_sends_a_private_person_to_one_checkout(db, world):
    with checkout_server() as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        async with AsyncTestClient(app=create_app(settings)) as client:
            await log_in(client, "kari@example.no")
            preview = await client.post("/bestill/motesalen/serie", data=series_form(client, who="selv"))
            assert preview.status_code == 200
            assert preview.text.count("300\u00a0kr") == 3 and "900\u00a0kr" in preview.text
            assert "blir bekreftet" not in preview.text  # a priced date is confirmed once paid, not before
            assert 'name="betaling" value="card"' in preview.text and 'value="invoice"' in preview.text
            unpaid = await client.post(
                "/bestill/motesalen/serie",  # two ways to pay: the booker chooses
                data=series_form(client, who="selv", handling="bekreft"),
            )
            assert unpaid.status_code == 422 and 'id="betaling-feil"' in unpaid.text
            assert await count(db, Booking) == 0 and await count(db, BookingSeries) == 0
            done = await client.post(
                "/bestill/motesalen/serie",
                follow_redirects=False,
                data=series_form(client, who="selv", handling="bekreft", betaling="card"),
            )
            bookings = await rows(db, Booking)
            assert done.status_code == 303 and done.headers["location"] == f"/betaling/{bookings[0].id}"
            assert [(b.status, b.payment_method, b.organisation_id) for b in bookings] == [("held", "card", None)] * 3
            checkout = await client.get(done.headers["location"], follow_redirects=False)
            assert checkout.headers["location"] == f"{stripe_api.url}/pay/cs_test_0001"
            (sent,) = stripe_api.created()
            assert sent.params["line_items[0][quantity]"] == "3"


async def test_the_series_page_lets_an_organisation_choose_invoice(db, world):
    with checkout_server() as stripe_api:
        async with AsyncTestClient(app=create_app(stripe_settings(db.url, stripe_api.url))) as client:
            await log_in(client, "kari@example.no")
            club = str(world.organisation_id)
            preview = await client.post("/bestill/motesalen/serie", data=series_form(client, who=club))
            assert 'value="card"' in preview.text and 'value="invoice"' in preview.text
            assert "450\u00a0kr" in preview.text
            done = await client.post(
                "/bestill/motesalen/serie", data=series_form(client, who=club, handling="bekreft", betaling="invoice")
            )
            assert done.status_code == 201 and "3 av 3 datoer er bestilt." in done.text
    assert {(b.status, b.payment_method) for b in await rows(db, Booking)} == {("confirmed", "invoice")}
    assert stripe_api.created() == []


# ---------------------------------------------------------------- the JSON API


async def test_the_api_charges_a_private_series_like_one_booking(db, world):
    token = await issue_api_token(db.session, world.person_id, label="test", now=utcnow())
    first = weekday_ahead(1, 2)
    series = {
        "premises": "motesalen",
        "weekdays": ["tue"],
        "start_time": "18:00",
        "end_time": "20:00",
        "first_date": first.isoformat(),
        "last_date": (first + timedelta(weeks=2)).isoformat(),
        "purpose": "Korøvelse",
        "attendees": 10,
        "target_group": "adults",
        "accept_terms": True,
        "accept_fire_instructions": True,
    }
    headers = {"Authorization": f"Bearer {token}"}
    async with AsyncTestClient(app=app_for(db)) as client:  # no card provider configured
        refused = await client.post("/api/v1/series", json={**series, "payment_method": "card"}, headers=headers)
        assert refused.status_code == 422 and refused.json()["code"] == "payment_method_not_allowed"
        assert refused.json()["allowed"] == ["invoice"]  # the sample rules let private persons be invoiced
    with checkout_server() as stripe_api:
        async with AsyncTestClient(app=create_app(stripe_settings(db.url, stripe_api.url))) as client:
            preview = await client.post("/api/v1/series", json={**series, "preview": True}, headers=headers)
            shown = preview.json()
            assert (shown["total"], shown["payment_methods"]) == ("900", ["card", "invoice"])
            assert [o["price"] for o in shown["occurrences"]] == ["300"] * 3
            missing = await client.post("/api/v1/series", json=series, headers=headers)
            (problem,) = missing.json()["errors"]
            assert missing.status_code == 422
            assert (problem["field"], problem["code"]) == ("payment_method", "payment_method_required")
            assert await count(db, Booking) == 0
            made = await client.post("/api/v1/series", json={**series, "payment_method": "card"}, headers=headers)
            assert made.status_code == 201, made.text
            body = made.json()
    ids = [o["booking_id"] for o in body["occurrences"]]
    assert [o["status"] for o in body["occurrences"]] == ["held"] * 3 and body["total"] == "900"
    assert body["links"]["payment"] == f"/betaling/{ids[0]}"
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Booking).where(Booking.payment_method == "card")) == 3
