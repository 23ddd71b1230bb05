"""Half-open intervals and their set operations, checked against minute sets."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain_support import utc
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.domain.intervals import Interval, clip, merge, subtract

BASE = utc(2026, 3, 28, 20)


def at(minute: int) -> datetime:
    return BASE + timedelta(minutes=minute)


def span(start: int, end: int) -> Interval:
    return Interval(at(start), at(end))


def minutes(intervals) -> set[int]:
    """The whole minutes an interval list covers (every endpoint here is a whole minute)."""
    covered: set[int] = set()
    for item in intervals:
        first = int((item.start - BASE).total_seconds() // 60)
        last = int((item.end - BASE).total_seconds() // 60)
        covered.update(range(first, last))
    return covered


def assert_canonical(intervals: list[Interval]) -> None:
    """Sorted, non-empty, and neither overlapping nor touching."""
    for item in intervals:
        assert item.start < item.end
    for left, right in zip(intervals, intervals[1:]):
        assert left.end < right.start


# Possibly empty or inverted, to check those are ignored.
any_interval = st.builds(lambda a, b: span(a, b), st.integers(0, 120), st.integers(0, 120))
proper_interval = st.tuples(st.integers(0, 119), st.integers(1, 60)).map(lambda t: span(t[0], t[0] + t[1]))
interval_lists = st.lists(any_interval, max_size=8)
proper_lists = st.lists(proper_interval, max_size=8)

FAST = settings(max_examples=150, deadline=None)


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    return [Interval(max(x.start, y.start), min(x.end, y.end)) for x in merge(a) for y in merge(b) if x.overlaps(y)]


@FAST
@given(interval_lists)
def test_merge_is_canonical_and_keeps_the_covered_set(items):
    merged = merge(items)
    assert_canonical(merged)
    assert minutes(merged) == minutes(i for i in items if i.end > i.start)


@FAST
@given(interval_lists)
def test_merge_is_idempotent_and_order_independent(items):
    merged = merge(items)
    assert merge(merged) == merged
    assert merge(reversed(items)) == merged
    assert merge(iter(items)) == merged  # any iterable


@FAST
@given(interval_lists, interval_lists)
def test_subtract_is_set_difference(a, b):
    result = subtract(a, b)
    assert_canonical(result)
    assert minutes(result) == minutes(merge(a)) - minutes(merge(b))


@FAST
@given(interval_lists, interval_lists)
def test_subtract_properties(a, b):
    result = subtract(a, b)
    # (a - b) ∩ b is empty
    assert intersect(result, b) == []
    assert not any(r.overlaps(x) for r in result for x in b if x.end > x.start)
    # (a - b) ⊆ a: each piece lies inside one merged piece of a
    for piece in result:
        assert any(whole.contains(piece) for whole in merge(a))
    # (a - b) ∪ (a ∩ b) == a
    assert merge(result + intersect(a, b)) == merge(a)


@FAST
@given(interval_lists)
def test_subtract_edge_cases(a):
    assert subtract(a, []) == merge(a)
    assert subtract(a, a) == []
    assert subtract([], a) == []
    assert subtract(a, [span(-1, 200)]) == []


@FAST
@given(interval_lists, any_interval.filter(lambda w: w.end > w.start))
def test_clip_is_intersection_with_the_window(items, window):
    clipped = clip(items, window)
    for item in clipped:
        assert item.start < item.end
        assert window.contains(item)
    assert minutes(clipped) == minutes(i for i in items if i.end > i.start) & minutes([window])
    assert merge(clipped) == intersect(items, [window])


@FAST
@given(any_interval, any_interval)
def test_overlaps_agrees_with_minute_sets_even_for_empty_intervals(x, y):
    assert x.overlaps(y) == y.overlaps(x) == bool(minutes([x]) & minutes([y]))


@FAST
@given(proper_interval, proper_interval)
def test_contains_agrees_with_minute_sets(x, y):
    assert x.contains(y) == (minutes([y]) <= minutes([x]))
    assert x.overlaps(x) and x.contains(x)


def test_regression_empty_interval_overlaps_nothing():
    # It used to "overlap" any interval around it, so a zero-length closure refused
    # bookings in check_request while free_intervals (via merge) showed the time free.
    point = span(10, 10)
    assert not point.overlaps(span(0, 20))
    assert not span(0, 20).overlaps(point)
    assert not point.overlaps(point)
    assert clip([point], span(0, 20)) == []


@FAST
@given(proper_interval, st.integers(0, 60), st.integers(0, 60))
def test_widened(x, before, after):
    wide = x.widened(timedelta(minutes=before), timedelta(minutes=after))
    assert wide.start == x.start - timedelta(minutes=before)
    assert wide.end == x.end + timedelta(minutes=after)
    assert wide.duration == x.duration + timedelta(minutes=before + after)
    assert wide.contains(x)


def test_merge_joins_touching_and_overlapping_and_drops_empty():
    assert merge([span(10, 20), span(0, 5), span(5, 7), span(15, 30), span(40, 40), span(50, 45)]) == [
        span(0, 7),
        span(10, 30),
    ]


def test_merge_of_nested_intervals():
    assert merge([span(0, 100), span(10, 20), span(30, 40)]) == [span(0, 100)]


def test_subtract_examples():
    assert subtract([span(0, 100)], [span(10, 20), span(30, 40)]) == [span(0, 10), span(20, 30), span(40, 100)]
    assert subtract([span(0, 100)], [span(0, 10), span(90, 100)]) == [span(10, 90)]
    assert subtract([span(0, 10), span(20, 30)], [span(5, 25)]) == [span(0, 5), span(25, 30)]
    # Touching cuts remove nothing.
    assert subtract([span(10, 20)], [span(0, 10), span(20, 30)]) == [span(10, 20)]


def test_clip_examples():
    window = span(10, 20)
    assert clip([span(0, 10), span(5, 15), span(12, 14), span(18, 30), span(20, 25)], window) == [
        span(10, 15),
        span(12, 14),
        span(18, 20),
    ]


def test_intervals_order_by_start_then_end():
    assert sorted([span(5, 9), span(1, 20), span(1, 3)]) == [span(1, 3), span(1, 20), span(5, 9)]
