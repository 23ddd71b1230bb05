"""The mails of a seasonal round: the receipt for an application, one mail per
organisation when the allocation is published (with an .ics of every date), and one when
time is given back or withdrawn. Like every mail, an outbox row in the caller's
transaction, deduplicated by its key, stored as an event and written by `booking
send-mail` (`render_season_event`), so nothing is rendered under a write lock."""

from __future__ import annotations

from datetime import date, datetime

from babel.numbers import format_decimal
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Booking, Person, Premises, Season, SeasonAllocation, SeasonApplication
from booking.domain.lifecycle import SLOT_HOLDING
from booking.domain.premises import WEEKDAYS
from booking.formatting import LOCALES, day, kroner, weekday_name, when
from booking.notify.outbox import Attachment, enqueue, event_mail
from booking.notify.render import language_of, render
from booking.services.feed_events import full_booking_events
from booking.settings import get_settings
from calendars import build_feed

AGE_GROUP_NAMES = {
    "under_13": ("under 13 år", "under 13"),
    "13_19": ("13–19 år", "13–19"),
    "adults": ("voksne", "adults"),
    "seniors": ("seniorer", "seniors"),
    "mixed": ("blandet", "mixed ages"),
}


def _wish_line(wish: dict, names: dict[str, str], language: str) -> str:
    return (
        f"{weekday_name(WEEKDAYS.index(wish['weekday']), language)} {wish['start']}–{wish['end']}, "
        f"{names.get(wish['premises'], wish['premises'])}"
    )


async def application_received(
    session: AsyncSession, application: SeasonApplication, person: Person, now: datetime
) -> bool:
    """The receipt for an application as it was sent (its needs are kept in the event: the
    application may change again before the mail is written)."""
    event = {"mail": "season_received", "application_id": application.id, "needs": application.needs}
    key = f"season-application-{application.id}-{application.updated_at.isoformat()}"
    return await enqueue(session, event_mail(key, person.email, language_of(person.language), event), now)


async def render_received_event(
    session: AsyncSession, event: dict, language: str
) -> tuple[str, str, tuple[Attachment, ...]]:
    """The application's receipt, from the needs the event keeps."""
    application = await session.get(SeasonApplication, event["application_id"])
    season = await session.get(Season, application.season_id)
    slugs = {w["premises"] for need in event["needs"] for w in need["wishes"]}
    names = {
        p.slug: f"{p.name}, {p.building.name}"
        for p in (await session.execute(select(Premises).where(Premises.slug.in_(slugs)))).scalars()
    }
    needs = [
        {
            "activity": need["activity"],
            "age_group": AGE_GROUP_NAMES[need["age_group"]][language != "nb"],
            "participants": need["participants"],
            "hours": format_decimal(need["hours_per_week"], locale=LOCALES[language]),
            "hall_sport": need["hall_sport"],
            "disability": need["disability"],
            "wishes": [_wish_line(w, names, language) for w in need["wishes"]],
        }
        for need in event["needs"]
    ]
    context = {
        "name": application.person.name,
        "organisation": application.organisation.name,
        "season": season.name,
        "needs": needs,
        "deadline": when(season.application_deadline, language),
        "link": get_settings().base_url.rstrip("/") + f"/sesong/{season.id}/soknad",
    }
    return *render("season_received", language, context), ()


async def allocation_published(
    session: AsyncSession, season: Season, application: SeasonApplication, now: datetime
) -> bool:
    """One mail to the organisation's delegate, stored as an event (see render_season_event)."""
    person = await session.get(Person, application.person_id)
    event = {"mail": "season_published", "season_id": season.id, "application_id": application.id}
    return await enqueue(
        session,
        event_mail(f"season-{season.id}-published-{application.id}", person.email, language_of(person.language), event),
        now,
    )


