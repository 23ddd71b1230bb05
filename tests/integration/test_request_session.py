"""One database session per request (booking/web/deps.py), through real HTTP on SQLite and
PostgreSQL: the guard that finds who is logged in, the handler's reads, the rules and the
booking's write transaction all use the one session, and it is closed (its connection back
in the pool) when the request ends, a refused write included. And the write transaction
on a session: nested, it joins; after reads, it reads afresh."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event, select, update

from booking.db.engine import make_engine, write_transaction
from booking.db.models import Person
from booking.services.organisations import make_delegate
from tests.integration.booking_web_support import log_in, weekday_ahead
from tests.integration.test_booking_pages import bookings, details
from tests.world import build_world

TRANSACTION_COMMANDS = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK"}


class CountedSessions:
    """The app's own session factory, counting the sessions it makes and the transactions
    each begins, and on PostgreSQL the transaction commands its connections send (asyncpg's
    query logger sees each BEGIN, COMMIT and ROLLBACK it sends)."""

    def __init__(self, app) -> None:
        self.factory = app.state.sessions
        self.made: list = []
        self.transactions: Counter = Counter()
        self.sent: list[str] = []
        app.state.sessions = self
        engine = self.factory.kw["bind"].sync_engine
        if engine.dialect.name == "postgresql":
            event.listen(engine, "checkout", self._log_queries)

    def _log_queries(self, dbapi_connection, *_) -> None:
        dbapi_connection.driver_connection.add_query_logger(self._sent)

    def _sent(self, query) -> None:
        command = query.query.split(None, 1)[0].upper()
        if command in TRANSACTION_COMMANDS:
            self.sent.append(command)

    def __call__(self):
        session = self.factory()
        number = len(self.made)
        self.made.append(session)
        event.listen(session.sync_session, "after_begin", lambda *_: self.transactions.update([number]))
        return session

    def start(self) -> None:
        self.made.clear()
        self.transactions.clear()
        self.sent.clear()

    def connections_in_use(self) -> int:
        return self.factory.kw["bind"].pool.checkedout()


async def test_a_page_and_a_booking_each_use_one_session_closed_at_the_end(client):
    await log_in(client, "kari@example.no")
    counted = CountedSessions(client.app)
    day = weekday_ahead()

    counted.start()
    page = await client.get(f"/bestill/motesalen?dato={day}&fra=18:00&til=20:00")
    assert page.status_code == 200 and "Innlogget som Kari Nordmann" in page.text
    assert len(counted.made) == 1  # the login check, the premises, the rules, the quote
    assert counted.connections_in_use() == 0
    assert counted.sent == []  # PostgreSQL (the only one logged): reads need no transaction (autocommit)

    counted.start()
    booked = await client.post("/bestill/motesalen", data=details(client, day), follow_redirects=False)
    assert booked.status_code == 303
    assert len(counted.made) == 1
    # SQLite: the reads, then the booking's own write transaction under BEGIN IMMEDIATE;
    # PostgreSQL: the booking's rows go in as one statement, its own transaction: no BEGIN
    # or COMMIT goes to the database, for the reads or the write (only PostgreSQL's are logged).
    assert counted.transactions[0] == 2
    assert counted.sent == []
    assert counted.connections_in_use() == 0
    assert len(await bookings(client.db)) == 1


async def test_a_refused_booking_is_shown_again_from_the_same_session(client):
    """The refused write rolls back on the request's session; the page after it still shows
    the person found before it and the premises, the refusal and the alternatives."""
    await log_in(client, "kari@example.no")
    day = weekday_ahead()
    await client.post("/bestill/motesalen", data=details(client, day), follow_redirects=False)
    counted = CountedSessions(client.app)

    counted.start()
    refused = await client.post("/bestill/motesalen", data=details(client, day, nokkel="k2"), follow_redirects=False)
    assert refused.status_code == 409
    assert "Innlogget som Kari Nordmann" in refused.text  # the person, read before the rollback
    assert "Møtesalen" in refused.text and "Tiden er ikke ledig" in refused.text
    assert "Opptatt fra kl. 17:45 til kl. 20:15" in refused.text
    assert f"/bestill/klasserom-1?dato={day}" in refused.text  # an alternative, read after it
    assert 'value="Kari Nordmann"' in refused.text  # the form keeps what was sent
    assert len(counted.made) == 1
    assert counted.transactions[0] >= (2 if client.db.dialect == "sqlite" else 1)
    assert counted.connections_in_use() == 0
    assert len(await bookings(client.db)) == 1


async def test_a_write_joins_the_write_it_is_called_in_and_reads_afresh(db):
    """write_transaction on a session: called inside another write transaction it joins it
    (nothing is committed early: the outer rollback takes both writes back); started after
    reads on the session, it reads the rows afresh, not the objects read before."""
    world = await build_world(db.session)
    with pytest.raises(RuntimeError):
        async with write_transaction(db.session) as session:
            (await session.get(Person, world.minor_id)).roles = ["person", "staff"]
            await make_delegate(session, world.minor_id)  # a use case with its own write_transaction
            raise RuntimeError("refused after both writes")
    async with db.sessions() as other:
        assert (await other.get(Person, world.minor_id)).roles == ["person"]

    before = await db.session.get(Person, world.minor_id)  # read, and kept by the caller
    async with db.sessions() as other, write_transaction(other):  # meanwhile, another request
        (await other.get(Person, world.minor_id)).name = "Ola Endret"
    async with write_transaction(db.session) as session:
        assert (await session.get(Person, world.minor_id)).name == "Ola Endret"
    assert before.name == "Ola Ung"  # still readable after the write let go of it


async def _open_on_server(connection) -> bool:
    """Whether the database has a transaction open on this connection after its statements."""
    driver = (await connection.get_raw_connection()).driver_connection
    return driver.is_in_transaction() if hasattr(driver, "is_in_transaction") else driver.in_transaction


async def test_postgres_reads_in_autocommit_and_writes_and_migrates_in_transactions(db):
    """PostgreSQL: a read leaves no transaction open (autocommit), a write transaction is
    one, and so is every statement on the engine migrations run on. SQLite: reads and
    writes both in a transaction SQLAlchemy begins (BEGIN, or BEGIN IMMEDIATE to write)."""
    postgres = db.dialect == "postgresql"
    session = db.sessions()
    try:
        await session.execute(select(Person.id).limit(1))
        assert await _open_on_server(await session.connection()) is not postgres
        async with write_transaction(session):
            await session.execute(select(Person.id).limit(1))
            assert await _open_on_server(await session.connection())
    finally:
        await session.close()
    migrating = make_engine(db.url, autocommit=False)
    try:
        async with migrating.connect() as connection:
            await connection.execute(select(Person.id).limit(1))
            assert await _open_on_server(connection)
    finally:
        await migrating.dispose()


async def test_a_write_outside_a_write_transaction_changes_nothing(db):
    """PostgreSQL runs statements outside a write transaction in autocommit, where a write
    or a row lock would stand alone: refused before it is sent. SQLite keeps them in the
    session's transaction, which only a write transaction commits. Either way nothing
    changes."""
    world = await build_world(db.session)
    postgres = db.dialect == "postgresql"
    rename = update(Person).where(Person.id == world.minor_id).values(name="Ola Endret")
    lock = select(Person).where(Person.id == world.minor_id).with_for_update()
    for statement in (rename, lock):
        async with db.sessions() as session:
            if postgres:
                with pytest.raises(RuntimeError, match="outside write_transaction"):
                    await session.execute(statement)
            else:
                await session.execute(statement)
    async with db.sessions() as other:
        assert (await other.get(Person, world.minor_id)).name == "Ola Ung"
