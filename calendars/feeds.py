"""iCalendar feeds for caretakers, staff and booking confirmations.

One booking is one VEVENT with its own UID ("booking-123@lokaler"); a closure is one
VEVENT too ("closure-45@lokaler"). A weekly series is stored by the booking engine as
one booking per occurrence, so each occurrence is published as its own event with its
own UID instead of as one RRULE master with RECURRENCE-ID overrides. That is simpler for
every client we have met: no RRULE/EXDATE arithmetic that must agree across DST with
ours, no override bookkeeping, and editing or cancelling one evening of a series is just
a new SEQUENCE (or STATUS:CANCELLED) on that one event.

Bytes are a pure function of the input: DTSTAMP and LAST-MODIFIED both come from
``FeedEvent.last_modified`` and the VTIMEZONE covers a fixed span, so an unchanged
calendar serialises to the same bytes and HTTP caches (ETag) work.

A VEVENT does not depend on the calendar it is in, so ``event_text`` can be cached by
the caller (per uid, sequence, last_modified) and ``build_feed`` accepts those cached
strings: a feed of thousands of events is then assembled by joining strings.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from icalendar import Calendar, Event, Timezone, vDuration, vText

from common.localtime import OSLO

PRODID = "-//Lokaler//Lokaler booking//NB"

FEED_WINDOW_BACK = timedelta(days=30)
FEED_WINDOW_AHEAD = timedelta(days=548)  # about 18 months
CANCELLED_KEPT = timedelta(days=30)  # a cancelled booking stays in the feed, as CANCELLED, this long
REFRESH_INTERVAL = timedelta(minutes=15)

EVENT_STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")

# Fixed, not derived from "now" or from the events: the VTIMEZONE (and so the feed's
# bytes) must not change just because time passes or the window moves. icalendar lists
# every transition as an RDATE, so the span is kept to what feeds can contain (the
# service started in 2026; feeds reach 18 months ahead). Move it on before 2048.
VTIMEZONE_FIRST_DATE = date(2020, 1, 1)
VTIMEZONE_LAST_DATE = date(2050, 1, 1)

# Bump when the serialisation changes, so ETags computed before a deploy stop matching.
FEED_FORMAT_VERSION = "1"


def booking_uid(booking_id: int | str) -> str:
    return f"booking-{booking_id}@lokaler"


def closure_uid(closure_id: int | str) -> str:
    return f"closure-{closure_id}@lokaler"


@dataclass(frozen=True)
class FeedEvent:
    """What a feed shows about one booking or closure. Times are normalised to UTC."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str
    description: str
    status: str  # "CONFIRMED" | "TENTATIVE" | "CANCELLED"
    sequence: int
    last_modified: datetime
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for field_name in ("start", "end", "last_modified"):
            value = getattr(self, field_name)
            if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"FeedEvent.{field_name} must be an aware datetime, got {value!r}")
            # Normalise so equal instants give equal events (and equal bytes, equal ETags).
            object.__setattr__(self, field_name, value.astimezone(timezone.utc))
        if self.end <= self.start:
            raise ValueError(f"FeedEvent {self.uid}: end {self.end} is not after start {self.start}")
        if self.status not in EVENT_STATUSES:
            raise ValueError(f"FeedEvent {self.uid}: status must be one of {EVENT_STATUSES}, got {self.status!r}")
        if self.sequence < 0:
            raise ValueError(f"FeedEvent {self.uid}: sequence must be >= 0")
        if not self.uid:
            raise ValueError("FeedEvent.uid must not be empty")
        for field_name in ("summary", "location", "description"):
            object.__setattr__(self, field_name, clean_text(getattr(self, field_name)))
        categories = (clean_text(category).replace("\n", " ") for category in self.categories)
        object.__setattr__(self, "categories", tuple(category for category in categories if category))


# Line breaks in every spelling a browser, Word or a phone may send; they become "\n",
# which iCalendar escapes. Other control characters are not allowed in TEXT values
# (RFC 5545 3.3.11) and do break real parsers, so they are dropped.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def clean_text(value: str) -> str:
    """User text as it can be published: one kind of line break, no control characters."""
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", value))


class _RfcText(vText):
    """A TEXT value escaped exactly as RFC 5545 3.3.11 says.

    icalendar's own escaping reads a backslash followed by N as a line break (its
    documented shortcut), so "C:\\Nye filer" typed by a user would be published
    broken; here every backslash is just a backslash.
    """

    def to_ical(self) -> bytes:
        escaped = self.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        return escaped.encode("utf-8")


def _local_or_utc(instant: datetime) -> datetime:
    """The instant as Europe/Oslo wall time, or as UTC when the wall time is ambiguous.

    In the hour that repeats when summer time ends (02:00-03:00 on the last Sunday of
    October) a TZID wall time means the *first* occurrence (RFC 5545 3.3.5), so the second
    one cannot be written that way. Writing both in UTC is unambiguous for every client.
    """
    local = instant.astimezone(OSLO)
    other_fold = local.replace(fold=1 - local.fold)
    if other_fold.utcoffset() != local.utcoffset():
        return instant.astimezone(timezone.utc)
    return local


