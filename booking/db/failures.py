"""What a database error means, read from the driver's codes rather than its message:
which guarantee refused a write (SQLSTATE and constraint name), and whether the
database is away (cannot be reached, or will not serve now).

PostgreSQL (asyncpg) says both exactly. SQLite has no SQLSTATE and no constraint names:
its result code says that a constraint refused (and which kind), and only the message
names the columns; `refused_by` reads that message as a named fallback, SQLite only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import exc

# SQLSTATE (PostgreSQL error codes, appendix A)
EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"
# Class 08 (connection exception), and the server shutting down, starting up, or full.
UNAVAILABLE_CLASS = "08"
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})

# SQLite primary result codes (the extended code's low byte)
SQLITE_BUSY, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_CONSTRAINT = 5, 10, 14, 19
SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_TRIGGER = 2067, 1555, 1811
SQLITE_UNAVAILABLE = frozenset({SQLITE_BUSY, SQLITE_IOERR, SQLITE_CANTOPEN})

# Modules whose frames show an OSError came from talking to the database, not from
# anything else a request does (a payment provider, a calendar fetch).
DATABASE_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.", "sqlite3.")


@dataclass(frozen=True)
class Refusal:
    """The guarantee that refused a write: `sqlstate` ("23P01", "23505", …; None on SQLite)
    and the constraint's name (None when the database does not say)."""

    sqlstate: str | None
    constraint: str | None

    def is_constraint(self, name: str) -> bool:
        return self.constraint == name


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    """The error, what SQLAlchemy wraps (`orig`) and what each was raised from."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = getattr(error, "orig", None) or error.__cause__


def sqlstate(error: BaseException) -> str | None:
    return next((s for e in _chain(error) if isinstance(s := getattr(e, "sqlstate", None), str)), None)


def _sqlite_code(error: BaseException) -> int | None:
    return next(
        (
            e.sqlite_errorcode
            for e in _chain(error)
            if isinstance(e, sqlite3.Error) and getattr(e, "sqlite_errorcode", None) is not None
        ),
        None,
    )


def refused_by(error: exc.IntegrityError, sqlite_columns: dict[str, str] | None = None) -> Refusal:
    """Which guarantee refused. PostgreSQL: SQLSTATE and constraint name from asyncpg.
    SQLite: a unique constraint is known by its result code, and which one by the columns
    its message lists (`sqlite_columns`: "table.col, table.col" → constraint name) — the
    SQLite fallback, since SQLite names no constraint; a trigger's refusal (migration
    0013) by the name it raises with."""
    state = sqlstate(error)
    if state is not None:
        constraint = next((c for e in _chain(error) if isinstance(c := getattr(e, "constraint_name", None), str)), None)
        return Refusal(state, constraint)
    code = _sqlite_code(error)
    if code == SQLITE_CONSTRAINT_TRIGGER:  # our triggers RAISE with the name of the guarantee they keep
        return Refusal(None, str(error.orig))
    if code in (SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY):
        message = str(error.orig)
        constraint = next((name for columns, name in (sqlite_columns or {}).items() if message.endswith(columns)), None)
        return Refusal(None, constraint)
    return Refusal(None, None)


def _from_database_code(error: BaseException) -> bool:
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith(DATABASE_MODULES):
            return True
        tb = tb.tb_next
    return False


def database_unavailable(error: BaseException) -> bool:
    """Whether the error says the database cannot be reached or will not serve now (and a
    retry later may succeed), as opposed to a refused or a wrong statement."""
    for item in _chain(error):
        if isinstance(item, exc.TimeoutError):  # no pooled connection came free in time
            return True
        if isinstance(item, exc.DBAPIError) and item.connection_invalidated:
            return True
        state = getattr(item, "sqlstate", None)
        if isinstance(state, str) and (state.startswith(UNAVAILABLE_CLASS) or state in UNAVAILABLE_SQLSTATES):
            return True
        if (
            isinstance(item, sqlite3.Error)
            and ((getattr(item, "sqlite_errorcode", None) or 0) & 0xFF) in SQLITE_UNAVAILABLE
        ):
            return True
        # Refused or timed-out connection (asyncpg raises these unwrapped); TimeoutError is an OSError.
        if isinstance(item, OSError) and _from_database_code(item):
            return True
    return False
