"""`python -m tests.bench.seasons`: a seasonal round the size of a city of 100,000 (40
halls, gyms and rooms, some divisible; 250 needs with three wishes each, from about 100
organisations), through the real services on each database: applications, the
proposal (solver and all) and publishing every allocation as a weekly series.

Prints a table and writes it into docs/BENCHMARKS.md under "## Seasonal allocation".
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import defaultdict
from datetime import date, datetime, timezone
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import func, select

import allocation
from booking.db.engine import write_transaction
from booking.db.models import Booking, Building, Department, District, Membership, Organisation, Person, Premises
from booking.services import season_proposal, season_publish, seasons
from booking.services.rulebook import current_rules
from booking.services.seed_season import coming_season, school_holidays
from common.localtime import resolve_local, to_local
from tests import pg
from tests.bench import machine
from tests.bench.databases import fresh
from tests.bench.feeds import write_section
from tests.bench.progress import say

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m tests.bench.seasons"
HEADING = "## Seasonal allocation"
TARGET_PROPOSAL_S, TARGET_PUBLISH_S = 30, 20
OPEN = {day: ["07:00-23:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument("--needs", type=int, default=250)
    parser.add_argument("--premises", type=int, default=40)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args()


async def build_city(session, round_: allocation.Round, now: datetime) -> dict[str, int]:
    """The round's premises (halves under their whole hall), one checked organisation
    with a delegate per applicant; returns organisation ids by the round's names."""
    async with write_transaction(session) as s:
        department = Department(slug="idrett", name="Idrett", kind="sport")
        s.add(department)
        districts: dict[str, District] = {}
        for place in round_.premises:
            if place.district not in districts:
                districts[place.district] = District(slug=f"d{len(districts)}", name=place.district)
        s.add_all(districts.values())
        await s.flush()
        buildings: dict[str, Building] = {}
        for place in round_.premises:
            key = sorted(place.units)[0].split("/")[0]
            if key not in buildings:
                buildings[key] = Building(
                    slug=f"b-{key}",
                    name=f"Bygg {key}",
                    address="Gata 1",
                    district_id=districts[place.district].id,
                    department_id=department.id,
                )
        s.add_all(buildings.values())
        await s.flush()
        rows = {}
        for place in sorted(round_.premises, key=lambda p: -len(p.units)):  # whole halls before their halves
            parent = next((rows[p.slug] for p in round_.premises if p.slug in rows and place.units < p.units), None)
            rows[place.slug] = Premises(
                slug=place.slug,
                name=place.slug,
                kind="hall" if place.is_hall else "room",
                tariff_category="idrettshall" if place.is_hall else "moterom",
                capacity=200,
                building_id=buildings[sorted(place.units)[0].split("/")[0]].id,
                parent_id=parent.id if parent else None,
                opening_hours=OPEN,
                slot_minutes=place.slot_minutes,
                min_minutes=30,
                max_minutes=240,
                buffer_after=place.buffer_after,
            )
            s.add(rows[place.slug])
            await s.flush()
        organisations = {}
        for name in sorted({need.organisation for need in round_.needs}):
            club = Organisation(
                name=f"Klubb {name}",
                works_for_children_youth=True,
                sports_club=True,
                based_in_municipality=True,
                verified_at=now,
            )
            person = Person(
                name=f"Leder {name}",
                email=f"{name}@example.no",
                birth_date=date(1980, 1, 1),
                roles=["person", "delegate"],
            )
            s.add_all([club, person])
            await s.flush()
            s.add(Membership(organisation_id=club.id, person_id=person.id))
            organisations[name] = (club.id, person.id)
    return organisations


