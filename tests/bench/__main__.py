"""`python -m tests.bench`: run every measurement, print the tables and write
docs/BENCHMARKS.md. Takes about three minutes on two cores; progress goes to stderr."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from tests import pg
from tests.bench import machine, report
from tests.bench.databases import empty_postgres, fresh
from tests.bench.profile import step_breakdown
from tests.bench.progress import say
from tests.bench.replay import reference_run
from tests.bench.search import SearchResult, search_run
from tests.bench.world import build_bench_world
from tests.bench.writes import WriteResult, engine_run, limit_run

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m tests.bench"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="length of each write run (default 10)")
    parser.add_argument("--bookings", type=int, default=100_000, help="bookings in the search database")
    parser.add_argument("--searches", type=int, default=200, help="timed searches per database")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    return parser.parse_args()


def _summary(result: WriteResult) -> str:
    t = result.tally
    text = (
        f"    {result.per_second:.0f} written/s, {t.conflicts} conflicts ({t.by_constraint} by constraint), "
        f"{result.overlaps} overlapping claims"
    )
    return text + (f", errors {dict(t.errors)}, first: {t.first_error}" if t.errors else "")


async def main(args: argparse.Namespace) -> None:
    load_before = machine.load_average()
    load_one_minute = machine.load_one_minute()
    say(f"load average at start: {load_before} on {machine.cores()} cores")
    server, how = pg.server_url()
    say(f"PostgreSQL: {how}" if server else f"PostgreSQL not available ({how}): its rows are skipped")
    kinds = ["sqlite"] + (["postgres"] if server else [])
    steps = len(kinds) * 3 + (5 if server else 0)
    step = 0

    def announce(what: str) -> None:
        nonlocal step
        step += 1
        say(f"[{step}/{steps}] {what}")

    writes: list[WriteResult] = []
    for kind in kinds:
        for writers in (1, 16):
            async with fresh(kind, server) as db:
                announce(f"engine, {db.label}, {writers} writer(s), {args.seconds:.0f} s")
                world = await build_bench_world(db.sessions)
                writes.append(await engine_run(db, world, writers, args.seconds))
            say(_summary(writes[-1]))
    breakdown = None
    if server:
        for writers in (1, 16):
            announce(f"limit, PostgreSQL plain INSERT, {writers} connection(s), {args.seconds:.0f} s")
            async with empty_postgres(server) as libpq:
                writes.append(await limit_run(libpq, 40, writers, args.seconds))
            say(_summary(writes[-1]))
        for what, label in (("replay", "the engine's SQL replayed"), ("floor", "a booking's rows in one statement")):
            async with fresh("postgres", server) as db:
                announce(f"{label} with asyncpg, 16 connections, {args.seconds:.0f} s")
                world = await build_bench_world(db.sessions)
                writes.append(await reference_run(what, db, world, 16, args.seconds))
            say(_summary(writes[-1]))
        async with fresh("postgres", server) as db:
            announce("client CPU per booking by step, PostgreSQL, 1 writer, 5 s")
            world = await build_bench_world(db.sessions)
            _, per_attempt, split = await step_breakdown(db, world, 5)
            breakdown = (per_attempt, split)
        say(f"    {per_attempt:.2f} ms client CPU per attempt")
    searches: list[SearchResult] = []
    for kind in reversed(kinds):
        async with fresh(kind, server) as db:
            announce(f"search, {db.label}, {args.bookings:,} bookings, {args.searches} searches")
            world = await build_bench_world(db.sessions)
            searches.append(await search_run(db, world, args.bookings, args.searches))
        say(f"    p50 {searches[-1].percentile(50):.1f} ms, p95 {searches[-1].percentile(95):.1f} ms")
    facts = machine.facts(await machine.postgres_version(server), load_before, machine.code_version(str(ROOT)))
    busy = (load_one_minute, machine.cores()) if load_one_minute > 0.5 * machine.cores() else None
    text = report.document(facts, writes, searches, breakdown, COMMAND, bookings=args.bookings, busy=busy)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    previous = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
    args.output.write_text(report.keep_other_sections(text, previous), encoding="utf-8")
    say(f"wrote {args.output}")


if __name__ == "__main__":
    asyncio.run(main(arguments()))
