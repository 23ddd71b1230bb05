"""Databases for the tests: a fresh, migrated SQLite file and a fresh PostgreSQL
database (cloned from a migrated template) for each test that asks for one."""
from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from booking.db.engine import make_engine, session_factory
from booking.db.migrate import upgrade
from tests import pg

IN_CI = os.environ.get("CI") == "true"
PG_SERVER, PG_HOW = pg.server_url()


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def require_postgres() -> str:
    if PG_SERVER is None:
        message = f"PostgreSQL tests cannot run: {PG_HOW}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must not be skipped)")
        pytest.skip("!!! " + message)
    return PG_SERVER


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    # Alembic's env runs its own event loop: give it a thread without one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, f"sqlite+aiosqlite:///{path}").result()
    return str(path)


_pg_template: list[str] = []


async def postgres_template() -> str:
    """The migrated template database, made on first use (so SQLite-only runs need no server)."""
    server = require_postgres()
    if not _pg_template:
        name = await pg.create_database(server)
        await asyncio.to_thread(upgrade, asyncpg_url(pg.with_database(server, name)))
        _pg_template.append(name)
    return _pg_template[0]


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_template():
    yield
    if _pg_template and PG_SERVER:
        asyncio.run(pg.drop_database(PG_SERVER, _pg_template[0]))


async def _sqlite_database(template: str, tmp_path) -> Database:
    path = tmp_path / "booking.db"
    shutil.copy(template, path)
    url = f"sqlite+aiosqlite:///{path}"
    engine = make_engine(url)
    return Database(url, engine, session_factory(engine))


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, sqlite_template, tmp_path):
    if request.param == "sqlite":
        database = await _sqlite_database(sqlite_template, tmp_path)
        yield database
        await database.engine.dispose()
        return
    server = require_postgres()
    name = await pg.create_database(server, template=await postgres_template())
    url = asyncpg_url(pg.with_database(server, name))
    engine = make_engine(url)
    yield Database(url, engine, session_factory(engine))
    await engine.dispose()
    await pg.drop_database(server, name)


@pytest.fixture
async def sqlite_db(sqlite_template, tmp_path):
    database = await _sqlite_database(sqlite_template, tmp_path)
    yield database
    await database.engine.dispose()


def pytest_collection_modifyitems(items) -> None:
    """Mark what needs PostgreSQL (the `db` fixture's postgres half, the PostgreSQL-only
    tests) and what needs Chromium (tests/e2e), so `pytest -m "not postgres and not browser"`
    is a quick local loop; CI runs everything."""
    for item in items:
        params = getattr(item, "callspec", None)
        on_postgres = params is not None and "postgres" in params.params.values()
        if on_postgres or "postgres" in item.fixturenames:
            item.add_marker(pytest.mark.postgres)
        if "/e2e/" in str(item.path) or "browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)
