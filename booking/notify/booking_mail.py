"""Which e-mail a booking's change sends, and its content. Every function here only
adds outbox rows to the caller's session: the mail commits (or rolls back) with the
change it reports. Each mail is stored as an event (kind, ids and the facts that may
change later) and written when the sender delivers it, outside the change's transaction:
a change's mail and a reminder by `render_booking_event`, a payment's receipt and the
refund of a payment we cannot use by `render_payment_event`. Amounts in a mail are read
from the payment rows, so a mail says what the database says."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.models import Booking, Organisation, OutboxMail, Payment, Person, Premises
from booking.domain.lifecycle import Status
from booking.formatting import clock, kroner, when
from booking.notify.outbox import Attachment, Mail, enqueue, event_mail
from booking.notify.render import language_of, render
from booking.payments import TEST_MODE
from booking.services.feed_events import full_booking_events
from booking.services.refunds import money
from booking.settings import get_settings
from calendars import single_event_ics
from common.localtime import OSLO, local_day_start

BOOKING_PATH = "/mine-bestillinger/{id}"  # the booker's page for one booking, linked from every mail
PAY_PATH = "/betaling/{id}"  # where a held booking (or weekly series) is paid for
# The reason a series edit gives the occurrences it moves: the series summary reports the
# move, so the cancellation of the old time sends no mail of its own.
MOVED_IN_SERIES = "Flyttet ved endring av serien."
# Seasonal dates given back or withdrawn are told about once for the allocation, not per date.
GIVEN_BACK = "Gitt tilbake fra sesongtildelingen."
WITHDRAWN = "Trukket tilbake av kommunen fra sesongtildelingen."
QUIET_REASONS = (MOVED_IN_SERIES, GIVEN_BACK, WITHDRAWN)

REFUND_REASONS = {
    "slot_taken": (
        "tiden var tatt av noen andre da betalingen kom, etter at reservasjonen hadde utløpt.",
        "someone else had taken the time when the payment arrived, after the reservation had expired.",
    ),
    "refused": (
        "bestillingen kunne ikke gjennomføres da betalingen kom, etter at reservasjonen hadde utløpt.",
        "the booking could no longer be made when the payment arrived, after the reservation had expired.",
    ),
    "not_needed": (
        "bestillingen trengte ikke denne betalingen (den var avbestilt, allerede betalt eller satt til faktura).",
        "the booking did not need this payment (it was cancelled, already paid, or set to invoice).",
    ),
}


def booking_reference(booking_id: int) -> str:
    """Our reference for a booking, on mails, receipts and invoices."""
    return f"LOK-{booking_id}"


async def ics_attachment(session: AsyncSession, booking_id: int, event: dict) -> Attachment:
    """The booking as the FULL feed shows it, in the status, SEQUENCE and LAST-MODIFIED its
    mail's `event` reports (the booking may have changed again before the mail is written)."""
    reported = (event["status"], event["sequence"], datetime.fromisoformat(event["updated_at"]))
    (calendar_event,) = await full_booking_events(session, [booking_id], as_reported={booking_id: reported})
    content = single_event_ics(calendar_event, f"Bestilling {booking_reference(booking_id)}")
    return Attachment(f"bestilling-{booking_id}.ics", "text/calendar; method=PUBLISH", content.decode("utf-8"))


async def _parties(session: AsyncSession, booking: Booking) -> tuple[Person, Premises, Organisation | None]:
    # By id, never through the relationships: a booking made in this transaction has none loaded.
    person = await session.get(Person, booking.person_id)
    premises = await session.get(Premises, booking.premises_id)
    organisation = await session.get(Organisation, booking.organisation_id) if booking.organisation_id else None
    return person, premises, organisation


async def _context(session: AsyncSession, booking: Booking, language: str) -> tuple[dict, Person, Premises]:
    person, premises, organisation = await _parties(session, booking)
    base_url = get_settings().base_url.rstrip("/")
    price = Decimal(booking.price_total or 0)
    context = {
        "name": person.name,
        "reference": booking_reference(booking.id),
        "booking_id": booking.id,
        "premises": premises.name,
        "building": premises.building.name,
        "address": premises.building.address,
        "department": premises.building.department.name,
        "start": when(booking.start_at, language),
        "end": clock(booking.end_at, language),
        "start_clock": clock(booking.start_at, language),
        "organisation": organisation.name if organisation else "",
        "purpose": booking.purpose,
        "price_total": kroner(price, language) if price > 0 else "",
        "method": booking.payment_method or "",
        "link": base_url + BOOKING_PATH.format(id=booking.id),
        "base_url": base_url,
        "reason": "",
        "approval_reasons": "",
    }
    return context, person, premises


