"""Norwegian formatting with Babel: dates, times and kroner as people write them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal

from common.localtime import OSLO

LOCALE = "nb_NO"


def when(instant: datetime) -> str:
    """'tirsdag 18. august 2026 kl. 18:00'"""
    local = instant.astimezone(OSLO)
    return f"{format_date(local, 'EEEE d. MMMM y', locale=LOCALE)} kl. {format_time(local, 'HH:mm', locale=LOCALE)}"


def clock(instant: datetime) -> str:
    return format_time(instant.astimezone(OSLO), "HH:mm", locale=LOCALE)


def day(value: date) -> str:
    return format_date(value, "EEEE d. MMMM y", locale=LOCALE)


def short_day(value: date) -> str:
    return format_date(value, "EEE d.M.", locale=LOCALE)


def kroner(amount: Decimal | int | str) -> str:
    """'1 145 kr' (Babel's grouping, with a no-break space)."""
    value = Decimal(str(amount))
    pattern = "#,##0" if value == value.to_integral_value() else "#,##0.00"
    return f"{format_decimal(value, format=pattern, locale=LOCALE)}\u00a0kr"


def stamp(instant: datetime) -> str:
    return format_datetime(instant.astimezone(OSLO), "d.M.y HH:mm", locale=LOCALE)


FILTERS = {"when": when, "clock": clock, "day": day, "short_day": short_day, "kroner": kroner, "stamp": stamp}
