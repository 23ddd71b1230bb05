"""Usage reports for a period of local dates: hours booked and utilisation per district,
department and tariff category; the share of hours that go to children and youth, to
voluntary organisations and to self-organised activity; and revenue.

Definitions (so the numbers can be checked by hand):
- hours booked: confirmed bookings, the part of each that falls inside the period;
- open hours: each premises' opening hours in the period (season and public-holiday
  closing included, closures not subtracted); a divisible hall and its parts each
  count as premises of their own;
- utilisation: hours booked / open hours;
- children and youth: bookings with target group children and youth;
- voluntary organisations: the customer group the quote derived was `frivillig`;
- self-organised: booked without an organisation;
- revenue: the price total of confirmed bookings that start in the period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, Department, District, Premises
from booking.domain.availability import open_intervals
from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from booking.domain.lifecycle import Status
from booking.services.catalogue import rules_of
from common.localtime import local_day_start

MAX_DAYS = 366
SECONDS_PER_HOUR = Decimal(3600)
TENTHS = Decimal("0.1")


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @classmethod
    def of(cls, first: date, last: date) -> "Period":
        if last < first:
            raise DomainError(
                "period_reversed",
                "Til-datoen må være samme dag som eller etter fra-datoen.",
                "The end date must not be before the start date.",
            )
        if (last - first).days + 1 > MAX_DAYS:
            raise DomainError(
                "period_too_long",
                f"En rapport kan dekke høyst {MAX_DAYS} dager.",
                f"A report covers at most {MAX_DAYS} days.",
            )
        return cls(first, last)

    @property
    def window(self) -> Interval:
        return Interval(local_day_start(self.first), local_day_start(self.last + timedelta(days=1)))


@dataclass
class Row:
    key: str
    label: str
    booked_seconds: int = 0
    open_seconds: int = 0
    bookings: int = 0
    revenue: Decimal = Decimal(0)

    @property
    def booked_hours(self) -> Decimal:
        return (Decimal(self.booked_seconds) / SECONDS_PER_HOUR).quantize(TENTHS)

    @property
    def open_hours(self) -> Decimal:
        return (Decimal(self.open_seconds) / SECONDS_PER_HOUR).quantize(TENTHS)

    @property
    def utilisation(self) -> Decimal | None:
        """Percent, one decimal; None when the premises were never open."""
        if not self.open_seconds:
            return None
        return (Decimal(self.booked_seconds) * 100 / Decimal(self.open_seconds)).quantize(TENTHS)


@dataclass
class Share:
    key: str
    label: str
    seconds: int = 0
    of_seconds: int = 0

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.seconds) / SECONDS_PER_HOUR).quantize(TENTHS)

    @property
    def percent(self) -> Decimal | None:
        if not self.of_seconds:
            return None
        return (Decimal(self.seconds) * 100 / Decimal(self.of_seconds)).quantize(TENTHS)


@dataclass
class UsageReport:
    period: Period
    by_district: list[Row]
    by_department: list[Row]
    by_category: list[Row]
    total: Row
    shares: list[Share] = field(default_factory=list)


def _seconds(interval: Interval) -> int:
    return int(interval.duration.total_seconds())


async def usage_report(session: AsyncSession, period: Period, category_names: dict[str, str]) -> UsageReport:
    window = period.window
    premises = list((await session.execute(select(Premises))).scalars().unique())
    districts = {d.id: d.name for d in (await session.execute(select(District))).scalars()}
    departments = {d.id: d.name for d in (await session.execute(select(Department))).scalars()}
    groups: dict[str, dict[str, Row]] = {"district": {}, "department": {}, "category": {}}
    total = Row("total", "Alle lokaler")

    def rows_of(p: Premises) -> list[Row]:
        keys = (
            ("district", str(p.building.district_id), districts.get(p.building.district_id, "")),
            ("department", str(p.building.department_id), departments.get(p.building.department_id, "")),
            ("category", p.tariff_category, category_names.get(p.tariff_category, p.tariff_category)),
        )
        return [groups[kind].setdefault(key, Row(key, label)) for kind, key, label in keys] + [total]

    by_premises = {}
    for p in premises:
        rows = by_premises[p.id] = rows_of(p)
        opened = sum(_seconds(span) for span in open_intervals(rules_of(p), window))
        for row in rows:
            row.open_seconds += opened

    bookings = (
        await session.execute(
            select(
                Booking.premises_id,
                Booking.start_at,
                Booking.end_at,
                Booking.price_total,
                Booking.price_snapshot,
                Booking.organisation_id,
                Booking.target_group,
            ).where(
                Booking.status == Status.CONFIRMED.value, Booking.start_at < window.end, Booking.end_at > window.start
            )
        )
    ).all()
    shares = {
        key: Share(key, label)
        for key, label in (
            ("children_youth", "Barn og unge"),
            ("voluntary", "Frivillige organisasjoner"),
            ("self_organised", "Egenorganisert aktivitet"),
        )
    }
    for b in bookings:
        inside = Interval(max(b.start_at, window.start), min(b.end_at, window.end))
        seconds = _seconds(inside)
        starts_inside = window.start <= b.start_at < window.end
        for row in by_premises.get(b.premises_id, []):
            row.booked_seconds += seconds
            if starts_inside:
                row.bookings += 1
                row.revenue += Decimal(b.price_total or 0)
        group = (b.price_snapshot or {}).get("customer_group")
        for key, applies in (
            ("children_youth", b.target_group == "children_youth"),
            ("voluntary", group == "frivillig"),
            ("self_organised", b.organisation_id is None),
        ):
            if applies:
                shares[key].seconds += seconds
    for share in shares.values():
        share.of_seconds = total.booked_seconds

    def ordered(kind: str) -> list[Row]:
        return sorted(groups[kind].values(), key=lambda row: row.label)

    return UsageReport(
        period, ordered("district"), ordered("department"), ordered("category"), total, list(shares.values())
    )


CSV_HEADER = ["dimensjon", "gruppe", "timer_booket", "timer_apent", "utnyttelse_prosent", "bestillinger", "inntekt_kr"]


def report_csv_rows(report: UsageReport) -> list[list[str]]:
    """Machine-readable: decimal points, no thousands separators, UTF-8."""

    def line(dimension: str, row: Row) -> list[str]:
        utilisation = row.utilisation
        return [
            dimension,
            row.label,
            str(row.booked_hours),
            str(row.open_hours),
            "" if utilisation is None else str(utilisation),
            str(row.bookings),
            str(row.revenue),
        ]

    rows = [CSV_HEADER]
    for dimension, items in (
        ("kommunedel", report.by_district),
        ("virksomhet", report.by_department),
        ("takstkategori", report.by_category),
    ):
        rows += [line(dimension, row) for row in items]
    rows.append(line("totalt", report.total))
    for share in report.shares:
        percent = share.percent
        rows.append(["andel", share.label, str(share.hours), "", "" if percent is None else str(percent), "", ""])
    return rows
