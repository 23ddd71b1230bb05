"""The report: Markdown tables for stdout and docs/BENCHMARKS.md."""

from __future__ import annotations

from statistics import mean

from tests.bench import machine
from tests.bench.search import SearchResult
from tests.bench.writes import WriteResult

RATIO_TARGET = 0.20
P95_TARGET_MS = 50.0


RUN_NAMES = {
    "engine": "engine: `create_booking`",
    "limit": "limit: one plain INSERT",
    "replay": "engine's SQL replayed with asyncpg (no ORM)",
    "floor": "floor: a booking's rows in one statement, nothing read",
}


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine_table(facts: list[tuple[str, str]]) -> str:
    return _table(["machine", ""], [[k, v] for k, v in facts])


def writes_table(results: list[WriteResult]) -> str:
    rows = []
    for r in results:
        t = r.tally
        errors = ", ".join(f"{name} ×{n}" for name, n in t.errors.items()) or "0"
        rows.append(
            [
                RUN_NAMES[r.what],
                r.database,
                str(r.writers),
                f"{r.seconds:.1f}",
                str(t.attempts),
                str(t.written),
                f"{t.conflicts} ({t.by_constraint})",
                errors,
                f"**{r.per_second:.0f}**",
                f"{r.cpu_seconds / max(1, t.attempts) * 1000:.2f}",
                f"{r.cpu_seconds / r.seconds:.0%}",
                f"{r.machine_busy:.0%}",
                str(r.overlaps),
            ]
        )
    return _table(
        [
            "run",
            "database",
            "writers",
            "seconds",
            "attempts",
            "written",
            "conflicts (by constraint)",
            "errors",
            "written/s",
            "client CPU ms/attempt",
            "client CPU, of one core",
            f"machine busy, of {machine.cores()} cores",
            "overlapping claims",
        ],
        rows,
    )


def search_table(results: list[SearchResult]) -> str:
    rows = [
        [
            r.database,
            f"{r.bookings:,} ({r.claims:,})",
            f"{len(r.timings_ms)} ({r.filtered})",
            f"{r.percentile(50):.1f}",
            f"**{r.percentile(95):.1f}**",
            f"{max(r.timings_ms):.1f}",
            f"{mean(r.found):.1f}",
            f"{r.machine_busy:.0%}",
            str(r.overlaps),
        ]
        for r in results
    ]
    return _table(
        [
            "database",
            "bookings (slot claims)",
            "searches (with filters)",
            "p50 ms",
            "p95 ms",
            "max ms",
            "premises found, mean",
            f"machine busy, of {machine.cores()} cores",
            "overlapping claims",
        ],
        rows,
    )


def breakdown_table(breakdown: tuple[float, dict[str, float]]) -> str:
    total, split = breakdown
    rows = [
        [f"`{name}`" if not name.startswith("the rest") else name, f"{ms:.2f}", f"{ms / total:.0%}"]
        for name, ms in split.items()
    ]
    rows.append(["**all**", f"**{total:.2f}**", "100%"])
    return _table(["step of `create_booking`", "client CPU ms per attempt", "share"], rows)


def ratio(writes: list[WriteResult]) -> tuple[WriteResult, WriteResult] | None:
    engine = next((r for r in writes if r.what == "engine" and r.database == "PostgreSQL" and r.writers == 16), None)
    limit = next((r for r in writes if r.what == "limit" and r.writers == 16), None)
    return (engine, limit) if engine and limit and limit.per_second else None


def targets_table(writes: list[WriteResult], searches: list[SearchResult]) -> str:
    rows = []
    pair = ratio(writes)
    if pair:
        engine, limit = pair
        share = engine.per_second / limit.per_second
        rows.append(
            [
                "PostgreSQL, 16 writers: engine ≥ 20 % of the plain-SQL limit",
                f"{share:.1%} ({engine.per_second:.0f} / {limit.per_second:.0f} per s)",
                _verdict(share >= RATIO_TARGET),
            ]
        )
        for what in ("replay", "floor"):  # for reading the verdict: what SQL alone reaches
            reference = next((r for r in writes if r.what == what), None)
            if reference:
                rows.append(
                    [
                        f"(for comparison, no target) {RUN_NAMES[what]}",
                        f"{reference.per_second / limit.per_second:.1%} ({reference.per_second:.0f} per s)",
                        "",
                    ]
                )
    else:
        rows.append(["PostgreSQL, 16 writers: engine ≥ 20 % of the plain-SQL limit", "not measured", "MISS"])
    overlaps = sum(r.overlaps for r in writes) + sum(r.overlaps for r in searches)
    rows.append(
        [
            "no overlapping claims after any run",
            f"{overlaps} in {len(writes) + len(searches)} databases",
            _verdict(overlaps == 0),
        ]
    )
    errors = sum(sum(r.tally.errors.values()) for r in writes)
    rows.append(["no write ends in an unexpected error (a conflict is expected)", str(errors), _verdict(errors == 0)])
    for r in searches:
        p95 = r.percentile(95)
        rows.append(
            [
                f"{r.database}: search p95 < 50 ms with {r.bookings:,} bookings",
                f"{p95:.1f} ms",
                _verdict(p95 < P95_TARGET_MS),
            ]
        )
    return _table(["target", "measured", "verdict"], rows)


