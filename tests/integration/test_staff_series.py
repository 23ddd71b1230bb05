"""A weekly series in the approval queue, through the app on SQLite and PostgreSQL: its
waiting dates are one entry, decided at once ("Godkjenn alle" / "Avvis alle") in one
transaction through `change_status` per date, with one mail to the booker; a single date
can still be decided on its own; refusals change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from booking.db.engine import write_transaction
from booking.db.models import Booking, BookingHistory, OutboxMail, Payment, Person, Premises
from booking.domain.recurrence import WeeklyPattern
from booking.notify.sender import render_pending
from booking.services.approvals import decide_series
from booking.services.payment_events import refresh_payment
from booking.services.premises_admin import StaffScope
from booking.services.rulebook import current_rules
from booking.services.series import create_series
from common.localtime import to_local
from pricing import BookingDetails
from tests.integration.booking_web_support import world_with_passwords
from tests.integration.test_payments_series import pay, private_series, series_bookings
from tests.integration.test_payments_stripe import one, rows, status_of, utcnow
from tests.integration.test_payments_support import (  # noqa: F401 - fixture
    Customer,
    checkout_server,
    localstripe,
    stripe_settings,
)
from tests.integration.test_staff import EMAILS, login_as, next_weekday, post_form, staff  # noqa: F401 (fixture)

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
WEEKS = 6


@pytest.fixture
async def series(staff):
    """Six Thursdays in the hall for 150 people (over 100: approval), from the week after next."""
    world = staff.staff.world
    first = to_local(next_weekday(3, 18, weeks=2))
    pattern = WeeklyPattern(
        (3,), first.time(), (first + timedelta(hours=2)).time(), first.date(), first.date() + timedelta(weeks=WEEKS - 1)
    )
    result = await create_series(
        staff.db.session,
        premises_slug=world.hall,
        pattern=pattern,
        person_id=world.person_id,
        organisation_id=world.organisation_id,
        details=BookingDetails("Korpsøving", 150, "children_youth"),
        rules=await current_rules(staff.db.session),
        now=datetime.now(timezone.utc),
        payment_method="invoice",
    )
    ids = [o.booking_id for o in result.occurrences]
    assert len(ids) == WEEKS and {o.status for o in result.occurrences} == {"requested"}
    staff.series_id, staff.dates = result.series_id, ids
    return staff


async def statuses(client) -> list[str]:
    async with client.db.sessions() as s:
        return [(await s.get(Booking, b)).status for b in client.dates]


async def history_count(client) -> int:
    async with client.db.sessions() as s:
        return await s.scalar(
            select(func.count()).select_from(BookingHistory).where(BookingHistory.booking_id.in_(client.dates))
        )


async def outbox_keys(client) -> list[str]:
    async with client.db.sessions() as s:
        return list((await s.execute(select(OutboxMail.dedupe_key).order_by(OutboxMail.id))).scalars())


async def mail(client, key: str) -> OutboxMail:
    await render_pending(client.db.session)  # a series' summary is written by the sender
    async with client.db.sessions() as s:
        return (await s.execute(select(OutboxMail).where(OutboxMail.dedupe_key == key))).scalar_one()


async def test_a_series_is_one_entry_with_its_waiting_dates(series):
    await login_as(series, "department_staff")
    page = (await series.get("/saksbehandling")).text
    assert "2 forespørsler." in page  # the single request, and the series as one
    assert "Hallen: fast ukentlig tid, hver torsdag kl. 18:00–20:00" in page
    assert "6 datoer venter på godkjenning." in page and "<dt>Datoer som venter</dt><dd>6</dd>" in page
    async with series.db.sessions() as s:
        bookings = [await s.get(Booking, b) for b in series.dates]
    first, last = to_local(bookings[0].start_at), to_local(bookings[-1].start_at)
    assert f"<dt>Første dato</dt><dd>torsdag {first.day}." in page
    assert f"<dt>Siste dato</dt><dd>torsdag {last.day}." in page
    total = sum(b.price_total for b in bookings)
    assert page.count("Korpsøving") == 1 and "Kari Nordmann" in page and "Bragernes IL" in page
    assert "Mer enn 100 deltakere krever godkjenning." in page
    assert f'action="/saksbehandling/serier/{series.series_id}/godkjenn"' in page
    assert "Godkjenn alle" in page and "Avvis alle" in page
    for booking_id in series.dates:  # each date can still be decided on its own, in the folded list
        assert f'action="/saksbehandling/bestillinger/{booking_id}/godkjenn"' in page
    assert "<details>" in page and "Datoene som venter, hver for seg (6)" in page
    assert f"<dt>Pris i alt</dt><dd>{int(total)}" in page.replace("\u00a0", "")
    english = (await series.get("/saksbehandling", headers=ENGLISH)).text
    assert "Hallen: weekly booking, every Thursday, 18:00–20:00" in english
    assert "6 dates are awaiting approval." in english and "Approve all" in english and "Reject all" in english
    assert "More than 100 attendees need approval." in english


async def test_approve_all_confirms_each_waiting_date_with_one_history_row_and_sends_one_mail(series):
    await login_as(series, "department_staff")
    before = await outbox_keys(series)
    answer = await post_form(
        series,
        f"/saksbehandling/serier/{series.series_id}/godkjenn",
        {"begrunnelse": "Velkommen! Nøkkel hos vaktmester."},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/saksbehandling?utfort=serie-godkjent"
    assert await statuses(series) == ["confirmed"] * WEEKS
    async with series.db.sessions() as s:
        staff_id = await s.scalar(select(Person.id).where(Person.email == EMAILS["department_staff"]))
        rows = (
            (
                await s.execute(
                    select(BookingHistory).where(
                        BookingHistory.booking_id.in_(series.dates), BookingHistory.to_status == "confirmed"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert sorted(r.booking_id for r in rows) == sorted(series.dates)
    assert {(r.from_status, r.actor_id, r.reason) for r in rows} == {
        ("requested", staff_id, "Velkommen! Nøkkel hos vaktmester.")
    }
    added = [k for k in await outbox_keys(series) if k not in before]
    assert added == [f"series-{series.series_id}-approved-{series.dates[0]}"]
    text = (await mail(series, added[0])).body_text
    assert "Idrett har godkjent forespørselen din for 6 datoer" in text and text.count(": bekreftet") == WEEKS
    assert "Kommentar: Velkommen! Nøkkel hos vaktmester." in text
    page = (await series.get(answer.headers["location"])).text
    assert "Datoene i serien er godkjent" in page and "Korpsøving" not in page and "1 forespørsel." in page
    again = await post_form(series, f"/saksbehandling/serier/{series.series_id}/godkjenn")
    assert again.status_code == 409 and "nothing_waiting" in again.text


async def test_reject_all_needs_a_reason_and_then_sends_one_mail_in_the_bookers_language(series):
    await login_as(series, "department_staff")
    before, rows_before = await outbox_keys(series), await history_count(series)
    refused = await post_form(series, f"/saksbehandling/serier/{series.series_id}/avvis", {"begrunnelse": " "})
    assert refused.status_code == 422 and "Skriv en begrunnelse" in refused.text
    field = f"begrunnelse-serie-{series.series_id}"
    assert f'href="#{field}"' in refused.text and f'id="{field}"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert await statuses(series) == ["requested"] * WEEKS
    assert (await history_count(series), await outbox_keys(series)) == (rows_before, before)
    async with series.db.sessions() as s, write_transaction(s):
        await s.execute(update(Person).where(Person.email == EMAILS["delegate"]).values(language="en"))
    answer = await post_form(
        series,
        f"/saksbehandling/serier/{series.series_id}/avvis",
        {"begrunnelse": "Hallen er satt av til kretsmesterskap."},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/saksbehandling?utfort=serie-avvist"
    assert await statuses(series) == ["rejected"] * WEEKS
    assert await history_count(series) == rows_before + WEEKS
    added = [k for k in await outbox_keys(series) if k not in before]
    assert added == [f"series-{series.series_id}-rejected-{series.dates[0]}"]
    sent = await mail(series, added[0])
    assert sent.language == "en" and sent.subject.startswith("Weekly booking rejected: Hallen")
    assert "Idrett has rejected your request for these 6 dates" in sent.body_text
    assert "Reason: Hallen er satt av til kretsmesterskap." in sent.body_text
    assert sent.body_text.count("(LOK-") == WEEKS and "No dates are booked." in sent.body_text
    assert sent.attachments[0]["content"].count("STATUS:CANCELLED") == WEEKS  # out of the booker's calendar


async def test_staff_of_another_department_cannot_decide_a_series(series):
    await login_as(series, "other_staff")
    before, rows_before = await outbox_keys(series), await history_count(series)
    assert "Korpsøving" not in (await series.get("/saksbehandling")).text
    for action in ("godkjenn", "avvis"):
        answer = await post_form(
            series,
            f"/saksbehandling/serier/{series.series_id}/{action}",
            {"begrunnelse": "Nei."},
            headers={"Accept": "application/json"},
        )
        assert answer.status_code == 403 and answer.json()["code"] == "not_your_department"
    assert await statuses(series) == ["requested"] * WEEKS
    assert (await history_count(series), await outbox_keys(series)) == (rows_before, before)
    unknown = await post_form(series, "/saksbehandling/serier/999999/godkjenn")
    assert unknown.status_code == 404


async def test_a_date_cancelled_meanwhile_stays_cancelled(series):
    await login_as(series, "delegate")
    cancelled = series.dates[1]
    answer = await post_form(series, f"/mine-bestillinger/{cancelled}/avbestill", {"begrunnelse": ""})
    assert answer.status_code == 303
    rows_before = await history_count(series)
    await login_as(series, "department_staff")
    assert "5 datoer venter på godkjenning." in (await series.get("/saksbehandling")).text
    answer = await post_form(series, f"/saksbehandling/serier/{series.series_id}/godkjenn")
    assert answer.status_code == 303
    assert await statuses(series) == ["confirmed", "cancelled"] + ["confirmed"] * (WEEKS - 2)
    assert await history_count(series) == rows_before + WEEKS - 1  # none for the cancelled date
    text = (await mail(series, f"series-{series.series_id}-approved-{series.dates[0]}")).body_text
    assert "for 5 datoer" in text and text.count(": bekreftet") == WEEKS - 1


async def test_one_date_of_a_series_can_be_rejected_on_its_own(series):
    await login_as(series, "department_staff")
    before = await outbox_keys(series)
    one = series.dates[2]
    refused = await post_form(series, f"/saksbehandling/bestillinger/{one}/avvis", {"begrunnelse": ""})
    assert refused.status_code == 422
    assert f'href="#begrunnelse-{one}"' in refused.text and "<details open>" in refused.text  # the field is shown
    answer = await post_form(
        series, f"/saksbehandling/bestillinger/{one}/avvis", {"begrunnelse": "Konsert i hallen den dagen."}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/saksbehandling?utfort=avvist"
    assert await statuses(series) == ["requested"] * 2 + ["rejected"] + ["requested"] * (WEEKS - 3)
    added = [k for k in await outbox_keys(series) if k not in before]
    assert added == [f"series-{series.series_id}-rejected-{one}"]  # the series' mail, not one per booking
    text = (await mail(series, added[0])).body_text
    assert "avslått forespørselen din for denne datoen" in text and "Begrunnelse: Konsert i hallen den dagen." in text
    assert text.count(": venter på godkjenning") == WEEKS - 1
    assert "5 datoer venter på godkjenning." in (await series.get("/saksbehandling")).text


async def test_rejecting_a_series_paid_by_card_refunds_every_date_and_says_so_in_the_one_mail(db, localstripe):
    world = await world_with_passwords(db)
    async with db.sessions() as s, write_transaction(s):
        (await s.execute(select(Premises).where(Premises.slug == world.room))).scalar_one().requires_approval = True
    with checkout_server(upstream=localstripe.url) as stripe_api:
        settings = stripe_settings(db.url, stripe_api.url)
        result = await private_series(db, world, now=utcnow())  # three Tuesdays, 300 kr each
        bookings = await series_bookings(db, result.series_id)
        await pay(db, settings, bookings[0])
        customer = Customer(localstripe.url)
        intent = await customer.pay((await rows(db, Payment))[0].id, 90000)
        stripe_api.complete("cs_test_0001", intent)
        await refresh_payment(db.session, settings, bookings[0].id, now=utcnow())
        assert [await status_of(db, b.id) for b in bookings] == ["requested"] * 3  # paid, awaiting approval
        admin = StaffScope(world.person_id, "Admin", is_admin=True, department_id=None)
        await decide_series(
            db.session, settings, admin, result.series_id, approve=False, reason="Lokalet er stengt.", now=utcnow()
        )
        assert sorted(r["amount"] for r in await customer.refunds(intent)) == [30000] * 3
    assert [await status_of(db, b.id) for b in bookings] == ["rejected"] * 3
    await render_pending(db.session)  # the sender writes the summary from the stored event
    sent = await one(db, OutboxMail, OutboxMail.dedupe_key == f"series-{result.series_id}-rejected-{bookings[0].id}")
    assert "Begrunnelse: Lokalet er stengt." in sent.body_text and "Du får tilbake 900\u00a0kr" in sent.body_text
    assert not await rows(db, OutboxMail, OutboxMail.dedupe_key.like("booking-%"))