def _kind(before: Status | None, after: Status, booking: Booking) -> str | None:
    if booking.series_id is not None and before in (None, Status.HELD, Status.EXPIRED):
        return None  # made, paid for or given up: a weekly series is reported by its summary (series_mail)
    if booking.series_id is not None and before is Status.REQUESTED and after in (Status.CONFIRMED, Status.REJECTED):
        return None  # approved or rejected: staff's decision on a series' dates is one summary (approvals)
    if after is Status.REQUESTED and before in (None, Status.HELD, Status.EXPIRED):
        return "received"
    if after is Status.CONFIRMED:
        return "approved" if before is Status.REQUESTED else "confirmed"
    if after is Status.REJECTED:
        return "rejected"
    if after is Status.CANCELLED:
        return "cancelled"
    return None


def _snapshot(booking: Booking, status: Status | None) -> dict:
    """What a booking's mail says that may change after it is stored (the .ics sequence
    and stamp, the status it reports, price and method), as it is now."""
    return {
        "booking_id": booking.id,
        "sequence": booking.sequence,
        "updated_at": booking.updated_at.isoformat(),
        "status": (status or Status(booking.status)).value,
        "price_total": str(booking.price_total or 0),
        "method": booking.payment_method or "",
    }


async def booking_changed(
    session: AsyncSession,
    booking: Booking,
    before: Status | None,
    after: Status,
    *,
    reason: str,
    now: datetime,
    reason_en: str = "",
) -> None:
    """The one call the booking engine makes: store the mail this change sends, if any, as
    an event (`render_booking_event` writes it when the sender delivers).
    `reason` is in Norwegian; `reason_en`, when the engine has it, is the same in English."""
    kind = _kind(before, after, booking)
    if kind is None or reason in QUIET_REASONS:
        return
    amounts = None
    if kind in ("rejected", "cancelled"):
        amounts = await money(session, booking)
        if kind == "cancelled" and before is Status.HELD and not amounts["paid"]:
            return  # the booker left the payment page: nothing was agreed, nothing to report
    person = await session.get(Person, booking.person_id)
    mail = change_mail(booking, before, after, person, reason=reason, reason_en=reason_en, amounts=amounts)
    await enqueue(session, mail, now)


def change_mail(
    booking: Booking,
    before: Status | None,
    after: Status,
    to: Person,
    *,
    reason: str,
    reason_en: str = "",
    amounts: dict[str, Decimal] | None = None,
) -> Mail | None:
    """Pure: the mail (as an event) a booking's change sends to its booker `to`, if any;
    `amounts`, the money side, for a rejection or a cancellation."""
    kind = _kind(before, after, booking)
    if kind is None or reason in QUIET_REASONS:
        return None
    event = {
        "mail": kind,
        **_snapshot(booking, after),
        "before": before.value if before else None,
        "reason": reason,
        "reason_en": reason_en,
    }
    if amounts is not None:
        event["amounts"] = {name: str(value) for name, value in amounts.items()}
    return event_mail(f"booking-{booking.id}-{booking.sequence}-{kind}", to.email, language_of(to.language), event)


async def render_booking_event(
    session: AsyncSession, event: dict, language: str
) -> tuple[str, str, tuple[Attachment, ...]]:
    """(subject, body, attachments) of a booking's mail stored as an event, in `language`."""
    booking = await session.get(Booking, event["booking_id"])
    kind = event["mail"]
    context, _, _ = await _context(session, booking, language)
    price = Decimal(event["price_total"])
    context.update(language=language, price_total=kroner(price, language) if price > 0 else "", method=event["method"])
    ics = (await ics_attachment(session, booking.id, event),)
    attachments: tuple[Attachment, ...] = ()
    reason, reason_en = event.get("reason", ""), event.get("reason_en", "")
    if kind == "received":
        context["approval_reasons"] = (
            ((reason_en or reason) if language == "en" else reason) if event["before"] is None else ""
        )
        attachments = ics
    elif kind in ("confirmed", "approved"):
        context["reason"] = reason if kind == "approved" else ""
        attachments = ics
    elif kind in ("rejected", "cancelled"):
        amounts = {name: Decimal(value) for name, value in event["amounts"].items()}
        context.update(
            reason=reason,
            paid=kroner(amounts["paid"], language),
            fee=kroner(amounts["fee"], language),
            refund=kroner(amounts["refunded"], language) if amounts["refunded"] else "",
            credit=kroner(amounts["credited"], language),
            fee_zero=not amounts["fee"],
            fee_rule="",
        )
        if kind == "cancelled" and event["method"] not in ("card", "invoice"):
            context["method"] = ""
        if kind == "cancelled":
            attachments = ics
    elif kind == "reminder":
        attachments = ics
    subject, body = render(kind, language, context)
    return subject, body, attachments


