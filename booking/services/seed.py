"""Loading the sample municipality (seed_data/municipality.toml) and a few hundred
bookings in the coming weeks. Safe to re-run: what exists is left as it is, and the
bookings are drawn from the sample file alone (its premises, organisations and
delegates) and placed by the first run only, so a second run changes nothing, whatever
people have added or cancelled on the site in between."""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import (
    Booking,
    Building,
    Department,
    District,
    Membership,
    OpenEvent,
    Organisation,
    Person,
    Premises,
)
from booking.domain.lifecycle import Status
from booking.domain.organisations import valid_orgnr
from booking.domain.premises import ACCESSIBILITY, OpeningHours
from booking.domain.recurrence import WeeklyPattern
from booking.media.store import MediaStore
from booking.services.bookings import NewBooking, create_booking
from booking.services.lending import LendingRules
from booking.services.seed_photos import seed_photos
from booking.services.seed_season import seed_round
from booking.services.series import create_series
from booking.settings import ROOT
from common.errors import CodedError
from common.localtime import resolve_local, to_local
from pricing import BookingDetails

SAMPLE = ROOT / "seed_data" / "municipality.toml"
KEY_PREFIX = "seed-"  # the sample bookings' idempotency keys: seed-0, seed-1, …
PURPOSES = [
    "Styremøte",
    "Korøvelse",
    "Trening",
    "Årsmøte",
    "Kurs",
    "Bursdagsfeiring",
    "Foreldremøte",
    "Sjakkveld",
    "Dansetrening",
    "Språkkafé",
    "Konsert",
    "Loppemarked",
]
# The sample bookings that become open events, by purpose: (title, description).
OPEN_EVENTS = {
    "Konsert": ("Konsert", "Velkommen til konsert! Gratis inngang, kaffe og kaker i pausen."),
    "Loppemarked": ("Loppemarked", "Kjøp og selg brukte ting. Vaffelsalg til inntekt for laget."),
    "Språkkafé": ("Språkkafé – øv på norsk", "Uformell prat på norsk over en kopp kaffe. Alle nivåer er velkomne."),
    "Sjakkveld": ("Åpen sjakkveld", "Ta med en venn, eller finn en motspiller her. Brett og brikker finnes."),
    "Kurs": ("Åpent kurs", "Et kveldskurs for alle som er nysgjerrige. Ingen påmelding."),
}


@dataclass(frozen=True)
class SamplePremises:
    """What the sample bookings need of a sample premises, read from the sample file."""

    slug: str
    kind: str
    slot_minutes: int
    opening_hours: dict


@dataclass
class SeedReport:
    created: dict[str, int]
    bookings: int
    series: int


async def _by_key(session: AsyncSession, model, column, value):
    return (await session.execute(select(model).where(column == value))).scalar_one_or_none()


