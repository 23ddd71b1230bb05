"""Organisation numbers (organisasjonsnummer): nine digits with a mod-11 check digit,
checked with python-stdnum."""

from __future__ import annotations

from stdnum.exceptions import ValidationError
from stdnum.no import orgnr

from booking.domain.errors import DomainError


def valid_orgnr(text: str) -> str:
    """The compact nine digits, or a coded error saying what is wrong."""
    if not (text or "").strip():  # an empty field is a number not yet given, not a wrong one
        raise DomainError(
            "orgnr_missing", "Fyll inn organisasjonsnummeret (9 siffer).", "Fill in the organisation number (9 digits)."
        )
    try:
        return orgnr.validate(text)
    except ValidationError as error:
        raise DomainError(
            "invalid_orgnr",
            f"«{text}» er ikke et gyldig organisasjonsnummer (ni sifre med riktig kontrollsiffer).",
            f"{text!r} is not a valid Norwegian organisation number: {error}.",
            orgnr=text,
        ) from None
