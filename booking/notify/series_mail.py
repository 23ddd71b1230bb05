"""One summary mail for a weekly series, instead of one mail per occurrence: when it is
made, when it is paid for (with the receipt, and the dates refunded because the slot
was gone), when it changes, and when staff approve or reject its dates. Every date
with its time, status and price, the total, and one .ics file with a VEVENT per
occurrence (the UIDs the feeds use). Like every mail, it is only an outbox row in the
caller's transaction, deduplicated by its key, stored as an event and written by the
sender (`render_series_event`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

import pricing
from booking.db.models import Booking, BookingSeries, Organisation, Payment, Person, Premises
from booking.domain.lifecycle import SLOT_HOLDING, Status
from booking.domain.recurrence import WeeklyPattern
from booking.formatting import clock, day, kroner, weekday_name, when
from booking.notify.booking_mail import PAY_PATH, REFUND_REASONS, booking_reference, money
from booking.notify.outbox import Attachment, enqueue, event_mail
from booking.notify.render import language_of, render
from booking.payments import TEST_MODE
from booking.services.feed_events import full_booking_events
from booking.settings import get_settings
from calendars import build_feed

OCCASIONS = ("created", "paid", "changed", "approved", "rejected")


@dataclass(frozen=True)
class Refused:
    """A date that was not booked (when the series was made), and why, in both languages."""

    day: date
    message_nb: str
    message_en: str


@dataclass(frozen=True)
class SeriesDate:
    """A date of the series just written, as its summary tells it: what it needs of the
    date's booking, without making one (`series_summary`'s `dates`)."""

    id: int
    start_at: datetime
    status: str
    price_total: Decimal | None
    payment_method: str | None
    hold_expires_at: datetime | None

    @classmethod
    def written(cls, booking_id: int, row: dict) -> SeriesDate:
        fields = ("start_at", "status", "price_total", "payment_method", "hold_expires_at")
        return cls(booking_id, *(row[name] for name in fields))


def series_reference(series_id: int) -> str:
    return f"LOK-S{series_id}"


def weekly(pattern: WeeklyPattern, language: str) -> str:
    """'hver tirsdag og torsdag kl. 18:00–19:30' / 'every Tuesday and Thursday, 18:00–19:30'."""
    names = [weekday_name(d, language) for d in sorted(pattern.weekdays)]
    days = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {'og' if language == 'nb' else 'and'} {names[-1]}"
    hours = f"{pattern.start_time:%H:%M}–{pattern.end_time:%H:%M}"
    return f"hver {days} kl. {hours}" if language == "nb" else f"every {days}, {hours}"


async def series_summary(
    session: AsyncSession,
    series_id: int,
    occasion: str,
    now: datetime,
    *,
    key: str,
    refused: Sequence[Refused] = (),
    payment: Payment | None = None,
    paid: Sequence[tuple[Booking, Payment]] = (),
    refunded: Sequence[tuple[Booking, Payment, str]] = (),
    decided: Sequence[Booking] = (),
    reason: str = "",
    dates: Sequence[SeriesDate] | None = None,
) -> bool:
    """Enqueue the summary of the series as it now stands; True when it was added (a key
    already used adds nothing). `occasion` is created | paid | changed | approved |
    rejected; for paid, give the leading `payment` and the rows kept (`paid`) and refunded
    (with why); for approved and rejected, the dates `decided` and staff's `reason`.
    Stored as an event: the ids, and what may change before the sender writes it (each
    date's status and price, the pattern, the hold, what goes back), so nothing is
    rendered here. `dates`: the series' dates holding a slot, when the caller has just
    written them (nothing is read back)."""
    if occasion not in OCCASIONS:
        raise ValueError(f"unknown series mail occasion {occasion!r}")
    series = await session.get(BookingSeries, series_id)
    person = await session.get(Person, series.person_id)
    bookings: Sequence[Booking | SeriesDate]
    if dates is not None:
        bookings = sorted(dates, key=lambda b: (b.start_at, b.id))
    else:
        bookings = list(
            (
                await session.execute(
                    select(Booking)
                    .where(Booking.series_id == series_id, Booking.status.in_([s.value for s in SLOT_HOLDING]))
                    .order_by(Booking.start_at, Booking.id)
                    .options(lazyload("*"))  # its own columns only
                )
            ).scalars()
        )
    held = [b for b in bookings if b.status == Status.HELD.value]
    methods = {b.payment_method for b in bookings if b.payment_method}
    rejected = [b for b in decided if b.status == Status.REJECTED.value]
    back = sum([(await money(session, b))["refunded"] for b in rejected], Decimal(0))
    event = {
        "mail": "series",
        "series_id": series_id,
        "occasion": occasion,
        "pattern": series.pattern,
        "dates": [[b.id, b.status, str(b.price_total or 0)] for b in bookings],
        "method": methods.pop() if len(methods) == 1 else "",
        "held": [held[0].id, min(b.hold_expires_at for b in held).isoformat()] if held else None,
        "refused": [[r.day.isoformat(), r.message_nb, r.message_en] for r in refused],
        "payment": payment.id if payment else None,
        "paid_at": now.isoformat(),
        "paid": [[b.id, p.id] for b, p in paid],
        "refunded": [[b.id, p.id, why] for b, p, why in refunded],
        "decided": [b.id for b in decided],
        "reason": reason,
        "decision_refund": str(back),
        # Rejected dates go in the calendar file too, cancelled, so they leave the booker's calendar.
        "calendar": [b.id for b in sorted([*bookings, *rejected], key=lambda b: (b.start_at, b.id))],
    }
    return await enqueue(session, event_mail(key, person.email, language_of(person.language), event), now)


async def render_series_event(
    session: AsyncSession, event: dict, language: str
) -> tuple[str, str, tuple[Attachment, ...]]:
    """A series' summary from its event: the text, and the calendar file of its dates."""
    series_id = event["series_id"]
    events = await full_booking_events(session, event["calendar"])
    calendar = build_feed(f"Serie {series_reference(series_id)}", events).decode("utf-8")
    attachments = (Attachment(f"serie-{series_id}.ics", "text/calendar; method=PUBLISH", calendar),) if events else ()
    if "body" in event:  # stored before the sender wrote the text too: written as it was
        return event["subject"], event["body"], attachments
    series = await session.get(BookingSeries, series_id)
    person = await session.get(Person, series.person_id)
    premises = await session.get(Premises, series.premises_id)
    organisation = await session.get(Organisation, series.organisation_id) if series.organisation_id else None
    ids = [i for i, _, _ in event["dates"]] + [i for i, _ in event["paid"]] + [i for i, _, _ in event["refunded"]]
    ids += event["decided"]
    by_id = {
        b.id: b
        for b in (await session.execute(select(Booking).where(Booking.id.in_(ids)).options(lazyload("*")))).scalars()
    }
    payment_ids = [p for _, p in event["paid"]] + [p for _, p, _ in event["refunded"]] + [event["payment"]]
    payments = {p.id: p for p in (await session.execute(select(Payment).where(Payment.id.in_(payment_ids)))).scalars()}
    dates = [(by_id[i], status, Decimal(price)) for i, status, price in event["dates"]]
    total = sum((price for _, _, price in dates), Decimal(0))
    base_url = get_settings().base_url.rstrip("/")
    held, back = event["held"], Decimal(event["decision_refund"])
    context = {
        "name": person.name,
        "occasion": event["occasion"],
        "reference": series_reference(series_id),
        "premises": premises.name,
        "building": premises.building.name,
        "address": premises.building.address,
        "department": premises.building.department.name,
        "weekly": weekly(WeeklyPattern.from_data(event["pattern"]), language),
        "organisation": organisation.name if organisation else "",
        "purpose": dates[0][0].purpose if dates else "",
        "occurrences": [
            {
                "when": f"{when(b.start_at, language)}–{clock(b.end_at, language)}",
                "status": status,
                "price": kroner(price, language) if price else "",
                "reference": booking_reference(b.id),
            }
            for b, status, price in dates
        ],
        "refused": [
            {"day": day(date.fromisoformat(d), language), "why": nb if language == "nb" else en}
            for d, nb, en in event["refused"]
        ],
        "total": kroner(total, language) if total > 0 else "",
        "method": event["method"],
        "pay_link": base_url + PAY_PATH.format(id=held[0]) if held else "",
        "hold_until": when(datetime.fromisoformat(held[1]), language) if held else "",
        "link": f"{base_url}/mine-bestillinger",
        "base_url": base_url,
        **_money(
            [(by_id[b], payments[p]) for b, p in event["paid"]],
            [(by_id[b], payments[p], why) for b, p, why in event["refunded"]],
            payments[event["payment"]] if event["payment"] else None,
            datetime.fromisoformat(event["paid_at"]),
            language,
        ),
        "decided": [
            {"when": f"{when(b.start_at, language)}–{clock(b.end_at, language)}", "reference": booking_reference(b.id)}
            for b in (by_id[i] for i in event["decided"])
        ],
        "reason": event["reason"],
        "decision_refund": kroner(back, language) if back else "",
    }
    subject, body = render("series", language, context)
    return subject, body, attachments


def _money(
    paid: Sequence[tuple[Booking, Payment]],
    refunded: Sequence[tuple[Booking, Payment, str]],
    payment: Payment | None,
    now: datetime,
    language: str,
) -> dict:
    """The receipt part of a 'paid' summary: what came in, what goes back and why."""
    if payment is None:
        return {
            "amount": "",
            "payment_reference": "",
            "paid_at": "",
            "vat_total": "",
            "refunds": [],
            "refund_total": "",
            "test_mode": False,
        }
    back = sum((Decimal(p.amount) for _, p, _ in refunded), Decimal(0))
    came_in = sum((Decimal(p.amount) for _, p in paid), back)
    vat = sum(
        (pricing.Quote.from_snapshot(b.price_snapshot).vat_total for b, _ in paid if b.price_snapshot), Decimal(0)
    )
    reasons = {why: REFUND_REASONS[why][0 if language == "nb" else 1] for _, _, why in refunded}
    return {
        "amount": kroner(came_in, language),
        "payment_reference": f"{booking_reference(payment.booking_id)}-{payment.id}",
        "paid_at": when(now, language),
        "vat_total": kroner(vat, language),
        "refunds": [
            {
                "when": f"{when(b.start_at, language)}–{clock(b.end_at, language)}",
                "amount": kroner(p.amount, language),
                "why": reasons[why],
            }
            for b, p, why in refunded
        ],
        "refund_total": kroner(back, language) if back else "",
        "test_mode": payment.provider == TEST_MODE,
    }


async def series_paid(
    session: AsyncSession,
    series_id: int,
    payment: Payment,
    paid: Sequence[tuple[Booking, Payment]],
    refunded: Sequence[tuple[Booking, Payment, str]],
    now: datetime,
) -> bool:
    """The money for a series' checkout is in: the receipt, the dates now confirmed (or
    awaiting approval), and the dates whose part is refunded."""
    return await series_summary(
        session,
        series_id,
        "paid",
        now,
        key=f"series-{series_id}-paid-{payment.id}",
        payment=payment,
        paid=paid,
        refunded=refunded,
    )


async def series_decided(
    session: AsyncSession, series_id: int, decided: Sequence[Booking], *, approved: bool, reason: str, now: datetime
) -> bool:
    """Staff approved or rejected these dates of the series (all that waited, or one): one
    mail. Each date is decided once, so the first one's id keys the decision."""
    occasion = "approved" if approved else "rejected"
    return await series_summary(
        session,
        series_id,
        occasion,
        now,
        decided=decided,
        reason=reason,
        key=f"series-{series_id}-{occasion}-{decided[0].id}",
    )
