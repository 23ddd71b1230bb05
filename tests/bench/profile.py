"""`python -m tests.bench.profile [sqlite|postgres] [writers] [seconds] [--cprofile]`:
where a write run's time goes. Runs the engine as the benchmark does and prints the
client's CPU time per booking, split by the steps of `place_booking` (exact with one
writer on PostgreSQL, where nothing else runs in between), and the SQL statements
issued per attempt with their mean latency; with --cprofile also the functions with the
most own and cumulative time.
For a sampling profile of CPU only, run it under py-spy:
`py-spy record --format raw -o stacks.txt -- python -m tests.bench.profile postgres 16`."""
from __future__ import annotations

import asyncio
import cProfile
import pstats
import sys
import time
from collections import defaultdict

from sqlalchemy import event

from booking.services import bookings
from tests import pg
from tests.bench.databases import fresh
from tests.bench.world import build_bench_world
from tests.bench.writes import WARMUP_BASE, engine_writer, timed


STEPS = ("_existing", "premises_by_slug", "booker", "families", "closures_for", "upcoming_count",
         "release_expired_holds", "taken_slots")


def instrument(cpu: dict[str, float]) -> None:
    """Wrap the steps `place_booking` looks up in its module, to add up their CPU time."""
    for name in STEPS:
        original = getattr(bookings, name)

        async def timed_step(*args, _original=original, _name=name, **kwargs):
            started = time.process_time()
            try:
                return await _original(*args, **kwargs)
            finally:
                cpu[_name] += time.process_time() - started

        setattr(bookings, name, timed_step)


async def main(kind: str, writers: int, seconds: float, use_cprofile: bool) -> None:
    step_cpu: dict[str, float] = defaultdict(float)
    server, _ = pg.server_url()
    async with fresh(kind, server) as db:
        world = await build_bench_world(db.sessions)
        await timed([engine_writer(db, world, 0, 1, limit=20, base=WARMUP_BASE)], 30)
        latencies: dict[str, list[float]] = defaultdict(list)

        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def _before(connection, _cursor, _statement, *_args) -> None:
            connection.info["bench_started"] = time.perf_counter()

        @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
        def _after(connection, _cursor, statement, *_args) -> None:
            latencies[" ".join(statement.split())[:90]].append(time.perf_counter() - connection.info["bench_started"])

        instrument(step_cpu)
        profiler = cProfile.Profile() if use_cprofile else None
        if profiler:
            profiler.enable()
        elapsed, tally, cpu = await timed([engine_writer(db, world, w, writers) for w in range(writers)], seconds)
        if profiler:
            profiler.disable()
    print(f"{db.label}, {writers} writer(s): {tally.written} written, {tally.conflicts} conflicts in {elapsed:.1f} s "
          f"= {tally.written / elapsed:.0f}/s; client CPU {cpu:.1f} s ({cpu / elapsed:.0%} of wall), "
          f"{cpu / max(1, tally.attempts) * 1000:.1f} ms per attempt")
    per = max(1, tally.attempts)
    print("\nclient CPU per attempt by step (ms):")
    for name in STEPS:
        print(f"  {step_cpu[name] / per * 1000:6.2f}  {name}")
    rest = cpu - sum(step_cpu.values())
    print(f"  {rest / per * 1000:6.2f}  the rest: session and transaction, INSERTs (ORM flush), commit, event loop")
    print(f"\nSQL statements per attempt ({tally.attempts} attempts), mean latency incl. driver:")
    total = 0.0
    for statement, spans in sorted(latencies.items(), key=lambda kv: -sum(kv[1])):
        total += sum(spans)
        print(f"  {len(spans) / tally.attempts:5.2f}  {sum(spans) / len(spans) * 1000:6.2f} ms  {statement}")
    print(f"  time inside statements: {total:.1f} s of {elapsed * writers:.1f} writer-seconds")
    if profiler:
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    positional = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(positional[0] if positional else "postgres",
                     int(positional[1]) if len(positional) > 1 else 16,
                     float(positional[2]) if len(positional) > 2 else 8,
                     "--cprofile" in sys.argv))
