"""free_intervals against a brute-force oracle that walks a 5-minute UTC grid.

Every input lies on that grid (opening windows on 15 minutes, closures, bookings and
buffers on 5; Oslo's offsets are whole hours), so comparing grid points is exact.

The oracle reads opening hours as plain wall time: a grid point is open iff its local
wall-clock minute lies inside a window of its local day. That agrees with the engine
everywhere except for a window boundary strictly inside 02:00-03:00 on a DST Sunday,
where the engine deliberately moves the boundary with the clocks (see
test_documented_rule_* in test_domain_availability.py), so Sunday windows here avoid
02:15, 02:30 and 02:45.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.domain.availability import ClosureSpan, check_request, conflicts, free_intervals, open_intervals
from booking.domain.errors import DomainError
from booking.domain.intervals import Interval
from booking.domain.premises import WEEKDAYS, OpeningHours, PremisesRules, Season
from common.localtime import OSLO, local_day_start

STEP = timedelta(minutes=5)
SUNDAY = 6

# Written out rather than taken from the `holidays` package, so the oracle is independent.
HOLIDAYS = {
    date(2025, 12, 25),
    date(2025, 12, 26),
    date(2026, 1, 1),
    date(2026, 4, 2),
    date(2026, 4, 3),
    date(2026, 4, 5),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 14),
    date(2026, 5, 17),
    date(2026, 5, 24),
    date(2026, 5, 25),
    date(2026, 12, 25),
    date(2026, 12, 26),
    date(2027, 1, 1),
}

INTERESTING_DATES = [
    date(2026, 3, 29),
    date(2026, 10, 25),  # DST
    date(2026, 5, 14),
    date(2026, 5, 17),
    date(2026, 4, 5),
    date(2026, 12, 25),  # holidays
    date(2026, 1, 1),
    date(2026, 12, 31),  # a season that wraps the new year
]


@dataclass(frozen=True)
class Case:
    rules: PremisesRules
    windows: dict[int, list[tuple[int, int]]]  # weekday -> [(from, to)] in minutes, to may be 1440
    season_days: frozenset[date] | None
    window: Interval
    closures: list[ClosureSpan]
    taken: list[Interval]


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def day_windows(draw, weekday: int) -> list[tuple[int, int]]:
    quarters = st.integers(0, 96)
    if weekday == SUNDAY:  # see the module docstring
        quarters = quarters.filter(lambda q: q not in (9, 10, 11))
    spans = []
    for _ in range(draw(st.integers(0, 2))):
        a, b = sorted(draw(st.lists(quarters, min_size=2, max_size=2, unique=True)))
        spans.append((a * 15, b * 15))
    return spans


def season_dates(first: date, last: date) -> frozenset[date]:
    """Every date from each (month, day) of `first` up to the next (month, day) of `last`,
    by walking the calendar: independent of Season.includes."""
    days = set()
    for year in (2024, 2025, 2026, 2027):
        day = date(year, first.month, first.day)
        while True:
            days.add(day)
            if (day.month, day.day) == (last.month, last.day):
                break
            day += timedelta(days=1)
    return frozenset(days)


@st.composite
def cases(draw) -> Case:
    windows = {weekday: draw(day_windows(weekday)) for weekday in range(7)}
    opening_hours = OpeningHours.parse(
        {WEEKDAYS[d]: [f"{clock(a)}-{clock(b)}" for a, b in spans] for d, spans in windows.items() if spans}
    )
    base = draw(
        st.one_of(
            st.sampled_from(INTERESTING_DATES),
            st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
        )
    ) + timedelta(days=draw(st.integers(-3, 1)))

    season = season_days = None
    if draw(st.booleans()):
        # Bounds near the window, so they matter; a first after the last wraps the new year.
        first = base + timedelta(days=draw(st.integers(-4, 5)))
        last = base + timedelta(days=draw(st.integers(-4, 5)))
        if (first.month, first.day) == (2, 29) or (last.month, last.day) == (2, 29):
            first = last = base
        season = Season((first.month, first.day), (last.month, last.day))
        season_days = season_dates(first, last)

    rules = PremisesRules(
        slug="x",
        name="X",
        kind="room",
        opening_hours=opening_hours,
        season=season,
        slot_minutes=15,
        min_minutes=15,
        max_minutes=7 * 24 * 60,
        buffer_before=draw(st.integers(0, 12)) * 5,
        buffer_after=draw(st.integers(0, 12)) * 5,
        closed_on_public_holidays=draw(st.booleans()),
    )
    start = local_day_start(base) + STEP * draw(st.integers(0, 24 * 12))
    steps = draw(st.integers(1, 4 * 24 * 12))
    window = Interval(start, start + STEP * steps)

    def somewhere(min_steps: int, max_steps: int):
        return st.builds(
            lambda at, length: Interval(start + STEP * at, start + STEP * (at + length)),
            st.integers(-72, steps + 72),
            st.integers(min_steps, max_steps),
        )

    closures = [ClosureSpan(i, "stengt") for i in draw(st.lists(somewhere(0, 12 * 36), max_size=4))]
    taken = draw(st.lists(somewhere(1, 12 * 12), max_size=6))
    return Case(rules, windows, season_days, window, closures, taken)


def oracle(case: Case, *, with_closures_and_taken: bool = True) -> list[Interval]:
    rules = case.rules
    blocked = [
        Interval(t.start - timedelta(minutes=rules.buffer_after), t.end + timedelta(minutes=rules.buffer_before))
        for t in case.taken
    ]
    free_points: list[datetime] = []
    point = case.window.start
    while point < case.window.end:
        local = point.astimezone(OSLO)
        day, minute = local.date(), local.hour * 60 + local.minute
        is_free = (
            (case.season_days is None or day in case.season_days)
            and not (rules.closed_on_public_holidays and day in HOLIDAYS)
            and any(a <= minute < b for a, b in case.windows[day.weekday()])
        )
        if is_free and with_closures_and_taken:
            is_free = not any(c.interval.start <= point < c.interval.end for c in case.closures) and not any(
                b.start <= point < b.end for b in blocked
            )
        if is_free:
            free_points.append(point)
        point += STEP
    runs: list[Interval] = []
    for point in free_points:
        if runs and runs[-1].end == point:
            runs[-1] = Interval(runs[-1].start, point + STEP)
        else:
            runs.append(Interval(point, point + STEP))
    return runs


ORACLE_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ORACLE_SETTINGS
@given(cases())
def test_open_and_free_intervals_match_the_brute_force_oracle(case):
    assert open_intervals(case.rules, case.window) == oracle(case, with_closures_and_taken=False)
    assert free_intervals(case.rules, case.window, case.closures, case.taken) == oracle(case)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.data())
def test_check_request_and_conflicts_agree_with_free_intervals(case, data):
    """One conflict check: a request on the grid passes check_request and has no conflicts
    exactly when it lies inside one interval that free_intervals offers."""
    quarters = int(case.window.duration / timedelta(minutes=15))
    if quarters < 1 or case.window.start.minute % 15:
        return
    offset = data.draw(st.integers(0, quarters - 1))
    length = data.draw(st.integers(1, quarters - offset))
    wanted = Interval(
        case.window.start + timedelta(minutes=15 * offset),
        case.window.start + timedelta(minutes=15 * (offset + length)),
    )
    free = free_intervals(case.rules, case.window, case.closures, case.taken)
    inside = any(span.contains(wanted) for span in free)
    try:
        check_request(case.rules, wanted, case.closures)
    except DomainError as error:
        assert error.code in {"out_of_season", "public_holiday", "closed", "outside_opening_hours"}
        accepted = False
    else:
        accepted = not conflicts(case.rules, wanted, case.taken)
    assert accepted == inside
