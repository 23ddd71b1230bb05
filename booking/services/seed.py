"""Loading the sample municipality (seed_data/municipality.toml) and a few hundred
bookings in the coming weeks. Safe to re-run: what exists is left as it is, and
bookings carry idempotency keys, so a second run changes nothing."""
from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.db.engine import write_transaction
from booking.db.models import Building, Department, District, Membership, Organisation, Person, Premises
from booking.domain.localtime import resolve_local, to_local
from booking.domain.organisations import valid_orgnr
from booking.domain.premises import ACCESSIBILITY, OpeningHours
from booking.domain.recurrence import WeeklyPattern
from booking.services.bookings import NewBooking, create_booking
from booking.services.lending import Details, LendingRules
from booking.services.rulebook import REFUSALS
from booking.services.series import create_series
from booking.settings import ROOT

SAMPLE = ROOT / "seed_data" / "municipality.toml"
PURPOSES = ["Styremøte", "Korøvelse", "Trening", "Årsmøte", "Kurs", "Bursdagsfeiring", "Foreldremøte",
            "Sjakkveld", "Dansetrening", "Språkkafé", "Konsert", "Loppemarked"]


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
        ids["district"][d["slug"]] = (await ensure("districts", District, District.slug, d["slug"],
                                                   lambda: District(slug=d["slug"], name=d["name"]))).id
    for d in data["departments"]:
        ids["department"][d["slug"]] = (await ensure(
            "departments", Department, Department.slug, d["slug"],
            lambda: Department(slug=d["slug"], name=d["name"], kind=d["kind"], account_code=d["account_code"]))).id
    for p in data["people"]:
        if p["password"] not in hashes:
            hashes[p["password"]] = hasher.hash(p["password"])
        ids["person"][p["email"]] = (await ensure("people", Person, Person.email, p["email"], lambda: Person(
            name=p["name"], email=p["email"], phone=p["phone"], birth_date=date.fromisoformat(p["birth_date"]),
            roles=p["roles"], language=p["language"], password_hash=hashes[p["password"]],
            department_id=ids["department"].get(p.get("department", ""))))).id
    presets = data["opening_hours_presets"]
    for b in data["buildings"]:
        building = await ensure("buildings", Building, Building.slug, b["slug"], lambda: Building(
            slug=b["slug"], name=b["name"], address=b["address"], postcode=b["postcode"], city=b["city"],
            lat=b["lat"], lon=b["lon"], district_id=ids["district"][b["district"]],
            department_id=ids["department"][b["department"]], caretaker_id=ids["person"][b["caretaker"]]))
        for p in b["premises"]:
            hours = OpeningHours.parse(presets[p["opening_hours"]]).to_data()
            season = p.get("season") or [None, None]
            ids["premises"][p["slug"]] = (await ensure("premises", Premises, Premises.slug, p["slug"], lambda: Premises(
                slug=p["slug"], name=p["name"], building_id=building.id, kind=p["kind"],
                tariff_category=p["tariff_category"], capacity=p["capacity"], area_m2=p["area_m2"],
                equipment=p["equipment"], description_nb=p["description_nb"], description_en=p["description_en"],
                opening_hours=hours, season_first=season[0], season_last=season[1],
                slot_minutes=p["slot_minutes"], min_minutes=p["min_minutes"], max_minutes=p["max_minutes"],
                buffer_before=p["buffer_before"], buffer_after=p["buffer_after"],
                requires_approval=p["requires_approval"], closed_on_public_holidays=p["closed_on_public_holidays"],
                parent_id=ids["premises"].get(p.get("parent", "")),
                **{key: key in p["accessibility"] for key in ACCESSIBILITY}))).id
    for o in data["organisations"]:
        number = valid_orgnr(o["orgnr"])
        org = await ensure("organisations", Organisation, Organisation.orgnr, number, lambda: Organisation(
            name=o["name"], orgnr=number, works_for_children_youth=o["works_for_children_youth"],
            in_frivillighetsregisteret=o["in_frivillighetsregisteret"], sports_club=o["sports_club"],
            based_in_municipality=o["based_in_municipality"], commercial=o["commercial"], municipal=o["municipal"],
            verified_at=now))
        for email in o["delegates"]:
            person_id = ids["person"][email]
            exists = await session.scalar(select(Membership.id).where(
                Membership.organisation_id == org.id, Membership.person_id == person_id))
            if exists is None:
                session.add(Membership(organisation_id=org.id, person_id=person_id))
    return created


def _aligned(hour: int, minute: int, slot: int) -> time:
    minute -= minute % slot
    return time(hour, minute)


async def seed_sample(sessions: async_sessionmaker[AsyncSession], *, rules: LendingRules, now: datetime,
                      bookings: int = 300, progress: Callable[[str], None] = print) -> SeedReport:
    data = tomllib.loads(Path(SAMPLE).read_text(encoding="utf-8"))
    async with write_transaction(sessions) as session:
        created = await load_catalogue(session, data, now)
    progress(f"catalogue: {created}")
    async with sessions() as session:
        premises = list((await session.execute(select(Premises).order_by(Premises.id))).scalars())
        delegates = list((await session.execute(
            select(Membership.person_id, Membership.organisation_id).order_by(Membership.id))).all())
    # Deterministic: the same draws every run, anchored on the Monday of this week.
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
            premises_slug=room.slug, person_id=person_id, organisation_id=organisation_id,
            start=resolve_local(datetime.combine(day, start)),
            end=resolve_local(datetime.combine(day, start) + timedelta(hours=hours)),
            details=Details(rng.choice(PURPOSES), rng.randrange(5, 40), rng.choice(("children_youth", "adults", "all"))),
            idempotency_key=f"seed-{n}")
        try:
            booking = await create_booking(sessions, new, rules=rules, now=now)
            made += booking.created_at == now  # an earlier run's booking comes back unchanged
        except REFUSALS:
            pass  # the draw broke a rule (closed, taken, too far ahead …): skip it
        if (n + 1) % 50 == 0:
            progress(f"bookings: {n + 1}/{bookings} tried, {made} placed")
    series = await _seed_series(sessions, rules, now, rng, premises, delegates, monday)
    progress(f"series: {series} weekly series")
    return SeedReport(created, made, series)


async def _seed_series(sessions, rules, now, rng, premises, delegates, monday) -> int:
    """A few clubs' weekly training, unless an earlier run already made them."""
    from booking.db.models import BookingSeries
    async with sessions() as session:
        if await session.scalar(select(BookingSeries.id).limit(1)) is not None:
            return 0
    halls = [p for p in premises if p.kind == "hall" and "16:00-22:00" in str(p.opening_hours)] or premises
    made = 0
    for n in range(6):
        room = halls[n % len(halls)]
        person_id, organisation_id = delegates[n * 3 % len(delegates)]
        weekday = n % 5
        pattern = WeeklyPattern((weekday,), time(17 + n % 3), time(18 + n % 3),
                                monday + timedelta(days=7), monday + timedelta(days=7 * 12))
        result = await create_series(sessions, premises_slug=room.slug, pattern=pattern, person_id=person_id,
                                     organisation_id=organisation_id, details=Details("Ukentlig trening", 20,
                                                                                      "children_youth"),
                                     rules=rules, now=now)
        made += result.created > 0
    return made