async def load_catalogue(session: AsyncSession, data: dict, now: datetime) -> dict[str, int]:
    """Districts, departments, people, buildings, premises and organisations, by natural key.
    The sample organisations come checked by staff (verified at `now`), as a municipality's
    known clubs would be."""
    created = dict.fromkeys(("districts", "departments", "people", "buildings", "premises", "organisations"), 0)
    hasher, hashes = PasswordHasher(), {}
    ids: dict[str, dict[str, int]] = {"district": {}, "department": {}, "person": {}, "premises": {}}

    async def ensure(kind, model, column, key, make):
        row = await _by_key(session, model, column, key)
        if row is None:
            row = make()
            session.add(row)
            await session.flush()
            created[kind] += 1
        return row

    for d in data["districts"]:
        ids["district"][d["slug"]] = (
            await ensure(
                "districts", District, District.slug, d["slug"], lambda: District(slug=d["slug"], name=d["name"])
            )
        ).id
    for d in data["departments"]:
        ids["department"][d["slug"]] = (
            await ensure(
                "departments",
                Department,
                Department.slug,
                d["slug"],
                lambda: Department(slug=d["slug"], name=d["name"], kind=d["kind"], account_code=d["account_code"]),
            )
        ).id
    for p in data["people"]:
        if p["password"] not in hashes:
            hashes[p["password"]] = hasher.hash(p["password"])
        ids["person"][p["email"]] = (
            await ensure(
                "people",
                Person,
                Person.email,
                p["email"],
                lambda: Person(
                    name=p["name"],
                    email=p["email"],
                    phone=p["phone"],
                    birth_date=date.fromisoformat(p["birth_date"]),
                    roles=p["roles"],
                    language=p["language"],
                    password_hash=hashes[p["password"]],
                    department_id=ids["department"].get(p.get("department", "")),
                ),
            )
        ).id
    presets = data["opening_hours_presets"]
    for b in data["buildings"]:
        building = await ensure(
            "buildings",
            Building,
            Building.slug,
            b["slug"],
            lambda: Building(
                slug=b["slug"],
                name=b["name"],
                address=b["address"],
                postcode=b["postcode"],
                city=b["city"],
                lat=b["lat"],
                lon=b["lon"],
                district_id=ids["district"][b["district"]],
                department_id=ids["department"][b["department"]],
                caretaker_id=ids["person"][b["caretaker"]],
            ),
        )
        for p in b["premises"]:
            hours = OpeningHours.parse(presets[p["opening_hours"]]).to_data()
            season = p.get("season") or [None, None]
            ids["premises"][p["slug"]] = (
                await ensure(
                    "premises",
                    Premises,
                    Premises.slug,
                    p["slug"],
                    lambda: Premises(
                        slug=p["slug"],
                        name=p["name"],
                        building_id=building.id,
                        kind=p["kind"],
                        tariff_category=p["tariff_category"],
                        capacity=p["capacity"],
                        area_m2=p["area_m2"],
                        equipment=p["equipment"],
                        description_nb=p["description_nb"],
                        description_en=p["description_en"],
                        opening_hours=hours,
                        season_first=season[0],
                        season_last=season[1],
                        slot_minutes=p["slot_minutes"],
                        min_minutes=p["min_minutes"],
                        max_minutes=p["max_minutes"],
                        buffer_before=p["buffer_before"],
                        buffer_after=p["buffer_after"],
                        requires_approval=p["requires_approval"],
                        closed_on_public_holidays=p["closed_on_public_holidays"],
                        parent_id=ids["premises"].get(p.get("parent", "")),
                        **{key: key in p["accessibility"] for key in ACCESSIBILITY},
                    ),
                )
            ).id
    for o in data["organisations"]:
        number = valid_orgnr(o["orgnr"])
        org = await ensure(
            "organisations",
            Organisation,
            Organisation.orgnr,
            number,
            lambda: Organisation(
                name=o["name"],
                orgnr=number,
                works_for_children_youth=o["works_for_children_youth"],
                in_frivillighetsregisteret=o["in_frivillighetsregisteret"],
                sports_club=o["sports_club"],
                based_in_municipality=o["based_in_municipality"],
                commercial=o["commercial"],
                municipal=o["municipal"],
                verified_at=now,
            ),
        )
        for email in o["delegates"]:
            person_id = ids["person"][email]
            exists = await session.scalar(
                select(Membership.id).where(Membership.organisation_id == org.id, Membership.person_id == person_id)
            )
            if exists is None:
                session.add(Membership(organisation_id=org.id, person_id=person_id))
    return created


def _aligned(hour: int, minute: int, slot: int) -> time:
    minute -= minute % slot
    return time(hour, minute)


def sample_premises(data: dict) -> list[SamplePremises]:
    """The sample file's premises, in file order."""
    presets = data["opening_hours_presets"]
    return [
        SamplePremises(
            p["slug"], p["kind"], p["slot_minutes"], OpeningHours.parse(presets[p["opening_hours"]]).to_data()
        )
        for b in data["buildings"]
        for p in b["premises"]
    ]


async def sample_delegates(session: AsyncSession, data: dict) -> list[tuple[int, int]]:
    """(person id, organisation id) of each sample organisation's sample delegates, in
    file order. Only the sample file decides the list, so organisations and memberships
    people add on the site never change the draws nor get sample bookings."""
    people = dict(
        (
            await session.execute(
                select(Person.email, Person.id).where(Person.email.in_([p["email"] for p in data["people"]]))
            )
        ).all()
    )
    numbers = {o["orgnr"]: valid_orgnr(o["orgnr"]) for o in data["organisations"]}
    organisations = dict(
        (
            await session.execute(
                select(Organisation.orgnr, Organisation.id).where(Organisation.orgnr.in_(list(numbers.values())))
            )
        ).all()
    )
    return [
        (people[email], organisations[numbers[o["orgnr"]]]) for o in data["organisations"] for email in o["delegates"]
    ]


async def seed_sample(
    session: AsyncSession,
    *,
    rules: LendingRules,
    media: MediaStore,
    now: datetime,
    bookings: int = 300,
    progress: Callable[[str], None] = print,
) -> SeedReport:
    data = tomllib.loads(Path(SAMPLE).read_text(encoding="utf-8"))
    async with write_transaction(session):
        created = await load_catalogue(session, data, now)
    progress(f"catalogue: {created}")
    premises = sample_premises(data)
    progress(f"pictures: {await seed_photos(session, media, [p.slug for p in premises], now=now)} drawn")
    delegates = await sample_delegates(session, data)
    placed_before = (
        await session.scalar(
            select(Booking.id).where(Booking.idempotency_key.startswith(KEY_PREFIX, autoescape=True)).limit(1)
        )
        is not None
    )
    # Once placed, the sample bookings are left alone: a draw an earlier run could not place
    # (the slot was taken) might fit now that someone has cancelled, and would be new.
    if placed_before:
        made = 0
        progress("bookings: placed by an earlier run, left as they are")
    else:
        made = await _seed_bookings(session, rules, now, bookings, premises, delegates, progress)
    events = await _seed_open_events(session, now)
    progress(f"open events: {events} new")
    monday = to_local(now).date() - timedelta(days=to_local(now).weekday())
    series = await _seed_series(session, rules, now, premises, delegates, monday)
    progress(f"series: {series} weekly series")
    applications = await seed_round(session, rules=rules, now=now, delegates=delegates)
    progress(f"seasonal round: {applications} new applications")
    return SeedReport(created, made, series)


