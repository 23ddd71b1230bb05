"""Write throughput: bookings/s through the engine (`create_booking`) and inserts/s of
plain SQL into a table with the same exclusion constraint, the limit the engine is
compared to. Every writer mostly books its own premises at times nobody else wants,
and sometimes (CONTESTED_SHARE) a slot that every writer is after, so conflicts, and
on PostgreSQL lost races caught by the constraint, happen along the way."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from booking.domain.errors import Conflict
from booking.services.bookings import NewBooking, create_booking
from booking.services.lending import PremisesApprovalOnly
from tests.bench import machine
from tests.bench.databases import Fresh
from tests.bench.progress import say
from tests.bench.world import BenchWorld

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
RULES = PremisesApprovalOnly()
CONTESTED_SHARE = 0.1
STEP = timedelta(hours=3)  # own bookings: 2 h every 3 h, so even 30-min buffers fit
LENGTH = timedelta(hours=2)
OWN_BASE = datetime(2027, 1, 4, tzinfo=UTC)
CONTESTED_LATER = timedelta(days=364)  # contested slots lie a year after the own ones
WARMUP_BASE = datetime(2029, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Attempt:
    timeline: int
    member: int  # which premises of the timeline
    start: datetime
    end: datetime


def plan(writer: int, writers: int, timelines: int, *, base: datetime = OWN_BASE, seed: int = 1) -> Iterator[Attempt]:
    """A writer's endless sequence of attempts. Own timelines are dealt out round-robin,
    so own attempts never collide; contested ones walk one shared sequence of slots,
    each writer at a random offset of 0 or 1 hour, so they overlap fully or in part."""
    rng = random.Random(seed * 1000 + writer)
    own = [t for t in range(timelines) if t % writers == writer]
    mine = contested = 0
    while True:
        if rng.random() < CONTESTED_SHARE:
            start = base + CONTESTED_LATER + contested * STEP + rng.choice((timedelta(0), timedelta(hours=1)))
            yield Attempt((contested * 7) % timelines, rng.randrange(3), start, start + LENGTH)
            contested += 1
        else:
            round_, index = divmod(mine, len(own))
            start = base + round_ * STEP
            yield Attempt(own[index], round_, start, start + LENGTH)
            mine += 1


@dataclass
class Tally:
    attempts: int = 0
    written: int = 0
    conflicts: int = 0
    by_constraint: int = 0  # conflicts the database refused after the engine's own check passed
    errors: Counter = field(default_factory=Counter)
    first_error: str = ""

    def add(self, other: Tally) -> None:
        self.attempts += other.attempts
        self.written += other.written
        self.conflicts += other.conflicts
        self.by_constraint += other.by_constraint
        self.errors.update(other.errors)
        self.first_error = self.first_error or other.first_error

    def error(self, exc: BaseException) -> None:
        self.errors[type(exc).__name__] += 1
        self.first_error = self.first_error or f"{type(exc).__name__}: {exc}"[:300]


@dataclass
class WriteResult:
    what: str  # "engine" or "limit"
    database: str
    writers: int
    seconds: float
    tally: Tally
    overlaps: int
    cpu_seconds: float  # this process's CPU time during the run (the client's share)
    machine_busy: float  # all cores, 0..1: the client, the database and anything else running

    @property
    def per_second(self) -> float:
        return self.tally.written / self.seconds if self.seconds else 0.0


@dataclass
class Timed:
    seconds: float
    tally: Tally
    cpu_seconds: float  # this process
    machine_busy: float  # all cores, 0..1


async def timed(writers: list[Callable[[float, Tally], Awaitable[None]]], seconds: float) -> Timed:
    """Run every writer until the deadline; report progress every few seconds."""
    tallies = [Tally() for _ in writers]
    counters = machine.cpu_counters()
    cpu = time.process_time()
    started = time.perf_counter()
    deadline = started + seconds

    async def ticker() -> None:
        while True:
            await asyncio.sleep(3)
            done = sum(t.written for t in tallies)
            conflicts = sum(t.conflicts for t in tallies)
            say(f"    … {time.perf_counter() - started:4.1f} s: {done} written, {conflicts} conflicts")

    tick = asyncio.create_task(ticker())
    try:
        await asyncio.gather(*(w(deadline, t) for w, t in zip(writers, tallies)))
    finally:
        tick.cancel()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    busy = machine.busy_share(counters, machine.cpu_counters())
    total = Tally()
    for t in tallies:
        total.add(t)
    return Timed(elapsed, total, cpu, busy)


OVERLAPS_SQL = """
SELECT count(*) FROM slot_claim a JOIN slot_claim b
  ON a.unit_id = b.unit_id AND a.id < b.id
 AND a.busy_from < b.busy_to AND b.busy_from < a.busy_to
