"""Search latency: `catalogue.search` over all premises for 2-hour windows within one
week, with a calendar of 100,000 bookings spread over two years. The calendar is
bulk-inserted with SQL (executemany), not through the engine: it is the reading that
is measured here."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from booking.db.engine import write_transaction
from booking.db.models import Booking, SlotClaim
from booking.domain.intervals import Interval
from booking.domain.premises import ACCESSIBILITY, EQUIPMENT
from booking.services.catalogue import SearchFilters, search
from tests.bench import machine
from tests.bench.databases import Fresh
from tests.bench.progress import say
from tests.bench.world import DISTRICTS, BenchWorld

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
DATA_START = datetime(2025, 9, 1, tzinfo=UTC)
DATA_DAYS = 730
WEEK = datetime(2026, 9, 6, 22, 0, tzinfo=UTC)  # Monday 7 September 2026, 00:00 in Oslo
HALF_HOUR = timedelta(minutes=30)
CHUNK = 5000


def calendar(world: BenchWorld, total: int, seed: int = 11) -> tuple[list[dict], list[dict]]:
    """`total` bookings, never overlapping on a unit, spread evenly over DATA_DAYS;
    90 % confirmed, 5 % awaiting approval (both hold their slot), 5 % cancelled."""
    rng = random.Random(seed)
    bookings: list[dict] = []
    claims: list[dict] = []
    count = len(world.timelines)
    for index, timeline in enumerate(world.timelines):
        share = total // count + (1 if index < total % count else 0)
        widest = max(before + after for before, after in timeline.buffers)
        mean_gap = DATA_DAYS * 24 * 60 / share - 120 - widest  # minutes between claims
        free_from = DATA_START
        for n in range(share):
            member = rng.randrange(len(timeline.slugs))
            before, after = timeline.buffers[member]
            start = free_from + rng.randint(0, max(0, int(2 * mean_gap) // 30)) * HALF_HOUR + timedelta(minutes=before)
            end = start + rng.randint(2, 6) * HALF_HOUR
            free_from = end + timedelta(minutes=after)
            roll = rng.random()
            status = "confirmed" if roll < 0.90 else "requested" if roll < 0.95 else "cancelled"
            booking_id = len(bookings) + 1
            person = world.person_ids[booking_id % len(world.person_ids)]
            bookings.append(
                dict(
                    id=booking_id,
                    premises_id=timeline.premises_ids[member],
                    person_id=person,
                    organisation_id=world.organisation_id if booking_id % 2 else None,
                    purpose="Trening",
                    attendees=rng.randint(1, 100),
                    target_group="all",
                    alcohol=False,
                    start_at=start,
                    end_at=end,
                    status=status,
                    hold_expires_at=None,
                    price_snapshot=None,
                    price_total=0,
                    series_id=None,
                    occurrence_date=None,
                    idempotency_key=None,
                    created_at=NOW,
                    updated_at=NOW,
                    sequence=0,
                    cancellation_reason=None,
                )
            )
            if status != "cancelled":
                claims.extend(
                    dict(
                        booking_id=booking_id,
                        unit_id=unit,
                        busy_from=start - timedelta(minutes=before),
                        busy_to=end + timedelta(minutes=after),
                    )
                    for unit in timeline.units[member]
                )
    return bookings, claims


async def bulk_load(db: Fresh, world: BenchWorld, total: int) -> tuple[int, int]:
    bookings, claims = calendar(world, total)
    async with db.sessions() as session, write_transaction(session):
        connection = await session.connection()
        for table, rows in ((Booking.__table__, bookings), (SlotClaim.__table__, claims)):
            for first in range(0, len(rows), CHUNK):
                await connection.execute(insert(table), rows[first : first + CHUNK])
                if (first + CHUNK) % 25_000 == 0 or first + CHUNK >= len(rows):
                    say(f"    … {min(first + CHUNK, len(rows)):,} of {len(rows):,} rows in {table.name}")
        if db.engine.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT setval(pg_get_serial_sequence('booking', 'id'), max(id)) FROM booking")
            )
    async with db.engine.connect() as connection:
        # What autovacuum does on PostgreSQL after a load this size, and `PRAGMA optimize` on SQLite.
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    return len(bookings), len(claims)


OVERLAPS_WINDOW_SQL = """
SELECT count(*) FROM (
  SELECT busy_from, max(busy_to) OVER (PARTITION BY unit_id ORDER BY busy_from, id
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
  FROM slot_claim) AS ordered
WHERE reach > busy_from
"""


async def overlapping_claims(db: Fresh) -> int:
    """The self-join is quadratic per unit at this size; a running maximum finds the same."""
    async with db.engine.connect() as connection:
        return (await connection.execute(text(OVERLAPS_WINDOW_SQL))).scalar_one()


def random_filters(rng: random.Random, window: Interval) -> SearchFilters:
    if rng.random() < 0.5:
        return SearchFilters(window=window)
    chosen: dict = {}
    while not chosen:
        if rng.random() < 0.35:
            chosen["district"] = rng.choice(DISTRICTS)
        if rng.random() < 0.35:
            chosen["kind"] = rng.choice(("room", "hall", "outdoor_area"))
        if rng.random() < 0.35:
            chosen["min_capacity"] = rng.choice((10, 25, 50, 100))
        if rng.random() < 0.35:
            chosen["equipment"] = (rng.choice(sorted(EQUIPMENT)),)
        if rng.random() < 0.35:
            chosen["accessibility"] = (rng.choice(sorted(ACCESSIBILITY)),)
    return SearchFilters(window=window, **chosen)


@dataclass
class SearchResult:
    database: str
    bookings: int
    claims: int
    overlaps: int
    timings_ms: list[float]
    found: list[int]
    filtered: int
    machine_busy: float  # all cores, 0..1, while searching

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.timings_ms, n=100, method="inclusive")[p - 1]


async def search_run(db: Fresh, world: BenchWorld, total: int, searches: int, seed: int = 5) -> SearchResult:
    started = time.perf_counter()
    bookings, claims = await bulk_load(db, world, total)
    say(f"    loaded {bookings} bookings and {claims} claims in {time.perf_counter() - started:.1f} s")
    overlaps = await overlapping_claims(db)
    rng = random.Random(seed)
    timings: list[float] = []
    found: list[int] = []
    filtered = 0
    warmup = 10
    counters = machine.cpu_counters()
    for n in range(warmup + searches):
        start = WEEK + rng.randrange(7 * 48 - 4) * HALF_HOUR
        filters = random_filters(rng, Interval(start, start + 4 * HALF_HOUR))
        began = time.perf_counter()
        async with db.sessions() as session:
            result = await search(session, filters, now=NOW)
        elapsed = (time.perf_counter() - began) * 1000
        if n >= warmup:
            timings.append(elapsed)
            found.append(len(result))
            filtered += filters != SearchFilters(window=filters.window)
            if (n - warmup + 1) % 50 == 0:
                say(f"    … {n - warmup + 1}/{searches} searches, last {elapsed:.1f} ms")
    busy = machine.busy_share(counters, machine.cpu_counters())
    return SearchResult(db.label, bookings, claims, overlaps, timings, found, filtered, busy)
