"""E-mail text from Jinja2 templates in templates/email/, one file per kind and
language (`confirmed.nb.txt`, `confirmed.en.txt`). A template sets `subject` and its
body is the mail's text; both languages get the same context."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from common.localtime import OSLO
from booking.settings import ROOT

TEMPLATES = ROOT / "templates" / "email"
LANGUAGES = ("nb", "en")
LOCALES = {"nb": "nb_NO", "en": "en_GB"}


def language_of(value: str | None) -> str:
    """The person's language when we write it, else Norwegian."""
    code = (value or "nb").lower().split("-")[0].split("_")[0]
    return "en" if code == "en" else "nb"


def when(instant: datetime, language: str) -> str:
    """'tirsdag 8. desember 2026 kl. 18:00' / 'Tuesday 8 December 2026 at 18:00'."""
    local = instant.astimezone(OSLO)
    locale = LOCALES[language]
    if language == "nb":
        return f"{format_date(local, 'EEEE d. MMMM y', locale=locale)} kl. {format_time(local, 'HH:mm', locale=locale)}"
    return f"{format_date(local, 'EEEE d MMMM y', locale=locale)} at {format_time(local, 'HH:mm', locale=locale)}"


def clock(instant: datetime, language: str) -> str:
    return format_time(instant.astimezone(OSLO), "HH:mm", locale=LOCALES[language])


def kroner(amount: Decimal | int | str, language: str) -> str:
    value = Decimal(str(amount))
    pattern = "#,##0" if value == value.to_integral_value() else "#,##0.00"
    number = format_decimal(value, format=pattern, locale=LOCALES[language])
    return f"{number}\u00a0kr" if language == "nb" else f"NOK\u00a0{number}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    # Plain text: nothing to escape, and a missing variable is a bug, not a blank.
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined,
                       keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def render(kind: str, language: str, context: dict) -> tuple[str, str]:
    """(subject, body) of the mail `kind` in `language`."""
    template = environment().get_template(f"{kind}.{language}.txt")
    module = template.make_module({**context, "language": language})
    body = str(module).strip() + "\n"
    return " ".join(str(module.subject).split()), body
