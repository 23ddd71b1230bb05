"""Europe/Oslo wall time and UTC instants around the 2026 DST changes
(spring forward 29 March 02:00 -> 03:00, fall back 25 October 03:00 -> 02:00)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from domain_support import FALL_BACK, SPRING_FORWARD, utc

from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from common.localtime import (
    OSLO,
    UTC,
    local_day_start,
    local_days,
    parse_instant,
    resolve_local,
    to_local,
    wall_clock_instant,
)


def test_ordinary_winter_and_summer_offsets():
    assert resolve_local(datetime(2026, 1, 15, 18, 0)) == utc(2026, 1, 15, 17)
    assert resolve_local(datetime(2026, 7, 15, 18, 0)) == utc(2026, 7, 15, 16)


def test_resolve_local_returns_aware_utc():
    instant = resolve_local(datetime(2026, 9, 1, 18, 0))
    assert instant.utcoffset() == timedelta(0)
    assert instant.tzinfo is UTC


def test_booking_01_to_04_on_spring_forward_sunday_lasts_two_hours():
    booking = Interval(
        resolve_local(datetime(2026, 3, 29, 1, 0)),
        resolve_local(datetime(2026, 3, 29, 4, 0)),
    )
    assert booking.duration == timedelta(hours=2)
    assert booking.start == utc(2026, 3, 29, 0)
    assert booking.end == utc(2026, 3, 29, 2)


def test_booking_01_to_04_on_fall_back_sunday_lasts_four_hours():
    booking = Interval(
        resolve_local(datetime(2026, 10, 25, 1, 0)),
        resolve_local(datetime(2026, 10, 25, 4, 0)),
    )
    assert booking.duration == timedelta(hours=4)


@pytest.mark.parametrize("minute", [0, 1, 30, 59])
def test_local_time_in_spring_gap_is_rejected(minute):
    with pytest.raises(DomainError) as caught:
        resolve_local(datetime(2026, 3, 29, 2, minute))
    assert caught.value.code == "nonexistent_local_time"
    assert caught.value.status == 422
    assert caught.value.details["local"] == f"2026-03-29T02:{minute:02d}:00"
    assert caught.value.message_nb and caught.value.message_en


def test_requested_start_0230_on_spring_forward_day_is_rejected_via_parse_instant():
    with pytest.raises(DomainError) as caught:
        parse_instant("2026-03-29T02:30")
    assert caught.value.code == "nonexistent_local_time"


def test_edges_of_the_spring_gap_exist():
    assert resolve_local(datetime(2026, 3, 29, 1, 59)) == utc(2026, 3, 29, 0, 59)
    assert resolve_local(datetime(2026, 3, 29, 3, 0)) == utc(2026, 3, 29, 1, 0)


@pytest.mark.parametrize("minute", [0, 30, 59])
def test_local_time_in_repeated_autumn_hour_is_ambiguous(minute):
    with pytest.raises(DomainError) as caught:
        resolve_local(datetime(2026, 10, 25, 2, minute))
    assert caught.value.code == "ambiguous_local_time"


def test_requested_0230_on_fall_back_day_is_ambiguous_via_parse_instant():
    with pytest.raises(DomainError) as caught:
        parse_instant("2026-10-25T02:30")
    assert caught.value.code == "ambiguous_local_time"


def test_edges_of_the_repeated_hour_are_unambiguous():
    assert resolve_local(datetime(2026, 10, 25, 1, 59)) == utc(2026, 10, 24, 23, 59)
    assert resolve_local(datetime(2026, 10, 25, 3, 0)) == utc(2026, 10, 25, 2, 0)


def test_explicit_offsets_pick_each_of_the_two_0230s_one_hour_apart():
    summer = parse_instant("2026-10-25T02:30+02:00")
    winter = parse_instant("2026-10-25T02:30+01:00")
    assert summer == utc(2026, 10, 25, 0, 30)
    assert winter == utc(2026, 10, 25, 1, 30)
    assert winter - summer == timedelta(hours=1)
    # Both read 02:30 on the wall in Oslo.
    assert to_local(summer).replace(tzinfo=None) == datetime(2026, 10, 25, 2, 30)
    assert to_local(winter).replace(tzinfo=None) == datetime(2026, 10, 25, 2, 30)
    assert to_local(summer).utcoffset() == timedelta(hours=2)
    assert to_local(winter).utcoffset() == timedelta(hours=1)


def test_aware_datetime_is_an_instant_whatever_its_zone():
    aware = datetime(2026, 10, 25, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    assert resolve_local(aware) == utc(2026, 10, 25, 0, 30)
    assert resolve_local(utc(2026, 3, 29, 1, 30)) == utc(2026, 3, 29, 1, 30)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-09-01T18:00", utc(2026, 9, 1, 16)),
        ("2026-01-05T18:00", utc(2026, 1, 5, 17)),
        ("2026-09-01T18:00Z", utc(2026, 9, 1, 18)),
        ("2026-09-01T18:00:00+00:00", utc(2026, 9, 1, 18)),
        ("2026-09-01 18:00", utc(2026, 9, 1, 16)),
    ],
)
def test_parse_instant_accepts_iso_8601(text, expected):
    assert parse_instant(text) == expected


@pytest.mark.parametrize(
    "garbage",
    ["", "garbage", "tomorrow 18:00", "2026-13-01T10:00", "2026-02-30T10:00", "2026-09-01T25:00", "18:00", None, 12],
)
def test_parse_instant_of_garbage_is_invalid_datetime(garbage):
    with pytest.raises(DomainError) as caught:
        parse_instant(garbage)
    assert caught.value.code == "invalid_datetime"
    assert caught.value.message_nb and caught.value.message_en


def test_local_day_start_is_local_midnight():
    assert local_day_start(date(2026, 1, 10)) == utc(2026, 1, 9, 23)
    assert local_day_start(date(2026, 7, 10)) == utc(2026, 7, 9, 22)
    assert local_day_start(SPRING_FORWARD) == utc(2026, 3, 28, 23)
    assert local_day_start(FALL_BACK) == utc(2026, 10, 24, 22)


def test_dst_days_last_23_and_25_hours():
    def length(day: date) -> timedelta:
        return local_day_start(day + timedelta(days=1)) - local_day_start(day)

    assert length(SPRING_FORWARD) == timedelta(hours=23)
    assert length(FALL_BACK) == timedelta(hours=25)
    assert length(date(2026, 6, 1)) == timedelta(hours=24)


def test_wall_clock_boundary_in_the_gap_moves_forward_with_the_clocks():
    # Documented: fold=0 in the gap, so 02:30 becomes 03:30 CEST rather than an error.
    instant = wall_clock_instant(SPRING_FORWARD, time(2, 30))
    assert instant == utc(2026, 3, 29, 1, 30)
    assert to_local(instant).hour == 3 and to_local(instant).minute == 30


def test_wall_clock_boundary_in_repeated_hour_is_its_first_occurrence():
    assert wall_clock_instant(FALL_BACK, time(2, 30)) == utc(2026, 10, 25, 0, 30)


def test_local_days_is_half_open():
    day = date(2026, 5, 5)
    assert local_days(local_day_start(day), local_day_start(day + timedelta(days=1))) == [day]
    assert local_days(local_day_start(day), local_day_start(day) + timedelta(minutes=1)) == [day]
    assert local_days(local_day_start(day) - timedelta(minutes=1), local_day_start(day) + timedelta(minutes=1)) == [
        day - timedelta(days=1),
        day,
    ]


def test_local_days_across_dst_days():
    assert local_days(local_day_start(SPRING_FORWARD), local_day_start(SPRING_FORWARD + timedelta(days=1))) == [
        SPRING_FORWARD
    ]
    assert local_days(local_day_start(FALL_BACK), local_day_start(FALL_BACK + timedelta(days=2))) == [
        FALL_BACK,
        FALL_BACK + timedelta(days=1),
    ]


def test_to_local_is_oslo():
    assert to_local(utc(2026, 3, 29, 1)).tzinfo is OSLO
    assert to_local(utc(2026, 3, 29, 1)).hour == 3
