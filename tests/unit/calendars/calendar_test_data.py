"""A small fixed dataset for feed tests and golden files: DST days, a weekly series, states."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from calendars.feeds import FeedEvent, booking_uid, closure_uid

OSLO = ZoneInfo("Europe/Oslo")
EDITED = datetime(2026, 2, 1, 9, 30, tzinfo=timezone.utc)
FEED_NAME = "Fjell skole – alle lokaler"
FEED_DESCRIPTION = "Bookinger og stengte dager for Fjell skole"
LOCATION = "Gymsalen, Fjell skole, Fjellveien 1, Drammen"


def oslo(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def booking(booking_id: int, start: datetime, end: datetime, **overrides) -> FeedEvent:
    values = dict(
        uid=booking_uid(booking_id),
        start=start,
        end=end,
        summary="Gymsalen – Drammen turnforening",
        location=LOCATION,
        description="Kontaktperson: Kari Nordmann, tlf. 912 34 567.\nBehov: rullestoltilgang.",
        status="CONFIRMED",
        sequence=0,
        last_modified=EDITED,
        categories=("Booking",),
    )
    values.update(overrides)
    return FeedEvent(**values)


# A weekly Tuesday 18:00-20:00 series, stored as one booking per occurrence: the
# Tuesdays on both sides of each DST change in 2026.
SERIES_TUESDAYS = [(2026, 3, 24), (2026, 3, 31), (2026, 10, 20), (2026, 10, 27)]


def golden_events() -> list[FeedEvent]:
    series = [
        booking(200 + index, oslo(*day, 18), oslo(*day, 20), summary="Gymsalen – Fjell IL innebandy, barn")
        for index, day in enumerate(SERIES_TUESDAYS)
    ]
    return [
        booking(101, oslo(2026, 3, 29, 18), oslo(2026, 3, 29, 20), summary="Gymsalen – Søndagstrim (DST vår)"),
        *series[:2],
        booking(
            102,
            oslo(2026, 4, 14, 17),
            oslo(2026, 4, 14, 19),
            summary="Gymsalen – Nabolagsmøte (forespørsel)",
            status="TENTATIVE",
            description="Egenorganisert aktivitet. Venter på godkjenning.",
            categories=("Booking", "Forespørsel"),
        ),
        booking(
            103,
            oslo(2026, 5, 5, 18),
            oslo(2026, 5, 5, 21),
            summary="Gymsalen – Korøvelse (avlyst)",
            status="CANCELLED",
            sequence=2,
            last_modified=datetime(2026, 4, 20, 8, 0, tzinfo=timezone.utc),
        ),
        FeedEvent(
            uid=closure_uid(45),
            start=oslo(2026, 5, 17, 0),
            end=oslo(2026, 5, 18, 0),
            summary="Stengt: 17. mai",
            location=LOCATION,
            description="Lokalet er stengt hele dagen.",
            status="CONFIRMED",
            sequence=1,
            last_modified=EDITED,
            categories=("Stengt",),
        ),
        *series[2:3],
        booking(104, oslo(2026, 10, 25, 18), oslo(2026, 10, 25, 20), summary="Gymsalen – Søndagstrim (DST høst)"),
        *series[3:],
    ]
