"""Free text people write (a purpose, a name, a reason): one rule for every field. C0
control characters other than tab and line breaks (NUL and the like) are never meant;
they break storage (PostgreSQL refuses NUL in text), logs and e-mails, and would be
echoed back unseen, so they are refused rather than silently stripped. Text from third
parties we cannot ask to type again (an imported calendar) is `clean`ed by the same rule."""

from __future__ import annotations

import re

from booking.domain.errors import DomainError

# Tab, line feed and carriage return stay: browsers send a textarea's line breaks as CR LF.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_text(value: str, field: str) -> str:
    """The text unchanged, or a refusal (code `invalid_text`) naming the field."""
    if CONTROL_CHARACTERS.search(value):
        raise DomainError(
            "invalid_text",
            f"Feltet «{field}» inneholder kontrolltegn (usynlige tegn som ikke kan lagres). "
            "Skriv teksten på nytt eller lim den inn som ren tekst, og prøv igjen.",
            f"The field “{field}” contains control characters (invisible characters that cannot be saved). "
            "Type the text again or paste it as plain text, and try again.",
            field=field,
        )
    return value


def clean(value: str) -> str:
    """The text without the control characters `check_text` refuses: for third-party text
    (an imported calendar's events) that nobody can be asked to type again."""
    return CONTROL_CHARACTERS.sub("", value)
