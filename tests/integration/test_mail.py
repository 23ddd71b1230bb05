"""E-mail: written to the outbox with the change it reports, delivered by `booking
send-mail` to a real SMTP server (aiosmtpd in this process), once per row even with two
senders at once; Norwegian or English by the person's language, with the .ics attached.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import email
import logging
import os
import subprocess
import sys
import threading
from datetime import date, datetime, time, timedelta, timezone
from email import policy

import icalendar
import pytest
from sqlalchemy import func, select, update

from booking.db.engine import make_engine, session_factory, write_transaction
from booking.db.models import BookingSeries, OutboxMail, Person, Premises
from booking.domain.errors import Conflict
from booking.domain.lifecycle import Status
from booking.domain.recurrence import WeeklyPattern
from booking.notify import Mail, enqueue, series_summary, undeliverable
from booking.notify.outbox import MAX_ATTEMPTS, event_mail
from booking.notify.sender import SmtpTransport, render_pending, send_pending
from booking.services.bookings import NewBooking, change_status, create_booking, place_booking
from booking.services.lending import PremisesApprovalOnly
from booking.services.mail import send_mail
from booking.services.rulebook import current_rules
from booking.services.series import create_series, edit_series
from booking.settings import ROOT, from_environment
from pricing import BookingDetails
from tests.conftest import alone
from tests.integration.test_bookings import at
from tests.integration.test_payments_support import free_port, need
from tests.world import build_world

# These tests run `booking` commands as processes, which have the real clock (conftest.py).
REAL_CLOCK = True

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
FREE = PremisesApprovalOnly()


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    need("aiosmtpd")
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs each connection from its thread
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.transport = SmtpTransport("127.0.0.1", controller.port)
    yield inbox
    controller.stop()


async def free_booking(db, world, start: str, end: str, **kw):
    return await create_booking(
        db.session, NewBooking(world.room, at(start), at(end), world.person_id, **kw), rules=FREE, now=NOW
    )


def clock(at_: datetime):
    return lambda: at_


async def outbox(db) -> list[OutboxMail]:
    async with db.sessions() as s:
        return list((await s.execute(select(OutboxMail).order_by(OutboxMail.id))).scalars())


async def set_language(db, email_address: str, language: str) -> None:
    async with db.sessions() as s, write_transaction(s):
        await s.execute(update(Person).where(Person.email == email_address).values(language=language))


def body(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def attachment(message):
    (part,) = list(message.iter_attachments())
    return part


async def test_a_confirmation_in_english_with_the_price_and_the_calendar_file(db, smtp):
    world = await build_world(db.session)
    await set_language(db, "kari@example.no", "en")
    rules = await current_rules(db.session)
    booking = await create_booking(
        db.session,
        NewBooking(
            world.room,
            at("2026-09-08T18:00"),
            at("2026-09-08T20:00"),
            world.person_id,
            world.organisation_id,
            BookingDetails("Board meeting", 8, "adults"),
            payment_method="invoice",
        ),
        rules=rules,
        now=NOW,
    )
    (row,) = await outbox(db)
    assert (row.language, row.to_address, row.sent_at) == ("en", "kari@example.no", None)
    # Nothing is rendered in the booking's transaction: the row holds what happened.
    assert (row.event["mail"], row.event["booking_id"], row.subject, row.attachments) == (
        "confirmed",
        booking.id,
        "",
        [],
    )

    report = await send_pending(db.session, smtp.transport, sender="Lokaler <noreply@lokaler.test>", clock=clock(NOW))
    assert (report.sent, report.failed) == (1, 0)
    (message,) = smtp.messages
    assert message["Subject"] == "Confirmed: Møtesalen Tuesday 8 September 2026 at 18:00"
    (row,) = await outbox(db)  # the row keeps the mail as it was sent
    assert (row.event, row.subject) == (None, message["Subject"]) and len(row.attachments) == 1
    assert message["To"] == "kari@example.no" and message["From"] == "Lokaler <noreply@lokaler.test>"
    assert message["Content-Language"] == "en" and message["Message-ID"].endswith("@lokaler>")
    text = body(message)
    assert "Hello Kari Nordmann," in text and "Your booking is confirmed." in text
    assert "NOK\u00a0150 (invoiced to Bragernes IL after the rental)" in text
    assert f"Booking: LOK-{booking.id}" in text and "Time: Tuesday 8 September 2026 at 18:00–20:00" in text
    ics = attachment(message)
    assert ics.get_content_type() == "text/calendar" and ics.get_filename() == f"bestilling-{booking.id}.ics"
    event = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert str(event["UID"]) == f"booking-{booking.id}@lokaler" and str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == at("2026-09-08T18:00")
    assert (await outbox(db))[0].sent_at == NOW


async def test_a_request_in_english_says_why_it_needs_approval_in_english(db, smtp):
    world = await build_world(db.session)
    await set_language(db, "kari@example.no", "en")
    rules = await current_rules(db.session)
    booking = await create_booking(
        db.session,
        NewBooking(
            world.room,
            at("2026-09-08T18:00"),
            at("2026-09-08T20:00"),
            world.person_id,
            world.organisation_id,
            BookingDetails("Anniversary", 12, "adults", alcohol=True),
            payment_method="invoice",
        ),
        rules=rules,
        now=NOW,
    )
    assert booking.status == "requested"
    await send_pending(db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW))
    (received,) = smtp.messages
    assert "Serving alcohol needs approval." in body(received)
    assert "alkohol" not in body(received)


async def test_norwegian_by_default_and_the_approval_story_told(db, smtp):
    world = await build_world(db.session)
    async with db.sessions() as s, write_transaction(s):
        (await s.execute(select(Premises).where(Premises.slug == world.room))).scalar_one().requires_approval = True
    booking = await free_booking(db, world, "2026-09-08T18:00", "2026-09-08T20:00")
    assert booking.status == "requested"
    async with write_transaction(db.session) as s:
        await change_status(
            s, booking.id, Status.REJECTED, actor_id=None, reason="Hallen er stengt for vedlikehold.", now=NOW
        )
    await send_pending(db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW))
    received, rejected = smtp.messages
    assert received["Subject"].startswith("Vi har mottatt forespørselen din: Møtesalen tirsdag 8. september 2026")
    assert "venter nå på godkjenning fra\nIdrett" in body(received)
    assert "Lokalet krever godkjenning." in body(received)  # why, from the rules
    assert attachment(received).get_filename().endswith(".ics")
    assert rejected["Subject"].startswith("Avslått: Møtesalen")
    assert "Begrunnelse: Hallen er stengt for vedlikehold." in body(rejected)
    assert list(rejected.iter_attachments()) == []


async def test_approval_and_cancellation_mails(db, smtp):
    world = await build_world(db.session)
    async with db.sessions() as s, write_transaction(s):
        (await s.execute(select(Premises).where(Premises.slug == world.room))).scalar_one().requires_approval = True
    booking = await free_booking(db, world, "2026-09-08T18:00", "2026-09-08T20:00")
    async with write_transaction(db.session) as s:
        await change_status(s, booking.id, Status.CONFIRMED, actor_id=None, reason="Velkommen!", now=NOW)
    async with write_transaction(db.session) as s:
        await change_status(s, booking.id, Status.CANCELLED, actor_id=world.person_id, reason="Ble syk.", now=NOW)
    keys = [m.dedupe_key for m in await outbox(db)]
    assert keys == [
        f"booking-{booking.id}-0-received",
        f"booking-{booking.id}-1-approved",
        f"booking-{booking.id}-2-cancelled",
    ]
    await send_pending(db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW))
    _, approved, cancelled = smtp.messages
    assert "Idrett har godkjent forespørselen din." in body(approved) and "Kommentar: Velkommen!" in body(approved)
    assert "Årsak: Ble syk." in body(cancelled) and "Avbestillingen koster ingenting." in body(cancelled)
    calendar = icalendar.Calendar.from_ical(attachment(cancelled).get_content()).walk("VEVENT")[0]
    assert (str(calendar["STATUS"]), int(calendar["SEQUENCE"])) == ("CANCELLED", 2)


async def test_the_mail_commits_and_rolls_back_with_its_change(db):
    world = await build_world(db.session)
    new = NewBooking(world.room, at("2026-09-08T18:00"), at("2026-09-08T20:00"), world.person_id)
    with pytest.raises(RuntimeError):
        async with write_transaction(db.session) as s:
            await place_booking(s, new, FREE, NOW)
            assert len((await s.execute(select(OutboxMail))).scalars().all()) == 1
            raise RuntimeError("the transaction fails after the mail was written")
    assert await outbox(db) == []
    await create_booking(db.session, new, rules=FREE, now=NOW)
    with pytest.raises(Conflict):
        await create_booking(db.session, new, rules=FREE, now=NOW)
    assert len(await outbox(db)) == 1


async def test_two_senders_at_once_deliver_each_mail_exactly_once(db, smtp):
    await build_world(db.session)
    async with write_transaction(db.session) as s:
        for n in range(30):
            await enqueue(s, Mail(f"test-{n}", f"person{n}@example.no", "nb", f"Melding {n}", "Hei.\n"), NOW)
        assert not await enqueue(s, Mail("test-0", "x@example.no", "nb", "igjen", "igjen"), NOW)  # deduplicated
    second_engine = make_engine(db.url)
    try:
        reports = await asyncio.gather(
            alone(db.sessions, send_pending, smtp.transport, sender="a@lokaler.test", clock=clock(NOW)),
            alone(
                session_factory(second_engine), send_pending, smtp.transport, sender="b@lokaler.test", clock=clock(NOW)
            ),
        )
    finally:
        await second_engine.dispose()
    delivered = [m["X-Lokaler-Outbox"] for m in smtp.messages]
    assert len(delivered) == 30 and len(set(delivered)) == 30
    assert sum(r.sent for r in reports) == 30 and all(r.failed == 0 for r in reports)
    rows = await outbox(db)
    assert all(r.sent_at == NOW and r.attempts == 1 for r in rows)
    assert (await send_pending(db.session, smtp.transport, sender="a@lokaler.test", clock=clock(NOW))).sent == 0


async def test_a_failed_delivery_is_kept_and_retried_later(db, smtp):
    await build_world(db.session)
    async with write_transaction(db.session) as s:
        await enqueue(s, Mail("retry-me", "kari@example.no", "nb", "Hei", "Hei.\n"), NOW)
    down = SmtpTransport("127.0.0.1", free_port(), timeout=2)
    report = await send_pending(db.session, down, sender="noreply@lokaler.test", clock=clock(NOW))
    (row,) = await outbox(db)
    assert (report.failed, row.sent_at, row.attempts) == (1, None, 1)
    assert "ConnectionRefusedError" in row.last_error and row.claimed_until == NOW + timedelta(minutes=1)
    soon = await send_pending(
        db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW + timedelta(seconds=30))
    )
    assert soon.sent == 0 and smtp.messages == []  # backing off
    later = await send_pending(
        db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW + timedelta(minutes=2))
    )
    (row,) = await outbox(db)
    assert later.sent == 1 and len(smtp.messages) == 1 and row.attempts == 2 and row.sent_at is not None


async def test_reminders_the_day_before_are_queued_once(db, smtp):
    world = await build_world(db.session)
    tomorrow = await free_booking(db, world, "2026-09-02T18:00", "2026-09-02T19:00")
    await create_booking(
        db.session,
        NewBooking(world.room, at("2026-09-03T18:00"), at("2026-09-03T19:00"), world.person_id),
        rules=FREE,
        now=NOW,
    )
    settings = from_environment({"BOOKING_DATABASE_URL": db.url})
    first = await send_mail(db.session, settings, clock=clock(NOW), transport=smtp.transport)
    second = await send_mail(db.session, settings, clock=clock(NOW + timedelta(hours=3)), transport=smtp.transport)
    assert (first.reminders, first.sent, second.reminders, second.sent) == (1, 3, 0, 0)
    reminder = smtp.messages[-1]
    assert reminder["Subject"] == "Påminnelse: Møtesalen i morgen 18:00"
    assert f"booking-{tomorrow.id}@lokaler" in attachment(reminder).get_content()


async def test_a_series_sends_no_mail_per_occurrence(db):
    world = await build_world(db.session)
    await create_booking(
        db.session,
        NewBooking(world.room, at("2026-09-08T18:00"), at("2026-09-08T20:00"), world.person_id, series_id=None),
        rules=FREE,
        now=NOW,
    )
    async with db.sessions() as s, write_transaction(s):
        room = (await s.execute(select(Premises).where(Premises.slug == world.room))).scalar_one()
        series = BookingSeries(
            premises_id=room.id, person_id=world.person_id, rrule="FREQ=WEEKLY", pattern={}, created_at=NOW
        )
        s.add(series)
        await s.flush()
        series_id = series.id
    await create_booking(
        db.session,
        NewBooking(world.room, at("2026-09-15T18:00"), at("2026-09-15T20:00"), world.person_id, series_id=series_id),
        rules=FREE,
        now=NOW,
    )
    assert len(await outbox(db)) == 1


async def test_in_development_mails_are_written_as_eml_files(db, tmp_path):
    world = await build_world(db.session)
    booking = await free_booking(db, world, "2026-09-08T18:00", "2026-09-08T20:00")
    env = {**os.environ, "BOOKING_DATABASE_URL": db.url, "BOOKING_MAIL_DIR": str(tmp_path / "outbox")}
    env.pop("BOOKING_SMTP_HOST", None)
    done = subprocess.run(
        [sys.executable, "-m", "booking.cli", "send-mail"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 mail(s) sent" in done.stdout
    (path,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"].startswith("Bekreftet: Møtesalen") and f"LOK-{booking.id}" in body(message)
    again = subprocess.run(
        [sys.executable, "-m", "booking.cli", "send-mail"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "0 mail(s) sent" in again.stdout and len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.sent_at.is_(None))) == 0


SEPTEMBER_TUESDAYS = WeeklyPattern((1,), time(18), time(20), date(2026, 9, 8), date(2026, 9, 29))


async def club_series(db, world, *, rules, method="invoice"):
    return await create_series(
        db.session,
        premises_slug=world.room,
        pattern=SEPTEMBER_TUESDAYS,
        person_id=world.person_id,
        organisation_id=world.organisation_id,
        details=BookingDetails("Styremøte", 10, "adults"),
        rules=rules,
        now=NOW,
        payment_method=method,
    )


async def test_a_series_sends_one_summary_with_every_date_and_a_calendar_file(db, smtp):
    world = await build_world(db.session)
    rules = await current_rules(db.session)
    await free_booking(db, world, "2026-09-15T17:00", "2026-09-15T19:00")  # one Tuesday is taken
    result = await club_series(db, world, rules=rules)
    assert result.created == 3
    (mail,) = [m for m in await outbox(db) if m.dedupe_key.startswith("series-")]
    assert mail.dedupe_key == f"series-{result.series_id}-created"
    await send_pending(db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW))
    (message,) = [m for m in smtp.messages if m["Subject"].startswith("Fast ukentlig tid")]
    assert message["Subject"] == "Fast ukentlig tid bestilt: Møtesalen, hver tirsdag kl. 18:00–20:00"
    text = body(message)
    assert "Datoer (3):" in text and "På vegne av: Bragernes IL" in text
    assert "tirsdag 8. september 2026 kl. 18:00–20:00: bekreftet, 150\u00a0kr" in text
    assert "Disse datoene kunne ikke bestilles:\n  tirsdag 15. september 2026: Tiden er ikke ledig" in text
    assert "Pris i alt: 450\u00a0kr (faktureres Bragernes IL etter hver gang)" in text
    ics = attachment(message)
    assert ics.get_content_type() == "text/calendar" and ics.get_filename() == f"serie-{result.series_id}.ics"
    events = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")
    booked = [o.booking_id for o in result.occurrences if o.booking_id]
    assert [str(e["UID"]) for e in events] == [f"booking-{b}@lokaler" for b in booked]
    assert {str(e["STATUS"]) for e in events} == {"CONFIRMED"}
    assert [e.decoded("DTSTART") for e in events] == [at(f"2026-09-{d}T18:00") for d in ("08", "22", "29")]
    # no mail per occurrence, and the summary is written once per key
    assert not any(m.dedupe_key.startswith(f"booking-{b}-") for m in await outbox(db) for b in booked)
    async with write_transaction(db.session) as s:
        assert not await series_summary(s, result.series_id, "created", NOW, key=mail.dedupe_key)
    # A summary stored before the sender wrote the text too (subject and body in its event)
    # is sent with that text and its calendar file.
    async with write_transaction(db.session) as s:
        event = {
            "mail": "series",
            "series_id": result.series_id,
            "subject": "Serie",
            "body": "Tekst\n",
            "calendar": booked,
        }
        await enqueue(s, event_mail("series-stored-earlier", "kari@example.no", "nb", event), NOW)
    await render_pending(db.session)
    (earlier,) = [m for m in await outbox(db) if m.dedupe_key == "series-stored-earlier"]
    assert (earlier.subject, earlier.body_text, earlier.event) == ("Serie", "Tekst\n", None)
    assert earlier.attachments[0]["filename"] == f"serie-{result.series_id}.ics"


async def test_a_series_summary_in_english_says_what_awaits_payment(db, smtp):
    world = await build_world(db.session)
    await set_language(db, "kari@example.no", "en")
    rules = await current_rules(db.session)
    result = await club_series(db, world, rules=rules, method="card")
    await send_pending(db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW))
    (message,) = smtp.messages
    assert message["Subject"] == "Weekly booking made: Møtesalen, every Tuesday, 18:00–20:00"
    assert message["Content-Language"] == "en"
    text = body(message)
    assert text.count(": awaiting payment, NOK\u00a0150") == 4 and "Total price: NOK\u00a0600" in text
    first = min(o.booking_id for o in result.occurrences)
    assert f"Pay for all of them by card here: http://127.0.0.1:8000/betaling/{first}" in text
    assert "held for you until Tuesday 1 September 2026 at 10:15" in text  # 08:00 UTC + 15 minutes, Oslo time
    events = icalendar.Calendar.from_ical(attachment(message).get_content()).walk("VEVENT")
    assert {str(e["STATUS"]) for e in events} == {"TENTATIVE"} and len(events) == 4


async def test_editing_a_series_sends_one_summary_not_a_cancellation_per_date(db):
    world = await build_world(db.session)
    result = await create_series(
        db.session,
        premises_slug=world.room,
        pattern=SEPTEMBER_TUESDAYS,
        person_id=world.person_id,
        organisation_id=None,
        details=BookingDetails("Kor", 8),
        rules=FREE,
        now=NOW,
    )
    before = {m.dedupe_key for m in await outbox(db)}
    assert before == {f"series-{result.series_id}-created"}
    moved = await edit_series(
        db.session,
        result.series_id,
        day=date(2026, 9, 8),
        scope="all",
        start_time=time(19),
        end_time=time(21),
        actor_id=world.person_id,
        rules=FREE,
        now=NOW,
    )
    await render_pending(db.session)  # both summaries are written by the sender only now
    made, *added = await outbox(db)
    assert [m.dedupe_key for m in added] == [f"series-{result.series_id}-changed-{moved.occurrences[0].booking_id}"]
    assert added[0].subject == "Fast ukentlig tid endret: Møtesalen, hver tirsdag kl. 19:00–21:00"
    assert added[0].body_text.count("kl. 19:00–21:00: bekreftet") == 4 and "Leien er gratis." in added[0].body_text
    # The first summary, written after the edit, still says what was booked when it was stored.
    assert made.subject == "Fast ukentlig tid bestilt: Møtesalen, hver tirsdag kl. 18:00–20:00"
    assert made.body_text.count("kl. 18:00–20:00: bekreftet") == 4


async def test_a_mail_written_after_later_changes_still_says_what_happened_then(db, smtp):
    """The sender writes a mail from its event after the fact: a confirmation sent after the
    booking was cancelled still confirms, with the calendar sequence of that moment."""
    world = await build_world(db.session)
    rules = await current_rules(db.session)
    booking = await create_booking(
        db.session,
        NewBooking(
            world.room,
            at("2026-09-08T18:00"),
            at("2026-09-08T20:00"),
            world.person_id,
            world.organisation_id,
            BookingDetails("Styremøte", 8, "adults"),
            payment_method="invoice",
        ),
        rules=rules,
        now=NOW,
    )
    async with write_transaction(db.session) as s:
        await change_status(s, booking.id, Status.CANCELLED, actor_id=world.person_id, reason="Avlyst", now=NOW)
    await send_pending(db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW))
    confirmed, cancelled = smtp.messages
    assert confirmed["Subject"].startswith("Bekreftet") and cancelled["Subject"].startswith("Avbestilt")
    first = icalendar.Calendar.from_ical(attachment(confirmed).get_content()).walk("VEVENT")[0]
    second = icalendar.Calendar.from_ical(attachment(cancelled).get_content()).walk("VEVENT")[0]
    assert (str(first["STATUS"]), int(first["SEQUENCE"])) == ("CONFIRMED", 0)
    assert (str(second["STATUS"]), int(second["SEQUENCE"])) == ("CANCELLED", 1)


async def test_an_event_that_cannot_be_written_holds_up_no_other_mail_and_is_listed_in_the_end(db, smtp):
    world = await build_world(db.session)
    async with write_transaction(db.session) as s:  # an event naming a booking that is not there
        await enqueue(
            s,
            event_mail("booking-999-0-confirmed", "kari@example.no", "nb", {"mail": "confirmed", "booking_id": 999}),
            NOW,
        )
    await create_booking(
        db.session,
        NewBooking(
            world.room,
            at("2026-09-08T18:00"),
            at("2026-09-08T20:00"),
            world.person_id,
            world.organisation_id,
            BookingDetails("Styremøte", 8, "adults"),
            payment_method="invoice",
        ),
        rules=await current_rules(db.session),
        now=NOW,
    )
    report = await send_pending(db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW))
    assert report.sent == 1 and smtp.messages[0]["Subject"].startswith("Bekreftet")
    for _ in range(MAX_ATTEMPTS):
        await send_pending(db.session, smtp.transport, sender="noreply@lokaler.test", clock=clock(NOW))
    async with db.sessions() as s:
        (stuck,) = await undeliverable(s)
    assert stuck.dedupe_key == "booking-999-0-confirmed" and stuck.attempts == MAX_ATTEMPTS and stuck.last_error
    assert len(smtp.messages) == 1
