"""Open events ("Hva skjer"): a booking its booker opens to the public, with a public
title, a short description and an audience. What may be marked, what the input must be,
when an event is listed, and the public page's window of days, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Iterable, TypeVar

from booking.domain.errors import FieldProblem, InvalidTransition
from booking.domain.lifecycle import SLOT_HOLDING, Status
from common.localtime import OSLO

MAX_TITLE = 120
MAX_DESCRIPTION = 500
AUDIENCES = {"all": ("For alle", "For everyone"), "children_youth": ("For barn og unge", "For children and youth")}
WINDOW_DAYS = 60  # the public page shows this many days at a time, then a link to later ones
MAX_DAYS_AHEAD = 2 * 366  # no booking is that far ahead; a later `fra` is brought back to it

# What the booker's page says about an event: listed, waiting for the booking to be
# confirmed, hidden by staff, or not listed because the booking was called off or is over.
LISTED, AWAITING_CONFIRMATION, HIDDEN, NOT_LISTED = "listed", "awaiting_confirmation", "hidden", "not_listed"


@dataclass(frozen=True)
class EventText:
    """What the public sees of an open event, as the booker wrote it."""

    title: str
    description: str
    audience: str

    @classmethod
    def cleaned(cls, title: str, description: str, audience: str) -> EventText:
        """The title on one line, the description with plain line breaks, both trimmed."""
        return cls(
            " ".join(title.split()), description.replace("\r\n", "\n").replace("\r", "\n").strip(), audience.strip()
        )

    def problems(self) -> list[FieldProblem]:
        """Every problem with the text, each tied to its field (API names)."""
        problems = []
        if not self.title:
            problems.append(
                FieldProblem("title", "required", "Skriv en tittel for arrangementet.", "Give the event a title.")
            )
        elif len(self.title) > MAX_TITLE:
            problems.append(
                FieldProblem(
                    "title",
                    "too_long",
                    f"Tittelen kan ha høyst {MAX_TITLE} tegn.",
                    f"The title may have at most {MAX_TITLE} characters.",
                )
            )
        if len(self.description) > MAX_DESCRIPTION:
            problems.append(
                FieldProblem(
                    "description",
                    "too_long",
                    f"Beskrivelsen kan ha høyst {MAX_DESCRIPTION} tegn.",
                    f"The description may have at most {MAX_DESCRIPTION} characters.",
                )
            )
        if self.audience not in AUDIENCES:
            problems.append(
                FieldProblem(
                    "audience",
                    "invalid_choice",
                    "Velg hvem arrangementet er for.",
                    f"audience must be one of {', '.join(AUDIENCES)}.",
                )
            )
        return problems


def may_open(status: str, end: datetime, now: datetime) -> bool:
    """A booking can be an open event while it holds its slot and has not ended."""
    return Status(status) in SLOT_HOLDING and end > now


def check_openable(status: str, end: datetime, now: datetime) -> None:
    if not may_open(status, end, now):
        raise InvalidTransition(
            "booking_not_upcoming",
            "Bare en kommende bestilling som ikke er avbestilt, avslått eller utløpt, kan være et åpent arrangement.",
            "Only an upcoming booking that is not cancelled, rejected or expired can be an open event.",
            booking_status=status,
        )


def visibility(status: str, hidden: bool, end: datetime, now: datetime) -> str:
    """Whether the public sees an event now, and if not, why. Only a confirmed booking
    is listed: a held or requested one may still fall through."""
    if Status(status) not in SLOT_HOLDING or end <= now:
        return NOT_LISTED
    if hidden:
        return HIDDEN
    return LISTED if status == Status.CONFIRMED.value else AWAITING_CONFIRMATION


@dataclass(frozen=True)
class DayWindow:
    """Local days [first, end) shown at once; `earlier` is the first day of the window
    before it (None when this one starts today)."""

    first: date
    end: date
    earlier: date | None


def day_window(asked: date | None, today: date) -> DayWindow:
    """The window starting on the asked day, never before today nor too far ahead."""
    first = min(max(asked or today, today), today + timedelta(days=MAX_DAYS_AHEAD))
    earlier = max(first - timedelta(days=WINDOW_DAYS), today) if first > today else None
    return DayWindow(first, first + timedelta(days=WINDOW_DAYS), earlier)


T = TypeVar("T")


def by_local_day(events: Iterable[T], start_of) -> list[tuple[date, list[T]]]:
    """Events (in start order) grouped by the Oslo day they start on."""

    def day(event: T) -> date:
        return start_of(event).astimezone(OSLO).date()

    return [(d, list(group)) for d, group in groupby(events, key=day)]
