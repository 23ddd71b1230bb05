"""A small, fixed municipality for integration tests: one building with a meeting room,
a school classroom and a divisible hall (whole + two halves), a person and a club."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.engine import write_transaction
from booking.db.models import Building, Department, District, Membership, Organisation, Person, Premises

ALWAYS_OPEN = {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
EVENINGS = {d: ["16:00-22:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


@cache
def password_hash(password: str) -> str:
    """A test password's argon2 hash, made once a run with argon2's cheapest parameters:
    logging in verifies it as it verifies any hash (the parameters are part of the hash),
    in a millisecond instead of the tenth of a second the app's own parameters take on
    purpose. Accounts made through the app (`create_person`) keep the app's parameters."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(password)


@dataclass
class World:
    person_id: int
    minor_id: int
    organisation_id: int
    room: str = "motesalen"
    classroom: str = "klasserom-1"
    hall: str = "hallen"
    half_a: str = "hallen-a"
    half_b: str = "hallen-b"


async def build_world(session: AsyncSession) -> World:
    """Written as the app writes: in a write transaction."""
    async with write_transaction(session) as s:
        return await _add_world(s)


async def _add_world(s: AsyncSession) -> World:
    district = District(slug="bragernes", name="Bragernes")
    school = Department(slug="skole", name="Skoler", kind="school")
    sport = Department(slug="idrett", name="Idrett", kind="sport")
    s.add_all([district, school, sport])
    await s.flush()
    building = Building(
        slug="bygget", name="Bygget", address="Torget 1", district_id=district.id, department_id=sport.id
    )
    s.add(building)
    await s.flush()
    common = dict(building_id=building.id, capacity=20, area_m2=40, equipment=["projector"])
    s.add(
        Premises(
            slug="motesalen",
            name="Møtesalen",
            kind="room",
            tariff_category="moterom",
            opening_hours=ALWAYS_OPEN,
            slot_minutes=15,
            min_minutes=15,
            max_minutes=72 * 60,
            buffer_before=15,
            buffer_after=15,
            step_free_access=True,
            **common,
        )
    )
    s.add(
        Premises(
            slug="klasserom-1",
            name="Klasserom 1",
            kind="room",
            tariff_category="klasserom",
            opening_hours=EVENINGS,
            slot_minutes=30,
            min_minutes=60,
            max_minutes=240,
            closed_on_public_holidays=True,
            **common,
        )
    )
    hall = Premises(
        slug="hallen",
        name="Hallen",
        kind="hall",
        tariff_category="idrettshall",
        opening_hours=ALWAYS_OPEN,
        **{**common, "capacity": 200},
    )
    s.add(hall)
    await s.flush()
    for half in "ab":
        s.add(
            Premises(
                slug=f"hallen-{half}",
                name=f"Hallen {half.upper()}",
                kind="hall",
                tariff_category="idrettshall_del",
                parent_id=hall.id,
                opening_hours=ALWAYS_OPEN,
                **{**common, "capacity": 100},
            )
        )
    person = Person(
        name="Kari Nordmann", email="kari@example.no", birth_date=date(1980, 5, 1), roles=["person", "delegate"]
    )
    minor = Person(name="Ola Ung", email="ola@example.no", birth_date=date(2012, 5, 1), roles=["person"])
    club = Organisation(
        name="Bragernes IL", orgnr="974760673", works_for_children_youth=True, sports_club=True, verified_at=CREATED
    )  # checked by staff: its bookings need no approval for that
    s.add_all([person, minor, club])
    await s.flush()
    s.add(Membership(organisation_id=club.id, person_id=person.id))
    return World(person.id, minor.id, club.id)