"""
# The same self-join written so that PostgreSQL can use the constraint's GiST index:
# the limit table holds tens of thousands of rows, where the plain join takes seconds.
LIMIT_OVERLAPS_SQL = """
SELECT count(*) FROM bench_claim a JOIN bench_claim b
  ON a.unit_id = b.unit_id AND a.id < b.id
 AND tstzrange(a.busy_from, a.busy_to, '[)') && tstzrange(b.busy_from, b.busy_to, '[)')
"""


async def overlapping_claims(db: Fresh) -> int:
    async with db.engine.connect() as connection:
        return (await connection.execute(text(OVERLAPS_SQL))).scalar_one()


def engine_writer(
    db: Fresh, world: BenchWorld, writer: int, writers: int, *, base: datetime = OWN_BASE, limit: int | None = None
):
    person = world.person_ids[writer]
    organisation = world.organisation_id if writer % 2 == 0 else None  # clubs and self-organised

    async def run(deadline: float, tally: Tally) -> None:
        async with db.sessions() as session:  # each writer its own, as each request has its own
            await write(session, deadline, tally)

    async def write(session, deadline: float, tally: Tally) -> None:
        attempts = plan(writer, writers, len(world.timelines), base=base)
        while time.perf_counter() < deadline and (limit is None or tally.attempts < limit):
            attempt = next(attempts)
            timeline = world.timelines[attempt.timeline]
            member = attempt.member % len(timeline.slugs)
            new = NewBooking(
                premises_slug=timeline.slugs[member],
                start=attempt.start,
                end=attempt.end,
                person_id=person,
                organisation_id=organisation,
                idempotency_key=f"bench-{base:%Y}-{writer}-{tally.attempts}",
            )
            tally.attempts += 1
            try:
                await create_booking(session, new, rules=RULES, now=NOW)
                tally.written += 1
            except Conflict as refused:
                tally.conflicts += 1
                if isinstance(refused.__context__, IntegrityError):
                    tally.by_constraint += 1
            except Exception as exc:  # counted and shown, never fatal: the run must finish
                tally.error(exc)

    return run


async def engine_run(db: Fresh, world: BenchWorld, writers: int, seconds: float) -> WriteResult:
    # Warm up (statement caches, pool, imports) on times the measured run never uses.
    await timed([engine_writer(db, world, 0, 1, base=WARMUP_BASE, limit=20)], 30)
    run = await timed([engine_writer(db, world, w, writers) for w in range(writers)], seconds)
    return WriteResult(
        "engine",
        db.label,
        writers,
        run.seconds,
        run.tally,
        await overlapping_claims(db),
        run.cpu_seconds,
        run.machine_busy,
    )


LIMIT_TABLE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE bench_claim (
    id serial PRIMARY KEY, unit_id int NOT NULL,
    busy_from timestamptz NOT NULL, busy_to timestamptz NOT NULL,
    EXCLUDE USING gist (unit_id WITH =, tstzrange(busy_from, busy_to, '[)') WITH &&)
);
"""
BUFFER = timedelta(minutes=15)


async def limit_run(libpq: str, timelines: int, writers: int, seconds: float) -> WriteResult:
    """The same attempts as plain INSERTs, one transaction each, on `writers` connections."""
    setup = await asyncpg.connect(libpq)
    try:
        await setup.execute(LIMIT_TABLE)
    finally:
        await setup.close()
    connections = [await asyncpg.connect(libpq) for _ in range(writers)]
    insert = "INSERT INTO bench_claim (unit_id, busy_from, busy_to) VALUES ($1, $2, $3)"

    def writer(w: int):
        async def run(deadline: float, tally: Tally) -> None:
            attempts = plan(w, writers, timelines)
            connection = connections[w]
            while time.perf_counter() < deadline:
                attempt = next(attempts)
                tally.attempts += 1
                try:
                    await connection.execute(insert, attempt.timeline, attempt.start - BUFFER, attempt.end + BUFFER)
                    tally.written += 1
                except asyncpg.ExclusionViolationError:
                    tally.conflicts += 1
                    tally.by_constraint += 1
                except Exception as exc:
                    tally.error(exc)

        return run

    try:
        for connection in connections:  # warm up: connect, parse, plan
            await connection.execute("SELECT 1")
        run = await timed([writer(w) for w in range(writers)], seconds)
        overlaps = await connections[0].fetchval(LIMIT_OVERLAPS_SQL)
    finally:
        for connection in connections:
            await connection.close()
    return WriteResult(
        "limit", "PostgreSQL", writers, run.seconds, run.tally, overlaps, run.cpu_seconds, run.machine_busy
    )
