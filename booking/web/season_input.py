"""Reading a season's setup from the JSON API and from the staff form: both end in the
same `SeasonSetup`, which `booking.services.seasons.create_season` checks and stores.
Only the parsing is here; every rule about what a season may be is the service's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from booking.domain.errors import DomainError, FieldProblem
from booking.services.premises_admin import FormValues, InvalidForm, opening_hours_from_form
from booking.services.seasons import SeasonSetup
from common.localtime import parse_instant, resolve_local

# A line of the form's excluded periods: "2027-02-22–2027-02-26" (an en dash, an em dash,
# " - " or "til"), or one date for a single day.
PERIOD = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:–|—|\s-\s|til|to)\s*(\d{4}-\d{2}-\d{2}))?$")

# Which form field a refusal of the service belongs to.
FIELD_OF_CODE = {
    "name_required": "navn",
    "invalid_season_dates": "siste_dato",
    "season_too_long": "siste_dato",
    "deadline_after_start": "frist_dato",
    "no_premises": "lokaler",
    "unknown_premises": "lokaler",
    "no_seasonal_hours": "apent_mon",
    "invalid_excluded_period": "unntak",
}
MAX_NAME = 200


@dataclass
class SeasonRequest:
    """`POST /api/v1/seasons`."""

    name: str
    starts: str  # YYYY-MM-DD
    ends: str
    application_deadline: str  # an ISO instant, or Oslo wall time "YYYY-MM-DDTHH:MM"
    premises: list[str]
    seasonal_hours: dict[str, list[str]]  # {"mon": ["16:00-22:30"], …}
    excluded: list[dict[str, str]] = field(default_factory=list)  # [{"from": …, "to": …}]
    premises_hours: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # other hours by slug


def parse_date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise DomainError(
            "invalid_date",
            f"«{text}» er ikke en gyldig dato (skriv ÅÅÅÅ-MM-DD).",
            f"{name}: {text!r} is not a date (YYYY-MM-DD).",
            field=name,
        ) from None


def _name(text: str) -> str:
    if len(text.strip()) > MAX_NAME:
        raise DomainError(
            "name_too_long",
            f"Navnet kan ha høyst {MAX_NAME} tegn.",
            f"The name can be at most {MAX_NAME} characters.",
            field="name",
        )
    return text.strip()


def setup_from_request(data: SeasonRequest) -> SeasonSetup:
    """The API's body as a setup; a value that cannot be read is refused with its code."""
    excluded = []
    for index, period in enumerate(data.excluded):
        if "from" not in period or "to" not in period:
            raise DomainError(
                "invalid_excluded_period",
                "Et unntatt tidsrom trenger både fra- og til-dato.",
                f"Excluded period {index} needs both `from` and `to`.",
                index=index,
            )
        excluded.append((parse_date(period["from"], "excluded.from"), parse_date(period["to"], "excluded.to")))
    return SeasonSetup(
        name=_name(data.name),
        starts=parse_date(data.starts, "starts"),
        ends=parse_date(data.ends, "ends"),
        application_deadline=parse_instant(data.application_deadline),
        premises=tuple(data.premises),
        seasonal_hours={day: hours for day, hours in data.seasonal_hours.items() if hours},
        excluded=tuple(excluded),
        premises_hours={
            slug: {day: hours for day, hours in week.items() if hours} for slug, week in data.premises_hours.items()
        },
    )


class _Problems:
    """Collects a form's problems by field (what `opening_hours_from_form` reports to)."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def add(self, field: str, code: str, message: str, message_en: str = "") -> None:
        if all(p.field != field for p in self.problems):  # one message per field, the first
            self.problems.append(FieldProblem(field, code, message, message_en))

    def error(self, field: str, error: DomainError) -> None:
        self.add(field, error.code, error.message_nb, error.message_en)


def excluded_from_text(text: str, problems: _Problems) -> tuple[tuple[date, date], ...]:
    periods = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = PERIOD.match(line)
        if match is None:
            problems.add(
                "unntak",
                "invalid_excluded_period",
                f"«{line}» må skrives som ÅÅÅÅ-MM-DD–ÅÅÅÅ-MM-DD, én periode per linje.",
                f"{line!r} must be written YYYY-MM-DD–YYYY-MM-DD, one period a line.",
            )
            continue
        try:
            first = parse_date(match.group(1), "unntak")
            periods.append((first, parse_date(match.group(2), "unntak") if match.group(2) else first))
        except DomainError as error:
            problems.error("unntak", error)
    return tuple(periods)


def setup_from_form(form: FormValues) -> SeasonSetup:
    """The staff form as a setup, or InvalidForm naming each field that cannot be read."""
    problems = _Problems()
    dates = {}
    for name in ("forste_dato", "siste_dato", "frist_dato"):
        if not form.text(name):
            problems.add(name, "required", "Fyll inn datoen.", "Fill in the date.")
            continue
        try:
            dates[name] = parse_date(form.text(name), name)
        except DomainError as error:
            problems.error(name, error)
    deadline = None
    clock = form.text("frist_tid") or "23:59"
    try:
        at = datetime.strptime(clock, "%H:%M").time()
    except ValueError:
        problems.add(
            "frist_tid",
            "invalid_time",
            f"Klokkeslettet «{clock}» må skrives som TT:MM.",
            f"The time {clock!r} must be HH:MM.",
        )
    else:
        if "frist_dato" in dates:
            try:
                deadline = resolve_local(datetime.combine(dates["frist_dato"], at))
            except DomainError as error:
                problems.error("frist_tid", error)
    name = form.text("navn")
    if len(name) > MAX_NAME:
        problems.add(
            "navn",
            "name_too_long",
            f"Navnet kan ha høyst {MAX_NAME} tegn.",
            f"The name can be at most {MAX_NAME} characters.",
        )
    hours = opening_hours_from_form(form, problems)
    excluded = excluded_from_text("\n".join(form.all("unntak")), problems)
    if problems.problems:
        raise InvalidForm(problems.problems)
    return SeasonSetup(
        name=name,
        starts=dates["forste_dato"],
        ends=dates["siste_dato"],
        application_deadline=deadline,
        premises=tuple(form.all("lokaler")),
        seasonal_hours=hours,
        excluded=excluded,
    )


def form_problem(error: DomainError) -> InvalidForm:
    """A refusal of the service, placed at the form field it is about."""
    return InvalidForm(
        [FieldProblem(FIELD_OF_CODE.get(error.code, "navn"), error.code, error.message_nb, error.message_en)]
    )
