"""The offline test-mode card provider (booking/payments/testmode_provider.py) through real
HTTP on SQLite and PostgreSQL: a private person books, goes to the app's own checkout page
and pays, cancels or walks away; a late payment; a refund; its signed webhooks; and that it
is never on in production or beside Stripe, and always says that no money is taken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from freezegun import freeze_time
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from booking.db.engine import write_transaction
from booking.db.models import Booking, OutboxMail, Payment, Person, WebhookEvent
from booking.notify.sender import render_pending
from booking.payments import ProviderRefused, card_available, providers
from booking.payments import testmode_provider as testmode
from booking.services.bookings import release_expired_holds
from booking.services.payment_events import reconcile_payments
from booking.settings import from_environment
from booking.web.app import create_app
from tests.integration.booking_web_support import csrf, log_in, weekday_ahead, world_with_passwords
from tests.integration.conftest import REAL_CLOCK_MODULES
from tests.integration.test_booking_pages import details
from tests.integration.test_payments_series import private_series
from tests.integration.test_payments_stripe import count, one, rows, status_of
from tests.integration.test_payments_support import stripe_settings

LABEL = "Testbetaling – ingen penger trekkes"
BASE = "http://testserver.local"  # the test client's own address, so the checkout's links come back to the app


def settings_for(db, folder, **extra):
    return from_environment(
        {"BOOKING_DATABASE_URL": db.url, "BOOKING_BASE_URL": BASE, "BOOKING_TESTPAY_DIR": str(folder), **extra}
    )


@pytest.fixture
async def shop(db, tmp_path):
    """An app in development without Stripe keys (so in test mode), logged in as Kari."""
    world = await world_with_passwords(db)
    settings = settings_for(db, tmp_path / "testpay")
    async with AsyncTestClient(app=create_app(settings), base_url=BASE) as client:
        client.world, client.db, client.settings = world, db, settings
        await log_in(client, "kari@example.no")
        yield client


def later(minutes: int):
    """The clock `minutes` ahead (the app, the provider and the services all read it)."""
    return freeze_time(
        datetime.now(timezone.utc) + timedelta(minutes=minutes), tick=True, real_asyncio=True, ignore=REAL_CLOCK_MODULES
    )


async def book_by_card(client, day=None, hour="18:00") -> tuple[Booking, str]:
    """Kari books Møtesalen (300 kr) for herself, by card, and is sent on to the checkout page."""
    day = day or weekday_ahead()
    made = await client.post(
        "/bestill/motesalen",
        data=details(client, day, fra=hour, **{"for": "selv", "betaling": "card"}),
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    booking = (await rows(client.db, Booking))[-1]
    assert (booking.status, booking.payment_method, booking.price_total) == ("held", "card", Decimal("300"))
    to_checkout = await client.get(made.headers["location"], follow_redirects=False)
    assert to_checkout.status_code == 303, to_checkout.text
    return booking, to_checkout.headers["location"]


async def press_pay(client, checkout_url: str):
    return await client.post(checkout_url, data={"_csrf_token": csrf(client)}, follow_redirects=False)


def provider_of(client) -> testmode.TestModeProvider:
    return providers(client.settings)["testpay"]


async def test_paying_on_the_test_checkout_confirms_the_booking(shop):
    booking, checkout_url = await book_by_card(shop)
    payment = await one(shop.db, Payment)
    assert checkout_url == f"{BASE}/testbetaling/{payment.provider_ref}" == payment.checkout_url
    assert (payment.provider, payment.state, payment.amount) == ("testpay", "pending", Decimal("300"))

    page = await shop.get(checkout_url)
    assert page.status_code == 200 and LABEL in page.text
    assert "Møtesalen" in page.text and "300\u00a0kr" in page.text
    assert f'href="{BASE}/betaling/{booking.id}/avbrutt"' in page.text  # the way back, as on Stripe's page

    paid = await press_pay(shop, checkout_url)
    assert paid.status_code == 303 and paid.headers["location"] == f"{BASE}/betaling/{booking.id}/ferdig"
    # Recorded through the webhook handling, before the booker is even back.
    assert await status_of(shop.db, booking.id) == "confirmed"
    payment = await one(shop.db, Payment)
    assert payment.state == "paid"
    event = await one(shop.db, WebhookEvent)
    assert (event.provider, event.type) == ("testpay", "payment.paid")
    await render_pending(shop.db.session)  # the sender writes the receipt from the stored event
    receipt = await one(shop.db, OutboxMail, OutboxMail.dedupe_key == f"receipt-{payment.id}")
    assert f"Betalingsmåte: kort ({LABEL})\nBetalingsnummer:" in receipt.body_text

    result = await shop.get(paid.headers["location"])  # back from checkout: the receipt page
    assert str(result.url).endswith(f"/mine-bestillinger/{booking.id}?ny=1")
    assert "Bestillingen er bekreftet" in result.text and LABEL in result.text

    again = await press_pay(shop, checkout_url)  # a second press pays nothing twice
    assert again.status_code == 303
    assert await count(shop.db, WebhookEvent) == 1 and (await one(shop.db, Payment)).state == "paid"
    done = await shop.get(checkout_url)
    assert "Betalingen er registrert." in done.text and 'type="submit" class="primary ds-button"' not in done.text


async def test_the_label_is_on_the_booking_page_and_in_english(shop):
    day = weekday_ahead()
    page = await shop.get(f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00&for=selv")
    card = page.text.split('value="card"', 1)[1].split("</label>", 1)[0]
    assert LABEL in card  # on the card choice itself, read out with it
    assert "ikke tilgjengelig" not in page.text
    await shop.post("/sprak", data={"sprak": "en", "neste": "/", "_csrf_token": csrf(shop)})
    _, checkout_url = await book_by_card(shop, day)
    english = await shop.get(checkout_url)
    assert "Test payment – no money is taken" in english.text and LABEL not in english.text
    assert "Pay NOK\u00a0300 (test)" in english.text


async def test_cancelling_on_the_checkout_goes_back_with_the_hold_kept(shop):
    booking, checkout_url = await book_by_card(shop)
    back = f"{BASE}/betaling/{booking.id}/avbrutt"
    assert f'href="{back}"' in (await shop.get(checkout_url)).text  # "Avbryt og gå tilbake"
    cancelled = await shop.get(back)
    assert cancelled.status_code == 200
    assert "Betalingen ble avbrutt" in cancelled.text and LABEL in cancelled.text
    assert "Tiden er fortsatt reservert for deg" in cancelled.text
    assert await status_of(shop.db, booking.id) == "held"
    assert (await one(shop.db, Payment)).state == "pending" and await count(shop.db, WebhookEvent) == 0
    retry = await shop.get(f"/betaling/{booking.id}", follow_redirects=False)  # "try again": the same checkout
    assert retry.headers["location"] == checkout_url
    assert (await press_pay(shop, checkout_url)).status_code == 303
    assert await status_of(shop.db, booking.id) == "confirmed"


async def test_an_abandoned_checkout_lets_the_hold_expire_and_then_expires_itself(shop):
    booking, checkout_url = await book_by_card(shop)
    with later(20):  # past the 15-minute hold: `booking expire-holds` releases it
        async with write_transaction(shop.db.session) as s:
            assert await release_expired_holds(s, datetime.now(timezone.utc)) == [booking.id]
    assert await status_of(shop.db, booking.id) == "expired"
    with later(45):  # past the checkout's own life (at least 31 minutes, as at Stripe)
        page = await shop.get(checkout_url)
        assert "Betalingen er utløpt" in page.text and LABEL in page.text
        refused = await press_pay(shop, checkout_url)
        assert refused.status_code == 409 and "Betalingen er utløpt" in refused.text
        assert await count(shop.db, WebhookEvent) == 0
        outcomes = await reconcile_payments(
            shop.db.session, shop.settings, now=datetime.now(timezone.utc), older_than=timedelta(minutes=5)
        )
    assert outcomes == {"cancelled": 1}
    assert (await one(shop.db, Payment)).state == "cancelled" and await status_of(shop.db, booking.id) == "expired"


async def test_a_late_payment_with_the_slot_still_free_confirms_the_same_booking(shop):
    booking, checkout_url = await book_by_card(shop)
    with later(20):
        async with write_transaction(shop.db.session) as s:
            await release_expired_holds(s, datetime.now(timezone.utc))
        assert await status_of(shop.db, booking.id) == "expired"
        assert (await press_pay(shop, checkout_url)).status_code == 303  # the checkout is still open
    (again,) = await rows(shop.db, Booking)
    assert (again.id, again.status) == (booking.id, "confirmed")
    assert (await one(shop.db, Payment)).state == "paid" and await count(shop.db, Payment) == 1


async def test_a_late_payment_with_the_slot_taken_is_refunded(shop):
    booking, checkout_url = await book_by_card(shop)
    async with shop.db.sessions() as s, write_transaction(s):
        s.add(
            Person(
                name="Per Annen",
                email="per@example.no",
                roles=["person"],
                birth_date=datetime(1970, 1, 1).date(),
                password_hash=(await s.scalar(select(Person.password_hash).where(Person.email == "kari@example.no"))),
            )
        )
    with later(20):
        async with AsyncTestClient(app=create_app(shop.settings), base_url=BASE) as other:
            other.world, other.db = shop.world, shop.db
            await log_in(other, "per@example.no")
            taken, _ = await book_by_card(other)  # the expired hold gives way
            assert await status_of(shop.db, booking.id) == "expired"
        assert (await press_pay(shop, checkout_url)).status_code == 303
    assert await status_of(shop.db, booking.id) == "expired" and await status_of(shop.db, taken.id) == "held"
    payment = await one(shop.db, Payment, Payment.booking_id == booking.id, Payment.kind == "payment")
    refund = await one(shop.db, Payment, Payment.kind == "refund")
    assert (payment.state, refund.state, refund.amount, refund.refund_of) == (
        "refunded",
        "refunded",
        Decimal("300"),
        payment.id,
    )
    remote = await provider_of(shop).fetch_refund(refund.provider_ref)
    assert (remote.refund_id, remote.state) == (refund.id, "refunded")
    await render_pending(shop.db.session)  # the sender writes the mail from the stored event
    mail = await one(shop.db, OutboxMail, OutboxMail.dedupe_key == f"refunded-in-full-{payment.id}")
    assert "tatt av noen andre" in mail.body_text


async def test_cancelling_a_paid_booking_refunds_it_through_the_provider(shop):
    booking, checkout_url = await book_by_card(shop)  # two weeks ahead: cancelled free of charge
    await press_pay(shop, checkout_url)
    cancelled = await shop.post(
        f"/mine-bestillinger/{booking.id}/avbestill",
        data={"begrunnelse": "", "_csrf_token": csrf(shop)},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303, cancelled.text
    assert await status_of(shop.db, booking.id) == "cancelled"
    refund = await one(shop.db, Payment, Payment.kind == "refund")
    assert (refund.state, refund.amount, refund.provider) == ("refunded", Decimal("300"), "testpay")
    assert (await one(shop.db, Payment, Payment.kind == "payment")).state == "refunded"
    provider = provider_of(shop)
    assert (await provider.fetch_refund(refund.provider_ref)).state == "refunded"
    # A retry with the same refund id finds the refund made; no second one.
    payment_ref = (await one(shop.db, Payment, Payment.kind == "payment")).provider_ref
    again = await provider.refund(payment_ref, Decimal("300"), refund_id=refund.id, idempotency_key="again")
    assert again.reference == refund.provider_ref
    store = json.loads((shop.settings.testpay_dir / f"{payment_ref}.json").read_text())
    assert {k: Decimal(v) for k, v in store["refunds"].items()} == {str(refund.id): Decimal("300")}


async def test_a_weekly_series_is_paid_in_one_test_checkout_and_one_date_refunded(shop):
    result = await private_series(shop.db, shop.world, now=datetime.now(timezone.utc))  # three Tuesdays, 300 kr each
    bookings = await rows(shop.db, Booking)
    to_checkout = await shop.get(f"/betaling/{bookings[1].id}", follow_redirects=False)  # from any of its dates
    page = await shop.get(to_checkout.headers["location"])
    assert "3 ganger" in page.text and "900\u00a0kr" in page.text and LABEL in page.text
    assert (await press_pay(shop, to_checkout.headers["location"])).status_code == 303
    assert [await status_of(shop.db, b.id) for b in bookings] == ["confirmed"] * 3
    lead = (await rows(shop.db, Payment))[0]
    await render_pending(shop.db.session)  # the sender writes the summary from the stored event
    summary = await one(shop.db, OutboxMail, OutboxMail.dedupe_key == f"series-{result.series_id}-paid-{lead.id}")
    assert "Betalt: 900\u00a0kr" in summary.body_text and f"Betalingsmåte: kort ({LABEL})" in summary.body_text

    await shop.post(f"/mine-bestillinger/{bookings[1].id}/avbestill", data={"_csrf_token": csrf(shop)})
    refund = await one(shop.db, Payment, Payment.kind == "refund")
    assert (refund.amount, refund.state) == (Decimal("300"), "refunded")
    assert [p.state for p in await rows(shop.db, Payment, Payment.kind == "payment")] == ["paid", "refunded", "paid"]
    store = json.loads((shop.settings.testpay_dir / f"{lead.provider_ref}.json").read_text())
    assert [Decimal(amount) for amount in store["refunds"].values()] == [Decimal("300")]  # a part of the 900
    with pytest.raises(ProviderRefused):  # never more back than was paid
        await provider_of(shop).refund(lead.provider_ref, Decimal("601"), refund_id=999, idempotency_key="too-much")


async def test_a_bad_signature_is_refused_and_changes_nothing(shop):
    booking, checkout_url = await book_by_card(shop)
    reference = checkout_url.rsplit("/", 1)[1]
    provider = provider_of(shop)
    provider.pay(reference, datetime.now(timezone.utc))  # paid at the provider; its event is what we forge
    body, headers = provider.signed_event("evt_forged", "payment.paid", reference)
    someone_else = testmode.TestModeProvider(shop.settings.testpay_dir, "another-secret-key", BASE)
    _, forged = someone_else.signed_event("evt_forged", "payment.paid", reference)
    tampered = body.replace(b"evt_forged", b"evt_altered")
    for content, sent in ((body, forged), (body, {}), (tampered, headers), (body, {"testpay-signature": "00"})):
        answer = await shop.post("/webhooks/testpay", content=content, headers=sent)
        assert (answer.status_code, answer.json()) == (400, {"outcome": "bad_signature"})
    assert await count(shop.db, WebhookEvent) == 0
    assert (await one(shop.db, Payment)).state == "pending" and await status_of(shop.db, booking.id) == "held"
    # The genuine event, delivered by hand as a provider would, is taken once.
    answers = [await shop.post("/webhooks/testpay", content=body, headers=headers) for _ in range(2)]
    assert [a.json()["outcome"] for a in answers] == ["confirmed", "duplicate"]
    assert await status_of(shop.db, booking.id) == "confirmed"


async def test_the_store_is_shared_by_processes_not_kept_in_one(shop):
    _, checkout_url = await book_by_card(shop)
    reference = checkout_url.rsplit("/", 1)[1]
    # Another worker process builds its own provider from the same settings.
    elsewhere = testmode.TestModeProvider(shop.settings.testpay_dir, shop.settings.secret_key, BASE)
    assert (await elsewhere.fetch_payment(reference)).state == "pending"
    elsewhere.pay(reference, datetime.now(timezone.utc))
    fetched = await provider_of(shop).fetch_payment(reference)
    assert (fetched.state, fetched.amount, fetched.currency) == ("paid", Decimal("300"), "NOK")


@asynccontextmanager
async def app_client(settings):
    async with AsyncTestClient(app=create_app(settings), base_url=BASE) as client:
        yield client


async def test_never_in_production_and_never_beside_stripe(db, tmp_path):
    await world_with_passwords(db)
    production = settings_for(db, tmp_path, BOOKING_ENV="production")
    assert providers(production) == {} and not card_available(production)
    assert list(providers(stripe_settings(db.url, None, BOOKING_TESTPAY_DIR=str(tmp_path)))) == ["stripe"]
    assert list(providers(settings_for(db, tmp_path))) == ["testpay"]
    with pytest.raises(ValueError, match="BOOKING_ENV"):
        settings_for(db, tmp_path, BOOKING_ENV="prod")  # a misspelt production is not development
    async with app_client(production) as client:
        await log_in(client, "kari@example.no")
        page = await client.get(f"/bestill/motesalen?dato={weekday_ahead()}&fra=18:00&til=20:00&for=selv")
        assert "Kortbetaling er ikke tilgjengelig akkurat nå." in page.text and LABEL not in page.text
        assert (await client.get("/testbetaling/tp_0123456789abcdef")).status_code == 404
        answer = await client.post("/webhooks/testpay", content=b"{}", headers={"testpay-signature": "00"})
        assert answer.status_code == 404
    assert await count(db, Payment) == 0 and await count(db, WebhookEvent) == 0


def test_a_misspelt_booking_env_stops_the_command_with_a_clear_error():
    env = {**os.environ, "BOOKING_ENV": "prod", "BOOKING_DATABASE_URL": "sqlite+aiosqlite:///:memory:"}
    refused = subprocess.run(
        [sys.executable, "-m", "booking.cli", "expire-holds"], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("error [invalid_setting] BOOKING_ENV must be one of development, production")
    assert "Traceback" not in refused.stderr
