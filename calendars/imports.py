"""Parse an external calendar (.ics upload or subscribed URL) into busy intervals.

The result blocks premises, so the rules lean towards "busy" being right:
- every occurrence of a recurring event is expanded (recurring-ical-events), at the wall
  time of its own time zone, so a weekly 18:00 stays 18:00 across DST;
- an all-day event blocks whole local Europe/Oslo days, midnight to midnight (23 or 25
  hours on DST days), whatever time zone the calendar was made in;
- floating times (no TZID, no Z) are Europe/Oslo, unless the calendar says otherwise
  with X-WR-TIMEZONE (Google's exports);
- events marked CANCELLED or TRANSPARENT ("show as free") block nothing and are left out.

All or nothing: the caller gets either the whole list or one CalendarImportError, never
part of a calendar, so a re-import replaces the previous one cleanly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import recurring_ical_events
from icalendar import Calendar

from calendars.errors import CalendarImportError
from common.localtime import OSLO, local_day_start

DEFAULT_MAX_BYTES = 2_000_000
# Enough for any real calendar over the import window (over 30 a day for 18 months); a
# bound so a tiny file with an endless rule cannot keep us busy (~0.3 ms per occurrence).
MAX_OCCURRENCES = 20_000
# Expanding these means stepping through every second/minute since DTSTART, which can
# take minutes for a few bytes of input; no calendar of bookable rooms uses them.
REFUSED_FREQUENCIES = frozenset({"SECONDLY", "MINUTELY"})
# Floating and all-day times are only placed on the time line after expansion, so the
# library's window check is widened by more than any UTC offset and we filter exactly.
_EXPANSION_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class ImportedEvent:
    uid: str  # the event's UID; "UID/2026-03-31T16:00:00Z" for an occurrence of a series
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    summary: str
    all_day: bool


def parse_calendar(
    data: bytes,
    *,
    window_start: datetime,
    window_end: datetime,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[ImportedEvent]:
    """The busy intervals of ``data`` that overlap [window_start, window_end), sorted by start.

    Raises CalendarImportError with code not_icalendar, too_large, missing_dtstart or empty.
    """
    for name, value in (("window_start", window_start), ("window_end", window_end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime")
    if len(data) > max_bytes:
        raise CalendarImportError.of("too_large", f"{len(data)} bytes, limit {max_bytes}")
    calendar = _read_calendar(data)
    vevents = calendar.walk("VEVENT")
    if not vevents:
        raise CalendarImportError.of("empty")
    try:
        for vevent in vevents:
            _check_event(vevent)
    except CalendarImportError:
        raise
    except Exception as error:  # noqa: BLE001 - e.g. icalendar's BrokenCalendarProperty
        raise CalendarImportError.of("not_icalendar", f"{type(error).__name__}: {error}") from error
    # The library stamps a RECURRENCE-ID on every occurrence, single events too, so which
    # UIDs are series is taken from the source: a rule, extra dates or an override.
    series_uids = {
        str(vevent.get("UID", "")).strip()
        for vevent in vevents
        if any(name in vevent for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    }

    window_start = window_start.astimezone(timezone.utc)
    window_end = window_end.astimezone(timezone.utc)
    try:
        occurrences = _expand(calendar, window_start - _EXPANSION_MARGIN, window_end + _EXPANSION_MARGIN)
        events = [
            event
            for event in (_to_imported_event(occurrence, series_uids) for occurrence in occurrences)
            if event is not None
        ]
    except CalendarImportError:
        raise
    except Exception as error:  # noqa: BLE001 - any library failure means "not a calendar we can read"
        raise CalendarImportError.of("not_icalendar", f"{type(error).__name__}: {error}") from error

    in_window = [event for event in events if _overlaps(event, window_start, window_end)]
    # Sorted before numbering clashing UIDs too, so the same file always gives the same uids.
    in_window.sort(key=lambda event: (event.start, event.end, event.uid, event.summary))
    return _unique_uids(in_window)


def _read_calendar(data: bytes) -> Calendar:
    text = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM, as some Windows tools write
    if not text.strip():
        raise CalendarImportError.of("empty")
    if not text.lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
        raise CalendarImportError.of("not_icalendar", "does not start with BEGIN:VCALENDAR")
    try:
        calendar = Calendar.from_ical(text)
    except Exception as error:  # noqa: BLE001 - icalendar raises ValueError and friends
        raise CalendarImportError.of("not_icalendar", f"{type(error).__name__}: {error}") from error
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise CalendarImportError.of("not_icalendar", "top-level component is not VCALENDAR")
    return calendar


# Properties that decide when an event happens: if one is unreadable we cannot say
# when the premises are busy, so the whole import fails rather than guessing.
_TIME_PROPERTIES = frozenset({"DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"})


def _check_event(vevent) -> None:
    uid = str(vevent.get("UID", "?"))
    broken = {name.upper() for name, _ in vevent.errors}
    if "DTSTART" not in vevent or "DTSTART" in broken:
        raise CalendarImportError.of("missing_dtstart", f"event {uid}")
    if not isinstance(vevent["DTSTART"].dt, date):  # datetime is a date too
        raise CalendarImportError.of("missing_dtstart", f"event {uid}")
    if broken & _TIME_PROPERTIES:
        raise CalendarImportError.of("not_icalendar", f"event {uid}: unreadable {sorted(broken & _TIME_PROPERTIES)}")
    rules = vevent.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        frequency = (rule.get("FREQ") or [""])[0]
        if str(frequency).upper() in REFUSED_FREQUENCIES:
            raise CalendarImportError.of("too_large", f"event {uid} repeats {frequency}")


def _expand(calendar: Calendar, start: datetime, end: datetime) -> list:
    # Series by series rather than query.between(): between() builds the whole list at
    # once, and query.after() is orders of magnitude slower; this way we can stop early.
    query = recurring_ical_events.of(calendar)
    components = []
    for series in query.series:
        for occurrence in series.between(start, end):
            components.append(occurrence.as_component(False))
            if len(components) > MAX_OCCURRENCES:
                raise CalendarImportError.of("too_large", f"more than {MAX_OCCURRENCES} occurrences")
    return components


def _to_imported_event(component, series_uids: set[str]) -> ImportedEvent | None:
    if str(component.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if str(component.get("TRANSP", "")).upper() == "TRANSPARENT":
        return None
    start_value = component["DTSTART"].dt
    end_value = component["DTEND"].dt if "DTEND" in component else None
    summary = str(component.get("SUMMARY", ""))
    if not isinstance(start_value, datetime):
        start_day = start_value
        end_day = end_value if isinstance(end_value, date) and not isinstance(end_value, datetime) else None
        if end_day is None or end_day <= start_day:
            end_day = start_day + timedelta(days=1)  # RFC 5545: a DATE event without DTEND lasts one day
        start, end = local_day_start(start_day), local_day_start(end_day)
        all_day = True
    else:
        start = _to_utc(start_value)
        end = _to_utc(end_value) if isinstance(end_value, datetime) else start
        end = max(end, start)
        all_day = False
    uid = _occurrence_uid(component, series_uids)
    return ImportedEvent(uid=uid, start=start, end=end, summary=summary, all_day=all_day)


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=OSLO)  # floating time: local to the premises
    return value.astimezone(timezone.utc)


def _occurrence_uid(component, series_uids: set[str]) -> str:
    uid = str(component.get("UID", "")).strip()
    if not uid:
        # No UID breaks the RFC but happens; derive one that is stable across re-imports.
        seed = f"{component['DTSTART'].to_ical()!r}|{component.get('SUMMARY', '')}"
        uid = "nouid-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:20]
    recurrence_id = component.get("RECURRENCE-ID")
    if recurrence_id is None or uid not in series_uids:
        return uid
    value = recurrence_id.dt
    if isinstance(value, datetime):
        return f"{uid}/{_to_utc(value).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    return f"{uid}/{value.isoformat()}"


def _overlaps(event: ImportedEvent, window_start: datetime, window_end: datetime) -> bool:
    if event.start == event.end:  # a point in time: inside or not
        return window_start <= event.start < window_end
    return event.start < window_end and event.end > window_start


def _unique_uids(events: list[ImportedEvent]) -> list[ImportedEvent]:
    """Drop exact repeats and number clashing UIDs, so callers can key on uid."""
    seen_events: set[ImportedEvent] = set()
    taken_uids: set[str] = set()
    result = []
    for event in events:
        if event in seen_events:
            continue
        seen_events.add(event)
        uid, number = event.uid, 2
        while uid in taken_uids:
            uid, number = f"{event.uid}#{number}", number + 1
        taken_uids.add(uid)
        result.append(
            event if uid == event.uid else ImportedEvent(uid, event.start, event.end, event.summary, event.all_day)
        )
    return result
