"""Opening hours, seasons, public holidays, closures, buffers and check_request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from domain_support import FALL_BACK, SPRING_FORWARD, local_span, make_rules, oslo, utc

from booking.domain.availability import (
    ClosureSpan,
    blocked_by,
    check_request,
    conflicts,
    free_intervals,
    occupied,
    open_intervals,
)
from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from booking.domain.premises import OpeningHours, Season
from common.localtime import holiday_name as public_holiday
from common.localtime import local_day_start

ALL_DAY = OpeningHours.parse({d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
CLUB_HOURS = OpeningHours.parse(
    {
        "mon": ["16:00-22:00"],
        "wed": ["08:00-12:00", "16:00-22:00"],
        "fri": ["16:00-24:00"],
        "sat": ["10:00-24:00"],
        "sun": ["00:00-02:00", "12:00-18:00"],
    }
)  # tue and thu closed


def days(first: date, count: int) -> Interval:
    return Interval(local_day_start(first), local_day_start(first + timedelta(days=count)))


def refusal(rules, wanted, closures=()) -> str:
    with pytest.raises(DomainError) as caught:
        check_request(rules, wanted, list(closures))
    return caught.value.code


# --- opening hours ---------------------------------------------------------------


def test_open_intervals_follow_weekly_hours_and_24_00_joins_the_next_morning():
    rules = make_rules(opening_hours=CLUB_HOURS)
    monday = date(2026, 9, 7)
    assert open_intervals(rules, days(monday, 7)) == [
        local_span(monday, "16:00", "22:00"),
        local_span(date(2026, 9, 9), "08:00", "12:00"),
        local_span(date(2026, 9, 9), "16:00", "22:00"),
        Interval(oslo(2026, 9, 11, 16), oslo(2026, 9, 12, 0)),
        # Saturday 10:00-24:00 and Sunday 00:00-02:00 are one span.
        Interval(oslo(2026, 9, 12, 10), oslo(2026, 9, 13, 2)),
        local_span(date(2026, 9, 13), "12:00", "18:00"),
    ]


def test_open_intervals_are_clipped_to_the_window():
    rules = make_rules(opening_hours=CLUB_HOURS)
    window = Interval(oslo(2026, 9, 7, 18), oslo(2026, 9, 7, 20))
    assert open_intervals(rules, window) == [window]
    assert open_intervals(rules, Interval(oslo(2026, 9, 8, 0), oslo(2026, 9, 9, 0))) == []  # Tuesday


def test_no_opening_hours_means_always_closed():
    rules = make_rules(opening_hours=OpeningHours({}))
    assert open_intervals(rules, days(date(2026, 1, 1), 30)) == []
    assert refusal(rules, Interval(oslo(2026, 9, 7, 18), oslo(2026, 9, 7, 19))) == "outside_opening_hours"


def test_whole_day_opening_on_spring_forward_day_is_23_hours():
    rules = make_rules(opening_hours=ALL_DAY)
    [span] = open_intervals(rules, days(SPRING_FORWARD, 1))
    assert span == Interval(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert span.duration == timedelta(hours=23)


def test_whole_day_opening_on_fall_back_day_is_25_hours():
    rules = make_rules(opening_hours=ALL_DAY)
    [span] = open_intervals(rules, days(FALL_BACK, 1))
    assert span == Interval(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))
    assert span.duration == timedelta(hours=25)


def test_sunday_evening_hours_stay_local_across_dst():
    rules = make_rules(opening_hours=OpeningHours.parse({"sun": ["18:00-20:00"]}))
    for day, utc_hour in [(date(2026, 3, 22), 17), (SPRING_FORWARD, 16), (date(2026, 10, 18), 16), (FALL_BACK, 17)]:
        [span] = open_intervals(rules, days(day, 1))
        assert span.start.hour == utc_hour and span.duration == timedelta(hours=2)


def test_window_across_the_spring_gap_is_shorter_and_across_the_repeated_hour_longer():
    rules = make_rules(opening_hours=OpeningHours.parse({"sun": ["01:00-04:00"]}))
    [spring] = open_intervals(rules, days(SPRING_FORWARD, 1))
    [autumn] = open_intervals(rules, days(FALL_BACK, 1))
    assert spring.duration == timedelta(hours=2)
    assert autumn.duration == timedelta(hours=4)


def test_documented_rule_a_window_boundary_inside_the_spring_gap_moves_forward_with_the_clocks():
    """wall_clock_instant resolves a gap time with fold=0: 02:30 is read as 03:30 CEST, so the
    window keeps its length. (A strict wall-clock reading would open at 03:00 instead.)"""
    rules = make_rules(opening_hours=OpeningHours.parse({"sun": ["02:30-06:00"]}))
    [span] = open_intervals(rules, days(SPRING_FORWARD, 1))
    assert span == Interval(utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 4))


def test_documented_rule_a_window_boundary_in_the_repeated_hour_is_its_first_pass():
    rules = make_rules(opening_hours=OpeningHours.parse({"sun": ["02:30-06:00"]}))
    [span] = open_intervals(rules, days(FALL_BACK, 1))
    assert span == Interval(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 5))


# --- seasons ---------------------------------------------------------------------


def test_summer_season_limits_open_days():
    rules = make_rules(opening_hours=ALL_DAY, season=Season.parse("05-01", "09-30"))
    assert open_intervals(rules, days(date(2026, 4, 29), 4)) == [days(date(2026, 5, 1), 2)]
    assert open_intervals(rules, days(date(2026, 9, 29), 4)) == [days(date(2026, 9, 29), 2)]


def test_season_wrapping_the_new_year():
    season = Season.parse("12-01", "03-15")
    assert season.includes(date(2026, 12, 1))
    assert season.includes(date(2026, 12, 31))
    assert season.includes(date(2027, 1, 1))
    assert season.includes(date(2026, 3, 15))
    assert not season.includes(date(2026, 3, 16))
    assert not season.includes(date(2026, 11, 30))
    assert not season.includes(date(2026, 7, 1))
    rules = make_rules(opening_hours=ALL_DAY, season=season)
    # Across new year the track stays open without a break.
    assert open_intervals(rules, days(date(2026, 12, 30), 4)) == [days(date(2026, 12, 30), 4)]
    assert open_intervals(rules, days(date(2026, 3, 14), 4)) == [days(date(2026, 3, 14), 2)]
    assert open_intervals(rules, days(date(2026, 11, 29), 3)) == [days(date(2026, 12, 1), 1)]


def test_single_day_season_and_leap_day():
    assert Season.parse("06-23", "06-23").includes(date(2026, 6, 23))
    assert not Season.parse("06-23", "06-23").includes(date(2026, 6, 24))
    leap = Season.parse("02-29", "03-01")
    assert leap.includes(date(2028, 2, 29)) and leap.includes(date(2026, 3, 1))
    assert not leap.includes(date(2026, 2, 28))


def test_check_request_out_of_season():
    rules = make_rules(season=Season.parse("12-01", "03-15"))
    assert refusal(rules, Interval(oslo(2026, 3, 16, 10), oslo(2026, 3, 16, 12))) == "out_of_season"
    check_request(rules, Interval(oslo(2026, 3, 15, 10), oslo(2026, 3, 15, 12)), [])
    check_request(rules, Interval(oslo(2026, 12, 31, 10), oslo(2026, 12, 31, 12)), [])


def test_booking_running_past_midnight_out_of_season_is_refused():
    rules = make_rules(opening_hours=ALL_DAY, season=Season.parse("05-01", "09-30"))
    assert refusal(rules, Interval(oslo(2026, 9, 30, 22), oslo(2026, 10, 1, 1))) == "out_of_season"
    check_request(rules, Interval(oslo(2026, 9, 30, 22), oslo(2026, 10, 1, 0)), [])


# --- public holidays -------------------------------------------------------------


def test_norwegian_holiday_names():
    assert public_holiday(date(2026, 5, 17)) == "Grunnlovsdag"
    assert public_holiday(date(2026, 5, 14)) == "Kristi himmelfartsdag"
    assert public_holiday(date(2026, 12, 25)) == "Første juledag"
    assert public_holiday(date(2026, 4, 5)) == "Første påskedag"
    assert public_holiday(date(2026, 5, 13)) is None
    assert public_holiday(date(2026, 5, 10)) is None  # an ordinary Sunday is not a holiday


@pytest.mark.parametrize(
    "day, name", [(date(2026, 5, 17), "Grunnlovsdag"), (date(2026, 5, 14), "Kristi himmelfartsdag")]
)
def test_premises_closed_on_public_holidays(day, name):
    closed = make_rules(closed_on_public_holidays=True)
    assert open_intervals(closed, days(day, 1)) == []
    assert open_intervals(closed, days(day - timedelta(days=1), 3)) == [
        local_span(day - timedelta(days=1), "08:00", "22:00"),
        local_span(day + timedelta(days=1), "08:00", "22:00"),
    ]
    wanted = local_span(day, "18:00", "20:00")
    with pytest.raises(DomainError) as caught:
        check_request(closed, wanted, [])
    assert caught.value.code == "public_holiday"
    assert caught.value.details["holiday"] == name
    assert name in caught.value.message_nb


@pytest.mark.parametrize("day", [date(2026, 5, 17), date(2026, 5, 14)])
def test_premises_not_marked_closed_stays_open_on_holidays(day):
    rules = make_rules(closed_on_public_holidays=False)
    assert open_intervals(rules, days(day, 1)) == [local_span(day, "08:00", "22:00")]
    check_request(rules, local_span(day, "18:00", "20:00"), [])


def test_booking_running_into_a_holiday_is_refused():
    rules = make_rules(opening_hours=ALL_DAY, closed_on_public_holidays=True)
    assert refusal(rules, Interval(oslo(2026, 5, 16, 23), oslo(2026, 5, 17, 1))) == "public_holiday"
    check_request(rules, Interval(oslo(2026, 5, 16, 22), oslo(2026, 5, 17, 0)), [])


# --- closures and buffers ----------------------------------------------------------


def test_closures_are_subtracted_from_free_time():
    rules = make_rules()
    day = date(2026, 9, 1)
    closure = ClosureSpan(local_span(day, "12:00", "14:00"), "Valg")
    assert free_intervals(rules, days(day, 1), [closure], []) == [
        local_span(day, "08:00", "12:00"),
        local_span(day, "14:00", "22:00"),
    ]


def test_check_request_refuses_a_closed_time_and_names_the_reason():
    rules = make_rules()
    closure = ClosureSpan(local_span(date(2026, 9, 1), "12:00", "14:00"), "Valg")
    with pytest.raises(DomainError) as caught:
        check_request(rules, local_span(date(2026, 9, 1), "13:45", "15:00"), [closure])
    assert caught.value.code == "closed"
    assert caught.value.details["reason"] == "Valg"
    # Touching a closure is fine: intervals are half-open.
    check_request(rules, local_span(date(2026, 9, 1), "14:00", "15:00"), [closure])
    check_request(rules, local_span(date(2026, 9, 1), "11:00", "12:00"), [closure])


def test_regression_point_in_time_closure_agrees_between_free_intervals_and_check_request():
    """A zero-length closure (calendars.imports keeps point-in-time events) showed the time
    free in free_intervals but made check_request refuse it as "closed"."""
    rules = make_rules()
    day = date(2026, 9, 1)
    point = ClosureSpan(Interval(oslo(2026, 9, 1, 18), oslo(2026, 9, 1, 18)), "Påminnelse")
    assert free_intervals(rules, days(day, 1), [point], []) == [local_span(day, "08:00", "22:00")]
    check_request(rules, local_span(day, "17:00", "19:00"), [point])


def test_buffer_before_pushes_our_start_after_an_existing_claim():
    """Existing claim [18:00, 20:15) (its own buffers included); our buffer_before is 15."""
    rules = make_rules(buffer_before=15)
    day = date(2026, 9, 1)
    claim = local_span(day, "18:00", "20:15")
    assert blocked_by(rules, [claim]) == [local_span(day, "18:00", "20:30")]
    assert free_intervals(rules, days(day, 1), [], [claim]) == [
        local_span(day, "08:00", "18:00"),
        local_span(day, "20:30", "22:00"),
    ]
    assert conflicts(rules, local_span(day, "20:15", "21:00"), [claim]) == [claim]
    assert conflicts(rules, local_span(day, "20:30", "21:00"), [claim]) == []
    assert occupied(rules, local_span(day, "20:30", "21:00")) == local_span(day, "20:15", "21:00")


def test_buffer_after_makes_us_end_earlier_before_an_existing_claim():
    rules = make_rules(buffer_after=30)
    day = date(2026, 9, 1)
    claim = local_span(day, "18:00", "20:15")
    assert free_intervals(rules, days(day, 1), [], [claim]) == [
        local_span(day, "08:00", "17:30"),
        local_span(day, "20:15", "22:00"),
    ]
    assert conflicts(rules, local_span(day, "17:00", "17:45"), [claim]) == [claim]
    assert conflicts(rules, local_span(day, "17:00", "17:30"), [claim]) == []
    assert occupied(rules, local_span(day, "17:00", "17:30")) == local_span(day, "17:00", "18:00")


def test_occupied_plus_blocked_by_are_consistent():
    """If ours occupies a range overlapping a claim, it is in conflict, and vice versa."""
    rules = make_rules(buffer_before=15, buffer_after=30)
    day = date(2026, 9, 1)
    claim = local_span(day, "12:00", "13:00")
    for start in range(8 * 60, 16 * 60, 15):
        wanted = Interval(oslo(2026, 9, 1) + timedelta(minutes=start), oslo(2026, 9, 1) + timedelta(minutes=start + 45))
        assert bool(conflicts(rules, wanted, [claim])) == occupied(rules, wanted).overlaps(claim)


# --- check_request codes -------------------------------------------------------------


def test_a_good_request_passes():
    check_request(make_rules(), local_span(date(2026, 9, 1), "18:00", "20:00"), [])


def test_end_not_after_start():
    rules = make_rules()
    assert refusal(rules, local_span(date(2026, 9, 1), "18:00", "18:00")) == "end_not_after_start"
    assert refusal(rules, local_span(date(2026, 9, 1), "18:00", "17:00")) == "end_not_after_start"


@pytest.mark.parametrize(
    "slot, start, end, ok",
    [
        (15, "18:15", "19:45", True),
        (15, "18:10", "19:45", False),
        (30, "18:30", "19:30", True),
        (30, "18:15", "19:30", False),
        (30, "18:00", "19:45", False),
        (60, "18:00", "19:00", True),
        (60, "18:30", "20:00", False),
    ],
)
def test_off_granularity(slot, start, end, ok):
    rules = make_rules(slot_minutes=slot, min_minutes=30)
    wanted = local_span(date(2026, 9, 1), start, end)
    if ok:
        check_request(rules, wanted, [])
    else:
        with pytest.raises(DomainError) as caught:
            check_request(rules, wanted, [])
        assert caught.value.code == "off_granularity"
        assert caught.value.details["slot_minutes"] == slot


def test_seconds_are_off_granularity():
    start = oslo(2026, 9, 1, 18) + timedelta(seconds=1)
    assert refusal(make_rules(), Interval(start, start + timedelta(hours=1))) == "off_granularity"


def test_too_short_and_too_long_with_inclusive_limits():
    rules = make_rules(min_minutes=60, max_minutes=180)
    day = date(2026, 9, 1)
    assert refusal(rules, local_span(day, "18:00", "18:45")) == "too_short"
    check_request(rules, local_span(day, "18:00", "19:00"), [])
    check_request(rules, local_span(day, "18:00", "21:00"), [])
    assert refusal(rules, local_span(day, "18:00", "21:15")) == "too_long"


def test_durations_are_real_time_on_dst_days():
    rules = make_rules(opening_hours=ALL_DAY, min_minutes=180, max_minutes=180)
    assert refusal(rules, Interval(oslo(2026, 3, 29, 1), oslo(2026, 3, 29, 4))) == "too_short"  # 2 h
    assert refusal(rules, Interval(oslo(2026, 10, 25, 1), oslo(2026, 10, 25, 4))) == "too_long"  # 4 h
    check_request(rules, Interval(oslo(2026, 10, 25, 1), oslo(2026, 10, 25, 3)), [])  # 3 h


def test_outside_opening_hours():
    rules = make_rules(opening_hours=CLUB_HOURS)
    assert refusal(rules, local_span(date(2026, 9, 7), "21:00", "23:00")) == "outside_opening_hours"
    assert refusal(rules, local_span(date(2026, 9, 8), "18:00", "19:00")) == "outside_opening_hours"  # Tuesday
    # Across Wednesday's midday break.
    assert refusal(rules, local_span(date(2026, 9, 9), "11:00", "17:00")) == "outside_opening_hours"
    # Saturday 23:00 to Sunday 01:00 runs through midnight inside one span.
    check_request(rules, Interval(oslo(2026, 9, 12, 23), oslo(2026, 9, 13, 1)), [])
    assert refusal(rules, Interval(oslo(2026, 9, 12, 23), oslo(2026, 9, 13, 3))) == "outside_opening_hours"


def test_refusals_come_in_a_fixed_order():
    rules = make_rules(
        slot_minutes=30, min_minutes=60, season=Season.parse("05-01", "09-30"), closed_on_public_holidays=True
    )
    closure = ClosureSpan(local_span(date(2026, 9, 1), "00:00", "24:00"), "Stengt")
    # Off the grid beats too short.
    assert refusal(rules, local_span(date(2026, 9, 1), "18:10", "18:20")) == "off_granularity"
    # Too short beats out of season.
    assert refusal(rules, local_span(date(2026, 10, 1), "18:00", "18:30")) == "too_short"
    # Out of season beats closure and opening hours.
    assert refusal(rules, local_span(date(2026, 10, 1), "23:00", "24:00"), [closure]) == "out_of_season"
    # Holiday (17 May) beats closure.
    assert (
        refusal(
            rules,
            local_span(date(2026, 5, 17), "18:00", "19:00"),
            [ClosureSpan(local_span(date(2026, 5, 17), "00:00", "24:00"), "x")],
        )
        == "public_holiday"
    )
    # Closure beats opening hours.
    assert refusal(rules, local_span(date(2026, 9, 1), "22:00", "23:00"), [closure]) == "closed"


def test_free_intervals_combine_everything():
    rules = make_rules(opening_hours=CLUB_HOURS, buffer_before=15, closed_on_public_holidays=True)
    # Week of 11 May 2026: Thursday 14 May is Kristi himmelfartsdag, Sunday 17 May Grunnlovsdag.
    monday = date(2026, 5, 11)
    closure = ClosureSpan(local_span(date(2026, 5, 13), "09:00", "10:00"), "Vask")
    taken = [local_span(monday, "17:00", "18:00")]
    assert free_intervals(rules, days(monday, 7), [closure], taken) == [
        local_span(monday, "16:00", "17:00"),
        local_span(monday, "18:15", "22:00"),
        local_span(date(2026, 5, 13), "08:00", "09:00"),
        local_span(date(2026, 5, 13), "10:00", "12:00"),
        local_span(date(2026, 5, 13), "16:00", "22:00"),
        local_span(date(2026, 5, 15), "16:00", "24:00"),
        Interval(oslo(2026, 5, 16, 10), oslo(2026, 5, 17, 0)),  # Sunday is Grunnlovsdag
    ]
