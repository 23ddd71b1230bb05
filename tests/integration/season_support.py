"""A small seasonal round on the test world (tests/world.py), shared by the season tests:
the season's setup and two needs that compete for the divisible hall."""

from __future__ import annotations

from datetime import date, datetime, timezone

from booking.services import seasons

NOW = datetime(2026, 9, 1, 10, tzinfo=timezone.utc)
DEADLINE = datetime(2026, 10, 1, 22, tzinfo=timezone.utc)
SETUP = seasons.SeasonSetup(
    name="Vinter 2027",
    starts=date(2027, 1, 4),
    ends=date(2027, 1, 31),
    application_deadline=DEADLINE,
    premises=("hallen", "hallen-a", "hallen-b"),
    seasonal_hours={"mon": ["16:00-22:30"], "tue": ["16:00-22:30"]},
    excluded=((date(2027, 1, 18), date(2027, 1, 19)),),
)
CHILDREN = {
    "activity": "Minihåndball",
    "hall_sport": True,
    "age_group": "under_13",
    "disability": False,
    "participants": 24,
    "hours_per_week": 1.5,
    "wishes": [{"premises": "hallen-a", "weekday": "mon", "start": "17:00", "end": "18:30"}],
}
ADULTS = {
    "activity": "Bedriftsfotball",
    "hall_sport": True,
    "age_group": "adults",
    "disability": False,
    "participants": 14,
    "hours_per_week": 4,
    "wishes": [
        {"premises": "hallen", "weekday": "mon", "start": "17:00", "end": "19:00"},
        {"premises": "hallen-b", "weekday": "tue", "start": "18:00", "end": "20:00"},
    ],
}
