"""`python -m tests.bench.feeds`: a building feed of 5,000 events served from the cached
event texts, against icalendar building and serialising the same events, and a 304.

Prints a table and writes it into docs/BENCHMARKS.md under its own heading ("## Calendar
feeds"), replacing that section when it is already there. `python -m tests.bench`
rewrites the whole file, so run this after it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import insert, select, text

from booking.db.engine import write_transaction
from booking.db.models import Booking, Building, Person, Premises
from booking.services import feeds
from booking.services.feed_events import booking_columns, booking_event, bookings
from booking.settings import from_environment
from booking.web.app import create_app
from calendars import build_feed
from common.localtime import resolve_local
from tests import pg
from tests.bench import machine
from tests.bench.databases import fresh
from tests.bench.progress import say
from tests.bench.world import build_bench_world

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m tests.bench.feeds"
HEADING = "## Calendar feeds"
TARGET_SERVED, TARGET_304 = 5, 50


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument("--events", type=int, default=5_000, help="bookings in the feed (default 5000)")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests of each kind (median reported)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args()


async def fill_building(session, events: int, now: datetime) -> tuple[int, int]:
    """`events` bookings in the first building's premises, from yesterday on, two a day per
    premises (10-12 and 18-20 local time); returns (building id, caretaker id)."""
    async with write_transaction(session):
        building = (await session.execute(select(Building).order_by(Building.id).limit(1))).scalar_one()
        premises = list(
            (
                await session.execute(
                    select(Premises.id)
                    .where(Premises.building_id == building.id, Premises.parent_id.is_(None))
                    .order_by(Premises.id)
                )
            ).scalars()
        )
        people = list((await session.execute(select(Person.id).order_by(Person.id))).scalars())
        caretaker = people[0]
        building.caretaker_id = caretaker
        rows, day = [], now.date() - timedelta(days=1)
        while len(rows) < events:
            for premises_id in premises:
                for start_hour in (10, 18):
                    if len(rows) == events:
                        break
                    start = resolve_local(datetime.combine(day, clock_time(start_hour)))
                    number = len(rows)
                    rows.append(
                        dict(
                            premises_id=premises_id,
                            person_id=people[number % len(people)],
                            organisation_id=None,
                            purpose=f"Øving nr. {number}",
                            attendees=10 + number % 30,
                            target_group="all",
                            alcohol=False,
                            start_at=start,
                            end_at=start + timedelta(hours=2),
                            status="confirmed",
                            price_total=0,
                            created_at=now - timedelta(days=2),
                            updated_at=now - timedelta(days=2),
                            sequence=0,
                            caretaker_notes="Nøkkel i resepsjonen." if number % 7 == 0 else "",
                        )
                    )
            day += timedelta(days=1)
        for index in range(0, len(rows), 1000):
            await session.execute(insert(Booking), rows[index : index + 1000])
        await session.execute(
            Person.__table__.update().where(Person.id == caretaker).values(roles=["person", "caretaker"])
        )
    return building.id, caretaker


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def measure(kind: str, server: str | None, events: int, repeat: int) -> dict:
    now = datetime.now(timezone.utc)
    async with fresh(kind, server) as db:
        say(f"{db.label}: building a feed of {events:,} events")
        await build_bench_world(db.sessions)
        building_id, caretaker = await fill_building(db.session, events, now)
        async with db.engine.connect() as connection:  # as autovacuum would, after a bulk load
            await connection.execute(text("ANALYZE"))
            await connection.commit()
        async with write_transaction(db.session) as session:
            issued = await feeds.create_token(
                session, feed="building", subject_id=building_id, owner_id=caretaker, actor_id=None, now=now
            )
        async with db.sessions() as session:
            feed = await feeds.describe_feed(session, "building", building_id)
            rows = (
                await session.execute(
                    bookings(feed.variant, *booking_columns(feed.variant, now))
                    .where(Premises.building_id == building_id)
                    .order_by(Booking.start_at, Booking.id)
                )
            ).all()
        assert len(rows) == events, f"{len(rows)} events in the feed, wanted {events}"
        feed_events = sorted((booking_event(row, feed.variant) for row in rows), key=lambda e: (e.start, e.uid))

        app = create_app(from_environment({"BOOKING_DATABASE_URL": db.url}))
        async with AsyncTestClient(app=app) as client:
            started = time.perf_counter()
            first = await client.get(issued.path)  # builds every event and stores the texts
            cold = time.perf_counter() - started
            naive_body = build_feed(feed.name, feed_events, description=feed.description)
            assert first.status_code == 200 and first.content == naive_body, "cached feed differs from icalendar's"
            # Interleaved, so that a busy moment on the machine hits all three alike.
            naive, served, not_modified = [], [], []
            for _ in range(repeat):
                started = time.perf_counter()
                build_feed(feed.name, feed_events, description=feed.description)  # icalendar alone
                naive.append(time.perf_counter() - started)
                started = time.perf_counter()
                response = await client.get(issued.path)
                served.append(time.perf_counter() - started)
                assert response.status_code == 200 and response.content == first.content
                started = time.perf_counter()
                response = await client.get(issued.path, headers={"If-None-Match": first.headers["etag"]})
                not_modified.append(time.perf_counter() - started)
                assert response.status_code == 304 and response.content == b""
        say(
            f"    icalendar {median_ms(naive):.0f} ms, served {median_ms(served):.0f} ms, "
            f"304 {median_ms(not_modified):.1f} ms"
        )
        return {
            "label": db.label,
            "events": events,
            "bytes": len(first.content),
            "naive": median_ms(naive),
            "cold": cold * 1000,
            "served": median_ms(served),
            "not_modified": median_ms(not_modified),
        }


def table(results: list[dict], repeat: int) -> str:
    lines = [
        HEADING,
        "",
        f"A building feed of {results[0]['events']:,} bookings ({results[0]['bytes'] / 1e6:.1f} MB), over HTTP "
        f"through the app (Litestar's test client, no network), median of {repeat} requests. "
        "*icalendar alone* builds and serialises the same events (`calendars.build_feed` of FeedEvents, "
        "the database read not counted); *served* is a full 200 answer joined from `feed_event_cache`; "
        "*304* is a request with a matching If-None-Match. Targets: served at least "
        f"{TARGET_SERVED}× and 304 at least {TARGET_304}× faster than icalendar alone.",
        "",
        "| database | icalendar alone | first request (builds, stores) | served (cached) | speed-up | 304 | speed-up |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        served_x, not_modified_x = r["naive"] / r["served"], r["naive"] / r["not_modified"]
        lines.append(
            f"| {r['label']} | {r['naive']:.0f} ms | {r['cold']:.0f} ms | {r['served']:.0f} ms | "
            f"{served_x:.1f}× {'✓' if served_x >= TARGET_SERVED else '✗'} | {r['not_modified']:.1f} ms | "
            f"{not_modified_x:.0f}× {'✓' if not_modified_x >= TARGET_304 else '✗'} |"
        )
    facts = f"{machine.cores()} cores, load average {machine.load_average()}"
    lines += ["", f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {facts}; `{COMMAND}`.", ""]
    return "\n".join(lines)


def write_section(path: Path, section: str, heading: str = HEADING) -> None:
    """Put `section` (which starts with `heading`) in place of that heading's old section."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if heading in text:
        before, _, rest = text.partition(heading)
        following = rest.find("\n## ")
        text = before + section + ("\n" + rest[following + 1 :] if following >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def main(args: argparse.Namespace) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    server, how = pg.server_url()
    say(f"PostgreSQL: {how}" if server else f"PostgreSQL not available ({how}): its row is skipped")
    results = [
        await measure(kind, server, args.events, args.repeat) for kind in ["sqlite"] + (["postgres"] if server else [])
    ]
    section = table(results, args.repeat)
    print(section)
    if not args.no_write:
        write_section(args.output, section)
        say(f"wrote the {HEADING!r} section of {args.output}")


if __name__ == "__main__":
    asyncio.run(main(arguments()))