async def _seed_bookings(session, rules, now, bookings, premises, delegates, progress) -> int:
    """About `bookings` bookings in the coming weeks. Deterministic: the same draws every
    run, from the sample data alone (never from what people have added since), anchored
    on the Monday of this week."""
    rng = random.Random(2026)
    monday = to_local(now).date() - timedelta(days=to_local(now).weekday())
    made = 0
    for n in range(bookings):
        room = rng.choice(premises)
        person_id, organisation_id = rng.choice(delegates)
        day = monday + timedelta(days=rng.randrange(7, 49))
        start = _aligned(rng.randrange(9, 21), rng.randrange(60), room.slot_minutes)
        hours = rng.choice((1, 2, 2, 3))
        new = NewBooking(
            premises_slug=room.slug,
            person_id=person_id,
            organisation_id=organisation_id,
            start=resolve_local(datetime.combine(day, start)),
            end=resolve_local(datetime.combine(day, start) + timedelta(hours=hours)),
            details=BookingDetails(
                rng.choice(PURPOSES), rng.randrange(5, 40), rng.choice(("children_youth", "adults", "all"))
            ),
            idempotency_key=f"{KEY_PREFIX}{n}",
        )
        try:
            booking = await create_booking(session, new, rules=rules, now=now)
            made += booking.created_at == now  # not one that a run alongside placed first
        except CodedError:
            pass  # the draw broke a rule (closed, taken, too far ahead …): skip it
        if (n + 1) % 50 == 0:
            progress(f"bookings: {n + 1}/{bookings} tried, {made} placed")
    return made


async def _seed_open_events(session, now) -> int:
    """A few confirmed sample bookings (two per kind of gathering others may join) become
    open events on "Hva skjer", unless an earlier run has made sample events already."""
    async with write_transaction(session):
        sample = Booking.idempotency_key.startswith(KEY_PREFIX, autoescape=True)
        if (
            await session.scalar(
                select(OpenEvent.id).join(Booking, Booking.id == OpenEvent.booking_id).where(sample).limit(1)
            )
            is not None
        ):
            return 0
        candidates = (
            (
                await session.execute(
                    select(Booking)
                    .where(
                        sample,
                        Booking.status == Status.CONFIRMED.value,
                        Booking.start_at > now,
                        Booking.purpose.in_(list(OPEN_EVENTS)),
                    )
                    .order_by(Booking.start_at, Booking.id)
                )
            )
            .scalars()
            .unique()
        )
        made: dict[str, int] = {}
        for booking in candidates:
            if made.get(booking.purpose, 0) == 2:
                continue
            made[booking.purpose] = made.get(booking.purpose, 0) + 1
            title, description = OPEN_EVENTS[booking.purpose]
            session.add(
                OpenEvent(
                    booking_id=booking.id,
                    title=title,
                    description=description,
                    created_by_id=booking.person_id,
                    audience="children_youth" if booking.target_group == "children_youth" else "all",
                    created_at=now,
                    updated_at=now,
                )
            )
    return sum(made.values())


async def _seed_series(session, rules, now, premises, delegates, monday) -> int:
    """A few clubs' weekly training, unless an earlier run already made them."""
    from booking.db.models import BookingSeries

    if await session.scalar(select(BookingSeries.id).limit(1)) is not None:
        return 0
    halls = [p for p in premises if p.kind == "hall" and "16:00-22:00" in str(p.opening_hours)] or premises
    made = 0
    for n in range(6):
        room = halls[n % len(halls)]
        person_id, organisation_id = delegates[n * 3 % len(delegates)]
        weekday = n % 5
        pattern = WeeklyPattern(
            (weekday,), time(17 + n % 3), time(18 + n % 3), monday + timedelta(days=7), monday + timedelta(days=7 * 12)
        )
        result = await create_series(
            session,
            premises_slug=room.slug,
            pattern=pattern,
            person_id=person_id,
            organisation_id=organisation_id,
            details=BookingDetails("Ukentlig trening", 20, "children_youth"),
            rules=rules,
            now=now,
        )
        made += result.created > 0
    return made
