"""Who is asking: the browser session (an encrypted cookie, nothing in process memory)
or an API bearer token; and the role guards every route declares."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from booking.db.models import Person
from booking.services.accounts import person_for_token
from booking.web.deps import request_session

_UNSET: Any = object()


async def current_person(connection: ASGIConnection) -> Person | None:
    """Resolved once per request, on the request's session, and kept on the connection
    state; detached from the session, so a write refused later in the request (its
    rollback) leaves it readable."""
    cached = connection.state.get("person", _UNSET)
    if cached is not _UNSET:
        return cached
    person = None
    session = request_session(connection)
    authorization = connection.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        person = await person_for_token(session, authorization[7:].strip())
        if person is None:
            raise NotAuthorizedException("invalid token")
    else:
        person_id = connection.scope.get("session", {}).get("person_id") if connection.scope.get("session") else None
        if person_id is not None:
            person = await session.get(Person, person_id)
    if person is not None:
        session.expunge(person)
    connection.state.person = person
    return person


def requires(*roles: str):
    """A guard: logged in, and (if roles are given) holding at least one of them."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        person = await current_person(connection)
        if person is None:
            raise NotAuthorizedException()
        if roles and not set(roles) & set(person.roles):
            raise PermissionDeniedException()

    return guard


async def provide_person(request: Request) -> Person | None:
    return await current_person(request)
