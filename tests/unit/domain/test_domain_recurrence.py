"""Weekly series are local wall time; each occurrence resolves on its own date."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from domain_support import FALL_BACK, SPRING_FORWARD

from booking.domain.errors import DomainError
from booking.domain.recurrence import MAX_OCCURRENCES, WeeklyPattern, occurrence_dates, occurrences
from common.localtime import OSLO

TUESDAY = 1
SUNDAY = 6


def tuesday_evenings(**overrides) -> WeeklyPattern:
    values = dict(
        weekdays=(TUESDAY,),
        start_time=time(18, 0),
        end_time=time(20, 0),
        first_date=date(2026, 3, 1),
        last_date=date(2026, 11, 30),
    )
    values.update(overrides)
    return WeeklyPattern(**values)


def test_tuesday_series_stays_at_1800_local_across_both_dst_changes():
    result = occurrences(tuesday_evenings())
    assert result[0].day == date(2026, 3, 3)
    assert result[-1].day == date(2026, 11, 24)
    assert len(result) == 39
    for occurrence in result:
        assert occurrence.error is None
        assert occurrence.day.weekday() == TUESDAY
        start = occurrence.interval.start.astimezone(OSLO)
        end = occurrence.interval.end.astimezone(OSLO)
        assert (start.date(), start.hour, start.minute) == (occurrence.day, 18, 0)
        assert (end.date(), end.hour, end.minute) == (occurrence.day, 20, 0)
        assert occurrence.interval.duration == timedelta(hours=2)
        assert occurrence.interval.start.utcoffset() == timedelta(0)


def test_tuesday_series_utc_hour_is_17_in_winter_and_16_in_summer():
    for occurrence in occurrences(tuesday_evenings()):
        summer = SPRING_FORWARD < occurrence.day < FALL_BACK
        assert occurrence.interval.start.hour == (16 if summer else 17), occurrence.day
    by_day = {o.day: o.interval.start.hour for o in occurrences(tuesday_evenings())}
    # The last winter Tuesday before spring forward and the first after; likewise in autumn.
    assert by_day[date(2026, 3, 24)] == 17
    assert by_day[date(2026, 3, 31)] == 16
    assert by_day[date(2026, 10, 20)] == 16
    assert by_day[date(2026, 10, 27)] == 17


def test_occurrence_in_the_spring_gap_is_its_own_error_and_the_others_are_fine():
    pattern = WeeklyPattern(
        weekdays=(SUNDAY,),
        start_time=time(2, 30),
        end_time=time(4, 0),
        first_date=date(2026, 3, 1),
        last_date=date(2026, 4, 30),
    )
    result = occurrences(pattern)
    assert [o.day for o in result] == [date(2026, 3, 1) + timedelta(weeks=n) for n in range(9)]
    bad = [o for o in result if o.error is not None]
    assert [o.day for o in bad] == [SPRING_FORWARD]
    assert bad[0].interval is None
    assert bad[0].error.code == "nonexistent_local_time"
    for occurrence in result:
        if occurrence.day != SPRING_FORWARD:
            local = occurrence.interval.start.astimezone(OSLO)
            assert (local.date(), local.hour, local.minute) == (occurrence.day, 2, 30)
            assert occurrence.interval.duration == timedelta(minutes=90)


def test_occurrence_in_the_repeated_hour_is_ambiguous_and_the_others_are_fine():
    pattern = WeeklyPattern(
        weekdays=(SUNDAY,),
        start_time=time(1, 0),
        end_time=time(2, 30),
        first_date=date(2026, 10, 11),
        last_date=date(2026, 11, 1),
    )
    result = occurrences(pattern)
    assert [(o.day, o.error.code if o.error else None) for o in result] == [
        (date(2026, 10, 11), None),
        (date(2026, 10, 18), None),
        (FALL_BACK, "ambiguous_local_time"),
        (date(2026, 11, 1), None),
    ]


def test_several_weekdays_and_interval_weeks():
    pattern = tuesday_evenings(
        weekdays=(3, TUESDAY),  # any order
        first_date=date(2026, 9, 1),
        last_date=date(2026, 9, 30),
        interval_weeks=2,
    )
    assert occurrence_dates(pattern) == [
        date(2026, 9, 1),
        date(2026, 9, 3),
        date(2026, 9, 15),
        date(2026, 9, 17),
        date(2026, 9, 29),
    ]


def test_last_date_is_inclusive_and_first_date_need_not_be_on_a_weekday_of_the_series():
    pattern = tuesday_evenings(first_date=date(2026, 9, 2), last_date=date(2026, 9, 15))
    assert occurrence_dates(pattern) == [date(2026, 9, 8), date(2026, 9, 15)]


def test_skipped_dates_are_left_out():
    pattern = tuesday_evenings(
        first_date=date(2026, 9, 1),
        last_date=date(2026, 9, 30),
        skipped=frozenset({date(2026, 9, 15), date(2026, 9, 16)}),
    )
    assert occurrence_dates(pattern) == [date(2026, 9, 1), date(2026, 9, 8), date(2026, 9, 22), date(2026, 9, 29)]


def test_one_day_series():
    pattern = tuesday_evenings(first_date=date(2026, 9, 1), last_date=date(2026, 9, 1))
    assert occurrence_dates(pattern) == [date(2026, 9, 1)]


def test_series_too_long():
    pattern = tuesday_evenings(weekdays=tuple(range(7)), first_date=date(2026, 1, 1), last_date=date(2026, 12, 31))
    with pytest.raises(DomainError) as caught:
        occurrence_dates(pattern)
    assert caught.value.code == "series_too_long"


def test_series_at_the_maximum_is_allowed():
    first = date(2026, 1, 1)
    pattern = tuesday_evenings(
        weekdays=tuple(range(7)), first_date=first, last_date=first + timedelta(days=MAX_OCCURRENCES - 1)
    )
    assert len(occurrence_dates(pattern)) == MAX_OCCURRENCES


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"end_time": time(18, 0)}, "end_not_after_start"),
        ({"end_time": time(17, 0)}, "end_not_after_start"),
        ({"last_date": date(2026, 2, 28)}, "invalid_series_range"),
        ({"weekdays": ()}, "invalid_weekdays"),
        ({"weekdays": (7,)}, "invalid_weekdays"),
        ({"weekdays": (-1,)}, "invalid_weekdays"),
    ],
)
def test_invalid_patterns_are_refused_with_a_code(overrides, code):
    with pytest.raises(DomainError) as caught:
        tuesday_evenings(**overrides)
    assert caught.value.code == code


def test_data_round_trip():
    pattern = tuesday_evenings(weekdays=(TUESDAY, 3), interval_weeks=2, skipped=frozenset({date(2026, 4, 7)}))
    data = pattern.to_data()
    assert data == {
        "weekdays": ["tue", "thu"],
        "start_time": "18:00",
        "end_time": "20:00",
        "first_date": "2026-03-01",
        "last_date": "2026-11-30",
        "interval_weeks": 2,
        "skipped": ["2026-04-07"],
    }
    assert WeeklyPattern.from_data(data) == pattern


def test_rrule_text():
    assert tuesday_evenings(weekdays=(3, TUESDAY)).rrule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=TU,TH;UNTIL=20261130T235959"
