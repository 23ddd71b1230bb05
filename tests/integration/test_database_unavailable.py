"""A database that is away: every route answers 503 (problem+json with `database_unavailable`
and Retry-After for the API, a short Norwegian page for pages), soon and never a 500;
the app starts anyway, and serves again by itself once the database is back."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import time

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import exc, text

from booking.db.engine import make_engine
from booking.db.failures import database_unavailable
from booking.settings import from_environment
from booking.web.app import create_app
from booking.web.errors import DATABASE_UNAVAILABLE

MESSAGE_NB = DATABASE_UNAVAILABLE[1]


def _closed_port() -> int:
    """A local port nothing listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _app(url: str):
    return create_app(from_environment({"BOOKING_DATABASE_URL": url}))


async def _assert_unavailable(client) -> None:
    started = time.monotonic()
    api = await client.get("/api/v1/premises")
    assert api.status_code == 503, api.text
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["code"] == "database_unavailable" and api.json()["detail"] == MESSAGE_NB
    assert int(api.headers["retry-after"]) > 0
    page = await client.get("/")
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert MESSAGE_NB in page.text and "<code>database_unavailable</code>" in page.text
    assert int(page.headers["retry-after"]) > 0
    assert time.monotonic() - started < 20  # answered, not hung


async def test_postgresql_nobody_listens_answers_503():
    async with AsyncTestClient(app=_app(f"postgresql+asyncpg://lokaler@127.0.0.1:{_closed_port()}/lokaler")) as client:
        await _assert_unavailable(client)


async def test_sqlite_that_cannot_be_opened_answers_503_then_serves_again_by_itself(sqlite_template, tmp_path):
    path = tmp_path / "booking.db"
    path.mkdir()  # a directory where the database file should be: it cannot be opened
    async with AsyncTestClient(app=_app(f"sqlite+aiosqlite:///{path}")) as client:
        await _assert_unavailable(client)
        path.rmdir()
        shutil.copy(sqlite_template, path)  # the database is back
        api = await client.get("/api/v1/premises")
        assert api.status_code == 200 and api.json()["count"] == 0
        assert (await client.get("/")).status_code == 200


async def test_a_working_database_is_served(db):
    async with AsyncTestClient(app=_app(db.url)) as client:
        assert (await client.get("/api/v1/premises")).status_code == 200
        assert (await client.get("/")).status_code == 200


async def test_a_wrong_statement_is_not_called_unavailable(db):
    """Only being away is 'unavailable': a statement the database refuses stays an error."""
    with pytest.raises(exc.DBAPIError) as refused:
        async with db.sessions() as session:
            await session.execute(text("SELECT * FROM no_such_table"))
    assert not database_unavailable(refused.value)
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = 5  # SQLITE_BUSY: the writer lock did not come free in time
    assert database_unavailable(locked)


async def test_a_refused_connection_elsewhere_is_not_the_database():
    """An OSError from something else a request does (a payment provider) is not the database's."""
    try:
        socket.create_connection(("127.0.0.1", _closed_port()), timeout=2)
    except OSError as error:
        assert not database_unavailable(error)
    engine = make_engine(f"postgresql+asyncpg://lokaler@127.0.0.1:{_closed_port()}/lokaler")
    try:
        with pytest.raises(OSError) as refused:
            async with engine.connect():
                pass
        assert database_unavailable(refused.value)
    finally:
        await engine.dispose()
