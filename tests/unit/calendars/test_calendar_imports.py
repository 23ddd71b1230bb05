"""Importing external calendars: expansion, time zones, all-day days, errors."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calendars import imports
from calendars.errors import CalendarImportError
from calendars.imports import ImportedEvent, _unique_uids, parse_calendar

UTC = timezone.utc
OSLO = ZoneInfo("Europe/Oslo")
WINDOW = dict(window_start=datetime(2026, 1, 1, tzinfo=UTC), window_end=datetime(2027, 1, 1, tzinfo=UTC))


def ics(*events: str, extra: str = "") -> bytes:
    """A calendar around VEVENT bodies (lines separated by newlines), with CRLF endings."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Test//EN", *extra.split("\n")]
    for body in events:
        lines += ["BEGIN:VEVENT", *body.strip().split("\n"), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(line for line in lines if line) + "\r\n").encode("utf-8")


def parse(data: bytes, **window) -> list[ImportedEvent]:
    return parse_calendar(data, **(window or WINDOW))


def by_uid(events: list[ImportedEvent]) -> dict[str, ImportedEvent]:
    return {event.uid: event for event in events}


WEEKLY_OSLO = """
UID:trening@klubb.no
DTSTART;TZID=Europe/Oslo:20260317T180000
DTEND;TZID=Europe/Oslo:20260317T200000
RRULE:FREQ=WEEKLY;COUNT=4
SUMMARY:Trening
"""


def test_weekly_series_across_spring_change_stays_at_1800_local():
    events = parse(ics(WEEKLY_OSLO))
    assert [event.uid for event in events] == [
        "trening@klubb.no/2026-03-17T17:00:00Z",
        "trening@klubb.no/2026-03-24T17:00:00Z",
        "trening@klubb.no/2026-03-31T16:00:00Z",
        "trening@klubb.no/2026-04-07T16:00:00Z",
    ]
    for event in events:
        assert event.start.tzinfo == UTC
        assert event.start.astimezone(OSLO).hour == 18
        assert event.end - event.start == timedelta(hours=2)
        assert event.summary == "Trening" and not event.all_day


