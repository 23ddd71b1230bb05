"""What route handlers receive: the session factory and the clock."""
from __future__ import annotations

from datetime import datetime, timezone

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def provide_sessions(state: State) -> async_sessionmaker[AsyncSession]:
    return state.sessions


def provide_now() -> datetime:
    return datetime.now(timezone.utc)