async def measure(kind: str, server: str | None, needs: int, premises: int) -> dict:
    now = datetime.now(timezone.utc)
    round_ = allocation.city_round(seed=1, needs=needs, premises=premises)
    async with fresh(kind, server) as db:
        say(f"{db.label}: building the city")
        organisations = await build_city(db.session, round_, now)
        rules = await current_rules(db.session)
        starts, ends, last_day = coming_season(to_local(now).date())
        season = await seasons.create_season(
            db.session,
            seasons.SeasonSetup(
                name="Bench",
                starts=starts,
                ends=ends,
                application_deadline=resolve_local(datetime.combine(last_day, clock_time(23, 59))),
                premises=tuple(p.slug for p in round_.premises),
                seasonal_hours={day: ["16:00-22:30"] for day in ("mon", "tue", "wed", "thu", "fri")},
                excluded=school_holidays(starts, ends),
            ),
            actor_id=None,
            now=now,
        )
        await seasons.move_season(db.session, season.id, "open", now=now)
        by_organisation = defaultdict(list)
        for need in round_.needs:
            by_organisation[need.organisation].append(seasons.need_to_data(need))
        say(f"{db.label}: {len(by_organisation)} applications")
        started = time.perf_counter()
        for name, data in by_organisation.items():
            organisation_id, person_id = organisations[name]
            await seasons.submit_application(
                db.session,
                season.id,
                person_id=person_id,
                organisation_id=organisation_id,
                needs=data,
                rules=rules.in_force(starts).allocation,
                now=now,
            )
        applying = time.perf_counter() - started
        say(f"{db.label}: proposal")
        started = time.perf_counter()
        proposal = await season_proposal.propose(db.session, season.id, rule_book=rules, now=now)
        proposing = time.perf_counter() - started
        await seasons.move_season(db.session, season.id, "close", now=now)
        say(f"{db.label}: publishing")
        started = time.perf_counter()
        published = await season_publish.publish(db.session, season.id, rule_book=rules, actor_id=None, now=now)
        publishing = time.perf_counter() - started
        async with db.sessions() as s:
            stored = await s.scalar(select(func.count(Booking.id)))
    summary = proposal.summary
    tiers = [t.key for t in rules.in_force(starts).allocation.tiers]
    return {
        "label": db.label,
        "applications": len(by_organisation),
        "applying": applying,
        "proposal": proposing,
        "publish": publishing,
        "allocations": len(proposal.allocations),
        "bookings": published.bookings,
        "stored": stored,
        "collisions": len(published.collisions),
        "met": {t: summary["demand_met"]["by_tier"][t] for t in tiers},
        "by_rank": summary["wishes_granted_by_rank"],
        "empty": summary["needs_without_allocation"]["count"],
        "needs": summary["needs"],
    }


def table(results: list[dict], needs: int, premises: int) -> str:
    def mark(seconds: float, target: float) -> str:
        return f"{seconds:.1f} s {'✓' if seconds < target else '✗'}"

    lines = [
        HEADING,
        "",
        f"A round of {premises} premises and {needs} needs with three ranked wishes each "
        f"(`allocation.city_round(seed=1)`), through the services. Targets: proposal under "
        f"{TARGET_PROPOSAL_S} s, publish under {TARGET_PUBLISH_S} s.",
        "",
        "| database | applications (all) | proposal | publish | allocations | bookings written | dates refused |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['label']} | {r['applications']} in {r['applying']:.1f} s | "
            f"{mark(r['proposal'], TARGET_PROPOSAL_S)} | {mark(r['publish'], TARGET_PUBLISH_S)} | "
            f"{r['allocations']} | {r['bookings']} | {r['collisions']} |"
        )
    r = results[0]
    met = ", ".join(f"{tier} {share:.0%}" for tier, share in r["met"].items())
    lines += [
        "",
        f"Quality (the same on every database): demand met by tier: {met}; wishes granted by rank "
        f"(1st, 2nd, 3rd…): {r['by_rank']}; needs left with nothing: {r['empty']} of {r['needs']}.",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {machine.cores()} cores, load average "
        f"{machine.load_average()}; `{COMMAND}`.",
        "",
    ]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    server, how = pg.server_url()
    say(f"PostgreSQL: {how}" if server else f"PostgreSQL not available ({how}): its row is skipped")
    results = [
        await measure(kind, server, args.needs, args.premises) for kind in ["sqlite"] + (["postgres"] if server else [])
    ]
    section = table(results, args.needs, args.premises)
    print(section)
    if not args.no_write:
        write_section(args.output, section, HEADING)
        say(f"wrote the {HEADING!r} section of {args.output}")


if __name__ == "__main__":
    asyncio.run(main(arguments()))