def test_floating_weekly_series_across_autumn_change_is_oslo_wall_time():
    events = parse(ics("UID:f\nDTSTART:20261013T180000\nDTEND:20261013T200000\nRRULE:FREQ=WEEKLY;COUNT=4"))
    assert [event.start for event in events] == [
        datetime(2026, 10, 13, 16, tzinfo=UTC),
        datetime(2026, 10, 20, 16, tzinfo=UTC),
        datetime(2026, 10, 27, 17, tzinfo=UTC),  # CET from 25 October
        datetime(2026, 11, 3, 17, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("day", "hours"),
    [("20260329", 23), ("20261025", 25), ("20260615", 24)],
)
def test_all_day_event_blocks_the_whole_local_day(day, hours):
    (event,) = parse(ics(f"UID:heldag\nDTSTART;VALUE=DATE:{day}\nSUMMARY:Stengt"))
    assert event.all_day
    assert event.end - event.start == timedelta(hours=hours)
    assert event.start.astimezone(OSLO).hour == 0 and event.end.astimezone(OSLO).hour == 0
    assert event.uid == "heldag"


def test_all_day_on_spring_change_is_2300_to_2200_utc():
    (event,) = parse(ics("UID:a\nDTSTART;VALUE=DATE:20260329\nDTEND;VALUE=DATE:20260330"))
    assert event.start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert event.end == datetime(2026, 3, 29, 22, tzinfo=UTC)


def test_multi_day_all_day_event():
    (event,) = parse(ics("UID:leir\nDTSTART;VALUE=DATE:20260701\nDTEND;VALUE=DATE:20260704"))
    assert (event.start, event.end) == (datetime(2026, 6, 30, 22, tzinfo=UTC), datetime(2026, 7, 3, 22, tzinfo=UTC))


def test_new_york_event_is_converted_to_utc():
    # 10 March 2026: New York is on summer time (since 8 March), Oslo not yet.
    (event,) = parse(ics("UID:ny\nDTSTART;TZID=America/New_York:20260310T120000\nDURATION:PT1H30M"))
    assert event.start == datetime(2026, 3, 10, 16, tzinfo=UTC)
    assert event.end == datetime(2026, 3, 10, 17, 30, tzinfo=UTC)


OUTLOOK_EASTERN = """BEGIN:VTIMEZONE
TZID:Eastern Standard Time
BEGIN:STANDARD
DTSTART:16011104T020000
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010311T020000
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
END:VTIMEZONE"""


def test_windows_tzid_with_its_own_vtimezone():
    data = ics(
        "UID:o\nDTSTART;TZID=Eastern Standard Time:20260310T120000\nDTEND;TZID=Eastern Standard Time:20260310T130000",
        extra=OUTLOOK_EASTERN,
    )
    (event,) = parse(data)
    assert event.start == datetime(2026, 3, 10, 16, tzinfo=UTC)


def test_utc_event():
    (event,) = parse(ics("UID:z\nDTSTART:20260505T100000Z\nDTEND:20260505T113000Z\nSUMMARY:Møte"))
    assert (event.start, event.end, event.summary) == (
        datetime(2026, 5, 5, 10, tzinfo=UTC),
        datetime(2026, 5, 5, 11, 30, tzinfo=UTC),
        "Møte",
    )


def test_google_style_x_wr_timezone_is_honoured():
    data = ics("UID:g\nDTSTART:20260505T180000\nDTEND:20260505T190000", extra="X-WR-TIMEZONE:America/New_York")
    (event,) = parse(data)
    assert event.start == datetime(2026, 5, 5, 22, tzinfo=UTC)


def test_exdate_and_moved_occurrence():
    series = WEEKLY_OSLO + "EXDATE;TZID=Europe/Oslo:20260324T180000"
    moved = """
UID:trening@klubb.no
RECURRENCE-ID;TZID=Europe/Oslo:20260331T180000
DTSTART;TZID=Europe/Oslo:20260401T190000
DTEND;TZID=Europe/Oslo:20260401T210000
SUMMARY:Trening (flyttet)
"""
    events = by_uid(parse(ics(series, moved)))
    assert "trening@klubb.no/2026-03-24T17:00:00Z" not in events
    moved_event = events["trening@klubb.no/2026-03-31T16:00:00Z"]  # keeps the id of its original slot
    assert moved_event.start == datetime(2026, 4, 1, 17, tzinfo=UTC)
    assert moved_event.summary == "Trening (flyttet)"
    assert len(events) == 3


def test_cancelled_and_free_events_block_nothing():
    data = ics(
        "UID:c\nDTSTART:20260505T100000Z\nDTEND:20260505T110000Z\nSTATUS:CANCELLED",
        "UID:t\nDTSTART:20260505T100000Z\nDTEND:20260505T110000Z\nTRANSP:TRANSPARENT",
        "UID:b\nDTSTART:20260505T100000Z\nDTEND:20260505T110000Z",
    )
    assert [event.uid for event in parse(data)] == ["b"]


def test_only_events_overlapping_the_window():
    data = ics(
        "UID:before\nDTSTART:20251230T100000Z\nDTEND:20251230T110000Z",
        "UID:across\nDTSTART:20251231T230000Z\nDTEND:20260101T010000Z",
        "UID:inside\nDTSTART:20260601T100000Z\nDTEND:20260601T110000Z",
        "UID:after\nDTSTART:20270101T000000Z\nDTEND:20270101T010000Z",
    )
    assert [event.uid for event in parse(data)] == ["across", "inside"]


def test_endless_series_is_cut_at_the_window():
    events = parse(ics("UID:e\nDTSTART;TZID=Europe/Oslo:20200107T180000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY"))
    assert len(events) == 52  # the Tuesdays of 2026
    assert all(event.start.astimezone(OSLO).hour == 18 for event in events)


def test_missing_end_and_missing_uid():
    data = ics("DTSTART:20260505T100000Z\nSUMMARY:Uten UID", "UID:d\nDTSTART;VALUE=DATE:20260506")
    first, second = parse(data)
    assert first.start == first.end and first.uid.startswith("nouid-")
    assert first.uid == parse(data)[0].uid  # stable across imports
    assert second.end - second.start == timedelta(days=1)


def test_same_uid_twice_is_one_event_and_the_higher_sequence_wins():
    data = ics(
        "UID:dup\nSEQUENCE:2\nDTSTART:20260506T100000Z\nDTEND:20260506T110000Z\nSUMMARY:ny",
        "UID:dup\nSEQUENCE:1\nDTSTART:20260505T100000Z\nDTEND:20260505T110000Z\nSUMMARY:gammel",
    )
    assert [(event.uid, event.summary) for event in parse(data)] == [("dup", "ny")]


def test_clashing_uids_are_numbered_and_exact_repeats_dropped():
    # A guard for callers that key on uid, whatever the expansion library lets through.
    start = datetime(2026, 5, 5, 10, tzinfo=UTC)
    first = ImportedEvent("x", start, start + timedelta(hours=1), "", False)
    other = ImportedEvent("x", start + timedelta(days=1), start + timedelta(days=1, hours=1), "", False)
    assert [event.uid for event in _unique_uids([first, first, other, other])] == ["x", "x#2"]


def test_bom_and_lf_line_endings_are_accepted():
    data = b"\xef\xbb\xbf" + ics("UID:x\nDTSTART:20260505T100000Z").replace(b"\r\n", b"\n")
    assert [event.uid for event in parse(data)] == ["x"]


def test_result_is_sorted_by_start():
    data = ics("UID:late\nDTSTART:20260605T100000Z", "UID:early\nDTSTART:20260505T100000Z")
    assert [event.uid for event in parse(data)] == ["early", "late"]


# --- errors --------------------------------------------------------------------------


def error_code(data: bytes, **kwargs) -> str:
    with pytest.raises(CalendarImportError) as caught:
        parse_calendar(data, **{**WINDOW, **kwargs})
    assert caught.value.message_nb and caught.value.message_en
    return caught.value.code


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body>Not found</body></html>",
        b"hello",
        b"\x00\xff\xfe\x00",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260505T100000Z\r\n",  # cut off
        b"BEGIN:VEVENT\r\nDTSTART:20260505T100000Z\r\nEND:VEVENT\r\n",
    ],
    ids=["html", "text", "binary", "truncated", "no-vcalendar"],
)
def test_not_icalendar(data):
    assert error_code(data) == "not_icalendar"


