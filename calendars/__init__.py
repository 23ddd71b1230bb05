"""Calendars: iCalendar feeds, feed tokens and importing external calendars.

Pure: no network (booking/services/calendar_fetch.py fetches, under the URL policy in
``calendars.fetch``). Imports neither litestar, sqlalchemy nor anything from ``booking``
(local time and the error base come from ``common``): the services layer calls in,
never the reverse.
"""

from calendars.errors import CalendarImportError
from calendars.feeds import (
    CANCELLED_KEPT,
    FEED_WINDOW_AHEAD,
    FEED_WINDOW_BACK,
    FeedEvent,
    booking_uid,
    build_feed,
    cancelled_still_shown,
    closure_uid,
    event_text,
    feed_etag,
    in_window,
    single_event_ics,
)
from calendars.fetch import check_import_url, normalise_import_url
from calendars.imports import ImportedEvent, parse_calendar
from calendars.tokens import hash_token, new_token, token_matches

__all__ = [
    "CANCELLED_KEPT",
    "FEED_WINDOW_AHEAD",
    "FEED_WINDOW_BACK",
    "CalendarImportError",
    "FeedEvent",
    "ImportedEvent",
    "booking_uid",
    "build_feed",
    "cancelled_still_shown",
    "check_import_url",
    "closure_uid",
    "event_text",
    "feed_etag",
    "hash_token",
    "in_window",
    "new_token",
    "normalise_import_url",
    "parse_calendar",
    "single_event_ics",
    "token_matches",
]
