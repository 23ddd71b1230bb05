"""Formatting with Babel, in Norwegian ("nb", the default) or English ("en"): dates, times
and kroner as people write them. The one formatter for pages (the Jinja filters follow
the page's language, booking/web/i18n.py) and mails (booking/notify)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal

from common.localtime import OSLO

LOCALES = {"nb": "nb_NO", "en": "en_GB"}
# Babel patterns per language; the English ones are British (day before month).
DAY = {"nb": "EEEE d. MMMM y", "en": "EEEE d MMMM y"}
SHORT_DAY = {"nb": "EEE d.M.", "en": "EEE d/M"}
STAMP = {"nb": "d.M.y HH:mm", "en": "d/M/y HH:mm"}


def clock(instant: datetime, language: str = "nb") -> str:
    return format_time(instant.astimezone(OSLO), "HH:mm", locale=LOCALES[language])


def day(value: date, language: str = "nb") -> str:
    """'tirsdag 18. august 2026' / 'Tuesday 18 August 2026'."""
    return format_date(value, DAY[language], locale=LOCALES[language])


def when(instant: datetime, language: str = "nb") -> str:
    """'tirsdag 18. august 2026 kl. 18:00' / 'Tuesday 18 August 2026 at 18:00'."""
    local = instant.astimezone(OSLO)
    return f"{day(local, language)} {'kl.' if language == 'nb' else 'at'} {clock(local, language)}"


def short_day(value: date, language: str = "nb") -> str:
    return format_date(value, SHORT_DAY[language], locale=LOCALES[language])


def weekday_name(weekday: int, language: str = "nb") -> str:
    """0 (Monday) to 6: 'mandag' / 'Monday'."""
    return format_date(date(2024, 1, 1 + weekday), "EEEE", locale=LOCALES[language])


def stamp(instant: datetime, language: str = "nb") -> str:
    return format_datetime(instant.astimezone(OSLO), STAMP[language], locale=LOCALES[language])


def kroner(amount: Decimal | int | str, language: str = "nb") -> str:
    """'1 145 kr' / 'NOK 1,145' (Babel's grouping, a no-break space before or after the
    currency); øre only when there are some: '1 145,50 kr'."""
    value = Decimal(str(amount))
    pattern = "#,##0" if value == value.to_integral_value() else "#,##0.00"
    number = format_decimal(value, format=pattern, locale=LOCALES[language])
    return f"{number}\u00a0kr" if language == "nb" else f"NOK\u00a0{number}"
