"""The one base class of every refusal, `CodedError`: a stable code, a Norwegian and an
English message, details for the API, and an HTTP status hint. The web layer's single
error mapper (booking/web/errors.py) reads only this shape. Each core refuses with its own
subclass (`DomainError` here; pricing's PricingError, calendars' CalendarImportError), so
a caller can still catch one core's refusals alone."""

from __future__ import annotations

from typing import Any


class CodedError(Exception):
    """A request the service refuses. `code` is stable; clients may switch on it."""

    status = 422

    def __init__(self, code: str, message_nb: str, message_en: str, **details: Any) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_nb = message_nb
        self.message_en = message_en
        self.details = details


class DomainError(CodedError):
    """A refusal by the booking engine, seasonal allocation or local time."""