METHOD = """\
- Every measurement runs in a fresh database: a uniquely named PostgreSQL database
  (created and dropped through asyncpg) or an SQLite file in a temporary directory,
  migrated with `booking.db.migrate.upgrade`.
- World: 50 always-open premises in 5 buildings (per building 7 rooms/outdoor areas and
  a divisible hall with two halves), buffers of 0–30 min, 20 % needing approval;
  16 bookers, half booking for a club.
- Writes: `create_booking` with `PremisesApprovalOnly()` and a fixed `now`, one asyncio
  task per writer on one engine (one process), each with an idempotency key, for a fixed
  time after 20 warm-up bookings. 90 % of a writer's attempts book its own premises at
  times nobody else wants; 10 % go for a shared sequence of slots every writer is after
  (at 0 or +1 h, so overlaps are full or partial, halls against their halves).
  *conflicts (by constraint)*: refused attempts, and in brackets those that passed the
  engine's own check and were refused by the database (a lost race). After each run a
  self-join of `slot_claim` (same unit, overlapping `[busy_from, busy_to)`) counts
  overlapping claims.
- Limit: the same attempts as `INSERT INTO bench_claim …` (one transaction each) with
  asyncpg on one connection per writer, into a table with the same `EXCLUDE USING gist`
  constraint as `slot_claim`. (A booking through the engine writes four rows or more:
  booking, one claim per unit, history.)
- Replay: the same attempts sent as the statements `create_booking` sends (one read, then
  the booking, claim, history and outbox rows as one statement, each in autocommit) with
  asyncpg and no ORM: what the round trips alone cost. Floor: only the rows a booking must write, as one
  statement in autocommit with nothing read first: no engine that writes these rows and
  checks anything before writing can be faster (`tests/bench/replay.py`).
- *client CPU*: this process's CPU time over the run, per attempt and as a share of one
  core (for SQLite it includes the driver's thread, which runs SQLite itself). One asyncio
  process uses at most one core: near 100 % the client is the bottleneck. *machine busy*:
  all cores, from /proc/stat: the client, PostgreSQL and whatever else ran meanwhile.
  The breakdown by step wraps the steps of `book` (read, decide, write), with one writer.
- Search: {bookings:,} bookings (90 % confirmed, 5 % awaiting approval, 5 % cancelled) and
  their slot claims bulk-inserted with `executemany`, spread evenly over two years
  (2025-09 to 2027-09) across the premises, then `ANALYZE`. Then `catalogue.search` over all
  premises for 2-hour windows at random half hours within the week of 7 September 2026,
  half of them with 1–5 random filters (district, kind, capacity, equipment, universal
  design), each in its own session, after 10 warm-up searches. Overlaps are checked with
  a running maximum per unit (a self-join is quadratic at this size).
- Client and database share the machine's cores; numbers from different machines do not compare.
"""
BUSY = """\
**The machine was busy with other work when this run started** (load average {load} on
{cores} cores): every process here competed for the cores, so read the numbers as lower
bounds and compare them only with runs on a quiet machine."""


OWN_HEADINGS = ("## Targets", "## Writes", "## Availability search", "## Machine", "## Method")


def keep_other_sections(new: str, old: str) -> str:
    """Sections other tools wrote into the same file (`## Calendar feeds`, say) survive
    a rerun: they are carried over, after this report's own."""
    kept = [
        "## " + part.rstrip("\n")
        for part in ("\n" + old).split("\n## ")[1:]
        if not ("## " + part).startswith(OWN_HEADINGS)
    ]
    return new.rstrip("\n") + "".join("\n\n" + section for section in kept) + "\n"


def document(
    facts: list[tuple[str, str]],
    writes: list[WriteResult],
    searches: list[SearchResult],
    breakdown: tuple[float, dict[str, float]] | None,
    command: str,
    *,
    bookings: int,
    busy: tuple[float, int] | None = None,
) -> str:
    """`busy`: (load average at the start, cores) when the machine was not quiet."""
    parts = [
        "# Benchmarks",
        f"Written by `{command}` (`make bench`); rerun it rather than editing this file.",
    ]
    if busy:
        parts.append(BUSY.format(load=f"{busy[0]:.2f}", cores=busy[1]))
    parts += [
        "## Targets\n\n" + targets_table(writes, searches),
        "## Writes\n\n" + writes_table(writes),
    ]
    if breakdown:
        parts.append(
            "### Client CPU per booking, PostgreSQL, one writer\n\n"
            + breakdown_table(breakdown)
            + "\n\nMore detail: `python -m tests.bench.profile postgres 16` (SQL per attempt with latencies;"
            " `--cprofile` for functions), `python -m tests.bench.replay`."
        )
    parts += [
        "## Availability search\n\n" + search_table(searches),
        "## Machine\n\n" + machine_table(facts),
        "## Method\n\n" + METHOD.format(bookings=bookings).rstrip(),
    ]
    return "\n\n".join(parts) + "\n"