@pytest.mark.parametrize(
    "body",
    [
        "UID:r\nDTSTART:20260505T100000Z\nRRULE:FREQ=BOGUS",
        "UID:e\nDTSTART:20260505T100000Z\nDTEND:tomorrow",
        "UID:d\nDTSTART:20260505T100000Z\nDURATION:an hour",
    ],
    ids=["rrule", "dtend", "duration"],
)
def test_unreadable_time_property_fails_the_whole_import(body):
    assert error_code(ics("UID:ok\nDTSTART:20260505T100000Z", body)) == "not_icalendar"


def test_unknown_tzid_without_vtimezone_is_read_as_oslo_time():
    (event,) = parse(ics("UID:m\nDTSTART;TZID=Mars/Olympus:20260505T100000\nDURATION:PT1H"))
    assert event.start == datetime(2026, 5, 5, 8, tzinfo=UTC)


def test_too_large():
    data = ics(*(f"UID:{n}\nDTSTART:20260505T100000Z\nSUMMARY:{'x' * 50}" for n in range(50)))
    assert error_code(data, max_bytes=len(data) - 1) == "too_large"
    assert len(parse_calendar(data, **WINDOW, max_bytes=len(data))) == 50


def test_sub_daily_rules_that_step_every_minute_are_refused():
    assert error_code(ics("UID:m\nDTSTART:20260101T000000Z\nRRULE:FREQ=MINUTELY")) == "too_large"
    assert error_code(ics("UID:s\nDTSTART:20260101T000000Z\nRRULE:FREQ=SECONDLY;COUNT=5")) == "too_large"


def test_too_many_occurrences(monkeypatch):
    hourly = ics("UID:h\nDTSTART:20260101T000000Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY")
    one_day = dict(window_start=datetime(2026, 3, 1, tzinfo=UTC), window_end=datetime(2026, 3, 2, tzinfo=UTC))
    assert len(parse(hourly, **one_day)) == 24
    monkeypatch.setattr(imports, "MAX_OCCURRENCES", 200)  # counted with the expansion margin
    assert len(parse(hourly, **one_day)) == 24
    assert error_code(hourly, window_end=datetime(2026, 1, 8, tzinfo=UTC)) == "too_large"


@pytest.mark.parametrize(
    "body",
    ["UID:n\nSUMMARY:Ingen start\nDTEND:20260505T100000Z", "UID:g\nDTSTART:garbage"],
    ids=["absent", "unparseable"],
)
def test_missing_dtstart(body):
    assert error_code(ics(body)) == "missing_dtstart"


def test_nothing_half_parsed_when_one_event_is_bad():
    good = "UID:ok\nDTSTART:20260505T100000Z"
    assert error_code(ics(good, "UID:bad\nSUMMARY:x")) == "missing_dtstart"


@pytest.mark.parametrize("data", [b"", b"  \r\n", ics()], ids=["zero-bytes", "whitespace", "no-events"])
def test_empty(data):
    assert error_code(data) == "empty"


def test_events_outside_the_window_are_not_an_error():
    assert parse(ics("UID:old\nDTSTART:20200505T100000Z")) == []


def test_window_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        parse_calendar(
            ics("UID:x\nDTSTART:20260505T100000Z"), window_start=datetime(2026, 1, 1), window_end=WINDOW["window_end"]
        )
