"""Seasonal allocation rounds: staff set a season up (dates, excluded periods, premises
and their seasonal hours), open and close it; delegates of checked organisations apply
with their needs and ranked wishes until the deadline. The proposal, staff review and
publishing are in booking.services.season_proposal and booking.services.season_publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import allocation
from booking.db.engine import write_transaction
from booking.db.models import Premises, Season, SeasonAllocation, SeasonApplication, SeasonPremises
from booking.domain.errors import DomainError, Forbidden, InvalidTransition, NotFound
from booking.domain.premises import WEEKDAYS, OpeningHours
from booking.notify.season_mail import application_received
from booking.services.bookings import booker
from booking.services.catalogue import families
from common.localtime import local_day_start

STATES = ("draft", "open", "closed", "published")
# Which state each staff action moves a season to, and from where.
MOVES = {"open": ("draft", "open"), "close": ("open", "closed")}
MAX_NEEDS = 60


@dataclass(frozen=True)
class SeasonSetup:
    name: str
    starts: date
    ends: date
    application_deadline: datetime  # aware
    premises: tuple[str, ...]  # slugs
    seasonal_hours: dict[str, list[str]]  # {"mon": ["16:00-22:30"], …}, for every premises of the round
    excluded: tuple[tuple[date, date], ...] = ()
    # Other hours for some premises of the round (a school gym free from 17:00, say), by slug.
    premises_hours: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def hours_of(self, slug: str) -> dict[str, list[str]]:
        return self.premises_hours.get(slug, self.seasonal_hours)


def _refuse(code: str, nb: str, en: str, **details: Any) -> DomainError:
    return DomainError(code, nb, en, **details)


def check_setup(setup: SeasonSetup) -> None:
    if not setup.name.strip():
        raise _refuse("name_required", "Gi sesongen et navn.", "A season needs a name.")
    if setup.ends < setup.starts:
        raise _refuse(
            "invalid_season_dates",
            "Siste dato må være etter første dato.",
            "The season's last date must not be before its first.",
        )
    if setup.ends - setup.starts > timedelta(days=366):
        raise _refuse("season_too_long", "En sesong kan vare høyst ett år.", "A season lasts one year at most.")
    if setup.application_deadline >= local_day_start(setup.starts):
        raise _refuse(
            "deadline_after_start",
            "Søknadsfristen må være før sesongen starter.",
            "The application deadline must be before the season starts.",
        )
    if not setup.premises:
        raise _refuse("no_premises", "Velg minst ett lokale.", "A round needs at least one premises.")
    unknown = sorted(set(setup.premises_hours) - set(setup.premises))
    if unknown:
        raise _refuse(
            "premises_not_in_round",
            f"Lokalet «{unknown[0]}» har egne sesongtimer, men er ikke med i runden.",
            f"Seasonal hours are given for premises not in the round: {unknown}.",
            slugs=unknown,
        )
    for slug in setup.premises:
        if not any(OpeningHours.parse(setup.hours_of(slug)).windows.values()):
            raise _refuse(
                "no_seasonal_hours",
                "Sett sesongtimer for minst én ukedag.",
                f"Give seasonal hours for at least one weekday ({slug}).",
                premises=slug,
            )
    for first, last in setup.excluded:
        if last < first or first < setup.starts or last > setup.ends:
            raise _refuse(
                "invalid_excluded_period",
                "Et unntatt tidsrom må ligge innenfor sesongen og slutte etter at det starter.",
                f"Excluded period {first}–{last} must lie within the season and not end before it starts.",
            )


async def create_season(session: AsyncSession, setup: SeasonSetup, *, actor_id: int | None, now: datetime) -> Season:
    check_setup(setup)
    async with write_transaction(session):
        found = {
            p.slug: p
            for p in (await session.execute(select(Premises).where(Premises.slug.in_(setup.premises)))).scalars()
        }
        missing = sorted(set(setup.premises) - set(found))
        if missing:
            raise NotFound(
                "unknown_premises", f"Fant ikke lokalet «{missing[0]}».", f"No premises {missing}.", slugs=missing
            )
        season = Season(
            name=setup.name.strip(),
            starts=setup.starts,
            ends=setup.ends,
            application_deadline=setup.application_deadline,
            state="draft",
            excluded=[{"from": a.isoformat(), "to": b.isoformat()} for a, b in setup.excluded],
            created_by_id=actor_id,
            created_at=now,
            updated_at=now,
        )
        session.add(season)
        await session.flush()
        session.add_all(
            [
                SeasonPremises(
                    season_id=season.id,
                    premises_id=found[slug].id,
                    hours=OpeningHours.parse(setup.hours_of(slug)).to_data(),
                )
                for slug in dict.fromkeys(setup.premises)
            ]
        )
    return season


async def get_season(session: AsyncSession, season_id: int) -> Season:
    season = await session.get(Season, season_id)
    if season is None:
        raise NotFound("unknown_season", "Fant ikke sesongen.", f"No season {season_id}.")
    return season


async def round_premises(session: AsyncSession, season_id: int) -> list[SeasonPremises]:
    return list(
        (
            await session.execute(
                select(SeasonPremises)
                .where(SeasonPremises.season_id == season_id)
                .join(Premises)
                .order_by(Premises.name)
            )
        ).scalars()
    )


async def seasons(session: AsyncSession) -> list[Season]:
    return list((await session.execute(select(Season).order_by(Season.starts.desc(), Season.id.desc()))).scalars())


async def move_season(session: AsyncSession, season_id: int, action: str, *, now: datetime) -> Season:
    """`open` a draft round for applications, or `close` an open one (early, or at the
    deadline); the same move again changes nothing."""
    source, target = MOVES[action]
    async with write_transaction(session):
        season = await get_season(session, season_id)
        if season.state == target:
            return season
        if season.state != source:
            raise InvalidTransition(
                "invalid_season_state",
                f"Sesongen er {STATE_NB[season.state]} og kan ikke {ACTION_NB[action]}.",
                f"A season that is {season.state} cannot be {action}ed.",
                state=season.state,
            )
        season.state, season.updated_at = target, now
    return season


STATE_NB = {"draft": "et utkast", "open": "åpen for søknader", "closed": "lukket", "published": "publisert"}
ACTION_NB = {"open": "åpnes", "close": "lukkes"}


def accepting(season: Season, now: datetime) -> bool:
    """Whether applications can be made or changed now."""
    return season.state == "open" and now < season.application_deadline


# --- applications ---------------------------------------------------------------------------


def _minutes(hours: Any, index: int) -> int:
    try:
        value = Decimal(str(hours)) * 60
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value != value.to_integral_value():
        raise _refuse(
            "invalid_hours",
            "Timer per uke må være et tall, som 1,5.",
            f"Need {index}: hours_per_week must be a number of minutes' precision.",
            need=index,
        )
    return int(value)


def _clock(text: Any, index: int) -> int:
    try:
        hours, minutes = str(text).split(":")
        value = int(hours) * 60 + int(minutes)
        if len(minutes) == 2 and 0 <= int(minutes) < 60 and 0 <= value <= 24 * 60:
            return value
    except ValueError:
        pass
    raise _refuse(
        "invalid_time",
        f"Klokkeslettet «{text}» må skrives som TT:MM.",
        f"Need {index}: time {text!r} must be HH:MM.",
        need=index,
    )


def need_from_data(
    data: Any, index: int, *, application_id: int, organisation: str, based_in_municipality: bool
) -> allocation.Need:
    """One need as the API and the form send it ({activity, hall_sport, age_group, …}),
    refused with a stable code when a field is missing or of the wrong kind."""
    if not isinstance(data, dict):
        raise _refuse("invalid_need", "Hvert behov må fylles ut.", f"Need {index} must be an object.", need=index)
    activity = str(data.get("activity") or "").strip()
    if not activity or len(activity) > 200:
        raise _refuse(
            "activity_required",
            "Skriv hvilken aktivitet behovet gjelder (høyst 200 tegn).",
            f"Need {index}: activity is required (at most 200 characters).",
            need=index,
        )
    participants = data.get("participants")
    if not isinstance(participants, int) or isinstance(participants, bool):
        raise _refuse(
            "invalid_participants",
            "Antall aktive deltakere må være et helt tall.",
            f"Need {index}: participants must be a whole number.",
            need=index,
        )
    wishes = data.get("wishes")
    if not isinstance(wishes, list):
        raise _refuse(
            "no_wishes", "Legg til minst ett ønske om tid.", f"Need {index}: wishes must be a list.", need=index
        )
    slots = []
    for rank, wish in enumerate(wishes):
        if not isinstance(wish, dict) or wish.get("weekday") not in WEEKDAYS:
            raise _refuse(
                "invalid_wish",
                "Hvert ønske trenger lokale, ukedag, start og slutt.",
                f"Need {index}, wish {rank}: premises, weekday (mon..sun), start and end are required.",
                need=index,
                wish=rank,
            )
        slots.append(
            allocation.Slot(
                str(wish.get("premises") or ""),
                WEEKDAYS.index(wish["weekday"]),
                _clock(wish.get("start"), index),
                _clock(wish.get("end"), index),
            )
        )
    return allocation.Need(
        application_id=application_id,
        index=index,
        organisation=organisation,
        activity=activity,
        hall_sport=bool(data.get("hall_sport", False)),
        age_group=str(data.get("age_group") or ""),
        disability=bool(data.get("disability", False)),
        participants=participants,
        minutes_per_week=_minutes(data.get("hours_per_week"), index),
        wishes=tuple(slots),
        based_in_municipality=based_in_municipality,
    )


def need_to_data(need: allocation.Need) -> dict[str, Any]:
    def clock(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    hours = Decimal(need.minutes_per_week) / 60
    return {
        "activity": need.activity,
        "hall_sport": need.hall_sport,
        "age_group": need.age_group,
        "disability": need.disability,
        "participants": need.participants,
        "hours_per_week": float(hours) if hours != hours.to_integral_value() else int(hours),
        "wishes": [
            {"premises": w.premises, "weekday": WEEKDAYS[w.weekday], "start": clock(w.start), "end": clock(w.end)}
            for w in need.wishes
        ],
    }


async def premises_of_round(session: AsyncSession, season_id: int) -> dict[str, allocation.RoundPremises]:
    """The round's premises as the allocation core sees them: atomic units (a whole
    divisible hall holds its halves' units), seasonal hours, grid, buffers, district."""
    rows = await round_premises(session, season_id)
    fams = await families(session, {row.premises.building_id for row in rows})
    return {
        row.premises.slug: allocation.RoundPremises(
            slug=row.premises.slug,
            units=frozenset(str(u) for u in fams[row.premises_id].units),
            seasonal_hours=dict(OpeningHours.parse(row.hours).windows),
            slot_minutes=row.premises.slot_minutes,
            buffer_before=row.premises.buffer_before,
            buffer_after=row.premises.buffer_after,
            is_hall=row.premises.kind == "hall",
            district=row.premises.building.district.name,
        )
        for row in rows
    }


