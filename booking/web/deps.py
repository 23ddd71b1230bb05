"""What route handlers receive: the request's database session, the settings, the rules in
force, the media store and the clock.

A request has one database session (`request_session`): made on first use (no connection
until a query), shared by the guards (`auth.current_person`), the handler and the services
it calls, and closed when the request ends, whatever happened (`close_request_session`,
an ASGI middleware). Handlers read with it and pass it to services, which own their
transactions (`booking.db.engine.write_transaction`); no handler opens one."""

from __future__ import annotations

from datetime import datetime, timezone

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from booking.media.store import MediaStore
from booking.services.rulebook import HarmonisedRules, current_rules
from booking.settings import Settings

SESSION = "db"  # the request's session on connection.state


def request_session(connection: ASGIConnection) -> AsyncSession:
    """The request's one session, made on first use."""
    session = connection.state.get(SESSION)
    if session is None:
        session = connection.app.state.sessions()
        connection.state[SESSION] = session
    return session


def close_request_session(app: ASGIApp) -> ASGIApp:
    """Middleware: the request's session is closed when the request ends, whatever happened."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            session = scope.get("state", {}).pop(SESSION, None)
            if session is not None:
                await session.close()

    return middleware


def provide_db(request: Request) -> AsyncSession:
    return request_session(request)


def provide_settings(state: State) -> Settings:
    """The settings this app was made with (tests make apps with their own)."""
    return state.settings


async def provide_rules(db: AsyncSession) -> HarmonisedRules:
    """The rule set in force, from the per-process cache (`rulebook.current_rules`)."""
    return await current_rules(db)


def provide_media(state: State) -> MediaStore:
    return state.media


def provide_now() -> datetime:
    return datetime.now(timezone.utc)
