"""`python -m tests.bench.http`: HTTP throughput against PostgreSQL and two server
processes (`booking serve --workers 2`), 16 concurrent clients: `GET
/api/v1/premises/{slug}/availability` and `POST /api/v1/bookings`, with p50/p95 latency
and the count of overlapping bookings afterwards (must be 0); and, in the same run,
pgbench's rate for one INSERT per transaction into a table with an `EXCLUDE USING gist
(unit WITH =, during WITH &&)` constraint, 16 clients, which bookings created per second
are measured against. Prints a table and writes it into docs/BENCHMARKS.md under its own
heading."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import holidays
import httpx

from booking.domain.premises import OpeningHours
from tests import pg
from tests.bench import machine
from tests.bench.databases import empty_postgres
from tests.bench.feeds import write_section
from tests.bench.progress import say
from tests.e2e.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## HTTP"
DELEGATE = "per.amundsen@example.no"
CLIENTS = 16
TARGET_SHARE, TARGET_P95_MS = 0.04, 150
PGBENCH_TABLE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE pgbench_claim (id bigserial PRIMARY KEY, unit bigint NOT NULL, during tstzrange NOT NULL,
                            EXCLUDE USING gist (unit WITH =, during WITH &&));
"""
# Each client its own units, each insert a millisecond from the clock: nothing collides, so
# this is the rate of the constraint's work alone.
PGBENCH_SCRIPT = """\\set unit :client_id * 1000000000 + random(1, 1000000000)
INSERT INTO pgbench_claim (unit, during)
  VALUES (:unit, tstzrange(clock_timestamp(), clock_timestamp() + interval '1 millisecond'));
"""
OVERLAPS = """
SELECT count(*) FROM slot_claim a JOIN slot_claim b
  ON a.unit_id = b.unit_id AND a.id < b.id AND a.busy_from < b.busy_to AND b.busy_from < a.busy_to
"""


