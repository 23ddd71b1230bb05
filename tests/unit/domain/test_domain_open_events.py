"""Open events, the pure part: the text's rules, which bookings may be open events, when
the public sees one, the public page's window of days and its grouping by Oslo day."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from booking.domain.errors import InvalidTransition
from booking.domain.open_events import (
    AWAITING_CONFIRMATION,
    HIDDEN,
    LISTED,
    MAX_DAYS_AHEAD,
    NOT_LISTED,
    WINDOW_DAYS,
    EventText,
    by_local_day,
    check_openable,
    day_window,
    may_open,
    visibility,
)

NOW = datetime(2026, 9, 1, 6, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=3)
TODAY = date(2026, 9, 1)


def fields(text: EventText) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in text.problems()]


def test_cleaned_puts_the_title_on_one_line_and_keeps_the_description_s_line_breaks():
    text = EventText.cleaned("  Konsert \n i  parken ", " Første linje\r\nAndre linje\r\n", "all")
    assert text == EventText("Konsert i parken", "Første linje\nAndre linje", "all")
    assert text.problems() == []


def test_a_title_is_required_and_at_most_120_characters():
    assert fields(EventText.cleaned("   ", "", "all")) == [("title", "required")]
    assert fields(EventText.cleaned("x" * 120, "", "all")) == []
    assert fields(EventText.cleaned("x" * 121, "", "all")) == [("title", "too_long")]


def test_the_description_is_optional_and_at_most_500_characters():
    assert fields(EventText.cleaned("Kurs", "y" * 500, "children_youth")) == []
    assert fields(EventText.cleaned("Kurs", "y" * 501, "all")) == [("description", "too_long")]


def test_the_audience_is_everyone_or_children_and_youth():
    assert fields(EventText.cleaned("Kurs", "", "adults")) == [("audience", "invalid_choice")]


def test_every_problem_is_named_at_once_in_both_languages():
    problems = EventText.cleaned("", "z" * 501, "").problems()
    assert [p.field for p in problems] == ["title", "description", "audience"]
    assert all(p.message_nb and p.message_en for p in problems)


@pytest.mark.parametrize("status", ["held", "requested", "confirmed"])
def test_an_upcoming_booking_that_holds_its_slot_may_be_an_open_event(status):
    assert may_open(status, LATER, NOW)
    check_openable(status, LATER, NOW)


@pytest.mark.parametrize("status", ["cancelled", "rejected", "expired"])
def test_a_called_off_booking_may_not(status):
    assert not may_open(status, LATER, NOW)
    with pytest.raises(InvalidTransition) as refused:
        check_openable(status, LATER, NOW)
    assert refused.value.code == "booking_not_upcoming" and refused.value.status == 409


def test_nor_may_a_booking_that_has_ended():
    assert not may_open("confirmed", NOW, NOW)
    assert may_open("confirmed", NOW + timedelta(seconds=1), NOW)  # under way until its end


def test_only_a_confirmed_booking_s_event_is_listed_and_staff_may_hide_it():
    assert visibility("confirmed", False, LATER, NOW) == LISTED
    assert visibility("requested", False, LATER, NOW) == AWAITING_CONFIRMATION
    assert visibility("held", False, LATER, NOW) == AWAITING_CONFIRMATION
    assert visibility("confirmed", True, LATER, NOW) == HIDDEN
    assert visibility("cancelled", False, LATER, NOW) == NOT_LISTED
    assert visibility("cancelled", True, LATER, NOW) == NOT_LISTED
    assert visibility("confirmed", False, NOW, NOW) == NOT_LISTED


def test_the_window_starts_today_without_a_day_asked():
    window = day_window(None, TODAY)
    assert (window.first, window.end, window.earlier) == (TODAY, TODAY + timedelta(days=WINDOW_DAYS), None)


def test_a_day_in_the_past_is_brought_to_today():
    assert day_window(date(2020, 1, 1), TODAY) == day_window(None, TODAY)


def test_a_later_window_links_back_to_the_one_before_it_but_never_before_today():
    window = day_window(TODAY + timedelta(days=WINDOW_DAYS), TODAY)
    assert window.earlier == TODAY
    window = day_window(TODAY + timedelta(days=10), TODAY)
    assert (window.first, window.earlier) == (TODAY + timedelta(days=10), TODAY)
    window = day_window(TODAY + timedelta(days=200), TODAY)
    assert window.earlier == TODAY + timedelta(days=200 - WINDOW_DAYS)


def test_a_day_far_ahead_is_brought_back_to_the_last_day_there_can_be_bookings():
    window = day_window(date(9999, 12, 31), TODAY)
    assert window.first == TODAY + timedelta(days=MAX_DAYS_AHEAD)


def test_events_are_grouped_by_the_oslo_day_they_start_on():
    # 21:30 UTC is 23:30 in Oslo in summer time; 22:30 UTC is already the next day there.
    starts = [
        datetime(2026, 9, 3, 21, 30, tzinfo=timezone.utc),
        datetime(2026, 9, 3, 22, 30, tzinfo=timezone.utc),
        datetime(2026, 9, 4, 16, 0, tzinfo=timezone.utc),
    ]
    groups = by_local_day(starts, lambda start: start)
    assert [(day, len(events)) for day, events in groups] == [(date(2026, 9, 3), 1), (date(2026, 9, 4), 2)]
