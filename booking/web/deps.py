"""What route handlers receive: the session factory, the media store and the clock."""

from __future__ import annotations

from datetime import datetime, timezone

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.media.store import MediaStore


def provide_sessions(state: State) -> async_sessionmaker[AsyncSession]:
    return state.sessions


def provide_media(state: State) -> MediaStore:
    return state.media


def provide_now() -> datetime:
    return datetime.now(timezone.utc)