def open_on_weekdays(hours: dict) -> bool:
    """Open 09:00-15:00 every weekday, where the benchmark books."""
    windows = OpeningHours.parse(hours).windows
    return all(any(a <= 9 * 60 and b >= 15 * 60 for a, b in windows.get(day, ())) for day in range(5))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.http", description=__doc__)
    parser.add_argument("--seconds", type=float, default=15, help="length of each run (default 15)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    return parser.parse_args()


def booking_cli(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "booking.cli", *args], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


async def run_clients(seconds: float, request) -> tuple[int, dict[str, int], list[float]]:
    """CLIENTS loops calling `request(client, n)` until time is up."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=CLIENTS)) as client:

        async def loop():
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                answer = await request(client, next(counter))
                latencies.append((time.perf_counter() - started) * 1000)
                status = str(answer.status_code)
                if answer.status_code >= 400:  # which refusal, by its stable code
                    status += f" {answer.json().get('code', '')}"
                statuses[status] = statuses.get(status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - began
    return int(len(latencies) / elapsed), statuses, latencies


async def pgbench_rate(libpq: str, seconds: float) -> float:
    """Transactions per second of pgbench, CLIENTS clients, one INSERT each (PGBENCH_SCRIPT)."""
    connection = await asyncpg.connect(libpq)
    try:
        await connection.execute(PGBENCH_TABLE)
    finally:
        await connection.close()
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(PGBENCH_SCRIPT)
        script.flush()
        done = subprocess.run(
            ["pgbench", "-n", "-c", str(CLIENTS), "-j", "2", "-T", str(int(seconds)), "-f", script.name, libpq],
            capture_output=True,
            text=True,
        )
    if done.returncode:
        raise RuntimeError(f"pgbench failed: {done.stderr[-2000:]}")
    return float(re.search(r"tps = ([0-9.]+)", done.stdout).group(1))


def percentile(samples: list[float], share: float) -> float:
    return statistics.quantiles(samples, n=100)[int(share * 100) - 1] if len(samples) > 1 else samples[0]


async def measure(seconds: float) -> list[dict]:
    server, how = pg.server_url()
    if server is None:
        say(f"PostgreSQL not available ({how}): nothing to measure")
        return []
    async with empty_postgres(server) as libpq:
        env = {
            **os.environ,
            "BOOKING_DATABASE_URL": libpq.replace("postgresql://", "postgresql+asyncpg://"),
            "BOOKING_MEDIA_DIR": tempfile.mkdtemp(prefix="lokaler-bench-media-"),
        }
        say("migrating and loading the sample municipality")
        booking_cli(env, "db", "upgrade")
        booking_cli(env, "seed", "--sample", "--bookings", "100")
        token = booking_cli(env, "token", "create", DELEGATE)
        connection = await asyncpg.connect(libpq)
        try:
            organisation = await connection.fetchval(
                "SELECT m.organisation_id FROM membership m JOIN person p ON p.id = m.person_id "
                "WHERE p.email = $1 ORDER BY m.id LIMIT 1",
                DELEGATE,
            )
            # Premises open 09:00-15:00 on weekdays, needing no approval and seating the ten who
            # come, and not part of a divisible hall: each a timeline of its own, bookable at once.
            rows = await connection.fetch(
                "SELECT slug, opening_hours FROM premises p WHERE NOT requires_approval AND capacity >= 10 "
                "AND parent_id IS NULL AND NOT EXISTS (SELECT 1 FROM premises c WHERE c.parent_id = p.id)"
            )
        finally:
            await connection.close()
        rooms = [r["slug"] for r in rows if open_on_weekdays(json.loads(r["opening_hours"]))]
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "booking.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(base + "/api/v1/terms", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            results = []
            # Weeks from four months ahead, past the sample's bookings (organisations book up to
            # a year ahead); weekdays that are public holidays are left out.
            monday = date.today() + timedelta(days=119 - date.today().weekday())
            free_days = [
                d
                for d in (monday + timedelta(days=i) for i in range(7 * 30))
                if d.weekday() < 5 and d not in holidays.Norway(years=range(d.year, d.year + 1))
            ]
            rng = random.Random(7)

            async def availability(client, n):
                day = monday + timedelta(days=rng.randrange(28))
                answer = await client.get(
                    f"{base}/api/v1/premises/{rng.choice(rooms)}/availability",
                    params={"from": f"{day}T00:00", "to": f"{day + timedelta(days=7)}T00:00"},
                )
                return answer

            say(f"GET availability, {CLIENTS} clients, {seconds:.0f} s")
            reading_cpu = machine.tree_cpu_seconds(process.pid)
            results.append(("GET /api/v1/premises/{slug}/availability", *await run_clients(seconds, availability)))
            reading_cpu = machine.tree_cpu_seconds(process.pid) - reading_cpu
            headers = {"Authorization": f"Bearer {token}"}

            async def book(client, n):
                # Distinct free slots: 09, 11 and 13 o'clock for an hour, so buffers never touch.
                room = rooms[n % len(rooms)]
                step = n // len(rooms)
                day = free_days[step // 3]
                hour = 9 + 2 * (step % 3)
                answer = await client.post(
                    f"{base}/api/v1/bookings",
                    headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                    json={
                        "premises": room,
                        "start": f"{day}T{hour:02d}:00",
                        "end": f"{day}T{hour + 1:02d}:00",
                        "organisation_id": organisation,
                        "payment_method": "invoice",
                        "purpose": "Benchmark",
                        "attendees": 10,
                        "target_group": "children_youth",
                        "accept_terms": True,
                        "accept_fire_instructions": True,
                    },
                )
                return answer

            say(f"POST bookings, {CLIENTS} clients, {seconds:.0f} s")
            server_cpu, database_cpu = machine.tree_cpu_seconds(process.pid), machine.named_cpu_seconds("postgres")
            client_cpu = time.process_time()
            results.append(("POST /api/v1/bookings", *await run_clients(seconds, book)))
            client_cpu = time.process_time() - client_cpu
            server_cpu = machine.tree_cpu_seconds(process.pid) - server_cpu
            database_cpu = machine.named_cpu_seconds("postgres") - database_cpu
        finally:
            process.terminate()
            process.wait(timeout=20)
        say(f"pgbench, one INSERT per transaction with the exclusion constraint, {CLIENTS} clients, {seconds:.0f} s")
        limit = await pgbench_rate(libpq, seconds)
        connection = await asyncpg.connect(libpq)
        try:
            overlaps = await connection.fetchval(OVERLAPS)
        finally:
            await connection.close()
    return [
        {
            "route": route,
            "per_second": rate,
            "statuses": statuses,
            "p50": percentile(lat, 0.5),
            "p95": percentile(lat, 0.95),
            "overlaps": overlaps,
            "pgbench": limit,
            "server_cpu": server_cpu,
            "database_cpu": database_cpu,
            "client_cpu": client_cpu,
            "reading_cpu": reading_cpu,
        }
        for route, rate, statuses, lat in results
    ]


def table(results: list[dict], seconds: float) -> str:
    lines = [
        HEADING,
        "",
        f"PostgreSQL, `booking serve --workers 2`, {CLIENTS} concurrent clients, {seconds:.0f} s each, "
        f"on {machine.cores()} cores (load average at the end: {machine.load_average()}); "
        "`python -m tests.bench.http`. Every booking attempt asks for a distinct free slot.",
        "",
        "| route | requests/s | p50 ms | p95 ms | answers | overlapping claims afterwards |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        answers = ", ".join(f"{code}: {count}" for code, count in sorted(r["statuses"].items()))
        lines.append(
            f"| `{r['route']}` | {r['per_second']} | {r['p50']:.1f} | {r['p95']:.1f} | {answers} | {r['overlaps']} |"
        )
    posts = next(r for r in results if r["route"].startswith("POST"))
    gets = next(r for r in results if r["route"].startswith("GET"))
    week_read = gets["reading_cpu"] * 1000 / max(gets["statuses"].get("200", 0), 1)
    created = posts["per_second"] * posts["statuses"].get("201", 0) / sum(posts["statuses"].values())
    share, limit = created / posts["pgbench"], posts["pgbench"]

    def per_booking(key: str) -> float:
        return posts[key] * 1000 / max(posts["statuses"].get("201", 0), 1)

    everything = sum(per_booking(key) for key in ("server_cpu", "database_cpu", "client_cpu"))
    others = per_booking("database_cpu") + per_booking("client_cpu")
    target_rate = TARGET_SHARE * limit
    budget = machine.cores() * 1000 / target_rate

    lines += [
        "",
        "| target (same run) | measured | verdict |",
        "| --- | --- | --- |",
        f"| bookings created/s ≥ {TARGET_SHARE:.0%} of pgbench's rate (one INSERT per transaction with the "
        f"exclusion constraint, {CLIENTS} clients: {limit:,.0f}/s) | {share:.1%} ({created:.0f}/s) | "
        f"{'PASS' if share >= TARGET_SHARE else 'MISS'} |",
        f"| POST p95 ≤ {TARGET_P95_MS} ms | {posts['p95']:.0f} ms | "
        f"{'PASS' if posts['p95'] <= TARGET_P95_MS else 'MISS'} |",
        "",
        f"CPU per created booking, measured from outside during the POST run: the server's processes "
        f"{per_booking('server_cpu'):.1f} ms, PostgreSQL's {per_booking('database_cpu'):.1f} ms (every postgres "
        "process on the machine, so other work on the database counts too), and this load generator's "
        f"{per_booking('client_cpu'):.1f} ms (httpx), all on the same {machine.cores()} cores: together "
        f"{everything:.1f} ms of CPU a booking, a ceiling of about {machine.cores() * 1000 / everything:.0f} "
        "bookings/s here.",
        "",
        f"At the target rate ({TARGET_SHARE:.0%} of pgbench: {target_rate:,.0f}/s) the {machine.cores()} cores give "
        f"{budget:.1f} ms of CPU a booking in all; with PostgreSQL's and the load generator's share as measured, "
        f"{budget - others:.1f} ms would be left for the server, which used {per_booking('server_cpu'):.1f} ms.",
        "",
        f"The server's CPU per week read (the GET run): {week_read:.1f} ms.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = arguments()
    results = asyncio.run(measure(args.seconds))
    if results:
        section = table(results, args.seconds)
        print(section)
        write_section(args.output, section, HEADING)
        say(f"wrote {args.output} ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
