"""Errors from importing an external calendar, with a stable code and text in both languages."""

from __future__ import annotations

from common.errors import CodedError

# code -> (Norwegian bokmål, English). The code is what callers and tests match on.
IMPORT_ERROR_MESSAGES: dict[str, tuple[str, str]] = {
    "not_icalendar": (
        "Filen er ikke en gyldig iCalendar-kalender (.ics).",
        "The file is not a valid iCalendar calendar (.ics).",
    ),
    "too_large": (
        "Kalenderen er for stor til å importeres.",
        "The calendar is too large to import.",
    ),
    "missing_dtstart": (
        "En hendelse i kalenderen mangler gyldig starttidspunkt (DTSTART).",
        "An event in the calendar has no valid start time (DTSTART).",
    ),
    "empty": (
        "Kalenderen inneholder ingen hendelser.",
        "The calendar contains no events.",
    ),
    "url_not_allowed": (
        "Adressen kan ikke brukes. Bruk en offentlig http- eller https-adresse.",
        "The address cannot be used. Use a public http or https address.",
    ),
    "fetch_timeout": (
        "Kalenderen svarte ikke i tide. Prøv igjen senere.",
        "The calendar did not answer in time. Try again later.",
    ),
    "fetch_failed": (
        "Kunne ikke hente kalenderen fra adressen.",
        "Could not fetch the calendar from the address.",
    ),
}


class CalendarImportError(CodedError):
    """An import failed as a whole; ``code`` is stable, the messages are for people.

    ``detail`` is technical (English) and meant for logs, not for showing to users.
    """

    def __init__(self, code: str, message_nb: str, message_en: str, *, detail: str = "") -> None:
        super().__init__(code, message_nb, message_en)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}" + (f" ({self.detail})" if self.detail else "")

    @classmethod
    def of(cls, code: str, detail: str = "", **values: object) -> CalendarImportError:
        """The error for a known code, its messages filled in with ``values``."""
        message_nb, message_en = IMPORT_ERROR_MESSAGES[code]
        return cls(code, message_nb.format(**values), message_en.format(**values), detail=detail)
