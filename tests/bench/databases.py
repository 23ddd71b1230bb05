"""A fresh, migrated database for each measurement: a uniquely named PostgreSQL
database (dropped afterwards) or an SQLite file in a temporary directory."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from booking.db.engine import make_engine, session_factory
from booking.db.migrate import upgrade
from tests import pg
from tests.database import Database


@dataclass
class Fresh(Database):
    label: str = ""  # "SQLite" or "PostgreSQL"
    libpq: str | None = None  # for asyncpg, PostgreSQL only


@asynccontextmanager
async def empty_postgres(server: str) -> AsyncIterator[str]:
    """A new, empty database; yields its libpq URL and drops it afterwards."""
    name = f"lokaler_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield pg.with_database(server, name)
    finally:
        admin = await asyncpg.connect(server)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


@asynccontextmanager
async def fresh(kind: str, server: str | None) -> AsyncIterator[Fresh]:
    """A migrated database of `kind` ("sqlite" or "postgres")."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="lokaler-bench-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await asyncio.to_thread(upgrade, url)  # upgrade() runs its own event loop
            engine = make_engine(url)
            database = Fresh(url, engine, session_factory(engine), label="SQLite")
            try:
                yield database
            finally:
                await database.dispose()
        return
    assert server is not None
    async with empty_postgres(server) as libpq:
        url = libpq.replace("postgresql://", "postgresql+asyncpg://", 1)
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        database = Fresh(url, engine, session_factory(engine), label="PostgreSQL", libpq=libpq)
        try:
            yield database
        finally:
            await database.dispose()
