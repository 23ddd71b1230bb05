"""A database the tests and the benchmarks work on: its engine, its sessions, and the one
session use cases called one after another share (as a request has one)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    _session: AsyncSession | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def session(self) -> AsyncSession:
        """The one session, as a request has one: what tests pass to services. A writer run
        at the same time as another needs a session of its own (`tests/conftest.py` `alone`)."""
        if self._session is None:
            self._session = self.sessions()
        return self._session

    async def dispose(self) -> None:
        if self._session is not None:
            await self._session.close()
        await self.engine.dispose()