async def payment_receipt(session: AsyncSession, booking: Booking, payment: Payment, now: datetime) -> None:
    """The receipt for a payment that is kept, stored as an event (`render_payment_event`)."""
    event = {"mail": "receipt", "booking_id": booking.id, "payment_id": payment.id, "paid_at": now.isoformat()}
    await _put_payment_event(session, booking, f"receipt-{payment.id}", event, now)


async def payment_refunded(session: AsyncSession, booking: Booking, payment: Payment, why: str, now: datetime) -> None:
    """A payment we cannot use (late and the slot is gone, or not needed) is refunded in full."""
    event = {"mail": "payment_refunded", "booking_id": booking.id, "payment_id": payment.id, "why": why}
    await _put_payment_event(session, booking, f"refunded-in-full-{payment.id}", event, now)


async def _put_payment_event(session: AsyncSession, booking: Booking, key: str, event: dict, now: datetime) -> None:
    person = await session.get(Person, booking.person_id)
    await enqueue(session, event_mail(key, person.email, language_of(person.language), event), now)


async def render_payment_event(
    session: AsyncSession, event: dict, language: str
) -> tuple[str, str, tuple[Attachment, ...]]:
    """A payment's receipt, or the mail saying it is refunded in full, in `language`. The
    amounts are the payment row's and the booking's price snapshot, which do not change."""
    booking = await session.get(Booking, event["booking_id"])
    payment = await session.get(Payment, event["payment_id"])
    context, _, _ = await _context(session, booking, language)
    context.update(language=language, amount=kroner(payment.amount, language))
    if event["mail"] == "payment_refunded":
        nb, en = REFUND_REASONS[event["why"]]
        context["why"] = nb if language == "nb" else en
    else:
        lines, vat_total = [], Decimal(0)
        if booking.price_snapshot:
            quote = pricing.Quote.from_snapshot(booking.price_snapshot)
            vat_total = quote.vat_total
            lines = [
                {
                    "text": line.text_nb if language == "nb" else line.text_en,
                    "amount": kroner(line.amount + line.vat, language),
                    "vat": kroner(line.vat, language) if line.vat else "",
                }
                for line in quote.lines
            ]
        context.update(
            lines=lines,
            vat_total=kroner(vat_total, language),
            payment_reference=f"{booking_reference(booking.id)}-{payment.id}",
            paid_at=when(datetime.fromisoformat(event["paid_at"]), language),
            test_mode=payment.provider == TEST_MODE,
        )
    subject, body = render(event["mail"], language, context)
    return subject, body, ()


async def enqueue_due_reminders(session: AsyncSession, now: datetime) -> int:
    """A reminder for each confirmed booking that starts tomorrow (Oslo time). Idempotent:
    the key names the booking and its start, so a moved booking is reminded again."""
    tomorrow = now.astimezone(OSLO).date() + timedelta(days=1)
    start, end = local_day_start(tomorrow), local_day_start(tomorrow + timedelta(days=1))
    bookings = (
        (
            await session.execute(
                select(Booking)
                .where(Booking.status == Status.CONFIRMED.value, Booking.start_at >= start, Booking.start_at < end)
                .order_by(Booking.id)
            )
        )
        .scalars()
        .all()
    )
    keys = {b.id: f"reminder-{b.id}-{b.start_at.astimezone(OSLO).isoformat(timespec='minutes')}" for b in bookings}
    done = set(
        (
            await session.execute(select(OutboxMail.dedupe_key).where(OutboxMail.dedupe_key.in_(list(keys.values()))))
        ).scalars()
    )
    added = 0
    people = (
        {
            p.id: p
            for p in (
                await session.execute(select(Person).where(Person.id.in_({b.person_id for b in bookings})))
            ).scalars()
        }
        if bookings
        else {}
    )
    for booking in bookings:
        if keys[booking.id] in done:
            continue
        person = people[booking.person_id]
        added += await enqueue(
            session,
            event_mail(
                keys[booking.id],
                person.email,
                language_of(person.language),
                {"mail": "reminder", **_snapshot(booking, None)},
            ),
            now,
        )
    return added
