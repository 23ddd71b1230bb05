"""The invoice export for the municipality's accounting: the invoice bookings completed
in a month, as CSV, each booking exported exactly once. A booking is completed in the
month its end falls in (Oslo time), so once the month is over nothing more can join it;
an export for the same month again gives the same file and marks nothing again."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

import pricing
from booking.db.engine import write_transaction
from booking.db.models import Booking, InvoiceExport, Organisation, Person, Premises
from booking.domain.errors import DomainError
from booking.domain.lifecycle import Status
from booking.notify import booking_reference
from booking.services.refunds import money
from common.localtime import OSLO, local_day_start

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Years the service can export; far outside them the date arithmetic itself fails (year 1, 9999).
FIRST_YEAR, LAST_YEAR = 2000, 2999
CENTS = Decimal("0.01")
COLUMNS = (
    "orgnr",
    "organisation",
    "our_reference",
    "booking_id",
    "completed",
    "premises",
    "department",
    "account_code",
    "line_code",
    "line",
    "quantity",
    "unit",
    "rate",
    "amount_ex_vat",
    "vat_rate",
    "vat",
    "amount",
    "contact",
    "contact_email",
)
INVOICED_STATUSES = (Status.CONFIRMED.value, Status.CANCELLED.value)


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of a month in Oslo time."""
    match = PERIOD.match(period or "")
    if not match:
        raise DomainError(
            "invalid_period",
            "Perioden skrives ÅÅÅÅ-MM, for eksempel 2026-11.",
            "The period is written YYYY-MM, e.g. 2026-11.",
            period=period,
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(
            "invalid_period",
            f"Perioden må ligge mellom år {FIRST_YEAR} og {LAST_YEAR}.",
            f"The period must be in a year from {FIRST_YEAR} to {LAST_YEAR}.",
            period=period,
        )
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return local_day_start(first), local_day_start(following)


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENTS))


async def amount_to_invoice(session: AsyncSession, booking: Booking) -> Decimal:
    """The price, less what was credited; a cancelled booking leaves only its fee."""
    if booking.payment_method != "invoice" or booking.status not in INVOICED_STATUSES:
        return Decimal(0)
    if booking.status == Status.CANCELLED.value:
        return (await money(session, booking))["fee"]
    return max(Decimal(booking.price_total or 0) - (await money(session, booking))["credited"], Decimal(0))


def _lines(booking: Booking, amount: Decimal) -> list[dict]:
    if booking.status == Status.CANCELLED.value:
        return [
            {
                "line_code": "avbestillingsgebyr",
                "line": "Avbestillingsgebyr",
                "quantity": "1",
                "unit": "booking",
                "rate": _money(amount),
                "amount_ex_vat": _money(amount),
                "vat_rate": "0",
                "vat": _money(Decimal(0)),
                "amount": _money(amount),
            }
        ]
    if not booking.price_snapshot:
        return [
            {
                "line_code": "leie",
                "line": "Leie",
                "quantity": "1",
                "unit": "booking",
                "rate": _money(amount),
                "amount_ex_vat": _money(amount),
                "vat_rate": "0",
                "vat": _money(Decimal(0)),
                "amount": _money(amount),
            }
        ]
    quote = pricing.Quote.from_snapshot(booking.price_snapshot)
    return [
        {
            "line_code": line.code,
            "line": line.text_nb,
            "quantity": str(line.quantity),
            "unit": line.unit,
            "rate": _money(line.rate * line.factor),
            "amount_ex_vat": _money(line.amount),
            "vat_rate": str(line.vat_rate),
            "vat": _money(line.vat),
            "amount": _money(line.amount + line.vat),
        }
        for line in quote.lines
    ]


async def _mark_new(session: AsyncSession, period: str, start: datetime, end: datetime, now: datetime) -> int:
    candidates = (
        (
            await session.execute(
                select(Booking)
                .where(
                    Booking.payment_method == "invoice",
                    Booking.status.in_(INVOICED_STATUSES),
                    Booking.end_at > start,
                    Booking.end_at <= end,
                    ~Booking.id.in_(select(InvoiceExport.booking_id)),
                )
                .order_by(Booking.id)
            )
        )
        .scalars()
        .all()
    )
    dialect = postgresql if (await session.connection()).dialect.name == "postgresql" else sqlite
    marked = 0
    for booking in candidates:
        if await amount_to_invoice(session, booking) <= 0:
            continue  # cancelled free of charge: nothing to invoice
        result = await session.execute(
            dialect.insert(InvoiceExport)
            .values(booking_id=booking.id, period=period, exported_at=now)
            .on_conflict_do_nothing(index_elements=["booking_id"])
        )
        marked += result.rowcount or 0
    return marked


async def export_invoices(session: AsyncSession, period: str, *, now: datetime) -> bytes:
    """The CSV for `period` (YYYY-MM), once the month is over. New completed invoice
    bookings are marked as exported in this period; the file lists every booking
    marked for the period, so running it again gives the same bytes."""
    start, end = period_bounds(period)
    if now < end:
        raise DomainError(
            "period_not_ended",
            f"Perioden {period} er ikke over ennå.",
            f"The period {period} has not ended yet.",
            period=period,
        )
    async with write_transaction(session):
        await _mark_new(session, period, start, end, now)
        bookings = (
            (
                await session.execute(
                    select(Booking)
                    .join(InvoiceExport, InvoiceExport.booking_id == Booking.id)
                    .where(InvoiceExport.period == period)
                    .order_by(Booking.id)
                )
            )
            .scalars()
            .unique()
            .all()
        )
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for booking in bookings:
            organisation = await session.get(Organisation, booking.organisation_id)
            person = await session.get(Person, booking.person_id)
            premises = await session.get(Premises, booking.premises_id)
            department = premises.building.department
            common = {
                "orgnr": organisation.orgnr if organisation else "",
                "organisation": organisation.name if organisation else "",
                "our_reference": booking_reference(booking.id),
                "booking_id": booking.id,
                "completed": booking.end_at.astimezone(OSLO).date().isoformat(),
                "premises": premises.name,
                "department": department.name,
                "account_code": department.account_code,
                "contact": person.name,
                "contact_email": person.email,
            }
            for line in _lines(booking, await amount_to_invoice(session, booking)):
                writer.writerow({**common, **line})
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class InvoiceStatus:
    """For staff, per booking: what will be (or was) invoiced, and when it was exported."""

    booking_id: int
    amount: Decimal
    credited: Decimal
    exported_period: str | None
    exported_at: datetime | None

    @property
    def state(self) -> str:
        if self.exported_period:
            return "exported"
        return "to_invoice" if self.amount > 0 else "nothing_to_invoice"


async def invoice_status(session: AsyncSession, booking_id: int) -> InvoiceStatus | None:
    """None when the booking is not paid by invoice."""
    booking = await session.get(Booking, booking_id)
    if booking is None or booking.payment_method != "invoice":
        return None
    export = await session.scalar(select(InvoiceExport).where(InvoiceExport.booking_id == booking_id))
    return InvoiceStatus(
        booking_id,
        await amount_to_invoice(session, booking),
        (await money(session, booking))["credited"],
        export.period if export else None,
        export.exported_at if export else None,
    )
