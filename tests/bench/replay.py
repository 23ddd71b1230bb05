"""What `create_booking` sends to PostgreSQL, replayed with asyncpg directly: the same
15 round trips (BEGIN, 12 statements, COMMIT; simplified SQL, no ORM), on one connection
per writer, with the benchmark's attempts. Set beside the engine and the one-INSERT
limit it splits the engine's cost into round trips and client-side overhead.
`python -m tests.bench.replay [writers] [seconds]` runs it alone."""
from __future__ import annotations

import asyncio
import sys
import time
from datetime import timedelta

import asyncpg

from tests import pg
from tests.bench.databases import Fresh, fresh
from tests.bench.progress import say
from tests.bench.world import BenchWorld, build_bench_world
from tests.bench.writes import NOW, Tally, WriteResult, overlapping_claims, plan, timed

HOLDING = ["held", "requested", "confirmed"]


async def one_booking(c: asyncpg.Connection, person: int, organisation: int | None, slug: str,
                      start, end, key: str, tally: Tally) -> None:
    async with c.transaction():
        if await c.fetchval("SELECT id FROM booking WHERE person_id = $1 AND idempotency_key = $2", person, key):
            return
        p = await c.fetchrow(
            "SELECT p.*, b.name AS building_name, d.slug AS district FROM premises p JOIN building b "
            "ON b.id = p.building_id JOIN district d ON d.id = b.district_id WHERE p.slug = $1", slug)
        await c.fetchrow("SELECT * FROM person WHERE id = $1", person)
        if organisation is not None:
            await c.fetchrow("SELECT * FROM organisation WHERE id = $1", organisation)
            await c.fetchval("SELECT id FROM membership WHERE person_id = $1 AND organisation_id = $2",
                             person, organisation)
        family = await c.fetch("SELECT id, parent_id FROM premises WHERE building_id = $1", p["building_id"])
        children = [r["id"] for r in family if r["parent_id"] == p["id"]]
        units = children or [p["id"]]
        await c.fetch("SELECT start_at, end_at, reason FROM closure WHERE start_at < $1 AND end_at > $2 AND "
                      "(scope = 'municipality' OR building_id = $3 OR premises_id = $4)",
                      end, start, p["building_id"], p["id"])
        await c.fetchval("SELECT count(id) FROM booking WHERE person_id = $1 AND organisation_id IS NULL "
                         "AND status = ANY($2) AND end_at > $3", person, HOLDING, NOW)
        await c.fetch("UPDATE booking SET status = 'expired' WHERE status = 'held' AND hold_expires_at <= $1 "
                      "AND id IN (SELECT booking_id FROM slot_claim WHERE unit_id = ANY($2)) RETURNING id",
                      NOW, units)
        busy_from = start - timedelta(minutes=p["buffer_before"])
        busy_to = end + timedelta(minutes=p["buffer_after"])
        taken = await c.fetch(
            "SELECT s.busy_from, s.busy_to FROM slot_claim s JOIN booking b ON b.id = s.booking_id "
            "WHERE s.unit_id = ANY($1) AND s.busy_from < $2 AND s.busy_to > $3", units, busy_to, busy_from)
        if taken:
            tally.conflicts += 1
            return
        status = "requested" if p["requires_approval"] else "confirmed"
        booking = await c.fetchval(
            "INSERT INTO booking (premises_id, person_id, organisation_id, purpose, attendees, target_group, "
            "alcohol, start_at, end_at, status, price_total, idempotency_key, created_at, updated_at, sequence) "
            "VALUES ($1, $2, $3, '', 1, 'all', false, $4, $5, $6, 0, $7, $8, $8, 0) RETURNING id",
            p["id"], person, organisation, start, end, status, key, NOW)
        await c.executemany("INSERT INTO slot_claim (booking_id, unit_id, busy_from, busy_to) VALUES ($1, $2, $3, $4)",
                            [(booking, u, busy_from, busy_to) for u in sorted(units)])
        await c.execute("INSERT INTO booking_history (booking_id, at, actor_id, from_status, to_status, reason) "
                        "VALUES ($1, $2, $3, NULL, $4, '')", booking, NOW, person, status)
    tally.written += 1


async def replay_run(db: Fresh, world: BenchWorld, writers: int, seconds: float) -> WriteResult:
    connections = [await asyncpg.connect(db.libpq) for _ in range(writers)]

    def writer(w: int):
        async def run(deadline: float, tally: Tally) -> None:
            attempts = plan(w, writers, len(world.timelines))
            person = world.person_ids[w]
            organisation = world.organisation_id if w % 2 == 0 else None
            while time.perf_counter() < deadline:
                attempt = next(attempts)
                timeline = world.timelines[attempt.timeline]
                tally.attempts += 1
                try:
                    await one_booking(connections[w], person, organisation,
                                      timeline.slugs[attempt.member % len(timeline.slugs)], attempt.start,
                                      attempt.end, f"replay-{w}-{tally.attempts}", tally)
                except asyncpg.ExclusionViolationError:
                    tally.conflicts += 1
                    tally.by_constraint += 1
                except Exception as exc:
                    tally.error(exc)
        return run

    try:
        run = await timed([writer(w) for w in range(writers)], seconds)
    finally:
        for connection in connections:
            await connection.close()
    return WriteResult("replay", db.label, writers, run.seconds, run.tally, await overlapping_claims(db),
                       run.cpu_seconds, run.machine_busy)


async def main(writers: int, seconds: float) -> None:
    server, _ = pg.server_url()
    async with fresh("postgres", server) as db:
        world = await build_bench_world(db.sessions)
        result = await replay_run(db, world, writers, seconds)
    t = result.tally
    say(f"replay, {writers} connection(s): {result.per_second:.0f} bookings/s, {t.conflicts} conflicts "
        f"({t.by_constraint} by constraint), errors {dict(t.errors)} {t.first_error}; "
        f"client CPU {result.cpu_seconds / max(1, t.attempts) * 1000:.2f} ms/attempt, "
        f"{result.overlaps} overlapping claims")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 16, float(sys.argv[2]) if len(sys.argv) > 2 else 8))
