"""Feeds parsed back with icalendar and with the independent `ics` parser."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timedelta, timezone

import ics
import pytest
from calendar_test_data import FEED_DESCRIPTION, FEED_NAME, OSLO, booking, golden_events, oslo
from icalendar import Calendar

from calendars.feeds import (
    CANCELLED_KEPT,
    FEED_WINDOW_AHEAD,
    FEED_WINDOW_BACK,
    FeedEvent,
    build_feed,
    cancelled_still_shown,
    event_text,
    feed_etag,
    in_window,
    single_event_ics,
)

UTC = timezone.utc


def parse_with_icalendar(feed: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(feed)
    return {
        str(vevent["UID"]): {
            "start": vevent.decoded("DTSTART"),
            "end": vevent.decoded("DTEND"),
            "summary": str(vevent["SUMMARY"]),
            "status": str(vevent["STATUS"]),
            "sequence": int(vevent["SEQUENCE"]),
            "raw_dtstart": vevent["DTSTART"],
        }
        for vevent in calendar.walk("VEVENT")
    }


def parse_with_ics(feed: bytes) -> dict[str, ics.Event]:
    return {event.uid: event for event in ics.Calendar(feed.decode("utf-8")).events}


@pytest.fixture(scope="module")
def feed() -> bytes:
    return build_feed(FEED_NAME, golden_events(), description=FEED_DESCRIPTION)


def test_calendar_properties(feed):
    calendar = Calendar.from_ical(feed)
    assert str(calendar["PRODID"]).startswith("-//Lokaler//")
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == FEED_NAME
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Oslo"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in feed
    assert b"X-PUBLISHED-TTL:PT15M\r\n" in feed
    timezones = calendar.walk("VTIMEZONE")
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Oslo"]


def test_lines_are_crlf_and_folded(feed):
    lines = feed.split(b"\r\n")
    assert lines[-1] == b""
    assert all(b"\n" not in line and len(line) <= 75 for line in lines)


@pytest.mark.parametrize(
    ("uid", "local_start", "utc_start"),
    [
        # 29 March 2026: clocks go 02:00 -> 03:00; 18:00 that day is already CEST.
        ("booking-101@lokaler", oslo(2026, 3, 29, 18), datetime(2026, 3, 29, 16, tzinfo=UTC)),
        # 25 October 2026: clocks go 03:00 -> 02:00; 18:00 that day is CET again.
        ("booking-104@lokaler", oslo(2026, 10, 25, 18), datetime(2026, 10, 25, 17, tzinfo=UTC)),
        # The Tuesday 18:00 series, on both sides of each change.
        ("booking-200@lokaler", oslo(2026, 3, 24, 18), datetime(2026, 3, 24, 17, tzinfo=UTC)),
        ("booking-201@lokaler", oslo(2026, 3, 31, 18), datetime(2026, 3, 31, 16, tzinfo=UTC)),
        ("booking-202@lokaler", oslo(2026, 10, 20, 18), datetime(2026, 10, 20, 16, tzinfo=UTC)),
        ("booking-203@lokaler", oslo(2026, 10, 27, 18), datetime(2026, 10, 27, 17, tzinfo=UTC)),
    ],
)
def test_dst_days_and_series_keep_local_wall_time(feed, uid, local_start, utc_start):
    parsed = parse_with_icalendar(feed)[uid]
    assert parsed["raw_dtstart"].params["TZID"] == "Europe/Oslo"
    assert parsed["start"].replace(tzinfo=None) == local_start.replace(tzinfo=None)
    assert parsed["start"] == utc_start
    assert parsed["end"] - parsed["start"] == timedelta(hours=2)
    assert f"DTSTART;TZID=Europe/Oslo:{local_start:%Y%m%d}T180000".encode() in feed

    other = parse_with_ics(feed)[uid]
    assert other.begin.datetime.astimezone(UTC) == utc_start
    assert other.end.datetime.astimezone(UTC) == utc_start + timedelta(hours=2)
    assert other.begin.datetime.astimezone(OSLO).hour == 18


def test_both_parsers_agree_on_every_event(feed):
    expected = {event.uid: event for event in golden_events()}
    by_icalendar = parse_with_icalendar(feed)
    by_ics = parse_with_ics(feed)
    assert set(by_icalendar) == set(by_ics) == set(expected)
    for uid, event in expected.items():
        assert by_icalendar[uid]["start"] == event.start
        assert by_icalendar[uid]["end"] == event.end
        assert by_icalendar[uid]["summary"] == event.summary
        assert by_icalendar[uid]["sequence"] == event.sequence
        assert by_ics[uid].begin.datetime == event.start
        assert by_ics[uid].end.datetime == event.end
        assert by_ics[uid].name == event.summary
        assert by_ics[uid].status == event.status


def test_cancelled_event_is_published_as_cancelled(feed):
    parsed = parse_with_icalendar(feed)["booking-103@lokaler"]
    assert parsed["status"] == "CANCELLED"
    assert parsed["sequence"] == 2
    assert parse_with_ics(feed)["booking-103@lokaler"].status == "CANCELLED"


def test_tentative_and_sequence_as_given(feed):
    parsed = parse_with_icalendar(feed)
    assert parsed["booking-102@lokaler"]["status"] == "TENTATIVE"
    assert parsed["closure-45@lokaler"]["sequence"] == 1


def test_same_input_same_bytes_and_stable_uids():
    first = build_feed(FEED_NAME, golden_events(), description=FEED_DESCRIPTION)
    second = build_feed(FEED_NAME, golden_events(), description=FEED_DESCRIPTION)
    assert first == second
    assert list(parse_with_icalendar(first)) == list(parse_with_icalendar(second))


def test_dtstamp_and_last_modified_come_from_last_modified(feed):
    calendar = Calendar.from_ical(feed)
    for vevent in calendar.walk("VEVENT"):
        assert vevent.decoded("DTSTAMP") == vevent.decoded("LAST-MODIFIED")


def test_cached_texts_give_the_same_feed_as_events():
    events = golden_events()
    texts = [event_text(event) for event in events]
    assert build_feed(FEED_NAME, texts, description=FEED_DESCRIPTION) == build_feed(
        FEED_NAME, events, description=FEED_DESCRIPTION
    )


def test_event_text_is_one_crlf_vevent():
    text = event_text(golden_events()[0])
    assert text.startswith("BEGIN:VEVENT\r\n")
    assert text.endswith("END:VEVENT\r\n")
    assert "\n" not in text.replace("\r\n", "")


def test_single_event_ics_is_a_complete_calendar():
    event = golden_events()[0]
    data = single_event_ics(event, "Din booking")
    calendar = Calendar.from_ical(data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [event.uid]
    assert len(calendar.walk("VTIMEZONE")) == 1
    assert parse_with_ics(data)[event.uid].begin.datetime == event.start


def test_repeated_hour_when_summer_time_ends_is_written_in_utc():
    # Regression: 00:30 and 01:30 UTC on 25 Oct 2026 are both 02:30 in Oslo; a TZID wall
    # time means the first one, so the second would have moved an hour earlier.
    first = booking(1, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC))
    second = booking(2, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC))
    feed = build_feed("x", [first, second])
    assert b"DTSTART:20261025T013000Z" in feed
    parsed = parse_with_icalendar(feed)
    assert parsed[first.uid]["start"] == first.start
    assert parsed[second.uid]["start"] == second.start
    assert parse_with_ics(feed)[second.uid].begin.datetime == second.start


def test_text_is_escaped_and_norwegian_letters_survive():
    event = booking(7, oslo(2026, 6, 2, 18), oslo(2026, 6, 2, 20), summary="Øving; blåbærsyltetøy, «ÆØÅ» \\ slutt")
    parsed = parse_with_icalendar(build_feed("æøå", [event]))
    assert parsed[event.uid]["summary"] == event.summary


def test_feed_event_normalises_to_utc_and_validates():
    event = booking(1, oslo(2026, 6, 2, 18), oslo(2026, 6, 2, 20))
    assert event.start.tzinfo is UTC and event.start == datetime(2026, 6, 2, 16, tzinfo=UTC)
    with pytest.raises(ValueError, match="aware"):
        booking(1, datetime(2026, 6, 2, 18), oslo(2026, 6, 2, 20))
    with pytest.raises(ValueError, match="not after"):
        booking(1, oslo(2026, 6, 2, 20), oslo(2026, 6, 2, 18))
    with pytest.raises(ValueError, match="status"):
        booking(1, oslo(2026, 6, 2, 18), oslo(2026, 6, 2, 20), status="BUSY")
    with pytest.raises(ValueError, match="sequence"):
        booking(1, oslo(2026, 6, 2, 18), oslo(2026, 6, 2, 20), sequence=-1)


# --- ETag -------------------------------------------------------------------------


def test_etag_is_strong_and_stable():
    tag = feed_etag(golden_events(), FEED_NAME)
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert tag == feed_etag(golden_events(), FEED_NAME)


CHANGES = {
    "sequence": lambda event: {"sequence": event.sequence + 1},
    "status": lambda event: {"status": "TENTATIVE" if event.status != "TENTATIVE" else "CONFIRMED"},
    "cancelled": lambda event: {"status": "CANCELLED" if event.status != "CANCELLED" else "CONFIRMED"},
    "last_modified": lambda event: {"last_modified": event.last_modified + timedelta(microseconds=1)},
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
@pytest.mark.parametrize("index", range(len(golden_events())))
def test_etag_changes_when_any_event_changes(change, index):
    events = golden_events()
    before = feed_etag(events, FEED_NAME)
    events[index] = dataclasses.replace(events[index], **change(events[index]))
    assert feed_etag(events, FEED_NAME) != before


def test_etag_changes_with_name_membership_and_order():
    events = golden_events()
    tag = feed_etag(events, FEED_NAME)
    assert feed_etag(events, "Annet navn") != tag
    assert feed_etag(events[:-1], FEED_NAME) != tag
    assert feed_etag(list(reversed(events)), FEED_NAME) != tag


# --- window -------------------------------------------------------------------------


def test_in_window_bounds():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert in_window(now, now)
    assert in_window(now - FEED_WINDOW_BACK, now)
    assert not in_window(now - FEED_WINDOW_BACK - timedelta(seconds=1), now)
    assert in_window(now + FEED_WINDOW_AHEAD - timedelta(seconds=1), now)
    assert not in_window(now + FEED_WINDOW_AHEAD, now)
    assert FEED_WINDOW_AHEAD >= timedelta(days=547)


def test_cancelled_kept_thirty_days():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert CANCELLED_KEPT == timedelta(days=30)
    assert cancelled_still_shown(now - timedelta(days=29), now)
    assert not cancelled_still_shown(now - timedelta(days=30), now)


# --- speed --------------------------------------------------------------------------


def many_events(count: int) -> list[FeedEvent]:
    first = oslo(2026, 1, 5, 8)
    return [
        booking(10_000 + n, first + timedelta(hours=3 * n), first + timedelta(hours=3 * n + 2), sequence=n % 4)
        for n in range(count)
    ]


def test_feed_of_5000_cached_texts_is_at_least_5x_faster_than_building():
    events = many_events(5000)
    started = time.perf_counter()
    built = build_feed("stor", events)
    building = time.perf_counter() - started

    texts = [event_text(event) for event in events]  # what a cache would hold
    joining = min(_timed(lambda: build_feed("stor", texts)) for _ in range(3))
    assert build_feed("stor", texts) == built
    assert building / joining >= 5, f"building {building:.3f}s, joining {joining:.4f}s"


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# --- user text ----------------------------------------------------------------------


def test_pasted_control_characters_and_line_breaks_are_cleaned():
    event = booking(
        8,
        oslo(2026, 6, 2, 18),
        oslo(2026, 6, 2, 20),
        description="Linje 1\r\nLinje 2\rLinje 3\u2028Linje 4\x00\x1b\tslutt",
        categories=("Booking\r\nny", "\x00"),
    )
    assert event.description == "Linje 1\nLinje 2\nLinje 3\nLinje 4\tslutt"
    assert event.categories == ("Booking ny",)
    feed = build_feed("x", [event])
    assert not any(byte < 0x20 and byte not in (0x09, 0x0A, 0x0D) for byte in feed)
    assert parse_with_ics(feed)[event.uid].description == event.description


def test_backslash_n_typed_by_a_user_stays_a_backslash_and_n():
    # Regression: icalendar's own escaping publishes "\\N" as a line break.
    event = booking(9, oslo(2026, 6, 2, 18), oslo(2026, 6, 2, 20), summary="Mappe C:\\Nye filer\\notater; a,b")
    feed = build_feed("Navn med \\N", [event])
    assert b"SUMMARY:Mappe C:\\\\Nye filer\\\\notater\\; a\\,b\r\n" in feed
    assert parse_with_icalendar(feed)[event.uid]["summary"] == event.summary
    assert b"\r\nX-WR-CALNAME:Navn med \\\\N\r\n" in feed  # icalendar reads X-/NAME verbatim, so bytes
