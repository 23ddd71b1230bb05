"""`python -m tests.bench.series`: a weekly series of 40 dates against the same 40 dates
booked one by one, through the engine (`create_series`, `create_booking`), on each
database. Each round books fresh premises, so nothing collides; the ratio is the
series' speed-up. Prints a table and writes it into docs/BENCHMARKS.md under
"## Weekly series"."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path

from booking.domain.recurrence import WeeklyPattern, occurrences
from booking.services.bookings import NewBooking, create_booking
from booking.services.series import create_series
from pricing import BookingDetails
from tests import pg
from tests.bench import machine
from tests.bench.databases import fresh
from tests.bench.feeds import write_section
from tests.bench.progress import say
from tests.bench.world import build_bench_world
from tests.bench.writes import NOW, RULES

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m tests.bench.series"
HEADING = "## Weekly series"
TARGET_RATIO = 10
FIRST = date(2027, 1, 4)  # a Monday
DETAILS = BookingDetails("Trening", 5, "adults")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__)
    parser.add_argument("--dates", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    return parser.parse_args()


async def measure(kind: str, server: str | None, dates: int, rounds: int) -> tuple[str, float, float]:
    """(database, median seconds for the series, median seconds for the same dates one by one)."""
    pattern = WeeklyPattern((0,), clock_time(18), clock_time(20), FIRST, FIRST + timedelta(weeks=dates - 1))
    async with fresh(kind, server) as db:
        world = await build_bench_world(db.sessions)
        person = world.person_ids[0]
        slugs = [timeline.slugs[0] for timeline in world.timelines]  # premises that share no units
        as_series, one_by_one = [], []
        for round_ in range(rounds + 1):  # the first round warms up and is not counted
            say(f"    {db.label}: round {round_ + 1} of {rounds + 1}")
            started = time.perf_counter()
            made = await create_series(
                db.session,
                premises_slug=slugs[2 * round_],
                pattern=pattern,
                person_id=person,
                organisation_id=None,
                details=DETAILS,
                rules=RULES,
                now=NOW,
            )
            series_seconds = time.perf_counter() - started
            assert made.created == dates, made
            started = time.perf_counter()
            for occurrence in occurrences(pattern):
                await create_booking(
                    db.session,
                    NewBooking(
                        slugs[2 * round_ + 1],
                        occurrence.interval.start,
                        occurrence.interval.end,
                        person,
                        details=DETAILS,
                    ),
                    rules=RULES,
                    now=NOW,
                )
            singles_seconds = time.perf_counter() - started
            if round_:
                as_series.append(series_seconds)
                one_by_one.append(singles_seconds)
        return db.label, statistics.median(as_series), statistics.median(one_by_one)


def table(rows: list[tuple[str, float, float]], dates: int, rounds: int, load: str) -> str:
    lines = [
        HEADING,
        "",
        f"Written by `{COMMAND}`: a weekly series of {dates} dates (`create_series`) against "
        f"the same {dates} dates booked one by one (`create_booking`), the median of {rounds} rounds on "
        f"fresh premises. Target: the series at least {TARGET_RATIO}× faster. Load average at start: {load}.",
        "",
        "| database | series, s | one by one, s | series faster by | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, series_seconds, singles_seconds in rows:
        ratio = singles_seconds / series_seconds
        lines.append(
            f"| {label} | {series_seconds:.3f} | {singles_seconds:.3f} | **{ratio:.1f}×** | "
            f"{'PASS' if ratio >= TARGET_RATIO else 'MISS'} |"
        )
    return "\n".join(lines) + "\n"


async def main(args: argparse.Namespace) -> None:
    load = machine.load_average()
    server, how = pg.server_url()
    say(f"PostgreSQL: {how}" if server else f"PostgreSQL not available ({how}): its row is skipped")
    rows = [
        await measure(kind, server, args.dates, args.rounds) for kind in ["sqlite"] + (["postgres"] if server else [])
    ]
    section = table(rows, args.dates, args.rounds, load)
    print(section)
    write_section(args.output, section, HEADING)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
