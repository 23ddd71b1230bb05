"""What a caretaker needs to know: who comes to the buildings they look after, when,
how many, for whom, and how to reach the contact person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, Building, Premises
from booking.domain.intervals import Interval
from booking.domain.lifecycle import Status
from common.localtime import local_day_start, to_local

# A caretaker prepares for what is confirmed and for what may still be approved.
SHOWN = (Status.CONFIRMED.value, Status.REQUESTED.value)


@dataclass(frozen=True)
class BuildingRota:
    building: Building
    days: list[tuple[date, list[Booking]]]  # every day of the week, empty days included


async def buildings_of(session: AsyncSession, caretaker_id: int | None) -> list[Building]:
    """The buildings one caretaker looks after; None: every building (administrators)."""
    query = select(Building).order_by(Building.name)
    if caretaker_id is not None:
        query = query.where(Building.caretaker_id == caretaker_id)
    return list((await session.execute(query)).scalars().unique())


async def week_rota(session: AsyncSession, buildings: list[Building], monday: date) -> list[BuildingRota]:
    days = [monday + timedelta(days=n) for n in range(7)]
    window = Interval(local_day_start(days[0]), local_day_start(days[-1] + timedelta(days=1)))
    rows = (
        list(
            (
                await session.execute(
                    select(Booking)
                    .join(Premises, Premises.id == Booking.premises_id)
                    .where(
                        Premises.building_id.in_([b.id for b in buildings]),
                        Booking.status.in_(SHOWN),
                        Booking.start_at < window.end,
                        Booking.end_at > window.start,
                    )
                    .order_by(Booking.start_at, Premises.name)
                )
            )
            .scalars()
            .unique()
        )
        if buildings
        else []
    )
    result = []
    for building in buildings:
        mine = [b for b in rows if b.premises.building_id == building.id]
        per_day = []
        for day in days:
            start, end = local_day_start(day), local_day_start(day + timedelta(days=1))
            per_day.append((day, [b for b in mine if b.start_at < end and b.end_at > start]))
        result.append(BuildingRota(building, per_day))
    return result


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_today(now) -> date:
    return to_local(now).date()
