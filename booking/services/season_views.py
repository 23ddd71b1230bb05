"""What delegates and caretakers see of seasonal rounds (reads only; the writes are
booking.services.seasons and booking.services.season_publish): the rounds open for
applications, an organisation's application in a round, and after publishing its
allocations with their coming dates and the wishes it did not get. Before a round is
published nothing of the proposal is shown to the organisations: staff review it first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import allocation
from booking.db.models import (
    Booking,
    Organisation,
    Premises,
    Season,
    SeasonAllocation,
    SeasonApplication,
    SeasonDateUnused,
)
from booking.domain.lifecycle import SLOT_HOLDING
from booking.services.season_proposal import reason_of

SHOWN_AFTER_PUBLISHING = ("published", "given_back", "withdrawn")


async def open_rounds(session: AsyncSession, now: datetime) -> list[Season]:
    """Rounds taking applications now, the nearest deadline first."""
    return list(
        (
            await session.execute(
                select(Season)
                .where(Season.state == "open", Season.application_deadline > now)
                .order_by(Season.application_deadline, Season.id)
            )
        ).scalars()
    )


async def application_for(session: AsyncSession, season_id: int, organisation_id: int) -> SeasonApplication | None:
    return (
        await session.execute(
            select(SeasonApplication).where(
                SeasonApplication.season_id == season_id, SeasonApplication.organisation_id == organisation_id
            )
        )
    ).scalar_one_or_none()


async def applications_of(session: AsyncSession, organisation_ids: list[int]) -> list[tuple[Season, SeasonApplication]]:
    """The organisations' applications in every round, with the round, the newest season first."""
    if not organisation_ids:
        return []
    return [
        (season, application)
        for application, season in (
            await session.execute(
                select(SeasonApplication, Season)
                .join(Season, Season.id == SeasonApplication.season_id)
                .where(SeasonApplication.organisation_id.in_(organisation_ids))
                .order_by(Season.starts.desc(), Season.id.desc(), SeasonApplication.organisation_id)
            )
        ).all()
    ]


@dataclass
class AllocationView:
    row: SeasonAllocation
    need: dict  # the need as applied for
    coming: list[Booking]  # dates still to come that hold the slot, the first first
    dates: int  # dates of the allocation that hold the slot, past and coming


@dataclass
class UnmetWish:
    need_index: int
    need: dict
    wish: dict  # {"premises", "weekday", "start", "end"}
    rank: int  # 0-based
    reasons: list[allocation.Reason]


@dataclass
class SeasonOfOrganisation:
    season: Season
    application: SeasonApplication
    organisation: Organisation
    allocations: list[AllocationView] = field(default_factory=list)
    unmet: list[UnmetWish] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return self.season.state == "published"


async def seasons_of(session: AsyncSession, organisation_ids: list[int], now: datetime) -> list[SeasonOfOrganisation]:
    """Each round the organisations applied in; for published rounds their allocations
    (with coming dates) and their unmet wishes with the reasons; nothing of a proposal
    that is not published."""
    result = [
        SeasonOfOrganisation(season, application, application.organisation)
        for season, application in await applications_of(session, organisation_ids)
    ]
    published = {view.application.id: view for view in result if view.published}
    if not published:
        return result
    rows = list(
        (
            await session.execute(
                select(SeasonAllocation)
                .where(
                    SeasonAllocation.application_id.in_(published), SeasonAllocation.state.in_(SHOWN_AFTER_PUBLISHING)
                )
                .order_by(SeasonAllocation.weekday, SeasonAllocation.start_time, SeasonAllocation.id)
            )
        ).scalars()
    )
    series = [row.series_id for row in rows if row.series_id is not None]
    bookings = (
        list(
            (
                await session.execute(
                    select(Booking)
                    .where(Booking.series_id.in_(series), Booking.status.in_([s.value for s in SLOT_HOLDING]))
                    .order_by(Booking.start_at)
                )
            ).scalars()
        )
        if series
        else []
    )
    for row in rows:
        view = published[row.application_id]
        mine = [b for b in bookings if b.series_id == row.series_id]
        view.allocations.append(
            AllocationView(row, view.application.needs[row.need], [b for b in mine if b.start_at > now], len(mine))
        )
    for view in published.values():
        # Kept when the proposal was computed; a wish staff granted since then is not unmet.
        granted = {(shown.row.need, shown.row.wish) for shown in view.allocations}
        for unmet in (view.season.proposal or {}).get("unmet", []):
            if unmet["application_id"] != view.application.id or (unmet["need"], unmet["wish"]) in granted:
                continue
            need = view.application.needs[unmet["need"]]
            view.unmet.append(
                UnmetWish(
                    unmet["need"],
                    need,
                    need["wishes"][unmet["wish"]],
                    unmet["wish"],
                    [reason_of(r) for r in unmet["reasons"]],
                )
            )
    return result


async def premises_names(session: AsyncSession, slugs: set[str]) -> dict[str, str]:
    if not slugs:
        return {}
    return dict((await session.execute(select(Premises.slug, Premises.name).where(Premises.slug.in_(slugs)))).all())


@dataclass(frozen=True)
class SeasonMarks:
    seasonal: frozenset[int]  # bookings that are dates of a seasonal allocation
    unused: frozenset[int]  # of those, the ones a caretaker marked as not used


async def season_marks(session: AsyncSession, bookings: list[Booking]) -> SeasonMarks:
    """For the caretaker's list: which bookings are seasonal dates, and which are marked not used."""
    series = {b.series_id for b in bookings if b.series_id is not None}
    if not series:
        return SeasonMarks(frozenset(), frozenset())
    seasonal_series = set(
        (
            await session.execute(select(SeasonAllocation.series_id).where(SeasonAllocation.series_id.in_(series)))
        ).scalars()
    )
    seasonal = frozenset(b.id for b in bookings if b.series_id in seasonal_series)
    unused = (
        frozenset(
            (
                await session.execute(
                    select(SeasonDateUnused.booking_id).where(SeasonDateUnused.booking_id.in_(seasonal))
                )
            ).scalars()
        )
        if seasonal
        else frozenset()
    )
    return SeasonMarks(seasonal, unused)
