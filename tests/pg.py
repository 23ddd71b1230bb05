"""Finding a PostgreSQL server for the tests: BOOKING_TEST_PG_URL when set, else the
local server at 127.0.0.1:5432 when it answers, else a throwaway cluster started from
the local PostgreSQL binaries. With none of these the PostgreSQL tests skip loudly,
except under CI=true, where that fails the run."""

from __future__ import annotations

import asyncio
import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid

import asyncpg


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _throwaway_cluster() -> str | None:
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        return None
    bindir = os.path.dirname(binaries[-1])
    data = tempfile.mkdtemp(prefix="lokaler-pg-")
    with socket.socket() as probe:  # a free port, so a stale cluster cannot block us
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    user = "postgres"
    run_as = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    if run_as:
        shutil.chown(data, "postgres")
    subprocess.run(
        [*run_as, f"{bindir}/initdb", "-D", data, "-U", user, "-A", "trust"], check=True, capture_output=True
    )
    subprocess.run(
        [
            *run_as,
            f"{bindir}/pg_ctl",
            "-D",
            data,
            "-l",
            f"{data}/server.log",
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    atexit.register(
        lambda: subprocess.run([*run_as, f"{bindir}/pg_ctl", "-D", data, "-m", "fast", "stop"], capture_output=True)
    )
    return f"postgresql://{user}@127.0.0.1:{port}/postgres"


def server_url() -> tuple[str | None, str]:
    """(a libpq URL of a server we may create databases on, or None; how it was found)."""
    if os.environ.get("BOOKING_TEST_PG_URL"):
        return os.environ["BOOKING_TEST_PG_URL"].replace("+asyncpg", ""), "BOOKING_TEST_PG_URL"
    if _answers("127.0.0.1", 5432):
        return "postgresql://postgres@127.0.0.1:5432/postgres", "local server at 127.0.0.1:5432"
    try:
        url = _throwaway_cluster()
    except (OSError, subprocess.CalledProcessError) as error:
        return None, f"no server answered and a throwaway cluster failed to start: {error}"
    return (url, "throwaway cluster") if url else (None, "no server and no PostgreSQL binaries found")


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def create_database(server: str, template: str | None = None) -> str:
    name = f"lokaler_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(server)
    try:
        suffix = f" TEMPLATE {template}" if template else ""
        await connection.execute(f"CREATE DATABASE {name}{suffix}")
    finally:
        await connection.close()
    return name


async def drop_database(server: str, name: str) -> None:
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await connection.close()


# What a database's schema is: its tables' columns and types, constraints and indexes.
SCHEMA = """
SELECT md5(string_agg(part, ',' ORDER BY part)) FROM (
  SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod) AS part
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL SELECT conrelid::regclass || '.' || conname || ':' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
   WHERE c.relnamespace = 'public'::regnamespace
) parts
"""
TABLES = """
SELECT string_agg(quote_ident(relname), ', ') FROM pg_class
 WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND relname <> 'alembic_version'
"""
_schemas: dict[str, str] = {}  # database → its schema's fingerprint


async def schema_of(server: str, name: str) -> str:
    if name not in _schemas:
        connection = await asyncpg.connect(with_database(server, name))
        try:
            _schemas[name] = await connection.fetchval(SCHEMA)
        finally:
            await connection.close()
    return _schemas[name]


async def emptied(server: str, name: str, *, like: str) -> bool:
    """Empty a test's database for the next test (every table, identities restarted), when
    its schema is still that of the database `like` (a test may have migrated it down and
    up); False, leaving it as it is, when it is not or cannot be emptied."""
    expected = await schema_of(server, like)
    connection = await asyncpg.connect(with_database(server, name))
    try:
        # Whatever the test left connected (a server it started) lets go of the tables.
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        if await connection.fetchval(SCHEMA) != expected:
            return False
        await connection.execute("SET lock_timeout = '5s'")
        await connection.execute(f"TRUNCATE {await connection.fetchval(TABLES)} RESTART IDENTITY CASCADE")
        return True
    except asyncpg.PostgresError:
        return False
    finally:
        await connection.close()


async def drop_databases(server: str, names: list[str], connections: int = 4) -> None:
    """Drop many databases at once: each DROP DATABASE waits for a checkpoint, and drops
    waiting at the same time share one."""

    async def drop_each(share: list[str]) -> None:
        for name in share:
            await drop_database(server, name)

    await asyncio.gather(*(drop_each(names[i::connections]) for i in range(connections)))