def _build_event(event: FeedEvent) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", event.last_modified)
    vevent.add("last-modified", event.last_modified)
    vevent.add("dtstart", _local_or_utc(event.start))
    vevent.add("dtend", _local_or_utc(event.end))
    vevent.add("summary", _RfcText(event.summary))
    if event.location:
        vevent.add("location", _RfcText(event.location))
    if event.description:
        vevent.add("description", _RfcText(event.description))
    vevent.add("status", event.status)
    vevent.add("sequence", event.sequence)
    # A cancelled booking no longer makes anyone busy.
    vevent.add("transp", "TRANSPARENT" if event.status == "CANCELLED" else "OPAQUE")
    if event.categories:
        vevent.add("categories", list(event.categories))
    return vevent


def event_text(event: FeedEvent) -> str:
    """The VEVENT block (CRLF line endings), ready to be joined into a feed.

    Cache it per (uid, sequence, last_modified); a cache that outlives a deploy (a
    database column, say) should add FEED_FORMAT_VERSION to its key.
    """
    return _build_event(event).to_ical().decode("utf-8")


@lru_cache(maxsize=1)
def oslo_vtimezone_text() -> str:
    """icalendar's own VTIMEZONE for Europe/Oslo over a fixed span (see VTIMEZONE_FIRST_DATE)."""
    vtimezone = Timezone.from_tzid(OSLO.key, first_date=VTIMEZONE_FIRST_DATE, last_date=VTIMEZONE_LAST_DATE)
    return vtimezone.to_ical().decode("utf-8")


@lru_cache(maxsize=256)
def _calendar_head(name: str, description: str) -> str:
    """Everything before the first VEVENT: calendar properties and the VTIMEZONE."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name, description = clean_text(name).replace("\n", " "), clean_text(description)
    calendar.add("name", _RfcText(name))  # RFC 7986
    calendar.add("x-wr-calname", _RfcText(name))  # what Apple, Google and Outlook actually read
    if description:
        calendar.add("description", _RfcText(description))
        calendar.add("x-wr-caldesc", _RfcText(description))
    calendar.add("x-wr-timezone", OSLO.key)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    head = calendar.to_ical().decode("utf-8")
    closing = "END:VCALENDAR\r\n"
    assert head.endswith(closing)
    return head[: -len(closing)] + oslo_vtimezone_text()


def build_feed(name: str, events: Iterable[FeedEvent] | Iterable[str], *, description: str = "") -> bytes:
    """A complete VCALENDAR with the events in the order given.

    ``events`` may be FeedEvents or texts from ``event_text`` (or a mix). Pass them in a
    stable order (for example by start, then uid) so that equal data gives equal bytes.
    """
    parts = [_calendar_head(name, description)]
    for event in events:
        parts.append(event if isinstance(event, str) else event_text(event))
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode("utf-8")


def single_event_ics(event: FeedEvent, name: str) -> bytes:
    """One booking as its own .ics file, for download or as an e-mail attachment."""
    return build_feed(name, [event])


def feed_etag(events: Iterable[FeedEvent], name: str, *, description: str = "") -> str:
    """A strong ETag (with its quotes) for the feed these events and this name give.

    Built from (uid, sequence, last_modified, status) of each event in order, so it can be
    computed without serialising anything. Any change to the text of an event must come
    with a new last_modified (the booking engine stamps every change), which is also
    what makes the cached ``event_text`` per (uid, sequence, last_modified) safe.
    ``events`` may be any objects with those four attributes.
    """
    digest = hashlib.sha256()
    for part in (FEED_FORMAT_VERSION, name, description):
        digest.update(part.encode("utf-8") + b"\x00")
    for event in events:
        last_modified = event.last_modified.astimezone(timezone.utc).isoformat()
        line = f"{event.uid}\x1f{event.sequence}\x1f{last_modified}\x1f{event.status}\x1e"
        digest.update(line.encode("utf-8"))
    return f'"{digest.hexdigest()}"'


def in_window(event_start: datetime, now: datetime) -> bool:
    """Whether an event starting then belongs in a feed served now (30 days back, ~18 months ahead)."""
    return now - FEED_WINDOW_BACK <= event_start < now + FEED_WINDOW_AHEAD


def cancelled_still_shown(cancelled_at: datetime, now: datetime) -> bool:
    """Whether a booking cancelled then is still published (as CANCELLED) now.

    Clients only remove an event they have seen cancelled; one that just disappears may
    linger in a caretaker's calendar, so it stays in the feed for CANCELLED_KEPT.
    """
    return now - cancelled_at < CANCELLED_KEPT
