"""Two references for the engine, both with asyncpg and no ORM, on one connection per
writer, with the benchmark's attempts:

- replay: what `create_booking` sends to PostgreSQL for a booking (one read of the premises
  with its building's halls, the booker, the key, the quota count, the booking's id and the
  closures, then the booking, claims, history and outbox rows as one statement, each its
  own transaction in autocommit); set beside the engine it splits the cost into round trips
  and client-side overhead.
- floor: only the rows a booking must write (booking, one claim per unit, history, an
  outbox mail) as ONE statement in autocommit, with nothing read first: no engine that
  writes these rows can go faster than this, whatever it does on the client.

`python -m tests.bench.replay [writers] [seconds]` runs both alone."""

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
BODY = "Hei!\n\nBestillingen din er bekreftet.\n" * 30  # about the size of a real mail
FAMILY = "SELECT * FROM premises WHERE building_id = (SELECT building_id FROM premises WHERE slug = $1)"
BOOKING = (
    "INSERT INTO booking (premises_id, person_id, organisation_id, purpose, attendees, target_group, "
    "alcohol, start_at, end_at, status, price_total, idempotency_key, created_at, updated_at, sequence, "
    "caretaker_notes) VALUES ($1, $2, $3, '', 1, 'all', false, $4, $5, $6, 0, $7, $8, $8, 0, '') RETURNING id"
)
OUTBOX = (
    "INSERT INTO outbox_mail (dedupe_key, to_address, language, subject, body_text, attachments, "
    "created_at, attempts) VALUES ($1, 'booker@example.no', 'nb', 'Bekreftet', $2, '[]', $3, 0) "
    "ON CONFLICT (dedupe_key) DO NOTHING"
)
ALL_ROWS = (
    f"WITH b AS ({BOOKING}), "
    "c AS (INSERT INTO slot_claim (booking_id, unit_id, busy_from, busy_to) "
    "      SELECT b.id, u, $10, $11 FROM b, unnest($9::int[]) u), "
    "h AS (INSERT INTO booking_history (booking_id, at, actor_id, from_status, to_status, reason) "
    "      SELECT b.id, $8, $2, NULL, $6, '' FROM b), "
    "o AS (INSERT INTO outbox_mail (dedupe_key, to_address, language, subject, body_text, attachments, "
    "      created_at, attempts) SELECT 'booking-' || b.id || '-0', 'booker@example.no', 'nb', 'Bekreftet', $12, "
    "      '[]', $8, 0 FROM b) "
    "SELECT id FROM b"
)


def _premises(family: list[asyncpg.Record], slug: str) -> tuple[asyncpg.Record, list[int]]:
    premises = next(r for r in family if r["slug"] == slug)
    return premises, [r["id"] for r in family if r["parent_id"] == premises["id"]] or [premises["id"]]


# What the engine's read asks for: the premises and its building's halls, the booker and
# membership, an earlier booking under the key, the quota count, the booking's id, closures.
SITUATION = (
    "SELECT p.id AS premises_id, p.requires_approval, p.buffer_before, p.buffer_after, p.*, "
    "(SELECT string_agg(f.id || ':' || coalesce(f.parent_id::text, ''), ',') FROM premises f "
    "  WHERE f.building_id = p.building_id) AS halls, x.*, o.*, m.id AS member, "
    "(SELECT id FROM booking WHERE person_id = $2 AND idempotency_key = $4) AS earlier, "
    "(SELECT count(id) FROM booking WHERE person_id = $2 AND organisation_id IS NULL AND status = ANY($5) "
    "  AND end_at > $6) AS upcoming, "
    "(SELECT nextval(pg_get_serial_sequence('booking', 'id'))) AS reserved, c.id AS closure "
    "FROM premises p LEFT JOIN person x ON x.id = $2 LEFT JOIN organisation o ON o.id = $3 "
    "LEFT JOIN membership m ON m.person_id = $2 AND m.organisation_id = $3 "
    "LEFT JOIN closure c ON c.start_at < $8 AND c.end_at > $7 "
    "  AND (c.scope = 'municipality' OR c.building_id = p.building_id) "
    "WHERE p.slug = $1"
)


async def write_rows(
    c: asyncpg.Connection, premises_id: int, units: list[int], buffers, person, organisation, start, end, status, key
) -> None:
    """A booking's rows as one statement (ALL_ROWS), its claims widened by the premises'
    `buffers` (a row with buffer_before and buffer_after)."""
    await c.fetchval(
        ALL_ROWS,
        premises_id,
        person,
        organisation,
        start,
        end,
        status,
        key,
        NOW,
        units,
        start - timedelta(minutes=buffers["buffer_before"]),
        end + timedelta(minutes=buffers["buffer_after"]),
        BODY,
    )


async def replay_booking(
    c: asyncpg.Connection, person: int, organisation: int | None, slug: str, start, end, key: str, tally: Tally
) -> None:
    row = await c.fetchrow(SITUATION, slug, person, organisation, key, HOLDING, NOW, start, end)
    if row["earlier"]:
        return
    parents = dict(pair.split(":") for pair in row["halls"].split(","))
    premises = row["premises_id"]
    units = [int(child) for child, parent in parents.items() if parent == str(premises)] or [premises]
    status = "requested" if row["requires_approval"] else "confirmed"
    await write_rows(c, premises, units, row, person, organisation, start, end, status, key)
    tally.written += 1


def floor_booking(known: dict[str, tuple[asyncpg.Record, list[int]]]):
    async def write(
        c: asyncpg.Connection, person: int, organisation: int | None, slug: str, start, end, key: str, tally: Tally
    ) -> None:
        if slug not in known:  # read once per premises, outside the measured path's loop
            known[slug] = _premises(await c.fetch(FAMILY, slug), slug)
        premises, units = known[slug]
        await write_rows(c, premises["id"], units, premises, person, organisation, start, end, "confirmed", key)
        tally.written += 1

    return write


async def reference_run(what: str, db: Fresh, world: BenchWorld, writers: int, seconds: float) -> WriteResult:
    """`what`: "replay" or "floor"."""
    connections = [await asyncpg.connect(db.libpq) for _ in range(writers)]
    one = replay_booking if what == "replay" else floor_booking({})

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
                    await one(
                        connections[w],
                        person,
                        organisation,
                        timeline.slugs[attempt.member % len(timeline.slugs)],
                        attempt.start,
                        attempt.end,
                        f"{what}-{w}-{tally.attempts}",
                        tally,
                    )
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
    return WriteResult(
        what, db.label, writers, run.seconds, run.tally, await overlapping_claims(db), run.cpu_seconds, run.machine_busy
    )


async def main(writers: int, seconds: float) -> None:
    server, _ = pg.server_url()
    for what in ("replay", "floor"):
        async with fresh("postgres", server) as db:
            world = await build_bench_world(db.sessions)
            result = await reference_run(what, db, world, writers, seconds)
        t = result.tally
        say(
            f"{what}, {writers} connection(s): {result.per_second:.0f} bookings/s, {t.conflicts} conflicts "
            f"({t.by_constraint} by constraint), errors {dict(t.errors)} {t.first_error}; "
            f"client CPU {result.cpu_seconds / max(1, t.attempts) * 1000:.2f} ms/attempt, "
            f"{result.overlaps} overlapping claims"
        )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 16, float(sys.argv[2]) if len(sys.argv) > 2 else 8))
