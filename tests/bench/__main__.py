"""`python -m tests.bench`: run every measurement, print the tables and write
docs/BENCHMARKS.md. Takes a few minutes; progress goes to stderr."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tests import pg
from tests.bench import machine, report
from tests.bench.databases import empty_postgres, fresh
from tests.bench.progress import say
from tests.bench.search import SearchResult, search_run
from tests.bench.world import build_bench_world
from tests.bench.writes import WriteResult, engine_run, limit_run

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m tests.bench"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument("--seconds", type=float, default=12, help="length of each write run (default 12)")
    parser.add_argument("--bookings", type=int, default=100_000, help="bookings in the search database")
    parser.add_argument("--searches", type=int, default=200, help="timed searches per database")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    load_before = machine.load_average()
    server, how = pg.server_url()
    say(f"load average at start: {load_before} on {machine.facts('', '')[1][1]} cores")
    say(f"PostgreSQL: {how}" if server else f"PostgreSQL not available ({how}): its rows are skipped")
    kinds = ["sqlite"] + (["postgres"] if server else [])
    steps = len(kinds) * 3 + (2 if server else 0)
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
                result = await engine_run(db, world, writers, args.seconds)
            writes.append(result)
            say(f"    {result.per_second:.0f} bookings/s, {result.tally.conflicts} conflicts, "
                f"{result.overlaps} overlapping claims" + (f", errors: {dict(result.tally.errors)}"
                                                          f" first: {result.tally.first_error}"
                                                          if result.tally.errors else ""))
    if server:
        for writers in (1, 16):
            announce(f"limit, PostgreSQL plain INSERT, {writers} connection(s), {args.seconds:.0f} s")
            async with empty_postgres(server) as libpq:
                result = await limit_run(libpq, 40, writers, args.seconds)
            writes.append(result)
            say(f"    {result.per_second:.0f} inserts/s, {result.tally.conflicts} conflicts")
    searches: list[SearchResult] = []
    for kind in reversed(kinds):
        async with fresh(kind, server) as db:
            announce(f"search, {db.label}, {args.bookings:,} bookings, {args.searches} searches")
            world = await build_bench_world(db.sessions)
            result = await search_run(db, world, args.bookings, args.searches)
        searches.append(result)
        say(f"    p50 {result.percentile(50):.1f} ms, p95 {result.percentile(95):.1f} ms")
    facts = machine.facts(await machine.postgres_version(server), load_before)
    text = report.document(facts, writes, searches, COMMAND)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    say(f"wrote {args.output}")


if __name__ == "__main__":
    asyncio.run(main(arguments()))
    sys.exit(0)
