"""Property: any event survives build_feed + parsing with the same instants and text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import ics
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from calendars.feeds import FeedEvent, build_feed, event_text

UTC = timezone.utc
# Anything users can paste: Norwegian letters, separators that need escaping (, ; \),
# CR/LF in every spelling, control characters. Only lone surrogates cannot be encoded.
user_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120),
    # Escapes and icalendar's "\N means newline" shortcut, which random text rarely hits.
    st.text(alphabet="\\Nn;,:\r\n xæ", max_size=30),
)
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2049, 6, 1), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=0)
)  # iCalendar keeps whole seconds


# `ics` resolves TZID through dateutil's tzfile, which knows no transitions after 2037,
# so it reads summer times in 2038+ an hour off; our feeds reach 18 months ahead.
instants_before_2037 = instants.filter(lambda moment: moment.year < 2037)


@st.composite
def feed_events(draw, number: int, starts=instants) -> FeedEvent:
    start = draw(starts)
    # Up to three days, so events cross DST changes and midnight.
    duration = timedelta(seconds=draw(st.integers(min_value=60, max_value=3 * 86400)))
    return FeedEvent(
        uid=f"booking-{number}@lokaler",
        start=start,
        end=start + duration,
        summary=draw(user_text),
        location=draw(user_text),
        description=draw(user_text),
        status=draw(st.sampled_from(["CONFIRMED", "TENTATIVE", "CANCELLED"])),
        sequence=draw(st.integers(min_value=0, max_value=1000)),
        last_modified=draw(instants),
        categories=tuple(draw(st.lists(st.text(alphabet="abcæøå ", min_size=1, max_size=10), max_size=2))),
    )


@st.composite
def event_lists(draw, starts=instants) -> list[FeedEvent]:
    count = draw(st.integers(min_value=1, max_value=6))
    return [draw(feed_events(number, starts)) for number in range(count)]


@settings(max_examples=300, deadline=None)
@given(event_lists())
def test_events_round_trip_through_feed(events):
    feed = build_feed("Egenskapstest", events)
    parsed = {str(vevent["UID"]): vevent for vevent in Calendar.from_ical(feed).walk("VEVENT")}
    assert list(parsed) == [event.uid for event in events]
    for event in events:
        vevent = parsed[event.uid]
        assert vevent.decoded("DTSTART") == event.start
        assert vevent.decoded("DTEND") == event.end
        assert str(vevent.get("SUMMARY", "")) == event.summary
        assert str(vevent.get("LOCATION", "")) == event.location
        assert str(vevent.get("DESCRIPTION", "")) == event.description
        assert str(vevent["STATUS"]) == event.status
        assert int(vevent["SEQUENCE"]) == event.sequence


@settings(max_examples=100, deadline=None)
@given(event_lists())
def test_feed_from_texts_equals_feed_from_events(events):
    assert build_feed("x", [event_text(event) for event in events]) == build_feed("x", events)


@settings(max_examples=60, deadline=None)
@given(event_lists(starts=instants_before_2037))
def test_independent_parser_reads_the_same_events(events):
    # Regression: a control character pasted into a description (\x1c, \x0c) was written
    # raw and made the `ics` parser reject the whole feed.
    parsed = {event.uid: event for event in ics.Calendar(build_feed("x", events).decode("utf-8")).events}
    for event in events:
        assert parsed[event.uid].begin.datetime == event.start
        assert parsed[event.uid].end.datetime == event.end
        if "\\" not in event.summary:  # `ics` unescapes backslashes in the wrong order
            assert (parsed[event.uid].name or "") == event.summary
