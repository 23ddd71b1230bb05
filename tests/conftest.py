"""Databases for the tests: a fresh, migrated SQLite file and a fresh PostgreSQL
database (cloned from a migrated template) for each test that asks for one.

The PostgreSQL databases are dropped together when the session ends, not one by one after
each test: DROP DATABASE makes the server write out every dirty buffer (a checkpoint), which
took up to a second on a busy machine, and drops made at the same time share one checkpoint."""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.db.engine import make_engine, session_factory
from booking.db.migrate import upgrade
from tests import pg
from tests.database import Database

IN_CI = os.environ.get("CI") == "true"
PG_SERVER, PG_HOW = pg.server_url()


async def alone(sessions: async_sessionmaker[AsyncSession], use_case, *args, **kwargs):
    """A use case on a session of its own: for writers run at the same time (one session is
    not safe for concurrent use)."""
    async with sessions() as session:
        return await use_case(session, *args, **kwargs)


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
_pg_databases: list[str] = []  # made by `db` this session, dropped at its end
# Databases a test has finished with, emptied and with the template's schema: the next test
# takes one (emptying takes a third of the time of copying the template).
_pg_emptied: list[str] = []


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
def _drop_postgres_databases():
    yield
    if PG_SERVER and (_pg_databases or _pg_template):
        asyncio.run(pg.drop_databases(PG_SERVER, _pg_databases + _pg_template))


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
        await database.dispose()
        return
    server = require_postgres()
    template = await postgres_template()
    name = _pg_emptied.pop() if _pg_emptied else await pg.create_database(server, template=template)
    if name not in _pg_databases:
        _pg_databases.append(name)
    url = asyncpg_url(pg.with_database(server, name))
    engine = make_engine(url)
    database = Database(url, engine, session_factory(engine))
    yield database
    await database.dispose()
    if await pg.emptied(server, name, like=template):
        _pg_emptied.append(name)


@pytest.fixture
async def sqlite_db(sqlite_template, tmp_path):
    database = await _sqlite_database(sqlite_template, tmp_path)
    yield database
    await database.dispose()


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


def pytest_xdist_make_scheduler(config, log):
    """In parallel (`make test` runs pytest-xdist's -n auto), each test goes to whichever
    worker is free, except the browser tests: they stay together on one worker, in their
    order, sharing one seeded server, and start first, being the longest piece. (xdist's
    `--dist loadgroup` would do this, but cannot rename pytest 9's test ids.)"""
    if config.getvalue("dist") != "load":
        return None  # a --dist asked for on the command line
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "tests/e2e" if nodeid.startswith("tests/e2e/") else nodeid

    return BrowserTestsTogether(config, log)
