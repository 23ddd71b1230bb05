"""OpeningHours.parse and Season.parse: what they accept and the codes they refuse with."""

from __future__ import annotations

from datetime import date

import pytest

from booking.domain.errors import DomainError
from booking.domain.premises import OpeningHours, Season


def test_opening_hours_parse_and_round_trip():
    data = {"mon": ["16:00-22:00"], "sat": ["18:00-24:00", "08:00-12:00"], "sun": ["00:00-02:00"]}
    hours = OpeningHours.parse(data)
    assert hours.windows == {0: ((960, 1320),), 5: ((480, 720), (1080, 1440)), 6: ((0, 120),)}
    assert hours.to_data() == {"mon": ["16:00-22:00"], "sat": ["08:00-12:00", "18:00-24:00"], "sun": ["00:00-02:00"]}
    assert OpeningHours.parse(hours.to_data()) == hours


def test_opening_hours_accept_spaces_single_digit_hours_and_empty_days():
    hours = OpeningHours.parse({"tue": [" 8:00 - 9:30 "], "wed": []})
    assert hours.windows == {1: ((480, 570),), 2: ()}
    assert OpeningHours.parse({}).windows == {}


def test_whole_day():
    assert OpeningHours.parse({"fri": ["00:00-24:00"]}).windows == {4: ((0, 1440),)}


@pytest.mark.parametrize(
    "data",
    [
        {"monday": ["08:00-12:00"]},
        {"Mon": ["08:00-12:00"]},
        {"man": ["08:00-12:00"]},
        {"mon": ["08:00"]},
        {"mon": ["0800-1200"]},
        {"mon": ["08:00-12:00-14:00"]},
        {"mon": ["8-12"]},
        {"mon": ["08:60-12:00"]},
        {"mon": ["08:00-24:01"]},
        {"mon": ["08:00-25:00"]},
        {"mon": ["-1:00-02:00"]},
        {"mon": ["ab:cd-ef:gh"]},
        {"mon": [""]},
        {"mon": ["12:00-08:00"]},
        {"mon": ["12:00-12:00"]},
        {"mon": ["24:00-24:00"]},
        {"mon": "08:00-12:00"},  # a string, not a list of windows
    ],
)
def test_opening_hours_refusals(data):
    with pytest.raises(DomainError) as caught:
        OpeningHours.parse(data)
    assert caught.value.code == "invalid_opening_hours"
    assert caught.value.message_nb and caught.value.message_en


def test_season_parse():
    season = Season.parse("05-01", "09-30")
    assert season == Season((5, 1), (9, 30))
    assert season.includes(date(2026, 5, 1)) and season.includes(date(2026, 9, 30))
    assert not season.includes(date(2026, 4, 30)) and not season.includes(date(2026, 10, 1))
    assert Season.parse("12-01", "03-15") == Season((12, 1), (3, 15))
    assert Season.parse("02-29", "02-29") == Season((2, 29), (2, 29))


@pytest.mark.parametrize(
    "first, last",
    [
        ("13-01", "09-30"),
        ("00-10", "09-30"),
        ("05-00", "09-30"),
        ("05-01", "09-31"),
        ("02-30", "03-01"),
        ("05", "09-30"),
        ("05-01", "2026-09-30"),
        ("mai", "september"),
        ("", "09-30"),
        ("05-01", "09/30"),
    ],
)
def test_season_refusals(first, last):
    with pytest.raises(DomainError) as caught:
        Season.parse(first, last)
    assert caught.value.code == "invalid_season"
    assert caught.value.message_nb and caught.value.message_en