@dataclass(frozen=True)
class ApplicationResult:
    id: int
    created: bool  # False: an earlier application of the organisation was changed


async def submit_application(
    session: AsyncSession,
    season_id: int,
    *,
    person_id: int,
    organisation_id: int,
    needs: list[Any],
    rules: allocation.PriorityRules | None,
    now: datetime,
) -> ApplicationResult:
    """Apply, or change the organisation's application, until the deadline. Everything is
    checked before anything is written; a receipt listing what was applied for is mailed."""
    if not isinstance(needs, list) or not needs:
        raise _refuse(
            "no_needs", "Legg til minst ett behov (et lag eller en gruppe).", "An application needs at least one need."
        )
    if organisation_id is None:
        raise _refuse(
            "organisation_required",
            "Velg organisasjonen dere søker for.",
            "Seasonal time is applied for on behalf of an organisation.",
        )
    if len(needs) > MAX_NEEDS:
        raise _refuse(
            "too_many_needs",
            f"En søknad kan ha høyst {MAX_NEEDS} behov.",
            f"An application has at most {MAX_NEEDS} needs.",
        )
    async with write_transaction(session):
        season = await get_season(session, season_id)
        if season.state == "draft":
            raise Forbidden(
                "round_not_open",
                "Søknadsrunden er ikke åpnet ennå.",
                f"Season {season_id} is not open for applications.",
            )
        if not accepting(season, now):
            raise Forbidden(
                "deadline_passed",
                "Søknadsfristen er ute.",
                f"The application deadline of season {season_id} has passed.",
            )
        person, organisation = await booker(session, person_id, organisation_id)
        if organisation.verified_at is None:
            raise Forbidden(
                "organisation_unverified",
                "Organisasjonen må være kontrollert av kommunen før den kan søke om sesongtid.",
                f"Organisation {organisation_id} has not been checked by staff.",
            )
        premises = await premises_of_round(session, season_id)
        existing = (
            await session.execute(
                select(SeasonApplication).where(
                    SeasonApplication.season_id == season_id, SeasonApplication.organisation_id == organisation_id
                )
            )
        ).scalar_one_or_none()
        application_id = existing.id if existing else 0
        parsed = [
            need_from_data(
                data,
                i,
                application_id=application_id,
                organisation=str(organisation_id),
                based_in_municipality=organisation.based_in_municipality,
            )
            for i, data in enumerate(needs)
        ]
        for need in parsed:
            allocation.check_need(need, premises, rules)
        stored = [need_to_data(need) for need in parsed]
        if existing is None:
            existing = SeasonApplication(
                season_id=season_id,
                organisation_id=organisation_id,
                person_id=person.id,
                needs=stored,
                created_at=now,
                updated_at=now,
            )
            session.add(existing)
            created = True
        else:
            existing.needs, existing.person_id, existing.updated_at = stored, person.id, now
            created = False
        await session.flush()
        await application_received(session, existing, person, now)
        return ApplicationResult(existing.id, created)


