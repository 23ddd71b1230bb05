"""The benchmark's municipality: 50 always-open premises in five buildings, each
building with seven rooms or outdoor areas and one divisible hall (whole + two halves),
plus the people who book. Varied capacity, equipment and universal design give the
search filters something to choose between."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from booking.db.engine import write_transaction
from booking.db.models import (
    Building,
    Department,
    District,
    Membership,
    Organisation,
    Person,
    Premises,
)
from booking.domain.premises import ACCESSIBILITY, EQUIPMENT
from tests.world import ALWAYS_OPEN, CREATED

DISTRICTS = ("bragernes", "stromso", "konnerud")
BUILDINGS = 5
ROOMS_PER_BUILDING = 7
PEOPLE = 16


@dataclass(frozen=True)
class Timeline:
    """Premises that share atomic units, so bookings on any of them must not overlap:
    a single room, or a hall with its two halves."""

    slugs: tuple[str, ...]
    premises_ids: tuple[int, ...]
    units: tuple[tuple[int, ...], ...]  # per premises: the atomic units it claims
    buffers: tuple[tuple[int, int], ...]  # per premises: (before, after) minutes


@dataclass(frozen=True)
class BenchWorld:
    timelines: tuple[Timeline, ...]
    person_ids: tuple[int, ...]
    organisation_id: int

    @property
    def premises_count(self) -> int:
        return sum(len(t.slugs) for t in self.timelines)


def _premises_fields(rng: random.Random, kind: str) -> dict:
    equipment = sorted(rng.sample(sorted(EQUIPMENT), rng.randint(1, 5)))
    flags = {key: rng.random() < 0.5 for key in ACCESSIBILITY}
    buffer = rng.choice((0, 15, 15, 30))
    return dict(
        kind=kind,
        tariff_category="moterom" if kind == "room" else "idrettshall",
        capacity=rng.choice((8, 12, 20, 30, 60, 120)) if kind != "hall" else 200,
        area_m2=rng.randint(15, 400),
        equipment=equipment,
        opening_hours=ALWAYS_OPEN,
        slot_minutes=15,
        min_minutes=30,
        max_minutes=12 * 60,
        buffer_before=buffer,
        buffer_after=buffer,
        requires_approval=rng.random() < 0.2,
        **flags,
    )


async def build_bench_world(sessions, seed: int = 7) -> BenchWorld:
    rng = random.Random(seed)
    async with sessions() as s, write_transaction(s):
        districts = [District(slug=slug, name=slug.title()) for slug in DISTRICTS]
        departments = [Department(slug=slug, name=slug.title(), kind=slug) for slug in ("school", "culture", "sport")]
        s.add_all(districts + departments)
        await s.flush()
        groups: list[list[Premises]] = []
        for b in range(BUILDINGS):
            building = Building(
                slug=f"bygg-{b}",
                name=f"Bygg {b}",
                address=f"Gata {b}",
                district_id=districts[b % len(districts)].id,
                department_id=departments[b % len(departments)].id,
            )
            s.add(building)
            await s.flush()
            for r in range(ROOMS_PER_BUILDING):
                kind = "outdoor_area" if r == ROOMS_PER_BUILDING - 1 else "room"
                room = Premises(
                    slug=f"rom-{b}-{r}", name=f"Rom {b}.{r}", building_id=building.id, **_premises_fields(rng, kind)
                )
                s.add(room)
                groups.append([room])
            hall = Premises(
                slug=f"hall-{b}", name=f"Hall {b}", building_id=building.id, **_premises_fields(rng, "hall")
            )
            s.add(hall)
            await s.flush()
            halves = [
                Premises(
                    slug=f"hall-{b}-{h}",
                    name=f"Hall {b} {h.upper()}",
                    building_id=building.id,
                    parent_id=hall.id,
                    **{
                        **_premises_fields(rng, "hall"),
                        "capacity": 100,
                        "buffer_before": hall.buffer_before,
                        "buffer_after": hall.buffer_after,
                    },
                )
                for h in "ab"
            ]
            s.add_all(halves)
            groups.append([hall, *halves])
        people = [
            Person(
                name=f"Booker {i}",
                email=f"booker{i}@example.no",
                birth_date=date(1980, 1, 1),
                roles=["person", "delegate"],
            )
            for i in range(PEOPLE)
        ]
        club = Organisation(name="Benk IL", orgnr="974760673", sports_club=True, verified_at=CREATED)
        s.add_all([*people, club])
        await s.flush()
        s.add_all([Membership(organisation_id=club.id, person_id=p.id) for p in people])
        timelines = []
        for group in groups:
            leaves = tuple(p.id for p in group[1:]) or (group[0].id,)
            units = tuple(leaves if p.parent_id is None else (p.id,) for p in group)
            timelines.append(
                Timeline(
                    tuple(p.slug for p in group),
                    tuple(p.id for p in group),
                    units,
                    tuple((p.buffer_before, p.buffer_after) for p in group),
                )
            )
        world = BenchWorld(tuple(timelines), tuple(p.id for p in people), club.id)
    return world
