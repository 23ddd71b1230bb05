"""Where a write's time goes.

`python -m tests.bench.profile [sqlite|postgres] [writers] [seconds] [--cprofile]` runs
the engine as the benchmark does and prints the client's CPU time per attempt, split by
the steps of `place_booking` (exact with one writer: nothing else runs in between), the
SQL statements per attempt with their mean latency, and with --cprofile the functions
with the most own and cumulative time. For a sampling profile of CPU only, run it under
py-spy: `py-spy record --format raw -o stacks.txt -- python -m tests.bench.profile`."""

from __future__ import annotations

import asyncio
import cProfile
import inspect
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import event

from booking.services import bookings
from tests import pg
from tests.bench.databases import Fresh, fresh
from tests.bench.world import BenchWorld, build_bench_world
from tests.bench.writes import OWN_BASE, WARMUP_BASE, Tally, engine_writer, timed

# The steps of `book`, by the names it looks up at call time (none calls another);
# names the engine no longer has are skipped.
STEPS = ("read_situation", "existing_booking", "decide", "write_bookings", "write_at_once")
REST = "the rest: session, transaction, commit, event loop"


def _resolve(name: str) -> tuple[object, str] | None:
    owner: object = bookings
    *path, attribute = name.split(".")
    for part in path:
        owner = getattr(owner, part, None)
    return (owner, attribute) if owner is not None and hasattr(owner, attribute) else None


@contextmanager
def steps_timed(cpu: dict[str, float]) -> Iterator[None]:
    """Wrap the steps `place_booking` calls to add up their CPU time."""
    found = {name: place for name in STEPS if (place := _resolve(name)) is not None}
    originals = {name: getattr(owner, attribute) for name, (owner, attribute) in found.items()}

    def wrap(name, original):
        async def step(*args, **kwargs):
            started = time.process_time()
            try:
                return await original(*args, **kwargs)
            finally:
                cpu[name] += time.process_time() - started

        def pure_step(*args, **kwargs):
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                cpu[name] += time.process_time() - started

        return step if inspect.iscoroutinefunction(original) else pure_step

    for name, (owner, attribute) in found.items():
        setattr(owner, attribute, wrap(name, originals[name]))
    try:
        yield
    finally:
        for name, (owner, attribute) in found.items():
            setattr(owner, attribute, originals[name])


async def step_breakdown(
    db: Fresh, world: BenchWorld, seconds: float, base: datetime = OWN_BASE
) -> tuple[Tally, float, dict[str, float]]:
    """One writer: the client's CPU ms per attempt in total and per step (REST included)."""
    cpu: dict[str, float] = defaultdict(float)
    await timed([engine_writer(db, world, 0, 1, limit=20, base=WARMUP_BASE)], 30)
    with steps_timed(cpu):
        run = await timed([engine_writer(db, world, 0, 1, base=base)], seconds)
    tally, total = run.tally, run.cpu_seconds
    per = max(1, tally.attempts)
    split = {name: cpu[name] / per * 1000 for name in STEPS if name in cpu}
    split[REST] = (total - sum(cpu.values())) / per * 1000
    return tally, total / per * 1000, split


async def main(kind: str, writers: int, seconds: float, use_cprofile: bool) -> None:
    server, _ = pg.server_url()
    async with fresh(kind, server) as db:
        world = await build_bench_world(db.sessions)
        # Its own times and idempotency keys, apart from the run that follows.
        _, per_attempt, split = await step_breakdown(db, world, min(seconds, 5), base=datetime(2031, 1, 6, tzinfo=UTC))
        latencies: dict[str, list[float]] = defaultdict(list)

        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def _before(connection, _cursor, _statement, *_args) -> None:
            connection.info["bench_started"] = time.perf_counter()

        @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
        def _after(connection, _cursor, statement, *_args) -> None:
            latencies[" ".join(statement.split())[:90]].append(time.perf_counter() - connection.info["bench_started"])

        profiler = cProfile.Profile() if use_cprofile else None
        if profiler:
            profiler.enable()
        run = await timed([engine_writer(db, world, w, writers) for w in range(writers)], seconds)
        elapsed, tally, cpu = run.seconds, run.tally, run.cpu_seconds
        if profiler:
            profiler.disable()
    print(f"\nOne writer, client CPU per attempt by step ({per_attempt:.2f} ms in all):")
    for name, ms in split.items():
        print(f"  {ms:6.2f} ms  {name}")
    print(
        f"\n{db.label}, {writers} writer(s): {tally.written} written, {tally.conflicts} conflicts in {elapsed:.1f} s "
        f"= {tally.written / elapsed:.0f}/s; client CPU {cpu:.1f} s ({cpu / elapsed:.0%} of wall), "
        f"{cpu / max(1, tally.attempts) * 1000:.1f} ms per attempt"
    )
    print(f"\nSQL statements per attempt ({tally.attempts} attempts), mean latency incl. driver and event loop:")
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
    asyncio.run(
        main(
            positional[0] if positional else "postgres",
            int(positional[1]) if len(positional) > 1 else 16,
            float(positional[2]) if len(positional) > 2 else 8,
            "--cprofile" in sys.argv,
        )
    )