async def render_season_event(
    session: AsyncSession, event: dict, language: str
) -> tuple[str, str, tuple[Attachment, ...]]:
    """The published mail: every weekly slot, the dates that could not be given (with why),
    the price per date, and an .ics of every date still held."""
    season = await session.get(Season, event["season_id"])
    application = await session.get(SeasonApplication, event["application_id"])
    person, organisation = application.person, application.organisation
    allocated = list(
        (
            await session.execute(
                select(SeasonAllocation)
                .where(SeasonAllocation.application_id == application.id, SeasonAllocation.series_id.is_not(None))
                .order_by(SeasonAllocation.weekday, SeasonAllocation.start_time)
            )
        ).scalars()
    )
    bookings = list(
        (
            await session.execute(
                select(Booking)
                .where(
                    Booking.series_id.in_([a.series_id for a in allocated]),
                    Booking.status.in_([s.value for s in SLOT_HOLDING]),
                )
                .order_by(Booking.start_at, Booking.id)
            )
        ).scalars()
    )
    by_series: dict[int, list[Booking]] = {}
    for booking in bookings:
        by_series.setdefault(booking.series_id, []).append(booking)
    slots = []
    for a in allocated:
        mine = by_series.get(a.series_id, [])
        slots.append(
            {
                "activity": application.needs[a.need]["activity"],
                "premises": f"{a.premises.name}, {a.premises.building.name}",
                "when": f"{weekday_name(a.weekday, language)} {a.start_time}–{a.end_time}",
                "dates": len(mine),
                "price": kroner(mine[0].price_total, language) if mine and mine[0].price_total else "",
            }
        )
    collisions = (season.proposal or {}).get("published", {}).get("collisions", [])
    missed = [
        {
            "premises": c["premises_name"],
            "day": day(date.fromisoformat(c["day"]), language),
            "why": c["message_nb" if language == "nb" else "message_en"],
        }
        for c in collisions
        if c["application_id"] == application.id
    ]
    context = {
        "name": person.name,
        "organisation": organisation.name,
        "season": season.name,
        "slots": slots,
        "missed": missed,
        "link": get_settings().base_url.rstrip("/") + "/min-sesongtid",
    }
    subject, body = render("season_allocated", language, context)
    events = await full_booking_events(session, [b.id for b in bookings])
    calendar = build_feed(f"{season.name}: {organisation.name}", events).decode("utf-8")
    attachments = (Attachment(f"sesong-{season.id}.ics", "text/calendar; method=PUBLISH", calendar),) if events else ()
    return subject, body, attachments


async def allocation_released(
    session: AsyncSession, row: SeasonAllocation, days: list[date], *, withdrawn: bool, now: datetime
) -> bool:
    """One mail to the organisation's delegate when its seasonal time is given back (a
    receipt) or withdrawn by the municipality: which slot, which dates, that the time is now
    free for others."""
    application = await session.get(SeasonApplication, row.application_id)
    person = await session.get(Person, application.person_id)
    event = {
        "mail": "season_released",
        "allocation_id": row.id,
        "withdrawn": withdrawn,
        "days": [d.isoformat() for d in days],
    }
    key = f"season-allocation-{row.id}-released-{now.isoformat()}"
    return await enqueue(session, event_mail(key, person.email, language_of(person.language), event), now)


async def render_released_event(
    session: AsyncSession, event: dict, language: str
) -> tuple[str, str, tuple[Attachment, ...]]:
    """Seasonal time given back or withdrawn: the slot and the dates the event names."""
    row = await session.get(SeasonAllocation, event["allocation_id"])
    application = await session.get(SeasonApplication, row.application_id)
    season = await session.get(Season, row.season_id)
    premises = await session.get(Premises, row.premises_id)
    context = {
        "name": application.person.name,
        "season": season.name,
        "withdrawn": event["withdrawn"],
        "activity": application.needs[row.need]["activity"],
        "premises": premises.name,
        "when": f"{weekday_name(row.weekday, language)} {row.start_time}–{row.end_time}",
        "dates": [day(date.fromisoformat(d), language) for d in event["days"]],
        "link": get_settings().base_url.rstrip("/") + "/min-sesongtid",
    }
    return *render("season_released", language, context), ()
