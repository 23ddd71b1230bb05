"""iCal feeds over HTTP: the public busy/free feed of a premises and the secret-URL feeds.

Calendar apps poll these every 15 minutes, so the answer to "anything new?" must be
cheap: the ETag and Last-Modified come from the feed's rows before any text is built,
and a matching If-None-Match (or, without one, If-Modified-Since) gets 304 with no body.
An unknown, revoked or no longer entitled token is the same 404 as any missing page.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

from litestar import Controller, Request, Response, get
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import NotFoundException
from sqlalchemy.ext.asyncio import AsyncSession

from booking.services.feeds import (
    feed_for_token,
    feed_state,
    feed_texts,
    feed_validators,
    public_feed,
    store_texts,
)

MEDIA_TYPE = "text/calendar"  # Litestar adds "; charset=utf-8" to text types
MAX_AGE = 300


def _strip_suffix(filename: str) -> str:
    if not filename.endswith(".ics") or len(filename) <= len(".ics"):
        raise NotFoundException()
    return filename[: -len(".ics")]


def _etag_listed(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x" (RFC 9110 13.1.2)."""
    if header.strip() == "*":
        return True
    candidates = (item.strip() for item in header.split(","))
    return any(candidate.removeprefix("W/") == etag for candidate in candidates)


def not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # when both are sent, If-Modified-Since is ignored (RFC 9110 13.2.2)
        return _etag_listed(if_none_match, etag)
    if_modified_since = request.headers.get("if-modified-since")
    if not if_modified_since or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return last_modified <= since


def feed_headers(etag: str, last_modified: datetime | None, public: bool) -> dict[str, str]:
    headers = {"ETag": etag, "Cache-Control": f"{'public' if public else 'private'}, max-age={MAX_AGE}"}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified, usegmt=True)
    return headers


async def serve(request: Request, db: AsyncSession, lookup, now: datetime, *, public: bool) -> Response:
    """Answer for the feed `lookup(db)` finds (None: 404). A conditional request is
    first checked against the one-query validators."""
    conditional = "if-none-match" in request.headers or "if-modified-since" in request.headers
    feed = await lookup(db)
    if feed is None:
        raise NotFoundException()
    if conditional:
        etag, last_modified = await feed_validators(db, feed, now)
        if not_modified(request, etag, last_modified):
            return Response(content=b"", status_code=304, headers=feed_headers(etag, last_modified, public))
    state = await feed_state(db, feed, now)
    body, fresh = await feed_texts(db, state, now)
    # Stored after the answer is sent: on SQLite the write may wait for other writers.
    return Response(
        content=body,
        media_type=MEDIA_TYPE,
        headers=feed_headers(state.etag, state.last_modified, public),
        background=BackgroundTask(store_texts, db, fresh) if fresh else None,
    )


class FeedsController(Controller):
    path = "/kalender"
    include_in_schema = False
    # Nothing here takes a form, and a Set-Cookie would keep shared caches from keeping feeds.
    opt = {"exclude_from_csrf": True}

    @get("/lokaler/{filename:str}")
    async def premises_feed(self, filename: str, request: Request, db: AsyncSession, now: datetime) -> Response:
        slug = _strip_suffix(filename)
        return await serve(request, db, lambda db: public_feed(db, slug), now, public=True)

    @get("/{filename:str}")
    async def token_feed(self, filename: str, request: Request, db: AsyncSession, now: datetime) -> Response:
        token = _strip_suffix(filename)
        return await serve(request, db, lambda db: feed_for_token(db, token), now, public=False)