async def application_of(
    session: AsyncSession, application_id: int, *, person_id: int, staff: bool = False
) -> SeasonApplication:
    """An application, for a delegate of its organisation (or staff)."""
    from booking.db.models import Membership

    application = await session.get(SeasonApplication, application_id)
    if application is None:
        raise NotFound("unknown_application", "Fant ikke søknaden.", f"No application {application_id}.")
    if (
        not staff
        and await session.scalar(
            select(Membership.id).where(
                Membership.organisation_id == application.organisation_id, Membership.person_id == person_id
            )
        )
        is None
    ):
        raise Forbidden(
            "not_a_delegate",
            "Du kan ikke se søknaden til en annen organisasjon.",
            f"Person {person_id} is not a delegate of the application's organisation.",
        )
    return application


async def applications(session: AsyncSession, season_id: int) -> list[SeasonApplication]:
    return list(
        (
            await session.execute(
                select(SeasonApplication).where(SeasonApplication.season_id == season_id).order_by(SeasonApplication.id)
            )
        ).scalars()
    )


async def allocations(
    session: AsyncSession, season_id: int, states: tuple[str, ...] = ("proposed", "published")
) -> list[SeasonAllocation]:
    return list(
        (
            await session.execute(
                select(SeasonAllocation)
                .where(SeasonAllocation.season_id == season_id, SeasonAllocation.state.in_(states))
                .order_by(SeasonAllocation.premises_id, SeasonAllocation.weekday, SeasonAllocation.start_time)
            )
        ).scalars()
    )
