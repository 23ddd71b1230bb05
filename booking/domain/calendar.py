"""Norwegian public holidays, from the `holidays` package with Norwegian names."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _year(year: int) -> dict[date, str]:
    # The package counts every Sunday as a holiday in Norway unless told otherwise.
    return dict(holidays.Norway(years=year, language="no", include_sundays=False))


def public_holiday(day: date) -> str | None:
    """The holiday's Norwegian name, or None on an ordinary day."""
    return _year(day.year).get(day)
