"""Engines and the write transaction.

SQLite serialises writers: a write transaction starts with BEGIN IMMEDIATE, so the
conflict re-check inside it sees every committed booking. PostgreSQL relies on the
exclusion constraint on slot_claim instead, and runs every statement outside a write
transaction in autocommit, as its own transaction (READ COMMITTED gives each statement
its own snapshot anyway), so no BEGIN and ROLLBACK go to the server around a request's
reads. A write there would commit alone: it is refused (`_refuse_lone_writes`)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

IMMEDIATE = "lokaler_immediate"
WRITING = "lokaler_writing"  # session.info: a write transaction is open on it
# Execution option of the one statement a `write_transaction(one_statement=True)` writes
# with (bookings.write_at_once): on PostgreSQL it is its own transaction.
ONE_STATEMENT = "lokaler_one_statement"
# A database that is away must answer "unavailable" soon, not hang a request: seconds to
# open a connection (asyncpg's default is 60); a request waits at most POOL_TIMEOUT_SECONDS
# for a free pooled one under load.
CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 30


def make_engine(url: str, *, autocommit: bool = True, **kwargs) -> AsyncEngine:
    """An engine for `url`. On PostgreSQL, statements outside a write transaction run in
    autocommit, and writes among them are refused, unless a caller that needs every
    statement in a transaction (a migration) says `autocommit=False`."""
    if not url.startswith("sqlite"):
        if autocommit:
            kwargs.setdefault("isolation_level", "AUTOCOMMIT")
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
        kwargs.setdefault("connect_args", {"timeout": CONNECT_TIMEOUT_SECONDS})
        engine = create_async_engine(url, **kwargs)
        if autocommit:
            event.listen(engine.sync_engine, "before_cursor_execute", _refuse_lone_writes)
        return engine
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # connecting says so, as "database unavailable", request by request
    engine = create_async_engine(url, connect_args={"timeout": 60}, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _refuse_lone_writes(connection, _cursor, statement: str, _parameters, context, _executemany) -> None:
    """PostgreSQL in autocommit: a write, row lock or savepoint outside a write transaction
    would stand alone (commit by itself, lock nothing, save nothing): a bug, refused before
    it is sent. The one statement of a `write_transaction(one_statement=True)` is let through."""
    if not connection.connection.dbapi_connection.autocommit or context.execution_options.get(ONE_STATEMENT):
        return
    command = statement.lstrip()[:9].upper()
    writes = context.isinsert or context.isupdate or context.isdelete
    if writes or command.startswith(("INSERT", "UPDATE", "DELETE", "SAVEPOINT")) or "FOR UPDATE" in statement:
        raise RuntimeError(f"a write outside write_transaction would commit alone: {statement[:80]!r}")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def write_transaction(session: AsyncSession, *, one_statement: bool = False) -> AsyncIterator[AsyncSession]:
    """One use case's transaction on the caller's session (a request has one, so has a
    command): committed on success, rolled back on any error.

    It starts as a session of its own would: what the session read is let go (detached,
    still readable as read), so the write reads every row afresh, and a rollback expires
    nothing the caller holds. On SQLite the write begins under the write lock (BEGIN
    IMMEDIATE); on PostgreSQL it is a READ COMMITTED transaction, except for a use case
    whose write is `one_statement` (a booking's rows, `bookings.write_at_once`, executed
    with the ONE_STATEMENT option): its statements, that write and the reads before it,
    each run in autocommit, and no BEGIN or COMMIT is sent; any other write in it is
    refused. It ends as it starts, so the caller reads afresh after it. Used inside another
    write transaction on the same session, it joins that one: the outer one commits or
    rolls back."""
    if session.info.get(WRITING):
        yield session
        return
    sqlite = session.get_bind().dialect.name == "sqlite"
    await session.close()
    session.info[WRITING] = True
    try:
        if sqlite:
            await session.connection(execution_options={IMMEDIATE: True})
        elif not one_statement:
            await session.connection(execution_options={"isolation_level": "READ COMMITTED"})
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        del session.info[WRITING]
        await session.close()


async def end_reads(session: AsyncSession) -> None:
    """Before waiting on something slow (the network, the solver): let the session's
    connection go back to the pool (on SQLite ending the read transaction open on it), so no
    connection or snapshot is held meanwhile. What was read stays readable, detached.
    Inside a write transaction it would end the write: refused."""
    if session.info.get(WRITING):
        raise RuntimeError("end_reads inside a write transaction")
    await session.close()
